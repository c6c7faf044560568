"""The only way data is written: every change is appended to ``audit_log`` in the same
transaction (who, when, what, the row before and after).

Table and column names come from code, never from users; values always go through
placeholders.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from db import versions

from payung.base import clock
from payung.base.errors import DatabaseBusy, ValidationError, constraint_error
from payung.base.text import search_key

# Primary key of each table that does not use "id"; link tables have composite keys.
_PRIMARY_KEYS = {"regions": "code", "schemes": "code", "letterheads": "regency_code", "regency_settings": "code",
                 "occupations": "code"}
_COMPOSITE_KEYS = {"user_villages": ("user_id", "village_code"), "payment_allocations": ("payment_id", "line_id")}
_TIMESTAMPED = {"workers", "sponsors", "sponsorships", "users", "schemes", "claims", "budget_lines", "letterheads",
                "regency_settings", "occupations"}
#: The column every write of a table derives from another of its row: {table: (column, source, how)}.
#: A name's ``name_key`` is the name as searches and matches compare it (any case, no accents).
DERIVED_COLUMNS = {"workers": ("name_key", "name", search_key), "sponsors": ("name_key", "name", search_key)}
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
# Columns whose values never enter the audit log (bcrypt hashes, hashed session ids): they are
# written as "***". Cookie keys and setup codes are never stored in a table at all.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash"})
REDACTED = "***"
# The write transactions of this process, one at a time (SQLite allows one writer anyway). A
# restore holds it from the copy of the data it replaces to the swap, so no write of another
# session can fall between the two and be lost.
_WRITES = threading.RLock()
#: Tries at the write lock, each waiting up to the connection's busy timeout, before a write is
#: refused as ``DatabaseBusy`` (nothing is done before the lock is held, so trying again is safe).
WRITE_ATTEMPTS = 3


def now() -> str:
    """Current UTC time as ISO-8601 text, the format of every timestamp column."""
    return clock.utc_now().isoformat(timespec="seconds")


def _name(identifier: str) -> str:
    if not _IDENTIFIER.match(identifier):
        raise ValueError(f"not an identifier: {identifier!r}")
    return identifier


def primary_key(table: str) -> str:
    return _PRIMARY_KEYS.get(table, "id")


@contextmanager
def writes_paused() -> Iterator[None]:
    """Hold every other write transaction of this process until the block ends (they wait,
    they do not fail): for a restore's copy-then-swap. Writes of this thread still run."""
    with _WRITES:
        yield


@contextmanager
def transaction(db) -> Iterator:
    """All or nothing. Takes the write lock at once (SQLite ``BEGIN IMMEDIATE``, PostgreSQL
    Payung's advisory lock), so two writers never deadlock and a check made inside holds until
    COMMIT; nested use becomes a savepoint. A refused write leaves as a ``ConstraintError``
    (``db.errors``), a number beyond 64 bits as ``NumberTooLarge``."""
    if db.in_transaction:
        with _refused_in_words(), db.savepoint():
            yield db
        return
    with _WRITES:
        with _write_lock(db):
            with _refused_in_words():
                yield db


@contextmanager
def _write_lock(db) -> Iterator[None]:
    """``db.write_transaction()``, its lock tried ``WRITE_ATTEMPTS`` times, each waiting up to
    the busy timeout (SQLite's busy handler, PostgreSQL's ``lock_timeout``), before the write
    is refused as ``DatabaseBusy``: nothing is done before the lock is held, so trying again is
    safe."""
    with ExitStack() as stack:
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                stack.enter_context(db.write_transaction())
                break
            except DatabaseBusy:
                if attempt == WRITE_ATTEMPTS:
                    raise
        yield


@contextmanager
def _refused_in_words() -> Iterator[None]:
    """A number beyond 64 bits (Python's ``OverflowError`` from the driver), rolled back: raise
    what it means in the user's words; the engines' own refusals are ``ConstraintError``
    already (``db.errors``)."""
    try:
        yield
    except OverflowError as exc:
        if isinstance(exc, ValidationError):
            raise
        raise constraint_error(exc) from exc


class _Undo(Exception):
    """Raised at the end of ``rolled_back`` to roll its transaction back."""


