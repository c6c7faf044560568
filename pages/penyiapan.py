"""First start: create the first administrator (there is no default password anywhere)."""

import streamlit as st

from payung.access import Actor
from payung.errors import Problem
from payung.users import add_user, has_users
from ui.session import connection
from ui.widgets import attempt, clear_problems, field_errors, problem_summary, remember_problems

FORM = "penyiapan"
st.title(":material/beach_access: Selamat datang di Payung")
st.write("Belum ada pengguna. Buat akun **administrator** pertama untuk mulai. "
         "Simpan kata sandinya baik-baik: tidak ada kata sandi bawaan.")
problem_summary(FORM, ("username", "name", "password", "repeat"))
with st.form("admin_pertama"):
    username = st.text_input("Nama pengguna", placeholder="contoh: admin.dinsos")
    field_errors(FORM, "username")
    name = st.text_input("Nama lengkap")
    field_errors(FORM, "name")
    password = st.text_input("Kata sandi", type="password", help="Minimal 8 karakter, huruf dan angka.")
    field_errors(FORM, "password")
    repeat = st.text_input("Ulangi kata sandi", type="password")
    field_errors(FORM, "repeat")
    submitted = st.form_submit_button("Buat administrator", type="primary")

if submitted:
    if password != repeat:
        remember_problems(FORM, [Problem("repeat", "Ulangan kata sandi tidak sama.", "password_repeat")])
        st.rerun()
    with connection() as db:
        if has_users(db):
            st.error("Administrator sudah dibuat. Muat ulang halaman untuk masuk.")
            st.stop()
        attempt(FORM, lambda: add_user(db, username=username, name=name, role="admin", password=password,
                                       actor=Actor.system(username or "penyiapan")))
    clear_problems()
    st.rerun()
