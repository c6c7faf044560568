"""Workers (pekerja rentan): validation and the audited writes of the registry.

``check_worker`` is pure (no database): forms, imports and the benchmark all use it. The
service functions add what needs the database: one worker per NIK, access rules, audit.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Mapping
from dataclasses import dataclass, field

from db import ledger, queries, store

from payung.auth.access import Actor, allowed, listed, require, require_visible, scope_of, shown
from payung.base import clock, coverage
from payung.base.config import Settings
from payung.base.errors import ConstraintError, Problem, ValidationError
from payung.base.identity import GENDERS, age_on, check_nik, fmt_date, normalize_phone
from payung.base.money import income_problem
from payung.base.months import current_month
from payung.base.paging import Paged
from payung.base.text import person_name, text_problems, tidied, tidy
from payung.people import elsewhere
from payung.schemes.fields import parse_date, parse_integer

POVERTY_SOURCES = ("DTKS", "P3KE", "DTSEN")

#: Columns of the workers table a form or an import may set.
WORKER_COLUMNS = (
    "nik", "name", "birth_place", "birth_date", "gender", "phone", "address", "village_code",
    "occupation", "declared_income", "poverty_flag", "poverty_source", "wage_earner",
)


#: The typed texts of a worker, refused when they hold control characters (``payung.base.text``).
TEXT_LABELS = {"name": "Nama", "birth_place": "Tempat lahir", "address": "Alamat"}


@dataclass(slots=True)
class WorkerCheck:
    row: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    nik: str | None = None  # the NIK as stored, once it is a valid one (even when other fields are not)

    @property
    def ok(self) -> bool:
        return not self.problems


def _text(values: Mapping, key: str) -> str:
    value = values.get(key)
    if value is None:
        return ""
    return value.strip() if type(value) is str else str(value).strip()


def _flag(value) -> bool:
    if value is None or value is False:
        return False
    if value is True:
        return True
    return str(value or "").strip().lower() in ("1", "ya", "y", "true", "yes")


def check_worker(
    values: Mapping,
    *,
    settings: Settings,
    villages: Mapping[str, str],
    today: dt.date | None = None,
) -> WorkerCheck:
    """Validate one worker's values; ``villages`` maps known desa/kelurahan codes to names.

    Birth date and gender left blank are taken from the NIK; typed ones must agree with it.
    """
    today = today or clock.today()
    result = WorkerCheck()
    problems = result.problems
    values = tidied(values, TEXT_LABELS)  # checked as stored

    name = _text(values, "name")
    if len(name) < 2:
        problems.append(Problem("name", "Nama (sesuai KTP) wajib diisi.", "name_required"))
    problems.extend(text_problems(values, TEXT_LABELS))

    birth_date = None
    raw_birth = values.get("birth_date")
    if type(raw_birth) is dt.date:
        birth_date = raw_birth
        if birth_date > today:
            problems.append(Problem("birth_date", "Tanggal lahir tidak boleh di masa depan.", "birth_date_future"))
    elif raw_birth is not None and _text(values, "birth_date"):
        try:
            birth_date = parse_date(raw_birth)
        except ValueError:
            problems.append(Problem("birth_date", "Tanggal lahir tidak valid (contoh 17/08/1975).", "birth_date_format"))
        else:
            if birth_date > today:
                problems.append(Problem("birth_date", "Tanggal lahir tidak boleh di masa depan.", "birth_date_future"))
    gender = _text(values, "gender").upper()[:1] or None
    if gender and gender not in GENDERS:
        problems.append(Problem("gender", "Jenis kelamin harus L (laki-laki) atau P (perempuan).", "gender_invalid"))
        gender = None

    nik = check_nik(
        values.get("nik"), birth_date=birth_date, gender=gender, regency_codes=settings.regency_codes, today=today,
    )
    problems.extend(nik.problems)
    result.warnings.extend(nik.warnings)
    result.nik = None if nik.problems else nik.nik
    birth_date = birth_date or nik.birth_date
    gender = gender or nik.gender
    limits = settings.limits
    if birth_date is not None and birth_date <= today:
        age = age_on(birth_date, today)
        if not limits.min_age <= age <= limits.max_age:
            problems.append(Problem(
                "birth_date", f"Menurut tanggal lahir {fmt_date(birth_date)} umurnya {age} tahun; pekerja yang didaftarkan "
                f"berumur {limits.min_age} sampai {limits.max_age} tahun. Periksa tanggal lahir dan NIK.",
                "birth_date_implausible"))

    village = _text(values, "village_code")
    if not village:
        problems.append(Problem("village_code", "Desa/kelurahan domisili wajib dipilih.", "village_required"))
    elif village not in villages:
        problems.append(Problem(
            "village_code",
            f"Kode desa/kelurahan \"{village}\" tidak dikenal di kabupaten yang dilayani aplikasi ini.",
            "village_unknown",
        ))

    occupation = _text(values, "occupation")
    known = settings.occupations
    if not occupation:
        problems.append(Problem("occupation", "Pekerjaan wajib dipilih.", "occupation_required"))
    elif occupation not in known:
        problems.append(Problem("occupation", f"Pekerjaan \"{occupation}\" tidak ada dalam daftar.", "occupation_unknown"))

    income = None
    raw_income = values.get("declared_income")
    if type(raw_income) is int and raw_income > 0:
        income = raw_income
    elif raw_income is None or _text(values, "declared_income") == "":
        income = settings.min_income
    else:
        try:
            income = parse_integer(raw_income)
        except ValueError:
            problems.append(Problem("declared_income", "Penghasilan harus berupa angka Rupiah bulat.", "income_format"))
        else:
            if income <= 0:
                problems.append(Problem(
                    "declared_income", "Penghasilan yang dilaporkan harus lebih dari Rp0.", "income_positive"
                ))

    if type(income) is int and income > 0 and income > limits.max_income:
        problems.append(income_problem(income, limits))

    phone, phone_problem = normalize_phone(values.get("phone"))
    if phone_problem:
        problems.append(phone_problem)

    poverty_source = _text(values, "poverty_source").upper() or None
    if poverty_source and poverty_source not in POVERTY_SOURCES:
        problems.append(Problem(
            "poverty_source", f"Sumber data kemiskinan harus salah satu dari {', '.join(POVERTY_SOURCES)}.",
            "poverty_source_invalid",
        ))
    poverty_flag = _flag(values.get("poverty_flag")) or bool(poverty_source)

    if not problems:
        result.row = {
            "nik": nik.nik,
            "name": person_name(name),
            "birth_place": _text(values, "birth_place") or None,
            "birth_date": birth_date.isoformat(),
            "gender": gender,
            "phone": phone,
            "address": _text(values, "address") or None,
            "village_code": village,
            "district_code": village[:8],
            "regency_code": village[:5],
            "occupation": occupation,
            "declared_income": income,
            "poverty_flag": int(poverty_flag),
            "poverty_source": poverty_source,
            "wage_earner": int(_flag(values.get("wage_earner"))),
        }
    return result


def village_index(db) -> dict[str, str]:
    """Known desa/kelurahan codes -> names (the villages of the configured regencies)."""
    return queries.region_names(db, 4)


#: A NIK already registered outside the actor's slice: no name, birth date or village.
ELSEWHERE = "NIK ini sudah terdaftar di wilayah lain; hubungi operator kabupaten."
#: The audit log's action of an ELSEWHERE answer (``answer_elsewhere``).
ELSEWHERE_ACTION = elsewhere.ACTIONS["workers"]
#: A NIK changed once the day's answers are spent (``update_worker``).
NIK_CHANGE_SPENT = elsewhere.change_refused("NIK pekerja")
#: An import's check refused once the day's answers are spent (whatever the file holds, else the
#: refusal would be the answer).
ELSEWHERE_LIMIT = elsewhere.file_refused("pekerja")


def duplicate_nik(db, nik: str, *, actor: Actor, settings: Settings, except_id: int | None = None,
                  storing: bool = False) -> Problem | None:
    """The problem of a NIK that another worker already has. Inside the actor's scope it names
    the worker; outside it says only that the NIK is taken elsewhere (no name, birth date or
    village), and only as ``answer_elsewhere`` allows: ``storing``, the answer to a save that
    would store a complete worker, is always given. Only for a role that registers workers, who
    must learn it before registering the person again: to anyone else it would answer "is this
    NIK registered?"."""
    require(actor, "worker.write")
    existing = queries.worker_by_nik(db, nik)
    if not existing or existing["id"] == except_id:
        return None
    if not allowed(actor, "worker.read", existing) or scope_of(actor).masked:
        if not answer_elsewhere(db, existing["id"], actor=actor, settings=settings, storing=storing):
            return None
        return Problem("nik", ELSEWHERE, "nik_duplicate")
    return Problem(
        "nik",
        f"NIK ini sudah terdaftar atas nama {existing['name']} "
        f"(lahir {fmt_date(dt.date.fromisoformat(existing['birth_date']))}). Satu NIK hanya untuk satu pekerja.",
        "nik_duplicate",
    )


