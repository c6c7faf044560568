"""Named column maps, saved so that next month's file of the same shape maps itself."""

from __future__ import annotations

import json

from db import queries, store

from ..access import Actor
from ..errors import Problem, ValidationError


def templates(db, kind: str) -> dict[str, dict[str, str]]:
    return {row["name"]: json.loads(row["mapping"]) for row in queries.import_templates(db, kind)}


def save_template(db, *, kind: str, name: str, mapping: dict[str, str], actor: Actor) -> None:
    actor.require_write()
    name = (name or "").strip()
    if not name:
        raise ValidationError(Problem("template", "Beri nama templat.", "template_name"))
    existing = {row["name"]: row["id"] for row in queries.import_templates(db, kind)}
    if name in existing:
        store.update(db, "import_templates", existing[name], {"mapping": mapping}, actor=actor.username)
    else:
        store.insert(db, "import_templates", {"kind": kind, "name": name, "mapping": mapping,
                                              "created_by": actor.username}, actor=actor.username)
