"""Real mail servers for tests: Dovecot (IMAP) and aiosmtpd (SMTP), on 127.0.0.1, free ports.

`dovecot` starts Debian's Dovecot with a config file of its own in a temporary folder: one
passwd-file user, maildir storage, plain-text login without SSL. It is skipped with a reason
when /usr/sbin/dovecot is not installed (CI installs `dovecot-imapd`).

`smtp_server` starts an aiosmtpd Controller that collects every message it receives and points
Django's EMAIL_* settings at it, so that the outbox sends real SMTP.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path

import pytest

DOVECOT = Path("/usr/sbin/dovecot")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, *, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


# --- IMAP: Dovecot --------------------------------------------------------------------------


@dataclass
class Dovecot:
    host: str
    port: int
    user: str
    password: str
    root: Path
    uid: int
    gid: int

    def deliver(self, raw: bytes, *, folder: str = "INBOX") -> None:
        """Put a mail in the user's mailbox through IMAP APPEND, as a mail server would."""
        from imapclient import IMAPClient

        with IMAPClient(self.host, port=self.port, ssl=False, timeout=10) as client:
            client.login(self.user, self.password)
            client.append(folder, raw)

    def account_config(self) -> dict[str, object]:
        return {
            "imap_host": self.host,
            "imap_port": self.port,
            "imap_ssl": False,
            "imap_user": self.user,
            "imap_password": self.password,
        }


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def _identities() -> tuple[str, str, str, int, int]:
    """Who Dovecot's processes and the mail user run as: the current user, or, when the tests
    run as root, Debian's dovecot/dovenull users (Dovecot refuses mail access as root)."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
    internal = pwd.getpwnam("dovecot")
    login = pwd.getpwnam("dovenull")
    return "dovecot", "dovecot", login.pw_name, internal.pw_uid, internal.pw_gid


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    if not DOVECOT.exists():
        pytest.skip("Dovecot is not installed (/usr/sbin/dovecot; apt-get install dovecot-imapd)")
    try:
        internal_user, internal_group, login_user, uid, gid = _identities()
    except KeyError:
        pytest.skip("Dovecot's system users (dovecot, dovenull) are missing")
    root = Path(tempfile.mkdtemp(prefix="balie-dovecot-"))
    root.chmod(0o755)
    port = free_port()
    user, password = "klantenservice", "geheim-voor-tests"
    (root / "mail").mkdir()
    (root / "passwd").write_text(f"{user}:{{PLAIN}}{password}:{uid}:{gid}::{root}/mail/{user}::\n")
    (root / "dovecot.conf").write_text(
        CONFIG.format(
            root=root,
            port=port,
            internal_user=internal_user,
            internal_group=internal_group,
            login_user=login_user,
            uid=uid,
            gid=gid,
        )
    )
    if os.geteuid() == 0:
        os.chown(root / "mail", uid, gid)
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        if not _wait_for_port(port):
            process.terminate()
            output = process.communicate(timeout=5)[0].decode(errors="replace")
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            pytest.fail(f"Dovecot did not start:\n{output}\n{log}")
        yield Dovecot("127.0.0.1", port, user, password, root, uid, gid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


# --- SMTP: aiosmtpd -------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> Message:
        return message_from_bytes(self.raw, policy=default_policy)


@dataclass
class SmtpServer:
    host: str
    port: int
    received: list[ReceivedMail] = field(default_factory=list)
    refuse: dict[str, tuple[int, str]] = field(default_factory=dict)  # address -> (code, text)

    def wait_for(self, count: int = 1, *, timeout: float = 5.0) -> list[ReceivedMail]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


class _Collector:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.lower() in self.server.refuse:
            code, text = self.server.refuse[address.lower()]
            return f"{code} {text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.server.received.append(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1; Django's mail settings point at it for the test."""
    from aiosmtpd.controller import Controller

    server = SmtpServer("127.0.0.1", free_port())
    controller = Controller(_Collector(server), hostname=server.host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    try:
        yield server
    finally:
        controller.stop()
