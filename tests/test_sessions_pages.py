"""Sign-in security under AppTest: a run whose session was ended lands on the login page, the
Pengguna page shows and ends a user's sessions, the setup page tells the second form."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import db as database
from db import queries
from payung.auth.access import Actor
from payung.auth.users import add_user

from conftest import DESA_VILLAGE, PASSWORD, ROOT, logged_in, write_config
from test_pages import open_db, run, texts


def test_a_session_ended_on_the_server_ends_the_open_tab(site):
    at = run("operator", "pages/pekerja.py")
    assert "Daftar pekerja" in texts(at)
    with open_db(site) as db:
        db.execute("UPDATE sessions SET ended_at = '2000-01-01T00:00:00+00:00'")
    at.run()
    assert "Daftar pekerja" not in texts(at) and not at.dataframe


def test_login_state_without_a_server_session_is_not_logged_in(site):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "admin"
    at.run()
    assert "Masuk ke Payung" in texts(at) and not at.metric


def test_admin_sees_and_ends_a_users_sessions_on_the_pengguna_page(site):
    state = [logged_in("operator"), logged_in("operator")]
    at = run("admin", "pages/pengguna.py")
    at.selectbox(key="u_target").set_value("operator").run()
    assert len(at.dataframe[1].value) == 2
    next(b for b in at.button if b.label == "Keluarkan dari semua perangkat").click().run()
    assert "2 sesi operator diakhiri." in texts(at)
    victim = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in state[0].items():
        victim.session_state[key] = value
    victim.run()
    assert "Masuk ke Payung" in texts(victim)


def test_role_change_on_the_pengguna_page_ends_the_users_sessions(site):
    logged_in("lihat")
    at = run("admin", "pages/pengguna.py")
    at.selectbox(key="u_target").set_value("lihat").run()
    at.selectbox(key="e_role_lihat").set_value("operator").run()
    at.selectbox(key="e_regency_lihat").set_value("33.24").run()  # an operator needs a regency (#11)
    next(b for b in at.button if b.label == "Simpan peran dan wilayah").click().run()
    assert "Peran dan wilayah lihat diubah; semua sesinya diakhiri." in texts(at)
    with open_db(site) as db:
        user = queries.user_by_username(db, "lihat")
        assert user["role"] == "operator"
        assert db.execute("SELECT COUNT(*) FROM sessions WHERE user_id = ? AND ended_at IS NULL",
                          [user["id"]]).fetchone()[0] == 0


def test_second_setup_form_is_told_the_admin_exists(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYUNG_CONFIG", str(write_config(tmp_path)))
    monkeypatch.setenv("PAYUNG_DB", str(tmp_path / "kosong.db"))
    monkeypatch.setenv("PAYUNG_COOKIE_KEY", "k" * 40)
    monkeypatch.setenv("PAYUNG_SETUP_CODE", "abcd-1234-ef56-7890")
    late = run(None)
    assert "Selamat datang di Payung" in texts(late)
    db = database.open_database(tmp_path / "kosong.db")
    add_user(db, username="cepat", name="Yang Cepat", role="admin", password=PASSWORD, actor=Actor.system())
    for i, value in enumerate(("abcd-1234-ef56-7890", "lambat", "Yang Lambat", PASSWORD, PASSWORD)):
        late.text_input[i].set_value(value)
    late.button[0].click().run()
    assert "Administrator pertama sudah dibuat (mungkin oleh orang lain barusan). Silakan masuk." in texts(late)
    assert [u["username"] for u in queries.users(db)] == ["cepat"]


def test_pengguna_page_changes_access_only_when_something_changed(site):
    at = run("admin", "pages/pengguna.py")
    at.selectbox(key="u_target").set_value("desa").run()
    assert at.multiselect(key="e_villages_desa").value == ["33.24.01.2001"]
    next(b for b in at.button if b.label == "Simpan peran dan wilayah").click().run()
    assert "Tidak ada perubahan." in texts(at)
    at.selectbox(key="e_role_desa").set_value("viewer").run()
    next(b for b in at.button if b.label == "Simpan peran dan wilayah").click().run()
    with open_db(site) as db:
        user = queries.user_by_username(db, "desa")
        assert user["role"] == "viewer" and queries.user_villages(db, user["id"]) == []
    at.selectbox(key="u_target").set_value("admin").run()
    at.selectbox(key="e_role_admin").set_value("viewer").run()
    next(b for b in at.button if b.label == "Simpan peran dan wilayah").click().run()
    assert "Anda tidak dapat melepas peran administrator Anda sendiri." in [e.value for e in at.error]


# Security review: callbacks, a renewed session after a password change, forged cookies ---------

SESSION_ID = "_payung_session_id"


def _filled_worker_form(user: str) -> AppTest:
    at = run(user, "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("3324016508900003").run()
    at.text_input(key="f_name").set_value("Sri Tidak Tersimpan")
    at.selectbox(key="f_district").set_value("33.24.01").run()
    at.selectbox(key="f_village").set_value(DESA_VILLAGE)
    at.selectbox(key="f_occupation").set_value("petani")
    return at


def _end_by(how: str, db, at: AppTest) -> None:
    from payung.auth.sessions import end_session
    from payung.auth.users import change_access, set_user_active
    admin = Actor("admin", "admin")
    user = queries.user_by_username(db, "operator")["id"]
    if how == "deactivated":
        set_user_active(db, user, False, actor=admin)
    elif how == "role_changed":
        change_access(db, user, role="viewer", regency_code="33.24", actor=admin)
    elif how == "logged_out_elsewhere":
        end_session(db, at.session_state[SESSION_ID])
    else:  # idle: last used longer ago than idle_hours
        db.execute("UPDATE sessions SET last_seen_at = '2000-01-01T00:00:00+00:00'")


@pytest.mark.parametrize("how", ["deactivated", "role_changed", "logged_out_elsewhere", "idle"])
def test_simpan_in_a_tab_whose_session_ended_writes_nothing(site, how):
    """Simpan is a widget callback, run before app.py checks the session: it must check the
    session itself and act as the user is NOW, else an ended session still writes."""
    at = _filled_worker_form("operator")
    with open_db(site) as db:
        before = queries.worker_count(db)
        _end_by(how, db, at)
    next(b for b in at.button if b.label == "Simpan").click().run()
    with open_db(site) as db:
        assert queries.worker_count(db) == before and queries.worker_by_nik(db, "3324016508900003") is None
        assert not db.execute("SELECT COUNT(*) FROM audit_log WHERE table_name = 'workers' AND actor = 'operator'"
                              ).fetchone()[0]
    assert "Masuk ke Payung" in texts(at)
    assert any("TIDAK disimpan" in w.value for w in at.warning)


def test_simpan_in_a_live_session_still_saves(site):
    at = _filled_worker_form("operator")
    next(b for b in at.button if b.label == "Simpan").click().run()
    assert "Sri Tidak Tersimpan terdaftar sebagai pekerja." in texts(at)
    with open_db(site) as db:
        assert queries.worker_by_nik(db, "3324016508900003")["name"] == "Sri Tidak Tersimpan"


def test_every_widget_callback_that_writes_checks_the_session():
    """A callback given to on_click/on_change/on_select that opens a database connection must
    be wrapped in ui.session.live_callback (pages/ and ui/)."""
    import ast
    unguarded = []
    for path in sorted([*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = {f.name: f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}

        def writes(function) -> bool:
            return any(isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", "")) in (
                "connection", "open_db", "open_database") for n in ast.walk(function))
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            for keyword in call.keywords:
                if keyword.arg in ("on_click", "on_change", "on_select", "on_submit") and \
                        isinstance(keyword.value, ast.Name) and keyword.value.id in functions and \
                        writes(functions[keyword.value.id]):
                    unguarded.append(f"{path.name}:{call.lineno} {keyword.arg}={keyword.value.id}")
    assert not unguarded, f"callbacks that write without live_callback: {unguarded}"


def test_every_fragment_checks_the_session_of_its_own_runs():
    """A click inside an st.fragment reruns only the fragment (app.py and the page's require do
    not run): every fragment in pages/ and ui/ reads its actor through ui.session.fragment_actor."""
    import ast
    unguarded = []
    for path in sorted([*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]):
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(function, ast.FunctionDef) and any(
                    "fragment" in ast.unparse(d) for d in function.decorator_list) and not any(
                    isinstance(n, ast.Call) and getattr(n.func, "id", "") == "fragment_actor"
                    for n in ast.walk(function)):
                unguarded.append(f"{path.name}:{function.lineno} {function.name}")
    assert not unguarded, f"fragments that do not check the session: {unguarded}"


def test_a_password_change_gives_this_tab_a_new_session_and_ends_the_old_one(site):
    """The tab that changes its password keeps working, under a new session id (its cookie is
    rewritten); the old id, which a copied cookie would carry, is dead."""
    from payung.auth.sessions import SessionPolicy, check_session
    at = run("operator", "pages/akun.py")
    old = at.session_state[SESSION_ID]
    for box, value in zip(at.text_input, (PASSWORD, "Sungai-Biru-1990x", "Sungai-Biru-1990x")):
        box.set_value(value)
    next(b for b in at.button if b.label == "Simpan kata sandi").click().run()
    assert not at.exception, at.exception
    assert "Kata sandi diganti." in texts(at)
    new = at.session_state[SESSION_ID]
    with open_db(site) as db:
        assert new != old and check_session(db, old, SessionPolicy()) is None
        assert check_session(db, new, SessionPolicy()).username == "operator"
    at.run()
    assert "Ganti kata sandi" in texts(at) and "Masuk ke Payung" not in texts(at)


def test_wrong_current_passwords_on_the_akun_page_meet_the_login_throttle(site):
    at = run("operator", "pages/akun.py")
    for n in range(6):
        for box, value in zip(at.text_input, (f"tebakan-{n:04d}", "Sungai-Biru-1990x", "Sungai-Biru-1990x")):
            box.set_value(value)
        next(b for b in at.button if b.label == "Simpan kata sandi").click().run()
    assert any("Terlalu banyak percobaan masuk yang gagal" in e.value for e in at.error)
    with open_db(site) as db:
        assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed' AND row_id = 'operator'"
                          ).fetchone()[0] == 5


def test_ending_ones_own_sessions_on_the_pengguna_page_renews_this_tab(site):
    from payung.auth.sessions import SessionPolicy, check_session
    elsewhere = logged_in("admin")[SESSION_ID]
    at = run("admin", "pages/pengguna.py")
    old = at.session_state[SESSION_ID]
    at.selectbox(key="u_target").set_value("admin").run()
    next(b for b in at.button if b.label == "Keluarkan dari semua perangkat").click().run()
    assert "2 sesi admin diakhiri; sesi di tab ini diperbarui." in texts(at)
    new = at.session_state[SESSION_ID]
    with open_db(site) as db:
        assert check_session(db, old, SessionPolicy()) is None and check_session(db, elsewhere, SessionPolicy()) is None
        assert check_session(db, new, SessionPolicy()).username == "admin"
    at.run()
    assert "Pengguna" in texts(at) and "Masuk ke Payung" not in texts(at)


def _token(kind: str, key: str, sid: str) -> str:
    import base64
    import json

    import jwt

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    content = {"username": "admin", "exp_date": 9e9, "sid": sid}
    return {
        "alg none": part({"alg": "none", "typ": "JWT"}) + "." + part(content) + ".",
        "HS512, wrong key": jwt.encode(content, "x" * 64, algorithm="HS512"),
        "HS512, right key": jwt.encode(content, key, algorithm="HS512"),
        "garbage": "bukan-jwt",
        "HS256, wrong key": jwt.encode(content, "salah", algorithm="HS256"),
        "no session id": jwt.encode({"username": "admin", "exp_date": 9e9}, key, algorithm="HS256"),
        "expiry not a number": jwt.encode({**content, "exp_date": "besok"}, key, algorithm="HS256"),
        "not an object": part({"alg": "HS256", "typ": "JWT"}) + "." + base64.urlsafe_b64encode(b"[1]").decode() + ".x",
        "valid": jwt.encode(content, key, algorithm="HS256"),
    }[kind]


FORGED = ["alg none", "HS512, wrong key", "HS512, right key", "garbage", "HS256, wrong key", "no session id",
          "expiry not a number", "not an object"]


def test_decode_cookie_accepts_only_our_own_tokens():
    from ui.auth import decode_cookie
    key = "k" * 40
    for kind in FORGED:
        assert decode_cookie(_token(kind, key, "sid"), key) is None, kind
    assert decode_cookie(_token("valid", key, "sid"), key)["sid"] == "sid"
    assert decode_cookie(None, key) is None and decode_cookie("", key) is None


def test_a_forged_login_cookie_is_ignored_and_the_login_form_shows(site, monkeypatch):
    """A payung_masuk cookie with alg none, HS512, garbage...: the authenticator only catches two
    of PyJWT's errors, so such a cookie used to crash the login page with a traceback."""
    import types
    cookies: dict = {}
    client = types.SimpleNamespace(headers=[], cookies=cookies, remote_ip=None)
    monkeypatch.setattr("streamlit.runtime.context._get_client_context", lambda: client)
    key = "k" * 40  # PAYUNG_COOKIE_KEY of the site fixture
    live = logged_in("admin")[SESSION_ID]
    for kind in FORGED:
        cookies["payung_masuk"] = _token(kind, key, live)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert not at.exception, (kind, at.exception)
        assert "Masuk ke Payung" in texts(at) and not at.session_state["authentication_status"], kind
        assert at.session_state["_payung_forget_cookie"] == cookies["payung_masuk"], kind  # deleted from the browser
    # The same path with our own cookie of a live session logs in: the checks above were real.
    cookies["payung_masuk"] = _token("valid", key, live)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception and at.session_state["authentication_status"] and at.session_state[SESSION_ID] == live


