"""The documentation keeps up with the code: the generated sections, the hooks' parameters,
every key of config.toml, the package table of the architecture, the links, and the README
an installer reads."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from payung import docs
from payung.base import config
from payung.schemes import hookspecs

from conftest import ROOT

DOCS = ROOT / "docs"
MARKDOWN = sorted([ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "plugins" / "README.md", *DOCS.rglob("*.md")])


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_generated_sections_are_what_the_code_writes_now():
    assert not docs.stale(), f"out of date: {docs.stale()}; run python -m payung docs"


def test_a_changed_hook_makes_its_section_stale(monkeypatch):
    def form_fields(scheme, form, settings, actor):
        """Extra fields.

        :param scheme: The scheme.
        :param form: The form.
        :param settings: The settings.
        :param actor: Who asks.
        :returns: Fields.
        """
    form_fields.payung_spec = hookspecs.form_fields.payung_spec
    monkeypatch.setattr(hookspecs, "form_fields", form_fields)
    assert docs.stale() == ["docs/plugins/reference.md: hooks"]


@pytest.mark.parametrize("name", docs.hook_names())
def test_each_hook_docstring_names_every_parameter_and_what_it_returns(name):
    spec = getattr(hookspecs, name)
    parts = docs.parse_hook_doc(spec.__doc__)
    assert list(parts["params"]) == list(inspect.signature(spec).parameters), f"{name}: :param lines"
    assert parts["summary"] and parts["returns"], f"{name}: a summary and :returns:"
    said = " ".join(parts["notes"])
    if spec.payung_spec.get("firstresult"):
        assert "first answer that is not None wins" in said, f"{name}: say that the first answer wins"
    else:
        assert "first answer that is not None wins" not in said


def test_the_reference_documents_each_hook_with_its_parameters():
    """Not only the names: the heading of each hook in docs/plugins/reference.md has the
    parameters of its specification, in order, and nothing documents a hook that is gone."""
    text = read(DOCS / "plugins" / "reference.md")
    documented = dict(re.findall(r"^### `(\w+)\(([^)]*)\)`$", section_of(text, "hooks"), re.M))
    actual = {name: ", ".join(inspect.signature(getattr(hookspecs, name)).parameters) for name in docs.hook_names()}
    assert documented == actual


def section_of(text: str, marker: str) -> str:
    found = docs.section(text, marker)
    assert found is not None, f"no {marker} markers"
    return found


# config.toml ---------------------------------------------------------------------------------

def config_sections() -> dict[str, str]:
    """Table -> its section of docs/configuration.md (a heading "## `[table]`" or "`[[table]]`")."""
    text = read(DOCS / "configuration.md")
    found = {}
    for match in re.finditer(r"^## `\[\[?([\w.]+)\]\]?`\n(.*?)(?=^## |\Z)", text, re.M | re.S):
        found[match[1]] = match[2]
    return found


def keys_read_by_the_loader() -> set[str]:
    """The string keys ``payung/base/config.py`` reads: ``x.get("key"...)``, ``x["key"]`` and
    ``_int(table, "key", ...)`` (the environment, ``os.environ.get``, is not config.toml)."""
    tree = ast.parse(read(ROOT / "payung" / "base" / "config.py"))
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            pass
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args \
                and isinstance(node.args[0], ast.Constant) and ast.unparse(node.func.value) != "os.environ":
            found.add(node.args[0].value)
        elif isinstance(node.func, ast.Name) and node.func.id == "_int" and isinstance(node.args[1], ast.Constant):
            found.add(node.args[1].value)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            found.add(node.slice.value)
    return found


def test_every_config_key_is_documented_under_its_table():
    sections = config_sections()
    missing = [f"add a heading \"## `[{table}]`\"" for table in config.CONFIG_KEYS if table not in sections]
    missing += [f"document `{key}` under \"## `[{table}]`\"" for table, keys in config.CONFIG_KEYS.items()
                if table in sections for key in keys if key != "*" and f"`{key}`" not in sections[table]]
    assert not missing, "docs/configuration.md: " + "; ".join(missing)


def test_the_loader_reads_no_key_the_catalogue_does_not_list():
    """A key read in payung/base/config.py must be in CONFIG_KEYS (and so in the docs)."""
    listed = {key for keys in config.CONFIG_KEYS.values() for key in keys} | {t.split(".")[-1] for t in config.CONFIG_KEYS}
    unlisted = sorted(keys_read_by_the_loader() - listed)
    assert not unlisted, (f"payung/base/config.py reads {unlisted}: add each to CONFIG_KEYS under its table "
                          "and document it under that table's heading in docs/configuration.md")


def keys_of(table: dict, name: str = ""):
    """(table, key) of every key of a parsed config.toml, sub-tables by their dotted names."""
    for key, value in table.items():
        rows = value if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) else None
        if isinstance(value, dict) or rows:
            yield from (pair for row in (rows or [value]) for pair in keys_of(row, f"{name}.{key}".strip(".")))
        elif name:
            yield name, key


def test_every_key_of_the_shipped_config_is_documented_under_its_table():
    """A key added to config.toml is explained in docs/configuration.md (a table whose keys the
    regency names, "*" in CONFIG_KEYS, is explained as a whole)."""
    import tomllib
    sections = config_sections()
    free = {t for t, keys in config.CONFIG_KEYS.items() if "*" in keys}
    missing = sorted({f"`{key}` under \"## `[{table}]`\"" for table, key in keys_of(tomllib.loads(read(ROOT / "config.toml")))
                      if not any(table == f or table.startswith(f + ".") for f in free)
                      and f"`{key}`" not in sections.get(table, "")})
    assert not missing, "docs/configuration.md: document " + "; ".join(missing)


# The architecture ----------------------------------------------------------------------------

def test_the_architecture_table_is_the_package_rules_of_the_layer_test():
    from test_layers import PACKAGES
    table = section_of(read(DOCS / "architecture.md"), "packages")
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = set(re.findall(r"`([\w.]+)`", cells[2]))
    assert rows == PACKAGES


# Links, and the README -----------------------------------------------------------------------

def slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", read(path), flags=re.S)
    return {slug(h) for h in re.findall(r"^#+ (.*)$", text, re.M)}


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_and_test_named_exists(path):
    """Relative links lead to a file (and heading) that exists; every ``tests/x.py::test_y``
    named is a test of that file."""
    text = re.sub(r"```.*?```", "", read(path), flags=re.S)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        if not linked.exists():
            broken.append(target)
        elif anchor and linked.is_file() and anchor not in anchors(linked):
            broken.append(target)
    # A test named as a proof must exist (docs/security.md names files alone too).
    proof = r"`(tests/[\w/]+\.py)(?:::(\w+))?`" if path.name == "security.md" else r"`(tests/[\w/]+\.py)::(\w+)`"
    for file, test in re.findall(proof, text):
        if not (ROOT / file).is_file() or test and not re.search(rf"^def {test}\(", read(ROOT / file), re.M):
            broken.append(f"{file}::{test}" if test else file)
    assert not broken, f"{path.relative_to(ROOT)}: {broken}"


def test_the_readme_is_short_and_keeps_its_two_commands():
    text = read(ROOT / "README.md")
    assert len(text.splitlines()) <= 150
    assert "pip install -r requirements.txt && streamlit run app.py" in text
    assert "pip install -r requirements-dev.txt && python -m pytest" in text


def test_the_changelog_names_every_migration_and_the_version():
    from db.migrations import known
    from payung import __version__
    text = read(ROOT / "CHANGELOG.md")
    missing = [name for name in known() if f"`{name}`" not in text]
    assert not missing, f"CHANGELOG.md: list {missing} under \"### Migrations\" of the release that adds them"
    assert re.search(rf"^## {re.escape(__version__)} ", text, re.M), f"CHANGELOG.md: no section for {__version__}"
