"""make bench (part): does a wrong password tell who exists, or how their hash was imported?

Times the gateway's check (auth_gateway.services.check_login, in process, on the configured
database) with a wrong password for: an unknown user id, officers imported with legacy hashes
(MD5, PBKDF2-SHA256 with 1,000,000 iterations as in docs/samples/officers.csv, bcrypt-SHA256
cost 12) and an officer with an Argon2id hash — interleaved (A, B, C, …, C, B, A) so that the
machine's noise falls on all alike. Prints the medians and the largest ratio between them;
the target is within 10 %. Production settings: Argon2id and GFMS_PASSWORD_FLOOR_MS.
"""

import os
import statistics
import sys
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gfms_portal.settings")
django.setup()

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command

from agencies.models import Agency, Officer
from agencies.policy import Kind, Region, kind_for_code, path_for
from auth_gateway.policy import Method
from auth_gateway.services import LoginAttempt, check_login
from gfms_portal.clock import now

ROUNDS = int(os.environ.get("BENCH_PASSWORD_ROUNDS", "12"))
CASES = {
    "unknown user id": None,
    "imported MD5": "md5",
    "imported PBKDF2 (1,000,000)": "pbkdf2_sha256",
    "imported bcrypt-SHA256 (12)": "bcrypt_sha256",
    "Argon2id": "default",
}


def seed() -> dict[str, str]:
    call_command("migrate", verbosity=0)
    unit = None
    for code in ("98", "98001", "9800100001"):  # a ministry, its department, one unit
        kind = kind_for_code(code)
        unit, _created = Agency.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "parent": unit,
                "path": path_for(code),
                "name_th": "ทดสอบเวลา",
                "region": Region.CENTRAL if kind == Kind.UNIT else "",
            },
        )
    usernames = {}
    for label, hasher in CASES.items():
        if hasher is None:
            usernames[label] = "bench.nobody.at.all"
            continue
        username = f"bench.timing.{hasher}"
        Officer.objects.update_or_create(
            username=username,
            defaults={
                "name_th": "ทดสอบเวลา",
                "email": f"{username}@bench.example",
                "unit": unit,
                "password": make_password("the right password", hasher=hasher),
            },
        )
        usernames[label] = username
    return usernames


def main() -> None:
    usernames = seed()
    order = list(usernames)
    timings: dict[str, list[float]] = {label: [] for label in order}
    for round_number in range(ROUNDS):
        for label in order if round_number % 2 == 0 else reversed(order):
            Officer.objects.filter(username=usernames[label]).update(
                failed_logins=0, locked_until=None
            )
            attempt = LoginAttempt(usernames[label], "a wrong password", Method.PASSWORD)
            started = time.perf_counter()
            answer = check_login(attempt, client=None, at=now())
            timings[label].append(time.perf_counter() - started)
            if answer.reason != "invalid_credentials":
                raise SystemExit(f"unexpected answer {answer.reason}")
    medians = {label: statistics.median(values) * 1000 for label, values in timings.items()}
    print(
        f"\nWrong password, {ROUNDS} interleaved rounds, floor {settings.GFMS_PASSWORD_FLOOR_MS} ms"
    )
    for label, median in medians.items():
        print(f"  {label:<30} median {median:7.1f} ms   max {max(timings[label]) * 1000:7.1f} ms")
    spread = max(medians.values()) / min(medians.values())
    print(
        f"  largest ratio between medians: {spread:.3f} ({'within' if spread <= 1.10 else 'OUTSIDE'} 10 %)"
    )


if __name__ == "__main__":
    main()
