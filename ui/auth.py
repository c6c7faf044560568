"""Login with streamlit-authenticator as the form; Payung checks, keeps and writes the rest.

The authenticator is built once per session (building it on several pages gives duplicate
widget IDs) and four of its pieces are replaced:

- its credential check: ``payung.auth.sessions.login`` checks the password (throttled, the same
  time for unknown usernames) and opens a server-side session;
- its cookie content: the signed JWT carries the session id (``sid``) besides the username
  and expiry. A cookie is accepted only while that session is live, so a copy kept after
  logout or a password change lands on the login page;
- its cookie check: a cookie that does not decode as one of ours (another algorithm such as
  ``none`` or HS512, a wrong signature, garbage, fields missing) is ignored and deleted, so the
  login form shows (the authenticator itself only catches two of PyJWT's errors);
- its cookie component (``_NoCookieComponent``): the cookie is read from the request.

When a page ends every session of the logged-in user (a password change, "Keluarkan dari
semua perangkat" on one's own account), ``renew_login`` opens a new session for the tab and
rewrites its cookie, the way a login writes it: a copy of the old cookie is worthless.

A sign-in costs one password check and one more run: the cookie is not written by the run
that checks the password (a rerun would take it away before the browser ran it) but by a
line of script drawn in every run of the logged-in tab (``write_login_cookie``, called by
app.py). The browser runs it once, when it first draws it; nothing answers, so no run follows
(the cookie component that wrote it before loaded its own page in a frame, and its answer
started a third run: half a second more for every sign-in). Keluar deletes it the same way:
the login page draws the script that deletes it (``logout_button``), only while the browser
still holds this tab's own cookie, never one another tab wrote since.

The cookie is signed with ``$PAYUNG_COOKIE_KEY``, else ``cookie_key`` in
``.streamlit/secrets.toml`` if an administrator put one there, else a key file made once
(mode 0600) next to the database. The cookie is written by a script in the page, so it
cannot be HttpOnly: script running in the page could read it (see docs/security.md).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import re
import sys
from pathlib import Path
from types import MappingProxyType, SimpleNamespace

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.models import cookie_model

from payung.auth import sessions, setup
from payung.base import clock

from .session import (AUTHENTICATOR_KEY, FORGET_COOKIE_KEY, LOGIN_MESSAGE_KEY, SESSION_KEY, connection, forget_login,
                      payung, session_policy)
from .widgets import login_page_sidebar, plain
from .warmup import load_next_page_scripts

SECRETS = Path(__file__).resolve().parent.parent / ".streamlit" / "secrets.toml"
KEY_FILE_NAME = sessions.COOKIE_KEY_FILE
COOKIE_NAME = "payung_masuk"
_KEY = AUTHENTICATOR_KEY
#: The signed login cookie of this tab's session, for the browser to keep: (token, expiry).
_COOKIE = "_payung_login_cookie"
#: The login cookie the login page deletes from the browser, until a sign-in: this tab's own
#: after Keluar, or one that is not ours (``_forget_bad_cookie``).
_FORGET = FORGET_COOKIE_KEY
#: What a login token is made of (a JWT: base64url and dots): nothing that could add an attribute.
_TOKEN = re.compile(r"[A-Za-z0-9_.-]*")
#: An expiry in the past: the browser deletes the cookie.
_LONG_AGO = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MESSAGE = LOGIN_MESSAGE_KEY
LOGIN_FIELDS = MappingProxyType({"Form name": "Masuk ke Payung", "Username": "Nama pengguna",
                                 "Password": "Kata sandi", "Login": "Masuk"})
WRONG = "Nama pengguna atau kata sandi salah."
EMPTY = "Isi nama pengguna dan kata sandi."


def throttled_message() -> str:
    return sessions.throttled_message(session_policy())


def key_file() -> Path:
    return payung().settings.data_dir.resolve() / KEY_FILE_NAME


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


def request_details() -> dict:
    """IP address and browser of this session's request, for the session record and the audit."""
    try:
        details = {"ip_address": sessions.client_address(st.context.ip_address),
                   "user_agent": st.context.headers.get("User-Agent")}
    except Exception:  # AppTest has no request
        return {"ip_address": None, "user_agent": None}
    return {k: v if isinstance(v, str) else None for k, v in details.items()}  # AppTest's stand-ins: None


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
        result = sessions.login(db, username, password, session_policy(), **request_details())
    if not result.ok:
        st.session_state["authentication_status"] = False
        st.session_state[_MESSAGE] = (sessions.address_throttled_message(session_policy()) if result.address_throttled
                                      else sessions.address_busy_message() if result.address_busy
                                      else throttled_message() if result.throttled else WRONG)
        return False
    _logged_in(result.username, result.name, result.email, result.role, result.session_id)
    st.session_state.pop(_FORGET, None)
    _queue_cookie()
    return True


