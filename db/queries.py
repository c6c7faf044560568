"""Read queries. Plain SQL; what differs between the engines (JSON fields, case-insensitive
LIKE, GROUP_CONCAT) comes from ``db.dialect``."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence

from db import scope as sc
from db.scope import Scope
from payung.base.text import looked_up, search_key

# SQLite limits the number of "?" in one statement; chunk IN (...) lists below it.
_CHUNK = 900


def _one(db, sql: str, params: Sequence = ()) -> dict | None:
    try:
        rows = list(db.query(sql, params))
    except OverflowError:  # an id beyond SQLite's 64-bit integers (?id=99999999999999999999): none
        return None
    return rows[0] if rows else None


def _scalar(db, sql: str, params: Sequence = ()):
    return db.execute(sql, params).fetchone()[0]


def _chunks(values: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


# Regions ---------------------------------------------------------------------------------

def region(db, code: str) -> dict | None:
    return _one(db, "SELECT * FROM regions WHERE code = ?", [code])


def known_regions(db, codes: Iterable[str]) -> set[str]:
    """Which of ``codes`` are regions (``region`` finds them), read at once."""
    found: set[str] = set()
    for chunk in _chunks(sorted(set(codes))):
        found.update(row["code"] for row in db.query(f"SELECT code FROM regions WHERE code IN ({_in(chunk)})", chunk))
    return found




def regions_in(db, parent_code: str, level: int) -> list[dict]:
    """Regions of ``level`` (3 kecamatan, 4 desa/kelurahan) inside ``parent_code``, by name."""
    return list(db.query(
        "SELECT * FROM regions WHERE level = ? AND code LIKE ? ORDER BY name",
        [level, parent_code + ".%"],
    ))


def region_names(db, level: int | None = None) -> dict[str, str]:
    sql, params = "SELECT code, name FROM regions", []
    if level is not None:
        sql, params = sql + " WHERE level = ?", [level]
    return {row["code"]: row["name"] for row in db.query(sql, params)}


# Workers ---------------------------------------------------------------------------------

#: A worker as an enrolment is checked and priced with (``worker``, ``batches.workers_by_ids``).
WORKER_ROW = "SELECT * FROM workers w"


@sc.bound
def worker(db, worker_id: int, scope: Scope) -> dict | None:
    where, params = sc.workers(scope)
    return _one(db, f"{WORKER_ROW} WHERE w.id = ?{where}", [worker_id, *params])


def worker_by_nik(db, nik: str) -> dict | None:
    return _one(db, "SELECT * FROM workers WHERE nik = ?", [nik])




def has_workers(db) -> bool:
    """Any worker at all (the first row of the NIK index, not a count of them all)."""
    return bool(_scalar(db, "SELECT EXISTS (SELECT 1 FROM workers)"))


def worker_count(db, regency_code: str | None = None) -> int:
    if regency_code is None:
        return _scalar(db, "SELECT COUNT(*) FROM workers")
    return _scalar(db, "SELECT COUNT(*) FROM workers WHERE regency_code = ?", [regency_code])




# Sponsors --------------------------------------------------------------------------------

#: A sponsor as an enrolment is checked and priced with: its row and the name of its village
#: (``village``, None for a sponsor of no village). The form's (``sponsor``), a list's and the
#: renewal lines' (``batches.sponsors_by_ids``) alike: a plugin's hook reads one shape.
SPONSOR_ROW = "SELECT s.*, v.name AS village FROM sponsors s LEFT JOIN regions v ON v.code = s.village_code"


@sc.bound
def sponsor(db, sponsor_id: int, scope: Scope) -> dict | None:
    where, params = sc.sponsors(scope)
    return _one(db, f"{SPONSOR_ROW} WHERE s.id = ?{where}", [sponsor_id, *params])


@sc.bound
def sponsor_phones(db, sponsor_ids: Sequence[int], scope: Scope) -> dict[int, str | None]:
    """The phone number of each sponsor inside the scope, by id (a sponsor outside it is left
    out): the reminders of a regency's late parties in one query, not one per party."""
    where, params = sc.sponsors(scope)
    phones: dict[int, str | None] = {}
    for chunk in _chunks(sorted(set(sponsor_ids))):
        phones.update((row["id"], row["phone"]) for row in db.query(
            f"SELECT s.id, s.phone FROM sponsors s WHERE s.id IN ({_in(chunk)}){where}", [*chunk, *params]))
    return phones


def sponsor_by_nip(db, nip: str) -> dict | None:
    return _one(db, "SELECT * FROM sponsors WHERE nip = ?", [nip])


def letterhead(db, regency_code: str) -> dict | None:
    """The kop surat texts set in the app for a regency (None: only config.toml's)."""
    return _one(db, "SELECT * FROM letterheads WHERE regency_code = ?", [regency_code])


