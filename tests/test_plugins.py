"""The plugin system (``payung.schemes.registry``): the example plugin's hooks, plugins from a
folder or entry points, broken or disabled ones reported, and every hook, DataReader method and
scheme attribute documented in plugins/README.md."""

import re
from pathlib import Path

from payung.schemes import hookspecs
from payung.core import Payung
from db.scope import EVERYTHING
from payung.schemes.data import DataReader
from payung.plugin import Panel

import example_plugin
from conftest import ROOT, write_config

BROKEN_IMPORT = "import does_not_exist\n"
BROKEN_SCHEMES = '''
from payung.plugin import hookimpl

@hookimpl
def register_schemes(settings):
    raise RuntimeError("tabel target hilang")
'''
WRONG_REGENCY = '''
from payung.plugin import Scheme, hookimpl

@hookimpl
def register_schemes(settings):
    return [Scheme(code="skema_luar", name="Luar", regency_code="99.99")]
'''
GOOD = '''
from payung.plugin import Scheme, hookimpl, rules

@hookimpl
def register_schemes(settings):
    return [Scheme(code="skema_baik", name="Baik", regency_code="33.27", rules=(rules.months_in(12),))]
'''
FAILING_RULE = '''
from payung.plugin import Scheme, Rule, hookimpl

def boom(enrolment):
    raise ZeroDivisionError("pembagi nol")

@hookimpl
def register_schemes(settings):
    return [Scheme(code="skema_rapuh", name="Rapuh", regency_code="33.24", rules=(Rule("boom", "Meledak", boom),))]
'''


def _folder(tmp_path, **modules) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    for name, source in modules.items():
        (folder / f"{name}.py").write_text(source)
    return folder


def test_example_plugin_provides_its_scheme_with_metadata(app):
    scheme = app.plugins.scheme("contoh_desa")
    described = scheme.describe()
    assert described["regency_code"] == "33.24" and described["funding_code"] == "SD"
    assert described["sponsor_types"] == ["perorangan", "pemerintah_desa"]
    assert described["targets"][0]["value"] == 100


def test_form_fields_hook_declares_fields_as_data(app):
    fields = app.plugins.fields(app.plugins.scheme("contoh_desa"))
    assert [(f.name, f.type, f.required) for f in fields] == [
        ("budget_year", "year", True), ("pillar", "choice", False), ("discount", "bool", False)]


def test_dashboard_panels_and_pages_hooks(app, db):
    panels = app.plugins.panels(app.plugins.scheme("contoh_desa"), DataReader(db, EVERYTHING), "2025-01")
    assert panels == [Panel("Kepesertaan skema contoh", "metric", rows=[{"label": "Kepesertaan", "value": 0}])]
    pages = app.plugins.pages()
    assert [p.url_path for p in pages] == ["contoh-desa-halaman"]
    assert pages[0].panels(DataReader(db, EVERYTHING))[0].title == "Halo"


def test_plugins_load_from_folder_and_broken_ones_are_reported(tmp_path):
    folder = _folder(tmp_path, baik=GOOD, rusak_impor=BROKEN_IMPORT, rusak_skema=BROKEN_SCHEMES,
                     salah_wilayah=WRONG_REGENCY, _pribadi=BROKEN_IMPORT)
    app = Payung.load(write_config(tmp_path, plugins_dir=str(folder)), entry_points=False)
    assert list(app.plugins.schemes) == ["skema_baik"]
    states = {s.name: (s.state, s.error) for s in app.plugins.statuses}
    assert states["baik"] == ("aktif", "")
    assert states["rusak_impor"][0] == "galat" and "does_not_exist" in states["rusak_impor"][1]
    assert states["rusak_skema"][0] == "galat" and "tabel target hilang" in states["rusak_skema"][1]
    assert states["salah_wilayah"][0] == "galat" and "99.99" in states["salah_wilayah"][1]
    assert "_pribadi" not in states


def test_a_plugin_that_exits_or_recurses_is_one_line_too(tmp_path):
    """Issue #21: whatever one plugin file does while it loads (sys.exit(), endless recursion in
    register_schemes) is that plugin's error; the others load."""
    exits = "import sys\nsys.exit('selesai')\n"
    recurses = ("from payung.plugin import hookimpl\n\ndef deeper(n):\n    return deeper(n + 1)\n\n"
                "@hookimpl\ndef register_schemes(settings):\n    return deeper(0)\n")
    folder = _folder(tmp_path, baik=GOOD, keluar=exits, dalam=recurses)
    app = Payung.load(write_config(tmp_path, plugins_dir=str(folder)), entry_points=False)
    assert list(app.plugins.schemes) == ["skema_baik"]
    states = {s.name: (s.state, s.error) for s in app.plugins.statuses}
    assert states["keluar"][0] == "galat" and "SystemExit" in states["keluar"][1]
    assert states["dalam"][0] == "galat" and "RecursionError" in states["dalam"][1]


