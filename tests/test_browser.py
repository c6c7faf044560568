"""What a user clicks, in a real browser: headless Chromium (Debian's) driven by Playwright.

From a new database: create the first administrator, log in, load the demo data, type a
worker with a wrong NIK (see the error), fix it, enrol the worker with a sponsor, and find
them in the list. CI installs Chromium and sets PAYUNG_REQUIRE_BROWSER=1, so there the test
fails rather than skips when the browser is missing.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import CHROMIUM, ROOT, stop_server, write_config

if not Path(CHROMIUM).exists():
    if os.environ.get("PAYUNG_REQUIRE_BROWSER"):
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

PASSWORD = "payung-uji-2026"
SETUP_CODE = "cafe-babe-1234-5678"
TIMEOUT = 60_000
COOKIE = "payung_masuk"
expect.set_options(timeout=TIMEOUT)
# One worker runs every browser test (pytest-xdist's loadgroup): one Chromium and one demo server.
pytestmark = pytest.mark.xdist_group("browser")


def _free_port() -> int:
    """A free port: any, or one of ``PAYUNG_TEST_PORTS`` ("8671-8679") on a machine that sets a
    range aside for test servers."""
    span = os.environ.get("PAYUNG_TEST_PORTS")
    candidates = range(int(span.split("-")[0]), int(span.split("-")[-1]) + 1) if span else [0]
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in PAYUNG_TEST_PORTS={span}")


@contextlib.contextmanager
def running_app(tmp_path, *, env: dict | None = None, users: tuple[str, ...] = (), script: str = "app.py",
                database: str | None = None, plugins_dir: str | None = None):
    """A Payung server on a new database (``database``, else ``payung.db`` in ``tmp_path``), with
    these admin-made users, password PASSWORD; ``script``: another Streamlit script to serve
    instead of app.py; ``plugins_dir``: its own plugin folder (a test that saves schemes never
    writes into the project's)."""
    db_path = database or str(tmp_path / "payung.db")
    config = write_config(tmp_path, database=db_path, plugins_dir=plugins_dir)
    if users:
        from payung.auth.access import Actor
        from payung.core import Payung
        from payung.auth.users import add_user
        app = Payung.load(config, entry_points=False)
        conn = app.open_db()
        for name in users:
            add_user(conn, username=name, name=name.title(), role="admin", password=PASSWORD, actor=Actor.system())
        conn.close()
    port = _free_port()
    env = {**os.environ, "PAYUNG_CONFIG": str(config), "PAYUNG_DB": None, "PAYUNG_DATABASE_URL": db_path,
           **(env or {})}
    env = {k: v for k, v in env.items() if v is not None}
    log_path = tmp_path / "streamlit.log"
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true", "--server.port", str(port),
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    try:
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("Streamlit did not start: " + log_path.read_text())
        yield url
    finally:
        stop_server(process)
        log.close()


@pytest.fixture
def server(tmp_path, db_location):
    """The main path's server: on each engine (``db_location``)."""
    with running_app(tmp_path, env={"PAYUNG_COOKIE_KEY": "b" * 40, "PAYUNG_SETUP_CODE": SETUP_CODE},
                     database=db_location) as url:
        yield url


def new_page(browser, url: str | None = None, cookies: list | None = None) -> Page:
    """A page in a fresh browser context (its own cookies), optionally given some cookies."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    if cookies:
        context.add_cookies(cookies)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    if url:
        page.goto(url)
    return page


@pytest.fixture
def page(server, browser):
    yield new_page(browser, server)


def login_cookie(page: Page) -> list:
    """The login cookie of the page's context, once the browser has written it."""
    deadline = time.time() + 30
    while time.time() < deadline:
        cookies = [c for c in page.context.cookies() if c["name"] == COOKIE]
        if cookies:
            return cookies
        time.sleep(0.2)
    raise AssertionError("no login cookie was written")


def current(page: Page):
    """The elements of the current script run. While a rerun is under way Streamlit keeps the
    previous run's elements on screen, marked stale, beside the new ones (two "Masuk ke Payung",
    two "Nama lengkap" boxes): Playwright's strict mode then refuses to pick one. Stale ones are
    left out here; the rest is the page as the finished run shows it."""
    return page.locator('[data-testid="stElementContainer"]:not([data-stale="true"])')


def text(page: Page, words):
    return current(page).get_by_text(words)


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in as a person does: once the login page has finished drawing (the cookie component's
    answer reruns it right after it first shows; text typed into the boxes of the run it replaces
    is gone), type, see both boxes hold what was typed, then press Masuk."""
    expect(text(page, "Masuk ke Payung")).to_be_visible()
    for _ in range(3):  # a rerun that empties the boxes after they were filled: type again, as a person would
        _settled(page)
        textbox(page, "Nama pengguna").fill(username)
        textbox(page, "Kata sandi").fill(password)
        page.wait_for_timeout(500)
        _settled(page)
        if (textbox(page, "Nama pengguna").input_value(), textbox(page, "Kata sandi").input_value()) == (username, password):
            break
    expect(textbox(page, "Nama pengguna")).to_have_value(username)
    expect(textbox(page, "Kata sandi")).to_have_value(password)
    button = current(page).get_by_role("button", name="Masuk")
    expect(button).to_have_count(1)
    button.click()


def expect_logged_in(page: Page) -> None:
    """Signed in, the login cookie written (by a script in the sidebar, as the browser draws the
    first page) and the page's runs over."""
    expect(current(page).get_by_role("button", name="Keluar")).to_be_visible()
    deadline = time.time() + TIMEOUT / 1000
    while not any(c["name"] == COOKIE for c in page.context.cookies()):
        assert time.time() < deadline, "the login cookie was never written"
        page.wait_for_timeout(200)
    _settled(page)


def expect_login_page(page: Page) -> None:
    expect(text(page, "Masuk ke Payung")).to_be_visible()
    expect(page.get_by_role("button", name="Keluar")).to_have_count(0)
    expect(page.get_by_text("Coba dengan data contoh")).to_have_count(0)


def open_choices(page: Page, label: str, attempts: int = 3) -> None:
    """Open the selectbox labelled ``label`` and wait until its options show. While a rerun is
    under way Streamlit still shows the stale widgets beside the new ones (two boxes with one
    label), and a click that lands as a box is replaced opens nothing: wait for the run to end
    and for one box, and try again if the options do not show."""
    for _ in range(attempts):
        _settled(page)
        box = current(page).get_by_label(label, exact=True)
        expect(box).to_have_count(1)
        box.click()
        try:
            expect(page.get_by_role("option").first).to_be_visible(timeout=10_000)
            return
        except AssertionError:
            page.keyboard.press("Escape")
    raise AssertionError(f"the choices of {label!r} did not open")


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox or multiselect labelled ``label``, typing to
    filter first (long option lists are virtualised: only the visible ones exist)."""
    open_choices(page, label)
    page.keyboard.type(option[:25])
    page.get_by_role("option", name=option).first.click()


def textbox(page: Page, label: str):
    """The text box labelled ``label`` of the current run (see ``current``)."""
    return current(page).get_by_role("textbox", name=label, exact=True)


RERUN_SCRIPT = '''
import time
import streamlit as st

if st.session_state.get("moved"):
    st.markdown("Masuk ke Payung")      # now first: the previous run's copy is further down
    time.sleep(5)                       # ...and stays there, stale, until this run ends
else:
    st.markdown("satu")
    st.markdown("dua")
    st.markdown("Masuk ke Payung")
if st.button("Geser"):
    st.session_state["moved"] = True
    st.rerun()
'''


def test_a_rerun_shows_stale_copies_that_current_leaves_out(tmp_path, browser):
    """Why the helpers look at ``current(page)``: mid-rerun the text is on screen twice (the
    strict-mode failure seen under load); the current run's elements hold it once, and
    ``_settled`` waits until the stale copy is gone."""
    script = tmp_path / "rerun.py"
    script.write_text(RERUN_SCRIPT, encoding="utf-8")
    with running_app(tmp_path, script=str(script)) as url:
        page = new_page(browser, url)
        expect(text(page, "Masuk ke Payung")).to_have_count(1)
        current(page).get_by_role("button", name="Geser").click()
        expect(page.get_by_text("Masuk ke Payung")).to_have_count(2)   # the stale copy and the new one
        # At once, while the run still sleeps: one in the current run, and it can be acted on.
        assert text(page, "Masuk ke Payung").count() == 1
        assert text(page, "Masuk ke Payung").is_visible()
        assert page.evaluate(IDLE) is False
        _settled(page)
        expect(page.get_by_text("Masuk ke Payung")).to_have_count(1)
        assert page.get_by_text("satu").count() == 0


def test_first_admin_demo_worker_with_bad_nik_enrolment_and_list(page: Page, tmp_path):
    # First start: create the administrator.
    expect(text(page, "Selamat datang di Payung")).to_be_visible()
    textbox(page, "Kode penyiapan").fill(SETUP_CODE)
    textbox(page, "Nama pengguna").fill("admin.dinsos")
    textbox(page, "Nama lengkap").fill("Ani Lestari")
    textbox(page, "Kata sandi").fill(PASSWORD)
    textbox(page, "Ulangi kata sandi").fill(PASSWORD)
    current(page).get_by_role("button", name="Buat administrator").click()

    # Log in.
    expect(text(page, "Administrator pertama dibuat. Silakan masuk.")).to_be_visible()
    log_in(page, "admin.dinsos")
    expect_logged_in(page)

    # Demo data in one click.
    current(page).get_by_role("button", name="Coba dengan data contoh").click()
    expect(text(page, "Data contoh dimuat")).to_be_visible(timeout=180_000)

    # A worker with a wrong NIK: the error is shown and nothing is saved; then fixed.
    page.get_by_role("link", name="Tambah/ubah pekerja").click()
    expect(current(page).get_by_role("heading", name="Tambah pekerja")).to_be_visible()
    textbox(page, "NIK *").fill("3324015708")
    textbox(page, "NIK *").press("Tab")
    # The NIK is checked as soon as it is typed (wait for that rerun before typing on).
    expect(text(page, "NIK harus 16 digit angka (yang diisi: 10 digit).").first).to_be_visible()
    textbox(page, "Nama lengkap (sesuai KTP) *").fill("Sulastri Uji Peramban")
    textbox(page, "Nama lengkap (sesuai KTP) *").press("Tab")
    choose(page, "Kecamatan *", "Plantungan, Kabupaten Kendal")
    choose(page, "Desa/kelurahan domisili *", "Blumah")
    choose(page, "Pekerjaan *", "Petani")
    current(page).get_by_role("button", name="Simpan").click()
    expect(text(page, "Data belum disimpan: ada 1 hal yang perlu diperbaiki.")).to_be_visible()
    expect(text(page, "NIK harus 16 digit angka (yang diisi: 10 digit).").first).to_be_visible()
    textbox(page, "NIK *").fill("3324015708750991")
    textbox(page, "NIK *").press("Tab")
    expect(text(page, "Dari NIK: lahir 17/08/1975, perempuan")).to_be_visible()
    current(page).get_by_role("button", name="Simpan").click()
    expect(text(page, "Sulastri Uji Peramban terdaftar sebagai pekerja.")).to_be_visible()
    # The form is empty again: no district left from her, nothing inviting a duplicate.
    expect(textbox(page, "NIK *")).to_have_value("")
    expect(textbox(page, "Nama lengkap (sesuai KTP) *")).to_have_value("")
    expect(page.get_by_text("Plantungan, Kabupaten Kendal")).to_have_count(0)

    # Enrol her with a civil servant of Kendal, from the navigation (the saved message's own link
    # of that name opens the page with her picked: tests/test_worker_pages.py).
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Daftarkan kepesertaan").click()
    choose(page, "Skema *", "Gerakan ASN Peduli Pekerja Rentan")
    # Wait for the rerun that shows the chosen scheme (its sponsor box is a new widget).
    expect(text(page, re.compile(r"^Setiap ASN Kabupaten Kendal"))).to_be_visible()
    open_choices(page, "Penyandang dana *")
    page.get_by_role("option").first.click()
    choose(page, "Cara bayar *", "Potong gaji")
    textbox(page, "Cari pekerja yang belum ditanggung").fill("Sulastri Uji")
    textbox(page, "Cari pekerja yang belum ditanggung").press("Enter")
    choose(page, "Pekerja yang ditanggung *", "Sulastri Uji Peramban")
    page.keyboard.press("Escape")
    current(page).get_by_role("button", name="Periksa").click()
    expect(text(page, "Semua syarat terpenuhi")).to_be_visible()
    current(page).get_by_role("button", name="Simpan kepesertaan").click()
    expect(text(page, "1 kepesertaan tersimpan")).to_be_visible()

    # The dashboard: choosing a district puts it in the URL, and that URL opens the same view.
    page.get_by_role("link", name="Beranda").click()
    expect(text(page, "Terlindungi").first).to_be_visible()
    choose(page, "Kecamatan", "Plantungan, Kabupaten Kendal")
    expect(page).to_have_url(re.compile(r"kecamatan=33\.24\.01"))
    bookmarked = page.url
    page.goto(bookmarked)
    expect(text(page, re.compile(r"^Semua skema · Plantungan · "))).to_be_visible(timeout=TIMEOUT)

    # Find her in the list.
    page.get_by_role("link", name="Daftar pekerja").click()
    textbox(page, "Cari nama atau NIK").fill("Sulastri Uji")
    textbox(page, "Cari nama atau NIK").press("Enter")
    expect(text(page, "dari 1 data")).to_be_visible()
    page.screenshot(path=str(tmp_path / "daftar-pekerja.png"), full_page=True)

    # A reload keeps the session (signed cookie) and the page; logging out ends both.
    page.reload()
    expect(current(page).get_by_role("heading", name="Daftar pekerja")).to_be_visible()
    current(page).get_by_role("button", name="Keluar").click()
    expect(text(page, "Masuk ke Payung")).to_be_visible()
    page.reload()
    expect(text(page, "Masuk ke Payung")).to_be_visible()
    expect(page.get_by_role("heading", name="Daftar pekerja")).to_have_count(0)


# Sign-in security (issue 12) --------------------------------------------------------------------

def _db(tmp_path):
    return sqlite3.connect(tmp_path / "payung.db")


def test_old_cookie_replayed_after_logout_lands_on_the_login_page(tmp_path, browser):
    with running_app(tmp_path, env={"PAYUNG_COOKIE_KEY": "c" * 40}, users=("ani.admin",)) as url:
        page = new_page(browser, url)
        log_in(page, "ani.admin")
        expect_logged_in(page)
        copied = login_cookie(page)
        # The copy works while the session lives (the replay below is a real replay)...
        expect_logged_in(new_page(browser, url, copied))
        current(page).get_by_role("button", name="Keluar").click()
        expect_login_page(page)
        # ...and not after logout, in a fresh context that never saw the logout.
        expect_login_page(new_page(browser, url, copied))
        with _db(tmp_path) as conn:
            assert conn.execute("SELECT ended_reason FROM sessions").fetchall() == [("logout",)]
        # A forged cookie (another algorithm, "none", garbage) shows the login form, no traceback,
        # and is deleted from the browser.
        for forged in _forged_cookies("c" * 40, jwt_sid="x"):
            page = new_page(browser, url, [{"name": COOKIE, "value": forged, "url": url}])
            expect_login_page(page)
            expect(page.get_by_test_id("stException")).to_have_count(0)
            deadline = time.time() + 20
            while time.time() < deadline and [c for c in page.context.cookies() if c["name"] == COOKIE]:
                time.sleep(0.2)
            assert not [c for c in page.context.cookies() if c["name"] == COOKIE], "the forged cookie stayed"
            page.context.close()


def test_a_sign_in_is_two_runs_and_leaves_a_strict_cookie_for_the_session_lifetime_until_keluar(tmp_path, browser):
    """Masuk starts the run that checks the password and the run of the first page, and nothing
    after them: the cookie is stored by a script the browser runs as it draws the page, with no
    answer that starts a third run (the cookie component's answer did: half a second more per
    sign-in). The cookie is the site's (path /), SameSite=Strict, kept as long as a session lives."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from payung.auth.sessions import SessionPolicy
    SUCCESS, FOR_RERUN = ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_EARLY_FOR_RERUN
    with running_app(tmp_path, env={"PAYUNG_COOKIE_KEY": "d" * 40}, users=("ani.admin",)) as url:
        page = new_page(browser)
        finished: list = []  # each run's end, as the browser received it

        def frame(payload) -> None:
            message = ForwardMsg()
            message.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
            if message.WhichOneof("type") == "script_finished":
                finished.append(message.script_finished)

        page.on("websocket", lambda ws: ws.on("framereceived", frame))
        page.goto(url)
        expect_login_page(page)
        _settled(page)
        page.wait_for_timeout(2_000)  # the frames received so far are handed to the listener
        # A first visit is one run: no component asks the browser for its cookies and reruns
        # the page (text typed into the form meanwhile was lost).
        assert finished == [SUCCESS], finished
        before = len(finished)
        log_in(page, "ani.admin")
        expect_logged_in(page)
        cookie = login_cookie(page)[0]
        page.wait_for_timeout(3_000)  # a third run would have come by now
        # The password check's run, ended by its rerun, and the first page's.
        assert finished[before:] == [FOR_RERUN, SUCCESS], finished
        assert (cookie["path"], cookie["sameSite"], cookie["secure"]) == ("/", "Strict", False)
        days = (cookie["expires"] - time.time()) / 86400
        assert abs(days - SessionPolicy().lifetime_days) < 0.1, days
        # The cookie signs a new tab of the same browser in.
        other = page.context.new_page()
        other.goto(url)
        expect_logged_in(other)
        # Keluar deletes it from the browser, without a pause: the login page shows at once.
        before = len(finished)
        current(page).get_by_role("button", name="Keluar").click()
        expect_login_page(page)
        deadline = time.time() + 10
        while time.time() < deadline and [c for c in page.context.cookies() if c["name"] == COOKIE]:
            page.wait_for_timeout(200)
        assert not [c for c in page.context.cookies() if c["name"] == COOKIE], "the login cookie stayed"
        _settled(page)
        page.wait_for_timeout(1_000)
        assert finished[before:] == [FOR_RERUN, SUCCESS], finished  # the click's run, then the login page


def test_keluar_in_one_tab_leaves_the_cookie_another_tab_wrote_since(tmp_path, browser):
    """Two tabs of one browser sign in one after the other: the second's cookie replaced the
    first's. Keluar in the first ends its own session and deletes only its own cookie, so the
    browser stays signed in by the second's (a delete drawn again later cannot take it either)."""
    with running_app(tmp_path, env={"PAYUNG_COOKIE_KEY": "e" * 40}, users=("ani.admin",)) as url:
        first = new_page(browser, url)
        second = first.context.new_page()
        second.set_default_timeout(TIMEOUT)
        second.goto(url)
        log_in(first, "ani.admin")
        expect_logged_in(first)
        mine = login_cookie(first)[0]["value"]
        log_in(second, "ani.admin")
        expect_logged_in(second)
        deadline = time.time() + 30
        while time.time() < deadline and login_cookie(second)[0]["value"] == mine:
            time.sleep(0.2)
        theirs = login_cookie(second)[0]["value"]
        assert theirs != mine
        current(first).get_by_role("button", name="Keluar").click()
        expect_login_page(first)
        _settled(first)
        first.wait_for_timeout(2_000)
        assert login_cookie(first)[0]["value"] == theirs
        third = first.context.new_page()
        third.goto(url)
        expect_logged_in(third)


def _forged_cookies(key: str, jwt_sid: str) -> list[str]:
    import base64
    import json

    import jwt

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    content = {"username": "ani.admin", "exp_date": 9e9, "sid": jwt_sid}
    return [part({"alg": "none", "typ": "JWT"}) + "." + part(content) + ".",
            jwt.encode(content, key + key, algorithm="HS512"), "bukan-jwt"]


def test_old_cookie_replayed_after_a_password_change_lands_on_the_login_page(tmp_path, browser):
    with running_app(tmp_path, env={"PAYUNG_COOKIE_KEY": "d" * 40}, users=("ani.admin",)) as url:
        first = new_page(browser, url)
        log_in(first, "ani.admin")
        expect_logged_in(first)
        copied = login_cookie(first)
        second = new_page(browser, url)
        log_in(second, "ani.admin")
        expect_logged_in(second)
        login_cookie(second)  # written by the runs right after the sign-in: a page load before it starts signed out
        second.goto(f"{url}/akun")  # a new page load: signed in again by the (live) cookie
        own = login_cookie(second)  # the cookie of the very tab that changes the password
        textbox(second, "Kata sandi lama").fill(PASSWORD)
        textbox(second, "Kata sandi baru").fill("payung-baru-2027")
        textbox(second, "Ulangi kata sandi baru").fill("payung-baru-2027")
        second.get_by_role("button", name="Simpan kata sandi").click()
        expect(second.get_by_text("Kata sandi diganti.")).to_be_visible()
        expect_login_page(new_page(browser, url, copied))
        # A copy of the changing tab's own cookie, taken before the change, is dead too: the tab
        # got a new session and a new cookie.
        deadline = time.time() + 30
        while time.time() < deadline and login_cookie(second)[0]["value"] == own[0]["value"]:
            time.sleep(0.2)
        assert login_cookie(second)[0]["value"] != own[0]["value"], "the tab's cookie was not rewritten"
        expect_login_page(new_page(browser, url, own))
        # The tab that made the change stays logged in, also after a reload (its new cookie).
        second.reload()
        expect_logged_in(second)
        with _db(tmp_path) as conn:
            assert conn.execute("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL").fetchone()[0] == 1


def test_sixth_wrong_password_is_throttled(tmp_path, browser):
    with running_app(tmp_path, env={"PAYUNG_COOKIE_KEY": "e" * 40}, users=("ani.admin",)) as url:
        page = new_page(browser, url)
        expect(text(page, "Masuk ke Payung")).to_be_visible()
        for attempt in range(1, 6):
            log_in(page, "ani.admin", f"salah-sekali-{attempt}")
            deadline = time.time() + 30
            while time.time() < deadline:
                with _db(tmp_path) as conn:
                    if conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'").fetchone()[0] \
                            == attempt:
                        break
                time.sleep(0.2)
            expect(text(page, "Nama pengguna atau kata sandi salah.")).to_be_visible()
        log_in(page, "ani.admin", PASSWORD)  # the right password, too late
        expect(text(page, "Terlalu banyak percobaan masuk yang gagal")).to_be_visible()
        expect_login_page(page)
        with _db(tmp_path) as conn:
            assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0
            assert conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'login_throttled'").fetchone()[0] == 1


def _assert_not_reachable_from_the_network(url: str) -> None:
    """The port answers on 127.0.0.1 only (``[server] address`` in .streamlit/config.toml)."""
    port = int(url.rsplit(":", 1)[1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: only picks the outgoing interface
            address = probe.getsockname()[0]
        except OSError:
            return
    if address.startswith("127."):
        return
    with pytest.raises(OSError):
        socket.create_connection((address, port), timeout=3).close()


def test_setup_page_without_the_code_creates_no_user(tmp_path, browser):
    # No PAYUNG_SETUP_CODE and no PAYUNG_COOKIE_KEY: the code is printed, the key file made.
    with running_app(tmp_path, env={"PAYUNG_SETUP_CODE": None, "PAYUNG_COOKIE_KEY": None}) as url:
        page = new_page(browser, url)
        expect(text(page, "Selamat datang di Payung")).to_be_visible()
        for code in ("", "0000-0000-0000-0000"):
            textbox(page, "Kode penyiapan").fill(code)
            textbox(page, "Nama pengguna").fill("penyusup")
            textbox(page, "Nama lengkap").fill("Penyusup")
            textbox(page, "Kata sandi").fill(PASSWORD)
            textbox(page, "Ulangi kata sandi").fill(PASSWORD)
            current(page).get_by_role("button", name="Buat administrator").click()
            expect(text(page, "Kode penyiapan salah.").first).to_be_visible()
        with _db(tmp_path) as conn:
            assert conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0
        _assert_not_reachable_from_the_network(url)
        printed = re.search(r"^\s+([0-9a-f]{4}(?:-[0-9a-f]{4}){3})$", (tmp_path / "streamlit.log").read_text(), re.M)
        assert printed, "the setup code is printed in the terminal"
        textbox(page, "Kode penyiapan").fill(printed.group(1))
        textbox(page, "Nama pengguna").fill("admin.dinsos")
        current(page).get_by_role("button", name="Buat administrator").click()
        log_in(page, "admin.dinsos")
        expect_logged_in(page)
        with _db(tmp_path) as conn:
            assert conn.execute("SELECT username FROM users").fetchall() == [("admin.dinsos",)]
        assert (tmp_path / "payung-cookie.key").stat().st_mode & 0o777 == 0o600


# The everyday screens (issue 17) ----------------------------------------------------------------

#: Streamlit's English that must not reach a page (its own texts we can set or hide).
ENGLISH = ("View", "more", "Upload", "Choose an option", "per file", "yyyy", "Drag and drop", "Browse files",
           "Skip to main content", "Press Enter to apply", "Press Enter to submit form", "No results")
SCREEN = {"width": 1366, "height": 768}


def _pages_by_role() -> dict[str, list[str]]:
    """Titles of the pages each role may open, from app.py's PAGES and payung.auth.access."""
    import ast

    from payung.auth.access import Actor, allowed
    tree = ast.parse((ROOT / "app.py").read_text())
    pages = next(ast.literal_eval(n.value) for n in tree.body
                 if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "PAGES")
    actors = {"admin": Actor("admin", "admin"), "operator": Actor("operator", "operator", "33.24"),
              "desa": Actor("desa", "desa", "33.24", ("33.24.01.2001",)), "lihat": Actor("lihat", "viewer")}
    return {user: [title for section in pages.values() for _, title, _, _, action in section
                   if allowed(actor, action)] for user, actor in actors.items()}


#: Streamlit's own record of the script run, on its root element ("notRunning" once a run has
#: finished), with no stale element left: the load test's browser sessions wait for the same.
from payung.operations.loadtest.browser import IDLE  # noqa: E402


def _settled(page: Page) -> None:
    """Wait until no script run is under way and no stale element is left on screen."""
    page.wait_for_function(IDLE, timeout=TIMEOUT)


def after_run(page: Page, action, *, start_timeout: int = TIMEOUT) -> None:
    """Do ``action`` (a click that makes the app run its script) and wait until that run has
    started and finished: a watcher on the root element counts the runs that begin. Each change
    of the state is a record with the value before it, so a run that is over by the time the
    watcher is called still counts."""
    page.evaluate("""() => {
      const app = document.querySelector('[data-testid="stApp"]');
      window.__payungRuns = 0;
      window.__payungFrom = location.href;
      if (window.__payungWatch) window.__payungWatch.disconnect();
      window.__payungWatch = new MutationObserver(records => {
        for (const r of records) {
          if (r.oldValue === 'running' || app.dataset.testScriptState === 'running') window.__payungRuns += 1;
        }
      });
      window.__payungWatch.observe(app, {attributes: true, attributeOldValue: true,
                                         attributeFilter: ['data-test-script-state']});
    }""")
    action()
    # A run seen, or the page's address changed (the server names the new page as its run starts).
    page.wait_for_function("() => window.__payungRuns > 0 || location.href !== window.__payungFrom",
                           timeout=start_timeout)
    _settled(page)


#: The text a person sees: text nodes not hidden (display, visibility) nor shrunk to nothing.
VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    if (!parent || !node.textContent.trim()) continue;
    const style = getComputedStyle(parent);
    if (style.fontSize === '0px' || style.visibility === 'hidden' || !parent.getClientRects().length) continue;
    if (parent.closest('script, style, [aria-hidden="true"]')) continue;
    out.push(node.textContent);
  }
  for (const e of document.querySelectorAll('input, textarea')) out.push(e.placeholder || '');
  return out.join(' | ');
}"""


def _english_on(page: Page) -> list[str]:
    # With the words a screen reader reads where the screen shows none: the keyboard users' first link.
    shown = page.evaluate(VISIBLE_TEXT) + " " + " ".join(page.get_by_test_id("stSkipToContent").all_text_contents())
    return [word for word in ENGLISH if re.search(rf"\b{re.escape(word)}\b", shown)]


@functools.cache
def _streamlit_names() -> frozenset[str]:
    """Every name Streamlit's browser code gives a button for a screen reader (``aria-label``),
    read from the installed Streamlit: a name missing from ``ui.widgets.STREAMLIT_LABELS`` is
    found too, not only the ones it lists."""
    from payung.operations.serve import STREAMLIT_STATIC
    from ui.widgets import STREAMLIT_LABELS
    found = {name for path in (STREAMLIT_STATIC / "js").glob("*.js")
             for name in re.findall(r'"aria-label":`([^`$]*)`', path.read_text(encoding="utf-8", errors="ignore"))}
    assert {"Open", "Clear value", "Expand sidebar"} <= found, "the pattern no longer finds Streamlit's names"
    return frozenset(found | set(STREAMLIT_LABELS))


def _english_names(page: Page) -> list[str]:
    """Streamlit's English names of its buttons for a screen reader (``aria-label``): "Open" on a
    select box, "Help for NIK *" on a help icon, "Expand sidebar", "Show password", ..."""
    names = page.evaluate("() => [...document.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label'))")
    return sorted({n for n in names if n in _streamlit_names() or n.startswith("Help for ")})


def _english_left(page: Page, seconds: float = 10) -> list[str]:
    """The English still shown once the page's styles have come (the piece of Streamlit that
    draws them is fetched the first time a tab shows one): empty as soon as none is left."""
    for _ in range(int(seconds * 4)):
        if not (left := _english_on(page)):
            return []
        page.wait_for_timeout(250)
    return left


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """One demo server for the tests below: each adds only what no other one looks for."""
    from payung.auth.access import Actor
    from payung.core import Payung
    from payung.operations.demo import generate
    from payung.auth.users import add_user
    tmp_path = tmp_path_factory.mktemp("demo-site")
    app = Payung.load(write_config(tmp_path), entry_points=False)
    conn = app.open_db()
    generate(app, conn, workers=60, seed=5)
    system = Actor.system()
    add_user(conn, username="admin", name="Admin", role="admin", password=PASSWORD, actor=system)
    add_user(conn, username="operator", name="Operator", role="operator", password=PASSWORD, actor=system,
             regency_code="33.24")
    add_user(conn, username="desa", name="Operator Desa", role="desa", password=PASSWORD, actor=system,
             villages=("33.24.01.2001",))
    add_user(conn, username="lihat", name="Pemantau", role="viewer", password=PASSWORD, actor=system)
    worker = conn.execute("SELECT id FROM workers ORDER BY id LIMIT 1").fetchone()[0]
    conn.close()
    with running_app(tmp_path, env={"PAYUNG_COOKIE_KEY": "f" * 40}) as url:
        yield url, worker, tmp_path


def test_every_page_of_every_role_in_the_sidebar_in_indonesian_offline(demo_site, browser, tmp_path):
    url, _, _ = demo_site
    shots = Path(os.environ.get("PAYUNG_SCREENSHOTS") or tmp_path / "layar")
    shots.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    problems: list[str] = []
    for user, titles in _pages_by_role().items():
        context = browser.new_context(viewport=SCREEN)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.on("request", lambda request: outside.append(request.url)
                if not re.match(r"^(https?://(127\.0\.0\.1|localhost)[:/]|data:|blob:|about:)", request.url)
                else None)
        page.goto(url)
        log_in(page, user)
        expect_logged_in(page)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav).to_be_visible()
        shown = [t.strip() for t in nav.get_by_role("link").all_inner_texts()]
        # Every page of the role is listed (material icon names come before the title).
        for title in titles:
            assert any(t.endswith(title) for t in shown), f"{user}: {title} not in the sidebar {shown}"
        assert not re.search(r"\bView\b|\bmore\b|\bless\b", nav.inner_text()), f"{user}: a fold in the sidebar"
        for title in titles:
            link = nav.get_by_role("link", name=title, exact=True)
            # The page shown already (Beranda, after the login) is checked as it is: a click on its
            # own link need not start a run, and waiting for one timed out now and then in CI.
            if link.get_attribute("aria-current") != "page":
                after_run(page, link.click)
            page.screenshot(path=str(shots / f"{user}-{re.sub(r'[^a-z]+', '-', title.lower())}.png"))
            problems += [f"{user} / {title}: {word}" for word in _english_on(page)]
            problems += [f"{user} / {title}: named {name!r} to a screen reader" for name in _english_names(page)]
            problems += [f"{user} / {title}: error" for _ in range(page.get_by_test_id("stException").count())]
        context.close()
    print(f"screenshots in {shots}")
    assert not problems, problems
    assert not outside, f"fetched from outside this laptop: {sorted(set(outside))}"


def test_back_to_the_list_returns_to_the_list(demo_site, browser):
    url, worker, _ = demo_site
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    log_in(page, "admin")
    expect_logged_in(page)
    page.get_by_role("link", name="Daftar pekerja").click()
    expect(current(page).get_by_role("heading", name="Daftar pekerja")).to_be_visible()
    _settled(page)
    # The table's hover toolbar speaks Indonesian and covers nothing above the table (issue 22).
    grid = page.locator('[data-testid="stDataFrame"]:visible').first
    grid.hover()
    toolbar = page.locator('[data-testid="stElementToolbar"]:visible').first
    expect(toolbar).to_be_visible()
    above = current(page).get_by_label("Pekerjaan", exact=True).bounding_box()
    assert toolbar.bounding_box()["y"] >= above["y"] + above["height"], (toolbar.bounding_box(), above)
    # It fades in, and takes the pointer only once shown.
    page.wait_for_function("(t) => getComputedStyle(t).opacity === '1'", arg=toolbar.element_handle())
    # No "Download as CSV" (unaudited export: [client] disableDataExport); the other buttons speak Indonesian.
    assert toolbar.get_by_role("button", name=re.compile("Download as CSV|Unduh CSV")).count() == 0
    toolbar.get_by_role("button", name="Cari", exact=True).hover()
    tip = page.locator('[role="tooltip"] [data-testid="stTooltipContent"] p')
    expect(tip).to_be_visible()
    assert page.evaluate("(p) => [getComputedStyle(p).fontSize, getComputedStyle(p, '::after').content]",
                         tip.element_handle()) == ["0px", '"Cari"']
    # Its search box says what to do in Indonesian ("Type to search").
    toolbar.get_by_role("button", name="Cari", exact=True).click()
    status = page.locator(".gdg-search-status").first
    # It searches the rows shown (one page of the list), and says so: "0 hasil" read as nobody registered.
    expect(status).to_have_text("Cari di baris yang tampil")
    page.keyboard.type("a")  # found in many names: "N results", "1 of N results" after Enter
    expect(status).to_have_text(re.compile(r"^\d+ hasil di baris yang tampil$"))
    page.keyboard.press("Enter")
    expect(status).to_have_text(re.compile(r"^1 dari \d+ hasil di baris yang tampil$"))
    page.keyboard.press("Escape")
    page.mouse.move(0, 0)
    # Pick the first row the way a user does: the row marker left of the first data row.
    grid = page.locator('[data-testid="stDataFrame"]:visible').first  # the column set shown at this width
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)
    expect(page.get_by_role("button", name="← Kembali ke daftar")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/pekerja\?id=\d+"))
    current(page).get_by_role("button", name="← Kembali ke daftar").click()
    expect(current(page).get_by_role("heading", name="Daftar pekerja")).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"id="))
    _settled(page)
    expect(page.get_by_role("button", name="← Kembali ke daftar")).to_have_count(0)
    # A deep link to a worker goes back to the list too.
    page.goto(f"{url}/pekerja?id={worker}")
    current(page).get_by_role("button", name="← Kembali ke daftar").click()
    expect(current(page).get_by_role("heading", name="Daftar pekerja")).to_be_visible()
    _settled(page)
    expect(page).not_to_have_url(re.compile(r"id="))
    # The sponsor list the same way: the sponsor picked opened again on "Kembali" (the browser sent
    # the list's picked row back), so the list never came back.
    after_run(page, page.get_by_role("link", name="Daftar penyandang dana").click)
    box = page.locator('[data-testid="stDataFrame"]:visible').first.bounding_box()
    after_run(page, lambda: page.mouse.click(box["x"] + 12, box["y"] + 35 + 17))
    expect(page).to_have_url(re.compile(r"/penyandang-dana\?id=\d+"))
    after_run(page, current(page).get_by_role("button", name="← Kembali ke daftar").click)
    expect(current(page).get_by_role("heading", name="Daftar penyandang dana")).to_be_visible()
    page.wait_for_timeout(1000)  # a sponsor opened again would be opened by the next run, by now
    _settled(page)
    expect(page).not_to_have_url(re.compile(r"id="))
    expect(page.get_by_role("button", name="← Kembali ke daftar")).to_have_count(0)


def test_a_screen_reader_hears_streamlits_buttons_in_indonesian_on_the_login_page(demo_site, browser):
    """The login page too ("Show password"), and a name Streamlit changes in place on a click."""
    url, _, _ = demo_site
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    expect(text(page, "Masuk ke Payung")).to_be_visible()
    _settled(page)
    eye = page.get_by_role("button", name="Tampilkan kata sandi")
    expect(eye).to_have_count(1)
    assert _english_names(page) == []
    eye.click()
    expect(page.get_by_role("button", name="Sembunyikan kata sandi")).to_have_count(1)
    assert _english_names(page) == []
    page.context.close()


@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_the_sidebar_link_of_an_open_worker_leads_to_the_list(demo_site, browser, device):
    """Daftar pekerja in the sidebar, while a worker is open (``?id=``), did nothing: Streamlit
    ran the same page with the same address. It leads to the list, as Kembali does, and a
    phone's sidebar closes after it as after any other link."""
    url, worker, _ = demo_site
    options = PHONE if device == "phone" else {"viewport": {"width": 1366, "height": 768}}
    page = browser.new_context(**options).new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    log_in(page, "admin")
    expect_logged_in(page)
    page.goto(f"{url}/pekerja?id={worker}")
    expect(current(page).get_by_role("button", name="← Kembali ke daftar")).to_be_visible()
    _settled(page)
    if device == "phone":
        page.get_by_test_id("stExpandSidebarButton").tap()
    after_run(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name="Daftar pekerja", exact=True).click)
    expect(current(page).get_by_role("heading", name="Daftar pekerja")).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"id="))
    expect(page.get_by_role("button", name="← Kembali ke daftar")).to_have_count(0)
    if device == "phone":
        expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    page.context.close()


