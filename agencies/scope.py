"""Administrator scope, enforced here and nowhere else.

Every administrator page, count and export starts from one of these querysets, so an agency
administrator can never see an officer or an agency outside its own subtree. Anything outside
the scope answers 404 (not 403), so codes of other agencies cannot be probed.
"""

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from agencies.models import Agency, Officer
from agencies.policy import SCOPED_ROLES, Viewer, can_see_agency, sees_everything

M = TypeVar("M", bound=Model)


def agencies_visible_to(viewer: Viewer) -> QuerySet[Agency]:
    agencies = Agency.objects.all()
    if sees_everything(viewer):
        return agencies
    if viewer.role in SCOPED_ROLES and viewer.scope_path:
        return agencies.filter(path__startswith=viewer.scope_path)
    return agencies.none()


def in_scope(rows: QuerySet[M], viewer: Viewer, *, unit: str = "unit") -> QuerySet[M]:
    """`rows` restricted to those whose `unit` (a foreign key to Agency) lies in the viewer's
    subtree: officers, login decisions, anything attached to a unit."""
    if sees_everything(viewer):
        return rows
    if viewer.role in SCOPED_ROLES and viewer.scope_path:
        return rows.filter(**{f"{unit}__path__startswith": viewer.scope_path})
    return rows.none()


def officers_visible_to(viewer: Viewer) -> QuerySet[Officer]:
    return in_scope(Officer.objects.all(), viewer)


def get_visible_officer(viewer: Viewer, username: str) -> Officer:
    """The officer with `username` (and its unit) if the viewer may see it; otherwise 404,
    whether or not it exists."""
    officer = officers_visible_to(viewer).filter(username=username).select_related("unit").first()
    if officer is None:
        raise Http404("no such officer in your scope")
    return officer


def get_visible_agency(viewer: Viewer, code: str) -> Agency:
    """The agency with `code` if the viewer may see it; otherwise 404, whether or not it
    exists."""
    agency = Agency.objects.filter(code=code).first()
    if agency is None or not can_see_agency(viewer, agency.path):
        raise Http404("no such agency")
    return agency


def require_administrator(user: Officer) -> None:
    """Administrator pages answer 404 to everyone else, like anything outside a scope. The
    help desk reads them too (officer list, progress, legacy logins, one officer): what each
    role may do there is agencies.permissions."""
    if not user.is_administrator:
        raise Http404("not an administrator")
