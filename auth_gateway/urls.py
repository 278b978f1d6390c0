from django.urls import path

from auth_gateway.api import views

urlpatterns = [
    path("v1/auth/check", views.check, name="api-auth-check"),
    path("v1/auth/challenge", views.challenge, name="api-auth-challenge"),
    path("v1/auth/methods", views.methods, name="api-auth-methods"),
    path("v1/health", views.health, name="api-health"),
]