def test_the_cookie_script_writes_only_a_token_and_holds_any_other_value_as_one_string():
    """The login cookie is stored by a script drawn in the page (``ui.auth.cookie_script``). What
    it writes is a token (base64url and dots: nothing that adds an attribute), and the value a
    delete compares with (a forged cookie: anything) is one JSON string that cannot end the
    script or open a comment in it."""
    import datetime as dt
    import json

    import pytest

    from ui.auth import COOKIE_NAME, cookie_script
    when = dt.datetime(2026, 12, 12, 10, 0, tzinfo=dt.timezone.utc)
    for bad in ("a;b", "a=b; path=/x", "a b", "a</script>", "é"):
        with pytest.raises(ValueError):
            cookie_script(bad, when)
    with pytest.raises(ValueError):
        cookie_script("abc", dt.datetime(2026, 12, 12))  # no time zone: whose midnight?
    hostile = 'a"b\\c</script><script>alert(1)</script><!--\u2028'
    script = cookie_script("", when, only_if=hostile)
    assert script.count("</script>") == 1 and script.endswith("</script>") and "<!--" not in script
    order = json.loads(script.rsplit("})(", 1)[1].removesuffix(");</script>"))
    assert order == {"cookie": f"{COOKIE_NAME}=; path=/; expires=Sat, 12 Dec 2026 10:00:00 GMT; SameSite=Strict",
                     "only": f"{COOKIE_NAME}={hostile}"}


