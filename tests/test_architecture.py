"""The module seams hold: import-linter's contracts (pyproject.toml) pass, and no project module
imports itself back through another (no import cycle, even behind a function-level import)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import grimp

ROOT = Path(__file__).resolve().parent.parent
ROOT_PACKAGES = ("spectrum_sync", "connectors", "mappings", "linking")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(config: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(config)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def import_cycles(graph: Any) -> list[tuple[str, ...]]:
    """Each direct import ``a → b`` for which ``b`` leads back to ``a``, as the chain a → b → … → a."""
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycles.append((importer, *back))
    return cycles


def project_graph(*packages: str) -> Any:
    sys.path.insert(0, str(ROOT))
    try:
        return grimp.build_graph(*packages, cache_dir=None, exclude_type_checking_imports=True)
    finally:
        sys.path.remove(str(ROOT))


def test_the_import_contracts_are_kept() -> None:
    result = lint_imports(ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_broken_contract_is_reported_with_the_import_that_breaks_it(tmp_path: Path) -> None:
    # The tasks do import the export engine: forbidding it must fail and name the import.
    config = tmp_path / "broken.toml"
    config.write_text(
        textwrap.dedent(
            """
            [tool.importlinter]
            root_packages = ["spectrum_sync", "connectors", "mappings"]

            [[tool.importlinter.contracts]]
            name = "known broken"
            type = "forbidden"
            source_modules = ["spectrum_sync.tasks"]
            forbidden_modules = ["spectrum_sync.exports.engine"]
            """
        )
    )
    result = lint_imports(config)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "known broken BROKEN" in result.stdout
    assert "spectrum_sync.tasks -> spectrum_sync.exports.engine" in result.stdout


def test_no_project_module_imports_itself_back() -> None:
    migrations = ".migrations"
    cycles = [c for c in import_cycles(project_graph(*ROOT_PACKAGES)) if not any(migrations in m for m in c)]
    assert cycles == []


def test_a_cycle_behind_a_function_level_import_is_found(tmp_path: Path, monkeypatch: Any) -> None:
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "engine.py").write_text("from cyclic import tasks\n")
    (package / "tasks.py").write_text("def run():\n    from cyclic.engine import tasks\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("cyclic", cache_dir=None)
    assert import_cycles(graph) == [
        ("cyclic.engine", "cyclic.tasks", "cyclic.engine"),
        ("cyclic.tasks", "cyclic.engine", "cyclic.tasks"),
    ]
