"""Import kind ``sponsorships`` (Kepesertaan): one row per sponsorship, planned by the bulk
planner (``payung.enrolment.bulk``) so that every row gets the form's checks and the counting rules
count the whole file.

A row names the worker by NIK, the scheme, and the sponsor by NIP (an ASN), by name, by the
village whose government pays, or by the budget line that pays (an APBD category: the line's
sponsor, or the regency budget's). The scheme's own fields are the columns headed with their
labels (or names); their values are matched the way other imports match coded values
(choice labels, village names, dates as typed).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from functools import partial

from db import batches, queries

from payung.auth.access import allowed, scope_of
from payung.base.identity import clean_digits
from payung.base.months import parse_month
from payung.enrolment.bulk import plan_bulk
from payung.imports.mapping import header_key
from payung.imports.normalize import (MONTHS, nik_cell, normalize_name, parse_date, parse_flag, parse_rupiah_cell,
                                      sentence)
from payung.imports.plans import RowError, data_rows, parse_cell, raw_values, region_resolver, reject
from payung.imports.values import ValueMatcher, synonyms_for, value_key
from payung.schemes.fields import Field

PERIOD_WORDS = {"bulanan": 1, "per bulan": 1, "triwulan": 3, "triwulanan": 3, "3 bulanan": 3, "semester": 6,
                "semesteran": 6, "6 bulanan": 6, "tahunan": 12, "per tahun": 12, "setahun": 12}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_month_cell(value) -> str:
    """``2025-01``, ``01/2025``, ``Januari 2025``, ``Jan-25`` or an Excel date -> ``2025-01``."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    text = _text(value) or ""
    try:
        return parse_month(text)
    except ValueError:
        pass
    if match := re.fullmatch(r"(\d{1,2})\s*[/.-]\s*(\d{4})", text):
        return parse_month(f"{match[2]}-{match[1]}")
    if match := re.fullmatch(r"([A-Za-z]+)[\s.,/-]*(\d{2}|\d{4})", text):
        month = MONTHS.get(match[1].lower())
        if month:
            year = int(match[2]) + (2000 if len(match[2]) == 2 else 0)
            return f"{year:04d}-{month:02d}"
    day = parse_date(value)
    return f"{day.year:04d}-{day.month:02d}"


def _integer(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):  # "12", "12 bulan", "6bln" (no regular expression: spaces cannot make it slow)
        text = value.lower().strip()
        number = next((text[:-len(w)].rstrip() for w in ("bulan", "bln") if text.endswith(w)), text)
        if number.isdecimal() and len(number) <= 9:
            return int(number)
    return value


def _period(value):
    text = re.sub(r"\s+", " ", (_text(value) or "").lower())
    if text in PERIOD_WORDS:
        return PERIOD_WORDS[text]
    if match := re.fullmatch(r"(\d+) ?(bulan|bln)( di ?muka| sekaligus)?", text):  # "3 bulan di muka", the form's words
        return int(match[1])
    return _integer(value)


def _programs(value) -> list[str]:
    return [p for p in re.split(r"[^A-Za-z]+", str(value).upper()) if p]


