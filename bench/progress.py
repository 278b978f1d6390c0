"""make bench-progress: the administrators' pages over a country-sized organisation tree.

Seeds, once (the data is reused by later runs; --reseed rebuilds it), on the configured
database (run it on PostgreSQL):

  20 ministries → 250 departments → 5,000 disbursement units, 100,000 officers spread unevenly
  (some units have 2 officers, some several hundred); ~55 % registered (an active soft token,
  confirmed over the past six weeks, some after replacing a phone), ~3 % half-way through
  registration (a pending token of the last few minutes), the rest not started (some with an
  abandoned pending token); one hardware Token Key per officer in assorted return states;
  ~300,000 login decisions over the last 7 days (soft_token / token_key / password, allowed
  and refused, office hours, fewer at weekends); a central administrator and a few agency
  administrators.

Officers get one unusable password (nobody logs in through a form here; the pages are fetched
with Django's test Client after force_login), real encrypted citizen IDs (the CSV export
decrypts and masks them) and are written with COPY on PostgreSQL.

Then measures in-process, with django.test.Client: the wall time of each request (warm,
several runs: median, p95, max) and the number of SQL statements, for the progress overview
and drill-downs, the officer list, the legacy-login telemetry and the other per-scope
aggregate pages under /manage/ that exist; and the streamed CSV export of every officer (time,
rows, bytes, Python allocation peak with tracemalloc, RSS), compared with a ~10k-row export.

Prints a Markdown table and saves the figures to var/bench-progress.json.
"""

import argparse
import datetime as dt
import io
import json
import math
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

import django

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gfms_portal.settings")
django.setup()

from django.conf import settings
from django.core.management import call_command
from django.db import connection, models
from django.http import HttpResponseBase, StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from agencies.models import Agency, Officer
from agencies.policy import Kind, Region, Role, path_for, random_citizen_id
from agencies.step_up import SECOND_FACTOR_KEY, SECOND_FACTOR_TOKEN_KEY, STEP_UP_KEY
from auth_gateway.models import LoginDecision
from gfms_portal.clock import bangkok_date, now
from schedule.services import change_schedule
from tokens.models import SoftToken, SoftTokenStatus, TokenKey, TokenKeyState

PREFIX = "pb-"  # user ids made by this bench ("progress bench")
# Bench ministries are 70, 71, … 98: clear of the demo's (03, 21, …) and of 99 (the gateway
# bench). Everything the bench made has a code in [BENCH_CODES) or a user id starting PREFIX.
FIRST_MINISTRY = 70
BENCH_CODES = ("70", "99")
Row = tuple[object, ...]
BANGKOK = dt.timezone(dt.timedelta(hours=7))  # no daylight saving: a fixed offset will do
UNUSABLE_PASSWORD = "!bench-no-login"  # noqa: S105 - Django treats "!…" as an unusable password
FAKE_PEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEbench\n-----END PUBLIC KEY-----\n"
PROVINCES = ["เชียงใหม่", "ขอนแก่น", "สงขลา", "นครราชสีมา", "ภูเก็ต", "อุดรธานี", "ชลบุรี", "พิษณุโลก"]
FIRST_NAMES = ["สมชาย", "สมศรี", "วิไลวรรณ", "ประเสริฐ", "กนกพร", "ธนพล", "สุภาพร", "อภิชาติ", "ณัฐธิดา"]
LAST_NAMES = ["ใจดี", "ศรีสุข", "วงศ์ไทย", "บุญมา", "แก้วมณี", "ทองคำ", "พูลสวัสดิ์", "รักษ์ชาติ"]


@dataclass(frozen=True)
class Shape:
    ministries: int = 20
    departments: int = 250
    units: int = 5_000
    officers: int = 100_000
    decisions: int = 300_000


# --- seeding ------------------------------------------------------------------------------------


def spread(rng: random.Random, total: int, parts: int, minimum: int, sigma: float) -> list[int]:
    """`total` split into `parts` uneven sizes (log-normal weights), each at least `minimum`."""
    weights = [rng.lognormvariate(0, sigma) for _ in range(parts)]
    scale = (total - minimum * parts) / sum(weights)
    sizes = [minimum + int(weight * scale) for weight in weights]
    for index in rng.choices(range(parts), weights=weights, k=total - sum(sizes)):
        sizes[index] += 1
    return sizes


def _text(value: object) -> str:
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def column(model: type[models.Model], attname: str) -> str:
    """The database column of one of the model's concrete fields."""
    found = model._meta.get_field(attname)
    if not isinstance(found, models.Field) or not found.column:
        raise TypeError(f"{model.__name__}.{attname} has no column of its own")
    return found.column


