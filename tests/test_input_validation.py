"""Input validation against hostile values: one person one NIK whatever digits were typed,
plausible amounts and dates with clear limits, no crash anywhere, constraint errors in
Indonesian with nothing written."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys

import pytest

import hostile
from conftest import NIK, ROOT, VILLAGE, refused_by_the_engine, snapshot, worker_values, write_config
from payung.base import clock
from db import queries, store
from payung.base.errors import ConstraintError, ValidationError
from payung.base.identity import check_nik, check_nip, clean_digits, normalize_phone
from payung.imports import apply_import, auto_map, file_hash, plan_import, read_table
from payung.people.workers import create_worker

from test_billing import JANUARY, TODAY, _enrol_all


@pytest.fixture
def sponsor_id(app, db, admin):
    from payung.people.sponsors import create_sponsor
    return create_sponsor(db, app.settings, {"type": "perorangan", "name": "Haji Slamet"}, actor=admin)


@pytest.fixture
def workers(app, db, admin):
    return [create_worker(db, app.settings, worker_values(nik=NIK[:12] + f"{n:04d}", name=name), actor=admin)
            for n, name in enumerate(("Budi", "Ani", "Cahya"), 1)]


@pytest.fixture
def importer(schemes_app, people, admin):
    def run(data: bytes, name: str, kind: str = "workers"):
        table = read_table(data, name)
        plan = plan_import(people.db, schemes_app.plugins, kind=kind, sheet=table,
                           mapping=auto_map(table.headers, kind), actor=admin, file_name=name,
                           data_hash=file_hash(data))
        apply_import(people.db, schemes_app.plugins, plan, actor=admin)
        return plan
    run.db = people.db
    return run

OTHER_DIGITS = {"fullwidth": hostile.FULLWIDTH_NIK, "arabic_indic": hostile.ARABIC_INDIC_NIK,
                "eastern_arabic_indic": hostile.EASTERN_ARABIC_NIK, "devanagari": hostile.DEVANAGARI_NIK}


# One person, one NIK ------------------------------------------------------------------------

@pytest.mark.parametrize("script", list(OTHER_DIGITS))
def test_fullwidth_nik_is_the_same_worker(app, db, admin, worker_id, script):
    """33２４... or ٣٣٢٤... is the NIK already registered: refused as a duplicate, not a new worker."""
    typed = OTHER_DIGITS[script]
    assert typed != NIK and check_nik(typed).nik == NIK
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        create_worker(db, app.settings, worker_values(nik=typed, name="Siti Lagi"), actor=admin)
    assert [p.rule for p in refused.value.problems] == ["nik_duplicate"]
    assert snapshot(db) == before


def test_fullwidth_nik_rows_of_one_file_are_one_worker(importer):
    rows = "".join(f"{nik};Siti Aminah;17-08-1975;P;Blumah;Plantungan;Petani;1000000\n"
                   for nik in (hostile.NIK, *OTHER_DIGITS.values()))
    plan = importer((hostile.HEADER + rows).encode("utf-8"), "nik.csv")
    assert plan.counts["imported"] == 1 and plan.counts["rejected"] == 4
    assert {e.message for e in plan.errors} == {"NIK sama dengan baris 2."}
    assert queries.worker_by_nik(importer.db, hostile.NIK) is not None


def test_other_characters_in_a_nik_are_refused():
    # Ethiopic "፩" and Kharosthi "𐩀" pass str.isdigit() but are no decimal digit anywhere.
    for typed in ("3324O15708750001", "3324015708750OO1", "33240157087500٠x", "3324015708750001\u200b",
                  "332401570875000፩", "332401570875000\U00010a40"):
        check = check_nik(typed)
        assert check.nik is None and check.problems[0].rule == "nik_format", typed
    assert "hanya boleh berisi angka 0-9" in check_nik("3324O15708750001").problems[0].message


def test_nip_kpj_and_phone_digits_are_ascii():
    nip = "198503122010011002"
    assert check_nip("".join(chr(0x0660 + int(d)) for d in nip)).nip == nip
    assert normalize_phone("０８１２-３４５６-７８９０") == ("+6281234567890", None)
    assert normalize_phone("٠٨١٢٣٤٥٦٧٨٩٠")[0] == "+6281234567890"
    assert clean_digits("۱۲۳ ٤٥٦") == "123456"


def _store_raw(db, nik: str, name: str) -> int:
    """A worker stored with whatever digits, as an older Payung let through."""
    row = {**worker_values(name=name), "nik": nik, "birth_date": "1975-08-17", "district_code": VILLAGE[:8],
           "regency_code": VILLAGE[:5], "poverty_flag": 0, "wage_earner": 0}
    row.pop("phone")
    return store.insert(db, "workers", row, actor="lama")


def test_m007_normalises_stored_digits_and_reports_collisions(app, db, admin, tmp_path):
    from db.digits import report
    from db.migrations import m007_ascii_digits
    alone = _store_raw(db, "3324011708750009".translate({ord(d): chr(0x0660 + int(d)) for d in "0123456789"}), "Sendiri")
    create_worker(db, app.settings, worker_values(), actor=admin)
    twin = _store_raw(db, hostile.FULLWIDTH_NIK, "Kembar")
    m007_ascii_digits(db)
    assert store.get(db, "workers", alone)["nik"] == "3324011708750009"
    assert store.get(db, "workers", twin)["nik"] == hostile.FULLWIDTH_NIK  # left for a person to merge
    left = report(db)
    assert [(r["id"], r["status"], r["normalised"]) for r in left] == [(twin, "collision", NIK)]
    # ... and python -m payung digits prints it.
    done = subprocess.run([sys.executable, "-m", "payung", "digits", "--json", "--db", app.settings.database_url,
                           "--config", str(app.settings.path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [r["status"] for r in json.loads(done.stdout)] == ["collision"]


# Plausible values, clear limits -------------------------------------------------------------

@pytest.mark.parametrize("income", [10**15, 10**19, 10**20, 2**63, 10**40])
def test_huge_income_is_refused_with_a_clear_message(app, db, admin, income):
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        create_worker(db, app.settings, worker_values(declared_income=income), actor=admin)
    problem = refused.value.problems[0]
    assert problem.rule == "income_too_large" and "melebihi batas Rp1.000.000.000" in problem.message
    assert snapshot(db) == before


def test_income_bound_comes_from_config(tmp_path, admin):
    from payung.core import Payung
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("max_income = 1000000000", "max_income = 5000000"))
    app = Payung.load(path, entry_points=False)
    db = app.open_db()
    app.initialise(db)
    try:
        with pytest.raises(ValidationError, match="melebihi batas Rp5.000.000"):
            create_worker(db, app.settings, worker_values(declared_income=6_000_000), actor=admin)
    finally:
        db.close()


@pytest.mark.parametrize("born", ["1900-08-17", "2020-08-17"])
def test_implausible_birth_date_is_refused(app, db, admin, born):
    yy = born[2:4]
    nik = NIK[:6] + "5708" + yy + "0001"
    with pytest.raises(ValidationError) as refused:
        create_worker(db, app.settings, worker_values(nik=nik, birth_date=born), actor=admin)
    assert "birth_date_implausible" in [p.rule for p in refused.value.problems]


def test_huge_payment_and_too_early_payment_are_refused(app, db, admin, sponsor_id, workers):
    from payung.finance.payments import record_payment
    _enrol_all(app, db, admin, sponsor_id, workers, months=6)
    before = snapshot(db)
    for amount, paid_on, rule in ((10**19, dt.date(2025, 2, 10), "amount_too_large"),
                                  (10**15, dt.date(2025, 2, 10), "amount_too_large"),
                                  (100, dt.date(1900, 2, 10), "paid_on_too_early")):
        with pytest.raises(ValidationError) as refused:
            record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), amount=amount,
                           paid_on=paid_on, actor=admin, today=TODAY, **JANUARY)
        assert refused.value.problems[0].rule == rule
    assert snapshot(db) == before


def test_huge_claim_and_future_payout_are_refused(app, db, admin, worker_id):
    from payung.finance.claims import record_claim
    before = snapshot(db)
    today = clock.today()
    for values, rule in (({"benefit_amount": 10**19, "status": "dibayar", "paid_on": today}, "benefit_too_large"),
                         ({"benefit_amount": 1_000_000, "status": "dibayar", "paid_on": today + dt.timedelta(days=3)},
                          "paid_on_future")):
        with pytest.raises(ValidationError) as refused:
            record_claim(db, {"worker_id": worker_id, "program": "JKM", "incident_date": today, **values}, actor=admin)
        assert rule in [p.rule for p in refused.value.problems]
    assert snapshot(db) == before


def test_huge_budget_is_refused(app, db, admin):
    from payung.finance.budgets import create_budget_line, workers_for_budget
    with pytest.raises(ValidationError, match="melebihi batas"):
        create_budget_line(db, app.plugins, {"scheme_code": "contoh_desa", "year": 2025, "name": "APBD",
                                             "source": "APBD", "amount": 10**20}, actor=admin)
    with pytest.raises(ValidationError, match="melebihi batas"):
        workers_for_budget(app.settings, 10**30, start_month="2025-01")


HOSTILE_ROWS = [
    # NIK, name, birth date, gender, income
    (hostile.NIK, "Baik Sekali", "17-08-1975", "P", "1.000.000"),
    (hostile.FULLWIDTH_NIK, "Kembar Lebar", "17-08-1975", "P", "1.000.000"),
    ("3324011708750002", "Upah Raksasa", "17-08-1975", "L", "100000000000000000000"),
    ("3324011708750003", "Upah Lima Belas Digit", "17-08-1975", "L", "1000000000000000"),
    ("3324011708750004", "Upah Minus", "17-08-1975", "L", "-5"),
    ("3324011708000005", "Lahir 1900", "17-08-1900", "L", "1000000"),
    ("3324011708750006", "Upah Ilmiah", "17-08-1975", "L", "1e30"),
    ("٣٣٢٤٠١١٧٠٨٧٥٠٠٠٧", "Angka Arab Baru", "17-08-1975", "L", "١٠٠٠٠٠٠"),
    ("3324011708750008", "Nama " + "x" * 9000, "17-08-1975", "L", "Rp 1 jt"),
    ("3324011708750009", "Upah Tepat Batas", "17-08-1975", "L", "1.000.000.000"),
    ("3324011708750010", "Upah Lewat Batas", "17-08-1975", "L", "1.000.000.001"),
]


def test_import_check_and_apply_agree_on_every_row(schemes_app, people, admin):
    """A row the check accepts is written; a row it refuses is not; nothing crashes."""
    text = hostile.HEADER + "".join(f"{n};{name};{born};{g};Blumah;Plantungan;Petani;{income}\n"
                                    for n, name, born, g, income in HOSTILE_ROWS)
    data = text.encode("utf-8")
    sheet = read_table(data, "hostile.csv")
    plan = plan_import(people.db, schemes_app.plugins, kind="workers", sheet=sheet,
                       mapping=auto_map(sheet.headers, "workers"), actor=admin, file_name="hostile.csv",
                       data_hash=file_hash(data))
    accepted = sorted(r["nik"] for r in plan.new)
    before = queries.worker_count(people.db)
    counts = apply_import(people.db, schemes_app.plugins, plan, actor=admin)
    assert counts["imported"] == len(accepted) == queries.worker_count(people.db) - before
    assert all(queries.worker_by_nik(people.db, nik) for nik in accepted)
    assert accepted == ["3324011708750007", "3324011708750009", hostile.NIK]
    refused = {row: " ".join(e.message for e in errors) for row, errors in plan.rejected.items()}
    assert set(refused) == {3, 4, 5, 6, 7, 8, 10, 12}
    assert "Nama terlalu panjang (9.005 karakter); paling banyak 200 karakter" in refused[10]
    assert "NIK sama dengan baris 2" in refused[3]
    assert "melebihi batas Rp1.000.000.000" in refused[4] and "melebihi batas" in refused[5]
    assert "umurnya" in refused[7] and "melebihi batas" in refused[12]


def test_cli_import_of_huge_amounts_does_not_crash(tmp_path):
    path = tmp_path / "besar.csv"
    path.write_text(hostile.HEADER + "3324011708750002;Upah Raksasa;17-08-1975;L;Blumah;Plantungan;Petani;"
                    + "9" * 25 + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "payung", "import", "workers", str(path), "--db",
                           str(tmp_path / "x.db"), "--config", str(write_config(tmp_path)), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    summary = json.loads(done.stdout)
    assert summary["imported"] == 0 and summary["rejected"] == 1
    assert "melebihi batas" in summary["errors"][0]["message"]


def test_payment_import_of_huge_amounts_and_old_dates_does_not_crash(importer, people):
    _kendal_payer(people)
    data = ("NIP;Skema;Tanggal Bayar;Jumlah;No Bukti\n"
            "198503122010011002;kendal_asn_peduli;10/02/2025;10000000000000000000;TRF-1\n"
            "198503122010011002;kendal_asn_peduli;10/02/1900;16800;TRF-2\n"
            "198503122010011002;kendal_asn_peduli;10/02/2025;16800;TRF-3\n").encode()
    plan = importer(data, "bayar.csv", "payments")
    assert plan.counts["imported"] == 1 and sorted(plan.rejected) == [2, 3]
    assert "melebihi batas" in plan.rejected[2][0].message and "sebelum skema" in plan.rejected[3][0].message


def test_a_payment_reference_is_compared_as_it_is_stored_in_an_import(importer, people):
    """"TRF  002" (two spaces) and "TRF\u00a0002" (a bank export's no-break space) are stored as
    "TRF 002": the check compared them as typed, planned all three, and the write's own check
    refused the whole file; nor could a file be imported twice."""
    _kendal_payer(people)
    data = ("NIP;Skema;Tanggal Bayar;Jumlah;No Bukti\n"
            "198503122010011002;kendal_asn_peduli;10/02/2025;16800;TRF 002\n"
            "198503122010011002;kendal_asn_peduli;10/02/2025;16800;TRF  002\n"
            "198503122010011002;kendal_asn_peduli;10/02/2025;16800;TRF\u00a0002\n"
            "198503122010011002;kendal_asn_peduli;10/02/2025;16800;OK-1\n").encode()
    plan = importer(data, "bayar.csv", "payments")
    assert plan.counts["imported"] == 2 and sorted(plan.rejected) == [3, 4]
    assert all("sama dengan baris 2" in plan.rejected[n][0].message for n in (3, 4))
    again = importer(data.replace(b"TRF 002", b"TRF\xc2\xa0002", 1), "bayar.csv", "payments")
    assert again.counts["imported"] == 0


# Constraint errors speak Indonesian ---------------------------------------------------------

def test_duplicate_nik_race_is_a_validation_error(app, db, admin, worker_id, monkeypatch):
    """Another session registered the NIK between the check and the write."""
    import payung.people.workers as workers_module
    monkeypatch.setattr(workers_module, "duplicate_nik", lambda *a, **k: None)
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        create_worker(db, app.settings, worker_values(name="Balapan"), actor=admin)
    assert refused.value.problems[0].field == "nik" and "sudah terdaftar" in str(refused.value)
    assert snapshot(db) == before


def test_payment_beyond_the_bill_race_speaks_indonesian(app, db, admin, sponsor_id, workers, monkeypatch):
    """Two sessions pay the same bill: the second one's bill is stale, the CHECK stops it."""
    import payung.finance.payments as payments
    from payung.finance import bills
    from payung.finance.payments import record_payment
    _enrol_all(app, db, admin, sponsor_id, workers, months=6)
    stale = bills.bill(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), today=TODAY,
                       actor=admin, **JANUARY)
    record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), amount=stale.payable,
                   paid_on=dt.date(2025, 2, 10), actor=admin, today=TODAY, **JANUARY)
    monkeypatch.setattr(payments, "bill", lambda *a, **k: stale)
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        # Confirmed as another payment (not the duplicate rule): the stale bill reaches the CHECK.
        record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), amount=stale.payable,
                       paid_on=dt.date(2025, 2, 10), actor=admin, today=TODAY, confirm_duplicate=True, **JANUARY)
    assert "Pembayaran melebihi iuran yang belum dibayar" in str(refused.value)
    assert "IntegrityError" not in str(refused.value) and "constraint" not in str(refused.value).lower()
    assert snapshot(db) == before