def test_a_scheme_whose_texts_the_editor_would_refuse_is_not_loaded(tmp_path):
    """A scheme written by hand, in Python or TOML, is held to the scheme editor's rule for its
    texts: a name with a Cyrillic "С" reads as another scheme's, a field label with a
    right-to-left override reads backwards. The plugin is an error that says which text."""
    lookalike = GOOD.replace('"skema_baik", name="Baik"', '"skema_mirip", name="\u0421kema Baik"')
    backwards = GOOD.replace('"skema_baik", name="Baik"', '"skema_balik", name="Balik"').replace(
        "rules=(rules.months_in(12),)",
        'fields=(Field("catatan", "Catatan\u202e desa"),)').replace("import Scheme", "import Field, Scheme")
    folder = _folder(tmp_path, baik=GOOD, mirip=lookalike, balik=backwards)
    app = Payung.load(write_config(tmp_path, plugins_dir=str(folder)), entry_points=False)
    assert list(app.plugins.schemes) == ["skema_baik"]
    states = {s.name: (s.state, s.error) for s in app.plugins.statuses}
    assert states["mirip"][0] == "galat" and "Isian name" in states["mirip"][1] \
        and "tampak seperti huruf Latin" in states["mirip"][1]
    assert states["balik"][0] == "galat" and "Isian fields[1].label" in states["balik"][1] \
        and "tidak terlihat" in states["balik"][1]


def test_already_covered_on_a_village_target_is_an_error_not_a_figure_that_vanishes(tmp_path):
    """``Target.already_covered`` counts for a regency-wide target only: on a village target the
    Beranda would drop it unsaid, so the plugin is an error that says so."""
    village = GOOD.replace('"skema_baik", name="Baik"', '"skema_desa", name="Desa"').replace(
        "rules=(rules.months_in(12),)", 'targets=(Target("Per desa", 10, per="village", already_covered=3),)').replace(
        "import Scheme", "import Scheme, Target")
    app = Payung.load(write_config(tmp_path, plugins_dir=str(_folder(tmp_path, desa=village))), entry_points=False)
    [status] = [s for s in app.plugins.statuses if s.name == "desa"]
    assert status.state == "galat" and "already_covered hanya untuk target se-kabupaten" in status.error


def test_disabled_plugin_is_not_loaded(tmp_path):
    folder = _folder(tmp_path, baik=GOOD)
    config = write_config(tmp_path, plugins_dir=str(folder))
    config.write_text(config.read_text().replace("disabled = []", 'disabled = ["baik", "contoh"]'))
    app = Payung.load(config, extra_plugins=(("contoh", example_plugin),), entry_points=False)
    assert app.plugins.schemes == {}
    assert {s.name: s.state for s in app.plugins.statuses} == {"baik": "nonaktif", "contoh": "nonaktif"}
    assert not app.plugins.pm.has_plugin("baik")


def test_rule_that_crashes_refuses_the_enrolment(tmp_path, admin):
    import pytest
    from payung.base.errors import ValidationError
    from payung.people.sponsors import create_sponsor
    from payung.enrolment.sponsorships import enrol
    from payung.people.workers import create_worker
    from conftest import worker_values
    app = Payung.load(write_config(tmp_path, plugins_dir=str(_folder(tmp_path, rapuh=FAILING_RULE))),
                      entry_points=False)
    db = app.open_db()
    app.initialise(db)
    worker = create_worker(db, app.settings, worker_values(), actor=admin)
    sponsor = create_sponsor(db, app.settings, {"type": "perorangan", "name": "Budi"}, actor=admin)
    with pytest.raises(ValidationError, match="gagal dijalankan.*ZeroDivisionError"):
        enrol(db, app.plugins, actor=admin, scheme_code="skema_rapuh", sponsor_id=sponsor, worker_id=worker,
              start_month="2025-01")
    assert db.execute("SELECT COUNT(*) FROM sponsorships").fetchone()[0] == 0


def test_entry_point_plugins_are_loaded_and_can_be_disabled(tmp_path, monkeypatch):
    import importlib.metadata as md
    import sys
    import types
    module = types.ModuleType("payung_test_ep")
    exec(GOOD, module.__dict__)
    sys.modules["payung_test_ep"] = module
    ep = md.EntryPoint(name="skema_paket", value="payung_test_ep", group="payung")
    monkeypatch.setattr(md, "entry_points", lambda group=None: [ep] if group == "payung" else [])
    config = write_config(tmp_path, plugins_dir=str(tmp_path / "none"))
    assert list(Payung.load(config).plugins.schemes) == ["skema_baik"]
    config.write_text(config.read_text().replace("disabled = []", 'disabled = ["skema_paket"]'))
    assert Payung.load(config).plugins.schemes == {}


