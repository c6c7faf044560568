"""Named import templates, saved so that next month's file of the same office maps itself:
which column holds which field, and which code each unknown typed value stands for (the value
mapping step: "Marbot langgar" -> Takmir/marbot masjid).

A template belongs to the user who saved it, and its name is unique among that user's own
templates of a kind: everyone sees their own templates and the administrators' (shared), and an
administrator sees everyone's. Saving under a name replaces only one's own template of that
name; another account's template of the same name is neither overwritten nor revealed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from db import queries, store

from payung.auth.access import Actor, allowed, require
from payung.base.errors import ConstraintError, Problem, ValidationError
from payung.base.scripts import beyond_latin
from payung.base.text import text_problem, tidy


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


#: Between a template's name and its owner's, for a template of another account.
OWNER_MARK = " · "


def templates(db, kind: str, *, actor: Actor) -> dict[str, Template]:
    """The templates of ``kind`` the actor may use, by the name they are chosen by: one's own
    by its name, another account's by its name and its owner's ("Format Dinsos · admin"), so
    that two accounts' templates of one name are both there and never taken for each other."""
    require(actor, "import.run")
    owner = None if allowed(actor, "template.everyone") else actor.username
    rows = queries.import_templates(db, kind, owner)
    shown = {f"{row['name']}{OWNER_MARK}{row['created_by']}": _decode(row["mapping"])
             for row in rows if row["created_by"] != actor.username}
    for row in rows:
        if row["created_by"] == actor.username:
            # A name of one's own saved before names refused the mark ("X · admin") is marked as
            # one's own rather than hide the admin's "X".
            name = row["name"] if row["name"] not in shown else f"{row['name']}{OWNER_MARK}{actor.username}"
            shown[name] = _decode(row["mapping"])
    return dict(sorted(shown.items(), key=lambda item: item[0].casefold()))


def template_named(db, kind: str, name: str, *, actor: Actor) -> Template:
    """The template the actor means by ``name`` (the command line's ``--template``): the one
    shown by that name, else the only one of that name among others' ("Format Dinsos" for
    "Format Dinsos · admin"). Refused in words when there is none, or several to choose from."""
    saved = templates(db, kind, actor=actor)
    if name in saved:
        return saved[name]
    same = [shown for shown in saved if shown.rpartition(OWNER_MARK)[0] == name]
    if len(same) == 1:
        return saved[same[0]]
    if same:
        raise ValidationError(Problem("template", f"Ada {len(same)} templat bernama \"{name}\"; sebutkan salah "
                                                  "satunya: " + ", ".join(f'"{s}"' for s in same) + ".",
                                      "template_ambiguous"))
    raise ValidationError(Problem("template", f"Templat \"{name}\" tidak ada.", "template_missing"))


def save_template(db, *, kind: str, name: str, mapping: dict[str, str], actor: Actor,
                  values: dict[str, dict] | None = None) -> bool:
    """Save a template of the actor's own; True when it replaced one of theirs of that name."""
    require(actor, "template.write")
    name = tidy("template", name or "")
    if not name:
        raise ValidationError(Problem("template", "Beri nama templat.", "template_name"))
    if problem := text_problem("template", "Nama templat", name):
        raise ValidationError(problem)
    if OWNER_MARK.strip() in name:  # "X · admin" of one's own would hide the admin's "X"
        raise ValidationError(Problem("template", f"Nama templat tidak boleh memuat \"{OWNER_MARK.strip()}\": tanda "
                                                  "itu dipakai Payung untuk menandai pemilik templat.", "template_name"))
    if odd := beyond_latin(name):
        # A dot of any other script (U+0387, U+2027, U+30FB, an Arabic zero...) can stand in for the mark.
        raise ValidationError(Problem("template", f"Nama templat hanya boleh memuat huruf Latin, angka, spasi dan tanda "
                                                  f"baca biasa: karakter ke-{name.index(odd[0]) + 1} bukan, walau mungkin "
                                                  "tampak sama (tersalin dari web atau dokumen?). Hapus karakter itu lalu "
                                                  f"ketik ulang dengan papan ketik (U+{ord(odd[0]):04X}).", "template_name"))
    stored = {"columns": dict(mapping), "values": {k: dict(v) for k, v in (values or {}).items() if v}}
    existing = queries.import_template(db, kind, actor.username, name)
    if existing is None:
        try:
            store.insert(db, "import_templates", {"kind": kind, "name": name, "mapping": stored,
                                                  "created_by": actor.username}, actor=actor.username)
            return False
        except ConstraintError:  # saved under this name a moment ago, from another tab: theirs to replace
            existing = queries.import_template(db, kind, actor.username, name)
            if existing is None:
                raise
    store.update(db, "import_templates", existing["id"], {"mapping": stored}, actor=actor.username)
    return True
