"""The exchange with the BPJS Ketenagakerjaan branch.

Out: the new enrolments of a period as the collective registration sheet the branch needs
(one row per sponsorship; the columns and their headings are ``[bpjs_exchange.columns]``).
In: the branch's answer, a KPJ number per NIK (the sponsorship becomes ``aktif``) or a reason
for refusal (``ditolak``, the reason kept). Reading the answer first makes a plan that says,
row by row, what will change and what cannot be matched; applying it writes in one
transaction and changes nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from db import billing, queries, store

from payung.auth.access import Actor, require, require_visible, scope_of, visible_scheme
from payung.base.errors import ConfigError, Problem, ValidationError
from payung.reports.exports import xlsx_bytes
from payung.base.identity import clean_digits, fmt_date, is_ascii_digits
from payung.imports.engine import cell_text, parse_cell
from payung.imports.mapping import header_key
from payung.imports.normalize import nik_cell
from payung.imports.reading import read_table
from payung.base.months import first_day
from payung.schemes.registry import PluginRegistry
from payung.base.sponsor_types import SPONSOR_TYPES
from payung.base.text import text_problem

#: What Payung can fill in, with the heading used when config.toml does not name one.
COLUMNS = {
    "nik": "NIK", "name": "NAMA LENGKAP (SESUAI KTP)", "birth_place": "TEMPAT LAHIR",
    "birth_date": "TANGGAL LAHIR", "gender": "JENIS KELAMIN", "phone": "NO HP", "address": "ALAMAT",
    "village_code": "KODE DESA/KELURAHAN", "village": "DESA/KELURAHAN", "district": "KECAMATAN",
    "occupation": "JENIS PEKERJAAN", "work_location": "LOKASI KERJA", "declared_income": "UPAH DILAPORKAN",
    "programs": "PROGRAM", "payment_period": "PERIODE PEMBAYARAN (BULAN)", "funding_code": "SUMBER DANA",
    "start_date": "TANGGAL MULAI", "sponsor": "PENYANDANG DANA", "kpj": "NO KPJ",
}
ANSWER = {"nik": ("NIK",), "kpj": ("KPJ", "NO KPJ"), "reason": ("KETERANGAN", "ALASAN")}
KPJ_DIGITS = 11


def columns(settings) -> dict[str, str]:
    """key -> heading, in the order of config.toml."""
    configured = settings.bpjs_exchange.get("columns") or COLUMNS
    unknown = [key for key in configured if key not in COLUMNS]
    if unknown:
        raise ConfigError(f"[bpjs_exchange.columns]: kolom tidak dikenal: {', '.join(unknown)}. "
                          f"Yang dikenal: {', '.join(COLUMNS)}.")
    return {key: str(heading) for key, heading in configured.items()}


def _answer_headings(settings) -> dict[str, set[str]]:
    configured = {**ANSWER, **settings.bpjs_exchange.get("answer", {})}
    return {key: {header_key(h) for h in headings} for key, headings in configured.items()}


def _cell(key: str, row: dict, occupations: dict[str, str]):
    if key == "birth_date":
        import datetime as dt
        return fmt_date(dt.date.fromisoformat(row["birth_date"])).replace("/", "-")
    if key == "village":
        return row["village_name"]
    if key == "district":
        return row["district_name"]
    if key == "work_location":
        return f"{row['village_name']}, {row['district_name']}"
    if key == "occupation":
        return occupations.get(row["occupation"], row["occupation"])
    if key == "programs":
        return row["programs"].replace(",", ", ")
    if key == "funding_code":
        kind = SPONSOR_TYPES.get(row["sponsor_type"])
        return kind.funding_code if kind else ""
    if key == "start_date":
        return fmt_date(first_day(row["start_month"])).replace("/", "-")
    if key == "sponsor":
        return row["sponsor_name"]
    return row.get(key)


def registration_rows(db, registry: PluginRegistry, *, scheme_code: str, from_month: str, to_month: str,
                      actor: Actor) -> list[dict]:
    """The new enrolments of a period, with the full personal data the branch asks."""
    visible_scheme(registry, scheme_code, actor, "bpjs.exchange")
    return billing.registrations(db, scope=scope_of(actor), scheme_code=scheme_code, from_month=from_month,
                                 to_month=to_month)


def registration_xlsx(db, registry: PluginRegistry, *, scheme_code: str, from_month: str, to_month: str,
                      actor: Actor) -> tuple[bytes, int]:
    """The collective registration sheet and its row count. Full NIKs leave Payung here, so
    the export is written to the audit log (UU PDP: who exported whose data)."""
    settings = registry.settings
    wanted = columns(settings)
    rows = registration_rows(db, registry, scheme_code=scheme_code, from_month=from_month, to_month=to_month,
                             actor=actor)
    data = xlsx_bytes([("Pendaftaran", list(wanted.values()),
                        ([_cell(k, r, settings.occupations) for k in wanted] for r in rows))])
    with store.transaction(db):
        store.audit(db, actor.username, "export", "sponsorships", None, None, {
            "note": "pendaftaran kolektif BPJS", "scheme": scheme_code, "from": from_month, "to": to_month,
            "rows": len(rows), "sponsorship_ids": [r["sponsorship_id"] for r in rows],
        })
    return data, len(rows)


@dataclass
class AnswerRow:
    row: int
    nik: str
    name: str
    kpj: str | None
    reason: str | None
    sponsorship_ids: list[int]


@dataclass
class AnswerPlan:
    file_name: str
    activate: list[AnswerRow] = field(default_factory=list)
    reject: list[AnswerRow] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.activate) + len(self.reject)


def plan_answer(db, registry: PluginRegistry, data: bytes, file_name: str, *, actor: Actor,
                scheme_code: str | None = None, sheet: str | None = None) -> AnswerPlan:
    """Match each row of the branch's answer to a sponsorship awaiting BPJS; write nothing.

    Nothing outside the actor's scope can be told from what does not exist: a NIK with no
    sponsorship awaiting BPJS in scope (another regency's, or nobody's) gets the one "tidak
    dikenal" message, and is matched before anything else of its row is looked up. A KPJ
    already recorded for another worker is refused with one message whoever and wherever
    that worker is (``billing.kpjs_of_other_workers`` says only whether)."""
    require(actor, "bpjs.exchange")
    if scheme_code:
        visible_scheme(registry, scheme_code, actor, "bpjs.exchange")
    table = read_table(data, file_name, sheet=sheet, limits=registry.settings.limits)
    headings = _answer_headings(registry.settings)
    position = {}
    for key, names in headings.items():
        found = next((i for i, h in enumerate(table.headers) if header_key(h) in names), None)
        if found is not None:
            position[key] = found
    if "nik" not in position or ("kpj" not in position and "reason" not in position):
        raise ValidationError(Problem("file", (
            "Kolom NIK dan kolom KPJ (atau alasan penolakan) tidak ditemukan. Judul kolom yang dikenali: "
            + "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in headings.items())
            + ". Ubah di config.toml bagian [bpjs_exchange.answer] bila judul cabang berbeda."), "answer_columns"))
    plan = AnswerPlan(file_name)
    parsed = []
    for offset, cells in enumerate(table.rows):
        row_number = table.line(offset)
        values = {k: (cells[i] if i < len(cells) else None) for k, i in position.items()}
        if all(v is None or str(v).strip() == "" for v in values.values()):
            continue
        nik, failure = parse_cell(nik_cell, values["nik"])
        if failure:
            plan.problems.append((row_number, failure))
            continue
        nik = clean_digits(nik)
        kpj_text = (cell_text(values.get("kpj")) or "").strip()
        kpj = clean_digits(kpj_text) if kpj_text else None
        reason = str(values.get("reason") or "").strip() or None
        if len(nik) != 16 or not is_ascii_digits(nik):
            plan.problems.append((row_number, f"NIK \"{str(values['nik'])[:40]}\" tidak 16 digit."))
        elif kpj is not None and (len(kpj) != KPJ_DIGITS or not is_ascii_digits(kpj)):
            plan.problems.append((row_number, f"Nomor KPJ \"{kpj_text[:40]}\" harus {KPJ_DIGITS} digit."))
        elif reason is not None and (problem := text_problem("reason", "Alasan penolakan", reason)):
            plan.problems.append((row_number, problem.message))
        elif kpj is None and reason is None:
            plan.problems.append((row_number, "Isi nomor KPJ, atau alasan bila pendaftaran ditolak."))
        else:
            parsed.append((row_number, nik, kpj, reason))
    pending = billing.pending_sponsorships_by_nik(db, sorted({p[1] for p in parsed}), scheme_code,
                                                  scope=scope_of(actor))
    # Looked up only for the rows whose NIK is matched in scope.
    taken = billing.kpjs_of_other_workers(db, sorted({(p[2], p[1]) for p in parsed if p[2] and p[1] in pending}))
    seen: dict[str, int] = {}
    seen_kpj: dict[str, int] = {}
    for row_number, nik, kpj, reason in parsed:
        if nik in seen:
            plan.problems.append((row_number, f"NIK {nik} sudah ada di baris {seen[nik]}."))
            continue
        seen[nik] = row_number
        matches = pending.get(nik)
        if not matches:
            plan.problems.append((row_number, f"NIK {nik} tidak dikenal: tidak ada kepesertaan yang menunggu "
                                              "jawaban BPJS untuk NIK ini. Tidak ada yang diubah untuk baris ini."))
            continue
        if kpj and kpj in seen_kpj:
            plan.problems.append((row_number, f"KPJ {kpj} sudah ada di baris {seen_kpj[kpj]} untuk NIK lain."))
            continue
        if kpj:
            seen_kpj[kpj] = row_number
        if (kpj, nik) in taken:
            plan.problems.append((row_number, f"KPJ {kpj} sudah tercatat untuk pekerja lain."))
            continue
        answer = AnswerRow(row_number, nik, matches[0]["worker_name"], kpj, reason, [m["id"] for m in matches])
        (plan.activate if kpj else plan.reject).append(answer)
    return plan


def apply_answer(db, plan: AnswerPlan, *, actor: Actor) -> dict[str, int]:
    """Activate and flag the matched sponsorships, in one transaction."""
    require(actor, "bpjs.exchange")
    scope = scope_of(actor)
    with store.transaction(db):
        # The plan's matches are read again under the write lock: a plan is not a permission.
        for answer in plan.activate + plan.reject:
            for sponsorship_id in answer.sponsorship_ids:
                require_visible(actor, "bpjs.exchange", queries.sponsorship(db, sponsorship_id, scope),
                                f"Kepesertaan #{sponsorship_id}")
        for answer in plan.activate:
            for sponsorship_id in answer.sponsorship_ids:
                store.update(db, "sponsorships", sponsorship_id,
                             {"status": "aktif", "kpj": answer.kpj, "bpjs_note": None}, actor=actor.username)
        for answer in plan.reject:
            for sponsorship_id in answer.sponsorship_ids:
                store.update(db, "sponsorships", sponsorship_id,
                             {"status": "ditolak", "bpjs_note": answer.reason}, actor=actor.username)
        store.audit(db, actor.username, "import", "sponsorships", None, None, {
            "note": f"jawaban BPJS {plan.file_name}", "aktif": len(plan.activate), "ditolak": len(plan.reject),
            "problems": len(plan.problems)})
    return {"aktif": len(plan.activate), "ditolak": len(plan.reject), "bermasalah": len(plan.problems)}


def resubmit(db, registry: PluginRegistry, sponsorship_id: int, *, actor: Actor) -> None:
    """A refused registration, fixed, goes back to the branch (status ``diajukan``).

    The refusal released what the sponsorship held (its budget, its place in a quota): others
    may have used it since. So the enrolment's checks run again, under the write lock, on the
    sponsorship as it stands (the form's path, ``sponsorships.check_enrolment``: the scheme's
    rules and declared limits, active sponsor and worker, and the budget lines via
    ``budgets.assign_budget_lines`` with the amounts its lines carry); when they no longer hold,
    it stays refused and the problems say why, with the figures."""

    from db.scope import EVERYTHING

    from payung.finance.budgets import assign_budget_lines
    from payung.schemes.data import DataReader
    from payung.base.money import Contribution
    from payung.enrolment.sponsorships import check_enrolment, double_coverage, stored_choices

    row = require_visible(actor, "bpjs.exchange", queries.sponsorship(db, sponsorship_id, scope_of(actor)),
                          f"Kepesertaan #{sponsorship_id}")
    if row["status"] != "ditolak":
        raise ValidationError(Problem("status", "Hanya kepesertaan yang ditolak BPJS yang dapat diajukan ulang.",
                                      "not_refused"))
    scheme = registry.scheme(row["scheme_code"])
    note = f"diajukan ulang; sebelumnya ditolak: {row['bpjs_note'] or '-'}"
    with store.transaction(db):
        row = queries.sponsorship(db, sponsorship_id, EVERYTHING)
        if row["status"] != "ditolak":  # another session resubmitted it meanwhile
            raise ValidationError(Problem("status", "Kepesertaan ini baru saja diajukan ulang dari sesi lain.",
                                          "not_refused"))
        lines = queries.lines_of(db, sponsorship_id)
        stored = [(line["month"], Contribution(jkk=line["jkk"], jkm=line["jkm"], jht=line["jht"])) for line in lines]
        programs, fields = stored_choices(row)

        def coverage(worker, months):
            taken = [t for t in queries.months_taken(db, worker["id"], months, scope_of(actor))
                     if t["sponsorship_id"] != sponsorship_id]
            return double_coverage(worker, taken)

        plan = check_enrolment(
            registry, scheme=scheme, sponsor=queries.sponsor(db, row["sponsor_id"], EVERYTHING),
            worker=queries.worker(db, row["worker_id"], EVERYTHING), start_month=row["start_month"],
            months=row["months"], programs=programs, fields=fields, actor=actor,
            village_exists=lambda code: queries.region(db, code) is not None, data=DataReader(db, EVERYTHING),
            coverage=coverage, assign=lambda enrolment, _: assign_budget_lines(db, enrolment, stored))
        if plan.problems:
            raise ValidationError([Problem(p.field, f"Tidak dapat diajukan ulang: {p.message}", p.rule)
                                   for p in plan.problems])
        for line in lines:
            chosen = plan.budget_lines.get(line["month"], line["budget_line_id"])
            if chosen != line["budget_line_id"]:
                store.update(db, "contribution_lines", line["id"], {"budget_line_id": chosen}, actor=actor.username)
        store.update(db, "sponsorships", sponsorship_id, {"status": "diajukan", "bpjs_note": note},
                     actor=actor.username)
