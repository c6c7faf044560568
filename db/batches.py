"""Set-based reads and writes for enrolment by the list (``payung.enrolment.bulk``).

Reads answer, for a whole list at once, what ``queries`` answers row by row: the workers and
sponsors of the list inside the actor's scope, the months already covered, the live
sponsorships of a scheme counted per value of what a rule asks about (one GROUP BY instead
of one COUNT per row), and the budget lines with what they have committed.

``insert_lines`` writes contribution lines in bulk with the ``line_totals`` running totals
added once, by an aggregate, instead of one trigger call per line (on PostgreSQL the
statement-level trigger does just that, ``db.pg_schema``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from db import scope as sc
from db import store
from db.queries import SPONSOR_ROW, WORKER_ROW, _chunks, _in, _scalar, during, mark_visible_lines
from db.scope import Scope


@sc.bound
def workers_by_ids(db, ids: Sequence[int], scope: Scope) -> dict[int, dict]:
    where, params = sc.workers(scope)
    found: dict[int, dict] = {}
    for chunk in _chunks(sorted(set(ids))):
        for row in db.query(f"{WORKER_ROW} WHERE w.id IN ({_in(chunk)}){where}", [*chunk, *params]):
            found[row["id"]] = row
    return found


@sc.bound
def sponsors_by_ids(db, ids: Sequence[int], scope: Scope) -> dict[int, dict]:
    where, params = sc.sponsors(scope)
    found: dict[int, dict] = {}
    for chunk in _chunks(sorted(set(ids))):
        for row in db.query(f"{SPONSOR_ROW} WHERE s.id IN ({_in(chunk)}){where}", [*chunk, *params]):
            found[row["id"]] = row
    return found


@sc.bound
def worker_ids_by_nik(db, niks: Sequence[str], scope: Scope) -> dict[str, int]:
    """NIK -> worker id, of the workers inside the scope (another village's NIK is unknown)."""
    where, params = sc.workers(scope)
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(niks))):
        for row in db.execute(f"SELECT w.nik, w.id FROM workers w WHERE w.nik IN ({_in(chunk)}){where}",
                              [*chunk, *params]).fetchall():
            found[row[0]] = row[1]
    return found


@sc.bound
def sponsor_ids_by_nip(db, nips: Sequence[str], scope: Scope) -> dict[str, int]:
    """NIP -> sponsor id, of the sponsors inside the scope (another regency's ASN is unknown)."""
    found: dict[str, int] = {}
    where, params = sc.sponsors(scope)
    for chunk in _chunks(sorted(set(nips))):
        for row in db.execute(f"SELECT s.nip, s.id FROM sponsors s WHERE s.nip IN ({_in(chunk)}){where}",
                              [*chunk, *params]).fetchall():
            found[row[0]] = row[1]
    return found


@sc.bound
def sponsors_for_matching(db, scope: Scope) -> list[dict]:
    """Every sponsor inside the scope (any type, active or not): to find a sponsor by name or
    village government; the planner then refuses a wrong type or an inactive one with the
    form's own words."""
    where, params = sc.sponsors(scope)
    return list(db.query(
        f"SELECT s.id, s.type, s.name, s.village_code, s.regency_code, s.active FROM sponsors s"
        f" WHERE 1 = 1{where} ORDER BY s.id", params))


def sponsors_named(db, prefix: str) -> list[tuple[int, str]]:
    """(id, name) of the sponsors whose name starts with ``prefix`` and a space, oldest first
    (the benchmark's own donors)."""
    return [tuple(r) for r in db.execute("SELECT id, name FROM sponsors WHERE name LIKE ? ORDER BY id",
                                         [prefix + " %"]).fetchall()]


