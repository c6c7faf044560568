"""``python -m payung serve --processes 2``: two server processes behind nginx, one database.

What one process does, the other sees: a worker saved, a session ended, a scheme file written.
Tabs speak Streamlit's protocol (the load test's client, ``payung.operations.loadtest.protocol``);
the route cookie decides which process holds a tab, as it does for a browser.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from payung.auth.access import Actor
from payung.core import Payung
from payung.operations.loadtest.protocol import Tab, state, trigger
from payung.operations.serve import free_ports, wait_healthy
from payung.schemes.copying import copyable
from payung.schemes.editing import save_scheme

from conftest import ENTRY_POINTS, PASSWORD, PLUGINS_DIR, _demo_site, _schemes_app, copy_database, nginx_or_skip
from conftest import write_config

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.xdist_group("browser")  # servers of their own: not beside the browser tests


@pytest.fixture(autouse=True)
def _nginx():
    nginx_or_skip()


@pytest.fixture
def served(tmp_path, database_template, db_location, engine):
    """Payung on a demo database, served by two processes behind nginx: the proxy's address,
    a route cookie for each process, the Payung of the same configuration."""
    nginx_or_skip()
    plugins = tmp_path / "plugins"
    shutil.copytree(PLUGINS_DIR, plugins, ignore=shutil.ignore_patterns("__pycache__"))
    config = write_config(tmp_path, plugins_dir=str(plugins), database=db_location)
    app = Payung.load(config, entry_points=ENTRY_POINTS)
    copy_database(database_template("demo", _schemes_app, _demo_site, engine), app.settings.database_url)
    port = free_ports(1)[0]
    env = {**os.environ, "PAYUNG_CONFIG": str(config), "PAYUNG_DATABASE_URL": app.settings.database_url}
    env.pop("PAYUNG_DB", None)
    env.pop("PAYUNG_COOKIE_KEY", None)  # made by serve, once, for both
    log = open(tmp_path / "serve.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "payung", "serve", "--processes", "2", "--port", str(port),
                                "--workdir", str(tmp_path / "serve")], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, timeout=180, log=tmp_path / "serve.log")
        yield url, routes_to_each_process(url), app
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def routes_to_each_process(url: str) -> list[str]:
    """One route cookie per server process, found by asking nginx which process answers."""
    found: dict[str, str] = {}
    for i in range(64):
        request = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": f"payung_route=uji{i}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            found.setdefault(answer.headers["X-Payung-Process"], f"uji{i}")
        if len(found) == 2:
            return list(found.values())
    raise AssertionError(f"nginx sent every route to {list(found)}")


async def sign_in(tab: Tab, username: str = "admin") -> None:
    page = await tab.open()
    assert "Masuk ke Payung" in page.text()
    page = await tab.rerun([state(page.widget(label="Nama pengguna").id, username),
                            state(page.widget(label="Kata sandi").id, PASSWORD),
                            trigger(page.widget(label="Masuk").id)])
    assert page.has_widget("keluar"), page.text()[:300]


async def search(tab: Tab, text: str) -> str:
    await tab.goto("pekerja")
    return (await tab.set("cari_pekerja", text)).text()


async def save_worker(tab: Tab, nik: str, name: str) -> str:
    await tab.goto("pekerja-form")
    page = await tab.set("f_nik", nik)
    village = list(page.widget("f_village").proto.options)[0]
    occupation = list(page.widget("f_occupation").proto.options)[0]
    page = await tab.click(label="Simpan", values={"f_name": name, "f_village": village, "f_occupation": occupation})
    return page.text()


def test_two_processes_behind_nginx_share_workers_sessions_and_schemes(served):
    url, (route_a, route_b), app = served

    async def first_visits():
        """Each process's first visitor, at an address no page has: the login page, and none of
        the English "Page not found" of Streamlit's pages/ folder mode (serve's ``warm_up``)."""
        for route in (route_a, route_b):
            tab = Tab(url, cookies={"payung_route": route})
            try:
                assert "Masuk ke Payung" in (await tab.open("tidak-ada")).text()  # ProtocolError: page not found
            finally:
                await tab.close()
    asyncio.run(first_visits())

    async def scenario():
        a = Tab(url, cookies={"payung_route": route_a})
        await sign_in(a)
        # The same browser's sign-in, on the other process (its route cookie changed).
        b = Tab(url, cookies={**a.cookies, "payung_route": route_b})
        try:
            page = await b.open()
            assert page.has_widget("keluar"), "the session started on one process is not known to the other"
            assert "dari 1 data" not in await search(b, "Sulastri Dua Proses")

            assert "terdaftar sebagai pekerja" in await save_worker(a, "3324015708759871", "Sulastri Dua Proses")
            assert "Menampilkan 1–1 dari 1 data" in await search(b, "Sulastri Dua Proses")

            # A scheme file written by a third process (another server's scheme editor): both load it.
            for tab in (a, b):
                assert "Skema Dua Proses" not in (await tab.goto("skema")).text()
            source = next(code for code in app.plugins.schemes if not copyable(app.plugins, code).blockers)
            data = copyable(app.plugins, source).data | {"code": "dua_proses", "name": "Skema Dua Proses",
                                                        "started": "2025-01-01", "legal_basis": "Perbup 2/2025"}
            with app.open_db() as db:
                save_scheme(db, app.plugins, data, actor=Actor.system("admin"), copied_from=source)
            for tab in (a, b):
                assert "Skema Dua Proses" in (await tab.goto("skema")).text()

            # A logout on one process ends the session on the other.
            page = await a.click("keluar")
            assert "Masuk ke Payung" in page.text()
            page = await b.goto("pekerja")
            assert not page.has_widget("keluar") and "Masuk ke Payung" in page.text()
        finally:
            await a.close()
            await b.close()

    asyncio.run(scenario())


def test_serve_makes_one_setup_code_for_every_process_of_a_first_start(tmp_path, monkeypatch, capsys):
    """A first start: the code is printed once and handed to each server process (a code each
    process made for itself would be refused by the process a browser's form reaches)."""
    from payung.auth import setup
    from payung.operations.serve import shared_environment
    monkeypatch.delenv(setup.SETUP_CODE_ENV, raising=False)
    app = Payung.load(write_config(tmp_path, plugins_dir=str(tmp_path / "no-plugins")), entry_points=False)
    env = shared_environment(app)
    code = env[setup.SETUP_CODE_ENV]
    assert code in capsys.readouterr().out
    assert setup.setup_code_matches(code, env[setup.SETUP_CODE_ENV])
    assert env["PAYUNG_UNKNOWN_KEY"] and env["STREAMLIT_SERVER_COOKIE_SECRET"]
    assert (app.settings.data_dir / "payung-cookie.key").is_file()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


#: What a browser accepts when it opens a page, and when a script of the page asks for something.
PAGE, FETCH = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "*/*"


def _answer(url: str, accept: str = PAGE) -> tuple[int, str | None]:
    """The status of ``url`` asked for as a browser does (``accept``: a page, or a script's
    fetch), and where it redirects to, without following it."""
    return _answer_with_headers(url, accept)[:2]


def _answer_with_headers(url: str, accept: str = PAGE):
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=30) as answer:
            return answer.status, None, answer.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location"), error.headers


