"""The SQL of ``python -m payung check``: every stored or derived figure against a recomputation
from the raw rows, set-based (a few full scans, no per-row queries), and the rebuild of what can
be rebuilt.

Each ``*_differences`` function returns ``(checked, differences, examples)``: how many rows were
compared, how many disagree, and the first few disagreements as dicts. The file checks are
SQLite's own PRAGMAs (a PostgreSQL server checks its own files; its foreign keys are checked
here by query); the rest is portable SQL, with ``db.dialect`` for what differs. Restoring a
SQLite backup file (``value_problems``, ``schema_objects``, ``keep_live_accounts``) is SQLite's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from db import store
from payung.base.errors import DatabaseError
from payung.base.text import BYTEA_TEXT, text_problem, tidy

EXAMPLES = 5

#: A month as a number of months since year 0, so month arithmetic is integer arithmetic.
def _month_index(column: str) -> str:
    return f"(CAST(substr({column}, 1, 4) AS INTEGER) * 12 + CAST(substr({column}, 6, 2) AS INTEGER))"


def _rows(db, sql: str, params: Sequence = ()) -> list[dict]:
    return list(db.query(sql, list(params)))


def _scalar(db, sql: str, params: Sequence = ()):
    return db.execute(sql, list(params)).fetchone()[0]


# The engine's own checks ---------------------------------------------------------------------

def integrity_problems(db, *, quick: bool = False) -> list[str]:
    """``PRAGMA integrity_check`` (or the faster ``quick_check``): empty when the file is sound.
    None on PostgreSQL, whose server checks its own pages (data checksums, ``amcheck``)."""
    if db.engine != "sqlite":
        return []
    pragma = "quick_check" if quick else "integrity_check"
    found = [row[0] for row in db.execute(f"PRAGMA {pragma}").fetchall()]
    return [] if found == ["ok"] else found


def size_in_pages(db) -> int:
    """The database's size in pages (what the integrity check read)."""
    if db.engine == "sqlite":
        return db.execute("PRAGMA page_count").fetchone()[0]
    return db.execute("SELECT pg_database_size(current_database()) / current_setting('block_size')::integer"
                      ).fetchone()[0]


def foreign_key_problems(db) -> list[dict]:
    """Rows whose reference points nowhere: ``PRAGMA foreign_key_check`` on SQLite; on
    PostgreSQL (which enforces them on every write, unless a bulk copy switched that off) one
    query per foreign key."""
    if db.engine == "sqlite":
        return [{"table": r[0], "rowid": r[1], "parent": r[2]}
                for r in db.execute("PRAGMA foreign_key_check").fetchall()]
    found = []
    for table, column, parent, key in db.execute(
            "SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, p.attname"
            " FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " JOIN pg_attribute p ON p.attrelid = c.confrelid AND p.attnum = c.confkey[1]"
            " WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace"
            " ORDER BY 1, 2").fetchall():
        row_key = column if table in store._COMPOSITE_KEYS else store.primary_key(table)
        found += [{"table": table, "rowid": r[0], "parent": parent} for r in db.execute(
            f"SELECT x.{row_key} FROM {table} x WHERE x.{column} IS NOT NULL"
            f" AND NOT EXISTS (SELECT 1 FROM {parent} y WHERE y.{key} = x.{column}) ORDER BY 1").fetchall()]
    return found


# line_totals ---------------------------------------------------------------------------------

_KEY = "month, scheme_code, district_code, gender, birth_year"

#: line_totals as they should be: straight from the lines and their workers (the rebuild).
RECOMPUTED_LINE_TOTALS = (
    "SELECT l.month, l.scheme_code, l.district_code, w.gender, substr(w.birth_date, 1, 4) AS birth_year,"
    " COUNT(*) AS lines, SUM(CASE WHEN l.paid_amount = l.amount THEN 1 ELSE 0 END) AS protected,"
    " SUM(l.amount) AS billed, SUM(l.paid_amount) AS paid"
    " FROM contribution_lines l JOIN workers w ON w.id = l.worker_id"
    " GROUP BY l.month, l.scheme_code, l.district_code, w.gender, substr(w.birth_date, 1, 4)"
)


def _key(prefix: str = "", birth_year: str = "birth_year") -> str:
    """The five key columns as one text: grouping 2,4 million lines by one key sorts about
    twice as fast as by five."""
    return (f"{prefix}month || '|' || {prefix}scheme_code || '|' || {prefix}district_code"
            f" || '|' || {'w.' if prefix else ''}gender || '|' || {birth_year}")