def lines_in_months(db, worker_ids: Sequence[int], from_month: str, to_month: str, scope: Scope) -> list[dict]:
    """Lines of some workers between two months, wherever they are, with what the
    double-coverage message names and whether each lies inside the scope (``visible``). Reads
    beyond the scope on purpose, like ``queries.months_taken``."""
    rows: list[dict] = []
    for chunk in _chunks(sorted(set(worker_ids))):
        with db.acting(sc.EVERYTHING):
            rows.extend(db.query(
                "SELECT l.id, l.worker_id, l.month, l.sponsorship_id, l.scheme_code, s.name AS sponsor_name"
                " FROM contribution_lines l JOIN sponsors s ON s.id = l.sponsor_id"
                f" WHERE l.worker_id IN ({_in(chunk)}) AND l.month BETWEEN ? AND ? ORDER BY l.month",
                [*chunk, from_month, to_month]))
    return mark_visible_lines(db, rows, scope)


def live_sponsorships_of(db, worker_ids: Sequence[int], statuses: Sequence[str]) -> list[dict]:
    rows: list[dict] = []
    for chunk in _chunks(sorted(set(worker_ids))):
        rows.extend(db.query(
            "SELECT id, worker_id, scheme_code, sponsor_id, start_month, months, programs, payment_period, fields"
            " FROM sponsorships"
            f" WHERE worker_id IN ({_in(chunk)}) AND status IN ({_in(statuses)})", [*chunk, *statuses]))
    return rows


@sc.bound
def sponsorship_counts(db, scheme_code: str, *, field_keys: Sequence[str] = (), worker_village: bool = False,
                       sponsor_id: bool = False, sponsor_village: bool = False, worker_district: bool = False,
                       statuses: Sequence[str] | None = None, month: str | None = None,
                       scope: Scope) -> dict[tuple, int]:
    """``queries.count_sponsorships`` for every value at once: the count per combination of the
    fields' values (and worker village, sponsor, sponsor village, worker district, in that order)."""
    keys = [db.dialect.json_field("s.fields", k) for k in field_keys]
    if worker_village:
        keys.append("w.village_code")
    if sponsor_id:
        keys.append("s.sponsor_id")
    if sponsor_village:
        keys.append("sp.village_code")
    if worker_district:
        keys.append("w.district_code")
    sql = (f"SELECT {', '.join(keys + ['COUNT(*)'])} FROM sponsorships s JOIN workers w ON w.id = s.worker_id"
           " JOIN sponsors sp ON sp.id = s.sponsor_id WHERE s.scheme_code = ?")
    params: list = [scheme_code]
    if statuses:
        sql += f" AND s.status IN ({_in(statuses)})"
        params.extend(statuses)
    sql, params = during(sql, params, month)
    where, extra = sc.sponsorships(scope)
    sql += where
    if keys:
        sql += f" GROUP BY {', '.join(keys)}"
    return {tuple(row[:-1]): row[-1] for row in db.execute(sql, params + extra).fetchall()}


@sc.bound
def covered_workers(db, scheme_code: str, *, worker_village: bool = False, worker_district: bool = False,
                    statuses: Sequence[str], month: str | None = None, scope: Scope) -> dict[tuple, set[int]]:
    """``queries.count_workers`` for every village or kecamatan at once: the workers themselves
    per worker village / district (``()`` for the whole scheme)."""
    keys = (["w.village_code"] if worker_village else []) + (["w.district_code"] if worker_district else [])
    sql = (f"SELECT DISTINCT {', '.join(keys + ['s.worker_id'])} FROM sponsorships s JOIN workers w"
           f" ON w.id = s.worker_id WHERE s.scheme_code = ? AND s.status IN ({_in(statuses)})")
    sql, params = during(sql, [scheme_code, *statuses], month)
    where, extra = sc.sponsorships(scope)
    found: dict[tuple, set[int]] = {}
    for row in db.execute(sql + where, [*params, *extra]).fetchall():
        found.setdefault(tuple(row[:-1]), set()).add(row[-1])
    return found


