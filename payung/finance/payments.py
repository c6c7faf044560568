"""Payments: money received against a bill, allocated to its open lines, reversible.

A payment settles lines in the bill's order, stated on the page and the receipt: oldest month
first, then by worker name. A payment smaller than the bill pays lines in that order and leaves
the rest open (the last line it reaches may be paid in part: it protects only once paid in
full). A payment larger than what is still payable is refused, so no Rupiah is ever left
unallocated. A payment is never deleted: a reversal keeps it, with who, when and why, and
takes its amounts off the lines again.
"""

from __future__ import annotations

import datetime as dt

from db import billing, ledger, store

from payung.base import clock, formats
from payung.auth.access import Actor, listed_rows, require, require_visible, scope_of, visible_scheme
from payung.finance.bills import Bill, bill
from payung.base.errors import Problem, ValidationError
from payung.base.money import check_rupiah, current_limits, format_rupiah
from payung.base.paging import Paged
from payung.schemes.registry import PluginRegistry
from payung.base.text import text_problem, tidy

ALLOCATION_ORDER = "bulan terlama lebih dulu, lalu urut nama pekerja"


def check_amount(amount, maximum: int | None = None) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(Problem("amount", "Jumlah pembayaran harus Rupiah bulat lebih dari 0.", "amount_positive"))
    problem = check_rupiah(amount, field="amount", label="Jumlah pembayaran",
                           maximum=maximum or current_limits().max_payment, rule="amount")
    if problem:
        raise ValidationError(problem)
    return amount


def payment_reference(typed) -> str | None:
    """A payment's reference as it is stored and compared (``tidy``: "TRF\u00a0001" and
    "TRF  001" are the bank's "TRF 001"), or None."""
    return tidy("reference", "" if typed is None else str(typed)) or None


def payment_problems(settings, scheme, amount, paid_on, today: dt.date, *, reference: str | None = None
                     ) -> list[Problem]:
    """Why a payment cannot be recorded, before any bill is looked at: amount (whole Rupiah,
    within ``[limits] max_payment``), date (not in the future, not before the scheme started
    or ``[limits] earliest_payment``) and the reference (no control characters). The import
    check and ``record_payment`` both ask this, so a row the check accepts is one it writes."""
    problems = []
    if problem := text_problem("reference", "Nomor bukti", reference):
        problems.append(problem)
    try:
        check_amount(amount, settings.limits.max_payment)
    except ValidationError as exc:
        problems.extend(exc.problems)
    if not isinstance(paid_on, dt.date):
        problems.append(Problem("paid_on", "Tanggal bayar wajib diisi.", "paid_on_required"))
        return problems
    if paid_on > today:
        problems.append(Problem("paid_on", "Tanggal bayar tidak boleh di masa depan.", "paid_on_future"))
    earliest = dt.date.fromisoformat(settings.limits.earliest_payment)
    started = getattr(scheme, "started", "") or ""
    if started and dt.date.fromisoformat(started[:10] if len(started) >= 10 else f"{started[:7]}-01") > earliest:
        earliest = dt.date.fromisoformat(started[:10] if len(started) >= 10 else f"{started[:7]}-01")
        what = f"skema {scheme.name} dimulai ({earliest.strftime('%d/%m/%Y')})"
    else:
        what = f"{earliest.strftime('%d/%m/%Y')} (batas [limits] earliest_payment)"
    if paid_on < earliest:
        problems.append(Problem("paid_on", f"Tanggal bayar {paid_on.strftime('%d/%m/%Y')} sebelum {what}: periksa "
                                           "tahunnya.", "paid_on_too_early"))
    return problems