@pytest.mark.parametrize("table,row,words", [
    ("workers", {"nik": NIK}, "NIK ini sudah terdaftar"),
    ("workers", {"nik": "123"}, "NIK harus 16 digit"),
    ("workers", {"village_code": "99.99.99.9999"}, "Data yang dirujuk"),
    ("workers", {"name": None}, "Nama wajib diisi"),
    ("workers", {"declared_income": 10**20}, "terlalu besar"),
    ("workers", {"gender": "X"}, "Jenis kelamin harus L"),
])
def test_every_constraint_error_is_indonesian_and_writes_nothing(app, db, admin, worker_id, table, row, words):
    base = {**worker_values(nik=NIK[:12] + "0099"), "birth_date": "1975-08-17", "district_code": VILLAGE[:8],
            "regency_code": VILLAGE[:5], "poverty_flag": 0, "wage_earner": 0}
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        store.insert(db, table, {**base, **row}, actor="t")
    assert words in str(refused.value) and "Tidak ada yang disimpan" in str(refused.value)
    assert snapshot(db) == before


def test_a_write_the_database_refuses_is_a_constraint_error_also_inside_another_transaction(db):
    """Services catch ``ConstraintError`` (a Payung error), never the driver's: a refusal in a
    transaction nested in another (a savepoint) is one too, with the driver's error as cause."""
    with pytest.raises(ConstraintError) as refused:
        store.insert(db, "sponsors", {"type": "perorangan", "name": None}, actor="t")
    assert refused_by_the_engine(refused.value)
    with store.transaction(db):
        with pytest.raises(ConstraintError) as refused:
            with store.transaction(db):
                store.insert(db, "sponsors", {"type": "perorangan", "name": None}, actor="t")
        assert refused_by_the_engine(refused.value)
        store.insert(db, "sponsors", {"type": "perorangan", "name": "Budi"}, actor="t")  # the outer one goes on
    assert [r["name"] for r in db.query("SELECT name FROM sponsors")] == ["Budi"]


