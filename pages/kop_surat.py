"""Kop surat: the letterhead of bills, receipts and monthly reports, per regency. The texts come
from ``config.toml`` (``[letterhead."<code>"]``); the logo is uploaded here (administrators)."""

import streamlit as st

from payung.errors import ValidationError
from payung.letterhead import FIELDS, letterhead_for, save_logo
from ui.session import connection, payung, require
from ui.widgets import plain, saved, show_saved_message, uploader

LABELS = {"government": "Pemerintah", "office": "Nama kantor", "address": "Alamat", "official": "Pejabat penanda tangan",
          "official_title": "Jabatan", "nip": "NIP"}
actor = require("letterhead.manage")
app = payung()
show_saved_message()
st.title("Kop surat")
st.caption("Kop surat dan tanda tangan di tagihan, tanda terima, dan laporan bulanan. Teksnya diatur di config.toml, "
           "bagian [letterhead.\"kode kabupaten\"] (misalnya office, address, official, nip); logonya diunggah di "
           "sini dan disimpan di folder data, di samping basis data.")
regencies = {r.code: r.name for r in app.settings.regencies}
code = st.selectbox("Kabupaten", list(regencies), format_func=regencies.get, key="kop_regency",
                    placeholder="Pilih...")
head = letterhead_for(app.settings, code)
left, right = st.columns([1, 3])
with left:
    if head.logo:
        st.image(str(head.logo), width=120)
    else:
        st.caption("Belum ada logo.")
with right:
    for name in FIELDS:
        st.markdown(f"**{LABELS[name]}**: {plain(getattr(head, name)) or '-'}")
upload = uploader("Logo kabupaten (PNG atau JPG)", ["png", "jpg", "jpeg"], key="kop_logo")
if upload is not None and st.button("Simpan logo", type="primary", icon=":material/save:", key="kop_save"):
    with connection() as db:
        try:
            save_logo(db, app.settings, code, upload.getvalue(), actor=actor)
        except ValidationError as exc:
            st.error(plain(exc))
            st.stop()
    saved(f"Logo {regencies[code]} tersimpan.")
