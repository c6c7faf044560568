"""``payung check`` (``payung.operations.checks``): derived figures (line totals, paid amounts,
budgets) against the raw rows, the repair, and the suite's own check after every test."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest

from payung.base.text import search_key

from payung.auth.access import Actor
from payung.finance.payments import record_payment
from payung.people.sponsors import create_sponsor
from payung.enrolment.sponsorships import enrol
from payung.people.workers import update_worker

from conftest import NIK, worker_values

TODAY = dt.date(2025, 3, 1)
FIELDS = {"budget_year": 2025}


def recomputed_line_totals(db) -> dict:
    """line_totals computed here in Python from the raw rows, independently of the SQL."""
    workers = {w["id"]: w for w in db.query("SELECT id, gender, birth_date FROM workers")}
    totals: dict = defaultdict(Counter)
    for line in db.query("SELECT * FROM contribution_lines"):
        w = workers[line["worker_id"]]
        key = (line["month"], line["scheme_code"], line["district_code"], w["gender"], w["birth_date"][:4])
        totals[key].update(lines=1, protected=int(line["paid_amount"] == line["amount"]), billed=line["amount"],
                           paid=line["paid_amount"])
    return {k: (v["lines"], v["protected"], v["billed"], v["paid"]) for k, v in totals.items()}


def stored_line_totals(db) -> dict:
    return {(r["month"], r["scheme_code"], r["district_code"], r["gender"], r["birth_year"]):
            (r["lines"], r["protected"], r["billed"], r["paid"])
            for r in db.query("SELECT * FROM line_totals") if (r["lines"], r["protected"], r["billed"], r["paid"])
            != (0, 0, 0, 0)}


@pytest.fixture
def covered(app, db, admin):
    """A woman born 1975 covered for 2025 by a sponsor (Rp16.800 x 12 = Rp201.600)."""
    from payung.people.workers import create_worker
    worker = create_worker(db, app.settings, worker_values(), actor=admin)
    sponsor = create_sponsor(db, app.settings, {"type": "perorangan", "name": "Haji Slamet"}, actor=admin)
    enrol(db, app.plugins, actor=admin, scheme_code="contoh_desa", sponsor_id=sponsor, worker_id=worker,
          start_month="2025-01", months=12, fields=FIELDS)
    return worker, sponsor


def test_line_totals_follow_a_corrected_birth_date_and_nik(app, db, admin, covered):
    """The tester's report: correct a covered worker's NIK and birth date, then pay the bill."""
    worker, sponsor = covered
    update_worker(db, app.settings, worker, {"nik": NIK[:6] + "570876" + NIK[12:], "birth_date": "1976-08-17"},
                  actor=admin)
    record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor), amount=201_600,
                   paid_on=TODAY, today=TODAY, actor=admin)
    assert stored_line_totals(db) == recomputed_line_totals(db)
    assert sum(v[3] for v in stored_line_totals(db).values()) == 201_600


def test_line_totals_follow_a_corrected_gender(app, db, admin, covered):
    """A woman's NIK day is +40: correcting the gender corrects the NIK too."""
    worker, sponsor = covered
    update_worker(db, app.settings, worker, {"nik": NIK[:6] + "170875" + NIK[12:], "gender": "L"}, actor=admin)
    record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor), amount=100_800,
                   paid_on=TODAY, today=TODAY, actor=admin)
    assert stored_line_totals(db) == recomputed_line_totals(db)
    assert {k[3] for k in stored_line_totals(db)} == {"L"}


def test_line_totals_follow_a_worker_who_moves_and_changes_job(app, db, admin, covered):
    from conftest import OTHER_VILLAGE
    worker, sponsor = covered
    update_worker(db, app.settings, worker, {"village_code": OTHER_VILLAGE, "occupation": "nelayan"}, actor=admin)
    record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor), amount=201_600,
                   paid_on=TODAY, today=TODAY, actor=admin)
    assert stored_line_totals(db) == recomputed_line_totals(db)


@pytest.mark.unchecked  # a line moved by hand no longer matches its sponsorship (the check says so)
def test_line_totals_follow_a_line_given_to_another_worker(app, db, admin, covered):
    from payung.people.workers import create_worker
    other = create_worker(db, app.settings, worker_values(nik=NIK[:12] + "0002", birth_date="1975-08-17",
                                                          name="Ani"), actor=admin)
    db.execute("UPDATE workers SET birth_date = '1990-08-17' WHERE id = ?", [other])
    db.execute("UPDATE contribution_lines SET worker_id = ? WHERE month = '2025-05'", [other])
    assert stored_line_totals(db) == recomputed_line_totals(db)


