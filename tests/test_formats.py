"""The formatting layer for people (payung/formats.py) and where it is used: XLSX, PDF, charts."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from payung import formats
from payung.exports import xlsx_bytes


@pytest.mark.parametrize("value, shown", [
    (dt.date(2026, 12, 1), "01/12/2026"), ("2026-12-01", "01/12/2026"), ("2026-12-01T14:05:09", "01/12/2026 14:05"),
    ("2026-12-01 14:05:09", "01/12/2026 14:05"), (None, ""), ("", ""), ("2026-01", "Januari 2026"),
])
def test_dates_are_day_month_year(value, shown):
    assert formats.date(value) == shown


def test_months_states_codes_and_numbers():
    assert formats.month_short("2026-01") == "Jan 2026" and formats.month_short("2025-08") == "Agu 2025"
    assert formats.month("2025-08") == "Agustus 2025"
    assert formats.months_span("2026-01", "2026-03") == "Januari - Maret 2026"
    assert formats.months_span("2025-12", "2026-02") == "Desember 2025 - Februari 2026"
    assert formats.months_span("2026-01", "2026-01") == "Januari 2026"
    assert formats.status("diajukan") == "Diajukan" and formats.status("belum_jatuh_tempo") == "Belum jatuh tempo"
    assert formats.status(None) == "-"
    assert formats.funding("SG", {"SG": "Pemerintah (APBN/APBD)"}) == "SG (Pemerintah (APBN/APBD))"
    assert formats.regency("73.22", {"73.22": "Kabupaten Luwu Utara"}) == "Kabupaten Luwu Utara"
    assert formats.regency("73.22", {"73.22": "Luwu Utara"}) == "Kabupaten Luwu Utara"
    assert formats.rupiah(1_250_000) == "Rp1.250.000" and formats.count(12345) == "12.345"


def test_xlsx_for_people():
    data = xlsx_bytes([("Tagihan", ["No", "NIK", "Nama pekerja", "Jumlah"],
                        [[1, "3324015708750001", "Siti Aminah binti Abdul Rahman", 1_250_000]],
                        [("Jumlah pekerja yang ditagih bulan ini", 1), ("Total tagihan", 1_250_000)])])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header = 4
    assert [c.value for c in sheet[header]] == ["No", "NIK", "Nama pekerja", "Jumlah"]
    assert all(c.font.bold for c in sheet[header]) and sheet.freeze_panes == f"A{header + 1}"
    assert sheet.auto_filter.ref == f"A{header}:D{header + 1}"
    nik, amount = sheet.cell(header + 1, 2), sheet.cell(header + 1, 4)
    assert nik.value == "3324015708750001" and nik.data_type == "s" and nik.number_format == "@"
    assert amount.value == 1_250_000 and amount.number_format == "#,##0"
    assert sheet.cell(2, 2).number_format == "#,##0"  # the header block's total
    width = {c: sheet.column_dimensions[c].width for c in "ABCD"}
    assert width["A"] >= len("Jumlah pekerja yang ditagih bulan ini")  # the header block's label
    assert width["B"] >= 16 and width["C"] >= len("Siti Aminah binti Abdul Rahman")
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage


def test_pdf_table_cells_wrap_instead_of_cutting_words():
    from payung.documents import _Document
    pdf = _Document("Uji")
    pdf.set_compression(False)
    pdf.add_page()
    pdf.table(["Bulan", "Status"], [["Januari 2026", "Belum jatuh tempo"]], [20, 14], size=8)
    content = bytes(pdf.output())
    assert b"(tempo)" in content and b"(Belum jatuh t)" not in content


def test_count_axes_tick_at_whole_numbers_and_months_read_jan_2026():
    from payung.charts import region_bar, trend_lines
    from payung.dashboard import Dashboard, View
    d = Dashboard(view=View("2026-01"), title="", protected=1, protected_previous=0, covered=1, target=0,
                  paid_month=0, billed_month=0, paid_year=0, late={}, claims={}, by_region=[{"code": "33.24.01", "name": "Plantungan", "protected": 1}],
                  trend=[{"month": "2025-12", "label": "Desember 2025", "protected": 0, "paid": 0},
                         {"month": "2026-01", "label": "Januari 2026", "protected": 1, "paid": 16800}])
    spec = region_bar(d).to_dict()
    assert spec["encoding"]["x"]["axis"]["tickMinStep"] == 1
    assert spec["height"] == {"step": 24}  # one row per village: the names never overlap
    trend = trend_lines(d).to_dict()
    months = trend["vconcat"][0]["encoding"]["x"]
    assert months["field"] == "short" and months["sort"] == ["Des 2025", "Jan 2026"]
