"""Reusable rules. A scheme lists the ones it needs in ``Scheme.rules``; a rule shared by two
schemes lives here, never copied into both plugins.

Each factory returns a ``Rule`` whose description reads as the rule in plain Indonesian.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable

from payung.base import formats
from payung.base.errors import Problem
from payung.base.occupations import label as occupation_label
from payung.schemes.model import Enrolment, Rule
from payung.base.sponsor_types import SPONSOR_TYPES

#: The rule library: factory name -> factory. A TOML scheme names its rules from here, and
#: ``payung.schemes.rule_library`` documents each one from its ``example`` and ``refusing`` case.
LIBRARY: dict[str, Callable[..., Rule]] = {}


#: What a rule parameter holds, for the forms that edit it (the Skema page's scheme editor): codes of
#: occupations or sponsor types (shown by their labels), the name of one of the scheme's fields
#: (shown by its label), a Rupiah amount, a value of such a field; anything else is as typed.
PARAMETER_KINDS = ("occupations", "sponsor_types", "field", "fields", "rupiah", "field_value", "number", "numbers",
                   "text", "choice", "programs")


def library(*, example: dict, refusing: dict, accepting: dict | None = None,
            labels: dict[str, tuple[str, str]] | None = None, choices: dict[str, dict[str, str]] | None = None):
    """Register a rule factory in ``LIBRARY``; the rules it makes remember their factory and
    arguments. ``example`` is a set of arguments; ``accepting`` (changes to the documented
    sample enrolment) passes with them and ``refusing`` is refused. ``labels``: each parameter's
    Indonesian label and kind (``PARAMETER_KINDS``), as the forms show it; ``choices``: for a
    parameter of kind ``choice``, its allowed values and their Indonesian words (the TOML loader
    refuses any other value)."""

    def register(factory):
        signature = inspect.signature(factory)

        @functools.wraps(factory)
        def make(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            params = {name: (list(value) if signature.parameters[name].kind is inspect.Parameter.VAR_POSITIONAL
                             else value) for name, value in bound.arguments.items()}
            return dataclasses.replace(factory(*args, **kwargs), library=factory.__name__, params=params)

        make.example, make.accepting, make.refusing = example, accepting or {}, refusing
        make.labels, make.choices = labels or {}, choices or {}
        LIBRARY[factory.__name__] = make
        return make

    return register


def _at_least(rule: str, name: str, value: int, low: int, words: str = "") -> None:
    """A parameter below ``low`` (a cap of 0, a negative income bound, no program): the rule would
    refuse everyone, a typing mistake the loader reports rather than a scheme that takes nobody."""
    if value < low:
        raise ValueError(f"aturan {rule}: " + (words or f"parameter {name} harus {low} atau lebih, bukan {value}"))


def _in_region(code: str | None, prefix: str) -> bool:
    return bool(code) and (code == prefix or code.startswith(prefix + "."))


@library(example={"types": ["perusahaan", "bank"]}, refusing={"sponsor": {"type": "perorangan"}},
         accepting={"sponsor": {"type": "perusahaan"}},
         labels={"types": ("Jenis penyandang dana yang boleh", "sponsor_types")})
def sponsor_type_in(*types: str) -> Rule:
    """The sponsor must be of one of ``types``."""
    labels = ", ".join(SPONSOR_TYPES[t].label for t in types)

    def check(e: Enrolment):
        if e.sponsor["type"] not in types:
            return Problem(
                "sponsor_id",
                f"Skema {e.scheme.name} hanya menerima penyandang dana jenis: {labels} "
                f"(yang dipilih: {SPONSOR_TYPES.get(e.sponsor['type']).label if e.sponsor['type'] in SPONSOR_TYPES else e.sponsor['type']}).",
            )

    return Rule("sponsor_type_in", f"Penyandang dana berjenis {labels}.", check)


@library(example={}, refusing={"worker": {"village_code": "33.27.01.2001"}})
def worker_lives_in_regency() -> Rule:
    """The worker's village must lie in the scheme's regency."""

    def check(e: Enrolment):
        if not _in_region(e.worker["village_code"], e.scheme.regency_code):
            return Problem(
                "worker_id",
                f"{e.worker['name']} berdomisili di luar {e.data.region_name(e.scheme.regency_code)}; "
                "skema ini hanya untuk warga kabupaten ini.",
            )

    return Rule("worker_lives_in_regency", "Pekerja berdomisili (desa tercatat) di kabupaten skema.", check)


@library(example={"codes": ["petani", "nelayan"]}, refusing={"worker": {"occupation": "peternak"}},
         labels={"codes": ("Pekerjaan yang boleh ditanggung", "occupations")})
def worker_occupation_in(*codes: str) -> Rule:
    """The worker's occupation must be one of ``codes``."""
    _at_least("worker_occupation_in", "codes", len(codes), 1, "pilih paling sedikit satu pekerjaan")
    names = ", ".join(occupation_label(c) for c in codes)

    def check(e: Enrolment):
        if e.worker["occupation"] not in codes:
            return Problem(
                "worker_id",
                f"Pekerjaan {e.worker['name']} ({occupation_label(e.worker['occupation'])}) tidak termasuk "
                f"pekerjaan yang dapat dibiayai skema ini: {names}.",
            )

    return Rule("worker_occupation_in", f"Pekerjaan pekerja salah satu dari: {names}.", check)


