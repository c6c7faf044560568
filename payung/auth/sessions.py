"""Sign-in the server controls: login checks with a throttle, server-side sessions and the
cookie key file. No Streamlit here (``ui.auth`` wires it in).

- A login checks the password itself (bcrypt; a dummy hash for unknown or inactive
  usernames, so both take the same time). After ``max_failures`` wrong passwords for one
  username within ``failure_window_minutes`` that username is refused for ``lockout_minutes``,
  whether it exists or not. Failed and refused logins go to the audit log (table ``login``).
  The current password asked again on Ganti kata sandi goes through the same throttle and
  audit (``check_own_password``): its failures count toward the same lockout.
- One network address is throttled too: after ``address_max_failures`` wrong passwords from it
  (any usernames) within ``failure_window_minutes``, its logins are refused without a password
  check until that window has passed (``client_address``: an IPv6 address counts as its /64).
  A check in flight counts as a failure until it ends (``_address_check``), so parallel guesses
  cannot slip under the count, while the checks of one office's colleagues run side by side.
  When checks in flight fill the address (not its failures), a sign-in waits a few seconds for
  one of them to end (``address_wait_s``; at most ``address_max_failures`` waiting per process
  and address), then is told that too many are signing in at once: that is no failure, and it is
  neither counted nor audited as one. Ganti kata sandi's check takes the same path.
  A locked username is refused without a check as well. A password check costs a quarter of a second of CPU, and
  the per-username lock above does not stop one machine trying many names: without this, it
  could hold a server's core for every other user.
- A username nobody has is not written to the audit log as typed (it may be a password typed
  into the wrong field): it is recorded as "nama pengguna tidak dikenal" with a short keyed
  hash (``unknown_username``), the same for the same text while the server runs, so repeated
  attempts can be told apart and throttled. The key lives only in this process's memory.
- A successful login opens a session: a random id, stored only as its SHA-256. The signed
  cookie carries the id; every run checks the session is still live (not ended, not idle
  longer than ``idle_hours``, not older than ``lifetime_days``). Logout ends it; a password
  change, a reset, deactivation, a role/scope change and "Keluarkan dari semua perangkat" end
  all of the user's sessions (the page that made the change opens a new one for its own tab).
- The cookie key is made once, atomically, in a file of mode 0600 (``PAYUNG_COOKIE_KEY`` wins).

The first administrator and its setup code are in ``setup``; passwords in ``passwords``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import hmac
import ipaddress
import os
import secrets
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

try:  # no record locks on Windows: there, each process's turns only (``_turns_file``)
    import fcntl
except ImportError:  # pragma: no cover - exercised in a subprocess (test_sessions)
    fcntl = None

from db import logins, queries, store

from payung.base import clock
from payung.auth.access import Actor, require
from payung.auth.passwords import slow_check
from payung.base.text import looked_up

LOGIN_TABLE = "login"
#: Beside the database: one byte of it per username or address is the sign-in turn of every
#: server process of ``payung serve`` (``_turn``).
TURNS_FILE = "payung-masuk.lock"
USERNAME_LOGGED = 64  # characters of a typed username looked up
#: What the audit log says instead of a username nobody has.
UNKNOWN_USERNAME = "nama pengguna tidak dikenal"
#: Key of the hash of unknown usernames: never stored (so the hash of a password typed as a
#: username cannot be tested against guesses by whoever reads the log). This process's own, or
#: the one ``payung serve`` hands to each of its server processes, so that they agree.
try:
    _UNKNOWN_KEY = bytes.fromhex(os.environ.get("PAYUNG_UNKNOWN_KEY", "")) or secrets.token_bytes(32)
except ValueError:
    _UNKNOWN_KEY = secrets.token_bytes(32)


@dataclass(frozen=True)
class SessionPolicy:
    idle_hours: float = 8
    lifetime_days: float = 7
    max_failures: int = 5
    failure_window_minutes: float = 15
    lockout_minutes: float = 15
    address_max_failures: int = 30
    #: last_seen_at is written at most this often (it is the one unaudited write).
    touch_every_s: float = 60
    #: How long a sign-in waits for a place when its address's checks in flight fill it (each
    #: ends within a check's time, a quarter of a second, or its wait for ``hashing_slots``).
    address_wait_s: float = 10
    #: The file whose bytes are the sign-in turns the server processes of one site share
    #: (``TURNS_FILE`` in its data folder); None: this process's turns only.
    turns_file: Path | None = None

    @classmethod
    def from_settings(cls, settings) -> "SessionPolicy":
        """``[sessions]`` of config.toml (``settings.sessions``; missing keys: the defaults)."""
        return cls(**{k: v for k, v in settings.sessions.items()
                      if k not in ("touch_every_s", "address_wait_s", "turns_file")},
                   turns_file=settings.data_dir / TURNS_FILE)


def _now() -> dt.datetime:
    return clock.utc_now().replace(microsecond=0)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def token_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


# Login --------------------------------------------------------------------------------------

def throttled_message(policy: SessionPolicy) -> str:
    """The refusal of a locked username, on the login form and on Ganti kata sandi alike."""
    return (f"Terlalu banyak percobaan masuk yang gagal untuk nama pengguna ini. Coba lagi dalam "
            f"{policy.lockout_minutes:g} menit.")


def unknown_username(typed: str) -> str:
    """The audit log's name for a username nobody has: a 12-digit keyed hash of the text
    typed, the same for the same text while this server runs (``#`` is never in a username)."""
    digest = hmac.new(_UNKNOWN_KEY, typed.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:12]
    return f"tidak-dikenal#{digest}"


def address_throttled_message(policy: SessionPolicy) -> str:
    """The refusal of an address with too many failed logins (an office behind one address
    shares it: the message says so, and that waiting is enough)."""
    return (f"Terlalu banyak percobaan masuk yang gagal dari jaringan ini. Coba lagi "
            f"{policy.failure_window_minutes:g} menit setelah percobaan gagal terakhir, atau hubungi "
            "administrator Payung.")


def address_busy_message() -> str:
    """The refusal of a sign-in that found its address's places taken by checks in flight
    (``_address_check``): no password was checked, nothing counts against anyone, a retry in a
    moment passes."""
    return ("Terlalu banyak kata sandi dari jaringan ini yang sedang diperiksa bersamaan; kata sandi Anda "
            "belum diperiksa. Coba lagi sebentar lagi.")


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    throttled: bool = False
    #: Refused for its network address (``address_max_failures``), not for the username.
    address_throttled: bool = False
    #: Refused unchecked: the address's checks in flight filled it (no failure, no throttle).
    address_busy: bool = False
    username: str | None = None
    name: str | None = None
    email: str | None = None
    role: str | None = None
    session_id: str | None = None


def client_address(peer: str | None) -> str | None:
    """The network address a login is counted under: Streamlit's peer of the connection (the
    client's own, or behind ``payung serve``'s nginx the address nginx appends to
    ``X-Forwarded-For``, which the server trusts from this machine only), with an IPv4 address
    written as IPv6 (``::ffff:203.0.113.7``) taken as the IPv4 one, and an IPv6 address taken as
    its /64 network: one machine usually holds a whole /64 and can change address within it at
    will. None (no peer: a browser on this machine) or text that is no address: None."""
    try:
        address = ipaddress.ip_address((peer or "").strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def address_failures(db, ip_address: str, policy: SessionPolicy, *, now: dt.datetime | None = None) -> int:
    """How many wrong passwords ``ip_address`` had within ``failure_window_minutes`` (counted up
    to ``address_max_failures``). Its refusals do not count (as the address, or for a username
    someone else locked): it may try again once the window since its failures has passed."""
    now = now or _now()
    since = _iso(now - dt.timedelta(minutes=policy.failure_window_minutes))
    return logins.failures_from(db, ip_address, since, policy.address_max_failures)


def throttled_until(db, username: str, policy: SessionPolicy, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """When a username locked by too many failures may try again (None: not locked)."""
    now = now or _now()
    window = dt.timedelta(minutes=policy.failure_window_minutes)
    lockout = dt.timedelta(minutes=policy.lockout_minutes)
    since = _iso(now - window - lockout)
    times = [dt.datetime.fromisoformat(t) for t in logins.failed_logins_since(db, username, since)]
    n = policy.max_failures
    until = None
    for i in range(n - 1, len(times)):
        if times[i] - times[i - n + 1] <= window:  # n failures within the window, the n-th at times[i]
            until = times[i] + lockout
    return until if until and until > now else None


#: One attempt at a time per username, and one reservation at a time per network address, in
#: this server process (and across the site's processes, ``_turn``): attempts sent in parallel
#: would otherwise all read "not throttled" before any of their failures is recorded. Each
#: entry is a lock and the number of sign-ins it is handed to, forgotten when none holds or
#: waits for it (``_attempt_lock``).
_ATTEMPTS_GUARD = threading.Lock()
_ATTEMPTS: dict[str | tuple, list] = {}
#: This process's open ``TURNS_FILE`` of each site, never closed: closing any descriptor of a
#: file gives back every record lock the process holds on it.
_TURNS_FILES: dict[Path, int] = {}
#: The password checks in flight of each address in this process: (turns file, address) -> the
#: places they hold (``_reserve``). A forked child holds none of its parent's record locks.
_IN_FLIGHT: dict[tuple, set[int]] = {}
#: The sign-ins of each address waiting for a place in this process (``_place``): (turns file,
#: address) -> how many.
_WAITING: dict[tuple, int] = {}
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: (_IN_FLIGHT.clear(), _WAITING.clear()))
#: Why ``_reserve`` found no place: the address's failures fill it (a throttle), or its checks
#: in flight, with them, do (a place comes free when one of them ends).
THROTTLED, BUSY = "throttled", "busy"
#: How often a waiting sign-in looks for a place again (``_place``).
WAIT_STEP_S = 0.1


@contextlib.contextmanager
def _attempt_lock(key: str | tuple):
    """This process's lock of ``key``, held. The entry lives while a sign-in holds or waits
    for it (a count, not ``locked()``: a lock handed out and not yet taken is unlocked, and
    dropping it let the next attempt take a new one beside it), so the names a scanner types
    leave nothing behind."""
    with _ATTEMPTS_GUARD:
        entry = _ATTEMPTS.setdefault(key, [threading.Lock(), 0])
        entry[1] += 1
    try:
        with entry[0]:
            yield
    finally:
        with _ATTEMPTS_GUARD:
            entry[1] -= 1
            if not entry[1]:
                del _ATTEMPTS[key]


def _turns_file(path: Path | None) -> int | None:
    if fcntl is None or path is None:
        return None
    with _ATTEMPTS_GUARD:
        if path not in _TURNS_FILES:
            try:
                _TURNS_FILES[path] = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:  # no data folder to write in: this process's turns only
                return None
        return _TURNS_FILES[path]


def _byte(key: str | tuple) -> int:
    """The byte of the turns file that stands for ``key``."""
    return int.from_bytes(hashlib.blake2b(repr(key).encode("utf-8", "replace"), digest_size=7).digest(), "big")


@contextlib.contextmanager
def _turn(key: str | tuple, policy: SessionPolicy):
    """The turn of ``key`` (a username, or ("address", ip)): this process's lock, then, when
    the policy names a ``turns_file``, the byte of that file at the key's hash, which the
    other server processes of the site wait for too (a record lock, given back when this one
    ends however it ends). Guesses spread over the processes by nginx each read "not throttled"
    before the others' failures were written: four processes checked up to eight passwords
    where five lock a username."""
    with _attempt_lock(key):
        descriptor = _turns_file(policy.turns_file)
        if descriptor is None:
            yield
            return
        at = _byte(key)
        _wait_for_byte(descriptor, at)
        try:
            yield
        finally:
            fcntl.lockf(descriptor, fcntl.LOCK_UN, 1, at)


def _wait_for_byte(descriptor: int, at: int) -> None:
    """The record lock of byte ``at``, waited for. Linux tells record locks apart by process,
    not thread, and refuses a wait that looks like a deadlock between two processes (EDEADLK):
    one whose thread holds a username's byte and waits for an address's (to write its failure),
    while a thread of the other holds that address's (a colleague's sign-in reserving its check)
    and another thread of it waits for the username's. An address's turn is held only for a few
    reads and writes, never while waiting for another turn, so no such wait is a deadlock: it
    ends when the other turn does, and is asked again."""
    while True:
        try:
            fcntl.lockf(descriptor, fcntl.LOCK_EX, 1, at)
            return
        except OSError as exc:
            if exc.errno != errno.EDEADLK:
                raise
            time.sleep(0.02)


def _reserve(db, ip_address: str, policy: SessionPolicy, held: list[int]) -> str | None:
    """Within the address's turn: a place for one more password check from ``ip_address``, put
    in ``held`` (None returned); or why there is none: THROTTLED when its failures within the
    window reach ``address_max_failures``, BUSY when those and its checks in flight (in every
    process of the site) do. Place n is held in ``_IN_FLIGHT`` in this process and, for the
    others, as the record lock of the byte of ("checking", address, n), which the kernel gives
    back when a process ends however it ends: a crash leaves no check counted. A place taken and
    not handed out (none needed, or a lock call failed) is given back at once: kept, it would
    count as a check in flight until the process ends."""
    limit, at = policy.address_max_failures, lambda n: _byte(("checking", ip_address, n))
    failures = address_failures(db, ip_address, policy)
    if failures >= limit:
        return THROTTLED
    key = (policy.turns_file, ip_address)
    ours = _IN_FLIGHT.get(key, set())
    descriptor = _turns_file(policy.turns_file)
    counted, free = failures + len(ours), None
    try:
        for n in range(limit):
            if counted >= limit:
                break
            if n in ours:
                continue
            if descriptor is not None and not _took_byte(descriptor, at(n)):
                counted += 1  # another process's check
            elif free is None:
                free = n
            elif descriptor is not None:
                fcntl.lockf(descriptor, fcntl.LOCK_UN, 1, at(n))  # free: only looked at
        if counted >= limit or free is None:
            return BUSY
        _IN_FLIGHT.setdefault(key, set()).add(free)
        held.append(free)
        return None
    finally:
        if free is not None and free not in held:
            _give_back(ip_address, policy, free, taken=False)


def _took_byte(descriptor: int, at: int) -> bool:
    """Whether the record lock of byte ``at`` was free (and is now this process's)."""
    try:
        fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, at)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EAGAIN):
            raise
        return False
    return True


