"""The layers, kept by reading the source: every import of the project (function-level and
``TYPE_CHECKING`` ones included) is read from the AST and checked against the rules below.
A broken rule is reported with the file, the line and the rule; docs/architecture.md explains
them (and a test keeps its table equal to ``PACKAGES``)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: What each part of the project may import from the project (the standard library and the
#: installed packages are free, but for the names in ``FORBIDDEN_NAMES``). Data flows one way:
#: pages -> ui -> payung (the services) -> db. A part may import itself.
LAYERS = {
    "app": {"ui", "payung"},
    "pages": {"ui", "payung"},
    "ui": {"payung"},
    "payung": {"db"},
    "db": {"payung.base"},
    "plugins": {"payung.plugin"},
}

#: Inside ``payung``: which package (or top-level module) may import which (besides itself and
#: ``db``). Read downwards: nothing imports a line below its own, so there is no cycle.
PACKAGES = {
    "payung": {"payung.compat"},
    "payung.compat": set(),
    "payung.base": set(),
    "payung.auth": {"payung.base"},
    "payung.schemes": {"payung.base", "payung.auth", "payung.compat"},
    "payung.people": {"payung.base", "payung.auth", "payung.schemes"},
    "payung.finance": {"payung.base", "payung.auth", "payung.schemes"},
    "payung.enrolment": {"payung.base", "payung.auth", "payung.schemes", "payung.finance"},
    "payung.imports": {"payung.base", "payung.auth", "payung.schemes", "payung.people", "payung.finance",
                       "payung.enrolment"},
    "payung.reports": {"payung.base", "payung.auth", "payung.schemes", "payung.people", "payung.finance",
                       "payung.enrolment", "payung.imports"},
    "payung.plugin": {"payung.base", "payung.schemes"},
    "payung.core": {"payung.base", "payung.schemes", "payung.people"},
    "payung.operations": {"payung.base", "payung.auth", "payung.schemes", "payung.people", "payung.finance",
                          "payung.enrolment", "payung.imports", "payung.reports", "payung.core"},
    "payung.docs": {"payung.base", "payung.auth", "payung.schemes", "payung.plugin"},
    "payung.cli": {"payung.base", "payung.auth", "payung.schemes", "payung.people", "payung.finance",
                   "payung.enrolment", "payung.imports", "payung.reports", "payung.core", "payung.operations",
                   "payung.plugin", "payung.docs"},
    "payung.__main__": {"payung.cli"},
}

#: Names only some parts may import: the UI library only above the core, the database driver
#: only in the data layer.
FORBIDDEN_NAMES = {
    "streamlit": ("payung", "db", "plugins"),
    "sqlite3": ("app", "pages", "ui", "payung", "plugins"),
}
#: The only exception, (importing package, imported module): the load test's client speaks
#: Streamlit's wire protocol to a server, so it reads the protocol's message definitions
#: (protobuf classes, no Streamlit code runs); it does not use the UI library.
ALLOWED_NAMES = {("payung.operations.loadtest", "streamlit.proto")}

#: Code that is not the app (tests, scripts) is not checked; these folders and files are.
CHECKED = ("app.py", "pages", "ui", "payung", "db", "plugins")

#: SQL in a string: only ``db/`` holds SQL. A statement keyword at the start of a string.
SQL = re.compile(r"^\s*(SELECT\s|INSERT\s+INTO\s|UPDATE\s+\S+\s+SET\s|DELETE\s+FROM\s|REPLACE\s+INTO\s"
                 r"|CREATE\s+(TABLE|INDEX|UNIQUE|TRIGGER|VIEW|TEMP)|DROP\s+(TABLE|INDEX|TRIGGER|VIEW)"
                 r"|ALTER\s+TABLE|PRAGMA\s+\w+\s*(=|\(|;|$)|BEGIN(\s|$)|COMMIT|ROLLBACK|SAVEPOINT\s|RELEASE\s|ANALYZE|VACUUM"
                 r"|WITH\s+\w+\s+AS\s)")
#: Calls that run SQL on a connection.
SQL_CALLS = {"execute", "executemany", "executescript", "query"}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, e.g. "payung.auth.users"
    target: str  # the imported module (a package when a name is imported from its __init__)
    path: str    # the file, relative to the project
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def files(root: Path = ROOT) -> list[Path]:
    found = []
    for name in CHECKED:
        path = root / name
        found += [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))
    return found


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in files()}


def imports_of(path: Path, source: str | None = None) -> list[Import]:
    """Every import statement of a file, wherever it is in the file, resolved to module names
    (relative imports too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    rel = str(path.relative_to(ROOT))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(name, alias.name, rel, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append(Import(name, submodule if submodule in modules() else base, rel, node.lineno))
    return list(dict.fromkeys(found))  # one per module and line


def part(module: str) -> str:
    """The part of the project a module belongs to: "pages", "payung", "db"... (app.py: "app")."""
    return module.split(".")[0]


def package(module: str) -> str:
    """``payung.auth.users`` -> ``payung.auth``; a top-level module is its own package."""
    return ".".join(module.split(".")[:2])


def forbidden_name(i: Import) -> str | None:
    if any((i.source == where or i.source.startswith(where + ".")) and i.target.startswith(what + ".")
           for where, what in ALLOWED_NAMES):
        return None
    for name, parts in FORBIDDEN_NAMES.items():
        if part(i.target) == name and part(i.source) in parts:
            return f"no {name} in {', '.join(parts)}"
    return None


def layer_rule(i: Import) -> str | None:
    """Between the parts of the project (``LAYERS``)."""
    source, target = part(i.source), part(i.target)
    if target not in LAYERS or source == target:
        return None
    allowed = LAYERS[source]
    if any(i.target == a or i.target.startswith(a + ".") or a == target for a in allowed):
        return None
    return f"{source} may import only {', '.join(sorted(allowed))} of the project (LAYERS)"


def package_rule(i: Import) -> str | None:
    """Between the packages of payung (``PACKAGES``)."""
    if part(i.source) != "payung" or part(i.target) != "payung" or i.target == "payung":
        return None  # (``from payung import __version__``: the package's own names)
    mine, theirs = package(i.source), package(i.target)
    if mine == theirs:
        return None
    if mine not in PACKAGES:
        return f"{mine} is not in PACKAGES (tests/test_layers.py): say what it may import"
    if theirs in PACKAGES[mine]:
        return None
    return f"{mine} may import only {', '.join(sorted(PACKAGES[mine])) or 'nothing'} of payung (PACKAGES)"


def broken_rules(imports: list[Import]) -> list[str]:
    """One line per import that breaks a rule: file, line, what is imported, the rule."""
    return [f"{i.path}:{i.line}: imports {i.target}; rule: {rule}"
            for i in imports for rule in (forbidden_name(i), layer_rule(i), package_rule(i)) if rule]


def all_imports() -> list[Import]:
    return [i for path in files() for i in imports_of(path)]


def test_every_import_follows_the_layers():
    broken = broken_rules(all_imports())
    assert not broken, "imports that break the layers:\n" + "\n".join(broken)


@pytest.mark.parametrize("where, line, rule", [
    ("db/queries.py", "from payung.people import workers", "db may import only payung.base"),
    ("db/queries.py", "    import streamlit as st", "no streamlit in payung, db, plugins"),
    ("payung/operations/loadtest/protocol.py", "import streamlit.runtime", "no streamlit in payung, db, plugins"),
    ("payung/base/money.py", "from payung.auth.access import Actor", "payung.base may import only nothing"),
    ("payung/auth/users.py", "from payung.people.workers import check_worker", "payung.auth may import only payung.base"),
    ("payung/people/workers.py", "import sqlite3", "no sqlite3 in app, pages, ui, payung, plugins"),
    ("pages/pekerja.py", "from db import queries", "pages may import only payung, ui"),
    ("ui/widgets.py", "from db.scope import EVERYTHING", "ui may import only payung"),
    ("plugins/luwu_utara.py", "from payung.schemes.rules import LIBRARY", "plugins may import only payung.plugin"),
])
def test_a_planted_wrong_import_is_named_with_its_file_line_and_rule(where, line, rule):
    """The rules are not vacuous: the same file with one wrong import (at the end, or inside a
    function) breaks exactly one rule, named with the file and the line."""
    path = ROOT / where
    text = path.read_text(encoding="utf-8")
    planted = text + ("\n\ndef _planted():\n" if line.startswith(" ") else "\n") + line + "\n"
    broken = broken_rules(imports_of(path, planted))
    number = len(planted.splitlines())
    assert len(broken) == 1 and broken[0].startswith(f"{where}:{number}: ") and rule in broken[0], broken


def import_graph(imports: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in modules()}
    for i in imports:
        if i.target in graph and i.target != i.source:
            graph[i.source].add(i.target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_anywhere_in_the_project():
    """Modules of app.py, pages, ui, payung, db and plugins, with every import wherever it is
    written (a function-level import is an edge too: it only delays the cycle)."""
    found = cycles(import_graph(all_imports()))
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_a_planted_cycle_is_found():
    graph = import_graph(all_imports())
    assert not cycles(graph)
    graph["payung.base.clock"].add("payung.base.formats")  # formats imports clock
    [cycle] = cycles(graph)
    assert {"payung.base.clock", "payung.base.formats"} <= set(cycle)


def test_the_package_rules_have_no_cycle_and_name_every_package():
    """``PACKAGES`` itself is a ladder: no package may import one that may import it back, and
    every package of payung/ (and top-level module) has its line."""
    assert not cycles({name: set(allowed) for name, allowed in PACKAGES.items()})
    present = {package(m) for m in modules() if part(m) == "payung"}
    assert present == set(PACKAGES)


def sql_outside_db(path: Path, source: str | None = None) -> list[str]:
    """Strings that are SQL statements, and calls that run SQL, in a file outside db/."""
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    rel = str(path.relative_to(ROOT))
    found = []
    parts_of_fstrings = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts_of_fstrings:
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
        if text is not None and SQL.match(text):
            found.append(f"{rel}:{node.lineno}: SQL {text.strip()[:40]!r}; rule: SQL only in db/")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
            found.append(f"{rel}:{node.lineno}: .{node.func.attr}(...); rule: SQL only in db/")
    return found


def test_sql_only_in_db():
    found = [line for path in files() if part(module_name(path)) != "db" for line in sql_outside_db(path)]
    assert not found, "SQL outside db/:\n" + "\n".join(found)


@pytest.mark.parametrize("line", [
    '    db.execute("PRAGMA optimize")',
    '    rows = db.query(f"SELECT * FROM workers WHERE id = {1}")',
    '    sql = "UPDATE workers SET name = ?"',
])
def test_planted_sql_outside_db_is_named(line):
    path = ROOT / "payung" / "people" / "workers.py"
    planted = path.read_text(encoding="utf-8") + "\n\ndef _planted(db):\n" + line + "\n"
    found = sql_outside_db(path, planted)
    assert found and all(f.startswith(f"payung/people/workers.py:{len(planted.splitlines())}: ") for f in found)
