"""What the GFMS front-end shows the officer for each answer, in Thai and English.

A locked account is never described here: it answers like a wrong password (no password
oracle), and the officer is told of the lock by e-mail (templates/emails/account_locked_*).

Both languages are always returned; each is rendered from the translation catalogue so that
Thai wording is reviewed in one place (locale/th).
"""

import functools

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from auth_gateway.policy import Reason
from gfms_portal.thaidate import format_be_date
from schedule.policy import MigrationSchedule, Phase


def guidance(reason: Reason, *, phase: Phase, schedule: MigrationSchedule) -> dict[str, str]:
    return dict(_guidance(reason, phase, schedule, settings.GFMS_PORTAL_URL))


@functools.lru_cache(maxsize=256)
def _guidance(
    reason: Reason, phase: Phase, schedule: MigrationSchedule, portal: str
) -> tuple[tuple[str, str], ...]:
    # Rendered once per process for each answer (a handful of reasons × phases × schedules):
    # every check answers one of them. `portal` is in the key so that a changed setting shows.
    return tuple((lang, _render(reason, phase, schedule, lang)) for lang in ("th", "en"))


def _render(reason: Reason, phase: Phase, schedule: MigrationSchedule, lang: str) -> str:
    with translation.override(lang):
        values = {
            "portal": settings.GFMS_PORTAL_URL,
            "opens": format_be_date(schedule.opens, lang=lang),
            "closes": format_be_date(schedule.closes, lang=lang),
            "soft_token_only_from": format_be_date(schedule.soft_token_only_from, lang=lang),
        }
        if reason == Reason.NOT_REGISTERED:
            return _not_registered(phase) % values
        return MESSAGES[reason]() % values


def _not_registered(phase: Phase) -> str:
    if phase == Phase.BEFORE_WINDOW:
        return _(
            "Soft-token registration opens on %(opens)s. Until then, log in with your Token Key "
            "or your password."
        )
    if phase == Phase.WINDOW:
        return _(
            "You have not registered a soft token yet. Log in with your Token Key or your "
            "password, and register at %(portal)s by %(closes)s: from %(soft_token_only_from)s "
            "GFMS accepts soft-token logins only."
        )
    return _(
        "Since %(soft_token_only_from)s GFMS accepts soft-token logins only, and you have not "
        "registered one. Ask your agency administrator for a late-registration code, then "
        "register at %(portal)s."
    )


MESSAGES = {
    Reason.OK: lambda: _("Login allowed."),
    Reason.INVALID_CREDENTIALS: lambda: _(
        "Wrong user id or password, or the account is locked for a while after repeated "
        "failures (we e-mail you when that happens)."
    ),
    Reason.METHOD_NOT_ALLOWED: lambda: _(
        "You have registered a soft token: log in with the 6-digit code from the authenticator "
        "app on your phone. The Token Key and password-only logins no longer work for you."
    ),
    Reason.INVALID_OTP: lambda: _(
        "The one-time code is wrong. Use the current 6-digit code from your authenticator app "
        "and check that your phone sets its clock automatically."
    ),
    Reason.OTP_REUSED: lambda: _(
        "This code has already been used. Wait for the next code (at most 30 seconds) and try "
        "again."
    ),
    Reason.INVALID_SIGNATURE: lambda: _(
        "The Token Key signature could not be verified. Check that your own Token Key is "
        "plugged in and try again."
    ),
    Reason.CHALLENGE_EXPIRED: lambda: _(
        "The Token Key login took too long or was already used. Start the login again."
    ),
    Reason.TOKEN_KEY_NOT_USABLE: lambda: _(
        "This Token Key cannot be used: it is not assigned to you, or it was reported lost or "
        "handed back. Contact your agency administrator."
    ),
}
