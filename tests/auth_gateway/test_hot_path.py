"""The allowed soft-token check in one statement (auth_gateway.hot_path), on PostgreSQL.

It must agree with the transaction path in every case — the transaction path is the rule —
and keep its guarantees under races: one-time use, the lock decided under the row lock, the
decision recorded with the step it consumed, nothing written when it does not allow.
"""

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agencies.lockout import AccountBusy
from agencies.models import Officer
from auth_gateway import hot_path, services
from auth_gateway.models import LoginDecision
from schedule.policy import Phase
from tests.auth_gateway.conftest import IN_WINDOW, code_at, soft_token_login
from tokens import totp
from tokens.models import SoftToken, SoftTokenStatus

pytestmark = pytest.mark.django_db(transaction=True)
CHECK = "/api/v1/auth/check"


@pytest.fixture(autouse=True)
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's (CI sets DATABASE_URL)")


def round_trips_of(action: Callable[[], object]) -> tuple[int, list[str]]:
    """Every round trip `action` makes to PostgreSQL, counted at the driver (psycopg2's wait
    callback sees each one: BEGIN and COMMIT, health checks, SETs on a new connection), and
    the statements Django sent."""
    from psycopg2 import extensions

    wait = extensions.get_wait_callback()
    assert wait is not None  # gfms_portal.dbclient: every round trip passes through it
    count = 0

    def counting(conn: object) -> object:
        nonlocal count
        count += 1
        return wait(conn)

    extensions.set_wait_callback(counting)
    try:
        with CaptureQueriesContext(connection) as queries:
            action()
    finally:
        extensions.set_wait_callback(wait)
    return count, [query["sql"] for query in queries.captured_queries]


@time_machine.travel(IN_WINDOW, tick=False)
def test_an_allowed_soft_token_check_takes_two_round_trips(api, registered: Officer) -> None:
    """The officer with its unit and active token, then one statement that locks the row,
    consumes the step and writes the decision — as the bare minimum (read the seed, consume
    the step) does. The service key and the schedule come from the per-process copies.
    docs/performance.md gives the same number."""
    api(CHECK, soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, -1)))  # warm copies
    answers: list[dict] = []
    count, statements = round_trips_of(
        lambda: answers.append(api(CHECK, soft_token_login("charlie", IN_WINDOW)).json())
    )
    assert answers[0]["decision"] == "allow"
    assert count == 2, statements
    # Both prepared once per connection (gfms_portal.prepared): the warm-up prepared them.
    assert [sql.split(" (")[0] for sql in statements] == [
        f"EXECUTE {services._OFFICER.name}",
        f"EXECUTE {hot_path._ALLOW.name}",
    ], statements
    assert LoginDecision.objects.filter(reason="ok").count() == 2
    assert SoftToken.objects.get(officer=registered).last_used_step == totp.time_step(IN_WINDOW)


@time_machine.travel(IN_WINDOW, tick=False)
def test_with_the_switch_off_an_allowed_check_takes_the_transaction_path(
    api, registered: Officer, settings
) -> None:
    settings.GFMS_GATEWAY_ONE_STATEMENT = False
    api(CHECK, soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, -1)))
    count, statements = round_trips_of(lambda: api(CHECK, soft_token_login("charlie", IN_WINDOW)))
    assert count == 6, statements
    assert [sql.split()[0] for sql in statements] == [
        "EXECUTE",  # officer ⋈ unit ⋈ active token
        "BEGIN",
        "SELECT",  # failed_logins, locked_until … FOR UPDATE
        "UPDATE",  # the time step, only if newer
        "INSERT",  # the decision record
        "COMMIT",
    ], statements


@time_machine.travel(IN_WINDOW, tick=False)
def test_a_new_connection_prepares_the_statements_again(api, registered: Officer) -> None:
    """Prepared statements live in the server session: after a reconnect (an error, a
    restart, CONN_MAX_AGE) the first check prepares them again, once."""
    api(CHECK, soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, -1)))
    connection.close()
    with CaptureQueriesContext(connection) as first:
        assert api(CHECK, soft_token_login("charlie", IN_WINDOW)).json()["decision"] == "allow"
    with CaptureQueriesContext(connection) as second:
        body = soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, 1))
        assert api(CHECK, body).json()["decision"] == "allow"
    verbs = [query["sql"].split()[0] for query in first.captured_queries]
    assert verbs == ["PREPARE", "EXECUTE", "PREPARE", "EXECUTE"]
    assert [query["sql"].split()[0] for query in second.captured_queries] == ["EXECUTE"] * 2


