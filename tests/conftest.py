"""Shared fixtures: fast password hashing and the personas.

alice  — central administrator (CGD)
bob    — agency administrator of department 03004 (its subtree only)
charlie— officer in a unit under 03004
dave   — officer in another ministry (outside bob's scope)
erin   — auditor (read-only)
"""

import functools
import os
import re
from collections.abc import Iterator

import hypothesis
import pytest
from django.db.backends.postgresql.creation import DatabaseCreation as PostgresCreation
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.http import HttpResponseBase, StreamingHttpResponse
from django.test import Client
from django.utils import timezone

from agencies.models import Agency, Officer
from agencies.policy import Role
from agencies.step_up import SECOND_FACTOR_KEY, SECOND_FACTOR_TOKEN_KEY, STEP_UP_KEY
from auth_gateway.clients import forget_cached_clients
from auth_gateway.quota import quota_counts
from gfms_portal import dbclient
from schedule.services import forget_cached_schedule
from tests.factories import (
    DEMO_SECRET,
    DepartmentFactory,
    MinistryFactory,
    OfficerFactory,
    SoftTokenFactory,
    UnitFactory,
)
from tokens import totp
from tokens.models import SoftToken, SoftTokenStatus

PASSWORD = "correct horse battery"

# Hypothesis: every property test runs its full count of examples (make test, CI) unless
# HYPOTHESIS_PROFILE=fast (make test-fast), which caps each at FAST_EXAMPLES — those with a
# count of their own too, through examples() below.
FAST_EXAMPLES = 5
hypothesis.settings.register_profile("fast", max_examples=FAST_EXAMPLES)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or "default"
hypothesis.settings.load_profile(HYPOTHESIS_PROFILE)


def examples(full: int) -> int:
    """A property test's max_examples: `full`, or at most FAST_EXAMPLES under the fast profile
    (an explicit max_examples would otherwise win over the profile)."""
    return min(full, FAST_EXAMPLES) if HYPOTHESIS_PROFILE == "fast" else full


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 at the OWASP floor costs ~60 ms a hash; the suite hashes thousands of times.
    # The other hashers stay listed so migrated GFMS hashes still verify.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *[h for h in settings.PASSWORD_HASHERS if not h.endswith("MD5PasswordHasher")],
    ]
    # Refused passwords wait out a floor (auth_gateway.passwords); the tests that are about
    # it set it back. Everywhere else it would only make the suite slower.
    settings.GFMS_PASSWORD_FLOOR_MS = 0


@pytest.fixture(autouse=True)
def no_cached_schedule_or_clients() -> Iterator[None]:
    """The gateway's per-process copies (schedule.services, auth_gateway.clients) and its
    unsettled quota counts (auth_gateway.quota) start empty in every test, whatever the test
    before left (and whatever time it froze)."""
    forget_cached_schedule()
    forget_cached_clients()
    quota_counts.forget()
    yield
    forget_cached_schedule()
    forget_cached_clients()


@pytest.fixture
def cgd_tree(db) -> dict[str, Agency]:
    finance = MinistryFactory.create(
        code="03", name_th="กระทรวงการคลัง", name_en="Ministry of Finance"
    )
    cgd = DepartmentFactory.create(
        parent=finance,
        code="03004",
        name_th="กรมบัญชีกลาง",
        name_en="Comptroller General's Department",
    )
    customs = DepartmentFactory.create(parent=finance, code="03006", name_th="กรมศุลกากร")
    health = MinistryFactory.create(code="21", name_th="กระทรวงสาธารณสุข")
    disease = DepartmentFactory.create(parent=health, code="21004", name_th="กรมควบคุมโรค")
    return {
        "finance": finance,
        "cgd": cgd,
        "cgd_unit": UnitFactory.create(parent=cgd, code="0300400001"),
        "cgd_regional": UnitFactory.create(
            parent=cgd, code="0300400002", region="regional", province="เชียงใหม่"
        ),
        "customs": customs,
        "customs_unit": UnitFactory.create(parent=customs, code="0300600001"),
        "health": health,
        "disease": disease,
        "disease_unit": UnitFactory.create(parent=disease, code="2100400001"),
    }


def privileged(**fields: object) -> Officer:
    """An administrator or auditor with the soft token every privileged account needs
    (secret DEMO_SECRET, so tests can type its codes)."""
    officer = OfficerFactory.create(unit=None, **fields)
    SoftTokenFactory.create(officer=officer)
    return officer


@pytest.fixture
def alice(cgd_tree) -> Officer:
    return privileged(username="alice", role=Role.CENTRAL_ADMIN)


@pytest.fixture
def bob(cgd_tree) -> Officer:
    return privileged(username="bob", role=Role.AGENCY_ADMIN, admin_scope=cgd_tree["cgd"])


@pytest.fixture
def charlie(cgd_tree) -> Officer:
    return OfficerFactory.create(username="charlie", unit=cgd_tree["cgd_unit"])


