"""Bills, payments, reversals and coverage status (``payung.finance``, ``payung.base.coverage``):
bill totals from their lines, per party (per OPD for Kendal), partial and duplicate payments,
reversals, lapsed months, and bill documents that break pages cleanly."""

import datetime as dt
import io

import pytest

from db.scope import EVERYTHING
from payung.auth.access import Actor
from openpyxl import load_workbook

from db import billing, queries, store
from payung.finance import bills
from payung.base import coverage
from payung.base.coverage import BELUM_JATUH_TEMPO, BERAKHIR, MENUNGGAK, TERLINDUNGI
from payung.reports.documents import bill_pdf, bill_xlsx, receipt_pdf
from payung.base.errors import ConstraintError, NotFound, ValidationError
from payung.finance.payments import payment_with_lines, record_payment, reverse_payment
from payung.people.sponsors import create_sponsor
from payung.enrolment.sponsorships import enrol
from payung.people.workers import create_worker

from conftest import NIK, pdf_pages, snapshot, worker_values
from shipped_schemes import KENDAL, KENDAL_VILLAGE, PRINGSEWU, budget_line, enrol_pringsewu, pringsewu_worker

TODAY = dt.date(2025, 3, 1)
FIELDS = {"budget_year": 2025}
JANUARY = {"from_month": "2025-01", "to_month": "2025-01"}


@pytest.fixture
def sponsor_id(app, db, admin):
    return create_sponsor(db, app.settings, {"type": "perorangan", "name": "Haji Slamet"}, actor=admin)


@pytest.fixture
def workers(app, db, admin):
    """Three workers; the second earns Rp1,5 juta and is enrolled with JHT."""
    ids = []
    for serial, (name, income) in enumerate((("Budi", 1_000_000), ("Ani", 1_500_000), ("Cahya", 800_000)), 1):
        nik = NIK[:12] + f"{serial:04d}"
        ids.append(create_worker(db, app.settings, worker_values(nik=nik, name=name, declared_income=income),
                                 actor=admin))
    return ids


def _enrol_all(app, db, admin, sponsor_id, workers, start="2025-01", months=12):
    programs = (["JKK", "JKM"], ["JKK", "JKM", "JHT"], ["JKK", "JKM"])
    return [enrol(db, app.plugins, actor=admin, scheme_code="contoh_desa", sponsor_id=sponsor_id, worker_id=w,
                  start_month=start, months=months, programs=p, fields=FIELDS) for w, p in zip(workers, programs)]


def _expected_month(app, income, jht):
    """A month's contribution from the configured rate table, computed here independently."""
    rate = app.settings.rates[-1]
    base = max(income, app.settings.min_income)
    return base * rate.jkk_bp // 10000 + rate.jkm + (base * rate.jht_bp // 10000 if jht else 0)


def test_bill_total_is_the_sum_of_its_lines_and_of_the_rate_table(app, db, admin, sponsor_id, workers):
    _enrol_all(app, db, admin, sponsor_id, workers)
    bill = bills.bill(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), from_month="2025-02",
                      today=TODAY, actor=Actor.system())
    assert len(bill.lines) == 3 and {l["month"] for l in bill.lines} == {"2025-02"}
    assert bill.total == sum(l["amount"] for l in bill.lines) == sum(l["jkk"] + l["jkm"] + l["jht"] for l in bill.lines)
    expected = (_expected_month(app, 1_000_000, False) + _expected_month(app, 1_500_000, True)
                + _expected_month(app, 800_000, False))
    assert bill.total == expected == 16_800 + (15_000 + 6_800 + 30_000) + 16_800
    assert bill.by_program() == {"JKK": 35_000, "JKM": 20_400, "JHT": 30_000}
    assert bill.total_in_words == "delapan puluh lima ribu empat ratus rupiah"
    # Advance payment: a three-month bill is three months of lines.
    quarter = bills.bill(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id),
                         from_month="2025-01", to_month="2025-03", today=TODAY, actor=Actor.system())
    assert quarter.total == 3 * expected and quarter.period == "Januari 2025 - Maret 2025"
    listed = bills.parties(db, app.plugins, "contoh_desa", "2025-02", actor=Actor.system())
    assert [(p["party_label"], p["lines"], p["workers"], p["amount"], p["open"]) for p in listed] == [
        ("Haji Slamet", 3, 3, expected, expected)]


