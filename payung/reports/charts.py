"""Altair charts of a ``Dashboard``: drawn by the Beranda and, as PNG, in the monthly report.

Labels are Indonesian, numbers use the Indonesian thousands separator, Rupiah axes say "Rp".
"""

from __future__ import annotations

import json
import math

import altair as alt
import pandas as pd

from payung.reports.dashboard import AGE_GROUPS, Dashboard
from payung.base.formats import decimal, month_short, short_name
from payung.base.money import format_rupiah_short

BLUE, GREEN, GREY = "#1f6f8b", "#2e8b57", "#c9d3da"


def indonesian_number(expression: str) -> str:
    """A Vega expression writing ``expression`` (a number formatted the English way) as Payung
    writes numbers: a point between thousands, a comma before decimals."""
    return f"replace(replace(replace({expression}, /,/g, '#'), /[.]/g, ','), /#/g, '.')"


#: An axis label: Vega formats numbers the English way; the separators swapped to 10.000 and 2,5.
INDONESIAN_LABEL = indonesian_number("datum.label")


def nice_ticks(largest: float, *, smallest_step: float = 1, count: int = 5) -> list[float]:
    """Tick values from 0 past ``largest``: about ``count`` steps of 1, 2 or 5 times a power of
    ten, never finer than ``smallest_step``. Chosen here, not by Vega: its ``tickMinStep`` still
    gave 0 0,5 1 1,5 2 on a 0-2 axis (its tick count allows one step more than the span), and
    with whole-number labels that read "0 1 1 2 2"."""
    if not largest or largest <= 0:
        return [0, max(smallest_step, 1)]
    raw = largest / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, smallest_step)
    steps = math.ceil(largest / step - 1e-9)
    return [round(i * step, 9) for i in range(steps + 1)]


def _scaled_axis(title: str, largest: float, decimals: int) -> tuple[alt.Axis, alt.Scale]:
    """An axis whose ticks are ``nice_ticks`` (distinct at ``decimals``) and the scale that ends
    on the last of them."""
    ticks = nice_ticks(largest, smallest_step=10 ** -decimals)
    axis = alt.Axis(title=title, format=f",.{decimals}f", labelFlush=False, labelExpr=INDONESIAN_LABEL,
                    values=ticks)
    return axis, alt.Scale(domain=[0, ticks[-1]], nice=False)


def count_axis(title: str, values) -> tuple[alt.Axis, alt.Scale]:
    """A count axis: whole numbers only, never "0 0 0 1 1 1"."""
    return _scaled_axis(title, max((v for v in values if v is not None and v == v), default=0), 0)


#: Units of a money axis, largest first: (divisor, the unit as the axis title says it).
MONEY_UNITS = ((1_000_000_000, "miliar Rp"), (1_000_000, "juta Rp"), (1_000, "ribu Rp"), (1, "Rp"))


def _largest(values) -> float:
    return max((abs(v) for v in values if v is not None and v == v), default=0)


def _unit_of(largest: float) -> tuple[int, str]:
    return next(((divisor, unit) for divisor, unit in MONEY_UNITS if largest >= divisor), MONEY_UNITS[-1])


def money_unit(values) -> tuple[int, str]:
    """The unit of a money axis, by the largest amount shown: ``Rp67.200`` is "ribu Rp" (an axis
    0-70), not 0,0-0,1 "juta Rp" where every tick read the same."""
    return _unit_of(_largest(values))


def money_axis(values, what: str) -> tuple[int, str, alt.Axis, alt.Scale]:
    """(divisor, unit, axis, scale) of an axis of Rupiah ``values``: the unit chosen by magnitude,
    one decimal under 10 units (1,5 juta), whole units above, ticks never finer than the labels."""
    largest = _largest(values)
    divisor, unit = _unit_of(largest)
    largest /= divisor
    decimals = 1 if 0 < largest < 10 and divisor > 1 else 0
    axis, scale = _scaled_axis(f"{what} ({unit})" if what else unit, largest, decimals)
    return divisor, unit, axis, scale


