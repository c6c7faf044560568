"""Set-based writes on contribution lines (audited through ``store.execute``)."""

from __future__ import annotations

from . import store


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
        summary={"payment_id": payment_id, "change": "pembatalan" if reverse else "paid_amount"},
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

