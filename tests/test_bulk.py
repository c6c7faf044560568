"""Enrolment by the list: the bulk planner refuses exactly what the form refuses,
counts quotas, pledges, unique RTs and budget lines across the list, and writes all or nothing."""

import datetime as dt

import pytest

from db import batches
from payung.enrolment.bulk import apply_bulk, plan_bulk
from payung.base.errors import ValidationError
from payung.enrolment.sponsorships import enrol, plan_enrolment
from payung.people.workers import set_worker_active

from conftest import snapshot, trigger_names


def _request(scheme, sponsor, worker, start="2025-01", **choices):
    return {"scheme_code": scheme, "sponsor_id": sponsor, "worker_id": worker, "start_month": start, **choices}


def form_sequence(people, requests):
    """What the form answers to each request in turn (each accepted one saved before the
    next), then everything rolled back."""
    db = people.db
    answers = []
    db.execute("BEGIN")
    try:
        for r in requests:
            choices = {k: v for k, v in r.items() if k not in ("payment_period", "row")}
            plan = plan_enrolment(db, people.app.plugins, actor=people.actor, **choices)
            problems = [(p.field, p.message, p.rule) for p in plan.problems]
            if plan.ok:
                enrol(db, people.app.plugins, actor=people.actor, **choices)
            answers.append(problems)
    finally:
        db.execute("ROLLBACK")
    return answers


def bulk_answers(people, requests):
    plan = plan_bulk(people.db, people.app.plugins, requests, actor=people.actor)
    return [[(p.field, p.message, p.rule) for p in row.problems] for row in plan.rows], plan


def assert_same_as_form(people, requests, *, expect_rules):
    form = form_sequence(people, requests)
    bulk, plan = bulk_answers(people, requests)
    assert bulk == form
    seen = {rule for answer in form for _, _, rule in answer}
    assert set(expect_rules) <= seen, f"cases do not exercise {set(expect_rules) - seen}"
    assert any(not a for a in form), "at least one case must be accepted"
    return plan


def totals_are_recomputed(db) -> bool:
    stored = {tuple(r[:5]): tuple(r[5:]) for r in db.execute(
        "SELECT month, scheme_code, district_code, gender, birth_year, lines, protected, billed, paid"
        " FROM line_totals WHERE lines <> 0").fetchall()}
    fresh = {tuple(r[:5]): tuple(r[5:]) for r in db.execute(
        "SELECT l.month, l.scheme_code, l.district_code, w.gender, substr(w.birth_date, 1, 4), COUNT(*),"
        " SUM(CASE WHEN l.paid_amount = l.amount THEN 1 ELSE 0 END), SUM(l.amount), SUM(l.paid_amount)"
        " FROM contribution_lines l"
        " JOIN workers w ON w.id = l.worker_id GROUP BY 1, 2, 3, 4, 5").fetchall()}
    return stored == fresh


# The same refusals as the form, rule by rule, scheme by scheme --------------------------------

MEMPAWAH, M_VILLAGE, M_OTHER = "mempawah_1desa100", "61.02.01.2001", "61.02.01.2002"
M_FIELDS = {"budget_year": 2025, "apbdes_ref": "APBDes 2025 No. 3", "village_quota": 3}


def test_mempawah_list_refused_like_the_form(people):
    gov = people.sponsor("pemerintah_desa", village_code=M_VILLAGE)
    kendal_gov = people.sponsor("pemerintah_desa", village_code="33.24.01.2001")
    w = lambda occupation="petani", village=M_VILLAGE: people.worker(village, occupation)  # noqa: E731
    requests = [
        _request(MEMPAWAH, gov, w("nelayan"), fields=M_FIELDS),
        _request(MEMPAWAH, gov, w(village=M_OTHER), fields=M_FIELDS),
        _request(MEMPAWAH, gov, w("peternak"), fields=M_FIELDS),
        _request(MEMPAWAH, people.sponsor("perorangan"), w(), fields=M_FIELDS),
        _request(MEMPAWAH, kendal_gov, w(), fields=M_FIELDS),
        _request(MEMPAWAH, gov, w(), fields={"budget_year": 2025}),
        _request(MEMPAWAH, gov, w(), months=6, fields=M_FIELDS),
        _request(MEMPAWAH, gov, w(), fields=M_FIELDS),
        _request(MEMPAWAH, gov, w(), fields=M_FIELDS),
        _request(MEMPAWAH, gov, w(), fields=M_FIELDS),  # the 4th of a quota of 3
        _request(MEMPAWAH, gov, w(), start="2026-01", fields=M_FIELDS | {"budget_year": 2026}),
    ]
    assert_same_as_form(people, requests, expect_rules={
        "worker_in_sponsor_region", "worker_occupation_in", "sponsor_type_in", "sponsor_in_scheme_regency",
        "field_required", "months_in", "quota_per_village"})