def signed_in_on(browser, url: str, username: str, page_title: str, *,
                 viewport: dict | None = None, **context_options) -> Page:
    """A fresh browser context signed in as ``username``, on the sidebar's page ``page_title``."""
    page = browser.new_context(viewport=viewport or {"width": 1400, "height": 900}, **context_options).new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    log_in(page, username)
    expect_logged_in(page)
    after_run(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name=page_title, exact=True).click)
    return page


def open_first_bill(page: Page) -> None:
    """On Tagihan: pick the first party's row (its marker: the table is drawn on a canvas)."""
    _settled(page)
    box = page.locator('[data-testid="stDataFrame"]:visible').first.bounding_box()
    after_run(page, lambda: page.mouse.click(box["x"] + 12, box["y"] + 35 + 17))


def test_a_bills_spreadsheet_is_made_on_the_click_and_holds_the_bill_the_page_shows(demo_site, browser):
    """Tagihan keeps only a bill's summary and the page of lines it draws; its XLSX is made when
    the button is clicked, by reading the bill again (in the download's own request, not a run of
    the page): every line the page counts, with the total it shows. (That the bill read for the
    file is the bill the page pages through, line for line, is ``test_billing``'s.)"""
    from openpyxl import load_workbook
    url, _, _ = demo_site
    page = signed_in_on(browser, url, "admin", "Tagihan", accept_downloads=True)
    expect(current(page).get_by_role("heading", name="Tagihan iuran")).to_be_visible()
    open_first_bill(page)
    button = current(page).get_by_role("button", name="Unduh XLSX")
    expect(button).to_be_visible()
    shown = current(page).get_by_text(re.compile(r"^Menampilkan \S+ dari \S+ data$")).inner_text()
    heading = current(page).get_by_text(re.compile(r"^Total Rp")).inner_text()
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    rows = list(load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))["Tagihan"].iter_rows(values_only=True))
    header = {row[0]: row[1] for row in rows if row and isinstance(row[0], str)}
    lines = [row for row in rows if row and isinstance(row[0], int)]
    assert len(lines) == header["Jumlah baris"] == int(shown.split(" dari ")[1].split()[0].replace(".", "")) > 0
    assert heading.startswith(f"Total Rp{header['Total tagihan']:,}".replace(",", "."))
    assert sum(row[9] for row in lines) == header["Total tagihan"]
    page.context.close()


