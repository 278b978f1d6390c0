"""BENCH ONLY: the portal's URLs plus the reference endpoint of `make bench` (bench/reference.py).

The reference route comes first, as the gateway's API does in gfms_portal.urls (every login
check resolves its URL): the two pay the same URL resolution.
"""

from django.urls import path

from bench.reference import PATH, reference_check
from gfms_portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [path(PATH.lstrip("/"), reference_check, name="bench-reference"), *portal_urlpatterns]