def _give_back(ip_address: str, policy: SessionPolicy, place: int, *, taken: bool = True) -> None:
    """Within the address's turn: the place of a check that has ended. This process's record of
    it goes even if the kernel refuses to unlock its byte (this process then takes that byte as
    its own free place again, and unlocks it after that check)."""
    try:
        descriptor = _turns_file(policy.turns_file)
        if descriptor is not None:
            fcntl.lockf(descriptor, fcntl.LOCK_UN, 1, _byte(("checking", ip_address, place)))
    finally:
        key = (policy.turns_file, ip_address)
        places = _IN_FLIGHT.get(key) if taken else None
        if places is not None:
            places.discard(place)
            if not places:
                del _IN_FLIGHT[key]


def _give_back_held(ip_address: str, policy: SessionPolicy, held: list[int]) -> None:
    """The place in ``held`` given back in the address's turn, or without it if that turn cannot
    be taken: a check counted neither way for a moment is better than a place held until the
    process ends."""
    try:
        with _turn(("address", ip_address), policy):
            _give_back(ip_address, policy, held.pop())
    finally:
        if held:
            _give_back(ip_address, policy, held.pop())


def _written_now(write) -> None:
    write()


@contextlib.contextmanager
def _waiting(ip_address: str, policy: SessionPolicy):
    """Whether this sign-in may wait for a place: at most ``address_max_failures`` sign-ins of an
    address wait in this process, so a flood from one address queues no more than it may run."""
    key = (policy.turns_file, ip_address)
    with _ATTEMPTS_GUARD:
        allowed = _WAITING.get(key, 0) < policy.address_max_failures
        if allowed:
            _WAITING[key] = _WAITING.get(key, 0) + 1
    try:
        yield allowed
    finally:
        if allowed:
            with _ATTEMPTS_GUARD:
                _WAITING[key] -= 1
                if not _WAITING[key]:
                    del _WAITING[key]


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def _place(db, ip_address: str, policy: SessionPolicy, held: list[int]) -> str | None:
    """A place for this sign-in's check (in ``held``, None returned), or THROTTLED, or BUSY
    once ``address_wait_s`` has passed with the address's places taken by checks in flight.
    It waits holding no turn and no place (so it blocks nobody), and a place comes free within
    a check's time: refused at once, a colleague was told of wrong passwords nobody typed."""
    deadline = time.monotonic() + policy.address_wait_s
    with contextlib.ExitStack() as stack:
        may_wait = None
        while True:
            with _turn(("address", ip_address), policy):
                refused = _reserve(db, ip_address, policy, held)
            if refused != BUSY or time.monotonic() >= deadline:
                return refused
            if may_wait is None:
                may_wait = stack.enter_context(_waiting(ip_address, policy))
            if not may_wait:
                return BUSY
            _pause(WAIT_STEP_S)


