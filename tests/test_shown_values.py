"""``ui.shown_values``: the tables' Indonesian display, sent to the browser exactly as a pandas
Styler's, rendering only the cells it changes (it reads private pandas and Streamlit methods:
these tests fail when a pinned version changes them)."""

import datetime as dt
import enum

import pandas as pd
import pytest
from streamlit.elements.lib.pandas_styler_utils import marshall_styler
from streamlit.proto.ArrowData_pb2 import ArrowData

from payung.base import formats
from payung.base.money import format_rupiah
from ui import shown_values
from ui.widgets import _dataframe


class Kind(enum.Enum):
    OPD = "opd"


def rupiah(value) -> str:
    return "-" if pd.isna(value) else format_rupiah(int(value))


FRAMES = {
    "a bill's parties": (pd.DataFrame({
        "Pihak": ["Dinas Sosial", "Dinas Kesehatan", "BAZNAS"],
        "Pekerja": [3, 1_250, 7],
        "Tagihan": pd.array([16_800, 21_000_000, None], dtype="Int64"),
        "Status": ["Lunas", "Belum", None]}), {"Tagihan": rupiah, "Pekerja": lambda v: formats.count(int(v))}),
    "every kind of column": (pd.DataFrame({
        "teks": ["a", "", "x\u00a0y"], "bilangan": [1, -2, 3], "pecahan": [1.5, float("nan"), 2.0],
        "kosong": [None, None, "ada"], "benar": [True, False, True],
        "tanggal": pd.to_datetime(["2026-01-01", "2026-12-31", None]), "hari": [dt.date(2026, 1, 1)] * 3,
        "jenis": [Kind.OPD] * 3, "uang": pd.array([0, 1, None], dtype="Int64")}), {"uang": rupiah}),
    "no row": (pd.DataFrame({"Tagihan": pd.array([], dtype="Int64"), "Pihak": []}), {"Tagihan": rupiah}),
}


def sent(styler) -> ArrowData:
    proto = ArrowData()
    marshall_styler(proto, styler, "uuid")
    return proto


@pytest.mark.parametrize("name", FRAMES)
def test_the_browser_gets_what_a_pandas_styler_sends(name):
    frame, shown = FRAMES[name]
    theirs, ours = sent(frame.style.format(shown)), sent(shown_values.shown(frame, shown))
    assert ours.styler.display_values == theirs.styler.display_values
    assert (ours.styler.styles, ours.styler.caption) == (theirs.styler.styles, theirs.styler.caption)


def test_only_the_cells_whose_display_differs_are_rendered():
    frame, shown = FRAMES["a bill's parties"]
    cells = shown_values.shown(frame, shown)._translate(False, False)["body"]
    # 1.250 workers, the three amounts (a missing one: "-", not "<NA>") and the missing status
    # (pandas' "None" over the frame's "nan"); a name, a status, and 3 and 7 workers read the
    # same either way.
    assert sorted(cell["id"] for row in cells for cell in row) == [
        "row0_col2", "row1_col1", "row1_col2", "row2_col2", "row2_col3"]


def test_css_styles_are_refused_not_dropped():
    frame, shown = FRAMES["a bill's parties"]
    with pytest.raises(NotImplementedError):
        sent(shown_values.shown(frame, shown).map(lambda v: "color: red"))


def test_the_tables_draw_money_through_it(monkeypatch):
    drawn = []
    monkeypatch.setattr("ui.widgets.st.dataframe", lambda data, **kwargs: drawn.append(data))
    _dataframe(pd.DataFrame({"Pihak": ["A"], "Tagihan": ["Rp16.800"]}), None, ())
    assert drawn[0]._translate.__func__ is shown_values._translate