@library(example={}, refusing={"worker": {"wage_earner": True}})
def worker_not_wage_earner() -> Rule:
    """The worker is not recorded as a wage earner (BPU: informal sector only)."""
    def check(e: Enrolment):
        if e.worker.get("wage_earner"):
            return Problem(
                "worker_id",
                f"{e.worker['name']} tercatat sebagai penerima upah; skema ini hanya untuk pekerja bukan penerima upah.",
            )

    return Rule("worker_not_wage_earner", "Pekerja bukan penerima upah (sektor informal).", check)


@library(example={}, refusing={"worker": {"village_code": "33.24.01.2002"}})
def worker_in_sponsor_region() -> Rule:
    """A village government pays for workers of its own village, a district for its district,
    a regency budget for its regency."""

    def check(e: Enrolment):
        kind, sponsor, worker = e.sponsor["type"], e.sponsor, e.worker
        if kind == "pemerintah_desa":
            own, region = worker["village_code"] == sponsor.get("village_code"), sponsor.get("village_code")
        elif kind == "pemerintah_kecamatan":
            own, region = _in_region(worker["village_code"], sponsor.get("district_code") or "-"), sponsor.get("district_code")
        elif kind == "apbd_kabupaten":
            own, region = _in_region(worker["village_code"], sponsor.get("regency_code") or "-"), sponsor.get("regency_code")
        else:
            return None
        if not own:
            return Problem(
                "worker_id",
                f"{worker['name']} berdomisili di {e.data.region_name(worker['village_code'])}, di luar wilayah "
                f"penyandang dana ({e.data.region_name(region)}).",
            )

    return Rule("worker_in_sponsor_region",
                "Pemerintah desa/kecamatan/kabupaten hanya membiayai pekerja yang berdomisili di wilayahnya.", check)


@library(example={}, refusing={"sponsor": {"village_code": "33.27.01.2001"}, "worker": {"village_code": "33.27.01.2001"}})
def sponsor_in_scheme_regency() -> Rule:
    """The sponsor's village, district or regency lies in the scheme's regency."""
    def check(e: Enrolment):
        region = e.sponsor.get("village_code") or e.sponsor.get("district_code") or e.sponsor.get("regency_code")
        if region and not _in_region(region, e.scheme.regency_code):
            return Problem("sponsor_id", f"Penyandang dana {e.sponsor['name']} berada di luar "
                                         f"{e.data.region_name(e.scheme.regency_code)}.")

    return Rule("sponsor_in_scheme_regency", "Penyandang dana berada di kabupaten skema.", check)


@library(example={}, refusing={"worker": {"poverty_flag": False}})
def worker_has_poverty_flag() -> Rule:
    """The worker is registered as poor (DTKS/P3KE)."""
    def check(e: Enrolment):
        if not e.worker.get("poverty_flag"):
            return Problem("worker_id", f"{e.worker['name']} tidak tercatat miskin (DTKS/P3KE); kategori ini khusus "
                                        "pekerja rentan miskin ekstrem.")

    return Rule("worker_has_poverty_flag", "Pekerja tercatat miskin (DTKS/P3KE).", check)


@library(example={"name": "pekon", "label": "Pekon"}, refusing={"fields": {"pekon": ""}},
         accepting={"fields": {"pekon": "33.24.01.2001"}},
         labels={"name": ("Isian yang wajib diisi", "field"), "label": ("Nama isian dalam pesan", "text")})
def field_required(name: str, label: str) -> Rule:
    """A scheme field that is optional in general but needed here (use inside ``when``)."""

    def check(e: Enrolment):
        if e.fields.get(name) in (None, "", []):
            return Problem(name, f"«{label}» wajib diisi.")

    return Rule("field_required", f"«{label}» diisi.", check)