@contextlib.contextmanager
def _address_check(db, ip_address: str | None, policy: SessionPolicy, details: dict):
    """A password check among those of its address: yields THROTTLED when the address is
    throttled (the refusal audited with ``details``), BUSY when its checks in flight left no
    place in time (``_place``), else ``record(write)``, which writes the check's failure. The
    check itself runs outside the address's turn (colleagues behind one office address do not
    wait for each other's checks); only reserving its place (``_reserve``) and writing its
    failure while giving the place back take the turn, so every other sign-in of the address
    counts the check once: in flight, or as a failure. A success gives the place back and counts
    nothing; so does every way out, an error's too. Without an address: no throttle, a failure
    written at once."""
    if not ip_address:
        yield _written_now
        return
    held: list[int] = []

    def record(write) -> None:
        with _turn(("address", ip_address), policy):
            try:
                write()
            finally:
                _give_back(ip_address, policy, held.pop())
    try:
        refused = _place(db, ip_address, policy, held)
        if refused == THROTTLED:
            store.log_event(db, actor=ip_address, action="login_address_throttled", table=LOGIN_TABLE,
                            row_id=ip_address, details=details)
        yield refused or record
    finally:
        if held:
            _give_back_held(ip_address, policy, held)


def _attempt(db, typed: str, password: str, policy: SessionPolicy, *, ip_address: str | None,
             details: dict, then=lambda row: None) -> tuple[str, object]:
    """One password check, of the login form or of Ganti kata sandi: the address's place
    (``_address_check``), then the username's turn, the check (``_checked``) and, when right,
    ``then(row)``. Returns the outcome ("ok", "wrong", "throttled", THROTTLED as
    "address_throttled" or BUSY as "address_busy") and what ``then`` returned."""
    with _address_check(db, ip_address, policy, details) as record:
        if record in (THROTTLED, BUSY):
            return f"address_{record}", None
        with _turn(typed, policy):
            row = queries.user_by_username(db, typed) if typed else None
            outcome = _checked(db, typed, row, password, policy, details, record)
            return outcome, then(row) if outcome == "ok" else None


