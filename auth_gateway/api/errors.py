"""Fail closed: any failure the API did not expect is a 503, never a 500 page and never an
allow. Only the exception type is logged — request bodies carry passwords and codes.

What the client got wrong is not a failure of ours: DRF's own exceptions (400, 401, 413 from
auth_gateway.api.parsers, 415, 429, …) keep their status and are not logged at ERROR, so a
broken client never looks like an outage."""

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from rest_framework.response import Response
from rest_framework.views import exception_handler

from auth_gateway.api.parsers import RequestBodyTooLarge
from gfms_portal import metrics

logger = logging.getLogger("auth_gateway")


def fail_closed(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        # Django's own cap (DATA_UPLOAD_MAX_MEMORY_SIZE), should anything read request.body
        # before our parser does: still the client's oversized body, not our failure.
        exc = RequestBodyTooLarge()
    response = exception_handler(exc, context)
    if response is not None:
        if isinstance(exc, RequestBodyTooLarge):
            response.data["limit_bytes"] = exc.limit
        return response
    status, body, headers = failure_answer(exc, view=context.get("view"))
    return Response(body, status=status, headers=headers)


def failure_answer(exc: Exception, *, view: object) -> tuple[int, dict[str, str], dict[str, str]]:
    """The answer to a failure we did not expect (status, body, headers): 503, never an
    allow; counted and logged by its type only."""
    if metrics.is_database_error(exc):
        metrics.database_error("gateway_api")
    logger.error(
        "gateway failure in %s: %s",
        view if isinstance(view, str) else getattr(view, "__name__", type(view).__name__),
        type(exc).__name__,
    )
    return (
        503,
        {"detail": _("The gateway cannot decide right now; the login is not allowed.")},
        {"Retry-After": "5"},
    )
