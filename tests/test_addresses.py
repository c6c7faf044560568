"""Addresses a person types (ui.addresses): ``/beranda``, ``/PEKERJA``, ``/tidak-ada`` open a page,
never Streamlit's English "Page not found". The browser side (a fresh load of each, behind
nginx too) is in test_browser_addresses.py."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ui import addresses

from conftest import ROOT, logged_in

NOTICE = "Anda dibawa ke Beranda"
pytestmark = pytest.mark.sqlite_only("an address is the same on both engines")


def test_the_address_asked_for_is_read_from_streamlit():
    """ui.addresses reads a Streamlit internal (1.67): this fails when an upgrade changes it."""
    from streamlit.runtime.pages_manager import PagesManager

    manager = PagesManager(str(ROOT / "app.py"), setup_watcher=False)
    manager.set_script_intent("", "tidak-ada")  # a fresh load of /tidak-ada
    assert addresses.asked_for(manager) == "tidak-ada"
    manager.set_script_intent("", "")  # of /
    assert addresses.asked_for(manager) == ""
    manager.set_script_intent("abc123", "")  # a click: asked for by page
    assert addresses.asked_for(manager) is None
    # ...and a page registered at the address is the one Streamlit runs for it (no "Page not found").
    manager.set_script_intent("", "tidak-ada")
    pages = {"h1": {"page_script_hash": "h1", "page_name": "Beranda", "icon": "", "script_path": "b.py",
                    "url_pathname": ""},
             "h2": {"page_script_hash": "h2", "page_name": "Alamat", "icon": "", "script_path": "a.py",
                    "url_pathname": "tidak-ada"}}
    assert manager.set_pages_and_resolve(pages, fallback_page_hash="h1")["page_script_hash"] == "h2"


def opened_at(monkeypatch, address: str, user: str | None = "admin") -> AppTest:
    """A browser session opened at ``http://localhost:8501/<address>``. AppTest cannot ask for an
    address: its first run is told it was (``asked_for``) and shows the default page, then comes the
    run Streamlit makes of the address, resolved by url_path to the page ui.addresses registered."""
    monkeypatch.setattr(addresses, "asked_for", lambda manager: None if manager.intended_page_script_hash else address)
    monkeypatch.setattr(addresses, "folder_mode", lambda: False)  # AppTest runs every run in it
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in (logged_in(user) if user else {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    at.switch_page(addresses.STRAY_PAGE).run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("title", "subheader", "markdown", "info") for e in getattr(at, kind))


def infos(at: AppTest) -> list[str]:
    return [e.value for e in at.info]


def test_an_address_in_other_letters_opens_its_page(site, monkeypatch):
    at = opened_at(monkeypatch, "PEKERJA")
    assert [t.value for t in at.title][:1] == ["Daftar pekerja"]
    assert not [text for text in infos(at) if NOTICE in text]


def test_beranda_opens_beranda_without_a_notice(site, monkeypatch):
    at = opened_at(monkeypatch, "Beranda")
    assert [t.value for t in at.title][:1] == ["Beranda"]
    assert not [text for text in infos(at) if NOTICE in text]


def test_an_unknown_address_lands_on_beranda_with_a_notice(site, monkeypatch):
    at = opened_at(monkeypatch, "tidak-ada")
    assert "Halaman /tidak-ada tidak ada; Anda dibawa ke Beranda." in infos(at)
    at.run()  # a rerun on Beranda (a filter, a component's answer) keeps it
    assert "Halaman /tidak-ada tidak ada; Anda dibawa ke Beranda." in infos(at)
    at.switch_page("pages/pekerja.py").run()  # gone once the person goes elsewhere
    assert not [text for text in infos(at) if NOTICE in text]


def test_what_an_address_shows_is_escaped_and_short(site, monkeypatch):
    at = opened_at(monkeypatch, "**tebal**%3Cb%3E" + "x" * 200)
    [notice] = [text for text in infos(at) if NOTICE in text]
    assert "\\*\\*tebal\\*\\*" in notice and "…" in notice and len(notice) < 160


def test_a_file_name_for_an_address_opens_its_page(site, monkeypatch):
    at = opened_at(monkeypatch, "Pekerja_Form")
    assert [t.value for t in at.title][:1] == ["Tambah pekerja"]


def test_a_page_the_role_may_not_open_says_so(site, monkeypatch):
    at = opened_at(monkeypatch, "kop-surat", user="desa")
    assert "Halaman Kop surat tidak terbuka untuk peran Anda; Anda dibawa ke Beranda." in infos(at)


def test_signed_out_the_login_comes_first_then_the_page(site, monkeypatch):
    at = opened_at(monkeypatch, "Pekerja", user=None)
    assert "Masuk ke Payung" in texts(at)
    for key, value in logged_in("admin").items():  # signed in (the form's part is test_browser's)
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title][:1] == ["Daftar pekerja"]


def test_an_address_a_page_has_adds_no_page(site, monkeypatch):
    monkeypatch.setattr(addresses, "asked_for", lambda manager: None if manager.intended_page_script_hash else "pekerja")
    monkeypatch.setattr(addresses, "folder_mode", lambda: False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in logged_in("admin").items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # no hidden page for it
        at.switch_page(addresses.STRAY_PAGE)