_PROTECTED = "CASE WHEN l.paid_amount = l.amount THEN 1 ELSE 0 END"


def _key_weight(dialect, n: int, month: str, gender: str, birth: str) -> str:
    """A pseudo-random weight of a line_totals key (scheme and district by a number standing for
    their row, ``dialect.key_number``; month,
    gender, birth year by value), one of two; the ``_line_totals_fingerprints`` below."""
    a, b, c, d, e, prime = ((7919, 104729, 31, 1299709, 15485863, 100003),
                            (15485863, 7919, 1299709, 104729, 31, 99991))[n]
    return (f"(({dialect.key_number('s', 'code')} * {a} + {dialect.key_number('r', 'code')} * {b}"
            f" + CASE WHEN {gender} = 'P' THEN {c} ELSE 0 END"
            f" + CAST({birth} AS BIGINT) * {d} + CAST(replace({month}, '-', '') AS BIGINT) * {e}) % {prime} + 1)")


def _line_totals_fingerprints(db) -> tuple[tuple, tuple]:
    """The lines and line_totals, each as their four plain sums and two sums weighted by key:
    one scan of the lines instead of sorting 2,4 million of them by five columns. Equal
    fingerprints mean equal totals key by key unless differences cancel in all six sums at
    once; a row off, or lines counted under another key, changes them."""
    figures = "{lines} + 5 * {protected} + {billed} + 2 * {paid}"
    line = figures.format(lines=1, protected=_PROTECTED, billed="l.amount", paid="l.paid_amount")
    lines = tuple(db.execute(
        f"SELECT COUNT(*), COALESCE(SUM({_PROTECTED}), 0), COALESCE(SUM(l.amount), 0),"
        " COALESCE(SUM(l.paid_amount), 0), "
        + ", ".join(f"COALESCE(SUM({_key_weight(db.dialect, n, 'l.month', 'w.gender', 'substr(w.birth_date, 1, 4)')}"
                    f" * ({line})), 0)" for n in (0, 1))
        # CROSS JOIN: SQLite's way to keep the lines as the outer loop (PostgreSQL plans its own).
        + f" FROM contribution_lines l {'CROSS JOIN' if db.engine == 'sqlite' else 'JOIN'} workers w"
          " ON w.id = l.worker_id"
          " LEFT JOIN schemes s ON s.code = l.scheme_code LEFT JOIN regions r ON r.code = l.district_code"
    ).fetchone())
    row = figures.format(lines="t.lines", protected="t.protected", billed="t.billed", paid="t.paid")
    totals = tuple(db.execute(
        "SELECT COALESCE(SUM(t.lines), 0), COALESCE(SUM(t.protected), 0), COALESCE(SUM(t.billed), 0),"
        " COALESCE(SUM(t.paid), 0), "
        + ", ".join(f"COALESCE(SUM({_key_weight(db.dialect, n, 't.month', 't.gender', 't.birth_year')}"
                    f" * ({row})), 0)" for n in (0, 1))
        + " FROM line_totals t LEFT JOIN schemes s ON s.code = t.scheme_code"
          " LEFT JOIN regions r ON r.code = t.district_code"
    ).fetchone())
    return lines, totals


def line_totals_differences(db) -> tuple[int, int, list[dict]]:
    """line_totals against the lines: fingerprints first (seconds on a regency's data), key by
    key only when they differ; rows the triggers emptied (all zero) count as absent."""
    checked = _scalar(db, "SELECT COUNT(*) FROM line_totals WHERE lines <> 0 OR protected <> 0 OR billed <> 0"
                          " OR paid <> 0")
    try:
        lines, totals = _line_totals_fingerprints(db)
        if lines == totals:
            return checked, 0, []
    except (DatabaseError, OverflowError):  # an integer overflow: compare key by key
        pass
    return _line_totals_key_by_key(db)


