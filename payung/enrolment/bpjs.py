"""The exchange with the BPJS Ketenagakerjaan branch, the way out and back.

Out: the new enrolments of a period as the collective registration sheet the branch needs
(one row per sponsorship; the columns and their headings are ``[bpjs_exchange.columns]``).
Back: a refused registration, fixed, sent again (``resubmit``). Reading the branch's answer
file (a KPJ per NIK, or a reason for refusal) is an import: ``payung.imports.bpjs_answer``.
"""

from __future__ import annotations

import datetime as dt

from db import billing, queries, store
from db.scope import EVERYTHING

from payung.auth.access import Actor, listed_rows, require_visible, scope_of, visible_scheme
from payung.base.errors import ConfigError, Problem, ValidationError
from payung.base.identity import fmt_date
from payung.base.money import Contribution
from payung.base.months import first_day
from payung.base.sponsor_types import SPONSOR_TYPES
from payung.base.spreadsheets import xlsx_bytes
from payung.enrolment.sponsorships import check_enrolment, double_coverage, stored_choices
from payung.finance.budgets import assign_budget_lines
from payung.schemes.data import DataReader
from payung.schemes.registry import PluginRegistry
from payung.schemes.editing import retired_problem

#: What Payung can fill in, with the heading used when config.toml does not name one.
COLUMNS = {
    "nik": "NIK", "name": "NAMA LENGKAP (SESUAI KTP)", "birth_place": "TEMPAT LAHIR",
    "birth_date": "TANGGAL LAHIR", "gender": "JENIS KELAMIN", "phone": "NO HP", "address": "ALAMAT",
    "village_code": "KODE DESA/KELURAHAN", "village": "DESA/KELURAHAN", "district": "KECAMATAN",
    "occupation": "JENIS PEKERJAAN", "work_location": "LOKASI KERJA", "declared_income": "UPAH DILAPORKAN",
    "programs": "PROGRAM", "payment_period": "PERIODE PEMBAYARAN (BULAN)", "funding_code": "SUMBER DANA",
    "start_date": "TANGGAL MULAI", "sponsor": "PENYANDANG DANA", "kpj": "NO KPJ",
}
KPJ_DIGITS = 11


def columns(settings) -> dict[str, str]:
    """key -> heading, in the order of config.toml."""
    configured = settings.bpjs_exchange.get("columns") or COLUMNS
    unknown = [key for key in configured if key not in COLUMNS]
    if unknown:
        raise ConfigError(f"[bpjs_exchange.columns]: kolom tidak dikenal: {', '.join(unknown)}. "
                          f"Yang dikenal: {', '.join(COLUMNS)}.")
    return {key: str(heading) for key, heading in configured.items()}


def _cell(key: str, row: dict, occupations: dict[str, str]):
    if key == "birth_date":
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


def _registrations(db, registry: PluginRegistry, *, scheme_code: str, from_month: str, to_month: str,
                   actor: Actor) -> list[dict]:
    """The new enrolments of a period, with the full personal data the branch asks."""
    visible_scheme(registry, scheme_code, actor, "bpjs.exchange")
    return billing.registrations(db, scope=scope_of(actor), scheme_code=scheme_code, from_month=from_month,
                                 to_month=to_month)


def registration_rows(db, registry: PluginRegistry, *, scheme_code: str, from_month: str, to_month: str,
                      actor: Actor) -> list[dict]:
    """The new enrolments of a period as the list on screen shows them: NIKs masked
    (``access.listed``); the full ones are in the file (``registration_xlsx``)."""
    return listed_rows(actor, _registrations(db, registry, scheme_code=scheme_code, from_month=from_month,
                                             to_month=to_month, actor=actor))


def registration_xlsx(db, registry: PluginRegistry, *, scheme_code: str, from_month: str, to_month: str,
                      actor: Actor) -> tuple[bytes, int]:
    """The collective registration sheet and its row count. Full NIKs leave Payung here, so
    the export is written to the audit log (UU PDP: who exported whose data)."""
    settings = registry.settings
    wanted = columns(settings)
    rows = _registrations(db, registry, scheme_code=scheme_code, from_month=from_month, to_month=to_month,
                          actor=actor)
    data = xlsx_bytes([("Pendaftaran", list(wanted.values()),
                        ([_cell(k, r, settings.occupations) for k in wanted] for r in rows))])
    with store.transaction(db):
        store.audit(db, actor.username, "export", "sponsorships", None, None, {
            "note": "pendaftaran kolektif BPJS", "scheme": scheme_code, "from": from_month, "to": to_month,
            "rows": len(rows), "sponsorship_ids": [r["sponsorship_id"] for r in rows],
        })
    return data, len(rows)


def resubmit(db, registry: PluginRegistry, sponsorship_id: int, *, actor: Actor) -> None:
    """A refused registration, fixed, goes back to the branch (status ``diajukan``).

    The refusal released what the sponsorship held (its budget, its place in a quota): others
    may have used it since. So the enrolment's checks run again, under the write lock, on the
    sponsorship as it stands (the form's path, ``sponsorships.check_enrolment``: the scheme's
    rules and declared limits, active sponsor and worker, and the budget lines via
    ``budgets.assign_budget_lines`` with the amounts its lines carry); when they no longer hold,
    it stays refused and the problems say why, with the figures."""
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
        plan.problems[:0] = retired_problem(queries.scheme_row(db, scheme.code), scheme)
        if plan.problems:
            raise ValidationError([Problem(p.field, f"Tidak dapat diajukan ulang: {p.message}", p.rule)
                                   for p in plan.problems])
        for line in lines:
            chosen = plan.budget_lines.get(line["month"], line["budget_line_id"])
            if chosen != line["budget_line_id"]:
                store.update(db, "contribution_lines", line["id"], {"budget_line_id": chosen}, actor=actor.username)
        store.update(db, "sponsorships", sponsorship_id, {"status": "diajukan", "bpjs_note": note},
                     actor=actor.username)
