"""The gateway API (contract v1). Thin adapters: validate, call one service, shape the answer.

Any unexpected failure becomes 503 through auth_gateway.api.errors — never an allow.
"""

import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.db import connection
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    parser_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from auth_gateway.api.authentication import ClientQuota, ServiceClientAuthentication
from auth_gateway.api.parsers import MAX_BODY_BYTES, GatewayJSONParser
from auth_gateway.api.serializers import (
    CHECK_REQUEST_SCHEMA,
    ChallengeRequestSerializer,
    ChallengeResponseSerializer,
    CheckRequestSerializer,
    CheckResponseSerializer,
    ErrorSerializer,
    HealthSerializer,
    LimitErrorSerializer,
    MethodsQuerySerializer,
    MethodsResponseSerializer,
    plain_soft_token_check,
)
from auth_gateway.messages import guidance
from auth_gateway.models import ServiceClient
from auth_gateway.policy import AAL, Decision
from auth_gateway.services import (
    LoginAnswer,
    LoginAttempt,
    check_login,
    encode_challenge,
    issue_challenge,
    methods_for,
)
from gfms_portal import metrics
from gfms_portal.clock import now

_View = TypeVar("_View", bound=Callable[..., Response])

COMMON_ERRORS = {
    400: OpenApiResponse(
        description="Malformed input: field errors by name, or a `detail` when the body is "
        "not one JSON object (invalid UTF-8 or JSON, NaN/Infinity, a repeated key, nesting "
        "deeper than 8)"
    ),
    401: OpenApiResponse(ErrorSerializer, description="Missing, unknown or revoked service key"),
    429: OpenApiResponse(ErrorSerializer, description="The client exceeded its quota"),
    503: OpenApiResponse(ErrorSerializer, description="Internal failure: never an allow"),
}
# Only the POSTs read a body (GatewayJSONParser); a GET never answers 413.
BODY_ERRORS = {
    **COMMON_ERRORS,
    413: OpenApiResponse(
        LimitErrorSerializer, description=f"The body is larger than {MAX_BODY_BYTES} bytes"
    ),
}


def gateway(view: _View) -> _View:
    """Service key required; quota applies; bodies are parsed by GatewayJSONParser (size,
    depth and JSON rules that answer 400/413 instead of 503)."""
    view = parser_classes([GatewayJSONParser])(view)
    view = throttle_classes([ClientQuota])(view)
    view = permission_classes([IsAuthenticated])(view)
    return authentication_classes([ServiceClientAuthentication])(view)


@extend_schema(
    operation_id="auth_check",
    summary="Decide one GFMS login",
    request=CHECK_REQUEST_SCHEMA,
    responses={200: CheckResponseSerializer, **BODY_ERRORS},
)
@api_view(["POST"])
@gateway
def check(request: Request) -> Response:
    data = plain_soft_token_check(request.data)
    if data is None:
        incoming = CheckRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
    client = request.user
    assert isinstance(client, ServiceClient)  # noqa: S101  (gateway: ServiceClientAuthentication)
    return Response(decide(client, data))


def decide(client: ServiceClient, data: Mapping[str, Any]) -> dict[str, object]:
    """One login check of validated `data` for `client`: decided, recorded, counted in the
    metrics, and shaped as the answer (this view's, and auth_gateway.api.lean's)."""
    attempt = LoginAttempt(
        username=data["username"],
        password=data["password"],
        method=data["method"],
        otp=data.get("otp", ""),
        challenge_id=data.get("challenge_id"),
        signature=data.get("signature", b""),
        client_ip=data.get("client_ip"),
        request_id=data.get("request_id") or uuid.uuid4().hex,
    )
    answer = check_login(attempt, client=client, at=now())
    metrics.record_check(answer.decision, answer.recorded_reason or answer.reason, answer.method)
    return answer_json(answer)


def answer_json(answer: LoginAnswer) -> dict[str, object]:
    allowed = answer.decision == Decision.ALLOW
    officer = answer.officer
    return {
        "decision": answer.decision.value,
        "reason": answer.reason.value,
        "phase": answer.phase.value,
        "allowed_methods": [method.value for method in answer.allowed_methods],
        "aal": AAL[answer.method] if allowed and answer.method else None,
        "officer": (
            {
                "username": officer.username,
                "name_th": officer.name_th,
                "name_en": officer.name_en,
                "unit_code": getattr(officer, "unit_code", None)
                or (officer.unit.code if officer.unit else None),
                "role": officer.role,
            }
            if officer is not None
            else None
        ),
        "message": guidance(answer.reason, phase=answer.phase, schedule=answer.schedule),
        "request_id": answer.request_id,
    }


@extend_schema(
    operation_id="auth_challenge",
    summary="A one-time challenge for a Token Key signature (valid 120 s)",
    request=ChallengeRequestSerializer,
    responses={200: ChallengeResponseSerializer, **BODY_ERRORS},
)
@api_view(["POST"])
@gateway
def challenge(request: Request) -> Response:
    incoming = ChallengeRequestSerializer(data=request.data)
    incoming.is_valid(raise_exception=True)
    issued = issue_challenge(
        incoming.validated_data["username"], incoming.validated_data["serial"], at=now()
    )
    return Response(
        {
            "challenge_id": str(issued.id),
            "challenge": encode_challenge(issued.challenge),
            "expires_at": issued.expires_at.isoformat(),
        }
    )


@extend_schema(
    operation_id="auth_methods",
    summary="Which login methods to offer this officer now",
    parameters=[MethodsQuerySerializer],
    responses={200: MethodsResponseSerializer, **COMMON_ERRORS},
)
@api_view(["GET"])
@gateway
def methods(request: Request) -> Response:
    query = MethodsQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    answer = methods_for(at=now())  # the user id is validated, then deliberately unused
    return Response(
        {
            "phase": answer.phase.value,
            "allowed_methods": [method.value for method in answer.allowed_methods],
            "registered": None,
        }
    )


@extend_schema(
    operation_id="health",
    summary="Database reachable?",
    responses={200: HealthSerializer, 503: ErrorSerializer},
    auth=[],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def health(request: Request) -> Response:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Response({"status": "ok", "database": "ok"})
