"""Thai first: every page is Thai until the person picks English.

Django's LocaleMiddleware would follow the browser's Accept-Language, so an officer whose
browser is set to English would get the English portal without asking for it. Here the
language is the one chosen with the switch (Django's `set_language` view stores it in the
language cookie) and otherwise `settings.LANGUAGE_CODE` (Thai), whatever the browser says.
The gateway API (/api/v1/) follows Accept-Language, which its callers set on purpose; without
one it answers in Thai too.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from gfms_portal.browser_middleware import is_api

SUPPORTED = frozenset(code for code, _name in settings.LANGUAGES)


def chosen_language(request: HttpRequest) -> str:
    """The language picked with the switch, else Thai; the browser's preference is ignored."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in SUPPORTED else settings.LANGUAGE_CODE


class ThaiFirstLocaleMiddleware:
    """In place of django.middleware.locale.LocaleMiddleware (no i18n URL patterns here)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A machine client of the gateway API says what it wants in Accept-Language (its
        # error details); people get Thai until they choose.
        if is_api(request):
            language = translation.get_language_from_request(request)
        else:
            language = chosen_language(request)
        request.LANGUAGE_CODE = language
        # For this request only: the thread's language is put back afterwards, so that work
        # done later in the same thread (an eager task, the next test) does not inherit it.
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