def _sign_in_from(address: str, username: str, password: str) -> None:
    """AppTest script: the login form's check, as from ``address`` (AppTest has no request)."""
    import streamlit as st
    from ui import auth
    auth.request_details = lambda: {"ip_address": address, "user_agent": "uji"}
    auth._form_login(username, password)
    st.write(st.session_state.get(auth._MESSAGE) or "masuk")


def test_an_address_with_too_many_failed_logins_is_told_so_in_indonesian(site, monkeypatch):
    """The refusal says why (this network, not this username), for how long, and whom to ask;
    the account's own message would send the user to wait on a lock that is not there."""
    from ui import auth
    monkeypatch.setattr(auth, "request_details", auth.request_details)  # put back after the test
    with open_db(site) as db:
        for n in range(30):
            db.execute("INSERT INTO audit_log (at, actor, action, table_name, row_id, after) VALUES (?, ?, ?, ?, ?, ?)",
                       [database.store.now(), f"tebak{n}", "login_failed", "login", f"tebak{n}",
                        '{"username": "tebak%d", "ip_address": "203.0.113.9"}' % n])
    at = AppTest.from_function(_sign_in_from, args=("203.0.113.9", "admin", PASSWORD), default_timeout=60).run()
    assert not at.exception, at.exception
    assert [m.value for m in at.markdown] == [
        "Terlalu banyak percobaan masuk yang gagal dari jaringan ini. Coba lagi 15 menit setelah percobaan gagal "
        "terakhir, atau hubungi administrator Payung."]
    at = AppTest.from_function(_sign_in_from, args=("203.0.113.10", "admin", PASSWORD), default_timeout=60).run()
    assert [m.value for m in at.markdown] == ["masuk"]


