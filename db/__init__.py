"""Payung's data layer: the only package that speaks SQL, and the only one that knows the engine
(SQLite by default, PostgreSQL for a province: ``db.connection``).

``open_database`` is what everything else calls: it connects, refuses a database from a newer
Payung, and applies pending migrations. Writes go through ``db.store`` (audited), reads
through ``db.queries`` (and the modules named after what they serve: ``billing``,
``aggregates``, ``batches``, ``consistency``, ``logins``...), each inside the caller's
``db.scope``; what differs between the engines' SQL is in ``db.dialect``.

Imports only ``payung.base`` of Payung. The database driver is this package's business: code
outside it catches ``DatabaseError`` (``payung.base.errors``: whatever either engine raised)
and the ``ConstraintError`` that ``db.store`` raises.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from db import queries, store, versions
from db.connection import connect, engine_of, private_file, private_folder, sqlite_path
from db.migrations import SchemaTooNew, migrate, migrate_once
from payung.base.errors import DatabaseBusy, DatabaseError, WriteConflict

__all__ = ["DatabaseBusy", "DatabaseError", "SchemaTooNew", "WriteConflict", "backup", "connect", "data_versions",
           "engine_of", "migrate", "open_database", "optimize_and_close", "private_file", "private_folder", "queries",
           "recorded_schemes", "replace_contents", "store", "stored_reference", "versions"]


def open_database(location: str | os.PathLike, *, busy_timeout_ms: int = 10000, upgrade: bool = True,
                  pool_size: int | None = None):
    """Connect to ``location`` (a SQLite file or a PostgreSQL URL) and make sure its schema is
    current (upgrading in place)."""
    db = connect(location, busy_timeout_ms=busy_timeout_ms, pool_size=pool_size)
    try:
        if upgrade:
            migrate_once(db, sqlite_path(location) if db.engine == "sqlite" else str(location))
        else:
            from db.migrations import check_not_newer
            check_not_newer(db)
    except BaseException:
        db.close()
        raise
    return db


def backup(db, target: str | os.PathLike) -> Path:
    """Consistent online copy of the open SQLite database to ``target`` (SQLite backup API), for
    the owner only: the file 0600, a folder made for it 0700 (a copy holds every NIK)."""
    if db.engine != "sqlite":
        raise DatabaseError("Cadangan berkas hanya untuk basis data SQLite; cadangkan PostgreSQL dengan pg_dump.")
    target = Path(target)
    private_folder(target.parent, tighten=False)
    tmp = target.with_name(target.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    private_file(tmp)
    try:
        dest = sqlite3.connect(str(tmp))
        try:
            db.conn.backup(dest)
        finally:
            dest.close()
    except sqlite3.Error as exc:
        raise DatabaseError(str(exc)) from exc
    os.replace(tmp, target)
    return target


def data_versions(location: str | os.PathLike | None) -> dict[str, int]:
    """The data versions (``db.versions``) of the database at ``location``, read without
    creating, upgrading or locking anything ({} when there is no such database or table yet)."""
    found = _read_only(location, "SELECT name, version FROM data_versions")
    return {r["name"]: r["version"] for r in found[0]} if found else {}


def replace_contents(db, source: str | os.PathLike) -> None:
    """Write the SQLite file ``source`` over the open SQLite database in one step (backup API,
    pages=-1): one transaction under the write lock; readers in other sessions see the old data
    or the new, never a mix."""
    try:
        copy = sqlite3.connect(str(source))
        try:
            copy.backup(db.conn)
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise DatabaseError(str(exc)) from exc


def optimize_and_close(db) -> None:
    """Close a connection used for one run or command, after refreshing planner statistics
    where the engine wants it (SQLite's ``PRAGMA optimize``; PostgreSQL's autovacuum does it)."""
    try:
        db.optimize()
    finally:
        db.close()


def stored_reference(location: str | os.PathLike | None) -> dict[str, list[dict]]:
    """The regencies and occupations an administrator added (``regency_settings``,
    ``occupations``), read like ``recorded_schemes``: without creating, upgrading or locking
    anything ({} when there is no such database or table yet)."""
    found = _read_only(location, "SELECT * FROM regency_settings ORDER BY code",
                       "SELECT * FROM occupations ORDER BY code")
    return {"regencies": found[0], "occupations": found[1]} if found else {}


def recorded_schemes(location: str | os.PathLike | None) -> dict[str, str]:
    """code -> regency of the schemes a database already records, read without creating,
    upgrading or locking anything ({} when there is no such database yet). Plugins are loaded
    before any connection is opened: this tells which of two files claiming a scheme code is
    the established one."""
    found = _read_only(location, "SELECT code, regency_code FROM schemes")
    return {r["code"]: r["regency_code"] for r in found[0]} if found else {}


def _read_only(location: str | os.PathLike | None, *queries: str) -> list[list[dict]] | None:
    """The rows (as dicts) of each of ``queries``, read without creating, upgrading or locking
    anything: None when there is no such database, or one without these tables yet (SQLite: a
    read-only connection to an existing file; PostgreSQL: a connection of the pool)."""
    if location is None:
        return None
    if engine_of(location) == "postgresql":
        try:
            db = connect(location)
        except DatabaseError:
            return None
        try:
            return [list(db.query(sql)) for sql in queries]
        except DatabaseError:  # a database without the tables yet
            return None
        finally:
            db.close()
    path = sqlite_path(location)
    if path == ":memory:" or not Path(path).is_file():
        return None
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        conn.row_factory = sqlite3.Row
        try:
            return [[dict(r) for r in conn.execute(sql)] for sql in queries]
        finally:
            conn.close()
    except sqlite3.Error:  # not a Payung database, or one without the tables yet
        return None
