"""GN Lingkaran (Kendal), a scheme declared in TOML only: companies and individuals donate the
Rp 16.800 a month of the vulnerable workers they choose."""

import datetime as dt

import pytest

from db.scope import EVERYTHING
from payung.finance import bills
from payung.auth.access import Actor
from payung.schemes.data import DataReader
from payung.finance.payments import record_payment

from conftest import rules_of

CODE = "gn_lingkaran"
VILLAGE = "33.24.01.2001"
FIELDS = {"channel": "langsung", "pledge": 5}
TODAY = dt.date(2025, 3, 5)


@pytest.fixture
def donor(people):
    return people.sponsor("perorangan")


def test_gn_lingkaran_is_declared_in_toml(people):
    assert people.app.plugins.plugin_of(CODE) == "gn_lingkaran"
    assert next(s for s in people.app.plugins.statuses if s.name == "gn_lingkaran").source.endswith(".toml")


def test_donor_covers_a_chosen_market_trader(people, donor):
    assert people.enrol(CODE, donor, people.worker(VILLAGE, "pedagang_pasar"), fields=FIELDS, months=6)


def test_gn_lingkaran_refuses_worker_living_elsewhere(people, donor):
    problems = people.refused(CODE, donor, people.worker("33.27.01.2001"), fields=FIELDS)
    assert rules_of(problems) == ["worker_lives_in_regency"] and "Kabupaten Kendal" in problems[0].message


def test_gn_lingkaran_refuses_occupation_not_vulnerable(people, donor):
    problems = people.refused(CODE, donor, people.worker(VILLAGE, "aparatur_desa"), fields=FIELDS)
    assert rules_of(problems) == ["worker_occupation_in"]


def test_gn_lingkaran_refuses_income_above_its_limit(people, donor):
    problems = people.refused(CODE, donor, people.worker(VILLAGE, declared_income=2_500_000), fields=FIELDS)
    assert rules_of(problems) == ["worker_income_at_most"]
    assert problems[0].message == ("Penghasilan Pekerja 2 yang dilaporkan Rp 2.500.000 sebulan, di atas batas skema "
                                   "ini Rp 2.000.000.")


def test_gn_lingkaran_donor_keeps_to_the_pledge(people, donor):
    people.enrol(CODE, donor, people.worker(VILLAGE), fields=FIELDS | {"pledge": 1})
    problems = people.refused(CODE, donor, people.worker(VILLAGE), fields=FIELDS | {"pledge": 1})
    assert rules_of(problems) == ["sponsor_limit"] and "janji donatur (1)" in problems[0].message


def test_gn_lingkaran_csr_only_from_companies(people, donor):
    problems = people.refused(CODE, donor, people.worker(VILLAGE), fields=FIELDS | {"channel": "csr"})
    assert rules_of(problems) == ["sponsor_type_in"]
    assert people.enrol(CODE, people.sponsor("perusahaan"), people.worker(VILLAGE), fields=FIELDS | {"channel": "csr"})


def test_gn_lingkaran_refuses_a_village_government_and_other_lengths(people):
    village = people.sponsor("pemerintah_desa", village_code=VILLAGE)
    assert rules_of(people.refused(CODE, village, people.worker(VILLAGE), fields=FIELDS)) == ["sponsor_type_in"]
    problems = people.refused(CODE, people.sponsor("perusahaan"), people.worker(VILLAGE), fields=FIELDS, months=4)
    assert [p.field for p in problems] == ["months"]


def test_gn_lingkaran_bill_payment_and_dashboard(people, donor):
    system = Actor.system()
    for _ in range(2):
        people.enrol(CODE, donor, people.worker(VILLAGE, "nelayan"), fields=FIELDS, start="2025-01", months=12)
    bill = bills.bill(people.db, people.app.plugins, scheme_code=CODE, party_key=str(donor), from_month="2025-01",
                      to_month="2025-03", today=TODAY, actor=system)
    assert bill.total == 2 * 3 * 16_800 and bill.party.kind == "sponsor"
    record_payment(people.db, people.app.plugins, scheme_code=CODE, party_key=str(donor), amount=bill.total,
                   from_month="2025-01", to_month="2025-03", paid_on=TODAY, actor=system, today=TODAY)
    paid = bills.bill(people.db, people.app.plugins, scheme_code=CODE, party_key=str(donor), from_month="2025-01",
                      to_month="2025-03", today=TODAY, actor=system)
    assert paid.open == 0
    scheme = people.app.plugins.scheme(CODE)
    panels = {p.title: p for p in people.app.plugins.panels(scheme, DataReader(people.db, EVERYTHING), "2025-03")}
    assert panels["Penyandang dana menurut jumlah pekerja, Maret 2025"].rows[0]["workers"] == 2
    assert panels["Kemajuan menuju target"].rows == [
        {"label": "Pekerja rentan yang didonasikan", "value": 2, "target": 1000}]
    assert sum(r["workers"] for r in panels["Pekerja per kecamatan, Maret 2025"].rows) == 2


def test_the_standard_panels_count_the_month_they_name(people, donor):
    """The standard panels counted every sponsorship ever registered: a worker whose months ended in
    2024 and one renewed (two sponsorships) were counted in 2025's panels, and the target's twice."""
    renewed, ended = people.worker(VILLAGE, "nelayan"), people.worker(VILLAGE, "nelayan")
    people.enrol(CODE, donor, ended, fields=FIELDS, start="2024-01", months=6)
    people.enrol(CODE, donor, renewed, fields=FIELDS, start="2024-07", months=6)
    people.enrol(CODE, donor, renewed, fields=FIELDS, start="2025-01", months=12)
    scheme = people.app.plugins.scheme(CODE)
    panels = {p.title: p for p in people.app.plugins.panels(scheme, DataReader(people.db, EVERYTHING), "2025-03")}
    assert panels["Penyandang dana menurut jumlah pekerja, Maret 2025"].rows[0]["workers"] == 1
    assert "Maret 2025" in panels["Penyandang dana menurut jumlah pekerja, Maret 2025"].caption
    assert sum(r["workers"] for r in panels["Pekerja per kecamatan, Maret 2025"].rows) == 1
    assert panels["Kemajuan menuju target"].rows[0]["value"] == 1
    assert "Maret 2025" in panels["Kemajuan menuju target"].caption


def test_demo_fills_the_toml_scheme(site):
    import db as database
    conn = database.open_database(site["db_path"])
    live = conn.execute("SELECT COUNT(*) FROM sponsorships WHERE scheme_code = ?", [CODE]).fetchone()[0]
    assert live > 0