def insert(
    model: type[models.Model], fields: list[str], rows: Iterable[Row], batch: int = 50_000
) -> int:
    """Insert plain rows: COPY on PostgreSQL, bulk_create elsewhere. `fields` are attnames
    (unit_id, not unit); every NOT NULL column must be given (COPY skips Django's defaults)."""
    count = 0
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(objects, batch_size=2_000)
        return len(objects)
    columns = ", ".join(column(model, name) for name in fields)
    statement = f"COPY {model._meta.db_table} ({columns}) FROM STDIN"
    buffer = io.StringIO()
    with connection.cursor() as cursor:
        for row in rows:
            buffer.write("\t".join(_text(value) for value in row) + "\n")
            count += 1
            if count % batch == 0:
                buffer.seek(0)
                cursor.copy_expert(statement, buffer)
                buffer = io.StringIO()
        buffer.seek(0)
        cursor.copy_expert(statement, buffer)
    return count


@dataclass
class Tree:
    ministries: list[Agency] = field(default_factory=list)
    departments: list[Agency] = field(default_factory=list)
    units: list[Agency] = field(default_factory=list)


def seed_tree(rng: random.Random, shape: Shape) -> Tree:
    tree = Tree()
    for number in range(shape.ministries):
        code = f"{FIRST_MINISTRY + number:02d}"
        tree.ministries.append(
            Agency(
                code=code,
                kind=Kind.MINISTRY,
                path=path_for(code),
                name_th=f"กระทรวงทดสอบ {number + 1}",
                name_en=f"Bench Ministry {number + 1}",
            )
        )
    Agency.objects.bulk_create(tree.ministries)
    per_ministry = spread(rng, shape.departments, shape.ministries, minimum=3, sigma=0.6)
    for ministry, count in zip(tree.ministries, per_ministry, strict=True):
        for number in range(1, count + 1):
            code = f"{ministry.code}{number:03d}"
            tree.departments.append(
                Agency(
                    code=code,
                    kind=Kind.DEPARTMENT,
                    parent=ministry,
                    path=path_for(code),
                    name_th=f"กรมทดสอบ {code}",
                    name_en=f"Bench Department {code}",
                )
            )
    Agency.objects.bulk_create(tree.departments)
    per_department = spread(rng, shape.units, shape.departments, minimum=1, sigma=1.0)
    for department, count in zip(tree.departments, per_department, strict=True):
        for number in range(1, count + 1):
            code = f"{department.code}{number:05d}"
            regional = rng.random() < 0.6
            tree.units.append(
                Agency(
                    code=code,
                    kind=Kind.UNIT,
                    parent=department,
                    path=path_for(code),
                    name_th=f"หน่วยเบิกจ่ายทดสอบ {code}",
                    name_en=f"Bench Unit {code}",
                    region=Region.REGIONAL if regional else Region.CENTRAL,
                    province=rng.choice(PROVINCES) if regional else "",
                )
            )
    Agency.objects.bulk_create(tree.units, batch_size=2_000)
    return tree