def _line_totals_key_by_key(db) -> tuple[int, int, list[dict]]:
    recomputed = (
        f"SELECT {_key('l.', 'substr(w.birth_date, 1, 4)')} AS k, COUNT(*) AS lines,"
        " SUM(CASE WHEN l.paid_amount = l.amount THEN 1 ELSE 0 END) AS protected,"
        " SUM(l.amount) AS billed, SUM(l.paid_amount) AS paid"
        " FROM contribution_lines l JOIN workers w ON w.id = l.worker_id GROUP BY 1")
    stored = (f"SELECT {_key()} AS k, lines, protected, billed, paid FROM line_totals"
              " WHERE lines <> 0 OR protected <> 0 OR billed <> 0 OR paid <> 0")
    rows = _rows(db, f"""
        WITH r AS ({recomputed}), t AS ({stored}),
        d AS (SELECT 'dihitung' AS side, * FROM (SELECT * FROM r EXCEPT SELECT * FROM t) x
              UNION ALL
              SELECT 'tersimpan' AS side, * FROM (SELECT * FROM t EXCEPT SELECT * FROM r) y)
        SELECT (SELECT COUNT(*) FROM t) AS checked, (SELECT COUNT(DISTINCT k) FROM d) AS differences, e.*
        FROM (SELECT 1) one LEFT JOIN (SELECT * FROM d ORDER BY k, side LIMIT {EXAMPLES * 2}) e ON 1 = 1""")
    checked, differences = rows[0]["checked"], rows[0]["differences"]
    examples = [dict(zip(_KEY.split(", "), r["k"].split("|"))) | {
        k: r[k] for k in ("side", "lines", "protected", "billed", "paid")} for r in rows if r["side"]]
    return checked, differences, examples


def rebuild_line_totals(db, *, actor: str) -> int:
    """Empty line_totals and fill it again from the lines (call inside a transaction)."""
    store.execute(db, "DELETE FROM line_totals", actor=actor, table="line_totals",
                  summary={"change": "dibangun ulang: dikosongkan"})
    return store.execute(db, f"INSERT INTO line_totals ({_KEY}, lines, protected, billed, paid)"
                             f" {RECOMPUTED_LINE_TOTALS}", actor=actor, table="line_totals",
                         summary={"change": "dibangun ulang dari iuran bulanan"})


# Payments and their allocations --------------------------------------------------------------

#: What each line has received: the allocations of payments not reversed.
_ALLOCATED = ("SELECT a.line_id, SUM(a.amount) AS allocated FROM payment_allocations a"
              " JOIN payments y ON y.id = a.payment_id WHERE y.reversed_at IS NULL GROUP BY a.line_id")


#: Two weights per line id for the fingerprints below (primes about 10^5: no overflow up to
#: some 90 million lines).
_WEIGHTS = ("({id} % 100003 + 1)", "(({id} * 7919) % 99991 + 1)")


def _paid_fingerprints(db) -> tuple[tuple, tuple]:
    """The money on the lines and the money allocated to them, each as (sum, two sums weighted
    by line id): a full scan of each side instead of a join of millions of lines. Equal
    fingerprints mean equal amounts line by line unless differences cancel out in all three
    sums at once; any single line off, or money moved from one line to another, changes them."""
    lines = tuple(db.execute(
        "SELECT COALESCE(SUM(paid_amount), 0), "
        + ", ".join(f"COALESCE(SUM({w.format(id='id')} * paid_amount), 0)" for w in _WEIGHTS)
        + " FROM contribution_lines").fetchone())
    allocated = tuple(db.execute(
        "SELECT COALESCE(SUM(a.amount), 0), "
        + ", ".join(f"COALESCE(SUM({w.format(id='a.line_id')} * a.amount), 0)" for w in _WEIGHTS)
        + " FROM payment_allocations a JOIN payments y ON y.id = a.payment_id WHERE y.reversed_at IS NULL").fetchone())
    return lines, allocated


def paid_amount_differences(db) -> tuple[int, int, list[dict]]:
    """Lines whose ``paid_amount`` is not the sum of their live allocations: fingerprints
    first (a second on a regency's data), counted line by line only when they differ."""
    checked = _scalar(db, "SELECT COUNT(*) FROM contribution_lines")
    try:
        lines, allocated = _paid_fingerprints(db)
        if lines == allocated:
            return checked, 0, []
    except (DatabaseError, OverflowError):  # an integer overflow: count line by line
        pass
    where = (f" FROM contribution_lines l LEFT JOIN ({_ALLOCATED}) x ON x.line_id = l.id"
             " WHERE l.paid_amount <> COALESCE(x.allocated, 0)")
    differences = _scalar(db, f"SELECT COUNT(*){where}")
    examples = _rows(db, "SELECT l.id AS line_id, l.worker_id, l.month, l.amount, l.paid_amount,"
                         f" COALESCE(x.allocated, 0) AS allocated{where} ORDER BY l.id LIMIT {EXAMPLES}") if differences else []
    return checked, differences, examples


