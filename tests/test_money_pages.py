"""The money pages under AppTest: Tagihan, Pembayaran, Tunggakan, the BPJS exchange, Klaim and
Anggaran."""

from __future__ import annotations

from db.scope import EVERYTHING
import pytest

from payung.auth.access import Actor

import dataclasses
import datetime as dt
import json

from db import billing, queries, store
from payung.base.formats import month_short
from payung.base.money import format_rupiah
from payung.base.spreadsheets import unquoted
from payung.base.months import add_months, current_month, format_month

from test_pages import open_db, run, texts

SCHEME = "pemalang_mesra"


def _open_party(db, scheme=SCHEME, *, also: str | None = None):
    """A party with something still payable this month (and in the month ``also``, if given),
    computed from the raw lines."""
    return next(iter(db.query(
        "SELECT CAST(l.sponsor_id AS TEXT) AS party_key, SUM(l.amount) AS amount, SUM(l.paid_amount) AS paid"
        " FROM contribution_lines l WHERE l.scheme_code = ? AND l.month = ? GROUP BY l.sponsor_id"
        " HAVING SUM(l.paid_amount) < SUM(l.amount)"
        + ("" if also is None else " AND l.sponsor_id IN (SELECT sponsor_id FROM contribution_lines WHERE"
                                   " scheme_code = ? AND month = ? AND paid_amount < amount)")
        + " ORDER BY l.sponsor_id", [scheme, current_month(), *([] if also is None else [scheme, also])])))


def _into_view_scripts(at) -> list[str]:
    """The scripts that scroll the page to a part of it (``ui.widgets.bring_into_view``)."""
    return [e.proto.body for e in at.sidebar.get("html") if "scrollIntoView" in e.proto.body]


def test_a_bill_shown_without_a_pick_does_not_scroll_the_page(site):
    """A party's pick brings its bill into view (test_browser), in the run of the pick only: at
    every run the page would jump back to the bill's heading (a payment typed, a page of lines)."""
    db = open_db(site)
    party = _open_party(db)
    at = run("admin", "pages/tagihan.py", state={"t_scheme": SCHEME, "t_party": party["party_key"]})
    assert f"Total Rp{party['amount']:,}".replace(",", ".") in texts(at)
    assert not _into_view_scripts(at)
    # The page's way to it, as a pick asks for it: said once, in the sidebar, then not again.
    at.session_state["_t_bring_bill"] = True
    at.run()
    assert [body.count(".st-key-t_bill_top") for body in _into_view_scripts(at)] == [1]
    at.run()
    assert not _into_view_scripts(at)


def test_bill_page_totals_come_from_the_lines_and_a_payment_gets_a_receipt(site):
    db = open_db(site)
    month = current_month()
    expected = next(iter(db.query("SELECT SUM(amount) AS amount, SUM(paid_amount) AS paid FROM contribution_lines"
                                  " WHERE scheme_code = ? AND month = ?", [SCHEME, month])))
    party = _open_party(db)
    at = run("admin", "pages/tagihan.py", state={"t_scheme": SCHEME, "t_party": party["party_key"]})
    metrics = {m.label: m.value for m in at.metric}
    rupiah = lambda n: f"Rp{n:,}".replace(",", ".")  # noqa: E731
    assert metrics["Total tagihan"] == rupiah(expected["amount"])
    assert metrics["Sudah dibayar"] == rupiah(expected["paid"])
    assert metrics["Belum dibayar"] == rupiah(expected["amount"] - expected["paid"])
    assert f"Total {rupiah(party['amount'])}" in texts(at)
    open_amount = party["amount"] - party["paid"]
    # Too much: refused beside the field, nothing written.
    payments_before = billing.payments(db, scope=EVERYTHING)[1]
    at.text_input(key="t_amount").set_value(str(open_amount + 1))
    next(b for b in at.button if b.label == "Simpan pembayaran").click().run()
    assert "melebihi tagihan yang belum dibayar" in texts(at)
    assert billing.payments(db, scope=EVERYTHING)[1] == payments_before
    at.text_input(key="t_amount").set_value(str(open_amount))
    at.text_input(key="t_reference").set_value("TRF-777")
    next(b for b in at.button if b.label == "Simpan pembayaran").click().run()
    assert not at.exception, at.exception
    latest = billing.payments(db, scope=EVERYTHING)[0][0]
    assert (latest["amount"], latest["reference"], latest["party_key"]) == (open_amount, "TRF-777", party["party_key"])
    assert f"tercatat dengan nomor tanda terima KW/{latest['paid_on'][:4]}/{latest['id']:06d}" in texts(at)
    assert "Tidak ada sisa tagihan yang dapat dibayar" in texts(at)


def test_a_saved_payment_empties_the_form_and_the_same_payment_again_is_refused(site):
    """After Simpan pembayaran the amount and reference are drawn empty in the browser too (the
    page sets them, which the browser obeys: values merely dropped from the session stayed in
    its form and a second click paid twice); the same payment typed again is refused naming the
    first receipt, and is recorded only once confirmed."""
    db = open_db(site)
    party = _open_party(db)
    part = (party["amount"] - party["paid"]) // 3
    at = run("admin", "pages/tagihan.py", state={"t_scheme": SCHEME, "t_party": party["party_key"]})
    assert at.text_input(key="t_amount").proto.placeholder.startswith("contoh ")
    assert "." in at.text_input(key="t_amount").proto.placeholder or party["amount"] - party["paid"] < 1000

    def pay(amount, reference):
        at.text_input(key="t_amount").set_value(str(amount))
        at.text_input(key="t_reference").set_value(reference)
        next(b for b in at.button if b.label == "Simpan pembayaran").click().run()
        assert not at.exception, at.exception

    count = billing.payments(db, scope=EVERYTHING)[1]
    pay(part, "TRF-002")
    first = billing.payments(db, scope=EVERYTHING)[0][0]
    assert billing.payments(db, scope=EVERYTHING)[1] == count + 1
    amount, reference = at.text_input(key="t_amount"), at.text_input(key="t_reference")
    assert amount.value == "" and reference.value == ""
    assert amount.proto.set_value and reference.proto.set_value  # the browser is told to empty them
    receipt = f"KW/{first['paid_on'][:4]}/{first['id']:06d}"
    assert receipt in texts(at)
    # A line the payment paid in part says so (it read "Belum jatuh tempo" beside Rp11.400 paid).
    statuses = list(at.dataframe[-1].value["Status"])
    partly = db.execute("SELECT COUNT(*) FROM contribution_lines WHERE scheme_code = ? AND month = ? AND sponsor_id = ?"
                        " AND paid_amount > 0 AND paid_amount < amount",
                        [SCHEME, current_month(), int(party["party_key"])]).fetchone()[0]
    assert partly and sum(status.endswith("(dibayar sebagian)") for status in statuses) == partly, statuses
    # What a browser that kept the old values would send: refused, naming the first receipt.
    pay(part, "TRF-002")
    assert billing.payments(db, scope=EVERYTHING)[1] == count + 1
    assert any(receipt in e.value and "sama dengan" in e.value for e in at.error)
    at.checkbox(key="t_confirm_duplicate").check()
    next(b for b in at.button if b.label == "Simpan pembayaran").click().run()
    assert billing.payments(db, scope=EVERYTHING)[1] == count + 2


