"""The everyday screens (issue 17): no traps, no English, formats people read."""

from __future__ import annotations

import ast

from db.scope import EVERYTHING
from db import queries

from conftest import DESA_VILLAGE, ROOT
from test_pages import open_db, run, texts


def _simpan(at):
    next(b for b in at.button if b.label == "Simpan").click().run()


def test_the_add_form_is_empty_after_a_save(site):
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("3324016508900003").run()
    at.text_input(key="f_name").set_value("Sri Wahyuni")
    at.selectbox(key="f_district").set_value("33.24.01").run()
    at.selectbox(key="f_village").set_value(DESA_VILLAGE)
    at.selectbox(key="f_occupation").set_value("petani")
    _simpan(at)
    assert "Sri Wahyuni terdaftar sebagai pekerja." in texts(at)
    assert at.text_input(key="f_nik").value == "" and at.text_input(key="f_name").value == ""
    assert at.selectbox(key="f_district").value is None and at.selectbox(key="f_village").value is None
    assert at.date_input(key="f_birth_date").value is None and at.radio(key="f_gender").value is None
    # A second Simpan is about an empty form, not "the village is missing" of the saved worker.
    _simpan(at)
    assert "NIK wajib diisi." in [e.value for e in at.error]


def test_a_fixed_nik_loses_its_red_error_before_simpan(site):
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("332401570875").run()
    _simpan(at)
    assert "NIK harus 16 digit angka (yang diisi: 12 digit)." in [e.value for e in at.error]
    at.text_input(key="f_nik").set_value("3324016508900003").run()
    assert not any("16 digit" in e.value for e in at.error)


def test_a_nik_excel_wrote_as_a_number_is_explained(site):
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("3,32701E+15").run()
    assert any("angka ilmiah (Excel)" in w.value for w in at.warning)


def test_back_to_the_list_leaves_the_worker(site):
    with open_db(site) as db:
        worker_id = db.execute("SELECT id FROM workers ORDER BY id LIMIT 1").fetchone()[0]
        name = queries.worker(db, worker_id, EVERYTHING)["name"]
    at = run("admin", "pages/pekerja.py", query={"id": str(worker_id)})
    assert at.title[0].value.startswith(name)
    at.button(key="kembali").click().run()
    assert "id" not in at.query_params
    assert at.title[0].value == "Daftar pekerja" and at.dataframe


def test_every_select_box_has_an_indonesian_placeholder():
    """Streamlit's default placeholder is "Choose an option"; dates are typed DD/MM/YYYY."""
    missing = []
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                names = {k.arg for k in node.keywords}
                if node.func.attr in ("selectbox", "multiselect") and "placeholder" not in names:
                    missing.append(f"{path.name}:{node.lineno}")
                if node.func.attr == "date_input" and "format" not in names:
                    missing.append(f"{path.name}:{node.lineno} (date format)")
    assert not missing, missing


def test_the_favicon_is_a_local_file():
    source = (ROOT / "app.py").read_text()
    assert 'page_icon=":material' not in source and (ROOT / "ui" / "static" / "payung.png").is_file()
    assert "expanded=True" in source


def test_an_empty_database_says_what_to_do_instead_of_blank_charts(tmp_path, monkeypatch):
    import db as database
    from payung.access import Actor
    from payung.users import add_user
    from conftest import PASSWORD, write_config
    monkeypatch.setenv("PAYUNG_CONFIG", str(write_config(tmp_path)))
    monkeypatch.setenv("PAYUNG_DB", str(tmp_path / "kosong.db"))
    monkeypatch.setenv("PAYUNG_COOKIE_KEY", "k" * 40)
    add_user(database.open_database(tmp_path / "kosong.db"), username="admin", name="Admin", role="admin",
             password=PASSWORD, actor=Actor.system())
    at = run("admin")
    assert any("Belum ada pekerja. Mulai dari Tambah pekerja" in i.value for i in at.info)
    assert not at.get("arrow_vega_lite_chart")


def test_scheme_panels_follow_the_district_filter(site):
    from payung.claims import protection_panel
    from payung.data import reader_for
    from payung.access import Actor
    with open_db(site) as db:
        admin = Actor("admin", "admin")
        # A scheme with paid lines, whichever schemes are installed, and a district of its regency.
        code, village = db.execute(
            "SELECT l.scheme_code, l.village_code FROM contribution_lines l WHERE l.paid_amount > 0 "
            "ORDER BY l.scheme_code, l.village_code LIMIT 1").fetchone()
        district, regency = village[:8], village[:5]
        everywhere = protection_panel(db, scheme_code=code, actor=admin).rows[0]["value"]
        nowhere = protection_panel(db, scheme_code=code, actor=admin, district=f"{regency}.99").rows[0]["value"]
        assert nowhere == "Rp0" and everywhere != "Rp0"
        assert reader_for(db, actor=admin, district=district).scope.villages
    at = run("admin", query={"skema": code, "kecamatan": district})
    assert "Angka panel untuk" in texts(at)


def test_money_in_tables_is_a_number_shown_as_rupiah():
    """Amounts come to ``table`` as ``rupiah()`` text; underneath they are numbers (a click on
    the heading sorts Rp9.000 before Rp10.000), shown as Rupiah and right-aligned."""
    from streamlit.testing.v1 import AppTest

    def script():
        from ui.widgets import rupiah, table
        table([{"Pihak": "A", "Tunggakan": rupiah(10_000), "Catatan": "Rp16800 per bulan"},
               {"Pihak": "B", "Tunggakan": rupiah(9_000), "Catatan": "-"},
               {"Pihak": "C", "Tunggakan": "-", "Catatan": "-"},
               {"Pihak": "D", "Tunggakan": rupiah(-250_000), "Catatan": "-"}])

    at = AppTest.from_function(script)
    at.run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert list(frame["Tunggakan"].sort_values(na_position="last")) [:3] == [-250_000, 9_000, 10_000]
    assert str(frame["Tunggakan"].dtype) == "Int64" and frame["Catatan"][0] == "Rp16800 per bulan"
    proto = at.dataframe[0].proto
    assert '"alignment": "right"' in proto.columns and "Tunggakan" in proto.columns
    shown = proto.arrow_data.styler.display_values  # what the browser shows, sent beside the numbers
    assert b"Rp10.000" in shown and b"-Rp250.000" in shown
