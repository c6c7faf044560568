"""Backups (``payung.operations.backups``): one automatic copy a day, and a restore that checks a
file before the live database is touched, refuses anything but a green Payung backup, upgrades
an older one and ends every session."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

import db as database
from payung.base import clock
from payung.auth.access import Actor
from payung.operations.backups import (RestoreRefused, automatic_backups, backup_settings, daily_backup, make_backup,
                            restore_backup)
from payung.operations.checks import run_checks
from payung.operations.demo import generate
from payung.people.workers import update_worker

from conftest import PASSWORD, snapshot, write_config

#: The Cadangan page's backups and restores copy the SQLite file; a PostgreSQL database is backed
#: up with pg_dump (issue 25, point 4), so these run on SQLite only.
pytestmark = pytest.mark.sqlite_only("file backups and restores are SQLite's; PostgreSQL is backed up with pg_dump")

NOW = dt.datetime(2026, 12, 1, 21, 30)


def contents(db) -> dict:
    """Every table's rows, the audit log apart (a restore appends to it) and the data versions
    (a restore moves them past the replaced database's, see the test below)."""
    return {t: rows for t, rows in snapshot(db).items() if t not in ("audit_log", "data_versions")}


def audit(db) -> list[dict]:
    return list(db.query("SELECT * FROM audit_log ORDER BY id"))


@pytest.fixture
def demo(app, db, admin):
    generate(app, db, workers=200, seed=3)
    return db


def test_restore_gives_back_exactly_the_backup(app, demo, admin, tmp_path):
    db = demo
    saved_audit = audit(db)  # the backup's own audit entry is written after the copy
    copy = make_backup(db, app.settings, actor=admin, now=NOW)
    saved = contents(db)
    # Change things: a worker, a payment reversed, a new sponsor.
    worker = db.execute("SELECT id FROM workers ORDER BY id LIMIT 1").fetchone()[0]
    update_worker(db, app.settings, worker, {"name": "Nama Baru", "phone": "0813-0000-0000"}, actor=admin)
    from payung.finance.payments import reverse_payment
    from payung.people.sponsors import create_sponsor
    reverse_payment(db, db.execute("SELECT MIN(id) FROM payments").fetchone()[0], reason="salah transfer",
                    actor=admin)
    create_sponsor(db, app.settings, {"type": "perorangan", "name": "Donatur Baru"}, actor=admin)
    assert contents(db) != saved
    done = restore_backup(db, app, copy, actor=admin, now=NOW)
    assert contents(db) == saved
    after = audit(db)
    assert after[:len(saved_audit)] == saved_audit
    [entry] = [e for e in after if e["action"] == "restore"]
    assert (entry["action"], entry["actor"], entry["table_name"]) == ("restore", "admin", "database")
    assert json.loads(entry["after"])["file"] == copy.name
    # The data replaced was kept, and holds the changes.
    with database.connect(done["before"]) as before:
        assert before.execute("SELECT name FROM workers WHERE id = ?", [worker]).fetchone()[0] == "Nama Baru"
    assert run_checks(db).ok
    assert not list(Path(app.settings.database).parent.glob(".*pulih*"))


def test_after_a_restore_the_audit_log_never_reuses_an_id_so_no_cache_shows_old_data(app, demo, admin):
    from payung.reports.dashboard import data_version
    db = demo
    copy = make_backup(db, app.settings, actor=admin, now=NOW)
    for n in range(5):
        db.execute("UPDATE sponsors SET name = ?", [f"Ubah {n}"])
        from db import store
        store.audit(db, "uji", "update", "sponsors", None, None, {"n": n})
    seen = data_version(db, actor=Actor.system())
    restore_backup(db, app, copy, actor=admin, now=NOW)
    assert data_version(db, actor=Actor.system()) > seen


def test_open_sessions_see_the_old_data_or_the_restored_never_a_mix(app, demo, admin):
    db = demo
    copy = make_backup(db, app.settings, actor=admin, now=NOW)
    db.execute("UPDATE workers SET name = 'Sesudah cadangan'")
    total = db.execute("SELECT COUNT(*) FROM workers").fetchone()[0]
    other = database.connect(app.settings.database)  # another Streamlit session's connection
    other.execute("BEGIN")
    assert other.execute("SELECT COUNT(*) FROM workers WHERE name = 'Sesudah cadangan'").fetchone()[0] == total
    restore_backup(db, app, copy, actor=admin, now=NOW)
    # Its read transaction keeps its snapshot; its next one sees the restored data.
    assert other.execute("SELECT COUNT(*) FROM workers WHERE name = 'Sesudah cadangan'").fetchone()[0] == total
    other.execute("COMMIT")
    assert other.execute("SELECT COUNT(*) FROM workers WHERE name = 'Sesudah cadangan'").fetchone()[0] == 0
    other.close()


def refused_and_unchanged(db, app, admin, source, match) -> None:
    """``restore_backup`` of ``source`` is refused saying ``match``, and neither the data nor
    the backup folder changed (not even a before-restore copy). Both engines."""
    before = snapshot(db)
    folder = backup_settings(app.settings).folder
    kept = sorted(folder.glob("*")) if folder.exists() else []
    with pytest.raises(RestoreRefused, match=match):
        restore_backup(db, app, source, actor=admin, now=NOW)
    assert snapshot(db) == before
    assert (sorted(folder.glob("*")) if folder.exists() else []) == kept


def _refused(db, app, admin, source, match):
    refused_and_unchanged(db, app, admin, source, match)
    assert not list(Path(app.settings.database).parent.glob(".*pulih*"))  # no checking copy left


def test_restore_refuses_a_file_that_is_not_a_database(app, demo, admin, tmp_path):
    text = tmp_path / "catatan.db"
    text.write_text("Ini bukan basis data, hanya catatan rapat.\n" * 200)
    _refused(demo, app, admin, text, "bukan basis data SQLite")
    _refused(demo, app, admin, b"SQLite format 3\x00" + b"\x00" * 50, "bukan basis data SQLite")


def test_restore_refuses_a_database_that_is_not_payungs(app, demo, admin, tmp_path):
    other = tmp_path / "lain.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE belanja (id INTEGER PRIMARY KEY, barang TEXT)")
        conn.execute("INSERT INTO belanja (barang) VALUES ('beras')")
    _refused(demo, app, admin, other, "bukan basis data Payung")
    empty = tmp_path / "kosong.db"
    empty.write_bytes(b"")
    _refused(demo, app, admin, empty, "bukan basis data Payung")


