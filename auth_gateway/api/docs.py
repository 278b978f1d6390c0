"""/api/docs/: drf-spectacular's ReDoc (served from drf-spectacular-sidecar, never a CDN) under
the portal's Content-Security-Policy.

ReDoc styles itself with styled-components and style-loader, which write <style> elements
at run time (some as the bundle loads), and runs its search index in a blob: worker. Rather
than 'unsafe-inline', this page alone adds a per-response nonce to style-src and allows
blob: workers. The nonce is on the page's two script tags: static/js/redoc-csp.js (before
the bundle) puts it on every <style> that script creates, static/js/redoc-init.js hands it to
ReDoc. Markup-injected styles stay blocked, and script-src stays 'self'. Included from
gfms_portal.urls; tests/browser/test_api_docs.py checks it in Chromium.
"""

from csp.constants import NONCE, SELF
from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularRedocView

DOCS_POLICY = {"style-src": [NONCE], "worker-src": [SELF, "blob:"]}

redoc = csp_update(DOCS_POLICY)(SpectacularRedocView.as_view(url_name="api-schema"))

urlpatterns = [path("", redoc, name="api-docs")]