class FieldReader:
    """The scheme's declared fields, read from the columns headed with their labels."""

    def __init__(self, scheme_code: str, fields: list[Field], headers: list[str], taken: set[int], resolver, *,
                 synonyms: dict | None = None, chosen: dict | None = None, on_unknown=None):
        self.columns: list[tuple[Field, int]] = []
        keys = {header_key(h): i for i, h in enumerate(headers) if str(h or "").strip()}
        for f in fields:
            names = {header_key(f.label), header_key(f.label.split("(")[0]), header_key(f.name),
                     header_key(f.name.replace("_", " "))}
            index = next((keys[n] for n in names if n in keys and keys[n] not in taken), None)
            if index is not None:
                self.columns.append((f, index))
        self.resolver = resolver
        self.scheme_code = scheme_code
        self._on_unknown = on_unknown or (lambda key, text, found: None)
        # Choice values matched like every coded import column (synonyms of [import_synonyms],
        # close spellings, the template's value mapping); what stays unknown goes to the value
        # mapping step under the key ``value_key(scheme, field)``.
        self._matchers = {f.name: ValueMatcher(dict(f.options), synonyms_for(f.name, synonyms),
                                               (chosen or {}).get(value_key(scheme_code, f.name)))
                          for f, _ in self.columns if f.type in ("choice", "multichoice")}

    def headers(self, headers: list[str]) -> dict[str, str]:
        return {f.name: headers[i] for f, i in self.columns}

    def read(self, cells: list, district) -> dict:
        values = {}
        for f, i in self.columns:
            value = cells[i] if i < len(cells) else None
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            values[f.name] = self._clean(f, value, district)
        return values

    def _choice(self, f: Field, text: str):
        found = self._matchers[f.name].match(text)
        if found.found:
            return found.code
        self._on_unknown(value_key(self.scheme_code, f.name), text, found)
        return text

    def _clean(self, f: Field, value, district):
        """The typed value as the form would receive it; a value that cannot be read is
        passed on as typed, for the form's own message."""
        try:
            if f.type == "choice":
                return self._choice(f, _text(value))
            if f.type == "multichoice":
                return [self._choice(f, part.strip()) for part in re.split(r"[,;/]", _text(value)) if part.strip()]
            if f.type == "bool":
                return parse_flag(value)
            if f.type in ("integer", "year"):
                return _integer(value)
            if f.type == "rupiah":
                return parse_rupiah_cell(value)
            if f.type == "date":
                return parse_date(value).isoformat()
            if f.type == "month":
                return parse_month_cell(value)
            if f.type == "village":
                return self.resolver.village(_text(value), district)
        except Exception:  # noqa: BLE001 - whatever fails on a cell: the form's own message says why
            return _text(value) if not isinstance(value, (int, float)) else value
        return _text(value)


class SponsorIndex:
    """The sponsors inside the actor's scope, indexed once for the whole file: by id, by name
    (normalised once each), by the village whose government they are and, of the active APBD
    kabupaten sponsors, by regency."""

    def __init__(self, sponsors: list[dict]):
        self.by_id = {s["id"]: s for s in sponsors}
        self.by_name: dict[str, list[dict]] = defaultdict(list)
        self.governments: dict[str, list[dict]] = defaultdict(list)
        self.regency_budgets: dict[str, list[dict]] = defaultdict(list)
        for s in sponsors:
            self.by_name[normalize_name(s["name"])].append(s)
            if s["type"] == "pemerintah_desa" and s["village_code"]:
                self.governments[s["village_code"]].append(s)
            elif s["type"] == "apbd_kabupaten" and s["active"] and s.get("regency_code"):
                self.regency_budgets[s["regency_code"]].append(s)

    @staticmethod
    def narrowed(candidates: list[dict], scheme) -> list[dict]:
        """Of several sponsors with one name, the ones this scheme most likely means: of its
        regency (or with no region), of its sponsor types, then active. One sponsor is left as
        it is: the scheme's own rules then refuse it with the form's words."""
        for keep in (lambda s: _in_regency(s, scheme.regency_code),
                     lambda s: not scheme.sponsor_types or s["type"] in scheme.sponsor_types,
                     lambda s: bool(s["active"])):
            if len(candidates) <= 1:
                break
            candidates = [s for s in candidates if keep(s)] or candidates
        return candidates


