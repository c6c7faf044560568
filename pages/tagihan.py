"""Tagihan: the bills of a scheme for a month (or 3, 6, 12 months paid in advance), each
party's bill line by line, its XLSX and PDF, and recording a payment against it."""

import hashlib
import re

import streamlit as st

from payung.auth.access import allowed, schemes_for
from payung.base import clock
from payung.base.coverage import STATUS_LABELS
from payung.base.errors import NotFound, ValidationError
from payung.base.formats import count, mid_sentence
from payung.base.months import add_months, current_month, format_month
from payung.finance import bills
from payung.finance.payments import ALLOCATION_ORDER, allocation_summary, payment_with_lines, record_payment
from payung.reports.documents import bill_pdf, bill_xlsx
from payung.reports.letterhead import letterhead_for
from payung.schemes.model import BILL_BY

from ui.receipts import receipt_file
from ui.session import connection, data_version, live_callback, live_download, payung, require, scope_key
from ui.widgets import (chars, clear_problems, current_page, field_errors, nik_note, pager, picked, plain, problem_summary,
                        problems_for, remember_problems, rupiah, rupiah_input, rupiah_value, show_saved_message,
                        table as grid)
from ui.widgets import DATE_HELP, ROWS_PER_PAGE, bring_into_view

FORM = "bayar"
#: The bill's heading and figures, and the mark that a pick just opened it (the page goes there).
BILL_KEY, BRING_BILL = "t_bill_top", "_t_bring_bill"
actor = require("bill.read")
app = payung()
state = st.session_state
show_saved_message()
st.title("Tagihan iuran")

schemes = schemes_for(app.plugins, actor, "bill.read")
if not schemes:
    st.info("Belum ada skema di wilayah Anda yang dapat ditagih. Lihat halaman Skema.")
    st.stop()
left, middle, right = st.columns([3, 2, 2])
code = left.selectbox("Skema", list(schemes), key="t_scheme", format_func=lambda c: schemes[c].name, placeholder="Pilih...")
scheme = schemes[code]
this_month = current_month()
months = [add_months(this_month, i) for i in range(-24, 13)]
start = middle.selectbox("Bulan", months, index=24, key="t_month", format_func=format_month, placeholder="Pilih...")
period = right.selectbox("Periode bayar", app.settings.payment_periods, key="t_period",
                         format_func=lambda n: "1 bulan" if n == 1 else f"{n} bulan (bayar di muka)", placeholder="Pilih...")
end = add_months(start, period - 1)
party_title = BILL_BY[scheme.bill_by]
st.caption(f"Skema ini ditagihkan per {mid_sentence(party_title)}. "
           + (f"Tagihan {format_month(start)} - {format_month(end)}." if period > 1 else f"Tagihan {format_month(start)}."))



@st.cache_data(max_entries=16, show_spinner=False)
def billed_parties(database: str, version: int, scope: tuple, code: str, start: str, end: str, _actor) -> list[dict]:
    """The scheme's parties, kept until the data changes, per slice of data: choosing a row,
    paging its lines or a download does not add up a regency's month again (0,3 s for Kendal)."""
    with connection() as db:
        return bills.parties(db, app.plugins, code, start, end, actor=_actor)


version = data_version()
listed = billed_parties(app.settings.database_url, version, scope_key(actor), code, start, end, actor)
if not listed:
    st.info("Tidak ada iuran yang ditagihkan untuk skema dan bulan ini.")
    st.stop()
a, b, c, d = st.columns(4)
a.metric(f"Jumlah {mid_sentence(party_title)}", count(len(listed)))
b.metric("Total tagihan", rupiah(sum(p["amount"] for p in listed)))
c.metric("Sudah dibayar", rupiah(sum(p["paid"] for p in listed)))
d.metric("Belum dibayar", rupiah(sum(p["open"] for p in listed)))
# A new list (another scheme or months, or other parties or order) is a new table: a row picked
# in the last one is not picked again in this one by its place (it opened another party's bill
# nobody had chosen). Another scheme or months: nothing is picked until a row is. Keyed by the
# parties listed, not by the data's version: a payment a colleague recorded meanwhile (only the
# figures change) made a new table of the one clicked, and the click opened nothing.
listing = hashlib.sha256("\n".join(p["party_key"] for p in listed).encode()).hexdigest()[:16]
table = grid([{party_title: p["party_label"], "Pekerja": p["workers"], "Baris": p["lines"],
                       "Tagihan": rupiah(p["amount"]), "Dibayar": rupiah(p["paid"]), "Sisa": rupiah(p["open"]),
                       "Status": "Lunas" if p["open"] == 0 else ("Sebagian" if p["paid"] else "Belum dibayar")}
                      for p in listed], hide_index=True, width="stretch", on_select="rerun",
                     selection_mode="single-row", key=f"t_parties-{code}-{start}-{end}-{listing}",
             phone=[party_title, "Status", "Sisa", "Tagihan"])
