"""The parts of the documentation written from the code, between ``<!-- name:start -->`` and
``<!-- name:end -->`` markers: the table of actions, the plugin hooks, the public plugin API
and the rule library. ``python -m payung docs`` writes them; ``--check`` (and the tests) says
which are out of date."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Callable
from pathlib import Path

from payung import plugin
from payung.auth import access
from payung.base.config import ROOT
from payung.base.errors import PayungError
from payung.schemes import hookspecs, rule_library
from payung.schemes.data import DataReader


def _markdown(text: str) -> str:
    """reStructuredText literals (``x``) as Markdown ones (`x`), lines joined."""
    return re.sub(r"``(.+?)``", r"`\1`", " ".join(text.split()))


def _first_paragraph(doc: str | None) -> str:
    return _markdown(inspect.cleandoc(doc or "").split("\n\n")[0])


# Hooks ----------------------------------------------------------------------------------------

def hook_names() -> list[str]:
    """The hooks, in the order hookspecs.py declares them."""
    return [name for name, value in vars(hookspecs).items() if hasattr(value, "payung_spec")]


def parse_hook_doc(doc: str) -> dict:
    """A hook docstring's parts: ``summary``, ``params`` (name -> text, in order), ``returns``
    and ``notes`` (the paragraphs after the fields)."""
    parts = {"summary": "", "params": {}, "returns": "", "notes": []}
    field = None
    for paragraph in inspect.cleandoc(doc).split("\n\n"):
        if not paragraph.startswith(":"):
            if not parts["summary"]:
                parts["summary"] = _markdown(paragraph)
            else:
                parts["notes"].append(_markdown(paragraph))
            continue
        for line in paragraph.splitlines():
            if match := re.match(r":param (\w+):\s*(.*)", line):
                field = ("params", match[1])
                parts["params"][match[1]] = match[2]
            elif match := re.match(r":returns:\s*(.*)", line):
                field = ("returns", None)
                parts["returns"] = match[1]
            elif field and field[0] == "params":
                parts["params"][field[1]] += " " + line.strip()
            elif field:
                parts["returns"] += " " + line.strip()
    parts["params"] = {k: _markdown(v) for k, v in parts["params"].items()}
    parts["returns"] = _markdown(parts["returns"])
    return parts


def hook_signature(name: str) -> str:
    return f"{name}({', '.join(inspect.signature(getattr(hookspecs, name)).parameters)})"


def hooks_markdown() -> str:
    out = []
    for name in hook_names():
        spec = getattr(hookspecs, name)
        parts = parse_hook_doc(spec.__doc__)
        first = spec.payung_spec.get("firstresult")
        out += [f"### `{hook_signature(name)}`", "", parts["summary"], "",
                "**The first answer wins** (`firstresult`): plugins are asked until one returns something "
                "other than None." if first else "**Every answer counts**: every plugin that implements it "
                "is asked.", "", "| parameter | |", "|---|---|"]
        out += [f"| `{param}` | {text} |" for param, text in parts["params"].items()]
        out += ["", f"**Returns** {parts['returns']}", ""]
        for note in parts["notes"]:
            out += [note, ""]
    return "\n".join(out)


# The public API -------------------------------------------------------------------------------

def _comment_of(name: str) -> str:
    """The ``#:`` comment above a constant's assignment, in the module ``payung.plugin``
    imports it from."""
    tree = ast.parse(inspect.getsource(plugin))
    source = next((node.module for node in tree.body if isinstance(node, ast.ImportFrom)
                   and any((a.asname or a.name) == name for a in node.names)), plugin.__name__)
    lines = inspect.getsource(importlib.import_module(source)).splitlines()
    at = next(i for i, line in enumerate(lines) if re.match(rf"{name}\b.*=", line))
    comment = []
    while at > 0 and lines[at - 1].startswith("#:"):
        at -= 1
        comment.insert(0, lines[at][2:].strip())
    return _markdown(" ".join(comment))


def _describe(name: str) -> tuple[str, str]:
    value = getattr(plugin, name)
    if inspect.ismodule(value):
        return "module", _first_paragraph(value.__doc__)
    if inspect.isclass(value):
        return "class", _first_paragraph(value.__doc__)
    if callable(value) and name != "hookimpl":
        return "function", _first_paragraph(value.__doc__)
    if name == "hookimpl":
        return "decorator", "Marks a function of a plugin as the implementation of the hook of its name."
    return "constant", _comment_of(name)


def api_markdown() -> str:
    out = [f"`payung.plugin` API version **{plugin.API_VERSION}**.", "", "| name | kind | what it is |", "|---|---|---|"]
    out += [f"| `{name}` | {kind} | {text} |" for name in plugin.__all__ for kind, text in [_describe(name)]]
    out += ["", "`DataReader`: every question a rule or panel may ask (`data.method(...)`).", "",
            "| method | answers |", "|---|---|"]
    for name, member in inspect.getmembers(DataReader):
        if name.startswith("_") or not callable(member):
            continue
        signature = inspect.signature(member)
        parameters = [p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()
                      if p.name not in ("self", "cls")]
        shown = str(signature.replace(parameters=parameters, return_annotation=inspect.Signature.empty))
        out.append(f"| `{name}{shown}` | {_first_paragraph(member.__doc__)} |")
    return "\n".join(out) + "\n"


class DocsError(PayungError):
    """A file of docs/ lacks a generated section's markers."""


# The sections ---------------------------------------------------------------------------------

#: marker -> (file under the project root, what writes its section)
SECTIONS: dict[str, tuple[str, Callable[[], str]]] = {
    "access-table": ("docs/administration.md", access.markdown_table),
    "plugin-api": ("docs/plugins/reference.md", api_markdown),
    "hooks": ("docs/plugins/reference.md", hooks_markdown),
    "rule-library": ("docs/plugins/reference.md", rule_library.render_markdown),
}


def _bounds(text: str, marker: str) -> tuple[int, int] | None:
    start, end = f"<!-- {marker}:start -->\n", f"<!-- {marker}:end -->"
    if start not in text or end not in text:
        return None
    return text.index(start) + len(start), text.index(end)


def section(text: str, marker: str) -> str | None:
    """What stands between a marker's start and end in ``text`` (None: no such markers)."""
    bounds = _bounds(text, marker)
    return None if bounds is None else text[bounds[0]:bounds[1]]


def generated(marker: str) -> str:
    body = SECTIONS[marker][1]()
    return body if body.endswith("\n") else body + "\n"


def stale(root: Path = ROOT) -> list[str]:
    """``file: marker`` of every generated section that differs from what the code writes now."""
    found = []
    for marker, (name, _) in SECTIONS.items():
        path = root / name
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        if section(text, marker) != generated(marker):
            found.append(f"{name}: {marker}")
    return found


def write(root: Path = ROOT) -> list[str]:
    """Write every generated section in place; returns the ones that changed."""
    changed = stale(root)
    for marker, (name, _) in SECTIONS.items():
        path = root / name
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        bounds = _bounds(text, marker)
        if bounds is None:
            raise DocsError(f"{name}: tidak ada penanda <!-- {marker}:start --> ... <!-- {marker}:end -->")
        path.write_text(text[:bounds[0]] + generated(marker) + text[bounds[1]:], encoding="utf-8")
    return changed
