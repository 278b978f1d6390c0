from django.urls import path

from auth_gateway.api import lean, views

# The check's route answers through auth_gateway.api.lean, which hands what is not a plain
# soft-token check to views.check; drf-spectacular documents views.check (its class).
lean.check.cls = views.check.cls  # type: ignore[attr-defined]  # read by drf-spectacular
lean.check.initkwargs = views.check.initkwargs  # type: ignore[attr-defined]  # likewise

urlpatterns = [
    path("v1/auth/check", lean.check, name="api-auth-check"),
    path("v1/auth/challenge", views.challenge, name="api-auth-challenge"),
    path("v1/auth/methods", views.methods, name="api-auth-methods"),
    path("v1/health", views.health, name="api-health"),
]