def record_payment(
    db, registry: PluginRegistry, *, scheme_code: str, party_key: str, amount: int, paid_on: dt.date,
    actor: Actor, from_month: str | None = None, to_month: str | None = None, reference: str | None = None,
    today: dt.date | None = None, confirm_duplicate: bool = False,
) -> int:
    """Record ``amount`` paid against a party's bill (the months given, or every month) and mark
    the lines it pays. Returns the payment id, which is also its receipt number.

    A payment with the same party, scheme, amount, date and reference as one already recorded
    (and not reversed) is refused, naming that receipt: it is nearly always the same transfer
    entered twice. ``confirm_duplicate=True`` records it anyway (two equal transfers that day)."""
    visible_scheme(registry, scheme_code, actor, "payment.write")
    today = today or clock.today()
    scheme = registry.schemes.get(scheme_code)
    reference = payment_reference(reference)  # checked and compared as stored
    problems = payment_problems(registry.settings, scheme, amount, paid_on, today, reference=reference)
    if problems:
        raise ValidationError(problems)
    with store.transaction(db):
        # The bill is read under the write lock: a payment another session recorded a moment
        # ago is in it, so the lines are not allocated twice and the refusal states the figures.
        # Its open lines are all a payment needs, unless the bill's months are read from them.
        the_bill = bill(db, registry, scheme_code=scheme_code, party_key=party_key, from_month=from_month,
                        to_month=to_month, today=today, actor=actor, unpaid_only=bool(from_month))
        if not confirm_duplicate:
            earlier = billing.same_payment(db, the_bill.scheme_code, the_bill.party.kind, the_bill.party.key,
                                           paid_on.isoformat(), amount, reference)
            if earlier:
                raise ValidationError(Problem("duplicate", duplicate_message(earlier), DUPLICATE))
        payable = the_bill.payable_lines
        outstanding = sum(line["amount"] - line["paid_amount"] for line in payable)
        if outstanding == 0:
            raise ValidationError(Problem("amount", _nothing_to_pay(the_bill), "nothing_open"))
        if amount > outstanding:
            raise ValidationError(Problem(
                "amount",
                f"Pembayaran {format_rupiah(amount)} melebihi tagihan yang belum dibayar ({format_rupiah(outstanding)}).",
                "overpayment",
            ))
        payment_id = store.insert(db, "payments", {
            "sponsor_id": the_bill.party.sponsor_id, "scheme_code": the_bill.scheme_code,
            "party_kind": the_bill.party.kind, "party_key": the_bill.party.key, "party_label": the_bill.party.label,
            "from_month": the_bill.from_month, "to_month": the_bill.to_month,
            "paid_on": paid_on.isoformat(), "amount": amount, "reference": reference,
            "recorded_by": actor.username, "recorded_at": store.now(),
        }, actor=actor.username)
        left, allocations = amount, []
        for line in payable:
            if left == 0:
                break
            share = min(left, line["amount"] - line["paid_amount"])
            allocations.append((payment_id, line["id"], share))
            left -= share
        store.bulk_insert(db, "payment_allocations", ("payment_id", "line_id", "amount"), allocations,
                          actor=actor.username, note=f"alokasi pembayaran #{payment_id}")
        ledger.apply_allocations(db, payment_id, actor=actor.username)
    return payment_id


#: The rule of a refused duplicate payment (the page then offers to confirm it).
DUPLICATE = "duplicate_payment"


def duplicate_message(earlier: dict) -> str:
    reference = f"referensi {earlier['reference']}" if earlier.get("reference") else "tanpa referensi"
    return (f"Pembayaran ini sama dengan yang sudah tercatat dengan nomor tanda terima {receipt_number(earlier)} "
            f"({format_rupiah(earlier['amount'])}, {formats.date(earlier['paid_on'])}, {reference}, dicatat oleh "
            f"{earlier['recorded_by']} pada {formats.date(earlier['recorded_at'])}). Bila ini memang pembayaran lain, "
            "centang \"Ya, ini pembayaran lain\" lalu simpan lagi; bila tidak, tidak perlu dicatat lagi.")


