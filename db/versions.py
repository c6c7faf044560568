"""Data versions: counters that writes move forward, so caches and other processes can tell
cheaply whether what they hold is still current.

- ``data``: every change to the data a page aggregates (workers, sponsors, sponsorships, lines,
  payments, budgets, claims, schemes, regions...). Not moved by what is no change to that data:
  a sign-in, a failed login, a session touched or ended, an account changed (caches are kept
  per account scope anyway), the log of an import (a file imported again changes nothing), a
  logged read (a download, a NIK found registered elsewhere), or a new worker (no line, claim or
  sponsorship refers to a worker registered a moment ago, so no aggregate can contain it).
- ``workers``: a worker registered (the registry's own counter).
- ``schemes``: a scheme file written (the scheme editor): every server process loads its plugins
  again at its next run.

Each counter is moved in the transaction of the write (``db.store.audit``), so a reader that
sees the new data also sees the new version. Standard SQL only (both engines).
"""

from __future__ import annotations

from payung.base.errors import DatabaseError

#: Audited tables whose writes are no change to the data (see above).
NOT_DATA = frozenset({"sessions", "login", "users", "user_villages", "import_log"})
#: Audited actions that read: logged for who-saw-what, no change to any data (a download of the
#: worker list moved the dashboards' version, and every Beranda in its scope was computed again).
READS = frozenset({"export", "nik_elsewhere", "nip_elsewhere", "kpj_elsewhere"})
#: Names of the counters.
DATA, WORKERS, SCHEMES = "data", "workers", "schemes"
NAMES = (DATA, WORKERS, SCHEMES)


def counter_for(table: str, action: str) -> str | None:
    """Which counter an audited write moves (None: none)."""
    if table in NOT_DATA or action in READS:
        return None
    if table == "scheme_files":
        return SCHEMES
    if table == "workers" and action in ("insert", "bulk_insert"):
        return WORKERS
    return DATA


def bump(db, name: str) -> None:
    """Move a counter forward (inside the caller's write transaction). A database not yet
    upgraded to m011 (a SQLite file written at an older schema, in tests) has no counters:
    nothing to move. (Every PostgreSQL database is migrated before it is written.)"""
    try:
        db.execute("UPDATE data_versions SET version = version + 1 WHERE name = ?", [name])
    except DatabaseError as e:
        if db.engine != "sqlite" or "no such table" not in str(e):
            raise


def read(db) -> dict[str, int]:
    """Every counter, in one query."""
    return {name: version for name, version in db.execute("SELECT name, version FROM data_versions").fetchall()}


def advance_past(db, others: dict[str, int]) -> None:
    """Set each counter above both its own value and ``others``' (a restored copy goes live
    with versions the replaced database never had: no cache may take its data for theirs)."""
    have = read(db)
    for name, version in have.items():
        db.execute("UPDATE data_versions SET version = ? WHERE name = ?",
                   [max(version, others.get(name, 0)) + 1, name])
    for name in NAMES:  # a copy without a counter (crafted, or cut short) gets it back
        if name not in have:
            db.execute("INSERT INTO data_versions (name, version) VALUES (?, ?)", [name, others.get(name, 0) + 1])
