"""The CSV imports: all-or-nothing, every bad row reported with its line, idempotent."""

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command

from agencies.models import Agency, Officer
from audit.models import AuditEvent
from tokens.demo import demo_public_key_pem
from tokens.models import TokenKey

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
pytestmark = pytest.mark.django_db

AGENCIES_HEADER = "code,name_th,name_en,region,province,parent_code\n"
GOOD_TREE = (
    AGENCIES_HEADER
    + "03,กระทรวงการคลัง,Ministry of Finance,,,\n"
    + "03004,กรมบัญชีกลาง,Comptroller General's Department,,,03\n"
    + "0300400001,กรมบัญชีกลาง ส่วนกลาง,CGD central,central,,03004\n"
)


def write(tmp_path: Path, text: str, name: str = "file.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(command: str, path: Path, *args: str) -> str:
    out = StringIO()
    call_command(command, str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot() -> tuple[list[tuple[str, str]], list[tuple[str, str, str]], int]:
    return (
        list(Agency.objects.values_list("code", "name_th")),
        list(Officer.objects.values_list("username", "email", "password")),
        AuditEvent.objects.count(),
    )


# --- agencies -----------------------------------------------------------------------------------


def test_sample_files_import_then_reimport_unchanged() -> None:
    for command, noun in [("import_agencies", 7), ("import_officers", 3), ("import_token_keys", 2)]:
        name = command.removeprefix("import_") + ".csv"
        assert f"{noun} created" in run(command, SAMPLES / name)
        assert f"{noun} unchanged" in run(command, SAMPLES / name)
    assert Agency.objects.get(code="0300400050").province == "เชียงใหม่"
    assert Agency.objects.get(code="0300400050").path == "03/03004/0300400050/"
    holder = TokenKey.objects.get(serial="TK-0001-2345").officer
    assert holder is not None and holder.username == "somchai.j"


def test_dry_run_reports_and_changes_nothing(tmp_path: Path) -> None:
    output = run("import_agencies", write(tmp_path, GOOD_TREE), "--dry-run")
    assert "dry run, nothing changed" in output
    assert "3 to create" in output
    assert snapshot() == ([], [], 0)


def test_children_may_come_before_their_parents(tmp_path: Path) -> None:
    lines = GOOD_TREE.splitlines(keepends=True)
    run("import_agencies", write(tmp_path, lines[0] + "".join(reversed(lines[1:]))))
    parent = Agency.objects.get(code="0300400001").parent
    assert parent is not None and parent.code == "03004"


def test_one_bad_row_changes_nothing_and_every_bad_row_is_listed(tmp_path: Path) -> None:
    text = (
        GOOD_TREE
        + "0300400002,หน่วยที่สอง,,central,,\n"  # good
        + "0300400003,หน่วยภูมิภาค,,regional,,\n"  # line 6: province missing
        + "030040004,รหัสผิด,,central,,\n"  # line 7: 9 digits
        + "0300500001,ไม่มีกรมแม่,,central,,\n"  # line 8: parent 03005 does not exist
        + "0300400002,ซ้ำ,,central,,\n"  # line 9: duplicate of line 5
    )
    with pytest.raises(CommandError) as error:
        run("import_agencies", write(tmp_path, text))
    message = str(error.value)
    assert "nothing was imported" in message
    assert "line 6: province: a regional unit needs its province" in message
    assert "line 7: code: agency code '030040004' has 9 digits" in message
    assert "line 8: code: parent agency '03005' does not exist" in message
    assert "line 9: '0300400002' is already on line 5" in message
    assert message.index("line 6") < message.index("line 7") < message.index("line 9")
    assert snapshot() == ([], [], 0)


def test_update_is_reported_and_applied(tmp_path: Path) -> None:
    run("import_agencies", write(tmp_path, GOOD_TREE))
    output = run("import_agencies", write(tmp_path, GOOD_TREE.replace("CGD central", "CGD HQ")))
    assert "1 updated, 2 unchanged" in output
    assert Agency.objects.get(code="0300400001").name_en == "CGD HQ"


def test_bom_is_tolerated(tmp_path: Path) -> None:
    run("import_agencies", write(tmp_path, "\ufeff" + GOOD_TREE))
    assert Agency.objects.count() == 3


def test_wrong_encoding_is_named_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"line 2: the file is not UTF-8.*CSV UTF-8"):
        run("import_agencies", write(tmp_path, GOOD_TREE, encoding="cp874"))
    assert Agency.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("code,name\n03,x\n", "missing column(s): name_th"),
        ("code,name_th,colour\n03,x,red\n", "unknown column(s): colour"),
        (AGENCIES_HEADER + '03,"unterminated,,,,\n', "line 2"),
        (AGENCIES_HEADER + "03,กระทรวง\n", "line 2: 2 field(s) where the header has 6"),
    ],
)
def test_malformed_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CommandError) as error:
        run("import_agencies", write(tmp_path, text))
    assert message in str(error.value)
    assert Agency.objects.count() == 0


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        run("import_agencies", tmp_path / "nope.csv")