def _nothing_to_pay(the_bill: Bill) -> str:
    if the_bill.lapsed:
        return (f"Tidak ada yang bisa dibayar: {len(the_bill.lapsed)} baris sudah lewat batas tunggakan "
                "(kepesertaan berakhir); pekerjanya harus didaftarkan ulang.")
    return "Pembayaran ini tidak dicatat: tagihan ini sudah lunas (mungkin baru saja dibayar dari tempat lain)."


def reverse_payment(db, payment_id: int, *, reason: str, actor: Actor) -> None:
    """Cancel a payment (a wrong amount, a bounced transfer): it stays on record as reversed,
    with the reason, and the lines it paid are open again."""
    require(actor, "payment.write")
    payment = require_visible(actor, "payment.write", billing.payment(db, payment_id, scope_of(actor)),
                              f"Pembayaran #{payment_id}")
    reason = tidy("reason", reason or "")
    if len(reason) < 5:
        raise ValidationError(Problem("reason", "Tulis alasan pembatalan (paling sedikit 5 huruf).", "reason_required"))
    if problem := text_problem("reason", "Alasan pembatalan", reason):
        raise ValidationError(problem)
    with store.transaction(db):
        # Read again under the write lock: of two sessions reversing the same payment at once,
        # the second sees the first one's reversal and is refused (its allocations are taken
        # off the lines once).
        payment = billing.payment(db, payment_id, scope_of(actor)) or payment
        if payment["reversed_at"]:
            raise ValidationError(Problem(
                "reason", f"Pembayaran #{payment_id} sudah dibatalkan pada {formats.date(payment['reversed_at'][:10])}.",
                "already_reversed"))
        store.update(db, "payments", payment_id, {
            "reversed_at": store.now(), "reversed_by": actor.username, "reversal_reason": reason,
        }, actor=actor.username)
        ledger.apply_allocations(db, payment_id, actor=actor.username, reverse=True)


def receipt_number(payment: dict) -> str:
    """``KW/2025/000123``: the year paid and the payment id."""
    return f"KW/{payment['paid_on'][:4]}/{payment['id']:06d}"


def payment_with_lines(db, payment_id: int, *, actor: Actor) -> dict:
    """A payment (the actor's scope only) with the lines it paid: the receipt's content."""
    payment = require_visible(actor, "payment.read", billing.payment(db, payment_id, scope_of(actor)),
                              f"Pembayaran #{payment_id}")
    return {**payment, "receipt": receipt_number(payment),
            "allocations": listed_rows(actor, billing.payment_allocations(db, payment_id))}


def settles(allocation: dict) -> bool:
    """Whether this part of a payment left its contribution line fully paid."""
    return allocation.get("paid_before", 0) + allocation["allocated"] >= allocation["amount"]


def settled_lines(allocations: list[dict]) -> tuple[int, int]:
    """(lines this payment settled, lines it paid only part of), as the payment left them."""
    full = sum(1 for a in allocations if settles(a))
    return full, len(allocations) - full


def allocation_summary(allocations: list[dict]) -> str:
    """``melunasi 2 baris, membayar sebagian 1 baris`` (a Rp10.000 payment on a Rp16.800 line
    pays part of it: it is not described as settling it)."""
    full, part = settled_lines(allocations)
    said = ([f"melunasi {formats.count(full)} baris"] if full else []) + (
        [f"membayar sebagian {formats.count(part)} baris"] if part else [])
    return ", ".join(said) or "tidak membayar baris apa pun"


def list_payments(db, *, actor: Actor, scheme_code: str | None = None, party_key: str | None = None,
                  party_kind: str | None = None, page: int = 1, page_size: int = 50):
    require(actor, "payment.read")
    rows, total = billing.payments(db, scope=scope_of(actor), scheme_code=scheme_code, party_kind=party_kind,
                                   party_key=party_key, limit=page_size, offset=(max(page, 1) - 1) * page_size)
    for row in rows:
        row["receipt"] = receipt_number(row)
    return Paged(rows, total, max(page, 1), page_size)