@pytest.mark.unchecked  # lines changed by hand no longer match their sponsorship (the check says so)
@pytest.mark.parametrize("change", [
    "UPDATE contribution_lines SET month = '2026-0' || substr(month, 7) WHERE month > '2025-09'",
    "UPDATE contribution_lines SET scheme_code = 'lain' WHERE month < '2025-04'",
    "UPDATE contribution_lines SET district_code = '33.24.02' WHERE month = '2025-05'",
    "UPDATE contribution_lines SET jkk = jkk - 1000, amount = amount - 1000 WHERE month = '2025-06'",
    "UPDATE contribution_lines SET paid_amount = amount WHERE month = '2025-07'",
    "DELETE FROM contribution_lines WHERE month = '2025-08'",
])
def test_line_totals_follow_every_change_of_a_line(app, db, admin, covered, change):
    db.execute("INSERT INTO schemes (code, name, regency_code, plugin, created_at, updated_at)"
               " VALUES ('lain', 'Lain', '33.24', 't', '', '')")
    db.execute(change)
    assert stored_line_totals(db) == recomputed_line_totals(db)


# The check -----------------------------------------------------------------------------------

from payung.operations.checks import repair, run_checks  # noqa: E402


def differences(db) -> dict[str, int]:
    return {r.name: r.differences for r in run_checks(db).results if not r.ok}


def test_check_is_green_on_demo_data_and_prints_one_line_per_check(app, db, admin):
    from payung.operations.demo import generate
    generate(app, db, workers=300, seed=7)
    report = run_checks(db)
    assert report.ok, report.lines()
    assert [line.split(":")[0] for line in report.lines()] == [
        "integrity_check", "foreign_key_check", "line_totals", "paid_amounts", "payments", "sponsorships", "name_texts",
        "name_keys", "budgets"]
    totals = report.by_name()["line_totals"]
    assert totals.checked == len(recomputed_line_totals(db)) > 0
    assert totals.line() == f"line_totals: ok ({totals.checked:,} rows)".replace(",", ".")


@pytest.mark.unchecked
def test_check_finds_line_totals_drift_and_repair_rebuilds_them(app, db, admin, covered):
    db.execute("UPDATE line_totals SET billed = billed - 16800, lines = lines - 1 WHERE month = '2025-03'")
    db.execute("INSERT INTO line_totals VALUES ('2030-01', 'contoh_desa', '33.24.01', 'L', '1980', 1, 0, 5, 0)")
    report = run_checks(db)
    assert differences(db) == {"line_totals": 2}
    assert report.by_name()["line_totals"].line() == "line_totals: 2 differences"
    audit_before = db.execute("SELECT MAX(id) FROM audit_log").fetchone()[0]
    repair(db, actor="admin")
    assert run_checks(db).ok and stored_line_totals(db) == recomputed_line_totals(db)
    actions = [r["action"] for r in db.query("SELECT action FROM audit_log WHERE id > ?", [audit_before])]
    assert actions[-1] == "repair" and actions.count("bulk_update") == 3


@pytest.mark.unchecked
def test_check_finds_a_name_written_around_the_store_and_repair_derives_its_key(app, db, admin, worker_id):
    """A name changed by hand keeps the old ``name_key``: no search would find it by its new name."""
    from payung.people.workers import search_workers
    db.execute("UPDATE workers SET name = 'BÉNÉDICTE Sari' WHERE id = ?", [worker_id])
    assert differences(db) == {"name_keys": 1}
    assert run_checks(db).by_name()["name_keys"].examples == [
        {"table": "workers", "id": worker_id, "name": "BÉNÉDICTE Sari", "name_key": "siti aminah",
         "derived": "benedicte sari"}]
    assert search_workers(db, app.settings, actor=admin, text="benedicte").total == 0
    done = repair(db, actor="admin")
    assert done["name_keys"] == 1 and run_checks(db).ok
    assert [r["name"] for r in search_workers(db, app.settings, actor=admin, text="benedicte").rows] == ["BÉNÉDICTE Sari"]


