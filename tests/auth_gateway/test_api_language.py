"""The gateway API speaks Thai unless its caller asks for English, and takes the one-time code
as officers type it: Thai digits, and the space or dash an authenticator app shows."""

import pytest
import time_machine

from agencies.models import Officer
from tests.auth_gateway.conftest import IN_WINDOW, code_at, soft_token_login

CHECK = "/api/v1/auth/check"
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
pytestmark = pytest.mark.django_db


def test_errors_are_thai_unless_the_caller_asks_for_english(api) -> None:
    body = {"username": "a", "password": "b", "method": "soft_token", "otp": "12345"}
    thai = api(CHECK, body, HTTP_ACCEPT_LANGUAGE="").json()
    assert thai == {"otp": ["รหัสใช้ครั้งเดียวต้องเป็นตัวเลข 6 หลัก"]}
    english = api(CHECK, body, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").json()
    assert english == {"otp": ["The one-time code is 6 digits."]}
    unknown_key = api(CHECK, body, HTTP_AUTHORIZATION="Bearer nope", HTTP_ACCEPT_LANGUAGE="")
    assert unknown_key.status_code == 401
    assert unknown_key.json()["detail"] == "ไม่รู้จัก service key นี้ หรือถูกเพิกถอนแล้ว"


def test_a_body_that_is_not_json_is_refused_in_thai(client, service_key: str) -> None:
    response = client.post(
        CHECK,
        b"not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {service_key}",
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("เนื้อหาคำขอไม่ใช่ JSON ที่ถูกต้อง")


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.translate(THAI_DIGITS),
        lambda code: f"{code[:3]} {code[3:]}",
        lambda code: f"{code[:3]}-{code[3:]}".translate(THAI_DIGITS),
    ],
    ids=["thai digits", "with a space", "thai with a dash"],
)
@time_machine.travel(IN_WINDOW, tick=False)
def test_the_code_is_taken_as_typed(api, registered: Officer, typed) -> None:
    body = soft_token_login("charlie", IN_WINDOW, otp=typed(code_at(IN_WINDOW)))
    answer = api(CHECK, body).json()
    assert (answer["decision"], answer["reason"]) == ("allow", "ok")
    # Still one-time: the same code in ASCII is the same code.
    again = api(CHECK, soft_token_login("charlie", IN_WINDOW)).json()
    assert again["reason"] == "otp_reused"