def test_parties_count_each_worker_once_over_months_and_a_month_holds_one_line_per_worker(app, db, admin,
                                                                                           sponsor_id, workers):
    """A one-month list counts lines for workers (``billing.bill_parties``): that holds because
    the database refuses a worker's second line in a month; over months it counts them once."""
    _enrol_all(app, db, admin, sponsor_id, workers)
    quarter = bills.parties(db, app.plugins, "contoh_desa", "2025-01", "2025-03", actor=Actor.system())
    month = bills.parties(db, app.plugins, "contoh_desa", "2025-02", actor=Actor.system())
    assert [(p["lines"], p["workers"]) for p in quarter] == [(9, 3)]
    assert [(p["lines"], p["workers"]) for p in month] == [(3, 3)]
    line = next(iter(db.query("SELECT * FROM contribution_lines WHERE month = '2025-02' LIMIT 1")))
    line.pop("id")
    with pytest.raises(ConstraintError, match="satu iuran per pekerja per bulan"):
        with store.transaction(db):
            db.execute(f"INSERT INTO contribution_lines ({', '.join(line)}) VALUES ({', '.join('?' * len(line))})",
                       list(line.values()))


def test_a_payment_reads_the_open_lines_of_its_months_in_the_bills_order(app, db, admin, sponsor_id, workers):
    _enrol_all(app, db, admin, sponsor_id, workers)
    whole = dict(scheme_code="contoh_desa", party_key=str(sponsor_id), from_month="2025-01", to_month="2025-03",
                 today=TODAY, actor=Actor.system())
    record_payment(db, app.plugins, amount=51_800 + 10_000, paid_on=TODAY, **whole)  # one line, part of another
    full, open_only = bills.bill(db, app.plugins, **whole), bills.bill(db, app.plugins, unpaid_only=True, **whole)
    assert [l["id"] for l in open_only.lines] == [l["id"] for l in full.lines if l["paid_amount"] < l["amount"]]
    assert len(open_only.lines) == len(full.lines) - 1 and open_only.payable == full.payable
    assert [l["status"] for l in open_only.lines] == [l["status"] for l in full.lines[1:]]
    with pytest.raises(ValueError):  # its months cannot be read from the open lines alone
        bills.bill(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), from_month=None,
                   unpaid_only=True, actor=Actor.system())


def test_bill_spreadsheet_has_the_header_block_and_neutralises_formulas(app, db, admin, sponsor_id, workers):
    from payung.people.workers import update_worker
    update_worker(db, app.settings, workers[0], {"name": "=HYPERLINK(\"http://x\",\"klik\")"}, actor=admin)
    _enrol_all(app, db, admin, sponsor_id, workers)
    bill = bills.bill(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), from_month="2025-02",
                      today=TODAY, actor=Actor.system())
    sheet = load_workbook(io.BytesIO(bill_xlsx(bill, "Penyandang dana", dt.date(2025, 3, 1)))).active
    header = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(1, 12)}
    assert [c.value for c in sheet[13]][:4] == ["No", "Bulan", "NIK", "Nama pekerja"]
    assert header["Skema"] == "Skema Contoh Desa" and header["Penyandang dana"] == "Haji Slamet"
    assert header["Bulan"] == "Februari 2025" and header["Total tagihan"] == bill.total
    assert header["Terbilang"] == "delapan puluh lima ribu empat ratus rupiah"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=14)]
    names = [r[3] for r in rows[:-1]]
    assert "'=HYPERLINK(\"http://x\",\"klik\")" in names
    assert all(not str(v).startswith(("=", "+", "-", "@")) for r in rows for v in r if v is not None)
    assert rows[-1][3] == "TOTAL" and rows[-1][9] == bill.total == sum(r[9] for r in rows[:-1])
    pdf = bill_pdf(bill, "Penyandang dana")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1500