def test_restore_refuses_a_corrupt_file(app, demo, admin, tmp_path):
    copy = make_backup(demo, app.settings, actor=admin, now=NOW)
    # An index that no longer matches its table: the file reads, only the integrity check sees it.
    conn = sqlite3.connect(copy)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX workers_name ON workers (phone)'"
                 " WHERE name = 'workers_name'")
    conn.commit()
    conn.close()
    _refused(demo, app, admin, copy, "Berkas cadangan rusak: pemeriksaan keutuhan SQLite gagal")
    # Pages scribbled over: SQLite cannot even read it through.
    page = demo.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(copy.read_bytes())
    middle = len(data) // page // 2
    for n in range(middle, middle + 4):
        data[n * page:(n + 1) * page] = bytes((i * 7 + n) % 251 for i in range(page))
    broken = tmp_path / "rusak.db"
    broken.write_bytes(bytes(data))
    _refused(demo, app, admin, broken, "Berkas cadangan rusak")


def test_restore_refuses_a_file_from_a_newer_payung(app, demo, admin, tmp_path):
    copy = make_backup(demo, app.settings, actor=admin, now=NOW)
    conn = sqlite3.connect(copy)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
                 " VALUES ('payung', 'm999_from_the_future', '2030-01-01')")
    conn.commit()
    conn.close()
    _refused(demo, app, admin, copy, "versi Payung yang lebih baru")