def test_a_refused_write_is_one_kind_of_error_on_either_engine(db):
    """The engine's integrity error leaves ``db`` as a ConstraintError: a ValidationError (the
    user's words) and a DatabaseError, never sqlite3's or psycopg's own."""
    from payung.base.errors import DatabaseError
    with pytest.raises(ConstraintError) as refused:
        store.insert(db, "sponsors", {"type": "perorangan", "name": None}, actor="t")
    assert isinstance(refused.value, ValidationError) and isinstance(refused.value, DatabaseError)
    assert refused_by_the_engine(refused.value)


def _hostile_values_file() -> bytes:
    return (hostile.HEADER + "".join(f"{n};{name};{born};{g};Blumah;Plantungan;Petani;{income}\n"
                                     for n, name, born, g, income in HOSTILE_ROWS)).encode("utf-8")


def test_cli_import_of_the_hostile_values_corpus(tmp_path):
    path = tmp_path / "nilai.csv"
    path.write_bytes(_hostile_values_file())
    done = subprocess.run([sys.executable, "-m", "payung", "import", "workers", str(path), "--db",
                           str(tmp_path / "x.db"), "--config", str(write_config(tmp_path)), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["imported"], summary["rejected"]) == (3, 8)  # the 9.000-character name is refused
    with sqlite3.connect(tmp_path / "x.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM workers").fetchone()[0] == 3


def test_impor_page_with_the_hostile_values_corpus(site):
    from test_pages import open_db, run
    with open_db(site) as db:
        before = queries.worker_count(db)
    at = run("admin", "pages/impor.py")
    at.file_uploader(key="i_file").set_value(("nilai.csv", _hostile_values_file(), "text/csv")).run()
    next(b for b in at.button if b.label == "Periksa").click().run()
    assert not at.exception and [m.value for m in at.metric] == ["3", "0", "0", "8"]
    reasons = " ".join(at.dataframe[0].value["Alasan"])
    assert "NIK sama dengan baris 2" in reasons and "melebihi batas" in reasons and "umurnya 126 tahun" in reasons
    assert "Nama terlalu panjang" in reasons
    next(b for b in at.button if b.label.startswith("Impor 3 baris")).click().run()
    assert not at.exception and "Impor selesai: 3 baru" in " ".join(s.value for s in at.success)
    with open_db(site) as db:
        assert queries.worker_count(db) == before + 3


# Amounts: Payung's own strict Rupiah reader -------------------------------------------------

RUPIAH_READ = [
    ("Rp 2.500.000", 2_500_000), ("Rp2.500.000,00", 2_500_000), ("2500000", 2_500_000), ("2,500,000", 2_500_000),
    ("2,500,000.00", 2_500_000), ("2,500.00", 2_500), ("2 500 000", 2_500_000), ("Rp 2 500 000", 2_500_000),
    ("Rp 16 800", 16_800), ("16.800", 16_800), ("Rp. 750.000,-", 750_000), ("1.000.000", 1_000_000),
    ("Rp 1 jt", 1_000_000), ("1,5 juta", 1_500_000), ("1.5 jt", 1_500_000), ("500 rb", 500_000),
    ("1000000.0", 1_000_000), ("١٠٠٠٠٠٠", 1_000_000), ("１６８００", 16_800), ("Rp\u00a01.000.000", 1_000_000),
    ("IDR 1,000,000", 1_000_000), (1_000_000, 1_000_000), (1_000_000.0, 1_000_000), ("0", 0),
    ("100000000000000000000", 10**20),  # read as typed; the bound check refuses it with the limit
]
RUPIAH_REFUSED = [
    # A page of digits grouped by dots, which Python would not turn into a number (its English
    # "Exceeds the limit (4300 digits)" reached the page).
    ("1" + ".000" * 1500, "lebih dari 40 angka"), ("1" + " 000" * 1500, "lebih dari 40 angka"),
    ("Rp" + "9.999" * 2000, "lebih dari 40 angka"),
    ("(16.800)", "dalam kurung"), ("(1.000.000)", "dalam kurung"), ("-5", "negatif"), ("-16.800", "negatif"),
    ("\u221216.800", "negatif"), ("Rp -16.800", "negatif"), ("16.800-", "negatif"), ("-" * 3000 + "5", "negatif"),
    ("①②③", "bukan jumlah Rupiah"), ("²⁵⁰⁰", "bukan jumlah Rupiah"), ("2,500", "bisa berarti dua angka"),
    ("1.000.000,50", "harus bulat"), ("2.5", "harus bulat"), ("12,50", "harus bulat"), ("1e30", "bukan jumlah"),
    ("1.500 jt", "bukan jumlah"), ("1 jt 500 rb", "bukan jumlah"), ("2 500.000", "bukan jumlah"),
    ("25 00 000", "bukan jumlah"), ("1,000.000", "bukan jumlah"), ("abc", "bukan jumlah"), ("Rp", "bukan jumlah"),
    ("9" * 41, "bukan jumlah"), ("", "kosong"), (float("inf"), "tidak dapat dibaca"),
    (float("nan"), "tidak dapat dibaca"), (-5.0, "negatif"), (-5, "negatif"), (1000.5, "harus bulat"),
    (True, "bukan jumlah"), (dt.date(2025, 1, 1), "bukan jumlah"),
]


@pytest.mark.parametrize("typed, expected", RUPIAH_READ, ids=[repr(t)[:24] for t, _ in RUPIAH_READ])
def test_rupiah_cell_reads_what_can_mean_one_number(typed, expected):
    from payung.imports.normalize import parse_rupiah_cell
    assert parse_rupiah_cell(typed) == expected


@pytest.mark.parametrize("typed, words", RUPIAH_REFUSED, ids=[repr(t)[:24] for t, _ in RUPIAH_REFUSED])
def test_rupiah_cell_refuses_anything_else_never_a_wrong_number(typed, words):
    """lokal's reader gave "Rp 2 500 000" -> 502, "Rp 16 800" -> 816, "(16.800)" -> 16800, "①②③"
    -> 123, and recursed once per leading minus sign."""
    from payung.imports.normalize import parse_rupiah_cell
    with pytest.raises(ValueError, match=words) as refused:
        parse_rupiah_cell(typed)
    assert len(str(refused.value)) < 300  # a 3.000-character cell is not quoted whole


def _kendal_payer(people):
    """NIP 198503122010011002 sponsoring a Kendal worker from this month, paying by transfer."""
    from payung.base.months import current_month
    asn = people.sponsor("asn", nip="198503122010011002", opd="Dinas Sosial")
    people.enrol("kendal_asn_peduli", asn, people.worker("33.24.01.2001"), fields={"payment_method": "transfer"},
                 start=current_month())


def test_amounts_read_wrongly_before_are_refused_or_read_right_in_imports(importer, people):
    _kendal_payer(people)
    today = clock.today().strftime("%d/%m/%Y")
    data = ("NIP;Skema;Tanggal Bayar;Jumlah;No Bukti\n"
            f"198503122010011002;kendal_asn_peduli;{today};Rp 16 800;TRF-1\n"
            f"198503122010011002;kendal_asn_peduli;{today};(16.800);TRF-2\n"
            f"198503122010011002;kendal_asn_peduli;{today};{'-' * 3000}16800;TRF-3\n").encode()
    plan = importer(data, "bayar.csv", "payments")
    assert [p["amount"] for p in plan.new] == [16_800] and sorted(plan.rejected) == [3, 4]
    assert "dalam kurung" in plan.rejected[3][0].message and "negatif" in plan.rejected[4][0].message
    rows = hostile.HEADER + hostile.GOOD_ROW.replace("1.000.000", "Rp 2 500 000") \
        + hostile.GOOD_ROW.replace("0001;Siti Aminah", "0002;Sri Wahyuni").replace("1.000.000", "-" * 3000 + "5")
    plan = importer(rows.encode(), "pekerja.csv")
    assert [w["declared_income"] for w in plan.new] == [2_500_000]
    assert list(plan.rejected) == [3] and "negatif" in plan.rejected[3][0].message


def test_a_cell_that_breaks_its_parser_is_that_rows_error(importer, monkeypatch, caplog):
    """Any failure while reading one cell (here a RecursionError, as the old reader raised on
    3.000 minus signs) rejects that row with "nilai tidak dapat dibaca"; the other rows import,
    and the failure is logged with its traceback for a developer."""
    import logging

    from payung.imports import engine, plans
    real = engine.parse_rupiah_cell

    def fragile(value):
        if value == "RUSAK":
            raise RecursionError("maximum recursion depth exceeded")
        return real(value)
    monkeypatch.setattr(engine, "parse_rupiah_cell", fragile)
    plans._logged.clear()
    rows = hostile.HEADER + hostile.GOOD_ROW + hostile.GOOD_ROW.replace("0001;Siti Aminah", "0002;Sri Wahyuni") \
        .replace("1.000.000", "RUSAK")
    with caplog.at_level(logging.WARNING, logger="payung.imports"):
        plan = importer(rows.encode(), "pekerja.csv")
    assert plan.counts["imported"] == 1 and list(plan.rejected) == [3]
    assert [(e.column, e.message) for e in plan.rejected[3]] == [("Penghasilan", "nilai tidak dapat dibaca.")]
    assert any("RecursionError" in r.getMessage() and r.exc_info for r in caplog.records)


# Number cells Excel cannot hold: 1e400 (infinity) and NaN -----------------------------------

@pytest.mark.parametrize("cell, column", [
    (hostile.number_cell("A2", "1e400"), "NIK"), (hostile.number_cell("A2", "NaN"), "NIK"),
    (hostile.number_cell("A2", "-1e400"), "NIK"),
])
def test_an_infinite_or_nan_nik_cell_is_a_row_error(importer, cell, column):
    plan = importer(hostile.worker_xlsx(nik=cell), "pekerja.xlsx")
    assert plan.counts == {"imported": 0, "updated": 0, "unchanged": 0, "rejected": 1}
    [error] = plan.rejected[2]
    assert error.column == column and "tidak dapat dibaca (tak hingga atau bukan angka)" in error.message


@pytest.mark.parametrize("value", ["1e400", "NaN"])
def test_an_infinite_or_nan_income_cell_is_a_row_error(importer, value):
    plan = importer(hostile.worker_xlsx(income=hostile.number_cell("H2", value)), "pekerja.xlsx")
    assert [(e.column, "tak hingga" in e.message) for e in plan.rejected[2]] == [("Penghasilan", True)]


def test_an_infinite_nik_in_the_sponsorships_and_bpjs_answer_imports(importer, people, admin):
    from payung.imports import bpjs_answer
    _kendal_payer(people)
    rows = [["NIP", "NIK", "Skema", "Bulan mulai", "Cara bayar"],
            ["198503122010011002", hostile.number_cell("B2", "1e400"), "kendal_asn_peduli", "2026-12", "Transfer"]]
    plan = importer(hostile.sheet_xlsx(rows), "kepesertaan.xlsx", "sponsorships")
    assert plan.counts["rejected"] == 1 and "tak hingga" in plan.rejected[2][0].message
    answer = hostile.sheet_xlsx([["NIK", "KPJ"], [hostile.number_cell("A2", "1e400"), "12345678901"],
                                 [hostile.number_cell("A3", "NaN"), "12345678902"]])
    plan = bpjs_answer.plan_answer(people.db, people.app.plugins, answer, "jawaban.xlsx", actor=admin)
    assert [row for row, _ in plan.problems] == [2, 3] and all("tak hingga" in m for _, m in plan.problems)


def test_a_kpj_typed_as_a_number_cell_is_its_digits():
    """12345678901 in a number cell is the float 12345678901.0: read as 11 digits, not 12."""
    from payung.imports.plans import cell_text
    assert cell_text(12345678901.0) == "12345678901" and cell_text(float("inf")) == "inf"


# Digits that only look like digits ----------------------------------------------------------

LOOKALIKES = {
    "superscript": "³³²⁴⁰¹⁵⁷⁰⁸⁷⁵⁰⁰⁰¹",
    "circled": "③③②④⓪①⑤⑦⓪⑧⑦⑤⓪⓪⓪①",
    "two_digits_in_one": "㉝㉔⓪①⑤⑦⓪⑧⑦⑤⓪⓪⓪①",  # 14 characters that NFKC made 16 digits
    "parenthesized": "⑶⑶⑵⑷⒑⒌⒎⒏⒎⒌⒑⒑⒈",
    "subscript": "₃₃₂₄₀₁₅₇₀₈₇₅₀₀₀₁",
}


@pytest.mark.parametrize("typed", list(LOOKALIKES.values()), ids=list(LOOKALIKES))
def test_digit_lookalikes_are_refused_in_every_identity_number(typed):
    check = check_nik(typed)
    assert check.nik is None and check.problems[0].rule == "nik_format"
    assert "hanya boleh berisi angka 0-9; ada karakter lain" in check.problems[0].message
    assert not clean_digits(typed).isascii()
    nip = check_nip(typed[:16] + "²²")
    assert nip.nip is None and "ada karakter lain" in nip.problems[0].message
    phone, problem = normalize_phone("⁰⁸¹²³⁴⁵⁶⁷⁸⁹⁰")
    assert phone is None and problem.rule == "phone_format"


def test_real_decimal_digits_of_any_script_still_count():
    bold = "".join(chr(0x1D7CE + int(d)) for d in NIK)  # MATHEMATICAL BOLD DIGIT: category Nd
    for typed in (*OTHER_DIGITS.values(), bold):
        assert check_nik(typed).nik == NIK, typed
    assert clean_digits("٠٨١٢-٣٤٥٦") == "08123456" and clean_digits("３３ ２４") == "3324"
    assert normalize_phone("＋６２ ８１２ ３４５６ ７８９０") == ("+6281234567890", None)


def test_m007_and_the_digits_report_leave_lookalikes_for_a_person(app, db, admin):
    """A NIK stored with superscripts before this check is "invalid" (listed by ``python -m payung
    digits``), never folded into somebody's NIK."""
    from db.digits import report
    from db.migrations import m007_ascii_digits
    odd = _store_raw(db, LOOKALIKES["superscript"], "Pangkat")
    arabic = _store_raw(db, ARABIC_NIK_9, "Arab")
    m007_ascii_digits(db)
    assert store.get(db, "workers", odd)["nik"] == LOOKALIKES["superscript"]
    assert store.get(db, "workers", arabic)["nik"] == "3324011708750009"
    assert [(r["id"], r["status"]) for r in report(db)] == [(odd, "invalid")]


ARABIC_NIK_9 = "3324011708750009".translate({ord(d): chr(0x0660 + int(d)) for d in "0123456789"})


# Control characters: refused where typed, harmless where stored -------------------------------

CONTROL_NAMES = ["Siti\x1b[31m Aminah", "Siti\x07Aminah", "Siti\x00Aminah", "Siti\x85Aminah", "Siti\x7fAminah"]


@pytest.mark.parametrize("name", CONTROL_NAMES, ids=["esc", "bel", "nul", "nel", "del"])
def test_control_characters_are_refused_in_a_worker_form(app, db, admin, name):
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        create_worker(db, app.settings, worker_values(name=name), actor=admin)
    [problem] = refused.value.problems
    assert (problem.field, problem.rule) == ("name", "control_characters")
    assert "karakter kendali" in problem.message and "U+00" in problem.message
    for field in ("address", "birth_place"):
        with pytest.raises(ValidationError, match="karakter kendali"):
            create_worker(db, app.settings, worker_values(**{field: name}), actor=admin)
    assert snapshot(db) == before
    # Tab and line breaks are text: an address on two lines is fine.
    create_worker(db, app.settings, worker_values(address="Jl. Mawar 5\nRT 02/RW 03\tBlumah"), actor=admin)


UNSEEN = {  # a typed text, the words of its refusal, the rule that refuses it
    "control": ("Dinas\x1bSosial", "karakter kendali", "control_characters"),
    "zero_width_joiner": ("Dinas\u200dSosial", "tidak terlihat", "invisible_characters"),
    "cyrillic_letter": ("Dinas \u0405osial", "tampak seperti huruf Latin", "lookalike_letters"),
}


@pytest.mark.parametrize("unseen", list(UNSEEN))
def test_unseen_characters_are_refused_in_every_typed_text(app, db, admin, worker_id, sponsor_id, unseen):
    from payung.finance.budgets import create_budget_line
    from payung.finance.claims import record_claim
    from payung.schemes.fields import Field, validate_fields
    from payung.imports.templates import save_template
    from payung.finance.payments import record_payment
    from payung.people.sponsors import create_sponsor
    from payung.auth.users import add_user
    bad, words, rule = UNSEEN[unseen]
    before = snapshot(db)
    attempts = {
        "sponsor": lambda: create_sponsor(db, app.settings, {"type": "perorangan", "name": bad}, actor=admin),
        "sponsor address": lambda: create_sponsor(db, app.settings, {"type": "perorangan", "name": "Haji Umar",
                                                                      "address": bad}, actor=admin),
        "claim note": lambda: record_claim(db, {"worker_id": worker_id, "program": "JKM",
                                                "incident_date": clock.today(), "note": bad}, actor=admin),
        "budget line": lambda: create_budget_line(db, app.plugins, {"scheme_code": "contoh_desa", "year": 2025,
                                                                   "name": bad, "source": "APBD", "amount": 1000},
                                                  actor=admin),
        "payment reference": lambda: record_payment(db, app.plugins, scheme_code="contoh_desa",
                                                    party_key=str(sponsor_id), amount=16_800,
                                                    paid_on=dt.date(2025, 2, 10), actor=admin, today=TODAY,
                                                    reference=bad, **JANUARY),
        "user": lambda: add_user(db, username="budi", name=bad, role="viewer", password="kopi tubruk pagi hari",
                                 actor=admin),
        "template": lambda: save_template(db, kind="workers", name=bad, mapping={"nik": "NIK"}, actor=admin),
    }
    for what, attempt in attempts.items():
        with pytest.raises(ValidationError, match=words) as refused:
            attempt()
            pytest.fail(f"{what} took {bad!r}")
        assert rule in [p.rule for p in refused.value.problems] or what == "payment reference", what
    assert snapshot(db) == before
    clean, problems = validate_fields([Field("catatan", "Catatan"), Field("pilih", "Pilih", "multichoice",
                                                                          choices=("a", "b"))],
                                      {"catatan": bad, "pilih": ["a", "b" + bad]})
    assert [p.field for p in problems] == ["catatan", "pilih"] and all(words in p.message for p in problems)


# Characters nobody sees, and letters that only look Latin ----------------------------------------

INVISIBLE = {"zero_width_non_joiner": "Siti\u200cAminah", "right_to_left_override": "Siti \u202eHANIMA",
             "left_to_right_mark": "Siti\u200e Aminah", "hangul_filler": "Siti\u3164Aminah",
             "tag_character": "Siti Aminah\U000e0041", "private_use": "Siti\ue000Aminah",
             "combining_grapheme_joiner": "Si\u034fti Aminah", "variation_selector_after_a_letter": "Siti\ufe0f Aminah",
             "ideographic_variation_selector": "Siti\U000e0100 Aminah", "mongolian_selector": "Siti\u180b Aminah",
             "khmer_inherent_vowel": "Siti\u17b4 Aminah", "unassigned": "Budi\U000e0080", "noncharacter": "Budi\ufdd0",
             "selector_after_punctuation": "Sri Wahyuni S.Pd.\ufe0f", "selector_after_a_selector": "Siti \u2764\ufe0f\ufe0f"}
#: A text that looks like another, the character its refusal names, and whether an address (a
#: free text) refuses it too.
LOOKALIKE = {"cyrillic_i": ("S\u0456ti Aminah", "\u0456", True),
             "cyrillic_word": ("\u0421\u0435\u0441\u0430 Aminah", "\u0421", False),
             "greek_alpha": ("Siti \u0391minah", "\u0391", True), "fullwidth": ("\uff33iti Aminah", "\uff33", True),
             "mathematical_bold": ("\U0001d412iti Aminah", "\U0001d412", True),
             "ligature": ("Ari\ufb01n", "\ufb01", True), "small_capitals": ("S\u1d0fn\u1d0f", "\u1d0f", True),
             "dotless_i_and_a_dot": ("S\u0131\u0307ti Aminah", "\u0131", True),
             "latin_alpha": ("Siti Amin\u0251h", "\u0251", True), "roman_numeral": ("\u2160wan", "\u2160", True),
             "fullwidth_digits": ("APBD \uff12\uff10\uff12\uff16", "\uff12", False),
             "canadian_syllabics": ("\u15f7\u144c\u15eaI", "\u15f7", True),
             "a_dot_on_an_i": ("Si\u0307ti Aminah", "\u0307", True),
             "a_mark_no_letter_takes": ("Sit\u0301i Aminah", "\u0301", True),
             "a_mark_on_a_slash": ("TPA/\u0338TPQ", "\u0338", True), "a_lone_mark": ("Budi \u0301", "\u0301", True),
             "hebrew_punctuation": ("Budi \u05f3 12 34", "\u05f3", False),
             "arabic_indic_digits": ("RT \u0661 \u0662", "\u0661", False),
             "myanmar_digit": ("T\u1040m\u1040", "\u1040", True), "fullwidth_stop": ("S\uff0ePd\uff0e", "\uff0e", True),
             "modifier_capital": ("\u1d2cde", "\u1d2c", True), "runic_letter": ("S\u16c1ti Aminah", "\u16c1", True),
             "arabic_in_a_name": ("Pagu \u0643 2025 \u0643 2026", "\u0643", False)}


@pytest.mark.parametrize("name", list(INVISIBLE))
def test_invisible_characters_are_refused_in_a_worker_form(app, db, admin, name):
    """A zero-width space or a right-to-left override makes a name that looks like another (and
    reads backwards): refused in the name, the place of birth and the address alike."""
    typed = INVISIBLE[name]
    before = snapshot(db)
    for field in ("name", "birth_place", "address"):
        with pytest.raises(ValidationError) as refused:
            create_worker(db, app.settings, worker_values(**{field: typed}), actor=admin)
        [problem] = refused.value.problems
        assert (problem.field, problem.rule) == (field, "invisible_characters"), field
        assert "tidak terlihat" in problem.message and "U+" in problem.message
    assert snapshot(db) == before


@pytest.mark.parametrize("name", list(LOOKALIKE))
def test_letters_that_only_look_latin_are_refused_in_a_name(app, db, admin, name):
    """"Sіti" with a Cyrillic і is another name that reads the same: refused, naming the letter.
    An address takes a whole word of Cyrillic or Arabic (a free text may quote one), not one
    letter of it in a Latin word; a name takes neither (Arabic letters reorder the text)."""
    typed, letter, in_free_text = LOOKALIKE[name]
    before = snapshot(db)
    for field in ("name", "birth_place") + (("address",) if in_free_text else ()):
        with pytest.raises(ValidationError) as refused:
            create_worker(db, app.settings, worker_values(**{field: typed}), actor=admin)
        [problem] = refused.value.problems
        assert (problem.field, problem.rule) == (field, "lookalike_letters"), field
        assert f"(U+{ord(letter):04X})" in problem.message  # its place, not the look-alike itself, says which
        assert "karakter ke-" in problem.message or name == "a_lone_mark" and "tanda tanpa huruf" in problem.message
    assert snapshot(db) == before


def test_a_text_is_stored_composed_and_a_one_line_texts_spaces_as_one(app, db, admin, sponsor_id):
    """"José" typed as "e" and an accent, or "APBD 2026  Iuran" with two spaces or a tab, read
    the same as the plain text in a browser: they are stored as it, so they are the same name."""
    from payung.finance.budgets import create_budget_line
    from payung.imports.templates import save_template, templates
    from payung.people.sponsors import create_sponsor
    from payung.base.text import person_name
    worker = create_worker(db, app.settings, worker_values(name="Jose\u0301 Rizal", birth_place="Ken\tdal",
                                                           address="Jl. Mawar\u00a0 5\nDe\u0301sa Blumah"), actor=admin)
    row = store.get(db, "workers", worker)
    assert (row["name"], row["birth_place"], row["address"]) == ("Jos\u00e9 Rizal", "Ken dal",
                                                                 "Jl. Mawar\u00a0 5\nD\u00e9sa Blumah")
    sponsor = create_sponsor(db, app.settings, {"type": "perorangan", "name": "Haji\u2028Slamet  Riyadi"}, actor=admin)
    assert store.get(db, "sponsors", sponsor)["name"] == "Haji Slamet Riyadi"
    line = create_budget_line(db, app.plugins, {"scheme_code": "contoh_desa", "year": 2025, "source": "APBD",
                                                "name": "APBD 2025\t Iuran\u3000Pekerja", "amount": 1000}, actor=admin)
    assert store.get(db, "budget_lines", line)["name"] == "APBD 2025 Iuran Pekerja"
    assert save_template(db, kind="workers", name="Format D\u00e9sa", mapping={"nik": "NIK"}, actor=admin) is False
    assert save_template(db, kind="workers", name="Format  De\u0301sa", mapping={"nik": "KTP"}, actor=admin) is True
    assert list(templates(db, "workers", actor=admin)) == ["Format D\u00e9sa"]
    assert person_name("S\u0130T\u0130 AM\u0130NAH") == "Siti Aminah"  # a Turkish capital I, lower-cased
    # What a web page or a chat pastes and nobody sees or means is dropped: a zero-width space, a
    # word joiner, a byte-order mark, a soft hyphen.
    pasted = create_worker(db, app.settings, worker_values(nik="3324015708750012", name="\ufeffSiti\u200b Ra\u00adhma",
                                                           birth_place="Ken\u2060dal"), actor=admin)
    assert (store.get(db, "workers", pasted)["name"], store.get(db, "workers", pasted)["birth_place"]) == (
        "Siti Rahma", "Kendal")
    assert person_name("nur\u2019aini") == "Nur'aini"  # a phone's apostrophe is the laptop's
    assert store.get(db, "sponsors", create_sponsor(db, app.settings, {"type": "perorangan", "name": "Tenaga non\u2010ASN"},
                                                    actor=admin))["name"] == "Tenaga non-ASN"


def test_a_search_finds_a_name_typed_with_a_separate_accent_or_two_spaces(app, db, admin):
    from payung.people.sponsors import create_sponsor, search_sponsors
    from payung.people.workers import search_workers
    create_worker(db, app.settings, worker_values(name="Jos\u00e9 Rizal"), actor=admin)
    create_sponsor(db, app.settings, {"type": "perorangan", "name": "Haji Jos\u00e9 Slamet"}, actor=admin)
    for typed in ("Jose\u0301 Rizal", "Jos\u00e9  Rizal", " jos\u00e9\u00a0rizal "):
        assert [r["name"] for r in search_workers(db, app.settings, actor=admin, text=typed).rows] == ["Jos\u00e9 Rizal"]
    assert [r["name"] for r in search_sponsors(db, actor=admin, text="Jose\u0301  Slamet").rows] == [
        "Haji Jos\u00e9 Slamet"]


@pytest.mark.parametrize("typed", ["\u200b\u200b", "\ufeff \u00ad"])
def test_a_name_of_nothing_but_what_is_dropped_is_a_missing_name(app, db, admin, typed):
    """A name of zero-width spaces passed the required check, then was stored blank."""
    from payung.auth.users import add_user
    from payung.people.sponsors import create_sponsor
    before = snapshot(db)
    for attempt in (lambda: create_worker(db, app.settings, worker_values(name=typed), actor=admin),
                    lambda: create_sponsor(db, app.settings, {"type": "perorangan", "name": typed}, actor=admin),
                    lambda: add_user(db, username="budi", name=typed, role="viewer",
                                     password="kopi tubruk pagi hari", actor=admin)):
        with pytest.raises(ValidationError, match="wajib diisi") as refused:
            attempt()
        assert [p.rule for p in refused.value.problems if p.field == "name"] == ["name_required"]
    with pytest.raises(ValidationError, match="wajib diisi"):  # a worker's name of one letter, as typed
        create_worker(db, app.settings, worker_values(name="A" + typed), actor=admin)
    assert snapshot(db) == before


def test_a_text_is_checked_as_it_is_stored(app, db, admin):
    """A name with 195 trailing spaces was refused as 206 characters though it stores 11; a
    look-alike after a zero-width space was said at the wrong place."""
    worker = create_worker(db, app.settings, worker_values(name="Siti Aminah" + " " * 195), actor=admin)
    assert store.get(db, "workers", worker)["name"] == "Siti Aminah"
    with pytest.raises(ValidationError, match="karakter ke-4 pada") as refused:
        create_worker(db, app.settings, worker_values(nik="3324015708750013", name="Sa\u200br\u0430mi"), actor=admin)
    assert '"Sar\u0430mi"' in refused.value.problems[0].message


@pytest.mark.parametrize("dot", ["\u0387", "\u2027", "\u30fb", "\u22c5", "\u2219", "\u2e31", "\ua78f", "\u0660", "\u06f0",
                                 "\u02d1", "\u4e36"])
def test_a_dot_that_looks_like_the_owner_mark_is_refused_in_a_template_name(app, db, admin, dot):
    """"Format Dinsos ‧ admin" of one's own read as the administrator's "Format Dinsos"."""
    from payung.imports.templates import save_template
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        save_template(db, kind="workers", name=f"Format Dinsos {dot} admin", mapping={"nik": "NIK"}, actor=admin)
    assert [(p.field, p.rule) for p in refused.value.problems] in (
        [("template", "template_name")], [("template", "lookalike_letters")]), refused.value.problems
    assert snapshot(db) == before


def test_a_free_text_may_hold_other_scripts_and_a_name_its_accents(app, db, admin, worker_id):
    """What is text is kept: accents and a no-break space in a name, an Arabic or Javanese phrase
    and a whole Cyrillic word in an address, an emoji family (joined by zero-width joiners) in
    a note."""
    from payung.finance.claims import record_claim
    create_worker(db, app.settings, worker_values(nik="3324015708750011", name="Dra. Hj. Siti Nur\u2019aini, M.Pd.",
                                                  birth_place="\ua9a7\ua9bf\ua9ba\ua9b4\ua981\ua98f\ua9ba\ua9b4\ua9b1\ua9c0",
                                                  address="Luas 20 m\u00b2, \u00bd hektar \u2764\ufe0f 1\ufe0f\u20e3"),
                  actor=admin)  # a Javanese word of spacing vowel signs; a heart and a keycap as drawn
    create_worker(db, app.settings, worker_values(
        nik="3324015708750009", name="Sit\u00e9 Nu\u00f1ez\u00a0Ngatmi",
        address="Jl. Mawar 5, Musala \u0627\u0644\u0646\u0648\u0631, \ua9b1\ua9b6\ua9a0\ua9b6, \u041c\u0430\u043c\u0430"),
        actor=admin)
    record_claim(db, {"worker_id": worker_id, "program": "JKM", "incident_date": clock.today(),
                      "note": "Keluarga \U0001f468\u200d\U0001f469\u200d\U0001f467 sudah dihubungi"}, actor=admin)
    record_claim(db, {"worker_id": worker_id, "program": "JKM", "incident_date": clock.today(),
                      "note": "Terima kasih \U0001fa77 \u2139\ufe0f 1\ufe0f\u20e3"}, actor=admin)  # Unicode 15's pink heart
    create_worker(db, app.settings, worker_values(nik="3324015708750014", name="\u9648\U000e0100\u7f8e\u73b2"),
                  actor=admin)  # an ideographic variation selector on a Chinese name
    for typed in ("Siti\u20e3 Aminah", "Sa\u05d7ti", "Jl. Merdeka\u0661"):  # a keycap on a letter; Hebrew or
        with pytest.raises(ValidationError, match="U\\+"):  # Arabic inside a Latin word, even in an address
            create_worker(db, app.settings, worker_values(nik="3324015708750010", address=typed), actor=admin)
    with pytest.raises(ValidationError, match="tidak terlihat"):  # a name has no emoji family: "⭐‍⭐" reads "⭐⭐"
        create_worker(db, app.settings, worker_values(nik="3324015708750010", name="Siti \u2b50\u200d\u2b50"),
                      actor=admin)
    with pytest.raises(ValidationError, match="tidak terlihat"):  # a joiner inside a word is not an emoji's
        record_claim(db, {"worker_id": worker_id, "program": "JKM", "incident_date": clock.today(),
                          "note": "Sudah\u200ddihubungi"}, actor=admin)
    with pytest.raises(ValidationError, match="tampak seperti huruf Latin"):  # a word mixing both is not
        create_worker(db, app.settings, worker_values(nik="3324015708750010", address="Jl. \u041cawar 5"),
                      actor=admin)
    with pytest.raises(ValidationError, match="U\\+0304"):  # four marks on one letter hide it
        create_worker(db, app.settings, worker_values(nik="3324015708750010",
                                                      address="Jl. Mawar \u0416\u0301\u0302\u0303\u0304"), actor=admin)


def test_a_free_text_in_chinese_keeps_its_fullwidth_punctuation(app, db, admin, worker_id):
    """Chinese, Japanese and Korean punctuate with fullwidth signs: a note or an address written
    partly in them keeps "（", "，" and "。". A text without such a script does not (a fullwidth
    stop in "S．Pd．" reads as another title), nor the "．" of an address ("bpjs．go．id" reads as
    a web address), and a name takes none: it is matched to others."""
    from payung.finance.claims import record_claim
    note = "Ahli waris: 陈（Chen），anaknya。"
    claim_id, _ = record_claim(db, {"worker_id": worker_id, "program": "JKM", "incident_date": clock.today(),
                                    "note": note}, actor=admin)
    assert store.get(db, "claims", claim_id)["note"] == note
    create_worker(db, app.settings, worker_values(nik="3324015708750011", address="Jl. Mawar 5（陈家）"), actor=admin)
    for field, typed in (("address", "Jl. Mawar 5 （RT 2）"), ("name", "陈（Chen）"), ("address", "陈 bpjs．go．id")):
        with pytest.raises(ValidationError, match="U\\+FF08|U\\+FF0E"):
            create_worker(db, app.settings, worker_values(nik="3324015708750010", **{field: typed}), actor=admin)


def test_unseen_characters_in_imports_are_row_errors_like_in_the_form(importer):
    csv_rows = (hostile.HEADER + hostile.GOOD_ROW.replace("Siti Aminah", "S\u0456ti Aminah")
                + hostile.GOOD_ROW.replace("0001;Siti Aminah", "0002;Sri\u202e Wahyuni")
                + hostile.GOOD_ROW.replace("0001;Siti Aminah", "0003;Sit\u00e9 Ngatmi"))
    plan = importer(csv_rows.encode(), "pekerja.csv")
    assert plan.counts["imported"] == 1
    assert "tampak seperti huruf Latin" in plan.rejected[2][0].message
    assert "tidak terlihat" in plan.rejected[3][0].message


def test_a_scheme_declaration_refuses_unseen_characters(app):
    from payung.schemes import editing
    from payung.schemes.texts import text_messages
    code = next(iter(app.plugins.schemes))
    data = editing.copy_declaration(app.plugins, code)
    messages = text_messages(data | {"name": "Skema \u0405osial", "description": "Untuk\u202e pekerja"})
    assert len(messages) == 2 and "tampak seperti huruf Latin" in messages[0] and "tidak terlihat" in messages[1]
    assert not text_messages(data | {"description": "Program \u0627\u0644\u0646\u0648\u0631 untuk pekerja"})


# Length: a pasted document is refused, not stored ------------------------------------------------

PASTED = "Laporan kegiatan " * 300_000  # about 5 MB pasted into a box by mistake


def test_a_text_longer_than_its_field_takes_is_refused_everywhere(app, db, admin, worker_id, sponsor_id):
    """Names and references take 200 characters, addresses, notes and reasons 2.000: one limit
    (payung.base.text.max_chars) for every service, with the same Indonesian message."""
    from payung.finance.budgets import create_budget_line
    from payung.finance.claims import record_claim
    from payung.schemes.fields import Field, validate_fields
    from payung.imports.templates import save_template
    from payung.people.sponsors import create_sponsor
    from payung.auth.users import add_user
    from payung.base.text import LINE_MAX, TEXT_MAX
    before = snapshot(db)
    attempts = {
        "worker name": lambda bad: create_worker(db, app.settings, worker_values(name=bad), actor=admin),
        "worker address": lambda bad: create_worker(db, app.settings, worker_values(address=bad), actor=admin),
        "sponsor": lambda bad: create_sponsor(db, app.settings, {"type": "perorangan", "name": bad}, actor=admin),
        "sponsor address": lambda bad: create_sponsor(db, app.settings, {"type": "perorangan", "name": "Haji Umar",
                                                                          "address": bad}, actor=admin),
        "claim note": lambda bad: record_claim(db, {"worker_id": worker_id, "program": "JKM",
                                                    "incident_date": clock.today(), "note": bad}, actor=admin),
        "budget line": lambda bad: create_budget_line(db, app.plugins, {"scheme_code": "contoh_desa", "year": 2025,
                                                                       "name": bad, "source": "APBD",
                                                                       "amount": 1000}, actor=admin),
        "user": lambda bad: add_user(db, username="budi", name=bad, role="viewer", password="kopi tubruk pagi hari",
                                     actor=admin),
        "template": lambda bad: save_template(db, kind="workers", name=bad, mapping={"nik": "NIK"}, actor=admin),
    }
    for what, attempt in attempts.items():
        long = "address" in what or "note" in what
        for bad in (PASTED, "a" * ((TEXT_MAX if long else LINE_MAX) + 1)):
            with pytest.raises(ValidationError, match="terlalu panjang") as refused:
                attempt(bad)
            assert "too_long" in [p.rule for p in refused.value.problems], what
            assert f"paling banyak {TEXT_MAX:,}".replace(",", ".") in str(refused.value) if long else \
                f"paling banyak {LINE_MAX} karakter" in str(refused.value), what
    assert snapshot(db) == before
    # Up to the limit is fine: a long address on several lines is an address.
    create_worker(db, app.settings, worker_values(nik="3324015708750009", address="Jl. Mawar 5\n" + "a" * (TEXT_MAX - 20)),
                  actor=admin)
    clean, problems = validate_fields([Field("catatan", "Catatan")], {"catatan": PASTED})
    assert [p.field for p in problems] == ["catatan"] and "terlalu panjang" in problems[0].message


def test_a_text_longer_than_its_field_takes_is_a_row_error_in_an_import(importer):
    csv_rows = hostile.HEADER + hostile.GOOD_ROW.replace("Siti Aminah", "Siti " + "a" * 300) \
        + hostile.GOOD_ROW.replace("0001;Siti Aminah", "0002;Sri Wahyuni")
    plan = importer(csv_rows.encode(), "pekerja.csv")
    assert plan.counts["imported"] == 1 and "terlalu panjang" in plan.rejected[2][0].message


def test_a_scheme_declaration_refuses_a_pasted_description(app):
    from payung.schemes import editing
    from payung.schemes.texts import text_messages
    code = next(iter(app.plugins.schemes))
    data = editing.copy_declaration(app.plugins, code)
    assert not text_messages(data)
    messages = text_messages(data | {"description": PASTED, "name": "Skema " + "a" * 200})
    assert len(messages) == 2 and all("terlalu panjang" in m for m in messages)


def test_control_characters_in_imports_are_row_errors_like_in_the_form(importer):
    csv_rows = hostile.HEADER + hostile.GOOD_ROW.replace("Siti Aminah", "Siti\x1b Aminah") \
        + hostile.GOOD_ROW.replace("0001;Siti Aminah", "0002;Sri Wahyuni")
    plan = importer(csv_rows.encode(), "pekerja.csv")
    assert plan.counts["imported"] == 1 and "karakter kendali" in plan.rejected[2][0].message
    # OOXML's own escape for a control character: Excel writes NUL as _x0000_.
    plan = importer(hostile.worker_xlsx(nik="3324015708750003", name="Siti_x0000_Aminah_x001B_[31m"), "pekerja.xlsx")
    assert plan.counts["imported"] == 0 and "U+0000 (NUL)" in plan.rejected[2][0].message
    assert queries.worker_by_nik(importer.db, "3324015708750003") is None


def test_stored_control_characters_never_break_a_spreadsheet(app, db, admin, sponsor_id, workers):
    """Data stored before the check (or written around it): every export still opens."""
    import io as bytes_io

    from openpyxl import load_workbook

    from payung.finance import bills
    from payung.reports.documents import bill_xlsx
    from payung.base.spreadsheets import safe_cell
    from payung.imports.plans import rejected_rows_xlsx
    _enrol_all(app, db, admin, sponsor_id, workers, months=6)
    # A NUL only SQLite can hold (PostgreSQL's text never holds one).
    nul = "\x00" if db.engine == "sqlite" else ""
    store.update(db, "workers", workers[0], {"name": f"Budi\x1b[31m{nul}\x07"}, actor="lama")
    store.update(db, "sponsors", sponsor_id, {"name": "=Haji\x1bSlamet"}, actor="lama")
    the_bill = bills.bill(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), today=TODAY,
                          actor=admin, **JANUARY)
    book = load_workbook(bytes_io.BytesIO(bill_xlsx(the_bill, "Penyandang dana")))
    shown = [c.value for row in book.active.iter_rows() for c in row if isinstance(c.value, str)]
    assert "Budi\ufffd[31m" + "\ufffd" * len(nul) + "\ufffd" in shown
    assert safe_cell("=x\x00") == "'=x\ufffd" and safe_cell("\x1b=x") == "\ufffd=x" and safe_cell("a\tb\nc") == "a\tb\nc"

    class Plan:
        headers = ["NIK", "Nama"]
        rejected = {2: [type("E", (), {"column": "Nama", "message": "Nama \x1b salah"})()]}
        rejected_values = {2: ["3324", "Siti\x1b\x00"]}
    load_workbook(bytes_io.BytesIO(rejected_rows_xlsx(Plan())))


