"""Every page under AppTest, as each role, on a small demo database."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from db.scope import EVERYTHING
from streamlit.testing.v1 import AppTest

import db as database
from db import queries
from payung.auth.access import Actor
from payung.auth.users import add_user
from payung.base.months import current_month, format_month

from conftest import DEMO_WORKERS, DESA_VILLAGE, PASSWORD, REGENCIES, ROOT, logged_in, write_config



def open_db(site):
    return database.open_database(site["db_path"])


def run(user: str | None, page: str | None = None, *, query: dict | None = None, state: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in (logged_in(user) if user else {}).items():
        at.session_state[key] = value
    for key, value in (state or {}).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def drawn(node) -> list:
    """The elements under ``node`` (``at.main``, ``at.sidebar``) in the order drawn, columns and
    containers walked through."""
    children = getattr(node, "children", None)
    if not children:
        return [node]
    return [leaf for child in children.values() for leaf in drawn(child)]


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "markdown", "caption", "error", "warning", "info", "success", "subheader")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def new_database_with_an_admin(tmp_path, monkeypatch, *, name: str = "baru.db", **config):
    """An empty database with one administrator ("admin"), which the app under test opens."""
    monkeypatch.setenv("PAYUNG_CONFIG", str(write_config(tmp_path, **config)))
    monkeypatch.setenv("PAYUNG_DB", str(tmp_path / name))
    monkeypatch.setenv("PAYUNG_COOKIE_KEY", "k" * 40)
    db = database.open_database(tmp_path / name)
    add_user(db, username="admin", name="Admin", role="admin", password=PASSWORD, actor=Actor.system())
    return db


def test_first_start_creates_the_administrator(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYUNG_CONFIG", str(write_config(tmp_path)))
    monkeypatch.setenv("PAYUNG_DB", str(tmp_path / "kosong.db"))
    monkeypatch.setenv("PAYUNG_COOKIE_KEY", "k" * 40)
    monkeypatch.setenv("PAYUNG_SETUP_CODE", "abcd-1234-ef56-7890")
    at = run(None)
    assert "Selamat datang di Payung" in texts(at)
    # Everything wrong at once, each under its box: not the code first, then the rest.
    at.text_input[0].set_value("salah")
    at.text_input[1].set_value("A")
    at.text_input[3].set_value("pendek")
    at.text_input[4].set_value("lain")
    at.button[0].click().run()
    errors = [e.value for e in at.error]
    for words in ("Kode penyiapan salah.", "Nama pengguna 3-32 karakter", "Nama lengkap wajib diisi.",
                  "minimal 10 karakter", "Ulangan kata sandi tidak sama."):
        assert any(words in e for e in errors), (words, errors)
    at.text_input[0].set_value("ABCD 1234 EF56 7890")
    at.text_input[1].set_value("admin.dinsos")
    at.text_input[2].set_value("Ani Lestari")
    at.text_input[3].set_value("pendek")
    at.text_input[4].set_value("pendek")
    at.button[0].click().run()
    assert "minimal 10 karakter" in texts(at)
    at.text_input[3].set_value(PASSWORD)
    at.text_input[4].set_value(PASSWORD)
    at.button[0].click().run()
    # AppTest re-runs only the page script after its first run: the entry script's choice
    # between setup and login is seen by a fresh session.
    assert "Masuk ke Payung" in texts(run(None))
    db = database.open_database(tmp_path / "kosong.db")
    assert queries.user_by_username(db, "admin.dinsos")["role"] == "admin"


def test_the_first_administrator_message_stays_until_login(site):
    """The login form reruns by itself (its cookie component answers): the message that the
    administrator was made must survive those reruns, not vanish before it is read."""
    at = run(None, state={"_payung_admin_created": True})
    assert "Administrator pertama dibuat. Silakan masuk." in [s.value for s in at.success]
    # Kept for the next run of the login page (AppTest reruns only the page script, so the
    # next run of app.py is read from the session state it leaves).
    assert at.session_state["_payung_admin_created"] is True
    at = run("admin", state={"_payung_admin_created": True})
    assert "_payung_admin_created" not in at.session_state and not at.success


def test_no_page_shows_data_before_login(site):
    at = run(None, query={"id": "1"})
    assert "Masuk ke Payung" in texts(at)
    assert not at.dataframe and not at.metric
    at = run(None, "pages/pekerja.py")
    assert "Daftar pekerja" not in texts(at) and not at.dataframe


def test_demo_data_in_one_click(tmp_path, monkeypatch):
    db = new_database_with_an_admin(tmp_path, monkeypatch)
    at = run("admin")
    button = next(b for b in at.button if b.label == "Coba dengan data contoh")
    button.click().run()
    assert queries.worker_count(db) == 400 * REGENCIES
    assert queries.count_sponsorships(db, "kendal_asn_peduli", scope=EVERYTHING) > 0
    # Thousands get a point, the sentence keeps its commas ("2.000 pekerja, 36 penyandang dana, ...").
    workers = f"{400 * REGENCIES:,}".replace(",", ".")
    assert re.search(rf"Data contoh dimuat: {re.escape(workers)} pekerja, \d+ penyandang dana, [\d.]+ kepesertaan\.",
                     texts(at)), texts(at)


def test_a_click_during_the_demo_load_does_not_cut_it_short(tmp_path, monkeypatch):
    """A click (or the login cookie's answer) that arrives while the demo data loads: Streamlit
    stops a run at its next element, and the progress bar's update was one. The load goes on to
    its end, says so, and the run the click asked for follows."""
    import streamlit as st
    from streamlit.delta_generator import DeltaGenerator
    db = new_database_with_an_admin(tmp_path, monkeypatch)
    at = run("admin")
    real, updates = DeltaGenerator.progress, []

    def progress_then_a_click(self, *args, **kwargs):
        updates.append(args)
        if len(updates) == 3:  # the bar drawn, one step shown: then a click comes in
            st.rerun()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "progress", progress_then_a_click)
    next(b for b in at.button if b.label == "Coba dengan data contoh").click().run()
    assert len(updates) == 3, "the bar moved on after the click: the test no longer stops the run there"
    assert queries.worker_count(db) == 400 * REGENCIES
    assert any("Data contoh dimuat" in m.value for m in at.success), texts(at)


def test_worker_list_pages_and_searches_in_sql(site):
    at = run("admin", "pages/pekerja.py")
    table = at.dataframe[0].value
    assert len(table) == 50 and list(table.columns)[:3] == ["Nama", "Status bulan ini", "NIK"]
    assert f"dari {DEMO_WORKERS} data" in texts(at)
    name = table.iloc[0]["Nama"]
    at.text_input(key="cari_pekerja").set_value(name.split()[0]).run()
    assert all(name.split()[0] in n for n in at.dataframe[0].value["Nama"])


def test_viewer_sees_nik_masked(site):
    at = run("lihat", "pages/pekerja.py")
    assert all("********" in nik for nik in at.dataframe[0].value["NIK"])


def test_viewer_typing_a_nik_is_told_politely_on_every_run(site):
    """Finding 7 of #21: a role that may not search by NIK types one into "Cari nama": a
    message, not a ValidationError traceback, also on the runs that follow (the box keeps it)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in logged_in("lihat").items():
        at.session_state[key] = value
    at.run()
    at.switch_page("pages/pekerja.py").run()
    for typed in ("3324015708750001", "3324 0157 0875", "\uff13\uff13\uff12\uff14\uff10\uff11"):
        at.text_input(key="cari_pekerja").set_value(typed).run()
        at.run()
        assert not at.exception, (typed, at.exception)
        assert any("tidak dapat mencari dengan NIK" in w.value for w in at.warning), (typed, texts(at))
        assert not at.dataframe


def test_village_operator_sees_only_their_village(site):
    with open_db(site) as db:
        expected = db.execute("SELECT COUNT(*) FROM workers WHERE village_code = ?", [DESA_VILLAGE]).fetchone()[0]
        other = db.execute("SELECT id FROM workers WHERE village_code != ? LIMIT 1", [DESA_VILLAGE]).fetchone()[0]
    at = run("desa", "pages/pekerja.py")
    assert f"dari {expected} data" in texts(at) or (expected == 0 and "Belum ada pekerja terdaftar" in texts(at))
    at = run("desa", "pages/pekerja.py", query={"id": str(other)})
    assert "Pekerja tidak ditemukan." in texts(at)
    # Not a dead end: the way back to the list is there, and takes the person to it.
    at.button(key="kembali").click().run()
    assert "Daftar pekerja" in texts(at) and "id" not in at.query_params
    at = run("desa", "pages/pekerja.py", query={"id": "abc"})
    assert "Nomor pekerja tidak valid." in texts(at) and at.button(key="kembali") is not None


def test_worker_detail_shows_sponsorships_and_claims(site):
    with open_db(site) as db:
        worker_id = db.execute("SELECT worker_id FROM sponsorships LIMIT 1").fetchone()[0]
        name = queries.worker(db, worker_id, EVERYTHING)["name"]
    at = run("admin", "pages/pekerja.py", query={"id": str(worker_id)})
    assert at.title[0].value.startswith(name)
    assert "Kepesertaan" in texts(at) and "Bulan lunas" in at.dataframe[0].value.columns


def test_bad_nik_is_shown_beside_the_field_and_nothing_is_saved(site):
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("332401570875").run()
    at.text_input(key="f_name").set_value("Sri Wahyuni")
    at.selectbox(key="f_district").set_value("33.24.01").run()
    at.selectbox(key="f_village").set_value(DESA_VILLAGE)
    at.selectbox(key="f_occupation").set_value("petani")
    next(b for b in at.button if b.label == "Simpan").click().run()
    assert "NIK harus 16 digit angka (yang diisi: 12 digit)." in [e.value for e in at.error]
    with open_db(site) as db:
        assert queries.worker_count(db) == DEMO_WORKERS
    at.text_input(key="f_nik").set_value("3324016508900003").run()
    assert at.date_input(key="f_birth_date").value.isoformat() == "1990-08-25"
    assert at.radio(key="f_gender").value == "P"
    next(b for b in at.button if b.label == "Simpan").click().run()
    assert "Sri Wahyuni terdaftar sebagai pekerja." in texts(at)
    with open_db(site) as db:
        assert queries.worker_by_nik(db, "3324016508900003")["birth_date"] == "1990-08-25"


def test_nik_mismatch_with_typed_birth_date_is_flagged(site):
    at = run("admin", "pages/pekerja_form.py")
    at.date_input(key="f_birth_date").set_value(dt.date(1991, 1, 1)).run()
    at.text_input(key="f_nik").set_value("3324016508900003").run()
    assert any("tidak sama dengan tanggal lahir" in w.value for w in at.warning)


def run_page_directly(user: str, page: str) -> AppTest:
    """A page script reached without the navigation (a stale link, a bug): its own guard."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    for key, value in logged_in(user).items():
        at.session_state[key] = value
    return at.run()


def test_viewer_cannot_open_the_worker_form(site):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        run("lihat", "pages/pekerja_form.py")
    at = run_page_directly("lihat", "pages/pekerja_form.py")
    assert "Halaman ini tidak tersedia untuk peran Anda." in [e.value for e in at.error] and not at.text_input


def test_sponsor_form_asks_nip_and_opd_of_a_civil_servant(site):
    at = run("admin", "pages/penyandang_dana_form.py")
    at.selectbox(key="s_type").set_value("asn").run()
    at.text_input(key="s_name").set_value("Budi Santoso")
    at.text_input(key="s_opd").set_value("Dinas Sosial")
    next(b for b in at.button if b.label == "Simpan").click().run()
    assert "ASN wajib mengisi NIP (PNS) atau nomor pegawai (non-PNS)." in [e.value for e in at.error]
    at.text_input(key="s_nip").set_value("198503122010011002")
    next(b for b in at.button if b.label == "Simpan").click().run()
    with open_db(site) as db:
        assert queries.sponsor_by_nip(db, "198503122010011002")["opd"] == "Dinas Sosial"


def test_sponsor_list_and_detail(site):
    at = run("operator", "pages/penyandang_dana.py")
    assert len(at.dataframe[0].value) > 0
    with open_db(site) as db:
        sponsor_id = db.execute("SELECT sponsor_id FROM sponsorships LIMIT 1").fetchone()[0]
    at = run("admin", "pages/penyandang_dana.py", query={"id": str(sponsor_id)})
    assert "Kepesertaan" in texts(at) and [m.label for m in at.metric][0] == "Pekerja ditanggung"


def _enrolment_page(site, worker_ids):
    with open_db(site) as db:
        sponsor = db.execute("SELECT id FROM sponsors WHERE type = 'asn' AND opd = 'Dinas Sosial' LIMIT 1").fetchone()
    at = run("admin", "pages/kepesertaan.py")
    at.selectbox(key="k_scheme").set_value("kendal_asn_peduli").run()
    at.selectbox(key="k_sponsor_kendal_asn_peduli").set_value(sponsor[0]).run()
    at.multiselect(key="k_workers").set_value(worker_ids).run()
    return at


def test_enrolment_shows_plugin_errors_beside_fields_then_the_cost(site):
    with open_db(site) as db:
        workers = [r[0] for r in db.execute(
            "SELECT w.id FROM workers w WHERE w.regency_code = '33.24' AND w.occupation = 'petani' AND w.active = 1"
            " AND w.declared_income = 1000000"
            " AND NOT EXISTS (SELECT 1 FROM contribution_lines l WHERE l.worker_id = w.id) LIMIT 2")]
        before = db.execute("SELECT COUNT(*) FROM sponsorships").fetchone()[0]
    at = _enrolment_page(site, workers)
    assert at.selectbox(key="k_field_kendal_asn_peduli_payment_method").value is None
    next(b for b in at.button if b.label == "Periksa").click().run()
    assert "«Cara bayar» wajib diisi." in [e.value for e in at.error]
    at.selectbox(key="k_field_kendal_asn_peduli_payment_method").set_value("potong_gaji").run()
    next(b for b in at.button if b.label == "Periksa").click().run()
    assert any("Rp33.600 per bulan untuk 2 pekerja" in s.value for s in at.success)
    next(b for b in at.button if b.label == "Simpan kepesertaan").click().run()
    assert "2 kepesertaan tersimpan" in texts(at)
    with open_db(site) as db:
        assert db.execute("SELECT COUNT(*) FROM sponsorships").fetchone()[0] == before + 2


def test_schemes_page_lists_the_five_with_their_panels(site):
    at = run("lihat", "pages/skema.py")
    expanders = [e.label for e in at.expander]
    for name in ("Mesra dengan Mansur", "1 Desa 100", "Universal Coverage", "Luwu Utara", "ASN Peduli"):
        assert any(name in label for label in expanders), expanders
    body = texts(at)
    for panel in ("Orang tua asuh menurut jumlah pekerja asuh, ", r"Kemajuan desa di .* menuju 100 pekerja",
                  r"Kepesertaan per kategori di .*, dibanding target", r"Per kecamatan \(laporan TKPK\)",
                  "Partisipasi ASN per OPD, "):
        assert re.search(panel, body), panel


def test_broken_plugin_is_listed_not_fatal(tmp_path, monkeypatch):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "rusak.py").write_text("raise RuntimeError('berkas skema rusak')\n")
    new_database_with_an_admin(tmp_path, monkeypatch, name="p.db", plugins_dir=str(folder))
    at = run("admin", "pages/skema.py")
    assert any("rusak" in e.value and "berkas skema rusak" in e.value for e in at.error)


def _target_bar(tmp_path, monkeypatch, code: str, target: str):
    """The one target bar of the Skema page of a site whose only scheme is ``code``, with the
    ``[[targets]]`` table ``target``."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / f"{code}.toml").write_text(
        f'code = "skema_{code}"\nname = "Skema {code.title()}"\nregency_code = "33.24"\n\n[[targets]]\n{target}',
        encoding="utf-8")
    new_database_with_an_admin(tmp_path, monkeypatch, name="p.db", plugins_dir=str(folder))
    [bar] = run("admin", "pages/skema.py").get("progress")
    return bar


