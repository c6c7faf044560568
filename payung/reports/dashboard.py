"""The numbers of the Beranda and the monthly report, for one month and a set of filters.

``build`` asks ``db.aggregates`` for aggregates (each one SQL statement over an index) and
names them: protected workers against the targets with the change since last month,
contributions paid, arrears, claims paid, and the breakdowns the charts draw.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from db import aggregates, billing, queries, versions

from payung.base import clock
from payung.base.formats import count, decimal, short_name
from payung.auth.access import Actor, require, scope_of
from payung.enrolment.arrears import late_summary
from payung.base.identity import GENDERS
from payung.base.months import add_months, current_month, format_month, parse_month
from payung.schemes.registry import PluginRegistry

AGE_GROUPS = ((0, 24, "< 25"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"), (55, 64, "55-64"),
              (65, 200, "65+"))


#: The years a Beranda address may ask for (a chosen range: a month of year 0 or 9999, at the
#: edge of Python's dates, stopped the page with an error).
VIEWABLE_YEARS = (1900, 2200)


def _viewable_month(text) -> str | None:
    """``text`` as a month Beranda can show, or None ("?bulan=0000-01" or "9999-12": no date
    before year 1 or after 9999)."""
    try:
        month = parse_month(str(text))
    except ValueError:
        return None
    return month if VIEWABLE_YEARS[0] <= int(month[:4]) <= VIEWABLE_YEARS[1] else None


@dataclass(frozen=True)
class View:
    """What the user chose: a month and optional scheme, district and village."""

    month: str
    scheme: str | None = None
    district: str | None = None
    village: str | None = None

    @classmethod
    def from_params(cls, params: dict, default_month: str) -> "View":
        """From URL query parameters (``bulan``, ``skema``, ``kecamatan``, ``desa``); bad values
        are dropped rather than failing, so an old bookmark still opens (``left_out`` says which)."""
        month = _viewable_month(params.get("bulan") or default_month) or default_month
        district = params.get("kecamatan") or None
        village = params.get("desa") or None
        if village and (not district or not village.startswith(district + ".")):
            village = None
        return cls(month, params.get("skema") or None, district, village)

    def left_out(self, params: dict) -> list[str]:
        """The filters of the address ``params`` this view does not show (a link edited by hand,
        another regency's kecamatan, a month past the calendar), named as a person reads them."""
        month = _viewable_month(params["bulan"]) if params.get("bulan") else self.month
        return [name for name, asked, shown in (("bulan", month, self.month), ("skema", params.get("skema"), self.scheme),
                                                ("kecamatan", params.get("kecamatan"), self.district),
                                                ("desa/kelurahan", params.get("desa"), self.village))
                if (asked or name == "bulan") and asked != shown]

    def as_params(self) -> dict[str, str]:
        return {k: v for k, v in (("bulan", self.month), ("skema", self.scheme), ("kecamatan", self.district),
                                  ("desa", self.village)) if v}


@dataclass
class Dashboard:
    view: View
    title: str
    protected: int
    protected_previous: int
    covered: int
    target: int
    paid_month: int
    billed_month: int
    paid_year: int
    #: What the late list adds up to today (``as_of``): lines, workers, amount still payable.
    late: dict
    claims: dict
    per_scheme: list[dict] = field(default_factory=list)
    by_region: list[dict] = field(default_factory=list)
    region_level: str = "Kecamatan"
    by_occupation: list[dict] = field(default_factory=list)
    by_gender_age: list[dict] = field(default_factory=list)
    trend: list[dict] = field(default_factory=list)
    budgets: list[dict] = field(default_factory=list)
    #: The day the arrears were read (arrears are always of today, whatever month is shown).
    as_of: dt.date | None = None
    #: Regency-wide targets left out because a district or village is chosen, or the actor sees
    #: only some villages (they are not split by place); the per-village targets are counted.
    regency_targets_left_out: bool = False
    #: Whether ``target`` holds per-village targets: a village's figure for each village shown,
    #: added up (a kecamatan's target is the sum of its villages').
    village_targets: bool = False
    #: The regency-wide targets ``target`` counts, ``(label, value)``: what the figure is a target of
    #: ("Pekerja rentan Kendal terlindungi", 200.000), said beside it.
    regency_targets: list[tuple[str, int]] = field(default_factory=list)
    #: Workers the targets count as covered already, outside Payung's figures (``Target.already_covered``:
    #: Kendal's 54.000 before its movement), of the targets ``target`` counts.
    already_covered: int = 0

    @property
    def change(self) -> int:
        return self.protected - self.protected_previous

    @property
    def reached(self) -> int:
        """What the target's share counts, as the bars below it do: the protected workers of the
        schemes with a target in this view and those covered already (a scheme without a target
        has no bar, and its workers were in the share of the others' targets)."""
        return sum(r["protected"] + r.get("already_covered", 0) for r in self.per_scheme if r["target"])

    @property
    def protected_without_target(self) -> int:
        """The protected workers of the schemes shown without a target here (none set, or a
        regency-wide one left out for the place chosen): in Terlindungi, not in ``reached``."""
        return sum(r["protected"] for r in self.per_scheme if not r["target"])

    @property
    def reached_text(self) -> str:
        """The Target's share as the Beranda says it, with what it counts: "54.029 tercapai
        (27,0%)", the figure the bars below add up to ("... = 54.029 dari target 200.000"); Kendal's
        "27,0% tercapai" beside 29 Terlindungi could not be told from a count of 29."""
        return f"{count(self.reached)} tercapai ({share_text(self.reached, self.target)})"


def filters(registry: PluginRegistry, view: View, actor: Actor) -> aggregates.Filters:
    """The view's filters, its schemes those of the actor's scope (the scope itself is applied by
    every aggregate, ``db.aggregates``)."""
    scope = scope_of(actor)
    place = view.village or view.district
    # A chosen district or village belongs to one regency: only that regency's schemes count
    # (the others are not listed at 0, and their budget lines are not shown).
    visible = tuple(code for code, s in registry.schemes.items() if scope.covers_regency(s.regency_code)
                    and (not place or place.startswith(s.regency_code + ".")))
    schemes = visible if view.scheme is None else ((view.scheme,) if view.scheme in visible else ())
    return aggregates.Filters(schemes=None if schemes == tuple(registry.schemes) else schemes, district=view.district,
                              village=view.village)


#: The months before this one that Beranda's Bulan list offers.
MONTHS_BACK = 24


def month_choices(db, registry: PluginRegistry, *, actor: Actor, asked: str | None = None,
                  today: dt.date | None = None) -> list[str]:
    """The months of Beranda's Bulan list, in the order a person looks for them: this month first,
    then the ``MONTHS_BACK`` before it, newest first; after them, oldest first, the months to come
    of which a contribution is paid already (paid ahead), inside the actor's slice. A month to come
    with nothing paid is left out: its lines are only billed ahead and nothing has happened in it
    (the list began with two such empty months). ``asked``, the month an address asks for, takes
    its place in that order."""
    require(actor, "dashboard.read")
    this = current_month(today)
    f = filters(registry, View(this), actor)
    past = {add_months(this, -i) for i in range(MONTHS_BACK + 1)}
    ahead = set(aggregates.months_paid_after(db, this, f, scope_of(actor))) if f.schemes != () else set()
    if asked:
        (past if asked <= this else ahead).add(asked)
    return sorted(past, reverse=True) + sorted(ahead)


def target_for(db, scheme, *, actor: Actor, district: str | None = None, village: str | None = None) -> int:
    """A scheme's target as it applies to the actor's slice and the chosen place.

    A per-village target counts once for every village the actor sees inside the chosen
    district or village. A regency-wide target counts only for the whole regency: it is not
    split by district, so a chosen place (or a village operator) leaves it out.
    """
    require(actor, "dashboard.read")
    scope = scope_of(actor)
    if not scope.covers_regency(scheme.regency_code):
        return 0
    total = 0
    for target in scheme.targets:
        if target.per == "village":
            villages = [v["code"] for v in queries.regions_in(db, scheme.regency_code, 4)]
            total += target.value * sum(1 for code in villages if scope.covers_village(code)
                                        and (not district or code.startswith(district + "."))
                                        and (not village or code == village))
        elif scope.villages is None and not district and not village:
            total += target.value
    return total


def already_covered_for(db, scheme, *, actor: Actor, district: str | None = None, village: str | None = None) -> int:
    """The workers a scheme's targets count as covered already (``Target.already_covered``), as
    ``target_for`` counts its targets: a regency-wide figure only for the whole regency."""
    require(actor, "dashboard.read")
    scope = scope_of(actor)
    if not scope.covers_regency(scheme.regency_code) or scope.villages is not None or district or village:
        return 0
    return sum(t.already_covered for t in scheme.targets if t.per != "village")


def share_text(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage with a decimal comma: "27,0%"."""
    return f"{decimal(100 * part / whole)}%" if whole else "-"


def progress_lines(d: Dashboard) -> tuple[list[tuple[float, str]], str]:
    """The Beranda's progress bars, ``(share, text)`` per scheme with a target, and what is said
    about the schemes shown without one (``""`` when none is). A scheme that sets no target
    (Mesra dengan Mansur, Luwu Utara) had no bar and no word why: a newcomer took it for a fault."""
    month = format_month(d.view.month)
    bars = []
    for row in d.per_scheme:
        if not row["target"]:
            continue
        already = row.get("already_covered", 0)
        counted = (f"{count(already)} sudah terlindungi sebelumnya + {count(row['protected'])} terlindungi "
                   f"(lunas {month}) = {count(already + row['protected'])}" if already else
                   f"{count(row['protected'])} terlindungi (lunas {month})")
        reached = already + row["protected"]
        bars.append((min(1.0, reached / row["target"]),
                     f"{row['scheme']}: {counted} dari target {count(row['target'])} "
                     f"({share_text(reached, row['target'])})"))
    # Only the schemes that set no target at all: a regency-wide target left out for a chosen place
    # is said by the page's own note.
    untargeted = [row["scheme"] for row in d.per_scheme if not row["target"] and not row.get("has_targets")]
    if not untargeted:
        return bars, ""
    named = untargeted[0] if len(untargeted) == 1 else f"{', '.join(untargeted[:-1])} dan {untargeted[-1]}"
    one = len(untargeted) == 1
    note = (f"Tidak ada batang kemajuan untuk {named}: {'skema ini' if one else 'skema-skema ini'} tidak menetapkan "
            f"target atau kuota jumlah pekerja, jadi tidak ada angka untuk dibandingkan. Angka Terlindungi di atas "
            f"tetap menghitung {'pekerjanya' if one else 'pekerja mereka'}; "
            + ("panel skema di bawah menunjukkan kemajuannya." if d.view.scheme else
               "pilih skemanya di atas untuk melihat panelnya."))
    return bars, note


def _age_group(month: str, birth_year: str) -> str:
    age = int(month[:4]) - int(birth_year)
    return next(label for low, high, label in AGE_GROUPS if low <= age <= high)


def build(db, registry: PluginRegistry, view: View, *, actor: Actor, today: dt.date | None = None) -> Dashboard:
    require(actor, "dashboard.read")
    today = today or clock.today()
    settings = registry.settings
    f, scope = filters(registry, view, actor), scope_of(actor)
    month = view.month
    months = [add_months(month, -i) for i in range(11, -1, -1)]
    trend = {row["month"]: row for row in aggregates.month_totals(db, months, f, scope)}
    this = trend.get(month, {"covered": 0, "protected": 0, "billed": 0, "paid": 0})
    previous = trend.get(add_months(month, -1), {"protected": 0})
    year_months = [m for m in months if m[:4] == month[:4]]
    names = queries.region_names(db)
    per_scheme_rows = {r["key"]: r["protected"] for r in aggregates.protected_by(db, "scheme_code", month, f, scope)}
    shown = [registry.scheme(code) for code in (f.schemes if f.schemes is not None else registry.schemes)]
    per_scheme = [{"code": s.code, "scheme": s.name, "protected": per_scheme_rows.get(s.code, 0),
                   "target": target_for(db, s, actor=actor, district=view.district, village=view.village),
                   "already_covered": already_covered_for(db, s, actor=actor, district=view.district,
                                                          village=view.village),
                   "has_targets": any(t.value for t in s.targets)}
                  for s in shown]
    level = "village_code" if view.district else "district_code"
    by_region = sorted(({"code": r["key"], "name": names.get(r["key"], r["key"]),
                         "regency": names.get(r["key"][:5], r["key"][:5]), "protected": r["protected"]}
                        for r in aggregates.protected_by(db, level, month, f, scope)),
                       key=lambda r: (-r["protected"], r["code"]))
    occupations = settings.occupations
    by_occupation = sorted(({"code": r["key"], "occupation": occupations.get(r["key"], r["key"]),
                             "protected": r["protected"]}
                            for r in aggregates.protected_by(db, "occupation", month, f, scope)),
                           key=lambda r: (-r["protected"], r["code"]))
    groups: dict[tuple[str, str], int] = {}
    for row in aggregates.protected_by_gender_age(db, month, f, scope):
        key = (GENDERS.get(row["gender"], row["gender"]), _age_group(month, row["birth_year"]))
        groups[key] = groups.get(key, 0) + row["protected"]
    order = [label for _, _, label in AGE_GROUPS]
    by_gender_age = [{"gender": g, "age_group": a, "protected": n}
                     for (g, a), n in sorted(groups.items(), key=lambda kv: (order.index(kv[0][1]), kv[0][0]))]
    shown_codes = {s.code for s in shown}
    budgets = budget_figures([dict(b, scheme=registry.schemes[b["scheme_code"]].name) for b in billing.budget_lines(
        db, view.scheme, int(month[:4]), scope=scope) if b["scheme_code"] in shown_codes])
    first_day = f"{month}-01"
    last_day = (dt.date.fromisoformat(f"{add_months(month, 1)}-01") - dt.timedelta(days=1)).isoformat()
    if f.schemes == ():
        late = {"lines": 0, "workers": 0, "amount": 0}
    else:
        late = late_summary(db, registry, actor=actor, today=today, scheme_code=view.scheme,
                            district=view.district, village=view.village)
    title = registry.schemes[view.scheme].name if view.scheme in registry.schemes else "Semua skema"
    # Where the figures are from: the place picked, or a village operator's only village (it was
    # never named: "Semua desa" under an operator of one), also under its kecamatan picked alone:
    # the figures are still that village's, not the kecamatan's its name said.
    only = scope.villages[0] if len(scope.villages or ()) == 1 else None
    place = view.village or only or view.district
    if place:
        title += " · " + names.get(place, place)
    return Dashboard(
        view=view, title=f"{title} · {format_month(month)}",
        protected=this["protected"], protected_previous=previous["protected"], covered=this["covered"],
        target=sum(s["target"] for s in per_scheme), paid_month=this["paid"], billed_month=this["billed"],
        paid_year=sum(trend[m]["paid"] for m in year_months if m in trend),
        late=late, as_of=today,
        regency_targets_left_out=bool(view.district or view.village or scope.villages is not None) and any(
            t.per != "village" for s in shown if scope.covers_regency(s.regency_code) for t in s.targets),
        village_targets=any(t.per == "village" for s in shown if scope.covers_regency(s.regency_code)
                            for t in s.targets),
        regency_targets=[(t.label, t.value) for s in shown if scope.villages is None and not view.district
                         and not view.village and scope.covers_regency(s.regency_code)
                         for t in s.targets if t.per != "village"],
        already_covered=sum(s["already_covered"] for s in per_scheme),
        claims=aggregates.claims_paid(db, first_day, last_day, f, scope),
        per_scheme=per_scheme, by_region=by_region, region_level="Desa/kelurahan" if view.district else "Kecamatan",
        by_occupation=by_occupation, by_gender_age=by_gender_age,
        trend=[{"month": m, "label": format_month(m), "protected": trend.get(m, {}).get("protected", 0),
                "paid": trend.get(m, {}).get("paid", 0)} for m in months],
        budgets=budgets,
    )


#: Budget lines drawn one by one; past that, the smaller ones are one row "Pos anggaran lainnya".
BUDGET_LINES_SHOWN = 15


def budget_figures(lines: list[dict]) -> list[dict]:
    """The budget figures of the Beranda, the report PDF and its XLSX (one set, so the three
    agree): each line with a ``label`` no other line has (a name shared by two lines gets its
    scheme's short name before it, then its number), the largest ceilings first; past ``BUDGET_LINES_SHOWN`` the rest
    are added up in one last row."""
    schemes_of_name: dict[str, set] = defaultdict(set)
    for line in lines:
        schemes_of_name[line["name"]].add(line["scheme_code"])
    # The scheme first, as on Anggaran: a name cut at a phone's width kept the line's name only.
    labelled = [dict(line, label=f"{short_name(line['scheme'])} · {line['name']}"
                     if len(schemes_of_name[line["name"]]) > 1 else line["name"]) for line in lines]
    again = Counter(line["label"] for line in labelled)
    for line in labelled:
        if again[line["label"]] > 1:
            line["label"] = f"{line['label']} (pos #{line['id']})"
    labelled.sort(key=lambda l: (-l["amount"], l["label"]))
    if len(labelled) <= BUDGET_LINES_SHOWN:
        return labelled
    kept, rest = labelled[:BUDGET_LINES_SHOWN - 1], labelled[BUDGET_LINES_SHOWN - 1:]
    other = {"id": None, "scheme_code": None, "scheme": "-", "name": f"Pos anggaran lainnya ({len(rest)} pos)",
             "label": f"Pos anggaran lainnya ({len(rest)} pos)", "year": rest[0].get("year")}
    for key in ("amount", "committed", "paid"):
        other[key] = sum(l[key] for l in rest)
    return [*kept, other]


def data_version(db, *, actor: Actor) -> int:
    """Changes whenever data the dashboard aggregates changes (``db.versions``; a sign-in or a
    new worker does not move it): the dashboard's cache key."""
    require(actor, "dashboard.read")
    return versions.read(db)[versions.DATA]


def is_empty(db, *, actor: Actor) -> bool:
    """No worker registered yet (the Beranda then offers demo data)."""
    require(actor, "dashboard.read")
    return not queries.has_workers(db)
