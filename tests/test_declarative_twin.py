"""A TOML scheme and its Python twin: Mempawah's "1 desa 100" written as TOML accepts and
refuses exactly the same enrolments as the Python plugin, with the same messages."""

import shutil

import pytest

from payung.auth.access import Actor
from payung.core import Payung
from payung.schemes.declarative import declaration_of, dumps
from payung.base.errors import ValidationError

from conftest import ROOT, People, write_config

VILLAGE = "61.02.01.2001"
OTHER = "61.02.01.2002"
TWIN = '''\
code = "mempawah_toml"
name = "Gerakan Perlindungan 1 Desa 100 Pekerja Rentan"
regency_code = "61.02"
description = "Setiap pemerintah desa di Kabupaten Mempawah menanggung iuran sampai 100 pekerja rentan desanya."
legal_basis = "Inpres 2/2021; Inpres 4/2022; Permendesa PDTT 7/2021 (SDGs Desa)"
funding_source = "APBDes / Dana Desa"
funding_code = "SD"
sponsor_types = ["pemerintah_desa"]
months = [12]
panels = ["by_village", "targets"]

[[targets]]
label = "Pekerja terlindungi per desa"
value = 100
per = "village"

[[fields]]
name = "budget_year"
label = "Tahun anggaran"
type = "year"
required = true
minimum = 2022

[[fields]]
name = "apbdes_ref"
label = "Nomor RKPDes/APBDes"
required = true

[[fields]]
name = "village_quota"
label = "Kuota desa tahun ini"
type = "integer"
default = 100
minimum = 1

[[rules]]
rule = "sponsor_in_scheme_regency"

[[rules]]
rule = "worker_in_sponsor_region"

[[rules]]
rule = "worker_occupation_in"
codes = ["petani", "nelayan", "pedagang_pasar", "takmir_marbot", "guru_tpa_tpq", "pekerja_sosial_keagamaan",
         "tukang_ojek", "tukang_sayur", "pekerja_mandiri"]

[[rules]]
rule = "quota_per_village"
quota_field = "village_quota"
year_field = "budget_year"
'''
FIELDS = {"budget_year": 2025, "apbdes_ref": "APBDes 2025 No. 3"}
#: (sponsor, worker village, occupation, fields, choices): enrolled in this order in each scheme.
CASES = [
    ("village", VILLAGE, "nelayan", FIELDS, {}),
    ("village", OTHER, "petani", FIELDS, {}),
    ("village", VILLAGE, "peternak", FIELDS, {}),
    ("person", VILLAGE, "petani", FIELDS, {}),
    ("kendal", VILLAGE, "petani", FIELDS, {}),
    ("village", VILLAGE, "petani", {}, {}),
    ("village", VILLAGE, "petani", FIELDS | {"budget_year": "dua ribu"}, {}),
    ("village", VILLAGE, "petani", FIELDS, {"months": 6}),
    ("village", VILLAGE, "petani", FIELDS | {"village_quota": 3}, {}),
    ("village", VILLAGE, "petani", FIELDS | {"village_quota": 3}, {}),
    ("village", VILLAGE, "petani", FIELDS | {"village_quota": 3}, {}),
    ("village", VILLAGE, "petani", FIELDS | {"budget_year": 2026}, {"start": "2026-01"}),
    ("village", OTHER, "peternak", {"apbdes_ref": ""}, {"months": 3}),
]


@pytest.fixture
def twins(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    shutil.copy(ROOT / "plugins" / "mempawah_1desa100.py", folder)
    (folder / "mempawah_toml.toml").write_text(TWIN, encoding="utf-8")
    app = Payung.load(write_config(tmp_path, plugins_dir=str(folder)), entry_points=False)
    assert sorted(app.plugins.schemes) == ["mempawah_1desa100", "mempawah_toml"], app.plugins.errors
    db = app.open_db()
    app.initialise(db)
    yield People(app, db, Actor("admin", "admin"))
    db.close()


def _outcomes(people, code, sponsors):
    outcomes = []
    for n, (sponsor, village, occupation, fields, choices) in enumerate(CASES):
        worker = people.worker(village, occupation, name=f"Pekerja {n}")
        try:
            people.enrol(code, sponsors[sponsor], worker, fields=fields, **choices)
            outcomes.append("diterima")
        except ValidationError as refused:
            outcomes.append([(p.field, p.message, p.rule) for p in refused.problems])
    return outcomes


def test_toml_twin_accepts_and_refuses_like_the_python_plugin(twins):
    sponsors = {"village": twins.sponsor("pemerintah_desa", village_code=VILLAGE, name="Pemdes Antibar"),
                "person": twins.sponsor("perorangan", name="Haji Slamet"),
                "kendal": twins.sponsor("pemerintah_desa", village_code="33.24.01.2001", name="Pemdes Kendal")}
    python = _outcomes(twins, "mempawah_1desa100", sponsors)
    toml = _outcomes(twins, "mempawah_toml", sponsors)
    assert toml == python
    # The cases do exercise every rule and both outcomes.
    rules = {p[2] for outcome in python if outcome != "diterima" for p in outcome}
    assert {"worker_in_sponsor_region", "worker_occupation_in", "sponsor_type_in", "sponsor_in_scheme_regency",
            "quota_per_village", "field_required", "field_invalid"} <= rules
    assert python.count("diterima") == 4


def test_python_scheme_written_as_toml_is_its_twin(twins, tmp_path):
    """A copy of the Python plugin (the scheme editor): its declaration loads and says the same rules."""
    python = twins.app.plugins.scheme("mempawah_1desa100")
    data, missing = declaration_of(python)
    # Every rule is copied; only its Python dashboard panels are replaced by standard ones.
    assert len(missing) == 1 and missing[0].startswith("panel dasbor skema asal (ditulis dalam Python)")
    data["code"] = "mempawah_salinan"
    folder = tmp_path / "salinan"
    folder.mkdir()
    (folder / "mempawah_salinan.toml").write_text(dumps(data), encoding="utf-8")
    copy = Payung.load(write_config(tmp_path, plugins_dir=str(folder)), entry_points=False).plugins.scheme(
        "mempawah_salinan")
    assert [r.description for r in copy.rules] == [r.description for r in python.rules]
    assert copy.fields == python.fields
    assert copy.describe() | {"code": "", "targets": []} == python.describe() | {"code": "", "targets": []}
