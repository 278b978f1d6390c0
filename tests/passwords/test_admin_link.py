"""An administrator e-mails an officer a one-time link to set a new password: in scope, with
a fresh code, officers only, never oneself; the administrator never sees the link or the
password."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from agencies.models import Officer
from agencies.permissions import NotYours, OutOfSight, StepUpRequired
from audit.models import AuditEvent
from passwords import services
from passwords.models import ResetLink
from tests.conftest import PASSWORD, force_sign_in, sign_in
from tests.passwords.conftest import AT, NEW_PASSWORD, OTHER_PASSWORD, emails, portal

pytestmark = pytest.mark.django_db


def link_path(officer: Officer) -> str:
    body = emails("password_reset_link", officer)[-1].body_text
    match = re.search(r"https?://[^/\s]+(/login/password/link/open/\?t=[\w-]+)", body)
    assert match, body
    return match.group(1)


def start(client: Client, username: str, **data: str):
    return client.post(f"/manage/officers/{username}/password-reset", data)


def set_through_link(client: Client, path: str, password: str = NEW_PASSWORD):
    opened = client.get(path)
    if opened.status_code != 302:
        return opened
    return client.post(
        opened["Location"], {"new_password": password, "new_password_again": password}
    )


def _gateway_password_login(api, password: str) -> dict:
    return api(
        "/api/v1/auth/check", {"username": "charlie", "password": password, "method": "password"}
    ).json()


@time_machine.travel(AT, tick=False)
def test_the_administrator_sends_a_link_and_the_officer_sets_the_password(
    api, bob: Officer, charlie: Officer
) -> None:
    desk = force_sign_in(portal(), bob)
    response = start(desk, "charlie")
    assert response.status_code == 302 and response["Location"] == "/manage/officers/charlie/"
    page = desk.get(response["Location"]).content.decode()
    # The desk sees neither the link nor any password.
    (message,) = emails("password_reset_link")
    path = link_path(charlie)
    assert message.to == charlie.email
    assert path not in page and path.split("=")[1] not in page
    event = AuditEvent.objects.get(action="password.reset_link_sent")
    assert (event.actor, event.officer, event.data) == (bob, charlie, {"valid_minutes": 60})
    # Opening the link uses nothing up (mail scanners open links too); the password does.
    officer = portal()
    assert officer.get(path).status_code == 302
    assert officer.get(path).status_code == 302
    # The session keeps the link's id, never its token.
    assert path.split("=")[1] not in str(dict(officer.session.items()))
    response = set_through_link(officer, path)
    assert response.status_code == 302 and response["Location"] == "/login/password/done/"
    assert _gateway_password_login(api, NEW_PASSWORD)["decision"] == "allow"
    assert _gateway_password_login(api, PASSWORD)["reason"] == "invalid_credentials"
    reset = AuditEvent.objects.get(action="password.reset")
    assert reset.data == {"via": "administrator_link", "issued_by": "bob"}
    assert len(emails("password_changed", charlie)) == 1
    # Once only.
    assert set_through_link(portal(), path, OTHER_PASSWORD).status_code == 410
    charlie.refresh_from_db()
    assert charlie.check_password(NEW_PASSWORD)


@time_machine.travel(AT, tick=False)
def test_no_link_for_an_officer_with_a_soft_token(bob: Officer, registered: Officer) -> None:
    """The link proves only the mailbox: an officer with a soft token resets the password with
    the app on the forgotten-password page; a lost phone gets a token reset first."""
    desk = force_sign_in(portal(), bob)
    page = desk.get("/manage/officers/charlie/").content.decode()
    assert "password-reset" not in page
    with pytest.raises(services.PasswordError) as refused:
        services.start_password_reset(registered, actor=bob, at=AT, stepped_up_at=AT)
    assert refused.value.code == "has_soft_token"
    response = start(desk, "charlie")
    assert response.status_code in (200, 302)
    assert not ResetLink.objects.exists() and not emails("password_reset_link")


@time_machine.travel(AT, tick=False)
def test_the_link_works_for_an_officer_without_a_soft_token(bob: Officer, charlie) -> None:
    start(force_sign_in(portal(), bob), "charlie")
    assert set_through_link(portal(), link_path(charlie)).status_code == 302
    charlie.refresh_from_db()
    assert charlie.check_password(NEW_PASSWORD)


@time_machine.travel(AT, tick=False)
def test_the_link_expires_after_an_hour(bob: Officer, charlie) -> None:
    start(force_sign_in(portal(), bob), "charlie")
    path = link_path(charlie)
    with time_machine.travel(AT + dt.timedelta(hours=1), tick=False):
        assert set_through_link(portal(), path).status_code == 410
    charlie.refresh_from_db()
    assert charlie.check_password(PASSWORD)


@time_machine.travel(AT, tick=False)
def test_a_newer_link_replaces_the_older_one(bob: Officer, charlie) -> None:
    desk = force_sign_in(portal(), bob)
    start(desk, "charlie")
    first = link_path(charlie)
    start(desk, "charlie")
    assert set_through_link(portal(), first).status_code == 410
    assert set_through_link(portal(), link_path(charlie)).status_code == 302


@time_machine.travel(AT, tick=False)
def test_a_link_opened_and_then_replaced_no_longer_sets_a_password(bob: Officer, charlie) -> None:
    desk = force_sign_in(portal(), bob)
    start(desk, "charlie")
    officer = portal()
    opened = officer.get(link_path(charlie))
    start(desk, "charlie")
    response = officer.post(
        opened["Location"], {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    )
    assert response.status_code == 410


@time_machine.travel(AT, tick=False)
def test_the_new_password_follows_the_rules(bob: Officer, charlie) -> None:
    start(force_sign_in(portal(), bob), "charlie")
    response = set_through_link(portal(), link_path(charlie), "charlie-2025")
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    assert ResetLink.objects.get().used_at is None


@time_machine.travel(AT, tick=False)
def test_a_wrong_link_is_refused(client: Client, db) -> None:
    assert client.get("/login/password/link/open/?t=not-a-real-token").status_code == 410
    assert client.get("/login/password/link/open/").status_code == 410
    assert client.get("/login/password/link/").status_code == 410


@time_machine.travel(AT, tick=False)
def test_the_button_needs_a_fresh_code(bob: Officer, charlie) -> None:
    desk = sign_in(portal(), "bob")  # the sign-in's code is fresh for 5 minutes
    with time_machine.travel(AT + dt.timedelta(minutes=6), tick=False):
        response = start(desk, "charlie")
        assert response.status_code == 302
        assert not emails("password_reset_link")
        # With the code typed into the form it goes.
        from tests.conftest import next_code

        start(desk, "charlie", step_up_code=next_code(bob))
    assert len(emails("password_reset_link")) == 1


@time_machine.travel(AT, tick=False)
def test_outside_the_scope_is_404_and_an_auditor_is_403(bob, erin, dave, charlie) -> None:
    assert start(force_sign_in(portal(), bob), "dave").status_code == 404
    assert start(force_sign_in(portal(), erin), "charlie").status_code == 403
    assert start(force_sign_in(portal(), charlie), "charlie").status_code == 404
    assert not emails("password_reset_link")


@time_machine.travel(AT, tick=False)
def test_the_service_refuses_administrators_oneself_and_stale_codes(alice, bob, charlie) -> None:
    fresh = AT - dt.timedelta(minutes=1)
    with pytest.raises(NotYours):  # an administrator's account: never through a link
        services.start_password_reset(bob, actor=alice, at=AT, stepped_up_at=fresh)
    with pytest.raises(NotYours):
        services.start_password_reset(alice, actor=alice, at=AT, stepped_up_at=fresh)
    with pytest.raises(StepUpRequired):
        services.start_password_reset(charlie, actor=alice, at=AT, stepped_up_at=None)
    with pytest.raises(OutOfSight):
        services.start_password_reset(charlie, actor=charlie, at=AT, stepped_up_at=fresh)
    assert not ResetLink.objects.exists()


def test_the_button_is_post_only(bob, charlie) -> None:
    assert (
        force_sign_in(portal(), bob).get("/manage/officers/charlie/password-reset").status_code
        == 405
    )


@time_machine.travel(AT, tick=False)
def test_the_officer_page_shows_the_button_to_whoever_may_press_it(
    bob, alice, erin, charlie
) -> None:
    page = force_sign_in(portal(), bob).get("/manage/officers/charlie/").content.decode()
    assert 'action="/manage/officers/charlie/password-reset"' in page
    assert (
        "password-reset"
        not in force_sign_in(portal(), erin).get("/manage/officers/charlie/").content.decode()
    )
    # Never for an administrator's account.
    assert (
        "password-reset"
        not in force_sign_in(portal(), alice).get("/manage/officers/bob/").content.decode()
    )


@time_machine.travel(AT, tick=False)
def test_the_help_desk_sends_the_link_too_but_never_to_a_privileged_account(
    cgd_tree, charlie: Officer, bob: Officer
) -> None:
    from agencies.policy import Role
    from tests.conftest import privileged

    grace = privileged(username="grace", role=Role.CENTRAL_HELPDESK)
    client = force_sign_in(portal(), grace)
    page = client.get("/manage/officers/charlie/").content.decode()
    assert 'action="/manage/officers/charlie/password-reset"' in page
    assert start(client, "charlie").status_code == 302
    assert [m.officer for m in emails("password_reset_link")] == [charlie]
    event = AuditEvent.objects.get(action="password.reset_link_sent")
    assert event.actor == grace
    # An administrator's account resets its own password with its soft token.
    assert "password-reset" not in client.get("/manage/officers/bob/").content.decode()
    assert start(client, "bob").status_code == 403
    assert ResetLink.objects.count() == 1