def test_partial_payment_pays_lines_in_the_stated_order_and_leaves_the_rest_open(app, db, admin, sponsor_id, workers):
    _enrol_all(app, db, admin, sponsor_id, workers)
    # January: Ani 51.800, Budi 16.800, Cahya 16.800 (by name); then February.
    payment_id = record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id),
                                amount=51_800 + 16_800 + 16_800 + 10_000, paid_on=dt.date(2025, 2, 10),
                                actor=admin, reference="TRF-1", from_month="2025-01", to_month="2025-02", today=TODAY)
    bill = bills.bill(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), from_month="2025-01",
                      to_month="2025-02", today=TODAY, actor=Actor.system())
    paid = [(l["month"], l["worker_name"], l["paid_amount"], l["status"]) for l in bill.lines]
    assert paid == [
        ("2025-01", "Ani", 51_800, TERLINDUNGI), ("2025-01", "Budi", 16_800, TERLINDUNGI),
        ("2025-01", "Cahya", 16_800, TERLINDUNGI),
        ("2025-02", "Ani", 10_000, BELUM_JATUH_TEMPO), ("2025-02", "Budi", 0, BELUM_JATUH_TEMPO),
        ("2025-02", "Cahya", 0, BELUM_JATUH_TEMPO)]
    receipt = payment_with_lines(db, payment_id, actor=admin)
    assert receipt["receipt"] == f"KW/2025/{payment_id:06d}" and receipt["party_label"] == "Haji Slamet"
    assert sum(a["allocated"] for a in receipt["allocations"]) == receipt["amount"] == 95_400
    assert receipt_pdf(receipt, "Skema Contoh Desa").startswith(b"%PDF")


def test_overpayment_is_refused_and_changes_nothing(app, db, admin, sponsor_id, workers):
    _enrol_all(app, db, admin, sponsor_id, workers, months=6)
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), amount=85_401,
                       paid_on=dt.date(2025, 2, 10), actor=admin, today=TODAY, **JANUARY)
    assert refused.value.problems[0].message == "Pembayaran Rp85.401 melebihi tagihan yang belum dibayar (Rp85.400)."
    for bad, rule in ((0, "amount_positive"), (16_800.0, "amount_positive")):
        with pytest.raises(ValidationError) as refused:
            record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), amount=bad,
                           paid_on=dt.date(2025, 2, 10), actor=admin, today=TODAY, **JANUARY)
        assert refused.value.problems[0].rule == rule
    with pytest.raises(ValidationError, match="masa depan"):
        record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), amount=100,
                       paid_on=dt.date(2025, 3, 2), actor=admin, today=TODAY, **JANUARY)
    assert snapshot(db) == before
    record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), amount=85_400,
                   paid_on=dt.date(2025, 2, 10), actor=admin, today=TODAY, **JANUARY)
    with pytest.raises(ValidationError, match="sudah lunas"):
        record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), amount=1,
                       paid_on=dt.date(2025, 2, 10), actor=admin, today=TODAY, **JANUARY)


def test_reversal_keeps_the_payment_and_opens_its_lines_again(app, db, admin, sponsor_id, workers):
    sponsorships = _enrol_all(app, db, admin, sponsor_id, workers, months=6)
    payment_id = record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), amount=85_400,
                                paid_on=dt.date(2025, 2, 10), actor=admin, reference="TRF-9", today=TODAY, **JANUARY)
    january = [queries.lines_of(db, s)[0] for s in sponsorships]
    assert all(l["paid_amount"] == l["amount"] for l in january)
    with pytest.raises(ValidationError, match="alasan"):
        reverse_payment(db, payment_id, reason=" ", actor=admin)
    reverse_payment(db, payment_id, reason="Transfer ditolak bank", actor=admin)
    assert all(l["paid_amount"] == 0 for s in sponsorships for l in queries.lines_of(db, s))
    kept = billing.payment(db, payment_id, EVERYTHING)
    assert (kept["amount"], kept["reversed_by"], kept["reversal_reason"]) == (85_400, "admin", "Transfer ditolak bank")
    assert len(billing.payment_allocations(db, payment_id)) == 3  # history kept
    with pytest.raises(ValidationError, match="sudah dibatalkan"):
        reverse_payment(db, payment_id, reason="Sekali lagi", actor=admin)
    # The bill can be paid again, and the reversed payment does not count as a duplicate.
    assert record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), amount=85_400,
                          paid_on=dt.date(2025, 2, 10), actor=admin, reference="TRF-9", today=TODAY, **JANUARY)


