"""After registration: the status page, step-up, new recovery codes, a new phone; and the
administrators' reset, late-registration code and unlock, scoped to their subtree."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from agencies.models import Officer
from agencies.policy import Role
from audit.models import AuditEvent
from registration.models import RegistrationCode
from tests.conftest import PASSWORD, first_group, sign_in
from tests.factories import DEMO_SECRET, SoftTokenFactory
from tests.totp_reference import phone_code
from tokens.models import RecoveryCode, SoftToken, SoftTokenStatus
from tokens.possession import new_recovery_codes

pytestmark = pytest.mark.django_db
IN_WINDOW = dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC)
AFTER = dt.datetime(2025, 4, 20, 3, 0, tzinfo=dt.UTC)


def signed_in(username: str) -> Client:
    return sign_in(Client(), username)


@pytest.fixture
def registered(charlie: Officer) -> Officer:
    SoftTokenFactory.create(officer=charlie, confirmed_at=IN_WINDOW)
    return charlie


@time_machine.travel(IN_WINDOW, tick=False)
def test_status_page_shows_the_registration_date_and_codes_left(registered: Officer) -> None:
    with time_machine.travel(IN_WINDOW, tick=False):
        from django.db import transaction

        with transaction.atomic():
            new_recovery_codes(registered, at=IN_WINDOW)
    body = signed_in("charlie").get("/account/").content.decode()
    assert "1 มี.ค. 2568" in body  # registered since, BE
    assert "10" in first_group(r'data-testid="codes-left">([^<]+)<', body)


def test_replace_phone_with_a_recovery_code(
    registered: Officer, django_capture_on_commit_callbacks
) -> None:
    from django.db import transaction

    with time_machine.travel(IN_WINDOW, tick=False):
        with transaction.atomic():
            codes = new_recovery_codes(registered, at=IN_WINDOW)
        client = signed_in("charlie")
        # Sensitive: a fresh code first.
        assert client.get("/account/replace-phone/")["Location"].startswith("/account/verify/")
        response = client.post(
            "/account/verify/",
            {"code": "1111-2222-3333-4444-5555", "next": "account_replace_phone"},
        )
        assert response.status_code == 200  # not a recovery code of charlie's
        response = client.post(
            "/account/verify/", {"code": codes[0], "next": "account_replace_phone"}
        )
        assert response["Location"] == "/account/replace-phone/"
        # The recovery code is used up.
        assert client.post("/account/verify/", {"code": codes[0]}).status_code == 200
        assert client.post("/account/replace-phone/")["Location"] == "/register/qr/"
        page = client.get("/register/qr/").content.decode()
        new_secret = first_group(r"secret=([A-Z2-7]+)", page)
        old = SoftToken.objects.get(officer=registered, status=SoftTokenStatus.ACTIVE)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/register/qr/", {"code": phone_code(new_secret, IN_WINDOW)})
        assert response["Location"].startswith("/register/codes/?r=")
    old.refresh_from_db()
    assert old.status == SoftTokenStatus.REVOKED and old.secret_encrypted == ""
    active = SoftToken.objects.get(officer=registered, status=SoftTokenStatus.ACTIVE)
    assert active.secret == new_secret
    assert (
        RecoveryCode.objects.filter(
            officer=registered, used_at__isnull=True, revoked_at__isnull=True
        ).count()
        == 10
    )
    assert AuditEvent.objects.filter(action="recovery_code.used", officer=registered).exists()


def test_step_up_expires_after_five_minutes(registered: Officer) -> None:
    with time_machine.travel(IN_WINDOW, tick=False) as clock:
        client = signed_in("charlie")
        client.post(
            "/account/verify/",
            {"code": phone_code(DEMO_SECRET, IN_WINDOW), "next": "account_recovery_codes"},
        )
        assert client.get("/account/recovery-codes/").status_code == 200
        clock.move_to(IN_WINDOW + dt.timedelta(minutes=5))
        assert client.get("/account/recovery-codes/")["Location"].startswith("/account/verify/")


@time_machine.travel(IN_WINDOW, tick=False)
def test_new_recovery_codes_replace_the_old(registered: Officer) -> None:
    client = signed_in("charlie")
    client.post("/account/verify/", {"code": phone_code(DEMO_SECRET, IN_WINDOW)})
    location = client.post("/account/recovery-codes/")["Location"]
    page = client.get(location).content.decode()
    assert len(re.findall(r"<code>\d{4}-\d{4}-\d{4}-\d{4}-\d{4}</code>", page)) == 10


# --- administrators ------------------------------------------------------------------------------


def test_admin_outside_the_subtree_gets_404(bob: Officer, dave: Officer, charlie: Officer) -> None:
    client = signed_in("bob")
    assert client.get("/manage/officers/dave/").status_code == 404
    assert client.post("/manage/officers/dave/", {"action": "unlock"}).status_code == 404
    assert client.get("/manage/officers/charlie/").status_code == 200
    listing = client.get("/manage/officers/").content.decode()
    assert "charlie" in listing and "dave" not in listing
    assert signed_in("charlie").get("/manage/officers/").status_code == 404


def test_admin_reset_with_in_person_code_then_re_registration_after_the_window(
    bob: Officer,
    registered: Officer,
    django_capture_on_commit_callbacks,
) -> None:
    with time_machine.travel(AFTER, tick=False):
        client = signed_in("bob")
        response = client.post(
            "/manage/officers/charlie/", {"action": "reset", "reason": "x", "delivery": "in_person"}
        )
        assert SoftToken.objects.filter(
            officer=registered, status=SoftTokenStatus.ACTIVE
        ).exists()  # too short a reason
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/manage/officers/charlie/",
                {
                    "action": "reset",
                    "reason": "lost phone, checked ID card",
                    "delivery": "in_person",
                },
            )
        shown_at = response["Location"]
        body = client.get(shown_at).content.decode()
        code = first_group(r'data-testid="issued-code">.*?<code>([A-Z0-9-]+)</code>', body, re.S)
        assert not SoftToken.objects.filter(
            officer=registered, status=SoftTokenStatus.ACTIVE
        ).exists()
        assert mail.outbox[-1].to == [registered.email]  # the officer is told of the reset
        assert code not in mail.outbox[-1].body
        event = AuditEvent.objects.get(action="soft_token.reset")
        assert event.actor == bob and event.data["reason"] == "lost phone, checked ID card"
        # Shown once: not again, not even with the same link (a refresh re-submits nothing).
        assert code not in client.get(shown_at).content.decode()
        assert (
            SoftToken.objects.filter(officer=registered)
            .exclude(status=SoftTokenStatus.REVOKED)
            .count()
            == 0
        )
        # The officer re-registers after the window with the reset code.
        officer_client = signed_in("charlie")
        cid = registered.citizen_id
        with django_capture_on_commit_callbacks(execute=True):
            response = officer_client.post(
                "/register/", {"citizen_id": cid, "registration_code": code.lower()}
            )
        assert response["Location"] == "/register/email/"
    assert RegistrationCode.objects.get(officer=registered).kind == "reset"


def test_late_registration_code_by_email(
    alice: Officer, dave: Officer, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(AFTER, tick=False):
        client = signed_in("alice")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/manage/officers/dave/", {"action": "late", "days": "3", "delivery": "email"}
            )
        assert 'data-testid="issued-code"' not in response.content.decode()
        code = first_group(r"([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", str(mail.outbox[-1].body))
        stored = RegistrationCode.objects.get(officer=dave)
        assert stored.kind == "late" and stored.expires_at == AFTER + dt.timedelta(days=3)
        assert code not in stored.code_hash
        bad = client.post(
            "/manage/officers/dave/", {"action": "late", "days": "8", "delivery": "email"}
        )
        assert RegistrationCode.objects.filter(officer=dave).count() == 1
        assert bad.status_code == 200


def test_auditor_can_look_but_not_act(erin: Officer, charlie: Officer) -> None:
    client = signed_in("erin")
    assert client.get("/manage/officers/charlie/").status_code == 200
    assert client.post("/manage/officers/charlie/", {"action": "unlock"}).status_code == 403


def test_agency_admin_unlock_clears_the_lock_and_is_audited(bob: Officer, charlie: Officer) -> None:
    Officer.objects.filter(pk=charlie.pk).update(
        failed_logins=100, locked_until=dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
    )
    signed_in("bob").post("/manage/officers/charlie/", {"action": "unlock"})
    charlie.refresh_from_db()
    assert (charlie.failed_logins, charlie.locked_until) == (0, None)


def test_no_secret_in_admin_pages(alice: Officer, registered: Officer, caplog) -> None:
    from django.db import transaction

    with transaction.atomic():
        codes = new_recovery_codes(registered, at=IN_WINDOW)
    client = signed_in("alice")
    citizen_id = registered.citizen_id
    pages = [
        f"/admin/agencies/officer/{registered.pk}/change/",
        "/admin/tokens/softtoken/",
        "/admin/outbox/outboxmessage/",
        "/admin/audit/auditevent/",
        "/manage/officers/charlie/",
    ]
    for url in pages:
        body = client.get(url).content.decode()
        for secret in (DEMO_SECRET, citizen_id, codes[0], codes[0].replace("-", "")):
            assert secret not in body, (url, secret)
            assert secret not in caplog.text


def test_session_ends_after_thirty_idle_minutes_and_twelve_hours_in_all(charlie: Officer) -> None:
    with time_machine.travel(IN_WINDOW, tick=True) as clock:
        client = signed_in("charlie")
        assert client.get("/account/").status_code == 200
        # Active every 20 minutes: still signed in after 11 hours...
        for minutes in range(20, 11 * 60, 20):
            clock.move_to(IN_WINDOW + dt.timedelta(minutes=minutes))
            assert client.get("/account/").status_code == 200, minutes
        # ...but never past 12 hours.
        clock.move_to(IN_WINDOW + dt.timedelta(hours=12, minutes=1))
        assert client.get("/account/").status_code == 302
        # Idle for 31 minutes: signed out.
        client = signed_in("charlie")
        clock.move_to(IN_WINDOW + dt.timedelta(hours=12, minutes=33))
        assert client.get("/account/").status_code == 302


def test_new_session_id_at_sign_in(charlie: Officer) -> None:
    client = Client()
    client.get("/login/")
    before = client.cookies.get("sessionid")
    client.post("/login/", {"username": "charlie", "password": PASSWORD})
    assert client.cookies["sessionid"].value != (before.value if before else None)


def test_expired_pending_tokens_lose_their_secret(charlie: Officer) -> None:
    from registration.tasks import discard_expired_pending_tokens

    token = SoftTokenFactory.create(
        officer=charlie, status=SoftTokenStatus.PENDING, created_at=IN_WINDOW, confirmed_at=None
    )
    with time_machine.travel(IN_WINDOW + dt.timedelta(minutes=9), tick=False):
        assert discard_expired_pending_tokens() == 0
    with time_machine.travel(IN_WINDOW + dt.timedelta(minutes=10), tick=False):
        assert discard_expired_pending_tokens() == 1
    token.refresh_from_db()
    assert (token.status, token.secret_encrypted) == (SoftTokenStatus.REVOKED, "")


# --- from the review: guessing, races and leftovers -----------------------------------------------


def test_wrong_fresh_codes_count_and_lock_and_end_the_session(registered: Officer) -> None:
    with time_machine.travel(IN_WINDOW, tick=False):
        client = signed_in("charlie")
        right = phone_code(DEMO_SECRET, IN_WINDOW)
        wrong = "000000" if right != "000000" else "111111"
        for _ in range(10):
            client.post("/account/verify/", {"code": wrong})
        registered.refresh_from_db()
        assert registered.locked_until is not None
        # The session ends at the next request; signing in again answers like a wrong password.
        assert client.get("/account/")["Location"].startswith("/login/")
        assert client.post("/account/verify/", {"code": right})["Location"].startswith("/login/")
        assert (
            Client().post("/login/", {"username": "charlie", "password": PASSWORD}).status_code
            == 200
        )


def test_registration_in_another_browser_cannot_revoke_a_token_registered_meanwhile(
    charlie: Officer,
    django_capture_on_commit_callbacks,
) -> None:
    from tests.registration.test_registration_flow import secret_from_page, through_identity

    with time_machine.travel(IN_WINDOW, tick=False):
        attacker, owner = signed_in("charlie"), signed_in("charlie")
        through_identity(attacker, charlie, django_capture_on_commit_callbacks)
        attacker.post("/register/warning/")
        attacker_secret, _ = secret_from_page(attacker)
        SoftTokenFactory.create(officer=charlie)  # the owner registers in the meantime
        owners = SoftToken.objects.get(officer=charlie, status=SoftTokenStatus.ACTIVE)
        response = attacker.post("/register/qr/", {"code": phone_code(attacker_secret, IN_WINDOW)})
    assert response.status_code == 200  # refused with a message
    assert SoftToken.objects.get(officer=charlie, status=SoftTokenStatus.ACTIVE) == owners
    del owner


def test_citizen_id_guessing_stops_after_five_a_day(
    charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    cid = charlie.citizen_id
    other = "1101700207030" if cid != "1101700207030" else "1234567890121"
    with time_machine.travel(IN_WINDOW, tick=False):
        for _ in range(5):
            client = signed_in("charlie")  # a new session each time does not help
            client.post("/register/", {"citizen_id": other})
        client = signed_in("charlie")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/register/", {"citizen_id": cid})
        assert response.status_code == 200  # even the right one is not compared any more
    assert "registration.email_code_sent" not in AuditEvent.objects.values_list("action", flat=True)


def test_a_new_email_code_kills_the_older_one(
    charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    from registration.models import IdentityCheck

    cid = charlie.citizen_id
    with time_machine.travel(IN_WINDOW, tick=False) as clock:
        client = signed_in("charlie")
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/register/", {"citizen_id": cid})
        first = first_group(r"\b(\d{6})\b", str(mail.outbox[-1].body))
        clock.move_to(IN_WINDOW + dt.timedelta(minutes=2))
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/register/", {"citizen_id": cid})
        first_check = IdentityCheck.objects.order_by("created_at").first()
        assert first_check is not None
        from gfms_portal.errors import Refused
        from registration.services import verify_email_code

        with pytest.raises(Refused):
            verify_email_code(first_check, first, at=IN_WINDOW + dt.timedelta(minutes=2))


def test_outbox_body_is_encrypted_and_emptied_once_sent(
    charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    from outbox.models import OutboxMessage

    cid = charlie.citizen_id
    with time_machine.travel(IN_WINDOW, tick=False):
        client = signed_in("charlie")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            client.post("/register/", {"citizen_id": cid})
        message = OutboxMessage.objects.get()
        code = first_group(r"\b(\d{6})\b", message.body_text)
        assert code not in message.body
        for callback in callbacks:
            callback()
    message.refresh_from_db()
    assert message.sent_at is not None and message.body == ""
    assert code in mail.outbox[-1].body


def test_administrators_do_not_act_on_themselves_or_other_admins(
    bob: Officer, alice: Officer, cgd_tree
) -> None:
    from tests.factories import OfficerFactory

    OfficerFactory.create(
        username="carol",
        role=Role.AGENCY_ADMIN,
        unit=cgd_tree["cgd_unit"],
        admin_scope=cgd_tree["cgd_unit"],
    )
    client = signed_in("bob")
    assert client.post("/manage/officers/carol/", {"action": "unlock"}).status_code == 403
    Officer.objects.filter(username="bob").update(unit=cgd_tree["cgd_unit"])
    assert client.post("/manage/officers/bob/", {"action": "unlock"}).status_code == 403
    assert (
        signed_in("alice").post("/manage/officers/carol/", {"action": "unlock"}).status_code == 302
    )


def test_replacement_and_new_recovery_codes_refuse_without_a_fresh_code(
    registered: Officer,
) -> None:
    """Checked in the services themselves, whoever calls them (not only by the views)."""
    from agencies.permissions import StepUpRequired
    from registration.services import start_replacement
    from tokens.possession import regenerate_recovery_codes

    stale = IN_WINDOW - dt.timedelta(minutes=6)
    for stepped_up_at in (None, stale):
        with pytest.raises(StepUpRequired):
            start_replacement(registered, at=IN_WINDOW, stepped_up_at=stepped_up_at)
        with pytest.raises(StepUpRequired):
            regenerate_recovery_codes(registered, at=IN_WINDOW, stepped_up_at=stepped_up_at)
    assert SoftToken.objects.filter(officer=registered).count() == 1
    codes = regenerate_recovery_codes(registered, at=IN_WINDOW, stepped_up_at=IN_WINDOW)
    assert len(codes) == 10
