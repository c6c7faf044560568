"""The PostgreSQL engine: psycopg 3 connections from a pool (psycopg_pool), speaking the same
``Database`` protocol as SQLite (``db.engine``), for a province's database server.

- One pool per database URL and process; ``connect`` borrows a connection, ``close`` gives it
  back. Connections are in autocommit mode: a statement outside ``transaction`` is its own.
- Values come and go as they do with SQLite: ``?`` placeholders (translated once per statement
  text, ``db.dialect.PostgreSQL.translate``), whole sums as ``int`` (PostgreSQL's ``numeric``),
  comparisons as 0/1, Python booleans stored as 0/1, dates as ISO text.
- Writers take one advisory lock at the start of each write transaction (``WRITE_LOCK``): the
  writes of every session and application server are serialised as SQLite's ``BEGIN
  IMMEDIATE`` serialises them, so a check made inside a write transaction still holds when it
  commits (two payments on one bill, two first administrators). Readers never wait.
- Every statement runs inside the connection's scope (``Database.acting``, ``db.scope``). An
  actor's statement is preceded, in the same round trip (a pipeline), by ``set_config(...,
  true)`` of the settings the row-level security policies read, of ``role`` (the scoped role of
  the scope's kind, ``db.rls``), of ``plan_cache_mode`` (a regency's: custom plans, a generic
  plan cannot see the query's own filter values) and of ``jit`` (off: the policies' sub-selects
  make a quick statement look costly enough to compile); outside an explicit transaction the two
  are one implicit transaction, so nothing of one actor's scope stays on a pooled connection. Payung's
  own statements (``EVERYTHING``) run bare, as the tables' owner, past the policies (inside a
  transaction that ran an actor's statement, the role is reset first). Rows are loaded into a
  policy's table under an actor's scope through a temporary table (``COPY FROM`` is refused where
  a policy applies).
- Every error is raised as Payung's own (``db.errors``).
"""

from __future__ import annotations

import atexit
import datetime as dt
import itertools
import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
import contextlib
from contextlib import contextmanager

import psycopg
from psycopg import pq
from psycopg.adapt import Dumper, Loader
from psycopg.rows import dict_row
from psycopg.sql import Literal
from psycopg_pool import ConnectionPool

from db import dialect, errors, rls
from db.scope import RULES, Acting

DEFAULT_BUSY_TIMEOUT_MS = 10000
#: The advisory lock every write transaction takes first (any number unique to Payung).
WRITE_LOCK = 0x70617975  # "payu"
#: Connections per pool (per application process), unless ``[database] pool_size`` says.
POOL_SIZE = 20

_POOLS: dict[tuple[str, int], ConnectionPool] = {}
_POOLS_LOCK = threading.Lock()
_CHECKS: dict[str, dict[str, str]] = {}
#: Sets the settings of the scope and the scoped role for the transaction (``db.rls``).
_SET_SCOPE = ("SELECT " + ", ".join(f"set_config('{name}', %s, true)" for name in rls.SETTINGS)
              + ", set_config('role', session_user || '_' || %s, true)"
              # A regency's prepared statement (psycopg prepares one run five times) is planned
              # for its parameters each time: a generic plan, blind to the query's own filter
              # values, took the policy's index (a regency's workers) and sorted them all. A
              # village operator's policies are selective on their own: its generic plans are
              # good, and save the planning.
              + ", set_config('plan_cache_mode', CASE WHEN %s = 'regency' THEN 'force_custom_plan'"
              " ELSE current_setting('plan_cache_mode') END, true)"
              # The policies' sub-selects raise a statement's estimated cost past jit_above_cost:
              # compiling it (40-50 ms) would cost far more than running it (a page's budget lines
              # at 50.000 workers: 0,1 ms).
              + ", set_config('jit', 'off', true)")
#: Back to the owner, with no scope, for the rest of the transaction.
_UNSET_SCOPE = "SELECT set_config('role', 'none', true), " + ", ".join(
    f"set_config('{name}', '', true)" for name in rls.SETTINGS)
