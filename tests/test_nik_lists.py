"""NIKs in lists (UU PDP): every list page shows them masked, to an administrator and a village
operator alike (a regency operator where a village operator has no access), and says so once;
the worker's own page keeps the full number, and a full NIK typed in a search still finds its
worker without being echoed back in full in the list."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from db import queries
from payung.auth.access import Actor
from payung.auth.users import add_user
from payung.base.months import add_months, current_month
from payung.enrolment.arrears import late_list
from payung.finance.bills import parties
from payung.finance.claims import record_claim
from payung.people.workers import create_worker

from conftest import PASSWORD
from test_pages import open_db, run, texts

#: A NIK in full: 16 digits that are not part of a longer number (a NIP has 18) or of a mask.
FULL = re.compile(r"(?<![\d*])\d{16}(?![\d*])")
MASKED = re.compile(r"(?<!\d)\d{4}\*{8}\d{4}(?!\d)")
NOTE = "NIK disamarkan di daftar"


def listed(at) -> str:
    """What the page lists: the cells of its tables and the options of its pickers."""
    tables = [d.value.to_csv() for d in at.dataframe]
    options = [str(o) for box in (*at.selectbox, *at.multiselect) for o in box.options]
    return "\n".join(tables + options)


def assert_masked(at) -> None:
    shown = listed(at)
    assert not FULL.findall(shown), f"full NIKs in a list: {FULL.findall(shown)[:3]}"
    assert MASKED.search(shown), "no masked NIK in the list"
    assert texts(at).count(NOTE) == 1, "the page says once why NIKs are masked"


@pytest.fixture
def busy(site):
    """The village with the most contribution lines this month, a village operator for it
    ("desa_nik"), a claim there, and the ids the pages are opened with."""
    db = open_db(site)
    month = current_month()
    line = next(iter(db.query(
        "SELECT l.village_code, l.scheme_code, l.sponsor_id, COUNT(*) AS n FROM contribution_lines l"
        " WHERE l.month = ? GROUP BY l.village_code, l.scheme_code, l.sponsor_id ORDER BY n DESC, l.village_code"
        " LIMIT 1", [month])))
    village = line["village_code"]
    worker = next(iter(db.query(
        "SELECT w.id, w.nik FROM workers w JOIN contribution_lines l ON l.worker_id = w.id"
        " WHERE l.month = ? AND l.sponsor_id = ? AND l.village_code = ? ORDER BY w.id LIMIT 1",
        [month, line["sponsor_id"], village])))
    system = Actor.system()
    add_user(db, username="desa_nik", name="Operator Desa Ramai", role="desa", password=PASSWORD, actor=system,
             villages=(village,))
    record_claim(db, {"worker_id": worker["id"], "program": "JKM", "incident_date": dt.date.fromisoformat(month + "-01"),
                      "status": "diajukan", "benefit_amount": 0}, actor=system)
    free = f"{village[:8].replace('.', '')}1708759001"  # a worker no sponsorship covers yet
    create_worker(db, site["app"].settings, {"nik": free, "name": "Calon Peserta", "birth_date": "1975-08-17",
                                             "gender": "L", "village_code": village, "occupation": "petani",
                                             "declared_income": 1_000_000}, actor=system)
    desa = Actor("desa_nik", "desa", villages=(village,))
    party = next(p["party_key"] for p in parties(db, site["app"].plugins, line["scheme_code"], month, actor=desa))
    return {"db": db, "village": village, "scheme": line["scheme_code"], "party": party,
            "sponsor": str(line["sponsor_id"]), "worker": worker["id"], "nik": worker["nik"], "free": free}


USERS = ("admin", "desa_nik")


def _village_name(busy) -> str:
    return next(iter(busy["db"].query("SELECT name FROM regions WHERE code = ?", [busy["village"]])))["name"]


@pytest.mark.parametrize("user", USERS)
def test_the_worker_list_masks_niks_and_the_workers_page_shows_the_full_one(site, busy, user):
    assert_masked(run(user, "pages/pekerja.py"))
    own = run(user, "pages/pekerja.py", query={"id": str(busy["worker"])})
    assert busy["nik"] in texts(own)


@pytest.mark.parametrize("user", USERS)
def test_a_full_nik_typed_in_the_worker_search_finds_the_worker_masked(site, busy, user):
    at = run(user, "pages/pekerja.py")
    at.text_input(key="cari_pekerja").set_value(busy["nik"]).run()
    table = at.dataframe[0].value
    assert len(table) == 1 and table["NIK"][0] == busy["nik"][:4] + "*" * 8 + busy["nik"][-4:]
    assert busy["nik"] not in listed(at)


@pytest.mark.parametrize("user", USERS)
def test_the_bill_lines_mask_niks(site, busy, user):
    at = run(user, "pages/tagihan.py", state={"t_scheme": busy["scheme"], "t_party": busy["party"]})
    assert_masked(at)
    # A village operator's bill says it is only its village's part of the sponsor's bill.
    assert ("Hanya pekerja desa" in texts(at)) == (user == "desa_nik")


@pytest.mark.parametrize("user", USERS)
def test_the_list_of_claims_masks_niks(site, busy, user):
    assert_masked(run(user, "pages/klaim.py"))


def test_the_claims_worker_picker_finds_a_full_nik_and_shows_it_masked(site, busy):
    at = run("admin", "pages/klaim.py")  # a village operator records no claim
    at.text_input(key="c_search").set_value(busy["nik"]).run()
    assert len(at.selectbox(key="c_worker").options) == 1
    assert_masked(at)


@pytest.mark.parametrize("user", USERS)
def test_a_sponsors_workers_mask_niks(site, busy, user):
    assert_masked(run(user, "pages/penyandang_dana.py", query={"id": busy["sponsor"]}))


@pytest.mark.parametrize("user", USERS)
def test_the_enrolment_picker_masks_niks_and_finds_a_full_nik(site, busy, user):
    at = run(user, "pages/kepesertaan.py", state={"k_scheme": busy["scheme"]})
    assert_masked(at)
    at.text_input(key="k_search").set_value(busy["free"]).run()
    found = [str(o) for o in at.multiselect(key="k_workers").options]
    assert [o for o in found if o.startswith("Calon Peserta")] == [f"Calon Peserta · {busy['free'][:4]}********"
                                                                   f"{busy['free'][-4:]} · {_village_name(busy)}"]
    assert_masked(at)


@pytest.mark.parametrize("user", ("admin", "operator"))
def test_the_lapsed_sponsorships_mask_niks(site, user):
    db = open_db(site)
    actor = Actor(user, user, regency_code="33.24" if user == "operator" else None)  # as in conftest
    assert late_list(db, site["app"].plugins, actor=actor).lapsed, "the demo has lapsed sponsorships"
    assert_masked(run(user, "pages/tunggakan.py"))


@pytest.mark.parametrize("user", ("admin", "operator"))
def test_the_bpjs_registration_list_masks_niks_and_its_file_is_still_logged(site, user):
    db = open_db(site)
    this_month = current_month()
    waiting = next(iter(db.query(  # in Kendal (the regency operator's), in the months the page offers
        "SELECT p.scheme_code, p.start_month FROM sponsorships p JOIN workers w ON w.id = p.worker_id"
        " WHERE p.status = 'diajukan' AND w.village_code LIKE '33.24.%' AND p.start_month BETWEEN ? AND ?"
        " ORDER BY p.start_month, p.id LIMIT 1", [add_months(this_month, -12), add_months(this_month, 6)])))
    month = waiting["start_month"]
    at = run(user, "pages/bpjs.py", state={"b_scheme": waiting["scheme_code"], "b_from": month, "b_to": month})
    assert_masked(at)
    next(b for b in at.button if b.label == "Siapkan berkas pendaftaran").click().run()
    entry = queries.audit_entries(db, table="sponsorships")[0]
    assert (entry["actor"], entry["action"]) == (user, "export")


def test_the_preview_of_select_all_masks_niks(site):
    from test_enrolment_page import _setup, preview_all_of_village
    at, _, _ = _setup(site)
    preview_all_of_village(at)
    assert "NIK" in at.dataframe[0].value.columns
    assert_masked(at)
