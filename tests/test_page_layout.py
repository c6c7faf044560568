"""What every page shares: Indonesian placeholders and date formats, the local favicon, the navigation
drawn without a flash of file names, and tables whose amounts are numbers shown as Rupiah with
the columns that decide first for the screen's width."""

from __future__ import annotations

import ast
import re

import pytest

from conftest import ROOT
from test_pages import open_db, run, texts


def test_every_select_box_has_an_indonesian_placeholder():
    """Streamlit's default placeholder is "Choose an option"; dates are typed DD/MM/YYYY."""
    missing = []
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                names = {k.arg for k in node.keywords}
                if any(k.arg is None and "or_all(" in ast.unparse(k.value) for k in node.keywords):
                    names.add("placeholder")  # ui.widgets.or_all gives the box its placeholder
                if node.func.attr in ("selectbox", "multiselect") and "placeholder" not in names:
                    missing.append(f"{path.name}:{node.lineno}")
                if node.func.attr == "date_input" and "format" not in names:
                    missing.append(f"{path.name}:{node.lineno} (date format)")
    assert not missing, missing


def _none_words(call: ast.Call) -> str | None:
    """What a select box's ``format_func`` says for None (its "all" or "none" choice), if it says."""
    func = next((k.value for k in call.keywords if k.arg == "format_func"), None)
    if isinstance(func, ast.Lambda) and isinstance(func.body, ast.IfExp):
        test, said = func.body.test, func.body.body
        if (isinstance(test, ast.Compare) and isinstance(test.ops[0], ast.Is) and isinstance(said, ast.Constant)
                and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None):
            return said.value
    return None


