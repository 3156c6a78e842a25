"""The engine, library and starter packages never import Qt (checked by import-linter)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QT_FREE = ["studio/engine", "studio/library", "studio/starter", "studio/paths.py", "studio/fsutil.py"]
FORBIDDEN = ("PySide6", "shiboken6", "qasync", "studio.ui")


def _python_files():
    for entry in QT_FREE:
        path = ROOT / entry
        yield from ([path] if path.is_file() else sorted(path.rglob("*.py")))


@pytest.mark.parametrize("path", list(_python_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_qt_import_in_core(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            assert not name.startswith(FORBIDDEN), f"{path.name}:{node.lineno} imports {name}"


def test_import_linter_contract():
    """The same rule through import-linter, which also follows indirect imports."""
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0