def test_a_download_clicked_after_the_session_ended_gives_no_file_and_shows_the_login_page(demo_site, browser):
    """A tab drawn while the session was live, clicked after it ended elsewhere (Keluar in another
    tab, an administrator's "Keluarkan"): no file, no English error under the button, and the
    click's run shows the login page at once. (``live_download`` refuses the file; its cases are
    ``test_sessions_pages``'s.)"""
    url, _, tmp_path = demo_site
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.goto(url)
    expect_login_page(page)
    _settled(page)
    assert not (english := _english_left(page)), english  # the login page as it first shows
    log_in(page, "lihat")
    expect_logged_in(page)
    after_run(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name="Daftar pekerja", exact=True).click)
    button = current(page).get_by_role("button", name=re.compile(r"^Unduh daftar"))
    expect(button).to_be_visible()
    db = _db(tmp_path)
    db.execute("UPDATE sessions SET ended_at = '2026-01-01T00:00:00', ended_reason = 'logout' WHERE ended_at IS NULL "
               "AND user_id = (SELECT id FROM users WHERE username = 'lihat')")
    db.commit()
    db.close()
    button.click()
    expect_login_page(page)
    page.wait_for_timeout(1500)  # the refused file's answer has come back by now
    assert downloads == []
    assert page.get_by_test_id("stDownloadButtonError").count() == 0
    assert not (english := _english_left(page)), english
    context.close()


