"""The portal's settings plus one test-only page that shows what Django saw of the client:
lets tests/deploy/test_edge.py check, through the real nginx and gunicorn, which address and
scheme reached Django."""

from gfms_portal.settings import *  # noqa: F403

ROOT_URLCONF = "tests.deploy.echo_urls"
