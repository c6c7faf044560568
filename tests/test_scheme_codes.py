"""A scheme code the database records belongs to its regency for good (issue #21, finding 1).

While a scheme's plugin failed to load, an administrator could save a copy under its code for
another regency; after the reload the scheme sync moved the recorded scheme, with its
sponsorships, payments and BPJS rows (full NIKs), into the other regency's slice. Now a copy, a
new TOML file, a package or a plugin may not claim a recorded code for another regency, the sync
never moves a recorded scheme, and a retired scheme (recorded, no plugin) keeps its code.
"""

from __future__ import annotations

import types

import pytest

import db as database
from db import queries
from payung.auth.access import Actor
from payung.core import Payung
from payung.base.errors import ValidationError
from payung.plugin import Scheme, hookimpl
from payung.schemes.copying import check_copy, declaration_of
from payung.schemes.editing import save_scheme

import example_plugin
from conftest import snapshot, worker_values, write_config

ADMIN = Actor("admin", "admin")
#: The example plugin's scheme, in Kendal (33.24): recorded with a sponsorship, then "broken".
CODE, HOME, OTHER = "contoh_desa", "33.24", "33.27"


def _plugin(code: str, regency: str, name: str = "Skema lain"):
    module = types.ModuleType(f"plugin_{code}_{regency}")
    module.register_schemes = hookimpl(lambda settings: [Scheme(code=code, name=name, regency_code=regency)])
    return module


@pytest.fixture
def recorded(tmp_path):
    """A database recording ``contoh_desa`` for Kendal, with a worker enrolled on it; the
    plugin folder is empty, so the scheme is retired (or its plugin fails) from now on."""
    from payung.people.sponsors import create_sponsor
    from payung.enrolment.sponsorships import enrol
    from payung.people.workers import create_worker
    folder = tmp_path / "plugins"
    folder.mkdir()
    config = write_config(tmp_path, plugins_dir=str(folder))
    app = Payung.load(config, extra_plugins=(("contoh", example_plugin),), entry_points=False)
    db = app.open_db()
    app.initialise(db)
    worker = create_worker(db, app.settings, worker_values(), actor=ADMIN)
    sponsor = create_sponsor(db, app.settings, {"type": "perorangan", "name": "Ibu Ani"}, actor=ADMIN)
    enrol(db, app.plugins, actor=ADMIN, scheme_code=CODE, sponsor_id=sponsor, worker_id=worker,
          start_month="2025-01", fields={"budget_year": 2025})
    source = declaration_of(app.plugins.scheme(CODE))[0]
    db.close()
    yield {"config": config, "folder": folder, "path": tmp_path / "payung.db", "source": source}


def _regency_of(path) -> str:
    return database.recorded_schemes(path)[CODE]


def _copy_as(data: dict, code: str, regency: str) -> dict:
    return data | {"code": code, "regency_code": regency, "started": "2025-01-01", "legal_basis": "Perbup 1/2025",
                   "name": "Salinan"}


def test_a_copy_may_not_take_the_code_of_a_scheme_whose_plugin_is_not_loaded(recorded):
    app = Payung.load(recorded["config"], entry_points=False)  # contoh_desa's plugin is not there
    assert CODE not in app.plugins.schemes
    db = app.open_db()
    try:
        before = snapshot(db)
        with pytest.raises(ValidationError) as refused:
            save_scheme(db, app.plugins, _copy_as(recorded["source"], CODE, OTHER), actor=ADMIN)
        assert "sudah tercatat di basis data untuk skema" in str(refused.value) and "Pilih kode lain" in str(refused.value)
        assert snapshot(db) == before
        # Also when the database recorded it after the plugins were loaded (the check reads the database).
        app.plugins.recorded.clear()
        assert check_copy(app.plugins, _copy_as(recorded["source"], CODE, HOME), db=db)[0] is None
    finally:
        db.close()
    assert not list(recorded["folder"].iterdir())
    assert _regency_of(recorded["path"]) == HOME


@pytest.mark.parametrize("how", ["toml", "python"])
def test_a_file_or_plugin_may_not_claim_a_recorded_code_for_another_regency(recorded, how):
    if how == "toml":
        from payung.schemes.declarative import dumps
        (recorded["folder"] / "ambil.toml").write_text(dumps(_copy_as(recorded["source"], CODE, OTHER)),
                                                       encoding="utf-8")
        app = Payung.load(recorded["config"], entry_points=False)
    else:
        app = Payung.load(recorded["config"], entry_points=False, extra_plugins=(("ambil", _plugin(CODE, OTHER)),))
    assert CODE not in app.plugins.schemes
    error = next(s.error for s in app.plugins.statuses if s.name == "ambil")
    assert f"tercatat di basis data untuk kabupaten {HOME}, bukan {OTHER}" in error, error
    db = app.open_db()
    try:
        app.initialise(db)
        assert _regency_of(recorded["path"]) == HOME
        # The sponsorship stays in Kendal's slice, not in Pemalang's.
        assert queries.scheme_rows(db)[0]["regency_code"] == HOME
    finally:
        db.close()


def test_the_same_regency_may_bring_a_retired_scheme_back(recorded):
    app = Payung.load(recorded["config"], entry_points=False, extra_plugins=(("contoh", example_plugin),))
    assert app.plugins.scheme(CODE).regency_code == HOME and not app.plugins.errors


