"""Sponsors (penyandang dana): validation per type and the audited writes."""

from __future__ import annotations

from collections.abc import Mapping

from db import queries, store

from payung.auth.access import Actor, listed_rows, require, require_visible, scope_of, shown
from payung.base.config import Settings
from payung.base.coverage import is_current, sponsorship_state
from payung.base.errors import ConstraintError, Problem, ValidationError
from payung.base.identity import check_nik, check_nip, clean_digits, normalize_phone
from payung.base.months import current_month
from payung.base.paging import Paged
from payung.base.sponsor_types import SPONSOR_TYPES
from payung.base.text import text_problems, tidied, tidy
from payung.people import elsewhere

#: The typed texts of a sponsor, refused when they hold control characters (``payung.base.text``).
TEXT_LABELS = {"name": "Nama penyandang dana", "opd": "OPD (unit kerja)", "employee_number": "Nomor pegawai",
               "email": "Email", "address": "Alamat"}

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
    row = tidied({column: _text(values, column) for column in SPONSOR_COLUMNS}, TEXT_LABELS)  # checked as stored
    row.update({field: row[field] or None for field in TEXT_LABELS})
    if not row["name"] or len(row["name"]) < 2:
        problems.append(Problem("name", "Nama penyandang dana wajib diisi.", "name_required"))
    problems.extend(text_problems(row, TEXT_LABELS))

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


#: A NIP already registered outside the actor's slice: no name.
ELSEWHERE = "NIP ini sudah terdaftar di wilayah lain; hubungi operator kabupaten."
#: A sponsor import's check refused once the day's answers are spent (``payung.people.elsewhere``).
ELSEWHERE_LIMIT = elsewhere.file_refused("penyandang dana")
#: A NIP changed once the day's answers are spent (``update_sponsor``).
NIP_CHANGE_SPENT = elsewhere.change_refused("NIP penyandang dana")


def _nip_owner(db, nip: str | None, actor: Actor, except_id: int | None) -> tuple[Problem | None, int | None]:
    """The problem of a NIP another sponsor has, and that sponsor's id when it is outside the
    actor's scope (an answer about it: ``payung.people.elsewhere``)."""
    if not nip:
        return None, None
    existing = queries.sponsor_by_nip(db, nip)
    if not existing or existing["id"] == except_id:
        return None, None
    if queries.sponsor(db, existing["id"], scope_of(actor)) is None:
        return Problem("nip", ELSEWHERE, "nip_duplicate"), existing["id"]
    return Problem("nip", f"NIP ini sudah terdaftar atas nama {existing['name']}.", "nip_duplicate"), None


def nip_taken(db, nip: str | None, *, actor: Actor, except_id: int | None = None) -> Problem | None:
    """The problem of a NIP another sponsor has; the name only when the actor may see it. Writes
    nothing: a save that tells it logs the answer (``create_sponsor``, ``update_sponsor``)."""
    return _nip_owner(db, nip, actor, except_id)[0]


def elsewhere_answers_left(db, *, actor: Actor, settings: Settings) -> int:
    """How many more sponsors (or workers) outside their scope ``actor`` may be told of today."""
    require(actor, "sponsor.write")
    return elsewhere.answers_left(db, actor=actor, settings=settings)


def answer_elsewhere(db, sponsor_id: int, *, actor: Actor, settings: Settings) -> bool:
    """Whether ``actor``'s import check may say that a NIP in their file is ``sponsor_id``'s, a
    sponsor outside their scope: logged, and limited per day (``payung.people.elsewhere``)."""
    require(actor, "sponsor.write")
    return elsewhere.answer(db, "sponsors", sponsor_id, actor=actor, settings=settings)


def create_sponsor(db, settings: Settings, values: Mapping, *, actor: Actor) -> int:
    """Register a sponsor. An operator's sponsor belongs to the operator's regency; a village
    operator may only register its own village government."""
    require(actor, "sponsor.write")
    row, problems = check_sponsor(db, settings, values)
    if not problems and not row["regency_code"] and scope_of(actor).regency:
        row["regency_code"] = scope_of(actor).regency
    if problems:
        raise ValidationError(problems)
    # Before the NIP is looked up: a sponsor refused anyway would have learnt of it for free.
    require(actor, "sponsor.write", row)
    taken, outside = _nip_owner(db, row.get("nip"), actor, None)
    if outside is not None:  # told, since a free NIP would have been stored: logged
        elsewhere.answer(db, "sponsors", outside, actor=actor, storing=True)
    if taken:
        raise ValidationError([taken])
    try:
        return store.insert(db, "sponsors", row, actor=actor.username)
    except ConstraintError:
        raise ValidationError(nip_taken(db, row["nip"], actor=actor) or Problem("nip", "NIP sudah terdaftar.")) from None


