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


NO_NUL = r"^[^\x00]*$"


def forbid_nul_characters(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """DRF refuses NUL characters in strings (PostgreSQL cannot store them); document it on
    every free-text request field."""
    fields = [
        prop
        for name, component in result.get("components", {}).get("schemas", {}).items()
        if name.endswith("Request")
        for prop in component.get("properties", {}).values()
    ] + [
        parameter.get("schema", {})
        for path_item in result.get("paths", {}).values()
        for operation in path_item.values()
        for parameter in operation.get("parameters", [])
    ]
    for field in fields:
        if field.get("type") == "string" and not (
            {"pattern", "format", "enum", "anyOf"} & set(field)
        ):
            field["pattern"] = NO_NUL
    return result