@library(example={"field": "pillar", "value": "dbhcht", "rules": [{"rule": "worker_age_between", "low": 55, "high": 65}],
                  "label": "pilar DBHCHT"},
         refusing={"fields": {"pillar": "dbhcht"}}, accepting={"fields": {"pillar": "masyarakat"}},
         labels={"field": ("Bila isian", "field"), "value": ("bernilai", "field_value"), "label": ("Sebutan kondisi ini", "text")})
def when(field: str, value, *rules: Rule, label: str = "") -> Rule:
    """Apply ``rules`` only when scheme field ``field`` has ``value`` (e.g. per category)."""
    shown = label or f"{field} = {value}"

    def check(e: Enrolment):
        if e.fields.get(field) != value:
            return None
        return [p for rule in rules for p in rule(e)]

    # "Bila ...: A; B." (each rule's own full stop would read "A.; B.").
    text = "; ".join(r.description.rstrip(".") for r in rules)
    return Rule(f"when_{field}_{value}", f"Bila {shown}: {text}.", check)


@library(example={"keys": ["pekon", "rw", "rt"], "label": "RT"}, refusing={"counted": 1},
         accepting={"fields": {"pekon": "33.24.01.2001", "rw": "001", "rt": "002"}},
         labels={"keys": ("Isian yang tidak boleh sama", "fields"), "label": ("Sebutan dalam pesan", "text")})
def unique_among_live(*keys: str, label: str) -> Rule:
    """No other live sponsorship of the scheme may have the same values of ``keys``
    (e.g. one head per RT: pekon, RW and RT)."""

    def check(e: Enrolment):
        values = {k: e.fields.get(k) for k in keys}
        if any(v in (None, "") for v in values.values()):
            return None
        if any(e.data.count_sponsorships(e.scheme.code, field_equals=values, month=m) > 0 for m in e.month_list):
            return Problem(keys[-1], f"Sudah ada kepesertaan untuk {label} yang sama "
                                     f"({', '.join(str(v) for v in values.values())}).")

    return Rule("unique_among_live", f"Hanya satu kepesertaan untuk setiap {label}.", check)


@library(example={"quota_field": "village_quota", "year_field": "budget_year"}, refusing={"counted": 100},
         accepting={"fields": {"village_quota": 100, "budget_year": 2025}},
         labels={"quota_field": ("Isian kuota desa", "field"), "year_field": ("Isian tahun anggaran", "field")})
def quota_per_village(*, quota_field: str, year_field: str) -> Rule:
    """A village may not enrol more workers in a budget year than the quota it budgeted."""

    def check(e: Enrolment):
        quota, year, village = e.fields.get(quota_field), e.fields.get(year_field), e.sponsor.get("village_code")
        if not quota or not village:
            return None
        taken = e.data.count_sponsorships(e.scheme.code, field_equals={year_field: year}, sponsor_village=village)
        if taken >= quota:
            return Problem(quota_field, f"Kuota {e.data.region_name(village)} tahun {year} sudah penuh: {taken} dari "
                                        f"{quota} pekerja. Tambah kuota di APBDes/RKPDes sebelum mendaftarkan lagi.")

    return Rule("quota_per_village", "Jumlah pekerja per desa per tahun anggaran tidak melebihi kuota desa.", check)


@library(example={"field": "pledge", "label": "janji orang tua asuh"}, refusing={"counted": 5},
         accepting={"fields": {"pledge": 5}},
         labels={"field": ("Isian jumlah janji", "field"), "label": ("Sebutan janji dalam pesan", "text")})
def sponsor_limit(field: str, label: str) -> Rule:
    """A sponsor may not take on more workers in the scheme than the number in ``field``. The
    count is the sponsor's across the scheme; a village operator is told the pledge but not
    that count (it includes workers of villages it may not see).

    The pledge itself is the user's entry, so a refusal still says "at least this many" (a
    village operator trying pledges one by one could narrow the count down)."""

    def check(e: Enrolment):
        limit = e.fields.get(field)
        if not limit:
            return None
        # The busiest of the enrolment's months: a sponsorship whose months have ended frees its place.
        taken = max(e.data.count_sponsorships(e.scheme.code, sponsor_id=e.sponsor["id"], month=m) for m in e.month_list)
        if taken >= limit:
            if not e.sees_all:
                return Problem(field, f"{e.sponsor['name']} sudah mencapai jumlah pekerja yang dijanjikan, "
                                      f"sesuai {label} ({limit}).")
            return Problem(field, f"{e.sponsor['name']} sudah menanggung {taken} pekerja, sesuai {label} ({limit}).")

    return Rule("sponsor_limit", f"Jumlah pekerja seorang penyandang dana tidak melebihi {label}.", check)


