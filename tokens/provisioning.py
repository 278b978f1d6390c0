"""What an authenticator app needs to add a token: the otpauth:// URI and its QR code.

The QR code is drawn here, on the server, as inline SVG: no external service ever sees the
secret, and the page needs no image request that could be cached.
"""

from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings

from tokens import totp


def provisioning_uri(username: str, secret: str) -> str:
    issuer = settings.GFMS_TOTP_ISSUER
    label = quote(f"{issuer}:{username}", safe=":")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": totp.DIGITS,
            "period": totp.PERIOD,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def qr_svg(data: str) -> str:
    """An SVG <svg> element (no XML declaration), medium error correction, 4-module border."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=10)
    code.add_data(data)
    code.make(fit=True)
    image = code.make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    svg = image.to_string(encoding="unicode")
    return svg.split("?>", 1)[-1].strip()


def grouped(secret: str, size: int = 4) -> str:
    """The key for typing by hand: "JBSW Y3DP EHPK 3PXP"."""
    return " ".join(secret[i : i + size] for i in range(0, len(secret), size))