def test_a_party_picked_on_tagihan_brings_its_bill_into_view(demo_site, browser):
    """At 1366x768 a party's bill is drawn below the fold: its pick seemed to change nothing but
    the tick. The page goes to the bill's heading and figures (only in the run of the pick:
    ``test_money_pages``)."""
    url, _, _ = demo_site
    page = signed_in_on(browser, url, "admin", "Tagihan", viewport=SCREEN)
    open_first_bill(page)
    bill = page.locator('[data-testid="stMain"] .st-key-t_bill_top').first
    expect(bill).to_contain_text("Total Rp")
    in_view = "(b) => { const r = b.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
    page.wait_for_function(in_view, arg=bill.element_handle(), timeout=10_000)
    page.context.close()


def test_a_table_given_a_height_keeps_its_last_row_clear_of_the_line_under_it(demo_site, browser):
    """A bill's lines are a table given a height (its rows'): the room made above a table for its
    toolbar was taken from that height, and "Menampilkan 1-1 dari 1 data" was drawn over the
    last line."""
    url, _, _ = demo_site
    page = signed_in_on(browser, url, "admin", "Tagihan", viewport=SCREEN)
    open_first_bill(page)
    shown = current(page).get_by_text(re.compile(r"^Menampilkan \S+ dari (\S+) data$"))
    expect(shown).to_be_visible()
    rows = int(re.search(r"dari (\S+) data", shown.inner_text())[1].replace(".", ""))
    # Both boxes at one instant: the pick scrolls the page to the bill (smoothly), and two boxes
    # taken one after the other during that scroll disagreed by its distance.
    lines, below = page.evaluate("""([shown]) => {
        const tables = [...document.querySelectorAll('[data-testid="stDataFrame"]')].filter(t => t.offsetParent);
        const box = (e) => { const r = e.getBoundingClientRect(); return {y: r.y, height: r.height}; };
        return [box(tables[tables.length - 1]), box(shown)];
    }""", [shown.element_handle()])
    assert lines["height"] >= 35 * (1 + min(rows, 10)), lines  # the heading and every row drawn in it
    assert below["y"] >= lines["y"] + lines["height"], (below, lines)
    page.context.close()


