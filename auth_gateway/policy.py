"""The login rules of the CGD circular (DESIGN.md, "The rules"), as pure functions.

| phase             | registered officer | not registered            |
| ----------------- | ------------------ | ------------------------- |
| `before_window`   | `soft_token`       | `token_key`, `password`   |
| `window`          | `soft_token`       | `token_key`, `password`   |
| `soft_token_only` | `soft_token`       | nothing: `not_registered` |

Privileged accounts (administrators, auditors, Django staff) follow the registered officer's
rule in every phase: the soft token only, and nothing until they have one (`not_registered`).

Lockout: consecutive failures per officer. Every 10th failure locks the account, for 15
minutes the first time and twice as long each further time, capped at 1 hour; the 100th locks
it until an administrator unlocks it. Only a successful login resets the count.
"""

from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from schedule.policy import Phase


class Method(TextChoices):
    SOFT_TOKEN = "soft_token", _("Soft token")
    TOKEN_KEY = "token_key", _("Token Key")
    PASSWORD = "password", _("Username and password")


class Decision(TextChoices):
    ALLOW = "allow", _("Allowed")
    DENY = "deny", _("Denied")


class Reason(TextChoices):
    OK = "ok", _("Allowed")
    INVALID_CREDENTIALS = "invalid_credentials", _("Wrong user id or password")
    METHOD_NOT_ALLOWED = "method_not_allowed", _("Method not allowed now")
    NOT_REGISTERED = "not_registered", _("Not registered for a soft token")
    INVALID_OTP = "invalid_otp", _("Wrong one-time code")
    OTP_REUSED = "otp_reused", _("One-time code already used")
    LOCKED = "locked", _("Account locked")
    # Another check of the same account held its row longer than DB_LOCK_TIMEOUT_MS (a burst
    # of guesses): refused like a wrong password, not decided, not counted.
    ACCOUNT_BUSY = "account_busy", _("Account busy with another check")
    INVALID_SIGNATURE = "invalid_signature", _("Token Key signature invalid")
    CHALLENGE_EXPIRED = "challenge_expired", _("Token Key challenge expired or used")
    TOKEN_KEY_NOT_USABLE = "token_key_not_usable", _("Token Key not usable")


# Authenticator assurance level of each method (NIST SP 800-63B).
AAL = {Method.PASSWORD: 1, Method.SOFT_TOKEN: 2, Method.TOKEN_KEY: 2}

LEGACY_METHODS = (Method.TOKEN_KEY, Method.PASSWORD)
# The refusals of an officer who logs in without a soft token after the day it is the only way.
REFUSED_UNREGISTERED = (Reason.NOT_REGISTERED, Reason.METHOD_NOT_ALLOWED)


def allowed_methods(
    phase: Phase, registered: bool, *, privileged: bool = False
) -> tuple[Method, ...]:
    """The methods an officer may use at this phase. A registered officer (an active soft
    token) uses the soft token only, in every phase; a privileged account never has more."""
    if registered:
        return (Method.SOFT_TOKEN,)
    if phase == Phase.SOFT_TOKEN_ONLY or privileged:
        return ()
    return LEGACY_METHODS


def method_refusal(
    phase: Phase, registered: bool, method: Method, *, privileged: bool = False
) -> Reason | None:
    """Why `method` is refused (None when it is allowed)."""
    if method in allowed_methods(phase, registered, privileged=privileged):
        return None
    if not registered and (
        method == Method.SOFT_TOKEN or phase == Phase.SOFT_TOKEN_ONLY or privileged
    ):
        return Reason.NOT_REGISTERED
    return Reason.METHOD_NOT_ALLOWED


def methods_offered(phase: Phase) -> tuple[Method, ...]:
    """What a login form offers before anyone is identified: every method some account may
    use in this phase. The same for every user id, so that it reveals nobody's state; the
    check's answer after a correct password says which one this account needs."""
    if phase == Phase.SOFT_TOKEN_ONLY:
        return (Method.SOFT_TOKEN,)
    return (Method.SOFT_TOKEN, *LEGACY_METHODS)


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: Reason
    counts_as_failure: bool


def verdict(reason: Reason) -> Verdict:
    """Allow only on OK. Policy refusals after a correct password (method not allowed, not
    registered, locked) are not guesses and do not count toward the lockout; everything
    else that denies does."""
    if reason == Reason.OK:
        return Verdict(Decision.ALLOW, reason, counts_as_failure=False)
    not_a_guess = (
        Reason.METHOD_NOT_ALLOWED,
        Reason.NOT_REGISTERED,
        Reason.LOCKED,
        Reason.ACCOUNT_BUSY,
    )
    return Verdict(Decision.DENY, reason, counts_as_failure=reason not in not_a_guess)