def test_the_schemes_page_counts_the_workers_a_target_had_covered_already(tmp_path, monkeypatch):
    """A target's ``already_covered`` (Kendal's 54.000 before its movement) is in its bar on the
    Skema page too, and said, as on the Beranda."""
    bar = _target_bar(tmp_path, monkeypatch, "sebelum",
                      'label = "Pekerja terlindungi"\nvalue = 1000\nalready_covered = 400\n')
    # Each figure once, the target last, as the Beranda's bars: it read "Target Pekerja
    # terlindungi: 1.000 (400 ... + 0 pekerja ditanggung)", and beside Kendal's own panel of the
    # same target the two bars said 200.000 four times.
    paid = f"terlindungi (lunas {format_month(current_month())})"
    assert bar.proto.text == (f"Pekerja terlindungi: 400 sudah terlindungi sebelumnya + 0 {paid} = 400 "
                              "dari target 1.000")
    assert bar.proto.value == 40


def test_the_schemes_page_bar_says_what_it_counts_once(tmp_path, monkeypatch):
    """A target without workers covered already read "Target Pekerja terlindungi: 1.000": the bar
    said the target alone, not what its length counts."""
    bar = _target_bar(tmp_path, monkeypatch, "biasa", 'label = "Pekerja terlindungi"\nvalue = 1000\n')
    assert bar.proto.text == f"Pekerja terlindungi: 0 terlindungi (lunas {format_month(current_month())}) dari target 1.000"


