"""Live API tokens are kept per process (`accounts.api_auth.api_tokens`); a token made or
revoked in any process must reach the running servers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_a_process_that_never_served_the_api_announces_its_token_changes():
    """Given a process that only sets Django up (a management command, a shell, the
    benchmark's preparation), when it makes or revokes a token, then the change is announced
    to the other processes: the signal receivers that do that are connected at start, not
    only once a request has imported the API."""
    code = (
        "import django; django.setup()\n"
        "from django.db.models.signals import post_save\n"
        "from balie.accounts.models import ApiToken\n"
        "print(post_save.has_listeners(ApiToken))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    assert out.stdout.strip().splitlines()[-1] == "True", out.stderr[-2000:]