@pytest.fixture
def dave(cgd_tree) -> Officer:
    return OfficerFactory.create(username="dave", unit=cgd_tree["disease_unit"])


@pytest.fixture
def erin(cgd_tree) -> Officer:
    return privileged(username="erin", role=Role.AUDITOR)


def next_code(officer: Officer) -> str:
    """A code the officer's app could show now that is not used up yet (a test may sign one
    account in more than once within a frozen time step: ±1 step of drift is accepted)."""
    token = SoftToken.objects.get(officer=officer, status=SoftTokenStatus.ACTIVE)
    now_step = totp.time_step(timezone.now())
    for step in (now_step, now_step + 1):
        if token.last_used_step is None or step > token.last_used_step:
            return totp.code_at_step(DEMO_SECRET, step)
    raise AssertionError(f"no unused code left for {officer.username} in this time step")


def sign_in(client: Client, username: str, password: str = PASSWORD) -> Client:
    """The portal's real sign-in: the password, then — for privileged accounts — the code of
    their own soft token."""
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    if response["Location"].startswith("/login/code/"):
        officer = Officer.objects.by_username(username).get()
        response = client.post(response["Location"], {"code": next_code(officer)})
        assert response.status_code == 302, response.content.decode()[:500]
        assert not response["Location"].startswith("/login/"), response["Location"]
    return client


def force_sign_in(client: Client, officer: Officer) -> Client:
    """Signed in with both factors and a fresh step-up, without going through the forms (for
    tests about something else)."""
    client.force_login(officer)
    session = client.session
    session[SECOND_FACTOR_KEY] = session[STEP_UP_KEY] = timezone.now().isoformat()
    token = SoftToken.objects.filter(officer=officer, status=SoftTokenStatus.ACTIVE).first()
    session[SECOND_FACTOR_TOKEN_KEY] = token.pk if token else None
    session.save()
    return client


def first_group(pattern: str, text: str, flags: int = 0) -> str:
    """Group 1 of the first match of pattern in text, which must have one."""
    match = re.search(pattern, text, flags)
    assert match is not None, f"{pattern!r} not in {text[:300]!r}"
    return match.group(1)


def streamed_body(response: HttpResponseBase) -> bytes:
    """The whole body of a streaming response (an export, a static file)."""
    assert isinstance(response, StreamingHttpResponse), type(response)
    return response.getvalue()


def pytest_report_header(config) -> str:
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"


from tests.auth_gateway.conftest import api, service_key  # noqa: E402, F401  (shared fixtures)


def _without_timeouts(method):
    """Creating and dropping the test database can wait seconds for a PostgreSQL checkpoint on
    a busy machine; the production statement timeout (1 s) and client deadline would cancel it
    and leave a database behind that the next run cannot clobber. Only these two statements
    run without them; the tests keep every production timeout."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with dbclient.suspended():
            return method(self, *args, **kwargs)

    return wrapper


def _execute_create_without_statement_timeout(original):
    @functools.wraps(original)
    def wrapper(self, cursor, parameters, keepdb=False):
        cursor.execute("SET statement_timeout = 0")  # also covers the DROP of a leftover
        return original(self, cursor, parameters, keepdb)

    return wrapper


def _destroy_without_statement_timeout(self, test_database_name, verbosity):
    with self._nodb_cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        name = self.connection.ops.quote_name(test_database_name)
        cursor.execute(f"DROP DATABASE {name}")


# Private methods of Django's DatabaseCreation, which django-stubs does not declare.
PostgresCreation._execute_create_test_db = _execute_create_without_statement_timeout(  # type: ignore[attr-defined]  # private Django method, not in django-stubs
    PostgresCreation._execute_create_test_db  # type: ignore[attr-defined]  # private Django method, not in django-stubs
)
PostgresCreation._destroy_test_db = _destroy_without_statement_timeout  # type: ignore[attr-defined]  # private Django method, not in django-stubs
PostgresCreation._create_test_db = _without_timeouts(PostgresCreation._create_test_db)  # type: ignore[attr-defined]  # private Django method, not in django-stubs
PostgresCreation._destroy_test_db = _without_timeouts(PostgresCreation._destroy_test_db)  # type: ignore[attr-defined]  # private Django method, not in django-stubs


def _flush_without_statement_timeout(original):
    """The flush after each transactional test (browser tests: live_server) truncates every
    table in one statement, which takes more than the production 1 s statement timeout on a
    busy machine; the test then errors in teardown and the next one finds the rows left
    behind. Only the flush runs without the timeouts (and with a bounded lock wait)."""

    @functools.wraps(original)
    def wrapper(self, sql_list):
        with dbclient.suspended():
            return original(
                self,
                ["SET LOCAL statement_timeout = 0", "SET LOCAL lock_timeout = '10s'", *sql_list],
            )

    return wrapper


PostgresOperations.execute_sql_flush = _flush_without_statement_timeout(  # type: ignore[method-assign]  # the test run's flush only
    PostgresOperations.execute_sql_flush
)