def test_amounts_are_shown_with_thousands_separators_as_soon_as_typed(site):
    """The "Jumlah dibayar" box showed 205800 under its placeholder "contoh 105.800": every Rupiah
    box now writes what is typed back as 205.800 once it is left (Enter, Tab), reads the usual
    ways of writing an amount, and says why it cannot read one (nothing is saved)."""
    db = open_db(site)
    party = _open_party(db)
    at = run("admin", "pages/tagihan.py", state={"t_scheme": SCHEME, "t_party": party["party_key"]})
    box = at.text_input(key="t_amount")
    for typed, shown in (("205800", "205.800"), ("Rp 16.800", "16.800"), ("1,5 juta", "1.500.000"),
                         ("16800", "16.800")):
        box.set_value(typed).run()
        box = at.text_input(key="t_amount")
        assert box.value == shown, (typed, box.value)
    payments = billing.payments(db, scope=EVERYTHING)[1]
    box.set_value("enam belas ribu").run()
    assert at.text_input(key="t_amount").value == "enam belas ribu"  # left as typed...
    next(b for b in at.button if b.label == "Simpan pembayaran").click().run()
    assert not at.exception and "bukan jumlah Rupiah" in texts(at)  # ...and refused with the reason
    assert billing.payments(db, scope=EVERYTHING)[1] == payments
    # The other Rupiah boxes: a worker's income, a budget line's ceiling, the planner, a claim.
    form = run("admin", "pages/pekerja_form.py")
    form.text_input(key="f_income").set_value("1500000").run()
    assert form.text_input(key="f_income").value == "1.500.000"
    budget = run("admin", "pages/anggaran.py")
    for key in ("a_plan_budget", "an_amount"):
        budget.text_input(key=key).set_value("600000000").run()
        assert budget.text_input(key=key).value == "600.000.000"
    assert "cukup untuk" in " ".join(s.value for s in budget.success)
    claims = run("admin", "pages/klaim.py")
    claims.text_input(key="c_benefit").set_value("42000000").run()
    assert claims.text_input(key="c_benefit").value == "42.000.000"


def test_payment_page_reverses_with_a_reason(site):
    db = open_db(site)
    payment = billing.payments(db, scope=EVERYTHING)[0][0]
    lines_paid = sum(a["allocated"] for a in billing.payment_allocations(db, payment["id"]))
    paid_before = next(iter(db.query("SELECT SUM(paid_amount) AS p FROM contribution_lines")))["p"]
    at = run("admin", "pages/pembayaran.py", query={"id": str(payment["id"])})
    assert f"Pembayaran KW/{payment['paid_on'][:4]}/{payment['id']:06d}" in texts(at)
    next(b for b in at.button if b.label == "Batalkan pembayaran").click().run()
    assert "alasan pembatalan" in texts(at).lower()
    assert billing.payment(db, payment["id"], EVERYTHING)["reversed_at"] is None
    at.text_input(key="p_reason").set_value("Salah input nominal")
    next(b for b in at.button if b.label == "Batalkan pembayaran").click().run()
    assert billing.payment(db, payment["id"], EVERYTHING)["reversal_reason"] == "Salah input nominal"
    paid_after = next(iter(db.query("SELECT SUM(paid_amount) AS p FROM contribution_lines")))["p"]
    assert paid_before - paid_after == lines_paid == payment["amount"]
    # A viewer sees the payment but cannot reverse it.
    viewer = run("lihat", "pages/pembayaran.py", query={"id": str(payment["id"])})
    assert not [b for b in viewer.button if b.label == "Batalkan pembayaran"]


def _open_tab(at) -> int:
    """The tab ``st.tabs`` opens on in the page ``at`` drew (its only tab group)."""
    found = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if getattr(getattr(proto, "DESCRIPTOR", None), "name", "") == "Block" \
                and proto.WhichOneof("type") == "tab_container":
            found.append(proto.tab_container.default_tab_index)
        for child in getattr(node, "children", {}).values():
            walk(child)
    walk(at._tree)
    [index] = found
    return index


def test_late_list_page_shows_arrears_and_renews_after_a_confirmation(site):
    from payung.enrolment.arrears import ending_soon, late_list
    db = open_db(site)
    app = site["app"]
    late = late_list(db, app.plugins, actor=Actor.system())
    ending = ending_soon(db, app.plugins, actor=Actor("admin", "admin"))
    assert late.parties and ending.rows, "the demo has late bills and sponsorships ending next month"
    at = run("admin", "pages/tunggakan.py")
    assert at.tabs[0].label == f"Menunggak ({len(late.parties)})"
    assert at.tabs[2].label == f"Segera selesai ({ending.total})"
    total = f"Rp{late.total_open:,}".replace(",", ".")
    assert [m.value for m in at.metric] == [total]
    first = ending.rows[0]
    # What a click will make, before it: the new months and their cost, not only the old ones.
    start = add_months(first["end_month"], 1)
    new_months = f"{month_short(start)}–{month_short(add_months(start, first['months'] - 1))}"
    cost = f"{first['months']} bulan × {format_rupiah(first['monthly_amount'])} = " \
           f"{format_rupiah(first['months'] * first['monthly_amount'])}"
    assert any(f"Diperpanjang: {new_months}, {cost}" in m.value for m in at.markdown), [m.value for m in at.markdown]
    assert _open_tab(at) == 0
    # Perpanjang makes a year's bill: it asks first, saying what it makes; Batal makes nothing.
    def renewals():
        return [s for s in queries.worker_sponsorships(db, first["worker_id"], EVERYTHING) if s["id"] != first["id"]
                and s["start_month"] > first["end_month"]]
    at.button(key=f"renew_{first['id']}").click().run()
    asked = texts(at)
    assert f"Perpanjang kepesertaan {first['worker_name']}?" in asked and not renewals()
    total = format_rupiah(first["months"] * first["monthly_amount"])
    assert (f"{format_month(start)} sampai {format_month(add_months(start, first['months'] - 1))}, "
            f"{first['months']} bulan × {format_rupiah(first['monthly_amount'])} = **{total}**") in asked, asked
    assert _open_tab(at) == 2  # the question shows in the tab clicked in
    at.button(key=f"renew_no_{first['id']}").click().run()
    assert "Perpanjang kepesertaan " not in texts(at) and not renewals()
    assert at.button(key=f"renew_{first['id']}")
    at.button(key=f"renew_{first['id']}").click().run()
    at.button(key=f"renew_yes_{first['id']}").click().run()
    assert f"Kepesertaan {first['worker_name']} diperpanjang {format_month(start)} sampai " in texts(at)
    assert _open_tab(at) == 2  # the tab renewed in, not Menunggak again (the counts in its labels changed)
    renewed = renewals()
    assert len(renewed) == 1 and renewed[0]["sponsor_id"] == first["sponsor_id"]


def test_the_confirmation_prices_the_renewal_as_it_will_be_billed_not_at_the_old_amount(site):
    """A renewal is priced again, month by month (the rate and any relief of each month, the
    worker's income now, the scheme's adjustments): the confirmation says that price
    (``arrears.renewal_plan``), and the bill made is the one it said, whatever the old
    kepesertaan's monthly amount was. (Written with renewal_plan, lost in the merge of
    4020311.)"""
    from payung.enrolment.arrears import ending_soon, renewal_plan
    db = open_db(site)
    app = site["app"]
    admin = Actor("admin", "admin")
    first = ending_soon(db, app.plugins, actor=admin).rows[0]
    plan = renewal_plan(db, app.plugins, first["id"], actor=admin)
    assert plan.ok and plan.total, plan.problems
    # The old kepesertaan made at another price (a relief since ended, an old rate).
    db.execute("UPDATE sponsorships SET monthly_amount = monthly_amount + 1000 WHERE id = ?", [first["id"]])
    at = run("admin", "pages/tunggakan.py")
    at.button(key=f"renew_{first['id']}").click().run()
    asked = texts(at)
    assert f"{len(plan.lines)} bulan × {format_rupiah(plan.monthly_amount)} = **{format_rupiah(plan.total)}**" in asked, asked
    assert format_rupiah(first["monthly_amount"] + 1000) not in asked.split("Perpanjang kepesertaan")[-1]
    at.button(key=f"renew_yes_{first['id']}").click().run()
    [new] = [s for s in queries.worker_sponsorships(db, first["worker_id"], EVERYTHING)
             if s["start_month"] == add_months(first["end_month"], 1)]
    assert new["monthly_amount"] * new["months"] == plan.total
    # Its lines were made at the first price: as it was, for the check after each test.
    db.execute("UPDATE sponsorships SET monthly_amount = monthly_amount - 1000 WHERE id = ?", [first["id"]])


