"""Row-level scope: the slice of data an actor sees, carried into the SQL of every query.

``payung.auth.access`` builds a ``Scope`` for the acting user; every query here that returns
personal or money data takes one and adds its WHERE fragment. Filtering in SQL keeps counts,
pages and totals right.

Each rule is written once (``RULES``, one per scoped table) against the scope's values, and
rendered two ways: as a query's fragment, the values as ``?`` parameters (``workers(scope)``...,
portable SQL: ``IN``, ``LIKE``, sub-selects), and on PostgreSQL as the row-level security
policy of its table, the values read from the transaction's settings (``db.rls``). A function
of ``db`` that takes a scope runs its statements with that scope set on the connection
(``bound``): the policy then holds even where a fragment was forgotten.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

    @property
    def kind(self) -> str:
        """Which branch of a rule applies: ``villages``, ``regency`` or ``all``."""
        if self.villages is not None:
            return VILLAGES
        return REGENCY if self.regency is not None else ALL

    @property
    def regencies(self) -> tuple[str, ...]:
        """The regencies of a village operator's villages."""
        return tuple(sorted({v[:5] for v in self.villages or ()}))

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

VILLAGES, REGENCY, ALL = "villages", "regency", "all"

#: Test-only: False leaves the fragments out of every query, so that only PostgreSQL's policies
#: keep the slice (tests/test_access_rls.py proves they do). Nothing in Payung sets it: no
#: setting, variable or page reaches it.
_FRAGMENTS = True


# The scope's values, as a rule names them ----------------------------------------------------

class Parameters:
    """The values of one scope as ``?`` placeholders with their parameters (a query's fragment)."""

    def __init__(self, scope: Scope):
        self.scope = scope

    @staticmethod
    def _list(column: str, values) -> Fragment:
        return f"{column} IN ({', '.join('?' for _ in values) or 'NULL'})", list(values)

    def in_villages(self, column: str) -> Fragment:
        return self._list(column, self.scope.villages)

    def in_regencies(self, column: str) -> Fragment:
        return self._list(column, self.scope.regencies)

    def in_regency(self, column: str) -> Fragment:
        """``column`` (a region code) lies inside the regency."""
        return f"{column} LIKE ?", [self.scope.regency + ".%"]

    def is_regency(self, column: str) -> Fragment:
        return f"{column} = ?", [self.scope.regency]

    def worker_in_regency(self, alias: str) -> Fragment:
        """The worker ``alias`` is domiciled in the regency (its village lies inside)."""
        return self.in_regency(f"{alias}.village_code")

    @staticmethod
    def member(column: str, key: str, source: str, where: str) -> str:
        """``column`` is one of the ``key`` values of the rows of ``source`` that meet ``where``."""
        return f"{column} IN (SELECT {key} FROM {source} WHERE {where})"


# The rules: (kind, values, alias) -> a condition on the row of ``alias`` ---------------------

def _workers(kind: str, v, alias: str) -> Fragment:
    """Workers domiciled in the scope."""
    return v.in_villages(f"{alias}.village_code") if kind == VILLAGES else v.worker_in_regency(alias)


def _worker_ids(kind: str, v, column: str) -> Fragment:
    where, params = _workers(kind, v, "sw")
    return v.member(column, "sw.id", "workers sw", where), params


def _schemes(kind: str, v, column: str) -> Fragment:
    """``column`` (a scheme code) names a scheme of the scope's regency (of its villages')."""
    where, params = v.in_regencies("sc.regency_code") if kind == VILLAGES else v.is_regency("sc.regency_code")
    return v.member(column, "sc.code", "schemes sc", where), params


def _lines(kind: str, v, alias: str) -> Fragment:
    """Contribution lines: of the regency's schemes; for a village operator, only its workers'."""
    if kind == VILLAGES:
        return _worker_ids(kind, v, f"{alias}.worker_id")
    return _schemes(kind, v, f"{alias}.scheme_code")


def _claims(kind: str, v, alias: str) -> Fragment:
    """Claims of workers domiciled in the scope."""
    return _worker_ids(kind, v, f"{alias}.worker_id")


def _regency_money(kind: str, v, alias: str) -> Fragment:
    """Payments and budget lines of the regency's schemes; none for a village operator (a
    payment settles many villages' lines)."""
    if kind == VILLAGES:
        return "1 = 0", []
    return _schemes(kind, v, f"{alias}.scheme_code")


def _sponsors(kind: str, v, alias: str) -> Fragment:
    """Sponsors registered in the scope or paying for someone in it. A village operator sees
    its own village government and the sponsors already paying for its workers."""
    if kind == VILLAGES:
        own, own_params = v.in_villages(f"{alias}.village_code")
        where, params = _workers(kind, v, "vw")
        paying = v.member(f"{alias}.id", "vp.sponsor_id", "sponsorships vp JOIN workers vw ON vw.id = vp.worker_id",
                          where)
        return f"(({alias}.type = 'pemerintah_desa' AND {own}) OR {paying})", [*own_params, *params]
    registered, registered_params = v.is_regency(f"{alias}.regency_code")
    inside, inside_params = v.in_regency(f"{alias}.village_code")
    of_regency, paying_params = v.is_regency("rc.regency_code")
    paying = v.member(f"{alias}.id", "rp.sponsor_id", "sponsorships rp JOIN schemes rc ON rc.code = rp.scheme_code",
                      of_regency)
    return f"({registered} OR {inside} OR {paying})", [*registered_params, *inside_params, *paying_params]


