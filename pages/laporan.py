"""Laporan bulanan: one click gives the month's XLSX (a sheet per table) and PDF (figures and
charts), for the whole regency or one scheme, ready to send to the Bupati."""

import streamlit as st

from payung.auth.access import schemes_for
from payung.reports.dashboard import View, build
from payung.base.months import add_months, current_month, format_month
from payung.reports.letterhead import combined_letterhead, letterhead_for
from payung.reports.monthly import report_pdf, report_xlsx
from ui.session import connection, live_download, payung, require
from ui.widgets import or_all

actor = require("report.read")
app = payung()
schemes = schemes_for(app.plugins, actor, "report.read")
st.title("Laporan bulanan")
st.caption("Untuk Bupati, TKPK, dan kantor cabang BPJS: angka bulan terpilih, tabel per wilayah, pekerjaan, "
           "jenis kelamin dan umur, skema, tren 12 bulan, dan anggaran.")
left, right = st.columns(2)
months = [add_months(current_month(), -i) for i in range(0, 25)]
month = left.selectbox("Bulan", months, format_func=format_month, key="r_month", placeholder="Pilih...")
scheme = right.selectbox("Cakupan", **or_all(schemes, "Seluruh kabupaten (semua skema)", key="r_scheme"))
if st.button("Buat laporan", type="primary", icon=":material/summarize:", key="r_make"):
    with st.spinner("Menyusun laporan dan grafik..."):
        with connection() as db:
            result = build(db, app.plugins, View(month, scheme), actor=actor)
            # The kop surat of the scheme's regency, or of the user's; across regencies a neutral
            # head naming them (payung.reports.letterhead.combined_letterhead).
            codes = app.settings.regency_codes
            regency = schemes[scheme].regency_code if scheme else actor.regency_code or (codes[0] if len(codes) == 1
                                                                                          else None)
            kop = letterhead_for(app.settings, regency, db) if regency else combined_letterhead(app.settings, db)
        pdf = report_pdf(result, letterhead=kop)
        st.session_state["r_files"] = ((month, scheme), report_xlsx(result), pdf, result.title)
files = st.session_state.get("r_files")
if files and files[0] == (month, scheme):
    _, xlsx, pdf, title = files
    st.success(f"Laporan {title} siap.", icon=":material/check_circle:")
    name = f"laporan-{month}-{scheme or 'kabupaten'}"
    a, b = st.columns(2)
    a.download_button("Unduh XLSX", live_download(lambda actor: xlsx, "report.read"), f"{name}.xlsx", icon=":material/table:", key="r_xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    b.download_button("Unduh PDF", live_download(lambda actor: pdf, "report.read"), f"{name}.pdf", icon=":material/picture_as_pdf:", key="r_pdf",
                      mime="application/pdf")