st.caption("Pilih satu baris untuk melihat tagihannya.")
chosen = picked(table, listed)
if state.get("t_listing", (code, start, end)) != (code, start, end):
    state.pop("t_party", None)
state["t_listing"] = (code, start, end)
if chosen and chosen["party_key"] != state.get("t_party"):
    state["t_party"] = chosen["party_key"]
    state[BRING_BILL] = True  # drawn below the fold at 1366x768: the page goes to it
party_key = state.get("t_party")
if party_key not in {p["party_key"] for p in listed}:
    st.stop()
if state.get("t_bill") != (code, party_key, start, end):
    # Another bill: what was typed, and refused, for the last one is not this one's.
    state["t_bill"] = (code, party_key, start, end)
    clear_problems()
    # Set, not dropped: a value dropped from the session stays in the browser's box, and is sent
    # back with the next click.
    state.update({"t_amount": "", "t_reference": "", "t_confirm_duplicate": False})



@st.cache_data(max_entries=16, show_spinner=False)
def bill_summary(database: str, version: int, scope: tuple, code: str, party_key: str, start: str, end: str, today,
                 _actor) -> bills.BillSummary:
    """A party's bill without its lines, kept until the data changes (a payment) or the day does,
    per slice of data: the page's other widgets (the payment form, the pager) do not read it again."""
    with connection() as db:
        return bills.summary(db, app.plugins, scheme_code=code, party_key=party_key, from_month=start, to_month=end,
                             today=today, actor=_actor)


@st.cache_data(max_entries=16, show_spinner=False)
def page_of_lines(database: str, version: int, scope: tuple, code: str, party_key: str, start: str, end: str,
                  today, page: int, per_page: int, _summary: bills.BillSummary, _actor) -> list[dict]:
    """One page of a bill's lines (the bill's summary is keyed by the arguments before it): an
    OPD's month is 13.000 lines, and only these are drawn."""
    with connection() as db:
        return bills.bill_page(db, app.plugins, _summary, page=page, per_page=per_page, actor=_actor)


def whole_bill(actor) -> bills.Bill:
    """The bill with every line, for its files: read when a download button is clicked."""
    with connection() as db:
        return bills.bill(db, app.plugins, scheme_code=code, party_key=party_key, from_month=start, to_month=end,
                          today=today, actor=actor)


today = clock.today()
try:
    summary = bill_summary(app.settings.database_url, version, scope_key(actor), code, party_key, start, end,
                           today, actor)
except NotFound as exc:
    st.error(plain(exc))
    st.stop()
st.divider()
with st.container(key=BILL_KEY):
    st.subheader(f"Tagihan {plain(summary.party.label)}")
    st.markdown(f"**{plain(summary.scheme_name)}** · {summary.period} · {summary.workers} pekerja  \n"
                f"**Total {rupiah(summary.total)}** ({summary.total_in_words}) · dibayar {rupiah(summary.paid)} · "
                f"sisa {rupiah(summary.open)}")
if state.pop(BRING_BILL, False):
    bring_into_view(BILL_KEY)
if summary.coverage:
    st.info(summary.coverage, icon=":material/filter_alt:")
if summary.lapsed_count:
    st.warning(f"{summary.lapsed_count} baris sudah lewat batas tunggakan ({app.settings.lapse_months} bulan): "
               "kepesertaannya berakhir, tidak dapat dibayar lagi, dan pekerjanya harus didaftarkan ulang.")
