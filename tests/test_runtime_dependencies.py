"""The running portal needs only the project's runtime dependencies: `make run` and the
Docker image install those alone (pyproject.toml `dependencies`, not `dev`). Every module of
every app is imported here in a fresh interpreter that refuses the development-only packages
— a top-level `from django_stubs_ext import …` once broke `make run` this way while the whole
suite, which has them installed, stayed green."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Import names of the `dev` extra's packages (pyproject.toml) that a module could reach for.
DEV_ONLY = [
    "pytest",
    "pytest_django",
    "factory",
    "time_machine",
    "hypothesis",
    "polib",
    "playwright",
    "schemathesis",
    "zxingcpp",
    "pypdf",
    "pypdfium2",
    "mypy",
    "django_stubs_ext",
    "mypy_django_plugin",
    "importlinter",
    "xdist",
]

SCRIPT = f"""
import importlib, importlib.abc, os, pkgutil, sys

BLOCKED = {DEV_ONLY!r}

class RefuseDevOnly(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is a development dependency, not installed at run time")
        return None

sys.meta_path.insert(0, RefuseDevOnly())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gfms_portal.settings")
import django

django.setup()
from django.apps import apps

failed = []
# The project's own apps: those whose package lies in this checkout.
ours = [c.name for c in apps.get_app_configs() if c.path.startswith(os.getcwd())]
assert len(ours) >= 10, ours  # every app of the project, found
for app in ours:
    package = importlib.import_module(app)
    for module in pkgutil.walk_packages(package.__path__, app + "."):
        if ".migrations." in module.name or module.name.endswith(".migrations"):
            continue
        try:
            importlib.import_module(module.name)
        except ImportError as error:
            if "development dependency" in str(error):
                failed.append(f"{{module.name}}: {{error}}")
        except Exception:
            pass  # not this test's subject (e.g. WeasyPrint needs Pango)
import gfms_portal.urls  # noqa
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_app_module_imports_without_the_development_packages() -> None:
    result = subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "HOME": str(ROOT)},
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
