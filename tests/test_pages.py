"""The base UI: Thai by default, English on request, BE dates, login, account, admin access."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from agencies.models import Officer
from schedule.models import Schedule
from tests.conftest import sign_in, streamed_body

pytestmark = pytest.mark.django_db


def login(client: Client, username: str) -> None:
    sign_in(client, username)


@time_machine.travel(dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC), tick=False)
def test_home_is_thai_by_default_with_be_dates(client: Client) -> None:
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="th">' in body
    assert "11 เมษายน 2568" in body  # registration closes, long BE date
    assert "12 เม.ย. 2568" in body  # soft token only from
    assert "เข้าสู่ระบบ" in body  # "Log in"
    assert 'name="viewport"' in body


@time_machine.travel(dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC), tick=False)
def test_language_switch_to_english(client: Client) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Log in" in body
    assert "11 Apr 2025 (BE 2568)" in body


@time_machine.travel(dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC), tick=False)
def test_an_english_browser_still_gets_thai(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    body = response.content.decode()
    assert '<html lang="th">' in body
    assert "เข้าสู่ระบบ" in body
    assert response["Content-Language"] == "th"


def test_english_once_chosen_stays_on_every_page(client: Client) -> None:
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    for path in ("/", "/login/", "/register/", "/nowhere/"):
        body = client.get(path, HTTP_ACCEPT_LANGUAGE="th", follow=True).content.decode()
        assert '<html lang="en">' in body, path
    client.post(reverse("set_language"), {"language": "th", "next": "/"})
    assert '<html lang="th">' in client.get("/login/").content.decode()


def test_an_unknown_language_cookie_falls_back_to_thai(client: Client) -> None:
    client.cookies["django_language"] = "fr"
    assert '<html lang="th">' in client.get("/").content.decode()


def test_api_docs_page_declares_its_language(client: Client) -> None:
    # The API contract is written in English for integrators: the page says so.
    body = client.get("/api/docs/").content.decode()
    assert '<html lang="en">' in body


@time_machine.travel(dt.datetime(2025, 1, 20, tzinfo=dt.UTC), tick=False)
def test_home_before_window_says_when_registration_opens(client: Client) -> None:
    assert "10 กุมภาพันธ์ 2568" in client.get("/").content.decode()


@time_machine.travel(dt.datetime(2025, 4, 11, 17, 0, tzinfo=dt.UTC), tick=False)
def test_home_at_cutover_says_soft_token_only(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert "phase-soft_token_only" in response.content.decode()


def test_demo_banner_only_for_demo_schedule(client: Client) -> None:
    assert "banner-demo" not in client.get("/").content.decode()
    Schedule.objects.filter(pk=Schedule.load().pk).update(is_demo=True)
    assert "banner-demo" in client.get("/").content.decode()


def test_thai_font_is_served_by_us(client: Client) -> None:
    css = streamed_body(client.get("/static/css/portal.css")).decode()
    assert 'font-family: "Sarabun"' in css
    font = client.get("/static/fonts/sarabun/Sarabun-Regular.ttf")
    assert font.status_code == 200
    assert streamed_body(font)[:4] == b"\x00\x01\x00\x00"


def test_wrong_password_is_refused_without_saying_which_part(client: Client, charlie) -> None:
    wrong_password = client.post(reverse("login"), {"username": "charlie", "password": "nope"})
    unknown_user = client.post(reverse("login"), {"username": "nobody", "password": "nope"})
    assert wrong_password.status_code == unknown_user.status_code == 200
    errors = [r.context["form"].non_field_errors() for r in (wrong_password, unknown_user)]
    assert errors[0] == errors[1]


def test_account_page_masks_citizen_id(client: Client, charlie) -> None:
    login(client, "charlie")
    body = client.get(reverse("account")).content.decode()
    assert charlie.masked_citizen_id in body
    assert "X-XXXX-XXXX" in body
    assert charlie.citizen_id not in body


def test_account_requires_login(client: Client) -> None:
    response = client.get(reverse("account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_only_central_admin_reaches_django_admin(client: Client, alice, bob, charlie) -> None:
    login(client, "alice")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/agencies/officer/").status_code == 200
    assert client.get("/admin/agencies/agency/").status_code == 200
    for username in ("bob", "charlie"):
        other = Client()
        login(other, username)
        response = other.get("/admin/")
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def test_healthz_answers_ok(client: Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_schedule_change_in_admin_is_validated_and_audited(client: Client, alice) -> None:
    from audit.models import AuditEvent

    login(client, "alice")
    url = f"/admin/schedule/schedule/{Schedule.load().pk}/change/"
    form = {
        "opens_date": "2568-02-10",
        "closes_date": "2568-04-18",
        "soft_token_only_from_date": "2568-04-19",
        "return_due_date": "2568-05-30",
    }
    assert client.post(url, form).status_code == 302
    assert Schedule.load().dates.closes == dt.date(2025, 4, 18)
    event = AuditEvent.objects.get(action="schedule.changed")
    assert event.actor == alice
    # A wrong order is refused and nothing changes.
    client.post(url, form | {"soft_token_only_from_date": "2568-04-01"})
    assert Schedule.load().dates.closes == dt.date(2025, 4, 18)
    assert AuditEvent.objects.filter(action="schedule.changed").count() == 1


def test_officer_edit_in_admin_is_audited(client: Client, alice, charlie) -> None:
    from audit.models import AuditEvent

    login(client, "alice")
    url = f"/admin/agencies/officer/{charlie.pk}/change/"
    form = {
        "username": "charlie",
        "name_th": charlie.name_th,
        "name_en": charlie.name_en,
        "email": "charlie.new@agency.example",
        "phone": "",
        "unit": charlie.unit_id,
        "role": "officer",
        "admin_scope": "",
        "is_active": "on",
        "citizen_id": "",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    charlie.refresh_from_db()
    assert charlie.email == "charlie.new@agency.example"
    event = AuditEvent.objects.get(action="officer.changed_by_admin")
    assert event.data == {"fields": ["email"]}
    assert event.actor == alice


def test_admin_refuses_a_duplicate_username_in_any_case(client: Client, alice, charlie) -> None:
    login(client, "alice")
    response = client.post(
        "/admin/agencies/officer/add/",
        {
            "username": "CHARLIE",
            "name_th": "ซ้ำ",
            "email": "dup@agency.example",
            "unit": charlie.unit_id,
            "role": "officer",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "มีผู้ใช้งานที่ใช้รหัสผู้ใช้ GFMS นี้อยู่แล้ว" in response.content.decode()
    assert Officer.objects.filter(username__iexact="charlie").count() == 1