PEMALANG, P_VILLAGE = "pemalang_mesra", "33.27.01.2001"
P_FIELDS = {"sponsor_category": "perorangan", "pledge": 2, "pillar": "masyarakat"}


def test_pemalang_list_refused_like_the_form(people):
    parent, other = people.sponsor("perorangan"), people.sponsor("perorangan")
    w = lambda occupation="petani", village=P_VILLAGE, **extra: people.worker(village, occupation, **extra)  # noqa: E731
    requests = [
        _request(PEMALANG, parent, w(), fields=P_FIELDS),
        _request(PEMALANG, parent, w(village="33.24.01.2001"), fields=P_FIELDS),
        _request(PEMALANG, parent, w("tenaga_non_asn"), fields=P_FIELDS),
        _request(PEMALANG, parent, w(wage_earner=True), fields=P_FIELDS),
        _request(PEMALANG, other, w(), fields=P_FIELDS | {"pillar": "dbhcht"}),  # 49 years old
        _request(PEMALANG, other, w(born=dt.date(1965, 3, 1)), fields=P_FIELDS | {"pillar": "dbhcht"}),
        _request(PEMALANG, parent, w(), fields=P_FIELDS),
        _request(PEMALANG, parent, w(), fields=P_FIELDS),  # third of a pledge of 2
        _request(PEMALANG, people.sponsor("apbd_kabupaten", regency_code="33.27"), w(), fields=P_FIELDS),
        _request(PEMALANG, other, w(), months=3, fields=P_FIELDS),
        _request(PEMALANG, other, w(), fields=P_FIELDS | {"pillar": "bulan"}),
        _request(PEMALANG, other, w(), programs=["JKK", "JKM", "XYZ"], fields=P_FIELDS),
        _request(PEMALANG, other, w(), start="2025-13", fields=P_FIELDS),
    ]
    assert_same_as_form(people, requests, expect_rules={
        "worker_lives_in_regency", "worker_occupation_in", "worker_not_wage_earner", "worker_age_between",
        "sponsor_limit", "sponsor_type_in", "months_in", "field_invalid", "program_unknown", "month_format"})


PRINGSEWU, PEKON, OTHER_PEKON = "pringsewu_uc", "18.10.01.2006", "18.10.01.2007"


