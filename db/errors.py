"""What the engines raise, as Payung's own errors (``payung.base.errors``), so that no code
outside ``db`` catches an engine's exception:

- a refused write (UNIQUE, CHECK, FOREIGN KEY, NOT NULL, a trigger's refusal) is a
  ``ConstraintError`` whose problems say what to do, in Indonesian; a PostgreSQL refusal is
  first worded the way SQLite words it (``UNIQUE constraint failed: workers.nik``), so one
  translation (``payung.base.errors.constraint_error``) serves both engines;
- a write lock not granted within ``busy_timeout_ms`` is ``DatabaseBusy``;
- a serialization failure or a deadlock is ``WriteConflict`` (safe to try again);
- a number beyond 64-bit integers is ``NumberTooLarge`` (an ``OverflowError``, as SQLite's own);
- anything else the engine raises is ``DatabaseError``, with the engine's text.
"""

from __future__ import annotations

import re
import sqlite3

from payung.base.errors import (
    DatabaseBusy,
    DatabaseError,
    NumberTooLarge,
    Problem,
    ValidationError,
    WriteConflict,
    constraint_error,
)

CONFLICT = "Data ini baru saja diubah bersamaan dari sesi lain; tidak ada yang disimpan. Coba lagi."


def from_sqlite(exc: sqlite3.Error) -> Exception:
    """The Payung error for a ``sqlite3`` exception."""
    if isinstance(exc, sqlite3.IntegrityError):
        return constraint_error(exc)
    if isinstance(exc, sqlite3.OperationalError) and ("database is locked" in str(exc) or "busy" in str(exc)):
        return DatabaseBusy()  # the driver's words ("database is locked") are not the user's
    return DatabaseError(str(exc))


# PostgreSQL ---------------------------------------------------------------------------------

#: SQLSTATE classes and codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_UNIQUE, _FOREIGN_KEY, _NOT_NULL, _CHECK, _RAISED = "23505", "23503", "23502", "23514", "P0001"
_OUT_OF_RANGE = "22003"
_LOCK_TIMEOUT, _DEADLOCK, _SERIALIZATION = "55P03", "40P01", "40001"
_KEY = re.compile(r"^Key \((?P<columns>.+?)\)=")


def sqlite_wording(exc, check_expression=None) -> str | None:
    """A PostgreSQL integrity error worded as SQLite words it, or None for another error.
    ``check_expression(name)`` gives a CHECK constraint's expression by name."""
    diag = exc.diag
    state, table = exc.sqlstate, diag.table_name or ""
    if state == _UNIQUE:
        found = _KEY.match(diag.message_detail or "")
        columns = [c.strip().strip('"') for c in found["columns"].split(",")] if found else []
        return "UNIQUE constraint failed: " + ", ".join(f"{table}.{c}" for c in columns)
    if state == _FOREIGN_KEY:
        return "FOREIGN KEY constraint failed"
    if state == _NOT_NULL:
        return f"NOT NULL constraint failed: {table}.{diag.column_name}"
    if state == _CHECK:
        expression = (check_expression(diag.constraint_name) if check_expression else None) or diag.constraint_name
        return f"CHECK constraint failed: {expression}"
    if state == _RAISED:  # a trigger's RAISE EXCEPTION, as SQLite's RAISE(ABORT, ...)
        return diag.message_primary
    return None


def from_postgres(exc, check_expression=None) -> Exception:
    """The Payung error for a ``psycopg`` exception."""
    state = getattr(exc, "sqlstate", None)
    if state == _OUT_OF_RANGE and "out of range" in str(exc):
        return constraint_error(OverflowError(str(exc)))
    if state == _LOCK_TIMEOUT:
        return DatabaseBusy()
    if state in (_DEADLOCK, _SERIALIZATION):
        return WriteConflict(CONFLICT)
    wording = sqlite_wording(exc, check_expression) if state else None
    if wording is not None:
        return constraint_error(exc, wording)
    return DatabaseError(str(exc).strip())


__all__ = ["DatabaseBusy", "DatabaseError", "NumberTooLarge", "Problem", "ValidationError", "WriteConflict",
           "from_postgres", "from_sqlite", "sqlite_wording"]
