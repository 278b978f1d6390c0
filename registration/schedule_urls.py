"""The migration schedule page for central administrators (mounted at /manage/schedule/)."""

from django.urls import path

from registration import schedule_views

urlpatterns = [
    path("", schedule_views.manage_schedule, name="manage_schedule"),
]
