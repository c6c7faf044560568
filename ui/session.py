"""The per-session pieces every page needs: the loaded Payung, a connection, the actor."""

from __future__ import annotations

import contextlib
import os

import streamlit as st

from payung.access import Actor
from payung.core import Payung
from payung.users import actor_for


@st.cache_resource(show_spinner="Menyiapkan Payung...")
def _load(config: str | None, database: str | None) -> Payung:
    app = Payung.load(config, database_path=database)
    db = app.open_db()
    try:
        app.initialise(db)
    finally:
        db.close()
    return app


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
        db.execute("PRAGMA optimize")
        db.close()


def current_actor() -> Actor | None:
    username = st.session_state.get("username") if st.session_state.get("authentication_status") else None
    if not username:
        return None
    with connection() as db:
        return actor_for(db, username)


def require(*roles: str) -> Actor:
    """Top of every page: the logged-in actor, or stop with a message if their role may not
    see this page. (app.py has already shown the login to anyone not logged in.)"""
    actor = current_actor()
    if actor is None:
        st.warning("Silakan masuk terlebih dahulu.")
        st.stop()
    if roles and actor.role not in roles:
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
        st.sidebar.warning(f"Cadangan otomatis harian gagal: {exc}")


def restore_notice(settings) -> None:
    """Tell a session that was open while the database was restored from a backup."""
    from payung.backups import last_restore
    restored = last_restore(settings)
    stamp = restored and restored.get("at")
    seen = st.session_state.get("_restore_seen", "")
    if stamp and seen and stamp != seen:
        st.warning(f"Basis data telah dipulihkan dari cadangan {restored.get('file', '')} pada {stamp[:16]} "
                   f"oleh {restored.get('actor', '')}. Data yang tampil sekarang adalah isi cadangan itu; "
                   "periksa kembali isian yang belum disimpan.", icon=":material/restore:")
    st.session_state["_restore_seen"] = stamp or "-"
