"""Arrears and renewals (``payung.enrolment.arrears``): the late list by party with the lapsed
workers, and a renewal that keeps the sponsor, scheme and fields."""

import datetime as dt

import pytest

from db import queries
from db.scope import EVERYTHING
from payung.auth.access import Actor
from payung.base.errors import ValidationError
from payung.base.months import add_months, current_month
from payung.enrolment import arrears
from payung.finance.payments import record_payment

from shipped_schemes import PEKON, PRINGSEWU, enrol_pringsewu, paid_up, pringsewu_worker


def test_late_list_groups_arrears_by_party_and_lists_lapsed_workers(people):
    today = dt.date(2025, 6, 20)  # May fell due on 15 June
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10", name="APBD Pringsewu")
    first = enrol_pringsewu(people, apbd, pringsewu_worker(people), start="2025-04", months=6)
    lapsed = enrol_pringsewu(people, apbd, pringsewu_worker(people), start="2024-11", months=12)
    enrol_pringsewu(people, apbd, pringsewu_worker(people), start="2025-04", months=6)
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


def test_a_reminder_names_the_first_workers_alphabetically_and_namesakes_once(people):
    """A party's reminder names the first 15 names in alphabetical order, each with its months;
    two workers of one name are one name (the message counts names), not one worker."""
    today = dt.date(2025, 6, 20)
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10", name="APBD Pringsewu")
    names = [f"Pekerja {letter}" for letter in "QPONMLKJIHGFEDCBA"] + ["Pekerja A"]  # 18 workers, 17 names
    for name in names:
        enrol_pringsewu(people, apbd, people.worker(PEKON, "petani", poverty_source="P3KE", name=name),
                        start="2025-04", months=6)
    late = arrears.late_list(people.db, people.app.plugins, today=today, actor=Actor.system())
    [party] = late.parties
    assert (party["workers"], party["lines"], party["names"]) == (18, 36, 17)
    named = late.named[(PRINGSEWU, party["party_key"])]
    assert list(named) == sorted(set(names))[:15]
    assert named["Pekerja A"] == ["2025-04", "2025-04", "2025-05", "2025-05"]
    [note] = arrears.reminders(people.db, people.app.plugins, today=today, actor=Actor.system(), late=late)
    assert "untuk 17 pekerja" in note.message and "- Pekerja A: Apr 2025, Apr 2025, Mei 2025, Mei 2025" in note.message
    assert "- dan 2 pekerja lainnya" in note.message and "Pekerja Q" not in note.message


def test_the_late_lines_are_grouped_whatever_order_the_database_returns_them_in():
    """PostgreSQL and SQLite return the rule's rows in no promised order: a party's oldest month
    and label, and a lapsed worker's first and last month and the sponsor of the first, come out
    the same from any order."""
    import random
    rows = [("7", "Dinas B", 1, "Ani", "3324", "2025-03", 100, "Sponsor awal", "menunggak"),
            ("7", "Dinas A", 2, "Budi", "3324", "2025-01", 100, "Sponsor awal", "menunggak"),
            ("7", "Dinas A", 2, "Budi", "3324", "2025-02", 50, "Sponsor awal", "menunggak"),
            *[("8", "Dinas C", 3, "Cici", "3324", f"2024-{m:02d}", 100, "Sponsor awal" if m == 5 else "Sponsor baru",
               "berakhir") for m in range(5, 13)]]
    want = arrears._grouped(rows)
    assert want[0]["7"] | {"worker_ids": None} == {"party": "Dinas A", "worker_ids": None, "lines": 3, "amount": 250,
                                                   "oldest": "2025-01", "months": {"Ani": ["2025-03"],
                                                                                   "Budi": ["2025-01", "2025-02"]}}
    assert want[1][3] == {"worker_id": 3, "worker": "Cici", "nik": "3324", "sponsor": "Sponsor awal", "months": 8,
                          "first": "2024-05", "last": "2024-12"}
    rng = random.Random(6)
    for _ in range(20):
        shuffled = rng.sample(rows, len(rows))
        parties, lapsed = arrears._grouped(shuffled)
        assert {k: v | {"months": {n: sorted(m) for n, m in v["months"].items()}} for k, v in parties.items()} == want[0]
        assert lapsed == want[1]


