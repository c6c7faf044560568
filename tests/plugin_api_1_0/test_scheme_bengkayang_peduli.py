"""Gerakan Bengkayang Peduli Pekerja Rentan: foster parents pay for the workers they pledged."""

import pytest

from conftest import rules_of
from payung.errors import ValidationError
from payung.plugin import DataReader
from payung.sponsorships import enrol

CODE = "bengkayang_peduli"
VILLAGE = "61.07.01.2001"           # Sungai Duri, Kecamatan Sungai Raya
SAMBAS = "61.01.01.2001"            # Dalam Kaum, Kabupaten Sambas
FIELDS = {"pledge": 2, "pillar": "masyarakat"}


@pytest.fixture
def foster_parent(people):
    return people.sponsor("perorangan")


def test_foster_parent_covers_a_farmer_of_bengkayang(people, foster_parent):
    assert people.enrol(CODE, foster_parent, people.worker(VILLAGE, "petani"), fields=FIELDS)


def test_refuses_a_worker_living_in_sambas(people, foster_parent):
    problems = people.refused(CODE, foster_parent, people.worker(SAMBAS), fields=FIELDS)
    assert rules_of(problems) == ["worker_lives_in_regency"]


def test_refuses_an_occupation_the_scheme_does_not_cover(people, foster_parent):
    problems = people.refused(CODE, foster_parent, people.worker(VILLAGE, "peternak"), fields=FIELDS)
    assert rules_of(problems) == ["worker_occupation_in"]


def test_refuses_a_village_government_as_foster_parent(people):
    village = people.sponsor("pemerintah_desa", village_code=VILLAGE)
    problems = people.refused(CODE, village, people.worker(VILLAGE), fields=FIELDS)
    assert rules_of(problems) == ["sponsor_type_in"]


def test_foster_parent_takes_no_more_workers_than_pledged(people, foster_parent):
    for _ in range(2):
        people.enrol(CODE, foster_parent, people.worker(VILLAGE), fields=FIELDS)
    problems = people.refused(CODE, foster_parent, people.worker(VILLAGE), fields=FIELDS)
    assert rules_of(problems) == ["pledge_kept"] and "2 pekerja" in problems[0].message


def test_refuses_a_wage_earner(people, foster_parent):
    worker = people.worker(VILLAGE, wage_earner=True)
    with pytest.raises(ValidationError) as refused:
        enrol(people.db, people.app.plugins, actor=people.actor, scheme_code=CODE, sponsor_id=foster_parent,
              worker_id=worker, start_month="2025-01", fields=FIELDS)
    assert refused.value.problems[0].rule == "worker_not_wage_earner"


def test_target_comes_from_config(people):
    assert people.app.plugins.scheme(CODE).targets[0].value == 5000


def test_panel_counts_the_workers_of_each_foster_parent(people, foster_parent):
    people.enrol(CODE, foster_parent, people.worker(VILLAGE), fields=FIELDS)
    people.enrol(CODE, foster_parent, people.worker(VILLAGE, "nelayan"), fields=FIELDS)
    scheme = people.app.plugins.scheme(CODE)
    panels = people.app.plugins.panels(scheme, DataReader(people.db), "2025-01")
    assert panels[0].rows == [{"label": "Pekerja ditanggung", "value": 2}]
    assert [row["Pekerja"] for row in panels[1].rows] == [2]
