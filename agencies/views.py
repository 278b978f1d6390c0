from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from tokens.models import SoftTokenStatus


@require_safe
@login_required
def account(request: HttpRequest) -> HttpResponse:
    officer = request.user
    active_token = officer.soft_tokens.filter(status=SoftTokenStatus.ACTIVE).first()  # type: ignore[union-attr]
    return render(request, "agencies/account.html", {"officer": officer, "token": active_token})
