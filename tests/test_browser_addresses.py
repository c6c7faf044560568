"""Addresses a person types, pastes or bookmarks, opened fresh in Chromium (ui.addresses): each
opens a page, in Indonesian, never Streamlit's English "Page not found"; the same behind nginx
(``python -m payung serve --processes 2``)."""

from __future__ import annotations

import re

import pytest

from test_browser import (TIMEOUT, current, expect_logged_in, log_in, login_cookie,  # skips without Chromium
                          new_page, running_app)
from test_serve import served  # noqa: F401  (the fixture: two processes behind nginx)
from conftest import PASSWORD  # the demo site's

from playwright.sync_api import Page, expect  # noqa: E402

# One worker runs every browser test (pytest-xdist's loadgroup): one Chromium and one demo server at a time.
pytestmark = pytest.mark.xdist_group("browser")

NOT_FOUND = "Page not found"


def opened(browser, url: str, cookies: list | None = None) -> Page:
    """A fresh tab at ``url`` that records whether Streamlit's English modal ever showed (it stays
    until closed, but a reload would take it away unseen by a check at the end)."""
    page = new_page(browser, cookies=cookies)
    page.add_init_script("""new MutationObserver(() => {
        if (document.body && document.body.innerText.includes('Page not found')) {
            sessionStorage.setItem('payungNotFound', '1'); }
    }).observe(document, {childList: true, subtree: true, characterData: true});""")
    page.goto(url)
    return page


def never_not_found(page: Page, *, first_run: bool = False) -> None:
    """No English modal on screen, nor ever in this tab; ``first_run``: the tab made a server
    process's first run, where Streamlit shows the modal before Payung has run at all, for the
    moment it takes the browser to load the address again (ui.addresses.leave_folder_mode)."""
    expect(page.get_by_text(NOT_FOUND)).to_have_count(0)
    if not first_run:
        assert page.evaluate("sessionStorage.getItem('payungNotFound')") is None, "the English modal showed"


def heading(page: Page, name: str):
    return current(page).get_by_role("heading", name=name, exact=True)


def notice(address: str) -> str:
    return f"Halaman /{address} tidak ada; Anda dibawa ke Beranda."


def test_typed_addresses_open_a_page(tmp_path, browser):
    """On a freshly started server: an unknown address (its first run, Streamlit's pages/ folder
    mode) shows the login, then Beranda with a notice; a signed-in person's /PEKERJA, /beranda,
    /pekerja/ and /pekerja_form open their page, /tidak-ada Beranda with the notice."""
    with running_app(tmp_path, users=("ani",), env={"PAYUNG_COOKIE_KEY": "c" * 40}) as url:
        page = opened(browser, f"{url}/tidak-ada")
        expect(current(page).get_by_text("Masuk ke Payung")).to_be_visible()
        log_in(page, "ani")
        expect_logged_in(page)
        expect(heading(page, "Beranda")).to_be_visible()
        expect(current(page).get_by_text(notice("tidak-ada"))).to_be_visible()
        never_not_found(page, first_run=True)
        cookies = login_cookie(page)
        page.context.close()

        for address, title in (("PEKERJA", "Daftar pekerja"), ("beranda", "Beranda"), ("pekerja/", "Daftar pekerja"),
                               ("pekerja_form", "Tambah pekerja"), ("tidak-ada", "Beranda")):
            page = opened(browser, f"{url}/{address}", cookies=cookies)
            expect(heading(page, title)).to_be_visible()
            expect(current(page).get_by_text("Anda dibawa ke Beranda")).to_have_count(1 if address == "tidak-ada" else 0)
            never_not_found(page)
            if address != "tidak-ada":
                expect(page).to_have_url(re.compile(r"/(pekerja|pekerja-form)?$"))
            page.context.close()


@pytest.mark.sqlite_only("nginx and the addresses are the same on both engines")
def test_addresses_behind_nginx(served, browser):  # noqa: F811
    """Behind nginx and two processes: the same addresses, fresh, and a deep link that lands
    after signing in."""
    url, _, _ = served
    page = opened(browser, f"{url}/PEKERJA")
    log_in(page, "admin", PASSWORD)
    expect_logged_in(page)
    expect(heading(page, "Daftar pekerja")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/pekerja$"))
    never_not_found(page, first_run=True)
    cookies = page.context.cookies()  # the login and the route to the process that now runs app.py
    page.context.close()

    for address, title in (("beranda", "Beranda"), ("tidak-ada", "Beranda"), ("pekerja/", "Daftar pekerja"),
                           ("pekerja/123", "Daftar pekerja")):  # deeper than a page: nginx sends it to the page
        page = opened(browser, f"{url}/{address}", cookies=cookies)
        expect(heading(page, title)).to_be_visible(timeout=TIMEOUT)
        if address == "tidak-ada":
            expect(current(page).get_by_text(notice("tidak-ada"))).to_be_visible()
        never_not_found(page)
        page.context.close()


def test_penyiapan_on_a_fresh_server_with_users_opens_the_login(tmp_path, browser):
    """A server process's first run at /penyiapan ran pages/penyiapan.py by itself (Streamlit's
    folder mode, before app.py's navigation): the setup form, "Belum ada pengguna", the page
    files listed by name, and a new setup code printed, on a database with users. Now the
    login, and no setup code."""
    with running_app(tmp_path, users=("ani",), env={"PAYUNG_COOKIE_KEY": "c" * 40}) as url:
        page = opened(browser, f"{url}/penyiapan")
        expect(current(page).get_by_text("Masuk ke Payung")).to_be_visible()
        expect(page.get_by_text("Kode penyiapan")).to_have_count(0)
        expect(page.get_by_text("Belum ada pengguna")).to_have_count(0)
        expect(page.get_by_text("pekerja form")).to_have_count(0)
        page.context.close()
    assert "kode penyiapan" not in (tmp_path / "streamlit.log").read_text()
