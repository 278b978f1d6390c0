"""Password checks that take the same time whoever is asked about.

A wrong password must not tell an unknown user id from an officer imported with a slow legacy
hash (PBKDF2 with 1,000,000 iterations: ~300 ms here; bcrypt cost 12: ~270 ms) or from an
Argon2id officer (~25 ms). No choice of stored hash can make those verify at one cost — the
legacy hash has to be computed to be checked — so every answer that says
`invalid_credentials` (unknown, locked, wrong password) is held until a fixed floor after the
check began, above the slowest hash we store. A verification that takes longer than the
floor raises it for this process (up to a cap) and logs a warning once, so an unforeseen
hash leaks at most once per process. Correct passwords are never held: they answer as fast as
their hash allows (and are re-hashed with Argon2id on success).

The wait is a sleep, not work: it costs a worker thread, not a core. See docs/security.md.
"""

import logging
import threading
import time

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password

logger = logging.getLogger("auth_gateway")

FLOOR_CAP_SECONDS = 1.0  # never hold an answer longer than this, whatever was observed

_dummy_hash: str | None = None
_raised_floor = 0.0
_lock = threading.Lock()


def waste_a_password_hash(password: str) -> None:
    """Spend the time of one real password check (unknown or locked accounts)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = make_password("gfms dummy password for timing")
    check_password(password, _dummy_hash)


def password_floor() -> float:
    """Seconds a refused password check lasts at least (GFMS_PASSWORD_FLOOR_MS)."""
    return max(settings.GFMS_PASSWORD_FLOOR_MS / 1000, _raised_floor)


def wait_out_password_floor(started: float) -> None:
    """Hold an `invalid_credentials` answer until `started` (time.perf_counter()) + the floor."""
    global _raised_floor
    floor = password_floor()
    if floor <= 0:
        return
    elapsed = time.perf_counter() - started
    if elapsed > floor:
        with _lock:
            if elapsed > _raised_floor and elapsed <= FLOOR_CAP_SECONDS:
                if _raised_floor == 0.0:
                    # No user id or hash in the line: it is about the configuration.
                    logger.warning(
                        "a refused password check took %.0f ms, above GFMS_PASSWORD_FLOOR_MS "
                        "(%d ms): raise it, or slow stored hashes are told apart by timing",
                        elapsed * 1000,
                        settings.GFMS_PASSWORD_FLOOR_MS,
                    )
                _raised_floor = elapsed
        return
    time.sleep(floor - elapsed)