def elsewhere_answers_left(db, *, actor: Actor, settings: Settings) -> int:
    """How many more workers (or sponsors) outside their scope ``actor`` may be told of today
    (``answer_elsewhere``)."""
    require(actor, "worker.write")
    return elsewhere.answers_left(db, actor=actor, settings=settings)


def answer_elsewhere(db, worker_id: int, *, actor: Actor, settings: Settings, storing: bool = False) -> bool:
    """Whether ``actor`` may be told that a NIK they typed or imported belongs to ``worker_id``,
    a worker outside their scope ("registered elsewhere"). A NIK is a kecamatan, a birth date and
    a serial number: told before anything is written, NIKs guessed one after another would
    find who is registered in other villages, and when they were born. So such answers are
    logged (once a day per actor and worker: the form asks at every rerun) and limited to
    ``[limits] nik_elsewhere_per_day`` a day (``payung.people.elsewhere``); past that, only a
    save that would store a complete worker is told (``storing``), which a NIK nobody has would
    have stored."""
    require(actor, "worker.write")
    return elsewhere.answer(db, "workers", worker_id, actor=actor, settings=settings, storing=storing)


def _refuse_problems(db, checked: WorkerCheck, *, actor: Actor, settings: Settings, storing: bool,
                     except_id: int | None = None) -> None:
    """Raise ``ValidationError`` with every problem of ``checked`` at once. A NIK registered
    already comes first, beside the others: told only after the rest of the form was mended, a
    person had typed a whole worker for nothing. ``storing``: what passes is stored as a new
    worker (``duplicate_nik``)."""
    if checked.ok:
        require(actor, "worker.write", checked.row)
    duplicate = duplicate_nik(db, checked.nik, actor=actor, settings=settings, except_id=except_id,
                              storing=storing) if checked.nik else None
    if duplicate or not checked.ok:
        raise ValidationError(([duplicate] if duplicate else []) + checked.problems)


