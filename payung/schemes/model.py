"""What a scheme is made of: its description, rules, the enrolment it judges, its panels."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from payung.base.errors import Problem
from payung.base.identity import age_on
from payung.base.months import first_day, month_range
from payung.schemes.fields import Field

if TYPE_CHECKING:
    from payung.base.config import Settings
    from payung.schemes.data import DataReader
    from payung.base.money import Contribution

CODE = re.compile(r"[a-z][a-z0-9_]{2,40}")
#: Names Windows keeps for its devices, whatever follows a dot (``con.toml``, ``nul.py``): a
#: scheme's code is the name of its file (``<code>.toml``), which Windows cannot make.
WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"{port}{n}" for port in ("com", "lpt") for n in range(10))})


def code_problem(code) -> str | None:
    """Why ``code`` cannot be a scheme's code (None: it can). The one rule for every way a code
    is made: a TOML file, the Skema page (new, copy), ``new-scheme``, a Python plugin."""
    if not isinstance(code, str) or not CODE.fullmatch(code):
        return (f'kode skema "{code}" harus 3-41 karakter: huruf kecil, angka dan garis bawah, diawali huruf')
    if code.split(".", 1)[0].lower() in WINDOWS_DEVICES:
        return (f'kode skema "{code}" adalah nama perangkat di Windows (CON, PRN, AUX, NUL, COM0-COM9, LPT0-LPT9) '
                "dan tidak dapat menjadi nama berkas skema; pilih kode lain")
    return None

#: Who receives a scheme's bill: each sponsor, the OPD treasurer (salary deductions of its
#: civil servants), or the budget line that pays (APBD).
BILL_BY = {"sponsor": "Penyandang dana", "opd": "OPD", "budget_line": "Pos anggaran"}

RuleResult = Problem | Iterable[Problem] | None


@dataclass(frozen=True)
class Rule:
    """A named check on an enrolment. ``description`` says the rule in plain Indonesian for
    the Skema page; ``check`` returns the problems it finds (or None)."""

    name: str
    description: str
    check: Callable[["Enrolment"], RuleResult]
    #: The ``payung.schemes.rules`` factory that made this rule and its arguments (empty for a
    #: rule of a plugin's own), so a scheme can be written back as TOML.
    library: str = ""
    params: dict = field(default_factory=dict, compare=False)

    def __call__(self, enrolment: "Enrolment") -> list[Problem]:
        result = self.check(enrolment)
        if result is None:
            return []
        if isinstance(result, Problem):
            result = [result]
        return [p if p.rule else Problem(p.field, p.message, self.name) for p in result]


@dataclass(frozen=True)
class Target:
    """A number a scheme aims at, e.g. 3.615 extremely poor workers covered."""

    label: str
    value: int
    key: str = ""
    #: "regency": one figure for the whole regency; "village": the figure for each village
    #: (a village operator's dashboard then shows it times its villages).
    per: str = "regency"
    #: Workers already covered toward ``value`` outside Payung's counts (before the scheme began,
    #: or by other means), a fixed figure from the settings: the Beranda adds it to the protected
    #: workers it counts and says so ("54.000 sudah terlindungi sebelumnya + 17 terlindungi dari
    #: 200.000"). 0, the default: the target counts Payung's figures only. A regency-wide target's only
    #: (``per="regency"``): it is not split by place either.
    already_covered: int = 0


@dataclass(frozen=True)
class Panel:
    """A dashboard block as data, not drawing code; the page renders it:
    ``Panel(title, kind, rows, x=None, y=None, caption="", columns={}, empty="", money=False)``,
    ``kind`` one of ``"metric"`` (rows of ``label``/``value``), ``"bar"`` (``x``, ``y``),
    ``"progress"`` (rows of ``label``, ``value``, ``target``) or ``"table"``; ``columns`` maps row
    keys to headings; ``empty`` what a bar, progress or table without rows says instead of "Belum
    ada data." (a list of what is missing that is empty because nothing is: "Semua desa sudah
    ..."); ``money=True``: the values (and targets) of a metric or progress panel are Rupiah
    amounts, written "Rp6.548.200 dari Rp604.800.000" (``format_rupiah``), not counts.
    """

    title: str
    kind: str
    rows: list[dict] = field(default_factory=list)
    x: str | None = None
    y: str | None = None
    caption: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    #: Said when a bar, progress or table panel has no rows; "" says "Belum ada data.".
    empty: str = ""
    #: The values and targets of a metric or progress panel are Rupiah amounts (a budget), not counts.
    money: bool = False


@dataclass(frozen=True)
class Page:
    """An extra page: ``Page(title, url_path, panels, icon, section)``; ``panels(data)`` builds its
    panels from a ``DataReader``. Prefix ``url_path`` with the scheme code: two pages with one
    path cannot both exist."""

    title: str
    url_path: str
    panels: Callable[["DataReader"], list[Panel]]
    icon: str = ":material/description:"
    section: str = "Skema"


#: The longest sponsorship (months) a scheme may offer and an enrolment may take.
MAX_MONTHS = 60
#: How far ahead (months) a sponsorship may start: a budget is planned for next year at the latest.
MONTHS_AHEAD = 24


@dataclass(frozen=True)
class Scheme:
    """A sponsorship scheme as a regency runs it."""

    code: str
    name: str
    regency_code: str
    description: str = ""
    legal_basis: str = ""
    funding_source: str = ""
    funding_code: str = "SG"
    sponsor_types: tuple[str, ...] = ()
    programs: tuple[str, ...] = ("JKK", "JKM")
    months: tuple[int, ...] = (12,)
    targets: tuple[Target, ...] = ()
    fields: tuple[Field, ...] = ()
    rules: tuple[Rule, ...] = ()
    adjust: Callable[["Enrolment", str, "Contribution"], "Contribution | None"] | None = None
    panels: Callable[["DataReader", str], list[Panel]] | None = None
    #: ``demo(worker, sponsor, start_month, rng) -> field values`` for the demo data generator.
    demo: Callable[[dict, dict, str, Any], dict] | None = None
    started: str = ""
    #: Who receives the bill: a key of ``BILL_BY``.
    bill_by: str = "sponsor"
    #: The field whose value picks an enrolment's budget line (e.g. a category).
    budget_field: str | None = None
    #: Months a sponsor may pay in advance under this scheme; empty: ``[contribution]
    #: payment_periods`` of config.toml (1, 3, 6, 12).
    payment_periods: tuple[int, ...] = ()

    def allowed_periods(self, settings) -> tuple[int, ...]:
        """The payment periods of this scheme (its own, or the regency-wide ones)."""
        return tuple(p for p in settings.payment_periods if not self.payment_periods or p in self.payment_periods)

    @property
    def default_months(self) -> int:
        return self.months[0]

    @property
    def offered_programs(self) -> tuple[str, ...]:
        """The programs an enrolment may choose: those of a ``programs_in`` rule, else all."""
        for rule in self.rules:
            if rule.library == "programs_in":
                return tuple(rule.params.get("programs", ()))
        return ("JKK", "JKM", "JHT")

    def describe(self) -> dict[str, Any]:
        """JSON-friendly metadata (what ``python -m payung schemes --json`` prints)."""
        return {
            "code": self.code,
            "name": self.name,
            "regency_code": self.regency_code,
            "description": self.description,
            "legal_basis": self.legal_basis,
            "funding_source": self.funding_source,
            "funding_code": self.funding_code,
            "sponsor_types": list(self.sponsor_types),
            "programs": list(self.programs),
            "months": list(self.months),
            "targets": [{"label": t.label, "value": t.value, "key": t.key, "per": t.per,
                         "already_covered": t.already_covered} for t in self.targets],
            "fields": [f.name for f in self.fields],
            "rules": [{"name": r.name, "description": r.description} for r in self.rules],
            "started": self.started,
            "bill_by": self.bill_by,
            "payment_periods": list(self.payment_periods),
            "budget_field": self.budget_field,
        }


@dataclass
class Enrolment:
    """A proposed sponsorship, as the rules see it: rows of worker and sponsor, the choices
    made, the scheme's clean field values, and ``data`` to look things up.

    ``data`` counts across the whole scheme (a quota or pledge is the scheme's), also for a
    village operator; ``sees_all`` says whether the acting user may see those counts
    (``access.sees_whole_regency``). A rule's message gives a figure that counts records
    outside the user's villages only when it is True (False when not known: fail closed)."""

    scheme: Scheme
    sponsor: dict
    worker: dict
    programs: tuple[str, ...]
    start_month: str
    months: int
    fields: dict
    settings: "Settings"
    data: "DataReader"
    sees_all: bool = False

    @cached_property
    def month_list(self) -> list[str]:
        # Read many times per enrolment by the core and the rules (a list of thousands in bulk).
        return month_range(self.start_month, self.months)

    @property
    def end_month(self) -> str:
        return self.month_list[-1]

    @property
    def worker_age(self) -> int:
        """Age of the worker on the first day of the start month."""
        return age_on(dt.date.fromisoformat(self.worker["birth_date"]), first_day(self.start_month))