@library(example={"start_field": "term_start", "end_field": "term_end", "label": "masa tugas"},
         refusing={"fields": {"term_end": "2025-06-30"}},
         accepting={"fields": {"term_start": "2025-01-01", "term_end": "2025-12-31"}},
         labels={"start_field": ("Isian tanggal mulai", "field"), "end_field": ("Isian tanggal selesai", "field"), "label": ("Sebutan masa dalam pesan", "text")})
def months_within(start_field: str, end_field: str, label: str) -> Rule:
    """Every covered month lies within the dates in two fields (e.g. an election term)."""

    def check(e: Enrolment):
        start, end = e.fields.get(start_field), e.fields.get(end_field)
        if not start or not end:
            return None
        if end < start:
            return Problem(end_field, f"Akhir {label} tidak boleh sebelum awalnya.")
        if e.start_month < start[:7] or e.end_month > end[:7]:
            return Problem("months", f"Bulan kepesertaan ({formats.month(e.start_month)} s.d. "
                                     f"{formats.month(e.end_month)}) harus di dalam {label} "
                                     f"({formats.date(start)} s.d. {formats.date(end)}).")

    return Rule("months_within", f"Bulan kepesertaan berada di dalam {label}.", check)


@library(example={"allowed": [12, 6]}, refusing={"months": 3},
         labels={"allowed": ("Lama kepesertaan yang boleh (bulan)", "numbers")})
def months_in(*allowed: int) -> Rule:
    """The commitment must last one of ``allowed`` months."""
    text = " atau ".join(str(m) for m in allowed)

    def check(e: Enrolment):
        if e.months not in allowed:
            return Problem("months", f"Lama kepesertaan skema ini {text} bulan (yang diisi: {e.months}).")

    return Rule("months_in", f"Lama kepesertaan {text} bulan.", check)


@library(example={"low": 18, "high": 60}, refusing={"worker": {"birth_date": "1950-08-17"}},
         labels={"low": ("Umur paling muda (tahun)", "number"), "high": ("Umur paling tua (tahun)", "number"), "when": ("Hanya bila", "text")})
def worker_age_between(low: int, high: int, *, when: tuple[str, object] | None = None) -> Rule:
    """Worker aged ``low``..``high`` on the start month; with ``when=(field, value)`` only
    when that scheme field has that value."""
    if not 0 <= low <= high:
        raise ValueError(f"aturan worker_age_between: umur paling muda ({low}) harus 0 atau lebih dan tidak lebih "
                         f"dari umur paling tua ({high})")
    condition = f" bila {when[0]} = {when[1]}" if when else ""

    def check(e: Enrolment):
        if when and e.fields.get(when[0]) != when[1]:
            return None
        if not low <= e.worker_age <= high:
            return Problem(
                when[0] if when else "worker_id",
                f"Umur {e.worker['name']} pada bulan mulai {e.worker_age} tahun; harus {low} sampai {high} tahun"
                f"{condition}.",
            )

    return Rule("worker_age_between", f"Umur pekerja {low}-{high} tahun pada bulan mulai{condition}.", check)


@library(example={"limit": 2_000_000}, refusing={"worker": {"declared_income": 2_500_000}},
         labels={"limit": ("Penghasilan paling tinggi (Rp per bulan)", "rupiah")})
def worker_income_at_most(limit: int) -> Rule:
    """The worker's declared monthly income is at most ``limit`` Rupiah (e.g. far below the UMK)."""
    _at_least("worker_income_at_most", "limit", limit, 1)
    shown = f"Rp {formats.count(limit)}"

    def check(e: Enrolment):
        income = e.worker.get("declared_income") or 0
        if income > limit:
            typed = f"Rp {formats.count(income)}"
            return Problem("worker_id", f"Penghasilan {e.worker['name']} yang dilaporkan {typed} sebulan, di atas "
                                        f"batas skema ini {shown}.")

    return Rule("worker_income_at_most", f"Penghasilan pekerja yang dilaporkan paling banyak {shown} sebulan.", check)


@library(example={}, refusing={"worker": {"declared_income": 3_000_000}},
         labels={"percent": ("Persen UMK (100 = di bawah UMK)", "number")})
