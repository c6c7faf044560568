"""The everyday screens (issue 17): no traps, no English, formats people read."""

from __future__ import annotations

import ast

from db.scope import EVERYTHING
from db import queries

from conftest import DESA_VILLAGE, ROOT
from test_pages import open_db, run, texts


def _save_new_worker(at, name: str):
    """Fill the worker form with a valid worker named ``name`` and press Simpan."""
    at.text_input(key="f_nik").set_value("3324016508900003").run()
    at.text_input(key="f_name").set_value(name)
    at.selectbox(key="f_district").set_value("33.24.01").run()
    at.selectbox(key="f_village").set_value(DESA_VILLAGE)
    at.selectbox(key="f_occupation").set_value("petani")
    _simpan(at)


def _simpan(at):
    next(b for b in at.button if b.label == "Simpan").click().run()


def test_the_add_form_is_empty_after_a_save(site):
    at = run("admin", "pages/pekerja_form.py")
    _save_new_worker(at, "Sri Wahyuni")
    assert "Sri Wahyuni terdaftar sebagai pekerja." in texts(at)
    assert at.text_input(key="f_nik").value == "" and at.text_input(key="f_name").value == ""
    assert at.selectbox(key="f_district").value is None and at.selectbox(key="f_village").value is None
    assert at.date_input(key="f_birth_date").value is None and at.radio(key="f_gender").value is None
    # A second Simpan is about an empty form, not "the village is missing" of the saved worker.
    _simpan(at)
    assert "NIK wajib diisi." in [e.value for e in at.error]


def _main_elements(at) -> list:
    """The page's elements in the order drawn (columns and containers walked through)."""
    out = []

    def walk(node):
        children = getattr(node, "children", None)
        if children:
            for child in children.values():
                walk(child)
        else:
            out.append(node)
    walk(at.main)
    return out


def test_the_saved_message_is_where_the_eye_is_after_simpan(site):
    """On a phone (and at 768 px high) Simpan is below the fold: the message at the top of the
    form was off screen, and the user saw an empty form and no word that it saved. It is now
    right above the button, and a toast too; a refused save is also said beside the button."""
    at = run("admin", "pages/pekerja_form.py")
    _simpan(at)
    drawn = _main_elements(at)
    button = next(i for i, e in enumerate(drawn) if getattr(e, "label", None) == "Simpan")
    assert "perbaiki yang ditandai merah di atas" in drawn[button - 1].value
    _save_new_worker(at, "Sri Wahyuni")
    drawn = _main_elements(at)
    button = next(i for i, e in enumerate(drawn) if getattr(e, "label", None) == "Simpan")
    assert drawn[button - 1].value == "Sri Wahyuni terdaftar sebagai pekerja."
    assert [t.value for t in at.toast] == ["Sri Wahyuni terdaftar sebagai pekerja."]
    assert "Sri Wahyuni terdaftar sebagai pekerja." not in [s.value for s in drawn[:button - 1] if hasattr(s, "value")]


def test_a_fixed_nik_loses_its_red_error_before_simpan(site):
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("332401570875").run()
    _simpan(at)
    assert "NIK harus 16 digit angka (yang diisi: 12 digit)." in [e.value for e in at.error]
    at.text_input(key="f_nik").set_value("3324016508900003").run()
    assert not any("16 digit" in e.value for e in at.error)


def test_a_short_nik_is_told_once_and_the_saved_name_is_the_stored_one(site):
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("3324015708").run()
    said = [w.value for w in at.warning] + [e.value for e in at.error]
    assert said.count("NIK harus 16 digit angka (yang diisi: 10 digit).") == 1
    _simpan(at)
    said = [w.value for w in at.warning] + [e.value for e in at.error]
    assert said.count("NIK harus 16 digit angka (yang diisi: 10 digit).") == 1, said
    # Typed in lower case, stored (and announced) as names are written.
    _save_new_worker(at, "sri  wahyuni uji")
    assert "Sri Wahyuni Uji terdaftar sebagai pekerja." in texts(at)


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


