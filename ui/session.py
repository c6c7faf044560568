"""The per-session pieces every page needs: the loaded Payung, a connection, the actor.

The actor exists only while the server-side session named in this browser session is live
(``payung.auth.sessions.check_session``, on every run): logout, a password change elsewhere, a
deactivation, a role change or an administrator's "Keluarkan dari semua perangkat" end it,
and the next run of this tab lands on the login page.

Widget callbacks (``on_click``, ``on_change``, ``on_select``) run BEFORE the next run of the
script, so before app.py's session check: a callback that writes must be wrapped in
``live_callback``, which checks the session again and hands the callback the actor read now,
not the one a closure kept from the previous run.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import threading
from collections.abc import Callable
from types import MappingProxyType

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from payung.auth.access import Actor, Forbidden, allowed
from payung.base.errors import NotFound
from payung.auth.passwords import dummy_hash
from payung.auth.sessions import SessionPolicy, check_session
from payung.auth.users import actor_for
from payung.imports.reading import Sheet
from payung.core import Payung
from payung.operations import backups
from . import addresses
from .widgets import plain

#: Key of this browser session's session id (a secret: it is what the cookie carries).
SESSION_KEY = "_payung_session_id"
#: The keys streamlit-authenticator reads to decide who is logged in.
AUTH_KEYS = ("authentication_status", "username", "name", "email", "roles")
#: A message for the login page of this browser session (why it is shown again).
LOGIN_NOTICE = "_payung_login_notice"
#: ui.auth's keys of the tab: its authenticator, the login cookie its login page deletes, the
#: message of the last sign-in attempt.
AUTHENTICATOR_KEY, FORGET_COOKIE_KEY, LOGIN_MESSAGE_KEY = ("_payung_authenticator", "_payung_forget_cookie",
                                                           "_payung_login_message")
#: What a tab keeps when its login ends: the keys of the tab itself (its sign-in machinery, the
#: address it was opened at, notices for its login page). Every other key (a form's input and its
#: problems, a choice, a file made, a receipt, the last user's signed cookie token) is its user's,
#: and goes (``forget_login``): the next person to sign in at this tab saw the last one's
#: messages, with another village's worker in them.
TAB_KEYS = frozenset({SESSION_KEY, LOGIN_NOTICE, addresses.ADDRESS, "_restore_seen", "_payung_admin_created",
                      *AUTH_KEYS, "logout",  # streamlit-authenticator's own
                      AUTHENTICATOR_KEY, FORGET_COOKIE_KEY, LOGIN_MESSAGE_KEY})
#: A write a callback's service refused (``live_callback``), said by the run that follows.
REFUSED = "_payung_refused"
SESSION_ENDED = ("Sesi Anda sudah berakhir (keluar, kata sandi diganti, akun diubah atau terlalu lama tidak "
                 "dipakai), jadi isian terakhir TIDAK disimpan. Silakan masuk lagi.")


@st.cache_resource(show_spinner="Menyiapkan Payung...")
def _load(config: str | None, *database_environment: str | None) -> Payung:
    """``database_environment`` (the database variables) is only the cache's key: the settings
    read them themselves."""
    app = Payung.load(config)
    db = app.open_db()
    try:
        app.initialise(db)
        if app.signature[0] is None:  # a new database: its data versions exist only now
            app.signature = app.current_signature(db)
    finally:
        db.close()
    dummy_hash()  # computed now, so the first unknown-username login is not slower
    return app


def session_policy() -> SessionPolicy:
    """``[sessions]`` of config.toml: idle timeout, lifetime, login throttle."""
    return SessionPolicy.from_settings(payung().settings)


def payung() -> Payung:
    """Configuration and plugins, loaded once per server (per config and database)."""
    return _load(os.environ.get("PAYUNG_CONFIG"), os.environ.get("PAYUNG_DATABASE_URL"), os.environ.get("PAYUNG_DB"))


def fresh_payung() -> Payung:
    """``payung()``, loaded again first when a scheme file was written (the scheme editor, in this
    server process or another one behind the same proxy) or edited since: app.py calls this at
    the top of every run."""
    app = payung()
    with connection() as db:
        changed = app.plugins_changed(db)
    if changed:
        reload_payung()
        app = payung()
    return app


#: What one run of app.py shares (``page_run``): its connection and its actor. Thread-local: a
#: session's script runs on its own thread, and so does each of its callbacks' runs.
_RUN = threading.local()


@contextlib.contextmanager
def page_run():
    """One run of app.py and its page, from the first line to the last: on SQLite every
    ``connection()`` in it shares one connection, opened when first asked for and closed when
    the run ends (a page opened six, and each new connection parses the schema: a third of a
    cheap run's CPU), and the session is checked once (``current_actor``). (PostgreSQL's
    connections come from a pool, ready: one held for a whole run would keep it from the other
    runs.) A widget callback or a fragment's run is outside: they check the session themselves.

    A cursor read half-way keeps SQLite's snapshot of then for the rest of the run (a write
    after it is refused as busy): read a query's rows whole, as every page does."""
    _RUN.active = True
    try:
        yield
    finally:
        db = _RUN.__dict__.get("db")
        _RUN.__dict__.clear()
        try:
            if db is not None:
                Payung.close_db(db)
        finally:
            _settle_memory()