page = min(current_page("t_lines_page"), max(1, -(-summary.line_count // ROWS_PER_PAGE)))  # another bill: fewer pages
shown_lines = page_of_lines(app.settings.database_url, version, scope_key(actor), code, party_key, start, end, today,
                            page, ROWS_PER_PAGE, summary, actor)
grid([{"Bulan": format_month(l["month"]), "NIK": l["nik"],
               "Nama": l["worker_name"], "Desa/Kel.": l["village_name"], "Penyandang dana": l["sponsor_name"],
               "Jumlah": rupiah(l["amount"]), "Dibayar": rupiah(l["paid_amount"]),
               "Status": STATUS_LABELS[l["status"]] + (" (dibayar sebagian)" if 0 < l["paid_amount"] < l["amount"] else "")}
              for l in shown_lines], hide_index=True, width="stretch", height=min(420, 38 + 35 * len(shown_lines)),
     key="t_lines", phone=["Nama", "Status", "Jumlah", "Bulan"])
pager(summary.line_count, ROWS_PER_PAGE, key="t_lines_page")  # the XLSX and the PDF hold them all
nik_note(actor)
# The files are made when their button is clicked, not on every rerun of the page.
party_in_name = re.sub(r"[^0-9A-Za-z]+", "-", summary.party.key).strip("-").lower() or "pihak"  # no spaces, no "/"
file_name = f"tagihan-{code}-{party_in_name}-{start}{'-' + end if end != start else ''}"
x, y = st.columns(2)
x.download_button("Unduh XLSX", live_download(lambda actor: bill_xlsx(whole_bill(actor), party_title), "bill.read"),
                  f"{file_name}.xlsx", icon=":material/table:",
                  mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="t_xlsx")
with connection() as db:
    kop = letterhead_for(app.settings, schemes[code].regency_code, db)
y.download_button("Unduh PDF (cetak)",
                  live_download(lambda actor: bill_pdf(whole_bill(actor), party_title, letterhead=kop), "bill.read"),
                  f"{file_name}.pdf", icon=":material/print:", mime="application/pdf", key="t_pdf")

receipt = state.get("t_receipt", {}).get(state["t_bill"])  # this bill's, not the party's other months
if receipt:
    with connection() as db:
        paid = payment_with_lines(db, receipt, actor=actor)
    st.success(f"Pembayaran {rupiah(paid['amount'])} tercatat dengan nomor tanda terima {paid['receipt']}; "
               f"{allocation_summary(paid['allocations'])}.", icon=":material/receipt_long:")
    st.download_button("Unduh tanda terima",
                       live_download(receipt_file(receipt, summary.scheme_name, kop), "payment.read"),
                       f"tanda-terima-{paid['id']}.pdf", mime="application/pdf", icon=":material/receipt:",
                       key="t_receipt_pdf")

if not allowed(actor, "payment.write"):
    st.stop()
st.subheader("Catat pembayaran")
if summary.payable == 0:
    # A payment refused because the bill was paid meanwhile (from another tab or by a colleague):
    # said, with what was refused, not left for the person to believe it was recorded.
    problem_summary(FORM)
    st.info("Tidak ada sisa tagihan yang dapat dibayar pada tagihan ini.")
    st.stop()
st.caption(f"Sisa yang dapat dibayar: **{rupiah(summary.payable)}**. Pembayaran melunasi baris berurutan: "
           f"{ALLOCATION_ORDER}. Pembayaran sebagian melunasi baris sejauh jumlahnya; sisanya tetap terbuka.")
problem_summary(FORM, ("amount", "paid_on", "reference"))
# What the last save refused as a duplicate of an earlier payment: confirm to record it anyway.
duplicate = bool(problems_for(FORM, "duplicate"))


def pay(*, actor) -> None:
    """Simpan pembayaran, as the button's callback: it runs before the form is drawn again, so
    after a save the amount and reference are drawn empty (values dropped from the session in
    the script stayed in the browser's form, and a second click recorded the payment twice)."""
    try:
        amount = rupiah_value("t_amount", field="amount", label="Jumlah dibayar")
        with connection() as db:
            payment_id = record_payment(
                db, app.plugins, scheme_code=code, party_key=party_key,
                amount=amount if amount is not None else 0, paid_on=state.get("t_paid_on"),
                reference=state.get("t_reference"), from_month=start, to_month=end, actor=actor,
                confirm_duplicate=bool(state.get("t_confirm_duplicate")))
    except ValidationError as exc:
        remember_problems(FORM, exc.problems)
        return
    clear_problems()
    state["t_receipt"] = {(code, party_key, start, end): payment_id}
    state.update({"t_amount": "", "t_reference": "", "t_confirm_duplicate": False})


# Not an st.form: the amount is written with thousands separators as soon as it is typed (a
# callback, which a form does not allow), like its placeholder.
with st.container(border=True):
    rupiah_input("Jumlah dibayar (Rp) *", key="t_amount", placeholder=f"contoh {count(summary.payable)}")
    field_errors(FORM, "amount")
    st.date_input("Tanggal bayar *", value=clock.today(), format="DD/MM/YYYY", key="t_paid_on", help=DATE_HELP)
    field_errors(FORM, "paid_on")
    st.text_input("Nomor referensi / bukti transfer", key="t_reference", max_chars=chars("reference"))
    if duplicate:
        st.checkbox("Ya, ini pembayaran lain (bukan yang sudah tercatat)", key="t_confirm_duplicate")
    st.button("Simpan pembayaran", type="primary", icon=":material/payments:", key="t_pay",
              on_click=live_callback(pay, "payment.write"))