def test_the_sync_never_moves_a_recorded_scheme(recorded):
    """Plugins loaded against another database (or before a restore): the loader could not tell;
    the sync refuses to move the record and takes the claiming plugin out."""
    from payung.schemes.registry import PluginRegistry
    app = Payung.load(recorded["config"], entry_points=False)
    app.plugins = PluginRegistry(app.settings)  # knows of no recorded scheme
    app.plugins.add(_plugin(CODE, OTHER), "ambil", "paket")
    assert app.plugins.scheme(CODE).regency_code == OTHER
    db = app.open_db()
    try:
        before = db.execute("SELECT * FROM schemes").fetchall()
        app.sync_schemes(db)
        assert db.execute("SELECT * FROM schemes").fetchall() == before
    finally:
        db.close()
    assert CODE not in app.plugins.schemes
    status = next(s for s in app.plugins.statuses if s.name == "ambil")
    assert status.state == "galat" and f"tercatat di basis data untuk kabupaten {HOME}" in status.error


def test_the_copy_form_refuses_a_recorded_code_in_indonesian(recorded, monkeypatch):
    """The Skema page of the issue: the copy form says so, and writes no file."""
    from streamlit.testing.v1 import AppTest

    from payung.auth.users import add_user
    from conftest import PASSWORD, ROOT, logged_in
    import shutil
    shutil.copy(ROOT / "plugins" / "gn_lingkaran.toml", recorded["folder"])  # a scheme to copy from
    monkeypatch.setenv("PAYUNG_CONFIG", str(recorded["config"]))
    monkeypatch.setenv("PAYUNG_DB", str(recorded["path"]))
    monkeypatch.setenv("PAYUNG_COOKIE_KEY", "k" * 40)
    db = database.open_database(recorded["path"])
    add_user(db, username="admin", name="Admin", role="admin", password=PASSWORD, actor=Actor.system())
    db.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in logged_in("admin").items():
        at.session_state[key] = value
    at.run()
    at.switch_page("pages/skema.py").run()
    at.radio(key="ed_mode").set_value("salin").run()
    at.selectbox(key="ed_pick_salin").set_value("gn_lingkaran").run()
    next(b for b in at.button if b.label == "Buka di formulir").click().run()
    gen = at.session_state["_ed_draft"]["gen"]
    at.selectbox(key=f"ed{gen}_regency").set_value(OTHER)
    at.text_input(key=f"ed{gen}_code").set_value(CODE).run()
    next(b for b in at.button if b.label == "Simpan skema").click().run()
    assert not at.exception, at.exception
    assert any("sudah tercatat di basis data" in e.value for e in at.error), [e.value for e in at.error]
    assert sorted(p.name for p in recorded["folder"].iterdir()) == ["gn_lingkaran.toml"]
    assert _regency_of(recorded["path"]) == HOME


#: Codes Windows keeps for its devices: ``<code>.toml`` cannot be made there (a save failed, or
#: wrote to the device; a folder copied to a Windows laptop lost the scheme).
DEVICES = ["con", "prn", "aux", "nul", "com1", "com9", "lpt1", "lpt9"]


@pytest.mark.parametrize("code", DEVICES)
def test_a_windows_device_name_is_refused_as_a_code_by_every_way_a_code_is_made(recorded, tmp_path, code):
    from payung.schemes.declarative import DeclarationError, dumps, load_scheme
    from payung.schemes.scaffold import ScaffoldError, new_scheme
    app = Payung.load(recorded["config"], entry_points=False)
    db = app.open_db()
    try:
        before = snapshot(db)
        with pytest.raises(ValidationError, match="nama perangkat di Windows"):  # the Skema page: a copy, a new scheme
            save_scheme(db, app.plugins, _copy_as(recorded["source"], code, OTHER), actor=ADMIN)
        assert snapshot(db) == before
    finally:
        db.close()
    assert not list(recorded["folder"].iterdir())
    with pytest.raises(DeclarationError, match="nama perangkat di Windows"):  # a TOML file written by hand
        load_scheme(dumps(_copy_as(recorded["source"], code, OTHER)), app.settings)
    loaded = Payung.load(recorded["config"], entry_points=False, extra_plugins=(("alat", _plugin(code, HOME)),))
    assert "nama perangkat di Windows" in next(s.error for s in loaded.plugins.statuses if s.name == "alat")
    config = tmp_path / "cfg.toml"
    config.write_text(recorded["config"].read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ScaffoldError, match="nama perangkat di Windows"):  # python -m payung new-scheme
        new_scheme(code, regency=HOME, name="Skema", plugins_dir=recorded["folder"], tests_dir=tmp_path,
                   config_path=config)


@pytest.mark.parametrize("code", ["COM1", "con.x", "nul.toml", "aux\n", "abc\n"])
def test_a_code_in_capitals_with_a_dot_or_a_line_break_is_refused(code):
    from payung.schemes.model import code_problem
    assert code_problem(code)


@pytest.mark.parametrize("code", ["console", "com10", "auxiliary", "nul_desa", "lpt_kendal"])
def test_a_code_that_only_begins_like_a_device_is_taken(code):
    from payung.schemes.model import code_problem
    assert code_problem(code) is None
