"""Printable documents: bills (XLSX and PDF) and payment receipts (PDF).

PDFs use fpdf2's built-in Helvetica, so nothing depends on fonts installed on the machine;
text outside Latin-1 (a curly apostrophe in a name) is replaced rather than failing.
"""

from __future__ import annotations

import datetime as dt

from fpdf import FPDF

from payung.base import clock, formats
from payung.base.coverage import STATUS_LABELS
from payung.base.identity import fmt_date, mask_nik
from payung.base.money import format_rupiah, in_words
from payung.base.months import format_month
from payung.base.spreadsheets import xlsx_bytes
from payung.finance.bills import Bill
from payung.finance.payments import allocation_summary, settles
from payung.reports.letterhead import Letterhead

#: The height of ``_Document.signature`` (dates, titles, room to sign, name and NIP), in mm.
SIGNATURE_HEIGHT = 44
#: Room to sign (and stamp) between the titles and the name, in mm.
SIGNING_ROOM = 16

BILL_HEADERS = ["No", "Bulan", "NIK", "Nama pekerja", "Desa/Kelurahan", "Penyandang dana", "JKK", "JKM", "JHT",
                "Jumlah", "Dibayar", "Sisa", "Status"]


def _latin1(text) -> str:
    return str(text if text is not None else "").encode("latin-1", "replace").decode("latin-1")


def bill_header(bill: Bill, party_title: str, printed: dt.date) -> list[tuple[str, object]]:
    """The header block of a bill: scheme, who pays, months, totals in figures and in words."""
    return [
        ("Tagihan iuran BPJS Ketenagakerjaan", ""),
        ("Skema", bill.scheme_name),
        (party_title, bill.party.label),
        ("Bulan", bill.period),
        ("Jumlah pekerja", bill.workers),
        ("Jumlah baris", len(bill.lines)),
        ("Total tagihan", bill.total),
        ("Terbilang", bill.total_in_words),
        ("Sudah dibayar", bill.paid),
        ("Sisa tagihan", bill.open),
        ("Dicetak", fmt_date(printed)),
        *([("Cakupan", bill.coverage)] if bill.coverage else []),
    ]


def _bill_row(n: int, line: dict) -> list:
    return [n, format_month(line["month"]), mask_nik(line["nik"]), line["worker_name"], line["village_name"],
            line["sponsor_name"], line["jkk"], line["jkm"], line["jht"], line["amount"], line["paid_amount"],
            line["amount"] - line["paid_amount"], STATUS_LABELS.get(line.get("status"), line.get("status") or "")]


def bill_xlsx(bill: Bill, party_title: str, printed: dt.date | None = None) -> bytes:
    """The bill as a spreadsheet: the header block, then one row per line and a total row."""
    rows = [_bill_row(n, line) for n, line in enumerate(bill.lines, 1)]
    rows.append(["", "", "", "TOTAL", "", "", *bill.by_program().values(), bill.total, bill.paid, bill.open, ""])
    return xlsx_bytes([("Tagihan", BILL_HEADERS, rows, bill_header(bill, party_title, printed or clock.today()))])