#: The run after which what the process holds is frozen (``_settle_memory``).
_FREEZE_AFTER_RUNS = 5
_runs_ended = 0


def _settle_memory() -> None:
    """The first runs of a server import its libraries and load its plugins: hundreds of
    thousands of objects that live as long as the process. ``gc.freeze`` (after a collection,
    so that no garbage is frozen with them) takes them out of the garbage collector's full
    passes, which scanned them all and held every session of the process for 0,2-0,5 s each
    time under load (50 sessions on 200.000 workers). Objects made later are collected as
    before."""
    global _runs_ended
    _runs_ended += 1
    if _runs_ended == _FREEZE_AFTER_RUNS:
        gc.collect()
        gc.freeze()


@contextlib.contextmanager
def connection():
    """A connection: the run's (``page_run``), else one for this block only (a connection
    belongs to the thread that made it)."""
    if getattr(_RUN, "active", False) and payung().settings.engine == "sqlite":
        if "db" not in _RUN.__dict__:
            _RUN.db = payung().open_db()
        yield _RUN.db
        return
    with payung().connection() as db:
        yield db


def scope_key(actor: Actor) -> tuple:
    """What a cached figure depends on besides the data: the slice the actor sees (two
    operators of one regency share their figures)."""
    return actor.role, actor.regency_code, tuple(actor.villages)


def data_version() -> int:
    """The data's version now: with ``scope_key``, the key of a page's cached figures."""
    with connection() as db:
        return payung().data_version(db)


def forget_login() -> None:
    """This browser session is no longer logged in (its server session is gone): nothing of its
    user is kept for whoever signs in next (``TAB_KEYS``)."""
    _RUN.__dict__.pop("actor", None)
    for key in [key for key in st.session_state if key not in TAB_KEYS]:
        drop_work(key)  # a file read on Impor data is closed too
    st.query_params.clear()  # a worker or payment the last user had open ("?id=")
    for key in AUTH_KEYS:
        st.session_state[key] = None
    st.session_state.pop(SESSION_KEY, None)


def _live_actor(username: str, session_id: str | None) -> Actor | None:
    """``username`` as the user is now, if ``session_id`` is a live server session of theirs."""
    with connection() as db:
        live = check_session(db, session_id, session_policy())
        if live is None or live.username != username:
            return None
        return actor_for(db, username)


def current_actor() -> Actor | None:
    """The logged-in actor, or None. Checks that the server-side session is still live and
    belongs to the username the authenticator holds: once per run of app.py (``page_run``:
    app.py and the page's ``require`` ask), on every call outside one (callbacks, fragments)."""
    username = st.session_state.get("username") if st.session_state.get("authentication_status") else None
    if not username:
        return None
    session_id = st.session_state.get(SESSION_KEY)
    known = _RUN.__dict__.get("actor")  # only inside a run: page_run clears it at the end
    if known is not None and known[0] == (username, session_id):
        return known[1]
    actor = _live_actor(username, session_id)
    if actor is None:
        forget_login()
        return None
    if getattr(_RUN, "active", False):
        _RUN.actor = ((username, session_id), actor)
    return actor