def create_worker(db, settings: Settings, values: Mapping, *, actor: Actor) -> int:
    """Register a worker; raises ``ValidationError`` listing every problem, writing nothing."""
    checked = check_worker(values, settings=settings, villages=village_index(db))
    _refuse_problems(db, checked, actor=actor, settings=settings, storing=checked.ok)
    try:
        return store.insert(db, "workers", checked.row, actor=actor.username)
    except ConstraintError:
        # Another session registered the same NIK between our check and our write.
        raise ValidationError(duplicate_nik(db, checked.row["nik"], actor=actor, settings=settings, storing=True)
                              or Problem("nik", "NIK sudah terdaftar.", "nik_duplicate")) from None


def _worker(db, worker_id: int, actor: Actor) -> dict:
    """The stored worker row, if the actor's scope holds it; else "tidak ditemukan"."""
    return require_visible(actor, "worker.read", queries.worker(db, worker_id, scope_of(actor)), "Pekerja")


def get_worker(db, worker_id: int, *, actor: Actor) -> dict:
    """A worker as the actor may see it (NIK masked and birth year only, for a masked role)."""
    return shown(actor, _worker(db, worker_id, actor))


def update_worker(db, settings: Settings, worker_id: int, values: Mapping, *, actor: Actor) -> dict:
    """Change a worker; values not given keep their current value."""
    current = _worker(db, worker_id, actor)
    require(actor, "worker.write", current)
    merged = {k: current.get(k) for k in WORKER_COLUMNS} | dict(values)
    checked = check_worker(merged, settings=settings, villages=village_index(db))
    if checked.nik and checked.nik != current["nik"] and not elsewhere_answers_left(db, actor=actor, settings=settings):
        # A NIK changed on a worker of one's own is a free guess (a free NIK is simply saved, and
        # can be changed back): past the day's answers, no NIK is changed, whatever it is.
        raise ValidationError(Problem("nik", NIK_CHANGE_SPENT, "nik_elsewhere_limit"))
    _refuse_problems(db, checked, actor=actor, settings=settings, storing=False, except_id=worker_id)
    changes = {k: v for k, v in checked.row.items() if current.get(k) != v}
    if not changes:
        return current
    with store.transaction(db):
        # Again under the write lock: a worker moved out of the actor's slice since it was read
        # (by a regency operator, in another session) is no longer the actor's to change.
        require(actor, "worker.write", _worker(db, worker_id, actor))
        after = store.update(db, "workers", worker_id, changes, actor=actor.username)
        if changes.keys() & {"village_code", "occupation"}:
            ledger.restamp_lines(db, after, current_month(), actor=actor.username)
    return after


