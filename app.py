"""Payung: the Streamlit entry point (configuration, login, navigation).

Every page is registered in ``st.navigation`` on every run, logged in or not, so a reload or a
deep link lands on the right page; the login form is shown in its place until the session is
logged in, and each page checks the role it needs (``ui.session.require``).
"""

from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import RerunException, StopException

# On a server's first run Streamlit lists the files of pages/ in the sidebar ("pekerja form", "kop
# surat") until this script reaches st.navigation, a moment later on a cold start: the list is
# hidden from this first line until the navigation below is drawn (NAV_SHOWN).
st.html("<style>[data-testid='stSidebarNav'] { visibility: hidden; }</style>")
NAV_SHOWN = "<style>[data-testid='stSidebarNav'] { visibility: visible !important; }</style>"

from payung.auth.access import ROLES, Forbidden, allowed  # noqa: E402
from payung.auth.users import has_users  # noqa: E402
from payung.base.errors import DatabaseBusy, NotFound, ValidationError  # noqa: E402
from ui import addresses, auth  # noqa: E402
from ui.plugin_pages import plugin_pages  # noqa: E402
from ui.session import (LOGIN_NOTICE, connection, current_actor, daily_backup, fresh_payung,  # noqa: E402
                        login_notices, page_run, release_upload_work, show_refusal)
from ui.widgets import discard_deferred_rerun, end_of_page_run, indonesian_page, indonesian_text, plain  # noqa: E402

# A local PNG: a ":material/..:" or emoji favicon is fetched from the internet by the browser, and a
# regency laptop is often offline.
FAVICON = str(Path(__file__).parent / "ui" / "static" / "payung.png")
st.set_page_config(page_title="Payung", page_icon=FAVICON, layout="wide")

# Each page names the action it needs (payung.auth.access decides who may take it).
PAGES = {
    "Beranda": [
        ("pages/beranda.py", "Beranda", ":material/dashboard:", "beranda", "dashboard.read"),
        ("pages/laporan.py", "Laporan bulanan", ":material/summarize:", "laporan", "report.read"),
    ],
    "Pekerja": [
        ("pages/pekerja.py", "Daftar pekerja", ":material/groups:", "pekerja", "worker.read"),
        ("pages/pekerja_form.py", "Tambah/ubah pekerja", ":material/person_add:", "pekerja-form", "worker.write"),
    ],
    "Penyandang Dana": [
        ("pages/penyandang_dana.py", "Daftar penyandang dana", ":material/volunteer_activism:", "penyandang-dana",
         "sponsor.read"),
        ("pages/penyandang_dana_form.py", "Tambah/ubah penyandang dana", ":material/add_business:",
         "penyandang-dana-form", "sponsor.write"),
    ],
    "Kepesertaan": [("pages/kepesertaan.py", "Daftarkan kepesertaan", ":material/how_to_reg:", "kepesertaan",
                     "sponsorship.write")],
    "Keuangan": [
        ("pages/tagihan.py", "Tagihan", ":material/request_quote:", "tagihan", "bill.read"),
        ("pages/pembayaran.py", "Pembayaran", ":material/payments:", "pembayaran", "payment.read"),
        ("pages/tunggakan.py", "Tunggakan & perpanjangan", ":material/event_busy:", "tunggakan", "late.read"),
        ("pages/anggaran.py", "Anggaran", ":material/account_balance:", "anggaran", "budget.read"),
    ],
    "Perlindungan": [
        ("pages/klaim.py", "Klaim", ":material/health_and_safety:", "klaim", "claim.read"),
        ("pages/bpjs.py", "Pertukaran data BPJS", ":material/sync_alt:", "bpjs", "bpjs.exchange"),
    ],
    "Impor": [("pages/impor.py", "Impor data", ":material/upload_file:", "impor", "import.run")],
    "Skema": [("pages/skema.py", "Skema", ":material/category:", "skema", "scheme.read")],
    "Admin": [
        ("pages/pengguna.py", "Pengguna", ":material/manage_accounts:", "pengguna", "user.manage"),
        ("pages/audit.py", "Log audit", ":material/history:", "audit", "audit.read"),
        ("pages/cadangan.py", "Cadangan", ":material/backup:", "cadangan", "backup.manage"),
        ("pages/kop_surat.py", "Kop surat", ":material/badge:", "kop-surat", "letterhead.manage"),
    ],
    "Akun": [("pages/akun.py", "Ganti kata sandi", ":material/password:", "akun", "account.manage")],
}


