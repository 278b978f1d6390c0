"""A phone whose clock is off: the gateway measures how far (for the help desk and for the
officer once signed in), keeps it in the decision record, and still refuses the code; its
answer to the caller is the same as for any wrong code."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from agencies.models import Officer
from auth_gateway.models import LoginDecision
from tests.auth_gateway.conftest import IN_WINDOW, code_at, soft_token_login
from tests.auth_gateway.test_signin import password_only
from tests.conftest import sign_in
from tests.factories import DEMO_SECRET
from tokens import totp
from tokens.clock_skew import clock_advice, minutes_off

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/auth/check"


def a_code_that_matches_nothing(at: dt.datetime) -> str:
    """A six-digit code that is not DEMO_SECRET's code for any step within reach of `at`."""
    near = {
        code_at(at, offset)
        for offset in range(-totp.SKEW_REACH_STEPS - 1, totp.SKEW_REACH_STEPS + 2)
    }
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in near)


@pytest.mark.parametrize(
    ("offset", "measured"),
    [
        (0, None),  # accepted, not a skew
        (-1, None),
        (1, None),
        (2, 2),
        (-2, -2),
        (4, 4),
        (-7, -7),
        (totp.SKEW_REACH_STEPS, totp.SKEW_REACH_STEPS),
        (-totp.SKEW_REACH_STEPS, -totp.SKEW_REACH_STEPS),
        (totp.SKEW_REACH_STEPS + 1, None),  # further than that: just a wrong code
        (-totp.SKEW_REACH_STEPS - 1, None),
    ],
)
def test_clock_offset_measures_the_steps_outside_the_accepted_window(offset, measured) -> None:
    at = IN_WINDOW
    assert totp.clock_offset(DEMO_SECRET, code_at(at, offset), at=at) == measured


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12a456", "๑๒๓๔๕๖"])
def test_clock_offset_of_what_is_not_six_ascii_digits_is_none(typed) -> None:
    assert totp.clock_offset(DEMO_SECRET, typed, at=IN_WINDOW) is None


@time_machine.travel(IN_WINDOW, tick=False)
@pytest.mark.parametrize("offset", [4, -6])
def test_a_code_from_a_skewed_phone_is_refused_and_its_offset_recorded(
    api, registered: Officer, offset: int
) -> None:
    skewed = api(CHECK, soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, offset)))
    assert skewed.status_code == 200
    assert skewed.json()["decision"] == "deny" and skewed.json()["reason"] == "invalid_otp"
    decision = LoginDecision.objects.get()
    assert decision.reason == "invalid_otp"
    assert decision.clock_offset_steps == offset
    # The step was not consumed: the right code still logs in.
    ok = api(CHECK, soft_token_login("charlie", IN_WINDOW))
    assert ok.json()["decision"] == "allow"
    assert LoginDecision.objects.latest("id").clock_offset_steps is None


@time_machine.travel(IN_WINDOW, tick=False)
def test_the_answer_to_a_skewed_code_is_the_answer_to_any_wrong_code(
    api, registered: Officer
) -> None:
    """A code that matches a future step must not become a hint to whoever typed it."""
    skewed = api(
        CHECK,
        soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, 5), request_id="r"),
    )
    wrong = api(
        CHECK,
        soft_token_login(
            "charlie", IN_WINDOW, otp=a_code_that_matches_nothing(IN_WINDOW), request_id="r"
        ),
    )
    assert skewed.status_code == wrong.status_code == 200
    assert skewed.json() == wrong.json()
    assert sorted(skewed.headers) == sorted(wrong.headers)
    offsets = list(
        LoginDecision.objects.order_by("id").values_list("clock_offset_steps", flat=True)
    )
    assert offsets == [5, None]


@time_machine.travel(IN_WINDOW, tick=False)
def test_a_wrong_password_with_a_skewed_code_measures_nothing(api, registered: Officer) -> None:
    """Nothing about the code before the password is right."""
    body = soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, 3), password="wrong")
    assert api(CHECK, body).json()["reason"] == "invalid_credentials"
    assert LoginDecision.objects.get().clock_offset_steps is None


