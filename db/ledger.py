"""Set-based writes on contribution lines (audited through ``store.execute``)."""

from __future__ import annotations

from db import store


def apply_allocations(db, payment_id: int, *, actor: str, reverse: bool = False) -> int:
    """Add a payment's allocations to the paid amount of the lines it covers, or take them
    off again when the payment is reversed."""
    sign = "-" if reverse else "+"
    return store.execute(
        db,
        f"UPDATE contribution_lines SET paid_amount = paid_amount {sign} ("
        " SELECT a.amount FROM payment_allocations a"
        " WHERE a.payment_id = ? AND a.line_id = contribution_lines.id)"
        " WHERE id IN (SELECT line_id FROM payment_allocations WHERE payment_id = ?)",
        [payment_id, payment_id],
        actor=actor, table="contribution_lines",
        summary={"payment_id": payment_id, "change": "pembatalan" if reverse else "jumlah dibayar"},
    )


def restamp_lines(db, worker: dict, from_month: str, *, actor: str) -> int:
    """Carry a worker's new village, district or occupation onto their lines from
    ``from_month`` on; earlier months keep where the worker was when covered."""
    return store.execute(
        db,
        "UPDATE contribution_lines SET village_code = ?, district_code = ?, occupation = ?"
        " WHERE worker_id = ? AND month >= ?",
        [worker["village_code"], worker["district_code"], worker["occupation"], worker["id"], from_month],
        actor=actor, table="contribution_lines",
        summary={"worker_id": worker["id"], "from_month": from_month, "change": "wilayah/pekerjaan"},
    )



def settle_marked_lines(db, *, paid_on: str, reference: str, actor: str) -> int:
    """For data loaded in bulk with ``paid_amount`` already set (the benchmark): one payment per
    sponsor and scheme for the paid lines no payment covers yet, and its allocations, so the
    ledger holds the money the lines say they received. Returns the payments made."""
    uncovered = ("l.paid_amount > 0 AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.line_id = l.id)")
    with store.transaction(db):
        made = store.execute(
            db,
            "INSERT INTO payments (sponsor_id, scheme_code, paid_on, amount, reference, recorded_by, recorded_at,"
            " party_kind, party_key, party_label, from_month, to_month)"
            " SELECT l.sponsor_id, l.scheme_code, ?, SUM(l.paid_amount), ?, ?, ?, 'sponsor',"
            " CAST(l.sponsor_id AS TEXT), s.name, MIN(l.month), MAX(l.month)"
            f" FROM contribution_lines l JOIN sponsors s ON s.id = l.sponsor_id WHERE {uncovered}"
            " GROUP BY l.sponsor_id, l.scheme_code, s.name",
            [paid_on, reference, actor, store.now()], actor=actor, table="payments",
            summary={"change": "pembayaran untuk baris yang sudah ditandai lunas", "reference": reference})
        store.execute(
            db,
            # The payment is looked up per line, among its sponsor's (index payments_sponsor): as
            # a join, SQLite without statistics scanned a scheme's lines once per payment
            # (2.000 x 700.000 rows). The newest one: a build settled again makes new payments.
            "INSERT INTO payment_allocations (payment_id, line_id, amount)"
            " SELECT (SELECT y.id FROM payments y WHERE y.sponsor_id = l.sponsor_id AND y.scheme_code = l.scheme_code"
            " AND y.reference = ? ORDER BY y.id DESC LIMIT 1), l.id, l.paid_amount FROM contribution_lines l"
            f" WHERE {uncovered}",
            [reference], actor=actor, table="payment_allocations",
            summary={"change": "alokasi untuk baris yang sudah ditandai lunas", "reference": reference})
    return made