#: Pixels per character of an axis label (Vega's default 11 px font), and between two lines.
LABEL_CHAR_PX, LABEL_LINE_PX = 6, 13
#: A label's lines are split at this mark by the axis (``labelExpr``).
LINE_BREAK = "\n"
_SPLIT_LINES = "split(datum.value, '\\n')"  # the expression's own escape, not a newline in its source


def _wrapped(text: str, chars: int, lines: int = 2) -> str:
    """``text`` on at most ``lines`` lines of ``chars`` characters, broken at spaces; what does not
    fit ends in "…"."""
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > chars:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:chars - 1].rstrip() + "…"
    return LINE_BREAK.join(out)


def axis_labels(names: list[str], label_limit: int) -> list[str]:
    """Axis labels of a bar chart that are never cut in the middle of a word: a long name without
    its bracketed explanation ("GN Lingkaran", "Anggota BHP"), then on two lines; the whole name
    is in the bar's tooltip. They stay distinct: a name whose short form another one also has
    keeps its brackets. (An axis cut "GN Lingkaran (Gerakan Nasional Peduli Perlindun...".)"""
    chars = max(12, label_limit // LABEL_CHAR_PX)
    shorts = [short_name(n) if len(n) > chars else n for n in names]
    taken = {s: shorts.count(s) for s in shorts}
    labels = [_wrapped(n if taken[s] > 1 else s, chars) for n, s in zip(names, shorts)]
    if len(set(labels)) < len(set(names)):  # still alike once cut: three lines of the whole name
        labels = [_wrapped(n, chars, 3) for n in names]
    return labels


def _label_rows(labels: list[str], row_height: int) -> int:
    """A row tall enough for its label's lines."""
    lines = max((label.count(LINE_BREAK) + 1 for label in labels), default=1)
    return max(row_height, LABEL_LINE_PX * lines + 8)


def _rows(frame: pd.DataFrame) -> alt.InlineData:
    """A chart's rows, as Altair would write them (``alt.to_values``: no NaN, no numpy types),
    given to the chart as values. Serialising a chart then never calls Altair's data transformer,
    which is global to the process: Streamlit's ``st.altair_chart`` swaps it for its own while it
    draws, and a Beranda building its specs meanwhile in another session (``beranda_specs``)
    handed its rows to that session's chart."""
    return alt.InlineData(values=alt.to_values(frame)["values"])


def _ranked_bar(rows: list[dict], field: str, field_title: str, title: str, *, color: str, row_height: int,
                min_height: int, label_limit: int, width, cursor: str = "default") -> alt.Chart:
    """Protected workers per ``field``, one labelled horizontal bar each, largest first; the axis
    shows ``axis_labels`` of the names, the tooltip the whole name."""
    frame = pd.DataFrame(rows or [{field: "-", "protected": 0}])
    frame["axis"] = axis_labels([str(n) for n in frame[field]], label_limit)
    axis, scale = count_axis("Pekerja terlindungi", frame["protected"])
    return alt.Chart(_rows(frame), title=title).mark_bar(color=color, cursor=cursor).encode(
        x=alt.X("protected:Q", axis=axis, scale=scale),
        y=alt.Y("axis:N", sort="-x", title=None,
                axis=alt.Axis(labelLimit=label_limit, labelOverlap=False, labelExpr=_SPLIT_LINES)),
        tooltip=[alt.Tooltip(f"{field}:N", title=field_title),
                 alt.Tooltip("protected:Q", title="Terlindungi", format=",d")],
    ).properties(height=alt.Step(_label_rows(list(frame["axis"]), row_height)), width=width)  # names never overlap


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
    axis, scale = count_axis("Pekerja terlindungi", frame["protected"])
    return alt.Chart(_rows(frame), title="Per jenis kelamin dan kelompok umur").mark_bar().encode(
        x=alt.X("age_group:N", sort=order, title="Kelompok umur", axis=alt.Axis(labelAngle=0)),
        xOffset="gender:N",
        y=alt.Y("protected:Q", axis=axis, scale=scale),
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
    divisor, unit, paid_axis, paid_scale = money_axis(frame["paid"], "Iuran dibayar")
    protected_axis, protected_scale = count_axis("Pekerja terlindungi", frame["protected"])
    frame["paid_shown"] = frame["paid"] / divisor  # display only: the amounts stay integers in the data
    # "Jan 2026", not "2026-01"; the months stay in calendar order.
    frame["short"] = [month_short(m) for m in frame["month"]]
    base = alt.Chart(_rows(frame)).encode(x=alt.X("short:O", title=None, sort=list(frame["short"]),
                                                  axis=alt.Axis(labelAngle=-40)))
    protected = base.mark_line(point=True, color=BLUE).encode(
        y=alt.Y("protected:Q", axis=protected_axis, scale=protected_scale),
        tooltip=[alt.Tooltip("label:N", title="Bulan"), alt.Tooltip("protected:Q", title="Terlindungi", format=",d")],
    ).properties(title="Tren 12 bulan: pekerja terlindungi", height=200, width=width)
    paid = base.mark_line(point=True, color=GREEN).encode(
        y=alt.Y("paid_shown:Q", axis=paid_axis, scale=paid_scale),
        tooltip=[alt.Tooltip("label:N", title="Bulan"), alt.Tooltip("paid:Q", title="Iuran dibayar (Rp)", format=",d")],
    ).properties(title="Tren 12 bulan: iuran dibayar", height=200, width=width)
    return alt.vconcat(protected, paid)


#: A budget line's three rows (its name, then its two bars), in pixels each.
BUDGET_ROW_PX = 16


def _share(part: int, whole: int) -> dict:
    """``part`` of a ceiling ``whole`` for a bar: the percent to one decimal (``share``) and how it
    is written beside the bar (``shown``); one that rounds to 0,0% is "< 0,1%", since "0,0%" read
    as nothing (as on Anggaran)."""
    share = round(100 * part / whole, 1) if whole else 0.0
    return {"share": share, "shown": "< 0,1%" if part > 0 and share == 0 else f"{decimal(share)}%"}


def budget_bar(d: Dashboard, width="container") -> alt.Chart:
    """Committed and paid on each budget line as a share of its own ceiling (the red line at 100%):
    every row of ``d.budgets``, the same figures as the report's PDF and XLSX. On one Rupiah axis
    the bars of a Rp6 jt commitment vanished beside the 600 jt ceilings; each bar is labelled with
    its share, and the tooltip gives the amounts.

    Each line's name is written above its two bars, across the chart's whole width, not beside
    them on an axis: on a phone the names took 270 of 358 pixels and left the bars a sliver."""
    rows = [{"line": b.get("label") or b["name"], "kind": kind, **_share(b[key], b["amount"]),
             "amount": format_rupiah_short(b[key]), "ceiling": format_rupiah_short(b["amount"])}
            for b in d.budgets for kind, key in (("Terikat", "committed"), ("Dibayar", "paid"))]
    frame = pd.DataFrame(rows or [{"line": "-", "kind": "Terikat", "share": 0.0, "shown": "-", "amount": "-",
                                   "ceiling": "-"}])
    ticks = nice_ticks(max(100.0, float(frame["share"].max())), smallest_step=1)
    scale = alt.Scale(domain=[0, ticks[-1]], nice=False)
    x = alt.X("share:Q", scale=scale, axis=alt.Axis(title="% dari pagu", values=ticks, labelFlush=False,
                                                     format=",.0f", labelExpr=INDONESIAN_LABEL))
    # A band per line, in three rows: its name, then its Terikat and Dibayar bars.
    y = alt.Y("line:N", title=None, sort=None, axis=None)
    rows_of_a_line = alt.Scale(domain=["Pos", "Terikat", "Dibayar"])
    tooltip = [alt.Tooltip("line:N", title="Pos anggaran"), alt.Tooltip("kind:N", title=""),
               alt.Tooltip("amount:N", title="Jumlah"), alt.Tooltip("shown:N", title="Dari pagu"),
               alt.Tooltip("ceiling:N", title="Pagu")]
    base = alt.Chart(_rows(frame)).encode(y=y, yOffset=alt.YOffset("kind:N", scale=rows_of_a_line), tooltip=tooltip)
    bars = base.mark_bar().encode(
        x=x, color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=["Terikat", "Dibayar"], range=[BLUE, GREEN]),
                             legend=alt.Legend(orient="top", direction="horizontal")))
    # The share beside each bar: a bar of 1% is a sliver, its figure is not.
    shares = base.mark_text(align="left", dx=4, fontSize=10, color="#3b4a54").encode(x=x, text="shown:N")
    names = alt.Chart(_rows(frame)).transform_filter("datum.kind == 'Terikat'").transform_calculate(
        row="'Pos'").mark_text(align="left", baseline="middle", fontSize=11, color="#31333f",
                               limit=alt.ExprRef("width")).encode(
        x=alt.value(0), y=y, yOffset=alt.YOffset("row:N", scale=rows_of_a_line), text="line:N",
        tooltip=[alt.Tooltip("line:N", title="Pos anggaran"), alt.Tooltip("ceiling:N", title="Pagu")])
    ceiling = alt.Chart(_rows(frame)).mark_rule(color="#b22222", strokeWidth=2).encode(x=alt.datum(100, scale=scale))
    # A height in rows, not pixels: Streamlit fits a chart, its title, legend and axis included, into
    # a height in pixels, and two lines were drawn in no room at all (a step is never squeezed).
    return alt.layer(bars, shares, names, ceiling, title=alt.Title(
        f"Anggaran {d.view.month[:4]}: terikat dan dibayar", subtitle="persen dari pagu setiap pos (garis merah: pagu)",
        anchor="start")).properties(height=alt.Step(BUDGET_ROW_PX), width=width)