def test_exchange_page_exports_and_applies_an_answer(site):
    db = open_db(site)
    pending = list(db.query("SELECT p.id, w.nik FROM sponsorships p JOIN workers w ON w.id = p.worker_id"
                            " WHERE p.scheme_code = ? AND p.status = 'diajukan' ORDER BY p.id", [SCHEME]))
    at = run("admin", "pages/bpjs.py", state={"b_scheme": SCHEME})
    shown = next(m for m in at.metric if m.label == "Kepesertaan baru menunggu didaftarkan")
    starting = [r for r in db.query("SELECT COUNT(*) AS n FROM sponsorships WHERE scheme_code = ? AND status = "
                                    "'diajukan' AND start_month BETWEEN ? AND ?",
                                    [SCHEME, at.selectbox(key="b_from").value, at.selectbox(key="b_to").value])]
    assert int(shown.value) == starting[0]["n"]
    next(b for b in at.button if b.label == "Siapkan berkas pendaftaran").click().run()
    assert queries.audit_entries(db, table="sponsorships")[0]["action"] == "export"
    answer = ("NIK;KPJ;Keterangan\n" + f"{pending[0]['nik']};25010000001;\n" + f"{pending[1]['nik']};;Data ganda\n"
              + "3327019999990001;25010000009;\n").encode()
    at.file_uploader(key="b_upload").set_value(("jawaban.csv", answer, "text/csv")).run()
    assert {m.label: m.value for m in at.metric if "Akan" in m.label or "bermasalah" in m.label} == {
        "Akan diaktifkan (KPJ)": "1", "Akan ditandai ditolak": "1", "Baris bermasalah": "1"}
    problems = next(d.value for d in at.dataframe if "Masalah" in d.value.columns)
    assert list(problems["Baris"]) == [4] and "tidak dikenal" in problems["Masalah"][0]
    next(b for b in at.button if b.label == "Terapkan jawaban").click().run()
    assert queries.sponsorship(db, pending[0]["id"], EVERYTHING)["status"] == "aktif"
    assert queries.sponsorship(db, pending[1]["id"], EVERYTHING)["bpjs_note"] == "Data ganda"
    assert "1 aktif, 1 ditolak, 1 baris tidak diproses" in texts(at)


def test_an_answer_whose_kpj_another_worker_got_since_is_refused_in_words(site, monkeypatch):
    """A KPJ recorded for another worker between the check and Terapkan (another tab, another
    answer): Terapkan refuses the whole answer under the write lock; the page says which row in
    words (no error stops it), writes nothing, and lists that row as a problem when the file is
    checked again. The file is checked once, not on every click."""
    from payung.imports import bpjs_answer
    db = open_db(site)
    pending = list(db.query("SELECT p.id, w.nik FROM sponsorships p JOIN workers w ON w.id = p.worker_id"
                            " WHERE p.scheme_code = ? AND p.status = 'diajukan' ORDER BY p.id DESC LIMIT 2", [SCHEME]))
    checks = []
    real_plan = bpjs_answer.plan_answer
    monkeypatch.setattr(bpjs_answer, "plan_answer", lambda *a, **k: checks.append(1) or real_plan(*a, **k))
    at = run("admin", "pages/bpjs.py", state={"b_scheme": SCHEME})
    at.file_uploader(key="b_upload").set_value(("jawaban.csv", f"NIK;KPJ\n{pending[0]['nik']};25019999991\n".encode(),
                                                 "text/csv")).run()
    assert next(m for m in at.metric if m.label == "Akan diaktifkan (KPJ)").value == "1"
    at.run()
    assert len(checks) == 1, "checked again on a click that changed nothing"
    from db import store
    store.update(db, "sponsorships", pending[1]["id"], {"kpj": "25019999991"}, actor="uji")
    before = queries.sponsorship(db, pending[0]["id"], EVERYTHING)
    next(b for b in at.button if b.label == "Terapkan jawaban").click().run()
    assert not at.exception
    assert any("baris 2 (KPJ 25019999991)" in e.value and "Tidak ada yang disimpan" in e.value for e in at.error)
    assert queries.sponsorship(db, pending[0]["id"], EVERYTHING) == before
    problems = next(d.value for d in at.dataframe if "Masalah" in d.value.columns)
    assert list(problems["Baris"]) == [2] and problems["Masalah"][0] == "KPJ 25019999991 sudah tercatat untuk pekerja lain."


def test_claim_page_warns_about_an_unpaid_month(site):
    db = open_db(site)
    unpaid = next(iter(db.query(
        "SELECT l.worker_id, l.month, w.name, w.nik FROM contribution_lines l JOIN workers w ON w.id = l.worker_id"
        " WHERE l.paid_amount = 0 AND l.month <= ? AND w.village_code LIKE '33.27.%' ORDER BY l.month LIMIT 1",
        [current_month()])))
    at = run("admin", "pages/klaim.py")
    at.text_input(key="c_search").set_value(unpaid["nik"]).run()
    at.selectbox(key="c_worker").set_value(unpaid["worker_id"]).run()
    at.selectbox(key="c_program").set_value("JKM")
    at.date_input(key="c_incident").set_value(dt.date.fromisoformat(unpaid["month"] + "-10")).run()
    assert any("belum lunas" in w.value for w in at.warning)
    next(b for b in at.button if b.label == "Simpan klaim").click().run()
    claim = billing.claims(db, scope=EVERYTHING)[0]
    assert (claim["worker_id"], claim["program"], claim["status"]) == (unpaid["worker_id"], "JKM", "diajukan")
    assert "tersimpan" in texts(at) and "Perhatian" in texts(at)
    # Paid status without the benefit is refused beside its field.
    at.text_input(key="c_search").set_value(unpaid["nik"]).run()
    at.selectbox(key="c_worker").set_value(unpaid["worker_id"])
    at.date_input(key="c_incident").set_value(dt.date.fromisoformat(unpaid["month"] + "-10"))
    at.selectbox(key="c_status").set_value("dibayar").run()
    next(b for b in at.button if b.label == "Simpan klaim").click().run()
    assert "isi manfaat yang dibayarkan" in texts(at)
    assert len(billing.claims(db, scope=EVERYTHING)) == 1


def _declared_rupiah_field():
    import streamlit as st

    from payung.schemes.fields import Field, validate_fields
    from ui.widgets import declared_field
    field = Field("dana", "Dana desa", type="rupiah", default=2_500_000)
    value = declared_field(field, form="f", key="k_dana")
    st.write(repr(validate_fields([field], {"dana": value})))


def test_a_schemes_rupiah_field_is_typed_with_separators_and_read_by_the_core():
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_function(_declared_rupiah_field).run()
    assert at.text_input(key="k_dana").value == "2.500.000"
    at.text_input(key="k_dana").set_value("3000000").run()
    assert at.text_input(key="k_dana").value == "3.000.000" and "{'dana': 3000000}" in at.markdown[-1].value


def test_a_viewer_is_not_offered_the_form_of_a_new_budget_line_and_the_service_refuses_it(site):
    """A viewer saw the "Tambah pos anggaran" tab only to be told it may not use it: the tab is
    there for the roles payung.auth.access lets add a budget line, and the service refuses the others."""
    import pytest

    from payung.auth.access import Forbidden
    from payung.finance.budgets import create_budget_line
    tabs = lambda at: [t.label for t in at.tabs]  # noqa: E731
    assert "Tambah pos anggaran" not in tabs(run("lihat", "pages/anggaran.py"))
    assert "Tambah pos anggaran" in tabs(run("admin", "pages/anggaran.py"))
    assert "Tambah pos anggaran" in tabs(run("operator", "pages/anggaran.py"))
    scheme = next(iter(site["app"].plugins.schemes))
    with open_db(site) as db, pytest.raises(Forbidden):
        create_budget_line(db, site["app"].plugins, {"scheme_code": scheme, "name": "APBD", "year": 2026,
                                                     "source": "APBD", "amount": 1_000_000}, actor=Actor("lihat", "viewer"))


def test_the_budget_planner_reads_months_and_words_people_use(site):
    """It asked "Bulan mulai" as the text "2026-12" and pointed to "config.toml"."""
    from payung.base.months import current_month, format_month
    at = run("admin", "pages/anggaran.py")
    start = at.selectbox(key="a_plan_start")
    assert start.value == current_month() and format_month(current_month()) in start.options
    said = texts(at)
    assert "config.toml" not in said and "tarif iuran BPJS Ketenagakerjaan" in said
    at.number_input(key="a_plan_workers").set_value(10).run()
    assert any(f"mulai {format_month(current_month())}" in s.value for s in at.success)


