"""Secrets at rest: encryption with rotating keys, and keyed hashes for matching.

GFMS_ENCRYPTION_KEYS lists Fernet keys, newest first. The newest encrypts; every listed key
decrypts, so a new key can be put in front and old rows re-encrypted at leisure.

A keyed hash (HMAC-SHA256, key derived from an encryption key with HKDF) lets us find a row by
a secret value (a citizen ID) without decrypting every row. Each hash carries a short id of the
key that made it, and lookups try every listed key, so rotation never breaks matching.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """Raised when a stored value cannot be decrypted with any configured key."""


@cache
def _keys(configured: tuple[str, ...]) -> tuple[list[Fernet], list[tuple[str, bytes]]]:
    if not configured:
        raise ImproperlyConfigured("GFMS_ENCRYPTION_KEYS is empty")
    fernets: list[Fernet] = []
    lookup_keys: list[tuple[str, bytes]] = []
    for raw in configured:
        try:
            fernets.append(Fernet(raw.encode()))
        except ValueError:
            raise ImproperlyConfigured(
                "GFMS_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64 bytes), "
                "comma-separated, newest first"
            ) from None
        key_id = hashlib.sha256(raw.encode()).hexdigest()[:8]
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"gfms lookup hash v1"
        ).derive(base64.urlsafe_b64decode(raw))
        lookup_keys.append((key_id, derived))
    return fernets, lookup_keys


def _configured() -> tuple[list[Fernet], list[tuple[str, bytes]]]:
    return _keys(tuple(settings.GFMS_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    fernets, _ = _configured()
    return MultiFernet(fernets).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    fernets, _ = _configured()
    try:
        return MultiFernet(fernets).decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("stored value cannot be decrypted with the configured keys") from None


def lookup_hash(value: str, *, purpose: str) -> str:
    """The keyed hash of `value` made with the newest key: "<key id>:<hex>"."""
    return lookup_hash_candidates(value, purpose=purpose)[0]


def lookup_hash_candidates(value: str, *, purpose: str) -> list[str]:
    """The keyed hash of `value` under every configured key, newest first (for lookups)."""
    _, lookup_keys = _configured()
    message = f"{purpose}\x00{value}".encode()
    return [
        f"{key_id}:{hmac.new(key, message, hashlib.sha256).hexdigest()}"
        for key_id, key in lookup_keys
    ]


def rotate(token: str) -> str:
    """Re-encrypt `token` with the newest key (it must decrypt with one of the listed keys)."""
    fernets, _ = _configured()
    try:
        return MultiFernet(fernets).rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("stored value cannot be decrypted with the configured keys") from None


def newest_key_id() -> str:
    _, lookup_keys = _configured()
    return lookup_keys[0][0]