def budget_line_contact(db, line_id: int, regency_code: str) -> dict | None:
    """Who answers for a budget line: the sponsor named on the line, else the regency's own
    budget (an active ``apbd_kabupaten`` sponsor of the regency), one with a phone number first."""
    return _one(db, "SELECT s.* FROM sponsors s WHERE s.active = 1 AND (s.id = (SELECT sponsor_id FROM budget_lines"
                    " WHERE id = ?) OR (s.type = 'apbd_kabupaten' AND s.regency_code = ?))"
                    " ORDER BY s.id = (SELECT sponsor_id FROM budget_lines WHERE id = ?) DESC,"
                    " s.phone IS NULL, s.id LIMIT 1", [line_id, regency_code, line_id])




# Schemes and sponsorships ----------------------------------------------------------------

def scheme_rows(db) -> list[dict]:
    return list(db.query("SELECT * FROM schemes ORDER BY code"))


@sc.bound
def sponsorship(db, sponsorship_id: int, scope: Scope) -> dict | None:
    where, params = sc.sponsorships(scope)
    return _one(db, f"SELECT * FROM sponsorships s WHERE s.id = ?{where}", [sponsorship_id, *params])


def months_taken(db, worker_id: int, months: Sequence[str], scope: Scope) -> list[dict]:
    """Contribution lines of ``worker_id`` in ``months`` (a month there is already covered),
    wherever they are; ``visible``: whether the line lies inside the scope (only then may its
    sponsorship and sponsor be named). Reads beyond the scope on purpose (a double coverage is
    refused wherever it is): what lies outside is only marked."""
    with db.acting(sc.EVERYTHING):
        rows = list(db.query(
            "SELECT l.id, l.month, l.sponsorship_id, l.scheme_code, s.name AS sponsor_name"
            " FROM contribution_lines l JOIN sponsors s ON s.id = l.sponsor_id"
            f" WHERE l.worker_id = ? AND l.month IN ({', '.join('?' for _ in months)}) ORDER BY l.month",
            [worker_id, *months],
        ))
    return mark_visible_lines(db, rows, scope)


@sc.bound
def mark_visible_lines(db, rows: list[dict], scope: Scope) -> list[dict]:
    """Set ``visible`` on line rows (with ``id``): inside the scope or not."""
    inside: set[int] = set()
    where, params = sc.lines(scope)
    for chunk in _chunks(sorted({r["id"] for r in rows})):
        inside.update(r[0] for r in db.execute(
            f"SELECT l.id FROM contribution_lines l WHERE l.id IN ({_in(chunk)}){where}", [*chunk, *params]))
    for row in rows:
        row["visible"] = row["id"] in inside
    return rows


@sc.bound
def count_sponsorships(
    db, scheme_code: str, *, field_equals: dict | None = None, statuses: Sequence[str] | None = None,
    worker_village: str | None = None, sponsor_id: int | None = None, sponsor_village: str | None = None,
    worker_district: str | None = None, month: str | None = None, scope: Scope,
) -> int:
    """Sponsorships of a scheme, optionally filtered on values of its JSON ``fields`` (and those
    whose months include ``month``)."""
    sql = ("SELECT COUNT(*) FROM sponsorships s JOIN workers w ON w.id = s.worker_id"
           " JOIN sponsors sp ON sp.id = s.sponsor_id WHERE s.scheme_code = ?")
    params: list = [scheme_code]
    for key, value in (field_equals or {}).items():
        sql += f" AND {db.dialect.json_field('s.fields', key)} = ?"
        params.append(db.dialect.json_value(value))
    if statuses:
        sql += f" AND s.status IN ({', '.join('?' for _ in statuses)})"
        params.extend(statuses)
    if worker_village:
        sql += " AND w.village_code = ?"
        params.append(worker_village)
    if sponsor_id is not None:
        sql += " AND s.sponsor_id = ?"
        params.append(sponsor_id)
    if sponsor_village:
        sql += " AND sp.village_code = ?"
        params.append(sponsor_village)
    if worker_district:
        sql += " AND w.district_code = ?"
        params.append(worker_district)
    sql, params = during(sql, params, month)
    where, extra = sc.sponsorships(scope)
    return _scalar(db, sql + where, params + extra)


def during(sql: str, params: list, month: str | None) -> tuple[str, list]:
    """``sql`` (on sponsorships ``s``) narrowed to those whose months include ``month`` (if given)."""
    if month is None:
        return sql, params
    return sql + " AND s.start_month <= ? AND s.end_month >= ?", [*params, month, month]


def not_ended(alias: str) -> str:
    """The condition (one ``?``: a month) that a sponsorship ``alias`` has not ended by that month:
    ``payung.base.coverage.is_current`` in SQL, beside a live status."""
    return f"{alias}.end_month >= ?"