def test_a_long_bill_is_shown_a_page_of_lines_at_a_time_and_totalled_whole(site, monkeypatch):
    """An OPD's bill holds thousands of lines: drawn whole, every run of the page cost seconds of
    the server's time. The table shows ``ROWS_PER_PAGE`` lines at a time (200; 20 here, for the
    demo's bills) with a pager, each page the bill's own lines in their order; the totals are
    the whole bill's."""
    from payung.base.coverage import STATUS_LABELS
    from payung.finance.bills import bill
    import ui.widgets
    monkeypatch.setattr(ui.widgets, "ROWS_PER_PAGE", 20)
    db = open_db(site)
    start = current_month()
    party = next(iter(db.query(
        "SELECT CAST(sponsor_id AS TEXT) AS party_key, COUNT(*) AS lines, SUM(amount) AS amount"
        " FROM contribution_lines WHERE scheme_code = ? AND month BETWEEN ? AND ?"
        " GROUP BY sponsor_id ORDER BY COUNT(*) DESC LIMIT 1", [SCHEME, start, add_months(start, 11)])))
    assert party["lines"] > 40, party
    at = run("admin", "pages/tagihan.py", state={"t_scheme": SCHEME, "t_party": party["party_key"], "t_period": 12})
    rupiah = f"Rp{party['amount']:,}".replace(",", ".")
    assert f"Total {rupiah}" in texts(at)
    lines = lambda: next(d.value for d in at.dataframe if "NIK" in d.value.columns)  # noqa: E731
    assert len(lines()) == 20
    assert f"Menampilkan 1–20 dari {party['lines']} data" in [c.value for c in at.caption]
    whole = bill(db, site["app"].plugins, scheme_code=SCHEME, party_key=party["party_key"], from_month=start,
                 to_month=add_months(start, 11), actor=Actor("admin", "admin")).lines
    shown = lambda: list(zip(lines()["Nama"], lines()["NIK"], lines()["Status"]))  # noqa: E731
    assert shown() == [(l["worker_name"], l["nik"], STATUS_LABELS[l["status"]]) for l in whole[:20]]
    at.number_input(key="t_lines_page").set_value(3).run()
    assert len(lines()) == 20
    assert f"Menampilkan 41–60 dari {party['lines']} data" in [c.value for c in at.caption]
    assert shown() == [(l["worker_name"], l["nik"], STATUS_LABELS[l["status"]]) for l in whole[40:60]]


def test_a_retired_schemes_sponsorship_is_not_offered_for_renewal_and_renew_refuses_it(site):
    """Tunggakan & perpanjangan shows no Perpanjang for a sponsorship of a retired scheme, and
    renew() itself refuses it (a click from a page drawn before the scheme was retired)."""
    import pytest
    from payung.base.errors import ValidationError
    from payung.enrolment.arrears import ending_soon, renew
    db = open_db(site)
    app = site["app"]
    admin = Actor("admin", "admin")
    first = ending_soon(db, app.plugins, actor=admin).rows[0]
    # Stored in UTC like every timestamp: 23:04 UTC on 1 January is 2 January in Jakarta.
    db.execute("UPDATE schemes SET retired_at = '2026-01-01T23:04:05+00:00' WHERE code = ?", [first["scheme_code"]])
    try:
        at = run("admin", "pages/tunggakan.py")
        assert not [b for b in at.button if b.key == f"renew_{first['id']}"]
        # The local day as every page writes a date, not the stored UTC text ("2026-01-01").
        assert "Skema dipensiunkan 02/01/2026: tidak dapat diperpanjang." in texts(at)
        before = len(queries.worker_sponsorships(db, first["worker_id"], EVERYTHING))
        with pytest.raises(ValidationError, match="sudah dipensiunkan"):
            renew(db, app.plugins, first["id"], actor=admin)
        assert len(queries.worker_sponsorships(db, first["worker_id"], EVERYTHING)) == before
    finally:
        db.execute("UPDATE schemes SET retired_at = NULL WHERE code = ?", [first["scheme_code"]])


def test_every_date_picker_reads_and_explains_dates_the_indonesian_way(site):
    """Each date box is DD/MM/YYYY with the Indonesian help (the calendar's own month and day
    names are Streamlit's English: it has no locale)."""
    from ui.widgets import DATE_HELP
    db = open_db(site)
    party = _open_party(db)
    pages = [("pages/audit.py", {}), ("pages/klaim.py", {}), ("pages/pekerja_form.py", {}),
             ("pages/tagihan.py", {"t_scheme": SCHEME, "t_party": party["party_key"]})]
    for page, state in pages:
        at = run("admin", page, state=state)
        assert at.date_input, page
        for box in at.date_input:
            assert (box.proto.format, box.help) == ("DD/MM/YYYY", DATE_HELP), (page, box.label)


def test_a_payment_refused_because_the_bill_was_paid_meanwhile_is_said(site):
    """Two people pay the same bill in full at once: the second is told their payment was not
    recorded (the page had stopped at "nothing left to pay", and the refusal was never drawn)."""
    from payung.finance.payments import record_payment
    db = open_db(site)
    party = _open_party(db)
    open_amount = party["amount"] - party["paid"]
    at = run("admin", "pages/tagihan.py", state={"t_scheme": SCHEME, "t_party": party["party_key"]})
    count = billing.payments(db, scope=EVERYTHING)[1]
    record_payment(db, site["app"].plugins, scheme_code=SCHEME, party_key=party["party_key"], amount=open_amount,
                   paid_on=dt.date.today(), from_month=current_month(), actor=Actor.system("admin"))
    at.text_input(key="t_amount").set_value(str(open_amount))
    at.text_input(key="t_reference").set_value("TRF-KEDUA")
    next(b for b in at.button if b.label == "Simpan pembayaran").click().run()
    assert not at.exception, at.exception
    assert billing.payments(db, scope=EVERYTHING)[1] == count + 1  # the first one only
    assert "Pembayaran ini tidak dicatat" in texts(at), texts(at)
    assert "Tidak ada sisa tagihan yang dapat dibayar" in texts(at)


def test_another_month_or_scheme_is_another_bill_with_an_empty_form(site):
    """What was typed and refused for one bill is not shown on the next: another month (or
    scheme) is a new list with nothing picked in it (a row picked by its place in the last list
    opened a party nobody had chosen), and the party picked again has an empty form, no message
    and no receipt of its other month."""
    db = open_db(site)
    party = _open_party(db, also=add_months(current_month(), -1))
    at = run("admin", "pages/tagihan.py", state={"t_scheme": SCHEME, "t_party": party["party_key"]})
    at.text_input(key="t_amount").set_value(str(party["amount"] * 100))
    at.text_input(key="t_reference").set_value("TRF-BULAN-INI")
    next(b for b in at.button if b.label == "Simpan pembayaran").click().run()
    assert "melebihi tagihan yang belum dibayar" in texts(at)
    at.selectbox(key="t_month").set_value(add_months(current_month(), -1)).run()
    assert not at.exception, at.exception
    assert "Catat pembayaran" not in texts(at) and "Pilih satu baris untuk melihat tagihannya." in texts(at)
    at.session_state["t_party"] = party["party_key"]  # the same party, picked again in this month's list
    at.run()
    assert "Catat pembayaran" in texts(at)
    assert "melebihi tagihan" not in texts(at) and "Data belum disimpan" not in texts(at)
    assert at.text_input(key="t_amount").value == "" and at.text_input(key="t_reference").value == ""
    assert at.text_input(key="t_amount").proto.set_value  # the browser is told to empty its box too
    at.selectbox(key="t_scheme").set_value("gn_lingkaran").run()
    assert not at.exception, at.exception
    assert "Catat pembayaran" not in texts(at)