def _open_column_menu(page: Page, grid, column: str | None = None, xs=range(140, 260, 6)) -> None:
    """The column menu of a table's first column (or of ``column``, looked for at ``xs``): its
    button shows at the right end of the header while the mouse is over it (the header is drawn
    on a canvas: no element to click)."""
    box = grid.bounding_box()
    menu = page.get_by_test_id("stDataFrameColumnMenu")
    for x in xs:
        page.mouse.move(box["x"] + x - 40, box["y"] + 17)
        page.mouse.click(box["x"] + x, box["y"] + 17)
        page.wait_for_timeout(300)
        if menu.count() and (column is None or menu.locator(f'[title="{column}"]').count()):
            return
        page.keyboard.press("Escape")
    raise AssertionError(f"the column menu of {column or 'the first column'} did not open")


def test_a_tables_column_menu_and_its_statistics_speak_indonesian(demo_site, browser):
    """Streamlit writes its table menus' words in English and draws them only when a menu opens
    ("Sort ascending", "Pin column", "Statistics", "Distinct", ...): every one of them is said
    in Indonesian (``ui.widgets.STREAMLIT_WORDS``)."""
    from ui.widgets import STREAMLIT_WORDS
    url, _, _ = demo_site
    page = signed_in_on(browser, url, "admin", "Daftar pekerja")
    _open_column_menu(page, page.locator('[data-testid="stDataFrame"]:visible').first)
    menu = page.get_by_test_id("stDataFrameColumnMenu")
    expect(menu.get_by_role("menuitem", name="Urutkan naik")).to_be_visible()
    menu.get_by_role("menuitem", name="Statistik").hover()
    statistics = page.get_by_test_id("stDataFrameStatisticsMenu")
    expect(statistics.get_by_text("Nilai berbeda")).to_be_visible()
    shown = menu.inner_text() + "\n" + statistics.inner_text()
    english = [word for word in STREAMLIT_WORDS if re.search(rf"(^|\n){re.escape(word)}($|\n)", shown)]
    assert not english, english
    # The copy button's tooltip and the menu's name to a screen reader too.
    assert menu.get_by_role("button", name="Salin nama kolom").count() == 1
    assert menu.get_by_role("menu", name="Menu kolom tabel").count() == 1
    page.context.close()


