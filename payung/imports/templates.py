"""Named column maps, saved so that next month's file of the same shape maps itself.

A template belongs to the user who saved it. Everyone sees their own templates and the
administrators' (shared); nobody overwrites a template someone else saved.
"""

from __future__ import annotations

import json

from db import queries, store

from ..access import Actor, allowed, require
from ..errors import Problem, ValidationError


def templates(db, kind: str, *, actor: Actor) -> dict[str, dict[str, str]]:
    """The templates of ``kind`` the actor may use: name -> column map."""
    require(actor, "import.run")
    owner = None if allowed(actor, "template.everyone") else actor.username
    return {row["name"]: json.loads(row["mapping"]) for row in queries.import_templates(db, kind, owner)}


def save_template(db, *, kind: str, name: str, mapping: dict[str, str], actor: Actor) -> None:
    """Save (or, when it is the actor's own, replace) a template."""
    require(actor, "template.write")
    name = (name or "").strip()
    if not name:
        raise ValidationError(Problem("template", "Beri nama templat.", "template_name"))
    existing = queries.import_template(db, kind, name)
    if existing is None:
        store.insert(db, "import_templates", {"kind": kind, "name": name, "mapping": mapping,
                                              "created_by": actor.username}, actor=actor.username)
    elif existing["created_by"] == actor.username:
        store.update(db, "import_templates", existing["id"], {"mapping": mapping}, actor=actor.username)
    else:
        raise ValidationError(Problem(
            "template", f"Nama templat \"{name}\" sudah dipakai pengguna lain. Pilih nama lain.", "template_taken"))
