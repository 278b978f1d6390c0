from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from agencies.http import SignedInRequest
from auth_gateway.models import LoginDecision
from auth_gateway.policy import Decision
from tokens.possession import recovery_codes_left
from tokens.services import active_soft_token


@require_safe
@login_required
def account(request: SignedInRequest) -> HttpResponse:
    """The officer's status page: the token, the last GFMS login, recovery codes left."""
    officer = request.user
    token = active_soft_token(officer.pk)
    last_login = (
        LoginDecision.objects.filter(officer=officer, decision=Decision.ALLOW)
        .order_by("-at")
        .first()
    )
    return render(
        request,
        "monitoring/account.html",
        {
            "officer": officer,
            "token": token,
            "last_login": last_login,
            "codes_left": recovery_codes_left(officer) if token else None,
        },
    )
