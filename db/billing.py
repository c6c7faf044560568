"""Reads for money: bills, payments, budgets, claims, late lines and the BPJS exchange.

A bill's *party* is who receives it: one sponsor, one OPD (the treasurer collects the salary
deductions of its civil servants) or one budget line. ``PARTY_KEYS`` holds the SQL that
names a line's party; the key is text so the three kinds share one column in ``payments``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from db import scope as sc
from db.queries import _chunks, _in, _one, _scalar
from db.scope import Scope

PARTY_KEYS = {
    "sponsor": ("CAST(l.sponsor_id AS TEXT)", "s.name"),
    "opd": ("COALESCE(s.opd, '-')", "COALESCE(s.opd, '(tanpa OPD)')"),
    "budget_line": ("COALESCE(CAST(l.budget_line_id AS TEXT), '-')",
                    "COALESCE(b.name || ' (' || b.year || ')', '(tanpa pos anggaran)')"),
}

_LINES_AND_SPONSORS = " FROM contribution_lines l JOIN sponsors s ON s.id = l.sponsor_id"
_BUDGET_LINES = " LEFT JOIN budget_lines b ON b.id = l.budget_line_id"
_SPONSORSHIPS = " JOIN sponsorships p ON p.id = l.sponsorship_id"
#: Lines with their sponsor, budget line and sponsorship, for lists that name all three.
_LINES = _LINES_AND_SPONSORS + _BUDGET_LINES + _SPONSORSHIPS


def _parties_of(kind: str) -> str:
    """The FROM of a kind's bills, with the budget lines only where they name the party: looking
    one up for each line took two thirds of a regency's month of OPD bills (160 of 240 ms)."""
    return _LINES_AND_SPONSORS + (_BUDGET_LINES if kind == "budget_line" else "")


def not_live(statuses: Sequence[str]) -> str:
    """``status NOT IN (...)``: a sponsorship not of ``statuses`` (the code's, never a user's),
    written into the statement rather than bound. m033's partial index of the few sponsorships
    that are not live (``sponsorships_not_live``) is of this predicate, and SQLite uses a
    partial index only for the same terms, never for a bound parameter."""
    if not statuses or not all(isinstance(s, str) and s.isascii() and s.isalpha() for s in statuses):
        raise ValueError(f"not a list of statuses: {statuses!r}")
    return "status NOT IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


def _bill_filter(kind: str, scheme_code: str, from_month: str | None, to_month: str | None,
                 statuses: Sequence[str], scope: Scope, party_key: str | None = None) -> tuple[str, list]:
    """The lines of a scheme's bills. A line is billed while its sponsorship is live: said as
    "not one of the scheme's other sponsorships", a small set read once from an index, instead
    of a lookup of each line's sponsorship (a regency's month is 100.000 lines)."""
    key_sql, _ = PARTY_KEYS[kind]
    scoped, scope_params = sc.lines(scope)
    where = ["l.scheme_code = ?" + scoped,
             f"l.sponsorship_id NOT IN (SELECT id FROM sponsorships WHERE scheme_code = ? AND {not_live(statuses)})"]
    params: list = [scheme_code, *scope_params, scheme_code]
    if from_month:
        where.append("l.month >= ?")
        params.append(from_month)
    if to_month:
        where.append("l.month <= ?")
        params.append(to_month)
    if party_key is not None:
        party_sql, party_params = _party_filter(kind, party_key)
        where.append(party_sql)
        params += party_params
    return " WHERE " + " AND ".join(where), params


def _party_filter(kind: str, party_key: str) -> tuple[str, list]:
    """The lines of one party, said so that an index finds them: the key compared as text
    (``PARTY_KEYS``) was computed for every line of the scheme's months (a payment on a donor's
    54 lines read the month's 100.000)."""
    if kind == "opd":
        return "l.sponsor_id IN (SELECT id FROM sponsors WHERE COALESCE(opd, '-') = ?)", [party_key]
    column = "l.sponsor_id" if kind == "sponsor" else "l.budget_line_id"
    if kind == "budget_line" and party_key == "-":
        return "l.budget_line_id IS NULL", []
    if not (party_key.isascii() and party_key.isdigit() and len(party_key) <= 18 and str(int(party_key)) == party_key):
        return "1 = 0", []  # no line has such a party ("007" is not 7; no integer overflows on the way)
    return f"{column} = ?", [int(party_key)]


