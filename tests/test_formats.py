"""The formatting layer for people (payung/base/formats.py) and where it is used: XLSX, PDF, charts."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from payung.base import clock, formats
from payung.base.spreadsheets import xlsx_bytes


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
    from payung.reports.documents import _Document
    pdf = _Document("Uji")
    pdf.set_compression(False)
    pdf.add_page()
    pdf.table(["Bulan", "Status"], [["Januari 2026", "Belum jatuh tempo"]], [20, 14], size=8)
    content = bytes(pdf.output())
    assert b"(tempo)" in content and b"(Belum jatuh t)" not in content


def test_count_axes_tick_at_whole_numbers_and_months_read_jan_2026():
    from payung.reports.charts import region_bar, trend_lines
    from payung.reports.dashboard import Dashboard, View
    d = Dashboard(view=View("2026-01"), title="", protected=1, protected_previous=0, covered=1, target=0,
                  paid_month=0, billed_month=0, paid_year=0, late={}, claims={}, by_region=[{"code": "33.24.01", "name": "Plantungan", "protected": 1}],
                  trend=[{"month": "2025-12", "label": "Desember 2025", "protected": 0, "paid": 0},
                         {"month": "2026-01", "label": "Januari 2026", "protected": 1, "paid": 16800}])
    spec = region_bar(d).to_dict()
    # Whole-number ticks chosen by Payung (Vega's tickMinStep still allowed half steps).
    assert spec["encoding"]["x"]["axis"]["values"] == [0, 1] and spec["encoding"]["x"]["axis"]["format"] == ",.0f"
    assert spec["height"] == {"step": 24}  # one row per village: the names never overlap
    trend = trend_lines(d).to_dict()
    months = trend["vconcat"][0]["encoding"]["x"]
    assert months["field"] == "short" and months["sort"] == ["Des 2025", "Jan 2026"]


def _axis_labels(chart) -> list[list[str]]:
    """The number labels of each axis of a chart as vl-convert draws it (as the browser does)."""
    import re

    import vl_convert as vlc
    svg = vlc.vegalite_to_svg(chart.to_dict())
    axes, current = [], []
    for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg):
        if re.fullmatch(r"-?[\d.]+(,\d+)?", text):
            current.append(text)
        elif current:
            axes.append(current)
            current = []
    return axes + ([current] if current else [])


def test_money_axes_choose_their_unit_and_no_two_ticks_read_alike():
    """A village's Rp67.200 a month read "0,0 0,0 0,0 0,1 0,1 0,1" (juta Rp); a count of 0-2
    workers read "0 1 1 2 2" (Vega's tickMinStep allows half steps there)."""
    from payung.reports.charts import budget_bar, money_unit, nice_ticks, trend_lines
    from payung.reports.dashboard import Dashboard, View
    assert [money_unit([v])[1] for v in (0, 800, 67_200, 2_500_000, 1_500_000_000)] == [
        "Rp", "Rp", "ribu Rp", "juta Rp", "miliar Rp"]
    assert nice_ticks(2) == [0, 1, 2] and nice_ticks(67.2) == [0, 20, 40, 60, 80]
    assert nice_ticks(0.3, smallest_step=1) == [0, 1]
    for paid, unit in (([0, 16_800, 33_600, 67_200], "ribu Rp"), ([0, 1_200_000, 2_500_000], "juta Rp"),
                       ([0, 0, 0], "Rp"), ([0, 30_000_000, 1_900_000_000], "miliar Rp")):
        trend = [{"month": f"2026-{i + 1:02d}", "label": "", "protected": i, "paid": p} for i, p in enumerate(paid)]
        d = Dashboard(view=View("2026-03"), title="", protected=1, protected_previous=0, covered=1, target=0,
                      paid_month=0, billed_month=0, paid_year=0, late={}, claims={}, by_region=[], trend=trend,
                      budgets=[{"name": "APBDes 2026", "amount": paid[-1] * 3, "committed": paid[-1],
                                "paid": paid[1]}])
        spec = trend_lines(d, width=400).to_dict()
        assert spec["vconcat"][1]["encoding"]["y"]["axis"]["title"] == f"Iuran dibayar ({unit})"
        for chart in (trend_lines(d, width=400), budget_bar(d, width=400)):
            for labels in _axis_labels(chart):
                assert len(labels) == len(set(labels)), (paid, labels)


def test_stored_times_show_in_local_time_and_the_audit_log_in_words():
    """Log audit showed "Waktu (UTC)" and "created_at=2026-12-03T13:53:34+00:00, expires_at=...,
    active=1"; its "No." column showed a scheme's code."""
    import json

    from payung.base import formats
    from payung.auth.audit import changes, row_label
    assert formats.moment("2026-12-03T13:53:34+00:00") == "03/12/2026 20:53" and formats.zone_label() == "WIB"
    assert formats.date("2026-12-03T23:10:00+00:00") == "04/12/2026 06:10"  # the next day in Jakarta
    assert formats.local_day_start(dt.date(2026, 12, 4)) == "2026-12-03T17:00:00+00:00"
    # A day a thing happened (a scheme retired): the local day, not the stored UTC text's first ten.
    assert formats.day("2026-12-03T23:10:00+00:00") == "04/12/2026" and formats.day(None) == ""
    try:
        clock.set_timezone("Asia/Makassar")
        assert formats.moment("2026-12-03T13:53:34+00:00") == "03/12/2026 21:53" and formats.zone_label() == "WITA"
    finally:
        clock.set_timezone("Asia/Jakarta")
    entry = {"action": "insert", "before": None, "table_name": "sessions", "row_id": "7", "after": json.dumps({
        "id": 7, "created_at": "2026-12-03T13:53:34+00:00", "expires_at": "2026-12-10T13:53:34+00:00", "active": 1,
        "amount": 193000, "village_code": "33.24.14.2003", "role": "viewer", "start_month": "2026-12"})}
    text = changes(entry, {"33.24.14.2003": "Donosari"})
    assert text == ("Dibuat: 03/12/2026 20:53; Berakhir: 10/12/2026 20:53; Aktif: Ya; Jumlah: Rp193.000; "
                    "Desa/kelurahan: Donosari; Peran: Pemantau (hanya lihat); Bulan mulai: Desember 2026")
    update = {"action": "update", "table_name": "workers", "row_id": "3",
              "before": json.dumps({"name": "budi", "name_key": "budi"}),
              "after": json.dumps({"name": "Budi José", "name_key": "budi jose", "updated_at": "x"})}
    assert changes(update) == "Nama: budi → Budi José"  # not its search key: db.store derives it
    created = {"action": "insert", "table_name": "workers", "row_id": "3", "before": None,
               "after": json.dumps({"id": 3, "name": "Budi José", "name_key": "budi jose"})}
    assert changes(created) == "Nama: Budi José"
    assert row_label({"table_name": "schemes", "row_id": "pringsewu_uc"}, {}, {"pringsewu_uc": "Universal Coverage"}) \
        == "Universal Coverage"
    assert row_label({"table_name": "workers", "row_id": "12"}, {}, {}) == "#12"


def test_decimals_and_conditional_rules_read_as_indonesian_prose():
    from payung.base import formats
    from payung.schemes.declarative import build_rule
    assert formats.decimal(0.04) == "0,0" and formats.decimal(1234.56) == "1.234,6" and formats.decimal(2.5) == "2,5"
    rule = build_rule({"rule": "when", "field": "kategori", "value": "apbd", "label": "kategori APBD kabupaten",
                       "rules": [{"rule": "sponsor_type_in", "types": ["apbd_kabupaten"]},
                                 {"rule": "worker_occupation_in", "codes": ["aparatur_desa"]}]})
    assert ".;" not in rule.description and rule.description.endswith(".") and not rule.description.endswith("..")


def test_a_label_inside_a_sentence_keeps_its_acronym():
    from payung.base.formats import mid_sentence
    assert mid_sentence("Penyandang dana") == "penyandang dana"
    assert mid_sentence("OPD") == "OPD" and mid_sentence("Pos anggaran") == "pos anggaran"


def test_every_key_a_set_based_write_records_has_an_indonesian_label():
    """The audit log showed "Change: paid_amount; Count: 2": every key that ``db`` records for a
    bulk or set-based write is labelled in payung.auth.audit (the fallback is the raw key)."""
    import re

    from conftest import ROOT
    from payung.auth.audit import FIELD_LABELS
    keys = {"count", "first_id", "last_id", "note"}  # db.store.bulk_insert
    for path in (ROOT / "db").glob("*.py"):
        for summary in re.findall(r"summary=\{([^}]*)\}", path.read_text(encoding="utf-8")):
            keys.update(re.findall(r'"([a-z_]+)":', summary))
    assert keys - {"note"} and not sorted(keys - set(FIELD_LABELS))


def test_today_is_the_regencys_date_not_the_servers(monkeypatch):
    """On a server set to UTC, from 00:00 to 07:00 WIB the machine's date is yesterday: the
    audit log's "until today" hid everything written since midnight (found by CI at 00:06 WIB)."""
    from payung.base.months import current_month
    monkeypatch.setattr(clock, "utc_now", lambda: dt.datetime(2026, 12, 31, 17, 30, tzinfo=dt.timezone.utc))
    assert clock.today() == dt.date(2027, 1, 1) and clock.now() == dt.datetime(2027, 1, 1, 0, 30)
    assert current_month() == "2027-01"
    try:
        clock.set_timezone("UTC")
        assert clock.today() == dt.date(2026, 12, 31)
    finally:
        clock.set_timezone("Asia/Jakarta")


def test_no_code_reads_the_machines_date_or_time():
    """Every "today" and "now" comes from payung/base/clock.py (the regency's zone, one clock that
    tests can set), never from the machine's own date."""
    import re
    root = Path(__file__).resolve().parents[1]
    asks = re.compile(r"\b(?:date\.today|datetime\.now|datetime\.utcnow|datetime\.today)\s*\(|\btime\.localtime\s*\(")
    found = [f"{path.relative_to(root)}:{n}" for folder in ("payung", "pages", "ui", "db", "plugins")
             for path in (root / folder).rglob("*.py") if path.name != "clock.py" or folder != "payung"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if asks.search(line)]
    found += [f"app.py:{n}" for n, line in enumerate((root / "app.py").read_text(encoding="utf-8").splitlines(), 1)
              if asks.search(line)]
    assert not found, found


def test_numbers_get_a_thousands_point_and_sentences_keep_their_commas():
    """Messages were written as f"{n:,} baris data, {k} kolom.".replace(",", "."): the thousands
    got their point, and so did the sentence ("9 baris data. 4 kolom."). One formatter for
    numbers (formats.count, format_count for plugins); a year bound stays a year."""
    import re

    from payung.schemes.fields import Field, validate_fields
    assert formats.count(1234567) == "1.234.567" and formats.count(-5, signed=True) == "-5"
    assert formats.count(1200, signed=True) == "+1.200" and formats.count(None) == "0"
    fields = [Field("year", "Tahun, anggaran", "year", minimum=2020), Field("amount", "Jumlah", "rupiah", maximum=1_000_000)]
    _, problems = validate_fields(fields, {"year": 2019, "amount": 2_000_000})
    assert sorted(p.message for p in problems) == ["«Jumlah» maksimal 1.000.000.", "«Tahun, anggaran» minimal 2020."]
    root = Path(__file__).resolve().parents[1]
    # Only the formatters themselves (and the file reader's child process, which imports nothing
    # of Payung) may turn commas into points.
    allowed = {"payung/base/formats.py", "payung/base/money.py", "payung/imports/sandbox.py"}
    found = [f"{path.relative_to(root)}:{n}" for folder in ("payung", "pages", "ui", "db", "plugins")
             for path in (root / folder).rglob("*.py") if str(path.relative_to(root)) not in allowed
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"""\.replace\(\s*["'],["']\s*,\s*["']\.["']\s*\)""", line)]
    assert not found, found


@pytest.mark.parametrize("part, whole, shown", [
    (0, 1_000_000, 0), (3_000, 1_000_000, 1), (4_999, 1_000_000, 1), (17_000, 1_000_000, 2),
    (500_000, 1_000_000, 50), (994_000, 1_000_000, 99), (997_000, 1_000_000, 99), (1_000_000, 1_000_000, 100),
    (1_200_000, 1_000_000, 120), (1_004_000, 1_000_000, 101), (5, 0, 0), (-5, 100, 0),
])
def test_a_whole_percent_is_0_only_when_nothing_is_used_and_100_only_when_exactly_all_is(part, whole, shown):
    assert formats.whole_percent(part, whole) == shown


def test_items_are_joined_as_a_sentence_says_them():
    assert [formats.joined(items) for items in ([], ["a"], ["a", "b"], ["a", "b", "c"])] == [
        "", "a", "a dan b", "a, b dan c"]
