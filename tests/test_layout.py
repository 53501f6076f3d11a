"""The shape of the code: a thin entry point, a Flask-free library, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hmis_schedule"


def _code_lines(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    body = [node for node in tree.body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    return [ast.unparse(node) for node in body]


def test_server_py_is_only_the_wsgi_entry_point() -> None:
    lines = _code_lines(ROOT / "server.py")
    assert lines == ["from hmis_schedule.web import app_from_environment", "app = app_from_environment()"]


def test_gunicorn_conf_py_only_re_exports_the_package_settings() -> None:
    imports = [n for n in ast.parse((ROOT / "gunicorn.conf.py").read_text()).body if isinstance(n, ast.ImportFrom)]
    assert [n.module for n in imports] == ["hmis_schedule.web.gunicorn_config"]
    assert all(isinstance(n, ast.ImportFrom | ast.Assign | ast.Expr) for n in ast.parse((ROOT / "gunicorn.conf.py").read_text()).body)


def _imports(path: Path) -> set[str]:
    """The package modules ``path`` imports anywhere in it (module level or inside a function)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
                names = [f"{module}.{alias.name}" for alias in node.names]
            else:
                module = node.module or ""
                names = [f"{module}.{alias.name}" for alias in node.names]
            for name in [module, *names]:
                if name.startswith("hmis_schedule.") and _file_of(name) is not None:
                    found.add(name)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("hmis_schedule.") and _file_of(a.name))
    return found


def _file_of(module: str) -> Path | None:
    path = ROOT.joinpath(*module.split("."))
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_library_has_no_import_cycles() -> None:
    graph = {
        _module_of(path): {m for m in _imports(path) if not m.endswith("__init__")}
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py"
    }
    graph = {module: {m for m in deps if m in graph and m != module} for module, deps in graph.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                cycles.append([*trail[trail.index(dep) :], dep] if dep in trail else [module, dep])
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_only_the_web_package_imports_flask() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "web" in path.relative_to(PACKAGE).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in modules if m and m.split(".")[0] in ("flask", "werkzeug")}, path.name


def test_the_feed_does_not_import_the_private_feeds_and_values_need_only_errors_and_rules() -> None:
    assert "hmis_schedule.private" not in _imports(PACKAGE / "feed.py")
    assert _imports(PACKAGE / "values.py") == {"hmis_schedule.errors", "hmis_schedule.rules"}
