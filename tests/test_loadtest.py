"""``python -m payung loadtest`` runs, so it cannot rot: two sessions (an office one over
Streamlit's protocol, a village operator in Chromium) on a small regency for a few seconds. No
timing is checked: that it ran, met no error, and printed its tables."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CHROMIUM, ROOT, write_config

from payung.operations.loadtest.scenarios import Result, Session

pytestmark = pytest.mark.xdist_group("browser")  # a server and a Chromium of its own


def test_the_load_test_runs_two_sessions_without_errors_and_prints_its_tables(tmp_path):
    config = write_config(tmp_path)
    browsers = 1 if Path(CHROMIUM).exists() or os.environ.get("PAYUNG_REQUIRE_BROWSER") else 0
    done = subprocess.run(
        [sys.executable, "-m", "payung", "--config", str(config), "loadtest", "--sessions", "2", "--duration", "12",
         "--ramp", "0.5", "--think", "0.5-1", "--workers", "600", "--data", str(tmp_path / "beban.db"),
         "--browsers", str(browsers), "--server-cpus=", "--client-cpus=", "--results", str(tmp_path / "aksi.csv")],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    assert f"### 2 sesi ({browsers} peramban Chromium)" in out or not browsers and "### 2 sesi" in out
    assert "| action | n | p50 s | p95 s | max s | errors |" in out
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if line.startswith("| ")}
    assert {"open", "login", "beranda"} <= set(rows), out
    assert not browsers or {"chromium:login", "chromium:workers"} <= set(rows), out
    assert rows["**all**"].rstrip(" |").endswith("| 0"), out
    assert "| sessions | p50 s | p95 s | max s | errors |" in out
    assert "load generator late (its event loop, during an action): max " in out
    written = (tmp_path / "aksi.csv").read_text(encoding="utf-8").splitlines()
    assert written[0] == "sessions,action,role,start_s,seconds,error,generator_lag_s"
    assert sum(1 for line in written[1:] if line.startswith("2,")) == int(rows["**all**"].split("|")[2]), written


def test_the_built_database_pays_each_paid_line_once_from_its_sponsors_payment(tmp_path):
    """The test data's paid lines get their ledger in two statements (``ledger.settle_marked_lines``):
    a payment per sponsor and scheme, and per paid line one allocation of what the line says it
    received, from its own sponsor's payment of its scheme. (Written as a join, SQLite without
    statistics took over ten minutes on a regency's lines; the payment is now found per line.)"""
    import db as database
    from payung.core import Payung
    from payung.operations.loadtest import dataset
    app = Payung.load(write_config(tmp_path))
    dataset.build(app, tmp_path / "beban.db", workers=400, out=lambda *_: None)
    db = database.open_database(tmp_path / "beban.db")
    try:
        lines = db.execute("SELECT COUNT(*) FROM contribution_lines WHERE paid_amount > 0").fetchone()[0]
        wrong = db.execute(
            "SELECT COUNT(*) FROM contribution_lines l LEFT JOIN payment_allocations a ON a.line_id = l.id"
            " LEFT JOIN payments y ON y.id = a.payment_id WHERE l.paid_amount > 0 AND (a.line_id IS NULL"
            " OR a.amount <> l.paid_amount OR y.sponsor_id <> l.sponsor_id OR y.scheme_code <> l.scheme_code)"
            ).fetchone()[0]
        allocations = db.execute("SELECT COUNT(*) FROM payment_allocations").fetchone()[0]
        unbalanced = db.execute(
            "SELECT COUNT(*) FROM payments y WHERE y.amount <> (SELECT SUM(a.amount) FROM payment_allocations a"
            " WHERE a.payment_id = y.id)").fetchone()[0]
        payments = db.execute("SELECT COUNT(*) FROM payments").fetchone()[0]
    finally:
        db.close()
    assert lines > 100 and payments > 2
    assert (wrong, allocations, unbalanced) == (0, lines, 0)


