"""The SQLite engine: a ``sqlite_utils.Database`` that speaks Payung's ``Database`` protocol
(``db.engine``). The default: one file beside the app, one writer at a time.

A sqlite3 connection is bound to the thread that made it, and Streamlit serves sessions on
several threads, so nothing here is cached or shared: opening is cheap.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from db import dialect, errors
from db.files import private_file, private_folder
from db.scope import Acting

DEFAULT_BUSY_TIMEOUT_MS = 10000


class _Fetched(list):
    """The rows of a statement read at once, with a cursor's methods."""

    def __init__(self, rows, rowcount: int):
        super().__init__(rows)
        self.rowcount = rowcount

    def fetchone(self):
        return self.pop(0) if self else None

    def fetchall(self):
        rows = list(self)
        self.clear()
        return rows


class SQLiteDatabase(Acting, sqlite_utils.Database):
    """sqlite-utils' Database, with every engine error raised as Payung's own (``db.errors``)
    and the transactions Payung uses (``BEGIN IMMEDIATE``, savepoints inside)."""

    engine = "sqlite"
    dialect = dialect.SQLite
    #: The table sqlite-utils' ``Migrations`` records applied migrations in.
    migrations_table = "_sqlite_migrations"

    def execute(self, sql: str, parameters=None):
        try:
            cursor = super().execute(sql, parameters)
            if sql.lstrip()[:6].upper() == "PRAGMA":
                # A PRAGMA's rows are few, and reading them is where a damaged file fails.
                return _Fetched(cursor.fetchall(), cursor.rowcount)
            return cursor
        except sqlite3.Error as exc:
            raise errors.from_sqlite(exc) from exc

    def query(self, sql: str, params=None):
        try:
            return super().query(sql, params)
        except sqlite3.Error as exc:
            raise errors.from_sqlite(exc) from exc

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> int:
        """One statement for many rows (inside the caller's transaction); returns the count."""
        try:
            return self.conn.executemany(sql, rows).rowcount
        except sqlite3.Error as exc:
            raise errors.from_sqlite(exc) from exc

    def load_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        """The fastest plain load of rows into a table: ``executemany``."""
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        return self.executemany(sql, rows)

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    @contextmanager
    def write_transaction(self) -> Iterator[None]:
        """A top-level write transaction: the write lock at once (``BEGIN IMMEDIATE``), so two
        writers never deadlock upgrading read locks; rolled back on any exception."""
        self.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        try:
            self.execute("COMMIT")  # deferred foreign keys are checked here
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        name = f"sp_{secrets.token_hex(8)}"
        self.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                self.conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        self.execute(f"RELEASE SAVEPOINT {name}")

    @contextmanager
    def settings(self, **values: str) -> Iterator[None]:
        """Settings of the current transaction (PostgreSQL's ``SET LOCAL``): nothing on SQLite."""
        yield

    def reset_sequence(self, table: str) -> None:
        """After rows were written with explicit ids: nothing to do on SQLite (the next id is
        always the largest plus one)."""

    @contextmanager
    def lent_back(self) -> Iterator[None]:
        """Nothing to give back: a SQLite connection is no pool's (``PostgresDatabase.lent_back``)."""
        yield

    def optimize(self) -> None:
        """SQLite's advice for short connections: refresh planner statistics where this
        connection's queries showed they are missing (cheap when nothing is needed); skipped
        when another session is writing."""
        try:
            self.conn.execute("PRAGMA optimize")
        except sqlite3.OperationalError:
            pass


def connect(path: str | os.PathLike, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS, **_) -> SQLiteDatabase:
    """Open (creating if needed) the SQLite database at ``path``.

    Foreign keys on; WAL so readers never wait for the writer; a busy timeout so writers from
    several sessions queue up instead of failing with "database is locked". Autocommit mode:
    every multi-statement write opens its own transaction through ``db.store.transaction``.

    The database holds every NIK: its file is made for the owner only (0600; SQLite gives its
    -wal and -shm files the database file's permissions), a looser one is tightened when
    opened, and a folder made for it is 0700. (Other keywords, such as ``pool_size``, are
    PostgreSQL's.)
    """
    if str(path) != ":memory:":
        private_folder(Path(path).parent, tighten=False)
        private_file(Path(path))
        for suffix in ("-wal", "-shm"):
            private_file(Path(f"{path}{suffix}"), create=False)
    conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        # 64 MiB of page cache: index maintenance on a regency's 200.000 workers stays in memory.
        conn.execute("PRAGMA cache_size = -65536")
    except sqlite3.Error as exc:  # e.g. "file is not a database"
        conn.close()
        raise errors.from_sqlite(exc) from exc
    return SQLiteDatabase(conn, execute_plugins=False)