def test_renewal_keeps_sponsor_scheme_and_fields(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    this_month = current_month()
    ending = enrol_pringsewu(people, apbd, pringsewu_worker(people), start=add_months(this_month, -4), months=6)
    due = arrears.ending_soon(people.db, people.app.plugins, actor=people.actor)
    assert [r["id"] for r in due.rows] == [ending] and due.total == 1
    renewed = arrears.renew(people.db, people.app.plugins, ending, actor=people.actor)
    old, new = queries.sponsorship(people.db, ending, EVERYTHING), queries.sponsorship(people.db, renewed, EVERYTHING)
    assert new["start_month"] == add_months(old["end_month"], 1) and new["months"] == 6
    assert (new["sponsor_id"], new["scheme_code"], new["fields"], new["programs"]) == (
        old["sponsor_id"], old["scheme_code"], old["fields"], old["programs"])
    assert arrears.ending_soon(people.db, people.app.plugins, actor=people.actor) == arrears.Renewals(0, [])
    with pytest.raises(ValidationError, match="sudah ditanggung"):
        arrears.renew(people.db, people.app.plugins, ending, actor=people.actor)


@pytest.mark.unchecked  # months marked paid without a payment
def test_what_ends_this_month_is_listed_for_renewal_with_what_ends_next_month(people):
    """Rule: a kepesertaan whose last month is this month was in no renewal list (next month's
    list took it the month before, the ended list once it had ended): it is listed with those of
    next month, and one that ends later is not."""
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    this_month = current_month()
    this = enrol_pringsewu(people, apbd, pringsewu_worker(people), start=add_months(this_month, -5), months=6)
    following = enrol_pringsewu(people, apbd, pringsewu_worker(people), start=add_months(this_month, -4), months=6)
    later = enrol_pringsewu(people, apbd, pringsewu_worker(people), start=add_months(this_month, -3), months=6)
    paid_up(people, this, following, later)  # unpaid, their memberships would have ended by arrears
    due = arrears.ending_soon(people.db, people.app.plugins, actor=people.actor)
    assert sorted(r["id"] for r in due.rows) == sorted([this, following]) and due.total == 2


def test_the_renewals_are_counted_whole_and_listed_from_the_first_by_sponsor_and_worker(people):
    """The page shows the first hundred renewals with a button each; the tab counts them all."""
    start = add_months(current_month(), -4)
    later, first = (people.sponsor("apbd_kabupaten", regency_code="18.10", name=n) for n in ("APBD B", "APBD A"))
    for sponsor, name in ((later, "Zaenal"), (later, "Yanti"), (first, "Xaverius")):
        enrol_pringsewu(people, sponsor, people.worker(PEKON, "petani", poverty_source="P3KE", name=name),
                        start=start, months=6)
    enrol_pringsewu(people, first, pringsewu_worker(people), start=start, months=12)  # ends later
    due = arrears.ending_soon(people.db, people.app.plugins, actor=people.actor, limit=2)
    assert due.total == 3
    assert [(r["sponsor_name"], r["worker_name"]) for r in due.rows] == [("APBD A", "Xaverius"), ("APBD B", "Yanti")]
    every = arrears.ending_soon(people.db, people.app.plugins, actor=people.actor)
    assert every.total == 3 and [r["worker_name"] for r in every.rows] == ["Xaverius", "Yanti", "Zaenal"]
    other = next(code for code in people.app.plugins.schemes if code != PRINGSEWU)
    assert arrears.ending_soon(people.db, people.app.plugins, actor=people.actor, scheme_code=other,
                                     limit=2) == arrears.Renewals(0, [])



def test_the_first_renewals_shown_are_the_first_of_the_whole_list_whatever_the_limit(people):
    """Rule: the page's first ``limit`` rows are the whole list's first rows by sponsor, worker
    and id, its total the whole count. ``db.billing.sponsorships_ending`` reads worker names only
    up to the ``limit``-th sponsor name: two sponsors of one name, a sponsor whose rows straddle
    the limit, and namesakes under one sponsor are each cut at every limit."""
    start = add_months(current_month(), -4)
    a1, a2, b, c = (people.sponsor("apbd_kabupaten", regency_code="18.10", name=n)
                    for n in ("APBD A", "APBD A", "APBD B", "APBD C"))
    ids = {}
    for sponsor, name in ((a1, "Zaenal"), (c, "Eka"), (a2, "Yanti"), (b, "Sama"), (a1, "Budi"), (b, "Sama"),
                          (a2, "Ani"), (b, "Citra")):
        worker = people.worker(PEKON, "petani", poverty_source="P3KE", name=name)
        ids.setdefault((sponsor, name), []).append(enrol_pringsewu(people, sponsor, worker, start=start, months=6))
    every = arrears.ending_soon(people.db, people.app.plugins, actor=people.actor)
    assert [r["id"] for r in every.rows] == [
        *ids[a2, "Ani"], *ids[a1, "Budi"], *ids[a2, "Yanti"], *ids[a1, "Zaenal"], *ids[b, "Citra"],
        *sorted(ids[b, "Sama"]), *ids[c, "Eka"]] and every.total == 8
    for limit in range(1, 10):
        shown = arrears.ending_soon(people.db, people.app.plugins, actor=people.actor, limit=limit)
        assert shown == arrears.Renewals(8, every.rows[:limit]), limit



@pytest.mark.unchecked  # months marked paid without a payment
def test_sponsorships_ended_lately_and_not_renewed_are_listed_for_renewal(people):
    """Rule: a live sponsorship whose last month has passed (selesai) in the last ``lapse_months``
    months, and that nobody renewed, is listed for renewal; one ended longer ago, one still
    running, one renewed, and one refused are not. A renewal continues from the month after."""
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    this_month = current_month()
    lapse = people.app.settings.lapse_months
    ended = enrol_pringsewu(people, apbd, pringsewu_worker(people), start=add_months(this_month, -7), months=6)
    oldest = enrol_pringsewu(people, apbd, pringsewu_worker(people), start=add_months(this_month, -lapse - 5),
                             months=6)  # its last month is lapse_months ago: still listed
    enrol_pringsewu(people, apbd, pringsewu_worker(people), start=add_months(this_month, -lapse - 6), months=6)
    enrol_pringsewu(people, apbd, pringsewu_worker(people), start=add_months(this_month, -5), months=6)  # running
    refused = enrol_pringsewu(people, apbd, pringsewu_worker(people), start=add_months(this_month, -8), months=6)
    people.db.execute("UPDATE sponsorships SET status = 'ditolak' WHERE id = ?", [refused])
    paid_up(people, ended, oldest)  # unpaid, their memberships would have ended by arrears
    listed = arrears.ended_unrenewed(people.db, people.app.plugins, actor=people.actor)
    assert sorted(r["id"] for r in listed.rows) == sorted([ended, oldest]) and listed.total == 2
    # Renewed on the 1st, before last month falls due: its unpaid months continue no lapsed run yet.
    renewed = arrears.renew(people.db, people.app.plugins, ended, actor=people.actor,
                            today=dt.date.fromisoformat(this_month + "-01"))
    assert queries.sponsorship(people.db, renewed, EVERYTHING)["start_month"] == add_months(this_month, -1)
    assert [r["id"] for r in arrears.ended_unrenewed(people.db, people.app.plugins, actor=people.actor).rows] == [
        oldest]


def test_a_sponsorship_ended_lately_with_its_months_unpaid_is_not_renewed(people):
    """Rule: more than ``lapse_months`` unpaid months end the BPJS membership (berakhir). A
    sponsorship that ended lately with its months unpaid was listed and renewed from the month
    after: the renewal's months already past due joined that run, berakhir at once, billed but
    never payable. It is not listed for renewal, and its renewal is refused, saying to register
    the worker anew; nothing is written."""
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    this_month = current_month()
    lapse = people.app.settings.lapse_months
    worker = pringsewu_worker(people)
    unpaid = enrol_pringsewu(people, apbd, worker, start=add_months(this_month, -lapse - 5), months=6)
    assert unpaid not in [r["id"] for r in arrears.ended_unrenewed(people.db, people.app.plugins,
                                                                   actor=people.actor).rows]
    with pytest.raises(ValidationError) as refused:
        arrears.renew(people.db, people.app.plugins, unpaid, actor=people.actor)
    [problem] = refused.value.problems
    assert problem.rule == "renew_lapsed" and "berakhir" in problem.message and "didaftarkan ulang" in problem.message
    assert people.db.execute("SELECT COUNT(*) FROM sponsorships WHERE worker_id = ?", [worker]).fetchone()[0] == 1


@pytest.mark.parametrize("read, noted", [
    (lambda f: f.get("sk"), {"sk"}),
    (lambda f: "sk" in f, {"sk"}),
    (lambda f: f.pop("sk", None), {"sk"}),  # a hook that takes a field out or fills it in reads it too
    (lambda f: f.setdefault("ref", "-"), {"ref"}),
    (lambda f: f["budget_year"], set()),  # carried over: given, not an estimate
    (lambda f: f.get("category"), set()),
    (lambda f: dict(f), {"sk", "ref"}),  # going through the fields reads them all
    (lambda f: {**f}, {"sk", "ref"}),
    (lambda f: list(f.items()), {"sk", "ref"}),
    (lambda f: len(f), {"sk", "ref"}),
    (lambda f: f == {}, {"sk", "ref"}),
])
def test_the_fields_of_a_renewal_line_note_which_field_of_the_new_year_a_plugin_read(read, noted):
    """A renewal line's price is an estimate when a plugin's adjustment read a field not yet
    given for the new year (``_ReadFields``): by name, or by going through the fields."""
    fields = arrears._ReadFields({"budget_year": 2027}, ["sk", "ref"])
    read(fields)
    assert fields.read == noted
