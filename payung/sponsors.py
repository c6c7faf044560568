"""Sponsors (penyandang dana): validation per type and the audited writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from db import queries, store

from .access import Actor
from .config import Settings
from .errors import NotFound, Problem, ValidationError
from .identity import check_nik, check_nip, clean_digits, mask_nik, normalize_phone
from .paging import Paged
from .sponsor_types import SPONSOR_TYPES

SPONSOR_COLUMNS = (
    "type", "name", "nik", "nip", "employee_number", "opd", "village_code", "district_code",
    "regency_code", "phone", "email", "address",
)


def _text(values: Mapping, key: str) -> str | None:
    value = values.get(key)
    text = "" if value is None else str(value).strip()
    return text or None


def check_sponsor(db, settings: Settings, values: Mapping) -> tuple[dict, list[Problem]]:
    """Validate a sponsor's values for its type; returns the clean row and every problem."""
    problems: list[Problem] = []
    kind = _text(values, "type")
    if kind not in SPONSOR_TYPES:
        problems.append(Problem(
            "type", "Jenis penyandang dana harus dipilih dari daftar.", "sponsor_type_unknown"
        ))
        return {}, problems
    row = {column: _text(values, column) for column in SPONSOR_COLUMNS}
    if not row["name"] or len(row["name"]) < 2:
        problems.append(Problem("name", "Nama penyandang dana wajib diisi.", "name_required"))

    if row["nik"]:
        nik = check_nik(row["nik"], regency_codes=settings.regency_codes)
        problems.extend(nik.problems)
        row["nik"] = nik.nik
    if kind == "asn":
        if row["nip"]:
            nip = check_nip(row["nip"])
            problems.extend(nip.problems)
            row["nip"] = nip.nip
        elif row["employee_number"]:
            row["employee_number"] = clean_digits(row["employee_number"]) or row["employee_number"]
        else:
            problems.append(Problem(
                "nip", "ASN wajib mengisi NIP (PNS) atau nomor pegawai (non-PNS).", "asn_id_required"
            ))
    elif row["nip"]:
        problems.append(Problem("nip", "NIP hanya diisi untuk penyandang dana ASN.", "nip_not_asn"))

    for column in SPONSOR_TYPES[kind].requires:
        if not row[column]:
            label = {"opd": "OPD (unit kerja)", "village_code": "Desa", "district_code": "Kecamatan",
                     "regency_code": "Kabupaten"}[column]
            problems.append(Problem(column, f"{label} wajib diisi untuk jenis {SPONSOR_TYPES[kind].label}.", f"{column}_required"))

    for column, level, label in (("village_code", 4, "desa/kelurahan"), ("district_code", 3, "kecamatan"),
                                 ("regency_code", 2, "kabupaten")):
        code = row[column]
        if code:
            region = queries.region(db, code)
            if region is None or region["level"] != level:
                problems.append(Problem(column, f"Kode {label} \"{code}\" tidak dikenal.", f"{column}_unknown"))
    # A village sponsor also belongs to its district and regency.
    if row["village_code"] and not problems:
        row["district_code"] = row["district_code"] or row["village_code"][:8]
        row["regency_code"] = row["regency_code"] or row["village_code"][:5]
    if row["district_code"] and not row["regency_code"]:
        row["regency_code"] = row["district_code"][:5]

    phone, phone_problem = normalize_phone(row["phone"])
    if phone_problem:
        problems.append(phone_problem)
    row["phone"] = phone
    if row["email"] and "@" not in row["email"]:
        problems.append(Problem("email", "Alamat email tidak valid.", "email_format"))
    row["type"] = kind
    return row, problems


def _nip_taken(db, nip: str | None, except_id: int | None = None) -> Problem | None:
    if not nip:
        return None
    existing = queries.sponsor_by_nip(db, nip)
    if existing and existing["id"] != except_id:
        return Problem("nip", f"NIP ini sudah terdaftar atas nama {existing['name']}.", "nip_duplicate")
    return None


def create_sponsor(db, settings: Settings, values: Mapping, *, actor: Actor) -> int:
    row, problems = check_sponsor(db, settings, values)
    taken = _nip_taken(db, row.get("nip")) if not problems else None
    if problems or taken:
        raise ValidationError(problems or [taken])
    actor.require_write(row.get("village_code"))
    try:
        return store.insert(db, "sponsors", row, actor=actor.username)
    except sqlite3.IntegrityError:
        raise ValidationError(_nip_taken(db, row["nip"]) or Problem("nip", "NIP sudah terdaftar.")) from None


def get_sponsor(db, sponsor_id: int) -> dict:
    row = queries.sponsor(db, sponsor_id)
    if row is None:
        raise NotFound("Penyandang dana tidak ditemukan.")
    return row


def update_sponsor(db, settings: Settings, sponsor_id: int, values: Mapping, *, actor: Actor) -> dict:
    current = get_sponsor(db, sponsor_id)
    actor.require_write(current.get("village_code"))
    row, problems = check_sponsor(db, settings, {k: current.get(k) for k in SPONSOR_COLUMNS} | dict(values))
    taken = _nip_taken(db, row.get("nip"), except_id=sponsor_id) if not problems else None
    if problems or taken:
        raise ValidationError(problems or [taken])
    changes = {k: v for k, v in row.items() if current.get(k) != v}
    return store.update(db, "sponsors", sponsor_id, changes, actor=actor.username) if changes else current


def search_sponsors(db, *, actor: Actor, text: str = "", types=None, page: int = 1, page_size: int = 50):
    """A page of active sponsors the actor may see, with their live sponsorship counts."""
    scope = actor.scope()
    rows, total = queries.search_sponsors(
        db, text=text, types=types, region_prefix=scope.get("region_prefix"), villages=scope.get("villages"),
        limit=page_size, offset=(max(page, 1) - 1) * page_size,
    )
    return Paged(rows, total, max(page, 1), page_size)


def sponsor_detail(db, sponsor_id: int, *, actor: Actor, month: str) -> dict:
    """The sponsor, whom they sponsor, and what they owe for ``month``."""
    sponsor = get_sponsor(db, sponsor_id)
    if sponsor.get("village_code") and not actor.may_see_village(sponsor["village_code"]):
        raise NotFound("Penyandang dana tidak ditemukan.")
    sponsorships = queries.sponsor_sponsorships(db, sponsor_id)
    if not actor.sees_full_nik:
        sponsorships = [s | {"nik": mask_nik(s["nik"])} for s in sponsorships]
    return {"sponsor": sponsor, "sponsorships": sponsorships, "due": queries.sponsor_month_due(db, sponsor_id, month)}
