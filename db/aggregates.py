"""Aggregates for the dashboard and the monthly report.

Totals per month, scheme, district, gender and birth year come from ``line_totals`` (kept by
triggers, see migration m005); the rest reads ``contribution_lines`` through an index that
starts with ``month`` and carries ``amount`` and ``paid_amount``. A line is *protected* when ``paid_amount = amount`` (CHECK keeps
``paid_amount`` at most ``amount``). ``Filters`` (what the user chose) and the actor's scope
become one WHERE clause shared by all.

Each aggregate runs inside the actor's scope (``db.scope.bound``): on PostgreSQL the row-level
security policies of ``line_totals``, the lines, workers, claims and sponsorships hold even if
the filters or the scope's fragment were lost. ``line_totals`` is kept per district: a village
operator's figures always come from its lines (``_from_totals``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from db import scope as sc
from db.queries import _in, _one
from db.scope import Scope

PROTECTED = "l.paid_amount = l.amount"


@dataclass(frozen=True)
class Filters:
    """What the user chose: schemes (None: every scheme), a district, a village."""

    schemes: tuple[str, ...] | None = None
    district: str | None = None
    village: str | None = None

    def where(self, scope: Scope, alias: str = "l", scheme_alias: str | None = None, *,
              totals: bool = False) -> tuple[str, list]:
        """The filters and the scope's fragment on the rows of ``alias`` (``totals``: of
        ``line_totals``, which has no village)."""
        clauses, params = [], []
        if self.schemes is not None:
            clauses.append(f"{scheme_alias or alias}.scheme_code IN ({_in(self.schemes) or 'NULL'})")
            params.extend(self.schemes)
        if self.district:
            clauses.append(f"{alias}.district_code = ?")
            params.append(self.district)
        if self.village:
            clauses.append(f"{alias}.village_code = ?")
            params.append(self.village)
        where, scoped = (sc.totals if totals else sc.places)(scope, alias)
        return "".join(f" AND {c}" for c in clauses) + where, params + scoped


def _from_totals(f: Filters, scope: Scope) -> bool:
    """Whether ``line_totals`` can answer: it is kept per district, not per village, so never
    for a chosen village nor for a village operator (whatever its fragments say)."""
    return f.village is None and scope.kind != sc.VILLAGES


@sc.bound
def month_totals(db, months: Sequence[str], f: Filters, scope: Scope) -> list[dict]:
    """Per month: lines (covered), protected lines, amount billed and paid."""
    if _from_totals(f, scope):
        where, params = f.where(scope, "t", totals=True)
        return list(db.query(
            "SELECT t.month, SUM(t.lines) AS covered, SUM(t.protected) AS protected, SUM(t.billed) AS billed,"
            f" SUM(t.paid) AS paid FROM line_totals t WHERE t.month IN ({_in(months)}){where}"
            " GROUP BY t.month ORDER BY t.month", [*months, *params]))
    where, params = f.where(scope)
    return list(db.query(
        f"SELECT l.month, COUNT(*) AS covered, SUM(CASE WHEN {PROTECTED} THEN 1 ELSE 0 END) AS protected,"
        " SUM(l.amount) AS billed, SUM(l.paid_amount) AS paid FROM contribution_lines l"
        f" WHERE l.month IN ({_in(months)}){where} GROUP BY l.month ORDER BY l.month", [*months, *params]))


@sc.bound
def months_paid_after(db, month: str, f: Filters, scope: Scope) -> list[str]:
    """The months after ``month`` of which some contribution is paid already (paid ahead), oldest
    first. A month to come whose lines are only billed ahead is not among them."""
    if _from_totals(f, scope):
        where, params = f.where(scope, "t", totals=True)
        return [r["month"] for r in db.query(
            f"SELECT t.month FROM line_totals t WHERE t.month > ?{where} GROUP BY t.month HAVING SUM(t.paid) > 0"
            " ORDER BY t.month", [month, *params])]
    where, params = f.where(scope)
    return [r["month"] for r in db.query(
        f"SELECT l.month FROM contribution_lines l WHERE l.month > ? AND l.paid_amount > 0{where}"
        " GROUP BY l.month ORDER BY l.month", [month, *params])]


@sc.bound
def protected_by(db, column: str, month: str, f: Filters, scope: Scope) -> list[dict]:
    """Protected workers in a month per ``district_code``, ``village_code``, ``occupation`` or
    ``scheme_code``."""
    if column not in ("district_code", "village_code", "occupation", "scheme_code"):
        raise ValueError(column)
    if _from_totals(f, scope) and column in ("district_code", "scheme_code"):
        where, params = f.where(scope, "t", totals=True)
        return list(db.query(
            f"SELECT t.{column} AS key, SUM(t.protected) AS protected FROM line_totals t"
            f" WHERE t.month = ?{where} GROUP BY t.{column} HAVING SUM(t.protected) > 0", [month, *params]))
    where, params = f.where(scope)
    return list(db.query(
        f"SELECT l.{column} AS key, COUNT(*) AS protected FROM contribution_lines l"
        f" WHERE l.month = ? AND {PROTECTED}{where} GROUP BY l.{column}", [month, *params]))


@sc.bound
def protected_by_gender_age(db, month: str, f: Filters, scope: Scope) -> list[dict]:
    """Protected workers per gender and birth year (the age group is made in Python)."""
    if _from_totals(f, scope):
        where, params = f.where(scope, "t", totals=True)
        return list(db.query(
            "SELECT t.gender, t.birth_year, SUM(t.protected) AS protected FROM line_totals t"
            f" WHERE t.month = ?{where} GROUP BY t.gender, t.birth_year HAVING SUM(t.protected) > 0",
            [month, *params]))
    where, params = f.where(scope)
    return list(db.query(
        "SELECT w.gender, substr(w.birth_date, 1, 4) AS birth_year, COUNT(*) AS protected"
        " FROM contribution_lines l JOIN workers w ON w.id = l.worker_id"
        f" WHERE l.month = ? AND {PROTECTED}{where} GROUP BY w.gender, birth_year", [month, *params]))


@sc.bound
def claims_paid(db, since: str, until: str, f: Filters, scope: Scope) -> dict:
    """Claims paid (status ``dibayar``) with ``paid_on`` in the dates, for workers in the filters."""
    where, params = f.where(scope, "w", scheme_alias="p")
    return _one(db, "SELECT COUNT(*) AS claims, COALESCE(SUM(c.benefit_amount), 0) AS benefits FROM claims c"
                    " JOIN workers w ON w.id = c.worker_id LEFT JOIN sponsorships p ON p.id = c.sponsorship_id"
                    f" WHERE c.status = 'dibayar' AND c.paid_on BETWEEN ? AND ?{where}", [since, until, *params])