@time_machine.travel(IN_WINDOW, tick=False)
def test_statements_the_session_lost_are_prepared_again(api, registered: Officer) -> None:
    """DEALLOCATE ALL (or a pooler handing the session to someone else) drops them without a
    new connection: the next check prepares them again and is answered."""
    api(CHECK, soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, -1)))
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert api(CHECK, soft_token_login("charlie", IN_WINDOW)).json()["decision"] == "allow"
    body = soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, 1))
    with CaptureQueriesContext(connection) as after:
        assert api(CHECK, body).json()["decision"] == "allow"
    assert [query["sql"].split()[0] for query in after.captured_queries] == ["EXECUTE"] * 2


# --- the two paths agree ---------------------------------------------------------------------


def _fresh(officer: Officer) -> None:
    pass


def _failures(count: int, until: dt.datetime | None) -> Callable[[Officer], None]:
    def set_up(officer: Officer) -> None:
        Officer.objects.filter(pk=officer.pk).update(failed_logins=count, locked_until=until)

    return set_up


def _step_used(officer: Officer) -> None:
    SoftToken.objects.filter(officer=officer).update(last_used_step=totp.time_step(IN_WINDOW))


def _token_revoked(officer: Officer) -> None:
    SoftToken.objects.filter(officer=officer).update(status=SoftTokenStatus.REVOKED)


SCENARIOS: dict[str, tuple[Callable[[Officer], None], int]] = {
    # name: (set-up, code offset in steps)
    "fresh code": (_fresh, 0),
    "previous step's code (clock behind)": (_fresh, -1),
    "next step's code (clock ahead)": (_fresh, 1),
    "code two steps away": (_fresh, 2),
    "step already used": (_step_used, 0),
    "three failures before": (_failures(3, None), 0),
    "locked": (_failures(10, IN_WINDOW + dt.timedelta(minutes=10)), 0),
    "lock run out": (_failures(10, IN_WINDOW - dt.timedelta(seconds=1)), 0),
    "locked until unlocked": (_failures(100, dt.datetime(9999, 12, 31, tzinfo=dt.UTC)), 0),
    "no active token": (_token_revoked, 0),
}


def outcome_of(api, officer: Officer, set_up: Callable[[Officer], None], offset: int) -> tuple:
    set_up(officer)
    with time_machine.travel(IN_WINDOW, tick=False):
        answer = api(CHECK, soft_token_login("charlie", IN_WINDOW, otp=code_at(IN_WINDOW, offset)))
    officer.refresh_from_db()
    body = answer.json()
    body.pop("request_id")
    return (
        answer.status_code,
        body,
        list(LoginDecision.objects.values_list("officer_id", "decision", "reason", "phase")),
        list(SoftToken.objects.filter(officer=officer).values_list("status", "last_used_step")),
        officer.failed_logins,
        officer.locked_until,
    )


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_both_paths_give_the_same_answer_and_leave_the_same_rows(
    scenario: str, api, registered: Officer, settings
) -> None:
    set_up, offset = SCENARIOS[scenario]
    settings.GFMS_GATEWAY_ONE_STATEMENT = False
    with transaction.atomic():
        sid = transaction.savepoint()
        by_transaction = outcome_of(api, registered, set_up, offset)
        transaction.savepoint_rollback(sid)
    settings.GFMS_GATEWAY_ONE_STATEMENT = True
    registered.refresh_from_db()
    assert registered.failed_logins == 0 and not LoginDecision.objects.exists()
    assert outcome_of(api, registered, set_up, offset) == by_transaction


# --- the statement on its own ------------------------------------------------------------------


