"""python manage.py seed_demo [--officers N] [--real-dates]

Realistic demo data in seconds, safe to run again: ministries, departments and disbursement
units (central and regional), officers in every registration state, Token Keys for the
officers who still use one, and demo accounts for each role. By default the schedule is shifted
so that today falls inside the registration window (the UI shows a "demo schedule" banner).
"""

import datetime as dt
import random
from urllib.parse import urljoin

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from agencies.demo_data import FIRST_NAMES, LAST_NAMES, MINISTRIES, PROVINCES
from agencies.models import Agency, Officer
from agencies.policy import Kind, Region, Role, path_for, random_citizen_id
from gfms_portal.clock import bangkok_date, now
from gfms_portal.thaidate import format_be_datetime
from schedule.policy import CIRCULAR_SCHEDULE
from schedule.services import change_schedule
from tokens.demo import DEMO_SERIAL_PREFIX, demo_public_key_pem
from tokens.models import RecoveryCode, SoftToken, SoftTokenStatus, TokenKey
from tokens.possession import recovery_code_hash
from tokens.roster import PENDING_TOKEN_LIFETIME

DEMO_PASSWORD = "gfms-demo-2568"  # noqa: S105  (printed for the demo; never a real account)
# A fixed secret for the demo's registered officer, so people can add it to an authenticator.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPGFMSDEMOTOTP2567"  # noqa: S105
# The demo administrators, the auditor and the help desks sign in with a second factor like
# real ones: one fixed secret for all of them, printed with the logins.
DEMO_ADMIN_TOTP_SECRET = "GFMSADMINDEMOTOTPSECRET2567AAAAA"  # noqa: S105
DEMO_ADMINS = ("cgd.admin", "cgd.auditor", "agency.admin", "cgd.helpdesk", "agency.helpdesk")
# The registered demo officer's ten recovery codes, fixed like its secret so that they can be
# printed on every `make run` (each works once: replace the phone at /account/replace-phone/).
_codes = random.Random(25680411)
DEMO_RECOVERY_CODES = tuple(
    "-".join(digits[i : i + 4] for i in range(0, 20, 4))
    for digits in (f"{_codes.randrange(10**20):020d}" for _ in range(10))
)
OFFICERS_PER_UNIT = 20
SHARE_REGISTERED = 0.35
SHARE_PENDING = 0.10
# The demo officers who still hold a Token Key (sign its challenges with sign_challenge).
DEMO_TOKEN_KEYS = {"officer.new": "DEMO-TK-0001", "officer.pending": "DEMO-TK-0002"}
DEMO_LOGINS = {
    "cgd.admin": "central administrator (CGD): sees everything, Django admin at /admin/",
    "cgd.auditor": "auditor: read-only, sees everything",
    "agency.admin": "agency administrator of one department and its units",
    "cgd.helpdesk": "CGD's help desk: reads every officer, unlocks, resends e-mail codes, resets",
    "agency.helpdesk": "help desk of the same department as agency.admin (its officers only)",
    "officer.registered": "officer with an active soft token (secret and recovery codes below)",
    "officer.pending": "officer whose registration is in progress (QR shown, not confirmed; "
    "see below); Token Key DEMO-TK-0002",
    "officer.new": "officer who has not registered yet; Token Key DEMO-TK-0001",
}


