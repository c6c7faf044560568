"""Many sessions writing at once (issue 24): nothing lost or doubled, no driver error for a user.

Each writer has its own connection, as each browser session's run has; payments race from
separate processes (as from the server processes of ``payung serve``), saves and imports from
threads of one process (as the sessions of one server). No timing: the writers are released
together by a barrier and the test looks only at what was written.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import db as database
from payung.base.errors import DatabaseBusy, PayungError, ValidationError
from payung.enrolment.sponsorships import enrol
from payung.finance.payments import record_payment
from payung.people.sponsors import create_sponsor
from payung.people.workers import create_worker

from conftest import NIK, snapshot, worker_values

TODAY = dt.date(2025, 3, 1)
JANUARY = {"from_month": "2025-01", "to_month": "2025-01"}
WRITERS = 6


def _together(count: int, work) -> list:
    """``work(i)`` in ``count`` threads released at once; what each returned or raised."""
    barrier = threading.Barrier(count)

    def run(i):
        barrier.wait()
        try:
            return work(i)
        except Exception as exc:  # noqa: BLE001 - the test looks at what each writer met
            return exc
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def _pay_full_bill(app, admin, sponsor_id, amount, barrier, answers, i):
    """One process: pay the whole January bill (another transfer each: no duplicate)."""
    db = app.open_db()
    try:
        barrier.wait()
        record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor_id), amount=amount,
                       paid_on=dt.date(2025, 2, 10), actor=admin, today=TODAY, reference=f"TRF-{i}", **JANUARY)
        answers.put("dibayar")
    except ValidationError as exc:
        answers.put(exc.problems[0].rule)
    except Exception as exc:  # noqa: BLE001
        answers.put(repr(exc))
    finally:
        db.close()


def test_payments_of_one_bill_from_several_processes_pay_each_line_once(app, db, admin):
    sponsor_id = create_sponsor(db, app.settings, {"type": "perorangan", "name": "Haji Slamet"}, actor=admin)
    for serial in range(1, 4):
        worker = create_worker(db, app.settings, worker_values(nik=NIK[:12] + f"{serial:04d}"), actor=admin)
        enrol(db, app.plugins, actor=admin, scheme_code="contoh_desa", sponsor_id=sponsor_id, worker_id=worker,
              start_month="2025-01", months=6, programs=["JKK", "JKM"], fields={"budget_year": 2025})
    amount = db.execute("SELECT SUM(amount) FROM contribution_lines WHERE month = '2025-01'").fetchone()[0]
    fork = multiprocessing.get_context("fork")
    barrier, answers = fork.Barrier(WRITERS), fork.Queue()
    processes = [fork.Process(target=_pay_full_bill, args=(app, admin, sponsor_id, amount, barrier, answers, i))
                 for i in range(WRITERS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    outcomes = sorted(answers.get(timeout=10) for _ in processes)
    assert outcomes == ["dibayar"] + ["nothing_open"] * (WRITERS - 1), outcomes
    paid = db.execute("SELECT SUM(paid_amount), SUM(amount) FROM contribution_lines WHERE month = '2025-01'").fetchone()
    assert tuple(paid) == (amount, amount)
    assert db.execute("SELECT SUM(amount) FROM payment_allocations").fetchone()[0] == amount
    assert db.execute("SELECT COUNT(*) FROM payments").fetchone()[0] == 1


def test_workers_saved_at_once_are_all_kept_and_one_nik_only_once(app, db, admin):
    path = app.settings.database_url

    def save(i):
        conn = database.open_database(path)
        try:  # the first half: each its own NIK; the rest: one NIK, typed in several sessions at once
            nik = NIK[:12] + (f"{i + 1:04d}" if i < WRITERS else "0999")
            return create_worker(conn, app.settings, worker_values(nik=nik, name=f"Pekerja {i}"), actor=admin)
        finally:
            conn.close()

    results = _together(2 * WRITERS, save)
    own, same = results[:WRITERS], results[WRITERS:]
    assert all(isinstance(r, int) for r in own), own
    assert sum(isinstance(r, int) for r in same) == 1, same
    assert all(isinstance(r, ValidationError) for r in same if not isinstance(r, int)), same
    niks = [row[0] for row in db.execute("SELECT nik FROM workers ORDER BY nik")]
    assert niks == sorted({NIK[:12] + f"{i + 1:04d}" for i in range(WRITERS)} | {NIK[:12] + "0999"})


def test_one_file_imported_in_several_sessions_at_once_is_written_once(importer, schemes_app, admin):
    from payung.imports import apply_import, auto_map, file_hash, plan_import, read_table
    data = ("No;NIK;Nama Lengkap;Tempat/Tgl Lahir;JK;Desa/Kel;Kec.;Pekerjaan\n" + "".join(
        f"{n};332401170875{100 + n:04d};Pekerja {n};Kendal, 17-08-1975;L;Blumah;Plantungan;Petani\n"
        for n in range(1, 21))).encode()
    table = read_table(data, "pekerja.csv")
    path = schemes_app.settings.database_url

    def run(i):
        conn = database.open_database(path)
        try:
            plan = plan_import(conn, schemes_app.plugins, kind="workers", sheet=table,
                               mapping=auto_map(table.headers, "workers"), actor=admin, file_name="pekerja.csv",
                               data_hash=file_hash(data))
            return apply_import(conn, schemes_app.plugins, plan, actor=admin)
        finally:
            conn.close()

    results = _together(4, run)
    written = [r for r in results if isinstance(r, dict)]
    assert written and all(isinstance(r, PayungError) for r in results if not isinstance(r, dict)), results
    count = importer.db.execute("SELECT COUNT(*) FROM workers WHERE name LIKE 'Pekerja %'").fetchone()[0]
    assert count == sum(r["imported"] for r in written) == 20


def test_a_write_that_waits_too_long_for_the_lock_is_refused_in_words_and_changes_nothing(app, db, admin):
    """Another process holds the write lock past the busy timeout: the save is refused with an
    Indonesian message (not the driver's "database is locked" or "lock timeout"), nothing is written, and the same
    save works once the lock is free."""
    holder = database.connect(app.settings.database_url)
    writer = database.open_database(app.settings.database_url, busy_timeout_ms=50)
    try:
        lock = holder.write_transaction()  # the write lock of either engine, held by another connection
        lock.__enter__()
        before = snapshot(writer)
        with pytest.raises(DatabaseBusy) as refused:
            create_worker(writer, app.settings, worker_values(), actor=admin)
        assert "Basis data sedang sibuk" in str(refused.value.problems[0]) and "locked" not in str(refused.value)
        lock.__exit__(None, None, None)
        assert snapshot(writer) == before
        assert create_worker(writer, app.settings, worker_values(), actor=admin)
    finally:
        holder.close()
        writer.close()


def test_a_save_while_another_process_holds_the_database_is_refused_in_words_and_keeps_the_form(site):
    """The worker form under a lock held past Payung's wait: the user reads why in Indonesian
    (no traceback, no "database is locked"), the form keeps what was typed, nothing is saved."""
    import os
    from pathlib import Path

    from conftest import _with_keys
    from test_pages import run, texts
    from test_worker_pages import _save_new_worker
    config = Path(os.environ["PAYUNG_CONFIG"])
    config.write_text(_with_keys(config.read_text(encoding="utf-8"), "payung", {"busy_timeout_ms": 50}), encoding="utf-8")
    at = run("admin", "pages/pekerja_form.py")
    holder = database.connect(site["db_path"])
    lock = holder.write_transaction()  # the write lock of either engine
    lock.__enter__()
    try:
        _save_new_worker(at, "Sri Wahyuni")
    finally:
        lock.__exit__(None, None, None)
        holder.close()
    assert not at.exception
    assert DatabaseBusy.MESSAGE in texts(at) and "locked" not in texts(at)
    assert at.text_input(key="f_name").value == "Sri Wahyuni"
    with database.open_database(site["db_path"]) as db:
        assert not db.execute("SELECT 1 FROM workers WHERE name = 'Sri Wahyuni'").fetchall()
