"""Administrator scope: one place, and nothing outside the subtree leaks."""

import pytest
from django.db import connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agencies.models import Agency, Officer
from agencies.policy import Role, Viewer
from agencies.scope import agencies_visible_to, get_visible_agency, officers_visible_to
from tests.factories import OfficerFactory, agency_for_code

pytestmark = pytest.mark.django_db


def test_agency_admin_sees_own_subtree_only(bob, charlie, dave, cgd_tree) -> None:
    visible = set(agencies_visible_to(bob.viewer).values_list("code", flat=True))
    assert visible == {"03004", "0300400001", "0300400002"}
    assert list(officers_visible_to(bob.viewer)) == [charlie]


def test_central_admin_and_auditor_see_everything(alice, erin, charlie, dave) -> None:
    for viewer in (alice.viewer, erin.viewer):
        assert agencies_visible_to(viewer).count() == Agency.objects.count()
        assert officers_visible_to(viewer).count() == Officer.objects.count()


def test_the_help_desks_see_their_subtree_or_the_country(cgd_tree, charlie, dave) -> None:
    agency_desk = Viewer(Role.HELPDESK, cgd_tree["cgd"].path)
    assert list(officers_visible_to(agency_desk)) == [charlie]
    assert set(agencies_visible_to(agency_desk).values_list("code", flat=True)) == {
        "03004",
        "0300400001",
        "0300400002",
    }
    country = Viewer(Role.CENTRAL_HELPDESK)
    assert officers_visible_to(country).count() == Officer.objects.count()
    assert not officers_visible_to(Viewer(Role.HELPDESK, None)).exists()


def test_officer_sees_nothing(charlie) -> None:
    assert not agencies_visible_to(charlie.viewer).exists()
    assert not officers_visible_to(charlie.viewer).exists()


def test_outside_scope_and_unknown_codes_both_404(bob, cgd_tree) -> None:
    assert get_visible_agency(bob.viewer, "0300400001").code == "0300400001"
    for code in ("2100400001", "03006", "9999999999", "03"):
        with pytest.raises(Http404):
            get_visible_agency(bob.viewer, code)


def test_scope_is_one_query_whatever_the_tree_size(bob, cgd_tree) -> None:
    viewer = bob.viewer
    with CaptureQueriesContext(connection) as queries:
        list(officers_visible_to(viewer))
        list(agencies_visible_to(viewer))
    assert len(queries) == 2
    assert "LIKE" in queries[0]["sql"].upper()


# A random tree, a random administrator: what the query layer returns is exactly the brute-force
# walk of the tree below the administered node.
tree_shapes = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 4)), min_size=1, max_size=25
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shape=tree_shapes, pick=st.integers(0, 10_000))
def test_scope_equals_brute_force_subtree(shape: list[tuple[int, int, int]], pick: int) -> None:
    with transaction.atomic():
        check_random_tree(shape, pick)
        transaction.set_rollback(True)  # each example starts from an empty tree


def check_random_tree(shape: list[tuple[int, int, int]], pick: int) -> None:
    created: dict[str, Agency] = {}

    def node(code: str, parent: Agency | None) -> Agency:
        if code not in created:
            created[code] = agency_for_code(code, parent, name_th=code)
        return created[code]

    for index, (m, d, u) in enumerate(shape):
        ministry = node(f"1{m}", None)
        department = node(f"1{m}00{d}", ministry)
        unit = node(f"1{m}00{d}0000{u}", department)
        OfficerFactory.create(username=f"o{unit.code}-{index}", unit=unit)
    agencies = list(created.values())
    scope = agencies[pick % len(agencies)]
    viewer = Viewer(Role.AGENCY_ADMIN, scope.path)

    def below(agency: Agency) -> set[str]:
        found = {agency.code}
        for child in agencies:
            if child.parent_id == agency.id:
                found |= below(child)
        return found

    expected = below(scope)
    assert set(agencies_visible_to(viewer).values_list("code", flat=True)) == expected
    assert set(officers_visible_to(viewer).values_list("unit__code", flat=True)) <= expected
    assert (
        officers_visible_to(viewer).count()
        == Officer.objects.filter(unit__code__in=expected).count()
    )
