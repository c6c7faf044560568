"""Pertukaran data BPJS: the collective registration sheet out, the branch's answer in."""

import streamlit as st

from payung.auth.access import schemes_for
from payung.base.errors import PayungError, ValidationError
from payung.base.months import add_months, current_month, format_month
from payung.enrolment.bpjs import registration_rows, registration_xlsx
from payung.imports import file_hash
from payung.imports.bpjs_answer import apply_answer, plan_answer

from ui.session import connection, live_download, payung, require
from ui.widgets import nik_note, plain, saved, show_saved_message, table, uploader

actor = require("bpjs.exchange")
app = payung()
schemes = schemes_for(app.plugins, actor, "bpjs.exchange")
state = st.session_state
show_saved_message()
st.title("Pertukaran data BPJS")
if not schemes:
    st.info("Belum ada skema di wilayah Anda yang datanya dipertukarkan dengan BPJS. Lihat halaman Skema.")
    st.stop()
code = st.selectbox("Skema", list(schemes), key="b_scheme", format_func=lambda c: schemes[c].name, placeholder="Pilih...")
export_tab, answer_tab = st.tabs(["Kirim pendaftaran", "Terima jawaban (KPJ)"])

with export_tab:
    st.caption("Kepesertaan baru (status diajukan) yang mulai pada bulan-bulan ini, dalam format pendaftaran "
               "kolektif untuk kantor cabang BPJS Ketenagakerjaan. Judul dan urutan kolom diatur di config.toml "
               "([bpjs_exchange.columns]). Berkas memuat NIK lengkap: pengunduhannya dicatat di log audit.")
    this_month = current_month()
    months = [add_months(this_month, i) for i in range(-12, 7)]
    left, right = st.columns(2)
    start = left.selectbox("Mulai dari bulan", months, index=11, key="b_from", format_func=format_month, placeholder="Pilih...")
    end = right.selectbox("Sampai bulan", months, index=12, key="b_to", format_func=format_month, placeholder="Pilih...")
    if end < start:
        st.error("Bulan akhir tidak boleh sebelum bulan awal.")
    else:
        with connection() as db:
            rows = registration_rows(db, app.plugins, scheme_code=code, from_month=start, to_month=end, actor=actor)
        st.metric("Kepesertaan baru menunggu didaftarkan", len(rows))
        if rows:
            table([{"NIK": r["nik"], "Nama": r["name"], "Desa/Kel.": r["village_name"],
                           "Mulai": format_month(r["start_month"]), "Penyandang dana": r["sponsor_name"]}
                          for r in rows[:200]], hide_index=True, width="stretch")
            nik_note(actor)
            if st.button("Siapkan berkas pendaftaran", icon=":material/description:", key="b_prepare"):
                with connection() as db:
                    data, count = registration_xlsx(db, app.plugins, scheme_code=code, from_month=start,
                                                    to_month=end, actor=actor)
                state["b_file"] = (code, start, end, data, count)
            prepared = state.get("b_file")
            if prepared and prepared[:3] == (code, start, end):
                st.download_button(f"Unduh XLSX ({prepared[4]} baris)",
                                   live_download(lambda actor: prepared[3], "bpjs.exchange"),
                                   f"pendaftaran-bpjs-{code}-{start}-{end}.xlsx", icon=":material/download:",
                                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                   key="b_download")

with answer_tab:
    st.caption("Unggah jawaban cabang BPJS: satu baris per NIK dengan nomor KPJ (kepesertaan menjadi aktif) "
               "atau alasan penolakan (kepesertaan ditandai ditolak). Periksa dulu; tidak ada yang diubah sebelum "
               "Anda menekan Terapkan.")
    upload = uploader("Berkas jawaban (.xlsx atau .csv)", ["xlsx", "csv"], key="b_upload")
    if refused := state.pop("_b_refused", None):
        st.error(plain(refused))
    if upload is None:
        state.pop("_b_plan", None)
    else:
        # Checked once per file, not on every click: a check can spend one of the day's answers
        # about other regencies' KPJs (``payung.imports.bpjs_answer``), and Terapkan writes what was
        # shown.
        checked = (file_hash(upload.getvalue()), upload.name, code)
        if state.get("_b_plan", (None,))[0] != checked:
            state.pop("_b_plan", None)
            try:
                with connection() as db:
                    state["_b_plan"] = (checked, plan_answer(db, app.plugins, upload.getvalue(), upload.name,
                                                             scheme_code=code, actor=actor))
            except (ValidationError, PayungError) as exc:
                st.error(plain(exc))
                st.stop()
        plan = state["_b_plan"][1]
        a, b, c = st.columns(3)
        a.metric("Akan diaktifkan (KPJ)", len(plan.activate))
        b.metric("Akan ditandai ditolak", len(plan.reject))
        c.metric("Baris bermasalah", len(plan.problems))
        if plan.problems:
            st.error("Baris berikut tidak diproses; perbaiki berkasnya bila perlu:")
            table([{"Baris": row, "Masalah": message} for row, message in plan.problems],
                         hide_index=True, width="stretch")
        if plan.activate or plan.reject:
            table([{"Baris": a.row, "Nama": a.name, "KPJ": a.kpj or "-", "Alasan ditolak": a.reason or "-"}
                          for a in plan.activate + plan.reject], hide_index=True, width="stretch")
            if st.button("Terapkan jawaban", type="primary", icon=":material/done_all:", key="b_apply"):
                try:
                    with connection() as db:
                        counts = apply_answer(db, plan, actor=actor)
                except PayungError as exc:  # a KPJ another worker has by now: nothing was written
                    state.pop("_b_plan", None)  # checked again: those rows become problems
                    state["_b_refused"] = str(exc)
                    st.rerun()
                state.pop("b_upload", None)
                state.pop("_b_plan", None)
                saved(f"Jawaban BPJS diterapkan: {counts['aktif']} aktif, {counts['ditolak']} ditolak, "
                      f"{counts['bermasalah']} baris tidak diproses.")