def seed(shape: Shape, *, seed_value: int, at: dt.datetime) -> None:
    rng = random.Random(seed_value)  # noqa: S311 - test data, not secrets
    started = time.perf_counter()
    tree = seed_tree(rng, shape)
    print(
        f"  tree: {len(tree.ministries)} ministries, {len(tree.departments)} departments, "
        f"{len(tree.units):,} units ({time.perf_counter() - started:.1f} s)",
        flush=True,
    )

    # Officers: uneven units; registration propensity varies by department and by unit.
    sizes = spread(rng, shape.officers, len(tree.units), minimum=2, sigma=1.0)
    department_rate = {d.pk: min(0.95, max(0.1, rng.gauss(0.55, 0.15))) for d in tree.departments}
    people: list[tuple[int, Agency, float]] = []  # (index, unit, registration propensity)
    for unit, size in zip(tree.units, sizes, strict=True):
        if unit.parent_id is None:
            raise ValueError(f"unit {unit.code} has no department")
        rate = min(0.98, max(0.02, department_rate[unit.parent_id] + rng.gauss(0, 0.1)))
        people.extend((0, unit, rate) for _ in range(size))
    rng.shuffle(people)  # officers join over time: ids are not grouped by unit
    people = [(index, unit, rate) for index, (_, unit, rate) in enumerate(people)]

    def officer_rows() -> Iterator[Row]:
        for index, unit, _rate in people:
            citizen_id = random_citizen_id(rng)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            username = f"{PREFIX}{index:06d}"
            yield (
                username,
                UNUSABLE_PASSWORD,
                None,
                f"{first} {last}{index % 997}",
                "",
                f"{username}@agency.example",
                "",
                unit.pk,
                Officer.citizen_id.encrypt(citizen_id),
                Officer.citizen_id.lookup_hash(citizen_id),
                Role.OFFICER.value,
                None,
                True,
                0,
                None,
                at - dt.timedelta(days=200 + rng.random() * 400),
            )

    officer_fields = [
        "username",
        "password",
        "last_login",
        "name_th",
        "name_en",
        "email",
        "phone",
        "unit_id",
        "citizen_id_encrypted",
        "citizen_id_hash",
        "role",
        "admin_scope_id",
        "is_active",
        "failed_logins",
        "locked_until",
        "date_joined",
    ]
    step = time.perf_counter()
    insert(Officer, officer_fields, officer_rows())
    ids = dict(Officer.objects.filter(username__startswith=PREFIX).values_list("username", "pk"))
    print(f"  officers: {len(ids):,} ({time.perf_counter() - step:.1f} s)", flush=True)

    # Soft tokens: registered (active, confirmed over the last six weeks, more of them early),
    # pending (created in the last few minutes: counts as "in progress"), abandoned pending.
    step = time.perf_counter()
    secret = SoftToken.secret.encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")  # one seed: never used
    registered_at: dict[int, dt.datetime] = {}
    states: dict[int, str] = {}
    token_rows: list[Row] = []
    for index, _unit, rate in people:
        officer_id = ids[f"{PREFIX}{index:06d}"]
        draw = rng.random()
        if draw < rate:
            confirmed = at - dt.timedelta(days=42 * rng.random(), minutes=rng.random() * 600)
            registered_at[index] = confirmed
            states[index] = "registered"
            if rng.random() < 0.03:  # replaced a phone: the old token was revoked
                old = confirmed - dt.timedelta(days=1 + rng.random() * 10)
                token_rows.append(
                    (
                        officer_id,
                        secret,
                        "revoked",
                        old,
                        old + dt.timedelta(minutes=3),
                        confirmed,
                        False,
                    )
                )
            token_rows.append(
                (
                    officer_id,
                    secret,
                    "active",
                    confirmed - dt.timedelta(minutes=4),
                    confirmed,
                    None,
                    False,
                )
            )
        elif draw < rate + 0.03 / 0.45 * (1 - rate):  # ~3 % overall are half-way through
            created = at - dt.timedelta(seconds=rng.random() * 240)
            states[index] = "pending"
            token_rows.append((officer_id, secret, "pending", created, None, None, False))
        else:
            states[index] = "not_started"
            if rng.random() < 0.05:  # started once, never confirmed
                created = at - dt.timedelta(days=1 + rng.random() * 30)
                token_rows.append((officer_id, secret, "pending", created, None, None, False))
    insert(
        SoftToken,
        [
            "officer_id",
            "secret_encrypted",
            "status",
            "created_at",
            "confirmed_at",
            "revoked_at",
            "is_replacement",
        ],
        token_rows,
    )
    print(f"  soft tokens: {len(token_rows):,} ({time.perf_counter() - step:.1f} s)", flush=True)

    # One hardware Token Key per officer; registered officers' keys are on their way back.
    step = time.perf_counter()
    S = TokenKeyState
    key_states = {
        "registered": (
            [S.IN_USE, S.HANDED_OVER, S.IN_SHIPMENT, S.RECEIVED, S.LOST, S.DAMAGED],
            [40, 20, 10, 26, 2, 2],
        ),
        "other": ([S.IN_USE, S.LOST], [98, 2]),
    }
    key_rows = []
    for index, unit, _rate in people:
        choices, weights = key_states["registered" if index in registered_at else "other"]
        key_state = rng.choices(choices, weights)[0]
        key_rows.append(
            (
                f"PB{index:08d}",
                ids[f"{PREFIX}{index:06d}"],
                unit.pk,
                FAKE_PEM,
                key_state.value,
                at - dt.timedelta(days=rng.random() * 30),
                "หายระหว่างเดินทาง" if key_state == S.LOST else "",
            )
        )
    insert(
        TokenKey,
        [
            "serial",
            "officer_id",
            "unit_id",
            "public_key_pem",
            "state",
            "updated_at",
            "lost_statement",
        ],
        key_rows,
    )
    print(f"  Token Keys: {len(key_rows):,} ({time.perf_counter() - step:.1f} s)", flush=True)

    # Login decisions over the last 7 days: office hours in Bangkok, fewer at weekends; some
    # officers log in much more than others; registered officers use the soft token from the
    # moment they confirmed it; the others the Token Key or the password; a few unknown ids.
    step = time.perf_counter()
    hour_weights = [0, 0, 0, 0, 0, 0, 1, 4, 10, 14, 14, 10, 5, 9, 13, 12, 8, 4, 2, 1, 1, 1, 0, 0]
    start = at - dt.timedelta(days=7)
    first_day = start.astimezone(BANGKOK).date()
    days = [first_day + dt.timedelta(days=offset) for offset in range(8)]
    day_weights = [0.15 if day.weekday() >= 5 else 1.0 for day in days]
    activity = [rng.lognormvariate(0, 0.8) for _ in people]
    chosen = rng.choices(people, weights=activity, k=shape.decisions)

    def moment() -> dt.datetime:
        while True:
            day = rng.choices(days, day_weights)[0]
            hour = rng.choices(range(24), hour_weights)[0]
            local = dt.datetime(day.year, day.month, day.day, hour, tzinfo=BANGKOK)
            when = local + dt.timedelta(seconds=rng.random() * 3600)
            if start < when <= at:
                return when.astimezone(dt.UTC)

    def decision_rows() -> Iterator[Row]:
        for number, (index, unit, _rate) in enumerate(chosen):
            when = moment()
            ip = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            request_id = f"{number:08x}"
            if rng.random() < 0.01:  # an unknown or mistyped user id
                username = f"{PREFIX}x{number}"
                yield (
                    when,
                    username,
                    None,
                    None,
                    "password",
                    "window",
                    "deny",
                    "invalid_credentials",
                    None,
                    ip,
                    request_id,
                )
                continue
            username = f"{PREFIX}{index:06d}"
            confirmed = registered_at.get(index)
            if confirmed is not None and confirmed <= when:
                method = "soft_token"
                allowed = rng.random() < 0.95
                reason = "ok" if allowed else rng.choice(["invalid_otp", "otp_reused"])
            else:
                method = "token_key" if rng.random() < 0.6 else "password"
                allowed = rng.random() < 0.92
                wrong = "invalid_signature" if method == "token_key" else "invalid_credentials"
                reason = "ok" if allowed else wrong
            yield (
                when,
                username,
                ids[username],
                unit.pk,
                method,
                "window",
                "allow" if allowed else "deny",
                reason,
                None,
                ip,
                request_id,
            )

    count = insert(
        LoginDecision,
        [
            "at",
            "username",
            "officer_id",
            "unit_id",
            "method",
            "phase",
            "decision",
            "reason",
            "client_id",
            "client_ip",
            "request_id",
        ],
        decision_rows(),
    )
    print(f"  login decisions: {count:,} ({time.perf_counter() - step:.1f} s)", flush=True)

    # Administrators: CGD, and agency administrators of the largest departments and a ministry.
    by_department: dict[int | None, int] = {}
    for unit, size in zip(tree.units, sizes, strict=True):
        by_department[unit.parent_id] = by_department.get(unit.parent_id, 0) + size
    largest = sorted(tree.departments, key=lambda d: -by_department.get(d.pk, 0))[:4]
    admins = [
        Officer(
            username=f"{PREFIX}admin-{agency.code}",
            name_th=f"ผู้ดูแลระบบ {agency.code}",
            email=f"admin-{agency.code}@agency.example",
            role=Role.AGENCY_ADMIN,
            admin_scope=agency,
            password=UNUSABLE_PASSWORD,
        )
        for agency in [*largest, tree.ministries[0]]
    ]
    # The central administrator last: its presence marks a complete seed.
    admins.append(
        Officer(
            username=f"{PREFIX}cgd-admin",
            name_th="ผู้ดูแลระบบกลาง กรมบัญชีกลาง",
            email="cgd-admin@cgd.example",
            role=Role.CENTRAL_ADMIN,
            password=UNUSABLE_PASSWORD,
        )
    )
    Officer.objects.bulk_create(admins)
    analyze()
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)