def _line(line_id, month, paid, worker=1, amount=16_800):
    return {"id": line_id, "worker_id": worker, "month": month, "amount": amount, "paid_amount": paid}


def test_status_follows_the_due_date_across_month_and_year_boundaries():
    lines = [_line(1, "2024-11", 16_800), _line(2, "2024-12", 0), _line(3, "2025-01", 0)]

    def status(today):
        return coverage.line_statuses(lines, today=today, due_day=15, lapse_months=3)
    # December 2024 falls due on 15 January 2025: not late on the 15th, late on the 16th.
    assert status(dt.date(2025, 1, 15)) == {1: TERLINDUNGI, 2: BELUM_JATUH_TEMPO, 3: BELUM_JATUH_TEMPO}
    assert status(dt.date(2025, 1, 16)) == {1: TERLINDUNGI, 2: MENUNGGAK, 3: BELUM_JATUH_TEMPO}
    assert status(dt.date(2025, 2, 16)) == {1: TERLINDUNGI, 2: MENUNGGAK, 3: MENUNGGAK}
    # Paid late, within the arrears limit: the month is protected.
    lines[1]["paid_amount"] = 16_800
    assert status(dt.date(2025, 2, 16))[2] == TERLINDUNGI
    # A part payment does not protect.
    lines[2]["paid_amount"] = 16_799
    assert status(dt.date(2025, 2, 16))[3] == MENUNGGAK
    assert coverage.due_date("2024-12", 31) == dt.date(2025, 1, 28)


def test_more_than_three_unpaid_months_end_the_membership():
    months = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"]
    three = [_line(i, m, 0) for i, m in enumerate(months[:3], 1)] + [_line(4, "2025-04", 16_800)]
    four = [_line(i, m, 0) for i, m in enumerate(months[:4], 1)] + [_line(5, "2025-05", 16_800)]
    # Three unpaid months (March fell due on 15 April): still in arrears, payable.
    assert coverage.line_statuses(three, today=dt.date(2025, 4, 16), due_day=15, lapse_months=3) == {
        1: MENUNGGAK, 2: MENUNGGAK, 3: MENUNGGAK, 4: TERLINDUNGI}
    today = dt.date(2025, 5, 16)  # a fourth unpaid month (April) fell due yesterday
    assert coverage.line_statuses(four, today=today, due_day=15, lapse_months=3) == {
        1: BERAKHIR, 2: BERAKHIR, 3: BERAKHIR, 4: BERAKHIR, 5: TERLINDUNGI}
    # A paid month breaks a run, and runs are per worker: April and May are two months in
    # arrears, not the 4th and 5th of a run; January and February are past their limit.
    broken = [_line(1, "2025-01", 0), _line(2, "2025-02", 0), _line(3, "2025-03", 16_800), _line(4, "2025-04", 0),
              _line(5, "2025-05", 0), _line(6, "2025-03", 0, worker=2), _line(7, "2025-04", 0, worker=2)]
    assert coverage.line_statuses(broken, today=dt.date(2025, 6, 16), due_day=15, lapse_months=3) == {
        1: BERAKHIR, 2: BERAKHIR, 3: TERLINDUNGI, 4: MENUNGGAK, 5: MENUNGGAK, 6: MENUNGGAK, 7: MENUNGGAK}
    # One unpaid month alone stays payable for three months after it fell due, then lapses.
    single = [_line(1, "2025-01", 0)]
    assert coverage.arrears_limit("2025-01", 15, 3) == dt.date(2025, 5, 15)
    assert coverage.line_statuses(single, today=dt.date(2025, 5, 15), due_day=15, lapse_months=3) == {1: MENUNGGAK}
    assert coverage.line_statuses(single, today=dt.date(2025, 5, 16), due_day=15, lapse_months=3) == {1: BERAKHIR}


