"""Moving a database from one engine to the other (``payung pindah``): every table copied with
its ids, the sequences after them, and a digest of each table to compare both sides.

The target is a migrated, empty database. Its triggers (the running totals, the append-only
audit log) are switched off while the copy loads (``line_totals`` is copied as it is, and
checked afterwards like every derived figure); foreign keys stay on, so tables are loaded
parents first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from db import store

#: Rows read from the source and written to the target at a time.
CHUNK = 10_000
#: Tables a migration fills (the data versions' counters, m011): a new database has their rows,
#: and a copy replaces them with the source's.
SEEDED = frozenset({"data_versions"})


def user_tables(db) -> list[str]:
    """The tables of Payung's data (not the migrations' own record)."""
    return sorted(t for t in db.table_names() if t != db.migrations_table and not t.startswith("sqlite_"))


def rows_in(db) -> dict[str, int]:
    """Rows per table."""
    return {t: db.execute(f"SELECT COUNT(*) FROM {store._name(t)}").fetchone()[0] for t in user_tables(db)}


def data_rows_in(db) -> dict[str, int]:
    """Rows per table, the rows a new database has already (``SEEDED``) left out."""
    return {t: n for t, n in rows_in(db).items() if t not in SEEDED}


def filled_tables(db) -> dict[str, int]:
    """Rows per table of the tables that hold data (``data_rows_in`` without the empty ones):
    {} for a new database, and for one that holds no Payung tables (not migrated)."""
    if db.migrations_table not in db.table_names():
        return {}
    return {t: n for t, n in data_rows_in(db).items() if n}


def columns_of(db, table: str) -> list[str]:
    """The columns of ``table``, in their order."""
    if db.engine == "sqlite":
        return [r[1] for r in db.execute(f"PRAGMA table_info({store._name(table)})").fetchall()]
    return [r[0] for r in db.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()]


def _key_columns(db, table: str) -> list[str]:
    """The primary key's columns (the order rows are read and compared in)."""
    if db.engine == "sqlite":
        found = sorted((r[5], r[1]) for r in db.execute(f"PRAGMA table_info({store._name(table)})").fetchall()
                       if r[5])
        return [name for _, name in found] or columns_of(db, table)
    found = [r[0] for r in db.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
        " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = ?::regclass AND i.indisprimary"
        " ORDER BY array_position(i.indkey::int2[], a.attnum)", [table]).fetchall()]
    return found or columns_of(db, table)


def parents_first(db, tables: list[str]) -> list[str]:
    """``tables`` ordered so that a table comes after every table it refers to."""
    if db.engine == "sqlite":
        refers = {t: {r[2] for r in db.execute(f"PRAGMA foreign_key_list({store._name(t)})").fetchall()} - {t}
                  for t in tables}
    else:
        refers = {t: set() for t in tables}
        for child, parent in db.execute(
                "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
                " WHERE contype = 'f' AND connamespace = current_schema()::regnamespace").fetchall():
            if child in refers and parent != child:
                refers[child].add(parent)
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and refers[t] <= set(ordered)]
        if not ready:  # a cycle: the rest in name order (the foreign keys will say if it matters)
            ready = [t for t in tables if t not in ordered]
        ordered.extend(ready)
    return ordered


def _read(db, table: str, columns: list[str]) -> Iterator[tuple]:
    key = ", ".join(_key_columns(db, table))
    cursor = db.execute(f"SELECT {', '.join(columns)} FROM {store._name(table)} ORDER BY {key}")
    while True:
        rows = cursor.fetchmany(CHUNK)
        if not rows:
            return
        yield from (tuple(row) for row in rows)


def copy_tables(source, target, *, replace: bool = False) -> dict[str, int]:
    """Every row of every table of ``source`` into the empty, migrated ``target`` (another
    engine), ids as they are, in one transaction of ``target``; returns rows per table. With
    ``replace`` (PostgreSQL: a restore), ``target``'s rows go first, in the same transaction:
    other sessions see the old rows or the new, never a mix."""
    tables = user_tables(source)
    missing = sorted(set(tables) - set(user_tables(target)))
    if missing:
        raise ValueError(f"tables missing in the target: {', '.join(missing)}")
    copied = {}
    with store.transaction(target):
        for table in tables:
            _triggers(target, table, enabled=False)
        if replace:
            target.execute("TRUNCATE " + ", ".join(store._name(t) for t in tables))
        for table in parents_first(target, tables):
            if table in SEEDED:
                target.execute(f"DELETE FROM {store._name(table)}")
            columns = columns_of(source, table)
            copied[table] = target.load_rows(store._name(table), columns, _read(source, table, columns))
            if "id" in columns:
                target.reset_sequence(table)
        for table in tables:
            _triggers(target, table, enabled=True)
    return copied


def _triggers(db, table: str, *, enabled: bool) -> None:
    """Switch the table's own triggers off for a copy (PostgreSQL; SQLite has no such switch
    and is never the target)."""
    if db.engine == "postgresql":
        db.execute(f"ALTER TABLE {store._name(table)} {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")


def _text(value) -> str:
    """A value as both engines give it back (SQLite's text or integer; PostgreSQL's the same,
    with ``None`` for NULL)."""
    return "\x00" if value is None else str(value)


def table_digest(db, table: str, columns: list[str]) -> str:
    """A digest of every row of ``table``, whatever order the engine reads them in (the sum of
    each row's SHA-256): equal digests, equal contents."""
    total = 0
    cursor = db.execute(f"SELECT {', '.join(columns)} FROM {store._name(table)}")
    while rows := cursor.fetchmany(CHUNK):
        for row in rows:
            line = "\x1f".join(_text(v) for v in row).encode("utf-8", "surrogatepass")
            total += int.from_bytes(hashlib.sha256(line).digest(), "big")
    return f"{total % 2 ** 256:064x}"