def live_callback(callback: Callable[..., object], action: str) -> Callable[..., object]:
    """Wrap a widget callback that writes (``on_click=live_callback(save, "worker.write")``).

    Streamlit calls widget callbacks before it runs the script again, so before app.py checks
    the session: without this, a tab whose session was ended (logout elsewhere, password change,
    deactivation, role change, idle timeout, "Keluarkan dari semua perangkat") would still write
    with the actor of its previous run. The wrapper checks the session when the callback is
    called and passes the actor read then as ``actor=``; if the session is over, or the actor may
    no longer take ``action``, nothing is called (the run that follows shows the login page, with
    a note that the input was not saved, or the page's refusal)."""

    @functools.wraps(callback)
    def checked(*args, **kwargs):
        actor = current_actor()
        if actor is None:
            st.session_state[LOGIN_NOTICE] = SESSION_ENDED
            return None
        if not allowed(actor, action):
            return None
        try:
            return callback(*args, actor=actor, **kwargs)
        except (Forbidden, NotFound) as exc:
            # A value no box of the page offered (another village sent in place of the chosen
            # one, a record gone): the service refuses it; said in the run after, not a traceback.
            st.session_state[REFUSED] = str(exc)
            return None

    return checked


def show_refusal() -> None:
    """What a callback's write was refused for (``live_callback``), once, at the top of the page."""
    message = st.session_state.pop(REFUSED, None)
    if message:
        st.error(plain(message), icon=":material/block:")


def download_actor(username: str | None, session_id: str | None, action: str) -> Actor | None:
    """The actor a file made on a download's click is made for: the user of a server session
    that is still live, as that user is now, if now allowed ``action``; else None."""
    actor = _live_actor(username, session_id) if username else None
    return actor if actor is not None and allowed(actor, action) else None


def live_download(make: Callable[..., bytes], action: str) -> Callable[[], bytes]:
    """Every download button's file (``st.download_button(..., live_download(make, "bill.read"))``):
    made when the button is clicked, for a session still live then.

    Streamlit makes such a file in a request of its own, after the run that drew the button and
    outside any run: neither app.py nor the page checks the session then, and the page's actor
    is the one of that run. (A file given as bytes is served from /media/ with no check at all.)
    So the session this run belongs to is checked when the file is made, and ``make`` is given
    the actor as the user is then (``actor=``): what ``make`` reads with it is read as of the
    click; what it took from the page (a report built on the page) is as of the page. A session
    that has ended, or a user no longer allowed ``action``, gets no file (the click's run shows
    the login page or the page's refusal)."""
    username = st.session_state.get("username") if st.session_state.get("authentication_status") else None
    session_id = st.session_state.get(SESSION_KEY)

    @functools.wraps(make)
    def checked() -> bytes:
        actor = download_actor(username, session_id, action)
        if actor is None:
            raise Forbidden("Sesi ini sudah berakhir atau tidak lagi berhak: berkas tidak dibuat.")
        return make(actor=actor)

    return checked


def fragment_actor(actor: Actor, action: str) -> Actor:
    """The actor of a fragment's run. A click inside an ``st.fragment`` reruns only the fragment:
    neither app.py nor the page's ``require`` checks the session, and ``actor`` is the one of the
    last whole run. So in such a run the session is checked again; when it ended, or the actor
    may no longer take ``action``, the whole app runs instead (the login page with a note that
    the input was not saved, or the page as the new role sees it) and nothing is written."""
    ctx = get_script_run_ctx()
    if not (ctx and ctx.fragment_ids_this_run):
        return actor
    fresh = current_actor()
    if fresh is None:
        st.session_state[LOGIN_NOTICE] = SESSION_ENDED
    if fresh is None or not allowed(fresh, action):
        st.rerun(scope="app")
    return fresh


