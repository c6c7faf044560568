"""Backups on PostgreSQL (``db.pg_backup``, ``payung.operations.backups``): a pg_dump archive out;
back in through a new database Payung made, its rows only (never the archive's SQL), checked
before anything is replaced, then swapped in whole.

The SQLite file backups have their own tests (``test_backups.py``)."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess

import pytest

from payung.operations.backups import make_backup, restore_backup
from payung.operations.checks import run_checks
from payung.operations.demo import generate
from payung.people.sponsors import create_sponsor
from payung.people.workers import update_worker

from conftest import engine_available, snapshot
from test_backups import refused_and_unchanged

NOW = dt.datetime(2026, 12, 1, 21, 30)


@pytest.fixture(params=["postgresql"])
def engine(request) -> str:
    """These tests are PostgreSQL's own (the module overrides the engine of conftest)."""
    return engine_available(request.param)


@pytest.fixture
def demo(app, db, admin):
    generate(app, db, workers=120, seed=5)
    return db


def contents(db) -> dict:
    """Every table's rows, but the audit log (a restore appends to it) and the data versions (a
    restore moves them past the replaced database's)."""
    return {t: rows for t, rows in snapshot(db).items() if t not in ("audit_log", "data_versions")}


def databases(db) -> set[str]:
    """The checking databases this process made and did not drop (other test processes make theirs)."""
    return {r[0] for r in db.execute("SELECT datname FROM pg_database WHERE datname LIKE ?",
                                     [f"payung_pulih_{os.getpid()}_%"]).fetchall()}


def test_a_backup_is_a_private_pg_dump_archive_and_restores_exactly(app, demo, admin):
    db = demo
    copy = make_backup(db, app.settings, actor=admin, now=NOW)
    assert copy.suffix == ".dump" and stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert copy.read_bytes()[:5] == b"PGDMP"
    saved, servers_databases = contents(db), databases(db)
    worker = db.execute("SELECT id FROM workers ORDER BY id LIMIT 1").fetchone()[0]
    update_worker(db, app.settings, worker, {"name": "Nama Baru"}, actor=admin)
    create_sponsor(db, app.settings, {"type": "perorangan", "name": "Donatur Baru"}, actor=admin)
    assert contents(db) != saved

    done = restore_backup(db, app, copy, actor=admin, now=NOW)
    assert contents(db) == saved
    [entry] = list(db.query("SELECT * FROM audit_log WHERE action = 'restore'"))
    assert (entry["actor"], json.loads(entry["after"])["file"]) == ("admin", copy.name)
    assert run_checks(db).ok
    # The data replaced was dumped first (it holds the change), and the new database is gone.
    assert done["before"].endswith(".dump") and b"Nama Baru" in subprocess.run(
        ["pg_restore", "--data-only", "--table=workers", "--file=-", done["before"]],
        capture_output=True, check=True).stdout
    assert databases(db) == servers_databases
    # Ids go on from the restored rows.
    assert create_sponsor(db, app.settings, {"type": "perorangan", "name": "Sesudah"}, actor=admin) > max(
        r["id"] for r in saved["sponsors"])


def _refused(db, app, admin, source, match):
    servers_databases = databases(db)
    refused_and_unchanged(db, app, admin, source, match)
    assert databases(db) == servers_databases  # no checking database left
    assert not list(app.settings.data_dir.glob(".pulih-*"))


def test_a_file_that_is_not_an_archive_is_refused_and_nothing_changes(app, demo, admin, tmp_path):
    text = tmp_path / "catatan.dump"
    text.write_text("Ini bukan cadangan, hanya catatan rapat.\n" * 100)
    _refused(demo, app, admin, text, "bukan cadangan PostgreSQL Payung")
    _refused(demo, app, admin, b"PGDMP" + b"\x00" * 64, "bukan cadangan PostgreSQL Payung")


def test_a_restore_first_sweeps_the_checking_databases_earlier_killed_restores_left(app, demo, admin, tmp_path,
                                                                                    monkeypatch):
    """``db.pg_backup.drop_stale`` (tested below) runs before the restore makes its own."""
    from db import pg_backup
    swept = []
    monkeypatch.setattr(pg_backup, "drop_stale", lambda url, prefix: swept.append((url, prefix)) or [])
    text = tmp_path / "catatan.dump"
    text.write_text("Ini bukan cadangan.\n" * 100)
    _refused(demo, app, admin, text, "bukan cadangan PostgreSQL Payung")
    assert swept == [(app.settings.database_url, pg_backup.RESTORE_PREFIX)]


