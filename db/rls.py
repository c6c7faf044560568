"""PostgreSQL's row-level security: the second wall behind ``db.scope``.

Each table of ``db.scope.RULES`` gets two policies, one per kind of scope (``POLICIES``:
``payung_regency``, ``payung_villages``), rendered from the same rule as the queries'
fragments, the scope's values read from the transaction's settings instead of parameters
(``Settings``): ``payung.regency``, ``payung.villages``, ``payung.regencies`` (comma-separated
codes; ``payung.scope`` names the kind). Unset or empty, they let no row through.

Roles (docs/postgresql.md, section 6): Payung logs in as the tables' owner, and the tables are
*not* forced, so the owner's statements (Payung's own work and an administrator's, the
``EVERYTHING`` scope) run past the policies with the plans they had without them. An actor's
statement runs as the owner's scoped role of its kind of scope (``role_of``: the login role's
name + ``_regency`` or ``_villages``, NOLOGIN, made by the database administrator):
``db.postgres`` sets the settings and the role transaction-local in the same round trip. Each
policy is written ``TO`` its role only, and the roles may only read. One role per kind keeps each
policy a plain condition (no ``CASE`` on a setting): the planner estimates it from the
statistics and can use it in an index, where a ``CASE`` it could not see through made it
expect half of every table and read a month's lines instead of one look-up per worker. The
roles are per login role, so one province's roles cannot read another's database.

A policy's comment holds the digest of its table's policies: ``ensure`` installs them again when
the rules of ``db.scope`` changed, so the policies cannot drift from the fragments.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

from db.scope import REGENCY, RULES, VILLAGES, Fragment, Scope

#: The kinds of scope an actor's statement runs in, each with its scoped role and its policy.
KINDS = (REGENCY, VILLAGES)
#: The policy of each kind (one per scoped table), ``TO`` that kind's scoped role only.
POLICIES = {kind: f"payung_{kind}" for kind in KINDS}
#: The settings a policy reads, each value ``values(scope)`` gives it.
SETTINGS = ("payung.scope", "payung.regency", "payung.villages", "payung.regencies")
#: The constraint that makes a worker's regency_code its village's (``Settings.worker_in_regency``).
REGENCY_OF_VILLAGE = ("workers_regency_of_village",
                      "CHECK (left(village_code, length(regency_code) + 1) = regency_code || '.')")
#: Databases whose policies this process found current (checked once per process).
CURRENT: set[str] = set()


def role_of(kind: str) -> str:
    """The name of the scoped role of ``kind``, in SQL: the login role's + ``_regency`` or ``_villages``."""
    assert kind in KINDS
    return f"session_user || '_{kind}'"


def _setting(name: str) -> str:
    # A scalar sub-select: read once per statement (an InitPlan), not once per row; an empty
    # value (a setting set earlier in the session, then gone with its transaction) is no value.
    return f"(SELECT NULLIF(current_setting('{name}', true), ''))"


def _array(name: str) -> str:
    return f"(SELECT string_to_array(current_setting('{name}', true), ','))::text[]"


class Settings:
    """The values of the transaction's scope, read from its settings (a policy's words). A
    membership is ``= ANY`` of the setting's array, read once per statement by a scalar
    sub-select (``_array``), not once per row."""

    @staticmethod
    def in_villages(column: str) -> Fragment:
        return f"{column} = ANY ({_array('payung.villages')})", []

    @staticmethod
    def in_regencies(column: str) -> Fragment:
        return f"{column} = ANY ({_array('payung.regencies')})", []

    @staticmethod
    def in_regency(column: str) -> Fragment:
        return f"{column} LIKE ({_setting('payung.regency')} || '.%')", []

    @staticmethod
    def is_regency(column: str) -> Fragment:
        return f"{column} = {_setting('payung.regency')}", []

    @classmethod
    def worker_in_regency(cls, alias: str) -> Fragment:
        # The worker's own regency_code: an equality the planner estimates from its statistics
        # (a LIKE on a pattern it cannot see counts as 0,5 % of the rows: plans for a few rows).
        # The same rows as the fragment's LIKE: the server holds every worker's regency_code to
        # its village's (``REGENCY_OF_VILLAGE``, checked by ``stale`` like the policies).
        return cls.is_regency(f"{alias}.regency_code")

    @staticmethod
    def member(column: str, key: str, source: str, where: str) -> str:
        return f"EXISTS (SELECT 1 FROM {source} WHERE {key} = {column} AND {where})"


