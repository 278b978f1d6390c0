"""BENCH ONLY — never deploy: the production settings with a fast password hasher, to measure
the gateway's own overhead without the cost of Argon2id (scenario (b) of `make bench`)."""

from gfms_portal.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "passwords.hashers.Argon2idNfkcHasher",
]
