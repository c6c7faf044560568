"""Login with streamlit-authenticator as the form and the cookie carrier; the server decides.

The authenticator is built once per session (building it on several pages gives duplicate
widget IDs) and two of its pieces are replaced:

- its credential check: ``payung.sessions.login`` checks the password (throttled, the same
  time for unknown usernames) and opens a server-side session;
- its cookie content: the signed JWT carries the session id (``sid``) besides the username
  and expiry. A cookie is accepted only while that session is live, so a copy kept after
  logout or a password change lands on the login page.

The cookie is signed with ``$PAYUNG_COOKIE_KEY``, else ``cookie_key`` in
``.streamlit/secrets.toml`` if an administrator put one there, else a key file made once
(mode 0600) next to the database. The cookie is written by a browser-side component, so it
cannot be HttpOnly: script running in the page could read it (see the README).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import jwt
import streamlit as st
import streamlit_authenticator as stauth

from payung import sessions

from .session import SESSION_KEY, connection, forget_login, payung, session_policy

SECRETS = Path(__file__).resolve().parent.parent / ".streamlit" / "secrets.toml"
KEY_FILE_NAME = "payung-cookie.key"
COOKIE_NAME = "payung_masuk"
COOKIE_SETTLE_S = 1.0
_KEY = "_payung_authenticator"
_MESSAGE = "_payung_login_message"
LOGIN_FIELDS = {"Form name": "Masuk ke Payung", "Username": "Nama pengguna", "Password": "Kata sandi",
                "Login": "Masuk"}
WRONG = "Nama pengguna atau kata sandi salah."
EMPTY = "Isi nama pengguna dan kata sandi."


def throttled_message() -> str:
    minutes = session_policy().lockout_minutes
    return (f"Terlalu banyak percobaan masuk yang gagal untuk nama pengguna ini. Coba lagi dalam "
            f"{minutes:g} menit.")


def key_file() -> Path:
    return Path(payung().settings.database).resolve().parent / KEY_FILE_NAME


def cookie_key() -> str:
    key = os.environ.get("PAYUNG_COOKIE_KEY")
    if key:
        return key
    if SECRETS.exists():
        try:
            if SECRETS.stat().st_mode & 0o077:
                os.chmod(SECRETS, 0o600)
        except OSError:
            pass
        try:
            key = st.secrets.get("cookie_key")
        except Exception:  # missing or unreadable secrets.toml (e.g. duplicate keys): use the key file
            key = None
        if key:
            return key
    return sessions.cookie_key_from_file(key_file())


def _request_details() -> dict:
    try:
        return {"ip_address": st.context.ip_address, "user_agent": st.context.headers.get("User-Agent")}
    except Exception:  # AppTest has no request
        return {"ip_address": None, "user_agent": None}


def _logged_in(username: str, name: str, email: str | None, role: str, session_id: str) -> None:
    st.session_state[SESSION_KEY] = session_id
    st.session_state["email"] = email
    st.session_state["name"] = name
    st.session_state["roles"] = [role]
    st.session_state["username"] = username
    st.session_state["authentication_status"] = True


def _form_login(username: str | None, password: str | None) -> bool:
    if not (username or "").strip() or not password:
        st.session_state[_MESSAGE] = EMPTY
        return False
    with connection() as db:
        result = sessions.login(db, username, password, session_policy(), **_request_details())
    if not result.ok:
        st.session_state["authentication_status"] = False
        st.session_state[_MESSAGE] = throttled_message() if result.throttled else WRONG
        return False
    _logged_in(result.username, result.name, result.email, result.role, result.session_id)
    return True


def _cookie_login(token: dict) -> None:
    """A cookie from an earlier visit: accepted only if its session is still live."""
    session_id = token.get("sid")
    with connection() as db:
        live = sessions.check_session(db, session_id, session_policy())
    if live is not None and live.username == token.get("username"):
        _logged_in(live.username, live.name, live.email, live.role, session_id)


def _wire(auth: stauth.Authenticate) -> stauth.Authenticate:
    """Route the authenticator's login through Payung and put the session id in its cookie."""

    def login(username=None, password=None, max_concurrent_users=None, max_login_attempts=None, token=None,
              single_session=False, callback=None, captcha=False, entered_captcha=None):
        if token is None and username is not None:
            return _form_login(username, password)
        if token:
            _cookie_login(token)
        return None

    auth.authentication_controller.login = login
    model = auth.cookie_controller.cookie_model

    def token_encode() -> str:
        return jwt.encode({"username": st.session_state["username"], "exp_date": model.exp_date,
                           "sid": st.session_state[SESSION_KEY]}, model.cookie_key, algorithm="HS256")

    model._token_encode = token_encode
    return auth


def authenticator() -> stauth.Authenticate:
    if _KEY not in st.session_state:
        # No credentials are handed to the authenticator: Payung checks passwords itself.
        st.session_state[_KEY] = _wire(stauth.Authenticate(
            {"usernames": {}}, COOKIE_NAME, cookie_key(), cookie_expiry_days=session_policy().lifetime_days,
            auto_hash=False, login_sleep_time=0.3,
        ))
    return st.session_state[_KEY]


def login() -> bool:
    """Show the login form unless the session is logged in; True when it is."""
    if st.session_state.get("authentication_status") and st.session_state.get(SESSION_KEY):
        return True
    auth = authenticator()
    st.session_state.pop(_MESSAGE, None)
    try:
        auth.login(location="main", fields=LOGIN_FIELDS, key="masuk")
    except stauth.utilities.LoginError as exc:
        st.error(plain(f"Tidak dapat masuk: {exc}"))
    if st.session_state.get(_MESSAGE):
        st.error(plain(st.session_state.pop(_MESSAGE)))
    logged_in = bool(st.session_state.get("authentication_status") and st.session_state.get(SESSION_KEY))
    if logged_in:
        # The signed cookie is written by a browser-side component drawn in this run; give the
        # browser a moment to run it before the caller reruns (and the component is gone).
        with st.spinner("Berhasil masuk, menyiapkan halaman..."):
            time.sleep(COOKIE_SETTLE_S)
    return logged_in


def logout_button() -> None:
    if st.sidebar.button("Keluar", icon=":material/logout:", key="keluar"):
        with connection() as db:
            sessions.end_session(db, st.session_state.get(SESSION_KEY))
        auth = authenticator()
        auth.logout(location="unrendered")
        forget_login()
        time.sleep(COOKIE_SETTLE_S)  # let the browser delete the cookie before the rerun
        st.rerun()


# First start -----------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _printed_setup_code(database: str) -> str:
    code = sessions.new_setup_code()
    line = "=" * 72
    print(f"\n{line}\nPayung: belum ada administrator. Untuk membuat administrator pertama, buka Payung\n"
          f"di peramban dan masukkan kode penyiapan ini:\n\n    {code}\n\n"
          f"Kode berlaku sampai administrator pertama dibuat (basis data: {database}).\n{line}\n",
          file=sys.stdout, flush=True)
    return code


def setup_code() -> str:
    """The one-time setup code: ``$PAYUNG_SETUP_CODE``, else one printed once in the terminal."""
    return sessions.setup_code_from_env() or _printed_setup_code(str(payung().settings.database))
