"""Luwu Utara: the regency pays for its staff; villages and districts for their vulnerable workers."""

import pytest

from conftest import rules_of

CODE = "luwu_utara"
VILLAGE = "73.22.01.2001"
SAME_DISTRICT = "73.22.01.2002"
OTHER_DISTRICT = "73.22.02.2002"


@pytest.fixture
def apbd(people):
    return people.sponsor("apbd_kabupaten", regency_code="73.22")


def test_regency_budget_covers_village_apparatus(people, apbd):
    assert people.enrol(CODE, apbd, people.worker(VILLAGE, "aparatur_desa"),
                        fields={"category": "apbd", "budget_year": 2025})


def test_luwu_utara_regency_budget_refuses_a_farmer(people, apbd):
    problems = people.refused(CODE, apbd, people.worker(VILLAGE, "petani"),
                              fields={"category": "apbd", "budget_year": 2025})
    assert rules_of(problems) == ["worker_occupation_in"] and "Pegawai SARA" in problems[0].message


def test_village_budget_covers_its_farmer_but_not_another_villages(people):
    village = people.sponsor("pemerintah_desa", village_code=VILLAGE)
    fields = {"category": "desa", "budget_year": 2025}
    assert people.enrol(CODE, village, people.worker(VILLAGE, "peternak"), fields=fields)
    problems = people.refused(CODE, village, people.worker(SAME_DISTRICT, "petani"), fields=fields)
    assert rules_of(problems) == ["worker_in_sponsor_region"]


def test_district_budget_covers_workers_of_its_district(people):
    district = people.sponsor("pemerintah_kecamatan", district_code="73.22.01")
    fields = {"category": "desa", "budget_year": 2025}
    assert people.enrol(CODE, district, people.worker(SAME_DISTRICT, "nelayan"), fields=fields)
    problems = people.refused(CODE, district, people.worker(OTHER_DISTRICT, "nelayan"), fields=fields)
    assert rules_of(problems) == ["worker_in_sponsor_region"]


def test_village_category_refuses_the_regency_budget(people, apbd):
    problems = people.refused(CODE, apbd, people.worker(VILLAGE, "petani"), fields={"category": "desa", "budget_year": 2025})
    assert rules_of(problems) == ["sponsor_type_in"]


def test_village_budget_refuses_non_asn_staff(people):
    village = people.sponsor("pemerintah_desa", village_code=VILLAGE)
    problems = people.refused(CODE, village, people.worker(VILLAGE, "tenaga_non_asn"),
                              fields={"category": "desa", "budget_year": 2025})
    assert rules_of(problems) == ["worker_occupation_in"]


def test_the_tkpk_table_of_a_kecamatan_lists_that_kecamatan_only(people):
    """With a kecamatan chosen on the Beranda, the table per kecamatan listed every other one with
    "0 desa menganggarkan, 0 desa, 0%": it lists the kecamatan shown."""
    from db import queries
    from payung.schemes.data import reader_for
    village = people.sponsor("pemerintah_desa", village_code=VILLAGE)
    people.enrol(CODE, village, people.worker(VILLAGE, "petani"), fields={"category": "desa", "budget_year": 2025})
    scheme = people.app.plugins.scheme(CODE)
    panels = people.app.plugins.panels(scheme, reader_for(people.db, actor=people.actor, district=VILLAGE[:8]),
                                       "2025-03")
    [table] = [p for p in panels if p.kind == "table"]
    villages = len(queries.regions_in(people.db, VILLAGE[:8], 4))
    assert [(r["district"], r["budgeted"], r["villages"]) for r in table.rows] == [
        (queries.region(people.db, VILLAGE[:8])["name"], 1, villages)]
    whole = people.app.plugins.panels(scheme, reader_for(people.db, actor=people.actor), "2025-03")
    assert len([p for p in whole if p.kind == "table"][0].rows) == len(queries.regions_in(people.db, "73.22", 3))


def test_the_villages_budgeting_are_those_of_the_budget_year_shown(people):
    """A village that budgeted once counted as budgeting for ever: the panels count the budget year
    of the month shown, and name it."""
    village = people.sponsor("pemerintah_desa", village_code=VILLAGE)
    people.enrol(CODE, village, people.worker(VILLAGE, "petani"), start="2024-01",
                 fields={"category": "desa", "budget_year": 2024})
    scheme = people.app.plugins.scheme(CODE)

    def budgeting(month):
        from payung.schemes.data import reader_for
        [metric] = [p for p in people.app.plugins.panels(scheme, reader_for(people.db, actor=people.actor), month)
                    if p.kind == "metric"]
        return metric

    assert budgeting("2024-06").rows[0]["value"] == 1
    later = budgeting("2025-03")
    assert later.rows[0]["value"] == 0
    assert later.title == ("Desa di Kabupaten Luwu Utara yang sudah menganggarkan perlindungan "
                           "(tahun anggaran 2025)") and "Maret 2025" in later.caption
