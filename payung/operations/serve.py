"""``python -m payung serve --processes N``: N Streamlit servers behind nginx, on one machine.

One Streamlit server is one Python process and uses about one core, whatever the machine has.
To use more, Payung runs several and nginx in front of them (``deploy/nginx.conf``), with
sticky routing: a browser keeps to the process that holds its tab. What the processes must
agree on lives in the database (sessions and their end, the data versions that key the caches
and tell them to load a new scheme file) or comes from this parent process: the setup code of
a first start (made and printed once here, handed to every server), the cookie key (one file,
made once before they start), the key of unknown usernames in the audit log and Streamlit's
cookie secret. A server that stops is started again.
"""

from __future__ import annotations

import gzip
import importlib.util
import ipaddress
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from payung.auth import sessions, setup
from payung.auth.passwords import SERVER_PROCESSES_VARIABLE
from payung.auth.users import has_users
from payung.base.config import database_environment
from payung.core import Payung

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


#: One label of a host name (RFC 1123): letters, digits and hyphens, not at either end.
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def address_problem(address: str) -> str | None:
    """Why nginx cannot listen on ``address`` as written (an IP address or a host name), or None."""
    try:
        ipaddress.ip_address(address)
        return None
    except ValueError:
        pass
    if 0 < len(address) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in address.split(".")):
        return None
    return (f"alamat {address!r} tidak sah: tulis alamat IP (contoh 127.0.0.1, atau 0.0.0.0 untuk jaringan "
            "kantor) atau nama host tanpa spasi (contoh localhost)")


def port_problem(port: int) -> str | None:
    return None if 1 <= port <= 65535 else f"port {port} tidak sah: harus 1 sampai 65535"


def listen_problem(address: str, port: int) -> str | None:
    """Why this machine cannot listen on ``address:port`` (not one of its addresses, a port in use
    or reserved to root), found by binding it for a moment before anything starts; or None."""
    import socket
    try:
        family, kind, proto, _, where = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError):
        return f"nama host {address!r} tidak dikenal di komputer ini"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(where)
        except OSError as exc:
            import errno
            reason = {errno.EADDRINUSE: f"port {port} sudah dipakai program lain",
                      errno.EADDRNOTAVAIL: f"{address} bukan alamat komputer ini",
                      errno.EACCES: f"port {port} hanya boleh dipakai root (pakai port 1024 ke atas)"}
            return reason.get(exc.errno, f"{address}:{port} tidak dapat didengar ({exc.strerror})")
    return None


def host_port(address: str, port: int) -> str:
    """``address:port`` as nginx's listen and a URL write it (an IPv6 address in brackets)."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def free_ports(count: int) -> list[int]:
    import socket
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_healthy(url: str, process: subprocess.Popen | None = None, *, timeout: float = 120,
                 log: Path | None = None) -> None:
    """Until ``url`` answers Streamlit's health check (or ``process`` stops, or time is up)."""
    import urllib.request
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                return
        except OSError:
            time.sleep(0.3)
    detail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    raise RuntimeError(f"server at {url} did not start: {detail}")


def warm_up(port: int, timeout: float = 120) -> None:
    """One session at "/" on a just-started server. Its run ends Streamlit's pages/ folder mode,
    which lasts until app.py's first ``st.navigation`` (``ui.addresses``): the first visitor of a
    process at an address no page has saw an English "Page not found" over the login page. It
    also imports the pages, which made that visitor's first page twice as slow."""
    import asyncio

    from payung.operations.loadtest.protocol import Tab

    async def visit() -> None:
        tab = Tab(f"http://127.0.0.1:{port}", timeout=timeout, user_agent="payung-serve-warm-up")
        try:
            await tab.open()
        finally:
            await tab.close()
    try:
        asyncio.run(visit())
    except Exception as exc:  # noqa: BLE001 - best effort: the server still serves, its first visitor as before
        print(f"Pemanasan server di port {port} gagal ({type(exc).__name__}); server tetap dipakai.", flush=True)


