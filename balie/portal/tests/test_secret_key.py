"""The secret key that signs the customers' portal log-in links: never one written in the
source, one random key per installation, and a deployment without one does not start."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core import signing

from balie.portal import magic_links
from balie.portal.views import SESSION_CUSTOMER

KEY_ONCE_IN_THE_SOURCE = "balie-insecure-development-key-change-me"


def forged_link_token(customer_id: int, email: str, key: str) -> str:
    signer = signing.TimestampSigner(key=key, salt=magic_links.SALT)
    return signer.sign_object({"c": customer_id, "v": email})


def test_a_link_forged_with_the_key_once_in_the_source_does_not_log_in(cast, client):
    # given an attacker who signs a link for carla with the key that used to be in the source
    token = forged_link_token(cast.carla.pk, cast.carla_email, KEY_ONCE_IN_THE_SOURCE)

    # when they open and confirm it
    response = client.post(f"/portaal/inloggen/{token}/")

    # then the portal refuses it, and carla's tickets stay closed to them
    assert response.status_code == 400
    assert "Deze inloglink is ongeldig" in response.content.decode()
    assert SESSION_CUSTOMER not in client.session


def test_a_new_secret_key_invalidates_the_links_sent_before(cast, client, settings):
    # given a link sent with today's key
    token = magic_links.make_token(cast.carla, cast.carla_email)

    # when the administrator rotates the key
    settings.SECRET_KEY = "een-nieuwe-sleutel-" + "x" * 50

    # then the old link no longer logs in
    response = client.post(f"/portaal/inloggen/{token}/")
    assert response.status_code == 400
    assert "Deze inloglink is ongeldig" in response.content.decode()


def test_the_embedded_key_is_random_private_and_kept_for_every_process(tmp_path):
    from config.settings import embedded_secret_key

    # when the web server and then the worker start on a fresh var/
    first = embedded_secret_key(tmp_path)
    second = embedded_secret_key(tmp_path)

    # then both use the same random key, kept in a file only its owner can read
    assert first == second
    assert len(first) >= 50 and first != KEY_ONCE_IN_THE_SOURCE
    key_file = tmp_path / "secret-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["secret-key"]
    # and another installation gets another key
    assert embedded_secret_key(tmp_path / "other") != first
    assert settings.SECRET_KEY != KEY_ONCE_IN_THE_SOURCE


def start_without_key(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "BALIE_DEBUG")}
    clean = {k: v for k, v in clean.items() if not k.startswith("PYTEST")}
    clean.update(BALIE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=clean,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_deployment_without_a_secret_key_refuses_to_start(tmp_path):
    # given a deployment on PostgreSQL that forgot SECRET_KEY
    result = start_without_key(tmp_path, DATABASE_URL="postgres://balie@127.0.0.1:1/balie")

    # then it does not start, and says what to set
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert not (tmp_path / "secret-key").exists()


def test_the_embedded_default_starts_with_a_key_of_its_own(tmp_path):
    result = start_without_key(tmp_path, DATABASE_URL="")

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret-key").exists()