def test_the_schemes_page_bar_counts_what_the_schemes_panel_under_it_counts(site):
    """Kendal's bar on the Skema page said "54.000 sudah terlindungi sebelumnya + 68 pekerja
    ditanggung = 54.068 dari target 200.000" right above its own panel's "54.000 sudah terlindungi
    sebelumnya + 29 terlindungi (lunas ...): 54.029 dari 200.000" (and the Beranda's 54.029): two
    totals of one target. The bar counts the paid workers, as the panel and the Beranda do."""
    from payung.base.formats import count
    scheme = next((s for s in site["app"].plugins.schemes.values()
                   if any(t.already_covered for t in s.targets)), None)
    if scheme is None:
        pytest.skip("needs a scheme whose target counts workers covered already")
    [target] = [t for t in scheme.targets if t.already_covered]
    already = count(target.already_covered)
    at = run("admin", "pages/skema.py")
    [bar] = [b.proto.text for b in at.get("progress") if b.proto.text.startswith(f"{target.label}: ")]
    panel_bars = [b.proto.text for b in at.get("progress") if b.proto.text.startswith(already)]
    assert panel_bars, "the scheme's panel has a bar of that target"
    reached = panel_bars[0].rsplit(": ", 1)[1].split(" dari ")[0]
    assert bar == (f"{target.label}: {already} sudah terlindungi sebelumnya + "
                   f"{panel_bars[0].split(' + ', 1)[1].split(':')[0]} = {reached} dari target {count(target.value)}"), \
        (bar, panel_bars)
    beranda = next(m for m in run("admin", query={"skema": scheme.code}).metric if m.label == "Target")
    assert beranda.proto.delta.startswith(f"{reached} tercapai"), (beranda.proto.delta, reached)