def payment_differences(db) -> tuple[int, int, list[dict]]:
    """Payments whose amount is not what they allocated (reversed ones too: a reversal keeps the
    allocations), or that paid a line of another scheme."""
    checked = _scalar(db, "SELECT COUNT(*) FROM payments")
    where = (" FROM payments y LEFT JOIN (SELECT a.payment_id, SUM(a.amount) AS allocated,"
             "  SUM(CASE WHEN l.scheme_code <> p.scheme_code THEN 1 ELSE 0 END) AS other_scheme"
             "  FROM payment_allocations a JOIN payments p ON p.id = a.payment_id"
             "  LEFT JOIN contribution_lines l ON l.id = a.line_id GROUP BY a.payment_id) x ON x.payment_id = y.id"
             " WHERE y.amount <> COALESCE(x.allocated, 0) OR COALESCE(x.other_scheme, 0) > 0")
    differences = _scalar(db, f"SELECT COUNT(*){where}")
    examples = _rows(db, "SELECT y.id AS payment_id, y.amount, y.reversed_at, COALESCE(x.allocated, 0) AS allocated,"
                         f" COALESCE(x.other_scheme, 0) AS other_scheme_lines{where} ORDER BY y.id LIMIT {EXAMPLES}"
                     ) if differences else []
    return checked, differences, examples


def repair_paid_amounts(db, *, actor: str) -> int:
    """Set each line's ``paid_amount`` to its live allocations, where that fits the line (an
    over-allocated line is left for a person to look at; the check keeps showing it)."""
    allocated = ("COALESCE((SELECT SUM(a.amount) FROM payment_allocations a JOIN payments y ON y.id = a.payment_id"
                 " WHERE a.line_id = contribution_lines.id AND y.reversed_at IS NULL), 0)")
    return store.execute(
        db, f"UPDATE contribution_lines SET paid_amount = {allocated}"
            f" WHERE paid_amount <> {allocated} AND {allocated} <= amount",
        actor=actor, table="contribution_lines", summary={"change": "jumlah dibayar dari alokasi pembayaran"})


# Names as searches compare them ---------------------------------------------------------------

#: Rows read per query by the name-key check: a keyset page (PostgreSQL's client cursor holds a
#: whole result in memory; a province's million workers need not).
_KEY_PAGE = 10_000


def _wrong_name_keys(db) -> tuple[int, list[tuple[str, str, int, object, object, object]]]:
    """How many derived columns were compared, and (table, column, id, source, stored, derived) of
    those that disagree with their source (``store.DERIVED_COLUMNS``), a page of ids at a time."""
    checked, wrong = 0, []
    for table, (column, source, how) in store.DERIVED_COLUMNS.items():
        last = None
        while rows := db.execute(
                f"SELECT id, {source}, {column} FROM {table}{'' if last is None else ' WHERE id > ?'}"
                f" ORDER BY id LIMIT {_KEY_PAGE}", [] if last is None else [last]).fetchall():
            checked += len(rows)
            last = rows[-1][0]
            wrong += [(table, column, key, value, stored, should) for key, value, stored in rows
                      if (should := how(value)) != stored]
    return checked, wrong


