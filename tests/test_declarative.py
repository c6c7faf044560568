"""Schemes declared in TOML: loaded like a Python plugin, or reported with file, line and what
is wrong, without taking the other schemes down."""

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from payung.base import clock
from payung.core import Payung
from payung.schemes.declarative import DeclarationError, declaration_of, dumps, line_of, load_scheme

from conftest import ROOT, write_config

SMALL = '''\
code = "skema_toml"
name = "Skema TOML"
regency_code = "33.27"
sponsor_types = ["perorangan"]
months = [12, 6]
panels = ["by_sponsor", "targets"]

[[targets]]
label = "Pekerja terlindungi"
value = 50

[[fields]]
name = "pillar"
label = "Pilar"
type = "choice"
choices = [["usaha", "Dunia usaha"], ["masyarakat", "Masyarakat"]]
required = true

[[rules]]
rule = "worker_lives_in_regency"

[[rules]]
rule = "when"
field = "pillar"
value = "usaha"
label = "pilar dunia usaha"

[[rules.rules]]
rule = "worker_age_between"
low = 18
high = 60
'''
GOOD_PY = '''
from payung.plugin import Scheme, hookimpl

@hookimpl
def register_schemes(settings):
    return [Scheme(code="skema_python", name="Python", regency_code="33.24")]
'''


def _load(tmp_path, **files) -> Payung:
    folder = tmp_path / "plugins"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text, encoding="utf-8")
    return Payung.load(write_config(tmp_path, plugins_dir=str(folder)), entry_points=False)


def _errors(app) -> dict[str, str]:
    return {s.name: s.error for s in app.plugins.statuses if s.state == "galat"}


def test_toml_scheme_loads_like_a_python_plugin(tmp_path):
    app = _load(tmp_path, skema_toml__toml=SMALL)
    scheme = app.plugins.scheme("skema_toml")
    assert scheme.months == (12, 6) and scheme.sponsor_types == ("perorangan",)
    assert [r.name for r in scheme.rules] == ["worker_lives_in_regency", "when_pillar_usaha"]
    assert scheme.rules[1].description == "Bila pilar dunia usaha: Umur pekerja 18-60 tahun pada bulan mulai."
    assert [f.name for f in app.plugins.fields(scheme)] == ["pillar"]
    assert app.plugins.plugin_of("skema_toml") == "skema_toml"
    assert {s.name: s.state for s in app.plugins.statuses} == {"skema_toml": "aktif"}


@pytest.mark.parametrize("change,line,words", [
    (("rule = \"worker_lives_in_regency\"", "rule = \"worker_lives_in_kabupaten\""), 20,
     'aturan "worker_lives_in_kabupaten" tidak dikenal'),
    (('type = "choice"', 'type = "pilihan"'), 15, 'jenis isian "pilihan" tidak dikenal'),
    (('regency_code = "33.27"', 'regency_code = "99.99"'), 3, "kabupaten 99.99 tidak ada di config.toml"),
    (("low = 18", "lowest = 18"), 30, 'aturan worker_age_between tidak mengenal parameter "lowest"'),
    (("value = 50", 'value = "lima puluh"'), 10, "target memerlukan «value»"),
    (('panels = ["by_sponsor", "targets"]', 'panels = ["per_rt"]'), 6, "panel standar tidak dikenal: per_rt"),
    (('field = "pillar"', 'field = "pilar"'), 24, "isian tidak ada di [[fields]]: pilar"),
    (('months = [12, 6]', 'months = [12, 6'), 6, "penulisan TOML salah"),
])
def test_broken_toml_is_reported_with_file_line_and_what(tmp_path, change, line, words):
    app = _load(tmp_path, rusak__toml=SMALL.replace(*change), baik__py=GOOD_PY)
    error = _errors(app)["rusak"]
    assert f"rusak.toml baris {line}: " in error and words in error, error
    # The broken file does not load; the other plugins keep working.
    assert list(app.plugins.schemes) == ["skema_python"]


def test_a_toml_file_is_held_to_the_editors_rule_for_texts(tmp_path):
    """A file written by hand holds what the scheme editor would refuse: a Cyrillic "Ѕ" in its
    name. It does not load, and the error says which text."""
    app = _load(tmp_path, mirip__toml=SMALL.replace('name = "Skema TOML"', 'name = "\u0405kema TOML"'),
                baik__py=GOOD_PY)
    error = _errors(app)["mirip"]
    assert "Isian name" in error and "tampak seperti huruf Latin" in error, error
    assert list(app.plugins.schemes) == ["skema_python"]


