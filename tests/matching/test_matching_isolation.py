"""The engine package must stand alone: no Flask, no extensions, no models.

Two checks: every import statement of every module, read with ``ast``; and the package
actually loaded, under another name, in a fresh interpreter where importing Flask, its
extensions, SQLAlchemy or anything of ``app`` fails.
"""
from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "app" / "matching" / "engine"
ALLOWED = {"__future__", "array", "collections", "csv", "dataclasses", "datetime", "functools", "math",
           "pathlib", "typing", "numpy", "scipy"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """``(level, module)`` of every import in a module; level > 0 for relative imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or ""))
    return found


def test_engine_modules_import_only_the_standard_library_numpy_scipy_and_siblings():
    modules = sorted(ENGINE.glob("*.py"))
    assert len(modules) >= 8
    for path in modules:
        for level, module in _imports(path):
            if level:
                assert level == 1, f"{path.name} reaches outside the engine: {'.' * level}{module}"
            else:
                assert module.split(".")[0] in ALLOWED, f"{path.name} imports {module}"


def test_engine_loads_and_ranks_with_flask_and_the_app_blocked():
    script = textwrap.dedent(f"""
        import importlib.abc, importlib.util, sys
        from datetime import date

        BLOCKED = ("flask", "flask_sqlalchemy", "flask_babel", "flask_login", "flask_wtf", "sqlalchemy",
                   "werkzeug", "app")

        class Refuse(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError("blocked: " + name)
                return None

        sys.meta_path.insert(0, Refuse())
        location = {str(ENGINE)!r}
        spec = importlib.util.spec_from_file_location(
            "standalone_engine", location + "/__init__.py", submodule_search_locations=[location])
        engine = importlib.util.module_from_spec(spec)
        sys.modules["standalone_engine"] = engine
        spec.loader.exec_module(engine)
        ref = engine.Reference.build([("F1703", "F17"), ("F1702", "F17")], [("F1703", "s1", True)],
                                     [("F1702", "F1703")])
        people = [engine.SeekerRecord(1, (engine.SeekerOccupation("F1702", 2),)),
                  engine.SeekerRecord(2, (engine.SeekerOccupation("F1703", 2),), frozenset({{"s1"}}))]
        index = engine.MatchIndex.build(ref, people, [engine.OfferRecord(9, "F1703")])
        assert [m.seeker_id for m in index.rank_seekers(9)] == [2, 1]
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
        assert not leaked, leaked
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