def test_a_sign_in_refused_as_too_many_at_once_says_so_in_indonesian(site, monkeypatch):
    """Its address's places all taken by checks in flight: the form says so and that the
    password was not checked, not that passwords were wrong."""
    from payung.auth import sessions
    from ui import auth
    monkeypatch.setattr(auth, "request_details", auth.request_details)  # put back after the test
    monkeypatch.setattr(sessions, "_place", lambda *a: sessions.BUSY)
    at = AppTest.from_function(_sign_in_from, args=("203.0.113.11", "admin", PASSWORD), default_timeout=60).run()
    assert not at.exception, at.exception
    assert [m.value for m in at.markdown] == [
        "Terlalu banyak kata sandi dari jaringan ini yang sedang diperiksa bersamaan; kata sandi Anda belum "
        "diperiksa. Coba lagi sebentar lagi."]


def _file_maker():
    """An app whose run keeps a file maker wrapped as a page wraps its download buttons'."""
    import streamlit as st

    from ui.session import live_download
    st.session_state["make"] = live_download(lambda actor: f"{actor.username}:{actor.role}".encode(),
                                             "payment.write")


@pytest.mark.parametrize("how", ["deactivated", "role_changed", "logged_out_elsewhere", "idle"])
def test_a_file_made_on_a_click_in_a_tab_whose_session_ended_is_not_made(site, how):
    """A download that reads the database when its button is clicked (Tagihan's XLSX and PDF,
    the worker list) is made in a request of its own, after the run that drew the button and
    outside any run: it checks the session then, and makes the file as the user is now."""
    from payung.auth.access import Forbidden
    at = AppTest.from_function(_file_maker, default_timeout=60)
    for key, value in logged_in("operator").items():
        at.session_state[key] = value
    at.run()
    make = at.session_state["make"]
    assert make() == b"operator:operator"
    with open_db(site) as db:
        _end_by(how, db, at)  # a role change makes the operator a viewer: no payment.write
    with pytest.raises(Forbidden):
        make()