#: Who nginx's workers run as when serve runs as root: never root (they parse every request).
WORKER_USER = "nobody"


def worker_account() -> tuple[str, int, int] | None:
    """(user line, uid, gid) of nginx's workers when serve runs as root, else None (they run as
    the user who started serve)."""
    if os.geteuid() != 0:
        return None
    import grp
    import pwd
    account = pwd.getpwnam(WORKER_USER)
    return f"user {WORKER_USER} {grp.getgrgid(account.pw_gid).gr_name};", account.pw_uid, account.pw_gid


def nginx_config(ports: list[int], *, listen: str, prefix: Path, max_body_mb: int, temp: Path | None = None,
                 static: Path | None = None) -> str:
    """The template filled in for these server ports (``temp``: the workers' folder of temporary
    files, by default ``tmp`` in ``prefix``; ``static``: the copy of Streamlit's files nginx
    sends, by default ``static`` in ``temp``)."""
    temp = temp or prefix / "tmp"
    text = TEMPLATE.read_text(encoding="utf-8")
    upstreams = "\n".join(f"        server 127.0.0.1:{port} max_fails=0;" for port in ports)
    account = worker_account()
    user = account[0] if account else ""
    for placeholder, value in (("@UPSTREAMS@", upstreams), ("@LISTEN@", listen), ("@PREFIX@", str(prefix)),
                               ("@TEMP@", str(temp)), ("@STATIC@", str(static or temp / "static")),
                               ("@USER@", user), ("@MAX_BODY@", str(max_body_mb))):
        text = text.replace(placeholder, value)
    return text


def shared_environment(app: Payung) -> dict[str, str]:
    """What every server process must share, made once here."""
    env = {"PAYUNG_UNKNOWN_KEY": os.environ.get("PAYUNG_UNKNOWN_KEY") or secrets.token_hex(32),
           "STREAMLIT_SERVER_COOKIE_SECRET": os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET")
           or secrets.token_urlsafe(32)}
    db = app.open_db()
    try:
        app.initialise(db)
        first_start = not has_users(db)
    finally:
        db.close()
    if first_start and not setup.setup_code_from_env():
        code = setup.new_setup_code()
        env[setup.SETUP_CODE_ENV] = code
        print(setup.setup_code_banner(code, app.settings.database_shown), flush=True)
    if not os.environ.get("PAYUNG_COOKIE_KEY"):  # the file the servers read, made before they start
        sessions.cookie_key_from_file(app.settings.data_dir.resolve() / sessions.COOKIE_KEY_FILE)
    return env


#: Streamlit's scripts, styles and fonts, as its server sends them under ``/static/`` (found
#: without importing Streamlit: the core never does).
STREAMLIT_STATIC = Path(importlib.util.find_spec("streamlit").origin).parent / "static" / "static"


#: The kinds of Streamlit's files sent compressed (fonts and images are compressed already).
COMPRESSED = (".js", ".mjs", ".css", ".svg")