def test_a_toml_target_says_what_is_covered_already(tmp_path):
    """``already_covered`` of a TOML target (Kendal's 54.000 before its movement) is the Target's,
    and written back by a copy; a figure that is not a whole number of 0 or more is refused."""
    covered = SMALL.replace("value = 50\n", "value = 50\nalready_covered = 20\n")
    app = _load(tmp_path, skema_toml__toml=covered)
    [target] = app.plugins.scheme("skema_toml").targets
    assert (target.value, target.already_covered) == (50, 20)
    assert declaration_of(app.plugins.scheme("skema_toml"))[0]["targets"][0]["already_covered"] == 20
    for wrong in ('"dua puluh"', "-1", "2.5", "true"):
        with pytest.raises(DeclarationError, match="already_covered"):
            load_scheme(covered.replace("already_covered = 20", f"already_covered = {wrong}"), app.settings,
                        source="x/skema.toml")
    # A village target counts each village's own: a regency-wide figure there would vanish unsaid.
    with pytest.raises(DeclarationError, match="hanya untuk target se-kabupaten"):
        load_scheme(covered.replace("already_covered = 20", 'already_covered = 20\nper = "village"'), app.settings,
                    source="x/skema.toml")


def test_every_mistake_of_a_file_is_listed(tmp_path):
    text = SMALL.replace('type = "choice"', 'type = "pilihan"').replace("low = 18", "lowest = 18")
    with pytest.raises(DeclarationError) as refused:
        load_scheme(text, Payung.load(write_config(tmp_path), entry_points=False).settings, source="x/rusak.toml")
    assert [line for line, _ in refused.value.problems] == [15, 30, 29]


def test_a_toml_code_taken_by_another_plugin_is_refused(tmp_path):
    app = _load(tmp_path, dua__toml=SMALL, satu__toml=SMALL)
    assert list(app.plugins.schemes) == ["skema_toml"]
    assert _errors(app) == {"satu": "satu.toml baris 1: kode skema 'skema_toml' juga dinyatakan di dua.toml, yang "
                                    "dipakai (berkas itu lebih dulu menurut nama); beri berkas ini kode skema lain."}


def test_a_toml_file_never_takes_over_a_python_scheme(tmp_path):
    """b_duplicate.toml sorts before the Python plugin holding its code: the Python scheme keeps
    it, and the file is refused with its own file and line (it used to win, and the established
    plugin was refused without either)."""
    duplicate = "# salinan\n" + SMALL.replace('code = "skema_toml"', 'code = "skema_python"')
    app = _load(tmp_path, a_duplicate__toml=duplicate, baik__py=GOOD_PY)
    assert app.plugins.plugin_of("skema_python") == "baik"
    assert app.plugins.scheme("skema_python").regency_code == "33.24"
    assert _errors(app) == {"a_duplicate": "a_duplicate.toml baris 2: kode skema 'skema_python' sudah dipakai "
                                           "plugin baik (baik.py)"}


def test_of_two_toml_files_the_one_the_database_records_wins(tmp_path):
    """The database already records skema_toml for Pemalang (33.27): a file sorting first that
    declares it for another regency does not take it over; without a record the first wins."""
    import db as database
    other = SMALL.replace('regency_code = "33.27"', 'regency_code = "33.24"')
    app = _load(tmp_path, a_lain__toml=other, skema_toml__toml=SMALL)
    assert app.plugins.plugin_of("skema_toml") == "a_lain"  # nothing recorded yet: the first by name
    db = app.open_db()  # the database of a Payung that has run skema_toml for Pemalang
    try:
        assert database.recorded_schemes(app.settings.database_url) == {}
        database.store.insert(db, "schemes", {"code": "skema_toml", "name": "Skema TOML", "regency_code": "33.27",
                                              "plugin": "skema_toml", "metadata": "{}"}, actor="uji")
    finally:
        db.close()
    app = Payung.load(write_config(tmp_path, plugins_dir=str(tmp_path / "plugins")), entry_points=False)
    assert app.plugins.plugin_of("skema_toml") == "skema_toml"
    assert app.plugins.scheme("skema_toml").regency_code == "33.27"
    assert _errors(app) == {"a_lain": "a_lain.toml baris 1: kode skema 'skema_toml' juga dinyatakan di "
                                      "skema_toml.toml, yang dipakai (basis data mencatat skema ini untuk kabupaten "
                                      "33.27); beri berkas ini kode skema lain."}


