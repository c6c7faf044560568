"""Payments: money received from a sponsor, allocated to its open contribution lines.

Allocation runs oldest month first; a payment larger than what is open is refused, so no
Rupiah is ever left unallocated.
"""

from __future__ import annotations

import datetime as dt

from db import ledger, queries, store

from .access import Actor
from .errors import Problem, ValidationError
from .money import format_rupiah


def record_payment(
    db, *, sponsor_id: int, scheme_code: str, amount: int, paid_on: dt.date, actor: Actor,
    reference: str | None = None, up_to_month: str | None = None,
) -> int:
    """Record ``amount`` from a sponsor for a scheme and mark the lines it pays."""
    actor.require_write()
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(Problem("amount", "Jumlah pembayaran harus Rupiah bulat lebih dari 0.", "amount_positive"))
    open_lines = queries.open_lines(db, sponsor_id, scheme_code, up_to_month)
    outstanding = sum(line["amount"] - line["paid_amount"] for line in open_lines)
    if amount > outstanding:
        raise ValidationError(Problem(
            "amount",
            f"Pembayaran {format_rupiah(amount)} melebihi tagihan yang belum dibayar ({format_rupiah(outstanding)}).",
            "overpayment",
        ))
    with store.transaction(db):
        payment_id = store.insert(db, "payments", {
            "sponsor_id": sponsor_id, "scheme_code": scheme_code, "paid_on": paid_on.isoformat(),
            "amount": amount, "reference": reference, "recorded_by": actor.username, "recorded_at": store.now(),
        }, actor=actor.username)
        left = amount
        allocations = []
        for line in open_lines:
            if left == 0:
                break
            share = min(left, line["amount"] - line["paid_amount"])
            allocations.append((payment_id, line["id"], share))
            left -= share
        store.bulk_insert(db, "payment_allocations", ("payment_id", "line_id", "amount"), allocations,
                          actor=actor.username, note=f"alokasi pembayaran #{payment_id}")
        ledger.apply_allocations(db, payment_id, actor=actor.username)
    return payment_id