#: Statements that read no table and may not share an implicit transaction: run bare.
_BARE = re.compile(r"\s*(BEGIN|START|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|SET|RESET|VACUUM|CREATE DATABASE"
                   r"|DROP DATABASE|CREATE INDEX CONCURRENTLY)\b", re.IGNORECASE)
_LOADS = itertools.count()


# Values as SQLite gives and takes them ---------------------------------------------------------

class _WholeNumbers(Loader):
    """``numeric`` (what SUM of integers gives): an ``int`` when whole, else a ``float``."""

    def load(self, data):
        text = bytes(data)
        if b"." not in text and b"e" not in text.lower() and b"N" not in text:
            return int(text)
        return float(text)


class _BooleanAsInteger(Loader):
    def load(self, data):
        return 1 if bytes(data) == b"t" else 0


class _IntegerBoolean(Dumper):
    """A Python ``bool`` written as 0 or 1: flags are INTEGER columns, as in SQLite."""

    oid = psycopg.postgres.types["int8"].oid

    def dump(self, obj):
        return b"1" if obj else b"0"


class _IsoText(Dumper):
    """Dates and times as SQLite's adapters write them (ISO text), typed by the context."""

    def dump(self, obj):
        return (obj.isoformat(" ") if isinstance(obj, dt.datetime) else obj.isoformat()).encode()


def _adapt(conn: psycopg.Connection) -> None:
    adapters = conn.adapters
    adapters.register_loader("numeric", _WholeNumbers)
    adapters.register_loader("bool", _BooleanAsInteger)
    adapters.register_dumper(bool, _IntegerBoolean)
    for kind in (dt.date, dt.datetime):
        adapters.register_dumper(kind, _IsoText)


# Connections --------------------------------------------------------------------------------

def _pool(url: str, busy_timeout_ms: int, size: int) -> ConnectionPool:
    key = (url, busy_timeout_ms)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            # A wrong URL or a server down fails now, with the server's words, instead of
            # after the pool's timeout.
            psycopg.connect(url, connect_timeout=10).close()
            def configure(conn: psycopg.Connection) -> None:
                conn.autocommit = True
                _adapt(conn)
                # A writer waits this long for the write lock, then gives up (DatabaseBusy).
                conn.execute(f"SET lock_timeout = {int(busy_timeout_ms)}")

            pool = ConnectionPool(url, min_size=1, max_size=size, configure=configure, open=True,
                                  name=f"payung-{len(_POOLS)}", timeout=max(30.0, busy_timeout_ms / 1000))
            _POOLS[key] = pool
        return pool


def connect(url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
            pool_size: int | None = None) -> "PostgresDatabase":
    """A connection to the PostgreSQL database at ``url``, from this process's pool."""
    try:
        pool = _pool(url, busy_timeout_ms, pool_size or POOL_SIZE)
        return PostgresDatabase(pool.getconn(), pool, url)
    except psycopg.Error as exc:
        raise errors.from_postgres(exc) from exc
    except Exception as exc:  # the pool's own timeout: the server cannot be reached
        if type(exc).__module__.startswith("psycopg_pool"):
            raise errors.DatabaseError(f"Server PostgreSQL tidak dapat dihubungi ({exc}).") from exc
        raise


def close_pools(url: str | None = None) -> None:
    """Close the pools (of one URL, or all): their connections end (before a database is
    dropped, or when the process ends)."""
    with _POOLS_LOCK:
        for key in [k for k in _POOLS if url is None or k[0] == url]:
            _POOLS.pop(key).close()
    _CHECKS.pop(url, None) if url else _CHECKS.clear()


atexit.register(close_pools)


def _forget_pools_in_child() -> None:
    """A forked process (``multiprocessing``) opens pools of its own: the parent's connections
    are the parent's sockets, and their pool's threads did not survive the fork. The parent's
    pools are kept, never used nor collected: closing a connection would end the parent's."""
    global _POOLS_LOCK
    _POOLS_LOCK = threading.Lock()
    _INHERITED.extend(_POOLS.values())
    _POOLS.clear()
    _CHECKS.clear()


