"""BENCH ONLY — never deploy: the production settings with bench/urls.py, which adds the bare
reference endpoint (scenario (c) of `make bench`, bench/reference.py). The fast hasher is
listed first as in (b), although the reference checks no password."""

from bench.settings_fast_hash import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
