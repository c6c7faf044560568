"""Two sessions writing at once: each service checks again under the write lock, so a payment is
reversed once, a bill paid in full once, and a budget ceiling never ends below what is committed."""

import pytest

from payung.auth.access import Actor
from payung.base import clock
from payung.base.errors import ValidationError
from payung.base.months import current_month
from payung.finance import bills, budgets
from payung.enrolment import sponsorships
from payung.finance.payments import record_payment
from payung.schemes import editing

from conftest import at_once
from shipped_schemes import (KENDAL, KENDAL_VILLAGE, PRINGSEWU, budget_line, enrol_pringsewu,
                             pringsewu_worker)
from test_regency_rules import CODE, csr  # noqa: F401 - the fixture


def _at_once(people, *calls):
    """Run ``calls`` (each given its own connection) in threads that reach their first write
    transaction together; the barrier only lines them up, it changes no logic. Returns each
    call's result or exception."""
    import threading

    import db as database
    from db import store as store_module
    barrier = threading.Barrier(len(calls))
    original = store_module.transaction
    waited = set()

    def transaction(conn, *args, **kwargs):
        me = threading.current_thread()
        if me.name.startswith("sesi") and me.name not in waited:
            waited.add(me.name)
            barrier.wait(timeout=20)  # whichever takes the write lock first wins: tests accept either order
        return original(conn, *args, **kwargs)

    results = {}

    def session(n, call):
        conn = database.open_database(people.app.settings.database_url)
        try:
            results[n] = call(conn)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            results[n] = exc
        finally:
            conn.close()
    store_module.transaction = transaction
    try:
        at_once(lambda n: session(n + 1, calls[n]), len(calls), name="sesi")
    finally:
        store_module.transaction = original
    return [results[n] for n in range(1, len(calls) + 1)]


def _kendal_bill(people):
    asn = people.sponsor("asn", nip="198503122010011002", opd="Dinas Sosial")
    people.enrol(KENDAL, asn, people.worker(KENDAL_VILLAGE), fields={"payment_method": "transfer"},
                 start=current_month())
    return "Dinas Sosial"


def test_two_sessions_reversing_one_payment_reverse_it_once(people):
    from payung.finance.payments import reverse_payment
    party = _kendal_bill(people)
    today = clock.today()
    first = record_payment(people.db, people.app.plugins, scheme_code=KENDAL, party_key=party, amount=8_400,
                           paid_on=today, actor=people.actor, reference="P1")
    record_payment(people.db, people.app.plugins, scheme_code=KENDAL, party_key=party, amount=8_400, paid_on=today,
                   actor=people.actor, reference="P2")
    outcomes = _at_once(people, *[lambda db: reverse_payment(db, first, reason="transfer ditolak bank",
                                                            actor=Actor("admin", "admin"))] * 2)
    done, refused = sorted(outcomes, key=lambda o: o is not None)
    assert done is None
    assert isinstance(refused, ValidationError) and refused.problems[0].rule == "already_reversed"
    line = people.db.execute("SELECT amount, paid_amount FROM contribution_lines ORDER BY id LIMIT 1").fetchone()
    assert tuple(line) == (16_800, 8_400)  # P2's half still counts


def test_two_sessions_paying_one_bill_in_full_pay_it_once(people):
    party = _kendal_bill(people)
    whole = bills.bill(people.db, people.app.plugins, scheme_code=KENDAL, party_key=party, from_month=None,
                       actor=Actor.system()).payable
    # Confirmed as two payments, so the duplicate rule does not stop the second: the bill does.
    pay = lambda db: record_payment(db, people.app.plugins, scheme_code=KENDAL, party_key=party,  # noqa: E731
                                    amount=whole, paid_on=clock.today(), actor=Actor("admin", "admin"),
                                    confirm_duplicate=True)
    first, second = sorted(_at_once(people, pay, pay), key=lambda o: not isinstance(o, int))
    assert isinstance(first, int)
    assert isinstance(second, ValidationError) and second.problems[0].rule == "nothing_open", second


