"""Pembayaran: every recorded payment, its receipt, and reversal (never deletion)."""

import streamlit as st

from payung.auth.access import allowed, schemes_for
from payung.reports.letterhead import letterhead_for
from payung.base.errors import NotFound
from payung.base.formats import month_short, short_name
from payung.finance.payments import allocation_summary, list_payments, payment_with_lines, reverse_payment
from ui.receipts import receipt_file
from ui.session import connection, live_download, payung, require
from ui.widgets import (chars, attempt, current_page, date_text, field_errors, pager, problem_summary, rupiah, saved,
                        show_saved_message)
from ui.widgets import plain
from ui.widgets import or_all, picked, scheme_column, table

FORM = "batal"
PAGE_SIZE = 50
actor = require("payment.read")
app = payung()
schemes = schemes_for(app.plugins, actor, "payment.read")
show_saved_message()
st.title("Pembayaran")
st.caption("Pembayaran dicatat dari halaman Tagihan, atau diimpor dari spreadsheet di halaman Impor data. "
           "Pembayaran yang salah dibatalkan dengan alasan; catatannya tetap disimpan.")

code = st.selectbox("Skema", **or_all(schemes, "Semua skema", key="p_scheme"))
with connection() as db:
    result = list_payments(db, actor=actor, scheme_code=code, page=current_page("p_page"), page_size=PAGE_SIZE)
if not result.rows:
    st.info("Belum ada pembayaran yang tercatat.")
    st.stop()


def months_of(row) -> str:
    if not row["from_month"]:
        return "-"
    if row["from_month"] == row["to_month"]:
        return month_short(row["from_month"])
    return f"{month_short(row['from_month'])} - {month_short(row['to_month'])}"


listed = table([{
    # What is read first comes first: at 1400 px Jumlah and Status were off-screen on the right.
    "Tanda terima": r["receipt"], "Tanggal bayar": date_text(r["paid_on"]), "Jumlah": rupiah(r["amount"]),
    "Status": f"Dibatalkan: {r['reversal_reason']}" if r["reversed_at"] else "Berlaku",
    "Dari": r["party_label"], "Bulan tagihan": months_of(r),
    "Skema": short_name(schemes[r["scheme_code"]].name) if r["scheme_code"] in schemes else r["scheme_code"],
    "Baris": r["lines"], "Referensi": r["reference"] or "-", "Dicatat oleh": r["recorded_by"],
} for r in result.rows], hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
    key="p_table", phone=["Dari", "Jumlah", "Status", "Tanggal bayar"],
    column_config={"Skema": scheme_column(s.name for s in schemes.values())},
    # At 1366 px Skema was cut and Baris, Referensi, Dicatat oleh were off screen: they are in the
    # payment's own view below, once picked (a wide screen shows them all).
    laptop=["Tanda terima", "Tanggal bayar", "Jumlah", "Status", "Dari", "Skema"])
pager(result.total, PAGE_SIZE, key="p_page")
chosen = picked(listed, result.rows)
if chosen:
    st.query_params["id"] = str(chosen["id"])
if "id" not in st.query_params:
    st.caption("Pilih satu pembayaran untuk mengunduh tanda terimanya"
               + (" atau membatalkannya." if allowed(actor, "payment.write") else "."))
    st.stop()
with connection() as db:
    try:
        payment = payment_with_lines(db, int(st.query_params["id"]), actor=actor)
    except (ValueError, NotFound):
        st.error("Pembayaran tidak ditemukan.")
        st.stop()
scheme_name = schemes[payment["scheme_code"]].name if payment["scheme_code"] in schemes else payment["scheme_code"]
st.subheader(f"Pembayaran {payment['receipt']}")
st.markdown(f"{rupiah(payment['amount'])} dari **{plain(payment['party_label'])}** pada {date_text(payment['paid_on'])}, "
            f"{allocation_summary(payment['allocations'])} iuran ({months_of(payment)}).  \n"
            f"Referensi: {plain(payment['reference'] or '-')} · dicatat oleh {plain(payment['recorded_by'])}")
with connection() as db:
    kop = letterhead_for(app.settings, schemes[payment["scheme_code"]].regency_code if payment["scheme_code"] in schemes
                         else actor.regency_code, db)
st.download_button("Unduh tanda terima (PDF)",
                   live_download(receipt_file(payment["id"], scheme_name, kop), "payment.read"),
                   f"tanda-terima-{payment['id']}.pdf",
                   mime="application/pdf", icon=":material/receipt:", key="p_receipt")
if payment["reversed_at"]:
    st.warning(f"Dibatalkan pada {date_text(payment['reversed_at'])} oleh {plain(payment['reversed_by'])}: "
               f"{plain(payment['reversal_reason'])}")
    st.stop()
if not allowed(actor, "payment.write"):
    st.stop()
with st.expander("Batalkan pembayaran ini"):
    st.caption("Baris yang dilunasi pembayaran ini kembali terbuka. Pembayaran tidak dihapus: tercatat sebagai "
               "dibatalkan, dengan alasan, siapa, dan kapan.")
    problem_summary(FORM, ("reason",))
    reason = st.text_input("Alasan pembatalan *", key="p_reason", max_chars=chars("reason"),
                           placeholder="contoh: transfer ditolak bank")
    field_errors(FORM, "reason")
    if st.button("Batalkan pembayaran", type="primary", icon=":material/undo:", key="p_reverse"):
        def reverse():
            with connection() as db:
                reverse_payment(db, payment["id"], reason=reason, actor=actor)
        attempt(FORM, reverse)
        st.session_state.pop("p_reason", None)
        saved(f"Pembayaran {payment['receipt']} dibatalkan.")