class _Document(FPDF):
    def __init__(self, title: str, orientation: str = "P"):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.title_text = title
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(_latin1(title))
        self.set_creator("Payung")
        self.alias_nb_pages()

    def footer(self):
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 6, _latin1(f"{self.title_text} - halaman {self.page_no()}/{{nb}}"), align="C")

    def kop(self, head: Letterhead | None) -> None:
        """The letterhead: logo on the left, government, office and address centred, a rule."""
        if head is None or head.empty:
            return
        top, logo_height = self.get_y(), 20
        if head.logo:
            self.image(str(head.logo), x=self.l_margin, y=top, h=logo_height)
        self.set_xy(self.l_margin + (logo_height + 4 if head.logo else 0), top)
        width = self.w - self.r_margin - self.get_x() - (logo_height + 4 if head.logo else 0)
        for text, size, style in ((head.government, 13, "B"), (head.office, 12, "B"), (head.address, 9, "")):
            if text:
                self.set_font("Helvetica", style, size)
                x = self.get_x()
                self.multi_cell(width, size * 0.5, _latin1(text), align="C", new_x="LEFT", new_y="NEXT")
                self.set_x(x)
        bottom = max(self.get_y(), top + (logo_height if head.logo else 0)) + 2
        self.set_line_width(0.8)
        self.line(self.l_margin, bottom, self.w - self.r_margin, bottom)
        self.set_line_width(0.2)
        self.line(self.l_margin, bottom + 1, self.w - self.r_margin, bottom + 1)
        self.set_line_width(0.2)
        self.set_xy(self.l_margin, bottom + 4)

    def signature(self, head: Letterhead | None, printed: dt.date, *, left: str = "") -> None:
        """The signature block: ``left`` (e.g. the treasurer) and, on the right, the configured
        official with name and NIP (dotted lines where none is configured)."""
        head = head or Letterhead()
        if self.will_page_break(SIGNATURE_HEIGHT):
            self.add_page()
        column = (self.w - self.l_margin - self.r_margin) / 2
        y = self.get_y()
        self.set_font("Helvetica", "", 10)
        right = [f"Dicetak {fmt_date(printed)}", "Mengetahui,", head.official_title or "Penanggung jawab program"]
        for n, text in enumerate(right):
            self.set_xy(self.l_margin + column, y + 5 * n)
            self.cell(column, 5, _latin1(text), align="C")
        if left:
            self.set_xy(self.l_margin, y + 10)
            self.cell(column, 5, _latin1(left), align="C")
        name_y = y + 15 + SIGNING_ROOM
        self.set_font("Helvetica", "BU" if head.official else "B", 10)
        self.set_xy(self.l_margin + column, name_y)
        self.cell(column, 5, _latin1(head.official or "(..............................)"), align="C")
        if head.nip:
            self.set_font("Helvetica", "", 10)
            self.set_xy(self.l_margin + column, name_y + 5)
            self.cell(column, 5, _latin1(f"NIP {head.nip}"), align="C")
        if left:
            self.set_font("Helvetica", "B", 10)
            self.set_xy(self.l_margin, name_y)
            self.cell(column, 5, "(..............................)", align="C")
        self.set_xy(self.l_margin, name_y + 12)

    def text_line(self, text: str, *, size: int = 10, bold: bool = False, height: float = 6) -> None:
        self.set_font("Helvetica", "B" if bold else "", size)
        self.multi_cell(0, height, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    def pairs(self, rows: list[tuple[str, object]], label_width: float = 45) -> None:
        for label, value in rows:
            self.set_font("Helvetica", "B", 10)
            self.cell(label_width, 6, _latin1(label))
            self.set_font("Helvetica", "", 10)
            self.multi_cell(0, 6, _latin1(value), new_x="LMARGIN", new_y="NEXT")

    def pairs_side_by_side(self, left: list[tuple[str, object]], right: list[tuple[str, object]], *,
                           label_width: float = 32, height: float = 5.5) -> None:
        """Two blocks of label/value pairs next to each other (half the height of ``pairs``):
        on a bill the header took a third of the page and pushed the lines onto a second one."""
        half = (self.w - self.l_margin - self.r_margin) / 2
        top = self.get_y()
        bottom = top
        for x, rows in ((self.l_margin, left), (self.l_margin + half, right)):
            self.set_xy(x, top)
            for label, value in rows:
                self.set_x(x)
                self.set_font("Helvetica", "B", 10)
                self.cell(label_width, height, _latin1(label))
                self.set_font("Helvetica", "", 10)
                self.multi_cell(half - label_width - 2, height, _latin1(value), new_x="LEFT", new_y="NEXT")
            bottom = max(bottom, self.get_y())
        self.set_xy(self.l_margin, bottom)

    def text_height(self, text: str, *, size: int = 10, bold: bool = False, height: float = 6) -> float:
        """How tall ``text_line`` would draw ``text`` (nothing drawn)."""
        self.set_font("Helvetica", "B" if bold else "", size)
        return height * len(self.multi_cell(0, height, _latin1(text), dry_run=True, output="LINES") or [""])

    def table(self, headers: list[str], rows: list[list], widths: list[float], *, size: int = 7,
              align_right: set[int] = frozenset(), total_rows: int = 0, keep_after: float = 0) -> None:
        """A table whose header row is repeated on every page. The last ``total_rows`` rows (a
        TOTAL) stay on the page of the row before them, and ``keep_after`` millimetres (what
        follows the table: the amount in words, the signatures) with them: the page breaks
        before the last ordinary row rather than leave a TOTAL or a signature alone on a page."""
        def head():
            self.set_font("Helvetica", "B", size)
            self.set_fill_color(230, 236, 240)
            for header, width in zip(headers, widths):
                self.cell(width, 6, _latin1(header), border=1, fill=True)
            self.ln()
        head()
        self.set_font("Helvetica", "", size)
        line_height = size * 0.55

        def fitted(i: int, text: str, width: float) -> float:
            """The font size of a cell: a number (the right-aligned columns) is never broken over
            two lines (a TOTAL of "Rp3.925.00" and "0" below it reads as another amount), it is
            written smaller instead."""
            room = width - 2 * self.c_margin
            if i not in align_right or not text:
                return size
            self.set_font("Helvetica", "", size)
            wide = self.get_string_width(text)
            return size if wide <= room else max(3.0, int(size * room / wide * 4) / 4)

        def row_height(texts: list[str]) -> float:
            # A cell wraps at word boundaries ("Belum jatuh tempo" on two lines, never "Belum
            # jatuh t"); the row is as tall as its tallest cell.
            lines = [[text] if i in align_right else
                     self.multi_cell(width, line_height, text, dry_run=True, output="LINES") or [""]
                     for i, (text, width) in enumerate(zip(texts, widths))]
            return max(len(cell) for cell in lines) * line_height + 1

        all_texts = [[_latin1(value) for value in row] for row in rows]
        tail = sum(row_height(texts) for texts in all_texts[len(rows) - total_rows:]) if total_rows else 0
        last_plain = len(rows) - total_rows - 1
        for n, texts in enumerate(all_texts):
            height = row_height(texts)
            needed = height + (tail + keep_after if n == last_plain else 0)
            if self.will_page_break(needed):
                self.add_page()
                head()
                self.set_font("Helvetica", "", size)
            x, y = self.get_x(), self.get_y()
            for i, (text, width) in enumerate(zip(texts, widths)):
                self.rect(x, y, width, height)
                self.set_xy(x, y + 0.5)
                self.set_font_size(fitted(i, text, width))
                self.multi_cell(width, line_height, text, align="R" if i in align_right else "L",
                                new_x="RIGHT", new_y="TOP")
                self.set_font_size(size)
                x += width
            self.set_xy(self.l_margin, y + height)


def _money_cells(row: list) -> list:
    return [format_rupiah(v) if isinstance(v, int) and i in (6, 7, 8, 9, 10, 11) else v for i, v in enumerate(row)]


def bill_pdf(bill: Bill, party_title: str, printed: dt.date | None = None,
             letterhead: Letterhead | None = None) -> bytes:
    """A printable bill (A4 landscape): letterhead, header block, the lines, totals and signatures."""
    printed = printed or clock.today()
    pdf = _Document(f"Tagihan {bill.scheme_name} - {bill.party.label} - {bill.period}", "L")
    pdf.add_page()
    pdf.kop(letterhead)
    pdf.text_line("TAGIHAN IURAN BPJS KETENAGAKERJAAN PEKERJA RENTAN", size=14, bold=True, height=8)
    if bill.coverage:
        pdf.text_line(bill.coverage, bold=True)
    # Who and what on the left, the amounts on the right; the amount in words follows the TOTAL
    # and the print date is in the signature block.
    header = dict(bill_header(bill, party_title, printed))
    pdf.pairs_side_by_side(
        [(label, header[label]) for label in ("Skema", party_title, "Bulan", "Jumlah pekerja")],
        [(label, format_rupiah(header[label])) for label in ("Total tagihan", "Sudah dibayar", "Sisa tagihan")]
        + [("Jumlah baris", header["Jumlah baris"])])
    pdf.ln(3)
    rows = [_money_cells(_bill_row(n, line)) for n, line in enumerate(bill.lines, 1)]
    rows.append(_money_cells(["", "", "", "TOTAL", "", "", *bill.by_program().values(), bill.total, bill.paid,
                              bill.open, ""]))
    words = f"Terbilang: {bill.total_in_words}"
    note = ("Pembayaran melunasi baris tagihan berurutan: bulan terlama lebih dulu, lalu urut nama pekerja. "
            "Satu bulan melindungi pekerja hanya bila iurannya lunas.")
    # The TOTAL stays with the last lines, and the amount in words and the signatures with it.
    after = 3 + pdf.text_height(words, bold=True) + pdf.text_height(note, size=8, height=4.5) + 4 + SIGNATURE_HEIGHT
    pdf.table(BILL_HEADERS, rows, [9, 22, 28, 38, 30, 32, 16, 16, 14, 19, 19, 17, 17],
              align_right={0, 6, 7, 8, 9, 10, 11}, total_rows=1, keep_after=after)
    pdf.ln(3)
    pdf.text_line(words, bold=True)
    pdf.text_line(note, size=8, height=4.5)
    pdf.ln(4)
    pdf.signature(letterhead, printed, left="Bendahara / penanggung jawab pembayaran,")
    return bytes(pdf.output())


def receipt_pdf(payment: dict, scheme_name: str, letterhead: Letterhead | None = None,
                printed: dt.date | None = None) -> bytes:
    """The receipt (kwitansi) of a recorded payment, with the lines it paid."""
    pdf = _Document(f"Tanda terima {payment['receipt']}")
    pdf.add_page()
    pdf.kop(letterhead)
    pdf.text_line("TANDA TERIMA PEMBAYARAN IURAN", size=14, bold=True, height=8)
    pdf.text_line("BPJS Ketenagakerjaan pekerja rentan", size=10)
    pdf.ln(2)
    months = (format_month(payment["from_month"]) if payment["from_month"] == payment["to_month"]
              else f"{format_month(payment['from_month'])} - {format_month(payment['to_month'])}") \
        if payment.get("from_month") else "-"
    pdf.pairs([
        ("Nomor", payment["receipt"]),
        ("Skema", scheme_name),
        ("Diterima dari", payment["party_label"]),
        ("Tagihan bulan", months),
        ("Tanggal bayar", fmt_date(dt.date.fromisoformat(payment["paid_on"]))),
        ("Jumlah", format_rupiah(payment["amount"])),
        ("Terbilang", in_words(payment["amount"])),
        ("Referensi", payment.get("reference") or "-"),
        ("Dicatat oleh", f"{payment['recorded_by']} pada {formats.date(payment['recorded_at'])}"),
    ])
    if payment.get("reversed_at"):
        pdf.ln(2)
        pdf.text_line(f"DIBATALKAN pada {formats.date(payment['reversed_at'])} oleh {payment['reversed_by']}: "
                      f"{payment['reversal_reason']}", bold=True)
    pdf.ln(3)
    allocations = payment.get("allocations", [])
    summary = allocation_summary(allocations)
    pdf.text_line(f"{summary[0].upper()}{summary[1:]} iuran:", bold=True)
    pdf.table(["Bulan", "NIK", "Nama pekerja", "Iuran", "Dari pembayaran ini", "Keterangan"],
              [[format_month(a["month"]), mask_nik(a["nik"]), a["worker_name"], format_rupiah(a["amount"]),
                format_rupiah(a["allocated"]),
                "Lunas" if settles(a) else "Sebagian"]
               for a in allocations],
              [26, 33, 52, 24, 30, 25], size=8, align_right={3, 4}, keep_after=6 + SIGNATURE_HEIGHT)
    pdf.ln(6)
    pdf.signature(letterhead, printed or clock.today())
    return bytes(pdf.output())