def budget_lines_with_committed(db, scheme_codes: Sequence[str]) -> list[dict]:
    """Every budget line of the schemes, with what live sponsorships have committed on it."""
    if not scheme_codes:
        return []
    return list(db.query(
        "SELECT b.*, COALESCE((SELECT SUM(l.amount) FROM contribution_lines l JOIN sponsorships p"
        " ON p.id = l.sponsorship_id WHERE l.budget_line_id = b.id AND p.status IN ('diajukan', 'aktif')), 0)"
        f" AS committed FROM budget_lines b WHERE b.scheme_code IN ({_in(scheme_codes)})", list(scheme_codes)))


def budget_lines_named(db, scheme_codes: Sequence[str]) -> list[dict]:
    if not scheme_codes:
        return []
    return list(db.query(f"SELECT * FROM budget_lines WHERE scheme_code IN ({_in(scheme_codes)})",
                         list(scheme_codes)))


def last_line_month(db) -> str | None:
    return _scalar(db, "SELECT MAX(month) FROM contribution_lines")


def max_id(db, table: str) -> int:
    return _scalar(db, f"SELECT COALESCE(MAX(id), 0) FROM {store._name(table)}")


# Writing ------------------------------------------------------------------------------------

LINE_COLUMNS = ("sponsorship_id", "worker_id", "sponsor_id", "scheme_code", "month", "village_code", "district_code",
                "occupation", "jkk", "jkm", "jht", "amount", "budget_line_id")

_INSERT_EVENT = re.compile(r"\bINSERT\s+ON\s+\[?\"?contribution_lines\b", re.IGNORECASE)

#: The running totals of the lines with id above ?, added in one statement: what the
#: ``line_totals_insert`` trigger (migration m005) adds line by line.
_ADD_TOTALS = """
INSERT INTO line_totals (month, scheme_code, district_code, gender, birth_year, lines, protected, billed, paid)
SELECT l.month, l.scheme_code, l.district_code, w.gender, substr(w.birth_date, 1, 4), COUNT(*),
       SUM(CASE WHEN l.paid_amount = l.amount THEN 1 ELSE 0 END), SUM(l.amount), SUM(l.paid_amount)
FROM contribution_lines l JOIN workers w ON w.id = l.worker_id
WHERE l.id > ?
GROUP BY l.month, l.scheme_code, l.district_code, w.gender, substr(w.birth_date, 1, 4)
ON CONFLICT (month, scheme_code, district_code, gender, birth_year) DO UPDATE SET
  lines = line_totals.lines + excluded.lines, protected = line_totals.protected + excluded.protected,
  billed = line_totals.billed + excluded.billed, paid = line_totals.paid + excluded.paid
"""


def _totals_triggers(db) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the SQLite triggers that add each inserted line to ``line_totals``."""
    if db.engine != "sqlite":
        return []
    return [(name, sql) for name, sql in db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'contribution_lines'").fetchall()
        if sql and _INSERT_EVENT.search(sql) and "line_totals" in sql]


def insert_lines(db, columns: Sequence[str], rows: Iterable[Sequence], *, actor: str, note: str = "",
                 rebuild_indexes: bool = False) -> int:
    """Insert contribution lines in one transaction and add them to ``line_totals`` with one
    aggregate. The per-line insert trigger is dropped for the load and created again, with
    the same statement, before the transaction ends: no other connection ever sees the schema
    without it, and ``line_totals`` stays equal to a recomputation from the lines. (On
    PostgreSQL the trigger is one aggregate per statement already: the lines are simply loaded.)"""
    if db.engine != "sqlite":
        return store.bulk_insert(db, "contribution_lines", columns, rows, actor=actor, note=note)
    with store.transaction(db):
        triggers = _totals_triggers(db)
        for name, _ in triggers:
            db.execute(f"DROP TRIGGER {store._name(name)}")
        before = max_id(db, "contribution_lines")
        count = store.bulk_insert(db, "contribution_lines", columns, rows, actor=actor, note=note,
                                  rebuild_indexes=rebuild_indexes)
        if triggers:
            db.execute(_ADD_TOTALS, [before])
        for _, create in triggers:
            db.execute(create)
    return count


def raw_insert_lines(db, columns: Sequence[str], rows: Iterable[Sequence], *, rebuild_indexes: bool = False) -> int:
    """The floor for the benchmark: one bare ``executemany`` of the lines with the totals
    triggers out of the way (inside the caller's transaction; nothing audited, nothing
    totalled); with ``rebuild_indexes`` the secondary indexes are dropped first and built once
    after, the fastest way SQLite loads a table. On PostgreSQL: a bare ``COPY``, the totals
    trigger disabled for the caller's transaction."""
    if db.engine != "sqlite":
        db.execute("ALTER TABLE contribution_lines DISABLE TRIGGER line_totals_insert")
        count = db.load_rows("contribution_lines", columns, rows)
        db.execute("ALTER TABLE contribution_lines ENABLE TRIGGER line_totals_insert")
        return count
    for name, _ in _totals_triggers(db):
        db.execute(f"DROP TRIGGER {store._name(name)}")
    indexes = store._secondary_indexes(db, "contribution_lines") if rebuild_indexes else []
    for name, _ in indexes:
        db.execute(f"DROP INDEX {store._name(name)}")
    count = db.load_rows("contribution_lines", columns, rows)
    for _, create in indexes:
        db.execute(create)
    return count