def beranda_charts(d: Dashboard) -> dict[str, alt.TopLevelMixin]:
    """Beranda's charts: ``region`` (clickable: its selection ``wilayah`` gives a ``code``),
    ``scheme``, ``gender_age``, ``occupation``, ``trend`` and, when there are budget lines,
    ``budget``."""
    shown = {"region": region_bar(d, select=True), "scheme": scheme_bar(d), "gender_age": gender_age_bar(d),
             "occupation": occupation_bar(d), "trend": trend_lines(d)}
    if d.budgets:
        shown["budget"] = budget_bar(d)
    return shown


#: What Altair's theme adds to a chart's specification (none of Payung's charts sets them).
THEMED = ("config", "usermeta")
#: The field that holds what a screen reader says of one mark (``spoken``).
SPOKEN = "_diucapkan"


def _spoken_text(tooltip: list[dict]) -> str:
    """A Vega expression saying one mark's tooltip in Indonesian ("Kecamatan: Kendal, Terlindungi:
    1.234"): a number in its tooltip's format (whole by default), with a point between thousands
    and a comma before decimals, as Payung writes them."""
    parts = []
    for item in tooltip:
        value = f"datum[{json.dumps(item['field'])}]"
        if item.get("type") == "quantitative":
            value = indonesian_number(f"format({value}, {json.dumps(item.get('format') or ',d')})")
        else:
            value = f"'' + {value}"
        parts.append(f"{json.dumps(item['title'] + ': ')} + {value}" if item.get("title") else value)
    return " + ', ' + ".join(parts)


