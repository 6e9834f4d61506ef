"""Test settings: production settings, plain HTTP, and a throwaway data directory."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("NORMA_HTTPS", "false")
os.environ.setdefault("NORMA_DATA_DIR", tempfile.mkdtemp(prefix="norma-test-"))
(Path(os.environ["NORMA_DATA_DIR"]) / "static").mkdir(exist_ok=True)

from norma.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests only