def copy_static_files(folder: Path) -> None:
    """A copy of ``STREAMLIT_STATIC`` for nginx to send (its workers, not root, may not reach
    the Python installation), made again at every start: the copy always matches the Streamlit
    that runs. Readable by everyone, like the original. Each script and style gets a gzip copy
    beside it, made once here (0,7 s for Streamlit's 22 MB): nginx sends that one (``gzip_static``)
    instead of compressing 4 MB again for each new browser."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(STREAMLIT_STATIC, folder)
    for path in list(folder.rglob("*")):
        if path.suffix in COMPRESSED and path.stat().st_size >= 1024:  # nginx's gzip_static
            path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


class Servers:
    """The Streamlit processes and nginx, started and watched."""

    def __init__(self, app: Payung, *, processes: int, listen: str, workdir: Path, options: tuple[str, ...] = ()):
        self.app, self.count, self.listen, self.workdir, self.options = app, processes, listen, workdir, options
        self.ports = free_ports(processes)
        self.streamlit: dict[int, subprocess.Popen] = {}
        self.nginx: subprocess.Popen | None = None
        self.temp: Path | None = None
        # The database as one URL, under its one name: PAYUNG_DB (its older name) spelling the
        # same file otherwise ("/x.db" beside "sqlite:////x.db") was refused as a contradiction.
        self.env = {**database_environment(app.settings.database_url), "PAYUNG_CONFIG": str(app.settings.path),
                    SERVER_PROCESSES_VARIABLE: str(processes), **shared_environment(app)}

    def _start_streamlit(self, port: int) -> subprocess.Popen:
        log = open(self.workdir / f"streamlit-{port}.log", "a")
        return subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", *self.options], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.temp = self._temp_folder()
        for port in self.ports:
            self.streamlit[port] = self._start_streamlit(port)
        for port, process in self.streamlit.items():
            wait_healthy(f"http://127.0.0.1:{port}", process, log=self.workdir / f"streamlit-{port}.log")
            warm_up(port)
        config = self.workdir / "nginx.conf"
        config.write_text(nginx_config(self.ports, listen=self.listen, prefix=self.workdir.resolve(),
                                       max_body_mb=self.app.settings.limits.max_upload_mb, temp=self.temp),
                          encoding="utf-8")
        self.nginx = subprocess.Popen([NGINX, "-p", str(self.workdir.resolve()), "-c", str(config.resolve())],
                                      stdout=subprocess.DEVNULL, stderr=open(self.workdir / "nginx.out", "a"))
        wait_healthy(f"http://{self.listen}", self.nginx, log=self.workdir / "error.log")

    def _temp_folder(self) -> Path:
        """Where nginx's workers write uploads and long answers: ``tmp`` in the working folder, or,
        run as root (the workers then run as nobody, who may not reach the working folder), a
        folder of nobody's own under the system's temporary folder, removed at the end."""
        account = worker_account()
        folder = Path(tempfile.mkdtemp(prefix="payung-nginx-")) if account else self.workdir.resolve() / "tmp"
        for name in ("", "body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / name).mkdir(parents=True, exist_ok=True)
            if account:
                os.chown(folder / name, account[1], account[2])
        copy_static_files(folder / "static")
        return folder

    def watch(self) -> None:
        """Start again a server that stopped; return when nginx stops."""
        while self.nginx.poll() is None:
            for port, process in list(self.streamlit.items()):
                if process.poll() is not None:
                    print(f"Server di port {port} berhenti (kode {process.returncode}); dijalankan lagi.", flush=True)
                    self.streamlit[port] = self._start_streamlit(port)
                    # Warmed once it answers (nginx may send it a visitor before), watched again within
                    # a minute whatever happens.
                    try:
                        wait_healthy(f"http://127.0.0.1:{port}", self.streamlit[port], timeout=30,
                                     log=self.workdir / f"streamlit-{port}.log")
                        warm_up(port, timeout=30)
                    except RuntimeError:
                        pass  # not up yet or stopped again: looked at on the next round
            time.sleep(1)

    def stop(self) -> None:
        for process in [self.nginx, *self.streamlit.values()]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [self.nginx, *self.streamlit.values()]:
            if process is not None:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        if self.temp is not None and self.temp.name.startswith("payung-nginx-"):
            shutil.rmtree(self.temp, ignore_errors=True)


def serve(app: Payung, *, processes: int, address: str, port: int, workdir: Path,
          options: tuple[str, ...] = ()) -> int:
    if not Path(NGINX).exists():
        print("Galat: nginx tidak ditemukan (apt-get install nginx).", file=sys.stderr)
        return 1
    if problem := address_problem(address) or port_problem(port) or listen_problem(address, port):
        print(f"Galat: {problem}.", file=sys.stderr)
        return 2
    servers = Servers(app, processes=processes, listen=host_port(address, port), workdir=workdir, options=options)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        servers.start()
        print(f"Payung berjalan di http://{host_port(address, port)} ({processes} proses server di belakang nginx; "
              f"port {', '.join(map(str, servers.ports))}).", flush=True)
        servers.watch()
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        servers.stop()