@sc.bound
def covers_worker(db, scheme_code: str, worker_id: int, *, statuses: Sequence[str], scope: Scope,
                  month: str | None = None) -> bool:
    """Whether the worker holds a sponsorship of the scheme in one of ``statuses`` (that includes
    ``month``, if given)."""
    sql, params = during(f"SELECT 1 FROM sponsorships s WHERE s.scheme_code = ? AND s.worker_id = ?"
                         f" AND s.status IN ({_in(statuses)})", [scheme_code, worker_id, *statuses], month)
    where, extra = sc.sponsorships(scope)
    return _scalar(db, f"SELECT EXISTS ({sql}{where})", params + extra) == 1


@sc.bound
def count_workers(db, scheme_code: str, *, statuses: Sequence[str], scope: Scope, worker_village: str | None = None,
                  worker_district: str | None = None, besides: int | None = None, month: str | None = None) -> int:
    """Distinct workers with a sponsorship of the scheme (one worker renewed counts once), of a
    village or kecamatan, other than the worker ``besides`` (in ``month``, if given)."""
    sql = (f"SELECT COUNT(DISTINCT s.worker_id) FROM sponsorships s JOIN workers w ON w.id = s.worker_id"
           f" WHERE s.scheme_code = ? AND s.status IN ({_in(statuses)})")
    params: list = [scheme_code, *statuses]
    for column, value in (("w.village_code", worker_village), ("w.district_code", worker_district),
                          ("s.worker_id", besides)):
        if value is not None:
            sql += f" AND {column} {'<>' if column == 's.worker_id' else '='} ?"
            params.append(value)
    sql, params = during(sql, params, month)
    where, extra = sc.sponsorships(scope)
    return _scalar(db, sql + where, params + extra)


def _in(values: Sequence) -> str:
    return ", ".join("?" for _ in values)


@sc.bound
def sponsorships_by_sponsor(db, scheme_code: str, statuses: Sequence[str], scope: Scope,
                            month: str | None = None) -> list[dict]:
    """Sponsorships per sponsor (those whose months include ``month``, if given)."""
    sql, params = during("SELECT sp.id AS sponsor_id, sp.name, sp.type, sp.opd, sp.village_code, COUNT(*) AS workers,"
                         " COUNT(DISTINCT s.worker_id) AS distinct_workers"
                         " FROM sponsorships s JOIN sponsors sp ON sp.id = s.sponsor_id"
                         f" WHERE s.scheme_code = ? AND s.status IN ({_in(statuses)})", [scheme_code, *statuses], month)
    where, extra = sc.sponsorships(scope)
    return list(db.query(sql + where + " GROUP BY sp.id, sp.name, sp.type, sp.opd, sp.village_code"
                         " ORDER BY workers DESC, sp.name", params + extra))


@sc.bound
def sponsorships_by_worker_region(db, scheme_code: str, level: int, statuses: Sequence[str],
                                  field_equals: dict | None = None, *, scope: Scope,
                                  month: str | None = None) -> list[dict]:
    """Sponsorships per kecamatan or desa of the workers (those whose months include ``month``, if given)."""
    column = {3: "w.district_code", 4: "w.village_code"}[level]
    sql = (f"SELECT {column} AS code, r.name, COUNT(*) AS workers"
           " FROM sponsorships s JOIN workers w ON w.id = s.worker_id"
           f" LEFT JOIN regions r ON r.code = {column}"
           f" WHERE s.scheme_code = ? AND s.status IN ({_in(statuses)})")
    params: list = [scheme_code, *statuses]
    for key, value in (field_equals or {}).items():
        sql += f" AND {db.dialect.json_field('s.fields', key)} = ?"
        params.append(db.dialect.json_value(value))
    sql, params = during(sql, params, month)
    where, extra = sc.sponsorships(scope)
    return list(db.query(sql + where + f" GROUP BY {column}, r.name ORDER BY workers DESC", params + extra))


@sc.bound
def sponsorships_by_field(db, scheme_code: str, key: str, statuses: Sequence[str], scope: Scope,
                          month: str | None = None) -> list[dict]:
    """Sponsorships per value of a scheme field (those whose months include ``month``, if given)."""
    value = db.dialect.json_field("s.fields", key)
    sql, params = during(
        f"SELECT {value} AS value, COUNT(*) AS workers,"
        " COALESCE(SUM((SELECT SUM(l.amount) FROM contribution_lines l WHERE l.sponsorship_id = s.id)), 0)"
        " AS committed FROM sponsorships s"
        f" WHERE s.scheme_code = ? AND s.status IN ({_in(statuses)})", [scheme_code, *statuses], month)
    where, extra = sc.sponsorships(scope)
    return list(db.query(sql + where + f" GROUP BY {value}", params + extra))


@sc.bound
def count_eligible_workers(db, *, region_prefix: str, month: str, occupations: Sequence[str] | None = None,
                           scope: Scope) -> int:
    sql = ("SELECT COUNT(*) FROM workers w WHERE w.active = 1 AND w.wage_earner = 0 AND w.village_code LIKE ?"
           " AND NOT EXISTS (SELECT 1 FROM contribution_lines l WHERE l.worker_id = w.id AND l.month = ?)")
    params: list = [region_prefix + ".%", month]
    if occupations:
        sql += f" AND w.occupation IN ({_in(occupations)})"
        params += list(occupations)
    where, extra = sc.workers(scope)
    return _scalar(db, sql + where, params + extra)