def test_a_ceiling_lowered_while_an_enrolment_is_saved_never_ends_below_what_is_committed(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    line = budget_line(people, 2 * 201_600)
    enrol_pringsewu(people, apbd, pringsewu_worker(people))
    worker = pringsewu_worker(people)
    from payung.enrolment.sponsorships import enrol

    def enrolment(db):
        return enrol(db, people.app.plugins, actor=Actor("admin", "admin"), scheme_code=PRINGSEWU, sponsor_id=apbd,
                     worker_id=worker, start_month="2025-01", months=12,
                     fields={"budget_year": 2025, "category": "miskin_ekstrem"})

    def lower(db):  # to what was committed when the page was opened
        return budgets.update_amount(db, line, 201_600, actor=Actor("admin", "admin"))
    saved, lowered = _at_once(people, enrolment, lower)
    # Whichever came first holds; the other is refused with the figures.
    if isinstance(saved, int):
        assert isinstance(lowered, ValidationError) and lowered.problems[0].rule == "below_committed"
    else:
        assert lowered is None, lowered
        assert isinstance(saved, ValidationError) and saved.problems[0].rule == "budget_exceeded", saved
    row = budgets.budget_lines(people.db, PRINGSEWU, actor=Actor.system())[0]
    assert row["committed"] <= row["amount"]


def test_a_cap_or_a_retirement_reached_between_check_and_write_refuses_the_enrolment(csr, monkeypatch):
    """The form's enrolment checked the scheme's rules before taking the write lock: another
    session's enrolment (the cap's last place) or a retirement in between was not seen."""
    for _ in range(2):
        csr.enrol(CODE, csr.company, csr.worker(csr.in_a, "nelayan"))
    checked = sponsorships.plan_enrolment
    meanwhile = []

    def plan_then_another_session_writes(*args, **kwargs):
        plan = checked(*args, **kwargs)
        if meanwhile:
            meanwhile.pop()()
        return plan

    monkeypatch.setattr(sponsorships, "plan_enrolment", plan_then_another_session_writes)
    def refused(worker):
        with pytest.raises(ValidationError) as refusal:
            csr.enrol(CODE, csr.company, worker)
        return refusal.value.problems

    meanwhile.append(lambda: csr.enrol(CODE, csr.company, csr.worker(csr.in_a, "nelayan")))  # 3 of 3 in kecamatan A
    problems = refused(csr.worker(csr.in_a, "nelayan"))
    assert [p.rule for p in problems] == ["workers_at_most"] and "3 dari 3" in problems[0].message
    assert csr.db.execute("SELECT COUNT(*) FROM sponsorships").fetchone()[0] == 3

    meanwhile.append(lambda: editing.retire_scheme(csr.db, csr.app.plugins, CODE, actor=csr.actor))
    assert refused(csr.worker(csr.in_b, "nelayan"))[0].rule == "scheme_retired"
    assert csr.db.execute("SELECT COUNT(*) FROM sponsorships").fetchone()[0] == 3


#: Where a regency operator moves a record out of the village operator's villages (``VILLAGE``).
ELSEWHERE = "33.24.02.2002"
REGENCY_OPERATOR = Actor("operator", "operator", regency_code="33.24")


def _moved_meanwhile(monkeypatch, app, module, check: str, move) -> None:
    """``module.<check>``, the check a save runs before its write, made to let another process
    move the record first, once: ``move(other)`` on a connection of its own, then the real
    check (the move's own check is the real one)."""
    import db as database
    checked = getattr(module, check)

    def moved(*args, **kwargs):
        monkeypatch.setattr(module, check, checked)
        other = database.open_database(app.settings.database_url)
        try:
            move(other)
        finally:
            other.close()
        return checked(*args, **kwargs)
    monkeypatch.setattr(module, check, moved)


def test_a_worker_moved_out_of_a_village_operators_villages_while_its_form_is_saved_is_not_changed(
        app, db, admin, monkeypatch):
    """A village operator's Simpan read the worker, checked it was in its villages, and wrote it
    later: a regency operator moving the worker to another village in between (another process)
    did not stop the write, and the village operator changed (the NIK, the name) a worker no
    longer in its slice. The worker is read again under the write lock, as the slice sees it."""
    from payung.base.errors import NotFound
    from payung.people import workers
    from conftest import VILLAGE, worker_values
    worker = workers.create_worker(db, app.settings, worker_values(), actor=admin)
    row = "SELECT village_code, name, nik FROM workers WHERE id = ?"
    before = tuple(db.execute(row, [worker]).fetchone())
    desa = Actor("desa", "desa", villages=(VILLAGE,))
    _moved_meanwhile(monkeypatch, app, workers, "check_worker", lambda other: workers.update_worker(
        other, app.settings, worker, {"village_code": ELSEWHERE}, actor=REGENCY_OPERATOR))
    with pytest.raises(NotFound):
        workers.update_worker(db, app.settings, worker, {"name": "Nama Diganti Desa", "nik": "3324015708750002"},
                              actor=desa)
    assert tuple(db.execute(row, [worker]).fetchone()) == (ELSEWHERE, *before[1:])


def test_a_village_government_moved_out_of_a_village_operators_villages_while_it_is_saved_is_not_changed(
        app, db, admin, monkeypatch):
    """The same for the one sponsor a village operator may change, its own village government."""
    from payung.auth.access import Forbidden
    from payung.base.errors import NotFound
    from payung.people import sponsors
    from conftest import VILLAGE
    sponsor = sponsors.create_sponsor(db, app.settings, {"type": "pemerintah_desa", "name": "Pemdes Uji",
                                                         "village_code": VILLAGE}, actor=admin)
    _moved_meanwhile(monkeypatch, app, sponsors, "check_sponsor", lambda other: sponsors.update_sponsor(
        other, app.settings, sponsor, {"village_code": ELSEWHERE}, actor=REGENCY_OPERATOR))
    with pytest.raises((NotFound, Forbidden)):
        sponsors.update_sponsor(db, app.settings, sponsor, {"name": "Pemdes Diganti Desa"},
                                actor=Actor("desa", "desa", villages=(VILLAGE,)))
    assert tuple(db.execute("SELECT village_code, name FROM sponsors WHERE id = ?", [sponsor]).fetchone()) == (
        ELSEWHERE, "Pemdes Uji")