def test_a_village_operator_plays_the_village_the_database_gave_them(db, monkeypatch):
    """Accounts are made once per database, with the busiest villages of then; each run adds
    workers, so the busiest villages of now differ. The run must play the stored village: with
    another one, the NIK it types names a district the operator cannot choose, and every save
    was refused ("Desa/kelurahan domisili wajib dipilih")."""
    from payung.operations.loadtest import dataset
    villages = [r["code"] for r in db.query(
        "SELECT code FROM regions WHERE code LIKE '33.24.__.____' ORDER BY code LIMIT 4")]
    assert len(villages) == 4
    monkeypatch.setattr(dataset.batches, "busiest_villages", lambda db, regency, n: villages[:n])
    first = dataset.accounts(db, village_operators=2)
    assert [a.villages for a in first if a.role == "desa"] == [(villages[0],), (villages[1],)]
    monkeypatch.setattr(dataset.batches, "busiest_villages", lambda db, regency, n: villages[2:2 + n])
    assert dataset.accounts(db, village_operators=2) == first


def test_a_new_worker_never_gets_a_nik_already_registered(monkeypatch):
    """The database is kept from run to run: a NIK the load test made up may be registered by
    an earlier run, and its save was then counted as an error ("NIK sudah terdaftar")."""
    import random

    from payung.operations.loadtest import scenarios
    from payung.operations.loadtest.dataset import Account
    account = Account("desa1", "desa", ("33.24.01.2001",))
    monkeypatch.setattr(scenarios.secrets, "randbelow", lambda n: 0)  # every serial the same
    registered = scenarios._new_person(scenarios.Session(0, account, "", rng=random.Random(7)))["nik"]
    session = scenarios.Session(0, account, "", rng=random.Random(7), taken={registered})
    made = scenarios._new_person(session)["nik"]
    assert made != registered and made.startswith("332401") and made in session.taken


def test_the_niks_of_a_district_are_read_from_the_database(site):
    import db as database
    from db import batches
    db = database.open_database(site["db_path"])
    try:
        niks = {r["nik"] for r in db.query("SELECT nik FROM workers")}
        prefix = sorted(niks)[-1][:6]
        assert batches.niks_starting(db, [prefix]) == {n for n in niks if n.startswith(prefix)} != set()
    finally:
        db.close()


def test_sign_ins_count_from_the_start_in_a_browser_too():
    """Sign-ins during the ramp are measured (everyone signs in then); the Chromium sessions'
    were dropped with the other actions of the ramp."""
    from payung.operations.loadtest.runner import counted
    from payung.operations.loadtest.scenarios import Result
    during = [Result(name, 1.0, 0.5) for name in ("open", "login", "chromium:open", "chromium:login", "search",
                                                  "chromium:search")]
    assert [r.action for r in counted(during + [Result("search", 9.0, 0.1)], ramp_end=5.0)] == [
        "open", "login", "chromium:open", "chromium:login", "search"]


def test_a_protocol_tab_keeps_the_login_cookie_the_page_stores():
    """The app stores its login cookie with a script in the page (``ui.auth.cookie_script``); a
    protocol tab keeps it as a browser does, for the next websocket it opens, and deletes it as
    the browser does: only while it holds the cookie the delete names."""
    import datetime as dt

    from payung.operations.loadtest.protocol import Tab
    from ui.auth import COOKIE_NAME, cookie_script
    long_ago = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    tab = Tab("http://127.0.0.1:1")
    tab._run_cookie_script(cookie_script("kepala.token", dt.datetime(2026, 12, 12, tzinfo=dt.timezone.utc)))
    assert tab.cookies == {COOKIE_NAME: "kepala.token"}
    tab._run_cookie_script("<script>console.log(1)</script>")  # not the cookie's: left alone
    tab._run_cookie_script(cookie_script("", long_ago, only_if="token.lain"))  # another tab's: kept
    assert tab.cookies == {COOKIE_NAME: "kepala.token"}
    tab._run_cookie_script(cookie_script("", long_ago, only_if="kepala.token"))  # Keluar
    assert tab.cookies == {}


