"""A table's Indonesian display (``Rp1.250.000``, ``8.765``) at the cost of the cells it changes.

``st.dataframe`` takes a pandas Styler for text shown over numbers (``ui.widgets.table``: the
numbers stay underneath, so a click on the heading sorts by amount). Streamlit reads it through
two private Styler methods: ``_compute`` (the CSS functions) and ``_translate``, which renders
every cell of the frame as a dict of HTML classes and attributes. Streamlit keeps only each
cell's ``display_value`` and writes it over ``frame.astype(str)``. On the load test's Tagihan,
that was a third of the page's CPU, for one or two columns of money.

``shown()`` gives a Styler whose two methods return only what Streamlit reads: the cells whose
display is not already ``str(value)``, as the Styler's own formatters show them (``format()``
and pandas' defaults). The browser gets the same bytes (``tests/test_shown_values.py`` compares
them with a plain Styler's, on the pinned pandas and Streamlit). CSS styles (``apply``, ``map``)
are refused, not dropped."""

from __future__ import annotations

import types
from enum import Enum

import pandas as pd
from pandas.io.formats.style import Styler


def shown(frame: pd.DataFrame, formats: dict) -> Styler:
    """``frame`` with ``formats`` (column -> function of a value to its text), for ``st.dataframe``:
    a pandas Styler (Streamlit knows one by its exact type), answering Streamlit's two calls
    with ``_compute`` and ``_translate`` below."""
    styler = frame.style.format(formats)
    styler._compute = types.MethodType(_compute, styler)
    styler._translate = types.MethodType(_translate, styler)
    return styler


def _compute(styler: Styler) -> Styler:
    if styler._todo:
        raise NotImplementedError("shown() draws formats only: use a pandas Styler for CSS styles")
    return styler


def _translate(styler: Styler, sparse_index: bool, sparse_cols: bool, max_rows=None, max_cols=None,
               blank: str = "&nbsp;", dxs=None, trim: bool = True) -> dict:
    """Streamlit's part of pandas' render: the cells whose display differs from ``str(value)``,
    as one row of the body (Streamlit places each by its ``id``)."""
    funcs, frame = styler._display_funcs, styler.data
    default = funcs.default_factory()  # pandas' own display of a cell no format() named
    plain = frame.astype(str)
    cells = []
    for j in range(len(frame.columns)):
        # ``tolist()``: iterating a column of pandas' Arrow strings costs a call per value.
        for i, (value, text) in enumerate(zip(frame.iloc[:, j].tolist(), plain.iloc[:, j].tolist())):
            shown = funcs.get((i, j), default)(value)
            shown = str(shown.value if isinstance(shown, Enum) else shown)  # as Streamlit writes it
            if shown != text:
                cells.append({"id": f"row{i}_col{j}", "display_value": shown})
    return {"body": [cells], "cellstyle": [], "table_styles": []}