def _cookie_login(token: dict) -> None:
    """A cookie from an earlier visit: accepted only if its session is still live."""
    session_id = token.get("sid")
    with connection() as db:
        live = sessions.check_session(db, session_id, session_policy())
    if live is not None and live.username == token.get("username"):
        _logged_in(live.username, live.name, live.email, live.role, session_id)


def decode_cookie(token, key: str) -> dict | None:
    """The content of a login cookie we signed (HS256 with ``key``, a username, a session id,
    a numeric expiry), else None: any other token is nobody's login."""
    if not isinstance(token, str) or not token:
        return None
    try:
        content = jwt.decode(token, key, algorithms=["HS256"])
    except Exception:  # noqa: BLE001 - PyJWT's errors and whatever odd input makes it raise: not ours
        return None
    if not (isinstance(content, dict) and isinstance(content.get("username"), str)
            and isinstance(content.get("sid"), str) and content["sid"]
            and isinstance(content.get("exp_date"), (int, float)) and not isinstance(content["exp_date"], bool)):
        return None
    return content


def _forget_bad_cookie(token: str) -> None:
    """A cookie that does not decode as ours: the login page deletes it from the browser, as
    after Keluar, if the browser still holds it (the request's cookies, ``st.context.cookies``,
    keep showing it until a reload, so this is asked again on each run of the login page)."""
    st.session_state[_FORGET] = token


def _queue_cookie() -> None:
    """Sign this tab's session into a cookie for the browser to keep (``write_login_cookie``)."""
    model = authenticator().cookie_controller.cookie_model
    model.exp_date = model._set_exp_date()
    expires = clock.utc_now() + dt.timedelta(days=model.cookie_expiry_days)
    st.session_state[_COOKIE] = (model._token_encode(), expires.isoformat())


def cookie_script(token: str, expires: dt.datetime, *, only_if: str | None = None) -> str:
    """The script that stores the login cookie: for the whole site, until ``expires`` (one in
    the past deletes it), never sent with another site's request, and only over HTTPS when the
    page came over HTTPS. ``only_if``: only while the browser's cookie holds that token (a
    delete never takes another tab's newer cookie). The browser runs each script once per page,
    however often it is drawn or moved (``window.payungCookies``)."""
    if not _TOKEN.fullmatch(token):
        raise ValueError("a login token is base64url and dots")
    if expires.tzinfo is None:
        raise ValueError("the cookie's expiry needs a time zone")
    until = email.utils.format_datetime(expires.astimezone(dt.timezone.utc), usegmt=True)
    order = {"cookie": f"{COOKIE_NAME}={token}; path=/; expires={until}; SameSite=Strict",
             "only": None if only_if is None else f"{COOKIE_NAME}={only_if}"}
    # JSON with every "<" escaped: no value can end the script or open a comment in it.
    escaped = json.dumps(order).replace("<", "\\u003c")
    return f"<script>{_COOKIE_JS}({escaped});</script>"


#: Runs an order of ``cookie_script`` (the protocol tabs of the load test read the order after "})(").
_COOKIE_JS = ("(function (order) {"
              " const done = window.payungCookies = window.payungCookies || new Set();"
              " const key = JSON.stringify(order); if (done.has(key)) return; done.add(key);"
              " if (order.only !== null && !document.cookie.split('; ').includes(order.only)) return;"
              " document.cookie = order.cookie + (location.protocol === 'https:' ? '; Secure' : ''); })")


def write_login_cookie() -> None:
    """Draw the script that stores this tab's login cookie (in the sidebar, nothing to see). It is
    drawn in every run: the browser runs it when it first draws it (the same script drawn again
    is not run again), so a run cut short before the browser drew it loses nothing, and no
    answer starts another run."""
    cookie = st.session_state.get(_COOKIE)
    if not cookie:
        return
    token, expires = cookie
    with st.sidebar:
        st.html(cookie_script(token, dt.datetime.fromisoformat(expires)), unsafe_allow_javascript=True)


