"""A scheme edited on the Skema page: created blank or from a copy, changed, saved as a TOML file
(comments of an existing file kept), each save a version (who, when, the diff), and retired.

The form holds the scheme being edited as a declaration (the dict ``declarative.declaration_of``
makes); ``check_scheme`` answers with the loader's own messages; ``save_scheme`` writes the file
and records the version in the database, in one transaction. A retired scheme takes no new
enrolment; its sponsorships, bills, versions and code stay.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from db import queries, store
from db import schemes as scheme_store

from payung.auth.access import Actor, require
from payung.base import clock, formats
from payung.base.errors import PayungError, Problem, ValidationError
from payung.schemes.copying import check_copy, copy_header, left_out_problems
from payung.schemes.texts import text_messages, tidy_declaration
from payung.schemes.declarative import (TABLE_DEFAULTS, DeclarationError, declaration_of, dumps, load_scheme,
                                        read_file)
from payung.schemes.fields import carried_by_default
from payung.schemes.model import Scheme
from payung.schemes.registry import PluginRegistry

#: The audit "table" of scheme file writes: the schemes data version follows it, so every server
#: process loads its plugins again (issue 24).
SCHEME_FILES = "scheme_files"
#: What the loader takes when a file does not say it: not written into a file that does not.
DEFAULTS = {"funding_code": "SG", "programs": ["JKK", "JKM"], "months": [12], "bill_by": "sponsor"}


def blank_declaration(settings) -> dict:
    """A new scheme from scratch: the first regency, JKK + JKM, 12 months, no rule yet."""
    return {
        "code": "",
        "name": "",
        "regency_code": settings.regency_codes[0],
        "description": "",
        "legal_basis": "",
        "funding_source": "",
        "funding_code": "SG",
        "sponsor_types": [],
        "programs": ["JKK", "JKM"],
        "months": [12],
        "payment_periods": [],
        "bill_by": "sponsor",
        "started": "",
        "panels": ["by_sponsor", "by_village", "targets"],
        "targets": [],
        "fields": [],
        "rules": [],
    }


def editable_file(registry: PluginRegistry, code: str) -> Path | None:
    """The TOML file of a loaded scheme that the form may change in place (None: a Python scheme,
    copied instead)."""
    path = registry.declaration_file(code)
    return path if path is not None and path.parent.resolve() == registry.settings.plugins_dir.resolve() else None


def check_scheme(
    registry: PluginRegistry, data: dict, *, db, editing: str | None = None
) -> tuple[Scheme | None, list[str]]:
    """The scheme ``data`` would load as, or every message of what is wrong (the loader's own).
    A new scheme needs a code no other scheme holds (``copying.check_copy``); an edited one
    (``editing``: its code) keeps its code and its regency."""
    if editing is None:
        return check_copy(registry, data, db=db)
    problems: list[str] = []
    if data.get("code") != editing:
        problems.append(f'Kode skema tidak dapat diubah (tetap "{editing}"); untuk kode lain, salin skema ini.')
    recorded = (queries.scheme_row(db, editing) or {}).get("regency_code") or registry.recorded.get(editing)
    if recorded and data.get("regency_code") != recorded:
        problems.append(
            f"Kabupaten skema yang sudah tercatat tidak dapat diubah ({recorded}); untuk kabupaten lain, "
            "salin skema ini."
        )
    if not str(data.get("legal_basis") or "").strip():
        problems.append("Isi dasar hukum skema.")
    problems.extend(text_messages(data))
    try:
        scheme = load_scheme(dumps(data), registry.settings)
    except DeclarationError as exc:
        return None, problems + [message for _, message in exc.problems]
    return (None if problems else scheme), problems


# The TOML text ---------------------------------------------------------------------------------


def _item(value):
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        tables = tomlkit.aot()
        for spec in value:
            tables.append(_table(spec))
        return tables
    if isinstance(value, dict):
        return _table(value)
    if isinstance(value, str) and "\n" in value:
        return tomlkit.string(value, multiline=True)
    return tomlkit.item(value)


def _table(spec: dict):
    table = tomlkit.table()
    for key, value in spec.items():
        if value != []:
            table[key] = _item(value)
    return table


def render_toml(data: dict, *, existing: str | None = None, header: str = "") -> str:
    """``data`` as TOML text. Over ``existing`` (the file's text) only what changed is rewritten:
    its comments and layout stay where the values did not change."""
    doc = tomlkit.parse(existing) if existing else tomlkit.document()
    if not existing:
        for line in header.splitlines():
            doc.add(tomlkit.comment(line) if line else tomlkit.nl())
        if header:
            doc.add(tomlkit.nl())
    old = tomllib.loads(existing) if existing else {}
    for key in list(doc.keys()):
        if data.get(key) in (None, [], ""):
            del doc[key]
    for key, value in data.items():
        value = _as_written(key, value, old.get(key))
        if value in (None, [], "") or old.get(key) == value or (key not in old and DEFAULTS.get(key) == value):
            continue
        doc[key] = _item(value)
    return tomlkit.dumps(doc)


def _as_written(key: str, value, old):
    """``value`` of the tables ``key`` (``targets``, ``fields``) without the keys that say what
    leaving them out says (``TABLE_DEFAULTS``: a target's ``per = "regency"``; a field's
    ``carry_over`` as its type has it), unless the same
    table of the file (``old``, by position) says them: the form's declaration states every
    default, and a save that wrote them out changed the file where nobody had."""
    defaults = TABLE_DEFAULTS.get(key)
    if not defaults or not isinstance(value, list):
        return value
    before = old if isinstance(old, list) else []

    def written(n: int, spec: dict) -> dict:
        implied, said = _defaults_of(key, spec), before[n] if n < len(before) else {}
        return {k: v for k, v in spec.items() if not (k in implied and implied[k] == v and k not in said)}

    return [written(n, spec) if isinstance(spec, dict) else spec for n, spec in enumerate(value)]


def _defaults_of(key: str, spec: dict) -> dict:
    """``TABLE_DEFAULTS[key]`` for the table ``spec``, with a field's ``carry_over`` as its type
    leaves it (``fields.carried_by_default``: the form's checkbox states it for every field)."""
    if key != "fields":
        return TABLE_DEFAULTS[key]
    return TABLE_DEFAULTS[key] | {"carry_over": carried_by_default(spec.get("type", "text"))}


#: A scheme file's parts as the editor's form names them: a save's summary said "diubah: fields".
PART_WORDS = {
    "code": "kode skema", "name": "nama skema", "regency_code": "kabupaten", "description": "uraian skema",
    "legal_basis": "dasar hukum", "funding_source": "sumber dana", "funding_code": "kode sumber dana",
    "sponsor_types": "jenis penyandang dana", "programs": "program", "months": "lama kepesertaan",
    "payment_periods": "periode pembayaran", "bill_by": "tagihan dikirim ke", "started": "tanggal mulai",
    "panels": "panel dasbor", "targets": "target", "fields": "isian khusus", "rules": "aturan",
    "budget_field": "isian pos anggaran", "demo": "data contoh",
}


def changes(before: dict, after: dict) -> str:
    """What a save changed, in the form's words: ``diubah: nama skema, aturan; ditambah: target``
    (a part the form does not name: by its key in the file). A part emptied is said once, as
    removed ("diubah: target; dihapus: target" read as two things done to it)."""
    removed = [k for k in before if k not in after or after[k] in (None, [], "")]
    changed = [k for k in after if k in before and before[k] != after[k] and k not in removed]
    added = [k for k in after if k not in before and after[k] not in (None, [], "")]
    parts = [
        f"{word}: {', '.join(PART_WORDS.get(key, key) for key in keys)}"
        for word, keys in (("diubah", changed), ("ditambah", added), ("dihapus", removed))
        if keys
    ]
    return "; ".join(parts) or "tidak ada perubahan"


def diff(old: str, new: str, name: str) -> str:
    """A unified diff of two versions of a scheme file, as the Skema page shows it."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"{name} (sebelumnya)",
            tofile=f"{name} (baru)",
        )
    )


# Saving and retiring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    path: Path
    version: int
    summary: str
    #: The file as written: what the next edit of the form starts from (``base``).
    text: str = ""
    #: The declaration as saved (its texts tidied: a name without the invisible characters typed
    #: in it): what the form shows and the message names after the save.
    data: dict = field(default_factory=dict)


def save_scheme(
    db,
    registry: PluginRegistry,
    data: dict,
    *,
    actor: Actor,
    editing: str | None = None,
    header: str = "",
    base: str | None = None,
    copied_from: str = "",
    left_out: list[str] | tuple[str, ...] = (),
    agreed: bool = False,
) -> Saved:
    """Write scheme ``data`` as its TOML file and record it as a new version (audited with the
    diff), or raise ``ValidationError`` with the loader's messages. ``editing``: the code of the
    TOML scheme changed in place; else a new file. ``copied_from``: the new scheme is a copy of
    that scheme, audited as ``scheme.copy`` with ``left_out`` (the source's Python rules the
    copy does not check), which its file's header names instead of ``header``; a copy that
    leaves rules out is refused unless the administrator ``agreed``. ``base``: the file's text the edit started
    from; when the file no longer holds it (another administrator saved, or someone changed the
    file on disk, meanwhile) the save is refused rather than silently undoing that change. The
    first edit of a file never saved here records the file as it was as version 1 (the
    sponsorships made before then point to it). A save that changes nothing (a second click) adds
    no version and writes nothing: it answers with the file's current version."""
    require(actor, "scheme.manage")
    if editing and copied_from:
        raise ValueError("a copy is a new scheme: copied_from goes with editing=None")
    data = tidy_declaration(data)
    written: list[tuple[Path, str | None]] = []  # the file written, and what it held before
    try:
        return _save(db, registry, data, actor=actor, editing=editing, header=header, base=base,
                     copied_from=copied_from, left_out=left_out, agreed=agreed, written=written)
    except BaseException:
        for path, before in written:  # its COMMIT failed: no version records the file
            _put_back(path, before)
        raise


def _save(db, registry: PluginRegistry, data: dict, *, actor: Actor, editing: str | None, header: str,
          base: str | None, copied_from: str, left_out, agreed: bool, written: list) -> Saved:
    """``save_scheme``'s work, in one transaction; the file is written last, noted in ``written``."""
    with store.transaction(db):
        scheme, problems = check_scheme(registry, data, db=db, editing=editing)
        problems = left_out_problems(left_out, agreed) + problems if copied_from else problems
        if scheme is None or problems:
            raise ValidationError([Problem(None, p, "scheme_edit") for p in problems])
        if copied_from:
            header = copy_header(scheme.name, copied_from=copied_from, left_out=left_out, username=actor.username)
        path = editable_file(registry, editing) if editing else registry.settings.plugins_dir / f"{scheme.code}.toml"
        if editing and path is None:
            raise PayungError(f"Skema {editing} bukan berkas TOML di folder plugin; salin skema ini untuk mengubahnya.")
        existing = read_file(path) if editing else None
        if base is not None and existing is not None and existing != base:
            raise ValidationError([Problem(None, _changed_meanwhile(db, scheme.code, path, existing), "scheme_changed")])
        text = render_toml(data, existing=existing, header=header or scheme.name)
        previous = queries.latest_scheme_version(db, scheme.code)
        if previous is None and existing is not None:
            previous = _record(db, scheme.code, 1, existing, "berkas sebelum suntingan pertama di halaman Skema", actor)
            scheme_store.pin_unversioned(db, scheme.code, 1, actor=actor.username)
        if existing is not None and text == existing:  # a second click on Simpan: nothing to add
            return Saved(path, previous, "tidak ada perubahan", existing, data)
        before_text = existing or ""
        before = tomllib.loads(before_text) if before_text else {}
        summary = changes(before, tomllib.loads(text)) if existing is not None else "skema baru"
        version = (previous or 0) + 1
        _record(db, scheme.code, version, text, summary, actor)
        after = {"file": str(path), "version": version, "summary": summary, "diff": diff(before_text, text, path.name)}
        if copied_from:
            after |= {"copied_from": copied_from, "left_out": list(left_out)}
        store.audit(
            db,
            actor.username,
            "scheme.copy" if copied_from else "scheme.save",
            SCHEME_FILES,
            scheme.code,
            {"version": previous} if previous else None,
            after,
        )
        _write(path, text, new=editing is None)
        written.append((path, existing))
    return Saved(path, version, summary, text, data)


def _changed_meanwhile(db, code: str, path: Path, existing: str) -> str:
    """The refusal of a save over a file changed since the form opened: by whom, when known."""
    latest = (queries.scheme_versions(db, code) or [None])[0]
    who = (f" (versi {latest['version']} oleh {latest['created_by']} pada {formats.date(latest['created_at'])})"
           if latest and latest["toml"] == existing else " (di luar halaman Skema)")
    return (f"Berkas {path.name} sudah diubah sejak formulir ini dibuka{who}. Simpanan ini tidak ditulis agar "
            "perubahan itu tidak hilang; isian Anda tetap di formulir. Buka lagi skema ini untuk melihat "
            "perubahan itu, lalu ulangi perubahan Anda.")


def _record(db, code: str, version: int, text: str, summary: str, actor: Actor) -> int:
    store.insert(
        db,
        "scheme_versions",
        {
            "scheme_code": code,
            "version": version,
            "toml": text,
            "summary": summary,
            "created_by": actor.username,
            "created_at": store.now(),
        },
        actor=actor.username,
    )
    return version


def _write(path: Path, text: str, *, new: bool) -> None:
    """A new file never overwrites one; a changed one is replaced whole. A write that fails
    (a disk full) leaves no half-written file."""
    made = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if new:
            with open(path, "x", encoding="utf-8") as out:
                made = path
                out.write(text)
            return
        made = path.with_name(f".{path.name}.baru")
        made.write_text(text, encoding="utf-8")
        os.replace(made, path)
    except FileExistsError:
        raise PayungError(f"Berkas {path.name} sudah ada di folder plugin; pilih kode lain.") from None
    except OSError as exc:
        if made is not None:
            made.unlink(missing_ok=True)
        raise PayungError(f"Berkas {path.name} tidak dapat ditulis ({exc.strerror}).") from None


def _put_back(path: Path, before: str | None) -> None:
    """A file as it was before a save whose transaction failed: a new one removed."""
    try:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            _write(path, before, new=False)
    except (OSError, PayungError):
        pass  # the save's own error is the one to tell


def retire_scheme(db, registry: PluginRegistry, code: str, *, actor: Actor) -> None:
    """Retire a scheme: no new enrolment from now on; its sponsorships, bills, payments,
    versions and code stay (the code is never given to another scheme)."""
    require(actor, "scheme.manage")
    scheme = registry.scheme(code)
    with store.transaction(db):
        row = queries.scheme_row(db, code)
        if row is None:
            raise PayungError(f"Skema {scheme.name} belum tercatat di basis data.")
        if row.get("retired_at"):
            raise PayungError(f"Skema {scheme.name} sudah dipensiunkan pada {row['retired_at'][:10]}.")
        store.update(
            db, "schemes", code, {"retired_at": store.now(), "retired_by": actor.username}, actor=actor.username
        )
        store.audit(db, actor.username, "scheme.retire", SCHEME_FILES, code, None, {"retired_by": actor.username})


def taking_enrolments(db, schemes: dict[str, Scheme]) -> dict[str, Scheme]:
    """``schemes`` (code -> Scheme) without the retired ones: the choices for a new enrolment.
    Pages that show history (bills, payments, reports) keep offering every scheme."""
    retired = queries.retired_scheme_codes(db)
    return {code: scheme for code, scheme in schemes.items() if code not in retired}


def retired_problem(row: dict | None, scheme: Scheme) -> list[Problem]:
    """The refusal of an enrolment under a retired scheme (``row``: its ``schemes`` row)."""
    if not row or not row.get("retired_at"):
        return []
    return [
        Problem(
            "scheme_code",
            f"Skema {scheme.name} sudah dipensiunkan pada {row['retired_at'][:10]}; tidak menerima kepesertaan baru.",
            "scheme_retired",
        )
    ]


def versions(db, code: str) -> list[dict[str, Any]]:
    """The versions of a scheme, newest first, each with its diff from the one before."""
    rows = queries.scheme_versions(db, code)
    for row, older in zip(rows, rows[1:] + [None]):
        row["diff"] = diff(older["toml"] if older else "", row["toml"], f"{code}.toml")
    return rows


def copy_declaration(registry: PluginRegistry, code: str) -> dict:
    """The declaration of a loaded scheme, to start a copy or an edit from."""
    return declaration_of(registry.scheme(code))[0]


def today_iso() -> str:
    return clock.today().isoformat()
