"""PostgreSQL's row-level security: the second wall behind ``db.scope``.

Each table of ``db.scope.RULES`` gets one policy, ``payung_scope``, rendered from the same rule
as the queries' fragments, the scope's values read from the transaction's settings instead of
parameters (``Settings``):

- ``payung.scope``: ``all``, ``regency`` or ``villages`` (anything else, or unset: no row);
- ``payung.regency``, ``payung.villages``, ``payung.regencies`` (comma-separated codes).

Two roles (docs/postgresql.md, section 6): Payung logs in as the tables' owner, and the tables
are *not* forced, so the owner's statements (Payung's own work and an administrator's, the
``EVERYTHING`` scope) run past the policies with the plans they had without them. An actor's
statement runs as the owner's scoped role (``scoped_role``: the login role's name + ``_scoped``,
NOLOGIN, made by the database administrator): ``db.postgres`` sets the settings and ``SET LOCAL
ROLE`` transaction-local in the same round trip. The policies are written ``TO`` that role only,
and it may only read: without the settings it sees no row. The role is per login role, so one
province's role cannot read another's database.

A policy's comment holds the digest of its text: ``ensure`` installs them again when the rules
of ``db.scope`` changed, so the policies cannot drift from the fragments.
"""

from __future__ import annotations

import hashlib
import logging

from db.scope import REGENCY, RULES, VILLAGES, Fragment, Scope

POLICY = "payung_scope"
#: The settings a policy reads, each value ``values(scope)`` gives it.
SETTINGS = ("payung.scope", "payung.regency", "payung.villages", "payung.regencies")
#: The name of the scoped role, in SQL: the login role's + ``_scoped``.
SCOPED_ROLE = "session_user || '_scoped'"
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
    return f"CASE {_setting('payung.scope')} {' '.join(arms)} ELSE false END"


def digest(table: str) -> str:
    return "payung:" + hashlib.sha256(condition(table).encode()).hexdigest()[:16]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def statements(table: str, role: str) -> list[str]:
    """What installs the policy of ``table`` (again), for the scoped role ``role``."""
    return [f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
            f"DROP POLICY IF EXISTS {POLICY} ON {table}",
            f"CREATE POLICY {POLICY} ON {table} TO {_quoted(role)} USING ({condition(table)})",
            f"COMMENT ON POLICY {POLICY} ON {table} IS '{digest(table)}'"]


def check_roles(db) -> str:
    """The scoped role's name, once it is fit; a warning is logged when the login role bypasses
    row-level security. Raises ``PayungError`` (Indonesian) when the scoped role is missing, not
    granted to the login role, or bypasses the policies itself."""
    row = next(db.query(
        f"SELECT session_user AS login, {SCOPED_ROLE} AS scoped, l.rolsuper AS login_super,"
        " l.rolbypassrls AS login_bypass, s.oid IS NOT NULL AS exists, s.rolsuper OR s.rolbypassrls AS bypass,"
        f" s.oid IS NOT NULL AND pg_has_role(session_user, s.oid, 'MEMBER') AS member"
        f" FROM pg_roles l LEFT JOIN pg_roles s ON s.rolname = {SCOPED_ROLE} WHERE l.rolname = session_user"))
    return _check(row)


def _check(row: dict) -> str:
    from payung.base.errors import PayungError
    login, scoped = row["login"], row["scoped"]
    if row["login_super"] or row["login_bypass"]:
        logging.getLogger("payung.rls").warning(
            "PERINGATAN: Payung tersambung ke PostgreSQL sebagai peran %s yang %s: kebijakan keamanan baris tidak"
            " mengikat peran ini. Gunakan peran biasa (NOSUPERUSER NOBYPASSRLS), lihat docs/postgresql.md.",
            login, "superuser" if row["login_super"] else "BYPASSRLS")
    grant = f"CREATE ROLE {_quoted(scoped)} NOLOGIN; GRANT {_quoted(scoped)} TO {_quoted(login)};"
    if not row["exists"]:
        raise PayungError(f"Peran PostgreSQL {scoped} belum ada. Minta admin basis data menjalankan: {grant}"
                          " (docs/postgresql.md, bagian 6).")
    if not row["member"]:
        raise PayungError(f"Peran PostgreSQL {login} belum menjadi anggota {scoped}. Minta admin basis data"
                          f" menjalankan: GRANT {_quoted(scoped)} TO {_quoted(login)};")
    if row["bypass"]:
        raise PayungError(f"Peran PostgreSQL {scoped} tidak boleh SUPERUSER atau BYPASSRLS: kebijakan keamanan"
                          f" baris tidak akan mengikatnya. Minta admin basis data menjalankan: ALTER ROLE"
                          f" {_quoted(scoped)} NOSUPERUSER NOBYPASSRLS;")
    return scoped


def install(db, tables=None) -> None:
    """The policies of ``tables`` (every scoped table) and the scoped role's right to read every
    table, inside the caller's transaction."""
    role = _quoted(check_roles(db))
    schema = _quoted(db.execute("SELECT current_schema()").fetchone()[0])
    for table in RULES if tables is None else tables:
        for statement in statements(table, role.strip('"').replace('""', '"')):
            db.execute(statement)
    db.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
    db.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
    db.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {role}")


def stale(db) -> list[str]:
    """The scoped tables whose policy is missing, off, forced (the owner's statements must run
    past it), not for the scoped role alone, not readable by it, or not the one the rules make now."""
    installed = {r["relname"]: r for r in db.query(
        "SELECT c.relname, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,"
        " obj_description(p.oid, 'pg_policy') AS comment,"
        f" p.polroles = ARRAY[to_regrole({SCOPED_ROLE})]::oid[] AS scoped,"
        f" to_regrole({SCOPED_ROLE}) IS NOT NULL AND has_table_privilege(to_regrole({SCOPED_ROLE}), c.oid, 'SELECT')"
        " AS readable"
        " FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = ?"
        " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'", [POLICY])}
    return [t for t in RULES if t in installed and not (
        installed[t]["enabled"] and not installed[t]["forced"] and installed[t]["scoped"]
        and installed[t]["readable"] and installed[t]["comment"] == digest(t))]


def ensure(db, url: str) -> list[str]:
    """Install again the policies that differ from the rules (once per process and database;
    ``db.migrations.migrate`` asks, once they exist); returns the tables installed again."""
    if url in CURRENT:
        return []
    from db import store
    with store.transaction(db):
        check_roles(db)  # the warning about the login role, on every start
        done = stale(db)
        if done:
            install(db, done)
    CURRENT.add(url)
    return done
