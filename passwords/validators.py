"""The password rules (passwords.policy) as Django password validators, so that every place
that sets a password — our own pages, the Django admin's "change password", the bootstrap
command — applies them (settings.AUTH_PASSWORD_VALIDATORS). Each message names the problem.
"""

import functools
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from passwords import policy
from passwords.policy import Problem


@functools.cache
def common_passwords() -> frozenset[str]:
    """Django's list of 20,000 common passwords (lower case), folded as we compare."""
    return frozenset(
        policy.normalise(word).casefold() for word in CommonPasswordValidator().passwords
    )


def context_of(user: Any) -> frozenset[str]:
    """The context words of an account: its user id, names, e-mail's local part, its unit's
    code and name (and the service's own names, always)."""
    if user is None:
        return policy.context_words()
    unit = getattr(user, "unit", None) if getattr(user, "unit_id", None) else None
    email = str(getattr(user, "email", "") or "")
    return policy.context_words(
        str(getattr(user, "username", "") or ""),
        str(getattr(user, "name_th", "") or ""),
        str(getattr(user, "name_en", "") or ""),
        email.split("@", 1)[0],
        unit.code if unit else "",
        unit.name_th if unit else "",
    )


def messages_for(found: list[Problem], rules: policy.Rules, size: int) -> list[ValidationError]:
    texts = {
        Problem.TOO_SHORT: ngettext(
            "This password is too short: it has %(length)d character and needs at least "
            "%(min)d. A few words in a row, in Thai or English, make a long password that is "
            "easy to remember.",
            "This password is too short: it has %(length)d characters and needs at least "
            "%(min)d. A few words in a row, in Thai or English, make a long password that is "
            "easy to remember.",
            size,
        ),
        Problem.TOO_LONG: _(
            "This password is too long: it has %(length)d characters and may have at most %(max)d."
        ),
        Problem.COMMON: _(
            "This password is on the list of commonly used passwords, which attackers try "
            "first (adding digits or symbols does not help). Choose another one."
        ),
        Problem.COMMON_OTHER_LAYOUT: _(
            "This password is a commonly used password typed with the keyboard on the other "
            "language (Thai ↔ English), which attackers try too. Choose another one."
        ),
        Problem.CONTEXT: _(
            "This password is made of your user id, your name, your agency or the name of this "
            "service, with only digits or symbols added. Choose one that others cannot guess."
        ),
        Problem.CONTEXT_OTHER_LAYOUT: _(
            "This password is your user id, your name, your agency or the name of this service "
            "typed with the keyboard on the other language (Thai ↔ English). Choose one that "
            "others cannot guess."
        ),
        Problem.PATTERN: _(
            "This password is one short pattern repeated or a run of consecutive characters "
            "(like aaaa or 1234). Choose another one."
        ),
    }
    values = {"length": size, "min": rules.min_length, "max": rules.max_length}
    return [ValidationError(texts[problem] % values, code=problem.value) for problem in found]


class PasswordRulesValidator:
    """All the rules at once: length, the common list, the account's context, patterns —
    each also on the other keyboard layout."""

    def __init__(self, min_length: int = policy.MIN_LENGTH, max_length: int = policy.MAX_LENGTH):
        self.rules = policy.Rules(min_length=min_length, max_length=max_length)

    def validate(self, password: str, user: Any = None) -> None:
        found = policy.problems(
            password, common=common_passwords(), context=context_of(user), rules=self.rules
        )
        if found:
            raise ValidationError(messages_for(found, self.rules, policy.length(password)))

    def get_help_text(self) -> str:
        return _(
            "At least %(min)d characters, any letters (Thai or English), digits, symbols or "
            "spaces: a few words in a row are easy to remember. Not a common password, not "
            "your user id, name or agency, and not one typed with the keyboard on the other "
            "language."
        ) % {"min": self.rules.min_length}