def test_a_payment_cannot_settle_months_that_have_lapsed(app, db, admin, sponsor_id, workers):
    _enrol_all(app, db, admin, sponsor_id, workers[:1], months=12)
    late = dt.date(2025, 6, 1)  # January-April unpaid and overdue: the membership ended
    bill = bills.bill(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), from_month=None, today=late, actor=Actor.system())
    assert [l["status"] for l in bill.lines[:6]] == [BERAKHIR] * 4 + [BELUM_JATUH_TEMPO] * 2
    assert bill.payable == 8 * 16_800
    record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), amount=16_800,
                   paid_on=late, actor=admin, today=late)
    paid = [l["paid_amount"] for l in bills.bill(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id),
                                                  from_month=None, today=late, actor=Actor.system()).lines]
    assert paid[:5] == [0, 0, 0, 0, 16_800]  # May, the oldest month still payable


def test_the_same_payment_twice_is_refused_naming_the_earlier_receipt(app, db, admin, sponsor_id, workers):
    """The same party, scheme, amount, date and reference as a live payment: refused (nothing
    written) naming the receipt already recorded, unless confirmed as another payment."""
    _enrol_all(app, db, admin, sponsor_id, workers)
    same = dict(scheme_code="contoh_desa", party_key=str(sponsor_id), amount=16_800, paid_on=dt.date(2025, 2, 10),
                actor=admin, reference="TRF-002", today=TODAY, from_month="2025-01", to_month="2025-03")
    first = record_payment(db, app.plugins, **same)
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        record_payment(db, app.plugins, **(same | {"reference": " TRF-002 "}))
    problem = refused.value.problems[0]
    assert problem.rule == "duplicate_payment" and f"KW/2025/{first:06d}" in problem.message
    assert "Rp16.800" in problem.message and "10/02/2025" in problem.message and "TRF-002" in problem.message
    assert snapshot(db) == before
    # Another reference, date or amount is another payment; a confirmed duplicate is recorded.
    assert record_payment(db, app.plugins, **(same | {"reference": "TRF-003"}))
    assert record_payment(db, app.plugins, **same, confirm_duplicate=True)


def test_a_partial_payment_is_not_described_as_settling_its_line(app, db, admin, sponsor_id, workers):
    from payung.finance.payments import allocation_summary
    _enrol_all(app, db, admin, sponsor_id, workers)
    # January in order: Ani 51.800, Budi 16.800, Cahya 16.800. Rp10.000 pays part of Ani's line.
    part = record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), amount=10_000,
                          paid_on=dt.date(2025, 2, 10), actor=admin, today=TODAY, **JANUARY)
    assert allocation_summary(payment_with_lines(db, part, actor=admin)["allocations"]) == \
        "membayar sebagian 1 baris"
    # The rest of Ani's line, Budi's, and part of Cahya's: two settled, one in part.
    more = record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id),
                          amount=41_800 + 16_800 + 5_000, paid_on=dt.date(2025, 2, 11), actor=admin, today=TODAY,
                          **JANUARY)
    receipt = payment_with_lines(db, more, actor=admin)
    assert allocation_summary(receipt["allocations"]) == "melunasi 2 baris, membayar sebagian 1 baris"
    # The first payment still reads as the part it paid, though its line is settled now.
    assert allocation_summary(payment_with_lines(db, part, actor=admin)["allocations"]) == \
        "membayar sebagian 1 baris"
    text = pdf_pages(receipt_pdf(receipt, "Skema Contoh Desa"))[0]
    assert "Melunasi 2 baris, membayar sebagian 1 baris iuran:" in text and "Melunasi 3 baris" not in text


def _bill_of(n_lines: int, letterhead=None):
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    lines = [{"id": i, "month": months[i % 12], "nik": f"33240157087{i:05d}", "worker_id": i,
              "worker_name": f"Pekerja {i:03d}", "village_name": "Kalirejo", "sponsor_name": "Haji Slamet",
              "jkk": 10_000, "jkm": 6_800, "jht": 0, "amount": 16_800, "paid_amount": 0, "status": MENUNGGAK}
             for i in range(n_lines)]
    return bills.Bill("contoh_desa", "Skema Contoh Desa", bills.Party("sponsor", "1", "Haji Slamet"), "2025-01",
                      "2025-12", lines)