def signed_in(officer: Officer) -> Client:
    """A browser session of `officer` past the sign-in's second factor, as just after typing a
    code: a privileged account sees no page before it (auth_gateway.signin's
    PrivilegedSessionGuard). The administrators' soft token is made on first use (they are not
    among the officers the pages count)."""
    token = SoftToken.objects.filter(officer=officer, status=SoftTokenStatus.ACTIVE).first()
    if token is None:
        at = now()
        token = SoftToken.objects.create(
            officer=officer,
            # Never used for a code: the session below is marked as having typed one.
            secret_encrypted=SoftToken.secret.encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
            status=SoftTokenStatus.ACTIVE,
            created_at=at,
            confirmed_at=at,
        )
    client = Client(HTTP_HOST="localhost")
    client.force_login(officer)
    session = client.session
    # …and a fresh code for the exports, a sensitive act (valid for 5 minutes).
    session[SECOND_FACTOR_KEY] = session[STEP_UP_KEY] = now().isoformat()
    session[SECOND_FACTOR_TOKEN_KEY] = token.pk
    session.save()
    return client


@contextmanager
def no_statement_timeout() -> Iterator[None]:
    """Seeding and moving 300,000 rows take longer than the app's statement timeout."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")  # back to the app's (DATABASES OPTIONS)


def analyze() -> None:
    """Fresh statistics (and a visibility map for index-only scans), as autovacuum would make."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Agency, Officer, SoftToken, TokenKey, LoginDecision):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


BENCH_AGENCIES = "SELECT id FROM agencies_agency WHERE code >= %s AND code < %s"


def bench_agencies() -> models.QuerySet[Agency]:
    return Agency.objects.filter(code__gte=BENCH_CODES[0], code__lt=BENCH_CODES[1])