def test_every_download_checks_the_session_when_clicked():
    """Every download button in pages/ and ui/ is given its file through ui.session.live_download.

    A file given as bytes when the page is drawn (a backup, a report, the BPJS file with whole
    NIKs) is served from Streamlit's /media/ address with no session check, to the tab that
    drew it, after its session ended elsewhere; and a file made on the click (a function) is
    made outside any run of the page. Either way only live_download checks the session then."""
    import ast
    unguarded, seen = [], 0
    for path in sorted([*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            if getattr(call.func, "attr", getattr(call.func, "id", "")) != "download_button":
                continue
            seen += 1
            data = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "data"), None)
            if not (isinstance(data, ast.Call) and getattr(data.func, "id", "") == "live_download"):
                unguarded.append(f"{path.name}:{call.lineno}")
    assert seen >= 10  # the check finds the buttons (Tagihan, Pembayaran, Cadangan, Laporan, BPJS, ...)
    assert not unguarded, f"downloads without live_download: {unguarded}"


@pytest.mark.parametrize("ended", ["keluar", "elsewhere"])
def test_the_next_user_of_a_tab_sees_nothing_of_the_last_ones(site, ended):
    """Keluar, or a session ended elsewhere (idle, "Keluarkan"), and another person signs in at
    the same tab: the form is empty, and the last user's problems (here a duplicate NIK naming a
    worker of another village, which the village operator may not see) are gone with it."""
    from test_worker_pages import _simpan
    with open_db(site) as db:
        nik = db.execute("SELECT nik FROM workers WHERE village_code <> ? ORDER BY id LIMIT 1",
                         [DESA_VILLAGE]).fetchone()[0]
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value(nik).run()
    at.text_input(key="f_name").set_value("Isian Admin")
    district = f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}"
    with open_db(site) as db:
        village = db.execute("SELECT code FROM regions WHERE code LIKE ? ORDER BY code LIMIT 1",
                             [district + ".%"]).fetchone()[0]
    at.selectbox(key="f_village").set_value(village)
    at.selectbox(key="f_occupation").set_value("petani")
    _simpan(at)
    assert "sudah terdaftar atas nama" in texts(at), texts(at)
    if ended == "keluar":
        at.button(key="keluar").click().run()
    else:
        with open_db(site) as db:
            db.execute("UPDATE sessions SET ended_at = '2000-01-01T00:00:00+00:00'")
        at.run()
    assert "Masuk ke Payung" in texts(at)
    for key, value in logged_in("desa").items():
        at.session_state[key] = value
    at.run()
    at.switch_page("pages/pekerja_form.py")
    at.run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert "Tambah pekerja" in shown and "sudah terdaftar" not in shown and "Isian Admin" not in shown
    assert at.text_input(key="f_nik").value == "" and at.text_input(key="f_name").value == ""


def test_a_picked_row_is_a_row_of_the_list_or_nothing():
    """The row number of a table's selection is the browser's word: a number past the list, a
    negative one, text or a boolean (a message written by hand) picks nothing, never fails."""
    from types import SimpleNamespace as Event
    from ui.widgets import picked
    items = ["a", "b", "c"]

    def rows(*numbers):
        return Event(selection=Event(rows=list(numbers)))
    assert picked(rows(1), items) == "b" and picked(rows(0, 2), items) == "a"
    for wrong in (3, 999, -1, "1", True, 1.0, None):
        assert picked(rows(wrong), items) is None, wrong
    assert picked(rows(), items) is None and picked(None, items) is None and picked(Event(selection=None), items) is None


def test_no_page_reads_a_tables_picked_row_itself():
    """Pages read a table's picked row through ui.widgets.picked (or picked_rows), which checks it."""
    offending = [f"{path.name}:{n}" for path in sorted((ROOT / "pages").glob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "selection.rows" in line]
    assert not offending, offending