@pytest.mark.unchecked
def test_a_name_stored_as_bytes_is_found_by_the_check_and_its_utf8_text_repaired(app, db, admin, worker_id):
    """Another program wrote a worker's name as bytes: SQLite keeps them (a BLOB in the TEXT
    column), PostgreSQL stores their text form "\\x4a6f...". Either way no search found the worker
    and the check said nothing. UTF-8 bytes of a name are stored as that text by the repair."""
    from payung.people.workers import search_workers
    db.execute("UPDATE workers SET name = ? WHERE id = ?", ["José Rizal".encode(), worker_id])
    db.execute("UPDATE workers SET name_key = ? WHERE id = ?", [search_key(db.execute(
        "SELECT name FROM workers WHERE id = ?", [worker_id]).fetchone()[0]), worker_id])  # as store derives it
    assert search_workers(db, app.settings, actor=admin, text="rizal").total == 0
    assert differences(db) == {"name_texts": 1}
    [example] = run_checks(db).by_name()["name_texts"].examples
    assert (example["table"], example["id"], example["derived"]) == ("workers", worker_id, "José Rizal")
    assert example["name"].startswith("bita 4a 6f 73 c3 a9") and "Bangun ulang tabel turunan" in example["problem"]
    done = repair(db, actor="admin")
    assert (done["name_texts"], done["name_keys"]) == (1, 1) and run_checks(db).ok
    assert db.execute("SELECT name, name_key FROM workers WHERE id = ?", [worker_id]).fetchone() == (
        "José Rizal", "jose rizal")
    assert [r["name"] for r in search_workers(db, app.settings, actor=admin, text="rizal jose").rows] == ["José Rizal"]
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE table_name = 'workers' AND row_id = ? AND action = 'update'"
                      " AND after LIKE '%sebagai teks%'", [str(worker_id)]).fetchone()[0] == 1


@pytest.mark.unchecked
def test_a_name_of_bytes_that_are_no_text_a_person_typed_is_told_to_be_typed_again(app, db, admin, worker_id):
    """Bytes of another encoding (an old program's Latin-1 "José"), or UTF-8 of a name the rules
    refuse (a zero-width space is dropped, a Cyrillic "а" looks Latin): no text to store for them;
    the check says so, with what to do, and the repair leaves them. Typing the name again on the
    worker's page (``update_worker``) and the sponsor's ends the difference."""
    from payung.people.sponsors import update_sponsor
    sponsor = create_sponsor(db, app.settings, {"type": "perorangan", "name": "Ibu Ani"}, actor=admin)
    db.execute("UPDATE workers SET name = ? WHERE id = ?", ["José Rizal".encode("latin-1"), worker_id])
    db.execute("UPDATE sponsors SET name = ? WHERE id = ?", ["Ibu \u0430ni".encode(), sponsor])
    result = run_checks(db).by_name()["name_texts"]
    assert result.differences == 2, result.examples
    assert [(e["table"], e["derived"]) for e in result.examples] == [("workers", "-"), ("sponsors", "-")]
    assert result.examples[0]["name"] == "bita 4a 6f 73 e9 20 52 69 7a 61 6c (10 bita)"
    assert all("ketik ulang namanya" in e["problem"] for e in result.examples)
    assert repair(db, actor="admin")["name_texts"] == 0 and differences(db)["name_texts"] == 2
    update_worker(db, app.settings, worker_id, {"name": "José Rizal"}, actor=admin)
    update_sponsor(db, app.settings, sponsor, {"name": "Ibu Ani"}, actor=admin)
    assert run_checks(db).ok, run_checks(db).lines()


@pytest.mark.unchecked
def test_the_name_key_check_reads_every_page_of_ids(app, db, admin, monkeypatch):
    """The check reads a page of ids at a time (PostgreSQL's cursor holds a whole result): a
    stale key on the last page is found, and every row is counted once."""
    from db import consistency
    from payung.people.workers import create_worker
    from conftest import worker_values
    ids = [create_worker(db, app.settings, worker_values(nik=f"332401570875000{n}", name=f"Pekerja {n}"),
                         actor=admin) for n in range(1, 6)]
    db.execute("UPDATE workers SET name = 'Terakhir' WHERE id = ?", [ids[-1]])
    monkeypatch.setattr(consistency, "_KEY_PAGE", 2)
    rows = db.execute("SELECT (SELECT COUNT(*) FROM workers) + (SELECT COUNT(*) FROM sponsors)").fetchone()[0]
    checked, differences, examples = consistency.name_key_differences(db)
    assert (checked, differences, [e["id"] for e in examples]) == (rows, 1, [ids[-1]])
    repair(db, actor="admin")
    assert run_checks(db).ok


@pytest.mark.unchecked
def test_check_finds_a_paid_amount_no_payment_allocated(app, db, admin, covered):
    db.execute("UPDATE contribution_lines SET paid_amount = amount WHERE month = '2025-01'")
    assert differences(db) == {"paid_amounts": 1}
    repair(db, actor="admin")
    assert run_checks(db).ok
    assert db.execute("SELECT SUM(paid_amount) FROM contribution_lines").fetchone()[0] == 0


