"""Named import templates, saved so that next month's file of the same office maps itself:
which column holds which field, and which code each unknown typed value stands for (the value
mapping step: "Marbot langgar" -> Takmir/marbot masjid).

A template belongs to the user who saved it. Everyone sees their own templates and the
administrators' (shared); nobody overwrites a template someone else saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from db import queries, store

from payung.auth.access import Actor, allowed, require
from payung.base.errors import Problem, ValidationError
from payung.base.text import text_problem


@dataclass
class Template:
    columns: dict[str, str]
    #: field -> typed text -> code
    values: dict[str, dict] = field(default_factory=dict)


def _decode(text: str) -> Template:
    stored = json.loads(text)
    if isinstance(stored, dict) and set(stored) <= {"columns", "values"} and "columns" in stored:
        return Template(dict(stored["columns"]), {k: dict(v) for k, v in stored.get("values", {}).items()})
    return Template(dict(stored))  # saved before value mappings existed: columns only


def templates(db, kind: str, *, actor: Actor) -> dict[str, Template]:
    """The templates of ``kind`` the actor may use, by name."""
    require(actor, "import.run")
    owner = None if allowed(actor, "template.everyone") else actor.username
    return {row["name"]: _decode(row["mapping"]) for row in queries.import_templates(db, kind, owner)}


def save_template(db, *, kind: str, name: str, mapping: dict[str, str], actor: Actor,
                  values: dict[str, dict] | None = None) -> None:
    """Save (or, when it is the actor's own, replace) a template."""
    require(actor, "template.write")
    name = (name or "").strip()
    if not name:
        raise ValidationError(Problem("template", "Beri nama templat.", "template_name"))
    if problem := text_problem("template", "Nama templat", name):
        raise ValidationError(problem)
    stored = {"columns": dict(mapping), "values": {k: dict(v) for k, v in (values or {}).items() if v}}
    existing = queries.import_template(db, kind, name)
    if existing is None:
        store.insert(db, "import_templates", {"kind": kind, "name": name, "mapping": stored,
                                              "created_by": actor.username}, actor=actor.username)
    elif existing["created_by"] == actor.username:
        store.update(db, "import_templates", existing["id"], {"mapping": stored}, actor=actor.username)
    else:
        raise ValidationError(Problem(
            "template", f"Nama templat \"{name}\" sudah dipakai pengguna lain. Pilih nama lain.", "template_taken"))
