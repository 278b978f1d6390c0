"""Refused password checks wait out a floor (auth_gateway.passwords), so that their time does
not tell an unknown user id from an imported legacy hash or an Argon2 officer. Only lower
bounds are asserted (a sleep guarantees them on any machine); the medians of the three are
compared in `make bench` (bench/password_timing.py)."""

import time

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

from agencies.models import Officer
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
FLOOR_MS = 250


def timed_refusal(client: Client, username: str) -> float:
    started = time.perf_counter()
    response = client.post("/login/", {"username": username, "password": "wrong password"})
    assert response.status_code == 200 and b'role="alert"' in response.content
    return time.perf_counter() - started


def test_refused_passwords_take_at_least_the_floor_whoever_is_asked(
    settings, charlie, dave
) -> None:
    settings.GFMS_PASSWORD_FLOOR_MS = FLOOR_MS
    Officer.objects.filter(pk=dave.pk).update(password=make_password(PASSWORD, hasher="md5"))
    client = Client()
    for username in ("nobody", "charlie", "dave"):
        assert timed_refusal(client, username) >= FLOOR_MS / 1000, username


def test_a_correct_password_is_not_held(settings, charlie) -> None:
    settings.GFMS_PASSWORD_FLOOR_MS = 5_000  # a hold this long would be unmistakable
    started = time.perf_counter()
    response = Client().post("/login/", {"username": "charlie", "password": PASSWORD})
    assert response.status_code == 302
    assert time.perf_counter() - started < 4.0


def test_a_slow_hash_is_reported_and_never_raises_the_floor(settings, caplog) -> None:
    """Time spent waiting for a core must not raise the floor for everyone (review finding);
    a hash slower than the floor is a configuration problem, logged without user data."""
    from auth_gateway import passwords

    settings.GFMS_PASSWORD_FLOOR_MS = 1
    slow = make_password("x", hasher="pbkdf2_sha256")  # ~300 ms, far above 1 ms
    passwords._warned = False
    with caplog.at_level("WARNING", logger="auth_gateway"):
        assert passwords.verify_password(slow, "wrong") == (False, False)
    assert passwords.password_floor() == 0.001
    assert "GFMS_PASSWORD_FLOOR_MS" in caplog.text and "wrong" not in caplog.text
