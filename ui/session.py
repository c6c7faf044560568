"""The per-session pieces every page needs: the loaded Payung, a connection, the actor.

The actor exists only while the server-side session named in this browser session is live
(``payung.sessions.check_session``, on every run): logout, a password change elsewhere, a
deactivation, a role change or an administrator's "Keluarkan dari semua perangkat" end it,
and the next run of this tab lands on the login page.
"""

from __future__ import annotations

import contextlib
import sqlite3
import os

import streamlit as st

from payung.access import Actor, allowed
from payung.core import Payung
from payung.sessions import SessionPolicy, _dummy_hash, check_session
from payung.users import actor_for
from .widgets import plain

#: Key of this browser session's session id (a secret: it is what the cookie carries).
SESSION_KEY = "_payung_session_id"
#: The keys streamlit-authenticator reads to decide who is logged in.
AUTH_KEYS = ("authentication_status", "username", "name", "email", "roles")


@st.cache_resource(show_spinner="Menyiapkan Payung...")
def _load(config: str | None, database: str | None) -> Payung:
    app = Payung.load(config, database_path=database)
    db = app.open_db()
    try:
        app.initialise(db)
    finally:
        db.close()
    _dummy_hash()  # computed now, so the first unknown-username login is not slower
    return app


@st.cache_resource(show_spinner=False)
def _policy(config_path: str) -> SessionPolicy:
    return SessionPolicy.from_config(config_path)


def session_policy() -> SessionPolicy:
    """``[sessions]`` of config.toml: idle timeout, lifetime, login throttle."""
    return _policy(str(payung().settings.path))


def payung() -> Payung:
    """Configuration and plugins, loaded once per server (per config and database)."""
    return _load(os.environ.get("PAYUNG_CONFIG"), os.environ.get("PAYUNG_DB"))


@contextlib.contextmanager
def connection():
    """A connection for this run only: sqlite3 connections belong to the thread that made them."""
    db = payung().open_db()
    try:
        yield db
    finally:
        # SQLite's advice for short connections: refresh planner statistics where the queries
        # of this connection showed they are missing (cheap when nothing is needed).
        try:
            db.execute("PRAGMA optimize")
        except sqlite3.OperationalError:  # busy with another session's write: next time
            pass
        db.close()


def forget_login() -> None:
    """This browser session is no longer logged in (its server session is gone)."""
    for key in AUTH_KEYS:
        st.session_state[key] = None
    st.session_state.pop(SESSION_KEY, None)


def current_actor() -> Actor | None:
    """The logged-in actor, or None. Checks on every call that the server-side session is
    still live and belongs to the username the authenticator holds."""
    username = st.session_state.get("username") if st.session_state.get("authentication_status") else None
    if not username:
        return None
    with connection() as db:
        live = check_session(db, st.session_state.get(SESSION_KEY), session_policy())
        if live is None or live.username != username:
            forget_login()
            return None
        return actor_for(db, username)


def current_session_row() -> int | None:
    """The row id of this browser's live session (kept when the user changes their password)."""
    with connection() as db:
        live = check_session(db, st.session_state.get(SESSION_KEY), session_policy())
    return live.id if live else None


def require(action: str = "account.manage") -> Actor:
    """Top of every page: the logged-in actor, or stop with a message if they may not take the
    page's ``action`` (``payung.access``). (app.py has already shown the login to anyone not
    logged in.)"""
    actor = current_actor()
    if actor is None:
        st.warning("Silakan masuk terlebih dahulu.")
        st.stop()
    if not allowed(actor, action):
        st.error("Halaman ini tidak tersedia untuk peran Anda.")
        st.stop()
    restore_notice(payung().settings)
    return actor


def daily_backup(settings) -> None:
    """Today's automatic backup (cheap once made); a failure is shown, never fatal."""
    import sqlite3
    from payung.backups import daily_backup as make
    try:
        make(settings)
    except (OSError, sqlite3.Error) as exc:
        st.sidebar.warning(plain(f"Cadangan otomatis harian gagal: {exc}"))


def restore_notice(settings) -> None:
    """Tell a session that was open while the database was restored from a backup."""
    from payung.backups import last_restore
    restored = last_restore(settings)
    stamp = restored and restored.get("at")
    seen = st.session_state.get("_restore_seen", "")
    if stamp and seen and stamp != seen:
        # The file's name is whatever the uploader called it, shown to every other session: text.
        st.warning(plain(f"Basis data telah dipulihkan dari cadangan {restored.get('file', '')} pada {stamp[:16]} "
                         f"oleh {restored.get('actor', '')}. Data yang tampil sekarang adalah isi cadangan itu; "
                         "periksa kembali isian yang belum disimpan."), icon=":material/restore:")
    st.session_state["_restore_seen"] = stamp or "-"


def reload_payung() -> None:
    """Load configuration and plugins again on the next run (e.g. after a scheme file was saved)."""
    _load.clear()


#: Prefixes of the session-state keys that hold a page's work on an uploaded file: the file
#: read, its plan. They can weigh many times the file; they are let go as soon as the user
#: opens another page.
UPLOAD_WORK = {"impor": "_i_"}


def release_upload_work(current_url: str) -> int:
    """Drop the upload work of every page but the one being shown; returns how many keys went."""
    state = st.session_state
    gone = 0
    for url, prefix in UPLOAD_WORK.items():
        if url == current_url:
            continue
        for key in list(state.keys()):
            if key.startswith(prefix):
                del state[key]
                gone += 1
    return gone
