"""Row-level scope: the slice of data an actor sees, carried into the SQL of every query.

``payung.auth.access`` builds a ``Scope`` for the acting user; every query here that returns
personal or money data takes one and adds its WHERE fragment, the way a PostgreSQL
row-level security policy would. Filtering in SQL keeps counts, pages and totals right.

The fragments are plain, portable SQL (``IN``, ``LIKE``, sub-selects).
"""

from __future__ import annotations

from dataclasses import dataclass

Fragment = tuple[str, list]


@dataclass(frozen=True)
class Scope:
    """``regency``: a Kemendagri regency code, or None for every regency. ``villages``: the
    villages of a village operator, or None for every village of the regency. ``masked``:
    NIK and birth date are hidden from this actor."""

    regency: str | None = None
    villages: tuple[str, ...] | None = None
    masked: bool = False

    @property
    def everything(self) -> bool:
        return self.regency is None and self.villages is None

    def covers_village(self, code: str | None) -> bool:
        if self.villages is not None:
            return code in self.villages
        if self.regency is not None:
            return bool(code) and code.startswith(self.regency + ".")
        return True

    def sees_whole_regency(self, code: str | None) -> bool:
        """Every village of the regency is inside (not a village operator's few): a figure
        counted across the regency, such as a regency-wide target, may be shown."""
        return self.villages is None and self.covers_regency(code)

    def covers_regency(self, code: str | None) -> bool:
        if self.villages is not None:
            return bool(code) and any(v.startswith(code + ".") for v in self.villages)
        if self.regency is not None:
            return code == self.regency
        return True


#: Sees every row (system jobs: migrations, demo data, rule checks that must count everything).
EVERYTHING = Scope()
#: Sees nothing (an unknown role).
NOTHING = Scope(villages=())


def _list(values) -> str:
    return ", ".join("?" for _ in values) or "NULL"


def _regencies_of(scope: Scope) -> list[str]:
    return sorted({v[:5] for v in scope.villages or ()})


def village(scope: Scope, column: str) -> Fragment:
    """``column`` (a village code) inside the scope."""
    if scope.villages is not None:
        return f" AND {column} IN ({_list(scope.villages)})", list(scope.villages)
    if scope.regency is not None:
        return f" AND {column} LIKE ?", [scope.regency + ".%"]
    return "", []


def workers(scope: Scope, alias: str = "w") -> Fragment:
    """Workers domiciled in the scope."""
    return village(scope, f"{alias}.village_code")


def _worker_ids(scope: Scope, column: str) -> Fragment:
    if scope.everything:
        return "", []
    where, params = workers(scope, "sw")
    return f" AND {column} IN (SELECT sw.id FROM workers sw WHERE 1 = 1{where})", params


def schemes(scope: Scope, column: str) -> Fragment:
    """``column`` (a scheme code) names a scheme of the scope's regency."""
    if scope.villages is not None:
        regencies = _regencies_of(scope)
        return (f" AND {column} IN (SELECT sc.code FROM schemes sc WHERE sc.regency_code IN ({_list(regencies)}))",
                regencies)
    if scope.regency is not None:
        return f" AND {column} IN (SELECT sc.code FROM schemes sc WHERE sc.regency_code = ?)", [scope.regency]
    return "", []


def scheme_rows(scope: Scope, alias: str = "sc") -> Fragment:
    """Rows of the ``schemes`` table itself inside the scope."""
    if scope.villages is not None:
        regencies = _regencies_of(scope)
        return f" AND {alias}.regency_code IN ({_list(regencies)})", regencies
    if scope.regency is not None:
        return f" AND {alias}.regency_code = ?", [scope.regency]
    return "", []


def lines(scope: Scope, alias: str = "l") -> Fragment:
    """Contribution lines: of the regency's schemes; for a village operator, only its workers'."""
    if scope.villages is not None:
        return _worker_ids(scope, f"{alias}.worker_id")
    return schemes(scope, f"{alias}.scheme_code")


def sponsorships(scope: Scope, alias: str = "s") -> Fragment:
    """Sponsorships: of the regency's schemes; for a village operator, only its workers'."""
    if scope.villages is not None:
        return _worker_ids(scope, f"{alias}.worker_id")
    return schemes(scope, f"{alias}.scheme_code")


def claims(scope: Scope, alias: str = "c") -> Fragment:
    """Claims of workers domiciled in the scope."""
    return _worker_ids(scope, f"{alias}.worker_id")


def payments(scope: Scope, alias: str = "y") -> Fragment:
    """Payments of the regency's schemes (a payment settles many villages' lines: none for a
    village operator)."""
    if scope.villages is not None:
        return " AND 1 = 0", []
    return schemes(scope, f"{alias}.scheme_code")


def budgets(scope: Scope, alias: str = "b") -> Fragment:
    """Budget lines of the regency's schemes (none for a village operator)."""
    if scope.villages is not None:
        return " AND 1 = 0", []
    return schemes(scope, f"{alias}.scheme_code")


def sponsors(scope: Scope, alias: str = "s") -> Fragment:
    """Sponsors registered in the scope or paying for someone in it. A village operator sees
    its own village government and the sponsors already paying for its workers."""
    if scope.villages is not None:
        where, params = workers(scope, "vw")
        return (f" AND (({alias}.type = 'pemerintah_desa' AND {alias}.village_code IN ({_list(scope.villages)}))"
                f" OR {alias}.id IN (SELECT vp.sponsor_id FROM sponsorships vp JOIN workers vw ON vw.id = vp.worker_id"
                f" WHERE 1 = 1{where}))", [*scope.villages, *params])
    if scope.regency is not None:
        return (f" AND ({alias}.regency_code = ? OR {alias}.village_code LIKE ?"
                f" OR {alias}.id IN (SELECT rp.sponsor_id FROM sponsorships rp JOIN schemes rc ON rc.code = rp.scheme_code"
                " WHERE rc.regency_code = ?))", [scope.regency, scope.regency + ".%", scope.regency])
    return "", []


def users(scope: Scope, alias: str = "u") -> Fragment:
    """Audit and template owners: users of the scope (everyone for an unscoped actor)."""
    if scope.everything:
        return "", []
    if scope.villages is not None:
        return " AND 1 = 0", []
    return f" AND {alias}.regency_code = ?", [scope.regency]
