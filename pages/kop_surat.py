"""Kop surat: the letterhead of bills, receipts and monthly reports, per regency. An
administrator sets its texts here (stored in the database over config.toml, audited) and
uploads its logo."""

import streamlit as st

from payung.base.errors import ValidationError
from payung.reports.letterhead import FIELDS, LABELS, letterhead_for, save_letterhead, save_logo, stored_texts
from ui.session import connection, live_callback, payung, require
from ui.widgets import (chars, clear_problems, field_errors, plain, problem_summary, remember_problems, saved,
                        show_saved_message, uploader)

FORM = "kop"
HELP = {"government": "Baris pertama kop, contoh: PEMERINTAH KABUPATEN KENDAL.",
        "office": "Contoh: DINAS SOSIAL KABUPATEN KENDAL.",
        "address": "Alamat kantor, contoh: Jl. Soekarno-Hatta No. 191, Kendal 51311.",
        "official": "Nama lengkap dengan gelar, di bawah tanda tangan.",
        "official_title": "Contoh: Kepala Dinas Sosial.",
        "nip": "18 digit NIP pejabat penanda tangan (boleh dikosongkan)."}
actor = require("letterhead.manage")
app = payung()
state = st.session_state
show_saved_message()
st.title("Kop surat")
st.caption("Kop surat dan tanda tangan di tagihan, tanda terima, dan laporan bulanan, per kabupaten. Isian yang "
           "dikosongkan memakai isian bawaan dari pengaturan Payung.")
regencies = {r.code: r.name for r in app.settings.regencies}
code = st.selectbox("Kabupaten", list(regencies), format_func=regencies.get, key="kop_regency",
                    placeholder="Pilih...")
with connection() as db:
    head = letterhead_for(app.settings, code, db)
    stored = stored_texts(db, code, actor=actor)
    fallback = letterhead_for(app.settings, code)  # config.toml alone: what an empty box gives
left, right = st.columns([1, 3])
with left:
    if head.logo:
        st.image(str(head.logo), width=120)
    else:
        st.caption("Belum ada logo.")
with right:
    for name in FIELDS:
        st.markdown(f"**{LABELS[name]}**: {plain(getattr(head, name)) or '-'}")


def save_texts(*, actor) -> None:
    """Simpan kop surat, as the form's callback (the boxes then show what was stored)."""
    values = {name: state.get(f"kop_{name}_{code}") for name in FIELDS}
    try:
        with connection() as db:
            save_letterhead(db, app.settings, code, values, actor=actor)
    except ValidationError as exc:
        remember_problems(FORM, exc.problems)
        return
    clear_problems()
    state["_payung_saved"] = f"Kop surat {regencies[code]} tersimpan."


st.subheader("Teks kop surat")
problem_summary(FORM, FIELDS)
with st.form(f"kop_texts_{code}", border=False):
    a, b = st.columns(2)
    for n, name in enumerate(FIELDS):
        column = a if n % 2 == 0 else b
        # Only what was set here is in the box: an empty box keeps following config.toml (shown greyed).
        column.text_input(LABELS[name], value=stored[name] or "", key=f"kop_{name}_{code}", help=HELP[name],
                          max_chars=chars(name, stored[name]),
                          placeholder=getattr(fallback, name) or "")
        with column:
            field_errors(FORM, name)
    st.form_submit_button("Simpan kop surat", type="primary", icon=":material/save:",
                          on_click=live_callback(save_texts, "letterhead.manage"))

st.subheader("Logo")
upload = uploader("Logo kabupaten (PNG atau JPG)", ["png", "jpg", "jpeg"], key="kop_logo")
if upload is not None and st.button("Simpan logo", type="primary", icon=":material/save:", key="kop_save"):
    with connection() as db:
        try:
            save_logo(db, app.settings, code, upload.getvalue(), actor=actor)
        except ValidationError as exc:
            st.error(plain(exc))
            st.stop()
    saved(f"Logo {regencies[code]} tersimpan.")