_INHERITED: list[ConnectionPool] = []
os.register_at_fork(after_in_child=_forget_pools_in_child)


def _check_expressions(url: str) -> dict[str, str]:
    """CHECK constraint name -> its expression, read once per database on a connection of its
    own (the failing transaction cannot read anything until it is rolled back)."""
    if url not in _CHECKS:
        with psycopg.connect(url, autocommit=True) as conn:
            _CHECKS[url] = dict(conn.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'c'").fetchall())
    return _CHECKS[url]


class PostgresDatabase(Acting):
    """One borrowed connection; ``close`` returns it to the pool."""

    engine = "postgresql"
    dialect = dialect.PostgreSQL
    #: Where applied migrations are recorded (sqlite-utils' ``_sqlite_migrations`` on SQLite).
    migrations_table = "payung_migrations"

    def __init__(self, conn: psycopg.Connection, pool: ConnectionPool | None, url: str):
        self.conn, self._pool, self.url = conn, pool, url
        self._scoped = False  # an actor's statement set the scoped role in the current transaction

    def __repr__(self) -> str:
        return f"<PostgresDatabase {self.conn.info.dbname if self.conn else '(lent back)'}>"

    def _error(self, exc: psycopg.Error) -> Exception:
        def check_expression(name: str | None) -> str | None:
            try:
                return _check_expressions(self.url).get(name or "")
            except psycopg.Error:
                return None
        return errors.from_postgres(exc, check_expression)

    @staticmethod
    def _params(params):
        if params is None:
            return []  # placeholders are processed (and %% undone) only when there are parameters
        return params if isinstance(params, (list, tuple, dict)) else list(params)

    def _prelude(self) -> tuple[str, list | None] | None:
        """What must run before a statement: the actor's scope and role; for ``EVERYTHING``
        nothing, unless an actor's statement ran earlier in this transaction (then: back to the
        owner)."""
        if self._scoped and not self.in_transaction:
            self._scoped = False  # the last actor's settings ended with its transaction
        if not self.scope.everything:
            self._scoped = True
            return _SET_SCOPE, [*rls.values(self.scope), self.scope.kind, self.scope.kind]
        return (_UNSET_SCOPE, None) if self._scoped else None

    def _run(self, cursor: psycopg.Cursor, sql: str, params, many: bool = False) -> None:
        """``sql`` on ``cursor``, in one round trip after its ``_prelude``."""
        run = cursor.executemany if many else cursor.execute
        try:
            prelude = None if _BARE.match(sql) else self._prelude()
            if prelude is None:
                run(sql, params)
                return
            if not params and not many and ";" in sql.strip().rstrip(";"):
                # Several statements (DDL): one simple query, the prelude first.
                text, values = prelude
                for value in values or ():
                    text = text.replace("%s", Literal(value).as_string(self.conn), 1)
                run(f"{text}; {sql}")
                return
            with self.conn.pipeline():
                self.conn.execute(*prelude)
                run(sql, params)
        except psycopg.Error as exc:
            raise self._error(exc) from exc

    def execute(self, sql: str, params=None) -> psycopg.Cursor:
        """Run one statement; the cursor has ``fetchone``, ``fetchall``, ``rowcount`` and rows as tuples."""
        cursor = self.conn.cursor()
        self._run(cursor, self.dialect.translate(sql), self._params(params))
        return cursor

    def query(self, sql: str, params=None) -> Iterator[dict]:
        """Run one statement that returns rows: each as a dict (executed now, read as iterated)."""
        cursor = self.conn.cursor(row_factory=dict_row)
        self._run(cursor, self.dialect.translate(sql), self._params(params))
        return iter(cursor)

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> int:
        cursor = self.conn.cursor()
        self._run(cursor, self.dialect.translate(sql), rows, many=True)
        return cursor.rowcount

    def load_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        """The fastest plain load of rows into a table: ``COPY ... FROM STDIN``."""
        count = 0
        try:
            with self.copy_in(table, columns) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        except psycopg.Error as exc:
            raise self._error(exc) from exc
        return count

    @contextmanager
    def copy_in(self, table: str, columns: Sequence[str]) -> Iterator[psycopg.Copy]:
        """A ``COPY ... FROM STDIN`` into ``table`` (``columns`` checked identifiers), inside the
        connection's scope. A table with a policy is loaded through a temporary table and one
        ``INSERT ... SELECT`` (the policy checks the rows; the triggers run once, as for COPY).
        Raises psycopg's errors."""
        names = ", ".join(columns)
        with contextlib.ExitStack() as stack:
            if not self.in_transaction:
                stack.enter_context(self.conn.transaction())
            prelude = self._prelude()
            if prelude:
                self.conn.execute(*prelude)
            if table not in RULES or self.scope.everything:  # the owner: no policy applies
                with self.conn.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    yield copy
                return
            staging = f"payung_load_{next(_LOADS)}"
            self.conn.execute(f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {names} FROM {table}"
                              " WITH NO DATA")
            with self.conn.cursor().copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
                yield copy
            self.conn.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging}")
            self.conn.execute(f"DROP TABLE {staging}")

    @property
    def in_transaction(self) -> bool:
        return self.conn.info.transaction_status != pq.TransactionStatus.IDLE

    @contextmanager
    def write_transaction(self) -> Iterator[None]:
        """A top-level write transaction: Payung's write lock first (``WRITE_LOCK``, given
        back at COMMIT or ROLLBACK); rolled back on any exception."""
        try:
            with self.conn.transaction():
                self.execute("SELECT pg_advisory_xact_lock(?)", [WRITE_LOCK])
                yield
        except psycopg.Error as exc:  # raised by COMMIT itself
            raise self._error(exc) from exc

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        try:
            with self.conn.transaction():
                yield
        except psycopg.Error as exc:
            raise self._error(exc) from exc

    @contextmanager
    def settings(self, **values: str) -> Iterator[None]:
        """Settings of the current transaction (``set_config(name, value, true)``: ``SET
        LOCAL``), back to what they were when the block ends: e.g. ``payung.bulk_lines`` (the
        scope's settings are set before every statement instead: ``_run``)."""
        before = {}
        for name, value in values.items():
            before[name] = self.execute("SELECT current_setting(?, true)", [name]).fetchone()[0] or ""
            self.execute("SELECT set_config(?, ?, true)", [name, str(value)])
        try:
            yield
        finally:
            if self.in_transaction and self.conn.info.transaction_status != pq.TransactionStatus.INERROR:
                for name, value in before.items():
                    self.execute("SELECT set_config(?, ?, true)", [name, value])

    def reset_sequence(self, table: str) -> None:
        """After rows were written with explicit ids: the next generated id follows the largest."""
        self.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false)"
                     f" FROM {table}")

    def table_names(self) -> list[str]:
        return [r[0] for r in self.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename").fetchall()]

    def optimize(self) -> None:
        """Planner statistics are autovacuum's job on PostgreSQL."""

    @contextmanager
    def lent_back(self) -> Iterator[None]:
        """A block that needs no database (a password check: a quarter of a second, longer while
        checks queue): outside a transaction the borrowed connection goes back to the pool for
        it, and one is borrowed again after. Sign-ins waiting for their check never empty the
        pool the pages draw from (20 connections; a flood of attempts from many tabs did)."""
        if self._pool is None or self.in_transaction:
            yield
            return
        self._pool.putconn(self.conn)
        self.conn = None
        try:
            yield
        finally:
            try:
                self.conn = self._pool.getconn()
            except psycopg.Error as exc:
                raise errors.from_postgres(exc) from exc
            except Exception as exc:  # the pool's own timeout, as in ``connect``
                if type(exc).__module__.startswith("psycopg_pool"):
                    raise errors.DatabaseError(f"Server PostgreSQL tidak dapat dihubungi ({exc}).") from exc
                raise

    def __enter__(self) -> "PostgresDatabase":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        if self._pool is not None:
            self._pool.putconn(conn)
        else:
            conn.close()
