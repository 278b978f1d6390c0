"""Password checks that take the same time whoever is asked about.

A wrong password must not tell an unknown user id from an officer imported with a slow legacy
hash (PBKDF2 with 1,000,000 iterations: ~300 ms here; bcrypt cost 12: ~270 ms) or from an
Argon2id officer (~25 ms). No choice of stored hash can make those verify at one cost — the
legacy hash has to be computed to be checked — so every answer that says
`invalid_credentials` (unknown, locked, wrong password) is held until a fixed floor after the
check began, above the slowest hash we store (GFMS_PASSWORD_FLOOR_MS). A hash that alone takes
longer than the floor is logged (once per process) as a configuration problem; the floor is
never raised at run time, since time spent waiting for a core under load would then raise it
for everyone. Correct passwords are never held.

The hash is computed before any row lock is taken (auth_gateway.services), so that requests
for one account do not queue behind each other's hashes; the wait is a sleep, which costs a
worker thread, not a core. See docs/security.md.
"""

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password

logger = logging.getLogger("auth_gateway")

_dummy_hash: str | None = None
_warned = False


def _stand_in_hash() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = make_password("gfms dummy password for timing")
    return _dummy_hash


# Every hash of a process is computed by one thread of its own (GFMS_PASSWORD_HASH_THREADS).
# A gthread worker serves each request in whichever of its threads is free, and argon2 gives
# each thread its own working memory (7 MiB at our parameters): hashing in the request's
# thread, each verification found its memory cold in the caches, and several verifications
# of one process shared a core with each other. In one thread they queue, the memory stays
# warm, and each costs what it costs alone (docs/performance.md: about 4 ms of CPU a check).
_hasher: ThreadPoolExecutor | None = None
_hasher_pid = 0
_hasher_lock = threading.Lock()


def _hash_threads() -> ThreadPoolExecutor:
    global _hasher, _hasher_pid
    if _hasher is None or _hasher_pid != os.getpid():  # created after gunicorn's fork
        with _hasher_lock:
            if _hasher is None or _hasher_pid != os.getpid():
                _hasher = ThreadPoolExecutor(
                    max_workers=settings.GFMS_PASSWORD_HASH_THREADS,
                    thread_name_prefix="password-hash",
                )
                _hasher_pid = os.getpid()
    return _hasher


# The hashes whose working memory is what the hash thread keeps warm. The others (PBKDF2,
# bcrypt: CPU only; MD5 and the like, imported and re-made at the first login) gain nothing
# from it and are checked in the request's thread, without the hand-over (about 45 µs).
MEMORY_HARD = frozenset({"argon2", "argon2nfkc", "scrypt"})


def _memory_hard(encoded: str | None) -> bool:
    """None: no account — the stand-in hash, made with the preferred hasher (Argon2id)."""
    if encoded is None:
        return _stand_in_hash().partition("$")[0] in MEMORY_HARD
    return encoded.partition("$")[0] in MEMORY_HARD


def _check(raw: str, encoded: str | None) -> tuple[bool, bool, float]:
    """(right, needs upgrade, seconds the hash took — not counting any wait for the thread)."""
    needs_upgrade: list[bool] = []
    started = time.perf_counter()
    if encoded is None:
        check_password(raw, _stand_in_hash())
        right = False
    else:
        right = check_password(raw, encoded, setter=lambda _raw: needs_upgrade.append(True))
    return right, bool(needs_upgrade), time.perf_counter() - started


def verify_password(encoded: str | None, raw: str) -> tuple[bool, bool]:
    """(is it right, should the stored hash be upgraded). With no account (`encoded` None) the
    time of one real check is spent all the same, and the answer is no."""
    global _warned
    if settings.GFMS_PASSWORD_HASH_THREADS > 0 and _memory_hard(encoded):
        right, upgrade, took = _hash_threads().submit(_check, raw, encoded).result()
    else:
        right, upgrade, took = _check(raw, encoded)
    floor = password_floor()
    if floor and took > floor and not _warned:
        _warned = True
        # No user id or hash in the line: it is about the configuration.
        logger.warning(
            "one password hash took %.0f ms, above GFMS_PASSWORD_FLOOR_MS (%d ms): raise it, "
            "or such hashes are told apart by the time of a refusal",
            took * 1000,
            settings.GFMS_PASSWORD_FLOOR_MS,
        )
    return right, upgrade


def password_floor() -> float:
    """Seconds a refused password check lasts at least."""
    return max(0, settings.GFMS_PASSWORD_FLOOR_MS) / 1000


def wait_out_password_floor(started: float) -> None:
    """Hold an `invalid_credentials` answer until `started` (time.perf_counter()) + the floor."""
    remaining = started + password_floor() - time.perf_counter()
    if remaining > 0:
        time.sleep(remaining)