def plan_sponsorships(db, registry, plan, sheet, columns, actor, progress, today):
    """Read, resolve and plan every row; called by ``engine.plan_import``."""
    resolver = region_resolver(db, actor)
    header = {f: plan.mapping.get(f, "") for f in columns}
    scope = scope_of(actor)
    # Only the schemes the actor may enrol in (an operator: its regency's); others read as unknown.
    visible = [code for code, s in registry.schemes.items()
               if allowed(actor, "sponsorship.write", {"regency_code": s.regency_code})]
    schemes = ValueMatcher({code: registry.scheme(code).name for code in visible}, None, plan.values.get("scheme"))
    fields = list(columns.items())
    rows = list(data_rows(sheet))
    progress(0.02, "Membaca baris")
    raws = [(row, cells, raw_values(cells, fields)) for row, cells in rows]
    niks = {raw["nik"]: _nik(raw["nik"]) for _, _, raw in raws if raw.get("nik") is not None}
    worker_ids = batches.worker_ids_by_nik(db, [nik for nik, _ in niks.values() if nik], scope)
    nip_ids = batches.sponsor_ids_by_nip(db, [n for n, _ in (_nip(r["nip"]) for _, _, r in raws if r.get("nip")) if n],
                                         scope)
    sponsors = SponsorIndex(batches.sponsors_for_matching(db, scope))
    used = set(columns.values())
    readers: dict[str, FieldReader] = {}
    budget_of: dict[str, list[tuple[set, dict]]] = {}
    field_columns: dict[str, tuple[dict, dict]] = {}  # scheme -> (field headers, field labels)
    sees_budgets = allowed(actor, "budget.read")

    requests, origin = [], {}
    for row, cells, raw in raws:
        errors = []
        matched, _ = parse_cell(schemes.match, _text(raw.get("scheme")) or "")
        if matched is None or not matched.found:
            reject(plan, row, cells, [RowError(row, header["scheme"], f"Skema \"{raw.get('scheme') or ''}\" tidak dikenal.")])
            continue
        scheme = registry.scheme(matched.code)
        regency = resolver.within(scheme.regency_code)
        if scheme.code not in readers:
            readers[scheme.code] = FieldReader(scheme.code, registry.fields(scheme), sheet.headers, used, regency,
                                               synonyms=registry.settings.import_synonyms, chosen=plan.values,
                                               on_unknown=plan.note_unknown)
            budget_of[scheme.code] = [({normalize_name(b["name"]), normalize_name(f"{b['name']} {b['year']}")}, b)
                                      for b in batches.budget_lines_named(db, [scheme.code])]
            field_columns[scheme.code] = (readers[scheme.code].headers(sheet.headers),
                                          {f.name: f.label for f in registry.fields(scheme)})
        district = _text(raw.get("district"))
        values = readers[scheme.code].read(cells, district)
        nik, nik_problem = niks.get(raw.get("nik"), (None, None))
        worker_id = worker_ids.get(nik) if nik else None
        if raw.get("nik") is None:
            errors.append(RowError(row, header["nik"], "NIK pekerja kosong."))
        elif nik_problem:
            errors.append(RowError(row, header["nik"], nik_problem.rstrip(".") + "."))
        elif worker_id is None:
            errors.append(RowError(row, header["nik"], _unknown_worker(raw["nik"])))
        sponsor_id, budget_line_id, sponsor_column, problem = _sponsor(
            db, scheme, raw, nip_ids, sponsors, budget_of[scheme.code], regency, values, sees_budgets)
        if problem:
            errors.append(RowError(row, header.get(sponsor_column, ""), problem))
        start = raw.get("start_month")
        if start is None:
            errors.append(RowError(row, header.get("start_month", ""), "Bulan mulai kosong (contoh 2025-08)."))
        if errors:
            reject(plan, row, cells, errors)
            continue
        parsed, failure = parse_cell(parse_month_cell, start)
        start = _text(start) if failure else parsed
        request = {"row": row, "scheme_code": scheme.code, "worker_id": worker_id, "sponsor_id": sponsor_id,
                   "start_month": start, "months": _integer(raw["months"]) if raw.get("months") is not None else None,
                   "programs": _programs(raw["programs"]) if raw.get("programs") is not None else None,
                   "fields": values, "payment_period": _period(raw["payment_period"])
                   if raw.get("payment_period") is not None else 1, "budget_line_id": budget_line_id}
        requests.append(request)
        origin[row] = (cells, sponsor_column, *field_columns[scheme.code], raw.get("nik"))
    plan.bulk = plan_bulk(db, registry, requests, actor=actor,
                          progress=lambda f, t: progress(0.1 + 0.88 * f, t))
    plan.collect_bulk = partial(_collect, header=header, origin=origin, counted={"refused": 0})
    plan.collect_bulk(plan)
    progress(1.0, "Pemeriksaan selesai")