def test_back_to_the_list_keeps_the_filters_it_shows(site):
    """The list came back filtered while the search box was empty: the boxes and the list agree."""
    with open_db(site) as db:
        worker = db.execute("SELECT id, name, occupation FROM workers ORDER BY id LIMIT 1").fetchone()
    at = run("admin", "pages/pekerja.py")
    at.text_input(key="cari_pekerja").set_value(worker[1])
    at.selectbox(key="filter_pekerjaan").set_value(worker[2]).run()
    shown = at.caption[-1].value if at.caption else ""
    filtered = len(at.dataframe[0].value)
    at.query_params["id"] = str(worker[0])
    at.run()
    assert at.title[0].value.startswith(worker[1])
    at.button(key="kembali").click().run()
    # Set again, not merely kept in the session: the browser draws the boxes anew and would show
    # them empty (set_value is what makes it show the value).
    assert at.text_input(key="cari_pekerja").value == worker[1] and at.text_input(key="cari_pekerja").proto.set_value
    assert at.selectbox(key="filter_pekerjaan").value == worker[2] and at.selectbox(key="filter_pekerjaan").proto.set_value
    assert len(at.dataframe[0].value) == filtered and shown in [c.value for c in at.caption]


def _empty_site(tmp_path, monkeypatch) -> None:
    """The app on an empty database with only its administrator."""
    import db as database
    from payung.auth.access import Actor
    from payung.auth.users import add_user
    from conftest import PASSWORD, write_config
    monkeypatch.setenv("PAYUNG_CONFIG", str(write_config(tmp_path)))
    monkeypatch.setenv("PAYUNG_DB", str(tmp_path / "kosong.db"))
    monkeypatch.setenv("PAYUNG_COOKIE_KEY", "k" * 40)
    with database.open_database(tmp_path / "kosong.db") as conn:
        add_user(conn, username="admin", name="Admin", role="admin", password=PASSWORD, actor=Actor.system())


def test_an_empty_registry_says_what_to_do_not_that_nothing_matched(tmp_path, monkeypatch):
    _empty_site(tmp_path, monkeypatch)
    at = run("admin", "pages/pekerja.py")
    said = " ".join(i.value for i in at.info)
    assert "Belum ada pekerja terdaftar" in said and "Impor data" in said and "cocok" not in said


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
    _empty_site(tmp_path, monkeypatch)
    at = run("admin")
    assert any("Belum ada pekerja. Mulai dari Tambah pekerja" in i.value for i in at.info)
    assert not at.get("arrow_vega_lite_chart")


def test_scheme_panels_follow_the_district_filter(site):
    from payung.finance.claims import protection_panel
    from payung.schemes.data import reader_for
    from payung.auth.access import Actor
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


def test_the_budget_planner_reads_months_and_words_people_use(site):
    """It asked "Bulan mulai" as the text "2026-12" and pointed to "config.toml"."""
    from payung.base.months import current_month, format_month
    at = run("admin", "pages/anggaran.py")
    start = at.selectbox(key="a_plan_start")
    assert start.value == current_month() and format_month(current_month()) in start.options
    said = texts(at)
    assert "config.toml" not in said and "tarif iuran BPJS Ketenagakerjaan" in said
    at.number_input(key="a_plan_workers").set_value(10).run()
    assert any(f"mulai {format_month(current_month())}" in s.value for s in at.success)