def test_restore_refuses_a_backup_whose_check_is_not_green(app, demo, admin):
    copy = make_backup(demo, app.settings, actor=admin, now=NOW)
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE line_totals SET paid = paid + 1 WHERE rowid = (SELECT MIN(rowid) FROM line_totals)")
    conn.commit()
    conn.close()
    _refused(demo, app, admin, copy, r"tidak konsisten \(line_totals: 1 difference\)")


def test_restore_takes_the_writes_still_in_a_copys_wal_file(app, demo, admin, tmp_path):
    copy = make_backup(demo, app.settings, actor=admin, now=NOW)
    writer = database.connect(copy)  # WAL mode: the change below stays in payung-...db-wal
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE sponsors SET name = 'Hanya di WAL'")
    assert Path(str(copy) + "-wal").stat().st_size > 0
    restore_backup(demo, app, copy, actor=admin, now=NOW)
    writer.close()
    assert {r[0] for r in demo.execute("SELECT name FROM sponsors")} == {"Hanya di WAL"}
    # Written around Payung's store: the restore derives the names' search keys, not refuses them.
    assert {r[0] for r in demo.execute("SELECT name_key FROM sponsors")} == {"hanya di wal"}


def test_restore_upgrades_a_backup_of_an_older_payung(app, db, admin, tmp_path):
    old = tmp_path / "lama.db"
    conn = database.connect(old)
    database.migrate(conn, stop_before="m008_line_totals_follow_workers")
    conn.close()
    restore_backup(db, app, old, actor=admin, now=NOW)
    from db.migrations import known, migrations
    assert [m.name for m in migrations.applied(db)] == known()
    assert run_checks(db).ok


def test_restore_is_for_admins_only(app, demo, tmp_path):
    from payung.auth.access import Forbidden
    copy = make_backup(demo, app.settings, actor=Actor("admin", "admin"), now=NOW)
    before = snapshot(demo)
    with pytest.raises(Forbidden):
        restore_backup(demo, app, copy, actor=Actor("ani", "operator", regency_code="33.24"), now=NOW)
    assert snapshot(demo) == before


def test_cli_restore_and_its_refusal(app, demo, admin, tmp_path, capsys):
    from payung.cli import main
    copy = make_backup(demo, app.settings, actor=admin, now=NOW)
    demo.execute("UPDATE sponsors SET name = 'Diubah'")
    assert main(["restore", str(copy), "--config", str(app.settings.path)]) == 0
    out = capsys.readouterr().out
    assert "Basis data dipulihkan dari" in out and "line_totals: ok" in out
    assert demo.execute("SELECT COUNT(*) FROM sponsors WHERE name = 'Diubah'").fetchone()[0] == 0
    text = tmp_path / "bukan.db"
    text.write_text("halo")
    assert main(["restore", str(text), "--config", str(app.settings.path)]) == 1
    assert "Galat: Berkas ini bukan basis data SQLite" in capsys.readouterr().err


# Automatic backups ----------------------------------------------------------------------------

def test_one_automatic_backup_a_day_keeping_the_last_fourteen(app, db):
    day = dt.date(2026, 11, 1)
    made = [daily_backup(app.settings, today=day + dt.timedelta(days=n)) for n in range(16)]
    assert all(made) and daily_backup(app.settings, today=day + dt.timedelta(days=15)) is None
    kept = automatic_backups(app.settings)
    assert len(kept) == 14 and kept[0].name == "payung-otomatis-20261116.db"
    assert kept[-1].name == "payung-otomatis-20261103.db"
    with database.connect(kept[0]) as copy:
        assert copy.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0] > 0