# The benchmark's own reads and floors ----------------------------------------------------------

def bare_insert(db, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """The engine's plainest load in one transaction, nothing else (no audit, no checks): the
    floor the benchmark compares ``store.bulk_insert`` with. One bare ``executemany`` on
    SQLite, one ``COPY`` on PostgreSQL (``Database.load_rows``)."""
    with store.transaction(db):
        db.load_rows(store._name(table), [store._name(c) for c in columns], rows)


def worker_places(db, chunk: int = 50_000) -> Iterator[tuple[int, str, str]]:
    """(id, village, occupation) of every worker, by id, read ``chunk`` at a time (a province's
    million are never all in memory here). Read them all before the connection loads anything
    (a ``COPY`` holds it)."""
    last = 0
    while True:
        rows = db.execute("SELECT id, village_code, occupation FROM workers WHERE id > ? ORDER BY id LIMIT ?",
                          [last, chunk]).fetchall()
        yield from rows
        if len(rows) < chunk:
            return
        last = rows[-1][0]


def busiest_villages(db, region_prefix: str, limit: int) -> list[str]:
    """The villages of a region with the most workers, most first."""
    return [row[0] for row in db.execute(
        "SELECT village_code FROM workers WHERE village_code LIKE ? GROUP BY village_code"
        " ORDER BY COUNT(*) DESC, village_code LIMIT ?", [region_prefix + ".%", limit])]


def niks_starting(db, prefixes: list[str]) -> set[str]:
    """The NIKs registered that start with one of ``prefixes`` (a district's six digits)."""
    found: set[str] = set()
    for prefix in dict.fromkeys(prefixes):
        found.update(row[0] for row in db.execute("SELECT nik FROM workers WHERE nik >= ? AND nik < ?",
                                                  [prefix, str(int(prefix) + 1).zfill(len(prefix))]))
    return found


def analyze(db) -> None:
    """Planner statistics for every table and index (after a large load); on PostgreSQL with a
    ``VACUUM`` first, as autovacuum leaves a database in service: the visibility map that
    index-only scans read, and no dead rows (outside a transaction there)."""
    db.execute("VACUUM (ANALYZE)" if db.engine == "postgresql" else "ANALYZE")


def reclaim(db, table: str) -> None:
    """Give back the space rows a rolled-back load left in ``table`` (the benchmark's floors),
    outside a transaction. On PostgreSQL the dead rows stay until a ``VACUUM``, and a ``VACUUM``
    leaves their index pages in the index files: the indexes are built again first (the dead
    rows are not in them), then the ``VACUUM`` gives back the table's empty pages. Nothing on
    SQLite, where a rollback leaves nothing behind."""
    if db.engine == "postgresql":
        db.execute(f"REINDEX TABLE {store._name(table)}")
        db.execute(f"VACUUM {store._name(table)}")