@sc.bound
def bill_parties(db, kind: str, scheme_code: str, from_month: str, to_month: str,
                 statuses: Sequence[str], scope: Scope) -> list[dict]:
    """One row per party billed in the months: lines, workers, amount and paid.

    A worker has one line a month (``UNIQUE (worker_id, month)``), so in a bill of one month
    the lines are the workers: counting them distinct took most of the rest of the query (a
    regency's month of Kendal ASN, 100.000 lines: 90 ms, 290 ms with it)."""
    key_sql, label_sql = PARTY_KEYS[kind]
    where, params = _bill_filter(kind, scheme_code, from_month, to_month, statuses, scope)
    workers = "COUNT(*)" if from_month and from_month == to_month else "COUNT(DISTINCT l.worker_id)"
    return list(db.query(
        f"SELECT {key_sql} AS party_key, {label_sql} AS party_label, COUNT(*) AS lines,"
        f" {workers} AS workers, SUM(l.amount) AS amount, SUM(l.paid_amount) AS paid"
        f"{_parties_of(kind)}{where} GROUP BY {key_sql}, {label_sql} ORDER BY party_label, party_key", params))


@sc.bound
def party_label(db, kind: str, scheme_code: str, party_key: str, scope: Scope) -> str | None:
    key_sql, label_sql = PARTY_KEYS[kind]
    where, params = _bill_filter(kind, scheme_code, None, None, ("diajukan", "aktif", "ditolak"), scope, party_key)
    row = _one(db, f"SELECT {label_sql} AS label{_parties_of(kind)}{where} LIMIT 1", params)
    return row["label"] if row else None


_BILL_LINE_COLUMNS = (
    "l.id, l.month, l.worker_id, l.sponsorship_id, l.sponsor_id, l.jkk, l.jkm, l.jht, l.amount, l.paid_amount,"
    " l.village_code, w.nik, w.name AS worker_name, r.name AS village_name, s.name AS sponsor_name, s.opd")
#: A bill's payment order: oldest month first, then by worker name.
_PAYMENT_ORDER = " ORDER BY l.month, w.name, l.id"


@sc.bound
def bill_lines(db, kind: str, scheme_code: str, party_key: str, from_month: str | None, to_month: str | None,
               statuses: Sequence[str], scope: Scope, *, unpaid_only: bool = False) -> list[dict]:
    """The lines of one bill in payment order (or only its unpaid ones)."""
    where, params = _bill_filter(kind, scheme_code, from_month, to_month, statuses, scope, party_key)
    if unpaid_only:
        where += " AND l.paid_amount < l.amount"
    return list(db.query(
        f"SELECT {_BILL_LINE_COLUMNS}{_parties_of(kind)} JOIN workers w ON w.id = l.worker_id"
        f" LEFT JOIN regions r ON r.code = l.village_code{where}{_PAYMENT_ORDER}", params))


@sc.bound
def bill_order(db, kind: str, scheme_code: str, party_key: str, from_month: str, to_month: str,
               statuses: Sequence[str], scope: Scope) -> list[tuple]:
    """The lines of one bill in payment order as ``(id, worker_id, month, amount, paid_amount)``
    tuples (an OPD's month is 13.000 of them): only what adds them up and gives their coverage
    status. A bill's summary; its page then reads its lines by id (``lines_by_id``)."""
    where, params = _bill_filter(kind, scheme_code, from_month, to_month, statuses, scope, party_key)
    return db.execute(
        f"SELECT l.id, l.worker_id, l.month, l.amount, l.paid_amount{_parties_of(kind)}"
        f" JOIN workers w ON w.id = l.worker_id{where}{_PAYMENT_ORDER}", params).fetchall()