@contextmanager
def rolled_back(db) -> Iterator:
    """A transaction whose writes are always undone at the end: what a measurement writes and
    throws away (the benchmark's floors)."""
    try:
        with db.write_transaction():
            yield db
            raise _Undo
    except _Undo:
        pass


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def redact(value: Any) -> Any:
    """A row (or summary) with the values of secret columns replaced by ``***``."""
    if isinstance(value, dict):
        return {k: (REDACTED if k in SECRET_COLUMNS and v is not None else v) for k, v in value.items()}
    return value


def audit(db, actor: str, action: str, table: str, row_id: Any, before: Any, after: Any) -> None:
    """Append one entry to the audit log (call inside the write's transaction) and move the
    data version the write changes (``db.versions``). Secret columns are redacted here, whoever
    calls; the log itself refuses UPDATE and DELETE."""
    before, after = redact(before), redact(after)
    db.execute(
        "INSERT INTO audit_log (at, actor, action, table_name, row_id, before, after)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [now(), actor, action, table, None if row_id is None else str(row_id), _json(before), _json(after)],
    )
    counter = versions.counter_for(table, action)
    if counter:
        versions.bump(db, counter)


def _stamp(table: str, row: dict, *, created: bool) -> dict:
    if table not in _TIMESTAMPED:
        return dict(row)
    stamped = dict(row)
    moment = now()
    stamped.setdefault("updated_at", moment)
    if created:
        stamped.setdefault("created_at", moment)
    return stamped


def _derived(table: str, row: dict) -> dict:
    """``row`` with its ``DERIVED_COLUMNS`` column, when it writes that column's source."""
    column, source, how = DERIVED_COLUMNS.get(table, (None, None, None))
    return {**row, column: how(row[source])} if source in row else row


def _encode(value: Any) -> Any:
    """JSON-encode dict/list values for the JSON columns (``extra``, ``fields``...)."""
    if isinstance(value, (dict, list)):
        return _json(value)
    return value


def get(db, table: str, key: Any) -> dict | None:
    rows = list(db.query(f"SELECT * FROM {_name(table)} WHERE {primary_key(table)} = ?", [key]))
    return rows[0] if rows else None


