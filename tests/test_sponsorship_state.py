"""A sponsorship's state as shown: "Selesai" once its months have ended (derived from the month,
never stored), distinct from "Berakhir" (a membership lapsed by arrears); and the counts of
workers covered "now" leave ended sponsorships out (a sponsor's page and list, the Skema page)."""

from __future__ import annotations

import pytest

from payung.auth.access import Actor
from payung.base import formats
from payung.base.coverage import BERAKHIR, SELESAI, STATUS_LABELS, is_current, sponsorship_state
from payung.base.months import add_months, current_month
from payung.people.sponsors import search_sponsors, sponsor_detail
from payung.people.workers import worker_detail
from payung.schemes.overview import scheme_overview

from test_pages import open_db, run

ADMIN = Actor("admin", "admin")


@pytest.mark.parametrize("status, end, month, state, current", [
    ("aktif", "2025-12", "2026-01", "selesai", False),     # its last month has passed
    ("diajukan", "2025-12", "2026-01", "selesai", False),
    ("aktif", "2026-01", "2026-01", "aktif", True),        # its last month is this month
    ("diajukan", "2026-06", "2026-01", "diajukan", True),
    ("ditolak", "2025-12", "2026-01", "ditolak", False),   # refused stays refused
    ("ditolak", "2026-06", "2026-01", "ditolak", False),
])
def test_a_sponsorship_is_selesai_once_its_last_month_has_passed(status, end, month, state, current):
    assert sponsorship_state(status, end, month) == state
    assert is_current(status, end, month) is current


def test_selesai_and_berakhir_are_two_words():
    """Months ended (the sponsor's commitment over, renewable) is not a membership lapsed by
    arrears (to be registered anew): two states, two words."""
    assert SELESAI != BERAKHIR
    assert formats.status(SELESAI) == "Selesai"
    assert formats.status(SELESAI) not in (formats.status(BERAKHIR), STATUS_LABELS[BERAKHIR])


def _end_one(db, sponsorship: dict) -> str:
    """Moves a sponsorship's months into the past (it ended last month); returns this month."""
    month = current_month()
    db.execute("UPDATE sponsorships SET start_month = ?, end_month = ? WHERE id = ?",
               [add_months(month, -12), add_months(month, -1), sponsorship["id"]])
    return month


def _a_sponsor_with_two_workers(db) -> dict:
    """A live sponsorship of a sponsor covering at least one other worker, its worker covered by no
    other live sponsorship of that sponsor."""
    return next(iter(db.query(
        "SELECT p.* FROM sponsorships p WHERE p.status IN ('diajukan', 'aktif')"
        " AND (SELECT COUNT(DISTINCT q.worker_id) FROM sponsorships q WHERE q.sponsor_id = p.sponsor_id"
        "      AND q.status IN ('diajukan', 'aktif')) >= 2"
        " AND (SELECT COUNT(*) FROM sponsorships q WHERE q.sponsor_id = p.sponsor_id AND q.worker_id = p.worker_id) = 1"
        " ORDER BY p.id LIMIT 1")))


def _covered(db, sponsor_id: int, month: str) -> int:
    return db.execute("SELECT COUNT(DISTINCT worker_id) FROM sponsorships WHERE sponsor_id = ? AND status IN"
                      " ('diajukan', 'aktif') AND end_month >= ?", [sponsor_id, month]).fetchone()[0]


@pytest.mark.unchecked  # a sponsorship's months moved without its lines, on purpose
def test_an_ended_sponsorship_shows_selesai_and_leaves_the_sponsors_count(site):
    with open_db(site) as db:
        ended = _a_sponsor_with_two_workers(db)
        sponsor = ended["sponsor_id"]
        before = sponsor_detail(db, sponsor, actor=ADMIN, month=current_month())["covered"]
        month = _end_one(db, ended)
        detail = sponsor_detail(db, sponsor, actor=ADMIN, month=month)
        listed = search_sponsors(db, actor=ADMIN, only_id=sponsor).rows[0]["sponsorships"]
        expected = _covered(db, sponsor, month)
        states = {s["id"]: s["state"] for s in worker_detail(db, ended["worker_id"], actor=ADMIN)["sponsorships"]}
    # The sponsor covers one worker fewer, on its page and in the list alike.
    assert detail["covered"] == listed == expected == before - 1
    assert {s["id"]: s["state"] for s in detail["sponsorships"]}[ended["id"]] == "selesai"
    assert states[ended["id"]] == "selesai"

    page = run("admin", "pages/penyandang_dana.py", query={"id": str(sponsor)})
    assert next(m for m in page.metric if m.label == "Pekerja ditanggung").value == str(expected)
    shown = page.dataframe[0].value
    assert "Selesai" in list(shown["Status"])
    assert set(shown["Status"]) - {"Selesai"} <= {"Aktif", "Diajukan", "Ditolak"}

    worker = run("admin", "pages/pekerja.py", query={"id": str(ended["worker_id"])})
    assert list(worker.dataframe[0].value["Status"]) == ["Selesai"]
    # Both pages say what "Selesai" means and where to renew it (a newcomer did not know).
    for at in (page, worker):
        note = next(c.value for c in at.caption if c.value.startswith("Selesai:"))
        assert "Tunggakan & perpanjangan" in note and "Berakhir" in note
    with open_db(site) as db:  # a sponsor none of whose kepesertaan has ended: no note
        current = db.execute("SELECT sponsor_id FROM sponsorships GROUP BY sponsor_id HAVING MIN(end_month) >= ?"
                             " ORDER BY sponsor_id LIMIT 1", [month]).fetchone()[0]
    assert not any(c.value.startswith("Selesai:") for c in run("admin", "pages/penyandang_dana.py",
                                                                 query={"id": str(current)}).caption)


