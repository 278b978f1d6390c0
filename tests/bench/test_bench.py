"""`make bench`'s own pieces (bench/): the codes the load generator sends, its data files, the
reference endpoint (c), the scenario table and the interleaved order. Fast: no server, no wrk."""

import base64
import importlib
import re
import time

import pyotp
import pytest
from django.urls import resolve

from bench import loadgen
from bench.gateway import OFFICER_SETS, SCENARIOS, order
from bench.reference import PATH as REFERENCE_PATH
from bench.reference import matching_step
from tests.factories import DEMO_SECRET, OfficerFactory, SoftTokenFactory
from tokens import totp

# What bench/check.lua's init() matches on the first line of a data file.
HEADER = re.compile(r"^(\d+) (\d+) (\S+)$")


def test_the_codes_are_those_of_an_authenticator():
    for username in ["bench-md5-000000", "bench-argon2id-012345"]:
        secret = loadgen.secret_for(username)
        assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == loadgen.seed_bytes(username)
        for step in [0, 1, 59_000_000, 59_000_001]:
            assert loadgen.code_at(loadgen.seed_bytes(username), step) == pyotp.TOTP(
                secret
            ).generate_otp(step)
    assert loadgen.PERIOD == totp.PERIOD
    assert loadgen.DIGITS == totp.DIGITS


def test_the_steps_cover_the_run():
    steps = loadgen.steps_between(59.0, 91.0)
    assert list(steps) == [1, 2, 3]


def test_each_wrk_thread_gets_its_own_officers_with_a_code_per_step(tmp_path):
    names = [f"bench-md5-{index:06d}" for index in range(7)]
    steps = range(100, 103)
    loadgen.write_data_files(
        tmp_path / "officers-", names, threads=3, steps=steps, password="pw", seeds={}
    )
    seen = []
    for number in (1, 2, 3):
        header, *lines = (tmp_path / f"officers-{number}.txt").read_text().splitlines()
        match = HEADER.match(header)
        assert match and match.groups() == ("100", "3", "pw")
        for line in lines:
            username, *codes = line.split()
            seed = loadgen.seed_bytes(username)
            assert codes == [loadgen.code_at(seed, step) for step in steps]
            seen.append(username)
    assert sorted(seen) == names  # every officer once: no two threads share one


def test_data_files_refuse_what_the_script_cannot_read(tmp_path):
    with pytest.raises(ValueError, match="one word"):
        loadgen.data_lines(["x"], range(1, 2), "two words", {})
    with pytest.raises(ValueError, match="threads"):
        loadgen.write_data_files(
            tmp_path / "d-", ["a"], threads=2, steps=range(1, 2), password="pw", seeds={}
        )


def test_the_order_is_interleaved():
    assert order(["a", "b", "c"], 2) == [(1, "a"), (1, "b"), (1, "c"), (2, "c"), (2, "b"), (2, "a")]
    assert [name for _, name in order(["b", "c"], 3)] == ["b", "c", "c", "b", "b", "c"]


def test_each_scenario_is_served_under_its_settings():
    for scenario in SCENARIOS.values():
        module = importlib.import_module(scenario.settings)
        assert resolve(scenario.path, urlconf=module.ROOT_URLCONF)
        assert scenario.officers in OFFICER_SETS
        assert scenario.path.startswith("/api/v1/")  # the API's middleware treatment


def test_the_reference_compares_the_whole_window():
    now = time.time()
    step = int(now) // totp.PERIOD
    for offset in (-1, 0, 1):
        code = totp.code_at_step(DEMO_SECRET, step + offset)
        assert matching_step(DEMO_SECRET, code, at=now) == step + offset
    assert matching_step(DEMO_SECRET, totp.code_at_step(DEMO_SECRET, step + 2), at=now) is None


@pytest.mark.urls("bench.urls")
def test_the_reference_endpoint_allows_a_code_once(db, client, django_assert_num_queries):
    officer = OfficerFactory.create(username="Bench.Ref")
    SoftTokenFactory.create(officer=officer)

    def check(username: str, otp: str) -> str:
        answer = client.post(
            REFERENCE_PATH,
            {"username": username, "password": "-", "method": "soft_token", "otp": otp},
            content_type="application/json",
        )
        assert answer.status_code == 200
        return str(answer.json()["decision"])

    step = int(time.time()) // totp.PERIOD
    code = totp.code_at_step(DEMO_SECRET, step)
    assert check("bench.ref", "000000" if code != "000000" else "111111") == "deny"
    assert check("nobody", code) == "deny"
    with django_assert_num_queries(2):  # the minimum: one SELECT, one conditional UPDATE
        assert check(" bench.ref ", code) == "allow"
    assert check("bench.ref", code) == "deny"  # the step is used
    assert check("bench.ref", totp.code_at_step(DEMO_SECRET, step - 1)) == "deny"  # older
    assert client.post(REFERENCE_PATH, [1], content_type="application/json").json() == {
        "decision": "deny"
    }