def login(db, username: str, password: str, policy: SessionPolicy, *, ip_address: str | None = None,
          user_agent: str | None = None) -> LoginResult:
    """Check a login typed into the form; on success open a session. Attempts for one username
    are checked one after the other, so the throttle also holds against parallel guesses."""
    # Text no database holds (a NUL, a lone surrogate) cannot be looked up: U+FFFD stands for
    # it, which no username holds.
    typed = looked_up((username or "").strip().lower()[:USERNAME_LOGGED])
    outcome, opened = _attempt(
        db, typed, password, policy, ip_address=ip_address, details={"ip_address": ip_address},
        then=lambda row: (row, start_session(db, row, policy, ip_address=ip_address, user_agent=user_agent)))
    if outcome != "ok":
        return LoginResult(ok=False, throttled=outcome in ("throttled", "address_throttled"),
                           address_throttled=outcome == "address_throttled", address_busy=outcome == "address_busy")
    row, session_id = opened
    return LoginResult(ok=True, username=row["username"], name=row["name"], email=row["email"], role=row["role"],
                       session_id=session_id)


def check_own_password(db, username: str, password: str, policy: SessionPolicy, *,
                       ip_address: str | None = None) -> str:
    """The current password asked again (Ganti kata sandi), checked as a login is (``_attempt``):
    refused while the username or the address is locked, its check holding a place among its
    address's, a wrong one audited and counted toward both locks. Returns "ok", "wrong",
    "throttled", "address_throttled" or "address_busy"."""
    return _attempt(db, username, password, policy, ip_address=ip_address,
                    details={"ip_address": ip_address, "via": "ganti_kata_sandi"})[0]