#: The channels whose guide Vega describes: axes and legends.
_GUIDES = {"x": "axis", "y": "axis", "color": "legend", "fill": "legend", "stroke": "legend", "size": "legend",
           "shape": "legend", "opacity": "legend"}


def spoken(spec: dict) -> dict:
    """``spec`` said in Indonesian to a screen reader. Vega names each bar, point, axis, legend
    and title for one in English and by the data's own field names ("protected: 13; axis:
    Kendal", "X-axis titled ... for a linear scale", "Title text ..."): each mark says its
    tooltip instead (``SPOKEN``), the chart its title (its ``description``); axes, legends, titles
    and marks without a tooltip are left out of what is read (their words are in the others)."""
    title = spec.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    if text:
        spec["description"] = " ".join(text) if isinstance(text, list) else str(text)
    if isinstance(title, (str, list)):
        spec["title"] = {"text": title, "aria": False}
    elif isinstance(title, dict):
        title["aria"] = False
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for part in spec.get(key, []):
            spoken(part)
    encoding = spec.get("encoding") or {}
    for name, channel in encoding.items():
        guide = _GUIDES.get(name)
        if guide and isinstance(channel, dict) and "value" not in channel and channel.get(guide, {}) is not None:
            channel[guide] = {**channel.get(guide, {}), "aria": False}
    if "mark" not in spec:
        return spec
    tooltip = encoding.get("tooltip")
    mark = spec["mark"]
    labels = (mark.get("type") if isinstance(mark, dict) else mark) == "text"  # a bar's own figure or name, said by the bar
    if isinstance(tooltip, list) and tooltip and not labels:
        spec.setdefault("transform", []).append({"calculate": _spoken_text(tooltip), "as": SPOKEN})
        encoding["description"] = {"field": SPOKEN, "type": "nominal"}
    else:
        spec["mark"] = {**(mark if isinstance(mark, dict) else {"type": mark}), "aria": False}
    return spec