def test_a_bill_never_leaves_its_total_or_its_signatures_alone_on_a_page():
    """10 lines left the TOTAL row alone on page 2 under a repeated header; 5 lines left only the
    signatures there. Whatever the number of lines, the TOTAL is on the page of the last line,
    and the signature block on the page of the TOTAL."""
    from conftest import pdf_pages
    from payung.reports.letterhead import Letterhead
    head = Letterhead("PEMERINTAH KABUPATEN KENDAL", "DINAS SOSIAL", "Jl. Soekarno-Hatta No. 191, Kendal",
                      "Drs. Ahmad Fauzi", "Kepala Dinas Sosial", "197001011995031001")
    for n in range(1, 36):
        for letterhead in ((None, head) if n in (5, 10) else (head if n % 2 else None,)):
            pages = pdf_pages(bill_pdf(_bill_of(n), "Penyandang dana", dt.date(2025, 3, 1), letterhead=letterhead))
            last = f"Pekerja {n - 1:03d}"
            where = {what: [i for i, page in enumerate(pages) if what in page]
                     for what in (last, "TOTAL", "Terbilang:", "Mengetahui")}
            assert where[last] == where["TOTAL"] == where["Terbilang:"] == where["Mengetahui"], (n, where)
            assert all(f"Pekerja {k:03d}" in "".join(pages) for k in range(n))


def test_a_bills_amounts_are_never_broken_over_two_lines():
    """Pringsewu's 12 months of an OPD totalled JKK Rp3.925.000 in a 16 mm column: printed
    "Rp3.925.00" with "0" on the next line, which reads as another amount. A number is written
    smaller to fit its cell, on one line."""
    from conftest import pdf_pages
    big = _bill_of(3)
    for line in big.lines:
        line |= {"jkk": 1_308_334, "jkm": 779_734, "jht": 2_000_000, "amount": 4_088_068}
    text = pdf_pages(bill_pdf(big, "OPD", dt.date(2025, 3, 1)))[0]
    for amount in (3 * 1_308_334, 3 * 779_734, 3 * 2_000_000, 3 * 4_088_068, 4_088_068):
        written = f"Rp{amount:,}".replace(",", ".")
        assert written in text, (written, text[-800:])


def test_a_bill_cut_to_a_village_says_so_in_its_files():
    """A village operator's bill holds only its villages' workers, under the sponsor's name and a
    letterhead: its PDF and XLSX say so, and a whole bill's do not."""
    from openpyxl import load_workbook
    from conftest import pdf_pages
    from payung.reports.documents import bill_xlsx
    whole, cut = _bill_of(2), _bill_of(2)
    cut.only_villages = ("Kwasen",)
    for bill in (whole, cut):
        text = pdf_pages(bill_pdf(bill, "OPD", dt.date(2025, 3, 1)))[0]
        sheet = load_workbook(io.BytesIO(bill_xlsx(bill, "OPD", dt.date(2025, 3, 1))))["Tagihan"]
        cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
        said = "Hanya pekerja desa Kwasen"
        assert (said in text.replace("\n", " ") and said in cells) == (bill is cut), (bill is cut, text[:400])


def test_a_six_line_bill_fits_one_page_and_a_long_one_breaks_after_full_pages():
    """Six lines were printed on two pages: the header block took a third of page 1, five rows
    followed, and the sixth row, the TOTAL and the amount in words went to page 2. Now the
    header is two blocks side by side and six lines (names long enough to take two lines in
    their cells) print on one page, with or without the letterhead; a long bill fills each
    page before it breaks, and its TOTAL comes right after its last line."""
    from conftest import pdf_pages
    from payung.reports.letterhead import Letterhead
    head = Letterhead("PEMERINTAH KABUPATEN KENDAL", "DINAS SOSIAL", "Jl. Soekarno-Hatta No. 191, Kendal",
                      "Drs. Ahmad Fauzi", "Kepala Dinas Sosial", "197001011995031001")

    def bill(n):
        long = _bill_of(n)
        for line in long.lines:
            line |= {"worker_name": f"Sulastri Rahayuningsih Binti {line['worker_name']}",
                     "sponsor_name": "Dinas Pekerjaan Umum dan Penataan Ruang"}
        return long
    for letterhead in (None, head):
        pages = pdf_pages(bill_pdf(bill(6), "OPD", dt.date(2025, 3, 1), letterhead=letterhead))
        assert len(pages) == 1, [p[:200] for p in pages]
        assert all(f"Pekerja {k:03d}" in pages[0] for k in range(6))
        assert pages[0].index("Pekerja 005") < pages[0].index("TOTAL") < pages[0].index("Terbilang:")
        pages = pdf_pages(bill_pdf(bill(40), "OPD", dt.date(2025, 3, 1), letterhead=letterhead))
        rows = [sum(f"Pekerja {k:03d}" in page for k in range(40)) for page in pages]
        assert sum(rows) == 40 and all(r >= 11 for r in rows[:-1]), rows
        assert "TOTAL" not in "".join(pages[:-1]) and pages[-1].index("Pekerja 039") < pages[-1].index("TOTAL")


