"""No app uses another app's private (underscore) names.

The layers, the demo that nothing imports and the absence of import cycles are import-linter contracts
in pyproject.toml, run by `./dev test` before pytest (`lint-imports`). What import-linter cannot see is
which names an import takes: this test reads every module of `ombuds` and refuses
`from ombuds.<other app>... import _name` and `<module of another app>._name`. A package's own modules
share its private names freely; the top-level modules (`ombuds.urls`, `ombuds.views`, ...) each count as
an app of their own."""

from __future__ import annotations

import ast
from pathlib import Path

import ombuds

ROOT = Path(ombuds.__file__).parent


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _app(module: str) -> str:
    """`ombuds.cases.services.filing` -> `ombuds.cases`; `ombuds.urls` -> `ombuds.urls`."""
    return ".".join(module.split(".")[:2])


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_module(dotted: str, root: Path) -> bool:
    path = root.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name of the module an import-from reads from."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _dotted(node: ast.expr) -> list[str] | None:
    """`a.b.c` as ["a", "b", "c"]; None for anything that is not a plain attribute chain."""
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(names)]


def _private_uses(path: Path, root: Path = ROOT) -> list[str]:
    module = _module_name(path, root)
    where = path.relative_to(root.parent)
    app = _app(module)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    modules_bound: dict[str, str] = {}  # local name -> another app's module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(module, path.name == "__init__.py", node)
            if not source.startswith("ombuds.") or _app(source) == app:
                continue
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if _is_private(alias.name) or any(map(_is_private, source.split("."))):
                    found.append(f"{where}:{node.lineno} imports {full}")
                elif _is_module(full, root):
                    modules_bound[alias.asname or alias.name] = full
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("ombuds.") and _app(alias.name) != app:
                    if any(map(_is_private, alias.name.split("."))):
                        found.append(f"{where}:{node.lineno} imports {alias.name}")
                    if alias.asname:
                        modules_bound[alias.asname] = alias.name
                    else:
                        modules_bound["ombuds"] = "ombuds"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        chain = _dotted(node)
        if not chain or chain[0] not in modules_bound:
            continue
        full = ".".join([modules_bound[chain[0]], *chain[1:]])
        if _app(full) != app and any(map(_is_private, chain[1:])):
            found.append(f"{where}:{node.lineno} uses {full}")
    return found


def test_no_app_uses_another_apps_private_names():
    found = sorted({use for path in ROOT.rglob("*.py") for use in _private_uses(path)})
    assert found == []


def test_the_check_sees_a_private_name_taken_across_apps(tmp_path):
    """The check itself: each way of reaching into another app is caught, and an app's own private
    names are not."""
    package = tmp_path / "ombuds"
    (package / "cases").mkdir(parents=True)
    (package / "register" / "services").mkdir(parents=True)
    for init in ("__init__.py", "cases/__init__.py", "register/__init__.py"):
        (package / init).write_text("")
    (package / "register" / "services" / "__init__.py").write_text("")
    (package / "register" / "recert.py").write_text(
        "from .services import _status_event\nfrom ombuds.register import services\nservices._x()\n"
    )
    probe = package / "cases" / "probe.py"
    probe.write_text(
        "import ombuds.register.services as rs\n"
        "from ombuds.register import services\n"
        "from ombuds.register.services import _status_event, public_name\n"
        "services._status_event()\n"
        "rs._lock()\n"
        "services.__name__\n"
        "from . import _own_helper\n"
    )
    assert _private_uses(package / "register" / "recert.py", package) == []
    assert sorted(_private_uses(probe, package)) == [
        "ombuds/cases/probe.py:3 imports ombuds.register.services._status_event",
        "ombuds/cases/probe.py:4 uses ombuds.register.services._status_event",
        "ombuds/cases/probe.py:5 uses ombuds.register.services._lock",
    ]
