"""Aggregates for the dashboard and the monthly report.

Totals per month, scheme, district, gender and birth year come from ``line_totals`` (kept by
triggers, see migration m005); the rest reads ``contribution_lines`` through an index that
starts with ``month`` and carries ``amount`` and ``paid_amount``. A line is *protected* when ``paid_amount = amount`` (CHECK keeps
``paid_amount`` at most ``amount``). ``Filters`` become one WHERE clause shared by all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from db.queries import _in, _one

PROTECTED = "l.paid_amount = l.amount"


@dataclass(frozen=True)
class Filters:
    schemes: tuple[str, ...] | None = None  # None: every scheme
    district: str | None = None
    village: str | None = None
    region_prefix: str | None = None  # the actor's regency
    villages: tuple[str, ...] | None = None  # a village operator's villages

    @property
    def totals(self) -> bool:
        """Whether ``line_totals`` can answer (it is kept per district, not per village)."""
        return self.village is None and self.villages is None

    def where(self, alias: str = "l", scheme_alias: str | None = None) -> tuple[str, list]:
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
        if self.region_prefix:
            clauses.append(f"{alias}.district_code LIKE ?")
            params.append(self.region_prefix + ".%")
        if self.villages is not None:
            clauses.append(f"{alias}.village_code IN ({_in(self.villages) or 'NULL'})")
            params.extend(self.villages)
        return "".join(f" AND {c}" for c in clauses), params


def month_totals(db, months: Sequence[str], f: Filters) -> list[dict]:
    """Per month: lines (covered), protected lines, amount billed and paid."""
    if f.totals:
        where, params = f.where("t")
        return list(db.query(
            "SELECT t.month, SUM(t.lines) AS covered, SUM(t.protected) AS protected, SUM(t.billed) AS billed,"
            f" SUM(t.paid) AS paid FROM line_totals t WHERE t.month IN ({_in(months)}){where}"
            " GROUP BY t.month ORDER BY t.month", [*months, *params]))
    where, params = f.where()
    return list(db.query(
        f"SELECT l.month, COUNT(*) AS covered, SUM(CASE WHEN {PROTECTED} THEN 1 ELSE 0 END) AS protected,"
        " SUM(l.amount) AS billed, SUM(l.paid_amount) AS paid FROM contribution_lines l"
        f" WHERE l.month IN ({_in(months)}){where} GROUP BY l.month ORDER BY l.month", [*months, *params]))


def protected_by(db, column: str, month: str, f: Filters) -> list[dict]:
    """Protected workers in a month per ``district_code``, ``village_code``, ``occupation`` or
    ``scheme_code``."""
    if column not in ("district_code", "village_code", "occupation", "scheme_code"):
        raise ValueError(column)
    if f.totals and column in ("district_code", "scheme_code"):
        where, params = f.where("t")
        return list(db.query(
            f"SELECT t.{column} AS key, SUM(t.protected) AS protected FROM line_totals t"
            f" WHERE t.month = ?{where} GROUP BY t.{column} HAVING SUM(t.protected) > 0", [month, *params]))
    where, params = f.where()
    return list(db.query(
        f"SELECT l.{column} AS key, COUNT(*) AS protected FROM contribution_lines l"
        f" WHERE l.month = ? AND {PROTECTED}{where} GROUP BY l.{column}", [month, *params]))


def protected_by_gender_age(db, month: str, f: Filters) -> list[dict]:
    """Protected workers per gender and birth year (the age group is made in Python)."""
    if f.totals:
        where, params = f.where("t")
        return list(db.query(
            "SELECT t.gender, t.birth_year, SUM(t.protected) AS protected FROM line_totals t"
            f" WHERE t.month = ?{where} GROUP BY t.gender, t.birth_year HAVING SUM(t.protected) > 0",
            [month, *params]))
    where, params = f.where()
    return list(db.query(
        "SELECT w.gender, substr(w.birth_date, 1, 4) AS birth_year, COUNT(*) AS protected"
        " FROM contribution_lines l JOIN workers w ON w.id = l.worker_id"
        f" WHERE l.month = ? AND {PROTECTED}{where} GROUP BY w.gender, birth_year", [month, *params]))


def claims_paid(db, since: str, until: str, f: Filters) -> dict:
    """Claims paid (status ``dibayar``) with ``paid_on`` in the dates, for workers in the filters."""
    where, params = f.where("w", scheme_alias="p")
    return _one(db, "SELECT COUNT(*) AS claims, COALESCE(SUM(c.benefit_amount), 0) AS benefits FROM claims c"
                    " JOIN workers w ON w.id = c.worker_id LEFT JOIN sponsorships p ON p.id = c.sponsorship_id"
                    f" WHERE c.status = 'dibayar' AND c.paid_on BETWEEN ? AND ?{where}", [since, until, *params])