def test_kendal_is_billed_per_opd(people):
    first = people.sponsor("asn", nip="198503122010011002", opd="Dinas Sosial")
    second = people.sponsor("asn", nip="198701012015032001", opd="Dinas Sosial")
    third = people.sponsor("asn", nip="199001012019031003", opd="Bappeda")
    for asn in (first, second, third):
        people.enrol(KENDAL, asn, people.worker(KENDAL_VILLAGE), fields={"payment_method": "potong_gaji"})
    parties = bills.parties(people.db, people.app.plugins, KENDAL, "2025-03", actor=Actor.system())
    assert [(p["party_key"], p["workers"], p["amount"]) for p in parties] == [
        ("Bappeda", 1, 16_800), ("Dinas Sosial", 2, 33_600)]


def _bills_match_their_rows(people, scheme):
    """Every party listed for ``scheme`` has a bill of exactly the lines and amount of its row."""
    listed = bills.parties(people.db, people.app.plugins, scheme, "2025-01", "2025-03", actor=Actor.system())
    assert listed
    for row in listed:
        bill = bills.bill(people.db, people.app.plugins, scheme_code=scheme, party_key=row["party_key"],
                          from_month="2025-01", to_month="2025-03", actor=Actor.system())
        assert (len(bill.lines), bill.total, bill.party.label) == (row["lines"], row["amount"], row["party_label"])
    return listed


def test_a_bill_holds_the_lines_its_party_row_counts_for_each_kind_of_party(people):
    """Per OPD, per budget line and per sponsor: a party's lines are found by an index, not by
    comparing a key computed for every line; what the list counts is what the bill holds."""
    for nip, opd in (("198503122010011002", "Dinas Sosial"), ("198701012015032001", "Dinas Sosial"),
                     ("199001012019031003", "Bappeda")):
        asn = people.sponsor("asn", nip=nip, opd=opd)
        people.enrol(KENDAL, asn, people.worker(KENDAL_VILLAGE), fields={"payment_method": "potong_gaji"})
    assert [r["party_key"] for r in _bills_match_their_rows(people, KENDAL)] == ["Bappeda", "Dinas Sosial"]

    line = budget_line(people, 10_000_000)
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    for _ in range(2):
        enrol_pringsewu(people, apbd, pringsewu_worker(people))
    assert [r["party_key"] for r in _bills_match_their_rows(people, PRINGSEWU)] == [str(line)]


@pytest.mark.parametrize("key", ["abc", "٣", "99999999999999999999999", "-1", " 1", "", "0{id}"])
def test_a_party_key_that_names_no_party_finds_no_bill(app, db, admin, sponsor_id, workers, key):
    """Only the key the list gives names a party: "0" + the sponsor's id is no key (a payment
    recorded under it would escape the duplicate check, which compares keys as text)."""
    _enrol_all(app, db, admin, sponsor_id, workers)
    assert bills.bill(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), actor=admin,
                      **JANUARY).lines
    with pytest.raises(NotFound):
        bills.bill(db, app.plugins, scheme_code="contoh_desa", party_key=key.format(id=sponsor_id), actor=admin,
                   **JANUARY)


