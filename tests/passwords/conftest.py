"""Shared by the password tests: new passwords that pass the rules, the gateway's answer for
a password, and the e-mails the outbox holds."""

import datetime as dt

import pytest
from django.test import Client

from agencies.models import Officer
from outbox.models import OutboxMessage
from tests.auth_gateway.conftest import code_at
from tests.conftest import first_group
from tests.factories import SoftTokenFactory

# 1 Mar 2025 10:00 Bangkok, in the registration window (the gateway takes soft-token codes).
AT = dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC)
NEW_PASSWORD = "ฝนตกที่เชียงใหม่ทุกเย็นวันศุกร์"
OTHER_PASSWORD = "purple otter reads old maps"


@pytest.fixture
def registered(charlie: Officer) -> Officer:
    """charlie, with an active soft token on DEMO_SECRET."""
    SoftTokenFactory.create(officer=charlie)
    return charlie


def gateway(api, username: str, password: str, *, moment: dt.datetime, step: int = 1) -> dict:
    """The gateway's answer to a soft-token login (a step after the ones the flows used)."""
    response = api(
        "/api/v1/auth/check",
        {
            "username": username,
            "password": password,
            "method": "soft_token",
            "otp": code_at(moment, step),
        },
    )
    assert response.status_code == 200, response.content
    return response.json()


def emails(kind: str, officer: Officer | None = None) -> list[OutboxMessage]:
    rows = OutboxMessage.objects.filter(kind=kind).order_by("pk")
    if officer is not None:
        rows = rows.filter(to=officer.email)
    return list(rows)


def emailed_code(officer: Officer) -> str:
    """The 6-digit code of the officer's newest password reset e-mail."""
    message = emails("password_reset_code", officer)[-1]
    return first_group(r"(\d{6})", message.body_text)


def portal() -> Client:
    """A browser of its own (the `api` fixture's client carries no session)."""
    return Client()
