"""The README works for a newcomer: it links only inside the repository (to files that exist),
its pip fallback installs every test dependency, and the design doc is here."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_links_stay_inside_the_repository_and_exist() -> None:
    for document in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = document.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)]+)\)", text):
            assert not re.match(r"[a-z]+://", target), f"{document.name}: {target}"
            path = (document.parent / target.split("#")[0]).resolve()
            assert path.is_relative_to(ROOT), f"{document.name}: {target} leaves the repository"
            assert path.exists(), f"{document.name}: {target} does not exist"
        assert not re.search(r"<https?://(?!127\.0\.0\.1|localhost)", text), document.name


def test_the_design_doc_is_linked() -> None:
    assert "(docs/design.md)" in README
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    for heading in ("## Who uses it", "## The phases", "## The rules", "## Glossary"):
        assert heading in design


def test_the_pip_fallback_installs_every_dev_dependency() -> None:
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    names = {re.split(r"[<>=\[ ]", requirement)[0].lower() for requirement in dev}
    line = next(line for line in README.splitlines() if line.startswith("pip install -e . pytest"))
    listed = {re.split(r"[<>=\[ ]", word.strip('"'))[0].lower() for word in line.split()[3:]}
    assert names <= listed, names - listed


def test_commands_are_documented_without_knowing_about_the_venv() -> None:
    assert 'make manage ARGS="set_schedule --show"' in README
    assert "make run PORT=8765" in README and "HOST=0.0.0.0" in README
    assert "docs/samples/soft_tokens.csv" in README
