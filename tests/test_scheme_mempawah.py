"""1 Desa 100 Pekerja Rentan (Mempawah): village governments pay for their own villagers."""

import pytest

from db.scope import EVERYTHING

from conftest import rules_of

CODE = "mempawah_1desa100"
VILLAGE = "61.02.01.2001"
OTHER = "61.02.01.2002"
FIELDS = {"budget_year": 2025, "apbdes_ref": "APBDes 2025 No. 3"}


@pytest.fixture
def village_gov(people):
    return people.sponsor("pemerintah_desa", village_code=VILLAGE)


def test_village_covers_its_own_fisherman(people, village_gov):
    assert people.enrol(CODE, village_gov, people.worker(VILLAGE, "nelayan"), fields=FIELDS)


def test_mempawah_refuses_worker_from_another_village(people, village_gov):
    problems = people.refused(CODE, village_gov, people.worker(OTHER), fields=FIELDS)
    assert rules_of(problems) == ["worker_in_sponsor_region"] and "di luar wilayah" in problems[0].message


def test_mempawah_refuses_occupation_not_in_the_article(people, village_gov):
    problems = people.refused(CODE, village_gov, people.worker(VILLAGE, "peternak"), fields=FIELDS)
    assert rules_of(problems) == ["worker_occupation_in"]


def test_mempawah_only_accepts_village_governments(people):
    problems = people.refused(CODE, people.sponsor("perorangan"), people.worker(VILLAGE), fields=FIELDS)
    assert rules_of(problems) == ["sponsor_type_in"] and "Pemerintah desa" in problems[0].message


def test_mempawah_refuses_a_village_of_another_regency(people):
    kendal_village = people.sponsor("pemerintah_desa", village_code="33.24.01.2001")
    problems = people.refused(CODE, kendal_village, people.worker(VILLAGE), fields=FIELDS)
    assert "sponsor_in_scheme_regency" in rules_of(problems)


def test_mempawah_refuses_enrolment_past_the_village_quota(people, village_gov):
    quota = FIELDS | {"village_quota": 2}
    for _ in range(2):
        people.enrol(CODE, village_gov, people.worker(VILLAGE), fields=quota)
    problems = people.refused(CODE, village_gov, people.worker(VILLAGE), fields=quota)
    assert rules_of(problems) == ["quota_per_village"] and "2 dari 2" in problems[0].message
    # The next budget year has its own quota.
    assert people.enrol(CODE, village_gov, people.worker(VILLAGE), start="2026-01",
                        fields=quota | {"budget_year": 2026})


def test_mempawah_quota_defaults_to_100(people, village_gov):
    sponsorship = people.enrol(CODE, village_gov, people.worker(VILLAGE), fields=FIELDS)
    from db import queries
    assert '"village_quota": 100' in queries.sponsorship(people.db, sponsorship, EVERYTHING)["fields"]


def test_mempawah_reads_its_occupations_and_quota_from_config(people, village_gov, scheme_settings):
    """[schemes.mempawah_1desa100] of config.toml, changed for this test only."""
    scheme = scheme_settings(CODE, occupations=["petani"], village_quota=7)
    assert scheme.targets[0].value == 7 and scheme.fields[2].default == 7
    problems = people.refused(CODE, village_gov, people.worker(VILLAGE, "nelayan"), fields=FIELDS)
    assert rules_of(problems) == ["worker_occupation_in"]
    assert people.enrol(CODE, village_gov, people.worker(VILLAGE, "petani"), fields=FIELDS)


def test_no_village_missing_is_said_not_no_data(people):
    """The list of the villages that have registered no worker said "Belum ada data." (no list)
    when every village of the kecamatan shown had: it says none is missing, for that budget year."""
    from collections import Counter

    from db import queries
    from payung.schemes.data import reader_for
    counts = Counter(v[:8] for v in people.villages("61.02"))
    district = min(counts, key=lambda d: (counts[d], d))  # the kecamatan of fewest villages
    villages = [v for v in people.villages("61.02") if v.startswith(district + ".")]
    for village in villages:
        people.enrol(CODE, people.sponsor("pemerintah_desa", village_code=village), people.worker(village, "nelayan"),
                     fields=FIELDS)
    scheme = people.app.plugins.scheme(CODE)

    def missing(**place):
        reader = reader_for(people.db, actor=people.actor, **place)
        return next(p for p in people.app.plugins.panels(scheme, reader, "2025-03") if p.title.startswith("Desa yang"))

    name = queries.region(people.db, district)["name"]
    panel = missing(district=district)
    assert panel.rows == [] and panel.title == f"Desa yang belum mendaftarkan pekerja di Kecamatan {name} (tahun " \
                                               "anggaran 2025)"
    assert panel.empty == (f"Tidak ada: semua {len(villages)} desa di Kecamatan {name} sudah mendaftarkan pekerja "
                           "untuk tahun anggaran 2025."), panel.empty
    one = queries.region(people.db, villages[0])
    panel = missing(district=district, village=villages[0])
    assert panel.rows == [] and panel.empty == (f"Tidak ada: {one['kind'].capitalize()} {one['name']} sudah "
                                                "mendaftarkan pekerja untuk tahun anggaran 2025.")
    # The whole regency: the other kecamatan's villages are listed; next year's list is every village.
    assert missing().rows and len(missing().rows) == len(people.villages("61.02")) - len(villages)
    panel = next(p for p in people.app.plugins.panels(scheme, reader_for(people.db, actor=people.actor,
                                                                          district=district), "2026-03")
                 if p.title.startswith("Desa yang"))
    assert len(panel.rows) == len(villages)


def test_the_progress_panel_names_its_place_budget_year_and_month(people):
    """Mempawah's panels did not name the place, the budget year and the month they count: a
    newcomer could not tell whose villages, of which year, the progress was."""
    from db import queries
    from payung.schemes.data import reader_for
    village = people.villages("61.02")[0]
    people.enrol(CODE, people.sponsor("pemerintah_desa", village_code=village), people.worker(village, "nelayan"),
                 fields=FIELDS)
    scheme = people.app.plugins.scheme(CODE)
    reader = reader_for(people.db, actor=people.actor, district=village[:8])
    progress = next(p for p in people.app.plugins.panels(scheme, reader, "2025-03") if p.kind == "progress")
    name = queries.region(people.db, village[:8])["name"]
    assert progress.title == f"Kemajuan desa di Kecamatan {name} menuju 100 pekerja (tahun anggaran 2025)"
    assert "tahun anggaran 2025" in progress.caption and "Maret 2025" in progress.caption, progress.caption