def _checked(db, typed: str, row: dict | None, password: str, policy: SessionPolicy, extra: dict,
             record=_written_now) -> str:
    """Throttle, bcrypt check, audit of a failure (written through ``record``, see
    ``_address_check``): "ok", "wrong" or "throttled". A username
    that exists (active or not) is logged as it is; any other text only as a keyed hash. Both
    take the same steps (one lookup before, one bcrypt check), so the time tells nothing."""
    if row is not None:
        key, details = typed, {"username": typed, **extra}
    else:
        key = unknown_username(typed)
        details = {"username": UNKNOWN_USERNAME, "username_hash": key.rsplit("#", 1)[1], **extra}
    if throttled_until(db, key, policy):
        # Refused without a password check: the answer says the username is locked, known or
        # not, so its time tells nothing more, and a locked name hammered costs no CPU.
        store.log_event(db, actor=key, action="login_throttled", table=LOGIN_TABLE, row_id=key, details=details)
        return "throttled"
    usable = row is not None and row["active"]
    if not queries.password_matches(db, row["id"] if usable else None, lambda hashed: slow_check(password, hashed)):
        record(lambda: store.log_event(db, actor=key, action="login_failed", table=LOGIN_TABLE, row_id=key,
                                       details=details))
        return "wrong"
    return "ok"