def worker_income_below_umk(percent: int = 100) -> Rule:
    """The worker's declared monthly income is below the UMK of the scheme's regency for the year
    of the start month (``umk``/``umk_by_year`` of config.toml), or below ``percent`` of it: the
    bound follows next year's UMK without an edit of the scheme."""
    if not 1 <= percent <= 100:
        raise ValueError(f"aturan worker_income_below_umk: parameter percent harus 1 sampai 100 (persen UMK), "
                         f"bukan {percent}")
    share = "" if percent == 100 else f"{percent}% "

    def check(e: Enrolment):
        regency = e.settings.regency(e.scheme.regency_code) if e.settings else None
        year = int(e.start_month[:4])
        umk = regency.umk_for(year) if regency else 0
        name = regency.name if regency else e.scheme.regency_code
        if not umk:
            return Problem("worker_id", f"UMK {name} tahun {year} belum diisi di konfigurasi kabupaten; "
                                        "minta administrator mengisinya sebelum mendaftarkan.")
        bound = umk * percent // 100
        income = e.worker.get("declared_income") or 0
        if income >= bound:
            return Problem("worker_id", f"Penghasilan {e.worker['name']} yang dilaporkan Rp {formats.count(income)} "
                                        f"sebulan, tidak di bawah {share}UMK {name} {year} "
                                        f"(Rp {formats.count(bound)}).")

    return Rule("worker_income_below_umk",
                f"Penghasilan pekerja yang dilaporkan di bawah {share}UMK kabupaten skema (UMK tahun bulan mulai).",
                check)


#: What a cap on workers counts: the whole scheme, each kecamatan or each desa of the workers.
CAP_PER = {"scheme": "", "district": "per kecamatan", "village": "per desa"}


@library(example={"limit": 50, "per": "district"}, refusing={"counted": 50}, accepting={"counted": 49},
         labels={"limit": ("Paling banyak (pekerja)", "number"), "per": ("Dihitung untuk", "choice")},
         choices={"per": {"scheme": "seluruh skema", "district": "setiap kecamatan", "village": "setiap desa"}})
def workers_at_most(limit: int, *, per: str = "scheme") -> Rule:
    """A hard cap on the scheme's workers (distinct workers of live sponsorships: a worker renewed
    while the old sponsorship runs counts once, and renewing a counted worker adds nobody): in all
    (``per = "scheme"``), in each kecamatan (``"district"``) or in each desa (``"village"``) of the
    workers. A list enrolment counts the rows of the list accepted before; the refusal gives the
    figures (a village operator is told the cap, not a count that includes other villages)."""
    if per not in CAP_PER:
        raise ValueError(f"per harus salah satu dari: {', '.join(CAP_PER)}")
    _at_least("workers_at_most", "limit", limit, 1)
    where = CAP_PER[per]

    def check(e: Enrolment):
        besides = e.worker.get("id")
        if per == "scheme":
            key, region = {}, f"skema {e.scheme.name}"
        elif per == "district":
            code = e.worker.get("district_code") or e.worker["village_code"].rsplit(".", 1)[0]
            key, region = {"worker_district": code}, e.data.region_name(code)
        else:
            key, region = {"worker_village": e.worker["village_code"]}, e.data.region_name(e.worker["village_code"])
        # Each month of the enrolment counts the workers covered in that month only (a sponsorship
        # whose months have ended holds no place, whatever its status); a worker the scheme already
        # covers in that month (renewed, or a second sponsor) takes no new place.
        for month in e.month_list:
            taken = e.data.count_workers(e.scheme.code, besides=besides, month=month, **key)
            if taken >= limit and not e.data.covers_worker(e.scheme.code, besides, month=month):
                if per != "village" and not e.sees_all:
                    return Problem("worker_id", f"Batas {limit} pekerja {where} sudah tercapai di {region}.")
                return Problem("worker_id", f"Batas pekerja {where + ' ' if where else ''}sudah penuh di {region}: "
                                            f"{taken} dari {limit} pekerja.")
        return None

    return Rule("workers_at_most", f"Paling banyak {formats.count(limit)} pekerja {where or 'dalam skema ini'}.",
                check)


@library(example={"programs": ["JKK", "JKM"]}, refusing={"programs": ("JKK", "JKM", "JHT")},
         labels={"programs": ("Program yang ditawarkan skema", "programs")})
def programs_in(*programs: str) -> Rule:
    """The scheme pays only for ``programs`` (e.g. JKK and JKM: JHT is not on offer)."""
    _at_least("programs_in", "programs", len(programs), 1, "pilih paling sedikit satu program")
    text = " + ".join(programs)

    def check(e: Enrolment):
        extra = [p for p in e.programs if p not in programs]
        if extra:
            return Problem("programs", f"Skema {e.scheme.name} hanya membiayai {text}; "
                                       f"{', '.join(extra)} tidak ditawarkan.")

    return Rule("programs_in", f"Program yang dibiayai hanya {text}.", check)