def delete_bench_rows() -> None:
    """Everything this bench made (and nothing else: other data in the database stays)."""
    codes = BENCH_CODES
    officers = "SELECT id FROM agencies_officer WHERE username LIKE %s"
    like = PREFIX + "%"
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM auth_gateway_logindecision WHERE username LIKE %s", [like])
        for table in ("tokens_softtoken", "tokens_recoverycode"):
            cursor.execute(f"DELETE FROM {table} WHERE officer_id IN ({officers})", [like])  # noqa: S608
        cursor.execute(f"DELETE FROM tokens_tokenkey WHERE unit_id IN ({BENCH_AGENCIES})", codes)  # noqa: S608
        cursor.execute("DELETE FROM agencies_officer WHERE username LIKE %s", [like])
        for kind in (Kind.UNIT, Kind.DEPARTMENT, Kind.MINISTRY):
            cursor.execute(
                "DELETE FROM agencies_agency WHERE kind = %s AND code >= %s AND code < %s",
                [kind.value, *codes],
            )


def is_seeded(shape: Shape) -> bool:
    prefix_officers = Officer.objects.filter(username__startswith=PREFIX, role=Role.OFFICER)
    return (
        Officer.objects.filter(username=f"{PREFIX}cgd-admin").exists()
        and prefix_officers.count() == shape.officers
        and bench_agencies().filter(kind=Kind.UNIT).count() == shape.units
    )


def set_schedule(at: dt.datetime) -> None:
    """The registration window around today, as in the middle of the migration: opened 45
    days ago (the registrations above start 42 days ago), closes in 20 days."""
    today = bangkok_date(at)
    closes = today + dt.timedelta(days=20)
    change_schedule(
        at=at,
        actor_label="bench/progress.py",
        opens=today - dt.timedelta(days=45),
        closes=closes,
        soft_token_only_from=closes + dt.timedelta(days=1),
        return_due=closes + dt.timedelta(days=49),
        is_demo=True,
    )


def refresh_clock(at: dt.datetime) -> None:
    """Keep the data "recent" on a reused seed: move every timestamp forward so that the newest
    decision is `at` (when it lags more than an hour), and the in-progress registrations so
    that they are a few minutes old (they count as in progress for ten minutes only)."""
    newest = LoginDecision.objects.filter(username__startswith=PREFIX).aggregate(
        newest=models.Max("at")
    )["newest"]
    if newest is not None and at - newest > dt.timedelta(hours=1):
        shift = at - newest
        print(f"moving the data {shift} forward in time…", flush=True)
        mine = Officer.objects.filter(username__startswith=PREFIX).values("pk")
        LoginDecision.objects.filter(username__startswith=PREFIX).update(at=models.F("at") + shift)
        SoftToken.objects.filter(officer__in=mine).update(
            created_at=models.F("created_at") + shift,
            confirmed_at=models.F("confirmed_at") + shift,
            revoked_at=models.F("revoked_at") + shift,
        )
        TokenKey.objects.filter(officer__in=mine).update(updated_at=models.F("updated_at") + shift)
        analyze()
    # In progress = pending and created less than ten minutes ago; the abandoned ones are days old.
    live = SoftToken.objects.filter(
        officer__username__startswith=PREFIX,
        status=SoftTokenStatus.PENDING,
        created_at__gt=at - dt.timedelta(hours=12),
    )
    live.update(created_at=at - dt.timedelta(seconds=30))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {SoftToken._meta.db_table}")


# --- measuring ------------------------------------------------------------------------------------