def allow(officer: Officer, token: SoftToken, *, step: int | None = None) -> bool:
    return hot_path.allow_in_one_statement(
        officer_id=officer.pk,
        unit_id=officer.unit_id,
        token_id=token.pk,
        step=totp.time_step(IN_WINDOW) if step is None else step,
        at=IN_WINDOW,
        username="charlie",
        phase=Phase.WINDOW,
        client_id=None,
        client_ip="192.0.2.7",
        request_id="r-1",
        password_hash=Officer.objects.get(pk=officer.pk).password,
    )


def test_the_statement_writes_everything_or_nothing(registered: Officer) -> None:
    token = SoftToken.objects.get(officer=registered)
    assert allow(registered, token)
    assert not allow(registered, token)  # the same step: one-time
    assert allow(registered, token, step=totp.time_step(IN_WINDOW) + 1)
    record = LoginDecision.objects.order_by("pk").first()
    assert record is not None
    assert (record.decision, record.reason, record.method, record.client_ip) == (
        "allow",
        "ok",
        "soft_token",
        "192.0.2.7",
    )
    assert (record.officer_id, record.unit_id, record.at) == (
        registered.pk,
        registered.unit_id,
        IN_WINDOW,
    )
    assert LoginDecision.objects.count() == 2


def test_a_token_replaced_after_the_read_is_not_used(registered: Officer) -> None:
    """The officer was read with token A; an administrator's reset revoked it meanwhile."""
    token = SoftToken.objects.get(officer=registered)
    SoftToken.objects.filter(pk=token.pk).update(status=SoftTokenStatus.REVOKED)
    assert not allow(registered, token)
    assert not LoginDecision.objects.exists()
    assert SoftToken.objects.get(pk=token.pk).last_used_step is None


def test_an_account_deactivated_after_the_read_is_not_let_in(registered: Officer) -> None:
    Officer.objects.filter(pk=registered.pk).update(is_active=False)
    assert not allow(registered, SoftToken.objects.get(officer=registered))
    assert not LoginDecision.objects.exists()


@pytest.fixture
def holder() -> Iterator[Callable[..., threading.Thread]]:
    """Hold the officer's row in another connection, as a racing check does (the same lock
    as agencies.lockout.lock_officer_row)."""
    threads: list[threading.Thread] = []

    def hold(
        officer: Officer,
        *,
        seconds: float,
        lock_until: dt.datetime | None,
        failures: int | None = None,
        new_password: str | None = None,
    ) -> threading.Thread:
        taken = threading.Event()

        def run() -> None:
            try:
                with transaction.atomic():
                    Officer.objects.select_for_update(no_key=True).get(pk=officer.pk)
                    if lock_until is not None:
                        Officer.objects.filter(pk=officer.pk).update(
                            failed_logins=10, locked_until=lock_until
                        )
                    elif failures is not None:
                        Officer.objects.filter(pk=officer.pk).update(failed_logins=failures)
                    if new_password is not None:  # a change or reset, as passwords does it
                        Officer.objects.filter(pk=officer.pk).update(password=new_password)
                    taken.set()
                    time.sleep(seconds)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        assert taken.wait(timeout=10)
        threads.append(thread)
        return thread

    yield hold
    for thread in threads:
        thread.join(timeout=30)


def test_a_lock_committed_while_waiting_for_the_row_is_seen(registered: Officer, holder) -> None:
    """The 10th failure holds the row and sets the lock; the statement waits for the row,
    then reads it as committed: no allow, nothing written."""
    token = SoftToken.objects.get(officer=registered)
    holder(registered, seconds=0.2, lock_until=IN_WINDOW + dt.timedelta(minutes=10))
    assert not allow(registered, token)
    assert not LoginDecision.objects.exists()
    assert SoftToken.objects.get(pk=token.pk).last_used_step is None


def test_a_failure_committed_while_waiting_is_cleared_by_the_allow(
    registered: Officer, holder
) -> None:
    """A wrong password holds the row and counts a failure; the right login waits for the
    row, is allowed, and clears the count as it stands after the wait — not as it stood when
    the statement began."""
    token = SoftToken.objects.get(officer=registered)
    holder(registered, seconds=0.2, lock_until=None, failures=1)
    assert allow(registered, token)
    registered.refresh_from_db()
    assert (registered.failed_logins, registered.locked_until) == (0, None)