def test_pringsewu_list_refused_like_the_form(people):
    from payung.finance.budgets import create_budget_line
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    create_budget_line(people.db, people.app.plugins, {
        "scheme_code": PRINGSEWU, "year": 2026, "name": "APBD 2026 miskin ekstrem", "source": "APBD",
        "amount": 2 * 201_600, "category": "miskin_ekstrem"}, actor=people.actor)
    w = lambda occupation="petani", village=PEKON, **extra: people.worker(village, occupation, **extra)  # noqa: E731
    poor = {"budget_year": 2025, "category": "miskin_ekstrem"}
    rt = {"budget_year": 2025, "category": "ketua_rt", "pekon": PEKON, "rw": "002", "rt": "005"}
    term = {"budget_year": 2024, "category": "petugas_pemilu", "term_start": "2024-09-01", "term_end": "2024-12-31"}
    requests = [
        _request(PRINGSEWU, apbd, w(poverty_source="P3KE"), fields=poor),
        _request(PRINGSEWU, apbd, w(), fields=poor),
        _request(PRINGSEWU, apbd, w("ketua_rt"), fields={"budget_year": 2025, "category": "ketua_rt"}),
        _request(PRINGSEWU, apbd, w("ketua_rt"), fields=rt),
        _request(PRINGSEWU, apbd, w("ketua_rt"), fields=rt),  # the same RT again
        _request(PRINGSEWU, apbd, w("ketua_rt", OTHER_PEKON), fields=rt | {"rt": "007"}),
        _request(PRINGSEWU, apbd, w("anggota_bhp"), fields={"budget_year": 2025, "category": "anggota_bhp"}),
        _request(PRINGSEWU, apbd, w("petugas_pemilu"), start="2024-09", months=6, fields=term),
        _request(PRINGSEWU, apbd, w("petugas_pemilu"), start="2024-09", months=4, fields=term),
        _request(PRINGSEWU, apbd, w(poverty_source="DTKS"), start="2026-01", fields=poor | {"budget_year": 2026}),
        _request(PRINGSEWU, apbd, w(poverty_source="DTKS"), start="2026-01", fields=poor | {"budget_year": 2026}),
        _request(PRINGSEWU, apbd, w(poverty_source="DTKS"), start="2026-01", fields=poor | {"budget_year": 2026}),
        _request(PRINGSEWU, apbd, w("ketua_rt"), start="2026-01", fields=rt | {"budget_year": 2026}),
        _request(PRINGSEWU, people.sponsor("perorangan"), w(poverty_source="DTKS"), fields=poor),
    ]
    plan = assert_same_as_form(people, requests, expect_rules={
        "worker_has_poverty_flag", "field_required", "unique_among_live", "lives_in_pekon", "months_within",
        "budget_exceeded", "budget_missing", "sponsor_type_in"})
    refused = plan.rows[11].problems
    assert [p.rule for p in refused] == ["budget_exceeded"]
    assert "pagu Rp403.200, sisa Rp0, kepesertaan ini butuh Rp201.600" in refused[0].message


LUWU, L_VILLAGE, L_OTHER = "luwu_utara", "73.22.01.2001", "73.22.01.2002"


def test_luwu_utara_list_refused_like_the_form(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="73.22")
    gov = people.sponsor("pemerintah_desa", village_code=L_VILLAGE)
    outside = people.sponsor("pemerintah_desa", village_code="33.24.01.2001")
    w = lambda occupation="petani", village=L_VILLAGE: people.worker(village, occupation)  # noqa: E731
    regency = {"category": "apbd", "budget_year": 2025}
    area = {"category": "desa", "budget_year": 2025}
    requests = [
        _request(LUWU, apbd, w("tenaga_non_asn"), fields=regency),
        _request(LUWU, apbd, w("petani"), fields=regency),
        _request(LUWU, gov, w("aparatur_desa"), fields=regency),
        _request(LUWU, gov, w("petani"), fields=area),
        _request(LUWU, gov, w("nelayan", L_OTHER), fields=area),
        _request(LUWU, gov, w("nelayan", "33.24.01.2001"), fields=area),
        _request(LUWU, outside, w(), fields=area),
        _request(LUWU, gov, w(), fields={"budget_year": 2025}),
    ]
    assert_same_as_form(people, requests, expect_rules={
        "worker_occupation_in", "sponsor_type_in", "worker_in_sponsor_region", "worker_lives_in_regency",
        "sponsor_in_scheme_regency", "field_required"})


KENDAL, K_VILLAGE = "kendal_asn_peduli", "33.24.01.2001"


def test_kendal_list_refused_like_the_form(people):
    asn = people.sponsor("asn", nip="198503122010011002", opd="Dinas Sosial")
    stranger = people.sponsor("asn", nip="198503122010011003", opd="Dinas Rahasia")
    w = lambda occupation="pedagang_pasar", village=K_VILLAGE, **extra: people.worker(village, occupation, **extra)  # noqa: E731
    pay = {"payment_method": "potong_gaji"}
    requests = [
        _request(KENDAL, asn, w(), fields=pay),
        _request(KENDAL, stranger, w(), fields=pay),
        _request(KENDAL, asn, w(village="33.27.01.2001"), fields=pay),
        _request(KENDAL, asn, w("aparatur_desa"), fields=pay),
        _request(KENDAL, asn, w(wage_earner=True), fields=pay),
        _request(KENDAL, asn, w(), fields={}),
        _request(KENDAL, people.sponsor("perorangan"), w(), fields=pay),
        _request(KENDAL, asn, w(), months=6, fields=pay),
        _request(KENDAL, asn, w(), months=3, fields=pay),
    ]
    assert_same_as_form(people, requests, expect_rules={
        "opd_listed", "worker_lives_in_regency", "worker_occupation_in", "worker_not_wage_earner", "field_required",
        "sponsor_type_in", "months_in"})


