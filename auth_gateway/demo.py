"""A demo of the GFMS login page (/demo/gfms-login/): it plays the GFMS front-end, asking the
gateway over HTTP which methods an officer has and then whether to let them in, exactly as a
real client does. On only in DEBUG or with GFMS_DEMO_FRONTEND=true.

Its service key is derived from SECRET_KEY, so it never has to be stored or shown.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agencies.policy import Role
from auth_gateway.models import ServiceClient, hash_key
from auth_gateway.policy import Decision, Method, Reason
from auth_gateway.services import KEY_PREFIX
from gfms_portal.clock import bangkok_date, now
from schedule.models import Schedule
from schedule.policy import Phase
from schedule.services import change_schedule
from tokens.demo import DEMO_SERIAL_PREFIX, sign_with_demo_key

DEMO_CLIENT = "demo-frontend"
TIMEOUT_SECONDS = 10


def _require_demo() -> None:
    if not settings.GFMS_DEMO_FRONTEND:
        raise Http404("the demo front-end is off")


def demo_key() -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), b"gfms demo front-end key", hashlib.sha256)
    key = KEY_PREFIX + "demo_" + digest.hexdigest()
    ServiceClient.objects.get_or_create(
        name=DEMO_CLIENT,
        defaults={"key_prefix": key[:12], "key_hash": hash_key(key), "created_at": now()},
    )
    return key


def call_gateway(
    request: HttpRequest, path: str, payload: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    """One HTTP call to our own gateway API, as the GFMS front-end would make it."""
    url = request.build_absolute_uri(path)
    data = json.dumps(payload).encode() if payload is not None else None
    outgoing = urllib.request.Request(  # noqa: S310  (our own URL)
        url,
        data=data,
        method="POST" if data is not None else "GET",
        headers={"Authorization": f"Bearer {demo_key()}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(outgoing, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@require_http_methods(["GET", "POST"])
def gfms_login(request: HttpRequest) -> HttpResponse:
    _require_demo()
    context: dict[str, Any] = {"phases": Phase, "schedule_is_demo": Schedule.load().is_demo}
    username = (request.POST.get("username") or request.GET.get("username") or "").strip()
    if not username:
        return render(request, "auth_gateway/demo_gfms_login.html", context)
    status, methods = call_gateway(
        request, "/api/v1/auth/methods?" + urlencode({"username": username})
    )
    context.update(username=username, methods=methods, methods_status=status)
    context.update(labels_of(methods))
    step = request.POST.get("step")
    if step == "challenge":
        serial = request.POST.get("serial", "").strip()
        status, challenge = call_gateway(
            request, "/api/v1/auth/challenge", {"username": username, "serial": serial}
        )
        context.update(
            challenge=challenge, challenge_status=status, serial=serial, method=Method.TOKEN_KEY
        )
        if (
            status == 200
            and serial.startswith(DEMO_SERIAL_PREFIX)
            and request.POST.get("demo_sign")
        ):
            context["signature"] = sign_with_demo_key(
                serial, base64.b64decode(challenge["challenge"])
            )
    elif step == "check":
        payload = {
            "username": username,
            "password": request.POST.get("password", ""),
            "method": request.POST.get("method", ""),
            "client_ip": request.META.get("REMOTE_ADDR"),
        }
        for name in ("otp", "challenge_id", "signature"):
            if request.POST.get(name):
                payload[name] = request.POST[name].strip()
        status, answer = call_gateway(request, "/api/v1/auth/check", payload)
        context.update(answer=answer, answer_status=status, method=payload["method"])
        context.update(labels_of(answer))
    return render(request, "auth_gateway/demo_gfms_login.html", context)


def labels_of(body: object) -> dict[str, Any]:
    """The words for the codes of a gateway answer (the page shows both: the words for the
    person trying it, the code for the integrator reading the contract)."""
    if not isinstance(body, dict):
        return {}
    found: dict[str, Any] = {}
    words = {"phase": Phase, "reason": Reason, "decision": Decision}
    for key, choices in words.items():
        if body.get(key) in choices.values:
            found[f"{key}_label"] = choices(body[key]).label
    methods = [m for m in body.get("allowed_methods") or [] if m in Method.values]
    found["methods_label"] = ", ".join(str(Method(m).label) for m in methods)
    officer = body.get("officer")
    if isinstance(officer, dict) and officer.get("role") in Role.values:
        found["role_label"] = Role(officer["role"]).label
    return found


@require_POST
def demo_phase(request: HttpRequest) -> HttpResponse:
    """Shift the demo schedule so that today falls in the chosen phase (demo schedules only)."""
    _require_demo()
    schedule = Schedule.load()
    wanted = request.POST.get("phase")
    if not schedule.is_demo or wanted not in Phase.values:
        messages.error(request, _("Only a demo schedule can be shifted from here."))
        return redirect("demo-gfms-login")
    at = now()
    today = bangkok_date(at)
    day = dt.timedelta(days=1)
    opens = {
        Phase.BEFORE_WINDOW: today + 10 * day,
        Phase.WINDOW: today - 40 * day,
        Phase.SOFT_TOKEN_ONLY: today - 70 * day,
    }[Phase(wanted)]
    closes = opens + 60 * day
    change_schedule(
        at=at,
        actor_label="demo front-end",
        opens=opens,
        closes=closes,
        soft_token_only_from=closes + day,
        return_due=closes + 49 * day,
        is_demo=True,
    )
    messages.success(
        request,
        _("The demo schedule now puts today in: %(phase)s") % {"phase": Phase(wanted).label},
    )
    return redirect("demo-gfms-login")
