"""Enrolment (``payung.enrolment.sponsorships``): the monthly amount fixed with a line per month,
the cost before confirming, no worker covered twice in a month, scheme fields and rules, the
scheme's regency, and a pledge that tells a village operator nothing across villages."""

import pytest

from db.scope import EVERYTHING

from db import queries
from payung.base.errors import ValidationError
from payung.people.sponsors import create_sponsor
from payung.enrolment.sponsorships import describe_cost, enrol, plan_enrolment
from payung.people.workers import create_worker

from conftest import refused_by_the_engine, snapshot, worker_values

FIELDS = {"budget_year": 2025}


@pytest.fixture
def sponsor_id(app, db, admin):
    return create_sponsor(db, app.settings, {"type": "perorangan", "name": "Haji Slamet"}, actor=admin)


def _enrol(app, db, admin, sponsor_id, worker_id, **overrides):
    choices = dict(scheme_code="contoh_desa", sponsor_id=sponsor_id, worker_id=worker_id, start_month="2025-01",
                   fields=FIELDS) | overrides
    return enrol(db, app.plugins, actor=admin, **choices)


def test_enrolment_fixes_monthly_amount_and_creates_a_line_per_month(app, db, admin, sponsor_id, worker_id):
    sponsorship_id = _enrol(app, db, admin, sponsor_id, worker_id)
    row = queries.sponsorship(db, sponsorship_id, EVERYTHING)
    assert (row["months"], row["end_month"], row["monthly_amount"], row["status"]) == (12, "2025-12", 16_800, "diajukan")
    lines = queries.lines_of(db, sponsorship_id)
    assert [l["month"] for l in lines][:2] == ["2025-01", "2025-02"] and len(lines) == 12
    assert sum(l["amount"] for l in lines) == 201_600
    assert {(l["village_code"], l["occupation"]) for l in lines} == {("33.24.01.2001", "petani")}


def test_cost_is_shown_before_confirming(app, db, admin, sponsor_id, worker_id):
    plan = plan_enrolment(db, app.plugins, actor=admin, scheme_code="contoh_desa", sponsor_id=sponsor_id,
                          worker_id=worker_id, start_month="2025-01", months=6, fields=FIELDS)
    assert plan.ok and describe_cost(plan) == "Rp16.800 per bulan x 6 bulan = Rp100.800"


def test_worker_cannot_be_covered_twice_for_the_same_month(app, db, admin, sponsor_id, worker_id):
    _enrol(app, db, admin, sponsor_id, worker_id)
    other = create_sponsor(db, app.settings, {"type": "perorangan", "name": "Bu Ani"}, actor=admin)
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        _enrol(app, db, admin, other, worker_id, start_month="2025-12")
    assert [p.rule for p in refused.value.problems] == ["double_coverage"]
    assert "Desember 2025" in refused.value.problems[0].message
    assert snapshot(db) == before
    # The month after the first sponsorship ends is free.
    assert _enrol(app, db, admin, other, worker_id, start_month="2026-01")


def test_unique_index_backs_the_double_coverage_rule(app, db, admin, sponsor_id, worker_id):
    from db import store
    from payung.base.errors import ConstraintError
    sponsorship_id = _enrol(app, db, admin, sponsor_id, worker_id)
    line = queries.lines_of(db, sponsorship_id)[0]
    duplicate = {k: v for k, v in line.items() if k not in ("id",)}
    with pytest.raises(ConstraintError) as refused:
        store.insert(db, "contribution_lines", duplicate, actor="t")
    assert refused_by_the_engine(refused.value)


def test_missing_required_scheme_field_is_refused(app, db, admin, sponsor_id, worker_id):
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        _enrol(app, db, admin, sponsor_id, worker_id, fields={})
    assert refused.value.for_field("budget_year") == ["«Tahun anggaran» wajib diisi."]
    assert snapshot(db) == before


def test_scheme_rules_and_plugin_validation_run(app, db, admin, worker_id):
    village_gov = create_sponsor(db, app.settings, {"type": "pemerintah_desa", "name": "Pemdes",
                                                    "village_code": "33.24.01.2001"}, actor=admin)
    with pytest.raises(ValidationError) as refused:
        _enrol(app, db, admin, village_gov, worker_id, fields=FIELDS | {"pillar": "donatur"})
    assert refused.value.for_field("pillar") == ["Pilar donatur hanya untuk penyandang dana perorangan."]


def test_worker_outside_the_scheme_regency_is_refused(app, db, admin, sponsor_id):
    pemalang = create_worker(db, app.settings, worker_values(nik="3327015708750001", village_code="33.27.01.2001"),
                             actor=admin)
    with pytest.raises(ValidationError) as refused:
        _enrol(app, db, admin, sponsor_id, pemalang)
    assert refused.value.problems[0].rule == "worker_lives_in_regency"
    assert "Kabupaten Kendal" in refused.value.problems[0].message


def test_plugin_can_adjust_the_contribution(app, db, admin, sponsor_id, worker_id):
    sponsorship_id = _enrol(app, db, admin, sponsor_id, worker_id, fields=FIELDS | {"discount": True})
    assert queries.sponsorship(db, sponsorship_id, EVERYTHING)["monthly_amount"] == 15_800


