"""Sign-in security under AppTest: a run whose session was ended lands on the login page, the
Pengguna page shows and ends a user's sessions, the setup page tells the second form."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

import db as database
from db import queries
from payung.access import Actor
from payung.users import add_user

from conftest import PASSWORD, ROOT, logged_in, write_config
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
