"""Mesra dengan Mansur (Pemalang): foster parents, pillars, DBHCHT for ages 55-65, pledges."""

import datetime as dt

import pytest

from conftest import rules_of

CODE = "pemalang_mesra"
VILLAGE = "33.27.01.2001"
FIELDS = {"sponsor_category": "perorangan", "pledge": 5, "pillar": "masyarakat"}


@pytest.fixture
def parent(people):
    return people.sponsor("perorangan")


def test_foster_parent_adopts_a_vulnerable_worker(people, parent):
    assert people.enrol(CODE, parent, people.worker(VILLAGE, "nelayan"), fields=FIELDS, months=6)


def test_pemalang_refuses_worker_living_elsewhere(people, parent):
    problems = people.refused(CODE, parent, people.worker("33.24.01.2001"), fields=FIELDS)
    assert rules_of(problems) == ["worker_lives_in_regency"] and "Kabupaten Pemalang" in problems[0].message


def test_pemalang_refuses_occupation_not_eligible(people, parent):
    problems = people.refused(CODE, parent, people.worker(VILLAGE, "tenaga_non_asn"), fields=FIELDS)
    assert rules_of(problems) == ["worker_occupation_in"] and "Tenaga non-ASN" in problems[0].message


def test_pemalang_refuses_wage_earner(people, parent):
    problems = people.refused(CODE, parent, people.worker(VILLAGE, wage_earner=True), fields=FIELDS)
    assert rules_of(problems) == ["worker_not_wage_earner"] and "penerima upah" in problems[0].message


def test_pemalang_commitment_is_6_or_12_months(people, parent):
    problems = people.refused(CODE, parent, people.worker(VILLAGE), fields=FIELDS, months=3)
    assert rules_of(problems) == ["months_in"] and "12 atau 6 bulan" in problems[0].message


def test_dbhcht_pays_only_for_workers_aged_55_to_65(people, parent):
    young = people.worker(VILLAGE, born=dt.date(1985, 1, 1))
    problems = people.refused(CODE, parent, young, fields=FIELDS | {"pillar": "dbhcht"})
    assert rules_of(problems) == ["worker_age_between"] and "55 sampai 65" in problems[0].message
    older = people.worker(VILLAGE, born=dt.date(1965, 1, 1))
    assert people.enrol(CODE, parent, older, fields=FIELDS | {"pillar": "dbhcht"})


def test_foster_parent_cannot_adopt_more_than_pledged(people, parent):
    pledge = FIELDS | {"pledge": 1}
    people.enrol(CODE, parent, people.worker(VILLAGE), fields=pledge)
    problems = people.refused(CODE, parent, people.worker(VILLAGE), fields=pledge)
    assert rules_of(problems) == ["sponsor_limit"] and "janji orang tua asuh (1)" in problems[0].message


def test_pemalang_refuses_a_village_budget_as_foster_parent(people):
    village = people.sponsor("pemerintah_desa", village_code=VILLAGE)
    problems = people.refused(CODE, village, people.worker(VILLAGE), fields=FIELDS)
    assert rules_of(problems) == ["sponsor_type_in"]


def test_pemalang_requires_its_fields(people, parent):
    problems = people.refused(CODE, parent, people.worker(VILLAGE), fields={})
    assert {p.field for p in problems} == {"sponsor_category", "pledge", "pillar"}


def test_the_waiting_list_names_the_month_and_the_place_it_counts(people):
    """The waiting list's caption said "di Pemalang ... bulan ini" whatever month, kecamatan or
    desa the Beranda showed (its number followed them): it names them."""
    from db import queries
    from payung.schemes.data import reader_for
    elsewhere = next(v for v in people.villages("33.27") if not v.startswith(VILLAGE[:8] + "."))
    for village in (VILLAGE, elsewhere):
        people.worker(village, "nelayan")
    scheme = people.app.plugins.scheme(CODE)

    def waiting(**place) -> tuple[int, str]:
        reader = reader_for(people.db, actor=people.actor, **place)
        [panel] = [p for p in people.app.plugins.panels(scheme, reader, "2025-03") if p.title == "Daftar tunggu"]
        return panel.rows[0]["value"], panel.caption

    value, caption = waiting()
    assert value == 2 and "di Kabupaten Pemalang" in caption and "pada Maret 2025" in caption, caption
    assert "bulan ini" not in caption
    district, village = queries.region(people.db, VILLAGE[:8]), queries.region(people.db, VILLAGE)
    value, caption = waiting(district=VILLAGE[:8])
    assert value == 1 and f"di Kecamatan {district['name']} " in caption and "Pemalang" not in caption, caption
    value, caption = waiting(district=VILLAGE[:8], village=VILLAGE)
    assert value == 1 and f"di {village['kind'].capitalize()} {village['name']} " in caption, caption


def test_the_waiting_list_counts_the_occupations_the_scheme_takes(people, scheme_settings):
    """"Memenuhi syarat" counted every informal occupation, whatever [schemes.pemalang_mesra]
    occupations the regency configured."""
    from payung.plugin import DataReader
    scheme = scheme_settings(CODE, occupations=["petani"])
    people.worker(VILLAGE, "petani")
    people.worker(VILLAGE, "nelayan")
    [panel] = [p for p in people.app.plugins.panels(scheme, DataReader.unscoped(people.db), "2025-03")
               if p.title == "Daftar tunggu"]
    assert panel.rows[0]["value"] == 1


def test_the_foster_parents_panels_count_the_month_they_name(people, parent):
    """The ranking and the bars per kecamatan counted every sponsorship ever registered (a worker
    whose months had ended long ago still counted): they count the month shown, and name it."""
    from payung.plugin import DataReader
    people.enrol(CODE, parent, people.worker(VILLAGE, "nelayan"), fields=FIELDS, start="2024-01", months=6)
    people.enrol(CODE, parent, people.worker(VILLAGE, "nelayan"), fields=FIELDS, start="2025-01", months=6)
    scheme = people.app.plugins.scheme(CODE)
    panels = {p.title: p for p in people.app.plugins.panels(scheme, DataReader.unscoped(people.db), "2025-03")}
    assert panels["Orang tua asuh menurut jumlah pekerja asuh, Maret 2025"].rows[0]["workers"] == 1
    assert sum(r["workers"] for r in panels["Pekerja asuh per kecamatan, Maret 2025"].rows) == 1