def test_bad_choices_are_all_reported(app, db, admin, sponsor_id, worker_id):
    with pytest.raises(ValidationError) as refused:
        _enrol(app, db, admin, sponsor_id, worker_id, start_month="2025-13", months=0, programs=["JKK"],
               fields={"budget_year": "dua ribu"})
    assert {p.field for p in refused.value.problems} == {"start_month", "months", "programs", "budget_year"}


# A pledge counted across villages, told to a village operator -------------------------------

PLEDGE_VILLAGES = ("33.24.01.2001", "33.24.01.2002")


@pytest.fixture
def pledge_app(tmp_path):
    """The example plugin, and a scheme whose sponsors pledge a number of workers."""
    import types

    import example_plugin
    from conftest import write_config
    from payung.core import Payung
    from payung.schemes.fields import Field
    from payung.plugin import Scheme, hookimpl, rules

    scheme = Scheme(code="contoh_janji", name="Skema Contoh Janji", regency_code="33.24",
                    sponsor_types=("perorangan",), months=(12,),
                    fields=(Field("pledge", "Jumlah pekerja yang dijanjikan", "integer", required=True, minimum=1),),
                    rules=(rules.sponsor_limit("pledge", "janji donatur"),))
    plugin = types.ModuleType("pledge_plugin")
    plugin.register_schemes = hookimpl(lambda settings: [scheme])
    app = Payung.load(write_config(tmp_path, plugins_dir=str(tmp_path / "none")), entry_points=False,
                      extra_plugins=(("contoh", example_plugin), ("janji", plugin)))
    db = app.open_db()
    app.initialise(db)
    yield app, db
    db.close()


def _pledged_world(app, db, admin):
    """A donor with 3 workers (1 in the village operator's village, 2 in the next village),
    and a fourth worker of the operator's village to enrol."""
    donor = create_sponsor(db, app.settings, {"type": "perorangan", "name": "Haji Slamet"}, actor=admin)
    serial = iter(range(1, 10))

    def worker(village):
        nik = village[:8].replace(".", "") + f"570875{next(serial):04d}"
        return create_worker(db, app.settings, worker_values(nik=nik, village_code=village), actor=admin)

    for village in (PLEDGE_VILLAGES[0], PLEDGE_VILLAGES[1], PLEDGE_VILLAGES[1]):
        enrol(db, app.plugins, actor=admin, scheme_code="contoh_janji", sponsor_id=donor, worker_id=worker(village),
              start_month="2025-01", fields={"pledge": 10})
    return donor, worker(PLEDGE_VILLAGES[0])


def test_a_village_operator_is_not_told_a_pledged_donors_count_across_villages(pledge_app, admin):
    from payung.auth.access import Actor
    from payung.enrolment.bulk import plan_bulk
    app, db = pledge_app
    donor, newcomer = _pledged_world(app, db, admin)
    desa = Actor("desa", "desa", villages=(PLEDGE_VILLAGES[0],))
    choices = dict(scheme_code="contoh_janji", sponsor_id=donor, worker_id=newcomer, start_month="2025-01",
                   fields={"pledge": 2})  # 3 taken >= 2 pledged: refused

    def refusal(actor, bulk=False):
        if bulk:
            rows = plan_bulk(db, app.plugins, [choices | {"months": 12}], actor=actor).rows
            problems = rows[0].problems
        else:
            problems = plan_enrolment(db, app.plugins, actor=actor, **choices).problems
        assert [p.rule for p in problems] == ["sponsor_limit"], problems
        return problems[0].message

    for bulk in (False, True):
        told = refusal(desa, bulk)
        # Only the pledge the user typed: neither the donor's 3 nor the 1 of its own village.
        assert "(2)" in told and "Haji Slamet" in told
        assert not set(told.replace("(2)", "")) & set("0123456789"), told
        assert refusal(admin, bulk) == "Haji Slamet sudah menanggung 3 pekerja, sesuai janji donatur (2)."
        operator = Actor("operator", "operator", regency_code="33.24")
        assert refusal(operator, bulk) == "Haji Slamet sudah menanggung 3 pekerja, sesuai janji donatur (2)."


def test_a_pledge_counts_only_the_sponsorships_active_in_the_months_checked(pledge_app, admin):
    """A donor's ended sponsorships (still "aktif") do not use up the pledge for the next year."""
    from payung.enrolment.bulk import plan_bulk
    app, db = pledge_app
    donor, newcomer = _pledged_world(app, db, admin)  # 3 sponsorships of 2025
    db.execute("UPDATE sponsorships SET status = 'aktif'")
    choices = dict(scheme_code="contoh_janji", sponsor_id=donor, worker_id=newcomer, fields={"pledge": 3})
    refused = plan_enrolment(db, app.plugins, actor=admin, start_month="2025-12", **choices).problems
    assert [p.rule for p in refused] == ["sponsor_limit"]
    assert plan_enrolment(db, app.plugins, actor=admin, start_month="2026-01", **choices).problems == []
    rows = plan_bulk(db, app.plugins, [choices | {"start_month": "2026-01", "months": 12}], actor=admin).rows
    assert rows[0].problems == []
