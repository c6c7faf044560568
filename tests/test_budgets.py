"""Budget lines (``payung.finance.budgets``): enrolments charged to the line of their category and
year, refused with the figures beyond it, and the planner's two questions in integer Rupiah."""

import pytest

from payung.auth.access import Actor
from payung.base.errors import ValidationError
from payung.finance import budgets

from db import queries

from shipped_schemes import PRINGSEWU, budget_line, enrol_pringsewu, pringsewu_worker


def test_enrolment_beyond_a_budget_line_is_refused_with_the_figures(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    line = budget_line(people, 201_600 + 100_800)
    first = enrol_pringsewu(people, apbd, pringsewu_worker(people))
    assert {l["budget_line_id"] for l in queries.lines_of(people.db, first)} == {line}
    problems = people.refused(PRINGSEWU, apbd, pringsewu_worker(people), start="2025-01", months=12,
                              fields={"budget_year": 2025, "category": "miskin_ekstrem"})
    assert [(p.rule, p.message) for p in problems] == [("budget_exceeded", (
        'Melebihi pos anggaran "APBD 2025 miskin ekstrem" tahun 2025: pagu Rp302.400, sisa Rp100.800, '
        "kepesertaan ini butuh Rp201.600."))]
    # Six months fit exactly what is left.
    assert enrol_pringsewu(people, apbd, pringsewu_worker(people), months=6)
    row = budgets.budget_lines(people.db, PRINGSEWU, actor=Actor.system())[0]
    assert (row["amount"], row["committed"], row["remaining"], row["paid"]) == (302_400, 302_400, 0, 0)


def test_budget_lines_are_matched_by_category_and_year(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    budget_line(people, 10_000_000, category="ketua_rt", name="APBD 2025 ketua RT")
    problems = people.refused(PRINGSEWU, apbd, pringsewu_worker(people), start="2025-01", months=12,
                              fields={"budget_year": 2025, "category": "miskin_ekstrem"})
    assert [p.rule for p in problems] == ["budget_missing"]
    # A scheme without any line for a year has no ceiling that year.
    assert enrol_pringsewu(people, apbd, pringsewu_worker(people), start="2026-01")
    # A line across two years: each year is charged to its own line.
    line_2026 = budget_line(people, 1_000_000, year=2026, name="APBD 2026")
    sponsorship = enrol_pringsewu(people, apbd, pringsewu_worker(people),
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