@pytest.mark.parametrize("page, title", [
    ("pages/pengguna.py", "Pengguna"), ("pages/audit.py", "Log audit"), ("pages/cadangan.py", "Cadangan basis data")])
def test_admin_pages_are_for_admins_only(site, page, title):
    assert title in [t.value for t in run("admin", page).title]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        run("operator", page)
    at = run_page_directly("operator", page)
    assert title not in [t.value for t in at.title] and not at.dataframe and not at.button


def test_admin_adds_a_village_operator(site):
    at = run("admin", "pages/pengguna.py")
    at.selectbox(key="u_role").set_value("desa").run()  # the role first: it decides the boxes asked
    at.text_input(key="u_username").set_value("ani.desa")
    at.text_input(key="u_name").set_value("Ani")
    at.text_input(key="u_password").set_value(PASSWORD)
    next(b for b in at.button if b.label == "Tambah pengguna").click().run()
    assert "Operator desa harus diberi paling sedikit satu desa." in [e.value for e in at.error]
    at.selectbox(key="u_district").set_value("33.24.01").run()
    at.multiselect(key="u_villages").set_value([DESA_VILLAGE]).run()
    next(b for b in at.button if b.label == "Tambah pengguna").click().run()
    with open_db(site) as db:
        user = queries.user_by_username(db, "ani.desa")
        assert queries.user_villages(db, user["id"]) == [DESA_VILLAGE]


