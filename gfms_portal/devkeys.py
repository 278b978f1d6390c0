"""Development keys, generated into var/ on first use so that a fresh clone runs.

Production sets SECRET_KEY and GFMS_ENCRYPTION_KEYS in the environment; `manage.py check
--deploy` fails while these generated keys are in use (see gfms_portal.checks).
"""

import base64
import os
import secrets
from pathlib import Path
from typing import Literal


def _new_secret(kind: Literal["django", "fernet"]) -> str:
    if kind == "fernet":
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return secrets.token_urlsafe(50)


def dev_secret(path: Path, kind: Literal["django", "fernet"]) -> str:
    """Return the key stored at `path`, creating it (mode 0600) if it does not exist yet.

    O_EXCL makes concurrent first runs (web server and worker starting together) agree on one
    key instead of each writing its own.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(_new_secret(kind) + "\n")
    return path.read_text().strip()