@pytest.mark.unchecked  # sponsorships' months moved without their lines, on purpose
def test_the_schemes_page_counts_the_workers_covered_now(site):
    with open_db(site) as db:
        month = current_month()
        scheme = db.execute("SELECT scheme_code FROM sponsorships WHERE status IN ('diajukan', 'aktif')"
                            " GROUP BY scheme_code ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
        ids = [r[0] for r in db.execute("SELECT id FROM sponsorships WHERE scheme_code = ? ORDER BY id LIMIT 3",
                                        [scheme]).fetchall()]
        for sponsorship_id in ids:
            _end_one(db, {"id": sponsorship_id})
        expected = db.execute("SELECT COUNT(DISTINCT worker_id) FROM sponsorships WHERE scheme_code = ? AND status"
                              " IN ('diajukan', 'aktif') AND end_month >= ?", [scheme, month]).fetchone()[0]
        every = db.execute("SELECT COUNT(*) FROM sponsorships WHERE scheme_code = ? AND status IN"
                           " ('diajukan', 'aktif')", [scheme]).fetchone()[0]
        overview = {row["scheme"].code: row["live"] for row in scheme_overview(db, site["app"].plugins, actor=ADMIN)}
    assert overview[scheme] == expected < every
    at = run("lihat", "pages/skema.py")
    assert formats.count(expected) in [m.value for m in at.metric if m.label == "Pekerja ditanggung"]


def _ended_last_month(db) -> dict:
    """A live sponsorship, its worker's only one, moved to end last month, without its lines
    after that month: one that ended lately and nobody renewed."""
    ended = next(iter(db.query(
        "SELECT p.* FROM sponsorships p WHERE p.status IN ('diajukan', 'aktif') AND NOT EXISTS (SELECT 1 FROM"
        " sponsorships q WHERE q.worker_id = p.worker_id AND q.id <> p.id) ORDER BY p.id LIMIT 1")))
    _end_one(db, ended)
    db.execute("DELETE FROM contribution_lines WHERE sponsorship_id = ? AND month > ?",
               [ended["id"], add_months(current_month(), -1)])
    return ended


@pytest.mark.unchecked  # a sponsorship's months moved without its lines, on purpose
def test_tunggakan_lists_what_ended_lately_for_renewal_under_selesai_not_berakhir(site):
    """Tunggakan & perpanjangan: "Berakhir" is the membership lapsed by arrears; what ends next month
    is "Segera selesai" (this month or next), and what ended lately without a renewal has a tab of its own, each row
    renewable there."""
    from payung.enrolment.arrears import ended_unrenewed
    with open_db(site) as db:
        ended = _ended_last_month(db)
        listed = ended_unrenewed(db, site["app"].plugins, actor=ADMIN)
    assert ended["id"] in [r["id"] for r in listed.rows]
    at = run("admin", "pages/tunggakan.py")
    labels = [t.label for t in at.tabs]
    assert labels[1].startswith("Kepesertaan berakhir (")
    assert labels[2].startswith("Segera selesai (")
    assert labels[3] == f"Sudah selesai, belum diperpanjang ({listed.total})"
    at.button(key=f"renew_{ended['id']}").click().run()
    assert any(m.value.startswith("**Perpanjang kepesertaan ") for m in at.markdown)  # asked first
    at.button(key=f"renew_yes_{ended['id']}").click().run()
    assert not at.exception, at.exception
    with open_db(site) as db:
        starts = [s["start_month"] for s in worker_detail(db, ended["worker_id"], actor=ADMIN)["sponsorships"]]
    assert starts == [current_month(), add_months(current_month(), -12)]  # continued from the month after


@pytest.mark.unchecked  # a sponsorship's months moved without its lines, on purpose
def test_what_ended_lately_of_a_worker_whose_membership_lapsed_has_no_renewal_button(site, monkeypatch):
    """Rule: a worker whose membership ended by arrears is registered anew, not renewed (``renew``
    refuses it): a sponsorship of theirs that ended lately says so on its line, with no
    Perpanjang button that could only answer with an error."""
    import dataclasses

    import streamlit as st

    from payung.enrolment import arrears
    with open_db(site) as db:
        ended = _ended_last_month(db)
    real = arrears.late_list

    def lapsed_too(*args, **kwargs):  # the worker's unpaid months ended the membership
        late = real(*args, **kwargs)
        return dataclasses.replace(late, lapsed=[*late.lapsed, {
            "worker_id": ended["worker_id"], "scheme_code": ended["scheme_code"], "worker": "Uji", "nik": "-",
            "sponsor": "-", "months": 4, "first": ended["start_month"], "last": ended["end_month"],
            "scheme": ended["scheme_code"]}])
    monkeypatch.setattr(arrears, "late_list", lapsed_too)
    st.cache_data.clear()
    at = run("admin", "pages/tunggakan.py")
    assert not [b for b in at.button if b.key == f"renew_{ended['id']}"]
    assert "Berakhir karena tunggakan: daftarkan ulang di Daftarkan kepesertaan." in [c.value for c in at.caption]
    st.cache_data.clear()


@pytest.mark.unchecked  # months marked paid without a payment
def test_a_worker_renewed_before_the_end_is_one_worker_covered(people):
    """Rule: a renewal made in the last month leaves two sponsorships not ended for one worker:
    the sponsor's page, the sponsor list and the Skema page count one worker, not two."""
    from payung.enrolment import arrears

    from shipped_schemes import PRINGSEWU, enrol_pringsewu, paid_up, pringsewu_worker
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10", name="APBD Pringsewu")
    month = current_month()
    ending = enrol_pringsewu(people, apbd, pringsewu_worker(people), start=add_months(month, -5), months=6)
    paid_up(people, ending)  # unpaid, its membership would have ended by arrears
    arrears.renew(people.db, people.app.plugins, ending, actor=people.actor)
    ended = enrol_pringsewu(people, apbd, pringsewu_worker(people), start=add_months(month, -7), months=6)
    detail = sponsor_detail(people.db, apbd, actor=people.actor, month=month)
    assert len(detail["sponsorships"]) == 3 and detail["covered"] == 1
    assert {s["id"]: s["state"] for s in detail["sponsorships"]}[ended] == "selesai"
    assert search_sponsors(people.db, actor=people.actor, only_id=apbd).rows[0]["sponsorships"] == 1
    overview = scheme_overview(people.db, people.app.plugins, actor=people.actor)
    assert next(row["live"] for row in overview if row["scheme"].code == PRINGSEWU) == 1


@pytest.mark.unchecked  # a sponsorship's months moved without its lines, on purpose
@pytest.mark.parametrize("after_due", [True, False])
def test_renewing_what_ended_months_ago_says_first_which_months_are_arrears_at_once(site, monkeypatch, after_due):
    """Perpanjang made a year's bill at the first click; of a kepesertaan that ended two months ago
    it also bills last month, arrears at once once its due date has passed. The question before
    it says so, and only then: up to the scheme's due day last month is not yet due (the late list
    does not count it), and the question said it became arrears on the 1st."""
    import datetime as dt

    from payung.base import clock
    from payung.base.coverage import due_date
    from payung.base.months import format_month
    from test_pages import texts
    month = current_month()
    with open_db(site) as db:
        ended = _ended_last_month(db)
        db.execute("UPDATE sponsorships SET start_month = ?, end_month = ? WHERE id = ?",
                   [add_months(month, -13), add_months(month, -2), ended["id"]])
        db.execute("DELETE FROM contribution_lines WHERE sponsorship_id = ? AND month > ?",
                   [ended["id"], add_months(month, -2)])
    due = due_date(add_months(month, -1), site["app"].settings.due_day_of(ended["scheme_code"]))
    today = due + dt.timedelta(days=1) if after_due else due
    assert current_month(today) == month
    monkeypatch.setattr(clock, "utc_now", lambda: dt.datetime.combine(today, dt.time(5), tzinfo=dt.timezone.utc))
    at = run("admin", "pages/tunggakan.py")
    at.button(key=f"renew_{ended['id']}").click().run()
    said = f"1 bulan yang sudah lewat jatuh tempo ({format_month(add_months(month, -1))}) langsung menjadi tunggakan."
    assert (said in texts(at)) is after_due, texts(at)
    assert "Iurannya masuk tagihan bulan-bulan itu" in texts(at)  # asked, either way
    with open_db(site) as db:  # asked, nothing made yet
        assert [s["start_month"] for s in worker_detail(db, ended["worker_id"], actor=ADMIN)["sponsorships"]] == [
            add_months(month, -13)]
