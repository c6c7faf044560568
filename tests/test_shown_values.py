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


def _display(proto) -> pd.DataFrame:
    """The texts the browser shows over the data (a Styler's display values)."""
    import pyarrow as pa
    return pa.ipc.open_stream(proto.styler.display_values).read_all().to_pandas()


def test_text_excel_would_run_is_quoted_in_the_data_and_shown_as_typed(monkeypatch):
    """A name typed by someone else ("=HYPERLINK(...)", a village operator's worker) was the cell's
    data as it is: the table's "Unduh CSV (Excel)" writes the data (Streamlit quotes nothing), and
    Excel ran it. The data holds it behind an apostrophe (``spreadsheets.quoted``); the screen shows
    it as typed, an apostrophe typed before one as typed too; a lone "-" and plain text stay."""
    drawn = []
    monkeypatch.setattr("ui.widgets.st.dataframe", lambda data, **kwargs: drawn.append(data))
    typed = ['=HYPERLINK("http://evil.example","klik")', "+62812345678", "'=1+1", "-", "Budi", None, "@SUM(A1)"]
    _dataframe(pd.DataFrame({"Nama": typed, "Jumlah": ["Rp5"] * len(typed)}), None, ())
    data = drawn[0].data
    assert data["Nama"].tolist()[:5] == ["'" + typed[0], "'+62812345678", "''=1+1", "-", "Budi"]
    assert data["Nama"].tolist()[6] == "'@SUM(A1)"
    display, sent_data = _display(sent(drawn[0])), drawn[0].data
    shown = [display.iloc[i, 0] if isinstance(display.iloc[i, 0], str) and display.iloc[i, 0] else str(sent_data.iloc[i, 0])
             for i in range(len(typed))]
    assert [s for s, t in zip(shown, typed) if t is not None] == [t for t in typed if t is not None]


def test_a_money_column_holds_exactly_the_amounts_a_64_bit_column_can():
    """Text reads as money only if the table's column of numbers (Int64) can hold it: the
    smallest and largest such amounts are money, one beyond either end is text (a reference
    typed "Rp999.999.999.999.999.999.999" stopped Pembayaran)."""
    from ui.widgets import _is_money
    assert _is_money(["-Rp9.223.372.036.854.775.808", "Rp9.223.372.036.854.775.807", "-"])
    assert not _is_money(["Rp9.223.372.036.854.775.808"])
    assert not _is_money(["-Rp9.223.372.036.854.775.809"])
    assert not _is_money(["Rp007"]) and _is_money(["Rp0", "Rp1.250.000"])