@pytest.mark.unchecked
def test_check_finds_paid_money_moved_to_another_line(app, db, admin, covered):
    """The sums agree, the lines do not: the line-weighted fingerprints see it."""
    worker, sponsor = covered
    record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor), amount=16_800,
                   paid_on=TODAY, today=TODAY, actor=admin)
    db.execute("UPDATE contribution_lines SET paid_amount = 0 WHERE month = '2025-01'")
    db.execute("UPDATE contribution_lines SET paid_amount = amount WHERE month = '2025-07'")
    assert db.execute("SELECT SUM(paid_amount) FROM contribution_lines").fetchone()[0] == 16_800
    assert differences(db) == {"paid_amounts": 2}
    repair(db, actor="admin")
    assert run_checks(db).ok


def test_reversed_payments_pay_nothing_in_the_check(app, db, admin, covered):
    from payung.finance.payments import reverse_payment
    worker, sponsor = covered
    paid = record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor), amount=50_400,
                          paid_on=TODAY, today=TODAY, actor=admin)
    record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor), amount=16_800,
                   paid_on=TODAY, today=TODAY, actor=admin)
    reverse_payment(db, paid, reason="transfer ditolak bank", actor=admin)
    assert run_checks(db).ok
    # The reversed payment's allocations are kept, and must not count as paid.
    db.execute("UPDATE contribution_lines SET paid_amount = amount WHERE month IN ('2025-02', '2025-03')")
    assert differences(db) == {"paid_amounts": 2}
    repair(db, actor="admin")
    assert run_checks(db).ok


@pytest.mark.unchecked
def test_check_finds_a_payment_whose_amount_is_not_what_it_allocated(app, db, admin, covered):
    worker, sponsor = covered
    paid = record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor), amount=16_800,
                          paid_on=TODAY, today=TODAY, actor=admin)
    db.execute("UPDATE payments SET amount = amount + 1 WHERE id = ?", [paid])
    assert differences(db) == {"payments": 1}
    repair(db, actor="admin")  # not derived: a person decides, the check keeps showing it
    assert differences(db) == {"payments": 1}
    db.execute("UPDATE payments SET amount = amount - 1 WHERE id = ?", [paid])
    assert run_checks(db).ok


@pytest.mark.unchecked
@pytest.mark.parametrize("breakage", [
    "UPDATE sponsorships SET months = 11",
    "UPDATE sponsorships SET end_month = '2025-11'",
    "UPDATE sponsorships SET start_month = '2025-02'",
    "UPDATE sponsorships SET monthly_amount = 1",
    "UPDATE sponsorships SET status = 'entah'",
    "DELETE FROM contribution_lines WHERE month = '2025-06'",
    "UPDATE contribution_lines SET scheme_code = 'lain' WHERE month = '2025-06'",
])
def test_check_finds_a_sponsorship_that_disagrees_with_its_lines(app, db, admin, covered, breakage):
    db.execute("INSERT INTO schemes (code, name, regency_code, plugin, created_at, updated_at)"
               " VALUES ('lain', 'Lain', '33.24', 't', '', '')")
    assert run_checks(db).ok
    db.execute(breakage)
    assert differences(db).get("sponsorships") == 1


@pytest.fixture
def budgeted(app, db, admin):
    """A sponsorship charged to a 2025 budget line."""
    from payung.finance.budgets import create_budget_line
    from payung.people.workers import create_worker
    budget = create_budget_line(db, app.plugins, {"scheme_code": "contoh_desa", "year": 2025, "name": "APBDes 2025",
                                                  "source": "APBDes", "amount": 500_000}, actor=admin)
    worker = create_worker(db, app.settings, worker_values(), actor=admin)
    sponsor = create_sponsor(db, app.settings, {"type": "perorangan", "name": "Haji Slamet"}, actor=admin)
    enrol(db, app.plugins, actor=admin, scheme_code="contoh_desa", sponsor_id=sponsor, worker_id=worker,
          start_month="2025-01", months=12, fields=FIELDS)
    return budget


@pytest.mark.unchecked
def test_check_finds_a_budget_overrun_and_a_line_on_another_years_budget(app, db, admin, budgeted):
    from payung.finance.budgets import budget_lines
    assert run_checks(db).ok and budget_lines(db, actor=Actor.system())[0]["committed"] == 201_600
    db.execute("UPDATE budget_lines SET amount = 100000")
    assert differences(db) == {"budgets": 1}
    db.execute("UPDATE budget_lines SET amount = 500000")
    db.execute("UPDATE budget_lines SET year = 2024")
    assert differences(db) == {"budgets": 12}


