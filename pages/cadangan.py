"""Cadangan (admin): a consistent copy of the database, kept beside it and downloadable."""

import datetime as dt

import streamlit as st

from payung.backups import make_backup
from ui.session import connection, payung, require

actor = require("backup.manage")
app = payung()
st.title("Cadangan basis data")
st.write("Buat salinan lengkap basis data saat aplikasi tetap berjalan. Simpan salinan di tempat lain "
         "(flashdisk atau drive kantor): berkas ini memuat NIK, jadi perlakukan sebagai data pribadi.")
if st.button("Buat cadangan sekarang", type="primary", icon=":material/backup:"):
    with st.spinner("Membuat cadangan..."), connection() as db:
        path = make_backup(db, app.settings, actor=actor, now=dt.datetime.now())
    st.session_state["_last_backup"] = str(path)
last = st.session_state.get("_last_backup")
if last:
    st.success(f"Cadangan tersimpan di {last}.")
    with open(last, "rb") as f:
        st.download_button("Unduh cadangan", f, file_name=last.rsplit("/", 1)[-1],
                           mime="application/vnd.sqlite3", icon=":material/download:")
