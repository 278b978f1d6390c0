import base64
import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from agencies.models import Officer
from auth_gateway.services import create_service_client
from tests.conftest import PASSWORD
from tests.factories import DEMO_SECRET, SoftTokenFactory, TokenKeyFactory
from tokens import totp
from tokens.models import TokenKey

# 1 Mar 2025 10:00 Bangkok: inside the circular's window.
IN_WINDOW = dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC)
# 20 Apr 2025 10:00 Bangkok: soft token only.
AFTER_CUTOVER = dt.datetime(2025, 4, 20, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def service_key(db) -> str:
    _client, key = create_service_client(
        "gfms-frontend", at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), actor_label="test"
    )
    return key


@pytest.fixture
def api(client: Client, service_key: str) -> Callable[..., object]:
    """POST/GET to the gateway with the service key."""

    def call(path: str, payload: dict | None = None, *, method: str = "post", **headers):
        headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {service_key}")
        # The error texts are checked in English here (the API answers in Thai unless the
        # caller asks: test_api_language.py).
        headers.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
        if method == "get":
            return client.get(path, payload or {}, **headers)
        return client.post(path, payload or {}, content_type="application/json", **headers)

    return call


@pytest.fixture
def registered(charlie: Officer) -> Officer:
    """charlie, with an active soft token on DEMO_SECRET."""
    SoftTokenFactory.create(officer=charlie)
    return charlie


@pytest.fixture
def device(dave: Officer) -> TokenKey:
    """dave's demo Token Key (ECDSA P-256)."""
    return TokenKeyFactory.create(serial="DEMO-DAVE-1", officer=dave, updated_at=IN_WINDOW)


def code_at(moment: dt.datetime, offset: int = 0) -> str:
    return totp.code_at_step(DEMO_SECRET, totp.time_step(moment) + offset)


def soft_token_login(username: str, moment: dt.datetime, **extra: object) -> dict[str, object]:
    return {
        "username": username,
        "password": PASSWORD,
        "method": "soft_token",
        "otp": code_at(moment),
        **extra,
    }


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
