"""A payment's receipt to download, on Tagihan (after a payment) and Pembayaran."""

from __future__ import annotations

from collections.abc import Callable

from payung.finance.payments import payment_with_lines
from payung.reports.documents import receipt_pdf
from payung.reports.letterhead import Letterhead

from .session import connection


def receipt_file(payment_id: int, scheme_name: str, letterhead: Letterhead | None) -> Callable[..., bytes]:
    """The receipt's PDF for ``live_download``: the payment is read when the button is clicked,
    so one reversed since the page was drawn says so."""
    def make(*, actor) -> bytes:
        with connection() as db:
            payment = payment_with_lines(db, payment_id, actor=actor)
        return receipt_pdf(payment, scheme_name, letterhead=letterhead)
    return make