@sc.bound
def sponsorships_with_field(db, scheme_code: str, key: str, value, scope: Scope) -> list[dict]:
    where, params = sc.sponsorships(scope)
    return list(db.query(
        f"SELECT * FROM sponsorships s WHERE s.scheme_code = ? AND {db.dialect.json_field('s.fields', key)} = ?{where}"
        " ORDER BY s.id", [scheme_code, db.dialect.json_value(value), *params],
    ))


def lines_of(db, sponsorship_id: int) -> list[dict]:
    return list(db.query(
        "SELECT * FROM contribution_lines WHERE sponsorship_id = ? ORDER BY month", [sponsorship_id]
    ))


# Dashboard aggregates: workers protected (line paid in full) in a month --------------------
# Lines carry the worker's village, district and occupation of that month, so these read
# one covering index each instead of joining 200.000 workers.

@sc.bound
def covered_by_district(db, month: str, scope: Scope) -> list[dict]:
    where, params = sc.lines(scope)
    return list(db.query(
        "SELECT c.district_code, r.name AS district, c.workers FROM ("
        " SELECT l.district_code, COUNT(*) AS workers FROM contribution_lines l"
        f" WHERE l.month = ? AND l.paid_amount = l.amount{where} GROUP BY l.district_code"
        ") c LEFT JOIN regions r ON r.code = c.district_code ORDER BY c.workers DESC",
        [month, *params],
    ))


@sc.bound
def covered_by_scheme(db, month: str, scope: Scope) -> list[dict]:
    where, params = sc.lines(scope)
    return list(db.query(
        "SELECT l.scheme_code, COUNT(*) AS workers, SUM(l.amount) AS amount FROM contribution_lines l"
        f" WHERE l.month = ? AND l.paid_amount = l.amount{where} GROUP BY l.scheme_code ORDER BY workers DESC",
        [month, *params],
    ))


@sc.bound
def covered_by_occupation(db, month: str, scope: Scope) -> list[dict]:
    where, params = sc.lines(scope)
    return list(db.query(
        "SELECT l.occupation, COUNT(*) AS workers FROM contribution_lines l"
        f" WHERE l.month = ? AND l.paid_amount = l.amount{where} GROUP BY l.occupation ORDER BY workers DESC",
        [month, *params],
    ))


# Users and audit -------------------------------------------------------------------------

#: A user's columns but the password hash: the hash never leaves this module (``password_matches``).
USER_COLUMNS = "id, username, name, email, role, regency_code, active, created_at, updated_at"


def user_by_username(db, username: str) -> dict | None:
    return _one(db, f"SELECT {USER_COLUMNS} FROM users WHERE username = ?", [username])


def password_matches(db, user_id: int | None, check: Callable[[str | None], bool]) -> bool:
    """``check`` applied to the stored bcrypt hash of a user (None: no such user, so the check
    can cost the same): the hash goes to the check, never back to the caller."""
    row = _one(db, "SELECT password_hash FROM users WHERE id = ?", [user_id]) if user_id is not None else None
    with db.lent_back():  # the check is slow and needs no connection
        return bool(check(row["password_hash"] if row else None))


def password_stamp(db, user_id: int) -> str:
    """A digest that changes whenever the user's password does (not the hash: it cannot be
    checked against a guess without the hash's salt), to tell a password changed meanwhile."""
    row = _one(db, "SELECT password_hash FROM users WHERE id = ?", [user_id])
    return hashlib.sha256((row["password_hash"] if row else "").encode()).hexdigest()


def user_count(db) -> int:
    return _scalar(db, "SELECT COUNT(*) FROM users")


def audit_entries(db, *, table: str | None = None, row_id=None, actor: str | None = None, limit: int = 200) -> list[dict]:
    sql, params = "SELECT * FROM audit_log WHERE 1 = 1", []
    if table:
        sql += " AND table_name = ?"
        params.append(table)
    if row_id is not None:
        sql += " AND row_id = ?"
        params.append(str(row_id))
    if actor:
        sql += " AND actor = ?"
        params.append(actor)
    return list(db.query(sql + " ORDER BY id DESC LIMIT ?", [*params, limit]))


def audit_logged_since(db, *, actor: str, action: str, table: str, row_id, since: str) -> bool:
    """Whether ``actor`` has an entry of ``action`` on ``table``'s ``row_id`` at or after ``since``."""
    return _scalar(db, "SELECT COUNT(*) FROM audit_log WHERE table_name = ? AND row_id = ? AND actor = ?"
                       " AND action = ? AND at >= ?", [table, str(row_id), actor, action, since]) > 0