def test_a_bills_summary_and_its_pages_are_the_bill_it_stands_for(people):
    """The Tagihan page shows a bill as its summary (totals, what may be paid, what lapsed) and
    one page of lines at a time. On random histories of paid, half-paid and unpaid months, over
    one month and several, on several days and for each role, the summary adds up to what
    ``bill`` adds up from its lines, and its pages, laid end to end, are ``bill``'s lines: in
    payment order, with the same statuses and the same masked NIKs."""
    import random
    from payung.base.coverage import due_date
    from payung.base.months import add_months
    rng = random.Random(20261206)
    db, app = people.db, people.app
    village = KENDAL_VILLAGE
    other_village = next(r["code"] for r in queries.regions_in(db, "33.24.01", 4) if r["code"] != village)
    opds = sorted(app.settings.schemes[KENDAL]["opd"])[:3]
    for n in range(16):
        # The first two OPDs have workers in both villages (a village operator sees part of
        # their bills); the third only outside the village operator's (it sees none of it).
        here = n < 14 and n % 3 > 0
        worker = people.worker(village if here else other_village, born=dt.date(1970 + n, 1, 1))
        asn = people.sponsor("asn", nip=f"198503122010011{n + 1:03d}", opd=opds[n % 2] if n < 14 else opds[2])
        people.enrol(KENDAL, asn, worker, start=add_months("2024-06", rng.randrange(6)),
                     fields={"payment_method": "potong_gaji"})
    for month in (add_months("2024-06", i) for i in range(12)):
        for opd in opds:
            share = rng.choice((1, 0.5, 0.3, 0, 0))
            open_amount = sum(l["amount"] - l["paid_amount"] for l in bills.bill(
                db, app.plugins, scheme_code=KENDAL, party_key=opd, from_month=month, actor=people.actor).lines)
            if share and int(open_amount * share) > 0:
                record_payment(db, app.plugins, scheme_code=KENDAL, party_key=opd, amount=int(open_amount * share),
                               from_month=month, to_month=month, paid_on=due_date(month, 15),
                               today=due_date(month, 15), actor=people.actor)
    actors = (Actor("admin", "admin"), Actor("op.kendal", "operator", regency_code="33.24"),
              Actor("lihat", "viewer"), Actor("desa", "desa", regency_code="33.24", villages=(village,)))
    seen = set()
    whole_lines = {}
    for today in (dt.date(2024, 9, 1), dt.date(2025, 1, 20), dt.date(2025, 5, 16)):
        for start, end in (("2024-08", "2024-08"), ("2024-06", "2025-05"), ("2024-11", "2025-01")):
            for actor in actors:
                for opd in opds:
                    asked = dict(scheme_code=KENDAL, party_key=opd, from_month=start, to_month=end, today=today,
                                 actor=actor)
                    try:
                        whole = bills.bill(db, app.plugins, **asked)
                    except NotFound:  # none of the party's workers in the village operator's village
                        with pytest.raises(NotFound):
                            bills.summary(db, app.plugins, **asked)
                        seen.add("not found")
                        continue
                    summary = bills.summary(db, app.plugins, **asked)
                    assert (summary.party, summary.from_month, summary.to_month, summary.period) == (
                        whole.party, whole.from_month or start, whole.to_month or end, whole.period)
                    # A village operator's bill says it holds only its village's workers.
                    village_name = queries.region(db, village)["name"]
                    assert summary.coverage == whole.coverage and (
                        (village_name in whole.coverage) if actor.role == "desa" else whole.coverage is None)
                    assert (summary.line_count, summary.workers, summary.total, summary.paid, summary.open,
                            summary.payable, summary.lapsed_count, summary.total_in_words) == (
                        len(whole.lines), whole.workers, whole.total, whole.paid, whole.open, whole.payable,
                        len(whole.lapsed), whole.total_in_words), (today, start, end, actor.role, opd)
                    whole_lines.setdefault((today, start, opd), summary.line_count)  # the administrator's
                    if 0 < summary.line_count < whole_lines[today, start, opd]:
                        seen.add("part of the bill")
                    pages = [bills.bill_page(db, app.plugins, summary, page=p, per_page=4, actor=actor)
                             for p in range(1, -(-summary.line_count // 4) + 1)]
                    assert all(len(page) == 4 for page in pages[:-1])
                    assert [line for page in pages for line in page] == whole.lines, (today, start, actor.role)
                    seen |= {line["status"] for line in whole.lines}
                    seen |= {"masked"} if any("*" in line["nik"] for line in whole.lines) else set()
    # The histories cover every status, and the village operator sees part of some bills and none of another.
    assert seen >= {TERLINDUNGI, MENUNGGAK, BERAKHIR, BELUM_JATUH_TEMPO, "masked", "part of the bill", "not found"}
