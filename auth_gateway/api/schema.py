"""OpenAPI post-processing for the gateway schema."""

from typing import Any


def require_request_bodies(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Every POST of the gateway needs its JSON body; say so in the schema (drf-spectacular
    leaves a polymorphic body optional)."""
    for path_item in result.get("paths", {}).values():
        operation = path_item.get("post")
        if operation and "requestBody" in operation:
            operation["requestBody"]["required"] = True
    return result
