"""Administrators and the help desk find an officer in their scope (agencies.scope: 404
outside). The officer's own screen, with its acts, is monitoring.officer_screen: it reads the
gateway's decisions, which this app cannot import."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from agencies.http import SignedInRequest
from agencies.scope import officers_visible_to, require_administrator

PAGE_SIZE = 50


@require_safe
@login_required
def manage_officer_search(request: SignedInRequest) -> HttpResponse:
    require_administrator(request.user)
    query = request.GET.get("q", "").strip()[:100]
    officers = officers_visible_to(request.user.viewer).select_related("unit").order_by("username")
    if query:
        officers = officers.filter(
            Q(username__icontains=query) | Q(name_th__icontains=query) | Q(name_en__icontains=query)
        )
    return render(
        request,
        "registration/manage_officer_search.html",
        {"officers": officers[:PAGE_SIZE], "query": query, "page_size": PAGE_SIZE},
    )