def _users(kind: str, v, alias: str) -> Fragment:
    """Audit and template owners: users of the regency (none for a village operator)."""
    return ("1 = 0", []) if kind == VILLAGES else v.is_regency(f"{alias}.regency_code")


def _totals(kind: str, v, alias: str) -> Fragment:
    """Running totals (``line_totals``, kept per district): the regency's districts; none for a
    village operator, whose figures are counted from its lines (``places``)."""
    return ("1 = 0", []) if kind == VILLAGES else v.in_regency(f"{alias}.district_code")


def _places(kind: str, v, alias: str) -> Fragment:
    """A row that names its place (``district_code``, ``village_code``: a line, a worker) lies
    in the scope's villages, or in its regency's districts."""
    return v.in_villages(f"{alias}.village_code") if kind == VILLAGES else v.in_regency(f"{alias}.district_code")


def _scheme_rows(kind: str, v, alias: str) -> Fragment:
    return v.in_regencies(f"{alias}.regency_code") if kind == VILLAGES else v.is_regency(f"{alias}.regency_code")


#: Table -> its rule: the tables whose rows a scope slices (each a PostgreSQL policy too).
RULES: dict[str, Callable[[str, object, str], Fragment]] = {
    "workers": _workers,
    "sponsorships": _lines,
    "contribution_lines": _lines,
    "claims": _claims,
    "payments": _regency_money,
    "budget_lines": _regency_money,
    "sponsors": _sponsors,
    "line_totals": _totals,
}


def _fragment(scope: Scope, rule, alias: str) -> Fragment:
    if scope.everything or not _FRAGMENTS:
        return "", []
    where, params = rule(scope.kind, Parameters(scope), alias)
    return f" AND {where}", params


# The fragments the queries add ----------------------------------------------------------------

def workers(scope: Scope, alias: str = "w") -> Fragment:
    """Workers domiciled in the scope."""
    return _fragment(scope, _workers, alias)


def schemes(scope: Scope, column: str) -> Fragment:
    """``column`` (a scheme code) names a scheme of the scope's regency."""
    return _fragment(scope, _schemes, column)


def scheme_rows(scope: Scope, alias: str = "sc") -> Fragment:
    """Rows of the ``schemes`` table itself inside the scope."""
    return _fragment(scope, _scheme_rows, alias)


def lines(scope: Scope, alias: str = "l") -> Fragment:
    """Contribution lines: of the regency's schemes; for a village operator, only its workers'."""
    return _fragment(scope, RULES["contribution_lines"], alias)


def sponsorships(scope: Scope, alias: str = "s") -> Fragment:
    """Sponsorships: of the regency's schemes; for a village operator, only its workers'."""
    return _fragment(scope, RULES["sponsorships"], alias)


def claims(scope: Scope, alias: str = "c") -> Fragment:
    """Claims of workers domiciled in the scope."""
    return _fragment(scope, RULES["claims"], alias)


def payments(scope: Scope, alias: str = "y") -> Fragment:
    """Payments of the regency's schemes (none for a village operator)."""
    return _fragment(scope, RULES["payments"], alias)


def budgets(scope: Scope, alias: str = "b") -> Fragment:
    """Budget lines of the regency's schemes (none for a village operator)."""
    return _fragment(scope, RULES["budget_lines"], alias)


def sponsors(scope: Scope, alias: str = "s") -> Fragment:
    """Sponsors registered in the scope or paying for someone in it."""
    return _fragment(scope, RULES["sponsors"], alias)


def totals(scope: Scope, alias: str = "t") -> Fragment:
    """Running totals of the regency's districts (none for a village operator)."""
    return _fragment(scope, RULES["line_totals"], alias)


def places(scope: Scope, alias: str = "l") -> Fragment:
    """Rows that name their place (lines, workers) in the scope's villages or regency."""
    return _fragment(scope, _places, alias)


def users(scope: Scope, alias: str = "u") -> Fragment:
    """Audit and template owners: users of the scope (everyone for an unscoped actor)."""
    return _fragment(scope, _users, alias)


# The connection carries the scope -------------------------------------------------------------

class Acting:
    """A connection's scope (a mixin of both engines' ``Database``): what its statements may see
    on PostgreSQL (``db.rls``). A connection starts with ``EVERYTHING``: whoever opens one is
    Payung itself (migrations, checks, the demo, backups, ``pindah``); a query function given a
    scope narrows it for its own statements (``bound``)."""

    scope: Scope = EVERYTHING

    @contextmanager
    def acting(self, scope: Scope) -> Iterator[None]:
        """The block's statements run inside ``scope``; the scope before comes back after."""
        before, self.scope = self.scope, scope
        try:
            yield
        finally:
            self.scope = before


def bound(function):
    """For a function of ``db`` that takes ``scope``: its statements run with that scope set on
    the connection (``Database.acting``), so PostgreSQL's policies apply the same slice."""
    parameters = list(inspect.signature(function).parameters)
    position = parameters.index("scope")

    @functools.wraps(function)
    def run(db, *args, **kwargs):
        scope = kwargs["scope"] if "scope" in kwargs else args[position - 1]
        with db.acting(scope):
            return function(db, *args, **kwargs)
    run.bound_scope = True
    return run