def _name_from_bytes(value) -> str | None:
    """The name a value that is not text stands for, when it is one a person could have typed
    (bytes of UTF-8 text the name rules take, tidied as a typed name is), else None: a number,
    bytes of another encoding ("Jos\\xe9" of an old program) are for a person to type again."""
    if not isinstance(value, bytes):
        return None
    try:
        text = tidy("name", value.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    return text if text and text_problem("name", "Nama", text) is None else None




def _names_not_text(db) -> tuple[int, list[tuple[str, str, int, object, str | None]]]:
    """How many names were looked at, and (table, column, id, value, the text it stands for or
    None) of each worker's or sponsor's name another program stored as bytes: on SQLite a BLOB in
    the TEXT column, kept as it came (a number is turned into text by the column's type); on
    PostgreSQL, whose text column takes no bytes, their text form ``\\x...`` (``BYTEA_TEXT``),
    given here as the bytes. Such a name has no search key a search finds."""
    checked, found = 0, []
    for table, (_, source, _) in store.DERIVED_COLUMNS.items():
        checked += db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        condition = (f"typeof({source}) NOT IN ('text', 'null')" if db.engine == "sqlite"
                     else f"{source} ~ '{BYTEA_TEXT}'")
        for key, value in db.execute(f"SELECT id, {source} FROM {table} WHERE {condition} ORDER BY id").fetchall():
            value = bytes.fromhex(value[2:]) if isinstance(value, str) else value
            found.append((table, source, key, value, _name_from_bytes(value)))
    return checked, found


def _shown(value) -> str:
    """A value that is not text, in words a person reads on the check's page."""
    if isinstance(value, bytes):
        return f"bita {value[:24].hex(' ')}{' ...' if len(value) > 24 else ''} ({len(value)} bita)"
    return f"angka {value}"


def name_text_differences(db) -> tuple[int, int, list[dict]]:
    """Each worker's and sponsor's name that is not stored as text (``_names_not_text``), with
    what to do: ``repair_name_texts`` stores the text of UTF-8 bytes the name rules take; the
    rest are for a person to type again."""
    checked, found = _names_not_text(db)
    examples = []
    for table, column, key, value, text in found[:EXAMPLES]:
        where = "Pekerja" if table == "workers" else "Penyandang dana"
        examples.append({"table": table, "id": key, column: _shown(value), "derived": text or "-", "problem": (
            "nama tersimpan bukan sebagai teks (ditulis program lain), sehingga tidak ditemukan pencarian; "
            "tombol Bangun ulang tabel turunan di halaman Cadangan (atau 'python -m payung check --repair') "
            f"menyimpannya sebagai teks \"{text}\""
            if text is not None else
            "nama tersimpan bukan sebagai teks (ditulis program lain) dan tidak dapat dibaca sebagai nama, "
            "sehingga tidak ditemukan pencarian dan tidak diperbaiki otomatis; ketik ulang namanya di halaman "
            f"{where} (id {key}), lalu perbaiki program yang menulisnya")})
    return checked, len(found), examples


def repair_name_texts(db, *, actor: str) -> int:
    """Store as text each name that is UTF-8 bytes the name rules take (call inside a
    transaction, before ``repair_name_keys``), one audit entry per row; the others are left."""
    done = 0
    for table, column, key, value, text in _names_not_text(db)[1]:
        if text is not None:
            db.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", [text, key])
            store.audit(db, actor, "update", table, key, {column: _shown(value)},
                        {column: text, "change": "nama bita disimpan sebagai teks"})
            done += 1
    return done


def name_key_differences(db) -> tuple[int, int, list[dict]]:
    """Each worker's and sponsor's ``name_key`` against its name: a name written around
    ``db.store`` (by hand, by another program) would be found by no search."""
    checked, wrong = _wrong_name_keys(db)
    return checked, len(wrong), [{"table": t, "id": i, "name": value, column: stored, "derived": should}
                                 for t, column, i, value, stored, should in wrong[:EXAMPLES]]


def derive_name_keys(db) -> dict[str, int]:
    """Derive again every ``name_key`` that disagrees with its name (call inside a
    transaction); returns how many per table. A restore does it to its copy: a name edited in
    the file by another program is then found by its new name, not refused."""
    _, wrong = _wrong_name_keys(db)
    return {table: db.executemany(f"UPDATE {table} SET {column} = ? WHERE id = ?",
                                  [(should, key) for t, _, key, _, _, should in wrong if t == table])
            for table, column in sorted({(t, c) for t, c, *_ in wrong})}


def repair_name_keys(db, *, actor: str) -> int:
    """``derive_name_keys``, with an audit entry for each table it changed."""
    done = derive_name_keys(db)
    for table, count in done.items():
        store.audit(db, actor, "bulk_update", table, None, None,
                    {"change": "kunci pencarian nama diturunkan ulang dari nama", "count": count})
    return sum(done.values())


# Sponsorships --------------------------------------------------------------------------------

def sponsorship_differences(db, statuses: Sequence[str]) -> tuple[int, int, list[dict]]:
    """Sponsorships that disagree with their lines: one line per month from ``start_month`` for
    ``months`` months ending at ``end_month``, each of the sponsorship's worker, sponsor and
    scheme, the first costing ``monthly_amount``; and a status from ``statuses``."""
    placeholders = ", ".join("?" for _ in statuses)
    where = f"""
        FROM sponsorships p LEFT JOIN (
            SELECT l.sponsorship_id, COUNT(*) AS lines, MIN(l.month) AS first_month, MAX(l.month) AS last_month,
                   SUM(CASE WHEN l.worker_id <> s.worker_id OR l.sponsor_id <> s.sponsor_id
                             OR l.scheme_code <> s.scheme_code THEN 1 ELSE 0 END) AS foreign_lines,
                   SUM(CASE WHEN l.month = s.start_month THEN l.amount ELSE 0 END) AS first_amount
            FROM contribution_lines l JOIN sponsorships s ON s.id = l.sponsorship_id
            GROUP BY l.sponsorship_id) x ON x.sponsorship_id = p.id
        WHERE {_month_index('p.end_month')} <> {_month_index('p.start_month')} + p.months - 1
           OR COALESCE(x.lines, 0) <> p.months OR x.first_month <> p.start_month OR x.last_month <> p.end_month
           OR x.foreign_lines > 0 OR x.first_amount <> p.monthly_amount OR p.status NOT IN ({placeholders})"""
    checked = _scalar(db, "SELECT COUNT(*) FROM sponsorships")
    differences = _scalar(db, f"SELECT COUNT(*){where}", statuses)
    examples = _rows(db, "SELECT p.id AS sponsorship_id, p.status, p.start_month, p.months, p.end_month,"
                         " p.monthly_amount, COALESCE(x.lines, 0) AS lines, x.first_month, x.last_month,"
                         f" x.foreign_lines, x.first_amount{where} ORDER BY p.id LIMIT {EXAMPLES}",
                     statuses) if differences else []
    return checked, differences, examples


# Budgets -------------------------------------------------------------------------------------

def budget_recomputed(db, live_statuses: Sequence[str]) -> dict[int, dict]:
    """Per budget line: its ceiling, what live sponsorships' lines commit, what lines paid."""
    placeholders = ", ".join("?" for _ in live_statuses)
    return {r["id"]: r for r in _rows(db, f"""
        SELECT b.id, b.amount,
               COALESCE(SUM(CASE WHEN p.status IN ({placeholders}) THEN l.amount ELSE 0 END), 0) AS committed,
               COALESCE(SUM(l.paid_amount), 0) AS paid
        FROM budget_lines b LEFT JOIN contribution_lines l ON l.budget_line_id = b.id
        LEFT JOIN sponsorships p ON p.id = l.sponsorship_id GROUP BY b.id, b.amount""", live_statuses)}


def lines_on_a_foreign_budget(db) -> tuple[int, list[dict]]:
    """Lines charged to a budget line of another scheme or another year."""
    where = (" FROM budget_lines b JOIN contribution_lines l ON l.budget_line_id = b.id"
             " WHERE b.scheme_code <> l.scheme_code OR b.year <> CAST(substr(l.month, 1, 4) AS INTEGER)")
    count = _scalar(db, f"SELECT COUNT(*){where}")
    examples = _rows(db, "SELECT l.id AS line_id, l.scheme_code, l.month, b.id AS budget_line_id,"
                         f" b.scheme_code AS budget_scheme, b.year{where} ORDER BY l.id LIMIT {EXAMPLES}") if count else []
    return count, examples


# Values a backup may hold ---------------------------------------------------------------------

#: The largest id a restored row may have: a new row's id is the largest plus one, and SQLite's
#: INTEGER ends at 2^63-1 (an audit row at that id made the restore's own entry overflow after
#: the live file was replaced; a line there made SQLite pick random ids and broke the bulk
#: writer's running totals). 2^53 keeps room for every row ever added, and ids exact where
#: they travel as JavaScript numbers.
MAX_ID = 2 ** 53
#: Any other whole number (counts, months, years, flags, running totals).
MAX_NUMBER = 2 ** 53
#: The sum of any column must stay far inside 64 bits (SUM raises "integer overflow").
MAX_TOTAL = 2 ** 62
#: Dates, months and timestamps: parseable, and inside these years.
FIRST_DAY, LAST_DAY = "1900-01-01", "2199-12-31"
_DATE_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"


def _date_kind(column: str) -> str | None:
    """How a text column holds time, by Payung's naming: ``*_date``/``*_on`` a day,
    ``month``/``*_month`` a month, ``at``/``*_at`` a timestamp."""
    if column.endswith("_date") or column.endswith("_on"):
        return "date"
    if column == "month" or column.endswith("_month"):
        return "month"
    if column == "at" or column.endswith("_at"):
        return "timestamp"
    return None


def _bad_value(column: str, declared: str, limit: int | tuple[int, int] | None, engine: str = "sqlite") -> str | None:
    """SQL that is true for a value of ``column`` a restore must refuse (NULLs pass: the
    schema's NOT NULL says where they may be). On PostgreSQL the column's type already refuses
    text in a number column and a number beyond 64 bits."""
    c = f'"{column}"'
    if declared == "INTEGER":
        low, high = (1, MAX_ID) if column == "id" or column.endswith("_id") else \
            (0, limit) if isinstance(limit, int) else limit or (-MAX_NUMBER, MAX_NUMBER)
        wrong_type = f"typeof({c}) != 'integer' OR " if engine == "sqlite" else ""
        return f"({c} IS NOT NULL AND ({wrong_type}{c} < {low} OR {c} > {high}))"
    kind = _date_kind(column)
    if kind is None:
        # SQLite keeps bytes (a BLOB) in a TEXT column as they are: no name, NIK or note is
        # bytes, and every page and search key reads text.
        return f"typeof({c}) = 'blob'" if engine == "sqlite" and declared == "TEXT" else None
    if engine != "sqlite":
        return _bad_time_postgresql(c, kind)
    day = {"date": c, "month": f"{c} || '-01'", "timestamp": f"substr({c}, 1, 10)"}[kind]
    shape = {"date": f"{c} GLOB '{_DATE_GLOB}'", "month": f"{c} || '-01' GLOB '{_DATE_GLOB}' AND length({c}) = 7",
             "timestamp": f"{c} GLOB '{_DATE_GLOB}[T ][0-9][0-9]:[0-9][0-9]*' AND datetime({c}) IS NOT NULL"}[kind]
    # date(x, '+0 days') goes through the day number: "2025-02-30" comes back as "2025-03-02".
    return (f"({c} IS NOT NULL AND NOT (typeof({c}) = 'text' AND {shape} AND date({day}, '+0 days') IS {day}"
            f" AND {day} BETWEEN '{FIRST_DAY}' AND '{LAST_DAY}'))")


def _bad_time_postgresql(c: str, kind: str) -> str:
    """``_bad_value`` of a text column holding a day, a month or a timestamp, on PostgreSQL:
    its shape, its years, and a day the month has ("2025-02-30" is refused). The CASE tries the
    day only once the shape and years are right (``make_date`` raises on a year 0)."""
    day = {"date": c, "month": f"{c} || '-01'", "timestamp": f"substr({c}, 1, 10)"}[kind]
    shape = {"date": r"^[0-9]{4}-(0[1-9]|1[0-2])-[0-3][0-9]$", "month": r"^[0-9]{4}-(0[1-9]|1[0-2])$",
             "timestamp": r"^[0-9]{4}-(0[1-9]|1[0-2])-[0-3][0-9][T ]([01][0-9]|2[0-3]):[0-5][0-9]"}[kind]
    return (f"({c} IS NOT NULL AND CASE WHEN {c} !~ '{shape}' THEN true"
            f" WHEN {day} NOT BETWEEN '{FIRST_DAY}' AND '{LAST_DAY}' THEN true"
            f" ELSE substr({day}, 9, 2)::int < 1 OR substr({day}, 9, 2)::int > extract(day FROM make_date("
            f"substr({day}, 1, 4)::int, substr({day}, 6, 2)::int, 1) + interval '1 month' - interval '1 day') END)")


def _declared_columns(db, table: str) -> list[tuple[str, str]]:
    """``(name, declared type)`` of each column; PostgreSQL's whole-number types as ``INTEGER``."""
    if db.engine == "sqlite":
        return [(r[1], (r[2] or "").upper()) for r in db.execute(f'PRAGMA table_info("{table}")').fetchall()]
    return [(name, "INTEGER" if kind in ("bigint", "integer", "smallint") else kind.upper())
            for name, kind in db.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()]


def value_problems(db, limits: dict[str, int | tuple[int, int]]) -> list[str]:
    """Every column of every table whose values a restore must refuse, in words: ids beyond
    ``MAX_ID`` (or below 1), numbers outside their ``limits`` (``table.column`` -> the largest
    amount, from the ``[limits]`` of config.toml, or a (lowest, highest) pair), other whole numbers beyond ``MAX_NUMBER``, text in
    a number column, dates, months and timestamps that do not parse or fall outside
    ``FIRST_DAY``..``LAST_DAY``, a column whose sum would overflow, a table whose rowid is beyond
    ``MAX_ID``. One scan per table."""
    problems = []
    for table in table_names(db):
        if table.startswith("sqlite_"):
            continue
        columns = _declared_columns(db, table)
        checks = [(name, bad) for name, declared in columns
                  if (bad := _bad_value(name, declared, limits.get(f"{table}.{name}"), db.engine)) is not None]
        selected = [f"SUM(CASE WHEN {bad} THEN 1 ELSE 0 END)" for _, bad in checks]
        # SQLite: a sum that overflows, a rowid beyond the ids (PostgreSQL sums in numeric, has no rowid).
        totals = [name for name, declared in columns if declared == "INTEGER"] if db.engine == "sqlite" else []
        selected += [f'TOTAL(abs(CASE WHEN typeof("{n}") = \'integer\' THEN "{n}" END))' for n in totals]
        has_rowid = db.engine == "sqlite" and "WITHOUT ROWID" not in (db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()[0] or "").upper()
        if has_rowid:
            selected.append("MAX(rowid)")
        if not selected:
            continue
        found = db.execute(f'SELECT {", ".join(selected)} FROM "{table}"').fetchone()
        for (name, bad), wrong in zip(checks, found):
            if wrong:
                example = db.execute(f'SELECT "{name}" FROM "{table}" WHERE {bad} LIMIT 1').fetchone()[0]
                shown = repr(example)[:40]
                problems.append(f"{table}.{name}: {wrong} nilai, mis. {shown}")
        for name, total in zip(totals, found[len(checks):]):
            if total and total > MAX_TOTAL:
                problems.append(f"{table}.{name}: jumlahnya melampaui batas bilangan SQLite")
        if has_rowid and found[-1] is not None and found[-1] > MAX_ID:
            problems.append(f"{table}.rowid: {found[-1]}")
    return problems


# Restore -------------------------------------------------------------------------------------

def migration_names(db, migration_set: str) -> list[str] | None:
    """Names of the migrations of ``migration_set`` recorded in the database, None when it has
    no migrations table at all (not a Payung database)."""
    if db.migrations_table not in db.table_names():
        return None
    return [r[0] for r in db.execute(f"SELECT name FROM {db.migrations_table} WHERE migration_set = ? ORDER BY name",
                                     [migration_set]).fetchall()]


#: Tables SQLite makes itself (AUTOINCREMENT, ANALYZE and PRAGMA optimize): not Payung's schema.
ENGINE_TABLES = frozenset({"sqlite_sequence", "sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4"})


def schema_objects(db) -> dict[tuple[str, str], tuple[str, str]]:
    """Every table, index, trigger and view of the file: ``(type, name) -> (table, SQL)``,
    the SQL with its white space collapsed (None for the indexes SQLite makes for UNIQUE and
    PRIMARY KEY constraints)."""
    return {(kind, name): (table, " ".join(sql.split()) if sql else "")
            for kind, name, table, sql in db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
            if not (kind == "table" and name in ENGINE_TABLES)}


def audit_restore(db, actor: str, after: dict, *, above: int) -> int:
    """The restore's audit entry, numbered above ``above`` (the last id the replaced database
    had issued): the audit log's last id is the dashboard's cache key, and must never again
    take a value it had before the restore, when the data was different. Returns its id."""
    key = max(above, store.last_audit_id(db)) + 1
    db.execute("INSERT INTO audit_log (id, at, actor, action, table_name, row_id, before, after)"
               " VALUES (?, ?, ?, 'restore', 'database', NULL, NULL, ?)",
               [key, store.now(), actor, json.dumps(after, ensure_ascii=False, sort_keys=True, default=str)])
    return key


#: The tables of the accounts (who may sign in, as what, where) and their sessions: after a
#: restore they are the live database's, not the backup's. Parents first.
ACCOUNT_TABLES = ("users", "user_villages", "sessions")


def keep_live_accounts(copy, live, *, at: str) -> dict:
    """Put the accounts of ``live`` into ``copy`` (a checked backup about to replace it, not yet
    live), in place of the backup's, with every session ended at ``at``.

    A backup must not bring back what was revoked after it was made: an old password hash, a
    deactivated account, a wider role or scope, a session ended by logout. The users that
    exist now keep their current rows and ids (``users`` and ``user_villages`` are the only
    tables referring to a user by id, with ``sessions``); users only in the backup are not
    restored. A village of a user that the backup's regions lack is left out (reported).
    Returns what was done, for the restore's audit entry."""
    rows = {table: list(live.query(f"SELECT * FROM {table} ORDER BY 1, 2")) for table in ACCOUNT_TABLES}
    backup_only = sorted({r[0] for r in copy.execute("SELECT username FROM users")}
                         - {r["username"] for r in rows["users"]})
    regions = {r[0] for r in copy.execute("SELECT code FROM regions")}
    villages_left_out = [f"{r['user_id']}/{r['village_code']}" for r in rows["user_villages"]
                         if r["village_code"] not in regions]
    rows["user_villages"] = [r for r in rows["user_villages"] if r["village_code"] in regions]
    with store.transaction(copy):
        for table in reversed(ACCOUNT_TABLES):
            copy.execute(f"DELETE FROM {table}")
        for table in ACCOUNT_TABLES:
            for row in rows[table]:
                columns = list(row)
                copy.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                             [row[c] for c in columns])
        ended = copy.execute("UPDATE sessions SET ended_at = ?, ended_reason = 'restore' WHERE ended_at IS NULL",
                             [at]).rowcount
    return {"accounts_kept": len(rows["users"]), "accounts_not_restored": backup_only, "sessions_ended": ended,
            "villages_left_out": villages_left_out}


def table_names(db) -> list[str]:
    return sorted(db.table_names())
