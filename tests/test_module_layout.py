"""The module rules of docs/architecture.md hold: no module over 600 lines, one module name
means one thing across the apps, and no module that nothing uses.

The import graph comes from grimp (what import-linter reads): every import counts, also one
inside a function; an import from the tests does not make a module used.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 600

# The module names every app may have (CONVENTIONS.md), and the few repeated on purpose,
# each one concept per app (docs/architecture.md, "Module names").
SHARED_NAMES = {
    "__init__",
    "apps",
    "models",
    "actions",
    "views",
    "api",
    "forms",
    "admin",
    "tasks",
    "urls",
    "events",
    "api_schemas",
    "socket_urls",
}
# Modules that Django or the settings load by name rather than by an import.
LOADED_BY_NAME = {"apps", "admin", "models", "urls", "tasks"}
# Kept for what comes next, and documented as such.
KEPT_FOR_NEW_CHANNELS = {
    # the signature and handshake checks docs/connectors.md tells a new connector to use
    "balie.messaging.connectors.signatures",
}


def _product_modules() -> list[Path]:
    return [
        path
        for folder in ("balie", "config")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_no_module_passes_600_lines():
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in _product_modules() + sorted((ROOT / "tests").rglob("*.py"))
        if (lines := len(path.read_text().splitlines())) > LIMIT
    }
    assert not too_long, f"split these by sub-topic: {too_long}"


def test_one_module_name_is_one_thing_across_the_apps():
    apps_by_name: dict[str, set[str]] = defaultdict(set)
    for path in _product_modules():
        parts = (
            path.relative_to(ROOT / "balie").parts if path.is_relative_to(ROOT / "balie") else ()
        )
        if len(parts) < 2 or "tests" in parts or "management" in parts or "templatetags" in parts:
            continue
        apps_by_name[path.stem].add(parts[0])
    for folder in (ROOT / "balie").glob("*/*/"):
        if (folder / "__init__.py").exists() and folder.name not in ("tests", "migrations"):
            apps_by_name[folder.name].add(folder.parent.name)
    repeated = {
        name: sorted(apps)
        for name, apps in apps_by_name.items()
        if len(apps) > 1 and name not in SHARED_NAMES | {"management", "templatetags"}
    }
    assert not repeated, f"one name for different things in different apps: {repeated}"


def _unused(graph, package: str, named_in: str) -> list[str]:
    """The modules of `package` that no module outside the tests imports and no settings
    text names (Django loads the conventional ones by name)."""
    unused = []
    for module in sorted(graph.modules):
        parts = module.split(".")
        if (
            parts[0] != package
            or {"tests", "migrations", "commands", "templatetags"} & set(parts)
            or parts[-1] in LOADED_BY_NAME
            or module in KEPT_FOR_NEW_CHANNELS
            or graph.find_children(module)  # a package: its modules are judged one by one
        ):
            continue
        importers = {
            importer
            for importer in graph.find_modules_that_directly_import(module)
            if ".tests" not in importer and not importer.endswith(".conftest")
        }
        if not importers and module not in named_in:
            unused.append(module)
    return unused


def test_every_module_is_used_by_the_product():
    graph = grimp.build_graph("balie", "config", cache_dir=None)
    # the settings name backends and consumers, pyproject.toml the command line's entry point
    settings_text = "\n".join(
        path.read_text() for path in [*(ROOT / "config").glob("*.py"), ROOT / "pyproject.toml"]
    )

    unused = _unused(graph, "balie", settings_text)

    assert not unused, f"nothing in the product uses these modules: {unused}"


def test_the_check_finds_a_module_only_the_tests_use(tmp_path, monkeypatch):
    # given a package where one module is used, one named in the settings, one only tested
    package = tmp_path / "probe"
    (package / "tests").mkdir(parents=True)
    for name, text in {
        "__init__.py": "",
        "used.py": "X = 1\n",
        "views.py": "from probe.used import X\n",
        "urls.py": "from probe import views\n",
        "backends.py": "Y = 2\n",
        "forgotten.py": "Z = 3\n",
        "tests/__init__.py": "",
        "tests/test_it.py": "from probe.forgotten import Z\n",
    }.items():
        (package / name).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("probe", cache_dir=None)

    # then only the module that nothing but a test imports is reported
    assert _unused(graph, "probe", named_in='BACKEND = "probe.backends.Thing"') == [
        "probe.forgotten"
    ]
