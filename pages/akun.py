"""Ganti kata sandi: every user changes their own."""

import streamlit as st

from payung.users import PASSWORD_HELP, change_password
from ui.session import connection, current_session_row, require
from ui.widgets import attempt, field_errors, problem_summary, saved, show_saved_message

FORM = "akun"
actor = require("account.manage")
show_saved_message()
st.title("Ganti kata sandi")
problem_summary(FORM, ("current", "password", "repeat"))
with st.form("ganti_sandi", clear_on_submit=True):
    current = st.text_input("Kata sandi lama", type="password")
    field_errors(FORM, "current")
    new = st.text_input("Kata sandi baru", type="password", help=PASSWORD_HELP)
    field_errors(FORM, "password")
    repeat = st.text_input("Ulangi kata sandi baru", type="password")
    field_errors(FORM, "repeat")
    submitted = st.form_submit_button("Simpan kata sandi", type="primary")
if submitted:
    with connection() as db:
        attempt(FORM, lambda: change_password(db, actor=actor, current=current, new=new, repeat=repeat,
                                              keep_session=current_session_row()))
    saved("Kata sandi diganti. Sesi Anda di perangkat lain telah diakhiri.")
