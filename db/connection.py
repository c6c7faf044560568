"""Open the database: one connection per caller (Streamlit run, CLI command, thread).

A sqlite3 connection is bound to the thread that made it, and Streamlit serves sessions on
several threads, so nothing here is cached or shared: opening is cheap.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

DEFAULT_BUSY_TIMEOUT_MS = 10000


def connect(path: str | os.PathLike, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> sqlite_utils.Database:
    """Open (creating if needed) the SQLite database at ``path``.

    Foreign keys on; WAL so readers never wait for the writer; a busy timeout so writers from
    several sessions queue up instead of failing with "database is locked". Autocommit mode:
    every multi-statement write opens its own transaction through ``db.store.transaction``.
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    # 64 MiB of page cache: index maintenance on a regency's 200.000 workers stays in memory.
    conn.execute("PRAGMA cache_size = -65536")
    return sqlite_utils.Database(conn, execute_plugins=False)
