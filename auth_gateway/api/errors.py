"""Fail closed: any failure the API did not expect is a 503, never a 500 page and never an
allow. Only the exception type is logged — request bodies carry passwords and codes."""

import logging

from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger("auth_gateway")


def fail_closed(exc: Exception, context: dict) -> Response | None:  # type: ignore[type-arg]
    response = exception_handler(exc, context)
    if response is not None:
        return response
    view = context.get("view")
    logger.error(
        "gateway failure in %s: %s",
        getattr(view, "__name__", type(view).__name__),
        type(exc).__name__,
    )
    return Response(
        {"detail": "The gateway cannot decide right now; the login is not allowed."},
        status=503,
        headers={"Retry-After": "5"},
    )