def test_inactive_and_unknown_rows_refused_like_the_form(people):
    asn = people.sponsor("asn", nip="198503122010011002", opd="Dinas Sosial")
    gone = people.worker(K_VILLAGE, "petani")
    set_worker_active(people.db, gone, False, actor=people.actor)
    requests = [_request(KENDAL, asn, gone, fields={"payment_method": "transfer"}),
                _request(KENDAL, asn, 999_999, fields={"payment_method": "transfer"}),
                _request(KENDAL, 999_999, people.worker(K_VILLAGE), fields={"payment_method": "transfer"}),
                _request(KENDAL, asn, people.worker(K_VILLAGE), fields={"payment_method": "transfer"})]
    assert_same_as_form(people, requests, expect_rules={"worker_inactive", "worker_missing", "sponsor_missing"})


# Counting across one list --------------------------------------------------------------------

def test_village_quota_counts_stored_and_listed_rows(people):
    gov = people.sponsor("pemerintah_desa", village_code=M_VILLAGE)
    people.enrol(MEMPAWAH, gov, people.worker(M_VILLAGE), fields=M_FIELDS)
    requests = [_request(MEMPAWAH, gov, people.worker(M_VILLAGE), fields=M_FIELDS) for _ in range(3)]
    plan = plan_bulk(people.db, people.app.plugins, requests, actor=people.actor)
    assert [r.status for r in plan.rows] == ["new", "new", "refused"]
    assert [p.rule for p in plan.rows[2].problems] == ["quota_per_village"]
    assert "sudah penuh: 3 dari 3 pekerja" in plan.rows[2].problems[0].message


def test_the_101st_worker_of_a_village_is_refused(people):
    gov = people.sponsor("pemerintah_desa", village_code=M_VILLAGE)
    fields = {"budget_year": 2025, "apbdes_ref": "RKPDes 2025"}  # quota: the default 100
    requests = [_request(MEMPAWAH, gov, people.worker(M_VILLAGE, "nelayan"), fields=fields) for _ in range(101)]
    plan = plan_bulk(people.db, people.app.plugins, requests, actor=people.actor)
    assert len(plan.accepted) == 100 and [r.row for r in plan.refused] == [101]
    assert "100 dari 100 pekerja" in plan.refused[0].problems[0].message
    apply_bulk(people.db, people.app.plugins, plan, actor=people.actor)
    assert people.db.execute("SELECT COUNT(*) FROM sponsorships").fetchone()[0] == 100
    assert people.db.execute("SELECT COUNT(*) FROM contribution_lines").fetchone()[0] == 1200


def test_the_same_worker_twice_in_a_list_is_refused_once(people):
    parent = people.sponsor("perorangan")
    worker = people.worker(P_VILLAGE)
    plan = plan_bulk(people.db, people.app.plugins, [
        _request(PEMALANG, parent, worker, fields=P_FIELDS),
        _request(PEMALANG, parent, worker, start="2025-06", months=6, fields=P_FIELDS)], actor=people.actor)
    assert [r.status for r in plan.rows] == ["new", "refused"]
    assert plan.rows[1].problems[0].rule == "double_coverage" and "baris 1 daftar ini" in plan.rows[1].problems[0].message


# Writing -------------------------------------------------------------------------------------

