"""Identity numbers stored with non-ASCII digits (full-width ``３``, Arabic-Indic ``٣``...),
from before Payung folded them to ASCII: find them, normalise those that collide with nothing.

Used by migration ``m007_ascii_digits`` and by ``python -m payung digits`` (the report).
"""

from __future__ import annotations

from db import store

#: (table, column, unique?): the columns that hold identity numbers as text.
IDENTITY_COLUMNS = (
    ("workers", "nik", True),
    ("workers", "phone", False),
    ("sponsors", "nik", False),
    ("sponsors", "nip", True),
    ("sponsors", "phone", False),
    ("sponsorships", "kpj", False),
)


def non_ascii_rows(db) -> list[dict]:
    """Every identity value with a character outside printable ASCII: table, id, column, value."""
    found = []
    existing = set(db.table_names())
    for table, column, _ in IDENTITY_COLUMNS:
        if table not in existing:
            continue
        for row_id, value in db.execute(
                f"SELECT id, {column} FROM {table} WHERE {db.dialect.non_ascii(column)} ORDER BY id").fetchall():
            found.append({"table": table, "id": row_id, "column": column, "value": value})
    return found


def _owner(db, table: str, column: str, value: str, except_id: int) -> int | None:
    row = db.execute(f"SELECT id FROM {table} WHERE {column} = ? AND id != ? LIMIT 1", [value, except_id]).fetchone()
    return row[0] if row else None


def report(db, *, fix: bool = False, actor: str = "migrasi") -> list[dict]:
    """Each non-ASCII identity value with what becomes of it: ``status`` is ``normalised``
    (written when ``fix``, audited), ``collision`` (its ASCII form already belongs to row
    ``other_id``: left as it is, for a person to merge) or ``invalid`` (not digits even then)."""
    from payung.base.identity import ascii_digits
    rows = non_ascii_rows(db)
    unique = {(t, c) for t, c, u in IDENTITY_COLUMNS if u}
    for row in rows:
        folded = ascii_digits(row["value"]).strip()
        row["normalised"] = folded
        digits = folded.lstrip("+")
        if not folded.isascii() or not digits.isdigit():
            row["status"] = "invalid"
            continue
        other = _owner(db, row["table"], row["column"], folded, row["id"])
        if other is not None and (row["table"], row["column"]) in unique | {("sponsorships", "kpj")}:
            row["status"], row["other_id"] = "collision", other
            continue
        row["status"] = "normalised"
        if fix:
            store.update(db, row["table"], row["id"], {row["column"]: folded}, actor=actor)
    return rows