# Sessions -----------------------------------------------------------------------------------

def start_session(db, user: dict | str, policy: SessionPolicy, *, ip_address: str | None = None,
                  user_agent: str | None = None) -> str:
    """Open a session for a user (row or username); returns the id the cookie carries."""
    if isinstance(user, str):
        user = queries.user_by_username(db, user)
        if user is None:
            raise LookupError("unknown user")
    session_id = secrets.token_urlsafe(32)
    now = _now()
    store.insert(db, "sessions", {
        "token_hash": token_hash(session_id), "user_id": user["id"], "created_at": _iso(now),
        "last_seen_at": _iso(now), "expires_at": _iso(now + dt.timedelta(days=policy.lifetime_days)),
        "ip_address": ip_address, "user_agent": (user_agent or "")[:300] or None,
    }, actor=user["username"])
    return session_id


@dataclass(frozen=True)
class LiveSession:
    id: int
    username: str
    name: str = ""
    email: str | None = None
    role: str = ""


def check_session(db, session_id: str | None, policy: SessionPolicy, *, now: dt.datetime | None = None
                  ) -> LiveSession | None:
    """The session named by ``session_id`` if it is still live (and its user active), its
    last use refreshed; else None (an idle or expired session is marked ended)."""
    if not session_id:
        return None
    row = logins.session_by_hash(db, token_hash(session_id))
    if row is None or row["ended_at"] is not None or not row["active"]:
        return None
    now = now or _now()
    reason = None
    if dt.datetime.fromisoformat(row["expires_at"]) <= now:
        reason = "expired"
    elif dt.datetime.fromisoformat(row["last_seen_at"]) + dt.timedelta(hours=policy.idle_hours) <= now:
        reason = "idle"
    if reason:
        store.update(db, "sessions", row["id"], {"ended_at": _iso(now), "ended_reason": reason}, actor="sistem")
        return None
    if (now - dt.datetime.fromisoformat(row["last_seen_at"])).total_seconds() >= policy.touch_every_s:
        store.touch(db, "sessions", row["id"], "last_seen_at", _iso(now))
    return LiveSession(row["id"], row["username"], row["name"], row["email"], row["role"])