def test_a_row_held_past_the_lock_timeout_gives_up(registered: Officer, holder, settings) -> None:
    token = SoftToken.objects.get(officer=registered)
    holder(registered, seconds=settings.DB_LOCK_TIMEOUT_MS / 1000 + 1, lock_until=None)
    with pytest.raises(AccountBusy):
        allow(registered, token)
    assert SoftToken.objects.get(pk=token.pk).last_used_step is None


@pytest.mark.parametrize("one_statement", [True, False], ids=["one-statement", "transaction"])
def test_a_login_while_the_row_is_held_past_the_lock_timeout_is_account_busy(
    one_statement: bool, registered: Officer, holder, settings, service_key: str
) -> None:
    """The answer is the wrong-password one; the record, written without waiting for the
    holder (FOR NO KEY UPDATE lets its foreign-key check through), says account_busy; the
    code is not consumed. DB_LOCK_TIMEOUT_MS is 500 ms on these connections; the holder
    keeps the row three times as long."""
    settings.GFMS_GATEWAY_ONE_STATEMENT = one_statement
    settings.GFMS_PASSWORD_FLOOR_MS = 800  # the suite sets it to 0 (tests/conftest.py)
    holder(registered, seconds=3 * settings.DB_LOCK_TIMEOUT_MS / 1000, lock_until=None)
    started = time.perf_counter()
    with time_machine.travel(IN_WINDOW, tick=False):
        answer = Client().post(
            CHECK,
            soft_token_login("charlie", IN_WINDOW),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {service_key}",
        )
    # In a wrong password's time, although only a right password reaches the busy row here.
    assert time.perf_counter() - started >= 0.8
    assert (answer.status_code, answer.json()["reason"]) == (200, "invalid_credentials")
    assert list(LoginDecision.objects.values_list("officer_id", "reason")) == [
        (registered.pk, "account_busy")
    ]
    assert SoftToken.objects.get(officer=registered).last_used_step is None


@pytest.mark.parametrize("one_statement", [True, False], ids=["one-statement", "transaction"])
@pytest.mark.parametrize("stored", ["preferred", "legacy"])
def test_a_password_changed_while_the_old_one_was_checked_lets_nothing_in_and_stays(
    one_statement: bool, stored: str, registered: Officer, holder, settings, service_key: str
) -> None:
    """The check reads the hash and computes it before any lock; a change committed meanwhile
    (the holder) must neither let the old password in nor be overwritten by the re-hash of a
    legacy hash (which writes the password it was given back)."""
    from django.contrib.auth.hashers import make_password

    from tests.conftest import PASSWORD

    settings.GFMS_GATEWAY_ONE_STATEMENT = one_statement
    if stored == "legacy":  # not the preferred hasher: a right password re-hashes it
        Officer.objects.filter(pk=registered.pk).update(
            password=make_password(PASSWORD, hasher="pbkdf2_sha256")
        )
    new_hash = make_password("a new password of fifteen", hasher="md5")
    holder(registered, seconds=0.3, lock_until=None, new_password=new_hash)
    with time_machine.travel(IN_WINDOW, tick=False):
        answer = Client().post(
            CHECK,
            soft_token_login("charlie", IN_WINDOW),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {service_key}",
        )
    assert (answer.status_code, answer.json()["decision"]) == (200, "deny")
    assert answer.json()["reason"] == "invalid_credentials"
    assert Officer.objects.get(pk=registered.pk).password == new_hash
    assert SoftToken.objects.get(officer=registered).last_used_step is None


def test_the_portal_sign_in_with_a_password_changed_meanwhile_is_refused(
    registered: Officer, holder, settings
) -> None:
    from django.contrib.auth.hashers import make_password

    from tests.conftest import PASSWORD

    Officer.objects.filter(pk=registered.pk).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    new_hash = make_password("a new password of fifteen", hasher="md5")
    holder(registered, seconds=0.3, lock_until=None, new_password=new_hash)
    response = Client().post("/login/", {"username": "charlie", "password": PASSWORD})
    assert response.status_code == 200  # the form again: refused
    assert Officer.objects.get(pk=registered.pk).password == new_hash
