"""Argon2id (gfms_portal.hashers' parameters) over the password normalised with NFKC, as
NIST SP 800-63B-4 asks: the same password typed on another keyboard or phone (sara am "ำ" as
one character or as nikhahit + sara aa, full-width Latin letters) is the same password at
the portal, the gateway and the Django admin alike, since all of them go through the hasher.

The algorithm keeps its name ("argon2"), so no stored hash has to be re-made at anyone's
next login. A hash made before this hasher, from the password exactly as typed, still
verifies: when normalising changes what was typed, the typed form is tried after the
normalised one. (Only such passwords pay a second hash, and only when the first does not
match; a refused password's answer is held to the floor anyway: auth_gateway.passwords.)
"""

import unicodedata

from gfms_portal.hashers import Argon2idHasher


class Argon2idNfkcHasher(Argon2idHasher):
    def encode(self, password: str, salt: str) -> str:
        return super().encode(unicodedata.normalize("NFKC", password), salt)

    def verify(self, password: str, encoded: str) -> bool:
        normalised = unicodedata.normalize("NFKC", password)
        if super().verify(normalised, encoded):
            return True
        return normalised != password and super().verify(password, encoded)