def test_one_plugin_name_twice_is_told_in_indonesian(tmp_path):
    """x.py beside x.toml, or a file and an installed package of one name: not pluggy's bare
    ValueError."""
    app = _load(tmp_path, baik__py=GOOD_PY, baik__toml=SMALL)
    assert list(app.plugins.schemes) == ["skema_python"]
    error = _errors(app)["baik"]
    assert "nama plugin 'baik' sudah dipakai plugin" in error and "terpasang dua kali" in error, error
    status = app.plugins.add(object(), "baik", "payung_baik (paket)")
    assert status.state == "galat" and "sudah dipakai plugin" in status.error and "ValueError" not in status.error


def test_line_of_finds_keys_in_nested_tables():
    assert line_of(SMALL, (), "months") == 5
    assert line_of(SMALL, ("rules", 1), "label") == 26
    assert line_of(SMALL, ("rules", 1, "rules", 0), "high") == 31
    assert line_of(SMALL, ("fields", 0), "nothing") == 12


def test_schemes_command_reports_a_broken_toml(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "rusak.toml").write_text(SMALL.replace('"worker_lives_in_regency"', '"tidak_ada"'), encoding="utf-8")
    (folder / "baik.toml").write_text(SMALL, encoding="utf-8")
    config = write_config(tmp_path, plugins_dir=str(folder))
    done = subprocess.run([sys.executable, "-m", "payung", "schemes", "--json"], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PAYUNG_CONFIG": str(config)}, timeout=120)
    data = json.loads(done.stdout)
    # The folder's schemes (an installed scheme package may be listed too).
    assert [s["code"] for s in data["schemes"] if s["plugin"] in ("baik", "rusak")] == ["skema_toml"]
    assert [p["plugin"] for p in data["plugins_not_loaded"]] == ["rusak"]
    assert 'rusak.toml baris 20: aturan "tidak_ada" tidak dikenal' in data["plugins_not_loaded"][0]["error"]


def test_a_scheme_written_back_loads_the_same(tmp_path):
    settings = Payung.load(write_config(tmp_path), entry_points=False).settings
    scheme = load_scheme(SMALL, settings)
    data, missing = declaration_of(scheme)
    assert missing == []
    again = load_scheme(dumps(data), settings)
    assert again.describe() == scheme.describe()
    assert [(r.library, r.params.keys()) for r in again.rules] == [(r.library, r.params.keys()) for r in scheme.rules]


# Copying a scheme on the Skema page (the scheme editor's "Salinan skema yang ada") -----------------

def _skema_site(tmp_path, monkeypatch, *plugins, location=None):
    """A site with these scheme files, an admin and a viewer; the app reads it through the
    environment (``location``: its database, else ``p.db`` in ``tmp_path``)."""
    import shutil

    import db as database
    from payung.auth.access import Actor
    from payung.auth.users import add_user
    from conftest import PASSWORD
    folder = tmp_path / "plugins"
    folder.mkdir()
    for plugin in plugins:
        shutil.copy(ROOT / "plugins" / plugin, folder)
    location = str(location or tmp_path / "p.db")
    config = write_config(tmp_path, plugins_dir=str(folder), database=location)
    monkeypatch.setenv("PAYUNG_CONFIG", str(config))
    monkeypatch.delenv("PAYUNG_DB", raising=False)
    monkeypatch.setenv("PAYUNG_DATABASE_URL", location)
    monkeypatch.setenv("PAYUNG_COOKIE_KEY", "k" * 40)
    db = database.open_database(location)
    add_user(db, username="admin", name="Admin", role="admin", password=PASSWORD, actor=Actor.system())
    add_user(db, username="lihat", name="Pemantau", role="viewer", password=PASSWORD, actor=Actor.system())
    db.close()
    return folder, config


def _skema(user):
    """The Skema page as ``user``."""
    from streamlit.testing.v1 import AppTest
    from conftest import logged_in
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in logged_in(user).items():
        at.session_state[key] = value
    at.run()
    at.switch_page("pages/skema.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _key(at, suffix):
    """The key of a widget of the scheme editor's form (its keys carry the form's generation)."""
    return f"ed{at.session_state['_ed_draft']['gen']}_{suffix}"


def _pick_copy(at, source):
    """Choose "Salinan skema yang ada" of ``source`` in the scheme editor (not opened yet)."""
    at.radio(key="ed_mode").set_value("salin").run()
    at.selectbox(key="ed_pick_salin").set_value(source).run()
    return at


def _copy(at, source, *, agree=False):
    """Open a copy of ``source`` in the scheme editor, ``agree``: ticking "Saya mengerti" first."""
    _pick_copy(at, source)
    if agree:
        at.checkbox(key=f"ed_agree_{source}").check().run()
    next(b for b in at.button if b.label == "Buka di formulir").click().run()
    assert not at.exception, at.exception
    return at


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_admin_copies_a_python_scheme_for_another_regency_and_it_loads(tmp_path, monkeypatch):
    import db as database
    folder, config = _skema_site(tmp_path, monkeypatch, "mempawah_1desa100.py")
    at = _pick_copy(_skema("admin"), "mempawah_1desa100")
    # Its dashboard panels are Python: the copy gets standard panels, once the admin agrees.
    assert any("panel dasbor skema asal" in w.value and "Pekerja per desa/kelurahan" in w.value for w in at.warning)
    at = _copy(at, "mempawah_1desa100", agree=True)
    # The copy's start and legal basis are its own, not Mempawah's (2022-07-15, its Setda meeting).
    assert at.date_input(key=_key(at, "started")).value == dt.date(clock.today().year, 1, 1)
    assert at.text_input(key=_key(at, "legal_basis")).value == "Inpres 2/2021; Inpres 4/2022"
    at.date_input(key=_key(at, "started")).set_value(dt.date(2025, 3, 1))
    at.text_input(key=_key(at, "legal_basis")).set_value("Inpres 2/2021; Perbup Pemalang 12/2025")
    at.selectbox(key=_key(at, "regency")).set_value("33.27")
    at.text_input(key=_key(at, "code")).set_value("pemalang_1desa50")
    at.text_input(key=_key(at, "name")).set_value("1 Desa 50 Pekerja Rentan Pemalang").run()
    # Occupations are chosen by their names, not typed as codes.
    codes = at.multiselect(key=_key(at, "r2_codes"))
    assert codes.label == "Pekerjaan yang boleh ditanggung" and "Petani" in codes.options
    codes.set_value(["petani", "nelayan"])
    at.text_input(key=_key(at, "f2_default")).set_value("50")
    _button(at, "Periksa").click().run()
    assert "Pekerjaan pekerja salah satu dari: Petani, Nelayan." in "\n".join(m.value for m in at.markdown)
    assert not (folder / "pemalang_1desa50.toml").exists()
    _button(at, "Simpan skema").click().run()
    assert not at.exception, at.exception
    assert any("tersimpan di pemalang\\_1desa50.toml" in s.value for s in at.success), [s.value for s in at.success]
    # Active after the reload: the page lists it, and a fresh load has it with the edits.
    assert any("1 Desa 50 Pekerja Rentan Pemalang" in e.label for e in at.expander)
    scheme = Payung.load(config, entry_points=False).plugins.scheme("pemalang_1desa50")
    assert scheme.regency_code == "33.27" and scheme.fields[2].default == 50
    assert scheme.rules[2].params == {"codes": ["petani", "nelayan"]}
    assert (scheme.started, scheme.legal_basis) == ("2025-03-01", "Inpres 2/2021; Perbup Pemalang 12/2025")
    db = database.open_database(tmp_path / "p.db")
    entry = db.execute("SELECT actor, row_id, after FROM audit_log WHERE action = 'scheme.copy'").fetchone()
    assert entry[0] == "admin" and entry[1] == "pemalang_1desa50" and "mempawah_1desa100" in entry[2]


def test_copy_form_refuses_a_taken_code(tmp_path, monkeypatch):
    folder, _ = _skema_site(tmp_path, monkeypatch, "mempawah_1desa100.py", "kendal_asn_peduli.py")
    at = _copy(_skema("admin"), "mempawah_1desa100", agree=True)
    at.text_input(key=_key(at, "code")).set_value("kendal_asn_peduli")
    at.text_input(key=_key(at, "legal_basis")).set_value("").run()
    _button(at, "Simpan skema").click().run()
    assert any("sudah dipakai" in e.value for e in at.error)
    assert any("Isi dasar hukum skema baru." in e.value for e in at.error)
    assert sorted(p.name for p in folder.iterdir()) == ["kendal_asn_peduli.py", "mempawah_1desa100.py"]


def test_a_scheme_with_python_rules_is_copied_without_them_once_the_admin_agrees(tmp_path, monkeypatch):
    """Kendal's OPD rule is Python: the copy cannot check it. The page says so and opens the
    form only when the admin agrees; the file and the audit entry name what was left out."""
    import db as database
    folder, config = _skema_site(tmp_path, monkeypatch, "kendal_asn_peduli.py")
    at = _pick_copy(_skema("admin"), "kendal_asn_peduli")
    assert any("tidak ikut disalin" in w.value and "OPD penyandang dana ada dalam daftar" in w.value for w in at.warning)
    _button(at, "Buka di formulir").click().run()  # not agreed: no form
    assert not at.exception, at.exception
    assert any("Saya mengerti: salin tanpa aturan tersebut" in e.value for e in at.error), [e.value for e in at.error]
    assert not [b for b in at.button if b.label == "Simpan skema"] and "_ed_draft" not in at.session_state
    at = _copy(at, "kendal_asn_peduli", agree=True)
    at.selectbox(key=_key(at, "regency")).set_value("33.27")
    at.text_input(key=_key(at, "code")).set_value("pemalang_asn_peduli").run()
    _button(at, "Simpan skema").click().run()
    assert not at.exception, at.exception
    assert any("tersimpan di pemalang\\_asn\\_peduli.toml" in s.value for s in at.success), [e.value for e in at.error]
    text = (folder / "pemalang_asn_peduli.toml").read_text(encoding="utf-8")
    assert text.startswith("#") and "Tidak ikut disalin" in text.split("\n[")[0] and "OPD penyandang dana" in text
    assert "Disalin dari skema kendal_asn_peduli oleh admin" in text.split("\n[")[0]
    source = Payung.load(config, entry_points=False).plugins
    copy, original = source.scheme("pemalang_asn_peduli"), source.scheme("kendal_asn_peduli")
    assert copy.regency_code == "33.27"
    assert len(copy.rules) < len(original.rules) and {r.name for r in copy.rules} < {r.name for r in original.rules}
    db = database.open_database(tmp_path / "p.db")
    entry = json.loads(db.execute("SELECT after FROM audit_log WHERE action = 'scheme.copy'").fetchone()[0])
    assert entry["copied_from"] == "kendal_asn_peduli" and any("OPD penyandang dana" in r for r in entry["left_out"])


def test_a_python_contribution_adjustment_blocks_the_copy(people):
    from dataclasses import replace
    from payung.schemes.copying import copyable
    registry = people.app.plugins
    scheme = registry.scheme("mempawah_1desa100")
    registry.schemes["mempawah_1desa100"] = replace(scheme, adjust=lambda enrolment, month, contribution: None)
    try:
        origin = copyable(registry, "mempawah_1desa100")
    finally:
        registry.schemes["mempawah_1desa100"] = scheme
    assert origin.blockers == ["penyesuaian iuran (adjust) ditulis dalam Python"]
    assert copyable(registry, "mempawah_1desa100").blockers == []


def test_only_admins_see_the_copy_form(tmp_path, monkeypatch):
    _skema_site(tmp_path, monkeypatch, "mempawah_1desa100.py")
    at = _skema("lihat")
    assert "Buat atau ubah skema" not in [s.value for s in at.subheader]
    assert not [r for r in at.radio if r.key == "ed_mode"]


def test_a_field_default_that_its_own_field_refuses_is_reported(tmp_path):
    text = SMALL.replace('required = true\n', 'required = true\ndefault = "koperasi"\n', 1)
    app = _load(tmp_path, rusak__toml=text)
    assert "rusak.toml baris 18: nilai bawaan «default» tidak berlaku: «Pilar»: pilih salah satu dari" in \
        _errors(app)["rusak"]


def test_skema_page_lists_a_broken_toml_with_its_line(tmp_path, monkeypatch):
    folder, _ = _skema_site(tmp_path, monkeypatch, "mempawah_1desa100.py")
    (folder / "rusak.toml").write_text(SMALL.replace('regency_code = "33.27"', 'regency_code = "99.99"'),
                                       encoding="utf-8")
    at = _skema("admin")
    assert any("rusak.toml baris 3: kabupaten 99.99 tidak ada" in e.value for e in at.error), [e.value for e in at.error]
    assert any("1 Desa 100" in e.label for e in at.expander)


def test_the_copy_form_speaks_of_rules_in_words(tmp_path, monkeypatch):
    """Labels were "worker_occupation_in: codes", "sponsor_limit: field", "when: value", "Label isian
    channel", "Bawaan pledge"; values "buruh_tani, pedagang_kaki_lima", "csr" and "2000000"."""
    _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml")
    at = _copy(_skema("admin"), "gn_lingkaran")
    labels = [w.label for kind in ("text_input", "number_input", "selectbox", "multiselect") for w in getattr(at, kind)]
    for raw in ("worker_occupation_in: codes", "sponsor_limit: field", "when: value", "Label isian channel",
                "Bawaan pledge", "codes", "field", "value", "limit"):
        assert raw not in labels, raw
    limit = at.text_input(key=_key(at, "r3_limit"))
    assert (limit.label, limit.value) == ("Penghasilan paling tinggi (Rp per bulan)", "2.000.000")
    pledge = at.selectbox(key=_key(at, "r4_field"))
    assert pledge.label == "Isian jumlah janji" and pledge.value == "pledge"
    assert "Jumlah pekerja yang dijanjikan donatur" in pledge.options
    channel = at.selectbox(key=_key(at, "r5_value"))
    assert channel.value == "csr" and "Program CSR perusahaan" in channel.options
    assert at.multiselect(key=_key(at, "r5_0_types")).label == "Jenis penyandang dana yang boleh"
    # The amount typed with separators is the number 2000000 in the copy.
    limit.set_value("1.500.000")
    _button(at, "Periksa").click().run()
    assert any("1.500.000" in m.value for m in at.markdown), [m.value for m in at.markdown]


def test_the_copy_form_answers_an_amount_it_cannot_read_with_a_message(tmp_path, monkeypatch):
    """Rule: a Rupiah parameter typed wrongly ("2000000²", "dua juta") is refused with a
    message by the copy's check; the page never shows a traceback."""
    _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml")
    for typed in ("2000000²", "dua juta", "-5"):
        at = _copy(_skema("admin"), "gn_lingkaran")
        at.text_input(key=_key(at, "r3_limit")).set_value(typed)
        _button(at, "Periksa").click().run()
        assert not at.exception, (typed, at.exception)
        assert at.error, typed


# One bad file is one line (issue #21, finding 3) ------------------------------------------------

def _swap(old: str, new: str) -> str:
    assert old in SMALL, old
    return SMALL.replace(old, new, 1)


#: (what, how the file is written: text, or bytes, or a callable making it in the folder, words
#: of the one-line error)
BAD_FILES = [
    ("cp1252", SMALL.replace('name = "Skema TOML"', 'name = "Skema Nur’aini"').encode("cp1252"),
     "bukan teks UTF-8"),
    ("name_list", _swap('name = "pillar"', 'name = ["pillar"]'), "isian memerlukan «name» (teks)"),
    ("name_table", _swap('name = "pillar"', 'name = {a = 1}'), "isian memerlukan «name» (teks)"),
    ("label_number", _swap('label = "Pilar"', 'label = 12'), "isian memerlukan «label» (teks)"),
    ("type_list", _swap('type = "choice"', 'type = ["choice"]'), "«type» isian harus teks"),
    ("nested", "code = " + "[" * 3000 + "]" * 3000 + "\n", "terlalu dalam"),
    ("deep_rules", SMALL + "".join(f"\n[[rules{'.rules' * n}]]\nrule = \"when\"\nfield = \"pillar\"\nvalue = \"usaha\"\n"
                                   for n in range(2, 40)), "terlalu dalam"),
    ("minimum_text", _swap('required = true\n', 'required = true\n\n[[fields]]\nname = "jumlah"\nlabel = "Jumlah"\n'
                                                 'type = "integer"\nminimum = "10"\n'), "«minimum» isian bilangan bulat"),
    ("maximum_date", _swap('required = true\n', 'required = true\n\n[[fields]]\nname = "tgl"\nlabel = "Tanggal"\n'
                                                'type = "date"\nmaximum = "besok"\n'), "«maximum» isian tanggal"),
    ("minimum_over_maximum", _swap('required = true\n', 'required = true\n\n[[fields]]\nname = "n"\nlabel = "N"\n'
                                                        'type = "integer"\nminimum = 5\nmaximum = 1\n'),
     "«minimum» lebih besar dari «maximum»"),
    ("default_text_on_integer", _swap('required = true\n', 'required = true\n\n[[fields]]\nname = "n"\nlabel = "N"\n'
                                                           'type = "integer"\ndefault = "12"\n'), "«default»"),
    ("choice_list_value", _swap('["usaha", "Dunia usaha"]', '[["usaha"], "Dunia usaha"]'), "«choices»"),
    ("choice_bool", _swap('["usaha", "Dunia usaha"]', 'true'), "«choices»"),
    ("duplicate_field", _swap('required = true\n', 'required = true\n\n[[fields]]\nname = "pillar"\nlabel = "Lagi"\n'),
     "isian \"pillar\" dinyatakan dua kali"),
    ("when_value_table", _swap('value = "usaha"', 'value = {a = 1}'), "parameter value aturan when"),
    ("started_garbage", _swap('months = [12, 6]', 'months = [12, 6]\nstarted = "kemarin"'), "«started»"),
    ("months_huge", _swap('months = [12, 6]', 'months = [12, 100000000000]'), "«months»"),
    ("target_key_list", _swap('value = 50\n', 'value = 50\nkey = ["a"]\n'), "«key» target"),
    ("demo_list", SMALL + '\n[demo]\npillar = ["usaha"]\n', "[demo]"),
    ("too_big", SMALL + "# " + "x" * (300 * 1024) + "\n", "terlalu besar"),
    ("folder", lambda folder: (folder / "folder.toml").mkdir(), "bukan berkas"),
]


@pytest.mark.parametrize("name,content,words", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_scheme_file_is_one_line_and_the_others_load(tmp_path, name, content, words):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "baik.py").write_text(GOOD_PY, encoding="utf-8")
    (folder / "lain.toml").write_text(SMALL.replace('code = "skema_toml"', 'code = "skema_lain"'), encoding="utf-8")
    if callable(content):
        content(folder)
    elif isinstance(content, bytes):
        (folder / f"{name}.toml").write_bytes(content)
    else:
        (folder / f"{name}.toml").write_text(content, encoding="utf-8")
    app = Payung.load(write_config(tmp_path, plugins_dir=str(folder)), entry_points=False)
    assert sorted(app.plugins.schemes) == ["skema_lain", "skema_python"]
    errors = _errors(app)
    assert list(errors) == [name], errors
    assert words in errors[name] and f"{name}.toml" in errors[name], errors[name]
    assert "Traceback" not in errors[name] and "Error:" not in errors[name], errors[name]


def test_the_good_example_files_still_load(tmp_path):
    app = _load(tmp_path, skema_toml__toml=SMALL)
    assert list(app.plugins.schemes) == ["skema_toml"] and not _errors(app)
    gn = load_scheme((ROOT / "plugins" / "gn_lingkaran.toml").read_text(encoding="utf-8"), app.settings)
    assert gn.fields[1].minimum == 1 and gn.fields[1].default == 25


def test_bad_scheme_files_are_lines_on_the_skema_page_and_in_the_schemes_command(tmp_path, monkeypatch):
    folder, config = _skema_site(tmp_path, monkeypatch, "mempawah_1desa100.py")
    (folder / "cp1252.toml").write_bytes(BAD_FILES[0][1])
    (folder / "nested.toml").write_text(BAD_FILES[5][1], encoding="utf-8")
    (folder / "folder.toml").mkdir()
    at = _skema("lihat")
    shown = [e.value for e in at.error]
    for name in ("cp1252", "nested", "folder"):
        assert any(f"{name}.toml" in e for e in shown), shown
    assert any("1 Desa 100" in e.label for e in at.expander)
    done = subprocess.run([sys.executable, "-m", "payung", "schemes", "--json"], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PAYUNG_CONFIG": str(config)}, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    data = json.loads(done.stdout)
    assert sorted(p["plugin"] for p in data["plugins_not_loaded"]) == ["cp1252", "folder", "nested"]
    assert "mempawah_1desa100" in [s["code"] for s in data["schemes"]]