def test_apply_writes_sponsorships_lines_and_totals_like_enrol(people):
    parent = people.sponsor("perorangan")
    by_form = people.worker(P_VILLAGE, gender="P")
    people.enrol(PEMALANG, parent, by_form, fields=P_FIELDS | {"pledge": 10}, payment_period=3)
    workers = [people.worker(P_VILLAGE, gender=g) for g in "LPL"]
    plan = plan_bulk(people.db, people.app.plugins,
                     [_request(PEMALANG, parent, w, fields=P_FIELDS | {"pledge": 10}, payment_period=3)
                      for w in workers], actor=people.actor)
    assert apply_bulk(people.db, people.app.plugins, plan, actor=people.actor)["imported"] == 3
    rows = list(people.db.query("SELECT * FROM sponsorships ORDER BY id"))
    ignore = {"id", "worker_id", "created_at", "updated_at"}
    assert all({k: v for k, v in r.items() if k not in ignore} == {k: v for k, v in rows[0].items() if k not in ignore}
               for r in rows[1:])
    lines = list(people.db.query("SELECT sponsorship_id, month, amount, jkk, jkm FROM contribution_lines"
                                 " ORDER BY sponsorship_id, month"))
    assert len(lines) == 48 and {(l["amount"], l["jkk"], l["jkm"]) for l in lines} == {(16_800, 10_000, 6_800)}
    assert totals_are_recomputed(people.db)
    # The per-line trigger is back for the next single enrolment.
    assert "line_totals_insert" in trigger_names(people.db, "contribution_lines")
    people.enrol(PEMALANG, parent, people.worker(P_VILLAGE), fields=P_FIELDS | {"pledge": 10})
    assert totals_are_recomputed(people.db)
    audit = [a["after"] for a in people.db.query("SELECT after FROM audit_log WHERE action = 'bulk_insert'"
                                                 " AND table_name = 'sponsorships'")]
    assert len(audit) == 1 and '"count": 3' in audit[0]