class _Niceness(Session):
    """A session that only notes the priority it runs at (as ``Result.seconds``)."""

    async def run(self, until: float) -> None:
        self.results.append(Result("nice", time.monotonic(), float(os.nice(0))))


class _Punctual(Session):
    """A session that plays only before its deadline, as ``Session.run`` does."""

    async def run(self, until: float) -> None:
        if time.monotonic() < until:
            self.results.append(Result("on time", time.monotonic(), 0.0))


class _Failing(Session):
    async def run(self, until: float) -> None:
        raise ValueError("sesi rusak")


def test_the_protocol_sessions_run_in_a_process_below_the_browsers_priority():
    """The crowd of protocol sessions must not take the timed browser's CPU: it plays in a child
    process ``crowd.NICE`` below this one, and its results come back; a failure there is said."""
    import asyncio

    from payung.operations.loadtest import crowd
    from payung.operations.loadtest.dataset import Account
    sessions = [_Niceness(n, Account(f"desa{n}", "desa", ("33.24.01.2001",)), "http://127.0.0.1:1") for n in range(2)]
    played = crowd.Crowd(sessions)
    assert played.pid and played.pid != os.getpid()
    now = time.monotonic()
    played.play([now, now], now, now + 5)
    results, cpu = asyncio.run(played.results())
    assert [r.seconds for r in results] == [float(min(19, os.nice(0) + crowd.NICE))] * 2
    assert cpu >= 0
    failing = crowd.Crowd([_Failing(0, sessions[0].account, "http://127.0.0.1:1")])
    failing.play([now], now, now + 5)
    with pytest.raises(RuntimeError, match="sesi rusak"):
        asyncio.run(failing.results())
    nobody = crowd.Crowd([])
    nobody.play([], now, now)
    assert asyncio.run(nobody.results()) == ([], 0.0)


def test_the_crowds_schedule_starts_once_its_process_is_ready():
    """Starting the crowd's process (a new interpreter importing Streamlit's messages) is no
    part of a level: under a loaded machine it took longer than a short level, whose protocol
    sessions then played nothing (a CI failure). The crowd is ready when made, and a schedule
    given then is played even if it ends a moment later. Ready is seen, not timed: the child lowers
    its priority first thing (after its imports), and has when the crowd is made. (A schedule of 50
    ms timed the child at nice 10 on a loaded machine.)"""
    import asyncio

    from payung.operations.loadtest import crowd
    from payung.operations.loadtest.dataset import Account
    sessions = [_Punctual(n, Account(f"desa{n}", "desa", ("33.24.01.2001",)), "http://127.0.0.1:1") for n in range(3)]
    played = crowd.Crowd(sessions)
    assert os.getpriority(os.PRIO_PROCESS, played.pid) == min(19, os.nice(0) + crowd.NICE)
    now = time.monotonic()
    played.play([now, now, now], now, now + 3)
    results, _ = asyncio.run(played.results())
    assert [r.action for r in results] == ["on time"] * 3


def test_a_levels_clock_starts_after_its_crowd_is_ready(monkeypatch):
    """The level's first start, its ramp and its end are set once the crowd's process is ready:
    a crowd slow to start (here half a second) takes nothing from the level."""
    import asyncio

    from payung.operations.loadtest import crowd, runner
    from payung.operations.loadtest.dataset import Account
    seen = {}

    class SlowCrowd:
        pid = None

        def __init__(self, sessions, nice=crowd.NICE):
            time.sleep(0.5)
            seen["ready"] = time.monotonic()

        def play(self, starts, ramp_end, until):
            seen.update(starts=starts, until=until)

        async def results(self):
            return [], 0.0

    monkeypatch.setattr(crowd, "Crowd", SlowCrowd)
    people = [Account(f"desa{n}", "desa", ("33.24.01.2001",)) for n in range(2)]
    options = runner.Options(sessions=(2,), duration=0.2, ramp=0.05, browsers=0)
    asyncio.run(runner._level("http://127.0.0.1:1", lambda: [], people, options))
    assert min(seen["starts"]) >= seen["ready"]
    assert seen["until"] - seen["ready"] >= options.duration


@pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("PAYUNG_REQUIRE_BROWSER"),
                    reason="no Chromium")
def test_a_browser_tab_signs_in_again_after_keluar_and_every_sign_in_is_timed(tmp_path, monkeypatch):
    """The Chromium tab's later sign-ins (Keluar, then Masuk in the same browser) are timed like
    its first; the browser is started and warmed up before the level is timed."""
    from payung.core import Payung
    from payung.operations.loadtest import browser, runner
    monkeypatch.setattr(browser.BrowserSession, "relogin_in_tab", 1.0)
    warmed = []
    real_warm_up = browser.warm_up

    async def warm_up(browsers, url):
        warmed.append(url)
        await real_warm_up(browsers, url)

    monkeypatch.setattr(browser, "warm_up", warm_up)
    app = Payung.load(write_config(tmp_path), entry_points=False)
    options = runner.Options(sessions=(2,), duration=25, ramp=0.5, think=(0.2, 0.4), workers=600,
                             data=tmp_path / "beban.db", browsers=1, server_cpus=None, client_cpus=None)
    level, = runner.run(app, options, out=lambda text: None)
    done = [r.action for r in level.results if r.error is None]
    assert not [r for r in level.results if r.error], [r for r in level.results if r.error]
    assert done.count("chromium:login") >= 2 and "chromium:logout" in done, done
    assert len(warmed) == 1


def test_a_browser_tabs_window_stands_a_think_time_before_its_first_page_is_timed(monkeypatch):
    """A new Chromium window builds its own address bar's popup (a renderer of its own, 1,2-1,6 s
    of the client's CPU): timed at once, the first page counted Chromium's window as Payung's.
    The window is opened, then a think time, then the address is opened and timed."""
    import asyncio
    import time

    from payung.operations.loadtest import browser
    from payung.operations.loadtest.dataset import Account
    from payung.operations.loadtest.protocol import ProtocolError
    done = []

    class Context:
        async def new_page(self):
            done.append("window")
            return object()

        async def close(self):
            done.append("closed")

    class Browser:
        async def new_context(self, **_):
            return Context()

    async def pause(self):
        done.append("pause")

    async def step(self, name, action, expect):
        done.append(name)
        raise ProtocolError("stop here")

    monkeypatch.setattr(browser.BrowserSession, "pause", pause)
    monkeypatch.setattr(browser.BrowserSession, "step", step)
    monkeypatch.setattr(browser, "WINDOW_READY", 0.2)
    tab = browser.BrowserSession(0, Account("desa1", "desa", ()), "http://x")
    tab.browser = Browser()
    asyncio.run(tab.run(time.monotonic() + 0.05))
    assert done[:4] == ["window", "pause", "open", "closed"], done


def test_the_browser_tabs_are_village_operators_spread_over_the_ramp():
    from payung.operations.loadtest.dataset import Account
    from payung.operations.loadtest.runner import browser_seats, roles
    accounts = [Account("admin1", "admin", ()), Account("operator1", "operator", ())] + [
        Account(f"desa{n}", "desa", ("33.24.01.2001",)) for n in range(60)]
    people = roles(50, accounts)
    seats = browser_seats(people, 2)
    assert len(seats) == 2 and all(people[i].role == "desa" for i in seats)
    first, second = sorted(seats)
    assert second - first >= 20  # half the ramp apart, not side by side
    assert browser_seats(roles(2, accounts), 2) == {1}  # as many as there are village operators


