"""Head-line numbers for the home page (the full dashboard builds on these)."""

from __future__ import annotations

import datetime as dt

from db import queries

from .access import Actor
from .months import current_month


def home(db, *, actor: Actor, today: dt.date | None = None) -> dict:
    month = current_month(today)
    scope = actor.scope()
    counts = queries.summary_counts(db, month, scope.get("region_prefix"))
    return {"month": month, **counts, "by_scheme": queries.covered_by_scheme(db, month)}
