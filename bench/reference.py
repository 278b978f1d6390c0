"""(c) of `make bench`: the least a soft-token check must do, on the same framework.

A DRF function view under /api/v1/ (so the browser middleware skips it as it skips the
gateway's API, gfms_portal.browser_middleware), with no authentication, permission or
throttle: read the JSON body; ONE SELECT of the officer's active soft token (its id,
encrypted seed and last step used) by LOWER(username); decrypt the seed with the project's
encryption (gfms_portal.crypto); compare the code with pyotp over the gateway's window
(tokens.totp: the previous, current and next step, each compared); ONE conditional UPDATE
that consumes the step only if it is newer than the last one used. No password, no lockout,
no phase, no decision record: the gateway does those on top, and `make bench` prints the
gateway's rate as a fraction of this one.

BENCH ONLY: served by bench/settings_reference.py (bench/urls.py), never by the portal.
"""

import hmac
import time
from typing import Any

import pyotp
from django.db import connection
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.models import Officer
from tokens import totp
from tokens.models import SoftToken, SoftTokenStatus

PATH = "/api/v1/bench/reference"

_TOKEN_SQL = (
    "SELECT t.id, t.secret_encrypted, t.last_used_step"  # noqa: S608  (the models' tables)
    f" FROM {Officer._meta.db_table} o"
    f" JOIN {SoftToken._meta.db_table} t ON t.officer_id = o.id AND t.status = %s"
    " WHERE LOWER(o.username) = %s AND o.is_active"
)
_CONSUME_SQL = (
    f"UPDATE {SoftToken._meta.db_table} SET last_used_step = %s"  # noqa: S608  (the model's table)
    " WHERE id = %s AND (last_used_step IS NULL OR last_used_step < %s)"
)
_ACTIVE = SoftTokenStatus.ACTIVE.value


def matching_step(secret: str, code: str, *, at: float) -> int | None:
    """The latest step within the gateway's window whose code is `code`, or None. Every
    step of the window is compared (in constant time), as the gateway does."""
    otp = pyotp.TOTP(secret, digits=totp.DIGITS, interval=totp.PERIOD)
    now = int(at) // totp.PERIOD
    found = None
    for step in range(now - totp.DRIFT_STEPS, now + totp.DRIFT_STEPS + 1):
        if hmac.compare_digest(otp.generate_otp(step), code):
            found = step
    return found


def decide(data: Any, *, at: float) -> bool:
    if not isinstance(data, dict):
        return False
    username, code = data.get("username"), data.get("otp")
    if not isinstance(username, str) or not isinstance(code, str):
        return False
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_SQL, [_ACTIVE, username.strip().lower()])
        row = cursor.fetchone()
        if row is None:
            return False
        token_id, encrypted, last_step = row
        step = matching_step(SoftToken.secret.decrypt(encrypted), code, at=at)
        if step is None or (last_step is not None and step <= last_step):
            return False
        cursor.execute(_CONSUME_SQL, [step, token_id, step])
        return cursor.rowcount == 1


@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def reference_check(request: Request) -> Response:
    allowed = decide(request.data, at=time.time())
    return Response({"decision": "allow" if allowed else "deny"})