def through_app() -> None:
    """Top of every page (``require`` calls it): a page file Streamlit ran by itself, without
    app.py (a server process's first run at the page's address, ``ui.addresses.folder_mode``),
    is run again through app.py, which decides what this session may open."""
    if not getattr(_RUN, "active", False):
        addresses.leave_folder_mode(page_file=True)


def require(action: str = "account.manage") -> Actor:
    """Top of every page: the logged-in actor, or stop with a message if they may not take the
    page's ``action`` (``payung.auth.access``). (app.py has already shown the login to anyone not
    logged in.)"""
    through_app()
    actor = current_actor()
    if actor is None:
        login_notices(payung().settings)
        st.warning("Silakan masuk terlebih dahulu.")
        st.stop()
    if not allowed(actor, action):
        st.error("Halaman ini tidak tersedia untuk peran Anda.")
        st.stop()
    restore_notice(payung().settings)
    return actor


def login_notices(settings) -> None:
    """On the login page: why this browser session must sign in again (``LOGIN_NOTICE``: a
    text, or (what was done, the sign-in request) after a restore), and a restore that ended
    its login."""
    notice = st.session_state.get(LOGIN_NOTICE)
    if isinstance(notice, tuple):  # texts quoting a file name: shown as text where they are rendered
        st.success(plain(notice[0]), icon=":material/check_circle:")
        st.warning(plain(notice[1]), icon=":material/lock_clock:")
    elif notice:
        st.warning(plain(notice), icon=":material/lock_clock:")
    restore_notice(settings, signed_out=True)


def daily_backup(settings) -> None:
    """Today's automatic backup (cheap once made); a failure is shown, never fatal."""
    try:
        backups.daily_backup(settings)
    except backups.BackupFailed as exc:
        st.sidebar.warning(plain(f"Cadangan otomatis harian gagal: {exc}"))


def restore_notice(settings, *, signed_out: bool = False) -> None:
    """Tell a session that was open while the database was restored from a backup (on the
    login page when ``signed_out``: a restore ends every session)."""
    restored = backups.last_restore(settings)
    stamp = restored and restored.get("at")
    seen = st.session_state.get("_restore_seen", "")
    if stamp and seen and stamp != seen:
        # The file's name is whatever the uploader called it, shown to every other session: text.
        st.warning(f"Basis data telah dipulihkan dari cadangan {plain(restored.get('file', ''))} pada {stamp[:16]} "
                   f"oleh {plain(restored.get('actor', ''))}. Data yang tampil sekarang adalah isi cadangan itu; "
                   "periksa kembali isian yang belum disimpan."
                   + (" Semua sesi diakhiri oleh pemulihan: silakan masuk lagi." if signed_out else ""),
                   icon=":material/restore:")
    st.session_state["_restore_seen"] = stamp or "-"


def reload_payung() -> None:
    """Load configuration and plugins again on the next run (e.g. after a scheme file was saved)."""
    _load.clear()


#: Prefixes of the session-state keys that hold a page's work on an uploaded file: the file
#: read, its plan. They can weigh many times the file; they are let go as soon as the user
#: opens another page.
UPLOAD_WORK = MappingProxyType({"impor": "_i_"})


def release_upload_work(current_url: str) -> int:
    """Drop the upload work of every page but the one being shown; returns how many keys went."""
    state = st.session_state
    gone = 0
    for url, prefix in UPLOAD_WORK.items():
        if url == current_url:
            continue
        for key in list(state.keys()):
            if key.startswith(prefix):
                drop_work(key)
                gone += 1
    return gone


def drop_work(key: str) -> None:
    """Forget ``key`` of the session; a ``Sheet`` in it (alone or in a tuple) is closed first:
    its rows are a temporary file of up to hundreds of MB (``Sheet.close``)."""
    value = st.session_state.pop(key, None)
    for item in value if isinstance(value, tuple) else (value,):
        if isinstance(item, Sheet):
            item.close()