REFERENCE = ROOT / "docs" / "plugins" / "reference.md"


def test_every_hook_is_documented_in_the_plugin_reference():
    readme = REFERENCE.read_text(encoding="utf-8")
    hooks = [name for name in dir(hookspecs) if callable(getattr(hookspecs, name))
             and hasattr(getattr(hookspecs, name), "payung_spec")]
    assert len(hooks) == 6
    for hook in hooks:
        assert re.search(rf"^### `{hook}\(", readme, re.M), f"{hook} is not documented"


def test_every_data_reader_method_and_exported_name_is_documented_in_the_plugin_reference():
    import inspect

    from payung import plugin
    readme = REFERENCE.read_text(encoding="utf-8")
    methods = [name for name, _ in inspect.getmembers(DataReader, inspect.isfunction) if not name.startswith("_")]
    missing = [m for m in methods if f"`{m}(" not in readme and f"{m}(" not in readme]
    assert not missing, f"DataReader methods not in docs/plugins/reference.md: {missing}"
    assert not [name for name in plugin.__all__ if name not in readme]


def test_every_scheme_attribute_is_documented_in_the_plugin_reference():
    import dataclasses

    from payung.plugin import Scheme
    readme = REFERENCE.read_text(encoding="utf-8")
    assert not [f.name for f in dataclasses.fields(Scheme) if f"`{f.name}`" not in readme]


def test_sponsor_types_and_worker_columns_are_documented_in_the_plugin_docs():
    """A plugin author reads the sponsor type codes and people.worker's keys there."""
    from payung.base.sponsor_types import SPONSOR_TYPES
    from payung.people.workers import WORKER_COLUMNS
    readme = REFERENCE.read_text(encoding="utf-8")
    section = readme.split("## Sponsor types", 1)[1].split("\n## ", 1)[0]
    assert not [t.code for t in SPONSOR_TYPES.values() if f"| `{t.code}` | {t.label} |" not in section]
    testing = (ROOT / "docs" / "plugins" / "testing.md").read_text(encoding="utf-8")
    assert not [c for c in WORKER_COLUMNS if c not in ("village_code", "occupation", "gender", "birth_date")
                and f"`{c}`" not in testing]
    for helper in ("people.villages(", "people.village_elsewhere(", "scheme_settings(", "PAYUNG_TEST_CONFIG"):
        assert helper in testing


def test_every_command_is_in_the_command_line_section_of_the_operations_docs():
    from payung.cli import COMMANDS
    readme = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    assert not [c for c in COMMANDS if f"python -m payung {c}" not in section]
    assert "before or after the command" in section


def test_a_panels_reader_names_the_area_it_counts(db, admin):
    """Pemalang's waiting list said "di Pemalang ... bulan ini" whatever kecamatan, desa or month
    the Beranda showed: a panel names the month with ``format_month`` and the area with
    ``data.area_name``, the slice its reader counts (the place chosen, a village operator's)."""
    from db import queries
    from payung.auth.access import Actor
    from payung.plugin import format_month
    from payung.schemes.data import reader_for
    from conftest import OTHER_VILLAGE, VILLAGE
    district = queries.region(db, VILLAGE[:8])
    village = queries.region(db, VILLAGE)
    kecamatan, desa = f"Kecamatan {district['name']}", f"{village['kind'].capitalize()} {village['name']}"
    assert format_month("2025-08") == "Agustus 2025"
    assert DataReader.unscoped(db).area_name("33.24") == "Kabupaten Kendal"
    assert reader_for(db, actor=admin).area_name("33.24") == "Kabupaten Kendal"
    assert reader_for(db, actor=Actor("op", "operator", regency_code="33.24")).area_name("33.24") == "Kabupaten Kendal"
    assert reader_for(db, actor=admin, district=VILLAGE[:8]).area_name("33.24") == kecamatan
    assert reader_for(db, actor=admin, district=VILLAGE[:8], village=VILLAGE).area_name("33.24") == desa
    # A village operator: their only village by name, their villages as theirs (in a kecamatan chosen).
    assert reader_for(db, actor=Actor("d", "desa", villages=(VILLAGE,))).area_name("33.24") == desa
    two = Actor("d2", "desa", villages=(VILLAGE, OTHER_VILLAGE))
    assert reader_for(db, actor=two).area_name("33.24") == "wilayah Anda"
    assert reader_for(db, actor=two, district=VILLAGE[:8]).area_name("33.24") == f"wilayah Anda di {kecamatan}"