def _sponsor(db, sponsor_id: int, actor: Actor) -> dict:
    return require_visible(actor, "sponsor.read", queries.sponsor(db, sponsor_id, scope_of(actor)),
                           "Penyandang dana")


def get_sponsor(db, sponsor_id: int, *, actor: Actor) -> dict:
    """A sponsor the actor may see; any other is "tidak ditemukan"."""
    return shown(actor, _sponsor(db, sponsor_id, actor))


def update_sponsor(db, settings: Settings, sponsor_id: int, values: Mapping, *, actor: Actor) -> dict:
    current = _sponsor(db, sponsor_id, actor)
    require(actor, "sponsor.write", current)
    row, problems = check_sponsor(db, settings, {k: current.get(k) for k in SPONSOR_COLUMNS} | dict(values))
    if problems:
        raise ValidationError(problems)
    require(actor, "sponsor.write", row)  # before the NIP is looked up (create_sponsor)
    # A NIP changed on a sponsor of one's own is a free guess (a free NIP is simply saved, and can be
    # changed back): past the day's answers no NIP is changed, whatever it is, and before that each
    # answer about another area's sponsor counts (checked again under the write lock).
    spent = ValidationError(Problem("nip", NIP_CHANGE_SPENT, "nip_elsewhere_limit"))
    changed_nip = bool(row.get("nip")) and row["nip"] != current.get("nip")
    if changed_nip and not elsewhere.answers_left(db, actor=actor, settings=settings):
        raise spent
    taken, outside = _nip_owner(db, row.get("nip"), actor, sponsor_id)
    if outside is not None and not elsewhere.answer(db, "sponsors", outside, actor=actor, settings=settings,
                                                    storing=not changed_nip):
        raise spent
    if taken:
        raise ValidationError([taken])
    changes = {k: v for k, v in row.items() if current.get(k) != v}
    if not changes:
        return current
    with store.transaction(db):
        # Again under the write lock: a sponsor moved out of the actor's slice since it was read
        # (another session) is no longer the actor's to change.
        require(actor, "sponsor.write", _sponsor(db, sponsor_id, actor))
        return store.update(db, "sponsors", sponsor_id, changes, actor=actor.username)


def search_sponsors(db, *, actor: Actor, text: str = "", types=None, prefer_regency: str | None = None,
                    only_id: int | None = None, page: int = 1, page_size: int = 50, month: str | None = None):
    """A page of active sponsors the actor may see, each with ``sponsorships``: the workers it
    covers this month (``month``) or later, not those whose sponsorship has ended
    (``prefer_regency``: those of that regency first, for a scheme of that regency)."""
    require(actor, "sponsor.read")
    rows, total = queries.search_sponsors(
        db, scope=scope_of(actor), month=month or current_month(), text=tidy(None, text or ""), types=types,
        prefer_regency=prefer_regency,
        only_id=only_id,
        limit=page_size,
        offset=(max(page, 1) - 1) * page_size,
    )
    return Paged(listed_rows(actor, rows), total, max(page, 1), page_size)


def sponsor_detail(db, sponsor_id: int, *, actor: Actor, month: str) -> dict:
    """The sponsor, whom they sponsor (each sponsorship with its ``state`` in ``month``: "selesai"
    once its months have ended), ``covered``: the workers it covers in ``month`` or later (as the
    list counts them), and what they owe for ``month``."""
    sponsor = get_sponsor(db, sponsor_id, actor=actor)
    scope = scope_of(actor)
    sponsorships = queries.sponsor_sponsorships(db, sponsor_id, scope)
    for row in sponsorships:
        row["state"] = sponsorship_state(row["status"], row["end_month"], month)
    covered = len({row["worker_id"] for row in sponsorships if is_current(row["status"], row["end_month"], month)})
    return {"sponsor": sponsor, "sponsorships": listed_rows(actor, sponsorships), "covered": covered,
            "due": queries.sponsor_month_due(db, sponsor_id, month, scope)}
