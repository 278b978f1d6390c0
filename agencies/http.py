"""The request of a signed-in page, for type checking.

Django types `request.user` as `Officer | AnonymousUser`. A view behind `login_required` (or
an action of the Django admin, which only central administrators reach) only ever sees an
Officer, so it takes a `SignedInRequest` instead of an `HttpRequest` (the pattern of
django-stubs, "How can I create a HttpRequest that's guaranteed to have an authenticated
user?"). Only the annotation differs: Django still passes its own HttpRequest.

A method that overrides one of Django's (ModelAdmin.save_model…) must keep `HttpRequest`, and
narrows `request.user` with `isinstance` instead.
"""

from django.http import HttpRequest

from agencies.models import Officer


class SignedInRequest(HttpRequest):
    """An HttpRequest whose user has signed in."""

    user: Officer