def test_a_box_whose_choice_is_none_shows_that_choice_when_reset():
    """Beranda's Desa box read "Pilih..." after its kecamatan went back to "Semua kecamatan":
    Streamlit resets a box whose choices changed to None and the browser draws None as an empty
    box with its placeholder. A box with a None choice ("Semua desa") has those words as its
    placeholder (``ui.widgets.or_all`` for a filter; or the same words, written out)."""
    wrong = []
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("plugins/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "selectbox"):
                continue
            options = node.args[1] if len(node.args) > 1 else None
            if isinstance(options, ast.List) and options.elts and isinstance(options.elts[0], ast.Constant) \
                    and options.elts[0].value is None:
                wrong.append(f"{path.name}:{node.lineno} [None, ...]: ui.widgets.or_all")
            said = _none_words(node)
            placeholder = next((k.value for k in node.keywords if k.arg == "placeholder"), None)
            if said is not None and not (isinstance(placeholder, ast.Constant) and placeholder.value == said):
                wrong.append(f"{path.name}:{node.lineno} placeholder is not {said!r}")
    assert not wrong, wrong


def test_a_filter_box_says_all_in_its_first_choice_and_its_placeholder():
    from ui.widgets import or_all
    villages = {"33.24.01.2001": "Ampelgading", "33.24.01.2002": "Banyuputih"}
    box = or_all(villages, "Semua desa", value="33.24.01.2002")
    assert box["options"] == [None, *villages] and box["index"] == 2 and box["placeholder"] == "Semua desa"
    assert [box["format_func"](v) for v in box["options"]] == ["Semua desa", "Ampelgading", "Banyuputih"]
    # No value, or one no longer among the choices: no index (a keyed box's kept value is not overridden).
    assert "index" not in or_all(villages, "Semua desa") and "index" not in or_all(villages, "Semua desa", value="x")


def test_a_keyed_filter_box_in_a_form_is_refused_with_words_that_name_or_all():
    """``or_all``'s callback cannot work in an ``st.form`` (Streamlit allows a callback there only
    on the submit button), and Streamlit's own refusal names a callback the page never wrote. A
    keyed filter box inside ``with st.form`` is refused by ``or_all``, saying what to do; outside a
    form, or without a key, it is drawn."""
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st
        from ui.widgets import or_all
        said = []
        for name, key in (("in", "k_in"), ("bare", None)):
            with st.form(name):
                try:
                    st.selectbox("Desa", **or_all({"a": "A"}, "Semua desa", key=key))
                except ValueError as exc:
                    said.append(str(exc))
                st.form_submit_button("Kirim")
        st.selectbox("Desa", **or_all({"a": "A"}, "Semua desa", key="k_out"))
        st.session_state["said"] = said

    at = AppTest.from_function(script, default_timeout=60).run()  # the first import of ui.widgets is slow
    assert not at.exception, at.exception
    said = at.session_state["said"]
    assert len(said) == 1 and "or_all(key='k_in') inside st.form" in said[0] and "outside the form" in said[0], said
    assert [box.key for box in at.selectbox] == [None, "k_out"], [box.key for box in at.selectbox]


def test_the_favicon_is_a_local_file():
    source = (ROOT / "app.py").read_text()
    assert 'page_icon=":material' not in source and (ROOT / "ui" / "static" / "payung.png").is_file()
    assert "expanded=True" in source


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
    # A worker's sponsorships (Status and KPJ were off screen at 1366 px), the lapsed ones (the scheme's
    # whole name took half the width) and the budget lines on a phone (the bar was off screen).
    with open_db(site) as db:
        sponsored = db.execute("SELECT worker_id FROM sponsorships ORDER BY id LIMIT 1").fetchone()[0]
    sponsorships = _shown_in(run("admin", "pages/pekerja.py", query={"id": str(sponsored)}))
    assert sponsorships["_laptop_"][:2] == ["Skema", "Status"] and "KPJ" in sponsorships["_lebar_"]
    assert not [n for n in run("admin", "pages/pekerja.py", query={"id": str(sponsored)}).dataframe[1].value["Skema"]
                if "(" in n]
    late = _shown_in(run("admin", "pages/tunggakan.py"))
    assert late["_hp_"] == ["Pekerja", "Bulan tidak dibayar", "Sampai"] and "Skema" in late["_laptop_"]
    budgets = _shown_in(run("admin", "pages/anggaran.py"))
    assert budgets["_hp_"] == ["Pos", "Terpakai", "Skema"]
    # The sponsor list on a phone ("Pekerja ditanggung" was off screen) and a sponsor's page (Status
    # was off screen on a phone, and at 1366 px behind the scheme's whole name): what decides first.
    sponsors = _shown_in(run("admin", "pages/penyandang_dana.py"))
    assert sponsors["_hp_"] == ["Nama", "Pekerja ditanggung", "Jenis"] and "OPD/Desa" in sponsors["_lebar__laptop_"]
    with open_db(site) as db:
        sponsor = db.execute("SELECT sponsor_id FROM sponsorships ORDER BY id LIMIT 1").fetchone()[0]
    at = run("admin", "pages/penyandang_dana.py", query={"id": str(sponsor)})
    covered = _shown_in(at)
    assert covered["_hp_"] == ["Nama", "Status", "Sampai"]
    assert covered["_lebar__laptop_"][:3] == ["Nama", "Status", "Skema"] and "NIK" in covered["_lebar__laptop_"]
    assert not [n for n in at.dataframe[0].value["Skema"] if "(" in n]  # the short name, its whole one in the tooltip
    # The browser shows one set: each width range hides the sets not marked for it.
    for marker in ("_hp_", "_laptop_", "_lebar_"):
        assert f':not([class*="{marker}"])' in TABLE_CSS


def phone_kind_width() -> int:
    """The width of the phone sponsor list's Jenis column (``PHONE_KIND_WIDTH``, read from the
    page's source: importing the page would run it)."""
    tree = ast.parse((ROOT / "pages" / "penyandang_dana.py").read_text())
    return next(ast.literal_eval(n.value) for n in tree.body
                if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "PHONE_KIND_WIDTH")


def test_a_phone_shows_a_sponsors_kind_by_its_short_label(site):
    """On a phone the sponsor list's Jenis column was cut at the screen's right edge ("ASN
    (PNS/non-PNS)" in a 95 px column): there each kind is shown by its short label, in a column
    as wide as the widest of them needs (``test_browser`` measures them in the table's font)."""
    import json
    from payung.base.sponsor_types import SPONSOR_TYPES
    at = run("admin", "pages/penyandang_dana.py")
    [phone] = [f for f in at.dataframe if f.proto.id.endswith("tabel_sponsor_0-hp")]
    kind = json.loads(phone.proto.columns)["Jenis"]
    shown = {o["value"]: o["label"] for o in kind["type_config"]["options"]}
    assert shown == {t.label: t.short_label for t in SPONSOR_TYPES.values()}, shown
    assert shown["ASN (PNS/non-PNS)"] == "ASN" and kind["width"] == phone_kind_width()
    assert set(phone.value["Jenis"]) <= set(shown)  # the values are the kinds' labels, shown short
    wide = [f for f in at.dataframe if f is not phone and "Jenis" in f.value.columns]
    assert wide and all("ASN (PNS/non-PNS)" in set(f.value["Jenis"]) for f in wide)  # the whole label elsewhere


def test_a_short_scheme_name_is_spelled_out_in_its_columns_tooltip(site):
    """Tables show a scheme by its short name ("GN Lingkaran"); the heading's tooltip says what
    each short name in it stands for, the bracketed whole name."""
    import json
    from payung.base.formats import short_name
    from ui.widgets import plain
    whole = {short_name(s.name): s.name for s in site["app"].plugins.schemes.values() if short_name(s.name) != s.name}
    if not whole:
        pytest.skip("no installed scheme has a name that is shortened")
    with open_db(site) as db:
        sponsored, sponsor = db.execute("SELECT worker_id, sponsor_id FROM sponsorships ORDER BY id LIMIT 1").fetchone()
    seen = set()
    for path, query in [("pages/pembayaran.py", {}), ("pages/pekerja.py", {"id": str(sponsored)}),
                        ("pages/penyandang_dana.py", {"id": str(sponsor)}),
                        ("pages/pekerja.py", {}), ("pages/tunggakan.py", {}), ("pages/anggaran.py", {})]:
        at = run("admin", path, query=query)
        tables = [t for t in at.dataframe if "Skema" in t.value.columns]
        assert tables or path == "pages/anggaran.py", (path, query)
        for frame in tables:
            config = json.loads(frame.proto.columns)
            legend = next((c.get("help") or "" for c in config.values() if c.get("label") == "Skema"), "")
            for short in set(frame.value["Skema"]) & set(whole):
                seen.add(path)
                assert plain(f"{short}: {whole[short]}") in legend, (path, short, legend)
    assert seen, "no table showed a shortened scheme name: the tooltip went unchecked"


def test_no_word_streamlit_writes_is_said_as_another_of_its_words():
    """The script that says Streamlit's words in Indonesian writes a text only when it changes;
    a word said as itself or as another of the words (the "Median" it kept writing froze the tab
    on a number column's statistics) is a loop waiting to happen."""
    from ui.widgets import STREAMLIT_LABELS, STREAMLIT_WORDS, _HELP_FOR, _WORDS_SCRIPT
    assert not set(STREAMLIT_WORDS.values()) & set(STREAMLIT_WORDS)
    assert not set(STREAMLIT_LABELS.values()) & set(STREAMLIT_LABELS) and not _HELP_FOR[1].startswith(_HELP_FOR[0])
    assert 'said !== value) element.setAttribute("aria-label", said)' in _WORDS_SCRIPT
    assert "said !== node.nodeValue" in _WORDS_SCRIPT


def test_what_each_short_scheme_name_stands_for_is_said_once():
    from payung.base.formats import short_name_legend
    names = ["GN Lingkaran (Gerakan Nasional Peduli)", "Kendal Sejahtera", "GN Lingkaran (Gerakan Nasional Peduli)",
             "ASN (X)"]
    assert short_name_legend(names) == "GN Lingkaran: GN Lingkaran (Gerakan Nasional Peduli)  \nASN: ASN (X)"
    assert short_name_legend(["Kendal Sejahtera"]) is None and short_name_legend([]) is None


def test_the_uncaught_error_said_in_indonesian_is_streamlits_own_text():
    """The words script replaces Streamlit's text exactly: a Streamlit upgrade that rewords it
    fails here, not silently in English on a user's screen."""
    from streamlit.elements import exception
    from ui.widgets import STREAMLIT_WORDS, UNCAUGHT_ERROR
    assert UNCAUGHT_ERROR == exception._GENERIC_UNCAUGHT_EXCEPTION_TEXT and UNCAUGHT_ERROR in STREAMLIT_WORDS


#: A number format the browser writes the English way: a printf decimal ("%.1f" gives "1.7"), or
#: the browser's own language ("localized", "percent": "1.7%" in an English Chrome).
_ENGLISH_DECIMALS = r"%[-+ 0#,']*\d*\.[1-9]\d*[fFeEgG]|^(localized|percent|accounting|compact)$"


def test_no_table_writes_a_decimal_point():
    """Anggaran's Terpakai showed "1.7%": Streamlit's printf formats write a decimal point, never
    the comma an Indonesian reads. A table column's number format is a whole number (amounts come
    as Rupiah text, ``table``): every format written in a page's or widget's column."""
    import re
    formats = []
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("plugins/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("Column"):
                formats += [(path.name, node.lineno, k.value.value) for k in node.keywords
                            if k.arg == "format" and isinstance(k.value, ast.Constant)]
    assert formats, "no column with a number format: the check went unchecked"
    wrong = [f for f in formats if re.search(_ENGLISH_DECIMALS, f[2])]
    assert not wrong, wrong


def test_two_choices_with_the_same_words_are_told_apart():
    """Streamlit finds a select box's choice by its words: of two sponsors both "Agus Sembiring
    (ASN)", picking the first stored the second (Kepesertaan billed the wrong civil servant).
    ``ui.widgets.distinct`` gives such words the record's ID."""
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st
        from ui.widgets import distinct
        same = {55: "Agus Sembiring (ASN)", 81: "Agus Sembiring (ASN)", 90: "Budi"}
        told = distinct(same)
        st.selectbox("Told apart", list(told), format_func=told.get, index=None, key="told")
        st.selectbox("As written", list(same), format_func=same.get, index=None, key="same")

    at = AppTest.from_function(script)
    at.run()
    at.selectbox(key="told").set_value(55)
    at.selectbox(key="same").set_value(55)
    at.run()
    assert at.selectbox(key="told").value == 55
    assert at.selectbox(key="told").options == ["Agus Sembiring (ASN) · ID 55", "Agus Sembiring (ASN) · ID 81", "Budi"]
    # The hazard itself (should Streamlit ever tell them apart, distinct can go).
    assert at.selectbox(key="same").value == 81


def test_a_row_picked_in_one_column_set_after_another_is_the_one_that_answers():
    """A table is drawn once per screen width (``ui.widgets.table``'s column sets). A row picked on
    a wide screen stays picked in that set; after the window narrowed, a row picked in the phone
    set was ignored (the first set with a pick answered): Tagihan kept another party's bill open.
    The set picked in last answers, in ``table``'s return and in ``picked_rows``, read before the
    table is drawn too."""
    from streamlit.testing.v1 import AppTest

    def script():
        from types import SimpleNamespace

        import streamlit as st

        import ui.widgets as widgets
        st.session_state["before"] = widgets.picked_rows("t")
        drawn = widgets._dataframe  # the module is shared with the other tests: put back after
        widgets._dataframe = lambda frame, config, money, key, **kw: st.session_state.get(
            key, SimpleNamespace(selection=SimpleNamespace(rows=[])))
        try:
            event = widgets.table([{"Nama": "Bappeda", "Sisa": 1}, {"Nama": "Dishub", "Sisa": 2},
                                   {"Nama": "Dinsos", "Sisa": 3}], phone=["Nama"], key="t")
        finally:
            widgets._dataframe = drawn
        st.session_state["answer"] = event.selection.rows

    def sent(at, **sets):
        """What the browser sent for each set (as Streamlit keeps it before the run)."""
        from types import SimpleNamespace
        for key, rows in sets.items():
            at.session_state[key.replace("_", "-")] = SimpleNamespace(selection=SimpleNamespace(rows=rows))
        at.run()
        return at.session_state["before"], at.session_state["answer"]

    at = AppTest.from_function(script)
    assert sent(at, t=[0]) == ([0], [0])
    assert sent(at, t=[0], t_hp=[1]) == ([1], [1])  # the phone's pick, the wide one still there
    assert sent(at, t=[0], t_hp=[1]) == ([1], [1])  # a click elsewhere: the phone's pick holds
    assert sent(at, t=[2], t_hp=[1]) == ([2], [2])  # wide again, another row: that one
    assert not at.exception


def test_no_widget_key_is_used_by_two_pages():
    """A widget's value lives in the session under its key, across pages: Beranda's "b_scheme"
    (all schemes, None) was read by BPJS's box of the same key, which then had no scheme."""
    import collections
    pages: dict[str, set[str]] = collections.defaultdict(set)
    for path in ROOT.glob("pages/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg != "key":
                        continue
                    if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                        pages[keyword.value.value].add(path.name)
                    elif isinstance(keyword.value, ast.JoinedStr) and keyword.value.values \
                            and isinstance(keyword.value.values[0], ast.Constant):  # f"k_field_{code}": its start
                        pages[keyword.value.values[0].value + "…"].add(path.name)
    shared = {key: sorted(names) for key, names in pages.items() if len(names) > 1}
    assert pages and not shared, shared


def test_a_panel_without_rows_says_what_its_emptiness_means():
    """Mempawah's list of the villages that have registered no worker said "Belum ada data." when
    every village had: a panel says what an empty list of it means (``Panel.empty``); one that
    says nothing says "Belum ada data.", for a table, a bar and a progress panel alike."""
    from streamlit.testing.v1 import AppTest

    def script():
        from payung.plugin import Panel
        from ui.widgets import panel
        panel(Panel("Desa yang belum mendaftarkan pekerja", "table", rows=[],
                    empty="Tidak ada: semua 12 desa sudah mendaftarkan pekerja."))
        for kind in ("table", "bar", "progress"):
            panel(Panel(f"Kosong ({kind})", kind, rows=[], x="name", y="workers"))

    at = AppTest.from_function(script).run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert captions == ["Tidak ada: semua 12 desa sudah mendaftarkan pekerja.", *["Belum ada data."] * 3], captions


def test_a_panels_table_writes_its_counts_with_the_thousands_point():
    """Kendal's participation per OPD showed "Jumlah ASN" as 5200 and 1900 beside "8.765" in the
    panel under it, and its share as "2.1%": a panel's whole numbers read 5.200 (still sorted as
    numbers, right-aligned) and the share 2,1%."""
    from streamlit.testing.v1 import AppTest

    def script():
        from payung.plugin import Panel
        from ui.widgets import panel
        panel(Panel("Partisipasi", "table", rows=[{"opd": "Dinas Pendidikan", "asn": 9, "headcount": 5200},
                                                 {"opd": "Bappeda", "asn": 2, "headcount": 95}],
                    columns={"opd": "OPD", "asn": "ASN ikut", "headcount": "Jumlah ASN"}), key="uji_0")

    at = AppTest.from_function(script).run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert list(frame["Jumlah ASN"]) == [5200, 95]  # numbers underneath: a click on the heading sorts them
    shown = at.dataframe[0].proto.arrow_data.styler.display_values
    assert b"5.200" in shown and b"Dinas Pendidikan" in frame["OPD"][0].encode()
    assert '"alignment": "right"' in at.dataframe[0].proto.columns


def _plugin(name: str):
    """A shipped plugin module, loaded from plugins/ as the registry does."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, ROOT / "plugins" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_panel_bar_of_something_never_reads_empty_nor_a_short_one_full():
    """Pringsewu's panels drew "Ketua RT: 1 dari 1.590" and "Rp285.600 dari Rp604.800.000" over
    empty bars, as if nothing was counted or committed (under a share of 0,5% a bar is empty). A
    bar of anything shows a sliver; one short of its target is not drawn full; none is empty."""
    from streamlit.testing.v1 import AppTest

    def script():
        from payung.plugin import Panel
        from ui.widgets import panel
        panel(Panel("Kepesertaan", "progress", rows=[
            {"label": "Ketua RT", "value": 1, "target": 1_590},
            {"label": "Anggota BHP", "value": 285_600, "target": 604_800_000},
            {"label": "Hampir", "value": 1_589, "target": 1_590},
            {"label": "Kosong", "value": 0, "target": 1_590},
            {"label": "Lewat", "value": 2_000, "target": 1_590},
            {"label": "Tanpa target", "value": 5, "target": 0}]), key="uji_bar")

    at = AppTest.from_function(script).run()
    assert not at.exception
    assert [bar.proto.value for bar in at.get("progress")] == [1, 1, 99, 0, 100, 0]


def test_a_panel_of_money_writes_its_figures_in_rupiah():
    """Pringsewu's budget bars read "Ketua RT (Rupiah): 33.600 dari 604.800.000": a progress panel
    knew only counts. A panel says its figures are money (``Panel.money``) and they read as every
    amount does, "Rp33.600 dari Rp604.800.000"; a panel of counts keeps "1 dari 1.590"."""
    from streamlit.testing.v1 import AppTest

    def script():
        from payung.plugin import Panel
        from ui.widgets import panel
        panel(Panel("Anggaran", "progress", rows=[{"label": "Ketua RT", "value": 33_600, "target": 604_800_000}],
                    money=True), key="uji_0")
        panel(Panel("Kepesertaan", "progress", rows=[{"label": "Ketua RT", "value": 1, "target": 1_590}]),
              key="uji_1")
        panel(Panel("Terikat", "metric", rows=[{"label": "Terikat", "value": 6_548_200}], money=True), key="uji_2")

    at = AppTest.from_function(script).run()
    assert not at.exception
    assert [bar.proto.text for bar in at.get("progress")] == ["Ketua RT: Rp33.600 dari Rp604.800.000",
                                                              "Ketua RT: 1 dari 1.590"]
    assert [m.value for m in at.metric] == ["Rp6.548.200"]
    # Pringsewu's budget panel says so, and no label says "(Rupiah)" instead.

    class Data:
        def by_field(self, code, field, month):
            return []

        def area_name(self, code):
            return "Kabupaten Pringsewu"

        def sees_whole_regency(self, code):
            return True

        def budget_lines(self, code, year):
            return [{"category": "ketua_rt", "amount": 604_800_000, "committed": 33_600}]

    pringsewu = _plugin("pringsewu_uc")
    [budget] = [p for p in pringsewu.panels(Data(), "2026-12", targets=pringsewu.TARGETS) if p.title.startswith("Anggaran")]
    assert budget.money and budget.rows == [{"label": "Ketua RT", "value": 33_600, "target": 604_800_000}]


def test_kendals_participation_share_has_a_decimal_comma():
    import importlib.util
    spec = importlib.util.spec_from_file_location("kendal_asn_peduli", ROOT / "plugins" / "kendal_asn_peduli.py")
    kendal = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kendal)

    class Data:
        def by_sponsor(self, code, month):
            return [{"opd": "Bappeda"}, {"opd": "Bappeda"}]

        def count_workers(self, code, month):
            return 2

        def covered_by_scheme(self, month):
            return []

        def sees_whole_regency(self, code):
            return True

    found = kendal.panels(Data(), "2026-12", opd_headcount={"Bappeda": 95}, vulnerable=200000, covered_at_start=54000)
    [table] = [p for p in found if p.kind == "table"]
    assert table.rows[0]["share"] == "2,1%"


def test_a_panels_table_has_no_blank_band_under_its_title():
    """Under a table panel's title a blank band (the table's toolbar room, 2.25rem, on top of the
    gap) looked like something missing: in a panel the toolbar rises onto the title's line, whose
    right end is kept free, and every page draws its panels with a key so the rule finds them."""
    from streamlit.testing.v1 import AppTest

    from ui.widgets import PANEL_KEY, PHONE_WIDTH, TOOLBAR_WIDTH, _toolbar_css
    css = _toolbar_css()
    assert re.search(rf'\[class\*="st-key-{PANEL_KEY}"\] > \[data-testid="stElementContainer"\]:has\([^{{]*'
                     r'stElementToolbar[^{]*\{ margin-top: 0; \}', css), css[:600]
    assert f"padding-right: {TOOLBAR_WIDTH};" in css
    # Not on a phone: the title's free end wrapped it over four lines at 390 px.
    phone_free = css[css.index(f"@media (min-width: {PHONE_WIDTH + 1}px)"):]
    assert phone_free.index(f"padding-right: {TOOLBAR_WIDTH};") < phone_free.index("} }")

    def script():
        from payung.plugin import Panel
        from ui.widgets import panel
        panel(Panel("Tabel", "table", rows=[{"a": 1}]), key="uji_0")

    at = AppTest.from_function(script).run()
    assert not at.exception
    for path in ("pages/beranda.py", "pages/skema.py", "ui/plugin_pages.py"):
        calls = [node for node in ast.walk(ast.parse((ROOT / path).read_text())) if isinstance(node, ast.Call)
                 and getattr(node.func, "id", None) == "panel"]
        assert calls and all(any(k.arg == "key" for k in c.keywords) for c in calls), path


def test_the_sponsor_lists_count_of_workers_has_the_thousands_point(site, monkeypatch):
    """The regency budget covers thousands of workers: "Pekerja ditanggung" (on a phone
    "Ditanggung", the column it shows second) read 1234, not 1.234 as every count does; still a
    number underneath, sorted as one."""
    import payung.people.sponsors as sponsors
    search = sponsors.search_sponsors

    def many(*args, **kwargs):
        result = search(*args, **kwargs)
        result.rows[0] = dict(result.rows[0], sponsorships=12_345)
        return result
    monkeypatch.setattr(sponsors, "search_sponsors", many)
    at = run("admin", "pages/penyandang_dana.py")
    assert not at.exception, at.exception
    for frame in at.dataframe:  # every width's set
        assert frame.value["Pekerja ditanggung"].iloc[0] == 12_345
        assert b"12.345" in frame.proto.arrow_data.styler.display_values, frame.proto.id


def test_a_keyed_filter_box_gives_its_key_to_or_all():
    """The rule above works only when ``or_all`` knows the box's key: a box keyed beside it would
    show the clear (x) button again once its "Semua ..." is picked."""
    wrong = []
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("plugins/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "selectbox"
                    and any(k.arg is None and "or_all(" in ast.unparse(k.value) for k in node.keywords)
                    and any(k.arg == "key" for k in node.keywords)):
                wrong.append(f"{path.name}:{node.lineno}")
    assert not wrong, wrong


def test_a_keyed_filter_box_nobody_touched_is_drawn_alike_in_every_run():
    """Drawn with a default ("Semua ...", index 0) in its first run and without one in the next
    (its kept None), a box nobody touched showed the clear (x) after any later run (Tunggakan's
    Skema box after Perpanjang: test_browser sees the x). It starts on its kept None: no default
    in any run, its value None; a box given a ``value`` still starts on it."""
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st
        from ui.widgets import or_all
        st.selectbox("Skema", **or_all({"a": "A", "b": "B"}, "Semua skema", key="k_all"))
        st.selectbox("Desa", **or_all({"a": "A", "b": "B"}, "Semua desa", value="b", key="k_given"))
        st.button("Lagi")

    at = AppTest.from_function(script, default_timeout=60).run()  # the first import of ui.widgets is slow
    assert not at.exception, at.exception
    for _ in range(2):
        box = at.selectbox(key="k_all")
        assert not box.proto.HasField("default") and box.value is None, box.proto
        assert at.selectbox(key="k_given").value == "b"
        at.button[0].click().run()
        assert not at.exception, at.exception