def search_workers(db, settings: Settings, *, actor: Actor, text: str = "", region: str | None = None,
                   occupation: str | None = None, include_inactive: bool = False, page: int = 1,
                   page_size: int = 50, today: dt.date | None = None, for_export: bool = False) -> Paged:
    """One page of the registry as the actor may see it, with this month's coverage status.
    NIKs are masked as every list masks them (``access.listed``); ``for_export``: as on the
    worker's page (``access.shown``), for a file whose making is logged (``worker_list``)."""
    require(actor, "worker.read")
    today = today or clock.today()
    month = current_month(today)
    scope = scope_of(actor)
    text = tidy(None, text or "")  # as names are stored: composed, one space
    digits = text.replace(" ", "").replace(".", "")
    if scope.masked and digits.isdigit() and len(digits) >= 4:
        raise ValidationError(Problem("text", "Peran Anda tidak dapat mencari dengan NIK; cari dengan nama.",
                                      "nik_search_masked"))
    page = max(1, page)
    rows, total = queries.search_workers(
        db, month=month, scope=scope, text=text, region_prefix=region, occupation=occupation,
        include_inactive=include_inactive, limit=page_size, offset=(page - 1) * page_size,
    )
    for row in rows:
        row["status"] = coverage.line_status(row if row["scheme_code"] else None, today=today,
                                             due_day=settings.due_day_of(row["scheme_code"]),
                                             lapse_months=settings.lapse_months)
    as_seen = shown if for_export else listed
    return Paged([as_seen(actor, row) for row in rows], total, page, page_size)


def worker_detail(db, worker_id: int, *, actor: Actor, month: str | None = None) -> dict:
    """The worker, their sponsorships (with months paid, and each one's ``state`` in ``month``,
    this month unless given: "selesai" once its months have ended) and claims."""
    worker = get_worker(db, worker_id, actor=actor)
    scope = scope_of(actor)
    month = month or current_month()
    sponsorships = queries.worker_sponsorships(db, worker_id, scope)
    for row in sponsorships:
        row["state"] = coverage.sponsorship_state(row["status"], row["end_month"], month)
    return {
        "worker": worker,
        "sponsorships": sponsorships,
        "claims": queries.worker_claims(db, worker_id, scope),
        "village": queries.region(db, worker["village_code"]),
        "district": queries.region(db, worker["district_code"]),
    }


def month_status(db, settings: Settings, worker_id: int, *, actor: Actor, today: dt.date | None = None) -> str:
    """The worker's coverage status this month (``coverage.STATUS_LABELS``), as the worker list shows it."""
    today = today or clock.today()
    worker = get_worker(db, worker_id, actor=actor)
    line = queries.worker_month_line(db, worker["id"], current_month(today))
    return coverage.line_status(line, today=today, due_day=settings.due_day_of(line["scheme_code"] if line else None),
                                lapse_months=settings.lapse_months)


def has_history(db, worker_id: int, *, actor: Actor) -> bool:
    """Whether the worker was ever sponsored or claimed for (then it is deactivated, never deleted)."""
    return queries.worker_history_count(db, _worker(db, worker_id, actor)["id"]) > 0




def set_worker_active(db, worker_id: int, active: bool, *, actor: Actor) -> dict:
    """Deactivate (or reactivate) a worker: workers with history are never deleted."""
    current = _worker(db, worker_id, actor)
    require(actor, "worker.write", current)
    return store.update(db, "workers", worker_id, {"active": int(active)}, actor=actor.username)


def check_workers(rows: list[Mapping], *, settings: Settings, villages: Mapping[str, str],
                  today: dt.date | None = None) -> list[WorkerCheck]:
    """``check_worker`` over a batch (imports, demo, benchmark).

    The objects alive before the batch are moved out of the garbage collector's way
    (``gc.freeze``) so that collections triggered by the batch's many small allocations do
    not rescan them; a forked process pool was measured slower (unpickling the results). In a
    process that froze objects of its own already (a server after its first runs), the
    collector is paused for the batch instead: ``gc.unfreeze`` would give those back to it.
    """
    today = today or clock.today()
    ours, enabled = gc.get_freeze_count() == 0, gc.isenabled()
    if ours:
        gc.freeze()
    else:
        gc.disable()
    try:
        return [check_worker(r, settings=settings, villages=villages, today=today) for r in rows]
    finally:
        if ours:
            gc.unfreeze()
        elif enabled:
            gc.enable()
