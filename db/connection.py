"""Open the database: one connection per caller (Streamlit run, CLI command, thread).

A sqlite3 connection is bound to the thread that made it, and Streamlit serves sessions on
several threads, so nothing here is cached or shared: opening is cheap.

The database holds every NIK: its file is made for the owner only (0600; SQLite gives its
-wal and -shm files the database file's permissions), a looser one is tightened when opened,
and a folder made for it is 0700.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

DEFAULT_BUSY_TIMEOUT_MS = 10000


PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def private_file(path: Path, *, create: bool = True) -> None:
    """Make ``path`` an owner-only file: created empty with mode 0600 if missing (``create``),
    tightened to 0600 if group or others may read it. Where the file system or the owner does
    not allow it (a FAT flash disk, someone else's file), it is left as it is."""
    try:
        if create:
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
                return
            except FileExistsError:
                pass
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, PRIVATE_FILE)
    except OSError:
        pass


def private_folder(path: Path, *, tighten: bool = True) -> None:
    """Make the folder ``path`` (and missing parents) with mode 0700; an existing one is
    tightened to 0700 too when ``tighten`` (a folder of backups), else left as it is (the
    folder a database was put in may be anyone's)."""
    path = Path(path)
    if not path.exists():
        path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
        try:
            os.chmod(path, PRIVATE_FOLDER)  # mkdir's mode is masked by the umask
        except OSError:
            pass
        return
    if tighten:
        try:
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, PRIVATE_FOLDER)
        except OSError:
            pass


def connect(path: str | os.PathLike, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> sqlite_utils.Database:
    """Open (creating if needed) the SQLite database at ``path``.

    Foreign keys on; WAL so readers never wait for the writer; a busy timeout so writers from
    several sessions queue up instead of failing with "database is locked". Autocommit mode:
    every multi-statement write opens its own transaction through ``db.store.transaction``.
    """
    if str(path) != ":memory:":
        private_folder(Path(path).parent, tighten=False)
        private_file(Path(path))
        for suffix in ("-wal", "-shm"):
            private_file(Path(f"{path}{suffix}"), create=False)
    conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    # 64 MiB of page cache: index maintenance on a regency's 200.000 workers stays in memory.
    conn.execute("PRAGMA cache_size = -65536")
    return sqlite_utils.Database(conn, execute_plugins=False)
