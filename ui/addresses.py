"""Addresses a person types, pastes or bookmarks: ``/beranda``, ``/PEKERJA``, ``/tidak-ada``.

Streamlit answers an address that no page has with an English "Page not found" modal over the
default page. Here the address a browser session was opened at (``asked_for``) becomes a hidden
page of its own when no page has exactly that address, so Streamlit finds it; app.py then sends the person on (``send_on``): to the page whose address differs only in
case (``/PEKERJA``; ``/pekerja/`` is redirected by Streamlit itself), to Beranda for ``/beranda``
(the default page lives at ``/``), else to Beranda with a short notice. Signed out, the login form
is shown at that address first, and the person is sent on once signed in.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from .widgets import plain

#: The page part of the address this browser session was opened at ("" for the root).
ADDRESS = "_payung_address"
#: A notice for the page the person was sent to: (its url_path, the text).
NOTICE = "_payung_address_notice"
#: The file of the hidden page (app.py sends the person on before it would run).
STRAY_PAGE = "pages/alamat.py"
_SHOWN_LENGTH = 60


def asked_for(manager) -> str | None:
    """The address a browser asked this run for (Streamlit's ``PagesManager``), "" for the root;
    None for a run asked for by page (a click, a rerun: the page's hash), which follows no address.

    Streamlit internals (1.67, pinned): ``st.context.url`` cannot tell, it cuts off the end of an
    address that is also the name of a file in pages/ ("/beranda"). test_addresses fails if these
    change."""
    if manager.intended_page_script_hash:
        return None
    name = manager.intended_page_name
    return None if name is None else name.strip("/")


def opened_at() -> str:
    """The address this browser session was opened at ("" for the root): asked for by the first
    run of a tab, kept for the runs after it (the login form, then the run after signing in)."""
    address = asked_for(get_script_run_ctx().pages_manager)
    if address is not None:
        st.session_state[ADDRESS] = address
    return st.session_state.get(ADDRESS, "")


def folder_mode() -> bool:
    """Whether this run is Streamlit's pages/ folder mode: a server process's first run (before any
    ``st.navigation``) lists the files of pages/ with app.py as its main page, then runs the file
    named by the address ("/beranda" runs pages/beranda.py without app.py), else app.py, after an
    English "Page not found" for an address that names no file. Streamlit internals (1.67)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return False
    main = Path(ctx.pages_manager.main_script_path).resolve()
    return any("url_pathname" in info and Path(info.get("script_path") or "/").resolve() == main
               for info in ctx.pages_manager.get_pages().values())


def leave_folder_mode(*, page_file: bool) -> None:
    """Out of ``folder_mode``, which lasts until app.py calls ``st.navigation``: a page file run
    by itself (``page_file``) is run again, through app.py, with the address kept for
    ``stray_page``; app.py run after the English modal has the browser load the address again."""
    if not folder_mode():
        return
    address = opened_at()
    if not address:
        return  # at "/" the mode runs app.py, whose st.navigation ends it
    PagesManager.uses_pages_directory = False  # as st.navigation does: the next runs are app.py's
    if page_file:
        st.rerun()
    # (the modal also moved the browser to "/")
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    path = json.dumps("/" + "/".join(filter(None, (base, address)))).replace("<", "\\u003c")
    st.html(f"<script>window.location.replace({path});</script>", unsafe_allow_javascript=True)
    st.stop()


def stray_page(pages: list[st.Page], taken: tuple[str, ...] = ()) -> st.Page | None:
    """A hidden page at the address this session was opened at, when none of ``pages`` has it
    (so Streamlit shows no "Page not found"); None when one has it or there is none. ``taken``:
    the url_path given to the default page, which Streamlit serves at "/" but keeps (Beranda's is
    empty)."""
    address = opened_at()
    if not address or "/" in address or address in {page.url_path for page in pages} | set(taken):
        return None  # a nested address never reaches the server (Streamlit's scripts load from under it)
    return st.Page(STRAY_PAGE, title="Alamat", url_path=address, visibility="hidden")


def send_on(address: str, pages: dict[str, st.Page], closed: dict[str, str]) -> None:
    """Switch to the page for ``address``: the one in ``pages`` (by address, "beranda" for the
    default page) that differs only in case or "_" for "-", else Beranda with a notice; ``closed``: the address
    and title of the pages the person's role may not open, for a notice that says so."""
    wanted = _comparable(address)
    home = pages["beranda"]
    target = next((page for url, page in pages.items() if _comparable(url) == wanted), None)
    if target is None:
        title = next((title for url, title in closed.items() if _comparable(url) == wanted), None)
        if title is not None:
            text = f"Halaman {title} tidak terbuka untuk peran Anda; Anda dibawa ke Beranda."
        else:
            shown = unquote(address)
            shown = shown if len(shown) <= _SHOWN_LENGTH else shown[:_SHOWN_LENGTH] + "…"
            text = f"Halaman /{plain(shown)} tidak ada; Anda dibawa ke Beranda."
        st.session_state[NOTICE] = (home.url_path, text)
        target = home
    st.switch_page(target)


def _comparable(address: str) -> str:
    """An address as a person may mistype it: any case, "_" for "-" (the page's file name)."""
    return address.casefold().replace("_", "-")


def show_notice(current_url: str) -> None:
    """The notice of ``send_on``, at the top of the page it sent the person to, for as long as
    they stay on it (a rerun by a component's answer right after signing in does not take it
    away unread)."""
    notice = st.session_state.get(NOTICE)
    if notice is None:
        return
    url, text = notice
    if url != current_url:
        del st.session_state[NOTICE]
        return
    st.info(text, icon=":material/info:")
