"""TOTP as the GFMS authenticator apps use it: RFC 6238 with SHA-1, 6 digits, 30-second steps.

Pure functions on a base32 secret and an aware moment. Replay protection (each time step
accepted once) is the service's job: it records the step a code was accepted for.
"""

import base64
import datetime as dt
import hmac

import pyotp

DIGITS = 6
PERIOD = 30  # seconds
DRIFT_STEPS = 1  # accept the previous and the next step too (±30 s of clock drift)
# How far a refused code is looked for, to tell an officer (and the help desk) that the phone's
# clock is off — never to accept it. ±20 steps is ±10 minutes: further off than that, "wrong
# code" is the likelier story, and a random wrong code matches one of the 40 steps with a
# chance of 4 in 100,000.
SKEW_REACH_STEPS = 20
MIN_SECRET_BITS = 128


def time_step(at: dt.datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("TOTP needs an aware datetime")
    return int(at.timestamp()) // PERIOD


def code_at_step(secret: str, step: int) -> str:
    return _totp(secret).generate_otp(step)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)


def matching_steps(
    secret: str, code: str, *, at: dt.datetime, window: int = DRIFT_STEPS
) -> list[int]:
    """The time steps within ±`window` of `at` whose code is `code` (usually none or one).

    Every step in the window is compared, in constant time, whatever matches first, so the
    time taken does not tell which step matched.
    """
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return []
    now = time_step(at)
    otp = _totp(secret)
    matches = []
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(otp.generate_otp(step), code):
            matches.append(step)
    return matches


def clock_offset(
    secret: str, code: str, *, at: dt.datetime, reach: int = SKEW_REACH_STEPS
) -> int | None:
    """How many steps away from `at` a code that is not accepted would have been right (+2:
    the phone's clock is a minute fast), within ±`reach` but outside the accepted window;
    None if it matches none. The nearest match wins. A measurement for the officer and the
    help desk: the code stays refused.

    Every step in reach is compared, in constant time, so the time taken does not tell
    whether or where it matched."""
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    now = time_step(at)
    otp = _totp(secret)
    nearest: int | None = None
    for offset in range(-reach, reach + 1):
        matched = hmac.compare_digest(otp.generate_otp(now + offset), code)
        if (
            matched
            and abs(offset) > DRIFT_STEPS
            and (nearest is None or abs(offset) < abs(nearest))
        ):
            nearest = offset
    return nearest


def secret_bits(secret: str) -> int:
    """How many bits a base32 secret holds (raises ValueError if it is not base32)."""
    normalised = normalise_secret(secret)
    try:
        return len(base64.b32decode(normalised + "=" * (-len(normalised) % 8))) * 8
    except ValueError:  # binascii.Error: not base32
        raise ValueError("not a base32 secret") from None


def normalise_secret(secret: str) -> str:
    """Upper case, no spaces, dashes or padding: "jbsw y3dp" → "JBSWY3DP"."""
    return secret.replace(" ", "").replace("-", "").rstrip("=").upper()


def new_secret() -> str:
    """A fresh 160-bit secret (RFC 4226 recommends the HMAC-SHA1 output size)."""
    return pyotp.random_base32(length=32)
