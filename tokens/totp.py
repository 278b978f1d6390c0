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
MIN_SECRET_BITS = 128


def time_step(at: dt.datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("TOTP needs an aware datetime")
    return int(at.timestamp()) // PERIOD


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).generate_otp(step)


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
    matches = []
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(code_at_step(secret, step), code):
            matches.append(step)
    return matches


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