def test_a_new_user_starts_without_a_role_and_the_form_empties_after_a_save(site):
    """No role is chosen for the admin (a slip must not make an administrator); the typed boxes
    are in a form (a password box outside one lost its text on Tab to the show-password button);
    after a save they are drawn empty in the browser too (set, not merely dropped); the name is
    stored as names are (``person_name``) and the list shows village names, not codes."""
    at = run("admin", "pages/pengguna.py")
    assert at.selectbox(key="u_role").value is None
    assert at.text_input(key="u_password").proto.form_id == "u_new"
    at.selectbox(key="u_role").set_value("desa").run()
    at.selectbox(key="u_district").set_value("33.24.01").run()
    at.multiselect(key="u_villages").set_value([DESA_VILLAGE]).run()
    at.text_input(key="u_username").set_value("Rina.Desa")
    at.text_input(key="u_name").set_value("rina  wati")
    at.text_input(key="u_password").set_value(PASSWORD)
    next(b for b in at.button if b.label == "Tambah pengguna").click().run()
    assert not at.exception and "Pengguna rina.desa dibuat." in texts(at)
    with open_db(site) as db:
        user = queries.user_by_username(db, "rina.desa")
        assert user["name"] == "Rina Wati" and queries.user_villages(db, user["id"]) == [DESA_VILLAGE]
        village = queries.region_names(db, 4)[DESA_VILLAGE]
    for key in ("u_username", "u_name", "u_password"):
        box = at.text_input(key=key)
        assert box.value == "" and box.proto.set_value, key
    assert at.selectbox(key="u_role").value is None
    listed = at.dataframe[0].value
    row = listed[listed["Nama pengguna"] == "rina.desa"].iloc[0]
    assert row["Nama"] == "Rina Wati" and row["Desa"] == village
    # A second click on the emptied form is about the empty form, not "rina.desa sudah dipakai".
    next(b for b in at.button if b.label == "Tambah pengguna").click().run()
    assert not any("sudah dipakai" in e.value for e in at.error)


