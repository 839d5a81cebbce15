"""No app imports from an app above it: branches ← members ← activities ← reports.

The tree is at the bottom (every record hangs from it), the roster sits on
the tree, organisational life on the roster, and reports on everything.
``config`` may import any app. Imports inside functions count too: a lazy
import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ORDER = ["branches", "members", "activities", "reports"]
ROOT = Path(__file__).resolve().parents[1]


def imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(ORDER)
    return found


@pytest.mark.parametrize("app", ORDER)
def test_no_app_imports_an_app_above_it(app):
    above = set(ORDER[ORDER.index(app) + 1 :])
    offending = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) & above)
        for path in (ROOT / app).rglob("*.py")
    }
    assert not {path: apps for path, apps in offending.items() if apps}


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "example.py"
    module.write_text("def f():\n    from reports.selectors import overview\n", encoding="utf-8")
    assert imported_apps(module) == {"reports"}
