"""Django's own messages in Thai where Django's catalogue has none: length errors in forms,
the CSRF failure page, and no technical 404 page for officers when DEBUG is on (make run)."""

import pytest
from django import forms
from django.test import Client
from django.utils import translation

from tests.conftest import force_sign_in

pytestmark = pytest.mark.django_db


class Short(forms.Form):
    name = forms.CharField(max_length=32, min_length=5)
    amount = forms.DecimalField(max_digits=4, decimal_places=1)
    count = forms.IntegerField()


def test_length_and_number_errors_are_thai() -> None:
    with translation.override("th"):
        form = Short({"name": "x" * 40, "amount": "123.45", "count": "a"})
        assert not form.is_valid()
        assert form.errors["name"] == ["ต้องยาวไม่เกิน 32 ตัวอักษร (ที่กรอกมี 40 ตัว)"]
        assert form.errors["amount"] == ["ต้องมีตัวเลขรวมไม่เกิน 4 หลัก"]
        assert Short({"name": "abc"}).errors["name"] == ["ต้องยาวอย่างน้อย 5 ตัวอักษร (ที่กรอกมี 3 ตัว)"]


def test_a_too_long_citizen_id_is_answered_in_thai(charlie) -> None:
    client = force_sign_in(Client(), charlie)
    body = client.post("/register/", {"citizen_id": "1" * 40}).content.decode()
    assert "ต้องยาวไม่เกิน 32 ตัวอักษร (ที่กรอกมี 40 ตัว)" in body
    assert "Ensure this value" not in body


def test_the_csrf_failure_page_is_thai_with_the_next_step(charlie) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "charlie", "password": "x"})
    body = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="th">' in body
    assert "ส่งแบบฟอร์มนี้ไม่ได้" in body and "โหลดหน้าใหม่" in body
    assert "Referer" not in body and "CSRF verification failed" not in body


def test_no_technical_404_for_officers_under_debug(settings, charlie, alice) -> None:
    settings.DEBUG = True
    anonymous = Client().get("/no-such-page/")
    officer = force_sign_in(Client(), charlie).get("/manage/progress/")  # not an administrator
    for response in (anonymous, officer):
        body = response.content.decode()
        assert response.status_code == 404
        assert '<html lang="th">' in body and "ไม่พบหน้านี้" in body
        assert "URLconf" not in body and "Django tried these URL patterns" not in body
    # Django staff (central administrators, the developers of the demo) keep the technical page.
    staff = force_sign_in(Client(), alice).get("/no-such-page/")
    assert staff.status_code == 404 and "URLconf" in staff.content.decode()
    # The API keeps its own answers.
    assert Client().get("/api/v1/nowhere").status_code == 404
