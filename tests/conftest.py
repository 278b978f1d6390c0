"""Shared fixtures: fast password hashing and the personas.

alice  — central administrator (CGD)
bob    — agency administrator of department 03004 (its subtree only)
charlie— officer in a unit under 03004
dave   — officer in another ministry (outside bob's scope)
erin   — auditor (read-only)
"""

import pytest

from agencies.models import Agency, Officer
from agencies.policy import Role
from tests.factories import DepartmentFactory, MinistryFactory, OfficerFactory, UnitFactory

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    # Argon2 at the OWASP floor costs ~60 ms a hash; the suite hashes thousands of times.
    # The other hashers stay listed so migrated GFMS hashes still verify.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *[h for h in settings.PASSWORD_HASHERS if not h.endswith("MD5PasswordHasher")],
    ]
    # Refused passwords wait out a floor (auth_gateway.passwords); the tests that are about
    # it set it back. Everywhere else it would only make the suite slower.
    settings.GFMS_PASSWORD_FLOOR_MS = 0


@pytest.fixture
def cgd_tree(db) -> dict[str, Agency]:  # type: ignore[no-untyped-def]
    finance = MinistryFactory(code="03", name_th="กระทรวงการคลัง", name_en="Ministry of Finance")
    cgd = DepartmentFactory(
        parent=finance,
        code="03004",
        name_th="กรมบัญชีกลาง",
        name_en="Comptroller General's Department",
    )
    customs = DepartmentFactory(parent=finance, code="03006", name_th="กรมศุลกากร")
    health = MinistryFactory(code="21", name_th="กระทรวงสาธารณสุข")
    disease = DepartmentFactory(parent=health, code="21004", name_th="กรมควบคุมโรค")
    return {
        "finance": finance,
        "cgd": cgd,
        "cgd_unit": UnitFactory(parent=cgd, code="0300400001"),
        "cgd_regional": UnitFactory(
            parent=cgd, code="0300400002", region="regional", province="เชียงใหม่"
        ),
        "customs": customs,
        "customs_unit": UnitFactory(parent=customs, code="0300600001"),
        "health": health,
        "disease": disease,
        "disease_unit": UnitFactory(parent=disease, code="2100400001"),
    }


@pytest.fixture
def alice(cgd_tree) -> Officer:  # type: ignore[no-untyped-def]
    return OfficerFactory(username="alice", role=Role.CENTRAL_ADMIN, unit=None)


@pytest.fixture
def bob(cgd_tree) -> Officer:  # type: ignore[no-untyped-def]
    return OfficerFactory(
        username="bob", role=Role.AGENCY_ADMIN, unit=None, admin_scope=cgd_tree["cgd"]
    )


@pytest.fixture
def charlie(cgd_tree) -> Officer:  # type: ignore[no-untyped-def]
    return OfficerFactory(username="charlie", unit=cgd_tree["cgd_unit"])


@pytest.fixture
def dave(cgd_tree) -> Officer:  # type: ignore[no-untyped-def]
    return OfficerFactory(username="dave", unit=cgd_tree["disease_unit"])


@pytest.fixture
def erin(cgd_tree) -> Officer:  # type: ignore[no-untyped-def]
    return OfficerFactory(username="erin", role=Role.AUDITOR, unit=None)


def pytest_report_header(config) -> str:  # type: ignore[no-untyped-def]
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"


from tests.auth_gateway.conftest import api, service_key  # noqa: E402, F401  (shared fixtures)
