"""The BPJS branch's answer to a collective registration, read back: a KPJ number per NIK
(the sponsorship becomes ``aktif``) or a reason for refusal (``ditolak``, the reason kept).
Reading the answer first makes a plan that says, row by row, what will change and what cannot
be matched; applying it writes in one transaction and changes nothing else. The headings are
``[bpjs_exchange.answer]`` of config.toml (``ANSWER`` when it names none).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from db import billing, queries, store

from payung.auth.access import Actor, require, require_visible, scope_of, visible_scheme
from payung.base.errors import PayungError, Problem, ValidationError
from payung.base.identity import clean_digits, is_ascii_digits
from payung.base.text import text_problem, tidy
from payung.enrolment.bpjs import KPJ_DIGITS
from payung.imports.mapping import header_key
from payung.imports.normalize import nik_cell
from payung.imports.plans import cell_text, parse_cell
from payung.imports.reading import read_table
from payung.people import elsewhere
from payung.schemes.registry import PluginRegistry

ANSWER = {"nik": ("NIK",), "kpj": ("KPJ", "NO KPJ"), "reason": ("KETERANGAN", "ALASAN")}
KPJ_TAKEN = "KPJ {kpj} sudah tercatat untuk pekerja lain."
#: An answer with KPJs refused once the day's answers are spent (whatever its KPJs: else the
#: refusal, or which rows a Terapkan refused, would be the answer); ``{limit}`` left to fill.
ELSEWHERE_LIMIT = elsewhere.file_refused("jawaban BPJS yang berisi nomor KPJ")


def _answer_headings(settings) -> dict[str, set[str]]:
    configured = {**ANSWER, **settings.bpjs_exchange.get("answer", {})}
    return {key: {header_key(h) for h in headings} for key, headings in configured.items()}


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
    that worker is; when that worker is outside the actor's scope, it is an answer about them
    (``payung.people.elsewhere``: logged, and within the day's limit). Once the day's answers
    are spent, an answer with KPJs is refused whatever they are, as a worker or sponsor file is;
    where they run out in the middle of the file, that row's answer is logged too (the refusal
    tells it)."""
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
        reason = tidy("reason", str(values.get("reason") or "")) or None
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
    limit = registry.settings.limits.nik_elsewhere_per_day
    spent = ValidationError(Problem("file", ELSEWHERE_LIMIT.format(limit=limit), "kpj_elsewhere_limit"))
    if any(p[2] and p[1] in pending for p in parsed) and not elsewhere.answers_left(
            db, actor=actor, settings=registry.settings):
        raise spent
    # Looked up only for the rows whose NIK is matched in scope.
    held = billing.kpj_holders(db, sorted({(p[2], p[1]) for p in parsed if p[2] and p[1] in pending}))
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
        if (kpj, nik) in held:
            if not _told_taken(db, held[(kpj, nik)], actor=actor, settings=registry.settings):
                raise elsewhere.said_by_refusing(db, "sponsorships", held[(kpj, nik)][0], actor=actor, refusal=spent)
            plan.problems.append((row_number, KPJ_TAKEN.format(kpj=kpj)))
            continue
        answer = AnswerRow(row_number, nik, matches[0]["worker_name"], kpj, reason, [m["id"] for m in matches])
        (plan.activate if kpj else plan.reject).append(answer)
    return plan


def _told_taken(db, holders: list[int], *, actor: Actor, settings=None, storing: bool = False) -> bool:
    """Whether ``actor`` is told that a KPJ is recorded for the worker(s) of the sponsorships
    ``holders``: at once when one of them is in scope, else as an answer about a record outside
    it (``elsewhere.answer``: logged; ``storing``, told whatever the day's limit)."""
    scope = scope_of(actor)
    if any(queries.sponsorship(db, holder, scope) is not None for holder in holders):
        return True
    return elsewhere.answer(db, "sponsorships", holders[0], actor=actor, settings=settings, storing=storing)


class _KpjsTaken(Exception):
    """Inside ``apply_answer``'s transaction: KPJs recorded for other workers; nothing is written."""

    def __init__(self, taken: list[tuple[AnswerRow, list[int]]]):
        super().__init__(len(taken))
        self.taken = taken


def apply_answer(db, plan: AnswerPlan, *, actor: Actor) -> dict[str, int]:
    """Activate and flag the matched sponsorships, in one transaction. A KPJ recorded for another
    worker since the check (another tab, another answer) refuses the whole answer, the rows
    named (logged as told: a free KPJ would have been stored); checked again, those rows are
    listed as problems and the rest can be applied."""
    require(actor, "bpjs.exchange")
    scope = scope_of(actor)
    try:
        with store.transaction(db):
            # The plan's matches are read again under the write lock: a plan is not a permission.
            for answer in plan.activate + plan.reject:
                for sponsorship_id in answer.sponsorship_ids:
                    require_visible(actor, "bpjs.exchange", queries.sponsorship(db, sponsorship_id, scope),
                                    f"Kepesertaan #{sponsorship_id}")
            held = billing.kpj_holders(db, [(a.kpj, a.nik) for a in plan.activate])
            if held:
                raise _KpjsTaken([(a, held[(a.kpj, a.nik)]) for a in plan.activate if (a.kpj, a.nik) in held])
            _write_answer(db, plan, actor)
    except _KpjsTaken as refused:
        # Logged after the rollback, so the answers' entries stay.
        for _, holders in refused.taken:
            _told_taken(db, holders, actor=actor, storing=True)
        rows = "; ".join(f"baris {a.row} (KPJ {a.kpj})" for a, _ in refused.taken)
        raise PayungError(f"Tidak ada yang disimpan: KPJ berikut baru saja tercatat untuk pekerja lain: {rows}. "
                          "Berkas sudah diperiksa ulang: baris-baris tersebut kini tercantum sebagai bermasalah; "
                          "tekan Terapkan lagi untuk menerapkan sisanya.") from None
    return {"aktif": len(plan.activate), "ditolak": len(plan.reject), "bermasalah": len(plan.problems)}


def _write_answer(db, plan: AnswerPlan, actor: Actor) -> None:
    """The plan's sponsorships active with their KPJ, or refused with the branch's reason."""
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
