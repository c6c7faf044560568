"""Login with streamlit-authenticator: users and bcrypt hashes come from the users table.

The authenticator is built once per session (building it on several pages gives duplicate
widget IDs). Its cookie is signed with a key from ``$PAYUNG_COOKIE_KEY`` or
``.streamlit/secrets.toml``; on first start a random key is written to the latter, which git
ignores.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import streamlit as st
import streamlit_authenticator as stauth

from payung.users import credentials

from .session import connection

SECRETS = Path(__file__).resolve().parent.parent / ".streamlit" / "secrets.toml"
COOKIE_NAME = "payung_masuk"
COOKIE_SETTLE_S = 1.0
_KEY = "_payung_authenticator"
LOGIN_FIELDS = {"Form name": "Masuk ke Payung", "Username": "Nama pengguna", "Password": "Kata sandi",
                "Login": "Masuk"}


def cookie_key() -> str:
    key = os.environ.get("PAYUNG_COOKIE_KEY")
    if key:
        return key
    try:
        key = st.secrets.get("cookie_key")
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        key = None
    if key:
        return key
    key = secrets.token_urlsafe(32)
    SECRETS.parent.mkdir(exist_ok=True)
    with SECRETS.open("a", encoding="utf-8") as f:
        f.write(f'\n# Signs the login cookie. Generated on first start; keep it out of git.\ncookie_key = "{key}"\n')
    os.environ["PAYUNG_COOKIE_KEY"] = key
    return key


def authenticator(*, refresh: bool = False) -> stauth.Authenticate:
    if refresh or _KEY not in st.session_state:
        with connection() as db:
            users = credentials(db)
        st.session_state[_KEY] = stauth.Authenticate(
            users, COOKIE_NAME, cookie_key(), cookie_expiry_days=1, auto_hash=False, login_sleep_time=0.3,
        )
    return st.session_state[_KEY]


def login() -> bool:
    """Show the login form unless the session is logged in; True when it is."""
    if st.session_state.get("authentication_status"):
        return True
    auth = authenticator(refresh=True)
    try:
        auth.login(location="main", fields=LOGIN_FIELDS, key="masuk")
    except stauth.utilities.LoginError as exc:
        st.error(f"Tidak dapat masuk: {exc}")
    if st.session_state.get("authentication_status") is False:
        st.error("Nama pengguna atau kata sandi salah.")
    logged_in = bool(st.session_state.get("authentication_status"))
    if logged_in:
        # The signed cookie is written by a browser-side component drawn in this run; give the
        # browser a moment to run it before the caller reruns (and the component is gone).
        with st.spinner("Berhasil masuk, menyiapkan halaman..."):
            time.sleep(COOKIE_SETTLE_S)
    return logged_in


def logout_button() -> None:
    if st.sidebar.button("Keluar", icon=":material/logout:", key="keluar"):
        auth = authenticator()
        auth.logout(location="unrendered")
        time.sleep(COOKIE_SETTLE_S)  # let the browser delete the cookie before the rerun
        st.rerun()