def backups_config(tmp_path, folder: str, keep: str) -> Path:
    path = write_config(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert 'folder = "cadangan"' in text and "keep = 14" in text
    path.write_text(text.replace('folder = "cadangan"', folder).replace("keep = 14", keep), encoding="utf-8")
    return path


def test_automatic_backups_follow_the_configuration(tmp_path, db):
    from payung.core import Payung
    folder = tmp_path / "salinan"
    app = Payung.load(backups_config(tmp_path, f'folder = "{folder}"', "keep = 2"), entry_points=False)
    for n in range(4):
        daily_backup(app.settings, today=dt.date(2026, 1, 1 + n))
    assert sorted(p.name for p in folder.iterdir()) == ["payung-otomatis-20260103.db", "payung-otomatis-20260104.db"]
    off = Payung.load(backups_config(tmp_path, 'folder = "cadangan"', "keep = 0"), entry_points=False)
    assert daily_backup(off.settings, today=dt.date(2026, 2, 1)) is None


def test_cli_commands_that_write_make_the_days_backup_first(app, db, capsys):
    from payung.cli import main
    config = ["--config", str(app.settings.path)]
    assert main(["check", *config]) == 0  # reads only
    assert automatic_backups(app.settings) == []
    assert main(["users", "add", "ani", "--name", "Ani", "--role", "admin", "--password", PASSWORD, *config]) == 0
    [made] = automatic_backups(app.settings)
    assert made.name == f"payung-otomatis-{clock.today():%Y%m%d}.db"
    with database.connect(made) as copy:  # made before the write
        assert copy.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0


def test_a_write_during_a_restore_waits_and_is_not_lost(app, demo, admin, monkeypatch):
    """Another session saves a worker while a restore runs: the save waits until the restore
    is done and lands on the restored data, instead of falling between the copy of the data
    being replaced and the swap (where it would be in neither)."""
    import threading
    import time

    db = demo
    copy = make_backup(db, app.settings, actor=admin, now=NOW)
    worker = db.execute("SELECT id FROM workers ORDER BY id LIMIT 1").fetchone()[0]
    saved = threading.Event()
    real_backup = database.backup

    def backup_then_someone_saves(source, target):
        kept = real_backup(source, target)
        if "sebelum-pulih" in str(target):
            def save():  # another Streamlit session: its own thread and connection
                other = database.open_database(app.settings.database)
                update_worker(other, app.settings, worker, {"name": "Disimpan Saat Pemulihan"}, actor=admin)
                other.close()
                saved.set()
            threading.Thread(target=save).start()
            time.sleep(0.5)  # the other session's save is under way now
        return kept

    monkeypatch.setattr(database, "backup", backup_then_someone_saves)
    restore_backup(db, app, copy, actor=admin, now=NOW)
    assert saved.wait(10)
    assert db.execute("SELECT name FROM workers WHERE id = ?", [worker]).fetchone()[0] == "Disimpan Saat Pemulihan"
    assert run_checks(db).ok


# A restore and the accounts (security review) ----------------------------------------------------

def test_a_restore_brings_back_the_data_but_not_old_passwords_deactivated_users_or_sessions(app, db, admin):
    """After a backup: a stolen session is logged out, a password changed, a user deactivated,
    a role narrowed, a new user added. Restoring the backup must undo none of that; every
    session ends (the restoring administrator signs in again too); a user found only in the
    backup is not brought back."""
    from payung.auth.sessions import SessionPolicy, check_session, end_session, login
    from payung.auth.users import add_user, change_access, change_password, set_user_active
    from db import queries
    policy = SessionPolicy()
    system = Actor.system()
    for name, role, regency in (("admin", "admin", None), ("ani", "operator", "33.24"), ("budi", "operator", "33.24"),
                                ("citra", "operator", "33.27"), ("lama", "viewer", None)):
        add_user(db, username=name, name=name.title(), role=role, regency_code=regency, password=PASSWORD, actor=system)
    stolen = login(db, "ani", PASSWORD, policy).session_id  # a copied cookie
    budi_session = login(db, "budi", PASSWORD, policy).session_id
    copy = make_backup(db, app.settings, actor=admin, now=NOW)

    end_session(db, stolen)  # Ani logs out, then changes her password
    change_password(db, actor=Actor("ani", "operator", "33.24"), current=PASSWORD, new="Sungai-Biru-1990x",
                    repeat="Sungai-Biru-1990x")
    set_user_active(db, queries.user_by_username(db, "budi")["id"], False, actor=admin)
    change_access(db, queries.user_by_username(db, "citra")["id"], role="viewer", regency_code="33.24", actor=admin)
    add_user(db, username="dewi", name="Dewi", role="viewer", password=PASSWORD, actor=admin)
    # "lama" exists only in the backup (as if the backup came from another Payung).
    db.execute("DELETE FROM users WHERE username = 'lama'")
    admin_session = login(db, "admin", PASSWORD, policy).session_id
    accounts_now = list(db.query("SELECT * FROM users ORDER BY id"))

    done = restore_backup(db, app, copy, actor=admin, now=NOW)

    assert check_session(db, stolen, policy) is None
    assert check_session(db, budi_session, policy) is None
    assert check_session(db, admin_session, policy) is None  # the restoring administrator too
    assert not db.execute("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL").fetchone()[0]
    assert not login(db, "ani", PASSWORD, policy).ok
    assert login(db, "ani", "Sungai-Biru-1990x", policy).ok
    assert not queries.user_by_username(db, "budi")["active"] and not login(db, "budi", PASSWORD, policy).ok
    assert (queries.user_by_username(db, "citra")["role"], queries.user_by_username(db, "citra")["regency_code"]) \
        == ("viewer", "33.24")
    assert queries.user_by_username(db, "dewi") is not None and queries.user_by_username(db, "lama") is None
    assert list(db.query("SELECT * FROM users ORDER BY id")) == accounts_now
    assert done["accounts"]["accounts_not_restored"] == ["lama"] and done["accounts"]["sessions_ended"] >= 1
    entry = json.loads(db.execute("SELECT after FROM audit_log WHERE action = 'restore'").fetchone()[0])
    assert entry["accounts"]["accounts_not_restored"] == ["lama"]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_cli_restore_says_every_session_ended(app, demo, admin, capsys):
    from payung.cli import main
    copy = make_backup(demo, app.settings, actor=admin, now=NOW)
    assert main(["restore", str(copy), "--config", str(app.settings.path)]) == 0
    assert "sesi diakhiri: setiap pengguna masuk lagi" in capsys.readouterr().out


# Owner-only files ------------------------------------------------------------------------------

def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_database_and_backups_are_for_the_owner_only(app, db, admin, tmp_path):
    """The database, its -wal/-shm, the backups and the backup folder hold every NIK: 0600 and
    0700, whatever the umask; a database file loosened by hand is tightened when opened."""
    import os
    live = Path(app.settings.database)
    old_umask = os.umask(0o022)
    try:
        made = make_backup(db, app.settings, actor=admin, now=NOW)
        auto = daily_backup(app.settings, today=dt.date(2026, 11, 1))
        before = Path(restore_backup(db, app, made, actor=admin, now=NOW)["before"])
        for path in (live, made, auto, before):
            assert _mode(path) == 0o600, path
        for suffix in ("-wal", "-shm"):
            if Path(f"{live}{suffix}").exists():
                assert _mode(Path(f"{live}{suffix}")) == 0o600, suffix
        assert _mode(backup_settings(app.settings).folder) == 0o700
        fresh = database.connect(tmp_path / "baru" / "payung.db")
        fresh.execute("CREATE TABLE t (x)")
        assert _mode(tmp_path / "baru" / "payung.db") == 0o600 and _mode(tmp_path / "baru") == 0o700
        assert _mode(Path(f"{tmp_path / 'baru' / 'payung.db'}-wal")) == 0o600
        fresh.close()
        os.chmod(live, 0o644)
        os.chmod(backup_settings(app.settings).folder, 0o755)
        database.connect(live).close()
        assert _mode(live) == 0o600
        daily_backup(app.settings, today=dt.date(2026, 11, 2))
        assert _mode(backup_settings(app.settings).folder) == 0o700
    finally:
        os.umask(old_umask)


# Crafted backups: the schema must be Payung's own ------------------------------------------------

def _crafted(demo, app, admin, sql: str) -> Path:
    copy = make_backup(demo, app.settings, actor=admin, now=NOW)
    conn = sqlite3.connect(copy)
    conn.executescript(sql)
    conn.commit()
    conn.close()
    return copy


@pytest.mark.parametrize("sql, named", [
    # Whoever signs in next recreates the sender's administrator.
    ("CREATE TRIGGER sessions_touch AFTER INSERT ON sessions BEGIN"
     " INSERT OR IGNORE INTO users (username, name, role, password_hash, active, created_at, updated_at)"
     " VALUES ('dukungan', 'Dukungan', 'admin', 'x', 1, datetime('now'), datetime('now')); END;",
     'tambahan trigger "sessions_touch"'),
    # Every payment overwrites every phone number.
    ("CREATE TRIGGER payments_touch AFTER INSERT ON payments BEGIN UPDATE workers SET phone = '+6281100000000'; END;",
     'tambahan trigger "payments_touch"'),
    # The audit log made editable.
    ("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;", 'tidak ada trigger "audit_log_no_update"'),
    # A table replaced by a view over a copy: reads work, every write fails.
    ("ALTER TABLE claims RENAME TO claims_old; CREATE VIEW claims AS SELECT * FROM claims_old;",
     'tambahan view "claims"'),
    ("DROP INDEX lines_budget;", 'tidak ada indeks "lines_budget"'),
    # The guard kept by name, its body changed: the UPDATE it refused is now allowed.
    ("DROP TRIGGER audit_log_no_update; CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
     " WHEN 0 BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;", 'trigger "audit_log_no_update" berbeda'),
    # A column more (data a later write would drag along) is a different table.
    ("ALTER TABLE users ADD COLUMN catatan TEXT;", 'tabel "users" berbeda'),
], ids=["admin-trigger", "phone-trigger", "audit-triggers-dropped", "view-for-table", "index-dropped",
        "trigger-changed", "extra-column"])
def test_restore_refuses_a_backup_whose_schema_is_not_payungs(app, demo, admin, sql, named):
    copy = _crafted(demo, app, admin, sql)
    with pytest.raises(RestoreRefused) as refused:
        restore_backup(demo, app, copy, actor=admin, now=NOW)
    message = str(refused.value)
    assert "Susunan basis data dalam cadangan ini berbeda" in message and named in message, message
    assert "Basis data yang berjalan tidak diubah" in message
    _refused(demo, app, admin, copy, "Susunan basis data dalam cadangan ini berbeda")
    # The live database keeps its own guards.
    names = {r[0] for r in demo.execute("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'view')")}
    assert {"audit_log_no_update", "audit_log_no_delete"} <= names and "sessions_touch" not in names


def test_restore_of_a_file_with_only_the_migrations_table_is_refused_not_a_crash(app, demo, admin, tmp_path, capsys):
    from payung.cli import main
    bare = tmp_path / "hanya-migrasi.db"
    conn = sqlite3.connect(bare)
    conn.execute(demo.execute("SELECT sql FROM sqlite_master WHERE name = '_sqlite_migrations'").fetchone()[0])
    conn.executemany("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
                     demo.execute("SELECT migration_set, name, applied_at FROM _sqlite_migrations").fetchall())
    conn.commit()
    conn.close()
    _refused(demo, app, admin, bare, 'tidak ada tabel "audit_log"')
    assert main(["restore", str(bare), "--config", str(app.settings.path)]) == 1
    err = capsys.readouterr().err
    assert "Galat: Susunan basis data" in err and "Traceback" not in err and "line_totals" not in err.split("(")[0]


def test_restore_refuses_migration_records_with_a_gap(app, demo, admin):
    copy = _crafted(demo, app, admin, "DELETE FROM _sqlite_migrations WHERE name = 'm003_imports';")
    _refused(demo, app, admin, copy, "Catatan migrasi dalam berkas ini tidak dikenal")


def test_a_sqlite_error_while_verifying_is_a_refusal(app, demo, admin, monkeypatch):
    """Whatever SQLite raises on a crafted file while it is checked (``db`` raises it as a
    DatabaseError) is "rusak atau tidak dikenal"."""
    from db import consistency
    from payung.base.errors import DatabaseError
    copy = make_backup(demo, app.settings, actor=admin, now=NOW)

    def unreadable(db):
        raise DatabaseError("no such table: line_totals")
    monkeypatch.setattr(consistency, "schema_objects", unreadable)
    _refused(demo, app, admin, copy, "Berkas cadangan rusak atau tidak dikenal")


def test_a_backup_of_every_older_level_still_restores(app, db, admin, tmp_path):
    """The schema is compared with a fresh database of the same migration level, so an honest
    older backup is not refused for being older."""
    from db.migrations import known
    for stop in known()[1:]:
        old = tmp_path / f"lama-{stop}.db"
        conn = database.connect(old)
        database.migrate(conn, stop_before=stop)
        conn.close()
        restore_backup(db, app, old, actor=admin, now=NOW)
    assert run_checks(db).ok


# Crafted values, and a restore that is all or nothing (issue #21, finding 2) ---------------------

def _live_hash(app) -> str:
    """The live database's bytes, its WAL file included."""
    import hashlib
    digest = hashlib.sha256()
    for suffix in ("", "-wal"):
        path = Path(str(app.settings.database) + suffix)
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()


def _one_row(table: str, where: str = "1 = 1") -> str:
    return f"(SELECT MIN(id) FROM {table} WHERE {where})"


BIG = 2 ** 63 - 1
CRAFTED_VALUES = [
    ("audit-id", f"INSERT INTO audit_log (id, at, actor, action, table_name) VALUES ({BIG}, '2026-12-01T00:00:00+00:00',"
                 " 'x', 'x', 'x')", "audit_log.id"),
    ("line-id", f"UPDATE contribution_lines SET id = {BIG} WHERE id = "
                + _one_row("contribution_lines", "id NOT IN (SELECT line_id FROM payment_allocations)"),
     "contribution_lines.id"),
    ("negative-id", f"UPDATE sponsors SET id = -5 WHERE id = {_one_row('sponsors', 'id NOT IN (SELECT sponsor_id FROM sponsorships) AND id NOT IN (SELECT sponsor_id FROM contribution_lines)')}",
     "sponsors.id"),
    ("income-text", f"UPDATE workers SET declared_income = 'banyak' WHERE id = {_one_row('workers')}",
     "workers.declared_income"),
    ("income-huge", f"UPDATE workers SET declared_income = 5000000000000 WHERE id = {_one_row('workers')}",
     "workers.declared_income"),
    ("birth-date", f"UPDATE workers SET birth_date = '1975-02-30' WHERE id = {_one_row('workers')}",
     "workers.birth_date"),
    ("paid-on", f"UPDATE payments SET paid_on = '20250-01-01' WHERE id = {_one_row('payments')}", "payments.paid_on"),
    ("month", f"UPDATE payments SET from_month = '2025-13' WHERE id = {_one_row('payments')}", "payments.from_month"),
    ("timestamp", f"UPDATE sponsors SET created_at = 'kemarin' WHERE id = {_one_row('sponsors')}",
     "sponsors.created_at"),
    # Bytes, not text, as a name: deriving its search key raised AttributeError (a traceback, not a refusal).
    ("name-bytes", f"UPDATE workers SET name = X'4142' WHERE id = {_one_row('workers')}", "workers.name"),
    ("sponsor-name-bytes", f"UPDATE sponsors SET name = X'4142' WHERE id = {_one_row('sponsors')}", "sponsors.name"),
]


@pytest.mark.parametrize("sql,named", [c[1:] for c in CRAFTED_VALUES], ids=[c[0] for c in CRAFTED_VALUES])
def test_restore_checks_every_id_amount_and_date_before_the_live_file_is_touched(app, demo, admin, sql, named):
    """An audit row id of 2^63-1 passed every check and failed with OverflowError after the live
    database was replaced; a line id of 2^63-1 restored and broke the next bulk enrolment."""
    copy = _crafted(demo, app, admin, sql)
    demo.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    hashed = _live_hash(app)
    with pytest.raises(RestoreRefused) as refused:
        restore_backup(demo, app, copy, actor=admin, now=NOW)
    message = str(refused.value)
    assert "di luar batas yang wajar" in message and named in message and "tidak diubah" in message, message
    assert _live_hash(app) == hashed
    _refused(demo, app, admin, copy, "di luar batas yang wajar")


@pytest.mark.parametrize("where", ["audit", "sync", "accounts"])
def test_a_restore_that_fails_after_the_checks_leaves_the_live_file_byte_for_byte(app, demo, admin, monkeypatch, where):
    """Whatever fails before the swap (the audit entry, the scheme re-sync, the accounts kept),
    the live database is as it was, and no session is told of a restore."""
    from db import consistency
    from payung.operations import backups
    from payung.core import Payung
    copy = make_backup(demo, app.settings, actor=admin, now=NOW)
    demo.execute("UPDATE sponsors SET name = 'Sesudah cadangan', name_key = 'sesudah cadangan'")
    demo.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    hashed = _live_hash(app)

    def broken(*args, **kwargs):
        raise OverflowError("Python int too large to convert to SQLite INTEGER")
    target = {"audit": (consistency, "audit_restore"), "sync": (Payung, "sync_schemes"),
              "accounts": (consistency, "keep_live_accounts")}[where]
    monkeypatch.setattr(*target, broken)
    with pytest.raises(RestoreRefused) as refused:
        restore_backup(demo, app, copy, actor=admin, now=NOW)
    assert "Basis data yang berjalan tidak diubah" in str(refused.value), str(refused.value)
    assert _live_hash(app) == hashed
    assert backups.last_restore(app.settings) is None
    assert not list(Path(app.settings.database).parent.glob(".*pulih*"))


def test_a_restore_completes_with_its_audit_entry_notice_and_schemes(app, demo, admin):
    copy = make_backup(demo, app.settings, actor=admin, now=NOW)
    issued = demo.execute("SELECT MAX(id) FROM audit_log").fetchone()[0]
    conn = sqlite3.connect(copy)  # a backup from before the example scheme was recorded
    conn.execute("PRAGMA foreign_keys = OFF")
    for table in ("payment_allocations", "payments", "line_totals", "contribution_lines", "claims", "sponsorships",
                  "budget_lines", "schemes"):
        conn.execute(f"DELETE FROM {table}")
    conn.commit()
    conn.close()
    done = restore_backup(demo, app, copy, actor=admin, now=NOW)
    [entry] = list(demo.query("SELECT id FROM audit_log WHERE action = 'restore'"))
    assert entry["id"] > issued
    assert [r["code"] for r in demo.query("SELECT code FROM schemes")] == sorted(app.plugins.schemes)
    from payung.operations.backups import last_restore
    assert last_restore(app.settings)["at"] == done["at"]


def test_the_cadangan_page_refuses_a_crafted_backup_without_a_traceback(site, tmp_path):
    from test_plain_text import _restore_upload
    from test_pages import open_db, run
    db = open_db(site)
    try:
        copy = make_backup(db, site["app"].settings, actor=Actor("admin", "admin"), now=NOW)
    finally:
        db.close()
    conn = sqlite3.connect(copy)
    conn.execute(CRAFTED_VALUES[0][1])
    conn.commit()
    conn.close()
    at = run("admin", "pages/cadangan.py")
    at = _restore_upload(at, "cadangan.db", copy.read_bytes())
    assert not at.exception, at.exception
    assert any("di luar batas yang wajar" in e.value for e in at.error), [e.value for e in at.error]