def test_an_archive_cut_short_is_refused(app, demo, admin, tmp_path):
    whole = make_backup(demo, app.settings, actor=admin, now=NOW).read_bytes()
    _refused(demo, app, admin, whole[:len(whole) * 2 // 3], "bukan cadangan PostgreSQL Payung|ditolak|terpotong")


def test_an_archive_whose_figures_do_not_add_up_is_refused(app, demo, admin):
    db = demo
    db.execute("UPDATE contribution_lines SET paid_amount = amount WHERE id = (SELECT MIN(id) FROM contribution_lines"
               " WHERE paid_amount < amount)")
    broken = make_backup(db, app.settings, actor=admin, now=NOW)
    from payung.operations.checks import repair
    repair(db, actor="uji")
    assert run_checks(db).ok
    _refused(db, app, admin, broken, "tidak konsisten")


def test_an_archives_own_sql_is_never_run(app, demo, admin):
    """A crafted archive may carry a function and a trigger (here: one that would make every new
    worker an administrator's doing). Only its rows are restored; none of its SQL is run, in the
    checking database or the live one."""
    db = demo
    db.execute("CREATE FUNCTION payung_pwned() RETURNS trigger LANGUAGE plpgsql AS"
               " $$ BEGIN RAISE NOTICE 'pwned'; RETURN NEW; END $$")
    db.execute("CREATE TRIGGER payung_pwned BEFORE INSERT ON workers FOR EACH ROW EXECUTE FUNCTION payung_pwned()")
    crafted = make_backup(db, app.settings, actor=admin, now=NOW)
    db.execute("DROP TRIGGER payung_pwned ON workers")
    db.execute("DROP FUNCTION payung_pwned()")
    saved = contents(db)
    restore_backup(db, app, crafted, actor=admin, now=NOW)
    assert contents(db) == saved
    assert not db.execute("SELECT COUNT(*) FROM pg_proc WHERE proname = 'payung_pwned'").fetchone()[0]
    assert not db.execute("SELECT COUNT(*) FROM pg_trigger WHERE tgname = 'payung_pwned'").fetchone()[0]


def test_an_archive_with_a_table_payung_lacks_is_refused(app, demo, admin):
    db = demo
    db.execute("CREATE TABLE tambahan (isi TEXT)")
    db.execute("INSERT INTO tambahan VALUES ('bukan data Payung')")
    crafted = make_backup(db, app.settings, actor=admin, now=NOW)
    db.execute("DROP TABLE tambahan")
    _refused(db, app, admin, crafted, "bukan tabel Payung")


@pytest.mark.parametrize("column, value", [("birth_date", "2025-02-30"), ("birth_date", "0000-01-01"),
                                           ("declared_income", 10 ** 15)])
def test_an_archive_with_a_value_payung_never_makes_is_refused(app, demo, admin, column, value):
    db = demo
    worker, before = db.execute(f"SELECT id, {column} FROM workers ORDER BY id LIMIT 1").fetchone()
    db.execute(f"UPDATE workers SET {column} = ? WHERE id = ?", [value, worker])
    crafted = make_backup(db, app.settings, actor=admin, now=NOW)
    db.execute(f"UPDATE workers SET {column} = ? WHERE id = ?", [before, worker])
    _refused(db, app, admin, crafted, f"workers.{column}")


def test_an_archive_without_the_data_versions_gets_them_back(app, demo, admin):
    """Every page reads the data's version counters: a copy lacking them (crafted, or an older
    tool's) must not go live without them."""
    from db import versions
    db = demo
    counters = list(db.query("SELECT * FROM data_versions"))
    db.execute("DELETE FROM data_versions")
    crafted = make_backup(db, app.settings, actor=admin, now=NOW)
    for row in counters:
        db.execute("INSERT INTO data_versions (name, version) VALUES (?, ?)", [row["name"], row["version"]])
    seen = versions.read(db)
    restore_backup(db, app, crafted, actor=admin, now=NOW)
    after = versions.read(db)
    assert set(after) == set(versions.NAMES)
    assert all(after[name] > seen[name] for name in versions.NAMES)


def test_an_archive_with_a_name_changed_around_payung_is_restored_with_its_key(app, demo, admin):
    """A province's DBA renamed a sponsor in SQL: the archive's key is the old name's. The restore
    derives it again, as a SQLite restore does, rather than refuse the archive as inconsistent."""
    db = demo
    sponsor = db.execute("SELECT id FROM sponsors ORDER BY id LIMIT 1").fetchone()[0]
    db.execute("UPDATE sponsors SET name = 'Diganti Tangan' WHERE id = ?", [sponsor])
    crafted = make_backup(db, app.settings, actor=admin, now=NOW)
    db.execute("UPDATE sponsors SET name_key = 'diganti tangan' WHERE id = ?", [sponsor])  # the live one mended
    restore_backup(db, app, crafted, actor=admin, now=NOW)
    assert db.execute("SELECT name, name_key FROM sponsors WHERE id = ?", [sponsor]).fetchone() == (
        "Diganti Tangan", "diganti tangan")
    assert run_checks(db).ok


@pytest.mark.parametrize("url, name, expected", [
    ("postgresql://payung@db.example:5432/payung", "x1", "postgresql://payung@db.example:5432/x1"),
    ("postgresql:///payung?host=/run/postgresql", "x1", "postgresql:///x1?host=%2Frun%2Fpostgresql"),
    ("postgresql://u:rahasia@h/payung?dbname=payung&sslmode=require", "x1",
     "postgresql://u:rahasia@h/x1?sslmode=require"),
])
def test_the_checking_database_is_never_the_live_one(url, name, expected):
    """The restore empties the checking database's tables: its address must name it, whatever
    form ``[database] url`` takes (a local socket, a ``dbname`` in the query)."""
    from psycopg.conninfo import conninfo_to_dict

    from db.pg_backup import url_of_database
    assert url_of_database(url, name) == expected
    assert conninfo_to_dict(url_of_database(url, name))["dbname"] == name


def test_a_scratch_database_goes_with_a_session_of_its_user_still_in_it(engine):
    """``scratch_database`` drops its database however the block ends, with a session of its
    user still in it (a child stopped half-way): ``WITH (FORCE)`` ends it. (An autovacuum worker
    in the database, which ``FORCE`` may not end for a user who is not a superuser, is ended by
    the plain ``DROP`` tried next: ``db.pg_backup.drop_database``.)"""
    import psycopg

    from conftest import postgres
    from db.pg_backup import scratch_database
    server = postgres().database_url("postgres")
    with pytest.raises(RuntimeError):
        with scratch_database(server, prefix="payung_pulih") as scratch:
            left = psycopg.connect(scratch, autocommit=True)
            raise RuntimeError("berhenti di tengah jalan")
    with postgres().admin() as admin:
        assert admin.execute("SELECT COUNT(*) FROM pg_database WHERE datname = %s",
                             [scratch.rsplit("/", 1)[1]]).fetchone()[0] == 0
    with pytest.raises(psycopg.OperationalError):
        left.execute("SELECT 1")
    left.close()


class FakeServer:
    """``psycopg.connect`` for ``db.pg_backup`` without a server: every statement run is noted in
    ``tried`` (as text), and ``answers`` says, statement by statement, what it does (an exception
    to raise, or the row ``fetchone`` gives)."""

    def __init__(self, monkeypatch, answers: list):
        import psycopg
        self.tried: list[str] = []
        self.answers = list(answers)
        monkeypatch.setattr(psycopg, "connect", self.connect)

    def connect(self, url, **kwargs):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def execute(self, statement, params=None):
        self.tried.append(statement if isinstance(statement, str) else statement.as_string(None))
        answer = self.answers.pop(0) if self.answers else None
        if isinstance(answer, BaseException):
            raise answer
        return self

    def fetchone(self):
        return self.answers.pop(0) if self.answers else ("payung",)

    def close(self) -> None:
        return None


FORCED = 'DROP DATABASE IF EXISTS "payung_bench_1_ab" WITH (FORCE)'
#: A scratch database's maker takes its advisory lock first (``db.pg_backup.drop_stale``).
LOCK = "SELECT current_database() FROM pg_advisory_lock(%s)"
PLAIN = 'DROP DATABASE IF EXISTS "payung_bench_1_ab"'


@pytest.mark.parametrize("answers, expected, logged", [
    ([None], [FORCED], False),
    # FORCE refused (an autovacuum worker in it, a user who is not a superuser): a plain DROP.
    (["InsufficientPrivilege", None], [FORCED, PLAIN], False),
    # The plain DROP refused too (a session of the user's own still there): FORCE once more.
    (["ObjectInUse", "ObjectInUse", None], [FORCED, PLAIN, FORCED], False),
    (["InsufficientPrivilege", "ObjectInUse", "InsufficientPrivilege"], [FORCED, PLAIN, FORCED], True),
    (["UndefinedFunction"], [FORCED], True),  # not one to try again
])
def test_dropping_a_scratch_database_tries_force_then_plain_then_force_and_logs_a_failure(
        monkeypatch, caplog, answers, expected, logged):
    """``drop_database``'s order of attempts, on a fake connection; a last refusal is logged
    with the database's name (to drop by hand), never raised over what the caller did."""
    import logging

    import psycopg

    from db.pg_backup import drop_database
    server = FakeServer(monkeypatch, [getattr(psycopg.errors, a)("ditolak") if a else None for a in answers])
    with caplog.at_level(logging.WARNING, logger="db.pg_backup"):
        drop_database("postgresql://payung@db-uji.example/postgres", "payung_bench_1_ab")
    assert server.tried == expected
    assert bool(caplog.records) == logged
    if logged:
        assert "payung_bench_1_ab" in caplog.records[0].getMessage()


@pytest.mark.parametrize("purpose", ["untuk memeriksa cadangan", "untuk uji kinerja"])
def test_a_scratch_database_that_is_not_the_new_one_is_refused_saying_what_stopped(monkeypatch, purpose):
    """The address of the new database reached another one: refused in words that say what it
    was for (a restore's check, a benchmark), and the new one is dropped all the same."""
    from payung.base.errors import DatabaseError

    from db.pg_backup import scratch_database
    # The lock and its row, CREATE, COMMENT, SELECT current_database() and its row.
    server = FakeServer(monkeypatch, [None, ("payung",), None, None, None, ("payung",)])
    with pytest.raises(DatabaseError) as refused:
        with scratch_database("postgresql://payung@db-uji.example/payung", name="payung_bench_1_ab",
                              purpose=purpose):
            pass
    assert str(refused.value) == (f"Basis data sementara {purpose} bukan yang baru dibuat; pekerjaan {purpose} "
                                  "dihentikan.")
    assert server.tried[:2] == [LOCK, 'CREATE DATABASE "payung_bench_1_ab"'] and server.tried[-1] == FORCED


@pytest.mark.parametrize("name, stopped_at, dropped", [
    (None, "close", True), ("bench_simpan", "close", True),
    (None, "connect", True),  # a name of its own making: DROP ... IF EXISTS harms nobody
    ("bench_simpan", "connect", False),  # the CREATE never ran: the name may be another's database
])
def test_a_scratch_database_goes_when_the_process_is_stopped_while_making_it(monkeypatch, name, stopped_at, dropped):
    """A SIGTERM (``SystemExit``) as the connection that made the database closed, before the
    block that drops it was entered, left the database on the server."""
    from db.pg_backup import scratch_database
    server = FakeServer(monkeypatch, [])
    stops = [stopped_at]

    def stop_once(where: str) -> None:
        if stops == [where]:
            stops.clear()
            raise SystemExit(143)
    import psycopg
    leave = FakeServer.__exit__
    monkeypatch.setattr(psycopg, "connect", lambda url, **kwargs: stop_once("connect") or server)
    monkeypatch.setattr(FakeServer, "__exit__", lambda self, *exc: stop_once("close") or leave(self, *exc))
    with pytest.raises(SystemExit):
        with scratch_database("postgresql://payung@db-uji.example/payung", prefix="payung_bench", name=name):
            pass
    drops = [statement for statement in server.tried if statement.startswith("DROP")]
    assert len(drops) == dropped and all(statement.endswith("WITH (FORCE)") for statement in drops)


def test_a_scratch_database_of_a_name_taken_is_refused_and_the_other_database_left(monkeypatch):
    """``--keep NAME`` naming a database that exists (not the bench's): refused, and that
    database is never dropped."""
    import psycopg

    from payung.base.errors import DatabaseError

    from db.pg_backup import scratch_database
    server = FakeServer(monkeypatch, [None, ("payung",), psycopg.errors.DuplicateDatabase("sudah ada")])
    with pytest.raises(DatabaseError, match="Basis data payung_kabupaten sudah ada di server itu"):
        with scratch_database("postgresql://payung@db-uji.example/postgres", name="payung_kabupaten"):
            pass
    assert server.tried == [LOCK, 'CREATE DATABASE "payung_kabupaten"']


def _names(prefix: str) -> set[str]:
    from conftest import postgres
    with postgres().admin() as admin:
        return {r[0] for r in admin.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)",
                                            [prefix]).fetchall()}