@pytest.mark.unchecked
def test_check_finds_a_reference_to_nowhere(app, db, admin, covered):
    from conftest import foreign_keys_off
    with foreign_keys_off(db):
        db.execute("UPDATE contribution_lines SET budget_line_id = 999 WHERE month = '2025-01'")
    assert differences(db) == {"foreign_key_check": 1}


def test_cli_check_prints_a_line_per_check_and_fails_on_a_difference(app, db, admin, covered, capsys):
    from payung.cli import main
    args = ["check", "--config", str(app.settings.path)]
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("integrity_check: ok (") and "line_totals: ok (12 rows)" in out
    db.execute("UPDATE line_totals SET paid = paid + 5 WHERE month = '2025-04'")
    assert main(args) == 1
    assert "line_totals: 1 difference" in capsys.readouterr().out.splitlines()
    assert main(args + ["--repair"]) == 0
    assert "line_totals: ok (12 rows)" in capsys.readouterr().out.splitlines()
    assert main(args) == 0


@pytest.mark.unchecked
def test_the_suite_fails_a_test_that_leaves_a_difference(app, db, admin, covered):
    from conftest import check_database
    check_database(app.settings.database_url)
    db.execute("UPDATE line_totals SET lines = lines + 1 WHERE month = '2025-02'")
    with pytest.raises(pytest.fail.Exception, match="line_totals: 1 difference"):
        check_database(app.settings.database_url)


@pytest.mark.unchecked
def test_a_name_of_bytes_can_be_typed_again_on_the_worker_and_sponsor_forms(site):
    """What the check tells to do works: the form of a worker (and a sponsor) whose name is
    bytes ended with UnicodeDecodeError; it opens with the name empty and a warning, and Simpan
    stores the name typed. On PostgreSQL the bytes are stored as their text form "\\x4a6f...",
    which the form opened as the name to keep (the check's ``name_texts`` calls it bytes)."""
    from test_pages import open_db, run
    with open_db(site) as db:
        worker = db.execute("SELECT id FROM workers ORDER BY id LIMIT 1").fetchone()[0]
        sponsor = db.execute("SELECT id FROM sponsors WHERE nip IS NULL ORDER BY id LIMIT 1").fetchone()[0]
        db.execute("UPDATE workers SET name = ? WHERE id = ?", ["José Rizal".encode("latin-1"), worker])
        db.execute("UPDATE sponsors SET name = ? WHERE id = ?", ["Ibu Ani".encode("utf-16"), sponsor])
    run("admin", "pages/pekerja.py")  # the list and the worker's page show it (as bytes), no error
    run("admin", "pages/pekerja.py", query={"id": str(worker)})
    for page, key, state, name in (("pages/pekerja_form.py", "f_name", {"edit_worker_id": worker}, "José Rizal"),
                                   ("pages/penyandang_dana_form.py", "s_name", {"edit_sponsor_id": sponsor},
                                    "Ibu Ani")):
        at = run("admin", page, state=state)
        assert at.text_input(key=key).value == "" and any("bukan sebagai teks" in w.value for w in at.warning)
        at.text_input(key=key).set_value(name)
        next(b for b in at.button if b.label == "Simpan").click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
    with open_db(site) as db:
        assert db.execute("SELECT name, name_key FROM workers WHERE id = ?", [worker]).fetchone() == (
            "José Rizal", "jose rizal")
        assert db.execute("SELECT name FROM sponsors WHERE id = ?", [sponsor]).fetchone() == ("Ibu Ani",)
        assert run_checks(db).ok


def test_a_sponsors_other_texts_open_as_stored_even_when_they_look_like_bytes(site):
    """Only the name is asked again when it looks like bytes (the check's ``name_texts`` is about
    names): an address typed as "\\x4142" opened empty, without a word, and Simpan erased it."""
    from test_pages import open_db, run
    with open_db(site) as db:
        sponsor = db.execute("SELECT id FROM sponsors WHERE nip IS NULL ORDER BY id LIMIT 1").fetchone()[0]
        db.execute("UPDATE sponsors SET address = ? WHERE id = ?", ["\\x4142", sponsor])
    at = run("admin", "pages/penyandang_dana_form.py", state={"edit_sponsor_id": sponsor})
    assert at.text_area(key="s_address").value == "\\x4142"
    assert not any("bukan sebagai teks" in w.value for w in at.warning)
