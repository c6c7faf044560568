"""PostgreSQL's row-level security: the second wall behind ``db.scope``.

Each table of ``db.scope.RULES`` gets one policy, ``payung_scope``, rendered from the same rule
as the queries' fragments, the scope's values read from the transaction's settings instead of
parameters (``Settings``):

- ``payung.scope``: ``all``, ``regency`` or ``villages`` (anything else, or unset: no row);
- ``payung.regency``, ``payung.villages``, ``payung.regencies`` (comma-separated codes).

``db.postgres`` sets them, transaction-local, before every statement from the connection's
scope (``Database.acting``): nothing of one actor's scope stays on a pooled connection. The
tables are ``FORCE ROW LEVEL SECURITY``: the policies bind their owner too (Payung's role owns
the tables it made); a superuser or a ``BYPASSRLS`` role is not bound (docs/postgresql.md).

A policy's comment holds the digest of its text: ``ensure`` installs them again when the rules
of ``db.scope`` changed, so the policies cannot drift from the fragments.
"""

from __future__ import annotations

import hashlib

from db.scope import ALL, REGENCY, RULES, VILLAGES, Fragment, Scope

POLICY = "payung_scope"
#: The settings a policy reads, each value ``values(scope)`` gives it.
SETTINGS = ("payung.scope", "payung.regency", "payung.villages", "payung.regencies")
#: Databases whose policies this process found current (checked once per process).
CURRENT: set[str] = set()


def _setting(name: str) -> str:
    # A scalar sub-select: read once per statement (an InitPlan), not once per row.
    return f"(SELECT current_setting('{name}', true))"


def _array(name: str) -> str:
    return f"(SELECT string_to_array(current_setting('{name}', true), ','))::text[]"


class Settings:
    """The values of the transaction's scope, read from its settings (a policy's words)."""

    @staticmethod
    def in_villages(column: str) -> Fragment:
        return f"{column} = ANY ({_array('payung.villages')})", []

    @staticmethod
    def in_regencies(column: str) -> Fragment:
        return f"{column} = ANY ({_array('payung.regencies')})", []

    @staticmethod
    def in_regency(column: str) -> Fragment:
        return f"{column} LIKE (SELECT current_setting('payung.regency', true) || '.%')", []

    @staticmethod
    def is_regency(column: str) -> Fragment:
        return f"{column} = {_setting('payung.regency')}", []


def values(scope: Scope) -> list[str]:
    """The settings' values (in ``SETTINGS`` order) that carry ``scope``."""
    return [scope.kind, scope.regency or "", ",".join(scope.villages or ()), ",".join(scope.regencies)]


def condition(table: str) -> str:
    """The policy's condition on a row of ``table``: its rule for the kind of scope set."""
    arms = []
    for kind in (REGENCY, VILLAGES):
        where, params = RULES[table](kind, Settings, table)
        assert not params, "a policy reads settings, never parameters"
        arms.append(f"WHEN '{kind}' THEN ({where})")
    return f"CASE {_setting('payung.scope')} WHEN '{ALL}' THEN true {' '.join(arms)} ELSE false END"


def digest(table: str) -> str:
    return "payung:" + hashlib.sha256(condition(table).encode()).hexdigest()[:16]


def statements(table: str) -> list[str]:
    """What installs the policy of ``table`` (again)."""
    return [f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
            f"DROP POLICY IF EXISTS {POLICY} ON {table}",
            f"CREATE POLICY {POLICY} ON {table} USING ({condition(table)})",
            f"COMMENT ON POLICY {POLICY} ON {table} IS '{digest(table)}'"]


def install(db, tables=None) -> None:
    """The policies of ``tables`` (every scoped table), inside the caller's transaction."""
    for table in RULES if tables is None else tables:
        for statement in statements(table):
            db.execute(statement)


def stale(db) -> list[str]:
    """The scoped tables whose policy is missing, off or not the one the rules make now."""
    installed = {r["relname"]: r for r in db.query(
        "SELECT c.relname, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,"
        " obj_description(p.oid, 'pg_policy') AS comment"
        " FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = ?"
        " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'", [POLICY])}
    return [t for t in RULES if t in installed and not (
        installed[t]["enabled"] and installed[t]["forced"] and installed[t]["comment"] == digest(t))]


def ensure(db, url: str) -> list[str]:
    """Install again the policies that differ from the rules (once per process and database;
    ``db.migrations.migrate`` asks, once they exist); returns the tables installed again."""
    if url in CURRENT:
        return []
    from db import store
    with store.transaction(db):
        done = stale(db)
        install(db, done)
    CURRENT.add(url)
    return done