def audit_count_since(db, *, actor: str, action: str, since: str) -> int:
    """How many entries of ``action`` ``actor`` has at or after ``since``."""
    return _scalar(db, "SELECT COUNT(*) FROM audit_log WHERE actor = ? AND action = ? AND at >= ?",
                   [actor, action, since])


def table_counts(db, tables: Sequence[str]) -> dict[str, int]:
    return {t: _scalar(db, f"SELECT COUNT(*) FROM {t}") for t in tables if re.match(r"^[a-z_]+$", t)}


# Money -----------------------------------------------------------------------------------

# Lists for the pages (paged in SQL) -------------------------------------------------------

#: The longest text a search compares (in characters): longer than any name, NIP or OPD stored
#: (``payung.base.text.LINE_MAX``, a name's key up to three times its name). SQLite refuses a LIKE
#: pattern over 50.000 bytes ("LIKE or GLOB pattern too complex"): a longer text finds nothing.
SEARCH_MAX = 1000


def _escaped(text: str) -> str:
    """``text`` as characters in a LIKE pattern (``dialect.like``'s escape): a "%" or "_" typed
    in a search is that character, not "anything"."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


#: The most words of a name search matched each on its own (``_name_patterns``); the words typed
#: beyond them are one pattern, in the order typed (few names have more words; a pasted paragraph
#: would be hundreds of LIKEs).
SEARCH_WORDS = 8


def _name_patterns(text: str) -> list[str]:
    """The patterns a name search's ``name_key`` must match, all of them: one per word typed, so
    the words may come in any order ("rizal jose" finds "José Rizal"), each as ``name_key``
    holds names (any case, no accents) anywhere in it. A word inside another word typed adds
    nothing ("nur nurhayati"), and the longest words come first (the rarest, asked first).
    Beyond ``SEARCH_WORDS`` words, the rest are one pattern in their typed order."""
    typed = search_key(text).split()
    words: list[str] = []
    for word in sorted(dict.fromkeys(typed), key=len, reverse=True):
        if not any(word in kept for kept in words):
            words.append(word)
    patterns = [f"%{_escaped(w)}%" for w in words[:SEARCH_WORDS - 1]] or ["%%"]
    if len(words) >= SEARCH_WORDS:
        rest = set(words[SEARCH_WORDS - 1:])
        patterns.append("%" + "%".join(_escaped(w) for w in dict.fromkeys(typed) if w in rest) + "%")
    return patterns


def _searched(db, text: str, conditions: Sequence[tuple[str, str]]) -> tuple[str, list]:
    """`` AND (...)`` of a search: a row matches ``text`` in one of ``(column, kind)`` (``name``:
    every word typed, in any order, as names' keys hold it (``_name_patterns``), each in any of
    the columns when ``column`` is a tuple of them; ``contains``: as
    typed, anywhere; ``prefix``: as typed, at the start), or no row at all for a text longer than
    anything stored (``SEARCH_MAX``). A character no database holds (a NUL: only a crafted
    request sends one) is looked for as U+FFFD (``looked_up``): found nowhere, failing nothing."""
    text = looked_up(text)
    if len(text) > SEARCH_MAX:
        return " AND 1 = 0", []
    alternatives, params = [], []
    for column, kind in conditions:
        if kind == "name":
            columns = column if isinstance(column, tuple) else (column,)
            patterns = _name_patterns(text)
            anywhere = " OR ".join(db.dialect.like(c) for c in columns)
            words = " AND ".join(f"({anywhere})" if len(columns) > 1 else anywhere for _ in patterns)
            alternatives.append(f"({words})" if len(patterns) > 1 and len(conditions) > 1 else words)
            params += [pattern for pattern in patterns for _ in columns]
        else:
            alternatives.append(db.dialect.like(column))
            params.append(f"%{_escaped(text.strip())}%" if kind == "contains" else f"{_escaped(text.strip())}%")
    return " AND (" + " OR ".join(alternatives) + ")", params


@sc.bound
def search_workers(
    db, *, month: str, scope: Scope, text: str = "", region_prefix: str | None = None,
    occupation: str | None = None, include_inactive: bool = False, limit: int = 50, offset: int = 0,
) -> tuple[list[dict], int]:
    """One page of workers (with their line of ``month``, if any) and the total matching.
    Digits in ``text`` search the NIK (never for a masked scope)."""
    where, params = sc.workers(scope)
    where = "WHERE 1 = 1" + where
    if not include_inactive:
        where += " AND w.active = 1"
    if region_prefix:
        where += " AND w.village_code LIKE ?"
        params.append(region_prefix + ".%")
    text = text.strip()
    digits = text.replace(" ", "").replace(".", "")
    if digits.isdigit() and len(digits) >= 4 and not scope.masked:
        where += " AND w.nik >= ? AND w.nik < ?"
        params += [digits, digits + ":"]  # ":" sorts right after "9": a prefix range on the index
    elif text:
        searched, searched_params = _searched(db, text, [("w.name_key", "name")])
        where += searched
        params += searched_params
    if occupation:
        where += " AND w.occupation = ?"
        params.append(occupation)
    total = _scalar(db, f"SELECT COUNT(*) FROM workers w {where}", params)
    rows = list(db.query(
        "SELECT w.id, w.nik, w.name, w.village_code, v.name AS village, d.name AS district, w.occupation,"
        " w.active, l.scheme_code, l.amount, l.paid_amount, l.month"
        f" FROM workers w"
        " LEFT JOIN regions v ON v.code = w.village_code"
        " LEFT JOIN regions d ON d.code = w.district_code"
        " LEFT JOIN contribution_lines l ON l.worker_id = w.id AND l.month = ?"
        f" {where} ORDER BY w.name, w.id LIMIT ? OFFSET ?",
        [month, *params, limit, offset],
    ))
    return rows, total


def worker_month_line(db, worker_id: int, month: str) -> dict | None:
    """The worker's contribution line of ``month`` (the paid one first, if there are several)."""
    return next(iter(db.query(
        "SELECT scheme_code, amount, paid_amount, month FROM contribution_lines WHERE worker_id = ? AND month = ?"
        " ORDER BY paid_amount >= amount DESC, id LIMIT 1", [worker_id, month])), None)


