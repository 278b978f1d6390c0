"""Demo Token Key key pairs, derived from the serial so that `sign_challenge` can sign for any
device that seed_demo created. Never use for real devices: anyone can derive these keys."""

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

DEMO_SERIAL_PREFIX = "DEMO-"
_P256_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)


def demo_private_key(serial: str) -> ec.EllipticCurvePrivateKey:
    if not serial.startswith(DEMO_SERIAL_PREFIX):
        raise ValueError(
            f"'{serial}' is not a demo device (serials start with {DEMO_SERIAL_PREFIX})"
        )
    digest = hashlib.sha256(f"gfms demo device {serial}".encode()).digest()
    scalar = int.from_bytes(digest, "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def demo_public_key_pem(serial: str) -> str:
    return (
        demo_private_key(serial)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def sign_with_demo_key(serial: str, challenge: bytes) -> str:
    """Base64 ECDSA P-256/SHA-256 signature of `challenge` by the demo device `serial`."""
    import base64

    from cryptography.hazmat.primitives import hashes

    signature = demo_private_key(serial).sign(challenge, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()
