"""The common login check without DRF's request cycle: the same answer, at less cost.

Nearly every call the GFMS front-end makes is the same: a live service key, a JSON body, a
plain soft-token login, within the quota. For that call DRF's cycle — wrapping the request,
content negotiation with one renderer, an authenticator, a throttle and a permission class,
the Response's rendering — was a sixth of the worker's CPU per check. This view answers it
directly, through the same pieces DRF's view uses (`bearer_key`, `client_for`,
`parse_object`, `plain_soft_token_check`, `within_quota`, `check_login`, `answer_json`,
DRF's own JSON renderer), and hands everything else to the DRF view unchanged
(`views.check`): a missing or unknown key, another content type or Accept, a body of
another shape, an error to report, a client over its quota. Nothing is decided or counted
twice: the hand-over happens before the quota is counted, except for a refused quota, which
the DRF view counts once more and answers 429 (the client is over its limit either way).

tests/auth_gateway/test_lean_check.py holds the two paths to the same status, headers and
body, request by request; drf-spectacular documents the DRF view (the `cls` it carries).
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.renderers import JSONRenderer

from auth_gateway.api import views
from auth_gateway.api.authentication import bearer_key, client_for, within_quota
from auth_gateway.api.errors import failure_answer
from auth_gateway.api.parsers import MAX_BODY_BYTES, parse_object
from auth_gateway.api.serializers import plain_soft_token_check
from auth_gateway.models import ServiceClient

_RENDERER = JSONRenderer()
_drf_check = views.check  # everything that is not a plain call
# What DRF's view adds to every answer of `views.check` (APIView.default_response_headers).
_ALLOW = ", ".join(_drf_check.cls().allowed_methods)
_ACCEPTS_JSON = frozenset({"*/*", "application/json"})


@csrf_exempt
def check(request: HttpRequest) -> HttpResponse:
    if settings.GFMS_GATEWAY_LEAN_VIEW and (prepared := _plain_or_none(request)) is not None:
        client, data = prepared
        try:
            within = within_quota(client)[0]
        except Exception as exc:  # fail closed, as the DRF view does
            return _response(*failure_answer(exc, view="check"))
        if within:
            return _answer(client, data)
    return _drf_check(request)


def _plain_or_none(request: HttpRequest) -> tuple[ServiceClient, dict[str, Any]] | None:
    try:
        return _plain_call(request)
    except Exception:  # the database is down, say: DRF's view meets it again and answers 503
        return None


def _plain_call(request: HttpRequest) -> tuple[ServiceClient, dict[str, Any]] | None:
    """The client and validated data of a plain soft-token check, or None: then DRF's view
    takes the request as it came (nothing has been counted, and the body is kept for it)."""
    meta = request.META
    if (
        request.method != "POST"
        or meta.get("QUERY_STRING")  # DRF reads ?format=…: its view answers that
        or request.content_type != "application/json"
        or request.content_params
        or meta.get("HTTP_ACCEPT", "*/*") not in _ACCEPTS_JSON  # an empty Accept is a 406
    ):
        return None
    try:
        declared = int(meta["CONTENT_LENGTH"])
    except (KeyError, ValueError):
        return None  # no length (chunked) or a wrong one: the parser measures what arrives
    if not 0 < declared <= MAX_BODY_BYTES:
        return None
    key = bearer_key(meta.get("HTTP_AUTHORIZATION", ""))
    if key is None or (client := client_for(key)) is None:
        return None
    try:
        # request.body keeps the bytes: DRF's parser reads them again if the view is handed
        # the request.
        parsed = parse_object(request.body)
    except Exception:  # DRF's view answers it: 400, 413 or its 503
        return None
    if (data := plain_soft_token_check(parsed)) is None:
        return None
    return client, data


def _answer(client: ServiceClient, data: dict[str, Any]) -> HttpResponse:
    try:
        body = views.decide(client, data)
    except Exception as exc:  # fail closed, as the DRF view does
        return _response(*failure_answer(exc, view="check"))
    return _response(200, body, {})


def _response(status: int, body: Mapping[str, object], headers: Mapping[str, str]) -> HttpResponse:
    response = HttpResponse(
        _RENDERER.render(body), status=status, content_type=_RENDERER.media_type
    )
    response["Allow"] = _ALLOW
    for name, value in headers.items():
        response[name] = value
    return response
