"""A throwaway PostgreSQL server for the test suite, and one fresh database per test.

``start`` runs ``initdb`` in a temporary folder (as the ``postgres`` user when the tests run as
root: PostgreSQL refuses root) and starts the server on a free port of 127.0.0.1 only, with
durability switched off (a test database lives for one test). One template database is
migrated once, with the regions of the configuration under test; each test gets a copy
(``CREATE DATABASE ... TEMPLATE``, a file copy) and drops it afterwards.

The tests connect as a role like the one a province gives Payung (docs/postgresql.md): not a
superuser, no ``BYPASSRLS``, owner of its databases (``APP_ROLE``, ``PAYUNG_TEST_POSTGRES_ROLE``),
with its scoped roles (``APP_ROLE`` + ``_regency`` and ``_villages``, NOLOGIN, granted to it), so the row-level
security policies bind every actor's statement of a test as they bind the app's. The superuser of the
server only creates and drops the databases.

``PAYUNG_TEST_POSTGRES_URL`` names a server to use instead (any database on it where the
user may CREATE DATABASE): then nothing is started or stopped here, and the tests connect as
that user unless ``PAYUNG_TEST_POSTGRES_ROLE`` names another.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

def _binaries() -> Path:
    """``PAYUNG_TEST_POSTGRES_BIN``, else the newest Debian PostgreSQL (``/usr/lib/postgresql/N/bin``)."""
    if os.environ.get("PAYUNG_TEST_POSTGRES_BIN"):
        return Path(os.environ["PAYUNG_TEST_POSTGRES_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]) if
                   p.parts[-3].isdigit() else 0)
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


BIN = _binaries()
TEMPLATE = "payung_template"
#: Set by the process that started the server (the pytest controller): workers inherit it.
URL_VARIABLE = "PAYUNG_TEST_POSTGRES_URL"
#: The role the tests' databases belong to and the app connects as (set by ``start``).
ROLE_VARIABLE = "PAYUNG_TEST_POSTGRES_ROLE"
APP_ROLE = "payung_app"
_names = itertools.count()


def available() -> bool:
    return bool(os.environ.get(URL_VARIABLE)) or (BIN / "initdb").is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Server:
    """A server this process started (``folder``) or was given (``folder`` None)."""

    def __init__(self, url: str, folder: Path | None = None, role: str | None = None):
        self.url, self.folder = url, folder
        self.role = role or os.environ.get(ROLE_VARIABLE) or None

    def database_url(self, name: str) -> str:
        """The app's address of database ``name`` (as ``role``, when there is one)."""
        parts = urlsplit(self.url)
        if self.role:
            parts = parts._replace(netloc=f"{self.role}@{parts.hostname}:{parts.port}")
        return urlunsplit(parts._replace(path=f"/{name}"))

    def owner(self) -> str:
        return f" OWNER {self.role}" if self.role else ""

    def admin(self):
        import psycopg
        return psycopg.connect(self.url, autocommit=True)

    def stop(self) -> None:
        if self.folder is None:
            return
        subprocess.run(_as_server_user([str(BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate",
                                        "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> Server:
    """The server of ``PAYUNG_TEST_POSTGRES_URL``, else a new one in a temporary folder."""
    if os.environ.get(URL_VARIABLE):
        return Server(os.environ[URL_VARIABLE])
    folder = Path(tempfile.mkdtemp(prefix="payung-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    port = _free_port()
    run = dict(capture_output=True, text=True, timeout=120, cwd=folder)
    done = subprocess.run(_as_server_user([str(BIN / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U",
                                           "postgres", "-E", "UTF8", "--locale=C.UTF-8"]), **run)
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")
    options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
               " -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB")
    done = subprocess.run(_as_server_user([str(BIN / "pg_ctl"), "-D", str(folder / "data"), "-o", options, "-l",
                                           str(folder / "log"), "-w", "start"]), **run)
    if done.returncode != 0:
        log = (folder / "log").read_text(errors="replace") if (folder / "log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {done.stderr[-1000:]} {log[-1000:]}")
    _watch(folder)
    server = Server(f"postgresql://postgres@127.0.0.1:{port}/postgres", folder, APP_ROLE)
    with server.admin() as conn:
        conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS")
        # The roles an actor's statements run as (db.rls.check_roles), as the DBA makes them.
        for kind in ("regency", "villages"):
            conn.execute(f"CREATE ROLE {APP_ROLE}_{kind} NOLOGIN NOSUPERUSER NOBYPASSRLS")
            conn.execute(f"GRANT {APP_ROLE}_{kind} TO {APP_ROLE}")
        # tests/conftest.py foreign_keys_off: writes that break references, as a replica's.
        conn.execute(f"GRANT SET ON PARAMETER session_replication_role TO {APP_ROLE}")
    os.environ[ROLE_VARIABLE] = APP_ROLE
    return server


def _watch(folder: Path) -> None:
    """Stop the server and remove its folder once this process is gone, however it ends (a
    killed test run leaves no server behind; a normal end stops it first, ``Server.stop``)."""
    stop = " ".join(_as_server_user([str(BIN / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"]))
    script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 2; done; "
              f"{stop} >/dev/null 2>&1; rm -rf {folder}")
    subprocess.Popen(["sh", "-c", script], start_new_session=True, stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_template(server: Server) -> None:
    """The template every test database starts from: an empty, migrated Payung database (as a
    new SQLite file is once opened)."""
    import db as database
    from db.postgres import close_pools
    with server.admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {TEMPLATE}{server.owner()}")
    url = server.database_url(TEMPLATE)
    database.open_database(url).close()
    close_pools(url)  # a template must have no connection while it is copied


def _name_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _create(conn, name: str, template: str, owner: str = "") -> None:
    for attempt in range(100):  # another test may be copying the same template at this moment
        try:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}{owner}")
            return
        except Exception as exc:  # noqa: BLE001 - "source database is being accessed by other users"
            if "being accessed" not in str(exc) or attempt == 99:
                raise
            time.sleep(0.05)


def create_database(server: Server, name: str | None = None, *, empty: bool = False) -> str:
    """A fresh copy of the migrated template (named ``name``, else a new name), or with
    ``empty`` a database without any table (to migrate step by step); returns its URL."""
    name = name or f"t{os.getpid()}_{next(_names)}"
    with server.admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if empty:
            conn.execute(f"CREATE DATABASE {name}{server.owner()}")
        else:
            _create(conn, name, TEMPLATE, server.owner())
    return server.database_url(name)


def copy_database(server: Server, template_url: str, target_url: str) -> None:
    """Make the database of ``target_url`` again as a copy of the one of ``template_url``."""
    from db.postgres import close_pools
    close_pools(target_url)
    name = _name_of(target_url)
    with server.admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _create(conn, name, _name_of(template_url), server.owner())


def drop_database(server: Server, url: str) -> None:
    from db.postgres import close_pools
    close_pools(url)
    with server.admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_name_of(url)} WITH (FORCE)")