def test_budget_lines_of_several_schemes_are_told_apart_and_sponsors_of_the_schemes_regency_come_first(site):
    """Two schemes' "APBD" lines looked alike at 1366 px (the Skema column is off screen there):
    shown together, each line carries its scheme's short name. The new line's sponsor box listed
    other regencies' sponsors among the scheme's own: its regency's come first, each with its kind."""
    from payung.base.formats import short_name
    from payung.base.sponsor_types import SPONSOR_TYPES
    from payung.finance.budgets import create_budget_line
    import pytest
    schemes = site["app"].plugins.schemes
    if len(schemes) < 2:
        pytest.skip("lines of two schemes need two installed schemes")
    first, second = list(schemes)[:2]
    year = dt.date.today().year + 3  # a year no other test gives lines
    with open_db(site) as db:
        for code in (first, second):
            create_budget_line(db, site["app"].plugins, {"scheme_code": code, "name": "APBD kembar", "year": year,
                                                         "source": "APBD", "amount": 1_000_000}, actor=Actor.system())
    at = run("admin", "pages/anggaran.py", state={"a_year": year})
    names = list(at.dataframe[0].value["Pos anggaran"])
    assert sorted(names) == sorted(f"{short_name(schemes[c].name)} · APBD kembar" for c in (first, second)), names
    at = run("admin", "pages/anggaran.py", state={"a_year": year, "a_scheme": first})
    assert list(at.dataframe[0].value["Pos anggaran"]) == ["APBD kembar"]

    with open_db(site) as db:
        sponsors = list(db.query("SELECT * FROM sponsors WHERE active = 1"))

    def sponsor(option: str) -> dict:
        if " · ID " in option:
            return next(s for s in sponsors if s["id"] == int(option.rsplit(" · ID ", 1)[1]))
        [found] = [s for s in sponsors if option == f"{s['name']} ({SPONSOR_TYPES[s['type']].label})"]
        return found
    mixed = 0
    for code, scheme in schemes.items():
        options = run("admin", "pages/anggaran.py", state={"an_scheme": code}).selectbox(key="an_sponsor").options[1:]
        own = [(s["village_code"] or "").startswith(scheme.regency_code + ".") or (
            s["village_code"] is None and s["regency_code"] in (None, scheme.regency_code)) for s in map(sponsor, options)]
        assert own == sorted(own, reverse=True), (code, own)
        mixed += any(own) and not all(own)
    assert mixed, "no scheme's list held its own regency's sponsors and others': the order was not tried"


def test_a_budget_line_with_anything_committed_never_reads_0_percent(site):
    """A line of which 0,4% was committed read "0%" in Terpakai, as if nothing was."""
    from payung.finance.budgets import budget_lines
    with open_db(site) as db:
        line = next((l for code in site["app"].plugins.schemes for year in range(2020, 2031)
                     for l in budget_lines(db, code, year, actor=Actor.system()) if l["committed"]), None)
        if line is None:
            pytest.skip("the demo data has no budget line with commitments")
        db.execute("UPDATE budget_lines SET amount = ? WHERE id = ?", [line["committed"] * 250, line["id"]])
    at = run("admin", "pages/anggaran.py", state={"a_year": line["year"], "a_scheme": line["scheme_code"]})
    shown = at.dataframe[0].value
    assert list(shown.loc[shown["Pos anggaran"] == line["name"], "Terpakai"]) == [1]



def _renewal_into_a_new_year(site, monkeypatch, carried_over, wanted=lambda left: True):
    """The first row to renew whose scheme has fields not carried into the new year when
    ``Field.carried_over`` is ``carried_over`` (and ``wanted`` of them holds), and those fields."""
    from payung.enrolment.arrears import ending_soon, not_carried_over
    from payung.schemes.fields import Field
    monkeypatch.setattr(Field, "carried_over", property(carried_over))
    app = site["app"]
    with open_db(site) as db:
        ending = ending_soon(db, app.plugins, actor=Actor("admin", "admin"))
    rows = [(r, left) for r in ending.rows
            if (left := not_carried_over(app.plugins.fields(app.plugins.scheme(r["scheme_code"])), r)) and wanted(left)]
    assert rows, "the demo has a renewal into a new year of a scheme with such a field"
    return rows[0]


def test_a_renewal_into_a_new_year_asks_for_the_new_years_document_and_says_what_it_left_empty(site, monkeypatch):
    """A reference to the old year's budget document is not copied by "Perpanjang" into a new year
    (arrears.not_carried_over): the confirmation asks for the new year's, and the message says what stayed
    empty. (Pringsewu's one text field, a position, is carried over: here it is taken as one
    that is not, as a field of a plugin that does not say.)"""
    row, left = _renewal_into_a_new_year(site, monkeypatch, lambda f: f.type != "text")
    db = open_db(site)
    at = run("admin", "pages/tunggakan.py")
    at.button(key=f"renew_{row['id']}").click().run()  # the confirmation asks for them
    assert all(at.text_input(key=f"renew_{row['id']}_{f.name}").value == "" for f in left), "nothing of the old year's"
    at.button(key=f"renew_yes_{row['id']}").click().run()
    assert "Tidak disalin dari tahun" in texts(at) and f"«{left[0].label}»" in texts(at), texts(at)
    new = max(s["id"] for s in queries.worker_sponsorships(db, row["worker_id"], EVERYTHING))
    assert new != row["id"] and left[0].name not in json.loads(queries.sponsorship(db, new, EVERYTHING)["fields"])


def test_a_refused_renewal_keeps_its_confirmation_open_with_what_was_typed(site, monkeypatch):
    """When "Ya, perpanjang" is refused (a required number of the new year left empty, a quota
    reached meanwhile), the confirmation stays open with its error and what was typed in it, to be
    corrected and confirmed again; nothing is made."""
    from payung.base.errors import ValidationError
    from payung.enrolment import arrears
    row, left = _renewal_into_a_new_year(site, monkeypatch, lambda f: f.type != "text")
    db = open_db(site)

    def refused(*args, **kwargs):
        raise ValidationError("«Nomor RKPDes/APBDes» wajib diisi")
    monkeypatch.setattr(arrears, "renew", refused)
    at = run("admin", "pages/tunggakan.py")
    at.button(key=f"renew_{row['id']}").click().run()
    at.text_input(key=f"renew_{row['id']}_{left[0].name}").input("APBDes 2027 No. 1")
    at.button(key=f"renew_yes_{row['id']}").click().run()
    assert any("wajib diisi" in e.value for e in at.error), texts(at)
    at.run()  # the next click anywhere: the confirmation is still there to be corrected
    assert at.button(key=f"renew_yes_{row['id']}"), "the confirmation is still open"
    assert at.text_input(key=f"renew_{row['id']}_{left[0].name}").value == "APBDes 2027 No. 1"
    assert max(s["id"] for s in queries.worker_sponsorships(db, row["worker_id"], EVERYTHING)) == row["id"]


def test_a_renewal_waiting_for_a_required_number_still_says_what_it_costs(site, monkeypatch):
    """Mempawah's renewal into a new year asks for the new year's «Nomor RKPDes/APBDes» (required):
    while it was empty the confirmation said "12 bulan (iurannya dihitung saat diperpanjang)",
    under the line that had just said "12 bulan × Rp21.800 = Rp261.600". It says the line's cost."""
    row, left = _renewal_into_a_new_year(site, monkeypatch, lambda f: f.type != "text",
                                         lambda left: any(f.required for f in left))
    amounts = row["renewal_amounts"]
    assert amounts and len(set(amounts)) == 1, amounts
    each, total = format_rupiah(amounts[0]), format_rupiah(sum(amounts))
    at = run("admin", "pages/tunggakan.py")
    assert f"{len(amounts)} bulan × {each} = {total}" in texts(at), "the line says what the renewal costs"
    at.button(key=f"renew_{row['id']}").click().run()
    assert any("wajib diisi" in w.value for w in at.warning), "the new year's number is still asked for"
    shown = next(m.value for m in at.markdown if "Yang dibuat" in m.value)
    assert "dihitung saat diperpanjang" not in shown, shown
    assert f"{len(amounts)} bulan × {each} = **{total}**" in shown, shown