def _wire(auth: stauth.Authenticate) -> stauth.Authenticate:
    """Route the authenticator's login through Payung, put the session id in its cookie, and
    ignore (and delete) a cookie that is not ours."""

    def login(username=None, password=None, max_concurrent_users=None, max_login_attempts=None, token=None,
              single_session=False, callback=None, captcha=False, entered_captcha=None):
        if token is None and username is not None:
            return _form_login(username, password)
        if token:
            _cookie_login(token)
        return None

    auth.authentication_controller.login = login
    # The login form writes no cookie itself: ``write_login_cookie`` does, in the runs after.
    auth.cookie_controller.set_cookie = lambda: None
    model = auth.cookie_controller.cookie_model

    def token_encode() -> str:
        return jwt.encode({"username": st.session_state["username"], "exp_date": model.exp_date,
                           "sid": st.session_state[SESSION_KEY]}, model.cookie_key, algorithm="HS256")

    def token_decode():
        content = decode_cookie(model.token, model.cookie_key)
        if content is None:
            _forget_bad_cookie(str(model.token))
            return False  # what the authenticator's own check returns for a bad token
        return content

    model._token_encode = token_encode
    model._token_decode = token_decode
    return auth


class _NoCookieComponent:
    """Stands in for extra-streamlit-components' CookieManager, which streamlit-authenticator
    builds with every authenticator: it drew a component asking the browser for its cookies,
    whose answer ran the login page a second time (text typed into it meanwhile was lost).
    Payung reads the cookie from the request (``st.context.cookies``) and writes it with a page
    script (``cookie_script``); nothing calls this."""

    def __init__(self, *args, **kwargs):
        self.cookies: dict = {}


# Only the authenticator's cookie model sees the stand-in (its own name for the module).
cookie_model.stx = SimpleNamespace(CookieManager=_NoCookieComponent)


def authenticator() -> stauth.Authenticate:
    if _KEY not in st.session_state:
        # No credentials are handed to the authenticator: Payung checks passwords itself.
        st.session_state[_KEY] = _wire(stauth.Authenticate(
            {"usernames": {}}, COOKIE_NAME, cookie_key(), cookie_expiry_days=session_policy().lifetime_days,
            # No pause before the form: Payung reads the cookie from the request
            # (st.context.cookies); no cookie component is drawn (_NoCookieComponent).
            auto_hash=False, login_sleep_time=0,
        ))
    return st.session_state[_KEY]


def login() -> bool:
    """Show the login form unless the session is logged in; True when it is."""
    if st.session_state.get("authentication_status") and st.session_state.get(SESSION_KEY):
        return True
    auth = authenticator()
    st.session_state.pop(_MESSAGE, None)
    try:
        auth.login(location="main", fields=dict(LOGIN_FIELDS), key="masuk")  # reads the cookie first
    except stauth.utilities.LoginError as exc:
        st.error(plain(f"Tidak dapat masuk: {exc}"))
    if st.session_state.get(_FORGET):  # drawn in each run of the login page; the browser runs it once
        st.html(cookie_script("", _LONG_AGO, only_if=st.session_state[_FORGET]), unsafe_allow_javascript=True)
    if st.session_state.get(_MESSAGE):
        st.error(plain(st.session_state.pop(_MESSAGE)))
    load_next_page_scripts()
    login_page_sidebar()
    return bool(st.session_state.get("authentication_status") and st.session_state.get(SESSION_KEY))


def renew_login(username: str, message: str) -> None:
    """After every session of the logged-in user was ended from this tab (their password
    changed, "Keluarkan dari semua perangkat" on their own account): open a new session for
    this tab and rewrite its cookie the way a login writes it, so only this tab, and nothing
    holding a copy of its old cookie, stays logged in. Then rerun with ``message`` shown, like
    ``ui.widgets.saved``."""
    from .widgets import saved
    with connection() as db:
        session_id = sessions.start_session(db, username, session_policy(), **request_details())
    st.session_state[SESSION_KEY] = session_id
    _queue_cookie()  # written by the runs that follow, as after a login
    saved(message)


def logout_button() -> None:
    if st.sidebar.button("Keluar", icon=":material/logout:", key="keluar"):
        with connection() as db:
            sessions.end_session(db, st.session_state.get(SESSION_KEY))
        authenticator().authentication_controller.logout()  # the authenticator's own state
        # This tab's cookie: the one it wrote, else the one it was signed in by.
        mine = (st.session_state.pop(_COOKIE, None) or (st.context.cookies.get(COOKIE_NAME),))[0]
        forget_login()
        if mine:
            st.session_state[_FORGET] = mine  # the login page deletes it (``login``)
        st.rerun()


# First start -----------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _printed_setup_code(database: str) -> str:
    code = setup.new_setup_code()
    print(setup.setup_code_banner(code, database), file=sys.stdout, flush=True)
    return code


def setup_code() -> str:
    """The one-time setup code: ``$PAYUNG_SETUP_CODE``, else one printed once in the terminal."""
    return setup.setup_code_from_env() or _printed_setup_code(payung().settings.database_shown)