def test_a_number_columns_statistics_speak_indonesian_and_leave_the_tab_working(demo_site, browser):
    """A number column's statistics (Tagihan's "Pekerja"): "Median" was said as itself, and the
    script wrote it again at every change it made, which froze the tab."""
    url, _, _ = demo_site
    page = signed_in_on(browser, url, "admin", "Tagihan")
    _settled(page)
    _open_column_menu(page, page.locator('[data-testid="stDataFrame"]:visible').first, "Pekerja", range(200, 480, 6))
    page.get_by_test_id("stDataFrameColumnMenu").get_by_role("menuitem", name="Statistik").hover()
    statistics = page.get_by_test_id("stDataFrameStatisticsMenu")
    expect(statistics.get_by_text("Nilai tengah")).to_be_visible()
    expect(statistics.get_by_text("Rata-rata")).to_be_visible()
    assert page.evaluate("() => new Promise(done => setTimeout(() => done(1 + 1), 100))", ) == 2  # the tab answers
    page.context.close()


def test_a_date_boxs_calendar_speaks_indonesian_in_an_english_browser(demo_site, browser):
    """Streamlit names a calendar's months and days in the browser's language: on a laptop set
    to English they were "December", "Su Mo Tu". Payung tells the tab its language is Indonesian."""
    import datetime as dt
    from payung.base.months import MONTH_NAMES
    url, _, _ = demo_site
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    log_in(page, "admin")
    expect_logged_in(page)
    page.wait_for_function("navigator.language === 'id-ID'")  # told with the page's first run
    # The next run draws in Indonesian: a page opened from the menu, as people do.
    after_run(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name="Tambah/ubah pekerja").click)
    current(page).get_by_test_id("stDateInput").first.get_by_test_id("stDateInputCalendarButton").click()
    calendar = page.get_by_test_id("stDateInputCalendar")
    this_month = MONTH_NAMES[dt.date.today().month - 1]
    expect(calendar).to_contain_text(this_month)
    shown = calendar.inner_text()
    english = [m for m in ("January", "February", "March", "May", "June", "July", "August", "October", "December")
               if m in shown]  # the months whose names differ
    assert not english, english
    context.close()


