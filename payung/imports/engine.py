"""Plan an import (normalise and validate every row, compare with the database) and apply it
(all valid rows in one transaction, logged)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from array import array
from collections.abc import Callable, Iterator

from db import batches, billing, ledger, queries, store

from payung.auth.access import PLACE_KEYS, Actor, allowed, require, scope_of
from payung.base import clock, formats
from payung.base.errors import PayungError, Problem
from payung.base.identity import GENDERS, clean_digits, is_ascii_digits
from payung.base.money import format_rupiah
from payung.base.months import current_month
from payung.base.sponsor_types import SPONSOR_TYPES
from payung.base.text import richer_spelling, search_key
from payung.enrolment.bulk import apply_bulk
from payung.finance import bills
from payung.finance.payments import payment_problems, payment_reference, record_payment
from payung.imports.chunks import PackedRows, PackedTuples
from payung.imports.enrolments import plan_sponsorships
from payung.imports.mapping import FIELDS, missing_required
from payung.imports.normalize import (district_of, nik_cell, normalize_name, parse_date, parse_rupiah_cell,
                                      sentence, split_place_date)
from payung.imports.plans import (MAX_REJECTED_KEPT, ImportPlan, RowError, cell_text, data_rows, parse_cell, raw_values,
                                  region_resolver, reject)
from payung.imports.reading import Sheet
from payung.imports.values import BY_WORDS, NOT_A_CODE, ValueMatcher, field_of_key, synonyms_for
from payung.people import elsewhere
from payung.people.sponsors import ELSEWHERE_LIMIT as SPONSOR_ELSEWHERE_LIMIT
from payung.people.sponsors import answer_elsewhere as answer_sponsor_elsewhere
from payung.people.sponsors import check_sponsor
from payung.people.sponsors import elsewhere_answers_left as sponsor_answers_left
from payung.people.workers import (ELSEWHERE, ELSEWHERE_LIMIT, answer_elsewhere, check_workers, elsewhere_answers_left,
                                   village_index)
from payung.schemes.model import BILL_BY
from payung.schemes.registry import PluginRegistry

KINDS = {"workers": "Pekerja", "sponsors": "Penyandang dana", "payments": "Pembayaran",
         "sponsorships": "Kepesertaan"}
#: Other names a kind is asked for by (the UI's word).
KIND_ALIASES = {"kepesertaan": "sponsorships"}
#: The permission each kind of import needs (``payung.auth.access``).
WRITES = {"workers": "worker.write", "sponsors": "sponsor.write", "payments": "payment.write",
          "sponsorships": "sponsorship.write"}
Progress = Callable[[float, str], None]
#: Rows checked together: what a batch holds is let go before the next batch is read.
BATCH_ROWS = 20_000


class MappingError(PayungError):
    """Required columns are not mapped: nothing can be imported."""


def _columns(sheet: Sheet, mapping: dict[str, str]) -> dict[str, int]:
    index = {h: i for i, h in enumerate(sheet.headers)}
    unknown = [h for h in mapping.values() if h not in index]
    if unknown:
        raise MappingError(f"Kolom tidak ada di berkas: {', '.join(unknown)}.")
    return {f: index[h] for f, h in mapping.items()}


def plan_import(db, registry: PluginRegistry, *, kind: str, sheet: Sheet, mapping: dict[str, str], actor: Actor,
                file_name: str, data_hash: str, progress: Progress | None = None,
                today: dt.date | None = None, values: dict[str, dict] | None = None,
                keep_rejected: int | None = None) -> ImportPlan:
    """Check every row; nothing is written. ``values``: the value mapping (field -> typed text
    -> code) chosen for this file's unknown coded values, e.g. from its template.
    ``keep_rejected``: how many rejected rows are kept with their cells and reasons (the rest
    are counted)."""
    kind = KIND_ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise MappingError(f"Jenis impor \"{kind}\" tidak dikenal; pilih {', '.join(KINDS)}.")
    require(actor, WRITES[kind])
    missing = missing_required(mapping, kind)
    if missing:
        raise MappingError(f"Kolom wajib belum dipetakan: {', '.join(missing)}.")
    plan = ImportPlan(kind, file_name, data_hash, sheet.headers, dict(mapping),
                      values={k: dict(v) for k, v in (values or {}).items()},
                      keep_rejected=MAX_REJECTED_KEPT if keep_rejected is None else keep_rejected)
    columns = _columns(sheet, mapping)
    for index, message in sorted(sheet.row_errors.items()):
        row = sheet.line(index)
        reject(plan, row, [str(c)[:200] for c in sheet.rows[index]], [RowError(row, "", message)])
    planner = {"workers": _plan_workers, "sponsors": _plan_sponsors, "payments": _plan_payments,
               "sponsorships": plan_sponsorships}[kind]
    planner(db, registry, plan, sheet, columns, actor, progress or (lambda f, t: None), today or clock.today())
    return plan


# Workers ------------------------------------------------------------------------------------

def _nik_of(value, today):
    return nik_cell(value)


def _birth_place_of(value, today):
    return cell_text(value)


def _income_of(value, today):
    return parse_rupiah_cell(value)


_WORKER_PARSERS = (
    ("nik", _nik_of),
    ("birth_place", _birth_place_of),
    ("birth_date", parse_date),
    ("declared_income", _income_of),
)
_WORKER_FIELD_COLUMN = {"birth_date": ("birth_date", "birth_place_date"), "village_code": ("village", "district"),
                        "poverty_source": ("poverty_source",), "declared_income": ("declared_income",)}


class Coded:
    """One coded column of the file being planned: typed values to codes, with the value
    mapping of the template first; the unknown ones are counted for the mapping step."""

    def __init__(self, plan: ImportPlan, registry: PluginRegistry, name: str, what: str, *, labels: dict | None = None,
                 synonyms: str | None = None, advice: str | None = None):
        self.plan, self.name, self.what = plan, name, what
        self.advice = advice or f"gunakan nama dari daftar {what.lower()}"
        self.matcher = ValueMatcher(value_choices(registry, name) if labels is None else labels,
                                    synonyms_for(synonyms or name, registry.settings.import_synonyms),
                                    plan.values.get(name), NOT_A_CODE.get(synonyms or name),
                                    by_words=(synonyms or name) in BY_WORDS)

    def code(self, typed, errors: list[RowError], row: int, column: str):
        """The code of ``typed``, or None with a row error naming the suggestions."""
        text = str(cell_text(typed)).strip()
        found, failure = parse_cell(self.matcher.match, text)
        if failure:
            errors.append(RowError(row, column, f"{self.what}: {failure}."))
            return None
        if found.found:
            return found.code
        self.plan.note_unknown(self.name, text, found)
        if found.refused:
            errors.append(RowError(row, column, f"{self.what} \"{text}\" {found.refused}."))
            return None
        state = "ambigu (cocok dengan beberapa pilihan)" if found.ambiguous else "tidak dikenal"
        errors.append(RowError(row, column, f"{self.what} \"{text}\" {state}{found.hint() or '; ' + self.advice}."))
        return None


FLAG_LABELS = {True: "Ya", False: "Tidak"}


def value_choices(registry: PluginRegistry, name: str) -> dict:
    """The codes (code -> label) a coded column may take, for the value mapping step."""
    if found := field_of_key(registry, name):
        return dict(found[1].options)
    if name == "occupation":
        return dict(registry.settings.occupations)
    if name == "gender":
        return GENDERS
    if name in ("wage_earner", "poverty_source"):
        return FLAG_LABELS
    if name == "type":
        return {code: t.label for code, t in SPONSOR_TYPES.items()}
    if name == "scheme":
        return {code: s.name for code, s in registry.schemes.items()}
    return {}


def value_column_label(registry: PluginRegistry, kind: str, name: str) -> str:
    """The heading of a coded column in the value mapping step: its label in the import, or a
    scheme field's label with the scheme's name."""
    if found := field_of_key(registry, name):
        return f"{found[1].label} ({found[0].name})"
    return FIELDS[kind][name][0] if name in FIELDS[kind] else name


def _outside_message(village: str, resolver) -> str:
    """A worker's village outside the actor's area, named with its kecamatan (the file said
    where; which row's desa it was is the first thing a person looks for)."""
    district = district_of(village)
    name = resolver.village_names.get(village, village)
    return (f"Desa {name} (Kecamatan {resolver.district_names.get(district, district)}) di luar wilayah tugas "
            "Anda.")


def _plan_workers(db, registry, plan, sheet, columns, actor, progress, today):
    settings = registry.settings
    spent = MappingError(ELSEWHERE_LIMIT.format(limit=settings.limits.nik_elsewhere_per_day))
    if not elsewhere_answers_left(db, actor=actor, settings=settings):
        raise spent
    resolver = region_resolver(db, actor)
    occupations = Coded(plan, registry, "occupation", "Pekerjaan")
    genders = Coded(plan, registry, "gender", "Jenis kelamin", advice="isi L atau P")
    flags = Coded(plan, registry, "wage_earner", "Penerima upah", synonyms="flag",
                  advice="isi Ya atau Tidak")
    poverty = Coded(plan, registry, "poverty_source", "Sumber data kemiskinan", synonyms="flag",
                    advice="isi DTKS, P3KE, DTSEN, Ya atau Tidak")
    header = {f: plan.mapping.get(f, "") for f in FIELDS["workers"]}
    total = max(len(sheet.rows), 1)
    fields = list(columns.items())
    villages = village_index(db)
    mapped = set(plan.mapping)
    plan.new = PackedRows(order_by="nik")
    plan.updates = PackedTuples()
    seen = _SeenNiks()
    batch: list[tuple[int, list, dict, list[RowError]]] = []

    def read_row(row: int, cells: list) -> tuple[int, list, dict, list[RowError]]:
        raw = raw_values(cells, fields)
        errors: list[RowError] = []
        values: dict = {"name": cell_text(raw.get("name")), "phone": cell_text(raw.get("phone")),
                        "address": cell_text(raw.get("address"))}
        for name, parser in _WORKER_PARSERS:
            value = raw.get(name)
            if value is not None:
                parsed, failure = parse_cell(parser, value, today)
                if failure:
                    errors.append(RowError(row, header[name], failure.rstrip(".") + "."))
                else:
                    values[name] = parsed
        if raw.get("birth_place_date") is not None:
            split, failure = parse_cell(split_place_date, raw["birth_place_date"])
            if not failure:
                values["birth_place"] = split[0] or None
                values["birth_date"], failure = parse_cell(parse_date, split[1], today)
            if failure:
                values.pop("birth_date", None)
                errors.append(RowError(row, header["birth_place_date"], failure.rstrip(".") + "."))
        _resolve_village(resolver, raw, values, errors, row, header, plan)
        for name, coded, key in (("occupation", occupations, "occupation"), ("gender", genders, "gender"),
                                 ("wage_earner", flags, "wage_earner")):
            if raw.get(name) is not None:
                found = coded.code(raw[name], errors, row, header[name])
                if found is not None:
                    values[key] = found
        source = raw.get("poverty_source")
        if source is not None:
            text = str(source).strip().upper()
            if text in ("DTKS", "P3KE", "DTSEN"):
                values["poverty_source"] = text
            else:
                found = poverty.code(source, errors, row, header["poverty_source"])
                if found is not None:
                    values["poverty_flag"] = found
        return row, cells, values, errors

    def check_batch() -> None:
        """The worker rules over a batch, then the batch against the database: its rows become
        the plan's (new rows packed) and the batch is let go before the next one is read."""
        checks = check_workers([v for _, _, v, _ in batch], settings=settings, villages=villages, today=today)
        valid: list[tuple[int, list, dict]] = []
        for (row, cells, _, errors), check in zip(batch, checks):
            if errors or not check.ok:
                # Every problem at once; a value that could not be read is not also reported missing.
                failed = {e.column for e in errors}
                errors += [RowError(row, column, p.message) for p in check.problems
                           if (column := _column_for(p, plan.mapping)) not in failed]
                reject(plan, row, cells, errors)
                continue
            plan.warnings += bool(check.warnings)
            nik = check.row["nik"]
            first = seen.get(nik)
            if first is not None:
                reject(plan, row, cells, [RowError(row, plan.mapping["nik"], f"NIK sama dengan baris {first}.")])
                continue
            if not allowed(actor, "worker.write", check.row):
                reject(plan, row, cells, [RowError(row, plan.mapping["village"],
                                                    _outside_message(check.row["village_code"], resolver))])
                continue
            seen.add(nik, row)
            valid.append((row, cells, check.row))
        batch.clear()
        existing = queries.workers_by_nik(db, [r["nik"] for _, _, r in valid])
        for row, cells, clean in valid:
            before = existing.get(clean["nik"])
            if before is None:
                plan.new.append(clean)
                continue
            if not allowed(actor, "worker.write", before):
                # A check writes nothing: past the day's answers about other areas' workers, a
                # file of guessed NIKs would find them, so the whole check is refused (and every
                # check after it today, whatever its file holds).
                if not answer_elsewhere(db, before["id"], actor=actor, settings=settings):
                    raise elsewhere.said_by_refusing(db, "workers", before["id"], actor=actor, refusal=spent)
                reject(plan, row, cells, [RowError(row, plan.mapping["nik"], ELSEWHERE)])
                continue
            # Only columns present in the file change a registered worker.
            present = {k for k, v in clean.items() if _source_mapped(k, mapped)}
            changes = _respelled(plan, before, {k: clean[k] for k in present if before.get(k) != clean[k]})
            if changes:
                plan.updates.append(_update(before, changes))
            else:
                plan.unchanged += 1

    for n, (row, cells) in enumerate(data_rows(sheet)):
        if n % 5000 == 0:
            progress(n / total, f"Memeriksa baris {formats.count(n)} dari {formats.count(len(sheet.rows))}")
        batch.append(read_row(row, cells))
        if len(batch) >= BATCH_ROWS:
            check_batch()
    check_batch()
    progress(1.0, "Pemeriksaan selesai")


def _respelled(plan: ImportPlan, before: dict, changes: dict) -> dict:
    """``changes`` of a registered worker or sponsor, its name as ``richer_spelling`` keeps it when
    the file writes the same name otherwise: "ÉLISE WIJAYA" of an all-caps list keeps the stored
    "Élise Wijaya", "José" corrects the stored "Jose", and a change of spelling is said."""
    typed = changes.get("name")
    if typed is None or search_key(typed) != search_key(before["name"]):
        return changes
    spelled = richer_spelling(before["name"], typed)
    if spelled == before["name"]:
        return {k: v for k, v in changes.items() if k != "name"}
    plan.note_respelled(before["name"], spelled)
    return changes | {"name": spelled}


def _update(before: dict, changes: dict) -> tuple[int, dict, dict]:
    """A changed row as the plan keeps it: its id; of the row as it was, only where it lies
    (``PLACE_KEYS``, for the write's scope check) and the old values of what changes; the
    changes. Never the whole row: a re-import of a million registered workers would hold them
    all (the write reads the rows again, ``_check_still_holds``)."""
    kept = {k: before[k] for k in (*PLACE_KEYS, *changes) if k in before}
    return before["id"], kept, changes


class _SeenNiks:
    """NIK -> the file row that first had it, for the duplicates within a file: a 16-digit NIK
    is kept as a number (a million of them in a fraction of the memory of their strings)."""

    def __init__(self):
        self._rows: dict = {}

    @staticmethod
    def _key(nik: str):
        return int(nik) if len(nik) == 16 and is_ascii_digits(nik) and nik[0] != "0" else nik

    def get(self, nik: str) -> int | None:
        return self._rows.get(self._key(nik))

    def add(self, nik: str, row: int) -> None:
        self._rows[self._key(nik)] = row


def _source_mapped(column: str, mapped: set[str]) -> bool:
    sources = {"birth_date": {"birth_date", "birth_place_date"}, "birth_place": {"birth_place", "birth_place_date"},
               "village_code": {"village"}, "district_code": {"village"}, "regency_code": {"village"},
               "poverty_flag": {"poverty_source"}}.get(column, {column})
    return bool(sources & mapped)


def _column_for(problem: Problem, mapping: dict[str, str]) -> str:
    for field_name in _WORKER_FIELD_COLUMN.get(problem.field, (problem.field,)):
        if field_name in mapping:
            return mapping[field_name]
    return mapping.get("nik", "")


# Sponsors -----------------------------------------------------------------------------------

def _plan_sponsors(db, registry, plan, sheet, columns, actor, progress, today):
    settings = registry.settings
    spent = MappingError(SPONSOR_ELSEWHERE_LIMIT.format(limit=settings.limits.nik_elsewhere_per_day))
    if not sponsor_answers_left(db, actor=actor, settings=settings):
        raise spent  # whatever the file holds (_plan_workers)
    resolver = region_resolver(db, actor)
    scope = scope_of(actor)
    types = Coded(plan, registry, "type", "Jenis penyandang dana",
                  synonyms="sponsor_type")
    header = {f: plan.mapping.get(f, "") for f in FIELDS["sponsors"]}
    seen: dict[tuple, int] = {}
    fields = list(columns.items())
    rows = list(data_rows(sheet))
    for n, (row, cells) in enumerate(rows):
        if n % 2000 == 0:
            progress(n / max(len(rows), 1), f"Memeriksa baris {formats.count(n)} dari {formats.count(len(rows))}")
        raw = raw_values(cells, fields)
        errors: list[RowError] = []
        values = {k: cell_text(raw.get(k)) for k in ("name", "nip", "employee_number", "opd", "phone", "email",
                                                    "address")}
        typed = raw.get("type")
        if typed is not None:
            values["type"] = types.code(typed, errors, row, header["type"])
        else:
            values["type"] = "asn" if values["nip"] or values["employee_number"] or values["opd"] else "perorangan"
        _resolve_village(resolver, raw, values, errors, row, header, plan)
        if errors:
            reject(plan, row, cells, errors)
            continue
        clean, problems = check_sponsor(db, registry.settings, values)
        if problems:
            reject(plan, row, cells, [RowError(row, plan.mapping.get(p.field, plan.mapping.get("name", "")),
                                                p.message) for p in problems])
            continue
        key = ("nip", clean["nip"]) if clean["nip"] else ("identitas", clean["type"], search_key(clean["name"]),
                                                          clean["opd"], clean["village_code"])
        if key in seen:
            reject(plan, row, cells, [RowError(row, plan.mapping.get("nip") or plan.mapping["name"],
                                                f"Sama dengan baris {seen[key]}.")])
            continue
        seen[key] = row
        if not clean["regency_code"] and scope.regency:
            clean["regency_code"] = scope.regency
        # Without a NIP, the same name among the sponsors the actor may change: one they only see
        # (another regency's, paying for someone here) is another sponsor, and no answer.
        before = queries.sponsor_by_nip(db, clean["nip"]) if clean["nip"] else _own_by_identity(db, clean, actor)
        writable = allowed(actor, "sponsor.write", clean)
        outside = before is not None and not allowed(actor, "sponsor.write", before)
        if not writable or outside:
            # A NIP of a sponsor outside the actor's scope, in a row they could have imported: an answer.
            if outside and writable and clean["nip"] and not answer_sponsor_elsewhere(
                    db, before["id"], actor=actor, settings=settings):
                raise elsewhere.said_by_refusing(db, "sponsors", before["id"], actor=actor, refusal=spent)
            reject(plan, row, cells, [RowError(row, plan.mapping.get("name", ""), (
                "Penyandang dana ini di luar wilayah tugas Anda (atau sudah terdaftar di wilayah lain); "
                "hubungi operator kabupaten."))])
            continue
        if before is None:
            plan.new.append(clean)
            continue
        changes = _respelled(plan, before, {k: v for k, v in clean.items() if v is not None and before.get(k) != v})
        if changes:
            plan.updates.append(_update(before, changes))
        else:
            plan.unchanged += 1


# Payments -----------------------------------------------------------------------------------

def _resolve_village(resolver, raw: dict, values: dict, errors: list, row: int, header: dict,
                     plan: ImportPlan | None = None) -> None:
    """The village named in a row (within its district when given) into ``village_code``; a
    name read as a close spelling of another is noted in ``plan.read_as`` (said before import)."""
    village = raw.get("village")
    if village is not None:
        code, failure = parse_cell(resolver.village, cell_text(village), cell_text(raw.get("district")))
        if failure:
            errors.append(RowError(row, header["village"], sentence(failure)))
            return
        values["village_code"] = code
        if plan is not None and (name := resolver.read_as(cell_text(village), code)):
            plan.note_read_as(cell_text(village), name)


def _plan_payments(db, registry, plan, sheet, columns, actor, progress, today):
    header = {f: plan.mapping.get(f, "") for f in FIELDS["payments"]}
    mine = {code: s for code, s in registry.schemes.items()
            if allowed(actor, "payment.write", {"regency_code": s.regency_code})}
    schemes = Coded(plan, registry, "scheme", "Skema", labels={code: s.name for code, s in mine.items()})
    payers: dict[str, dict[str, list[str]]] = {}
    remaining: dict[tuple[str, str], int] = {}
    seen: dict[tuple, int] = {}
    fields = list(columns.items())
    for row, cells in data_rows(sheet):
        raw = raw_values(cells, fields)
        errors: list[RowError] = []
        scheme_code = schemes.code(raw.get("scheme") or "", errors, row, header["scheme"])
        found = [scheme_code] if scheme_code else []
        payer_text = cell_text(raw.get("sponsor")) or ""
        party_key = None
        if len(found) == 1:
            if found[0] not in payers:
                payers[found[0]] = _payers(db, registry, found[0], actor)
            party_key, problem = _find_payer(db, registry.scheme(found[0]), payers[found[0]], payer_text, actor)
            if problem:
                errors.append(RowError(row, header["sponsor"], problem))
        reference = payment_reference(cell_text(raw.get("reference")))  # checked and compared as record_payment does
        values = {}
        for name, parser in (("paid_on", parse_date), ("amount", parse_rupiah_cell)):
            if raw.get(name) is None:
                errors.append(RowError(row, header[name], "Tanggal bayar kosong." if name == "paid_on"
                                       else "Jumlah kosong."))
                continue
            parsed, failure = parse_cell(parser, raw[name], *((today,) if name == "paid_on" else ()))
            if failure:
                errors.append(RowError(row, header[name], f"{failure.rstrip('.')}."))
            else:
                values[name] = parsed
        if values.get("amount") is not None and values["amount"] <= 0:
            errors.append(RowError(row, header["amount"], "Jumlah harus lebih dari Rp0."))
        elif len(values) == 2:
            # The same checks record_payment makes: a row this accepts is one it writes.
            scheme_found = registry.schemes.get(found[0]) if len(found) == 1 else None
            errors += [RowError(row, header.get(p.field, ""), p.message)
                       for p in payment_problems(registry.settings, scheme_found, values["amount"], values["paid_on"],
                                                 today, reference=reference)]
        if errors:
            reject(plan, row, cells, errors)
            continue
        scheme = registry.scheme(found[0])
        key = (scheme.code, party_key, values["paid_on"].isoformat(), values["amount"], reference)
        if key in seen:
            reject(plan, row, cells, [RowError(row, header["amount"], f"Pembayaran sama dengan baris {seen[key]}.")])
            continue
        seen[key] = row
        if billing.same_payment(db, scheme.code, scheme.bill_by, party_key, values["paid_on"].isoformat(),
                                values["amount"], reference):
            plan.unchanged += 1
            continue
        balance_key = (scheme.code, party_key)
        if balance_key not in remaining:
            remaining[balance_key] = bills.bill(db, registry, scheme_code=scheme.code, party_key=party_key,
                                                from_month=None, today=today, actor=actor).payable
        if values["amount"] > remaining[balance_key]:
            reject(plan, row, cells, [RowError(row, header["amount"], (
                f"Pembayaran melebihi tagihan {bills.party(db, registry, scheme.code, party_key, actor=actor).label}"
                " yang belum dibayar "
                f"({format_rupiah(remaining[balance_key])}).")) ])
            continue
        remaining[balance_key] -= values["amount"]
        plan.new.append({"scheme_code": scheme.code, "party_key": party_key, "paid_on": values["paid_on"],
                         "amount": values["amount"], "reference": reference, "today": today})


def _payers(db, registry, scheme_code: str, actor: Actor) -> dict[str, list[str]]:
    """Normalised party label -> party keys (more than one: the name is ambiguous)."""
    found: dict[str, list[str]] = {}
    for party in bills.parties(db, registry, scheme_code, None, actor=actor):
        found.setdefault(normalize_name(party["party_label"]), []).append(party["party_key"])
    return found


def _find_payer(db, scheme, payers: dict[str, list[str]], text: str, actor: Actor) -> tuple[str | None, str | None]:
    """The bill party a payer cell names: a sponsor's NIP, or the party's name (sponsor, OPD
    or budget line, as the scheme bills)."""
    digits = clean_digits(text)
    if digits.isdigit() and len(digits) == 18 and scheme.bill_by in ("sponsor", "opd"):
        sponsor = queries.sponsor_by_nip(db, digits)
        if sponsor is not None:
            sponsor = queries.sponsor(db, sponsor["id"], scope_of(actor))
        if sponsor is None:
            return None, f"Penyandang dana dengan NIP {digits} tidak ditemukan."
        key = str(sponsor["id"]) if scheme.bill_by == "sponsor" else (sponsor["opd"] or "-")
        return key, None
    keys = payers.get(normalize_name(text), [])
    if len(keys) == 1:
        return keys[0], None
    what = formats.mid_sentence(BILL_BY[scheme.bill_by])
    if not keys:
        return None, f"Tidak ada tagihan skema {scheme.name} untuk {what} \"{text}\"."
    return None, f"{what.capitalize()} \"{text}\" ambigu: ada beberapa dengan nama ini; pakai NIP."


# Writing ------------------------------------------------------------------------------------

def apply_import(db, registry: PluginRegistry, plan: ImportPlan, *, actor: Actor,
                 progress: Progress | None = None) -> dict[str, int]:
    """Write every valid row of the plan in one transaction (all or nothing), and log it.
    Every row is checked against the actor's scope again: a plan is not a permission."""
    require(actor, WRITES[plan.kind])
    if plan.kind in ("workers", "sponsors"):
        for row in itertools.chain(plan.new, (before | changes for _, before, changes in plan.updates)):
            require(actor, WRITES[plan.kind], row)
    report = progress or (lambda f, t: None)
    note = f"impor {plan.file_name}"
    with store.transaction(db):
        if plan.kind in ("workers", "sponsors"):
            _check_still_holds(db, plan, actor)
        report(0.1, "Menyimpan data baru")
        if plan.kind == "workers":
            _write_workers(db, plan, actor, note)
        elif plan.kind == "sponsorships":
            _write_sponsorships(db, registry, plan, actor, report)
        elif plan.kind == "sponsors":
            if plan.new:
                columns = tuple(plan.new[0])
                store.bulk_insert(db, "sponsors", columns, [tuple(r[c] for c in columns) for r in plan.new],
                                  actor=actor.username, note=note)
            for key, _, changes in plan.updates:
                store.update(db, "sponsors", key, changes, actor=actor.username)
        else:
            for payment in plan.new:
                record_payment(db, registry, actor=actor, **payment)
        report(0.9, "Mencatat log impor")
        store.insert(db, "import_log", {
            "at": store.now(), "actor": actor.username, "kind": plan.kind, "file_name": plan.file_name,
            "file_hash": plan.file_hash, **plan.counts,
        }, actor=actor.username)
    report(1.0, "Selesai")
    return plan.counts


def _check_still_holds(db, plan: ImportPlan, actor: Actor) -> None:
    """Inside the write transaction: every row the plan changes, read again as it is NOW, must
    still be the actor's to change (a worker moved to another village since the file was
    checked is not), and every row it adds must still be new. Else nothing is written: the
    plan's copies of the rows are not a permission."""
    write = WRITES[plan.kind]
    outside = 0
    for chunk in _chunks_of(plan.updates):
        current = queries.rows_by_id(db, plan.kind, [key for key, _, _ in chunk])
        outside += sum(1 for key, _, changes in chunk if (row := current.get(key)) is None
                       or not allowed(actor, write, row) or not allowed(actor, write, row | changes))
    if plan.kind == "workers":
        new = _new_workers(plan)
        nik = new.columns.index("nik") if new else 0
        taken = sum(len(queries.workers_by_nik(db, [r[nik] for r in chunk])) for chunk in new.chunks())
    else:
        taken = sum(1 for r in plan.new if _registered_since(db, r, actor))
    reasons = ([f"{formats.count(outside)} baris kini di luar wilayah tugas Anda (dipindahkan atau diubah di sesi "
                "lain)"] if outside else []) + ([f"{formats.count(taken)} baris baru kini sudah terdaftar"] if taken else [])
    if reasons:
        raise PayungError(f"Data berubah sejak berkas diperiksa: {'; '.join(reasons)}. Tidak ada yang disimpan; "
                          "periksa berkasnya lagi.")


def _registered_since(db, row: dict, actor: Actor) -> bool:
    """Whether a new sponsor of a checked file is registered by now: its NIP, or its name and kind
    among the sponsors the actor may change (as the check matched them)."""
    if row.get("nip"):
        return queries.sponsor_by_nip(db, row["nip"]) is not None
    return _own_by_identity(db, row, actor) is not None


def _own_by_identity(db, row: dict, actor: Actor) -> dict | None:
    """The oldest sponsor the actor may change with ``row``'s type, name, OPD and village."""
    found = queries.sponsors_by_identity(db, row["type"], row["name"], row.get("opd"), row.get("village_code"),
                                         scope_of(actor))
    return next((s for s in found if allowed(actor, "sponsor.write", s)), None)


def _chunks_of(updates) -> Iterator[list[tuple]]:
    """A plan's updates a chunk at a time (packed for workers; a list, built by hand, in one)."""
    return updates.chunks() if isinstance(updates, PackedTuples) else iter([list(updates)])


def _write_sponsorships(db, registry, plan: ImportPlan, actor: Actor, report: Progress) -> None:
    """Through the bulk writer; when the data changed since the check, the rows are checked
    again under the write lock and the plan's counts follow."""
    apply_bulk(db, registry, plan.bulk, actor=actor, progress=lambda f, t: report(0.1 + 0.8 * f, t))
    plan.collect_bulk(plan)


def _write_workers(db, plan: ImportPlan, actor: Actor, note: str) -> None:
    new = _new_workers(plan)
    if new:
        # In NIK order (a merge of the plan's sorted chunks, never all rows at once): the unique
        # NIK index is then appended to, not scattered. A load larger than the registry rebuilds
        # the other indexes once instead of row by row. The ids are the next ones in a random
        # order: ids in NIK order would let anyone who sees worker ids (a page's address) and
        # masked NIKs rebuild the hidden birth dates of a whole file.
        first = batches.max_id(db, "workers") + 1
        ids = array("q", range(first, first + len(new)))
        random.SystemRandom().shuffle(ids)
        store.bulk_insert(db, "workers", ("id", *new.columns), ((i, *row) for i, row in zip(ids, new.merged())),
                          actor=actor.username, note=note, rebuild_indexes=len(new) > max(10_000, queries.worker_count(db)))
    this_month = current_month()
    for key, before, changes in plan.updates:
        after = store.update(db, "workers", key, changes, actor=actor.username)
        if changes.keys() & {"village_code", "occupation"}:
            ledger.restamp_lines(db, after, this_month, actor=actor.username)


def _new_workers(plan: ImportPlan) -> PackedRows:
    """The plan's new workers, packed (a plan built by hand may list dicts)."""
    if isinstance(plan.new, PackedRows):
        return plan.new
    packed = PackedRows(order_by="nik")
    for row in plan.new:
        packed.append(row)
    return packed


def log_entries(db, *, actor: Actor, limit: int = 20) -> list[dict]:
    """The latest imports: the actor's own (an administrator's: everyone's)."""
    require(actor, "import.run")
    return queries.import_log(db, None if allowed(actor, "import.log_everyone") else actor.username, limit)
