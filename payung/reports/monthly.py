"""The monthly report (Laporan Bulanan) for the Bupati: an XLSX with a sheet per table and a
PDF of a few pages with the numbers and the charts."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from payung.base import clock
from payung.base.formats import count
from payung.base.identity import fmt_date
from payung.base.money import format_rupiah
from payung.base.months import format_month
from payung.base.spreadsheets import xlsx_bytes
from payung.reports import charts
from payung.reports.dashboard import Dashboard
from payung.reports.documents import _Document
from payung.reports.letterhead import Letterhead


def summary_rows(d: Dashboard) -> list[tuple[str, object]]:
    """The head-line figures, as (label, value) pairs; amounts are integer Rupiah."""
    return [
        ("Pekerja terlindungi", d.protected),
        ("Perubahan dari bulan lalu", d.change),
        ("Target", d.target or NO_TARGET),
        *([("Sudah terlindungi sebelumnya (dihitung dalam target)", d.already_covered)] if d.already_covered else []),
        ("Ditanggung (lunas atau belum)", d.covered),
        ("Iuran ditagihkan bulan ini (Rp)", d.billed_month),
        ("Iuran dibayar untuk bulan ini (Rp)", d.paid_month),
        (f"Iuran dibayar Januari-{format_month(d.view.month)} (Rp)", d.paid_year),
        (f"Tunggakan per {fmt_date(d.as_of)}: pekerja" if d.as_of else "Tunggakan: pekerja", d.late["workers"]),
        (f"Tunggakan per {fmt_date(d.as_of)}: jumlah (Rp)" if d.as_of else "Tunggakan: jumlah (Rp)",
         d.late["amount"]),
        ("Klaim dibayar", d.claims["claims"]),
        ("Manfaat klaim dibayar (Rp)", d.claims["benefits"]),
    ]


def report_xlsx(d: Dashboard) -> bytes:
    return xlsx_bytes([
        ("Ringkasan", ["Ukuran", "Nilai"], summary_rows(d), [("Laporan bulanan Payung", d.title)]),
        ("Per skema", ["Skema", "Terlindungi", "Target"],
         [(r["scheme"], r["protected"], r["target"] or NO_TARGET) for r in d.per_scheme]),
        (f"Per {d.region_level.lower()}"[:31], ["Kabupaten", "Kode", d.region_level, "Terlindungi"],
         [(r.get("regency", ""), r["code"], r["name"], r["protected"]) for r in d.by_region]),
        ("Per pekerjaan", ["Pekerjaan", "Terlindungi"], [(r["occupation"], r["protected"]) for r in d.by_occupation]),
        ("Jenis kelamin dan umur", ["Jenis kelamin", "Kelompok umur", "Terlindungi"],
         [(r["gender"], r["age_group"], r["protected"]) for r in d.by_gender_age]),
        ("Tren 12 bulan", ["Bulan", "Terlindungi", "Iuran dibayar (Rp)"],
         [(r["label"], r["protected"], r["paid"]) for r in d.trend]),
        ("Anggaran", ["Skema", "Pos anggaran", "Pagu (Rp)", "Terikat (Rp)", "Dibayar (Rp)"],
         [(b["scheme"], b["label"], b["amount"], b["committed"], b["paid"]) for b in d.budgets]),
    ])


#: A scheme (or a view) without a target says so, the same words in the PDF and the XLSX.
NO_TARGET = "tanpa target"


def _value(label: str, value) -> str:
    if isinstance(value, str):
        return value
    if "(Rp)" in label:
        return format_rupiah(value)
    return count(value, signed=label.startswith("Perubahan"))


def report_pdf(d: Dashboard, printed: dt.date | None = None, letterhead: Letterhead | None = None) -> bytes:
    """A4 pages: letterhead, the figures and per-scheme table, signature, then the charts."""
    pdf = _Document(f"Laporan bulanan {d.title}")
    pdf.add_page()
    pdf.kop(letterhead)
    pdf.text_line("LAPORAN BULANAN PERLINDUNGAN PEKERJA RENTAN", size=14, bold=True, height=8)
    pdf.text_line(d.title, size=11)
    pdf.text_line(f"Dicetak {fmt_date(printed or clock.today())} dari Payung", size=8)
    pdf.ln(3)
    pdf.pairs([(label.replace(" (Rp)", ""), _value(label, value)) for label, value in summary_rows(d)], label_width=80)
    pdf.ln(3)
    pdf.text_line("Per skema", bold=True)
    pdf.table(["Skema", "Terlindungi", "Target"],
              [[r["scheme"], count(r["protected"]), count(r["target"]) if r["target"] else NO_TARGET]
               for r in d.per_scheme], [110, 35, 35], size=9, align_right={1, 2})
    pdf.ln(6)
    pdf.signature(letterhead, printed or clock.today())
    pdf.add_page()
    with tempfile.TemporaryDirectory() as tmp:
        for n, (title, chart) in enumerate(charts.report_charts(d)):
            if chart is None:  # nothing to draw: said in a sentence, not as empty axes
                if pdf.will_page_break(16):
                    pdf.add_page()
                pdf.text_line(title, bold=True)
                pdf.text_line(charts.NO_DATA, size=9)
                pdf.ln(3)
                continue
            image = Path(tmp) / f"chart{n}.png"
            image.write_bytes(charts.to_png(chart))
            _place(pdf, image)
    return bytes(pdf.output())


def _place(pdf, image: Path, max_width: float = 180, max_height: float = 245) -> None:
    """An image scaled to the page width (and height), on a new page if it does not fit."""
    from PIL import Image
    with Image.open(image) as opened:
        width, height = opened.size
    scale = min(max_width / width, max_height / height)
    if pdf.will_page_break(height * scale + 4):
        pdf.add_page()
    pdf.image(str(image), w=width * scale, h=height * scale)
    pdf.ln(4)