def _collect(plan, *, header, origin, counted: dict) -> None:
    """The bulk plan's outcome as the import plan's rows: new, unchanged, or rejected with
    their cells and columns. Run again when the rows were planned again at apply time (the
    rows it rejected the time before are taken back first)."""
    for result in plan.bulk.rows:
        plan.rejected.pop(result.row, None)
        plan.rejected_values.pop(result.row, None)
    plan.rejected_count -= counted["refused"]
    counted["refused"] = sum(r.status == "refused" for r in plan.bulk.rows)
    plan.new, plan.unchanged = [], 0
    for result in plan.bulk.rows:
        cells, sponsor_column, field_headers, labels, nik = origin[result.row]
        if result.status == "refused":
            failed = []
            for p in result.problems:
                message = _unknown_worker(nik) if p.rule == "worker_missing" else p.message
                column = _column(p.field, header, sponsor_column, field_headers) or labels.get(p.field or "", "")
                failed.append(RowError(result.row, column, message))
            reject(plan, result.row, cells, failed)
        elif result.status == "unchanged":
            plan.unchanged += 1
        else:
            plan.new.append(result.request)


def _nik(value) -> tuple[str | None, str | None]:
    """(NIK, None), or (None, why it cannot be read: a number cell that lost digits in Excel, a
    value that is no number); spaces, dots and dashes typed inside are dropped, as on the form."""
    nik, problem = parse_cell(nik_cell, value)
    return (clean_digits(nik), None) if problem is None else (None, problem)


def _nip(value) -> tuple[str | None, str | None]:
    """(NIP, None) or (None, why): an 18-digit NIP kept as a number in Excel has lost digits."""
    if isinstance(value, float) and not isinstance(value, bool):
        shown = f"{value:.0f}" if math.isfinite(value) else "tersebut"
        return None, (f"NIP {shown} tersimpan sebagai angka di Excel sehingga digit terakhirnya hilang. "
                      "Format kolom NIP sebagai Teks, ketik ulang NIP, lalu impor lagi.")
    return clean_digits(_text(value)), None


def _unknown_worker(nik) -> str:
    # The same words whether the NIK is unknown or outside the actor's villages: no oracle.
    return f"Pekerja dengan NIK {_text(nik)} tidak ditemukan di wilayah Anda; impor atau daftarkan pekerjanya dulu."


def _column(field: str | None, header: dict, sponsor_column: str | None, field_headers: dict) -> str:
    if field in field_headers:
        return field_headers[field]
    target = {"worker_id": "nik", "sponsor_id": sponsor_column, "start_month": "start_month", "months": "months",
              "programs": "programs", "payment_period": "payment_period"}.get(field or "")
    return header.get(target or "", "") or (header.get("start_month", "") if field == "months" else "")


def _ambiguous(typed, found: list[dict], db, *, nip: bool) -> str:
    places = sorted({(queries.region(db, code) or {}).get("name") or code
                     for code in (s["village_code"] or s.get("regency_code") for s in found) if code})
    where = f" ({', '.join(places[:5])})" if places else ""
    return (f"Penyandang dana \"{_text(typed)}\" ambigu: ada {len(found)} dengan nama ini{where}. Isi kolom "
            "\"ID penyandang dana\" dengan nomornya dari halaman Penyandang dana" + (" atau pakai NIP." if nip else "."))


