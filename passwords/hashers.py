"""Argon2id (gfms_portal.hashers' parameters) over the password normalised with NFKC, as
NIST SP 800-63B-4 asks: the same password typed on another keyboard or phone (sara am "ำ" as
one character or as nikhahit + sara aa, full-width Latin letters) is the same password at
the portal, the gateway and the Django admin alike, since all of them go through the hasher.

Its hashes have an algorithm name of their own ("argon2nfkc$argon2id$…"), so that a refused
password costs one hash: the hasher knows each hash it reads was made from the NFKC form.
Hashes made before it ("argon2$…", the password exactly as typed) are read by
gfms_portal.hashers.Argon2idHasher, listed after it in PASSWORD_HASHERS, and re-made with
this one at the officer's next successful login (Django's upgrade on a changed hasher).
"""

import unicodedata

from gfms_portal.hashers import Argon2idHasher


class Argon2idNfkcHasher(Argon2idHasher):
    algorithm = "argon2nfkc"

    def encode(self, password: str, salt: str) -> str:
        return super().encode(unicodedata.normalize("NFKC", password), salt)

    def verify(self, password: str, encoded: str) -> bool:
        return super().verify(unicodedata.normalize("NFKC", password), encoded)
