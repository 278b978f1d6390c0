"""Password hashing: Argon2id with explicit parameters from the OWASP list.

The OWASP Password Storage Cheat Sheet (the guidance OWASP ASVS 5.0 points to for parameters)
lists five Argon2id settings that give the same defence, trading memory for passes: m = 46 MiB
t = 1, 19 MiB t = 2, 12 MiB t = 3, 9 MiB t = 4, 7 MiB t = 5, all with p = 1. We use **m = 7 MiB,
t = 5**: on our 2-core servers it verifies in about the same time as 19 MiB t = 2 (15–16 ms
against 17–18 ms) and, because two of them fit in the caches the cores share, two cores
verify twice as many as one (1.01×, against 0.88–0.92× at 19 MiB). That is the difference
between a gateway that reaches 0.9 of the cores ÷ hash-time bound and one that cannot
(`make bench-argon2`, docs/performance.md). Django's default (m = 100 MiB, p = 8) costs more
memory per login than a 2-core gateway can afford under load.

Hashes made with other parameters (the 19 MiB t = 2 of earlier releases, or an imported format)
verify and are re-hashed with these on the officer's next successful login: one more hash for
that login. Change them well before a cutover morning, never on it.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    time_cost = 5
    memory_cost = 7 * 1024  # KiB
    parallelism = 1
