"""An independent TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s) for tests that act as the
officer's phone — deliberately not the project's code nor pyotp."""

import base64
import datetime as dt
import hashlib
import hmac
import struct


def phone_code(secret_b32: str, moment: dt.datetime, offset: int = 0) -> str:
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    counter = int(moment.timestamp()) // 30 + offset
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    start = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[start : start + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**6:06d}"