@sc.bound
def worker_sponsorships(db, worker_id: int, scope: Scope) -> list[dict]:
    where, params = sc.sponsorships(scope)
    return list(db.query(
        "SELECT s.*, sp.name AS sponsor_name, sp.type AS sponsor_type,"
        " (SELECT COUNT(*) FROM contribution_lines l WHERE l.sponsorship_id = s.id AND l.paid_amount = l.amount)"
        " AS months_paid,"
        " (SELECT COALESCE(SUM(l.paid_amount), 0) FROM contribution_lines l WHERE l.sponsorship_id = s.id) AS paid"
        f" FROM sponsorships s JOIN sponsors sp ON sp.id = s.sponsor_id WHERE s.worker_id = ?{where}"
        " ORDER BY s.start_month DESC",
        [worker_id, *params],
    ))


@sc.bound
def worker_claims(db, worker_id: int, scope: Scope) -> list[dict]:
    where, params = sc.claims(scope)
    return list(db.query(f"SELECT * FROM claims c WHERE c.worker_id = ?{where} ORDER BY c.incident_date DESC",
                         [worker_id, *params]))


def worker_history_count(db, worker_id: int) -> int:
    return _scalar(db, "SELECT (SELECT COUNT(*) FROM sponsorships WHERE worker_id = ?)"
                       " + (SELECT COUNT(*) FROM claims WHERE worker_id = ?)", [worker_id, worker_id])


@sc.bound
def search_sponsors(db, *, scope: Scope, month: str, text: str = "", types: Sequence[str] | None = None,
                    prefer_regency: str | None = None, only_id: int | None = None, limit: int = 50,
                    offset: int = 0) -> tuple[list[dict], int]:
    """Active sponsors inside the scope, by name, each with ``sponsorships``: the workers it
    covers in ``month`` or later (live sponsorships not ended, a renewed worker once);
    ``prefer_regency``: those registered in that regency (its village or the regency itself) or
    with no region come first; ``only_id``: that sponsor, if it passes every filter."""
    where, params = sc.sponsors(scope)
    where = "WHERE s.active = 1" + where
    if only_id is not None:
        where += " AND s.id = ?"
        params.append(only_id)
    if text.strip():  # a masked role never searches identity numbers
        # Each word in the name or the OPD ("yani sosial": Ahmad Yani of Dinas Sosial); the OPD as
        # typed too (its words are compared with a name's key, without accents).
        words = [(("s.name_key", "s.opd"), "name"), ("s.opd", "contains")]
        searched, searched_params = _searched(db, text, words if scope.masked else [*words, ("s.nip", "contains")])
        where += searched
        params += searched_params
    if types:
        where += f" AND s.type IN ({', '.join('?' for _ in types)})"
        params += list(types)
    total = _scalar(db, f"SELECT COUNT(*) FROM sponsors s {where}", params)
    counted, counted_params = sc.sponsorships(scope, "x")
    first, first_params = "", []
    if prefer_regency:
        first = ("CASE WHEN s.village_code LIKE ? OR (s.village_code IS NULL AND (s.regency_code IS NULL"
                 " OR s.regency_code = ?)) THEN 0 ELSE 1 END, ")
        first_params = [prefer_regency + ".%", prefer_regency]
    rows = list(db.query(
        "SELECT s.*, v.name AS village,"
        " (SELECT COUNT(DISTINCT x.worker_id) FROM sponsorships x WHERE x.sponsor_id = s.id"
        f" AND x.status IN ('diajukan', 'aktif') AND {not_ended('x')}{counted}) AS sponsorships"
        f" FROM sponsors s LEFT JOIN regions v ON v.code = s.village_code {where}"
        f" ORDER BY {first}s.name, s.id LIMIT ? OFFSET ?",
        [month, *counted_params, *params, *first_params, limit, offset],
    ))
    return rows, total