def test_nginx_workers_never_run_as_root_and_still_take_uploads_and_send_streamlits_files(served, tmp_path):
    """Run as root, serve once gave nginx's workers (which parse every request) root too. Those
    workers, not root, send Streamlit's scripts themselves: compressed once at start (the copy
    made then, not compressed again for each browser), kept a year, the same bytes, with no
    Payung process asked (nor a way out of the copy)."""
    url, _, _ = served
    from payung.operations.serve import STREAMLIT_STATIC
    script = max((STREAMLIT_STATIC / "js").glob("*.js"), key=lambda p: p.stat().st_size)
    request = urllib.request.Request(f"{url}/static/js/{script.name}", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        body, headers = answer.read(), answer.headers
    assert headers["Content-Type"] == "application/javascript"  # a module of another type does not run
    assert headers["Content-Encoding"] == "gzip" and len(body) < script.stat().st_size / 2
    assert gzip.decompress(body) == script.read_bytes()
    # The copy's .gz, byte for byte (compressed on the fly it would differ, and have no length).
    assert body == gzip.compress(script.read_bytes(), compresslevel=6, mtime=0)
    assert int(headers["Content-Length"]) == len(body)
    assert "immutable" in headers["Cache-Control"] and "X-Payung-Process" not in headers
    for escape in ("/static/../../../../etc/passwd", "/static/..%2f..%2f..%2fetc/passwd", "/static/js/nope.js"):
        try:
            with urllib.request.urlopen(url + escape, timeout=30) as answer:
                assert b"root:" not in answer.read()
        except urllib.error.HTTPError as error:
            assert error.code in (400, 403, 404)
    master = int((tmp_path / "serve" / "nginx.pid").read_text())
    workers = _children(master)
    assert workers
    for pid in workers:
        owner = Path(f"/proc/{pid}").stat().st_uid
        assert owner != 0 or os.geteuid() != 0, f"nginx worker {pid} runs as root"
    # A body larger than nginx keeps in memory goes through its temporary folder: the workers can
    # write it (Streamlit's answer to this made-up upload does not matter; nginx's log does).
    request = urllib.request.Request(f"{url}/_stcore/upload_file/x/y", data=b"x" * 1_000_000, method="PUT")
    try:
        urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError:
        pass
    log = (tmp_path / "serve" / "error.log").read_text(errors="replace")
    assert "client request body is buffered to a temporary file" in log, "the upload never reached the folder"
    assert "Permission denied" not in log, log[-1000:]


def test_an_address_deeper_than_a_page_goes_to_its_page_and_streamlits_own_paths_go_on(served):
    """Streamlit answers "/pekerja/123" with its page, whose scripts it then asks for under that
    address and gets the page again: a blank screen. nginx sends such an address to the page it
    starts with (app.py then says when no page has it); every path of Streamlit's own that is
    deeper than one part (its ``BASE_ROUTE_*``: a new one in a new Streamlit fails here) goes on,
    at the root and under a page's address, where Streamlit's own requests go.
    (``test_browser_addresses`` opens such an address in Chromium.)"""
    from streamlit.web.server.starlette import starlette_routes
    url, _, _ = served
    assert _answer(f"{url}/pekerja/123") == (302, "/pekerja")
    assert _answer(f"{url}/tidak-ada/lagi/dalam?x=1") == (302, "/tidak-ada?x=1")
    status, _, headers = _answer_with_headers(f"{url}/pekerja")
    assert status == 200
    # No other site may show it in a frame (a click there is a click in Payung).
    assert headers["Content-Security-Policy"] == "frame-ancestors 'none'" and headers["X-Frame-Options"] == "DENY"
    from streamlit.web.server.starlette import starlette_auth_routes
    ours = {value.strip("/") for name, value in vars(starlette_routes).items()
            if name.startswith("BASE_ROUTE_") and isinstance(value, str)}
    ours |= {value.split("/")[0] for name, value in vars(starlette_auth_routes).items()  # st.login's auth/login
             if name.startswith("_ROUTE_") and isinstance(value, str) and "/" in value}
    assert {"_stcore", "media", "component", "static", "app/static", "auth"} <= ours
    for route in ours:
        status, location = _answer(f"{url}/{route}/x/y")
        assert status != 302, (route, location)
        # At a page's address Streamlit asks for its own paths under it ("/pekerja/_stcore/health").
        for accept in (PAGE, FETCH):
            status, location = _answer(f"{url}/pekerja/{route}/x", accept)
            assert status != 302, (route, accept, location)
    # Streamlit's page first tries "/pekerja/_stcore/health" (its address as a base path): a 404
    # sends it to "/_stcore/health"; a redirect to the page's 200 made it take "/pekerja" as its base.
    assert _answer(f"{url}/pekerja/_stcore/health", FETCH)[0] == 404
    # What is not asked for as a page (a script's fetch) is left as it was.
    assert _answer(f"{url}/pekerja/123", FETCH)[0] != 302
    # Nothing but a page's address goes into the redirect: no header of its own, no other site.
    for hostile in ("/%0d%0aSet-Cookie:%20payung_masuk=x/y", "/%5Cevil.example/x", "/a%09b/x", "/%2F%2Fevil.example/x",
                    "/pekerja%0d%0aX-Evil:%201/x", "/tidak ada/x"):
        status, location, headers = _answer_with_headers(url + hostile.replace(" ", "%20"))
        assert "payung_masuk" not in (headers.get("Set-Cookie") or "") and "X-Evil" not in headers, hostile
        assert status != 302 or (location and re.fullmatch(r"/[A-Za-z0-9_-]+", location)), (hostile, location)


def test_the_nginx_configuration_never_runs_workers_as_root(monkeypatch, tmp_path):
    from payung.operations import serve
    monkeypatch.setattr(serve.os, "geteuid", lambda: 0)
    text = serve.nginx_config([1, 2], listen="127.0.0.1:8501", prefix=tmp_path, max_body_mb=200)
    assert "user root" not in text and "user nobody " in text
    assert "server_tokens off;" in text and "@" not in text.split("events")[1]


def test_the_servers_get_the_database_under_one_name(tmp_path, monkeypatch):
    """``PAYUNG_DB=/x.db python -m payung serve``: the servers were handed both PAYUNG_DB and
    PAYUNG_DATABASE_URL=sqlite:////x.db, and each refused to start ("Basis data disebut dua
    kali")."""
    from payung.base.config import load_settings
    from payung.operations.serve import Servers
    monkeypatch.setenv("PAYUNG_DB", str(tmp_path / "x.db"))
    monkeypatch.delenv("PAYUNG_DATABASE_URL", raising=False)
    app = Payung.load(write_config(tmp_path, plugins_dir=str(tmp_path / "no-plugins")), entry_points=False)
    servers = Servers(app, processes=1, listen="127.0.0.1:0", workdir=tmp_path)
    assert "PAYUNG_DB" not in servers.env
    for key in ("PAYUNG_DB", "PAYUNG_DATABASE_URL"):  # the servers' environment, as they read it
        monkeypatch.delenv(key, raising=False)
        if key in servers.env:
            monkeypatch.setenv(key, servers.env[key])
    assert load_settings(servers.env["PAYUNG_CONFIG"]).database_url == app.settings.database_url