def test_a_scratch_database_left_by_a_killed_process_goes_at_the_next_sweep_and_none_other(engine, tmp_path):
    """``kill -9`` in the middle of a restore leaves its checking database; the next restore's
    ``drop_stale`` drops it, and only it: not one in use by a live process (it holds the lock),
    not one somebody is connected to, not one of a name Payung did not make, not one without its
    maker's comment, not one made from another database of the server."""
    import signal
    import sys
    from pathlib import Path

    import psycopg

    from conftest import postgres
    from db.pg_backup import _made_from, drop_stale, scratch_database, url_of_database
    prefix = f"payung_sapu{os.getpid()}"  # this test's own, apart from other test processes'
    server = postgres().database_url("postgres")
    killed = subprocess.run([sys.executable, "-c", (
        "import os, signal, sys\n"
        "from db.pg_backup import scratch_database\n"
        f"with scratch_database({server!r}, prefix={prefix!r}) as url:\n"
        "    print(url.rsplit('/', 1)[1], flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n")], cwd=Path(__file__).resolve().parents[1],
        capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = killed.stdout.strip()
    # Databases the app's role could drop, each kept by one check only.
    unnamed, uncommented, visited = f"{prefix}_simpan", f"{prefix}_1_0000000a", f"{prefix}_2_0000000b"
    origin = f"{prefix}_asal"
    with psycopg.connect(server, autocommit=True) as app_role:
        for name, comment in ((unnamed, _made_from("postgres")), (uncommented, None),
                              (visited, _made_from("postgres")), (origin, None)):
            app_role.execute(f'CREATE DATABASE "{name}"')
            if comment:
                app_role.execute(f"COMMENT ON DATABASE \"{name}\" IS '{comment}'")
    try:
        with psycopg.connect(url_of_database(server, visited)), scratch_database(server, prefix=prefix) as in_use, \
                scratch_database(url_of_database(server, origin), prefix=prefix) as elsewhere:
            assert {left, unnamed, uncommented, visited} < _names(prefix)
            assert drop_stale(server, prefix) == [left]
            # Made from another database, whose lock space this sweep cannot see: left alone.
            assert {elsewhere.rsplit("/", 1)[1], in_use.rsplit("/", 1)[1], unnamed, uncommented,
                    visited} < _names(prefix) and left not in _names(prefix)
    finally:
        with postgres().admin() as admin:
            for name in (unnamed, uncommented, visited, origin):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert _names(prefix) == set()


def test_a_kept_database_is_never_swept_whatever_its_name(engine):
    """``--keep`` keeps the bench's database: it carries no maker's comment, so a later sweep
    leaves it even when its name looks like a scratch database's."""
    from conftest import postgres
    from db.pg_backup import drop_stale, scratch_database
    prefix = f"payung_simpan{os.getpid()}"
    server = postgres().database_url("postgres")
    try:
        with scratch_database(server, prefix=prefix, name=f"{prefix}_9_0000000c", keep=True):
            pass
        assert drop_stale(server, prefix) == [] and _names(prefix) == {f"{prefix}_9_0000000c"}
    finally:
        with postgres().admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{prefix}_9_0000000c" WITH (FORCE)')