def values(scope: Scope) -> list[str]:
    """The settings' values (in ``SETTINGS`` order) that carry ``scope``."""
    return [scope.kind, scope.regency or "", ",".join(scope.villages or ()), ",".join(scope.regencies)]


def condition(table: str, kind: str) -> str:
    """The condition of the policy of ``kind`` on a row of ``table``: its rule for that kind of
    scope, a plain predicate the planner can estimate (no branch on a setting)."""
    where, params = RULES[table](kind, Settings, table)
    assert not params, "a policy reads settings, never parameters"
    return where


def digest(table: str) -> str:
    text = "\n".join(f"{kind}: {condition(table, kind)}" for kind in KINDS)
    return "payung:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def statements(table: str, roles: dict[str, str], present: Sequence[str] = ()) -> list[str]:
    """What installs the policies of ``table`` (again), each for its scoped role (``roles``: kind ->
    name); every other policy of the table (``present``: their names) is dropped."""
    done = [f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY", f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"]
    for name in sorted(set(present) | set(POLICIES.values())):
        done.append(f"DROP POLICY IF EXISTS {_quoted(name)} ON {table}")
    for kind in KINDS:
        policy, role = POLICIES[kind], _quoted(roles[kind])
        done += [f"CREATE POLICY {policy} ON {table} TO {role} USING ({condition(table, kind)})",
                 f"COMMENT ON POLICY {policy} ON {table} IS '{digest(table)}'"]
    return done


def check_roles(db) -> dict[str, str]:
    """The scoped roles' names (kind -> name), once they are fit; a warning is logged when the
    login role bypasses row-level security. Raises ``PayungError`` (Indonesian) when a scoped
    role is missing, not granted to the login role, or bypasses the policies itself."""
    rows = list(db.query(
        "SELECT session_user AS login, session_user || '_' || k.kind AS scoped, k.kind, l.rolsuper AS login_super,"
        " l.rolbypassrls AS login_bypass, s.oid IS NOT NULL AS exists, s.rolsuper OR s.rolbypassrls AS bypass,"
        " s.oid IS NOT NULL AND pg_has_role(session_user, s.oid, 'MEMBER') AS member"
        " FROM pg_roles l CROSS JOIN unnest(?::text[]) AS k(kind)"
        " LEFT JOIN pg_roles s ON s.rolname = session_user || '_' || k.kind WHERE l.rolname = session_user",
        [list(KINDS)]))
    return _check(rows)


def _check(rows: list[dict]) -> dict[str, str]:
    from payung.base.errors import PayungError
    login = rows[0]["login"]
    if rows[0]["login_super"] or rows[0]["login_bypass"]:
        logging.getLogger("payung.rls").warning(
            "PERINGATAN: Payung tersambung ke PostgreSQL sebagai peran %s yang %s: kebijakan keamanan baris tidak"
            " mengikat peran ini. Gunakan peran biasa (NOSUPERUSER NOBYPASSRLS), lihat docs/postgresql.md.",
            login, "superuser" if rows[0]["login_super"] else "BYPASSRLS")
    missing = [r["scoped"] for r in rows if not r["exists"]]
    if missing:
        grant = " ".join(f"CREATE ROLE {_quoted(name)} NOLOGIN; GRANT {_quoted(name)} TO {_quoted(login)};"
                         for name in missing)
        raise PayungError(f"Peran PostgreSQL {', '.join(missing)} belum ada. Minta admin basis data menjalankan:"
                          f" {grant} (docs/postgresql.md, bagian 6).")
    for row in rows:
        scoped = row["scoped"]
        if not row["member"]:
            raise PayungError(f"Peran PostgreSQL {login} belum menjadi anggota {scoped}. Minta admin basis data"
                              f" menjalankan: GRANT {_quoted(scoped)} TO {_quoted(login)};")
        if row["bypass"]:
            raise PayungError(f"Peran PostgreSQL {scoped} tidak boleh SUPERUSER atau BYPASSRLS: kebijakan keamanan"
                              f" baris tidak akan mengikatnya. Minta admin basis data menjalankan: ALTER ROLE"
                              f" {_quoted(scoped)} NOSUPERUSER NOBYPASSRLS;")
    return {row["kind"]: row["scoped"] for row in rows}