@sc.bound
def lines_by_id(db, ids: Sequence[int], scope: Scope) -> list[dict]:
    """Bill lines by id, as ``bill_lines`` gives them (in no particular order), within the scope."""
    scoped, scope_params = sc.lines(scope)
    rows: list[dict] = []
    for chunk in _chunks(list(ids)):
        rows.extend(db.query(
            f"SELECT {_BILL_LINE_COLUMNS}{_LINES_AND_SPONSORS} JOIN workers w ON w.id = l.worker_id"
            f" LEFT JOIN regions r ON r.code = l.village_code WHERE l.id IN ({_in(chunk)}){scoped}",
            [*chunk, *scope_params]))
    return rows


def worker_lines_between(db, worker_ids: Sequence[int], from_month: str, to_month: str,
                         statuses: Sequence[str], *, unpaid_only: bool = False) -> list[dict]:
    """Lines of some workers in a window of months (to see runs of unpaid months whole), or
    only their unpaid ones."""
    rows: list[dict] = []
    unpaid = " AND l.paid_amount < l.amount" if unpaid_only else ""
    for chunk in _chunks(list(worker_ids)):
        rows.extend(db.query(
            "SELECT l.id, l.worker_id, l.month, l.amount, l.paid_amount FROM contribution_lines l"
            " JOIN sponsorships p ON p.id = l.sponsorship_id"
            f" WHERE l.worker_id IN ({_in(chunk)}) AND l.month BETWEEN ? AND ?{unpaid} AND p.status IN ({_in(statuses)})",
            [*chunk, from_month, to_month, *statuses]))
    return rows


@sc.bound
def overdue_lines(db, from_month: str, to_month: str, statuses: Sequence[str],
                  scheme_code: str | None = None, *, scope: Scope) -> list[dict]:
    """Unpaid lines of months ``from_month``..``to_month`` (whose due date has passed), with who
    owes them, for the late list."""
    sql = ("SELECT l.id, l.worker_id, l.month, l.amount, l.paid_amount, l.scheme_code, l.sponsor_id,"
           " l.sponsorship_id, l.budget_line_id, s.name AS sponsor_name, s.opd, w.name AS worker_name, w.nik,"
           " b.name || ' (' || b.year || ')' AS budget_label,"
           " l.village_code" + _LINES + " JOIN workers w ON w.id = l.worker_id"
           f" WHERE l.paid_amount < l.amount AND l.month BETWEEN ? AND ? AND p.status IN ({_in(statuses)})")
    params: list = [from_month, to_month, *statuses]
    if scheme_code:
        sql += " AND l.scheme_code = ?"
        params.append(scheme_code)
    where, extra = sc.lines(scope)
    return list(db.query(sql + where + " ORDER BY l.worker_id, l.month", params + extra))


def _month_number(column: str) -> str:
    """A ``YYYY-MM`` column as a month count (consecutive months differ by one)."""
    return f"(CAST(substr({column}, 1, 4) AS INTEGER) * 12 + CAST(substr({column}, 6, 2) AS INTEGER))"