def test_a_saved_message_outlives_a_run_cut_short_and_goes_after_one_whole_run(site, monkeypatch):
    """The run that shows "... tersimpan" can be cut short by the next click or a component's
    answer (Streamlit raises RerunException at its next element): the run after shows the
    message again. Once a run that showed it has ended, it is gone."""
    import streamlit as st
    from ui.widgets import SAVED
    at = run("admin", "pages/penyandang_dana.py")
    at.session_state[SAVED] = "Penyandang dana PT Uji tersimpan."
    real, calls = st.success, []

    def success_then_cut_short(*args, **kwargs):
        shown = real(*args, **kwargs)
        calls.append(args)
        if len(calls) == 1:
            st.rerun()  # what a click arriving mid-run does to this run
        return shown

    monkeypatch.setattr(st, "success", success_then_cut_short)
    at.run()
    assert len(calls) == 2, calls  # shown by the run cut short, and by the run after it
    assert [s.value for s in at.success] == ["Penyandang dana PT Uji tersimpan."]
    at.run()
    assert not at.success, [s.value for s in at.success]


def test_audit_log_is_filterable(site, monkeypatch):
    """At 00:30 WIB on a server whose clock is UTC, what was just done is "today" (the page's
    default range once ended on the machine's date, the day before)."""
    from payung.base import clock
    monkeypatch.setattr(clock, "utc_now", lambda: dt.datetime(2026, 12, 3, 17, 30, tzinfo=dt.timezone.utc))
    with open_db(site) as db:
        add_user(db, username="tengah.malam", name="Tengah Malam", role="viewer", password=PASSWORD,
                 actor=Actor("admin", "admin"))
        made = queries.user_by_username(db, "tengah.malam")["id"]
    at = run("admin", "pages/audit.py")
    assert at.date_input(key="a_until").value == dt.date(2026, 12, 4)
    at.selectbox(key="a_table").set_value(("users",)).run()
    listed = at.dataframe[0].value
    assert set(listed["Data"]) == {"Pengguna"} and f"#{made}" in set(listed["Nomor/nama data"])
    # Each name once in the "Data" box: "Kop surat" (a letterhead, and its logo's events) was listed twice.
    options = at.selectbox(key="a_table").options
    assert len(options) == len(set(options)) and options.count("Kop surat") == 1
    at.selectbox(key="a_table").set_value(("letterhead", "letterheads")).run()
    assert not at.exception


@pytest.mark.sqlite_only("the Cadangan page's file backups and restores are SQLite's (PostgreSQL: pg_dump, issue 25 point 4)")
def test_backup_page_makes_a_copy(site):
    at = run("admin", "pages/cadangan.py")
    next(b for b in at.button if b.label == "Buat cadangan sekarang").click().run()
    message = next(s.value for s in at.success)
    path = message.removeprefix("Cadangan tersimpan di ").rstrip(".")
    with database.connect(path) as copy:
        assert copy.execute("SELECT COUNT(*) FROM workers").fetchone()[0] == DEMO_WORKERS