def test_typing_and_tabbing_as_people_do(demo_site, browser):
    """Streamlit's own words while typing are Indonesian; a password followed by Tab (focus on its
    show-password button) is kept and the user is created, the form then empty; the worker list
    comes back from a worker with its search box still saying what it filters."""
    url, _, folder = demo_site
    page = browser.new_context(viewport=SCREEN).new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    log_in(page, "admin")
    expect_logged_in(page)
    page.get_by_role("link", name="Daftar pekerja").click()
    expect(page.get_by_role("heading", name="Daftar pekerja")).to_be_visible()
    _settled(page)
    search = textbox(page, "Cari nama atau NIK")
    search.click()
    page.keyboard.type("Sri")
    expect(page.locator('[data-testid=InputInstructions] span').first).to_be_attached()
    assert not _english_on(page), _english_on(page)  # "Press Enter to apply"
    said = page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=InputInstructions] span'),"
                         " '::after').content")
    assert said == '"Tekan Enter untuk menerapkan"'
    page.keyboard.press("Enter")
    _settled(page)
    open_choices(page, "Pekerjaan")
    page.keyboard.type("zzzq")
    # The list has drawn its "nothing matches" entry before the page is read for English.
    empty = page.locator('[role="option"]:not([data-key]) > span').first
    expect(empty).to_be_attached()
    said = page.evaluate("(e) => getComputedStyle(e, '::after').content", empty.element_handle())
    assert said == '"Tidak ada yang cocok"'
    assert not _english_on(page), _english_on(page)  # "No results"
    page.keyboard.press("Escape")
    # Back from a worker: the list and its search box agree.
    grid = page.locator('[data-testid="stDataFrame"]:visible').first  # the column set shown at this width
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)
    page.get_by_role("button", name="← Kembali ke daftar").click()
    expect(page.get_by_role("heading", name="Daftar pekerja")).to_be_visible()
    _settled(page)
    expect(textbox(page, "Cari nama atau NIK")).to_have_value("Sri")
    # A new user: the password is typed, then Tab, then Tambah pengguna.
    page.get_by_role("link", name="Pengguna").click()
    expect(page.get_by_role("heading", name="Tambah pengguna")).to_be_visible()
    choose(page, "Peran *", "Pemantau (hanya lihat)")
    _settled(page)
    textbox(page, "Nama pengguna *").fill("tes.tab")
    textbox(page, "Nama lengkap *").fill("tes tab")
    password = page.locator('input[aria-label="Kata sandi awal *"]')
    password.click()
    page.keyboard.type("Kopi-Tubruk-Pagi-77", delay=10)
    page.keyboard.press("Tab")
    _settled(page)
    page.get_by_role("button", name="Tambah pengguna").click()
    expect(page.get_by_text("Pengguna tes.tab dibuat.")).to_be_visible()
    _settled(page)
    expect(textbox(page, "Nama pengguna *")).to_have_value("")
    expect(password).to_have_value("")
    with _db(folder) as conn:
        assert conn.execute("SELECT name FROM users WHERE username = 'tes.tab'").fetchone() == ("Tes Tab",)


# A village operator on a phone (issue 22) -------------------------------------------------------

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def _in_view(page: Page, locator) -> bool:
    """Whether ``locator`` is wholly inside the viewport as it is scrolled now."""
    box = locator.bounding_box()
    return bool(box) and box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]