@sc.bound
def sponsor_sponsorships(db, sponsor_id: int, scope: Scope) -> list[dict]:
    """A sponsor's sponsorships inside the scope (a village operator: only its workers')."""
    where, params = sc.sponsorships(scope)
    return list(db.query(
        "SELECT s.*, w.name AS worker_name, w.nik, w.village_code, v.name AS village"
        " FROM sponsorships s JOIN workers w ON w.id = s.worker_id LEFT JOIN regions v ON v.code = w.village_code"
        f" WHERE s.sponsor_id = ?{where} ORDER BY s.start_month DESC, w.name",
        [sponsor_id, *params],
    ))


@sc.bound
def sponsor_month_due(db, sponsor_id: int, month: str, scope: Scope) -> dict:
    """What a sponsor's lines of ``month`` (inside the scope) amount to, and how much is unpaid."""
    where, params = sc.lines(scope)
    row = _one(db, "SELECT COUNT(*) AS lines, COALESCE(SUM(l.amount), 0) AS amount,"
                   " COALESCE(SUM(l.amount - l.paid_amount), 0) AS unpaid"
                   f" FROM contribution_lines l WHERE l.sponsor_id = ? AND l.month = ?{where}",
               [sponsor_id, month, *params])
    return row or {"lines": 0, "amount": 0, "unpaid": 0}


@sc.bound
def eligible_workers(db, *, scope: Scope, region_prefix: str, months: Sequence[str], village: str | None = None,
                     occupations: Sequence[str] | None = None, text: str = "", worker_id: int | None = None,
                     limit: int | None = 200) -> list[dict]:
    """Active workers of a region (inside the scope) with no contribution line in any of
    ``months`` (by name; ``limit=None`` for all of them); ``worker_id``: that worker only."""
    where, params = sc.workers(scope)
    sql = ("SELECT w.*, v.name AS village FROM workers w LEFT JOIN regions v ON v.code = w.village_code"
           f" WHERE w.active = 1 AND w.village_code LIKE ?{where}")
    params = [region_prefix + ".%", *params]
    if village:
        sql += " AND w.village_code = ?"
        params.append(village)
    if occupations:
        sql += f" AND w.occupation IN ({', '.join('?' for _ in occupations)})"
        params += list(occupations)
    if worker_id is not None:
        sql += " AND w.id = ?"
        params.append(worker_id)
    if text.strip():  # a masked role never searches NIKs
        searched, searched_params = _searched(db, text, [("w.name_key", "name")] if scope.masked
                                              else [("w.name_key", "name"), ("w.nik", "prefix")])
        sql += searched
        params += searched_params
    sql += (f" AND NOT EXISTS (SELECT 1 FROM contribution_lines l WHERE l.worker_id = w.id"
            f" AND l.month IN ({', '.join('?' for _ in months)}))")
    params += list(months)
    sql += " ORDER BY w.name, w.id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return list(db.query(sql, params))


@sc.bound
def live_sponsorships_by_scheme(db, month: str, scope: Scope) -> dict[str, int]:
    """Per scheme, the workers a live sponsorship covers in ``month`` or later (not ended; a
    worker renewed early, with two such sponsorships, once)."""
    where, params = sc.sponsorships(scope)
    return {r["scheme_code"]: r["n"] for r in db.query(
        "SELECT s.scheme_code, COUNT(DISTINCT s.worker_id) AS n FROM sponsorships s"
        f" WHERE s.status IN ('diajukan', 'aktif') AND {not_ended('s')}{where} GROUP BY s.scheme_code",
        [month, *params])}


def users(db) -> list[dict]:
    return list(db.query(
        "SELECT u.id, u.username, u.name, u.email, u.role, u.regency_code, u.active, u.created_at,"
        f" (SELECT {db.dialect.group_concat('village_code', ', ')} FROM user_villages x WHERE x.user_id = u.id)"
        " AS villages,"
        f" (SELECT {db.dialect.group_concat('COALESCE(r.name, x.village_code)', ', ')} FROM user_villages x"
        "  LEFT JOIN regions r ON r.code = x.village_code WHERE x.user_id = u.id) AS village_names"
        " FROM users u ORDER BY u.username"))


def user_villages(db, user_id: int) -> list[str]:
    return [r["village_code"] for r in db.query(
        "SELECT village_code FROM user_villages WHERE user_id = ? ORDER BY village_code", [user_id])]


