"""Ganti kata sandi: every user changes their own.

The current password goes through the login throttle (wrong ones are audited and count toward
the username's lockout). A change ends every session of the user, this tab's too: the tab gets
a new session and a new cookie at once (``ui.auth.renew_login``), so a copy of its old cookie
is worthless."""

import streamlit as st

from payung.auth.passwords import PASSWORD_HELP
from payung.auth.users import change_password
from ui.auth import renew_login, request_details
from ui.session import connection, require, session_policy
from ui.widgets import attempt, field_errors, problem_summary, show_saved_message

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
                                              policy=session_policy(),
                                              ip_address=request_details()["ip_address"]))
    renew_login(actor.username, "Kata sandi diganti. Semua sesi Anda diakhiri; sesi di tab ini diperbarui, "
                                "di perangkat lain silakan masuk lagi dengan kata sandi baru.")
