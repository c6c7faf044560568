"""No public function of ``payung`` or ``db`` hands out a password hash, a session id or a
session's hashed id (issue #21, finding 8).

The test builds a database with users and live sessions, then calls every public function of
every module of ``payung/`` and ``db/`` whose required parameters it can fill from what a page
or a plugin has at hand (the database, an administrator, the settings, the plugins, a username,
a user id, a live session id and its hash, the session policy), and looks for the stored bcrypt hashes, the
session ids and their hashes anywhere in what comes back. A new module or function is covered
without listing it; a function that cannot be called that way is skipped.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import pytest

import db as database
from db import store
import payung
from payung.auth.access import Actor
from payung.auth.sessions import SessionPolicy, start_session, token_hash
from payung.auth.users import add_user

#: Modules not called: they generate data for minutes (demo, bench), run commands or write a
#: new plugin's files. None of them reads users or sessions.
NOT_CALLED = {"payung.operations.demo": "generates thousands of workers", "payung.operations.bench": "a benchmark of minutes",
              "payung.cli": "command line (argument parsing)", "payung.__main__": "command line",
              "payung.schemes.scaffold": "writes a new plugin's files", "payung.imports.sandbox": "the child process's code"}
#: Functions that return a secret by design, and why that is no leak.
BY_DESIGN = {"payung.auth.sessions.token_hash": "the SHA-256 of the id it is given: no stored secret is read"}
#: Functions not called because they end the connection the probe runs on; they return nothing.
CLOSES_THE_CONNECTION = {"db.optimize_and_close": "PRAGMA optimize, then closes the connection; returns None"}


def _modules() -> list:
    found = []
    for package in (payung, database):
        found.append(package)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name not in NOT_CALLED:
                found.append(importlib.import_module(info.name))
    return found


def public_functions() -> dict[str, object]:
    """Every public function defined in a module of ``payung`` or ``db`` (by its full name)."""
    functions = {}
    for module in _modules():
        for name, obj in vars(module).items():
            if not name.startswith("_") and inspect.isfunction(obj) and obj.__module__ == module.__name__:
                functions[f"{module.__name__}.{name}"] = obj
    return functions


def _texts(value, seen: set[int] | None = None, depth: int = 0):
    """Every text and number inside ``value`` (rows, lists, dataclasses, objects' attributes)."""
    seen = set() if seen is None else seen
    if depth > 8 or id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, (str, bytes)):
        yield value.decode("latin-1") if isinstance(value, bytes) else value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _texts(k, seen, depth + 1)
            yield from _texts(v, seen, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from _texts(v, seen, depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _texts(getattr(value, f.name, None), seen, depth + 1)
    elif hasattr(value, "__dict__") and not inspect.ismodule(value) and not callable(value):
        yield from _texts(vars(value), seen, depth + 1)
    else:
        yield repr(value)


@pytest.fixture
def secrets_site(app, db):
    """Users with passwords and live sessions: the secrets no function may return."""
    system = Actor.system()
    for username, role in (("admin", "admin"), ("lihat", "viewer")):
        add_user(db, username=username, name=username.title(), role=role, password="Payung-uji-2026!", actor=system,
                 regency_code="33.24" if role == "viewer" else None)
    sessions = [start_session(db, username, SessionPolicy()) for username in ("admin", "lihat", "admin")]
    hashes = [r[0] for r in db.execute("SELECT password_hash FROM users").fetchall()]
    secrets = {*hashes, *sessions, *(token_hash(s) for s in sessions)}
    admin_id = db.execute("SELECT id FROM users WHERE username = 'admin'").fetchone()[0]
    given = {"db": db, "conn": db, "connection": db, "actor": Actor("admin", "admin"), "settings": app.settings,
             "registry": app.plugins, "plugins": app.plugins, "app": app, "username": "admin", "user": "admin",
             "user_id": admin_id, "session_id": sessions[0], "token_hash": token_hash(sessions[0]),
             "policy": SessionPolicy()}
    return {"secrets": secrets, "given": given, "db": db}


def leaks(site) -> dict[str, str]:
    """Function name -> the kind of secret it returned, for every public function that could be
    called with what ``site`` gives."""
    found = {}
    db = site["db"]
    for name, function in public_functions().items():
        if name in BY_DESIGN or name in CLOSES_THE_CONNECTION:
            continue
        try:
            parameters = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):
            continue
        required = [p for p in parameters if p.default is inspect.Parameter.empty
                    and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if not all(p.name in site["given"] for p in required):
            continue
        args = [site["given"][p.name] for p in required if p.kind is not p.KEYWORD_ONLY]
        kwargs = {p.name: site["given"][p.name] for p in required if p.kind is p.KEYWORD_ONLY}
        with store.rolled_back(db):  # whatever it writes is undone
            try:
                result = function(*args, **kwargs)
                if inspect.isgenerator(result):
                    result = list(result)
            except Exception:  # noqa: BLE001 - a refusal or a wrong guess of arguments: nothing returned
                result = None
        text = "\n".join(_texts(result))
        hits = [s for s in site["secrets"] if s in text]
        if hits:
            found[name] = "password hash" if any(h.startswith("$2") for h in hits) else "session id or its hash"
    return found


def test_no_function_returns_a_password_hash_or_a_session_id(secrets_site):
    assert leaks(secrets_site) == {}


def test_the_probe_finds_a_function_that_returns_a_hash(secrets_site, monkeypatch):
    """The same probe catches a leak planted in the data layer, or in a service."""
    import payung.auth.users

    def planted_user_rows(db):
        return list(db.query("SELECT * FROM users"))

    def planted_sessions(db, *, actor):
        return [dict(r) for r in db.query("SELECT * FROM sessions")]
    planted_user_rows.__module__, planted_sessions.__module__ = "db.queries", "payung.auth.users"
    monkeypatch.setattr(database.queries, "planted_user_rows", planted_user_rows, raising=False)
    monkeypatch.setattr(payung.auth.users, "planted_sessions", planted_sessions, raising=False)
    found = leaks(secrets_site)
    assert found.get("db.queries.planted_user_rows") == "password hash", found
    assert found.get("payung.auth.users.planted_sessions") == "session id or its hash", found


def test_the_functions_probed_include_the_users_and_sessions_queries():
    """The probe reaches what reads users and sessions (it is not skipping everything)."""
    names = public_functions()
    for expected in ("db.queries.user", "db.queries.user_by_username", "payung.auth.users.list_users",
                     "payung.auth.sessions.user_sessions", "payung.auth.sessions.check_session"):
        assert expected in names, expected
