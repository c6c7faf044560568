"""Altair charts of a ``Dashboard``: drawn by the Beranda and, as PNG, in the monthly report.

Labels are Indonesian, numbers use the Indonesian thousands separator, Rupiah axes say "Rp".
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from .dashboard import AGE_GROUPS, Dashboard
from .formats import month_short

BLUE, GREEN, GREY = "#1f6f8b", "#2e8b57", "#c9d3da"


#: Vega formats numbers the English way; swap the separators to 10.000 and 2,5.
INDONESIAN_LABEL = "replace(replace(replace(datum.label, /,/g, '#'), /[.]/g, ','), /#/g, '.')"


def _number_axis(title: str, number_format: str = ",d") -> alt.Axis:
    """A value axis; counts (``,d``) tick at whole numbers only, so 0-1 is not "0 0 0 1 1 1"."""
    whole = number_format.endswith("d")
    return alt.Axis(title=title, format=number_format, labelFlush=False, labelExpr=INDONESIAN_LABEL,
                    tickMinStep=1 if whole else alt.Undefined)


def _ranked_bar(rows: list[dict], field: str, field_title: str, title: str, *, color: str, row_height: int,
                min_height: int, label_limit: int, width, cursor: str = "default") -> alt.Chart:
    """Protected workers per ``field``, one labelled horizontal bar each, largest first."""
    frame = pd.DataFrame(rows or [{field: "-", "protected": 0}])
    return alt.Chart(frame, title=title).mark_bar(color=color, cursor=cursor).encode(
        x=alt.X("protected:Q", axis=_number_axis("Pekerja terlindungi")),
        y=alt.Y(f"{field}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=label_limit, labelOverlap=False)),
        tooltip=[alt.Tooltip(f"{field}:N", title=field_title),
                 alt.Tooltip("protected:Q", title="Terlindungi", format=",d")],
    ).properties(height=alt.Step(row_height), width=width)  # a row per bar: names never overlap


def region_bar(d: Dashboard, *, select: bool = False, limit: int = 30, width="container") -> alt.Chart:
    """Protected workers per district (or per village inside a chosen district), largest first."""
    chart = _ranked_bar(d.by_region[:limit], "name", d.region_level, f"Pekerja terlindungi per {d.region_level.lower()}",
                        color=BLUE, row_height=24, min_height=160, label_limit=180, width=width,
                        cursor="pointer" if select else "default")
    if select:
        chart = chart.add_params(alt.selection_point(name="wilayah", fields=["code"], on="click"))
    return chart


def occupation_bar(d: Dashboard, limit: int = 15, width="container") -> alt.Chart:
    return _ranked_bar(d.by_occupation[:limit], "occupation", "Pekerjaan", "Per pekerjaan", color=BLUE,
                       row_height=22, min_height=160, label_limit=200, width=width)


def gender_age_bar(d: Dashboard, width="container") -> alt.Chart:
    frame = pd.DataFrame(d.by_gender_age or [{"gender": "-", "age_group": "-", "protected": 0}])
    order = [label for _, _, label in AGE_GROUPS]
    return alt.Chart(frame, title="Per jenis kelamin dan kelompok umur").mark_bar().encode(
        x=alt.X("age_group:N", sort=order, title="Kelompok umur", axis=alt.Axis(labelAngle=0)),
        xOffset="gender:N",
        y=alt.Y("protected:Q", axis=_number_axis("Pekerja terlindungi")),
        color=alt.Color("gender:N", title="Jenis kelamin", scale=alt.Scale(range=[BLUE, "#d9822b"])),
        tooltip=[alt.Tooltip("gender:N", title="Jenis kelamin"), alt.Tooltip("age_group:N", title="Umur"),
                 alt.Tooltip("protected:Q", title="Terlindungi", format=",d")],
    ).properties(height=260, width=width)


def scheme_bar(d: Dashboard, width="container") -> alt.Chart:
    return _ranked_bar(d.per_scheme, "scheme", "Skema", "Per skema", color=GREEN, row_height=30, min_height=140,
                       label_limit=260, width=width)


def trend_lines(d: Dashboard, width="container") -> alt.Chart:
    """Twelve months of protected workers and of contributions paid, one above the other."""
    frame = pd.DataFrame(d.trend)
    frame["paid_mrp"] = frame["paid"] / 1_000_000  # display only: the amounts stay integers in the data
    # "Jan 2026", not "2026-01"; the months stay in calendar order.
    frame["short"] = [month_short(m) for m in frame["month"]]
    base = alt.Chart(frame).encode(x=alt.X("short:O", title=None, sort=list(frame["short"]),
                                           axis=alt.Axis(labelAngle=-40)))
    protected = base.mark_line(point=True, color=BLUE).encode(
        y=alt.Y("protected:Q", axis=_number_axis("Pekerja terlindungi")),
        tooltip=[alt.Tooltip("label:N", title="Bulan"), alt.Tooltip("protected:Q", title="Terlindungi", format=",d")],
    ).properties(title="Tren 12 bulan: pekerja terlindungi", height=200, width=width)
    paid = base.mark_line(point=True, color=GREEN).encode(
        y=alt.Y("paid_mrp:Q", axis=_number_axis("Iuran dibayar (juta Rp)", ",.1f")),
        tooltip=[alt.Tooltip("label:N", title="Bulan"), alt.Tooltip("paid:Q", title="Iuran dibayar (Rp)", format=",d")],
    ).properties(title="Tren 12 bulan: iuran dibayar", height=200, width=width)
    return alt.vconcat(protected, paid)


def budget_bar(d: Dashboard, limit: int = 20, width="container") -> alt.Chart:
    """Committed and paid against each budget line's ceiling (the tick)."""
    rows = [{"line": f"{b['name']}", "kind": kind, "value": b[key] / 1_000_000, "ceiling": b["amount"] / 1_000_000}
            for b in d.budgets[:limit] for kind, key in (("Terikat", "committed"), ("Dibayar", "paid"))]
    frame = pd.DataFrame(rows or [{"line": "-", "kind": "Terikat", "value": 0, "ceiling": 0}])
    bars = alt.Chart(frame).mark_bar().encode(
        x=alt.X("value:Q", axis=_number_axis("juta Rp", ",.1f")),
        y=alt.Y("line:N", title=None, axis=alt.Axis(labelLimit=260, labelOverlap=False)),
        yOffset="kind:N",
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=["Terikat", "Dibayar"], range=[BLUE, GREEN])),
        tooltip=[alt.Tooltip("line:N", title="Pos anggaran"), alt.Tooltip("kind:N", title=""),
                 alt.Tooltip("value:Q", title="juta Rp", format=",.2f"),
                 alt.Tooltip("ceiling:Q", title="Pagu (juta Rp)", format=",.2f")],
    )
    ceiling = alt.Chart(frame).mark_tick(color="#b22222", thickness=3, size=26).encode(
        x="ceiling:Q", y="line:N")
    return alt.layer(bars, ceiling, title=f"Anggaran {d.view.month[:4]}: terikat dan dibayar dibanding pagu (garis merah)"
                     ).properties(height=max(120, 40 * len(frame) // 2), width=width)


def to_png(chart: alt.Chart) -> bytes:
    """A chart (built with a numeric ``width``) as PNG; vl-convert renders it without a browser."""
    import vl_convert as vlc
    return vlc.vegalite_to_png(chart.to_dict(), scale=1.5)