@pytest.mark.parametrize(
    ("offset", "minutes", "word"),
    [(2, 1, "fast"), (4, 2, "fast"), (5, 2, "fast"), (-3, 2, "slow"), (-20, 10, "slow")],
)
def test_clock_advice_says_how_many_minutes_and_which_way(offset, minutes, word) -> None:
    assert minutes_off(offset) == minutes
    with translation.override("en"):
        advice = clock_advice(offset)
    assert f"about {minutes} minute" in advice and word in advice
    with translation.override("th"):
        assert "นาฬิกา" in clock_advice(offset)


def test_a_step_up_with_a_skewed_code_says_the_clock_is_off(alice: Officer) -> None:
    with time_machine.travel(IN_WINDOW, tick=False):
        client = sign_in(Client(), "alice")
    # The sign-in's code counts as a step-up for five minutes; this one is asked after.
    later = IN_WINDOW + dt.timedelta(minutes=6)
    with time_machine.travel(later, tick=False):
        response = client.post(
            "/account/verify/",
            {"code": code_at(later, 6), "next": "account_recovery_codes"},
            HTTP_ACCEPT_LANGUAGE="th",
        )
        assert response.status_code == 200  # refused: the form again
        assert client.get("/account/recovery-codes/")["Location"].startswith("/account/verify/")
        with translation.override("th"):
            assert clock_advice(6) in response.content.decode()


@time_machine.travel(IN_WINDOW, tick=False)
def test_the_sign_in_code_step_gives_no_clock_hint(alice: Officer) -> None:
    """Before the sign-in is complete, a skewed code is just a wrong code."""
    client = password_only("alice")
    skewed = client.post("/login/code/", {"code": code_at(IN_WINDOW, 6)})
    wrong = password_only("alice").post(
        "/login/code/", {"code": a_code_that_matches_nothing(IN_WINDOW)}
    )
    assert skewed.status_code == wrong.status_code == 200
    with translation.override("th"):
        assert clock_advice(6) not in skewed.content.decode()
    assert "นาฬิกา" not in skewed.content.decode()


def _step_up(client: Client, code: str) -> str:
    response = client.post("/account/verify/", {"code": code, "next": "account_recovery_codes"})
    assert response.status_code == 200  # refused: the form again
    return response.content.decode()


def test_a_password_only_session_is_told_of_a_slow_phone_but_not_of_a_fast_one(
    registered: Officer,
) -> None:
    """An ordinary officer signs in with the password alone: whoever holds it must not learn
    when a guessed code will be accepted."""
    with time_machine.travel(IN_WINDOW, tick=False):
        client = sign_in(Client(), "charlie")
        fast = _step_up(client, code_at(IN_WINDOW, 6))
        slow = _step_up(client, code_at(IN_WINDOW, -6))
        with translation.override("th"):
            assert clock_advice(6) not in fast and "นาฬิกา" not in fast
            assert clock_advice(-6) in slow


def test_a_session_that_proved_the_phone_before_is_told_of_a_fast_one(
    registered: Officer,
) -> None:
    with time_machine.travel(IN_WINDOW, tick=False):
        client = sign_in(Client(), "charlie")
        client.post("/account/verify/", {"code": code_at(IN_WINDOW)})  # a step-up that passes
    later = IN_WINDOW + dt.timedelta(minutes=6)
    with time_machine.travel(later, tick=False):
        fast = _step_up(client, code_at(later, 6))
        with translation.override("th"):
            assert clock_advice(6) in fast


@time_machine.travel(IN_WINDOW, tick=False)
def test_a_used_code_typed_again_later_is_not_a_slow_phone(api, registered: Officer) -> None:
    """The code of the last accepted login, three minutes on, would measure as "6 steps slow":
    it is an old code typed again (or replayed), and the desk must not read it as a clock."""
    used = code_at(IN_WINDOW)
    assert (
        api(CHECK, soft_token_login("charlie", IN_WINDOW, otp=used)).json()["decision"] == "allow"
    )
    later = IN_WINDOW + dt.timedelta(minutes=3)
    with time_machine.travel(later, tick=False):
        again = api(CHECK, soft_token_login("charlie", later, otp=used))
        slow = api(CHECK, soft_token_login("charlie", later, otp=code_at(later, -4)))
    assert again.json()["reason"] == slow.json()["reason"] == "invalid_otp"
    offsets = list(
        LoginDecision.objects.order_by("id").values_list("clock_offset_steps", flat=True)
    )
    assert offsets == [None, None, -4]