def insert(db, table: str, row: dict, *, actor: str) -> Any:
    """Insert one row and audit it; returns its primary key (a tuple for link tables)."""
    row = _derived(table, _stamp(table, row, created=True))
    columns = [_name(c) for c in row]
    if table in _COMPOSITE_KEYS:
        key = tuple(row[c] for c in _COMPOSITE_KEYS[table])
        with transaction(db):
            db.execute(f"INSERT INTO {_name(table)} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                       [_encode(v) for v in row.values()])
            audit(db, actor, "insert", table, "/".join(map(str, key)), None, row)
        return key
    pk = primary_key(table)
    with transaction(db):
        cursor = db.execute(
            f"INSERT INTO {_name(table)} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
            f" RETURNING {pk}",
            [_encode(v) for v in row.values()],
        )
        key = cursor.fetchone()[0]
        if pk == "id" and "id" in row:
            db.reset_sequence(table)
        audit(db, actor, "insert", table, key, None, get(db, table, key))
    return key


def update(db, table: str, key: Any, changes: dict, *, actor: str) -> dict:
    """Change some columns of one row and audit before/after; returns the row after."""
    changes = _derived(table, _stamp(table, changes, created=False))
    pk = primary_key(table)
    with transaction(db):
        before = get(db, table, key)
        if before is None:
            raise LookupError(f"{table} {key!r} not found")
        assignments = ", ".join(f"{_name(c)} = ?" for c in changes)
        db.execute(
            f"UPDATE {_name(table)} SET {assignments} WHERE {pk} = ?",
            [_encode(v) for v in changes.values()] + [key],
        )
        after = get(db, table, key)
        changed_secrets = sorted(c for c in SECRET_COLUMNS if c in changes and before.get(c) != after.get(c))
        audit(db, actor, "update", table, key, before,
              {**after, "changed_secrets": changed_secrets} if changed_secrets else after)
    return after


def delete(db, table: str, key: Any, *, actor: str) -> None:
    """Delete one row, keeping its last state in the audit log (link tables: key is a tuple)."""
    if table in _COMPOSITE_KEYS:
        columns = _COMPOSITE_KEYS[table]
        where = " AND ".join(f"{_name(c)} = ?" for c in columns)
        with transaction(db):
            rows = list(db.query(f"SELECT * FROM {_name(table)} WHERE {where}", list(key)))
            if not rows:
                return
            db.execute(f"DELETE FROM {_name(table)} WHERE {where}", list(key))
            audit(db, actor, "delete", table, "/".join(map(str, key)), rows[0], None)
        return
    with transaction(db):
        before = get(db, table, key)
        if before is None:
            return
        db.execute(f"DELETE FROM {_name(table)} WHERE {primary_key(table)} = ?", [key])
        audit(db, actor, "delete", table, key, before, None)




def _secondary_indexes(db, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the explicitly created, non-unique indexes of a SQLite table
    (none on PostgreSQL: dropping an index there locks the table for every reader)."""
    if db.engine != "sqlite":
        return []
    return [(name, sql) for name, sql in db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        [table]).fetchall() if "UNIQUE" not in sql.upper()]


def bulk_insert(
    db, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, actor: str, note: str = "",
    rebuild_indexes: bool = False,
) -> int:
    """Insert many rows in one transaction with the engine's fastest load (``executemany`` on
    SQLite, ``COPY`` on PostgreSQL): the fast path for imports, demo data and region loading.
    One audit entry records the count and the id range.

    ``rebuild_indexes`` drops the table's secondary indexes and builds them again after the
    load, inside the same transaction: much faster when loading more rows than the table has
    (SQLite only).
    """
    names = [_name(c) for c in columns]
    column, source, how = DERIVED_COLUMNS.get(table, (None, None, None))
    if source in names and column not in names:
        at = names.index(source)
        names.append(column)
        rows = ((*row, how(row[at])) for row in rows)
    stamp_columns = [c for c in ("created_at", "updated_at") if table in _TIMESTAMPED and c not in names]
    moment = now()
    extra = (moment,) * len(stamp_columns)
    pk = None if table in _COMPOSITE_KEYS else primary_key(table)
    with transaction(db):
        first = db.execute(f"SELECT MAX({pk}) FROM {_name(table)}").fetchone()[0] if pk == "id" else None
        indexes = _secondary_indexes(db, table) if rebuild_indexes else []
        for name, _ in indexes:
            db.execute(f"DROP INDEX {_name(name)}")
        # JSON columns (dict/list values) are encoded; plain rows go to the engine untouched. The
        # first row decides, without materialising a generator of millions of rows.
        rows = iter(rows)
        first_row = next(rows, None)
        rows = itertools.chain([first_row], rows) if first_row is not None else iter(())
        if first_row is not None and any(isinstance(v, (dict, list)) for v in first_row):
            rows = (tuple(_encode(v) for v in row) for row in rows)
        count = db.load_rows(_name(table), names + stamp_columns,
                             (tuple(row) + extra for row in rows) if extra else rows)
        if pk == "id" and "id" in names:
            db.reset_sequence(table)
        for _, create in indexes:
            db.execute(create)
        last = db.execute(f"SELECT MAX({pk}) FROM {_name(table)}").fetchone()[0] if pk == "id" else None
        audit(
            db, actor, "bulk_insert", table, None, None,
            {"count": count, "first_id": (first or 0) + 1 if count and pk == "id" else None,
             "last_id": last, "note": note},
        )
    return count


def execute(db, sql: str, params: Sequence = (), *, actor: str, table: str, summary: dict) -> int:
    """Run one set-based write (e.g. marking lines paid) with one audit entry; returns rowcount."""
    with transaction(db):
        count = db.execute(sql, params).rowcount
        audit(db, actor, "bulk_update", table, None, None, {**summary, "count": count})
    return count


def last_audit_id(db) -> int:
    """The id of the latest audit entry: every write appends one, so an unchanged id means
    unchanged data (the dashboard's cache key, the bulk planner's check before it writes)."""
    return db.execute("SELECT COALESCE(MAX(id), 0) FROM audit_log").fetchone()[0]


def log_event(db, *, actor: str, action: str, table: str, row_id: Any = None, details: dict | None = None) -> None:
    """An audit entry for something that changes no row (e.g. a failed login)."""
    with transaction(db):
        audit(db, actor, action, table, row_id, None, details)


def touch(db, table: str, key: Any, column: str, value: Any) -> None:
    """The one unaudited write: refresh a heartbeat timestamp (a session's ``last_seen_at``).
    It changes no data anyone acts on, and auditing it would add a row per page view; when the
    database is busy with other writers it is skipped (the next page view refreshes it)."""
    try:
        with transaction(db):
            db.execute(f"UPDATE {_name(table)} SET {_name(column)} = ? WHERE {primary_key(table)} = ?", [value, key])
    except DatabaseBusy:
        pass