def _policies(db) -> dict[str, list[dict]]:
    """Scoped table -> its policies: name, the roles it is for, command, permissive, comment."""
    found: dict[str, list[dict]] = {}
    for row in db.query(
            "SELECT c.relname, p.polname, p.polcmd::text AS command, p.polpermissive AS permissive,"
            " obj_description(p.oid, 'pg_policy') AS comment,"
            " ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE r::regrole::text END FROM unnest(p.polroles) r) AS roles"
            " FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid"
            " WHERE c.relnamespace = current_schema()::regnamespace"):
        found.setdefault(row["relname"], []).append(row)
    return found


def _check_digest() -> str:
    return "payung:" + hashlib.sha256(REGENCY_OF_VILLAGE[1].encode()).hexdigest()[:16]


def _has_regency_check(db) -> bool:
    """The check is there, validated, and the one ``REGENCY_OF_VILLAGE`` makes (its comment: the
    digest of its text, as a policy's; the server's own rendering differs between versions)."""
    found = next(db.query("SELECT convalidated AS valid, contype::text AS type, obj_description(oid, 'pg_constraint')"
                          " AS comment FROM pg_constraint WHERE conrelid = 'workers'::regclass AND conname = ?",
                          [REGENCY_OF_VILLAGE[0]]), None)
    return bool(found and found["valid"] and found["type"] == "c" and found["comment"] == _check_digest())


def install(db, tables=None) -> None:
    """The policies of ``tables`` (every scoped table) and the scoped roles' right to read every
    table, inside the caller's transaction."""
    roles = check_roles(db)
    schema = _quoted(db.execute("SELECT current_schema()").fetchone()[0])
    present = _policies(db)
    name, check = REGENCY_OF_VILLAGE
    if not _has_regency_check(db):
        db.execute(f"ALTER TABLE workers DROP CONSTRAINT IF EXISTS {name}")
        db.execute(f"ALTER TABLE workers ADD CONSTRAINT {name} {check}")
        db.execute(f"COMMENT ON CONSTRAINT {name} ON workers IS '{_check_digest()}'")
    for table in RULES if tables is None else tables:
        for statement in statements(table, roles, [p["polname"] for p in present.get(table, [])]):
            db.execute(statement)
    for role in map(_quoted, roles.values()):
        db.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        db.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
        db.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {role}")


def stale(db) -> list[str]:
    """The scoped tables whose policies are missing, off, forced (the owner's statements must run
    past them), not each for its scoped role alone, joined by any other policy, not readable by
    the scoped roles, or not the ones the rules make now."""
    roles = {kind: next(db.query(f"SELECT {role_of(kind)} AS name"))["name"] for kind in KINDS}
    tables = {r["relname"]: r for r in db.query(
        "SELECT c.relname, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,"
        " to_regrole(?) IS NOT NULL AND to_regrole(?) IS NOT NULL AND has_table_privilege(to_regrole(?), c.oid, 'SELECT')"
        " AND has_table_privilege(to_regrole(?), c.oid, 'SELECT') AS readable"
        " FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'",
        [*roles.values(), *roles.values()])}
    policies = _policies(db)
    wanted = {POLICIES[kind]: roles[kind] for kind in KINDS}

    def current(table: str) -> bool:
        found = {p["polname"]: p for p in policies.get(table, [])}
        return (tables[table]["enabled"] and not tables[table]["forced"] and tables[table]["readable"]
                and set(found) == set(wanted) and all(
                    found[name]["roles"] == [role] and found[name]["command"] == "*" and found[name]["permissive"]
                    and found[name]["comment"] == digest(table) for name, role in wanted.items()))
    return [t for t in RULES if t in tables and not (current(t) and (t != "workers" or _has_regency_check(db)))]


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