def search_audit(db, *, table: str | Sequence[str] | None = None, actor: str | None = None,
                 since: str | None = None, until: str | None = None, limit: int = 100,
                 offset: int = 0) -> tuple[list[dict], int]:
    """Audit entries, newest first, with their count; ``table``: one table or several."""
    where, params = "WHERE 1 = 1", []
    if table and not isinstance(table, str):
        where += f" AND table_name IN ({', '.join('?' * len(table))})"
        params.extend(table)
        table = None
    for column, value, op in (("table_name", table, "="), ("actor", actor, "="), ("at", since, ">="),
                              ("at", until, "<")):
        if value:
            where += f" AND {column} {op} ?"
            params.append(value)
    total = _scalar(db, f"SELECT COUNT(*) FROM audit_log {where}", params)
    rows = list(db.query(f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                         [*params, limit, offset]))
    return rows, total


def audit_actors(db) -> list[str]:
    return [r["actor"] for r in db.query("SELECT DISTINCT actor FROM audit_log ORDER BY actor")]


def user(db, user_id: int) -> dict | None:
    return _one(db, f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", [user_id])


# Imports -----------------------------------------------------------------------------------

def workers_by_nik(db, niks: Sequence[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for chunk in _chunks(list(niks)):
        for row in db.query(f"SELECT * FROM workers WHERE nik IN ({_in(chunk)})", chunk):
            found[row["nik"]] = row
    return found


def rows_by_id(db, table: str, ids: Sequence[int]) -> dict[int, dict]:
    """The stored rows of ``workers`` or ``sponsors`` with these ids, as they are now (an
    import re-reads what it changes inside its write transaction)."""
    if table not in ("workers", "sponsors"):
        raise ValueError(f"rows_by_id: {table!r}")
    found: dict[int, dict] = {}
    for chunk in _chunks(list(ids)):
        for row in db.query(f"SELECT * FROM {table} WHERE id IN ({_in(chunk)})", chunk):
            found[row["id"]] = row
    return found


@sc.bound
def sponsors_by_identity(db, kind: str, name: str, opd: str | None, village_code: str | None,
                         scope: Scope) -> list[dict]:
    """The sponsors inside ``scope`` recognised by type, name (any case, with or without
    accents: ``name_key``), OPD and village, oldest first (a same-named person or company of
    another regency is another sponsor, not an answer that one is registered there)."""
    where, params = sc.sponsors(scope)
    return list(db.query("SELECT s.* FROM sponsors s WHERE s.type = ? AND s.name_key = ?"
                         " AND COALESCE(s.opd, '') = COALESCE(?, '') AND COALESCE(s.village_code, '') = COALESCE(?, '')"
                         f"{where} ORDER BY s.id", [kind, search_key(name), opd, village_code, *params]))


def import_log(db, actor: str | None, limit: int = 20) -> list[dict]:
    """The latest imports (of one user, or everyone's when ``actor`` is None)."""
    if actor is None:
        return list(db.query("SELECT * FROM import_log ORDER BY id DESC LIMIT ?", [limit]))
    return list(db.query("SELECT * FROM import_log WHERE actor = ? ORDER BY id DESC LIMIT ?", [actor, limit]))


def import_templates(db, kind: str, owner: str | None) -> list[dict]:
    """Templates of a kind: the owner's and the administrators' (shared with everyone);
    every one when ``owner`` is None (an administrator)."""
    if owner is None:
        return list(db.query("SELECT * FROM import_templates WHERE kind = ? ORDER BY name, created_by", [kind]))
    return list(db.query(
        "SELECT * FROM import_templates WHERE kind = ? AND (created_by = ?"
        " OR created_by IN (SELECT username FROM users WHERE role = 'admin')) ORDER BY name, created_by", [kind, owner]))


def import_template(db, kind: str, owner: str, name: str) -> dict | None:
    """The template ``name`` of a kind that ``owner`` saved (names are unique per owner)."""
    return _one(db, "SELECT * FROM import_templates WHERE kind = ? AND created_by = ? AND name = ?", [kind, owner, name])


def scheme_versions(db, scheme_code: str) -> list[dict]:
    """The saved versions of a scheme, newest first (``version``, ``toml``, ``summary``, who, when)."""
    return list(db.query("SELECT * FROM scheme_versions WHERE scheme_code = ? ORDER BY version DESC", [scheme_code]))


def latest_scheme_version(db, scheme_code: str) -> int | None:
    """The number of a scheme's current version (None: never saved from the Skema page)."""
    return _scalar(db, "SELECT MAX(version) FROM scheme_versions WHERE scheme_code = ?", [scheme_code])


def scheme_row(db, scheme_code: str) -> dict | None:
    return _one(db, "SELECT * FROM schemes WHERE code = ?", [scheme_code])


def retired_scheme_codes(db) -> set[str]:
    return {row[0] for row in db.execute("SELECT code FROM schemes WHERE retired_at IS NOT NULL")}


def stored_regencies(db) -> list[dict]:
    return list(db.query("SELECT * FROM regency_settings ORDER BY code"))


def stored_occupations(db) -> list[dict]:
    return list(db.query("SELECT * FROM occupations ORDER BY code"))
