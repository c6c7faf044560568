"""What the enrolment page (Kepesertaan) offers and refuses for the schemes a regency writes
(issue 26): a JHT choice that reaches a JKK + JKM scheme anyway (a session that ticked it before
the scheme was edited) is refused with the rule's words; a retired scheme is not offered for a new
enrolment, while the pages of its history still list it. Two test schemes in a temporary plugin
folder: nothing depends on the schemes installed."""

from __future__ import annotations

import pytest

from payung.auth.access import Actor
from payung.auth.users import add_user
from payung.core import Payung
from payung.schemes.editing import retire_scheme

from conftest import PASSWORD, People, _initialised, copy_database, write_config
from test_pages import run
from test_regency_rules import CODE, SCHEME

OTHER = "uji_csr_kedua_zz"


def _load(folder, location=None):
    plugins = folder / "plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / f"{CODE}.toml").write_text(SCHEME, encoding="utf-8")
    (plugins / f"{OTHER}.toml").write_text(SCHEME.replace(CODE, OTHER).replace("Uji CSR nelayan", "Uji CSR kedua"),
                                           encoding="utf-8")
    return Payung.load(write_config(folder, plugins_dir=str(plugins), database=location), entry_points=False)


@pytest.fixture
def csr_site(tmp_path, monkeypatch, admin, database_template):
    app = _load(tmp_path)
    copy_database(database_template("uji-csr-dua", _load, _initialised), app.settings.database)
    monkeypatch.setenv("PAYUNG_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("PAYUNG_DB", str(app.settings.database))
    monkeypatch.setenv("PAYUNG_COOKIE_KEY", "k" * 40)
    db = app.open_db()
    app.initialise(db)
    add_user(db, username="admin", name="Admin", role="admin", password=PASSWORD, actor=Actor.system())
    people = People(app, db, admin)
    village = people.villages("33.27")[0]
    people.company = people.sponsor("perusahaan", name="PT Laut Sejahtera")
    people.fisherman = people.worker(village, "nelayan")
    yield people
    db.close()


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


def test_a_jht_tick_left_from_before_an_edit_is_not_sent_to_a_jkk_jkm_scheme(csr_site):
    """A session ticked JHT while the scheme still offered it; the scheme is then edited to JKK +
    JKM only. The box is drawn disabled and unticked, and what it shows is what is sent: the check
    passes without JHT (a JHT that does reach the rules is refused with their words: see
    test_regency_rules, form, list and import)."""
    at = run("admin", "pages/kepesertaan.py", state={f"k_jht_{CODE}": True})
    at.selectbox(key="k_scheme").set_value(CODE).run()
    box = at.checkbox(key=f"k_jht_{CODE}")
    assert box.disabled and not box.value
    at.selectbox(key=f"k_sponsor_{CODE}").set_value(csr_site.company).run()
    at.multiselect(key="k_workers").set_value([csr_site.fisherman]).run()
    next(b for b in at.button if b.label == "Periksa").click().run()
    assert not at.exception, at.exception
    assert not _errors(at), _errors(at)
    next(b for b in at.button if b.label == "Simpan kepesertaan").click().run()
    programs = csr_site.db.execute("SELECT programs FROM sponsorships WHERE scheme_code = ?", [CODE]).fetchall()
    assert len(programs) == 1 and "JHT" not in programs[0][0], programs


def test_a_retired_scheme_is_not_offered_for_new_enrolments_but_its_history_is(csr_site):
    at = run("admin", "pages/kepesertaan.py")
    assert set(at.selectbox(key="k_scheme").options) == {"Uji CSR nelayan", "Uji CSR kedua"}
    retire_scheme(csr_site.db, csr_site.app.plugins, CODE, actor=csr_site.actor)
    at = run("admin", "pages/kepesertaan.py")
    assert at.selectbox(key="k_scheme").options == ["Uji CSR kedua"]
    at.radio(key="k_mode").set_value("semua").run()  # the list enrolment: the same choice of scheme
    assert at.selectbox(key="k_scheme").options == ["Uji CSR kedua"]
    for page, key in (("pages/tagihan.py", "t_scheme"), ("pages/pembayaran.py", "p_scheme"),
                      ("pages/tunggakan.py", "l_scheme")):
        assert "Uji CSR nelayan" in run("admin", page).selectbox(key=key).options, page
