"""Payung's data layer: the only package that speaks SQL.

``open_database`` is what everything else calls: it connects, refuses a database from a newer
Payung, and applies pending migrations. Writes go through ``db.store`` (audited), reads
through ``db.queries`` (and the modules named after what they serve: ``billing``,
``aggregates``, ``batches``, ``consistency``, ``logins``...), each inside the caller's
``db.scope``.

Imports only ``payung.base`` of Payung. The database driver is this package's business: code
outside it catches ``DatabaseError`` and the ``ConstraintError`` that ``db.store`` raises.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from db import queries, store, versions
from db.connection import connect, private_file, private_folder
from db.migrations import SchemaTooNew, migrate

__all__ = ["DatabaseError", "SchemaTooNew", "backup", "connect", "data_versions", "migrate", "open_database",
           "optimize_and_close", "private_file", "private_folder", "queries", "recorded_schemes", "replace_contents",
           "store", "stored_reference", "versions"]

#: Whatever the database driver raises (``sqlite3.Error``). Code outside ``db/`` catches this
#: name, never the driver's: the driver is this package's business.
DatabaseError = sqlite3.Error


def open_database(path: str | os.PathLike, *, busy_timeout_ms: int = 10000, upgrade: bool = True):
    """Connect to ``path`` and make sure its schema is current (upgrading in place)."""
    db = connect(path, busy_timeout_ms=busy_timeout_ms)
    try:
        if upgrade:
            migrate(db)
        else:
            from db.migrations import check_not_newer
            check_not_newer(db)
    except BaseException:
        db.close()
        raise
    return db


def backup(db, target: str | os.PathLike) -> Path:
    """Consistent online copy of the open database to ``target`` (SQLite backup API), for the
    owner only: the file 0600, a folder made for it 0700 (a copy holds every NIK)."""
    target = Path(target)
    private_folder(target.parent, tighten=False)
    tmp = target.with_name(target.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    private_file(tmp)
    dest = sqlite3.connect(str(tmp))
    try:
        db.conn.backup(dest)
    finally:
        dest.close()
    os.replace(tmp, target)
    return target


def data_versions(path: str | os.PathLike) -> dict[str, int]:
    """The data versions (``db.versions``) of the database at ``path``, read without creating,
    upgrading or locking anything ({} when there is no such database or table yet)."""
    if str(path) == ":memory:" or not Path(path).is_file():
        return {}
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            return dict(conn.execute("SELECT name, version FROM data_versions"))
        finally:
            conn.close()
    except sqlite3.Error:
        return {}


def replace_contents(db, source: str | os.PathLike) -> None:
    """Replace everything in the open database ``db`` with the database file ``source``, in one
    step (SQLite's backup API, all pages at once): it is written in one transaction under the
    write lock, so readers in other sessions see the old data or the new, never a mix."""
    copy = sqlite3.connect(str(source))
    try:
        copy.backup(db.conn)
    finally:
        copy.close()


def optimize_and_close(db) -> None:
    """Close a connection used for one run or command, after SQLite's advice for short
    connections: ``PRAGMA optimize`` refreshes planner statistics where its queries showed them
    missing (cheap when nothing is needed; skipped while another session writes)."""
    try:
        db.execute("PRAGMA optimize")
    except sqlite3.OperationalError:  # busy with another session's write: next time
        pass
    db.close()


def stored_reference(path: str | os.PathLike) -> dict[str, list[dict]]:
    """The regencies and occupations an administrator added (``regency_settings``,
    ``occupations``), read like ``recorded_schemes``: without creating, upgrading or locking
    anything ({} when there is no such database or table yet)."""
    if str(path) == ":memory:" or not Path(path).is_file():
        return {}
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        conn.row_factory = sqlite3.Row
        try:
            return {"regencies": [dict(r) for r in conn.execute("SELECT * FROM regency_settings ORDER BY code")],
                    "occupations": [dict(r) for r in conn.execute("SELECT * FROM occupations ORDER BY code")]}
        finally:
            conn.close()
    except sqlite3.Error:  # not a Payung database, or one without the tables yet
        return {}


def recorded_schemes(path: str | os.PathLike) -> dict[str, str]:
    """code -> regency of the schemes a database already records, read without creating,
    upgrading or locking anything ({} when there is no such database yet). Plugins are loaded
    before any connection is opened: this tells which of two files claiming a scheme code is
    the established one."""
    if str(path) == ":memory:" or not Path(path).is_file():
        return {}
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            return dict(conn.execute("SELECT code, regency_code FROM schemes"))
        finally:
            conn.close()
    except sqlite3.Error:  # not a Payung database, or one without the table yet
        return {}
