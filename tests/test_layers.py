"""The layers of docs/architecture.md hold: no module imports from an app above its own.

The contract is in pyproject.toml ([tool.importlinter]); import-linter reads every import in
balie/, also those inside functions and under TYPE_CHECKING.
"""

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_no_import_goes_up_a_layer(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)

    exit_code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)

    report = capsys.readouterr().out
    assert exit_code == 0, report
    assert "1 kept, 0 broken" in report