def test_a_renewal_asks_each_field_not_carried_over_as_the_enrolment_form_does(site, monkeypatch):
    """A field of another type than text that is not carried over (``carry_over=False``: a quota
    or a choice of one year) was asked in a free text box: a choice had to be typed as its stored
    code ("KPPS"), a number as text, and the label, typed by an administrator in the scheme editor,
    was drawn as Markdown. Each is asked as the enrolment form asks it (``declared_field``)."""
    row, left = _renewal_into_a_new_year(site, monkeypatch, lambda f: False,
                                         lambda left: any(f.type == "choice" for f in left))
    at = run("admin", "pages/tunggakan.py")
    at.button(key=f"renew_{row['id']}").click().run()
    assert not at.exception, at.exception
    choice = next(f for f in left if f.type == "choice")
    box = at.selectbox(key=f"renew_{row['id']}_{choice.name}")
    assert list(box.options) == [label for _, label in choice.options], box.options
    assert box.label.startswith(choice.label)


@pytest.mark.unchecked  # the old first month's price set without its line, on purpose
def test_a_renewal_says_what_its_months_cost_not_what_the_old_first_month_did(site):
    """A sponsorship's ``monthly_amount`` is its first month's (half a driver's rate while a
    relief ran): the line and the confirmation multiplied it by the months and said half of what
    the renewal billed. They say what the new months cost, and the renewal bills that."""
    from payung.enrolment.arrears import ending_soon
    db = open_db(site)
    app = site["app"]
    row = ending_soon(db, app.plugins, actor=Actor("admin", "admin")).rows[0]
    db.execute("UPDATE sponsorships SET monthly_amount = 100 WHERE id = ?", [row["id"]])  # as a relief left it
    at = run("admin", "pages/tunggakan.py")
    assert "× Rp100 " not in texts(at) and "= Rp1.200" not in texts(at), texts(at)
    at.button(key=f"renew_{row['id']}").click().run()
    assert "× Rp100 " not in texts(at), texts(at)
    shown = next(m.value for m in at.markdown if "Yang dibuat" in m.value)
    for field in at.text_input:  # a new year's document number, where one is asked for
        if field.key and field.key.startswith(f"renew_{row['id']}_"):
            field.input("Dokumen 2027 No. 1")
    at.button(key=f"renew_yes_{row['id']}").click().run()
    new = max(s["id"] for s in queries.worker_sponsorships(db, row["worker_id"], EVERYTHING))
    billed = [line["amount"] for line in queries.lines_of(db, new)]
    assert new != row["id"] and f"**{format_rupiah(sum(billed))}**" in shown, (shown, billed)


def test_a_refused_renewal_leaves_the_rest_of_the_page_drawn(site, monkeypatch):
    """A refusal in the confirmation stopped the page's run (st.stop): the rows under it and the
    tab "Sudah selesai" were gone until the next click, as if renewed or never due."""
    from payung.base.errors import ValidationError
    from payung.enrolment import arrears
    db = open_db(site)
    rows = arrears.ending_soon(db, site["app"].plugins, actor=Actor("admin", "admin")).rows
    assert len(rows) > 1

    def refused(*args, **kwargs):
        raise ValidationError("Pagu anggaran tidak cukup")
    monkeypatch.setattr(arrears, "renew", refused)
    at = run("admin", "pages/tunggakan.py")
    at.button(key=f"renew_{rows[0]['id']}").click().run()
    at.button(key=f"renew_yes_{rows[0]['id']}").click().run()
    assert any("Pagu anggaran tidak cukup" in e.value for e in at.error), texts(at)
    assert at.button(key=f"renew_{rows[-1]['id']}"), "the rows under the refused one are still listed"
    assert "Kepesertaan yang bulannya sudah selesai dalam" in texts(at), "the tab Sudah selesai is still drawn"


def test_a_renewal_no_longer_found_closes_its_confirmation_and_leaves_the_page_drawn(site, monkeypatch):
    """The confirmation asks ``renewal_plan`` on every run: a sponsorship no longer found in the
    actor's slice (NotFound, not a ValidationError) went to the page's handler, the box stayed
    open (no Batal drawn) and refused again on every run, the rows under it and the tab Sudah
    selesai gone."""
    from payung.base.errors import NotFound
    from payung.enrolment import arrears
    rows = arrears.ending_soon(open_db(site), site["app"].plugins, actor=Actor("admin", "admin")).rows
    assert len(rows) > 1

    def gone(db, registry, sponsorship_id, **kwargs):
        raise NotFound(f"Kepesertaan #{sponsorship_id} tidak ditemukan.")
    at = run("admin", "pages/tunggakan.py")
    with monkeypatch.context() as patched:
        patched.setattr(arrears, "renewal_plan", gone)
        at.button(key=f"renew_{rows[0]['id']}").click().run()
        assert not at.exception, at.exception
        assert any("tidak ditemukan" in e.value for e in at.error), texts(at)
        assert at.button(key=f"renew_{rows[-1]['id']}"), "the rows under it are still listed"
        assert "Kepesertaan yang bulannya sudah selesai dalam" in texts(at), "the tab Sudah selesai is still drawn"
    at.run()
    assert at.button(key=f"renew_{rows[0]['id']}").label == "Perpanjang", "the box closed"


def test_the_confirmation_says_what_would_still_refuse_the_renewal(site, monkeypatch):
    """``renewal_plan``'s problems are said before "Ya, perpanjang" (a required field of the new
    year not yet given), and no longer once it is given."""
    row, left = _renewal_into_a_new_year(site, monkeypatch, lambda f: f.type != "text",
                                         lambda left: any(f.required for f in left))  # Mempawah's document number
    at = run("admin", "pages/tunggakan.py")
    at.button(key=f"renew_{row['id']}").click().run()
    required = next(f for f in left if f.required)
    assert any("Belum dapat diperpanjang" in w.value and required.label in w.value for w in at.warning), texts(at)
    for f in left:
        at.text_input(key=f"renew_{row['id']}_{f.name}").input("Dokumen 2027 No. 1")
    at.run()
    assert not any("Belum dapat diperpanjang" in w.value for w in at.warning), texts(at)


def _with_adjusting_plugin(monkeypatch, adjust):
    """The plugins as the app loads them from now on (the pages too), with a test-only plugin
    ("uji_iuran") whose ``adjust_contribution`` is ``adjust`` (no shipped scheme has one)."""
    import os
    from types import SimpleNamespace

    from payung.core import Payung
    from payung.schemes.hookspecs import hookimpl

    plugin = SimpleNamespace(adjust_contribution=hookimpl(adjust))
    load = Payung.load.__func__
    monkeypatch.setattr(Payung, "load", classmethod(lambda cls, config=None, **options: load(
        cls, config, **options, extra_plugins=(("uji_iuran", plugin),))))
    return Payung.load(os.environ["PAYUNG_CONFIG"]).plugins


def _priced(amounts: list[int], *, bold: bool = False) -> str:
    """What the page says renewal months of ``amounts`` (all alike) cost: "12 bulan × Rp21.800 = Rp261.600"."""
    assert amounts and len(set(amounts)) == 1, amounts
    total = format_rupiah(sum(amounts))
    return f"{len(amounts)} bulan × {format_rupiah(amounts[0])} = " + (f"**{total}**" if bold else total)


