"""Budgets, the BPJS exchange, claims, the late list and renewals (issue #5)."""

import datetime as dt
import io

import pytest

from payung.base import clock
from db.scope import EVERYTHING
from payung.auth.access import Actor
from openpyxl import load_workbook

from db import billing, queries, store
from payung.enrolment import arrears, bpjs
from payung.finance import bills, budgets, claims
from payung.base.errors import ValidationError
from payung.base.months import add_months, current_month
from payung.finance.payments import record_payment

from conftest import snapshot

PRINGSEWU = "pringsewu_uc"
KENDAL = "kendal_asn_peduli"
PEKON = "18.10.01.2006"
KENDAL_VILLAGE = "33.24.01.2001"


def _pringsewu_worker(people):
    return people.worker(PEKON, "petani", poverty_source="P3KE")


def _budget(people, amount, **values):
    return budgets.create_budget_line(people.db, people.app.plugins, {
        "scheme_code": PRINGSEWU, "year": 2025, "name": "APBD 2025 miskin ekstrem", "source": "APBD",
        "amount": amount, "category": "miskin_ekstrem"} | values, actor=people.actor)


def _enrol_pringsewu(people, apbd, worker, months=12, start="2025-01"):
    return people.enrol(PRINGSEWU, apbd, worker, start=start, months=months,
                        fields={"budget_year": 2025, "category": "miskin_ekstrem"})


