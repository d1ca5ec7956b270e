"""A SQLite database named by `DATABASE_URL=sqlite:///…` is the embedded database's twin: the
web process and the worker write to one file, and a writer waits its turn instead of failing
with "database is locked" (which quarantined a contact-form message and a chat message that the
web process was filing at the same moment)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from django.conf import settings as django_settings

# Another process (the worker) writes while this one (a web request) is in a transaction that
# has read first and writes next: the second writer must wait for the first, not fail.
SCRIPT = textwrap.dedent(
    """
    import sqlite3, sys, threading, time
    import django
    django.setup()
    from django.db import connection, transaction

    path = sys.argv[1]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE t (who TEXT)")
    results = []

    def worker():
        other = sqlite3.connect(path, timeout=10)
        try:
            other.execute("INSERT INTO t VALUES ('worker')")
            other.commit()
            results.append("worker stored")
        except sqlite3.OperationalError as exc:
            results.append(f"worker: {exc}")

    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM t")
                thread = threading.Thread(target=worker)
                thread.start()
                time.sleep(0.5)
                cursor.execute("INSERT INTO t VALUES ('web')")
        results.append("web stored")
    except Exception as exc:
        results.append(f"web: {exc}")
    thread.join()
    with connection.cursor() as cursor:
        cursor.execute("SELECT who FROM t ORDER BY who")
        rows = [row[0] for row in cursor.fetchall()]
    print(sorted(results), rows)
    """
)


def test_a_sqlite_database_url_lets_two_writers_take_turns(tmp_path):
    path = tmp_path / "balie.sqlite3"
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(
        DATABASE_URL=f"sqlite:///{path}",
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="k" + os.urandom(16).hex(),
        BALIE_VAR_DIR=str(tmp_path),
        PYTHONPATH=str(django_settings.BASE_DIR),
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['web stored', 'worker stored'] ['web', 'worker']"
