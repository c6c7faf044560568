"""What the Skema page shows of each scheme: regency name, plugin, live sponsorships, protected
workers, retirement."""

from __future__ import annotations

from db import aggregates, queries

from payung.auth.access import Actor, require, scope_of, sees_whole_regency
from payung.base.months import current_month
from payung.schemes.registry import PluginRegistry


def scheme_overview(db, registry: PluginRegistry, *, actor: Actor, month: str | None = None) -> list[dict]:
    """Every loaded scheme, with ``live``: the workers it covers this month (``month``) or later
    inside the actor's scope (sponsorships whose months have ended left out), ``protected``:
    those whose contribution of ``month`` is paid (the Beranda's Terlindungi, what its target
    bars and the schemes' own panels count), and the targets that apply to that slice
    (``targets``: a regency-wide target only for an actor who sees the whole regency; a village
    operator's progress is per village, on the panels)."""
    require(actor, "scheme.read")
    month = month or current_month()
    live = queries.live_sponsorships_by_scheme(db, month, scope_of(actor))
    protected = {r["key"]: r["protected"]
                 for r in aggregates.protected_by(db, "scheme_code", month, aggregates.Filters(), scope_of(actor))}
    regencies = queries.region_names(db, 2)
    rows = {row["code"]: row for row in queries.scheme_rows(db)}
    return [{"scheme": scheme, "plugin": registry.plugin_of(code), "live": live.get(code, 0),
             "protected": protected.get(code, 0),
             "retired_at": (rows.get(code) or {}).get("retired_at"),
             "regency": regencies.get(scheme.regency_code, scheme.regency_code),
             "targets": [t for t in scheme.targets if t.per != "village"]
             if sees_whole_regency(actor, scheme.regency_code) else []}
            for code, scheme in registry.schemes.items()]
