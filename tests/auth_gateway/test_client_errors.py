"""What the client got wrong is a 4xx with a JSON error, never a 503 and never an ERROR log:
oversized bodies (413), bodies that are not one JSON object (400), and values that are not
JSON strings where the contract says string (400). Nothing is recorded or counted for them.
A genuine failure of ours still answers 503 and logs at ERROR."""

import io
import json
import logging

import pytest
import time_machine
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.test import Client

from agencies.models import Officer
from auth_gateway.api.errors import fail_closed
from auth_gateway.api.parsers import (
    MAX_BODY_BYTES,
    MAX_DEPTH,
    GatewayJSONParser,
    RequestBodyTooLarge,
)
from auth_gateway.models import LoginDecision
from tests.auth_gateway.conftest import IN_WINDOW, b64, code_at, soft_token_login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/auth/check"
CHALLENGE = "/api/v1/auth/challenge"


@pytest.fixture
def post_raw(client: Client, service_key: str):
    """POST bytes exactly as given (the `api` fixture would encode a dict itself)."""

    def call(path: str, body: bytes, content_type: str = "application/json"):
        return client.post(
            path,
            body,
            content_type=content_type,
            HTTP_AUTHORIZATION=f"Bearer {service_key}",
            HTTP_ACCEPT_LANGUAGE="en",
        )

    return call


@pytest.fixture
def watch(registered: Officer, caplog):
    """Asserts, after the test, that nothing was logged at ERROR, no decision was recorded and
    charlie's failure count did not move. The bodies below name charlie with a wrong code, so
    a body that slipped through to the service would be counted as a failure."""
    caplog.set_level(logging.INFO)
    yield
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], [record.getMessage() for record in errors]
    assert LoginDecision.objects.count() == 0
    assert Officer.objects.get(pk=registered.pk).failed_logins == 0
    # The password never reaches a log line, not even in a parse error.
    assert PASSWORD not in caplog.text


def wrong_code_body(**extra: object) -> dict[str, object]:
    return {**soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, 5)), **extra}


def encoded(payload: object) -> bytes:
    return json.dumps(payload).encode()


# --- too large: 413 -------------------------------------------------------------------------------


def test_a_10_mb_body_is_413_naming_the_limit(post_raw, watch) -> None:
    body = encoded(wrong_code_body(request_id="x" * (10 * 1024 * 1024)))
    response = post_raw(CHECK, body)
    assert response.status_code == 413
    assert response.json() == {
        "detail": f"The request body is larger than the gateway's limit of {MAX_BODY_BYTES} bytes.",
        "limit_bytes": MAX_BODY_BYTES,
    }


def test_the_limit_is_exact(post_raw, registered: Officer, caplog) -> None:
    # Padding with JSON whitespace keeps the body valid: at the limit it is decided (and the
    # wrong code counted), one byte over it is refused unread.
    base = encoded(wrong_code_body())
    at_limit = base[:-1] + b" " * (MAX_BODY_BYTES - len(base)) + b"}"
    assert len(at_limit) == MAX_BODY_BYTES
    with time_machine.travel(IN_WINDOW, tick=False):
        assert post_raw(CHECK, at_limit).json()["reason"] == "invalid_otp"
        over = at_limit[:-1] + b" }"
        assert post_raw(CHECK, over).status_code == 413
    assert LoginDecision.objects.count() == 1


def test_the_challenge_endpoint_has_the_same_limit(post_raw, watch) -> None:
    body = encoded({"username": "charlie", "serial": "DEMO-1", "pad": "x" * MAX_BODY_BYTES})
    response = post_raw(CHALLENGE, body)
    assert response.status_code == 413
    assert response.json()["limit_bytes"] == MAX_BODY_BYTES


def test_the_bytes_read_are_counted_not_only_the_declared_length() -> None:
    # A stream that holds more than it declared (or declared nothing) is cut at the limit.
    parser = GatewayJSONParser()
    with pytest.raises(RequestBodyTooLarge):
        parser.parse(io.BytesIO(b'{"a": "' + b"x" * MAX_BODY_BYTES + b'"}'), parser_context={})
    assert parser.parse(io.BytesIO(b'{"a": "x"}'), parser_context={}) == {"a": "x"}


def test_djangos_own_cap_is_a_413_too() -> None:
    # Should anything read request.body before our parser, Django raises RequestDataTooBig.
    response = fail_closed(RequestDataTooBig("too big"), {"view": None})
    assert response is not None
    assert response.status_code == 413
    assert response.data["limit_bytes"] == MAX_BODY_BYTES


