"""BENCH ONLY: the portal's URLs plus the reference endpoint of `make bench` (bench/reference.py).

The reference route comes last, so resolving it walks every route of the portal first: it
never pays less URL resolution than the gateway's own /api/v1/auth/check.
"""

from django.urls import path

from bench.reference import PATH, reference_check
from gfms_portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [*portal_urlpatterns, path(PATH.lstrip("/"), reference_check, name="bench-reference")]
