"""Privileged accounts: password + their own soft token, one sign-in path, step-up in the
services, the Django admin audited, and the first administrator's bootstrap link."""

import datetime as dt
import re
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from agencies.lockout import unlock_officer
from agencies.models import Agency, Officer
from agencies.permissions import StepUpRequired
from agencies.policy import Role
from audit.models import AuditEvent
from registration.services import Delivery, issue_late_registration_code, reset_soft_token
from tests.conftest import PASSWORD, force_sign_in, next_code, streamed_body
from tests.factories import DEMO_SECRET, MinistryFactory, OfficerFactory, SoftTokenFactory
from tokens import totp
from tokens.models import SoftToken, SoftTokenStatus

pytestmark = pytest.mark.django_db
AT = dt.datetime(2025, 3, 3, 3, 0, tzinfo=dt.UTC)  # in the window
PAGES = [
    "/account/",
    "/manage/progress/",
    "/manage/officers/",
    "/manage/officers/charlie/",
    "/manage/officer-list/",
    "/manage/officer-list.csv",
    "/manage/schedule/",
    "/manage/audit-log/",
    "/manage/token-keys/",
    "/admin/",
    "/admin/agencies/officer/",
    "/account/replace-phone/",
]


def password_only(username: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@time_machine.travel(AT, tick=False)
@pytest.mark.parametrize("username", ["alice", "bob", "erin"])
def test_password_alone_reaches_nothing_but_the_code_step(username, alice, bob, erin, charlie):
    client = password_only(username)
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith("/login/code/"), (page, response["Location"])
    # Acting is refused the same way, and nothing happens.
    client.post("/manage/officers/charlie/", {"action": "unlock"})
    assert not AuditEvent.objects.filter(action="officer.unlocked").exists()


@time_machine.travel(AT, tick=False)
def test_the_code_completes_the_sign_in(alice, charlie) -> None:
    client = password_only("alice")
    step = client.get("/manage/progress/")["Location"]
    response = client.post(step, {"code": totp.code_at_step(DEMO_SECRET, totp.time_step(AT))})
    assert response["Location"] == "/manage/progress/"
    assert client.get("/manage/progress/").status_code == 200
    assert client.get("/admin/").status_code == 200
    actions = list(
        AuditEvent.objects.filter(officer=alice).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["portal.signed_in", "portal.second_factor_passed"]


@time_machine.travel(AT, tick=False)
def test_a_used_code_does_not_sign_in_twice(alice) -> None:
    code = totp.code_at_step(DEMO_SECRET, totp.time_step(AT))
    first = password_only("alice")
    assert first.post("/login/code/", {"code": code})["Location"] == "/account/"
    second = password_only("alice")
    response = second.post("/login/code/", {"code": code})
    assert response.status_code == 200  # the form again, with the reason
    assert second.get("/manage/progress/")["Location"].startswith("/login/code/")


@time_machine.travel(AT, tick=False)
def test_wrong_codes_share_the_lockout_and_a_locked_account_answers_like_a_wrong_password(
    alice,
) -> None:
    client = password_only("alice")
    for _ in range(10):
        client.post("/login/code/", {"code": "000000"})
    alice.refresh_from_db()
    assert alice.failed_logins == 10 and alice.locked_until is not None
    # The session ended with the lock; the right password now gets the generic refusal.
    assert client.get("/account/")["Location"].startswith("/login/")
    locked = Client().post("/login/", {"username": "alice", "password": PASSWORD})
    wrong = Client().post("/login/", {"username": "alice", "password": "wrong password"})
    unknown = Client().post("/login/", {"username": "nobody", "password": "wrong password"})
    assert locked.status_code == wrong.status_code == unknown.status_code == 200
    assert locked.content.count(b'role="alert"') == wrong.content.count(b'role="alert"') == 1
    assert AuditEvent.objects.filter(action="portal.second_factor_failed").count() == 10


@time_machine.travel(AT, tick=False)
def test_an_administrator_without_a_token_can_only_register(cgd_tree) -> None:
    OfficerFactory.create(
        username="newadmin", role=Role.AGENCY_ADMIN, unit=None, admin_scope=cgd_tree["cgd"]
    )
    client = password_only("newadmin")
    for page in PAGES:
        assert client.get(page)["Location"] == "/register/", page
    register = client.get("/register/")
    assert register.status_code == 200  # registration is open to administrators whatever the date
    assert "citizen_id" in register.content.decode()


def test_the_django_admin_has_no_login_form_of_its_own(client: Client, alice) -> None:
    response = client.get("/admin/login/?next=/admin/agencies/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/admin/agencies/")
    # A password posted to it signs nobody in and is not evaluated.
    client.post("/admin/login/", {"username": "alice", "password": PASSWORD})
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert not AuditEvent.objects.filter(action__startswith="portal.").exists()


def test_sensitive_services_refuse_without_a_fresh_code(alice, bob, charlie) -> None:
    stale = AT - dt.timedelta(minutes=6)
    for stepped_up_at in (None, stale):
        with pytest.raises(StepUpRequired):
            reset_soft_token(
                charlie,
                actor=bob,
                reason="lost phone",
                delivery=Delivery.EMAIL,
                at=AT,
                stepped_up_at=stepped_up_at,
            )
        with pytest.raises(StepUpRequired):
            issue_late_registration_code(
                charlie,
                actor=bob,
                days=3,
                delivery=Delivery.EMAIL,
                at=AT,
                stepped_up_at=stepped_up_at,
            )
        with pytest.raises(StepUpRequired):
            unlock_officer(charlie, actor=bob, at=AT, stepped_up_at=stepped_up_at)
    assert not AuditEvent.objects.exists()
    unlock_officer(charlie, actor=bob, at=AT, stepped_up_at=AT - dt.timedelta(minutes=4))
    assert AuditEvent.objects.filter(action="officer.unlocked").count() == 1


def test_an_old_step_up_asks_for_a_code_in_the_form_and_the_code_does_it(bob, charlie) -> None:
    SoftTokenFactory.create(officer=charlie)
    with time_machine.travel(AT, tick=False):
        client = force_sign_in(Client(), bob)
    later = AT + dt.timedelta(minutes=10)
    with time_machine.travel(later, tick=False):
        page = client.get("/manage/officers/charlie/").content.decode()
        assert 'name="step_up_code"' in page
        form = {"action": "reset", "reason": "lost phone", "delivery": "email"}
        client.post("/manage/officers/charlie/", form)
        assert SoftToken.objects.get(officer=charlie).status == SoftTokenStatus.ACTIVE
        code = next_code(bob)
        client.post("/manage/officers/charlie/", form | {"step_up_code": code})
        assert SoftToken.objects.get(officer=charlie).status == SoftTokenStatus.REVOKED
        assert 'name="step_up_code"' not in client.get("/manage/officers/charlie/").content.decode()


def test_an_export_of_personal_data_needs_a_fresh_code_and_is_audited(bob, charlie) -> None:
    with time_machine.travel(AT, tick=False):
        client = force_sign_in(Client(), bob)
    with time_machine.travel(AT + dt.timedelta(minutes=10), tick=False):
        response = client.get("/manage/officer-list.csv")
        assert response["Location"] == "/account/verify/?next=%2Fmanage%2Fofficer-list.csv"
        back = client.post(response["Location"], {"code": next_code(bob)})
        assert back["Location"] == "/manage/officer-list.csv"
        download = client.get("/manage/officer-list.csv")
        assert download.status_code == 200
        streamed_body(download)
    event = AuditEvent.objects.get(action="export.downloaded")
    assert event.actor == bob and event.data["export"] == "officer-list.csv"


@time_machine.travel(AT, tick=False)
def test_every_change_in_the_django_admin_is_audited(alice) -> None:
    client = force_sign_in(Client(), alice)
    ministry = MinistryFactory.create(code="77", name_th="กระทรวงทดลอง")
    change = f"/admin/agencies/agency/{ministry.pk}/change/"
    form = {
        "code": "77",
        "name_th": "กระทรวงทดลอง ใหม่",
        "name_en": ministry.name_en,
        "region": "",
        "province": "",
        "is_active": "on",
    }
    assert client.post(change, form).status_code == 302
    assert (
        client.post(f"/admin/agencies/agency/{ministry.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    assert not Agency.objects.filter(code="77").exists()
    changed, deleted = AuditEvent.objects.filter(action__startswith="admin.").order_by("pk")
    assert (changed.action, changed.data["fields"]) == ("admin.changed", ["Name (Thai)"])
    assert (deleted.action, deleted.data["model"], deleted.actor) == (
        "admin.deleted",
        "agencies.agency",
        alice,
    )
    # Bulk deletion (not atomic in Django) is not offered.
    listing = client.get("/admin/agencies/agency/").content.decode()
    assert "delete_selected" not in listing


@time_machine.travel(AT, tick=False)
def test_bootstrap_link_registers_the_first_central_administrator(db) -> None:
    root = OfficerFactory.create(username="root.admin", role=Role.CENTRAL_ADMIN, unit=None)
    out = StringIO()
    call_command("bootstrap_admin", "root.admin", stdout=out)
    link = re.search(r"http\S+/register/bootstrap/(\S+)/", out.getvalue())
    assert link is not None
    path = link.group(0).split("8000", 1)[-1] if "8000" in link.group(0) else link.group(0)
    client = Client()
    # The link needs the password first, then leads to the QR step without a citizen ID.
    assert client.get(path)["Location"].startswith("/login/")
    response = client.post(
        "/login/", {"username": "root.admin", "password": PASSWORD, "next": path}
    )
    assert response["Location"] == path
    assert client.get(path).status_code == 200  # a button: opening the link uses nothing up
    assert client.post(path)["Location"] == "/register/warning/"
    assert client.post("/register/warning/")["Location"] == "/register/qr/"
    secret = client.get("/register/qr/").context["grouped_secret"].replace(" ", "")
    done = client.post("/register/qr/", {"code": totp.code_at_step(secret, totp.time_step(AT))})
    assert done["Location"].startswith("/register/codes/")
    assert SoftToken.objects.get(officer=root).status == SoftTokenStatus.ACTIVE
    assert client.get("/admin/").status_code == 200  # both factors in this session
    # Once used the link is dead, and with a central administrator registered, no new one.
    from gfms_portal.errors import Refused
    from registration.services import open_bootstrap_link

    with pytest.raises(Refused):
        open_bootstrap_link(root, path.rstrip("/").rsplit("/", 1)[-1], at=AT)
    with pytest.raises(CommandError, match="Soft Token"):  # "already has a soft token", in Thai
        call_command("bootstrap_admin", "root.admin", stdout=StringIO())
    assert Officer.objects.get(pk=root.pk).role == Role.CENTRAL_ADMIN


def test_a_write_in_the_django_admin_needs_a_fresh_code(alice, charlie) -> None:
    """Role, scope, e-mail: every admin form is a sensitive action (review finding)."""
    with time_machine.travel(AT, tick=False):
        client = force_sign_in(Client(), alice)
    later = AT + dt.timedelta(minutes=20)  # the session lives, the step-up is stale
    url = f"/admin/agencies/officer/{charlie.pk}/change/"
    form = {
        "username": "charlie",
        "name_th": charlie.name_th,
        "name_en": charlie.name_en,
        "email": "attacker@evil.example",
        "phone": "",
        "unit": str(charlie.unit_id),
        "role": Role.CENTRAL_ADMIN,
        "admin_scope": "",
        "is_active": "on",
        "citizen_id": "",
    }
    with time_machine.travel(later, tick=False):
        assert client.get(url).status_code == 200  # reading is fine
        response = client.post(url, form)
        assert response["Location"] == "/account/verify/?next=" + url.replace("/", "%2F")
        charlie.refresh_from_db()
        assert (charlie.role, charlie.email) == (Role.OFFICER, "charlie@agency.example")
        client.post(response["Location"], {"code": next_code(alice)})
        assert client.post(url, form).status_code == 302
    charlie.refresh_from_db()
    assert charlie.role == Role.CENTRAL_ADMIN  # with the fresh code it goes through, audited
    assert AuditEvent.objects.filter(action="officer.changed_by_admin", officer=charlie).exists()


def test_a_reset_token_ends_the_sessions_it_signed_in(alice, bob) -> None:
    """A stolen phone reset by another administrator: the thief's session (which proved that
    phone) ends at its next request."""
    with time_machine.travel(AT, tick=False):
        stolen = force_sign_in(Client(), bob)
        assert stolen.get("/manage/progress/").status_code == 200
        reset_soft_token(
            bob,
            actor=alice,
            reason="phone stolen",
            delivery=Delivery.EMAIL,
            at=AT,
            stepped_up_at=AT,
        )
        assert stolen.get("/manage/progress/")["Location"].startswith("/login/")


def test_a_bootstrap_link_dies_when_another_central_administrator_registers(db) -> None:
    OfficerFactory.create(username="root.admin", role=Role.CENTRAL_ADMIN, unit=None)
    with time_machine.travel(AT, tick=False):
        out = StringIO()
        call_command("bootstrap_admin", "root.admin", stdout=out)
        path = (
            "/register/bootstrap/"
            + out.getvalue().split("/register/bootstrap/")[1].split("/")[0]
            + "/"
        )
        other = OfficerFactory.create(username="other.admin", role=Role.CENTRAL_ADMIN, unit=None)
        SoftTokenFactory.create(officer=other)  # registered meanwhile, by identity proofing
        client = Client()
        client.post("/login/", {"username": "root.admin", "password": PASSWORD, "next": path})
        assert client.post(path)["Location"] == "/register/"
    assert not AuditEvent.objects.filter(
        action="registration.identity_verified", officer__username="root.admin"
    ).exists()
