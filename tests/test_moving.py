"""Moving up (issue 25, point 4): ``python -m payung pindah postgresql://...`` copies a regency's
SQLite database into an empty PostgreSQL one (every table, the audit log, ids and sequences),
refuses a target with data, and compares ``payung check`` and every table on both sides."""

from __future__ import annotations

import subprocess
import sys

import pytest

import db as database
from db import transfer
from payung.auth.access import Actor
from payung.base.config import load_settings
from payung.operations.moving import MoveRefused, compare, move
from payung.people.workers import create_worker

import pg_server
from conftest import ROOT, _demo_site, _schemes_app, copy_database, engine_available, postgres, worker_values, \
    write_config


@pytest.fixture
def regency(tmp_path, database_template):
    """A demo regency on SQLite (its file) and a new, empty PostgreSQL database (its URL)."""
    engine_available("postgresql")
    source = str(tmp_path / "kabupaten.db")
    copy_database(database_template("demo", _schemes_app, _demo_site, "sqlite"), source)
    target = pg_server.create_database(postgres())
    yield source, target
    pg_server.drop_database(postgres(), target)


def test_a_demo_regency_moves_with_every_figure_equal_and_goes_on_from_its_ids(regency, tmp_path):
    source, target = regency
    report = move(source, target)
    assert report.ok, report.differences
    with database.connect(source) as db:
        rows = transfer.rows_in(db)
    assert report.copied == rows and rows["workers"] > 0 and rows["audit_log"] > 0 and rows["line_totals"] > 0
    # The moved database is used as it is: the next worker gets the next id, and is audited.
    settings = load_settings(write_config(tmp_path, database=target))
    with database.open_database(target) as db:
        last = db.execute("SELECT MAX(id) FROM workers").fetchone()[0]
        new = create_worker(db, settings, worker_values(nik="3324015708759999"), actor=Actor("admin", "admin"))
        assert new == last + 1
        assert db.execute("SELECT COUNT(*) FROM audit_log WHERE table_name = 'workers' AND row_id = ?",
                          [str(new)]).fetchone()[0] == 1


def test_a_target_with_data_is_refused_and_left_as_it_was(regency):
    source, target = regency
    assert move(source, target).ok
    with database.connect(target) as db:
        before = transfer.rows_in(db)
    with pytest.raises(MoveRefused, match="tidak kosong"):
        move(source, target)
    with database.connect(target) as db:
        assert transfer.rows_in(db) == before


def test_a_sqlite_target_is_refused(regency, tmp_path):
    source, _ = regency
    with pytest.raises(MoveRefused, match="PostgreSQL"):
        move(source, str(tmp_path / "lain.db"))


def test_the_comparison_finds_one_changed_value_and_one_missing_row(regency):
    source, target = regency
    assert move(source, target).ok
    with database.connect(source) as src, database.connect(target) as dst:
        dst.execute("ALTER TABLE workers DISABLE TRIGGER USER")
        dst.execute("UPDATE workers SET name = name || ' X' WHERE id = (SELECT MIN(id) FROM workers)")
        dst.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        dst.execute("DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)")
        report = compare(src, dst)
    assert not report.ok
    assert "workers: isi berbeda" in report.differences
    assert any(d.startswith("audit_log: ") and "baris" in d for d in report.differences)


def _cli_pindah(source: str, target: str, folder) -> subprocess.CompletedProcess:
    """``python -m payung pindah target`` with a config naming ``source``, as an administrator runs it."""
    config = write_config(folder, database=source)
    return subprocess.run([sys.executable, "-m", "payung", "pindah", target, "--config", str(config)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_cli_pindah_prints_both_checks_and_says_all_figures_are_equal(regency, tmp_path):
    source, target = regency
    done = _cli_pindah(source, target, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Semua angka sama di kedua basis data." in done.stdout
    assert "PostgreSQL line_totals: ok" in done.stdout
    again = _cli_pindah(source, target, tmp_path)
    assert again.returncode == 2 and "tidak kosong" in again.stderr


@pytest.mark.unchecked
def test_cli_pindah_of_a_source_whose_own_check_fails_says_to_repair_the_source(regency, tmp_path):
    """A name changed in the SQLite file by another program keeps its old search key: the copy is
    the same, so both checks show it, and the way out is the source's repair, then a new move."""
    source, target = regency
    conn = database.connect(source)
    conn.execute("UPDATE workers SET name = 'Diganti Tangan' WHERE id = (SELECT MIN(id) FROM workers)")
    conn.close()
    done = _cli_pindah(source, target, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "SQLite     name_keys: 1 difference" in done.stdout
    assert "jalankan 'python -m payung check --repair' pada berkas sumber" in done.stdout
