"""Password hashing: Argon2id with explicit parameters at the OWASP floor.

OWASP Password Storage Cheat Sheet: Argon2id with m = 19 MiB, t = 2, p = 1. Django's default
(m = 100 MiB, p = 8) costs more memory per login than a 2-core gateway can afford under load;
these parameters are the documented minimum, stated here so that a change is deliberate.
Hashes made with other parameters (or imported in another format) verify and are re-hashed
with these on the officer's next successful login.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
