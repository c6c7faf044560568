"""Two shipped schemes the money tests use: Pringsewu (a regency budget line of the "miskin
ekstrem" category and enrolments charged to it) and Kendal (civil servants billed per OPD)."""

PRINGSEWU = "pringsewu_uc"
PEKON = "18.10.01.2006"
KENDAL = "kendal_asn_peduli"
KENDAL_VILLAGE = "33.24.01.2001"


def pringsewu_worker(people):
    return people.worker(PEKON, "petani", poverty_source="P3KE")


def budget_line(people, amount, **values):
    from payung.finance import budgets
    return budgets.create_budget_line(people.db, people.app.plugins, {
        "scheme_code": PRINGSEWU, "year": 2025, "name": "APBD 2025 miskin ekstrem", "source": "APBD",
        "amount": amount, "category": "miskin_ekstrem"} | values, actor=people.actor)


def enrol_pringsewu(people, apbd, worker, months=12, start="2025-01"):
    return people.enrol(PRINGSEWU, apbd, worker, start=start, months=months,
                        fields={"budget_year": 2025, "category": "miskin_ekstrem"})


def paid_up(people, *sponsorships):
    """Marks every month of the sponsorships paid, without a payment (the test is then marked
    ``unchecked``): a renewal is refused for a membership ended by arrears, and the months of a
    test's sponsorships in the past are otherwise all unpaid."""
    for sponsorship in sponsorships:
        people.db.execute("UPDATE contribution_lines SET paid_amount = amount WHERE sponsorship_id = ?", [sponsorship])