def tap_choice(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in a select box by touch (a click does not open it on a touch screen)."""
    _settled(page)
    box = current(page).get_by_label(label, exact=True)
    expect(box).to_have_count(1)
    box.tap()
    page.keyboard.type(option[:25])
    page.get_by_role("option", name=option).first.tap()
    _settled(page)


def test_on_a_phone_keluar_shows_the_login_form_and_the_next_sign_in_a_page_not_the_menu(demo_site, browser):
    """The sidebar opened to press Keluar stayed over the login form now and then (empty, 2 times
    in 4), and Streamlit kept it open for the next sign-in in the tab: its page was covered."""
    url, _, _ = demo_site
    page = browser.new_context(**PHONE).new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    log_in(page, "desa")
    expect_logged_in(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_have_attribute("data-collapsed", "true")
    page.get_by_test_id("stExpandSidebarButton").tap()
    expect(sidebar).to_have_attribute("data-collapsed", "false")
    after_run(page, sidebar.get_by_role("button", name="Keluar").tap)
    expect(page.get_by_role("button", name="Masuk")).to_be_visible()
    _settled(page)
    expect(sidebar).to_be_hidden()
    log_in(page, "desa")
    expect_logged_in(page)
    _settled(page)
    expect(sidebar).to_have_attribute("data-collapsed", "true")
    expect(page.get_by_test_id("stExpandSidebarButton")).to_be_visible()
    page.context.close()


def test_a_village_operator_on_a_phone_adds_finds_and_opens_a_worker(demo_site, browser, tmp_path):
    """390x844, touch: the first figure of the Beranda without scrolling; a worker added on
    Tambah pekerja, the confirmation and the links to the next steps seen where the eye is (Simpan
    is below the fold, the links under it were below the fold as well); the worker
    found in the list, whose phone columns show the status, and opened, with the status."""
    url, _, _ = demo_site
    shots = Path(os.environ.get("PAYUNG_SCREENSHOTS") or tmp_path / "layar")
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    log_in(page, "desa")
    expect_logged_in(page)
    _settled(page)
    # The figures come before the four filters on a phone.
    first = current(page).get_by_test_id("stMetric").first
    expect(first).to_be_visible()
    assert _in_view(page, first), first.bounding_box()
    page.screenshot(path=str(shots / "hp-beranda.png"))

    # Tambah pekerja, from the sidebar as a phone opens it.
    page.get_by_test_id("stExpandSidebarButton").tap()
    after_run(page, page.get_by_role("link", name="Tambah/ubah pekerja").tap)
    expect(current(page).get_by_role("heading", name="Tambah pekerja")).to_be_visible()
    if page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "false":
        page.get_by_test_id("stSidebarCollapseButton").locator("button").tap()  # it stays over the page
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    textbox(page, "NIK *").fill("3324015708750992")
    textbox(page, "NIK *").press("Tab")
    expect(text(page, "Dari NIK: lahir 17/08/1975, perempuan")).to_be_visible()
    textbox(page, "Nama lengkap (sesuai KTP) *").fill("Rukmini Uji Ponsel")
    textbox(page, "Nama lengkap (sesuai KTP) *").press("Tab")
    _settled(page)
    tap_choice(page, "Desa/kelurahan domisili *", "Blumah")
    tap_choice(page, "Pekerjaan *", "Petani")
    income = textbox(page, "Penghasilan yang dilaporkan (Rp per bulan)")
    income.fill("1250000")
    income.press("Tab")
    expect(income).to_have_value("1.250.000")  # separators as soon as it is typed
    save = current(page).get_by_role("button", name="Simpan")
    save.evaluate("(button) => button.scrollIntoView({block: 'end'})")  # scrolled just as far as Simpan
    expect(current(page).get_by_role("heading", name="Tambah pekerja")).not_to_be_in_viewport()  # the top is off screen
    after_run(page, save.tap)
    saved = current(page).get_by_text("Rukmini Uji Ponsel terdaftar sebagai pekerja.")
    expect(saved).to_be_in_viewport(ratio=1)  # seen without scrolling
    # The steps that follow, drawn under Simpan, were below the fold: the page brings them into view.
    for step in ("Lihat data pekerja", "Daftarkan kepesertaan"):
        expect(current(page).get_by_role("link", name=step)).to_be_in_viewport(ratio=1)
    page.screenshot(path=str(shots / "hp-tersimpan.png"))
    expect(textbox(page, "NIK *")).to_have_value("")

    # Find her in the list: the phone's columns (name, status, village), then open her.
    page.goto(f"{url}/pekerja")
    _settled(page)
    textbox(page, "Cari nama atau NIK").fill("Rukmini Uji")
    textbox(page, "Cari nama atau NIK").press("Enter")
    expect(text(page, "Menampilkan 1–1 dari 1 data")).to_be_visible()
    _settled(page)
    grids = page.locator('[data-testid="stDataFrame"]:visible')
    expect(grids).to_have_count(1)
    columns = grids.first.locator('[role="columnheader"]')
    expect(columns.first).to_be_attached()
    headers = [h.strip() for h in columns.all_text_contents() if h.strip()]
    assert headers[:2] == ["Nama", "Status bulan ini"], headers
    page.screenshot(path=str(shots / "hp-daftar.png"))
    box = grids.first.bounding_box()
    after_run(page, lambda: page.touchscreen.tap(box["x"] + 15, box["y"] + 35 + 17))
    expect(current(page).get_by_role("heading", name="Rukmini Uji Ponsel")).to_be_visible()
    status = current(page).get_by_text("Status bulan ini: Tidak ditanggung")
    expect(status).to_be_visible()
    assert _in_view(page, status)
    page.screenshot(path=str(shots / "hp-pekerja.png"))
    context.close()


def test_a_saved_workers_toast_stays_on_the_page_it_was_saved_on(demo_site, browser):
    """"... terdaftar sebagai pekerja." as a toast followed the person onto Kepesertaan (its link
    "Daftarkan kepesertaan"), where it read as said again: Streamlit keeps a toast for its whole
    duration, over the next page too. It closes when another page opens. The pointer rests on the
    toast, which holds its timer: without the close it stays there, whatever the time taken."""
    url, _, _ = demo_site
    page = signed_in_on(browser, url, "desa", "Tambah/ubah pekerja", viewport=SCREEN)
    _settled(page)
    textbox(page, "NIK *").fill("3324015708750981")
    textbox(page, "NIK *").press("Tab")
    expect(text(page, "Dari NIK: lahir 17/08/1975, perempuan")).to_be_visible()
    _settled(page)
    textbox(page, "Nama lengkap (sesuai KTP) *").fill("Rukmini Uji Toast")
    textbox(page, "Nama lengkap (sesuai KTP) *").press("Tab")
    _settled(page)
    expect(textbox(page, "Nama lengkap (sesuai KTP) *")).to_have_value("Rukmini Uji Toast")
    choose(page, "Desa/kelurahan domisili *", "Blumah")
    choose(page, "Pekerjaan *", "Petani")
    after_run(page, current(page).get_by_role("button", name="Simpan").click)
    toast = page.get_by_test_id("stToast").filter(has_text="Rukmini Uji Toast terdaftar sebagai pekerja.")
    expect(toast).to_be_visible()
    toast.hover()
    link = current(page).get_by_role("link", name="Daftarkan kepesertaan")
    link.focus()
    after_run(page, lambda: link.press("Enter"))
    expect(current(page).get_by_role("heading", name="Daftarkan kepesertaan")).to_be_visible()
    expect(toast).to_have_count(0)
    page.context.close()


#: Every tab of the page's first tab strip whole inside the strip and the window (the labels);
#: ``one_line``: all of them on one line.
TABS_WHOLE = """(oneLine) => {
  const strip = document.querySelector('[data-testid="stTabs"] [role="tablist"]');
  const tabs = strip ? [...strip.querySelectorAll('[role="tab"]')] : [];
  if (tabs.length < 2) return false;
  const box = strip.getBoundingClientRect();
  const whole = tabs.every((tab) => {
    const r = tab.getBoundingClientRect();
    return r.width > 0 && r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.left >= 0
      && r.right <= window.innerWidth;
  });
  return whole && (!oneLine || new Set(tabs.map((tab) => Math.round(tab.getBoundingClientRect().top))).size === 1);
}"""


@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_every_tab_label_of_tunggakan_is_whole_on_screen(demo_site, browser, device):
    """At 390 px Tunggakan's tab strip scrolled sideways and cut off its first or last label ("Sudah
    selesai, belum diperpanjang (3)"): on a phone the strip wraps, every label whole; a laptop
    keeps the four on one line."""
    url, _, _ = demo_site
    page = browser.new_context(**(PHONE if device == "phone" else {"viewport": {"width": 1366, "height": 768}})).new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{url}/tunggakan")
    log_in(page, "operator")
    expect_logged_in(page)
    expect(current(page).get_by_role("heading", name="Tunggakan & perpanjangan")).to_be_visible()
    expect(page.get_by_role("tab")).to_have_count(4)
    page.wait_for_function(TABS_WHOLE, arg=device == "laptop", timeout=TIMEOUT)
    page.context.close()


def test_a_filter_box_nobody_touched_offers_no_clear_after_a_later_run(demo_site, browser):
    """Tunggakan's Skema box, never touched, showed a clear (x) after Perpanjang (any later run):
    Streamlit drew it with a default in its first run and without one in the next (``or_all``).
    It stays on "Semua skema" with no (x)."""
    url, _, _ = demo_site
    page = signed_in_on(browser, url, "operator", "Tunggakan & perpanjangan", viewport=SCREEN)
    expect(current(page).get_by_role("heading", name="Tunggakan & perpanjangan")).to_be_visible()
    _settled(page)
    page.get_by_role("tab", name=re.compile("^Segera selesai")).click()
    after_run(page, current(page).get_by_role("button", name="Perpanjang").first.click)
    expect(current(page).get_by_role("button", name="Batal")).to_be_visible()
    box = current(page).get_by_test_id("stSelectbox").filter(has=page.get_by_label("Skema", exact=True))
    expect(box).to_have_count(1)
    expect(box.get_by_role("button", name=re.compile(r"^(Kosongkan|Clear value)$"))).to_have_count(0)
    expect(page.get_by_label("Skema", exact=True)).to_have_attribute("placeholder", "Semua skema")
    page.context.close()


def test_on_a_phone_the_sponsor_list_fits_the_screen_with_every_kind_whole(demo_site, browser):
    """390 px: the sponsor list's Jenis column was cut at the screen's right edge ("ASN (PNS/non-P").
    The table is no wider than the screen, and each kind's phone label, measured in the table's
    own font, fits the column (its text between the cell's 8 px margins)."""
    from payung.base.sponsor_types import SPONSOR_TYPES
    from test_page_layout import phone_kind_width
    url, _, _ = demo_site
    page = browser.new_context(**PHONE).new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{url}/penyandang_dana")
    log_in(page, "operator")
    expect_logged_in(page)
    grid = page.locator('[data-testid="stDataFrame"]:visible')
    expect(grid).to_have_count(1)
    expect(grid.locator('[role="columnheader"]').first).to_be_attached()
    scroller = grid.locator(".dvn-scroller")
    assert scroller.evaluate("e => e.scrollWidth <= e.clientWidth"), scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    font = grid.evaluate("e => getComputedStyle(e).fontFamily")
    widths = page.evaluate("""([labels, font]) => { const c = document.createElement('canvas').getContext('2d');
        c.font = `14px ${font}`; return labels.map(l => [l, c.measureText(l).width]); }""",
                           [[t.short_label for t in SPONSOR_TYPES.values()], font])
    too_wide = [(label, round(w)) for label, w in widths if w > phone_kind_width() - 16]
    assert not too_wide, (too_wide, phone_kind_width(), font)
    page.context.close()


def test_a_table_offers_no_unaudited_csv_download_or_copy(tmp_path, browser):
    """The dataframe toolbar's "Download as CSV" took a list's full NIKs out with no audit entry:
    ``[client] disableDataExport`` in .streamlit/config.toml removes it (the toolbar stays)."""
    with running_app(tmp_path, users=("ani", "budi")) as url:
        page = new_page(browser, url)
        log_in(page, "ani")
        expect_logged_in(page)
        after_run(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name="Pengguna", exact=True).click)
        grid = current(page).get_by_test_id("stDataFrame").first
        expect(grid).to_be_visible()
        grid.hover()
        toolbar = page.get_by_test_id("stElementToolbar").first
        expect(toolbar.get_by_role("button").first).to_be_visible()
        assert toolbar.get_by_role("button", name=re.compile("Download|CSV", re.I)).count() == 0, \
            toolbar.inner_html()[:500]
        page.context.close()


def test_no_other_site_may_drive_payung_from_a_frame(tmp_path):
    """Streamlit tells its page which parent frames it may take commands from (rerun, stop, a page
    change, an auth token): by default the pages of Streamlit's own cloud. ``[client]
    allowedOrigins = []`` in .streamlit/config.toml allows none."""
    import json
    with running_app(tmp_path) as url:
        answer = json.loads(urllib.request.urlopen(f"{url}/_stcore/host-config", timeout=10).read())
    assert answer["allowedOrigins"] == [], answer


UNCAUGHT_SCRIPT = '''import sys
sys.path.insert(0, %r)
from ui.widgets import indonesian_page
indonesian_page()
raise ValueError("NIK 3324015708750001 di /root/rahasia.py")
'''


def test_an_error_no_page_caught_shows_no_traceback_and_is_said_in_indonesian(tmp_path, browser):
    """What an uncaught error shows in the browser (.streamlit/config.toml): no traceback with the
    server's paths and source, no message (it can hold personal data), no "Ask Google" link that
    would take it off the laptop; a message in Indonesian that says what to do."""
    from ui.widgets import STREAMLIT_WORDS, UNCAUGHT_ERROR
    script = tmp_path / "galat.py"
    script.write_text(UNCAUGHT_SCRIPT % str(ROOT), encoding="utf-8")
    with running_app(tmp_path, script=str(script)) as url:
        page = new_page(browser, url)
        expect(page.get_by_text(STREAMLIT_WORDS[UNCAUGHT_ERROR])).to_be_visible()
        body = page.locator("body").inner_text()
        for leak in ("3324015708750001", "rahasia", "Traceback", "ValueError", "Ask Google", "Ask ChatGPT",
                     "This app has encountered"):
            assert leak not in body, leak
        page.context.close()