def run() -> None:
    """One run: the session checked, the navigation drawn, the page run (or the login form)."""
    addresses.leave_folder_mode(page_file=False)  # a server's first run, at an address no file has
    app = fresh_payung()  # a scheme file written by any server process is read again here
    daily_backup(app.settings)  # once a day, on the first run of the day (payung.operations.backups)
    with connection() as db:
        first_start = not has_users(db)

    if first_start:
        auth.setup_code()  # printed in the terminal once, the first time anyone opens Payung
        setup_page = st.Page("pages/penyiapan.py", title="Penyiapan", icon=":material/rocket_launch:",
                             url_path="penyiapan")
        stray = addresses.stray_page([setup_page], taken=("penyiapan",))
        setup = st.navigation([setup_page, *([stray] if stray else [])])
        st.html(NAV_SHOWN)
        if setup is stray:  # any other address opens Penyiapan
            st.switch_page(setup_page)
        setup.run()
        st.stop()

    actor = current_actor()
    sections: dict[str, list] = {}
    by_address: dict[str, st.Page] = {}  # every page this person may open, by the address a person types
    closed: dict[str, str] = {}  # the address and title of the pages their role may not open
    for section, pages in PAGES.items():
        for path, title, icon, url, action in pages:
            if actor is None or allowed(actor, action):
                # Beranda, the default page, is served at "/": its own url_path is empty, which leaves
                # "/beranda" to ui.addresses (a person types it, and it leads there).
                page = st.Page(path, title=title, icon=icon, url_path="" if url == "beranda" else url,
                               default=url == "beranda")
                sections.setdefault(section, []).append(page)
                by_address[url] = page
            else:
                closed[url] = title
    for section, page in plugin_pages(app):
        sections.setdefault(section, []).append(page)
        by_address[page.url_path] = page
    stray = addresses.stray_page(list(by_address.values()))  # an address no page has: no English modal
    if stray is not None:
        sections.setdefault("Beranda", []).append(stray)
    # expanded=True: every page the role may open is listed, no "View N more" fold (English, and it
    # hid Impor data, Anggaran, Klaim, ... from newcomers).
    navigation = st.navigation(sections, position="sidebar" if actor else "hidden", expanded=True)
    st.html(NAV_SHOWN)

    if actor is None:
        st.title(":material/beach_access: Payung")
        st.caption("Perlindungan jaminan sosial ketenagakerjaan bagi pekerja rentan.")
        indonesian_text()  # the keyboard's "Skip to main content", "Press Enter to submit form"
        # Shown until the administrator signs in: a rerun of the login page (a wrong password, a
        # reload) must not take the message away before it is read.
        if st.session_state.get("_payung_admin_created"):
            st.success("Administrator pertama dibuat. Silakan masuk.")
        login_notices(app.settings)  # why this browser session must sign in again (session ended, restore)
        if not auth.login():
            st.stop()
        st.session_state.pop(LOGIN_NOTICE, None)
        st.rerun()
    st.session_state.pop("_payung_admin_created", None)

    st.sidebar.markdown(f"**{plain(actor.username)}** · {ROLES[actor.role]}")
    auth.logout_button()
    auth.write_login_cookie()  # the login cookie, stored by the browser when it first draws it
    indonesian_page()
    if navigation is stray:
        addresses.send_on(stray.url_path, by_address, closed)
    addresses.show_notice(navigation.url_path)
    show_refusal()
    release_upload_work(navigation.url_path)  # a file read on Impor data is not kept while elsewhere
    try:
        navigation.run()
    except DatabaseBusy as exc:  # a write no form on the page was there to refuse: said, not a traceback
        st.warning(plain(exc), icon=":material/hourglass_top:")
    except (Forbidden, NotFound) as exc:  # a refusal no form on the page was there to say
        st.error(plain(exc), icon=":material/block:")
    except ValidationError as exc:  # a value no box offered (a message written by hand), refused by a service
        st.error(plain(exc), icon=":material/error:")
    except StopException:  # st.stop(): the page ended as drawn
        end_of_page_run()
        raise
    except RerunException:  # cut short (a click, a component's answer) or st.rerun() by the page:
        discard_deferred_rerun()  # ...a saved message it showed is shown again by the run after it
        raise
    end_of_page_run()  # the saved message was seen; a click that came during a long write follows


with page_run():  # one connection and one session check for the whole run (ui.session)
    run()
