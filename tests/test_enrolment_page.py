"""The enrolment page (Kepesertaan): the worker picker searches every worker, only the start
months a scheme allows are offered, and "select all" counts, costs and previews through the bulk
planner, then saves."""

import db as database
from payung.auth.access import Actor
from payung.finance.budgets import create_budget_line
from payung.base.months import add_months, current_month
from payung.people.workers import create_worker

from test_pages import open_db, run, texts

VILLAGE = "61.02.01.2001"


def _setup(site):
    app, system = site["app"], Actor.system()
    with database.open_database(site["db_path"]) as db:
        gov = db.execute("SELECT id FROM sponsors WHERE type = 'pemerintah_desa' AND village_code = ?",
                         [VILLAGE]).fetchone()
        if gov is None:
            from payung.people.sponsors import create_sponsor
            gov = (create_sponsor(db, app.settings, {"type": "pemerintah_desa", "name": "Pemdes Uji",
                                                     "village_code": VILLAGE}, actor=system),)
        for n, occupation in enumerate(("nelayan", "petani", "peternak")):
            create_worker(db, app.settings, {
                "nik": f"610201170875{9000 + n}", "name": f"Calon {n}", "birth_date": "1975-08-17", "gender": "L",
                "village_code": VILLAGE, "occupation": occupation, "declared_income": 1_000_000}, actor=system)
        start = add_months(current_month(), 12)  # past whatever the demo data covers
        for year in (int(start[:4]), int(start[:4]) + 1):
            create_budget_line(db, app.plugins, {"scheme_code": "mempawah_1desa100", "year": year, "source": "APBDes",
                                                 "name": f"APBDes {year}", "amount": 10_000_000}, actor=system)
        workers = [r[0] for r in db.execute("SELECT id FROM workers WHERE nik LIKE '6102011708759%' ORDER BY id")]
        before = db.execute("SELECT COUNT(*) FROM sponsorships").fetchone()[0]
    at = run("admin", "pages/kepesertaan.py")
    at.selectbox(key="k_scheme").set_value("mempawah_1desa100").run()
    at.selectbox(key="k_sponsor_mempawah_1desa100").set_value(gov[0]).run()
    at.selectbox(key="k_start").set_value(start).run()
    at.number_input(key="k_field_mempawah_1desa100_budget_year").set_value(int(start[:4])).run()
    at.text_input(key="k_field_mempawah_1desa100_apbdes_ref").set_value("RKPDes No. 1").run()
    return at, before, workers


def test_workers_chosen_together_count_against_the_village_quota(site):
    at, before, workers = _setup(site)
    at.number_input(key="k_field_mempawah_1desa100_village_quota").set_value(1).run()
    at.multiselect(key="k_workers").set_value(workers[:2]).run()
    next(b for b in at.button if b.label == "Periksa").click().run()
    assert any("sudah penuh: 1 dari 1 pekerja" in e.value for e in at.error), [e.value for e in at.error]


def preview_all_of_village(at) -> None:
    """Kepesertaan's "semua" mode: every eligible worker of VILLAGE, counted and previewed."""
    at.radio(key="k_mode").set_value("semua").run()
    at.selectbox(key="k_all_district").set_value(VILLAGE[:8]).run()
    at.selectbox(key="k_all_village").set_value(VILLAGE).run()
    next(b for b in at.button if b.label == "Hitung dan pratinjau").click().run()


def test_select_all_eligible_workers_of_a_village(site):
    at, before, workers = _setup(site)
    preview_all_of_village(at)
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    eligible = int(metrics["Memenuhi syarat"].replace(".", ""))
    assert eligible >= 2  # the fisherman and the farmer; the breeder is refused by the scheme
    assert metrics["Biaya per bulan"] == f"Rp{eligible * 16_800:,}".replace(",", ".")
    assert "worker_occupation_in" in [r for r in at.dataframe[-1].value["Aturan"]]
    next(b for b in at.button if b.label == f"Simpan {eligible} kepesertaan").click().run()
    assert f"{eligible} kepesertaan tersimpan" in texts(at)
    with database.open_database(site["db_path"]) as db:
        assert db.execute("SELECT COUNT(*) FROM sponsorships").fetchone()[0] == before + eligible



