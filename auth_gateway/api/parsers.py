"""The gateway's own JSON parser: a broken or hostile client gets a 4xx, never a 503.

DRF's JSONParser reads the whole body through `request.body` (Django's 2.5 MB cap raises
RequestDataTooBig, which the fail-closed handler turned into 503) and lets Python's json
recurse until RecursionError (503 again). A login check is a flat object well under 4 KB, so
this parser reads at most MAX_BODY_BYTES, bounds the nesting before json sees the text, and
accepts only what the contract can mean: one UTF-8 JSON object, no duplicate keys, no NaN or
Infinity, no lone surrogates (PostgreSQL could not store them and the insert would fail).

Error messages never quote the body: it carries passwords and one-time codes.
"""

import json
from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser

# The largest body a valid check can have is about 12 KB: a 1,024-character password and a
# 150-character user id written entirely as \uXXXX escapes, plus a 4,096-character signature
# and a 100-character request id. 16 KiB leaves room for that and nothing more.
MAX_BODY_BYTES = 16 * 1024
# The contract's bodies are flat objects (depth 1). A little room, so that a nested value
# is refused by the field that does not accept it, with a field error, not here.
MAX_DEPTH = 8


class RequestBodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int = MAX_BODY_BYTES) -> None:
        self.limit = limit
        super().__init__(
            _("The request body is larger than the gateway's limit of %(limit)d bytes.")
            % {"limit": limit}
        )


class _DuplicateKey(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    # Python's json accepts NaN, Infinity and -Infinity; JSON (RFC 8259) does not.
    raise ValueError(f"{name} is not JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # {"method": "password", "method": "soft_token"}: which one a proxy or a log reader sees
    # is parser-dependent, so an ambiguous body is refused rather than resolved.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _nesting_depth_exceeds(text: str, limit: int) -> bool:
    """True when arrays/objects nest deeper than `limit` (brackets inside strings ignored).

    Checked before json.loads, whose recursion would otherwise end in RecursionError."""
    if text.count("[") + text.count("{") <= limit:  # not even that many brackets: done
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _has_lone_surrogate(value: Any) -> bool:
    # "\ud800" is valid JSON syntax but no Unicode text; depth is already bounded here.
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


class GatewayJSONParser(BaseParser):
    media_type = "application/json"

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        request = (parser_context or {}).get("request")
        if request is not None:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            # Refused before a byte is read: a 10 MB body costs us nothing.
            if declared > MAX_BODY_BYTES:
                raise RequestBodyTooLarge()
        # The declared length may be wrong (or absent): count what actually arrives too.
        raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        return parse_object(raw)


def parse_object(raw: bytes) -> dict[str, Any]:
    """The JSON object in `raw`, by the gateway's rules (size, UTF-8, depth, no repeated key,
    no NaN, no lone surrogate); ParseError or RequestBodyTooLarge naming what is wrong."""
    if len(raw) > MAX_BODY_BYTES:
        raise RequestBodyTooLarge()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError(_("The request body is not valid UTF-8.")) from None
    if _nesting_depth_exceeds(text, MAX_DEPTH):
        raise ParseError(_("The JSON nests deeper than %(depth)d levels.") % {"depth": MAX_DEPTH})
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)
    except _DuplicateKey:
        raise ParseError(_("The JSON object repeats a key.")) from None
    except (ValueError, RecursionError) as exc:
        # JSONDecodeError's message gives only a position; other ValueErrors (NaN, a
        # number of more than 4,300 digits) say what was wrong without quoting the body.
        if isinstance(exc, json.JSONDecodeError):
            reason = f"{exc.msg} at character {exc.pos}"
        else:
            reason = str(exc)
        raise ParseError(
            _("The request body is not valid JSON: %(reason)s.") % {"reason": reason}
        ) from None
    if not isinstance(data, dict):
        raise ParseError(_("The request body must be a JSON object."))
    # Only a \u escape can make one (strict UTF-8 decoding refuses encoded surrogates).
    if "\\u" in text and _has_lone_surrogate(data):
        raise ParseError(_("The JSON holds an unpaired surrogate (\\ud800–\\udfff)."))
    return data
