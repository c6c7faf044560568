"""What is late, what has lapsed, and what ends next month (for renewal).

The late list is read on the day it is asked: every unpaid month whose due date has passed,
grouped by who must pay it (the scheme's bill party), and the workers whose run of unpaid
months ended their BPJS membership.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from db import billing, queries

from .access import Actor, require, require_visible, scope_of, shown, shown_rows, visible_scheme
from .coverage import BERAKHIR, MENUNGGAK, arrears_limit, due_date, line_statuses
from .data import LIVE_STATUSES
from .months import add_months, current_month
from .plugins import PluginRegistry
from .sponsorships import enrol

#: How far back the late list looks (older unpaid months have long lapsed).
LOOK_BACK_MONTHS = 24


@dataclass
class LateList:
    today: dt.date
    #: One row per scheme and bill party: workers, months, amount still payable, pay-by date.
    parties: list[dict] = field(default_factory=list)
    #: One row per worker whose membership ended: scheme, sponsor, unpaid months.
    lapsed: list[dict] = field(default_factory=list)

    @property
    def total_open(self) -> int:
        return sum(row["amount"] for row in self.parties)


def _party_of(line: dict, bill_by: str) -> tuple[str, str]:
    if bill_by == "opd":
        return line["opd"] or "-", line["opd"] or "(tanpa OPD)"
    if bill_by == "budget_line":
        return str(line["budget_line_id"] or "-"), line["budget_label"] or "(tanpa pos anggaran)"
    return str(line["sponsor_id"]), line["sponsor_name"]


def late_list(db, registry: PluginRegistry, *, actor: Actor, today: dt.date | None = None,
              scheme_code: str | None = None) -> LateList:
    """What is overdue per bill party, and whose membership ended, inside the actor's scope."""
    require(actor, "late.read")
    if scheme_code:
        visible_scheme(registry, scheme_code, actor, "late.read")
    today = today or dt.date.today()
    settings = registry.settings
    result = LateList(today)
    this_month = current_month(today)
    lines = [line for line in billing.overdue_lines(db, add_months(this_month, -LOOK_BACK_MONTHS), this_month,
                                                      LIVE_STATUSES, scheme_code, scope=scope_of(actor))
             if line["scheme_code"] in registry.schemes
             and today > due_date(line["month"], settings.due_day_of(line["scheme_code"]))]
    statuses = {}
    for code in {line["scheme_code"] for line in lines}:
        statuses.update(line_statuses([l for l in lines if l["scheme_code"] == code], today=today,
                                      due_day=settings.due_day_of(code), lapse_months=settings.lapse_months))
    groups: dict[tuple, dict] = {}
    lapsed: dict[tuple, dict] = {}
    for line in lines:
        scheme = registry.scheme(line["scheme_code"])
        open_amount = line["amount"] - line["paid_amount"]
        if statuses[line["id"]] == MENUNGGAK:
            key, label = _party_of(line, scheme.bill_by)
            group = groups.setdefault((scheme.code, key), {
                "scheme_code": scheme.code, "scheme": scheme.name, "party_key": key, "party": label,
                "workers": set(), "lines": 0, "amount": 0, "oldest": line["month"]})
            group["workers"].add(line["worker_id"])
            group["lines"] += 1
            group["amount"] += open_amount
            group["oldest"] = min(group["oldest"], line["month"])
        elif statuses[line["id"]] == BERAKHIR:
            row = lapsed.setdefault((scheme.code, line["worker_id"]), {
                "scheme_code": scheme.code, "scheme": scheme.name, "worker_id": line["worker_id"],
                "worker": line["worker_name"], "nik": shown(actor, line)["nik"], "sponsor": line["sponsor_name"],
                "months": 0, "first": line["month"], "last": line["month"]})
            row["months"] += 1
            row["last"] = max(row["last"], line["month"])
    for group in groups.values():
        group["workers"] = len(group["workers"])
        group["pay_by"] = arrears_limit(group["oldest"], settings.due_day_of(group["scheme_code"]), settings.lapse_months)
    result.parties = sorted(groups.values(), key=lambda g: (g["pay_by"], -g["amount"]))
    result.lapsed = sorted(lapsed.values(), key=lambda r: (r["scheme"], r["worker"]))
    return result


def ending_next_month(db, registry: PluginRegistry, *, today: dt.date | None = None,
                      scheme_code: str | None = None, actor: Actor) -> list[dict]:
    """Live sponsorships whose last month is next month and that nobody renewed yet."""
    require(actor, "late.read")
    month = add_months(current_month(today), 1)
    rows = billing.sponsorships_ending(db, month, LIVE_STATUSES, scheme_code, scope=scope_of(actor))
    return shown_rows(actor, [row for row in rows if row["scheme_code"] in registry.schemes])


def renew(db, registry: PluginRegistry, sponsorship_id: int, *, actor: Actor) -> int:
    """A new sponsorship right after this one ends: same sponsor, worker, scheme, programs,
    length, payment period and fields. Every rule is checked again (a budget may be spent, a
    term over): a refusal raises ``ValidationError`` with the reasons."""
    old = require_visible(actor, "sponsorship.renew", queries.sponsorship(db, sponsorship_id, scope_of(actor)),
                          f"Kepesertaan #{sponsorship_id}")
    fields = json.loads(old["fields"]) if isinstance(old["fields"], str) else dict(old["fields"] or {})
    return enrol(db, registry, actor=actor, scheme_code=old["scheme_code"], sponsor_id=old["sponsor_id"],
                 worker_id=old["worker_id"], start_month=add_months(old["end_month"], 1), months=old["months"],
                 programs=old["programs"].split(","), fields=fields, payment_period=old["payment_period"])