def test_what_the_targets_count_is_said_and_no_target_reads_the_same_everywhere(site):
    """The GN panel said "219 dari 1.000" while the Beranda said 83 protected: each says what it
    counts. A scheme without a target read "Target 0" in the report summary and "-" in its table;
    money in scheme texts is written like everywhere else (Rp16.800, not "Rp 16.800")."""
    import io
    import re

    from openpyxl import load_workbook

    from payung.auth.access import Actor
    from payung.reports.dashboard import View, build
    from payung.base.months import current_month
    from payung.reports.monthly import report_xlsx
    from payung.schemes.standard_panels import targets
    from payung.schemes.data import DataReader
    from db.scope import EVERYTHING
    app = site["app"]
    for scheme in app.plugins.schemes.values():
        assert not re.search(r"Rp \d", " ".join([scheme.description, scheme.legal_basis or ""])), scheme.code
    scheme = next(s for s in app.plugins.schemes.values() if s.targets and s.targets[0].per != "village")
    with open_db(site) as db:
        panel = targets(scheme, DataReader(db, EVERYTHING), current_month())[0]
        assert "lunas atau belum" in panel.caption and "Terlindungi" in panel.caption
        untargeted = next(c for c, s in app.plugins.schemes.items() if not s.targets)
        d = build(db, app.plugins, View(current_month(), untargeted), actor=Actor("admin", "admin"))
    book = load_workbook(io.BytesIO(report_xlsx(d)))
    summary = {r[0]: r[1] for r in book["Ringkasan"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Target"] == "tanpa target"
    assert [r[2] for r in book["Per skema"].iter_rows(min_row=2, values_only=True)] == ["tanpa target"]
    at = run("admin", query={"skema": scheme.code})
    assert "Panel skema menghitung kepesertaan yang berjalan" in texts(at)


def _shown_in(at) -> dict[str, list[str]]:
    """Each table variant's container marker (which widths show it) -> its columns."""
    out = {}

    def walk(node):
        for child in (getattr(node, "children", None) or {}).values():
            key = getattr(child, "key", None) or ""
            if "__tampil" in key:
                [frame] = [c for c in child.children.values() if type(c).__name__ == "Dataframe"]
                out[key.split("__tampil", 1)[1]] = list(frame.value.columns)
            walk(child)
    walk(at.main)
    return out


def test_tables_show_the_columns_that_decide_first_for_the_width(site):
    """A phone showed NIK/Nama/Desa of the worker list and hid the status; Tagihan hid Dibayar,
    Sisa and Status; at 1366 px Pembayaran cut Skema and pushed Baris, Referensi, Dicatat oleh
    off screen. Each such table has a set for a phone and one for a laptop (name, status,
    amounts first), shown by the width of the screen; a wide screen shows every column."""
    from ui.widgets import TABLE_CSS
    workers = _shown_in(run("admin", "pages/pekerja.py"))
    assert workers["_hp_"] == ["Nama", "Status bulan ini", "Desa/Kel."]
    assert workers["_laptop_"][:2] == ["Nama", "Status bulan ini"] and "Kecamatan" not in workers["_laptop_"]
    assert workers["_lebar_"][:2] == ["Nama", "Status bulan ini"] and "Kecamatan" in workers["_lebar_"]
    bills = _shown_in(run("admin", "pages/tagihan.py"))
    assert bills, texts(run("admin", "pages/tagihan.py"))
    assert bills["_hp_"][1:3] == ["Status", "Sisa"] and "Dibayar" in bills["_lebar__laptop_"]
    payments = _shown_in(run("admin", "pages/pembayaran.py"))
    assert payments["_laptop_"] == ["Tanda terima", "Tanggal bayar", "Jumlah", "Status", "Dari", "Skema"]
    assert {"Baris", "Referensi", "Dicatat oleh"} <= set(payments["_lebar_"])
    # Schemes by their short names in a column ("GN Lingkaran", not its whole bracketed name).
    assert not [n for n in run("admin", "pages/pembayaran.py").dataframe[1].value["Skema"] if "(" in n]
    # The browser shows one set: each width range hides the sets not marked for it.
    for marker in ("_hp_", "_laptop_", "_lebar_"):
        assert f':not([class*="{marker}"])' in TABLE_CSS


def test_an_empty_search_says_so_without_a_pager(site):
    """"Menampilkan 0-0 dari 0 data" under an empty search; a page box with one page to pick."""
    at = run("admin", "pages/pekerja.py")
    at.text_input(key="cari_pekerja").set_value("zzzqqq").run()
    assert "Tidak ada pekerja yang cocok" in texts(at)
    assert not [c for c in at.caption if "Menampilkan" in c.value] and not at.number_input
    at = run("admin", "pages/pekerja.py")
    at.text_input(key="cari_pekerja").set_value(at.dataframe[0].value["Nama"][0]).run()
    shown = [c.value for c in at.caption if "Menampilkan" in c.value]
    assert shown and "halaman_pekerja" not in [n.key for n in at.number_input]


def test_import_keeps_the_files_own_headings_and_shows_every_reason_whole(site):
    """A heading "Desa/Kel." must read "Desa/Kel." in the column mapping, the rejected rows and
    their XLSX (a user looks for the column they typed); long reasons ended mid-word ("...Format
    kolom seba"): the rows are as tall as the longest reason needs, on a phone too."""
    import io
    import json

    from openpyxl import load_workbook

    from payung.imports.plans import rejected_rows_xlsx
    headers = ["No.", "NIK", "Nama Lengkap", "Tgl. Lahir", "JK", "Desa/Kel.", "Kec.", "Pekerjaan", "No. HP/WA"]
    data = (";".join(headers) + "\n"
            "1;3,32401E+15;Ani Uji;17/08/1975;L;Blumah;Plantungan;Petani;0812\n"
            "2;3324011708759002;Budi Uji;17/08/1975;L;Atlantis;Plantungan;Petani;0812\n").encode()
    at = run("admin", "pages/impor.py")
    at.file_uploader(key="i_file").set_value(("pekerja desa.csv", data, "text/csv")).run()
    assert at.selectbox(key="i_map_workers_None_village").value == "Desa/Kel."
    assert at.selectbox(key="i_map_workers_None_district").value == "Kec."
    assert "Desa/Kel." in at.selectbox(key="i_map_workers_None_village").options
    next(b for b in at.button if b.label == "Periksa").click().run()
    rejected = at.dataframe[0].value
    assert {"Desa/Kel.", "NIK"} <= set(rejected["Kolom"])
    plan = at.session_state["_i_plan"][1]
    sheet = load_workbook(io.BytesIO(rejected_rows_xlsx(plan))).active
    assert [c.value for c in sheet[1]] == ["Baris", *headers, "Alasan penolakan"]
    assert any(str(c.value).startswith("Desa/Kel.: ") for c in sheet["K"][1:])
    longest = max(len(m) for m in rejected["Alasan"])
    wide, phone = at.dataframe[0].proto, at.dataframe[1].proto
    assert longest > 95 and wide.row_height >= 2 * 20 and phone.row_height >= 4 * 20
    assert json.loads(wide.columns)["Alasan"]["width"] >= 600 and json.loads(phone.columns)["Alasan"]["width"] <= 260


def test_the_worker_picker_searches_a_typed_name_among_all_workers(site):
    """The picker holds the first 200 eligible workers and found nothing typed until the search
    box above it was used: a name typed in it and entered becomes the search, and the one worker
    it finds is picked."""
    import pytest

    from payung.auth.access import Actor
    from payung.enrolment.sponsorships import eligible_workers
    app = site["app"]
    with open_db(site) as db:
        for code in app.plugins.schemes:
            every = eligible_workers(db, app.plugins, scheme_code=code, sponsor=None, start_month=__import__(
                "payung.base.months", fromlist=["current_month"]).current_month(), months=12, actor=Actor("admin", "admin"),
                limit=100_000)
            names = [w["name"] for w in every]
            last = next((w for w in reversed(every) if names.count(w["name"]) == 1), None)
            if len(every) > 30 and last:
                break
        else:
            pytest.skip("no scheme with enough eligible workers in the demo data")
    at = run("admin", "pages/kepesertaan.py", state={"k_scheme": code})
    picker = at.multiselect(key="k_workers")
    assert picker.proto.accept_new_options if hasattr(picker.proto, "accept_new_options") else True
    picker.set_value([last["name"]]).run()
    assert at.text_input(key="k_search").value == last["name"]
    assert at.multiselect(key="k_workers").value == [last["id"]]
    assert not at.exception


def test_start_months_before_the_scheme_began_are_not_offered():
    """The list offered months before the scheme started, which Periksa then refused."""
    import datetime as dt
    from types import SimpleNamespace

    from payung.base.config import Limits
    from payung.enrolment.sponsorships import _start_out_of_range, start_months
    settings = SimpleNamespace(limits=Limits())
    today = dt.date(2026, 12, 5)
    new = SimpleNamespace(started="2027-02-01", name="Skema baru")
    offered = start_months(new, settings, today=today)
    assert offered[0] == "2027-02" and offered[-1] == "2027-12"
    old = SimpleNamespace(started="2022-12-07", name="Skema lama")
    assert start_months(old, settings, today=today)[0] == "2026-06"
    assert not [m for scheme in (new, old) for m in start_months(scheme, settings, today=today)
                if _start_out_of_range(scheme, settings, m)]


def test_the_page_files_are_never_listed_in_the_sidebar():
    """On a server's first run Streamlit listed the files of pages/ ("pekerja form") for a moment
    before app.py drew its navigation: app.py hides that list with its very first element, before
    its slow imports, until the navigation marks itself drawn; and the page CSS keeps no "<"
    (st.html dropped the whole style when a comment said "<the text>")."""
    from ui.widgets import TABLE_CSS, _INSTRUCTIONS, _PAGE_CSS, _toolbar_css
    tree = ast.parse((ROOT / "app.py").read_text())
    first = next(n for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call))
    assert ast.unparse(first.value.func) == "st.html" and "stSidebarNav" in ast.unparse(first)
    imports_after = [n for n in tree.body[tree.body.index(first):] if isinstance(n, ast.ImportFrom)]
    assert {n.module for n in imports_after} >= {"payung.auth.access", "ui.session"}
    css = _PAGE_CSS.replace("%(instructions)s", _INSTRUCTIONS + TABLE_CSS + _toolbar_css())
    assert "<" not in css.replace("<style>", "").replace("</style>", "")


def test_the_navigation_is_shown_once_drawn(site):
    at = run("admin")
    styles = [h.proto.body for h in at.get("html")]
    hidden = next(i for i, css in enumerate(styles) if "stSidebarNav" in css and "hidden" in css)
    assert any("stSidebarNav" in css and "visible !important" in css for css in styles[hidden + 1:]), styles