def test_a_plugins_own_adjustment_is_in_the_line_the_confirmation_and_the_bill(site, monkeypatch):
    """A Python plugin's ``adjust_contribution`` (no shipped scheme has one) was left out of a
    renewal line's price (``arrears.renewal_amounts``): the line said less than the confirmation
    and the bill. One pricing rule (``sponsorships.priced_months``) prices all three."""
    from payung.enrolment.arrears import ending_soon

    def adjust_contribution(enrolment, month, contribution):  # a test-only plugin: Rp1.000 more on JKK
        return dataclasses.replace(contribution, jkk=contribution.jkk + 1000)

    admin = Actor("admin", "admin")
    with open_db(site) as db:
        plain_amounts = ending_soon(db, site["app"].plugins, actor=admin).rows[0]["renewal_amounts"]
        plugins = _with_adjusting_plugin(monkeypatch, adjust_contribution)
        asked, query = [], db.query
        monkeypatch.setattr(db, "query", lambda sql, params=(): asked.append(sql) or query(sql, params))
        renewals = ending_soon(db, plugins, actor=admin, limit=100)
        row = renewals.rows[0]
    # The list, then its workers, its sponsors and the villages its fields name (Pringsewu's
    # «Pekon», checked as the enrolment checks it), each read at once: no query per line.
    assert len(renewals.rows) > 2 and len(asked) == 4 and "FROM regions WHERE code IN" in asked[3], asked
    amounts = row["renewal_amounts"]
    assert amounts and amounts == [a + 1000 for a in plain_amounts], (amounts, plain_amounts)
    assert len(set(amounts)) == 1, amounts
    said = f"{len(amounts)} bulan × {format_rupiah(amounts[0])} = "
    at = run("admin", "pages/tunggakan.py")
    assert said + format_rupiah(sum(amounts)) in texts(at), "the line"
    at.button(key=f"renew_{row['id']}").click().run()
    shown = next(m.value for m in at.markdown if "Yang dibuat" in m.value)
    assert said + f"**{format_rupiah(sum(amounts))}**" in shown, shown
    at.button(key=f"renew_yes_{row['id']}").click().run()
    db = open_db(site)
    new = max(s["id"] for s in queries.worker_sponsorships(db, row["worker_id"], EVERYTHING))
    assert new != row["id"] and [line["amount"] for line in queries.lines_of(db, new)] == amounts, "the bill"


def test_a_renewal_priced_with_a_field_of_the_new_year_says_it_is_an_estimate_until_the_field_is_given(
        site, monkeypatch):
    """A plugin's adjustment that reads a field not carried into the new year (here Rp1.000 more
    on JKK once Pringsewu's «Jabatan di BHP» is given, taken as a text field that is not carried
    over) priced the line without the field and the confirmation, once it was typed, with it: two
    prices for one renewal, neither said to be an estimate. The line says it is one ("perkiraan")
    and why, the confirmation too until the field is given, then the price the bill has; a line
    whose price read no such field (Mempawah's, whose «Nomor RKPDes/APBDes» the plugin does not
    read) says no "perkiraan"."""
    from payung.enrolment.arrears import ended_unrenewed, ending_soon, not_carried_over
    from payung.schemes.fields import Field

    def adjust_contribution(enrolment, month, contribution):
        if enrolment.fields.get("bhp_position"):
            return dataclasses.replace(contribution, jkk=contribution.jkk + 1000)
        return None

    monkeypatch.setattr(Field, "carried_over", property(lambda f: f.type != "text"))
    plugins = _with_adjusting_plugin(monkeypatch, adjust_contribution)
    admin = Actor("admin", "admin")
    with open_db(site) as db:
        rows = [r for renewals in (ending_soon(db, plugins, actor=admin, limit=100),
                                   ended_unrenewed(db, plugins, actor=admin, limit=100)) for r in renewals.rows]
    new_year = [r for r in rows if not_carried_over(plugins.fields(plugins.scheme(r["scheme_code"])), r)]
    read = [r for r in new_year if r["renewal_depends_on"]]
    assert read and all(r["renewal_depends_on"] == ["bhp_position"] for r in read), read
    assert len(read) < len(new_year), "some lines into a new year read no such field (Mempawah's)"
    row = read[0]
    year, amounts = add_months(row["end_month"], 1)[:4], row["renewal_amounts"]
    why = f"iurannya bergantung pada «Jabatan di BHP untuk {year}»"
    at = run("admin", "pages/tunggakan.py")
    assert f"{_priced(amounts)} (perkiraan: {why}, yang diisi saat diperpanjang)" in texts(at), texts(at)
    assert sum("(perkiraan: " in m.value for m in at.markdown) == len(read), "only the lines that read it"
    at.button(key=f"renew_{row['id']}").click().run()
    shown = next(m.value for m in at.markdown if "Yang dibuat" in m.value)
    assert f"{_priced(amounts, bold=True)} (perkiraan: {why}, yang belum diisi di bawah), ditanggung" in shown, shown
    at.text_input(key=f"renew_{row['id']}_bhp_position").input("Ketua")
    at.run()
    shown = next(m.value for m in at.markdown if "Yang dibuat" in m.value)
    more = [a + 1000 for a in amounts]
    assert f"{_priced(more, bold=True)}, ditanggung" in shown and "perkiraan" not in shown, shown
    at.button(key=f"renew_yes_{row['id']}").click().run()
    db = open_db(site)
    new = max(s["id"] for s in queries.worker_sponsorships(db, row["worker_id"], EVERYTHING))
    assert new != row["id"] and [line["amount"] for line in queries.lines_of(db, new)] == more, "the bill"


def test_a_renewal_line_hands_a_plugin_the_sponsor_and_the_fields_the_enrolment_form_does(site, monkeypatch):
    """The renewal lines read their sponsors without the name of the sponsor's village
    (``village``), which the enrolment form's row has: a plugin's adjustment that reads it failed
    there, and the line said "dihitung saat diperpanjang" while the confirmation and the bill
    priced it. The line, the confirmation and the bill read one sponsor row
    (``queries.SPONSOR_ROW``) and say one price."""
    from payung.enrolment.arrears import ending_soon

    def adjust_contribution(enrolment, month, contribution):  # Rp1.000 more for a village's own sponsor
        return dataclasses.replace(contribution, jkk=contribution.jkk + (1000 if enrolment.sponsor["village"] else 0))

    admin = Actor("admin", "admin")
    with open_db(site) as db:
        before = {r["id"]: r["renewal_amounts"] for r in ending_soon(db, site["app"].plugins, actor=admin).rows}
        villages = {s["id"]: s["village_code"] for s in db.query("SELECT id, village_code FROM sponsors")}
        plugins = _with_adjusting_plugin(monkeypatch, adjust_contribution)
        rows = ending_soon(db, plugins, actor=admin).rows
    row = next(r for r in rows if villages[r["sponsor_id"]] and before[r["id"]])
    assert row["renewal_amounts"] == [a + 1000 for a in before[row["id"]]], (row["renewal_amounts"], before[row["id"]])
    at = run("admin", "pages/tunggakan.py")
    assert _priced(row["renewal_amounts"]) in texts(at), "the line"
    at.button(key=f"renew_{row['id']}").click().run()
    for field in at.text_input:  # a new year's document number, where one is asked for
        if field.key and field.key.startswith(f"renew_{row['id']}_"):
            field.input("Dokumen 2027 No. 1")
    at.run()
    shown = next(m.value for m in at.markdown if "Yang dibuat" in m.value)
    assert f"{_priced(row['renewal_amounts'], bold=True)}, ditanggung" in shown, shown
    at.button(key=f"renew_yes_{row['id']}").click().run()
    db = open_db(site)
    new = max(s["id"] for s in queries.worker_sponsorships(db, row["worker_id"], EVERYTHING))
    assert new != row["id"] and [line["amount"] for line in queries.lines_of(db, new)] == row["renewal_amounts"]


def test_a_renewal_line_checks_a_village_field_as_the_enrolment_does(site, monkeypatch):
    """The renewal lines checked the fields without ``village_exists``: a «Pekon» whose code is
    no village (the enrolment refuses it, "kode desa/kelurahan ... tidak dikenal") was handed
    to a plugin's adjustment as if it were one. It is left out, as the enrolment's checked fields
    leave it; a known one is handed on."""
    from payung.enrolment.arrears import ending_soon

    def adjust_contribution(enrolment, month, contribution):  # Rp1.000 more for a pekon's RT head
        return dataclasses.replace(contribution, jkk=contribution.jkk + (1000 if enrolment.fields.get("pekon") else 0))

    admin = Actor("admin", "admin")
    with open_db(site) as db:
        before = {r["id"]: r["renewal_amounts"] for r in ending_soon(db, site["app"].plugins, actor=admin).rows}
        plugins = _with_adjusting_plugin(monkeypatch, adjust_contribution)
        row = next(r for r in ending_soon(db, plugins, actor=admin).rows if json.loads(r["fields"]).get("pekon"))
        assert queries.region(db, json.loads(row["fields"])["pekon"]) and before[row["id"]]
        assert row["renewal_amounts"] == [a + 1000 for a in before[row["id"]]], "a known pekon is handed on"
        fields = json.loads(row["fields"]) | {"pekon": "18.10.99.9999"}
        assert queries.region(db, fields["pekon"]) is None
        db.execute("UPDATE sponsorships SET fields = ? WHERE id = ?", [json.dumps(fields), row["id"]])
        again = next(r for r in ending_soon(db, plugins, actor=admin).rows if r["id"] == row["id"])
    assert again["renewal_amounts"] == before[row["id"]], "an unknown one is left out"


