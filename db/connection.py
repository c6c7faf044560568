"""Open the database: one connection per caller (Streamlit run, CLI command, thread), on
SQLite (``db.sqlite``) or PostgreSQL (``db.postgres``), chosen by the database URL.

Both engines' connections are a ``Database`` (below): the only face of the engine the rest of
``db`` uses. Nothing outside ``db`` knows which engine it talks to.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from db.files import PRIVATE_FILE, PRIVATE_FOLDER, private_file, private_folder

DEFAULT_BUSY_TIMEOUT_MS = 10000
POSTGRES_SCHEMES = ("postgresql://", "postgres://")

__all__ = ["DEFAULT_BUSY_TIMEOUT_MS", "Database", "PRIVATE_FILE", "PRIVATE_FOLDER", "connect", "engine_of",
           "private_file", "private_folder", "sqlite_path"]


class Database(Protocol):
    """What ``db`` asks of a connection, on either engine.

    ``execute`` returns a cursor (``fetchone``/``fetchall``/``rowcount``, rows as tuples);
    ``query`` the rows as dicts. SQL uses ``?`` placeholders (or ``:name`` with a dict).
    Transactions go through ``db.store.transaction``, which calls ``write_transaction`` at the
    top and ``savepoint`` inside one.
    """

    engine: str  # "sqlite" | "postgresql"
    dialect: Any  # db.dialect.SQLite | db.dialect.PostgreSQL
    migrations_table: str
    scope: Any  # db.scope.Scope: what the statements may see (PostgreSQL's row-level security)

    def acting(self, scope: Any) -> AbstractContextManager[None]: ...
    def execute(self, sql: str, params: Sequence | dict | None = None) -> Any: ...
    def query(self, sql: str, params: Sequence | dict | None = None) -> Iterator[dict]: ...
    def executemany(self, sql: str, rows: Iterable[Sequence]) -> int: ...
    def load_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int: ...
    @property
    def in_transaction(self) -> bool: ...
    def write_transaction(self) -> AbstractContextManager[None]: ...
    def savepoint(self) -> AbstractContextManager[None]: ...
    def settings(self, **values: str) -> AbstractContextManager[None]: ...
    def reset_sequence(self, table: str) -> None: ...
    def table_names(self) -> list[str]: ...
    def optimize(self) -> None: ...
    def close(self) -> None: ...


def engine_of(location: str | os.PathLike) -> str:
    """``postgresql`` for a PostgreSQL URL, else ``sqlite`` (a path or ``sqlite:///path``)."""
    return "postgresql" if str(location).startswith(POSTGRES_SCHEMES) else "sqlite"


def sqlite_path(location: str | os.PathLike) -> str:
    """The file (or ``:memory:``) of a SQLite location: a path, or ``sqlite:///path``."""
    text = str(location)
    return text.removeprefix("sqlite:///") if text.startswith("sqlite:///") else text


def connect(location: str | os.PathLike, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
            pool_size: int | None = None) -> Database:
    """Open the database at ``location``: a SQLite file (created if needed) or a PostgreSQL URL
    (a connection from this process's pool of at most ``pool_size``)."""
    if engine_of(location) == "postgresql":
        from db import postgres  # psycopg is imported only where PostgreSQL is used
        return postgres.connect(str(location), busy_timeout_ms=busy_timeout_ms, pool_size=pool_size)
    from db import sqlite
    return sqlite.connect(sqlite_path(location), busy_timeout_ms=busy_timeout_ms)