def test_a_sponsor_beyond_the_first_page_of_choices_can_be_found_and_chosen(site):
    """Rule: a regency with thousands of sponsors (Kendal's ASN): the enrolment page finds any of
    them by typing, and a sponsor sent from its own page is chosen even when it is not among the
    first choices; never an error."""
    from payung.people.sponsors import create_sponsor
    app, system = site["app"], Actor.system()
    with database.open_database(site["db_path"]) as db:
        ids = [create_sponsor(db, app.settings, {"type": "perorangan", "name": f"AAA Donatur {n:03d}",
                                                 "regency_code": "61.02"}, actor=system) for n in range(205)]
    last = ids[-1]
    at = run("admin", "pages/kepesertaan.py", state={"enrol_sponsor_id": last})
    at.selectbox(key="k_scheme").set_value("mempawah_1desa100").run()
    # Mempawah takes village governments only: the donors are not offered at all.
    assert not at.exception
    assert not any("AAA Donatur" in o for o in at.selectbox(key="k_sponsor_mempawah_1desa100").options)
    at = run("admin", "pages/kepesertaan.py")
    at.selectbox(key="k_scheme").set_value("pemalang_mesra").run()
    assert not at.exception
    with database.open_database(site["db_path"]) as db:
        kendal = [create_sponsor(db, app.settings, {"type": "perorangan", "name": f"AAA Donatur Kendal {n:03d}",
                                                    "regency_code": "33.24"}, actor=system) for n in range(205)]
    # Opened on a scheme that does not take donors (the first scheme listed may, whichever the
    # regency installed), the sent donor waits for the scheme chosen next.
    at = run("admin", "pages/kepesertaan.py", state={"enrol_sponsor_id": kendal[-1], "k_scheme": "mempawah_1desa100"})
    at.selectbox(key="k_scheme").set_value("gn_lingkaran").run()
    assert not at.exception, at.exception
    box = at.selectbox(key="k_sponsor_gn_lingkaran")
    assert box.value == kendal[-1]
    assert any("Menampilkan 200 dari" in c.value for c in at.caption)
    # Kendal's donors come first for a Kendal scheme, before Mempawah's of the same names.
    assert all("Donatur Kendal" in o for o in box.options[:200])
    at.text_input(key="k_sponsor_q_gn_lingkaran").set_value("Donatur Kendal 203").run()
    box = at.selectbox(key="k_sponsor_gn_lingkaran")
    assert "AAA Donatur Kendal 203 (Perorangan)" in box.options and not at.exception
    box.set_value(kendal[203]).run()
    assert at.selectbox(key="k_sponsor_gn_lingkaran").value == kendal[203]


def test_the_worker_picker_searches_a_typed_name_among_all_workers(site):
    """The picker holds the first 200 eligible workers and found nothing typed until the search
    box above it was used: a name typed in it and entered becomes the search, and the one worker
    it finds is picked."""
    import pytest

    from payung.auth.access import Actor
    from payung.enrolment.sponsorships import eligible_workers
    app = site["app"]
    with open_db(site) as db:
        for code in app.plugins.schemes:
            every = eligible_workers(db, app.plugins, scheme_code=code, sponsor=None, start_month=__import__(
                "payung.base.months", fromlist=["current_month"]).current_month(), months=12, actor=Actor("admin", "admin"),
                limit=100_000)
            names = [w["name"] for w in every]
            last = next((w for w in reversed(every) if names.count(w["name"]) == 1), None)
            if len(every) > 30 and last:
                break
        else:
            pytest.skip("no scheme with enough eligible workers in the demo data")
    at = run("admin", "pages/kepesertaan.py", state={"k_scheme": code})
    picker = at.multiselect(key="k_workers")
    assert picker.proto.accept_new_options if hasattr(picker.proto, "accept_new_options") else True
    picker.set_value([last["name"]]).run()
    assert at.text_input(key="k_search").value == last["name"]
    assert at.multiselect(key="k_workers").value == [last["id"]]
    assert not at.exception


def test_start_months_before_the_scheme_began_are_not_offered():
    """The list offered months before the scheme started, which Periksa then refused."""
    import datetime as dt
    from types import SimpleNamespace

    from payung.base.config import Limits
    from payung.enrolment.sponsorships import _start_out_of_range, start_months
    settings = SimpleNamespace(limits=Limits())
    today = dt.date(2026, 12, 5)
    new = SimpleNamespace(started="2027-02-01", name="Skema baru")
    offered = start_months(new, settings, today=today)
    assert offered[0] == "2027-02" and offered[-1] == "2027-12"
    old = SimpleNamespace(started="2022-12-07", name="Skema lama")
    assert start_months(old, settings, today=today)[0] == "2026-06"
    assert not [m for scheme in (new, old) for m in start_months(scheme, settings, today=today)
                if _start_out_of_range(scheme, settings, m)]