def _sponsor(db, scheme, raw, nip_ids, sponsors: SponsorIndex, budget_lines, regency, values, may_see_budgets):
    """(sponsor id, budget line id, the column that named the sponsor, problem)."""
    if raw.get("sponsor_id") is not None:
        number = _integer(raw["sponsor_id"])
        if not isinstance(number, int) or number not in sponsors.by_id:
            return None, None, "sponsor_id", f"Penyandang dana dengan ID {_text(raw['sponsor_id'])} tidak ditemukan."
        return number, None, "sponsor_id", None
    if raw.get("nip") is not None:
        nip, problem = _nip(raw["nip"])
        if problem:
            return None, None, "nip", problem
        if nip not in nip_ids:
            return None, None, "nip", (f"Penyandang dana dengan NIP {nip} tidak ditemukan; periksa NIP-nya. Daftar ASN "
                                       "diimpor operator kabupaten di Impor data (Penyandang dana).")
        return nip_ids[nip], None, "nip", None
    if raw.get("budget_line") is not None:
        if not may_see_budgets:
            return None, None, "budget_line", ("Kolom pos anggaran hanya untuk operator kabupaten; kosongkan kolom ini "
                                               "dan sebut penyandang dananya.")
        text = normalize_name(_text(raw["budget_line"]))
        lines = [b for names, b in budget_lines if text in names]
        if len(lines) != 1:
            what = "tidak ada" if not lines else "ada beberapa"
            return None, None, "budget_line", (f"Pos anggaran \"{_text(raw['budget_line'])}\" {what} di skema "
                                               f"{scheme.name}; tulis namanya seperti di halaman Anggaran.")
        line = lines[0]
        if scheme.budget_field and line["category"] and scheme.budget_field not in values:
            values[scheme.budget_field] = line["category"]
        if line["sponsor_id"]:
            return line["sponsor_id"], line["id"], "budget_line", None
        sponsor_id, problem = _regency_budget(scheme, sponsors)
        return sponsor_id, line["id"], "budget_line", problem
    if raw.get("sponsor") is not None:
        named = sponsors.narrowed(list(sponsors.by_name.get(normalize_name(_text(raw["sponsor"])), ())), scheme)
        if len(named) == 1:
            return named[0]["id"], None, "sponsor", None
        if not named:
            return None, None, "sponsor", f"Penyandang dana \"{_text(raw['sponsor'])}\" tidak ditemukan."
        return None, None, "sponsor", _ambiguous(raw["sponsor"], named, db, nip=any(s["type"] == "asn" for s in named))
    if raw.get("sponsor_village") is not None:
        try:
            village = regency.village(_text(raw["sponsor_village"]), _text(raw.get("district")))
        except ValueError as exc:
            return None, None, "sponsor_village", sentence(str(exc))
        governments = sponsors.narrowed(sponsors.governments.get(village, []), scheme)
        name = regency.village_names[village]
        if not governments:
            return None, None, "sponsor_village", f"Pemerintah desa {name} belum terdaftar sebagai penyandang dana."
        if len(governments) > 1:
            return None, None, "sponsor_village", (
                f"Ada {len(governments)} pemerintah desa {name} terdaftar sebagai penyandang dana. Isi kolom "
                "\"ID penyandang dana\" dengan nomornya dari halaman Penyandang dana.")
        return governments[0]["id"], None, "sponsor_village", None
    if scheme.sponsor_types == ("apbd_kabupaten",):
        sponsor_id, problem = _regency_budget(scheme, sponsors)
        return sponsor_id, None, "scheme", problem
    return None, None, "nip", ("Penyandang dana tidak diisi: isi NIP, nama penyandang dana, ID penyandang dana, desa "
                               "(pemerintah desa) atau pos anggaran.")


def _in_regency(sponsor: dict, regency: str) -> bool:
    region = sponsor.get("village_code") or sponsor.get("regency_code")
    return not region or region == regency or region.startswith(regency + ".")


def _regency_budget(scheme, sponsors: SponsorIndex) -> tuple[int | None, str | None]:
    found = sponsors.regency_budgets.get(scheme.regency_code, [])
    if len(found) == 1:
        return found[0]["id"], None
    return None, (f"Penyandang dana APBD kabupaten skema {scheme.name} "
                  + ("belum terdaftar." if not found else "lebih dari satu; isi kolom penyandang dana."))
