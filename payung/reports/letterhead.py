"""The kop surat (letterhead) of bills, receipts and monthly reports, and its signature block.

An administrator sets each regency's texts on the page Kop surat (office, address, signing
official, title, NIP): they are kept in the database (table ``letterheads``, every change in the
audit log) and take precedence over ``config.toml``. A text left empty there falls back to
``config.toml``: ``[letterhead]`` for what every regency shares, and
``[letterhead."<regency code>"]`` per regency::

    [letterhead."33.24"]
    government = "PEMERINTAH KABUPATEN KENDAL"     # default: from [[regencies]] name
    office = "DINAS SOSIAL"
    address = "Jl. Soekarno-Hatta No. 191, Kendal 51311"
    official = "Drs. Ahmad Fauzi, M.Si."
    official_title = "Kepala Dinas Sosial"
    nip = "197001011995031001"

The logo is uploaded by an administrator (page Kop surat) and kept as a PNG file in the data
folder, next to the database (``kop/logo-<regency code>.png``): never fetched from anywhere.

A report across several regencies (the monthly report of "all schemes" on an installation
serving more than one) gets ``combined_letterhead``: a neutral head naming the regencies, the
shared ``[letterhead]`` office and signing official, and no logo (no regency's logo speaks for
the others).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from db import queries, store

from payung.auth.access import Actor, require
from payung.base.config import Settings
from payung.base.errors import Problem, ValidationError
from payung.base.identity import check_nip, clean_digits
from payung.base.text import text_problems, tidy
from payung.imports.reading import ImportFileError, read_image

#: Largest logo file accepted (bytes) and the size it is scaled down to (pixels).
MAX_LOGO_BYTES = 2 * 1024 * 1024
LOGO_PIXELS = 400
FIELDS = ("government", "office", "address", "official", "official_title", "nip")


@dataclass(frozen=True)
class Letterhead:
    government: str = ""
    office: str = ""
    address: str = ""
    official: str = ""
    official_title: str = ""
    nip: str = ""
    logo: Path | None = None

    @property
    def empty(self) -> bool:
        return not (self.government or self.office or self.logo)


def logo_path(settings: Settings, regency_code: str) -> Path:
    return settings.data_dir.resolve() / "kop" / f"logo-{regency_code.replace('.', '-')}.png"


def letterhead_for(settings: Settings, regency_code: str | None, db=None) -> Letterhead:
    """The letterhead of a regency: the shared ``[letterhead]`` values, then its own section of
    config.toml, then what an administrator set on the page Kop surat (``db`` given); without a
    regency only the shared values."""
    raw = settings.letterhead or {}
    values = {k: str(raw[k]) for k in FIELDS if isinstance(raw.get(k), (str, int))}
    if regency_code:
        own = raw.get(regency_code)
        if isinstance(own, dict):
            values |= {k: str(own[k]) for k in FIELDS if k in own}
        row = queries.letterhead(db, regency_code) if db is not None else None
        if row:
            values |= {k: row[k] for k in FIELDS if row.get(k)}
        regency = settings.regency(regency_code)
        if regency and "government" not in values:
            name = regency.name.upper()
            values["government"] = name if name.startswith("PEMERINTAH") else f"PEMERINTAH {name}"
        logo = logo_path(settings, regency_code)
        return Letterhead(**values, logo=logo if logo.is_file() else None)
    return Letterhead(**values)


#: The longest text each field takes (a kop surat line, not a letter).
MAX_LENGTHS = {"government": 120, "office": 120, "address": 200, "official": 120, "official_title": 120, "nip": 30}
LABELS = {"government": "Pemerintah", "office": "Nama kantor", "address": "Alamat", "official": "Pejabat penanda tangan",
          "official_title": "Jabatan", "nip": "NIP"}


def stored_texts(db, regency_code: str, *, actor: Actor) -> dict[str, str | None]:
    """What an administrator set on the page Kop surat for a regency (None where the field
    falls back to config.toml): the form shows these, and the fallback beside them."""
    require(actor, "letterhead.manage")
    row = queries.letterhead(db, regency_code) or {}
    return {name: row.get(name) for name in FIELDS}


def save_letterhead(db, settings: Settings, regency_code: str, values: dict, *, actor: Actor) -> None:
    """Set a regency's kop surat texts (administrators): stored in the database over
    config.toml, audited. An empty field falls back to config.toml; a NIP must be a valid
    18-digit NIP (``payung.base.identity.check_nip``) and is kept as its digits."""
    require(actor, "letterhead.manage")
    if settings.regency(regency_code) is None:
        raise ValidationError([Problem("regency", "Kabupaten tidak dikenal.", "regency_unknown")])
    row, problems = {}, []
    for name in FIELDS:
        text = tidy(None, str(values.get(name) or ""))  # every line of a letterhead is one line
        if len(text) > MAX_LENGTHS[name]:
            problems.append(Problem(name, f"{LABELS[name]} terlalu panjang: paling banyak {MAX_LENGTHS[name]} "
                                          "karakter.", "letterhead_too_long"))
        row[name] = text or None
    problems += text_problems(row, LABELS)  # no control characters printed on every bill
    if row["nip"]:
        problems += check_nip(row["nip"]).problems
        row["nip"] = clean_digits(row["nip"])
    if problems:
        raise ValidationError(problems)
    with store.transaction(db):
        if queries.letterhead(db, regency_code):
            store.update(db, "letterheads", regency_code, row, actor=actor.username)
        else:
            store.insert(db, "letterheads", {"regency_code": regency_code, **row}, actor=actor.username)


def combined_letterhead(settings: Settings, db=None) -> Letterhead:
    """The neutral head of a report across several regencies: "LAPORAN GABUNGAN", the shared
    office, the regencies named, the shared signing official; no logo."""
    shared = letterhead_for(settings, None, db)
    names = [r.name.removeprefix("Kabupaten ").strip() for r in settings.regencies]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} dan {names[-1]}"
    return Letterhead(government=f"LAPORAN GABUNGAN {len(names)} KABUPATEN", office=shared.office,
                      address=f"Kabupaten {listed}", official=shared.official,
                      official_title=shared.official_title, nip=shared.nip)


def save_logo(db, settings: Settings, regency_code: str, data: bytes, *, actor: Actor) -> Path:
    """Store an uploaded logo (PNG or JPEG) for a regency's letterhead: re-encoded as a PNG of at
    most ``LOGO_PIXELS`` (nothing of the uploaded file but its pixels is kept), written
    atomically, and recorded in the audit log. Administrators only."""
    require(actor, "letterhead.manage")

    if settings.regency(regency_code) is None:
        raise ValidationError([Problem("regency", "Kabupaten tidak dikenal.", "regency_unknown")])
    if not data or len(data) > MAX_LOGO_BYTES:
        raise ValidationError([Problem("logo", f"Logo harus berkas PNG atau JPG, paling besar "
                                               f"{MAX_LOGO_BYTES // 1024 // 1024} MB.", "logo_size")])
    try:  # decoded in a child process with a memory and time limit, never in the server's
        png = read_image(data, size=LOGO_PIXELS, max_pixels=settings.limits.max_image_pixels, limits=settings.limits)
    except ImportFileError as exc:
        raise ValidationError([Problem("logo", f"Logo tidak disimpan. {exc}", "logo_unreadable")]) from None
    target = logo_path(settings, regency_code)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".png")
    with os.fdopen(handle, "wb") as file:
        file.write(png)
    os.replace(temporary, target)
    store.log_event(db, actor=actor.username, action="letterhead_logo", table="letterhead", row_id=regency_code,
                    details={"file": target.name, "bytes": len(png)})
    return target
