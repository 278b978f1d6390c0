from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from gfms_portal.clock import now
from registration.models import Schedule
from registration.policy import days_until_close, registration_ends_at


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    schedule = Schedule.load()
    at = now()
    return render(
        request,
        "registration/home.html",
        {
            "dates": schedule.dates,
            "days_left": days_until_close(at, schedule.dates),
            "registration_ends_at": registration_ends_at(schedule.dates),
        },
    )
