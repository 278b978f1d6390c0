"""gunicorn settings for `make bench`: the portal's own gunicorn.conf.py, then what the bench
sets on purpose, the same for every scenario:

- the worker class: BENCH_WORKER_CLASS, production's gthread (GUNICORN_THREADS threads a
  worker) unless --worker-class sync, which also sets one thread (gunicorn runs a "sync"
  worker with more than one thread as gthread);
- no access log: one line per check written to a pipe would be measured in every scenario;
- the bind address and the number of workers come from gunicorn's command line.
"""

import os
import runpy
from pathlib import Path

globals().update(
    {
        name: value
        for name, value in runpy.run_path(
            str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py")
        ).items()
        if not name.startswith("__")
    }
)

worker_class = os.environ.get("BENCH_WORKER_CLASS", "gthread")
if worker_class == "sync":
    threads = 1
accesslog = None
backlog = 2048
