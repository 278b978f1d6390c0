"""Django's own messages that its Thai catalogue leaves untranslated, marked here (the exact
msgids Django uses) so that `make messages` puts them in ours, where they get their Thai
(locale/th/LC_MESSAGES/django.po; LOCALE_PATHS comes before Django's own catalogues).

Nothing imports this module: makemessages reads it. Add a message here when a page shows one
of Django's in English (tests/test_translations.py checks these are translated).
"""

from django.utils.translation import gettext_noop, ngettext_lazy

MESSAGES = (
    gettext_noop("Enter a valid integer."),
    gettext_noop("Null characters are not allowed."),
    gettext_noop("Enter a complete value."),
    gettext_noop("That page contains no results"),
    gettext_noop("“%(value)s” is not a valid UUID."),
    gettext_noop("%(model_name)s with this %(field_labels)s already exists."),
    gettext_noop("Value %(value)r is not a valid choice."),
    gettext_noop("“%(pk)s” is not a valid value."),
    gettext_noop("Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."),
    gettext_noop("Date out of range"),
    gettext_noop("Year"),
    gettext_noop("Month"),
    gettext_noop("Day"),
    gettext_noop("CSRF verification failed. Request aborted."),
    gettext_noop("More information is available with DEBUG=True."),
)

PLURALS = (
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure that there are no more than %(max)s digit in total.",
        "Ensure that there are no more than %(max)s digits in total.",
        "max",
    ),
    ngettext_lazy(
        "Ensure that there are no more than %(max)s decimal place.",
        "Ensure that there are no more than %(max)s decimal places.",
        "max",
    ),
    ngettext_lazy(
        "Ensure that there are no more than %(max)s digit before the decimal point.",
        "Ensure that there are no more than %(max)s digits before the decimal point.",
        "max",
    ),
)