def status_kib(name: str) -> int:
    """VmRSS / VmHWM of this process from /proc (KiB); 0 where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux: echo 5 > /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


@dataclass
class Page:
    label: str
    viewer: str
    url: str


def measure_page(client: Client, page: Page, runs: int) -> dict[str, object]:
    for _ in range(2):  # warm up: templates, translations, PostgreSQL's caches
        response = client.get(page.url)
        if response.status_code != 200:
            raise SystemExit(f"{page.url} as {page.viewer}: HTTP {response.status_code}")
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(page.url)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.url)
    sql_ms = sum(float(query["time"]) for query in captured.captured_queries) * 1000
    return {
        "label": page.label,
        "viewer": page.viewer,
        "url": page.url,
        "median_ms": statistics.median(timings),
        "p95_ms": percentile(timings, 0.95),
        "max_ms": max(timings),
        "queries": len(captured),
        "sql_ms": sql_ms,
        "kib": len(response.content) / 1024,
        "slowest_sql": sorted(captured.captured_queries, key=lambda query: -float(query["time"]))[
            0
        ]["sql"][:2000],
    }


def open_cursors() -> list[str]:
    """The statements of the server-side cursors open on this connection (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_cursors")
        return [row[0] for row in cursor.fetchall()]


class CsvRun(TypedDict):
    """One read of a CSV export (consume_csv); memory in KiB."""

    rows: int
    bytes: int
    seconds: float
    first_row_ms: float
    tracemalloc_peak_kib: float
    tracemalloc_samples_kib: list[int]
    server_side_cursors: list[str]
    rss_before_kib: int
    rss_max_sampled_kib: int
    rss_after_kib: int
    hwm_kib: int


class CsvResult(CsvRun):
    """An untraced read, with the memory figures of a traced one and the queries of a third."""

    traced_seconds: float
    traced_rss_max_sampled_kib: int
    traced_hwm_kib: int
    queries: int


def consume_csv(client: Client, url: str, *, trace: bool) -> CsvRun:
    """Fetch a CSV export and read it chunk by chunk, as a WSGI server would. With `trace`,
    Python allocations are traced (slower) and sampled every 10,000 rows, and the connection's
    open server-side cursors are looked at half-way."""
    rss_before = status_kib("VmRSS")
    hwm_reset = reset_peak_rss()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    response: HttpResponseBase = client.get(url)
    if response.status_code != 200 or not isinstance(response, StreamingHttpResponse):
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    first_row = None
    lines = size = 0
    rss_max = rss_before
    samples: list[int] = []
    cursors: list[str] = []
    for chunks, chunk in enumerate(response, 1):  # the streaming content, chunk by chunk
        size += len(chunk)
        lines += chunk.count(b"\n")
        if first_row is None and lines >= 2:  # the header, then the first officer
            first_row = time.perf_counter() - started
        if chunks % 2_000 == 0:
            rss_max = max(rss_max, status_kib("VmRSS"))
        if trace and chunks % 10_000 == 0:
            samples.append(tracemalloc.get_traced_memory()[0] // 1024)
        if trace and chunks == 5_000 and connection.vendor == "postgresql":
            cursors = open_cursors()
    response.close()
    elapsed = time.perf_counter() - started
    peak = 0
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {
        "rows": lines - 1,  # the header
        "bytes": size,
        "seconds": elapsed,
        "first_row_ms": (first_row or 0) * 1000,
        "tracemalloc_peak_kib": peak / 1024,
        "tracemalloc_samples_kib": samples,
        "server_side_cursors": [statement[:120] for statement in cursors],
        "rss_before_kib": rss_before,
        "rss_max_sampled_kib": rss_max,
        "rss_after_kib": status_kib("VmRSS"),
        "hwm_kib": status_kib("VmHWM") if hwm_reset else 0,
    }


def manage_routes() -> list[str]:
    """Every URL pattern under /manage/, to say which ones were not measured."""
    found: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("manage/"):
                found.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return found


def exists(url: str) -> bool:
    try:
        resolve(url.split("?")[0])
    except Resolver404:
        return False
    return True


def data_shape() -> dict[str, object]:
    at = now()
    officers = Officer.objects.filter(role=Role.OFFICER, username__startswith=PREFIX)
    active = SoftToken.objects.filter(officer=models.OuterRef("pk"), status=SoftTokenStatus.ACTIVE)
    pending = SoftToken.objects.filter(
        officer=models.OuterRef("pk"),
        status=SoftTokenStatus.PENDING,
        created_at__gt=at - dt.timedelta(minutes=10),
    )
    counts = officers.annotate(r=models.Exists(active), p=models.Exists(pending)).aggregate(
        total=models.Count("pk"),
        registered=models.Count("pk", filter=models.Q(r=True)),
        pending=models.Count("pk", filter=models.Q(r=False, p=True)),
    )
    sizes = sorted(
        officers.values("unit").annotate(n=models.Count("pk")).values_list("n", flat=True)
    )
    return {
        "ministries": bench_agencies().filter(kind=Kind.MINISTRY).count(),
        "departments": bench_agencies().filter(kind=Kind.DEPARTMENT).count(),
        "units": len(sizes),
        "unit_sizes": {
            "min": sizes[0],
            "median": statistics.median(sizes),
            "p95": percentile(sizes, 0.95),
            "max": sizes[-1],
            "with 100+": sum(1 for size in sizes if size >= 100),
        },
        **counts,
        "soft_tokens": SoftToken.objects.count(),
        "token_keys": TokenKey.objects.count(),
        "decisions": LoginDecision.objects.count(),
        "decisions_last_7_days": LoginDecision.objects.filter(
            at__gte=at - dt.timedelta(days=7)
        ).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--reseed", action="store_true", help="delete the bench data and seed again"
    )
    parser.add_argument("--ministries", type=int, default=Shape.ministries)
    parser.add_argument("--departments", type=int, default=Shape.departments)
    parser.add_argument("--officers", type=int, default=Shape.officers)
    parser.add_argument("--units", type=int, default=Shape.units)
    parser.add_argument("--decisions", type=int, default=Shape.decisions)
    parser.add_argument("--runs", type=int, default=20, help="measured requests per page")
    parser.add_argument("--seed", type=int, default=2568, help="random seed of the data")
    parser.add_argument("--no-csv", action="store_true", help="skip the CSV export")
    args = parser.parse_args()
    if not 1 <= args.ministries <= int(BENCH_CODES[1]) - FIRST_MINISTRY:
        parser.error(f"--ministries: 1 to {int(BENCH_CODES[1]) - FIRST_MINISTRY}")
    shape = Shape(
        ministries=args.ministries,
        departments=args.departments,
        units=args.units,
        officers=args.officers,
        decisions=args.decisions,
    )

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(
        f"database: {engine} ({settings.DATABASES['default'].get('NAME')}); machine: "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"DEBUG={settings.DEBUG}"
    )
    if engine != "postgresql":
        print("warning: run the benchmark on PostgreSQL (DATABASE_URL) for meaningful figures")
    call_command("migrate", verbosity=0, interactive=False)
    with no_statement_timeout():
        if args.reseed or not is_seeded(shape):
            print("seeding (removing any earlier bench data first)…", flush=True)
            delete_bench_rows()
            seed(shape, seed_value=args.seed, at=now())
        else:
            print("reusing the seeded data (--reseed to rebuild it)")
        refresh_clock(now())
        set_schedule(now())
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        print(f"statement_timeout for the measurements: {cursor.fetchone()[0]}")
    shape_now = data_shape()
    print("data:", json.dumps(shape_now, ensure_ascii=False))

    central = Officer.objects.get(username=f"{PREFIX}cgd-admin")
    # The largest department (the worst drill-down), its administrator and its largest unit.
    dept_admin = (
        Officer.objects.filter(
            username__startswith=f"{PREFIX}admin-", admin_scope__kind=Kind.DEPARTMENT
        )
        .select_related("admin_scope")
        .order_by("username")
    )
    sizes = {
        row["unit__parent__code"]: row["n"]
        for row in Officer.objects.filter(role=Role.OFFICER, username__startswith=PREFIX)
        .values("unit__parent__code")
        .annotate(n=models.Count("pk"))
    }

    def scope_of(officer: Officer) -> Agency:
        if officer.admin_scope is None:
            raise SystemExit(f"{officer.username} administers nothing: seed again (--reseed)")
        return officer.admin_scope

    admin = max(dept_admin, key=lambda officer: sizes.get(scope_of(officer).code, 0))
    department = scope_of(admin)
    ministry_code = department.code[:2]
    unit_row = (
        Officer.objects.filter(role=Role.OFFICER, unit__parent=department)
        .values("unit__code")
        .annotate(n=models.Count("pk"))
        .order_by("-n")
        .first()
    )
    if unit_row is None:
        raise SystemExit(f"no officers in department {department.code}: seed again (--reseed)")
    unit_code, unit_size = unit_row["unit__code"], unit_row["n"]
    department_units = Agency.objects.filter(parent=department).count()
    total = shape_now["total"]
    if not isinstance(total, int):
        raise TypeError(f"officer total {total!r}")
    last_page = max(1, math.ceil(total / 50))
    print(
        f"drill-down: department {department.code} ({sizes[department.code]:,} officers in "
        f"{department_units} units, the largest), its unit {unit_code} ({unit_size} officers), "
        f"ministry {ministry_code}"
    )

    clients = {"central": signed_in(central), "agency": signed_in(admin)}
    agency = f"agency admin {department.code}"
    pages = [
        Page("progress: whole country", "central", "/manage/progress/"),
        Page(f"progress: ministry {ministry_code}", "central", f"/manage/progress/{ministry_code}/"),
        Page(f"progress: department {department.code}", "central", f"/manage/progress/{department.code}/"),
        Page("progress: own department (home)", agency, "/manage/progress/"),
        Page(f"progress: department {department.code}", agency, f"/manage/progress/{department.code}/"),
        Page(f"progress: unit {unit_code}", "central", f"/manage/progress/{unit_code}/"),
        Page(f"progress: unit {unit_code}", agency, f"/manage/progress/{unit_code}/"),
        Page("officer list, page 1", "central", "/manage/officer-list/"),
        Page(f"officer list, page {last_page} (last)", "central", f"/manage/officer-list/?page={last_page}"),
        Page("officer list, not started, page 1", "central", "/manage/officer-list/?state=not_started"),
        Page("officer list, search 'สมศรี'", "central", "/manage/officer-list/?q=%E0%B8%AA%E0%B8%A1%E0%B8%A8%E0%B8%A3%E0%B8%B5"),
        Page("officer list, page 1", agency, "/manage/officer-list/"),
        Page("legacy logins (7 days)", "central", "/manage/legacy-logins/"),
        Page("legacy logins (7 days)", agency, "/manage/legacy-logins/"),
        Page("forecast of refusals (14 days)", "central", "/manage/forecast/"),
        Page("forecast of refusals (14 days)", agency, "/manage/forecast/"),
        Page(f"forecast of refusals: department {department.code}", "central", f"/manage/forecast/{department.code}/"),
        Page("forecast of refusals, by last login", "central", "/manage/forecast/?sort=last&order=desc&page=3"),
        Page("Token Key return progress", "central", "/manage/token-keys/progress/"),
        Page("Token Key return progress", agency, "/manage/token-keys/progress/"),
        Page("Token Keys (first 500)", "central", "/manage/token-keys/"),
    ]  # fmt: skip
    results = []
    for page in pages:
        if not exists(page.url):
            print(f"  (no such page: {page.url})")
            continue
        client = clients["central" if page.viewer == "central" else "agency"]
        result = measure_page(client, page, args.runs)
        results.append(result)
        print(
            f"  {page.label:<40} {page.viewer:<22} median {result['median_ms']:7.1f} ms  "
            f"p95 {result['p95_ms']:7.1f} ms  max {result['max_ms']:7.1f} ms  "
            f"{result['queries']:>2} queries ({result['sql_ms']:.0f} ms SQL)",
            flush=True,
        )
    measured = {"/" + resolve(page.url.split("?")[0]).route for page in pages if exists(page.url)}
    measured.add("/manage/officer-list.csv")
    skipped = [route for route in manage_routes() if route not in measured]
    if skipped:
        print("  /manage/ routes not measured (lists, forms, single items):", ", ".join(skipped))

    csv_results: dict[str, CsvResult] = {}
    if not args.no_csv:
        small = (
            Officer.objects.filter(role=Role.OFFICER, username__startswith=PREFIX)
            .values("unit__parent__parent__code")
            .annotate(n=models.Count("pk"))
        )
        small_code = min(small, key=lambda row: abs(row["n"] - 10_000))[
            "unit__parent__parent__code"
        ]
        exports = {
            "all": "/manage/officer-list.csv",
            f"ministry {small_code}": f"/manage/officer-list.csv?unit={small_code}",
        }
        client = clients["central"]
        consume_csv(client, exports[f"ministry {small_code}"], trace=False)  # warm up
        for name, url in exports.items():
            timed = consume_csv(client, url, trace=False)
            traced = consume_csv(client, url, trace=True)
            with CaptureQueriesContext(connection) as captured:
                consume_csv(client, url, trace=False)
            csv_results[name] = {
                **timed,
                "traced_seconds": traced["seconds"],
                "tracemalloc_peak_kib": traced["tracemalloc_peak_kib"],
                "traced_rss_max_sampled_kib": traced["rss_max_sampled_kib"],
                "traced_hwm_kib": traced["hwm_kib"],
                "tracemalloc_samples_kib": traced["tracemalloc_samples_kib"],
                "server_side_cursors": traced["server_side_cursors"],
                "queries": len(captured),
            }
            row = csv_results[name]
            print(
                f"  CSV {name:<14} {row['rows']:>7,} rows {row['bytes'] / 2**20:6.1f} MiB in "
                f"{row['seconds']:5.1f} s (first row {row['first_row_ms']:.0f} ms, "
                f"{row['rows'] / row['seconds']:,.0f} rows/s); tracemalloc peak "
                f"{row['tracemalloc_peak_kib']:,.0f} KiB; RSS {row['rss_before_kib'] / 1024:.0f} → "
                f"max {row['rss_max_sampled_kib'] / 1024:.0f} → {row['rss_after_kib'] / 1024:.0f} MiB, "
                f"VmHWM {row['hwm_kib'] / 1024:.0f} MiB; {row['queries']} queries",
                flush=True,
            )
            print(
                f"      traced Python memory every 10,000 rows (KiB): {row['tracemalloc_samples_kib']}; "
                f"server-side cursor open half-way: {bool(row['server_side_cursors'])}",
                flush=True,
            )

    print()
    print("| page | viewer | median | p95 | max | queries | SQL time (one run) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for result in results:
        print(
            f"| {result['label']} | {result['viewer']} | {result['median_ms']:.0f} ms | "
            f"{result['p95_ms']:.0f} ms | {result['max_ms']:.0f} ms | {result['queries']} | "
            f"{result['sql_ms']:.0f} ms |"
        )
    if csv_results:
        print()
        print(
            "| CSV export | rows | size | time | first row | tracemalloc peak | RSS before → max → after | VmHWM |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, row in csv_results.items():
            print(
                f"| {name} | {row['rows']:,} | {row['bytes'] / 2**20:.1f} MiB | {row['seconds']:.1f} s | "
                f"{row['first_row_ms']:.0f} ms | {row['tracemalloc_peak_kib'] / 1024:.1f} MiB | "
                f"{row['rss_before_kib'] / 1024:.0f} → {row['rss_max_sampled_kib'] / 1024:.0f} → "
                f"{row['rss_after_kib'] / 1024:.0f} MiB | {row['hwm_kib'] / 1024:.0f} MiB |"
            )  # fmt: skip
    out = ROOT / "var" / "bench-progress.json"
    out.write_text(
        json.dumps(
            {
                "at": dt.datetime.now(dt.UTC).isoformat(),
                "cores": os.cpu_count(),
                "data": shape_now,
                "drill_down": {"department": department.code, "unit": unit_code},
                "pages": results,
                "csv": csv_results,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"\nfigures saved to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