class Command(BaseCommand):
    help = "Create realistic demo data (idempotent) and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--officers", type=int, default=5000, help="how many officers (default 5,000)"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="seed only when there are no officers yet (make run); always print the logins",
        )
        parser.add_argument(
            "--real-dates",
            action="store_true",
            help="keep the circular's dates instead of shifting them around today",
        )

    def handle(self, *args: object, **options: object) -> None:
        count = int(str(options["officers"]))
        if not 10 <= count <= 1_000_000:
            raise CommandError("--officers must be between 10 and 1,000,000")
        if options["if_empty"] and Officer.objects.exists():
            self.stdout.write("the database already has officers: not seeding again")
        else:
            self._seed(count, real_dates=bool(options["real_dates"]))
        portal = settings.GFMS_PORTAL_URL  # make run derives it from HOST and PORT
        self.stdout.write(
            f"\nDemo logins at {urljoin(portal, 'login/')} (password: {DEMO_PASSWORD})"
        )
        existing = set(
            Officer.objects.filter(username__in=DEMO_LOGINS).values_list("username", flat=True)
        )
        for username, what in DEMO_LOGINS.items():
            if username in existing:
                self.stdout.write(f"  {username:<20} {what}")
        self.stdout.write(
            "\nAdministrators, the auditor and the help desks also type a code from their own soft "
            "token. Add this secret to an authenticator app (the same for all of them): "
            f"{DEMO_ADMIN_TOTP_SECRET}"
            '\n  or print the current code: .venv/bin/python -c "import pyotp; '
            f"print(pyotp.TOTP('{DEMO_ADMIN_TOTP_SECRET}').now())\""
        )
        self.stdout.write(
            f"\nThe registered demo officer's authenticator secret: {DEMO_TOTP_SECRET}"
            "\n  its recovery codes (each works once; try “Replace my phone” on "
            f"{urljoin(portal, 'account/')}):\n    "
            + "\n    ".join(DEMO_RECOVERY_CODES)
            + f"\nTry the GFMS login as a client sees it: {urljoin(portal, 'demo/gfms-login/')}"
        )
        self._say_when_in_progress_ends()
        # Demo data only: the identity check needs the citizen ID on record, and the e-mailed
        # code appears in this terminal (e-mail goes to the console without EMAIL_HOST).
        for officer in Officer.objects.filter(username__in=["officer.new", "officer.pending"]):
            if officer.citizen_id_encrypted:
                self.stdout.write(
                    f"To register as {officer.username}: citizen ID "
                    f"{officer.citizen_id} (demo data); the e-mailed "
                    "code is printed in this terminal."
                )

    def _say_when_in_progress_ends(self) -> None:
        """A registration in progress is a QR code waiting for its first code, which expires
        after PENDING_TOKEN_LIFETIME (as a real one does): say when, so the persona stays true."""
        pending = (
            SoftToken.objects.filter(
                officer__username="officer.pending", status=SoftTokenStatus.PENDING
            )
            .order_by("-created_at")
            .first()
        )
        if pending is None:
            return
        ends = pending.created_at + PENDING_TOKEN_LIFETIME
        when = format_be_datetime(ends, lang="th")
        if ends > now():
            self.stdout.write(
                f"\nofficer.pending's registration is in progress until {when} (Bangkok time): "
                "its QR code then expires, as a real one does, and officer.pending starts again "
                "like officer.new (the progress pages count it as not registered from then)."
            )
        else:
            self.stdout.write(
                f"\nofficer.pending's QR code expired at {when} (Bangkok time, 10 minutes after "
                "seeding, as a real one does): officer.pending now starts registering again like "
                "officer.new."
            )

    def _seed(self, count: int, *, real_dates: bool) -> None:
        at = now()
        rng = random.Random(2568)  # the same demo on every machine
        password_hash = make_password(DEMO_PASSWORD)  # one hash for all: Argon2 is slow on purpose
        with transaction.atomic():
            units = self._agencies(max(10, count // OFFICERS_PER_UNIT), rng)
            created = self._officers(units, count, rng, password_hash, at)
            self._demo_accounts(units, password_hash, at)
            self._schedule(at, real_dates=real_dates)
        self.stdout.write(
            self.style.SUCCESS(
                f"demo data ready: {Agency.objects.count():,} agencies, "
                f"{Officer.objects.count():,} officers ({created:,} new)"
            )
        )

    # --- the tree ----------------------------------------------------------------------------

    def _agencies(self, unit_count: int, rng: random.Random) -> list[Agency]:
        existing = {agency.code: agency for agency in Agency.objects.all()}
        departments: list[Agency] = []
        for ministry_code, name_th, name_en, department_rows in MINISTRIES:
            ministry = self._agency(existing, ministry_code, name_th, name_en, None)
            for suffix, dept_th, dept_en in department_rows:
                departments.append(
                    self._agency(existing, ministry_code + suffix, dept_th, dept_en, ministry)
                )
        new_units = []
        for index in range(unit_count):
            department = departments[index % len(departments)]
            number = index // len(departments) + 1
            code = f"{department.code}{number:05d}"
            if code in existing:
                continue
            regional = number > 1 and rng.random() < 0.7
            province = PROVINCES[rng.randrange(len(PROVINCES))] if regional else "กรุงเทพมหานคร"
            suffix_th = f"สำนักงานจังหวัด{province}" if regional else "ส่วนกลาง"
            suffix_en = "provincial office" if regional else "central office"
            new_units.append(
                Agency(
                    code=code,
                    kind=Kind.UNIT,
                    parent=department,
                    path=path_for(code),
                    name_th=f"{department.name_th} {suffix_th} หน่วยที่ {number}",
                    name_en=f"{department.name_en}, {suffix_en} no. {number}",
                    region=Region.REGIONAL if regional else Region.CENTRAL,
                    province=province,
                )
            )
        Agency.objects.bulk_create(new_units, batch_size=2000)
        return list(Agency.objects.filter(kind=Kind.UNIT).order_by("code")[:unit_count])

    @staticmethod
    def _agency(
        existing: dict[str, Agency], code: str, name_th: str, name_en: str, parent: Agency | None
    ) -> Agency:
        if code not in existing:
            existing[code] = Agency.objects.create(
                code=code,
                kind=Kind.MINISTRY if parent is None else Kind.DEPARTMENT,
                parent=parent,
                path=path_for(code),
                name_th=name_th,
                name_en=name_en,
            )
        return existing[code]

    # --- officers ------------------------------------------------------------------------------

    def _officers(
        self,
        units: list[Agency],
        count: int,
        rng: random.Random,
        password_hash: str,
        at: dt.datetime,
    ) -> int:
        existing = set(
            Officer.objects.filter(username__startswith="u").values_list("username", flat=True)
        )
        new: list[Officer] = []
        states: dict[str, str] = {}
        for index in range(count):
            unit = units[index % len(units)]
            username = f"u{unit.code}-{index // len(units) + 1:03d}"
            roll = rng.random()
            state = (
                "registered"
                if roll < SHARE_REGISTERED
                else "pending"
                if roll < SHARE_REGISTERED + SHARE_PENDING
                else "not_started"
            )
            first_th, first_en = FIRST_NAMES[rng.randrange(len(FIRST_NAMES))]
            last_th, last_en = LAST_NAMES[rng.randrange(len(LAST_NAMES))]
            cid = random_citizen_id(rng)
            if username in existing:
                continue
            officer = Officer(
                username=username,
                name_th=f"{first_th} {last_th}",
                name_en=f"{first_en} {last_en}",
                email=f"{username}@demo.example",
                unit=unit,
                role=Role.OFFICER,
                password=password_hash,
            )
            officer.set_citizen_id(cid)
            new.append(officer)
            states[username] = state
        Officer.objects.bulk_create(new, batch_size=2000)
        self._tokens(new, states, rng, at)
        return len(new)

    def _tokens(
        self, officers: list[Officer], states: dict[str, str], rng: random.Random, at: dt.datetime
    ) -> None:
        soft_tokens = []
        token_keys = []
        for officer in officers:
            state = states[officer.username]
            if state == "registered":
                confirmed = at - dt.timedelta(days=rng.randint(0, 40), minutes=rng.randint(0, 600))
                soft_tokens.append(
                    SoftToken(
                        officer=officer,
                        secret_encrypted=SoftToken.secret.encrypt(pyotp.random_base32()),
                        status=SoftTokenStatus.ACTIVE,
                        created_at=confirmed - dt.timedelta(minutes=3),
                        confirmed_at=confirmed,
                    )
                )
            elif state == "pending":
                soft_tokens.append(
                    SoftToken(
                        officer=officer,
                        secret_encrypted=SoftToken.secret.encrypt(pyotp.random_base32()),
                        status=SoftTokenStatus.PENDING,
                        created_at=at - dt.timedelta(minutes=rng.randint(1, 9)),
                    )
                )
            # Most officers still hold a Token Key from before the migration.
            if rng.random() < 0.8 and officer.unit_id is not None:  # every demo officer has a unit
                serial = f"{DEMO_SERIAL_PREFIX}{officer.username[1:]}"
                token_keys.append(
                    TokenKey(
                        serial=serial,
                        officer=officer,
                        unit_id=officer.unit_id,
                        public_key_pem=demo_public_key_pem(serial),
                        updated_at=at,
                    )
                )
        SoftToken.objects.bulk_create(soft_tokens, batch_size=2000)
        TokenKey.objects.bulk_create(token_keys, batch_size=2000)

    def _demo_accounts(self, units: list[Agency], password_hash: str, at: dt.datetime) -> None:
        unit = units[0]
        department = unit.parent
        assert department is not None  # noqa: S101
        rng = random.Random(543)
        specs = [
            ("cgd.admin", "มานพ ผู้ดูแลกลาง", "Manop CGD-Admin", Role.CENTRAL_ADMIN, None, None),
            ("cgd.auditor", "อรทัย ตรวจสอบ", "Orathai Auditor", Role.AUDITOR, None, None),
            ("agency.admin", "วรรณา ดูแลหน่วย", "Wanna Agency-Admin", Role.AGENCY_ADMIN, None, department),
            ("cgd.helpdesk", "ชไมพร ศูนย์บริการ", "Chamaiporn CGD-Helpdesk", Role.CENTRAL_HELPDESK, None, None),
            ("agency.helpdesk", "กิตติ รับเรื่อง", "Kitti Agency-Helpdesk", Role.HELPDESK, None, department),
            ("officer.registered", "สมศักดิ์ ลงทะเบียนแล้ว", "Somsak Registered", Role.OFFICER, unit, None),
            ("officer.pending", "สุนีย์ รอยืนยัน", "Sunee Pending", Role.OFFICER, unit, None),
            ("officer.new", "ประยูร ยังไม่ลงทะเบียน", "Prayoon New", Role.OFFICER, unit, None),
        ]  # fmt: skip
        for username, name_th, name_en, role, home_unit, scope in specs:
            officer, created = Officer.objects.get_or_create(
                username=username,
                defaults={
                    "name_th": name_th,
                    "name_en": name_en,
                    "email": f"{username}@demo.example",
                    "unit": home_unit,
                    "role": role,
                    "admin_scope": scope,
                    "password": password_hash,
                },
            )
            if created:
                officer.set_citizen_id(random_citizen_id(rng))
                officer.save(update_fields=["citizen_id_encrypted", "citizen_id_hash"])
                if username == "officer.registered":
                    self._token(officer, DEMO_TOTP_SECRET, SoftTokenStatus.ACTIVE, at)
                    RecoveryCode.objects.bulk_create(
                        RecoveryCode(
                            officer=officer, code_hash=recovery_code_hash(code), created_at=at
                        )
                        for code in DEMO_RECOVERY_CODES
                    )
                elif username in DEMO_ADMINS:
                    self._token(officer, DEMO_ADMIN_TOTP_SECRET, SoftTokenStatus.ACTIVE, at)
                elif username == "officer.pending":
                    self._token(officer, pyotp.random_base32(), SoftTokenStatus.PENDING, at)
                if username in DEMO_TOKEN_KEYS and home_unit is not None:  # officers: a unit
                    serial = DEMO_TOKEN_KEYS[username]
                    TokenKey.objects.create(
                        serial=serial,
                        officer=officer,
                        unit=home_unit,
                        public_key_pem=demo_public_key_pem(serial),
                        updated_at=at,
                    )

    @staticmethod
    def _token(officer: Officer, secret: str, status: str, at: dt.datetime) -> None:
        SoftToken.objects.create(
            officer=officer,
            secret_encrypted=SoftToken.secret.encrypt(secret),
            status=status,
            created_at=at,
            confirmed_at=at if status == SoftTokenStatus.ACTIVE else None,
        )

    # --- schedule ------------------------------------------------------------------------------

    def _schedule(self, at: dt.datetime, *, real_dates: bool) -> None:
        if real_dates:
            dates = CIRCULAR_SCHEDULE
        else:
            today = bangkok_date(at)
            closes = today + dt.timedelta(days=20)
            dates = CIRCULAR_SCHEDULE.replace(
                opens=today - dt.timedelta(days=40),
                closes=closes,
                soft_token_only_from=closes + dt.timedelta(days=1),
                return_due=closes + dt.timedelta(days=49),
            )
        change_schedule(
            at=at,
            actor_label="seed_demo",
            opens=dates.opens,
            closes=dates.closes,
            soft_token_only_from=dates.soft_token_only_from,
            return_due=dates.return_due,
            is_demo=not real_dates,
        )
