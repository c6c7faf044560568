"""Pages that list schemes offer only those an actor may act on (``access.schemes_for``): an
operator of one regency or a village operator is never preselected another regency's scheme
(which its services refuse as "tidak ditemukan"), and a regency without schemes gets a message.

The site has an extra scheme that comes first in every list of schemes (a Python plugin whose
file name sorts first: Python plugins load first, by name), in a regency that is neither the
operator's nor the village operator's."""

from __future__ import annotations

import shutil
import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from payung.auth.access import Actor, schemes_for
from payung.core import Payung
from payung.operations.demo import generate
from payung.auth.users import add_user

from conftest import BASE_CONFIG, DESA_VILLAGE, ENTRY_POINTS, PASSWORD, PLUGINS_DIR, ROOT, logged_in, write_config

CONFIGURED = [r["code"] for r in tomllib.loads(BASE_CONFIG.read_text(encoding="utf-8"))["regencies"]]
#: The operator's regency: Mempawah when configured (the tester's case), else the first one.
OPERATOR_REGENCY = "61.02" if "61.02" in CONFIGURED else CONFIGURED[0]
DESA_REGENCY = DESA_VILLAGE[:5]
OTHERS = [c for c in CONFIGURED if c not in (OPERATOR_REGENCY, DESA_REGENCY)]
#: A regency configured for this test only, with no scheme at all.
EMPTY_REGENCY = next(c for c in ("61.07", "61.05", "61.03") if c not in CONFIGURED)
EXTRA_CODE = "aa0_skema_lain"

pytestmark = pytest.mark.skipif(not OTHERS or DESA_REGENCY not in CONFIGURED,
                                reason="needs three configured regencies, the village operator's among them")

EXTRA_PLUGIN = f'''
from payung.plugin import Scheme, hookimpl


@hookimpl
def register_schemes(settings):
    return [Scheme(code="{EXTRA_CODE}", name="AAA Skema kabupaten lain", regency_code="{OTHERS[0] if OTHERS else ''}",
                   funding_code="SL", sponsor_types=("perorangan",), months=(12,))]
'''


@pytest.fixture(scope="module")
def choices_site(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("choices")
    plugins = tmp_path / "plugins"
    shutil.copytree(PLUGINS_DIR, plugins, ignore=shutil.ignore_patterns("__pycache__"))
    (plugins / f"{EXTRA_CODE}.py").write_text(EXTRA_PLUGIN, encoding="utf-8")
    config = write_config(tmp_path, plugins_dir=str(plugins), extra=f'''
[[regencies]]
code = "{EMPTY_REGENCY}"
name = "Kabupaten Tanpa Skema"
umk = 0
''')
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PAYUNG_CONFIG", str(config))
        mp.setenv("PAYUNG_DB", str(tmp_path / "payung.db"))
        mp.setenv("PAYUNG_COOKIE_KEY", "k" * 40)
        app = Payung.load(config, entry_points=ENTRY_POINTS)
        assert list(app.plugins.schemes)[0] == EXTRA_CODE, (list(app.plugins.schemes), app.plugins.errors)
        db = app.open_db()
        generate(app, db, workers=20, seed=7)
        system = Actor.system()
        add_user(db, username="operator", name="Operator", role="operator", password=PASSWORD, actor=system,
                 regency_code=OPERATOR_REGENCY)
        add_user(db, username="kosong", name="Operator tanpa skema", role="operator", password=PASSWORD,
                 actor=system, regency_code=EMPTY_REGENCY)
        add_user(db, username="desa", name="Operator Desa", role="desa", password=PASSWORD, actor=system,
                 villages=(DESA_VILLAGE,))
        db.close()
        yield app


def _run(user: str, page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for key, value in logged_in(user).items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _names(app, regency: str) -> set[str]:
    return {s.name for s in app.plugins.schemes.values() if s.regency_code == regency}


#: page -> (key of its scheme box, whether it offers "all schemes" first, roles that open it)
PAGES = {
    "pages/tagihan.py": ("t_scheme", False, ("operator", "desa")),
    "pages/bpjs.py": ("b_scheme", False, ("operator",)),
    "pages/tunggakan.py": ("l_scheme", True, ("operator",)),
    "pages/pembayaran.py": ("p_scheme", True, ("operator",)),
    "pages/anggaran.py": ("a_scheme", True, ("operator",)),
    "pages/laporan.py": ("r_scheme", True, ("operator",)),
    "pages/beranda.py": (None, True, ("operator", "desa")),
    "pages/kepesertaan.py": ("k_scheme", False, ("operator", "desa")),
}
CASES = [(page, user) for page, (_, _, users) in PAGES.items() for user in users]


def test_schemes_for_follows_the_scope(choices_site):
    registry = choices_site.plugins
    assert schemes_for(registry, Actor("a", "admin"), "bill.read") == registry.schemes
    operator = Actor("o", "operator", regency_code=OPERATOR_REGENCY)
    assert {s.regency_code for s in schemes_for(registry, operator, "bill.read").values()} == {OPERATOR_REGENCY}
    desa = Actor("d", "desa", villages=(DESA_VILLAGE,))
    assert {s.regency_code for s in schemes_for(registry, desa, "bill.read").values()} == {DESA_REGENCY}
    assert schemes_for(registry, desa, "bpjs.exchange") == {}  # a role without the action: none
    assert schemes_for(registry, Actor("k", "operator", regency_code=EMPTY_REGENCY), "bill.read") == {}
    assert list(schemes_for(registry, operator, "bill.read")) == [
        c for c in registry.schemes if registry.schemes[c].regency_code == OPERATOR_REGENCY]


@pytest.mark.parametrize("page,user", CASES)
def test_a_page_offers_only_the_schemes_of_the_users_regency(choices_site, page, user):
    key, all_first, _ = PAGES[page]
    at = _run(user, page)
    box = at.selectbox(key=key) if key else next(b for b in at.selectbox if b.label == "Skema")
    regency = OPERATOR_REGENCY if user == "operator" else DESA_REGENCY
    options = list(box.options)
    assert set(options) - {"Semua skema", "Seluruh kabupaten (semua skema)"} == _names(choices_site, regency)
    assert (options[0] in ("Semua skema", "Seluruh kabupaten (semua skema)")) == all_first
    assert "AAA Skema kabupaten lain" not in options


@pytest.mark.parametrize("page", [p for p, (_, all_first, users) in PAGES.items() if "operator" in users])
def test_a_regency_without_schemes_is_told_so(choices_site, page):
    key, all_first, _ = PAGES[page]
    at = _run("kosong", page)
    if all_first:  # "all schemes" is the one choice; the page works on an empty slice
        box = at.selectbox(key=key) if key else next(b for b in at.selectbox if b.label == "Skema")
        assert list(box.options) in (["Semua skema"], ["Seluruh kabupaten (semua skema)"])
        if page == "pages/anggaran.py":  # a new budget line needs a scheme
            assert any("Belum ada skema di wilayah Anda" in i.value for i in at.info)
    else:
        assert any("Belum ada skema" in i.value and "wilayah Anda" in i.value for i in [*at.info, *at.warning])
