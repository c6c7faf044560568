"""Sign-in security: the cookie key file, the first administrator, the password policy and the
cost of its hashes, server-side sessions, the login throttle, and the audit log without secrets."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import multiprocessing
import os
import sqlite3
import stat
import subprocess
import sys
import threading

import pytest

import db as database
from db import queries
from payung.auth.access import Actor, Forbidden
from payung.base.errors import ConstraintError, ValidationError
from payung.auth.passwords import (BCRYPT_ROUNDS, TEST_ROUNDS_VARIABLE, bcrypt_rounds, check_password,
                                   hash_password)
from payung.auth.sessions import (UNKNOWN_USERNAME, SessionPolicy, check_session, cookie_key, cookie_key_from_file,
                                  end_session, end_user_sessions, login, throttled_message, throttled_until, token_hash,
                                  user_sessions)
from payung.auth.setup import create_first_admin
from payung.auth.users import add_user, change_access, change_password, reset_password, set_user_active

from conftest import PASSWORD, ROOT, VILLAGE, at_once, snapshot

POLICY = SessionPolicy()
CODE = "abcd-1234-ef56-7890"


@pytest.fixture
def users(db):
    system = Actor.system()
    add_user(db, username="ani", name="Ani", role="operator", password=PASSWORD, actor=system,
             regency_code="33.24")
    add_user(db, username="admin", name="Admin", role="admin", password=PASSWORD, actor=system)
    return db


def rules(exc) -> list[str]:
    return [p.rule for p in exc.value.problems]


def audit_rows(db, **where) -> list[dict]:
    sql = "SELECT * FROM audit_log WHERE 1 = 1" + "".join(f" AND {k} = ?" for k in where) + " ORDER BY id"
    return list(db.query(sql, list(where.values())))


# The cookie key ---------------------------------------------------------------------------------

def _start(path, barrier, results):
    barrier.wait()
    results.put(cookie_key_from_file(path))


def test_concurrent_first_starts_agree_on_one_cookie_key(tmp_path):
    context = multiprocessing.get_context("fork")
    for attempt in range(8):
        path = tmp_path / f"run{attempt}" / "payung-cookie.key"
        barrier, results = context.Barrier(2), context.Queue()
        workers = [context.Process(target=_start, args=(path, barrier, results)) for _ in range(2)]
        for w in workers:
            w.start()
        keys = [results.get(timeout=30), results.get(timeout=30)]
        for w in workers:
            w.join(timeout=30)
        assert keys[0] == keys[1], f"attempt {attempt}: two different keys"
        assert path.read_text().splitlines() == [keys[0]]
        assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_cookie_key_file_is_private_and_never_rewritten(tmp_path, monkeypatch):
    monkeypatch.delenv("PAYUNG_COOKIE_KEY", raising=False)
    path = tmp_path / "payung-cookie.key"
    key = cookie_key(path)
    assert len(key) >= 40 and stat.S_IMODE(path.stat().st_mode) == 0o600
    content, mtime = path.read_bytes(), path.stat().st_mtime_ns
    for _ in range(3):  # restarts
        assert cookie_key_from_file(path) == key
    assert path.read_bytes() == content and path.stat().st_mtime_ns == mtime
    os.chmod(path, 0o644)  # loosened by hand: tightened again on the next start
    assert cookie_key_from_file(path) == key and stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("PAYUNG_COOKIE_KEY", "from-the-environment")
    assert cookie_key(path) == "from-the-environment" and path.read_bytes() == content


# The first administrator -----------------------------------------------------------------------

def test_setup_without_the_right_code_creates_no_user(db):
    with pytest.raises(ValidationError) as refused:
        create_first_admin(db, setup_code="0000-0000-0000-0000", expected_code=CODE, username="penyusup",
                           name="Penyusup", password=PASSWORD)
    assert rules(refused) == ["setup_code_wrong"]
    with pytest.raises(ValidationError):
        create_first_admin(db, setup_code="", expected_code=CODE, username="penyusup", name="P", password=PASSWORD)
    with pytest.raises(ValidationError) as refused:  # every problem at once, the code's among them
        create_first_admin(db, setup_code="salah", expected_code=CODE, username="X", name="", password="pendek",
                           repeat="lain")
    assert sorted(rules(refused)) == ["name_required", "password_repeat", "password_short", "setup_code_wrong",
                                      "username_format"]
    assert queries.user_count(db) == 0
    assert audit_rows(db, action="first_admin_refused")
    create_first_admin(db, setup_code=CODE.upper().replace("-", " "), expected_code=CODE, username="admin.dinsos",
                       name="Ani", password=PASSWORD)
    assert queries.user_by_username(db, "admin.dinsos")["role"] == "admin"


def test_two_setup_forms_sent_at_once_create_exactly_one_admin(app, db):
    db.close()
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def submit(n: int) -> None:
        conn = app.open_db()
        try:
            barrier.wait()
            create_first_admin(conn, setup_code=CODE, expected_code=CODE, username=f"admin{n}", name=f"Admin {n}",
                               password=PASSWORD)
            outcomes.append("created")
        except ValidationError as exc:
            outcomes.append(exc.problems[0].rule)
        finally:
            conn.close()

    at_once(submit, 4)
    conn = app.open_db()
    try:
        assert sorted(outcomes) == ["created"] + ["first_admin_exists"] * 3
        assert conn.execute("SELECT COUNT(*) FROM users WHERE role = 'admin'").fetchone()[0] == 1
    finally:
        conn.close()


def test_first_admin_exists_message_is_indonesian(users):
    with pytest.raises(ValidationError) as refused:
        create_first_admin(users, setup_code=CODE, expected_code=CODE, username="kedua", name="Kedua",
                           password=PASSWORD)
    assert rules(refused) == ["first_admin_exists"] and "sudah dibuat" in str(refused.value)


def test_a_second_user_needs_an_administrator(users):
    with pytest.raises(Forbidden):
        add_user(users, username="budi", name="Budi", role="admin", password=PASSWORD, actor=Actor("ani", "operator"))


# The password policy ----------------------------------------------------------------------------

@pytest.mark.parametrize("password, rule", [
    ("password1", "password_short"), ("admin123", "password_short"), ("rahasia1", "password_short"),
    ("rahasia123", "password_common"), ("Bismillah123", "password_common"), ("indonesia1", "password_common"),
    ("qwerty123456", "password_common"), ("bismillahirrahmanirrahim", "password_common"),
    ("ani.lestari-2026", "password_has_username"), ("x" * 80, "password_long"), ("é" * 40, "password_long"),
])
def test_password_policy_refuses_weak_passwords(password, rule):
    assert [p.rule for p in check_password(password, "ani.lestari")] == [rule]


def test_password_policy_accepts_a_good_password():
    assert check_password("payung-uji-2026", "ani.lestari") == []
    assert check_password(("kopi tubruk pagi hari " * 4)[:72], "ani") == []  # 72 bytes: the most bcrypt takes


def test_every_path_that_sets_a_password_applies_the_policy(users):
    admin = Actor("admin", "admin")
    for bad in ("rahasia123", "y" * 80):
        with pytest.raises(ValidationError):
            add_user(users, username="budi", name="Budi", role="viewer", password=bad, actor=admin)
        with pytest.raises(ValidationError):
            change_password(users, actor=Actor("ani", "operator"), current=PASSWORD, new=bad, repeat=bad)
        with pytest.raises(ValidationError):
            reset_password(users, queries.user_by_username(users, "ani")["id"], bad, actor=admin)
    with pytest.raises(ValidationError):
        hash_password("z" * 73)


def test_eighty_character_password_is_refused_by_the_cli_without_a_crash(tmp_path):
    done = subprocess.run([sys.executable, "-m", "payung", "users", "add", "budi", "--name", "Budi", "--role",
                           "admin", "--password", "k" * 80, "--db", str(tmp_path / "c.db")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "paling banyak 72 byte" in done.stderr


def test_existing_weak_password_keeps_working_until_changed(users):
    from db import store
    ani = queries.user_by_username(users, "ani")
    store.update(users, "users", ani["id"], {"password_hash": hash_password("rahasia1")}, actor="lama")
    assert login(users, "ani", "rahasia1", POLICY).ok


# Sessions ---------------------------------------------------------------------------------------

def test_logout_ends_the_session_on_the_server(users):
    result = login(users, "ani", PASSWORD, POLICY)
    assert result.ok and check_session(users, result.session_id, POLICY).username == "ani"
    end_session(users, result.session_id)
    assert check_session(users, result.session_id, POLICY) is None
    assert check_session(users, "not-a-session", POLICY) is None and check_session(users, None, POLICY) is None


def test_password_change_ends_every_session_the_changing_one_too(users):
    """Other sessions end, and so does the one that made the change: a copy of its id (its
    cookie) must not outlive the change. The page opens a new session for its tab
    (test_sessions_pages)."""
    old = login(users, "ani", PASSWORD, POLICY)
    current = login(users, "ani", PASSWORD, POLICY)
    change_password(users, actor=Actor("ani", "operator"), current=PASSWORD, new="baru-sekali-2026",
                    repeat="baru-sekali-2026")
    assert check_session(users, old.session_id, POLICY) is None
    assert check_session(users, current.session_id, POLICY) is None
    assert login(users, "ani", "baru-sekali-2026", POLICY).ok and not login(users, "ani", PASSWORD, POLICY).ok


def test_password_reset_by_an_admin_ends_all_sessions(users):
    s = login(users, "ani", PASSWORD, POLICY)
    reset_password(users, queries.user_by_username(users, "ani")["id"], "baru-sekali-2026", actor=Actor("admin", "admin"))
    assert check_session(users, s.session_id, POLICY) is None


def test_deactivation_ends_all_sessions(users):
    s = login(users, "ani", PASSWORD, POLICY)
    ani = queries.user_by_username(users, "ani")["id"]
    set_user_active(users, ani, False, actor=Actor("admin", "admin"))
    assert check_session(users, s.session_id, POLICY) is None
    set_user_active(users, ani, True, actor=Actor("admin", "admin"))
    assert check_session(users, s.session_id, POLICY) is None  # ended, not only hidden


def test_role_or_scope_change_ends_all_sessions(users):
    ani = queries.user_by_username(users, "ani")["id"]
    admin = Actor("admin", "admin")
    first = login(users, "ani", PASSWORD, POLICY)
    assert change_access(users, ani, role="operator", regency_code="33.24", actor=admin) is False  # nothing changed
    assert check_session(users, first.session_id, POLICY) is not None
    assert change_access(users, ani, role="operator", regency_code="33.27", actor=admin)
    assert check_session(users, first.session_id, POLICY) is None
    second = login(users, "ani", PASSWORD, POLICY)
    assert change_access(users, ani, role="desa", regency_code="33.24", villages=(VILLAGE,), actor=admin)
    assert check_session(users, second.session_id, POLICY) is None
    assert queries.user_villages(users, ani) == [VILLAGE]


def test_admin_ends_a_users_sessions_on_every_device(users):
    ani = queries.user_by_username(users, "ani")["id"]
    sessions = [login(users, "ani", PASSWORD, POLICY) for _ in range(2)]
    with pytest.raises(Forbidden):
        end_user_sessions(users, ani, actor=Actor("ani", "operator"))
    assert end_user_sessions(users, ani, actor=Actor("admin", "admin")) == 2
    assert all(check_session(users, s.session_id, POLICY) is None for s in sessions)


def test_ending_ones_own_sessions_or_resetting_ones_own_password_ends_this_session_too(users):
    admin = Actor("admin", "admin")
    me = queries.user_by_username(users, "admin")["id"]
    here = login(users, "admin", PASSWORD, POLICY)
    end_user_sessions(users, me, actor=admin)
    assert check_session(users, here.session_id, POLICY) is None
    here = login(users, "admin", PASSWORD, POLICY)
    reset_password(users, me, "baru-sekali-2026", actor=admin)
    assert check_session(users, here.session_id, POLICY) is None


def test_the_session_list_shows_idle_and_expired_sessions_as_ended(users):
    """Pengguna's list: a session unused for idle_hours, or past its expiry, is not "open"
    although no run has marked it ended yet."""
    policy = SessionPolicy(idle_hours=1, lifetime_days=1)
    admin = Actor("admin", "admin")
    ani = queries.user_by_username(users, "ani")["id"]
    login(users, "ani", PASSWORD, policy)
    now = dt.datetime.now(dt.timezone.utc)
    assert len(user_sessions(users, ani, actor=admin, policy=policy, now=now)) == 1
    assert user_sessions(users, ani, actor=admin, policy=policy, now=now + dt.timedelta(minutes=61)) == []
    [idle] = user_sessions(users, ani, actor=admin, policy=policy, now=now + dt.timedelta(minutes=61),
                           include_ended=True)
    assert idle["state"] == "idle" and idle["ended_at"] is None
    lenient = SessionPolicy(idle_hours=1000, lifetime_days=1)
    assert user_sessions(users, ani, actor=admin, policy=lenient, now=now + dt.timedelta(days=1, minutes=1)) == []
    [old] = user_sessions(users, ani, actor=admin, policy=lenient, now=now + dt.timedelta(days=1, minutes=1),
                          include_ended=True)
    assert old["state"] == "expired"


def test_idle_and_old_sessions_end(users):
    policy = SessionPolicy(idle_hours=1, lifetime_days=1)
    s = login(users, "ani", PASSWORD, policy)
    now = dt.datetime.now(dt.timezone.utc)
    assert check_session(users, s.session_id, policy, now=now + dt.timedelta(minutes=50)) is not None
    assert check_session(users, s.session_id, policy, now=now + dt.timedelta(minutes=100)) is not None  # refreshed
    assert check_session(users, s.session_id, policy, now=now + dt.timedelta(minutes=100 + 61)) is None
    s = login(users, "ani", PASSWORD, policy)
    moment = now
    for _ in range(25):  # kept busy, it still ends a day after login
        moment += dt.timedelta(minutes=59)
        alive = check_session(users, s.session_id, policy, now=moment)
    assert alive is None
    row = users.execute("SELECT ended_reason FROM sessions WHERE token_hash = ?", [token_hash(s.session_id)]).fetchone()
    assert row[0] == "expired"


def test_session_ids_are_stored_only_hashed(users):
    s = login(users, "ani", PASSWORD, POLICY)
    dump = json.dumps(snapshot(users), default=str)
    assert s.session_id not in dump and token_hash(s.session_id) in dump


# The throttle -----------------------------------------------------------------------------------

def test_sixth_wrong_password_is_throttled_even_when_right(users):
    for _ in range(5):
        refused = login(users, "ani", "salah-sekali-1", POLICY)
        assert not refused.ok and not refused.throttled
    sixth = login(users, "ani", PASSWORD, POLICY)
    assert not sixth.ok and sixth.throttled
    assert throttled_until(users, "ani", POLICY) is not None
    assert login(users, "admin", PASSWORD, POLICY).ok  # only that username


def _at_once(app, count: int, attempt) -> dict:
    """``attempt(conn, n)`` for n in 0..count-1, all released at once, each on its own connection
    as Streamlit sessions are: their results by n."""
    results, barrier = {}, threading.Barrier(count)

    def run(n: int) -> None:
        conn = app.open_db()
        try:
            barrier.wait()
            results[n] = attempt(conn, n)
        finally:
            conn.close()
    at_once(run, count)
    return results


def test_parallel_guesses_meet_the_throttle_too(users, app):
    """Twelve attempts sent at once, each on its own connection as Streamlit sessions are: at most
    five failures are checked, the rest are throttled, and the right password sent last fails."""
    results = _at_once(app, 12, lambda conn, n: login(conn, "ani", PASSWORD if n == 11 else f"salah-sekali-{n}",
                                                      POLICY))
    failed = users.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'").fetchone()[0]
    assert failed <= POLICY.max_failures
    assert sum(r.throttled for r in results.values()) >= 12 - POLICY.max_failures - 1
    assert not any(r.ok for n, r in results.items() if n != 11) and failed + sum(
        r.throttled for r in results.values()) + sum(r.ok for r in results.values()) == 12


def test_unknown_usernames_are_throttled_alike(users):
    for _ in range(5):
        assert not login(users, "tidak.ada", "salah-sekali-1", POLICY).throttled
    assert login(users, "tidak.ada", "salah-sekali-1", POLICY).throttled


def test_throttle_lifts_after_the_lockout(users):
    for _ in range(5):
        login(users, "ani", "salah-sekali-1", POLICY)
    now = dt.datetime.now(dt.timezone.utc)
    assert throttled_until(users, "ani", POLICY, now=now + dt.timedelta(minutes=14))
    assert throttled_until(users, "ani", POLICY, now=now + dt.timedelta(minutes=16)) is None


def test_failed_and_throttled_logins_are_audited(users):
    for _ in range(6):
        login(users, "ani", "salah-sekali-1", POLICY, ip_address="10.0.0.9")
    failed = audit_rows(users, action="login_failed", row_id="ani")
    throttled = audit_rows(users, action="login_throttled", row_id="ani")
    assert len(failed) == 5 and len(throttled) == 1
    assert json.loads(failed[0]["after"]) == {"username": "ani", "ip_address": "10.0.0.9"}


def test_one_address_trying_many_usernames_is_refused_without_a_password_check(users, monkeypatch):
    """The username lock stops guesses at one account; a machine trying a new name each time
    met no limit, and each try cost the server a quarter second of CPU. After
    ``address_max_failures`` refused logins from one address, its next login is refused at once,
    even with a right password, with no password checked, and audited; other addresses and
    the usernames themselves are not affected."""
    from payung.auth import sessions
    policy = SessionPolicy(address_max_failures=4)
    for n in range(policy.address_max_failures):
        refused = login(users, f"tebak{n}", "salah-sekali-1", policy, ip_address="203.0.113.7")
        assert not refused.ok and not refused.address_throttled
    checks = []
    monkeypatch.setattr(sessions, "slow_check", lambda *a: checks.append(a) or False)
    refused = login(users, "ani", PASSWORD, policy, ip_address="203.0.113.7")
    assert (refused.ok, refused.throttled, refused.address_throttled, checks) == (False, True, True, [])
    [entry] = audit_rows(users, action="login_address_throttled")
    assert entry["row_id"] == "203.0.113.7" and json.loads(entry["after"]) == {"ip_address": "203.0.113.7"}
    monkeypatch.undo()
    assert login(users, "ani", PASSWORD, policy, ip_address="203.0.113.8").ok  # another address
    assert login(users, "ani", PASSWORD, policy).ok  # no address known (this machine)


def test_an_address_counts_its_wrong_passwords_only_and_is_let_in_after_the_window(users, monkeypatch):
    """Successful sign-ins (an office behind one address) never count, nor the refusals of a
    username someone else locked (staff retrying it would lock their office out), nor the
    address's own refusals: it may sign in again once the window since its failures has passed,
    even if it kept trying meanwhile."""
    from payung.base import clock
    policy = SessionPolicy(address_max_failures=6)
    office, start = "198.51.100.20", dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    for _ in range(10):
        assert login(users, "admin", PASSWORD, policy, ip_address=office).ok
    for _ in range(policy.max_failures):  # "ani" is locked now
        login(users, "ani", "salah-sekali-1", policy, ip_address=office)
    for _ in range(10):
        refused = login(users, "ani", PASSWORD, policy, ip_address=office)
        assert refused.throttled and not refused.address_throttled
    assert login(users, "admin", PASSWORD, policy, ip_address=office).ok
    assert not login(users, "siapa.saja", "salah-sekali-1", policy, ip_address=office).throttled  # the sixth
    for minutes in (1, 7, *[14] * policy.address_max_failures):  # still trying, harder
        monkeypatch.setattr(clock, "utc_now", lambda: start + dt.timedelta(minutes=minutes))
        assert login(users, "admin", PASSWORD, policy, ip_address=office).address_throttled
    monkeypatch.setattr(clock, "utc_now", lambda: start + dt.timedelta(minutes=16))
    assert login(users, "admin", PASSWORD, policy, ip_address=office).ok


def test_a_locked_username_is_refused_without_a_password_check(users, monkeypatch):
    """The answer already says the username is locked (known or not): checking the password
    would tell nothing more and cost a quarter second of CPU per try."""
    from payung.auth import sessions
    for name in ("ani", "siapa.saja"):
        for _ in range(POLICY.max_failures):
            login(users, name, "salah-sekali-1", POLICY)
    checks = []
    monkeypatch.setattr(sessions, "slow_check", lambda *a: checks.append(a) or False)
    for name in ("ani", "siapa.saja"):
        assert login(users, name, PASSWORD, POLICY).throttled
    assert checks == []


def test_parallel_guesses_from_one_address_meet_its_throttle_too(users, app):
    """Twelve attempts at once from one address, each with another username and on its own
    connection: at most ``address_max_failures`` passwords are checked, the rest refused (as
    throttled once those failures are written, or, found all places in flight and no room left to
    wait, as too many at once)."""
    policy = SessionPolicy(address_max_failures=4)
    results = _at_once(app, 12, lambda conn, n: login(conn, f"tebak{n}", "salah-sekali-1", policy,
                                                      ip_address="203.0.113.50"))
    failed = users.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'").fetchone()[0]
    assert failed == policy.address_max_failures
    assert sum(r.address_throttled or r.address_busy for r in results.values()) == 12 - policy.address_max_failures
    assert not any(r.ok or r.throttled and not r.address_throttled for r in results.values())


def _guess_from_a_process(app, policy, barrier, usernames, address) -> None:
    """One server process of ``payung serve``: its own guesses, one after the other (its own
    sessions take turns already), on its own connection."""
    conn = app.open_db()
    try:
        barrier.wait()
        for username in usernames:
            login(conn, username, "salah-sekali-1", policy, ip_address=address)
    finally:
        conn.close()


def _guesses_from_processes(app, policy, usernames_of) -> None:
    """``usernames_of(p)``'s guesses from each of four processes started together (nginx spreads a
    client without a cookie over the server processes), each with the server's policy."""
    fork = multiprocessing.get_context("fork")
    barrier = fork.Barrier(4)
    processes = [fork.Process(target=_guess_from_a_process,
                              args=(app, policy, barrier, usernames_of(p), "203.0.113.60")) for p in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(300)
    assert [p.exitcode for p in processes] == [0] * 4


def test_guesses_spread_over_server_processes_meet_the_username_throttle(users, app):
    """Each server process let one guess at a username through at a time, but the processes did not
    wait for each other: guesses at one username from four processes at once each read "not
    locked" before the others' failures were written, and up to eight passwords were checked where
    five lock the username. The processes of a site take turns on a file in its data folder."""
    policy = SessionPolicy.from_settings(app.settings)
    assert policy.turns_file.parent == app.settings.data_dir
    _guesses_from_processes(app, policy, lambda p: ["ani"] * 4)
    failed = users.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'").fetchone()[0]
    assert failed == policy.max_failures


def test_guesses_spread_over_server_processes_meet_the_address_throttle(users, app):
    """The same for one address trying a new username each time, spread over the processes."""
    policy = dataclasses.replace(SessionPolicy.from_settings(app.settings), address_max_failures=6)
    _guesses_from_processes(app, policy, lambda p: [f"tebak{p}-{n}" for n in range(4)])
    failed = users.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'").fetchone()[0]
    assert failed == 6


def _held_checks(monkeypatch, held, go) -> None:
    """Password checks of a password typed as "tahan:<password>" wait for ``go`` after
    releasing ``held`` (a check in flight, held), then check <password>."""
    from payung.auth import sessions
    real = sessions.slow_check

    def slow_check(password, hashed):
        if password.startswith("tahan:"):
            held.release()
            go.wait()
            password = password.removeprefix("tahan:")
        return real(password, hashed)
    monkeypatch.setattr(sessions, "slow_check", slow_check)


def _sign_in(app, results, username, password, policy, address) -> threading.Thread:
    """A sign-in on its own connection, in a thread of its own (started); its result in ``results``."""
    def run() -> None:
        conn = app.open_db()
        try:
            results[username] = login(conn, username, password, policy, ip_address=address)
        finally:
            conn.close()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_colleagues_behind_one_address_sign_in_while_a_password_is_being_checked(users, app, monkeypatch):
    """Rule: an address's turn is not held across the password check. It was: the sign-ins of
    one office behind one address took turns across every server process for the whole check
    (a quarter of a second each), and thirty colleagues at eight o'clock waited up to seven
    seconds. Here a check of Ani's is held: a colleague from the same address signs in meanwhile."""
    policy = SessionPolicy.from_settings(app.settings)  # the turns of every process, as ``payung serve``'s
    office, results = "198.51.100.30", {}
    held, go = threading.Semaphore(0), threading.Event()
    _held_checks(monkeypatch, held, go)
    first = _sign_in(app, results, "ani", "tahan:salah-sekali-1", policy, office)
    try:
        assert held.acquire(timeout=120)
        _sign_in(app, results, "admin", PASSWORD, policy, office).join(120)  # bounds a failure only
        assert "admin" in results and results["admin"].ok, "the colleague waited for Ani's check"
        assert "ani" not in results
    finally:
        go.set()
        first.join(120)
    assert not results["ani"].ok and not results["ani"].throttled


def _sign_ins_held(app, policy, attempts, address, done) -> None:
    """A server process of ``payung serve`` with sign-ins of its own in flight: each on its own
    connection and thread; their outcomes (ok, throttled) to ``done``."""
    results = {}
    for thread in [_sign_in(app, results, username, password, policy, address) for username, password in attempts]:
        thread.join(300)
    done.put({name: (r.ok, r.throttled) for name, r in results.items()})


def test_checks_in_flight_count_toward_the_address_limit_in_every_process(users, app, monkeypatch):
    """Rule: a password check in flight counts toward its address's limit until it ends, in
    every server process, so that checks run side by side cannot slip under the count: with
    three allowed, three checks held (two in another process) leave no room for a fourth, which
    is refused without a check (as too many at once: no wait here). When they end, a wrong
    password counts as a failure, a right one as nothing: the address has room for one more."""
    policy = dataclasses.replace(SessionPolicy.from_settings(app.settings), address_max_failures=3, address_wait_s=0)
    office = "203.0.113.90"
    fork = multiprocessing.get_context("fork")
    held, go, done = fork.Semaphore(0), fork.Event(), fork.Queue()
    _held_checks(monkeypatch, held, go)
    other = fork.Process(target=_sign_ins_held, args=(
        app, policy, [("admin", f"tahan:{PASSWORD}"), ("tebak1", "tahan:salah-sekali-1")], office, done))
    other.start()
    results = {}
    ours = _sign_in(app, results, "tebak2", "tahan:salah-sekali-1", policy, office)
    try:
        for _ in range(3):
            assert held.acquire(timeout=120)
        refused = login(users, "ani", PASSWORD, policy, ip_address=office)
        assert (refused.ok, refused.address_busy) == (False, True)
        assert login(users, "ani", PASSWORD, policy, ip_address="203.0.113.91").ok  # another address
    finally:
        go.set()
        ours.join(120)
        outcomes = done.get(timeout=300)
        other.join(120)
    assert outcomes == {"admin": (True, False), "tebak1": (False, False)} and not results["tebak2"].ok
    failed = users.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'").fetchone()[0]
    assert failed == 2
    assert not login(users, "tebak3", "salah-sekali-1", policy, ip_address=office).address_throttled
    assert login(users, "ani", PASSWORD, policy, ip_address=office).address_throttled


def test_this_processs_own_checks_in_flight_count_beside_the_addresss_failures(users, app, monkeypatch):
    """Rule: a check in flight in this very process counts too, beside the address's failures:
    with three allowed, two wrong passwords and one check held leave no room for a fourth. (Its
    place is skipped when free places are looked for; counted only by ``_IN_FLIGHT``, else two
    failures and one check in flight let one more check run.)"""
    policy = dataclasses.replace(SessionPolicy.from_settings(app.settings), address_max_failures=3, address_wait_s=0)
    office, results = "203.0.113.92", {}
    for n in (1, 2):
        assert not login(users, f"tebak{n}", "salah-sekali-1", policy, ip_address=office).address_throttled
    held, go = threading.Semaphore(0), threading.Event()
    _held_checks(monkeypatch, held, go)
    first = _sign_in(app, results, "ani", f"tahan:{PASSWORD}", policy, office)
    try:
        assert held.acquire(timeout=120)
        assert login(users, "admin", PASSWORD, policy, ip_address=office).address_busy
    finally:
        go.set()
        first.join(120)
    assert results["ani"].ok


def _dies_in_the_check(app, policy, address) -> None:
    from payung.auth import sessions
    sessions.slow_check = lambda *a: os._exit(3)  # the process ends while its check is in flight
    login(app.open_db(), "ani", PASSWORD, policy, ip_address=address)


def test_a_server_process_that_dies_during_a_check_leaves_its_address_no_failure(users, app):
    """A check's place among its address's is given back when its process ends however it ends
    (a record lock): a crash does not leave the address counted as full."""
    policy = dataclasses.replace(SessionPolicy.from_settings(app.settings), address_max_failures=1)
    process = multiprocessing.get_context("fork").Process(target=_dies_in_the_check,
                                                            args=(app, policy, "203.0.113.95"))
    process.start()
    process.join(120)
    assert process.exitcode == 3
    assert login(users, "ani", PASSWORD, policy, ip_address="203.0.113.95").ok


def test_a_sign_in_finding_its_addresss_places_in_flight_is_told_so_not_of_wrong_passwords(users, app, monkeypatch):
    """Rule: a sign-in that finds its address's places taken by checks in flight (not by
    failures) is refused as too many at once, and nothing is recorded against the address: it
    was told "too many wrong passwords, wait 15 minutes" and audited as an address throttle,
    though nobody had typed a wrong password and a retry a moment later passed."""
    policy = dataclasses.replace(SessionPolicy.from_settings(app.settings), address_max_failures=1, address_wait_s=0)
    office, results = "198.51.100.40", {}
    held, go = threading.Semaphore(0), threading.Event()
    _held_checks(monkeypatch, held, go)
    first = _sign_in(app, results, "ani", f"tahan:{PASSWORD}", policy, office)
    try:
        assert held.acquire(timeout=120)
        busy = login(users, "admin", PASSWORD, policy, ip_address=office)
    finally:
        go.set()
        first.join(120)
    assert (busy.ok, busy.throttled, busy.address_throttled, busy.address_busy) == (False, False, False, True)
    assert audit_rows(users, table_name="login") == []
    assert results["ani"].ok and login(users, "admin", PASSWORD, policy, ip_address=office).ok


def _waits_seen(monkeypatch, waiting: threading.Event, refused_to=None) -> None:
    """``waiting`` set when a sign-in waits for a place; a wait in thread ``refused_to`` fails."""
    from payung.auth import sessions
    real = sessions._pause

    def pause(seconds):
        assert threading.get_ident() != refused_to, "a sign-in beyond the bound waited for a place"
        waiting.set()
        real(seconds)
    monkeypatch.setattr(sessions, "_pause", pause)


def test_a_sign_in_waits_for_a_place_among_its_addresss_checks_in_flight(users, app, monkeypatch):
    """Rule: refused as too many at once only after a short wait (``address_wait_s``; here long,
    bounding a failure only): a place comes free as soon as a check ahead of it ends, and the
    colleague signs in then, without being told anything."""
    policy = dataclasses.replace(SessionPolicy.from_settings(app.settings), address_max_failures=1, address_wait_s=600)
    office, results = "198.51.100.41", {}
    held, go, waiting = threading.Semaphore(0), threading.Event(), threading.Event()
    _held_checks(monkeypatch, held, go)
    _waits_seen(monkeypatch, waiting)
    first = _sign_in(app, results, "ani", f"tahan:{PASSWORD}", policy, office)
    try:
        assert held.acquire(timeout=120)
        second = _sign_in(app, results, "admin", PASSWORD, policy, office)
        assert waiting.wait(120), "the colleague did not wait"
        assert "admin" not in results
        go.set()
        second.join(120)
    finally:
        go.set()
        first.join(120)
    assert results["admin"].ok and results["ani"].ok


def test_no_more_sign_ins_of_an_address_wait_for_a_place_than_it_may_run(users, app, monkeypatch):
    """Rule: the wait is no unbounded queue: with ``address_max_failures`` sign-ins of an address
    waiting in this process, the next is refused at once as too many, unchecked and unrecorded."""
    policy = dataclasses.replace(SessionPolicy.from_settings(app.settings), address_max_failures=1, address_wait_s=600)
    office, results = "198.51.100.42", {}
    held, go, waiting = threading.Semaphore(0), threading.Event(), threading.Event()
    _held_checks(monkeypatch, held, go)
    _waits_seen(monkeypatch, waiting, refused_to=threading.get_ident())
    first = _sign_in(app, results, "ani", f"tahan:{PASSWORD}", policy, office)
    try:
        assert held.acquire(timeout=120)
        second = _sign_in(app, results, "admin", PASSWORD, policy, office)
        assert waiting.wait(120)
        third = login(users, "tebak1", "salah-sekali-1", policy, ip_address=office)
        assert (third.ok, third.throttled, third.address_busy) == (False, False, True)
        go.set()
        second.join(120)
    finally:
        go.set()
        first.join(120)
    assert results["admin"].ok and audit_rows(users, table_name="login") == []


def test_ganti_kata_sandi_holds_a_place_among_its_addresss_checks_like_a_sign_in(users, app, monkeypatch):
    """Rule: the current password asked again on Ganti kata sandi goes the sign-in's way
    (``sessions._attempt``): its check holds a place among its address's while it runs (it
    counted toward the address's failures but held none, so a check of it in flight let one
    more sign-in guess slip under the limit), and a throttled address is refused there too,
    without a check."""
    from payung.auth import sessions
    policy = dataclasses.replace(SessionPolicy.from_settings(app.settings), address_max_failures=1, address_wait_s=0)
    office, errors = "198.51.100.43", []
    held, go = threading.Semaphore(0), threading.Event()
    _held_checks(monkeypatch, held, go)

    def change() -> None:
        conn = app.open_db()
        try:
            change_password(conn, actor=Actor("ani", "operator"), current="tahan:salah-sekali-1", new="baru-sekali-2026",
                            repeat="baru-sekali-2026", policy=policy, ip_address=office)
        except ValidationError as exc:
            errors.append([p.rule for p in exc.problems])
        finally:
            conn.close()
    changing = threading.Thread(target=change, daemon=True)
    changing.start()
    try:
        assert held.acquire(timeout=120)
        assert login(users, "admin", PASSWORD, policy, ip_address=office).address_busy
    finally:
        go.set()
        changing.join(120)
    assert errors == [["password_wrong"]]
    assert login(users, "admin", PASSWORD, policy, ip_address=office).address_throttled  # its failure counted
    checks = []
    monkeypatch.setattr(sessions, "slow_check", lambda *a: checks.append(a) or True)
    with pytest.raises(ValidationError) as refused:
        change_password(users, actor=Actor("ani", "operator"), current=PASSWORD, new="baru-sekali-2026",
                        repeat="baru-sekali-2026", policy=policy, ip_address=office)
    assert rules(refused) == ["password_address_throttled"] and checks == []
    assert json.loads(audit_rows(users, action="login_address_throttled")[-1]["after"]) == {
        "ip_address": office, "via": "ganti_kata_sandi"}


def test_a_lock_call_that_fails_gives_back_every_place_taken(users, tmp_path, monkeypatch):
    """Rule: whichever lock call of a sign-in fails (an error but "held by another": ENOLCK here),
    the place it took among its address's is given back, in this process's record and in the
    turns file. A lock call failing after a free place was taken left that place locked until
    the process ended: one check fewer for the address in every process, for good."""
    import errno
    from payung.auth import sessions
    policy = SessionPolicy(turns_file=tmp_path / sessions.TURNS_FILE, address_max_failures=3)
    real, calls, failing, locked = sessions.fcntl, [], set(), set()

    class Failing:  # the real record locks, the calls in ``failing`` (by number) refused
        LOCK_EX, LOCK_NB, LOCK_UN = real.LOCK_EX, real.LOCK_NB, real.LOCK_UN

        @staticmethod
        def lockf(descriptor, how, length, at):
            if how != real.LOCK_UN:
                calls.append(at)
                if len(calls) - 1 in failing:
                    raise OSError(errno.ENOLCK, "No locks available")
            real.lockf(descriptor, how, length, at)
            (locked.discard if how == real.LOCK_UN else locked.add)(at)
    monkeypatch.setattr(sessions, "fcntl", Failing)
    addresses = (f"203.0.113.{n}" for n in range(100, 200))
    for password in (PASSWORD, "salah-sekali-1"):
        calls.clear()
        assert login(users, "ani", password, policy, ip_address=next(addresses)).ok == (password == PASSWORD)
        for k in range(len(calls)):
            for failed in ({k}, {k, k + 1}):
                address = next(addresses)
                places = {sessions._byte(("checking", address, n)) for n in range(policy.address_max_failures)}
                calls.clear()
                failing.update(failed)
                with contextlib.suppress(OSError):
                    login(users, "ani", password, policy, ip_address=address)
                failing.clear()
                assert not locked & places and not sessions._IN_FLIGHT, f"lock calls {failed} refused: a place kept"
                assert not sessions._ATTEMPTS
                assert login(users, "admin", PASSWORD, policy, ip_address=address).ok


def test_a_turn_handed_out_is_not_forgotten_before_it_is_taken(monkeypatch):
    """Rule: this process's lock of a username is not dropped between being handed to a sign-in
    and being taken. The clean-up after 10.000 names (a scanner's) dropped every unlocked lock,
    that one too, and the next sign-in of that username got a new lock: two attempts at once."""
    from payung.auth import sessions
    policy, seen = SessionPolicy(), []

    class Guard:  # this process's guard of the locks, with a moment just after it hands one out
        def __init__(self):
            self.lock, self.then = threading.Lock(), None

        def __enter__(self):
            self.lock.acquire()

        def __exit__(self, *exc):
            self.lock.release()
            then, self.then = self.then, None
            if then:
                then()

    def meanwhile():  # Ani's lock handed out, not yet taken: a scanner, then another sign-in of Ani's
        handed = sessions._ATTEMPTS["ani"]
        for n in range(10_001):
            with sessions._turn(f"pemindai{n}", policy):
                pass
        with sessions._turn("ani", policy):
            seen.append(sessions._ATTEMPTS.get("ani") is handed)
    guard = Guard()
    monkeypatch.setattr(sessions, "_ATTEMPTS_GUARD", guard)
    guard.then = meanwhile
    with sessions._turn("ani", policy):
        pass
    assert seen == [True]
    assert not sessions._ATTEMPTS  # and nothing left behind


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's deadlock detection of record locks")
def test_a_sign_in_the_kernel_takes_for_a_deadlock_between_two_processes_waits_its_turn(tmp_path, monkeypatch):
    """Linux tells record locks apart by process, not thread: a sign-in of one process holding
    Ani's username turn across its check and waiting for its office's address turn to write its
    failure, while a colleague's sign-in in another process holds that address turn (reserving
    its check) and a Ganti kata sandi of Ani's in that process waits for her username, is
    refused as a deadlock (EDEADLK, "Resource deadlock avoided"), and one of the two ended with
    an error. There is none (an address's turn is held only briefly, never while waiting for a
    turn held by one waiting for it): it waits."""
    import errno
    from payung.auth import sessions
    policy = SessionPolicy(turns_file=tmp_path / sessions.TURNS_FILE)
    office = ("address", "203.0.113.70")
    fork = multiprocessing.get_context("fork")
    holds_username, holds_address, refused = fork.Event(), fork.Event(), fork.Event()
    real = sessions.fcntl

    class Watched:  # the kernel's refusals seen, in both processes
        LOCK_EX, LOCK_UN = real.LOCK_EX, real.LOCK_UN

        @staticmethod
        def lockf(*args):
            try:
                return real.lockf(*args)
            except OSError as exc:
                if exc.errno == errno.EDEADLK:
                    refused.set()
                raise
    monkeypatch.setattr(sessions, "fcntl", Watched)

    def other_process():
        failed = []

        def ganti_kata_sandi():  # Ani's: her username's turn only
            try:
                with sessions._turn("ani", policy):
                    pass
            except OSError as exc:
                failed.append(exc)
        with sessions._turn(office, policy):  # a colleague's sign-in reserving its check
            holds_address.set()
            holds_username.wait()
            thread = threading.Thread(target=ganti_kata_sandi)
            thread.start()
            assert refused.wait(120), "the kernel saw no deadlock: nothing was tried"
        thread.join()
        sys.exit(1 if failed else 0)

    process = fork.Process(target=other_process)
    process.start()
    try:
        holds_address.wait()
        with sessions._turn("ani", policy):  # Ani's sign-in from the office: her check, then its failure
            holds_username.set()
            with sessions._turn(office, policy):
                pass
    finally:
        process.join(120)
    assert refused.is_set() and process.exitcode == 0


def test_a_machine_without_record_locks_signs_in_with_this_process_s_turns(tmp_path):
    """Windows has no ``fcntl``: Payung started there (it failed to import the sign-in), each
    process taking its own turns, as before the lock file."""
    script = ("import sys; sys.modules['fcntl'] = None\n"
              "from pathlib import Path\n"
              "from payung.auth import sessions\n"
              "policy = sessions.SessionPolicy(turns_file=Path(sys.argv[1]))\n"
              "with sessions._turn(('address', '203.0.113.80'), policy), sessions._turn('ani', policy):\n"
              "    print('giliran')\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "payung-masuk.lock")], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout == "giliran\n", done.stderr
    assert not (tmp_path / "payung-masuk.lock").exists()


@pytest.mark.parametrize("peer, address", [
    ("203.0.113.7", "203.0.113.7"), (" 203.0.113.7 ", "203.0.113.7"),
    ("::ffff:203.0.113.7", "203.0.113.7"),  # the IPv4 address written as IPv6: one address
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"), ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # one machine
    ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
    (None, None), ("", None), ("bukan-alamat", None)])
def test_a_login_is_counted_under_its_address_an_ipv6_one_under_its_64_network(peer, address):
    from payung.auth.sessions import client_address
    assert client_address(peer) == address


def test_a_username_nobody_has_is_not_written_to_the_audit_log(users):
    """A password typed into the username field must not land in the audit log: an unknown
    name is recorded as "nama pengguna tidak dikenal" with a short keyed hash (the same for
    the same text, so repeated attempts can be told apart and throttled); known usernames,
    inactive ones too, as they are."""
    typed = "Sawah-Hijau-1987"
    for _ in range(2):
        assert not login(users, typed, "x", POLICY, ip_address="10.0.0.9").ok
    assert not login(users, "Kopi-Tubruk-2026", "x", POLICY).ok
    assert not login(users, "ani", "salah-sekali-1", POLICY).ok
    set_user_active(users, queries.user_by_username(users, "admin")["id"], False, actor=Actor.system())
    assert not login(users, "admin", "salah-sekali-1", POLICY).ok
    rows = audit_rows(users, table_name="login")
    dump = json.dumps(rows).lower()
    for text in (typed, "kopi-tubruk-2026"):
        assert text.lower() not in dump
    unknown = [r for r in rows if json.loads(r["after"])["username"] == UNKNOWN_USERNAME]
    assert len(unknown) == 3
    first, second, other = (json.loads(r["after"]) for r in unknown)
    assert first["username_hash"] == second["username_hash"] != other["username_hash"]
    assert len(first["username_hash"]) == 12 and first["ip_address"] == "10.0.0.9"
    assert unknown[0]["row_id"] == unknown[0]["actor"] == f"tidak-dikenal#{first['username_hash']}"
    assert [r["row_id"] for r in rows if r not in unknown] == ["ani", "admin"]


def test_a_password_that_is_not_valid_text_just_fails_to_log_in(users):
    for username, password in (("ani", "abc\ud800defghijk"), ("a\udce9ni", PASSWORD), ("ani", "caf\udce9-latte")):
        result = login(users, username, password, POLICY)
        assert not result.ok and not result.throttled


def test_unknown_username_takes_as_long_as_a_known_one(users, monkeypatch):
    """Both pay exactly one bcrypt check at the same cost (the unknown name against a dummy
    hash), so the time of a refusal does not tell whether the username exists. Checked by
    counting, not by a stopwatch: timing belongs in the benchmark, and the figures are in the
    issue's note."""
    import bcrypt as real
    lenient = SessionPolicy(max_failures=1000)
    calls = []
    original = real.checkpw

    def counted(password, hashed):
        calls.append(hashed[:7])  # b"$2b$12$": algorithm and cost
        return original(password, hashed)
    monkeypatch.setattr(real, "checkpw", counted)
    costs = {}
    for name in ("ani", "siapa.saja"):
        calls.clear()
        assert not login(users, name, "salah-sekali-1", lenient).ok
        costs[name] = list(calls)
    assert len(costs["ani"]) == 1 and costs["siapa.saja"] == costs["ani"]



def test_outside_the_suite_passwords_are_hashed_at_the_real_cost(tmp_path, monkeypatch):
    """The suite hashes at bcrypt's cheapest cost (conftest.py sets PAYUNG_TEST_BCRYPT_ROUNDS);
    Payung run without that variable, as a regency runs it, hashes at cost 12: a user added on
    the command line, and the dummy hash an unknown username is checked against. The variable
    can only lower the cost, never below bcrypt's 4."""
    env = {k: v for k, v in os.environ.items() if k != TEST_ROUNDS_VARIABLE}
    path = tmp_path / "p.db"
    added = subprocess.run([sys.executable, "-m", "payung", "users", "add", "ani", "--name", "Ani", "--role", "admin",
                            "--db", str(path)], cwd=ROOT, env=env, input=PASSWORD + "\n", capture_output=True,
                           text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    with sqlite3.connect(path) as conn:
        [stored] = conn.execute("SELECT password_hash FROM users WHERE username = 'ani'").fetchone()
    dummy = subprocess.run([sys.executable, "-c", "from payung.auth.passwords import dummy_hash; print(dummy_hash())"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert stored.startswith("$2b$12$") and dummy.stdout.startswith("b'$2b$12$"), (stored, dummy.stdout + dummy.stderr)
    assert hash_password(PASSWORD).startswith("$2b$04$")  # this suite's own cost
    for value, rounds in (("1", 4), ("31", BCRYPT_ROUNDS), ("dua belas", BCRYPT_ROUNDS), ("", BCRYPT_ROUNDS)):
        monkeypatch.setenv(TEST_ROUNDS_VARIABLE, value)
        assert bcrypt_rounds() == rounds


# Ganti kata sandi: the current password asked again ------------------------------------------------

def _change(db, current: str, new: str = "baru-sekali-2026", **kw):
    return change_password(db, actor=Actor("ani", "operator"), current=current, new=new, repeat=new, policy=POLICY,
                           **kw)


def test_guessing_the_current_password_on_ganti_kata_sandi_is_throttled_and_audited(users):
    """Someone holding a session cannot try passwords without limit on Ganti kata sandi: each
    wrong current password is audited as a failed login and counts toward the same lockout; when
    locked, even the right one is refused with the login form's message, and the login is locked
    too."""
    for n in range(POLICY.max_failures):
        with pytest.raises(ValidationError) as wrong:
            _change(users, f"tebakan-{n:04d}", ip_address="10.0.0.7")
        assert rules(wrong) == ["password_wrong"]
    failed = audit_rows(users, action="login_failed", row_id="ani")
    assert len(failed) == POLICY.max_failures
    assert json.loads(failed[0]["after"]) == {"username": "ani", "ip_address": "10.0.0.7", "via": "ganti_kata_sandi"}
    with pytest.raises(ValidationError) as locked:
        _change(users, PASSWORD)
    assert rules(locked) == ["password_throttled"] and str(locked.value) == throttled_message(POLICY)
    assert audit_rows(users, action="login_throttled", row_id="ani")
    assert login(users, "ani", PASSWORD, POLICY).throttled
    assert not login(users, "ani", "baru-sekali-2026", POLICY).ok  # nothing was changed
    now = dt.datetime.now(dt.timezone.utc)
    assert throttled_until(users, "ani", POLICY, now=now + dt.timedelta(minutes=16)) is None


def test_failed_logins_count_toward_the_lockout_of_ganti_kata_sandi(users):
    for _ in range(POLICY.max_failures):
        login(users, "ani", "salah-sekali-1", POLICY)
    with pytest.raises(ValidationError) as locked:
        _change(users, PASSWORD)
    assert rules(locked) == ["password_throttled"]


def test_the_right_current_password_changes_it(users):
    _change(users, PASSWORD)
    assert login(users, "ani", "baru-sekali-2026", POLICY).ok


# The audit log ----------------------------------------------------------------------------------

def test_audit_log_never_holds_password_hashes_or_session_ids(users):
    s = login(users, "ani", PASSWORD, POLICY)
    change_password(users, actor=Actor("ani", "operator"), current=PASSWORD, new="baru-sekali-2026",
                    repeat="baru-sekali-2026")
    hashes = [r[0] for r in users.execute("SELECT password_hash FROM users")]
    text = "\n".join(f"{r['before']} {r['after']}" for r in audit_rows(users))
    for secret in [*hashes, s.session_id, token_hash(s.session_id), "$2b$"]:
        assert secret not in text
    entry = audit_rows(users, table_name="users", action="update")[-1]
    assert json.loads(entry["after"])["password_hash"] == "***"
    from payung.auth.audit import changes
    assert changes(entry) == "Kata sandi: (diubah)"


def test_migration_redacts_old_audit_rows_then_locks_the_log(tmp_path):
    path = tmp_path / "lama.db"
    old = database.connect(path)
    database.migrate(old, stop_before="m006_sessions_and_audit")
    secret = hash_password("payung-uji-2026")
    old.execute("INSERT INTO audit_log (at, actor, action, table_name, row_id, before, after) VALUES"
                " ('2025-01-01T00:00:00+00:00', 'x', 'update', 'users', '1', ?, ?)",
                [json.dumps({"password_hash": secret, "name": "Ani"}), json.dumps({"password_hash": secret})])
    old.close()
    upgraded = database.open_database(path)
    before, after = upgraded.execute("SELECT before, after FROM audit_log").fetchone()
    assert secret not in before + after
    assert json.loads(before) == {"password_hash": "***", "name": "Ani"}
    upgraded.close()


def test_audit_log_refuses_update_and_delete(users):
    assert audit_rows(users)
    for sql in ("UPDATE audit_log SET actor = 'orang lain'", "DELETE FROM audit_log",
                "UPDATE audit_log SET after = NULL WHERE id = 1"):
        with pytest.raises(ConstraintError, match="append-only"):
            users.execute(sql)
    users.execute("INSERT INTO audit_log (at, actor, action, table_name) VALUES ('t', 'a', 'b', 'c')")  # appends do


def test_streamlit_listens_on_loopback_by_default():
    import tomllib
    with open(ROOT / ".streamlit" / "config.toml", "rb") as f:
        assert tomllib.load(f)["server"]["address"] == "127.0.0.1"


def test_cli_password_reset_applies_the_policy_and_ends_sessions(tmp_path):
    path = tmp_path / "r.db"

    def cli(*argv, stdin=None):
        return subprocess.run([sys.executable, "-m", "payung", "users", *argv, "--db", str(path)], cwd=ROOT,
                              input=stdin, capture_output=True, text=True, timeout=120)

    assert cli("add", "ani", "--name", "Ani", "--role", "admin", stdin=PASSWORD + "\n").returncode == 0
    conn = database.open_database(path)
    s = login(conn, "ani", PASSWORD, POLICY)
    weak = cli("password", "ani", "--password", "bismillah123")
    assert weak.returncode == 1 and "terlalu umum" in weak.stderr
    assert cli("password", "ani", stdin="payung-baru-2027\n").returncode == 0
    assert check_session(conn, s.session_id, POLICY) is None
    assert login(conn, "ani", "payung-baru-2027", POLICY).ok
    assert cli("password", "siapa", "--password", "payung-baru-2027").returncode == 1
    conn.close()


def test_cli_refuses_a_password_that_is_not_utf8_and_drops_a_windows_line_end(tmp_path):
    """``--password $'caf\\xe9-latte-pagi-2026'`` (Latin-1 bytes) used to end in a
    UnicodeEncodeError traceback; stdin read from a Windows file kept its "\\r"."""
    path = tmp_path / "l.db"

    def cli(*argv, stdin: bytes | None = None):
        return subprocess.run([sys.executable, "-m", "payung", "users", *argv, "--db", str(path)], cwd=ROOT,
                              input=stdin, capture_output=True, timeout=120)

    for done in (cli("add", "latin", "--name", "L", "--role", "viewer", "--password", b"caf\xe9-latte-pagi-2026"),
                 cli("add", "latin", "--name", "L", "--role", "viewer", stdin=b"caf\xe9-latte-pagi-2026\n")):
        assert done.returncode == 1 and b"Traceback" not in done.stderr
        assert "bukan teks UTF-8" in done.stderr.decode()
    assert cli("add", "ani", "--name", "Ani", "--role", "admin", stdin=PASSWORD.encode() + b"\r\n").returncode == 0
    conn = database.open_database(path)
    assert queries.user_by_username(conn, "latin") is None
    assert login(conn, "ani", PASSWORD, POLICY).ok
    conn.close()


def test_a_password_check_holds_no_pooled_connection(users, monkeypatch):
    """Rule: while a sign-in's password is checked (a quarter of a second, longer while checks
    queue) its PostgreSQL connection is back in the pool. Held, a flood of attempts from twenty
    tabs emptied the pool the pages draw from. The sign-in still ends right: the session opened
    and the failure audited on the connection borrowed again after the check."""
    from payung.auth import passwords
    held = []
    real = passwords._checkpw

    def checkpw(raw, hashed):
        held.append(users.engine == "postgresql" and users.conn is not None)
        return real(raw, hashed)

    monkeypatch.setattr(passwords, "_checkpw", checkpw)
    assert login(users, "ani", PASSWORD, POLICY).ok
    assert not login(users, "ani", "salah sekali kata", POLICY).ok
    assert not login(users, "tidak_ada", PASSWORD, POLICY).ok
    from payung.auth import sessions
    monkeypatch.setattr(sessions, "throttled_until", lambda *a, **k: dt.datetime(2099, 1, 1))
    assert login(users, "ani", PASSWORD, POLICY).throttled  # a locked username: no check at all
    assert held == [False, False, False]
    assert [r["action"] for r in users.query(
        "SELECT action FROM audit_log WHERE action = 'login_failed' ORDER BY id")] == ["login_failed"] * 2
