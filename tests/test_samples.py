"""The sample files in docs/samples import as docs/import.md says (a newcomer's first try)."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from agencies.models import Officer
from tokens.models import SoftToken, SoftTokenStatus

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).resolve().parents[1] / "docs" / "samples"


def run(command: str, name: str) -> str:
    out = StringIO()
    call_command(command, str(SAMPLES / name), stdout=out)
    return out.getvalue()


def test_every_sample_imports_in_the_documented_order() -> None:
    run("import_agencies", "agencies.csv")
    run("import_officers", "officers.csv")
    run("import_token_keys", "token_keys.csv")
    run("import_soft_tokens", "soft_tokens.csv")
    active = SoftToken.objects.filter(status=SoftTokenStatus.ACTIVE)
    assert set(active.values_list("officer__username", flat=True)) == {"somchai.j", "wilaiwan.s"}
    assert Officer.objects.get(username="somchai.j").soft_tokens.get().secret == (
        "JBSWY3DPEHPK3PXPGFMSSAMPLESEEDAA"
    )