def test_the_generators_own_lateness_is_noted_and_set_beside_the_actions_it_overlapped(monkeypatch):
    """A loop held up (the generator's process without its core) is seen by ``LoopLag``: a wake-up
    ``NOTED`` or more late is noted with its lateness, a less late one is not; an action is charged
    the longest overlap of its time with one late wait, not the lateness of waits before or after
    it. The loop's clock is a stand-in (a real loop held up under a loaded machine was late more
    than once, and by more than the sleep that held it: no timing is checked here)."""
    import types

    from payung.operations.loadtest import lag

    clock = [100.0]
    late_by = iter([0.0, 0.0, 0.3, lag.NOTED / 2])  # each wake-up's lateness; then on time

    async def sleep(seconds: float) -> None:
        clock[0] += seconds + next(late_by, 0.0)

    monkeypatch.setattr(lag, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    monkeypatch.setattr(lag, "asyncio", types.SimpleNamespace(sleep=sleep))
    watching = lag.LoopLag()
    with pytest.raises(StopIteration):
        watching.watch(100.6).send(None)  # the stand-in sleep never suspends: it runs to its end
    assert clock[0] >= 100.6
    assert len(watching.samples) == 1, watching.samples
    woke, late = watching.samples[0]
    assert woke == pytest.approx(100.45) and late == pytest.approx(0.3)
    # An action all through the wait, one in part of it, one after it.
    assert lag.worst(watching.samples, woke - late - 1, woke + 1) == late
    assert abs(lag.worst(watching.samples, woke - 0.1, woke + 1) - 0.1) < 1e-9
    assert lag.worst(watching.samples, woke + 0.001, woke + 1) == 0.0
    assert lag.worst(watching.samples, woke - late - 1, woke - late) == 0.0
    samples = [(10.0, 0.5), (12.0, 1.0), (20.0, 0.2)]
    assert lag.worst(samples, 9.0, 21.0) == 1.0  # the longest of several
    assert lag.worst(samples, 11.5, 11.75) == 0.25  # inside one wait: the action's own length
    assert lag.worst(samples, 12.5, 19.0) == 0.0


def test_the_generators_lateness_is_noted_until_its_last_action_ends():
    """``watching`` notes while its block runs, with no deadline (an action in flight at the
    level's end is timed to its end, its lateness too), and stops with the block. Only a lower
    bound is checked: a loop held up 0,2 s wakes at least 0,15 s late, more on a loaded machine."""
    import asyncio

    from payung.operations.loadtest import lag

    async def main():
        watching = lag.LoopLag()
        async with watching.watching():
            await asyncio.sleep(lag.PERIOD * 3)  # past a deadline a watch with one would have had
            time.sleep(0.2)  # the loop held up
            await asyncio.sleep(lag.PERIOD * 2)
        return watching, [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    watching, left = asyncio.run(main())
    assert max(late for _, late in watching.samples) >= 0.2 - lag.PERIOD
    assert left == []


def test_a_level_says_which_slow_actions_were_timed_while_the_generator_was_late(tmp_path):
    """Over the goal and the generator late, over the goal on the server's own, under the goal:
    the report counts the first among the slow ones; the CSV keeps every action."""
    import csv

    from payung.operations.loadtest.report import Level, generator_lateness, table, write_results
    results = [Result("login", 101.0, 2.5, None, "desa", generator_lag=1.2),
               Result("login", 102.0, 2.4, None, "desa", generator_lag=0.1),
               Result("workers", 103.0, 0.3, None, "desa", generator_lag=0.9),
               Result("search", 104.0, 9.0, "tidak tampil", "desa", generator_lag=3.0)]
    level = Level(sessions=3, results=results, seconds=100, server_cpu=0.1, server_peak_mb=300, client_cpu=0.1,
                  load_before="0", load_after="0", started=100.0)
    said = generator_lateness(level)
    assert "max 1.20 s" in said and "actions over 2 s: 2, of which 1 timed" in said, said
    assert said in table(level)
    write_results([level], tmp_path / "aksi.csv")
    with open(tmp_path / "aksi.csv", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [(r["action"], r["start_s"], r["seconds"], r["error"], r["generator_lag_s"]) for r in rows] == [
        ("login", "1.000", "2.500", "", "1.200"), ("login", "2.000", "2.400", "", "0.100"),
        ("workers", "3.000", "0.300", "", "0.900"), ("search", "4.000", "9.000", "tidak tampil", "3.000")]
    assert {r["sessions"] for r in rows} == {"3"}