def _scheme_months(months_by_scheme: Mapping[str, Sequence[str]], alias: str) -> tuple[str, list]:
    """``(scheme IN (...) AND month IN (...)) OR ...``, one clause per distinct list of months."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for code, months in months_by_scheme.items():
        if months:
            groups.setdefault(tuple(months), []).append(code)
    if not groups:
        return "1 = 0", []
    clauses, params = [], []
    for months, codes in groups.items():
        clauses.append(f"({alias}.scheme_code IN ({_in(codes)}) AND {alias}.month IN ({_in(months)}))")
        params += [*codes, *months]
    return "(" + " OR ".join(clauses) + ")", params


@sc.bound
def payable_arrears(db, overdue: Mapping[str, Sequence[str]], payable: Mapping[str, Sequence[str]],
                    lapse_months: int, statuses: Sequence[str], *, scope: Scope, district: str | None = None,
                    village: str | None = None) -> dict:
    """Lines, distinct workers and amount of the unpaid months that can still be paid.

    ``overdue`` and ``payable`` map each scheme to its months whose due date has passed and,
    among them, those still within the payment period. A payable month counts unless it lies
    in a run of more than ``lapse_months`` consecutive unpaid overdue months of the worker in
    that scheme (the membership has ended): the rule of ``payung.base.coverage.line_statuses``, here
    over sets (runs found as gaps and islands, with window functions) so that a regency's
    arrears are added up in SQL. The place filters the payable months, not the runs.
    """
    if not any(overdue.values()):
        return {"lines": 0, "workers": 0, "amount": 0}
    is_overdue, overdue_params = _scheme_months(overdue, "l")
    is_payable, payable_params = _scheme_months(payable, "l")
    schemes = sorted(code for code, months in overdue.items() if months)
    scoped, scope_params = sc.lines(scope)
    place, place_params = "", []
    for column, value in (("district_code", district), ("village_code", village)):
        if value:
            place += f" AND v.{column} = ?"
            place_params.append(value)
    # The unpaid overdue lines come first (MATERIALIZED: from the partial index of the unpaid
    # lines, see ``_late``); live sponsorships are "not one of the others", a small set.
    sql = (
        "WITH b AS MATERIALIZED (SELECT l.worker_id, l.scheme_code, l.month, l.amount - l.paid_amount AS open_amount,"
        f" l.district_code, l.village_code, CASE WHEN {is_payable} THEN 1 ELSE 0 END AS payable"
        f" FROM contribution_lines l WHERE {is_overdue} AND l.paid_amount < l.amount{scoped}"
        f" AND l.sponsorship_id NOT IN (SELECT id FROM sponsorships WHERE scheme_code IN ({_in(schemes)})"
        f" AND {not_live(statuses)})),"
        f" u AS (SELECT b.*, {_month_number('b.month')} - ROW_NUMBER() OVER"
        " (PARTITION BY b.worker_id, b.scheme_code ORDER BY b.month) AS island FROM b),"
        " v AS (SELECT u.*, COUNT(*) OVER (PARTITION BY u.worker_id, u.scheme_code, u.island) AS run FROM u)"
        " SELECT COUNT(*) AS lines, COUNT(DISTINCT v.worker_id) AS workers, COALESCE(SUM(v.open_amount), 0) AS amount"
        f" FROM v WHERE v.payable = 1 AND v.run <= ?{place}")
    params = [*payable_params, *overdue_params, *scope_params, *schemes, lapse_months, *place_params]
    return _one(db, sql, params)


def _late(kind: str, scheme_code: str, overdue: Sequence[str], payable: Sequence[str], lapse_months: int,
          statuses: Sequence[str], scope: Scope) -> tuple[str, list]:
    """``WITH ... v``: each unpaid overdue line of a scheme's live sponsorships inside the scope,
    with its party and its status: 'menunggak' (still payable) or 'berakhir' (past its arrears
    limit, or in a run of more than ``lapse_months`` consecutive unpaid months of its worker:
    the membership ended). The rule of ``payung.base.coverage.line_statuses``, over sets:
    runs are islands of consecutive months, found with window functions."""
    key_sql, label_sql = PARTY_KEYS[kind]
    scoped, scope_params = sc.lines(scope)
    # The unpaid overdue lines are found first (MATERIALIZED: from the partial index of unpaid
    # lines alone: no l.id, which PostgreSQL's index does not hold), then numbered; left to itself the planner read every line in worker order to
    # spare the window function a sort. The budget lines are joined only for a scheme billed by
    # budget line: their join, even unused, sent every line to the table for its budget line.
    budget = " LEFT JOIN budget_lines b ON b.id = l.budget_line_id" if kind == "budget_line" else ""
    sql = (
        "WITH b AS MATERIALIZED (SELECT l.worker_id, l.month, l.amount - l.paid_amount AS open_amount,"
        f" s.name AS sponsor_name, {key_sql} AS party_key, {label_sql} AS party_label,"
        f" CASE WHEN l.month IN ({_in(payable) or 'NULL'}) THEN 1 ELSE 0 END AS payable"
        f" FROM contribution_lines l JOIN sponsors s ON s.id = l.sponsor_id{budget}"
        f" WHERE l.scheme_code = ? AND l.month IN ({_in(overdue) or 'NULL'}) AND l.paid_amount < l.amount{scoped}"
        " AND l.sponsorship_id NOT IN (SELECT id FROM sponsorships WHERE scheme_code = ?"
        f" AND {not_live(statuses)})),"
        f" u AS (SELECT b.*, {_month_number('b.month')} - ROW_NUMBER() OVER (PARTITION BY b.worker_id ORDER BY b.month)"
        " AS island FROM b),"
        " v AS (SELECT u.*, CASE WHEN u.payable = 1 AND COUNT(*) OVER (PARTITION BY u.worker_id, u.island) <= ?"
        " THEN 'menunggak' ELSE 'berakhir' END AS status FROM u)")
    return sql, [*payable, scheme_code, *overdue, *scope_params, scheme_code, lapse_months]


@sc.bound
def late_lines(db, kind: str, scheme_code: str, overdue: Sequence[str], payable: Sequence[str],
               lapse_months: int, statuses: Sequence[str], *, scope: Scope) -> list[tuple]:
    """Every unpaid overdue line of a scheme inside the scope, with its party, worker and status
    (see ``_late``), as tuples ``(party_key, party_label, worker_id, worker_name, nik, month,
    open_amount, sponsor_name, status)``. Read once: the late list per party, its reminders'
    names and the workers whose membership ended are all grouped from these rows (a regency's
    arrears are some ten thousand lines; the rule's window functions cost more than the rows)."""
    if not overdue:
        return []
    sql, params = _late(kind, scheme_code, overdue, payable, lapse_months, statuses, scope)
    return db.execute(
        f"{sql} SELECT v.party_key, v.party_label, v.worker_id, w.name, w.nik, v.month, v.open_amount,"
        " v.sponsor_name, v.status FROM v JOIN workers w ON w.id = v.worker_id", params).fetchall()


# Payments -------------------------------------------------------------------------------------

@sc.bound
def payment(db, payment_id: int, scope: Scope) -> dict | None:
    where, params = sc.payments(scope)
    return _one(db, f"SELECT * FROM payments y WHERE y.id = ?{where}", [payment_id, *params])


@sc.bound
def payments(db, *, scope: Scope, scheme_code: str | None = None, party_kind: str | None = None,
             party_key: str | None = None, limit: int = 100, offset: int = 0) -> tuple[list[dict], int]:
    scoped, params = sc.payments(scope)
    where = ["1 = 1" + scoped]
    for column, value in (("scheme_code", scheme_code), ("party_kind", party_kind), ("party_key", party_key)):
        if value is not None:
            where.append(f"y.{column} = ?")
            params.append(value)
    clause = " WHERE " + " AND ".join(where)
    rows = list(db.query(
        "SELECT y.*, (SELECT COUNT(*) FROM payment_allocations a WHERE a.payment_id = y.id) AS lines"
        f" FROM payments y{clause} ORDER BY y.paid_on DESC, y.id DESC LIMIT ? OFFSET ?", [*params, limit, offset]))
    return rows, _scalar(db, f"SELECT COUNT(*) FROM payments y{clause}", params)


def payment_allocations(db, payment_id: int) -> list[dict]:
    return list(db.query(
        "SELECT a.amount AS allocated, l.month, l.amount, l.paid_amount, w.name AS worker_name, w.nik,"
        # What live payments recorded before this one had paid on the line: with this payment's
        # share, whether it settled the line or paid part of it (a later payment may finish it).
        " (SELECT COALESCE(SUM(e.amount), 0) FROM payment_allocations e JOIN payments y ON y.id = e.payment_id"
        "  WHERE e.line_id = a.line_id AND e.payment_id < a.payment_id AND y.reversed_at IS NULL) AS paid_before"
        " FROM payment_allocations a JOIN contribution_lines l ON l.id = a.line_id"
        " JOIN workers w ON w.id = l.worker_id WHERE a.payment_id = ? ORDER BY l.month, w.name", [payment_id]))


def same_payment(db, scheme_code: str, party_kind: str, party_key: str, paid_on: str, amount: int,
                 reference: str | None) -> dict | None:
    """The earliest live payment identical to this one (party, scheme, date, amount, reference):
    the same transfer entered twice, or a payments file imported again."""
    return _one(db, "SELECT * FROM payments WHERE scheme_code = ? AND party_kind = ? AND party_key = ?"
                    " AND paid_on = ? AND amount = ? AND COALESCE(reference, '') = COALESCE(?, '')"
                    " AND reversed_at IS NULL ORDER BY id LIMIT 1",
                [scheme_code, party_kind, party_key, paid_on, amount, reference])


# Budgets --------------------------------------------------------------------------------------

#: What live sponsorships have committed against budget line ``b``: every enrolled month.
_COMMITTED = ("COALESCE((SELECT SUM(l.amount) FROM contribution_lines l JOIN sponsorships p ON p.id = l.sponsorship_id"
              " WHERE l.budget_line_id = b.id AND p.status IN ('diajukan', 'aktif')), 0)")

@sc.bound
def budget_line(db, line_id: int, scope: Scope) -> dict | None:
    where, params = sc.budgets(scope)
    return _one(db, f"SELECT * FROM budget_lines b WHERE b.id = ?{where}", [line_id, *params])


@sc.bound
def budget_lines(db, scheme_code: str | None = None, year: int | None = None, *, scope: Scope) -> list[dict]:
    """Budget lines with what is committed (enrolled months) and paid against each."""
    scoped, params = sc.budgets(scope)
    where = ["1 = 1" + scoped]
    if scheme_code:
        where.append("b.scheme_code = ?")
        params.append(scheme_code)
    if year:
        where.append("b.year = ?")
        params.append(year)
    return list(db.query(
        f"SELECT b.*, s.name AS sponsor_name, ({_COMMITTED}) AS committed,"
        " COALESCE((SELECT SUM(l.paid_amount) FROM contribution_lines l WHERE l.budget_line_id = b.id), 0) AS paid"
        " FROM budget_lines b LEFT JOIN sponsors s ON s.id = b.sponsor_id"
        f" WHERE {' AND '.join(where)} ORDER BY b.year DESC, b.scheme_code, b.name", params))


def budget_committed(db, line_id: int) -> int:
    return _scalar(db, f"SELECT {_COMMITTED} FROM budget_lines b WHERE b.id = ?", [line_id])


def budget_candidates(db, scheme_code: str, year: int) -> list[dict]:
    return list(db.query("SELECT * FROM budget_lines WHERE scheme_code = ? AND year = ?", [scheme_code, year]))


# Claims ---------------------------------------------------------------------------------------

@sc.bound
def claims(db, *, scope: Scope, scheme_code: str | None = None, limit: int = 200) -> list[dict]:
    where, params = sc.claims(scope)
    sql = ("SELECT c.*, w.name AS worker_name, w.nik, p.scheme_code FROM claims c JOIN workers w ON w.id = c.worker_id"
           f" LEFT JOIN sponsorships p ON p.id = c.sponsorship_id WHERE 1 = 1{where}")
    if scheme_code:
        sql += " AND p.scheme_code = ?"
        params.append(scheme_code)
    return list(db.query(sql + " ORDER BY c.incident_date DESC, c.id DESC LIMIT ?", [*params, limit]))


@sc.bound
def claim(db, claim_id: int, scope: Scope) -> dict | None:
    where, params = sc.claims(scope)
    return _one(db, f"SELECT * FROM claims c WHERE c.id = ?{where}", [claim_id, *params])


def month_line_with_status(db, worker_id: int, month: str) -> dict | None:
    """A worker's line of ``month`` with its sponsorship's status (a claim's incident month)."""
    return _one(db, "SELECT l.*, p.status AS sponsorship_status FROM contribution_lines l"
                    " JOIN sponsorships p ON p.id = l.sponsorship_id WHERE l.worker_id = ? AND l.month = ?",
                [worker_id, month])


@sc.bound
def benefits_against_contributions(db, *, scope: Scope, scheme_code: str | None = None,
                                   worker_id: int | None = None) -> dict:
    """Contributions paid and benefits paid (claims with status ``dibayar``), inside the scope."""
    lines_scope, lines_params = sc.lines(scope)
    claims_scope, claims_params = sc.claims(scope)
    line_where, claim_where = ["1 = 1" + lines_scope], ["1 = 1" + claims_scope]
    params_l, params_c = list(lines_params), list(claims_params)
    if scheme_code:
        line_where.append("l.scheme_code = ?")
        params_l.append(scheme_code)
        claim_where.append("p.scheme_code = ?")
        params_c.append(scheme_code)
    if worker_id:
        line_where.append("l.worker_id = ?")
        params_l.append(worker_id)
        claim_where.append("c.worker_id = ?")
        params_c.append(worker_id)
    lw = (" WHERE " + " AND ".join(line_where)) if line_where else ""
    cw = " AND ".join(["c.status = 'dibayar'", *claim_where])
    return {
        "contributions_paid": _scalar(db, f"SELECT COALESCE(SUM(l.paid_amount), 0) FROM contribution_lines l{lw}",
                                      params_l),
        "benefits_paid": _scalar(db, "SELECT COALESCE(SUM(c.benefit_amount), 0) FROM claims c"
                                     f" LEFT JOIN sponsorships p ON p.id = c.sponsorship_id WHERE {cw}", params_c),
        "claims": _scalar(db, "SELECT COUNT(*) FROM claims c LEFT JOIN sponsorships p ON p.id = c.sponsorship_id"
                              f" WHERE {cw}", params_c),
    }


# Renewal and the BPJS exchange ----------------------------------------------------------------

@sc.bound
def sponsorships_ending(db, month: str, statuses: Sequence[str], scheme_codes: Sequence[str], *, scope: Scope,
                        limit: int | None = None, until: str | None = None,
                        expired_through: dict[str, str] | None = None) -> list[dict]:
    """Sponsorships of the schemes whose last month is ``month`` (or from ``month`` to ``until``)
    and that nobody has renewed yet, by sponsor and worker name: what the renewal lists show and
    ``renew`` needs, with
    ``scheme_retired_at`` (a retired scheme's sponsorships cannot be renewed), the worker's
    ``declared_income`` and ``occupation`` (what the renewal is priced on), its ``fields`` and ``total``, how
    many there are in all (a regency's month is ten thousand: a page shows the first ``limit``).
    ``expired_through``: per scheme, the last month whose arrears limit has passed; a sponsorship
    with an unpaid month up to it has ended by arrears (berakhir) and is left out."""
    if not scheme_codes:
        return []
    # Set-based, in three steps: ``e``, the sponsorships listed, read from indexes alone
    # (``sponsorships_end`` holds what the filters and the sponsor's name need,
    # ``lines_unpaid_sponsorship`` answers "ended by arrears" in one probe), counted once; ``k``,
    # the first ``limit`` of them by sponsor and worker name, reading the names only of the
    # workers whose sponsor's name can be among the first ``limit`` (a regency's month is twenty
    # thousand workers, a page shows a hundred); then the rows shown, whole.
    eligible = ("SELECT p.id, p.worker_id, s.name AS sponsor_name FROM sponsorships p"
                " JOIN sponsors s ON s.id = p.sponsor_id"
                f" WHERE p.end_month BETWEEN ? AND ? AND p.status IN ({_in(statuses)})"
                f" AND p.scheme_code IN ({_in(scheme_codes)})"
                " AND NOT EXISTS (SELECT 1 FROM contribution_lines n WHERE n.worker_id = p.worker_id"
                " AND n.month > p.end_month)")
    expired = [(code, last) for code, last in (expired_through or {}).items() if code in scheme_codes]
    if expired:
        eligible += (" AND NOT EXISTS (SELECT 1 FROM contribution_lines x WHERE x.sponsorship_id = p.id"
                     " AND x.paid_amount < x.amount AND x.month <= CASE p.scheme_code"
                     + " WHEN ? THEN ?" * len(expired) + " END)")
    where, extra = sc.sponsorships(scope, "p")
    params = [month, until or month, *statuses, *scheme_codes, *[v for pair in expired for v in pair], *extra]
    first, cut = "", ""
    if limit is not None:
        # The ``limit``-th sponsor name in order: no row after it is shown.
        cut = (" WHERE e.sponsor_name <= (SELECT MAX(f.sponsor_name) FROM"
               " (SELECT sponsor_name FROM e ORDER BY sponsor_name LIMIT ?) f)")
        first = " LIMIT ?"
        params += [limit, limit]
    sql = (f"WITH e AS MATERIALIZED ({eligible}{where}),"
           " k AS (SELECT e.id, e.sponsor_name, w.name AS worker_name FROM e JOIN workers w ON w.id = e.worker_id"
           f"{cut} ORDER BY e.sponsor_name, w.name, e.id{first})"
           " SELECT p.id, p.scheme_code, p.worker_id, p.sponsor_id, p.months, p.monthly_amount, p.start_month,"
           " p.end_month, p.status, p.programs, p.fields, k.worker_name, w.village_code, w.declared_income, w.occupation,"
           " k.sponsor_name,"
           " c.retired_at AS scheme_retired_at, (SELECT COUNT(*) FROM e) AS total"
           " FROM k JOIN sponsorships p ON p.id = k.id JOIN workers w ON w.id = p.worker_id"
           " LEFT JOIN schemes c ON c.code = p.scheme_code"
           " ORDER BY k.sponsor_name, k.worker_name, k.id")
    return list(db.query(sql, params))


@sc.bound
def registrations(db, *, scope: Scope, scheme_code: str, from_month: str, to_month: str,
                  status: str = "diajukan") -> list[dict]:
    """Sponsorships starting in the months, with everything the BPJS collective form asks."""
    where, params = sc.sponsorships(scope, "p")
    return list(db.query(
        "SELECT p.id AS sponsorship_id, p.start_month, p.programs, p.payment_period, p.declared_income, p.status,"
        " p.kpj, w.nik, w.name, w.birth_place, w.birth_date, w.gender, w.phone, w.address, w.village_code,"
        " w.district_code, w.occupation, v.name AS village_name, d.name AS district_name,"
        " s.name AS sponsor_name, s.type AS sponsor_type"
        " FROM sponsorships p JOIN workers w ON w.id = p.worker_id JOIN sponsors s ON s.id = p.sponsor_id"
        " LEFT JOIN regions v ON v.code = w.village_code LEFT JOIN regions d ON d.code = w.district_code"
        f" WHERE p.scheme_code = ? AND p.start_month BETWEEN ? AND ? AND p.status = ?{where}"
        " ORDER BY d.name, v.name, w.name", [scheme_code, from_month, to_month, status, *params]))


@sc.bound
def pending_sponsorships_by_nik(db, niks: Sequence[str], scheme_code: str | None = None, *,
                                scope: Scope) -> dict[str, list[dict]]:
    """Sponsorships awaiting BPJS (``diajukan`` or ``ditolak``) per worker NIK, inside the scope."""
    found: dict[str, list[dict]] = {}
    where, scope_params = sc.sponsorships(scope, "p")
    for chunk in _chunks(list(niks)):
        sql = ("SELECT p.*, w.nik, w.name AS worker_name FROM sponsorships p JOIN workers w ON w.id = p.worker_id"
               f" WHERE w.nik IN ({_in(chunk)}) AND p.status IN ('diajukan', 'ditolak'){where}")
        params = list(chunk) + scope_params
        if scheme_code:
            sql += " AND p.scheme_code = ?"
            params.append(scheme_code)
        for row in db.query(sql + " ORDER BY p.start_month DESC", params):
            found.setdefault(row["nik"], []).append(row)
    return found


def kpj_holders(db, answers: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[int]]:
    """Of the (KPJ, NIK) pairs of an answer, those whose KPJ is already recorded for a worker
    with another NIK, anywhere (a KPJ is one person's), with the sponsorships that hold it.
    Unscoped on purpose: the caller decides what the asker may be told of them
    (``payung.imports.bpjs_answer``)."""
    answers = set(answers)
    holders: dict[str, dict[str, list[int]]] = {}
    for chunk in _chunks(sorted({kpj for kpj, _ in answers})):
        for row in db.query("SELECT p.id, p.kpj, w.nik FROM sponsorships p JOIN workers w ON w.id = p.worker_id"
                            f" WHERE p.kpj IN ({_in(chunk)}) ORDER BY p.id", chunk):
            holders.setdefault(row["kpj"], {}).setdefault(row["nik"], []).append(row["id"])
    found = {}
    for kpj, nik in answers:
        others = [i for other, ids in holders.get(kpj, {}).items() if other != nik for i in ids]
        if others:
            found[(kpj, nik)] = sorted(others)
    return found