def end_session(db, session_id: str | None, *, reason: str = "logout") -> None:
    """Logout: the session is over on the server, whatever copy of the cookie exists."""
    if not session_id:
        return
    row = logins.session_by_hash(db, token_hash(session_id))
    if row is not None and row["ended_at"] is None:
        store.update(db, "sessions", row["id"], {"ended_at": _iso(_now()), "ended_reason": reason},
                     actor=row["username"])


def user_sessions(db, user_id: int, *, actor: Actor, include_ended: bool = False,
                  policy: SessionPolicy | None = None, now: dt.datetime | None = None) -> list[dict]:
    """A user's sessions, newest first: only the live ones, unless ``include_ended``. A session
    idle for ``idle_hours`` or past its expiry counts as ended even before a run marked it
    (``state``: None while live, else why it ended)."""
    require(actor, "user.manage")
    policy, now = policy or SessionPolicy(), now or _now()
    return logins.sessions_of_user(db, user_id, include_ended=include_ended, now=_iso(now),
                                            idle_since=_iso(now - dt.timedelta(hours=policy.idle_hours)))


def end_user_sessions(db, user_id: int, *, actor: Actor) -> int:
    """"Keluarkan dari semua perangkat": an administrator ends every session of a user, their
    own included (the page then opens a new session for the tab it runs in)."""
    require(actor, "user.manage")
    return logins.end_sessions(db, user_id, at=store.now(), reason="ended_by_admin",
                                        actor=actor.username)


# The cookie key ------------------------------------------------------------------------------

#: The key file's name, next to the database.
COOKIE_KEY_FILE = "payung-cookie.key"

def _read_secret(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)
    return text or None


def cookie_key_from_file(path: str | os.PathLike) -> str:
    """The key in ``path``, made on first use. Concurrent first starts agree on one key: each
    writes a private temp file (mode 0600) and hard-links it into place, which fails when the
    file exists; the loser reads the winner's key. Never rewritten afterwards."""
    path = Path(path)
    key = _read_secret(path)
    if key:
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_urlsafe(48) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links: exclusive create (the reader may retry)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(tmp.read_text(encoding="utf-8"))
    finally:
        tmp.unlink(missing_ok=True)
    for _ in range(50):
        key = _read_secret(path)
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"cookie key file {path} is empty")


def cookie_key(path: str | os.PathLike) -> str:
    """``$PAYUNG_COOKIE_KEY`` if set, else the key file."""
    return os.environ.get("PAYUNG_COOKIE_KEY") or cookie_key_from_file(path)
