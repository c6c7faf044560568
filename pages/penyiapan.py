"""First start: create the first administrator (there is no default password anywhere).

Only with the one-time setup code printed in the terminal where Payung was started (or set
by ``PAYUNG_SETUP_CODE``): whoever reaches the port first cannot make themselves admin.
"""

import streamlit as st

from payung.base.errors import ValidationError
from payung.auth.passwords import PASSWORD_HELP
from payung.auth.setup import create_first_admin
from payung.auth.users import FIRST_ADMIN_EXISTS, has_users
from ui.auth import setup_code
from ui.session import connection, through_app
from ui.widgets import chars, clear_problems, field_errors, problem_summary, remember_problems

FORM = "penyiapan"
# No page of Payung is public but this one, and only while there is no user: a fresh server
# process's first run at /penyiapan ran this file without app.py, which showed the form (and
# printed a new setup code) on a database with users.
through_app()
with connection() as db:
    administrator_exists = has_users(db)


def administrator_made_elsewhere() -> None:
    """An administrator exists (made a moment ago, here or by another person): the way to the
    login (the next run of app.py)."""
    clear_problems()
    st.error(FIRST_ADMIN_EXISTS, icon=":material/block:")
    st.button("Ke halaman masuk", type="primary")
    st.stop()


if administrator_exists:
    administrator_made_elsewhere()
st.title(":material/beach_access: Selamat datang di Payung")
st.write("Belum ada pengguna. Buat akun **administrator** pertama untuk mulai. "
         "Simpan kata sandinya baik-baik: tidak ada kata sandi bawaan.")
st.info("Kode penyiapan tercetak di terminal (jendela perintah) tempat Payung dijalankan "
        "(`streamlit run app.py`). Tanpa kode itu administrator tidak dapat dibuat di sini; "
        "sebagai gantinya dapat dipakai `python -m payung users add NAMA --name \"...\" --role admin`.",
        icon=":material/terminal:")
problem_summary(FORM, ("setup_code", "username", "name", "password", "repeat"))
with st.form("admin_pertama"):
    code = st.text_input("Kode penyiapan", placeholder="xxxx-xxxx-xxxx-xxxx")
    field_errors(FORM, "setup_code")
    username = st.text_input("Nama pengguna", placeholder="contoh: admin.dinsos")
    field_errors(FORM, "username")
    name = st.text_input("Nama lengkap", max_chars=chars("name"))
    field_errors(FORM, "name")
    password = st.text_input("Kata sandi", type="password", help=PASSWORD_HELP)
    field_errors(FORM, "password")
    repeat = st.text_input("Ulangi kata sandi", type="password")
    field_errors(FORM, "repeat")
    submitted = st.form_submit_button("Buat administrator", type="primary")

if submitted:
    try:
        with connection() as db:
            create_first_admin(db, setup_code=code, expected_code=setup_code(), username=username, name=name,
                               password=password, repeat=repeat)
    except ValidationError as exc:
        if any(p.rule == "first_admin_exists" for p in exc.problems):
            administrator_made_elsewhere()
        remember_problems(FORM, exc.problems)
        st.rerun()
    clear_problems()
    st.session_state["_payung_admin_created"] = True
    st.rerun()
