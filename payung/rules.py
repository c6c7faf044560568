"""Reusable rules. A scheme lists the ones it needs in ``Scheme.rules``; a rule shared by two
schemes lives here, never copied into both plugins.

Each factory returns a ``Rule`` whose description reads as the rule in plain Indonesian.
"""

from __future__ import annotations

from .errors import Problem
from .occupations import label as occupation_label
from .schemes import Enrolment, Rule
from .sponsor_types import SPONSOR_TYPES


def _in_region(code: str | None, prefix: str) -> bool:
    return bool(code) and (code == prefix or code.startswith(prefix + "."))


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


def worker_occupation_in(*codes: str) -> Rule:
    """The worker's occupation must be one of ``codes``."""
    names = ", ".join(occupation_label(c) for c in codes)

    def check(e: Enrolment):
        if e.worker["occupation"] not in codes:
            return Problem(
                "worker_id",
                f"Pekerjaan {e.worker['name']} ({occupation_label(e.worker['occupation'])}) tidak termasuk "
                f"pekerjaan yang dapat dibiayai skema ini: {names}.",
            )

    return Rule("worker_occupation_in", f"Pekerjaan pekerja salah satu dari: {names}.", check)


def worker_not_wage_earner() -> Rule:
    def check(e: Enrolment):
        if e.worker.get("wage_earner"):
            return Problem(
                "worker_id",
                f"{e.worker['name']} tercatat sebagai penerima upah; skema ini hanya untuk pekerja bukan penerima upah.",
            )

    return Rule("worker_not_wage_earner", "Pekerja bukan penerima upah (sektor informal).", check)


def worker_in_sponsor_village() -> Rule:
    """A village government pays only for workers of its own village."""

    def check(e: Enrolment):
        if e.worker["village_code"] != e.sponsor.get("village_code"):
            return Problem(
                "worker_id",
                f"{e.worker['name']} berdomisili di {e.data.region_name(e.worker['village_code'])}, bukan di desa "
                f"penyandang dana ({e.data.region_name(e.sponsor.get('village_code'))}).",
            )

    return Rule("worker_in_sponsor_village", "Pekerja berdomisili di desa yang sama dengan desa penyandang dana.", check)


def months_in(*allowed: int) -> Rule:
    """The commitment must last one of ``allowed`` months."""
    text = " atau ".join(str(m) for m in allowed)

    def check(e: Enrolment):
        if e.months not in allowed:
            return Problem("months", f"Lama kepesertaan skema ini {text} bulan (yang diisi: {e.months}).")

    return Rule("months_in", f"Lama kepesertaan {text} bulan.", check)


def worker_age_between(low: int, high: int, *, when: tuple[str, object] | None = None) -> Rule:
    """Worker aged ``low``..``high`` on the start month; with ``when=(field, value)`` only
    when that scheme field has that value."""
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
