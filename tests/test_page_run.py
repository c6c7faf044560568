"""One run of app.py shares one connection and one session check (issue 24: under load, a third
of a cheap run's CPU went to opening six connections, each parsing the schema and checking the
migrations), and the connection ends with the run, however the run ends."""

from __future__ import annotations

import shutil

import pytest

import db as database
from db import migrations
from payung.auth import sessions
from payung.core import Payung
import ui.session

from streamlit.testing.v1 import AppTest

from conftest import ROOT, logged_in
from test_pages import run

#: Who runs app.py: Beranda drawn to its end for an office user and a village operator; the
#: login form, which ends in st.stop(), for nobody. (Under AppTest only an app's first run goes
#: through app.py: later runs and switch_page run the page file alone.)
USERS = ("admin", "desa", None)


def first_run(user: str | None) -> AppTest:
    """app.py's first run in a new browser session of ``user``, not yet run."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in (logged_in(user) if user else {}).items():
        at.session_state[key] = value
    return at


@pytest.fixture
def counted(monkeypatch):
    """The connections opened and closed by Payung, and the session checks, from now on."""
    seen = {"opened": [], "closed": [], "checks": 0}
    open_db, close_db, check = Payung.open_db, Payung.close_db, ui.session.check_session

    def opening(self):
        db = open_db(self)
        seen["opened"].append(db)
        return db

    def closing(db):
        seen["closed"].append(db)
        close_db(db)

    def checking(*args, **kwargs):
        seen["checks"] += 1
        return check(*args, **kwargs)

    monkeypatch.setattr(Payung, "open_db", opening)
    monkeypatch.setattr(Payung, "close_db", staticmethod(closing))
    monkeypatch.setattr(ui.session, "check_session", checking)
    return seen


@pytest.mark.parametrize("user", USERS)
def test_a_run_opens_one_connection_and_closes_it(site, counted, engine, user):
    """On SQLite; PostgreSQL's connections come ready from a pool, and each is given back at
    the end of its block (one held for a run would keep it from the process's other runs)."""
    run(user)  # the server's first run loads Payung (its own connection, once per process)
    at = first_run(user)
    counted.update(opened=[], closed=[], checks=0)
    at.run()
    assert not at.exception, at.exception
    if engine == "sqlite":
        assert len(counted["opened"]) == 1, f"{len(counted['opened'])} connections in one run"
    assert counted["closed"] == counted["opened"], "a connection outlived the run"


@pytest.mark.parametrize("user", ("operator", "desa"))
def test_a_run_checks_the_session_once(site, counted, user):
    at = first_run(user)
    counted.update(checks=0)
    at.run()
    assert not at.exception, at.exception
    assert counted["checks"] == 1


def test_the_next_run_checks_the_session_again(site):
    at = run("operator")
    db = database.open_database(site["db_path"])
    try:
        sessions.end_session(db, at.session_state[ui.session.SESSION_KEY])
    finally:
        db.close()
    at.run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.key == "keluar"], "a run after the session ended still showed the page"


def test_a_run_leaves_nothing_to_the_callbacks_after_it(site):
    """Streamlit calls the widget callbacks on the thread of the run before, before the next
    run starts: they must find no connection and no actor of that run (``live_callback``
    checks the session afresh)."""
    with ui.session.page_run():
        with ui.session.connection() as inside:
            pass
        ui.session._RUN.actor = (("someone", "a-session"), "their actor")
    assert ui.session._RUN.__dict__ == {}
    with ui.session.connection() as after:
        assert after is not inside


def test_a_callback_outside_a_run_opens_its_own_connection(site):
    """Outside app.py's run (a widget callback, a fragment) nothing is shared."""
    assert not getattr(ui.session._RUN, "active", False)
    with ui.session.connection() as first:
        pass
    with ui.session.connection() as second:
        assert second is not first


# Migrations are checked once per file and process -------------------------------------------

def test_a_file_found_current_is_not_checked_again(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    database.open_database(path).close()
    calls = []
    record = lambda db, **kw: calls.append(db) or []  # noqa: E731
    monkeypatch.setattr(migrations, "migrate", record)
    monkeypatch.setattr(database, "migrate", record)  # the name db/__init__ holds
    database.open_database(path).close()
    assert calls == []


def test_a_file_copied_over_the_database_is_checked_again(tmp_path):
    """An older copy put in place of the file while the server runs is upgraded at the next
    connection, as before."""
    old, path = tmp_path / "old.db", tmp_path / "a.db"
    db = database.connect(old)
    migrations.migrate(db, stop_before=migrations.known()[-1])
    db.close()
    database.open_database(path).close()
    shutil.copyfile(old, path)
    db = database.open_database(path)
    assert migrations.pending(db) == []
    db.close()


def test_each_in_memory_database_is_migrated():
    for _ in range(2):
        db = database.open_database(":memory:")
        assert migrations.pending(db) == []
        db.close()


def test_what_the_first_runs_loaded_is_left_out_of_full_collections(site, monkeypatch):
    """``gc.freeze`` after the first runs: the collector's full passes scanned every module,
    plugin and region a server had loaded, holding all its sessions for 0,2-0,5 s under load."""
    import gc
    gc.unfreeze()
    monkeypatch.setattr(ui.session, "_runs_ended", ui.session._FREEZE_AFTER_RUNS - 1)
    run("admin")
    assert gc.get_freeze_count() > 0


def test_checking_a_batch_of_workers_leaves_a_servers_frozen_objects_frozen(site):
    """An import checks its rows with the process's objects frozen, then unfroze them all: in a
    server that was every object its first runs had frozen."""
    import gc
    from payung.people.workers import check_workers
    app = Payung.load()
    gc.freeze()  # as a server's first runs left it (ui.session._settle_memory)
    frozen = gc.get_freeze_count()
    check_workers([{"nik": "3324016508900003", "name": "Siti"}], settings=app.settings, villages={})
    assert gc.get_freeze_count() >= frozen // 2