def test_import_is_audited_with_the_file_hash(tmp_path: Path) -> None:
    run("import_agencies", write(tmp_path, GOOD_TREE))
    event = AuditEvent.objects.get(action="agencies.imported")
    assert event.data["created"] == 3
    assert len(event.data["file_sha256"]) == 64


# --- officers -----------------------------------------------------------------------------------

OFFICERS_HEADER = (
    "username,name_th,name_en,email,unit_code,citizen_id,role,scope_code,password_hash\n"
)


@pytest.fixture
def tree(tmp_path: Path) -> None:
    run("import_agencies", write(tmp_path, GOOD_TREE, name="tree.csv"))


def officer_row(username: str = "somchai", **overrides: str) -> str:
    values = {
        "username": username,
        "name_th": "สมชาย ใจดี",
        "name_en": "Somchai Jaidee",
        "email": f"{username}@cgd.example",
        "unit_code": "0300400001",
        "citizen_id": "1101700207030",
        "role": "officer",
        "scope_code": "",
        "password_hash": "",
    } | overrides
    return ",".join(values.values()) + "\n"


def test_officer_citizen_id_is_encrypted_and_masked(tmp_path: Path, tree: None) -> None:
    run("import_officers", write(tmp_path, OFFICERS_HEADER + officer_row()))
    officer = Officer.objects.get(username="somchai")
    assert "1101700207030" not in officer.citizen_id_encrypted + officer.citizen_id_hash
    assert officer.has_citizen_id("1101700207030")
    assert not officer.has_citizen_id("1234567890121")
    assert officer.masked_citizen_id == "X-XXXX-XXXX7-03-0"
    assert not officer.has_usable_password()


def test_migrated_password_hash_logs_in(tmp_path: Path, tree: None) -> None:
    hashed = make_password("Gfms-old-password", hasher="pbkdf2_sha256")
    run("import_officers", write(tmp_path, OFFICERS_HEADER + officer_row(password_hash=hashed)))
    assert authenticate(username="somchai", password="Gfms-old-password") is not None
    assert authenticate(username="SOMCHAI", password="Gfms-old-password") is not None
    assert authenticate(username="somchai", password="wrong") is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"citizen_id": "1101700207031"}, "citizen_id: not a valid citizen ID"),
        ({"unit_code": "0399900001"}, "unit_code: unit '0399900001' does not exist"),
        ({"unit_code": "03004"}, "is not a disbursement unit"),
        ({"email": "not-an-email"}, "email: 'not-an-email' is not an e-mail address"),
        ({"role": "boss"}, "role: role 'boss' is not one of"),
        ({"password_hash": "plaintext-password"}, "plain passwords are never accepted"),
        ({"role": "agency_admin", "unit_code": ""}, "scope_code: an agency administrator needs"),
        ({"username": "a b"}, "is not a GFMS user id"),
    ],
)
def test_bad_officer_rows_are_refused(
    tmp_path: Path, tree: None, overrides: dict[str, str], message: str
) -> None:
    before = snapshot()
    text = (
        OFFICERS_HEADER
        + officer_row("good.one")
        + officer_row(**({"username": "bad.one"} | overrides))
    )
    with pytest.raises(CommandError) as error:
        run("import_officers", write(tmp_path, text))
    assert "line 3: " in str(error.value)
    assert message in str(error.value)
    assert snapshot() == before