def test_enrolment_beyond_a_budget_line_is_refused_with_the_figures(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    line = _budget(people, 201_600 + 100_800)
    first = _enrol_pringsewu(people, apbd, _pringsewu_worker(people))
    assert {l["budget_line_id"] for l in queries.lines_of(people.db, first)} == {line}
    problems = people.refused(PRINGSEWU, apbd, _pringsewu_worker(people), start="2025-01", months=12,
                              fields={"budget_year": 2025, "category": "miskin_ekstrem"})
    assert [(p.rule, p.message) for p in problems] == [("budget_exceeded", (
        'Melebihi pos anggaran "APBD 2025 miskin ekstrem" tahun 2025: pagu Rp302.400, sisa Rp100.800, '
        "kepesertaan ini butuh Rp201.600."))]
    # Six months fit exactly what is left.
    assert _enrol_pringsewu(people, apbd, _pringsewu_worker(people), months=6)
    row = budgets.budget_lines(people.db, PRINGSEWU, actor=Actor.system())[0]
    assert (row["amount"], row["committed"], row["remaining"], row["paid"]) == (302_400, 302_400, 0, 0)


def test_budget_lines_are_matched_by_category_and_year(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    _budget(people, 10_000_000, category="ketua_rt", name="APBD 2025 ketua RT")
    problems = people.refused(PRINGSEWU, apbd, _pringsewu_worker(people), start="2025-01", months=12,
                              fields={"budget_year": 2025, "category": "miskin_ekstrem"})
    assert [p.rule for p in problems] == ["budget_missing"]
    # A scheme without any line for a year has no ceiling that year.
    assert _enrol_pringsewu(people, apbd, _pringsewu_worker(people), start="2026-01")
    # A line across two years: each year is charged to its own line.
    line_2026 = _budget(people, 1_000_000, year=2026, name="APBD 2026")
    sponsorship = _enrol_pringsewu(people, apbd, _pringsewu_worker(people),
                                   start="2026-07", months=6)
    assert {l["budget_line_id"] for l in queries.lines_of(people.db, sponsorship)} == {line_2026}
    with pytest.raises(ValidationError, match="Pilih sumber dana"):
        budgets.create_budget_line(people.db, people.app.plugins, {
            "scheme_code": PRINGSEWU, "year": 2025, "name": "x", "source": "?", "amount": 1}, actor=people.actor)


def test_planner_answers_both_questions_in_integer_rupiah(schemes_app):
    settings = schemes_app.settings
    plan = budgets.workers_for_budget(settings, 100_000_000, start_month="2025-01", months=12)
    assert (plan.per_worker, plan.workers, plan.total, plan.leftover) == (201_600, 496, 99_993_600, 6_400)
    cost = budgets.cost_of_workers(settings, 5_254, start_month="2025-01", months=12)
    assert cost.total == 5_254 * 201_600 and isinstance(cost.total, int)
    # A relief period lowers the cost of the months it covers (transport workers, from the config).
    with_jht = budgets.cost_of_workers(settings, 1, start_month="2025-01", months=1, programs=("JKK", "JKM", "JHT"))
    assert with_jht.total == 36_800
    with pytest.raises(ValidationError, match="lebih dari 0"):
        budgets.workers_for_budget(settings, 0, start_month="2025-01")


def test_kendal_is_billed_per_opd(people):
    first = people.sponsor("asn", nip="198503122010011002", opd="Dinas Sosial")
    second = people.sponsor("asn", nip="198701012015032001", opd="Dinas Sosial")
    third = people.sponsor("asn", nip="199001012019031003", opd="Bappeda")
    for asn in (first, second, third):
        people.enrol(KENDAL, asn, people.worker(KENDAL_VILLAGE), fields={"payment_method": "potong_gaji"})
    parties = bills.parties(people.db, people.app.plugins, KENDAL, "2025-03", actor=Actor.system())
    assert [(p["party_key"], p["workers"], p["amount"]) for p in parties] == [
        ("Bappeda", 1, 16_800), ("Dinas Sosial", 2, 33_600)]


def _registration_setup(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10", name="APBD Pringsewu")
    workers = [people.worker(PEKON, "petani", poverty_source="P3KE", birth_place="Pringsewu", phone="081234567890",
                             address="Jl. Pekon 1") for _ in range(3)]
    sponsorships = [_enrol_pringsewu(people, apbd, w) for w in workers]
    return workers, sponsorships


def test_registration_export_has_the_configured_columns_and_is_audited(people):
    workers, sponsorships = _registration_setup(people)
    data, count = bpjs.registration_xlsx(people.db, people.app.plugins, scheme_code=PRINGSEWU, from_month="2025-01",
                                          to_month="2025-01", actor=people.actor)
    sheet = load_workbook(io.BytesIO(data)).active
    headers = [c.value for c in sheet[1]]
    assert count == 3 and headers == list(people.app.settings.bpjs_exchange["columns"].values())
    assert headers[:3] == ["NIK", "NAMA LENGKAP (SESUAI KTP)", "TEMPAT LAHIR"]
    first = dict(zip(headers, [c.value for c in sheet[2]]))
    worker = queries.worker(people.db, workers[0], EVERYTHING)
    assert first["NIK"] == worker["nik"] and first["TANGGAL LAHIR (DD-MM-YYYY)"] == "17-08-1975"
    assert first["SUMBER DANA (KODE WADAH)"] == "SG" and first["PROGRAM"] == "JKK, JKM"
    assert first["TANGGAL MULAI KEPESERTAAN"] == "01-01-2025" and first["PENYANDANG DANA"] == "APBD Pringsewu"
    assert first["UPAH DILAPORKAN"] == 1_000_000 and first["PERIODE PEMBAYARAN (BULAN)"] == 1
    entry = queries.audit_entries(people.db, table="sponsorships")[0]
    assert entry["action"] == "export" and "pendaftaran kolektif BPJS" in entry["after"]


def test_kpj_answer_with_an_unknown_nik_reports_it_and_changes_nothing_else(people):
    workers, sponsorships = _registration_setup(people)
    niks = [queries.worker(people.db, w, EVERYTHING)["nik"] for w in workers]
    answer = ("NIK;No KPJ;Keterangan\n"
              f"{niks[0]};25010000001;\n"
              f"{niks[1]};;Nama tidak sesuai KTP\n"
              "1810019999990001;25010000003;\n").encode()
    plan = bpjs.plan_answer(people.db, people.app.plugins, answer, "jawaban.csv", scheme_code=PRINGSEWU,
                            actor=Actor.system())
    assert [(a.nik, a.kpj) for a in plan.activate] == [(niks[0], "25010000001")]
    assert [(a.nik, a.reason) for a in plan.reject] == [(niks[1], "Nama tidak sesuai KTP")]
    assert plan.problems == [(4, "NIK 1810019999990001 tidak dikenal: tidak ada kepesertaan yang menunggu jawaban "
                                 "BPJS untuk NIK ini. Tidak ada yang diubah untuk baris ini.")]
    before = snapshot(people.db)
    assert bpjs.apply_answer(people.db, plan, actor=people.actor) == {"aktif": 1, "ditolak": 1, "bermasalah": 1}
    after = snapshot(people.db)
    changed = {t for t in before if before[t] != after[t]}
    assert changed == {"sponsorships", "audit_log"}
    rows = {r["id"]: r for r in after["sponsorships"]}
    assert (rows[sponsorships[0]]["status"], rows[sponsorships[0]]["kpj"]) == ("aktif", "25010000001")
    assert (rows[sponsorships[1]]["status"], rows[sponsorships[1]]["bpjs_note"]) == ("ditolak", "Nama tidak sesuai KTP")
    assert rows[sponsorships[2]] == {r["id"]: r for r in before["sponsorships"]}[sponsorships[2]]
    # A refused registration drops out of the bills until it is resubmitted.
    assert bills.parties(people.db, people.app.plugins, PRINGSEWU, "2025-01", actor=Actor.system())[0]["workers"] == 2
    bpjs.resubmit(people.db, people.app.plugins, sponsorships[1], actor=people.actor)
    assert queries.sponsorship(people.db, sponsorships[1], EVERYTHING)["status"] == "diajukan"


def test_answer_gives_a_kpj_to_one_worker_only(people):
    """A KPJ twice in the file, or already recorded for another worker: refused; the same
    worker's own KPJ answered again is fine."""
    workers, sponsorships = _registration_setup(people)
    niks = [queries.worker(people.db, w, EVERYTHING)["nik"] for w in workers]
    store.update(people.db, "sponsorships", sponsorships[0], {"kpj": "25010000001"}, actor="uji")
    answer = (f"NIK;KPJ\n{niks[0]};25010000001\n{niks[1]};25010000001\n"
              f"{niks[2]};25010000009\n").encode()
    plan = bpjs.plan_answer(people.db, people.app.plugins, answer, "jawaban.csv", actor=Actor.system())
    assert [a.nik for a in plan.activate] == [niks[0], niks[2]]
    assert plan.problems == [(3, "KPJ 25010000001 sudah ada di baris 2 untuk NIK lain.")]
    answer = f"NIK;KPJ\n{niks[2]};25010000009\n{niks[1]};25010000001\n".encode()
    plan = bpjs.plan_answer(people.db, people.app.plugins, answer, "jawaban.csv", actor=Actor.system())
    assert [a.nik for a in plan.activate] == [niks[2]]
    assert plan.problems == [(3, "KPJ 25010000001 sudah tercatat untuk pekerja lain.")]


def test_answer_rows_that_cannot_be_read_are_reported(people):
    workers, _ = _registration_setup(people)
    nik = queries.worker(people.db, workers[0], EVERYTHING)["nik"]
    answer = f"NIK,KPJ\n{nik},123\n12345,25010000001\n{nik[:-1]}9,\n".encode()
    plan = bpjs.plan_answer(people.db, people.app.plugins, answer, "jawaban.csv", actor=Actor.system())
    assert plan.changes == 0 and [p[0] for p in plan.problems] == [2, 3, 4]
    assert "11 digit" in plan.problems[0][1] and "16 digit" in plan.problems[1][1] and "alasan" in plan.problems[2][1]
    with pytest.raises(ValidationError, match="Kolom NIK"):
        bpjs.plan_answer(people.db, people.app.plugins, b"Nama;Nomor\nA;1\n", "jawaban.csv", actor=Actor.system())


def test_claim_in_an_unpaid_month_is_recorded_with_a_warning(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    worker = _pringsewu_worker(people)
    _enrol_pringsewu(people, apbd, worker)
    party = bills.parties(people.db, people.app.plugins, PRINGSEWU, "2025-01", actor=Actor.system())[0]["party_key"]
    record_payment(people.db, people.app.plugins, scheme_code=PRINGSEWU, party_key=party, amount=16_800,
                   paid_on=dt.date(2025, 2, 1), actor=people.actor, from_month="2025-01", to_month="2025-01",
                   today=dt.date(2025, 2, 1))
    paid_month = {"worker_id": worker, "program": "JKK", "incident_date": dt.date(2025, 1, 20), "status": "dibayar",
                  "benefit_amount": 4_500_000, "paid_on": dt.date(2025, 2, 20)}
    claim_id, warnings = claims.record_claim(people.db, paid_month, actor=people.actor)
    assert warnings == [] and billing.claims(people.db, scope=EVERYTHING)[0]["sponsorship_id"] is not None
    unpaid = paid_month | {"program": "JKM", "incident_date": dt.date(2025, 2, 3), "status": "diajukan",
                           "benefit_amount": 0, "paid_on": None}
    _, warnings = claims.record_claim(people.db, unpaid, actor=people.actor)
    assert warnings == ["Iuran Februari 2025 untuk Pekerja 2 belum lunas (dibayar Rp0 dari Rp16.800): bulan kejadian "
                        "tidak terlindungi kecuali tunggakan dibayar dalam batas waktunya."]
    _, warnings = claims.record_claim(people.db, unpaid | {"incident_date": dt.date(2024, 6, 1)}, actor=people.actor)
    assert "tidak ditanggung skema mana pun pada Juni 2024" in warnings[0]
    with pytest.raises(ValidationError) as refused:
        claims.record_claim(people.db, paid_month | {"benefit_amount": 0, "paid_on": None}, actor=people.actor)
    assert {p.rule for p in refused.value.problems} == {"benefit_required", "paid_on_required"}
    totals = claims.benefits_against_contributions(people.db, scheme_code=PRINGSEWU, actor=Actor.system())
    assert totals == {"contributions_paid": 16_800, "benefits_paid": 4_500_000, "claims": 1}
    assert claims.benefits_against_contributions(people.db, worker_id=worker, actor=Actor.system())["benefits_paid"] == 4_500_000
    claims.update_claim(people.db, claim_id, status="ditolak", benefit_amount=0, paid_on=None, actor=people.actor)
    assert claims.benefits_against_contributions(people.db, scheme_code=PRINGSEWU, actor=Actor.system())["benefits_paid"] == 0


def test_late_list_groups_arrears_by_party_and_lists_lapsed_workers(people):
    today = dt.date(2025, 6, 20)  # May fell due on 15 June
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10", name="APBD Pringsewu")
    first = _enrol_pringsewu(people, apbd, _pringsewu_worker(people), start="2025-04", months=6)
    lapsed = _enrol_pringsewu(people, apbd, _pringsewu_worker(people), start="2024-11", months=12)
    _enrol_pringsewu(people, apbd, _pringsewu_worker(people), start="2025-04", months=6)
    # One month's contribution for April settles the first April line in the bill's order.
    record_payment(people.db, people.app.plugins, scheme_code=PRINGSEWU, party_key="-", amount=16_800,
                   paid_on=today, actor=people.actor, from_month="2025-04", to_month="2025-04", today=today)
    assert [l["paid_amount"] for l in queries.lines_of(people.db, first)][:2] == [16_800, 0]
    listed = arrears.late_list(people.db, people.app.plugins, today=today, actor=Actor.system())
    # Still owed: the first worker's May, the third worker's April and May (payable until the
    # 15 August limit of April). The lapsed worker ran seven unpaid months (November-May): the
    # membership ended and none of it is payable.
    assert [(r["party"], r["workers"], r["lines"], r["amount"], r["oldest"], r["pay_by"]) for r in listed.parties] == [
        ("(tanpa pos anggaran)", 2, 3, 50_400, "2025-04", dt.date(2025, 8, 15))]
    assert listed.total_open == 50_400
    assert [(r["worker_id"], r["months"], r["first"], r["last"]) for r in listed.lapsed] == [
        (queries.sponsorship(people.db, lapsed, EVERYTHING)["worker_id"], 7, "2024-11", "2025-05")]


def test_renewal_keeps_sponsor_scheme_and_fields(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    this_month = current_month()
    ending = _enrol_pringsewu(people, apbd, _pringsewu_worker(people), start=add_months(this_month, -4), months=6)
    rows = arrears.ending_next_month(people.db, people.app.plugins, actor=people.actor)
    assert [r["id"] for r in rows] == [ending]
    renewed = arrears.renew(people.db, people.app.plugins, ending, actor=people.actor)
    old, new = queries.sponsorship(people.db, ending, EVERYTHING), queries.sponsorship(people.db, renewed, EVERYTHING)
    assert new["start_month"] == add_months(old["end_month"], 1) and new["months"] == 6
    assert (new["sponsor_id"], new["scheme_code"], new["fields"], new["programs"]) == (
        old["sponsor_id"], old["scheme_code"], old["fields"], old["programs"])
    assert arrears.ending_next_month(people.db, people.app.plugins, actor=people.actor) == []
    with pytest.raises(ValidationError, match="sudah ditanggung"):
        arrears.renew(people.db, people.app.plugins, ending, actor=people.actor)


# A refused registration comes back only if it still fits ------------------------------------------

def _refused_by_bpjs(people, sponsorship: int) -> None:
    nik = queries.worker(people.db, queries.sponsorship(people.db, sponsorship, EVERYTHING)["worker_id"],
                         EVERYTHING)["nik"]
    plan = bpjs.plan_answer(people.db, people.app.plugins, f"NIK;Alasan\n{nik};Data tidak lengkap\n".encode(),
                            "jawaban.csv", actor=Actor.system())
    bpjs.apply_answer(people.db, plan, actor=Actor.system())


def test_resubmit_after_the_budget_freed_by_the_refusal_was_used_is_refused_with_the_figures(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    line = _budget(people, 2 * 201_600)
    first = _enrol_pringsewu(people, apbd, _pringsewu_worker(people))
    _enrol_pringsewu(people, apbd, _pringsewu_worker(people))
    _refused_by_bpjs(people, first)
    assert billing.budget_committed(people.db, line) == 201_600
    budgets.update_amount(people.db, line, 201_600, actor=people.actor)  # APBD-P: the freed room is gone
    before = snapshot(people.db)
    with pytest.raises(ValidationError) as refused:
        bpjs.resubmit(people.db, people.app.plugins, first, actor=people.actor)
    [problem] = refused.value.problems
    assert problem.rule == "budget_exceeded" and problem.message == (
        'Tidak dapat diajukan ulang: Melebihi pos anggaran "APBD 2025 miskin ekstrem" tahun 2025: pagu Rp201.600, '
        "sisa Rp0, kepesertaan ini butuh Rp201.600.")
    assert snapshot(people.db) == before
    assert queries.sponsorship(people.db, first, EVERYTHING)["status"] == "ditolak"
    # With the room back it goes through, charged to the line again.
    budgets.update_amount(people.db, line, 2 * 201_600, actor=people.actor)
    bpjs.resubmit(people.db, people.app.plugins, first, actor=people.actor)
    assert queries.sponsorship(people.db, first, EVERYTHING)["status"] == "diajukan"
    assert billing.budget_committed(people.db, line) == 2 * 201_600


def test_resubmit_runs_the_schemes_rules_again(people):
    """The same path as the form: a sponsor deactivated since is refused, as the form refuses it."""
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    sponsorship = _enrol_pringsewu(people, apbd, _pringsewu_worker(people))
    _refused_by_bpjs(people, sponsorship)
    store.update(people.db, "sponsors", apbd, {"active": 0}, actor="uji")
    with pytest.raises(ValidationError, match="sudah nonaktif"):
        bpjs.resubmit(people.db, people.app.plugins, sponsorship, actor=people.actor)
    assert queries.sponsorship(people.db, sponsorship, EVERYTHING)["status"] == "ditolak"


# Two sessions at once: the check is made again under the write lock ---------------------------------

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
        threads = [threading.Thread(target=session, args=(n, c), name=f"sesi-{n}") for n, c in enumerate(calls, 1)]
        [t.start() for t in threads]
        [t.join() for t in threads]
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
    line = _budget(people, 2 * 201_600)
    _enrol_pringsewu(people, apbd, _pringsewu_worker(people))
    worker = _pringsewu_worker(people)
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