def test_cli_writes_the_rejected_rows_of_a_file_with_control_characters(tmp_path):
    """A committed import then its --rejected file: the file is written, the CLI does not crash."""
    from openpyxl import load_workbook
    path = tmp_path / "kendali.csv"
    path.write_bytes((hostile.HEADER + hostile.GOOD_ROW
                      + hostile.GOOD_ROW.replace("0001;Siti Aminah", "0002;Sri\x1b\x07 Wahyuni")).encode())
    rejected = tmp_path / "ditolak.xlsx"
    done = subprocess.run([sys.executable, "-m", "payung", "import", "workers", str(path), "--db",
                           str(tmp_path / "x.db"), "--config", str(write_config(tmp_path)), "--json",
                           "--rejected", str(rejected)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert json.loads(done.stdout)["imported"] == 1
    sheet = load_workbook(rejected).active
    assert [c.value for c in sheet[2]][:3] == [3, "3324015708750002", "Sri\ufffd\ufffd Wahyuni"]


# Dates: nothing after the date ----------------------------------------------------------------

def test_an_iso_date_with_trailing_text_is_refused():
    from payung.imports.normalize import parse_date
    assert parse_date("1975-08-17") == parse_date("1975-08-17 00:00:00") == dt.date(1975, 8, 17)
    assert parse_date("1975-08-17T07:30") == dt.date(1975, 8, 17)
    for typed in ("1975-08-17 <script>x</script>", "1975-08-17 abc", "1975-08-17T", "1975-08-17 12:00 lagi"):
        with pytest.raises(ValueError, match="bukan tanggal"):
            parse_date(typed)


@pytest.mark.parametrize("text", ["Siti\x00", "\x00", "Siti\udc80"], ids=["nul", "only-nul", "surrogate"])
def test_a_search_or_a_username_no_database_can_hold_finds_nothing_and_fails_nothing(app, db, admin, text):
    """Text sent in place of a search or a sign-in's username (a crafted request: a browser types
    neither) with a NUL, which PostgreSQL's text refuses ("cannot contain NUL"), or a lone
    surrogate, which is no UTF-8: the search and the sign-in ended with a database or encoding
    error; they find nothing, on both engines."""
    from payung.auth.sessions import SessionPolicy, login
    from payung.enrolment.sponsorships import eligible_workers
    from payung.people.sponsors import create_sponsor, search_sponsors
    from payung.people.workers import search_workers
    create_worker(db, app.settings, worker_values(name="Siti Aminah"), actor=admin)
    create_sponsor(db, app.settings, {"type": "perorangan", "name": "Siti Rahayu"}, actor=admin)
    assert search_workers(db, app.settings, actor=admin, text=text).total == 0
    assert search_sponsors(db, actor=admin, text=text).total == 0
    assert eligible_workers(db, app.plugins, scheme_code="contoh_desa", sponsor=None, start_month="2025-01",
                            months=6, actor=admin, text=text) == []
    refused = login(db, text, "payung-uji-2026", SessionPolicy())
    assert not refused.ok and not refused.throttled