def beranda_specs(d: Dashboard) -> dict[str, dict]:
    """``beranda_charts`` as Vega-Lite specifications, built once for a set of figures (building
    them took about 40 ms of every run of the page). They hold their own rows (``_rows``) and
    nothing of ``THEMED``: the look is Streamlit's theme where they are drawn, not Altair's,
    which is global to the process and which ``st.altair_chart`` switches while it draws. Not validated
    against the Vega-Lite schema here, which took half the time on every sign-in of a new
    village: the tests validate them (``tests/test_dashboard.py``); their structure does not
    depend on the figures."""
    specs = {name: spoken(chart.to_dict(validate=False)) for name, chart in beranda_charts(d).items()}
    for spec in specs.values():
        for themed in THEMED:
            spec.pop(themed, None)
    return specs


#: Said in place of a chart with nothing to draw (axes, a "-" legend and a line at 0 said nothing).
NO_DATA = "Belum ada data untuk grafik ini."


def report_charts(d: Dashboard) -> list[tuple[str, alt.Chart | None]]:
    """The charts of the monthly report PDF, each with its title; None where there is nothing
    to draw (the report then prints the title and ``NO_DATA``)."""
    def some(rows, *keys):
        return any(r.get(k) for r in rows for k in keys)
    return [
        ("Tren 12 bulan", trend_lines(d, width=620) if some(d.trend, "protected", "paid") else None),
        (f"Pekerja terlindungi per {d.region_level.lower()}",
         region_bar(d, width=560, limit=25) if some(d.by_region, "protected") else None),
        ("Per skema", scheme_bar(d, width=560) if some(d.per_scheme, "protected") else None),
        ("Per pekerjaan", occupation_bar(d, width=560) if some(d.by_occupation, "protected") else None),
        ("Per jenis kelamin dan kelompok umur",
         gender_age_bar(d, width=560) if some(d.by_gender_age, "protected") else None),
        (f"Anggaran {d.view.month[:4]}", budget_bar(d, width=480) if d.budgets else None),
    ]


def to_png(chart: alt.Chart) -> bytes:
    """A chart (built with a numeric ``width``) as PNG; vl-convert renders it without a browser."""
    import vl_convert as vlc
    return vlc.vegalite_to_png(chart.to_dict(), scale=1.5)