def test_a_renewal_waiting_for_a_required_number_says_its_cost_is_the_lists_and_which_box_to_fill(site, monkeypatch):
    """While Mempawah's «Nomor RKPDes/APBDes» of the new year is empty the renewal's plan prices
    nothing: the box said the line's price as if settled, and "«Nomor RKPDes/APBDes» wajib
    diisi" under a box named "Nomor RKPDes/APBDes untuk 2027". It says the price is the list's
    until what is missing is given, and names the box to fill; given, the plan's price stands
    alone."""
    row, left = _renewal_into_a_new_year(site, monkeypatch, lambda f: f.type != "text",
                                         lambda left: any(f.required for f in left))
    required = next(f for f in left if f.required)
    box = f"{required.label} untuk {add_months(row['end_month'], 1)[:4]}"
    amounts = row["renewal_amounts"]
    priced = f"{len(amounts)} bulan × {format_rupiah(amounts[0])} = **{format_rupiah(sum(amounts))}**"
    at = run("admin", "pages/tunggakan.py")
    at.button(key=f"renew_{row['id']}").click().run()
    shown = next(m.value for m in at.markdown if "Yang dibuat" in m.value)
    assert f"{priced} (perkiraan dari daftar; dipastikan setelah yang kurang di bawah dilengkapi)" in shown, shown
    assert any(f"«{box}» di atas wajib diisi" in w.value for w in at.warning), [w.value for w in at.warning]
    for f in left:
        at.text_input(key=f"renew_{row['id']}_{f.name}").input("Dokumen 2027 No. 1")
    at.run()
    shown = next(m.value for m in at.markdown if "Yang dibuat" in m.value)
    assert f"{priced}, ditanggung" in shown and "perkiraan" not in shown, shown
    assert not at.warning, [w.value for w in at.warning]


def test_a_renewal_waiting_for_a_required_field_its_price_reads_names_that_field_once(site, monkeypatch):
    """A price that reads a required field of the new year (here Rp1.000 more on JKK once
    Mempawah's «Nomor RKPDes/APBDes» is given, as a site's plugin might) said in one sentence
    "(perkiraan dari daftar; iurannya bergantung pada «X untuk 2027», yang belum diisi di bawah;
    dipastikan setelah yang kurang di bawah dilengkapi)", and the warning under the box named it a
    third time. The confirmation says why it is an estimate, once; the warning says what to fill."""
    def adjust_contribution(enrolment, month, contribution):
        if enrolment.fields.get("apbdes_ref"):
            return dataclasses.replace(contribution, jkk=contribution.jkk + 1000)
        return None

    row, left = _renewal_into_a_new_year(site, monkeypatch, lambda f: f.type != "text",
                                         lambda left: any(f.required and f.name == "apbdes_ref" for f in left))
    plugins = _with_adjusting_plugin(monkeypatch, adjust_contribution)
    from payung.enrolment.arrears import ending_soon
    with open_db(site) as db:
        row = next(r for r in ending_soon(db, plugins, actor=Actor("admin", "admin")).rows if r["id"] == row["id"])
    assert row["renewal_depends_on"] == ["apbdes_ref"], row["renewal_depends_on"]
    required = next(f for f in left if f.name == "apbdes_ref")
    box = f"«{required.label} untuk {add_months(row['end_month'], 1)[:4]}»"
    at = run("admin", "pages/tunggakan.py")
    at.button(key=f"renew_{row['id']}").click().run()
    shown = next(m.value for m in at.markdown if "Yang dibuat" in m.value)
    said = (f"{_priced(row['renewal_amounts'], bold=True)} (perkiraan: iurannya bergantung pada {box}, "
            "yang belum diisi di bawah), ditanggung")
    assert said in shown and shown.count(box) == 1 and "dipastikan" not in shown, shown
    assert any(f"{box} di atas wajib diisi" in w.value for w in at.warning), [w.value for w in at.warning]
    for f in left:
        at.text_input(key=f"renew_{row['id']}_{f.name}").input("Dokumen 2027 No. 1")
    at.run()
    shown = next(m.value for m in at.markdown if "Yang dibuat" in m.value)
    more = [a + 1000 for a in row["renewal_amounts"]]
    assert f"{_priced(more, bold=True)}, ditanggung" in shown and "perkiraan" not in shown, shown


def test_a_yes_refused_as_not_found_says_why_and_closes_the_box_at_once(site, monkeypatch):
    """"Ya, perpanjang" refused because the kepesertaan is no longer found (moved out of the
    user's villages meanwhile: NotFound, not a ValidationError) went to the page's handler: its
    bare "tidak ditemukan" in place of the rest of the page, the box closing only on the next
    click. The run of the click says it under the tab, the box closed, the page drawn."""
    from payung.base.errors import NotFound
    from payung.enrolment import arrears
    rows = arrears.ending_soon(open_db(site), site["app"].plugins, actor=Actor("admin", "admin")).rows
    assert len(rows) > 1

    def gone(db, registry, sponsorship_id, **kwargs):
        raise NotFound(f"Kepesertaan #{sponsorship_id} tidak ditemukan.")
    monkeypatch.setattr(arrears, "renew", gone)
    at = run("admin", "pages/tunggakan.py")
    at.button(key=f"renew_{rows[0]['id']}").click().run()
    at.button(key=f"renew_yes_{rows[0]['id']}").click().run()
    assert not at.exception, at.exception
    said = f"{rows[0]['worker_name']} tidak dapat diperpanjang: Kepesertaan #{rows[0]['id']} tidak ditemukan."
    assert [e.value.replace("\\#", "#") for e in at.error] == [said], texts(at)  # plain() escapes "#"
    assert at.button(key=f"renew_{rows[0]['id']}").label == "Perpanjang", "the box closed"
    assert all(b.key != f"renew_yes_{rows[0]['id']}" for b in at.button)
    assert at.button(key=f"renew_{rows[-1]['id']}"), "the rows under it are still listed"
    assert "Kepesertaan yang bulannya sudah selesai dalam" in texts(at), "the tab Sudah selesai is still drawn"
    assert _open_tab(at) == 2
    at.run()
    assert not at.error, "said once"


def test_a_reference_that_reads_like_a_huge_amount_does_not_break_the_payments_list(site):
    """A payment's reference is typed by whoever records it: "Rp999.999.999.999.999.999.999", the
    only one in the list (the others have none), made Referensi a column of amounts, beyond what
    a column of 64-bit numbers holds: Pembayaran failed for everyone who may see the payment.
    Text that reads like a rupiah amount but is no 64-bit one (or not as ``rupiah()`` writes it,
    "Rp007") stays text, shown as typed."""
    db = open_db(site)
    payments = billing.payments(db, scope=EVERYTHING)[0]
    for payment in payments:
        store.update(db, "payments", payment["id"], {"reference": None}, actor="t")
    for typed in ("Rp999.999.999.999.999.999.999", "-Rp9.223.372.036.854.775.809", "Rp007"):
        store.update(db, "payments", payments[0]["id"], {"reference": typed}, actor="t")
        at = run("admin", "pages/pembayaran.py")
        # The data under the screen's text: "-Rp..." quoted as Excel would run it (spreadsheets.quoted).
        shown = [[unquoted(v) for v in d.value["Referensi"]] for d in at.dataframe if "Referensi" in d.value.columns]
        assert shown and all(typed in column for column in shown), (typed, shown)
    db.close()
