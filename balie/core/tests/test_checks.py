from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection

from balie.core.checks import autovacuum_on


def _server_autovacuum() -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        return cursor.fetchone()[0]


def test_a_server_without_autovacuum_is_reported(db):
    setting = _server_autovacuum()
    warnings = autovacuum_on(databases=["default"])
    if setting == "off":
        assert [w.id for w in warnings] == ["balie.W001"]
        assert "autovacuum" in warnings[0].msg
    else:  # on, or SQLite, which has no such thing
        assert warnings == []


def test_the_check_runs_with_the_database_checks(db, capsys):
    try:
        call_command("check", "--database", "default", "--fail-level", "WARNING")
    except SystemCheckError as error:
        assert _server_autovacuum() == "off"
        assert "balie.W001" in str(error)
    else:
        assert _server_autovacuum() != "off"