def test_applying_the_same_list_again_changes_nothing(people):
    gov = people.sponsor("pemerintah_desa", village_code=M_VILLAGE)
    requests = [_request(MEMPAWAH, gov, people.worker(M_VILLAGE), fields=M_FIELDS) for _ in range(2)]
    apply_bulk(people.db, people.app.plugins, plan_bulk(people.db, people.app.plugins, requests, actor=people.actor),
               actor=people.actor)
    before = snapshot(people.db)
    again = plan_bulk(people.db, people.app.plugins, requests, actor=people.actor)
    assert again.counts == {"imported": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    apply_bulk(people.db, people.app.plugins, again, actor=people.actor)
    assert snapshot(people.db) == before


def test_a_failure_midway_rolls_everything_back(people, monkeypatch):
    gov = people.sponsor("pemerintah_desa", village_code=M_VILLAGE)
    plan = plan_bulk(people.db, people.app.plugins,
                     [_request(MEMPAWAH, gov, people.worker(M_VILLAGE), fields=M_FIELDS) for _ in range(3)],
                     actor=people.actor)
    before = snapshot(people.db)
    real = batches.store.bulk_insert

    def fail_on_lines(db, table, *args, **kwargs):
        if table == "contribution_lines":
            given = list(args[1])

            def rows():
                yield from given[:5]
                raise RuntimeError("disk full")
            args = (args[0], rows(), *args[2:])
        return real(db, table, *args, **kwargs)

    monkeypatch.setattr(batches.store, "bulk_insert", fail_on_lines)
    with pytest.raises(RuntimeError):
        apply_bulk(people.db, people.app.plugins, plan, actor=people.actor)
    assert snapshot(people.db) == before
    assert "line_totals_insert" in trigger_names(people.db, "contribution_lines"), \
        "the totals trigger must survive a failed load"


def test_apply_plans_again_when_data_changed_meanwhile(people):
    gov = people.sponsor("pemerintah_desa", village_code=M_VILLAGE)
    workers = [people.worker(M_VILLAGE) for _ in range(3)]
    plan = plan_bulk(people.db, people.app.plugins, [_request(MEMPAWAH, gov, w, fields=M_FIELDS) for w in workers],
                     actor=people.actor)
    assert len(plan.accepted) == 3
    people.enrol(MEMPAWAH, gov, people.worker(M_VILLAGE), fields=M_FIELDS)  # another session, meanwhile
    counts = apply_bulk(people.db, people.app.plugins, plan, actor=people.actor)
    assert counts["imported"] == 2 and counts["rejected"] == 1
    assert people.db.execute("SELECT COUNT(*) FROM sponsorships").fetchone()[0] == 3


def test_bulk_totals_follow_the_migration_formula(people):
    """The aggregate of ``db.batches`` adds what the per-line trigger adds (m005)."""
    parent = people.sponsor("perorangan")
    workers = [people.worker(P_VILLAGE, gender=g, born=dt.date(1970 + n, 1, 2)) for n, g in enumerate("LPLP")]
    for w in workers[:2]:
        people.enrol(PEMALANG, parent, w, fields=P_FIELDS | {"pledge": 10})
    snapshot_by_trigger = list(people.db.query("SELECT * FROM line_totals ORDER BY 1, 2, 3, 4, 5"))
    people.db.execute("DELETE FROM line_totals")
    people.db.execute("DELETE FROM contribution_lines")
    people.db.execute("DELETE FROM sponsorships")
    plan = plan_bulk(people.db, people.app.plugins, [_request(PEMALANG, parent, w, fields=P_FIELDS | {"pledge": 10})
                                                     for w in workers[:2]], actor=people.actor)
    apply_bulk(people.db, people.app.plugins, plan, actor=people.actor)
    assert list(people.db.query("SELECT * FROM line_totals WHERE lines <> 0 ORDER BY 1, 2, 3, 4, 5")) == [
        r for r in snapshot_by_trigger if r["lines"]]
    assert queries_count(people.db) == 24


def queries_count(db):
    return db.execute("SELECT COUNT(*) FROM contribution_lines").fetchone()[0]


def test_village_operator_lists_only_its_workers_with_sponsors_it_may_see(people):
    from payung.auth.access import Actor
    gov = people.sponsor("pemerintah_desa", village_code=M_VILLAGE)
    other_gov = people.sponsor("pemerintah_desa", village_code=M_OTHER)
    mine, theirs = people.worker(M_VILLAGE), people.worker(M_OTHER)
    desa = Actor("desa", "desa", villages=(M_VILLAGE,))
    plan = plan_bulk(people.db, people.app.plugins, [
        _request(MEMPAWAH, gov, mine, fields=M_FIELDS), _request(MEMPAWAH, gov, theirs, fields=M_FIELDS),
        _request(MEMPAWAH, other_gov, people.worker(M_VILLAGE), fields=M_FIELDS)], actor=desa)
    assert [r.status for r in plan.rows] == ["new", "refused", "refused"]
    assert [p.rule for p in plan.rows[1].problems] == ["worker_missing"]
    assert [p.rule for p in plan.rows[2].problems] == ["sponsor_missing"]
    operator = Actor("op", "operator", regency_code="33.24")
    from payung.auth.access import Forbidden
    with pytest.raises(Forbidden):
        plan_bulk(people.db, people.app.plugins, [_request(MEMPAWAH, gov, mine, fields=M_FIELDS)], actor=operator)


def test_payment_period_is_checked(people):
    gov = people.sponsor("pemerintah_desa", village_code=M_VILLAGE)
    plan = plan_bulk(people.db, people.app.plugins, [
        _request(MEMPAWAH, gov, people.worker(M_VILLAGE), fields=M_FIELDS, payment_period=5)], actor=people.actor)
    with pytest.raises(ValidationError) as form:
        people.enrol(MEMPAWAH, gov, people.worker(M_VILLAGE), fields=M_FIELDS, payment_period=5)
    assert [(p.message, p.rule) for p in plan.rows[0].problems] == [(p.message, p.rule) for p in form.value.problems]


def test_a_plan_is_not_a_permission(people):
    """A village operator cannot write a list planned by someone else for another village."""
    from payung.auth.access import Actor, Forbidden
    gov = people.sponsor("pemerintah_desa", village_code=M_OTHER)
    plan = plan_bulk(people.db, people.app.plugins, [_request(MEMPAWAH, gov, people.worker(M_OTHER), fields=M_FIELDS)],
                     actor=people.actor)
    before = snapshot(people.db)
    with pytest.raises(Forbidden):
        apply_bulk(people.db, people.app.plugins, plan, actor=Actor("desa", "desa", villages=(M_VILLAGE,)))
    assert snapshot(people.db) == before