# --- not one JSON object: 400 with a `detail` -----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"[" * 1000 + b"]" * 1000, f"The JSON nests deeper than {MAX_DEPTH} levels."),
        (b'{"a":' * 1000 + b"1" + b"}" * 1000, f"The JSON nests deeper than {MAX_DEPTH} levels."),
        (b'{"username": "charlie\xff"}', "The request body is not valid UTF-8."),
        (b'\xef\xbb\xbf{"username": "charlie"}', "The request body is not valid JSON"),
        (b'{"username": "charlie", "n": NaN}', "The request body is not valid JSON: NaN"),
        (b'{"n": Infinity}', "The request body is not valid JSON: Infinity"),
        (b'{"n": -Infinity}', "The request body is not valid JSON: -Infinity"),
        (b'{"n": ' + b"9" * 5000 + b"}", "The request body is not valid JSON"),
        (b'{"username": "charlie", "password": "', "The request body is not valid JSON"),
        (b"not json", "The request body is not valid JSON"),
        (b'[{"username": "charlie"}]', "The request body must be a JSON object."),
        (b'"charlie"', "The request body must be a JSON object."),
        (b"42", "The request body must be a JSON object."),
        (b"null", "The request body must be a JSON object."),
        (
            b'{"method": "password", "method": "soft_token"}',
            "The JSON object repeats a key.",
        ),
        (b'{"username": "\\ud800"}', "The JSON holds an unpaired surrogate"),
        (b'{"\\udfff": "x"}', "The JSON holds an unpaired surrogate"),
    ],
)
def test_bodies_that_are_not_one_json_object_are_400(
    post_raw, watch, body: bytes, detail: str
) -> None:
    response = post_raw(CHECK, body)
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    assert response.json()["detail"].startswith(detail)


def test_a_parse_error_does_not_quote_the_body(post_raw, watch) -> None:
    body = f'{{"username": "charlie", "password": "{PASSWORD}", "otp": 1e}}'.encode()
    response = post_raw(CHECK, body)
    assert response.status_code == 400
    assert PASSWORD not in response.content.decode()


def test_nesting_within_the_limit_reaches_the_fields(post_raw, watch) -> None:
    # Depth 8 parses; the field that wants a string says so.
    nested: object = "charlie"
    for _ in range(MAX_DEPTH - 1):
        nested = [nested]
    response = post_raw(CHECK, encoded(wrong_code_body(username=nested)))
    assert response.status_code == 400
    assert response.json() == {"username": ["Must be a string."]}


def test_brackets_inside_strings_do_not_count_as_nesting(post_raw, registered: Officer) -> None:
    with time_machine.travel(IN_WINDOW, tick=False):
        response = post_raw(CHECK, encoded(wrong_code_body(request_id="[{" * 40 + '\\"')))
    assert response.status_code == 200
    assert response.json()["request_id"] == "[{" * 40 + '\\"'


# --- strings where the contract says string: 400 by field -----------------------------------------


@pytest.mark.parametrize("value", [False, True, 0, 12345, 1.5, [], {}])
def test_challenge_id_must_be_a_json_string(post_raw, watch, value: object) -> None:
    body = {
        "username": "charlie",
        "password": PASSWORD,
        "method": "token_key",
        "challenge_id": value,
        "signature": b64(b"signature"),
    }
    response = post_raw(CHECK, encoded(body))
    assert response.status_code == 400
    assert response.json() == {"challenge_id": ["Must be a string."]}


@pytest.mark.parametrize(
    "field", ["username", "password", "otp", "signature", "client_ip", "request_id", "method"]
)
@pytest.mark.parametrize("value", [False, 0, 123456, [], {}])
def test_every_string_field_refuses_other_json_types(
    post_raw, watch, field: str, value: object
) -> None:
    body = wrong_code_body(signature=b64(b"signature"), client_ip="192.0.2.1", request_id="r1")
    body[field] = value
    response = post_raw(CHECK, encoded(body))
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("field", ["username", "serial"])
def test_challenge_fields_refuse_other_json_types(post_raw, watch, field: str) -> None:
    body: dict[str, object] = {"username": "charlie", "serial": "DEMO-1"}
    body[field] = 12345
    response = post_raw(CHALLENGE, encoded(body))
    assert response.status_code == 400
    assert field in response.json()


def test_a_string_uuid_is_still_accepted(post_raw, registered: Officer) -> None:
    body = {
        "username": "charlie",
        "password": PASSWORD,
        "method": "token_key",
        "challenge_id": "00000000-0000-0000-0000-000000000000",
        "signature": b64(b"signature"),
    }
    with time_machine.travel(IN_WINDOW, tick=False):
        response = post_raw(CHECK, encoded(body))
    # Past validation: the service decides (charlie has a soft token, so not this method).
    assert response.status_code == 200
    assert response.json()["decision"] == "deny"


# --- our own failures are still 503 and ERROR -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_genuine_failure_is_still_503_and_logged_at_error(
    post_raw, registered: Officer, caplog
) -> None:
    caplog.set_level(logging.INFO)
    table = LoginDecision._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        with time_machine.travel(IN_WINDOW, tick=False):
            response = post_raw(CHECK, encoded(soft_token_login("charlie", IN_WINDOW)))
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert any(
        record.levelno == logging.ERROR and record.name == "auth_gateway"
        for record in caplog.records
    )
    assert PASSWORD not in caplog.text


def test_the_schema_documents_413_on_the_bodies(client: Client) -> None:
    paths = client.get("/api/schema/?format=json").json()["paths"]
    for path in (CHECK, CHALLENGE):
        assert "413" in paths[path]["post"]["responses"], path
    assert "413" not in paths["/api/v1/auth/methods"]["get"]["responses"]
