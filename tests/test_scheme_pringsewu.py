"""Universal Coverage Jamsostek (Pringsewu): categories paid by the regency budget."""

import pytest

from conftest import rules_of

CODE = "pringsewu_uc"
PEKON = "18.10.01.2006"
OTHER_PEKON = "18.10.01.2007"


@pytest.fixture
def apbd(people):
    return people.sponsor("apbd_kabupaten", regency_code="18.10")


def test_extremely_poor_worker_with_poverty_flag_is_covered(people, apbd):
    worker = people.worker(PEKON, poverty_source="P3KE")
    assert people.enrol(CODE, apbd, worker, fields={"budget_year": 2025, "category": "miskin_ekstrem"})


def test_pringsewu_refuses_extremely_poor_category_without_poverty_flag(people, apbd):
    problems = people.refused(CODE, apbd, people.worker(PEKON),
                              fields={"budget_year": 2025, "category": "miskin_ekstrem"})
    assert rules_of(problems) == ["worker_has_poverty_flag"] and "DTKS/P3KE" in problems[0].message


def test_rt_head_needs_pekon_rw_and_rt(people, apbd):
    problems = people.refused(CODE, apbd, people.worker(PEKON, "ketua_rt"),
                              fields={"budget_year": 2025, "category": "ketua_rt"})
    assert rules_of(problems) == ["field_required"] * 3
    assert {p.field for p in problems} == {"pekon", "rw", "rt"}


def test_pringsewu_refuses_a_second_head_for_the_same_rt(people, apbd):
    rt = {"budget_year": 2025, "category": "ketua_rt", "pekon": PEKON, "rw": "002", "rt": "005"}
    assert people.enrol(CODE, apbd, people.worker(PEKON, "ketua_rt"), fields=rt)
    problems = people.refused(CODE, apbd, people.worker(PEKON, "ketua_rt"), fields=rt)
    assert rules_of(problems) == ["unique_among_live"] and "RT yang sama" in problems[0].message
    assert people.enrol(CODE, apbd, people.worker(PEKON, "ketua_rt"), fields=rt | {"rt": "006"})


def test_pringsewu_takes_the_next_head_of_an_rt_once_the_last_ones_months_have_ended(people, apbd):
    """A head replaced mid-year: the first half's sponsorship, ended (its status still "aktif"),
    does not keep the RT's one place for the second half; a head for the first half still clashes."""
    rt = {"budget_year": 2025, "category": "ketua_rt", "pekon": PEKON, "rw": "002", "rt": "005"}
    people.enrol(CODE, apbd, people.worker(PEKON, "ketua_rt"), months=6, fields=rt)  # 2025-01..2025-06
    people.db.execute("UPDATE sponsorships SET status = 'aktif'")
    problems = people.refused(CODE, apbd, people.worker(PEKON, "ketua_rt"), start="2025-06", months=6, fields=rt)
    assert rules_of(problems) == ["unique_among_live"]
    assert people.enrol(CODE, apbd, people.worker(PEKON, "ketua_rt"), start="2025-07", months=6, fields=rt)


def test_rt_head_lives_in_the_pekon(people, apbd):
    problems = people.refused(CODE, apbd, people.worker(OTHER_PEKON, "ketua_rt"),
                              fields={"budget_year": 2025, "category": "ketua_rt", "pekon": PEKON, "rw": "1", "rt": "1"})
    assert rules_of(problems) == ["lives_in_pekon"]


def test_bhp_member_needs_a_position(people, apbd):
    problems = people.refused(CODE, apbd, people.worker(PEKON, "anggota_bhp"),
                              fields={"budget_year": 2025, "category": "anggota_bhp"})
    assert rules_of(problems) == ["field_required"] and "Jabatan di BHP" in problems[0].message


def test_election_officer_is_covered_only_within_the_term(people, apbd):
    term = {"budget_year": 2024, "category": "petugas_pemilu", "election_role": "KPPS",
            "term_start": "2024-09-01", "term_end": "2024-12-31"}
    problems = people.refused(CODE, apbd, people.worker(PEKON, "petugas_pemilu"), start="2024-09", months=6,
                              fields=term)
    assert rules_of(problems) == ["months_within"] and "masa tugas" in problems[0].message
    assert people.enrol(CODE, apbd, people.worker(PEKON, "petugas_pemilu"), start="2024-09", months=4, fields=term)


def test_pringsewu_only_accepts_the_regency_budget(people):
    problems = people.refused(CODE, people.sponsor("perorangan"), people.worker(PEKON, poverty_source="DTKS"),
                              fields={"budget_year": 2025, "category": "miskin_ekstrem"})
    assert rules_of(problems) == ["sponsor_type_in"]


def test_pringsewu_targets_come_from_the_article(schemes_app):
    targets = {t.key: t.value for t in schemes_app.plugins.scheme(CODE).targets}
    assert targets == {"miskin_ekstrem": 3615, "ketua_rt": 1590, "petugas_pemilu": 5254}


def test_the_panel_of_a_kecamatan_names_it(people, apbd):
    """With a kecamatan chosen on the Beranda the panel read "di wilayah Anda", to an office user
    whose area is the regency: it names the kecamatan its figures are of."""
    from db import queries
    from payung.schemes.data import reader_for
    people.enrol(CODE, apbd, people.worker(PEKON, poverty_source="P3KE"),
                 fields={"budget_year": 2025, "category": "miskin_ekstrem"})
    scheme = people.app.plugins.scheme(CODE)
    reader = reader_for(people.db, actor=people.actor, district=PEKON[:8])
    [panel] = people.app.plugins.panels(scheme, reader, "2025-03")
    assert panel.title == f"Kepesertaan per kategori di Kecamatan {queries.region(people.db, PEKON[:8])['name']}, " \
                          "Maret 2025"
    assert {"category": "Pekerja rentan miskin ekstrem", "workers": 1} in panel.rows


def test_the_panel_counts_the_month_shown_and_names_it(people, apbd):
    """The panel counted every sponsorship ever registered (a worker covered in 2023 counted toward
    2025's target): it counts those running in the month shown, and names it and the place."""
    from payung.schemes.data import reader_for
    people.enrol(CODE, apbd, people.worker(PEKON, poverty_source="P3KE"), start="2024-01", months=12,
                 fields={"budget_year": 2024, "category": "miskin_ekstrem"})
    people.enrol(CODE, apbd, people.worker(PEKON, poverty_source="P3KE"), start="2025-01", months=12,
                 fields={"budget_year": 2025, "category": "miskin_ekstrem"})
    scheme = people.app.plugins.scheme(CODE)
    reader = reader_for(people.db, actor=people.actor)
    covered = people.app.plugins.panels(scheme, reader, "2025-03")[0]
    assert covered.title == "Kepesertaan per kategori di Kabupaten Pringsewu, Maret 2025, dibanding target"
    assert {"label": "Pekerja rentan miskin ekstrem", "value": 1, "target": 3615} in covered.rows, covered.rows
    assert "Maret 2025" in covered.caption