def test_bad_citizen_id_is_never_echoed(tmp_path: Path, tree: None) -> None:
    with pytest.raises(CommandError) as error:
        run(
            "import_officers",
            write(tmp_path, OFFICERS_HEADER + officer_row(citizen_id="1101700207031")),
        )
    assert "1101700207031" not in str(error.value)


def test_duplicate_username_in_file_is_case_insensitive(tmp_path: Path, tree: None) -> None:
    text = OFFICERS_HEADER + officer_row("somchai") + officer_row("SomChai")
    with pytest.raises(CommandError, match="line 3: 'SomChai' is already on line 2"):
        run("import_officers", write(tmp_path, text))


def test_reimport_with_new_email_updates_and_audits(tmp_path: Path, tree: None) -> None:
    run("import_officers", write(tmp_path, OFFICERS_HEADER + officer_row()))
    changed = officer_row(email="new@cgd.example", citizen_id="1234567890121")
    assert "1 updated" in run("import_officers", write(tmp_path, OFFICERS_HEADER + changed))
    officer = Officer.objects.get(username="somchai")
    assert officer.email == "new@cgd.example"
    assert officer.has_citizen_id("1234567890121")
    event = AuditEvent.objects.get(action="officer.updated_by_import")
    assert set(event.data["fields"]) == {"email", "citizen_id_hash"}
    assert "1234567890121" not in str(event.data)
    # The same file again changes nothing and writes no new per-officer audit row.
    assert "1 unchanged" in run("import_officers", write(tmp_path, OFFICERS_HEADER + changed))
    assert AuditEvent.objects.filter(action="officer.updated_by_import").count() == 1


def test_agency_admin_with_scope(tmp_path: Path, tree: None) -> None:
    row = officer_row(
        "admin.cgd", role="agency_admin", unit_code="", citizen_id="", scope_code="03004"
    )
    run("import_officers", write(tmp_path, OFFICERS_HEADER + row))
    admin = Officer.objects.get(username="admin.cgd")
    assert admin.admin_scope is not None and admin.admin_scope.code == "03004"
    assert admin.viewer.scope_path == "03/03004/"


# --- Token Keys ---------------------------------------------------------------------------------


def token_row(serial: str, username: str, pem: str) -> str:
    return f'{serial},{username},"{pem}"\n'


def test_token_key_problems_are_listed(tmp_path: Path, tree: None) -> None:
    run("import_officers", write(tmp_path, OFFICERS_HEADER + officer_row()))
    good_pem = demo_public_key_pem("DEMO-1")
    text = (
        "serial,username,public_key_pem\n"
        + token_row("TK-1", "somchai", good_pem)
        + token_row("TK-2", "nobody", good_pem)
        + token_row("TK-3", "somchai", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
    )
    with pytest.raises(CommandError) as error:
        run("import_token_keys", write(tmp_path, text))
    message = str(error.value)
    assert "username: officer 'nobody' does not exist" in message
    assert "public_key_pem: not a PEM public key" in message
    # The multi-line PEM of the first row makes the second record start on line 7.
    assert "line 7:" in message
    assert TokenKey.objects.count() == 0


def test_reassigning_a_device_is_audited_per_device(tmp_path: Path, tree: None) -> None:
    run(
        "import_officers",
        write(
            tmp_path,
            OFFICERS_HEADER + officer_row() + officer_row("other.one", citizen_id="1234567890121"),
        ),
    )
    header = "serial,username,public_key_pem\n"
    pem = demo_public_key_pem("DEMO-1")
    run("import_token_keys", write(tmp_path, header + token_row("TK-1", "somchai", pem)))
    assert "1 updated" in run(
        "import_token_keys", write(tmp_path, header + token_row("TK-1", "other.one", pem))
    )
    event = AuditEvent.objects.get(action="token_key.updated")
    assert event.data == {"serial": "TK-1", "fields": ["officer"]}