def test_change_own_password(site):
    at = run("operator", "pages/akun.py")
    at.text_input[0].set_value("salah-sekali1")
    at.text_input[1].set_value("baru-sekali-2026")
    at.text_input[2].set_value("baru-sekali-2026")
    at.button[-1].click().run()
    assert "Kata sandi lama salah." in [e.value for e in at.error]
    at.text_input[0].set_value(PASSWORD)
    at.text_input[1].set_value("baru-sekali-2026")
    at.text_input[2].set_value("baru-sekali-2026")
    at.button[-1].click().run()
    from payung.auth.passwords import verify_password
    with open_db(site) as db:
        assert verify_password("baru-sekali-2026", db.execute("SELECT password_hash FROM users WHERE username = 'operator'").fetchone()[0])


def test_import_page_checks_then_imports(site):
    from test_import import MESSY
    at = run("admin", "pages/impor.py")
    at.file_uploader(key="i_file").set_value(("pekerja.csv", MESSY.encode("cp1252"), "text/csv")).run()
    assert at.selectbox(key="i_map_workers_None_nik").value == "NIK"
    assert re.search(r"^\d+ baris data, \d+ kolom\.$", texts(at), re.M), texts(at)
    next(b for b in at.button if b.label == "Periksa").click().run()
    assert [m.value for m in at.metric] == ["3", "0", "0", "6"]
    assert list(at.dataframe[0].value["Baris"]) == [5, 6, 7, 8, 9, 9, 10]
    with open_db(site) as db:
        before = queries.worker_count(db)
    next(b for b in at.button if b.label.startswith("Impor 3 baris")).click().run()
    assert "Impor selesai: 3 baru" in texts(at)
    with open_db(site) as db:
        assert queries.worker_count(db) == before + 3
        assert queries.import_log(db, None)[0]["file_name"] == "pekerja.csv"
    # The rows to fix stay after the import (they vanished with the check): listed, and their file.
    import io

    import openpyxl

    from payung.imports.plans import rejected_rows_xlsx
    assert "6 barisnya ditolak" in texts(at)
    assert list(at.dataframe[0].value["Baris"]) == [5, 6, 7, 8, 9, 9, 10]
    [button] = at.get("download_button")
    assert button.proto.label == "Unduh baris yang ditolak (.xlsx)"
    book = openpyxl.load_workbook(io.BytesIO(rejected_rows_xlsx(at.session_state["_impor_left"]["plan"])))
    assert [r[0] for r in book.active.iter_rows(min_row=2, values_only=True)] == [5, 6, 7, 8, 9, 10]
    at.run()  # a click elsewhere on the page keeps them
    assert list(at.dataframe[0].value["Baris"]) == [5, 6, 7, 8, 9, 9, 10]
    # Leaving the page (Streamlit empties its file box, and the page's upload work goes) or taking
    # the file away: the rows to fix stay, said to be the last import's, until closed.
    from ui.session import UPLOAD_WORK
    assert not any("_impor_left".startswith(prefix) for prefix in UPLOAD_WORK.values())
    for key in ("_i_read", "_i_imported", "_i_plan"):  # what ui.session.release_upload_work drops elsewhere
        if key in at.session_state:
            del at.session_state[key]
    at.file_uploader(key="i_file").set_value(None).run()
    assert "Dari impor terakhir: berkas pekerja.csv (Pekerja)." in [c.value for c in at.caption]
    assert list(at.dataframe[0].value["Baris"]) == [5, 6, 7, 8, 9, 9, 10] and at.get("download_button")
    next(b for b in at.button if b.label == "Tutup daftar ini").click().run()
    assert "_impor_left" not in at.session_state and not at.get("download_button")


def test_village_operator_imports_only_their_villages(site):
    from test_import import MESSY
    at = run("desa", "pages/impor.py")
    # Workers, sponsors (a village operator may register only its own village government) and
    # sponsorship proposals for its workers.
    assert at.radio[0].value == "workers" and at.radio[0].options == ["Pekerja", "Penyandang dana", "Kepesertaan"]
    assert "Pembayaran" not in at.radio[0].options
    at.file_uploader(key="i_file").set_value(("pekerja.csv", MESSY.encode("cp1252"), "text/csv")).run()
    next(b for b in at.button if b.label == "Periksa").click().run()
    table = at.dataframe[0].value
    outside = table[table["Alasan"].str.contains("di luar wilayah tugas Anda")]
    assert list(outside["Baris"]) == [3]  # Kediten is not the operator's village, and is named
    assert list(outside["Alasan"]) == ["Desa Kediten (Kecamatan Plantungan) di luar wilayah tugas Anda."]
