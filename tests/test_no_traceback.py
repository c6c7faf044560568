"""No traceback for any role on any page.

Every page of the app (``PAGES`` of app.py, read from its source, plus every page the loaded
plugins register) is opened as every role that may open it; hostile text (a NIK, a 16-digit
number, digits with spaces, Markdown with a javascript: link, 5.000 characters, an empty string,
a NUL, which no PostgreSQL text holds) is typed into every text box, one input per run, and every
visible button is pressed once with the most hostile of them in the boxes (empty select boxes
first get their first option, so the parts shown after a choice are reached too). Any exception
the page shows fails the test; an uncaught error or a run that never ends fails it too. A new
page in ``PAGES`` or from a plugin is covered without touching this file; a planted ``raise`` is
caught (tests below).

One seeded database per engine serves the whole module (pressing buttons may change it: that is
allowed, only a traceback is not): SQLite and PostgreSQL, whose text refuses what SQLite stores.
No lone surrogate is typed: Streamlit's messages (protobuf, UTF-8) cannot carry one from a browser,
nor from AppTest (the services meet them in test_input_validation and test_sessions).
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from payung.auth.access import ROLES, Actor, allowed
from payung.core import Payung
from payung.operations.demo import generate
from payung.auth.users import add_user

import example_plugin
from conftest import (DESA_VILLAGE, ENGINES, ENTRY_POINTS, PASSWORD, PLUGINS_DIR, ROOT, database_on, engine_available,
                      logged_in, write_config)

NIK = "3324015708750001"
#: One input per run, into every text box; the last is in the boxes when the buttons are pressed.
HOSTILE = ["", NIK, "1234567890123456", "3324 0157 0875 0001",
           "nul\x00di tengah", "**x** [a](javascript:alert(1)) <b>x</b> $x$ `x`",
           ("**x** [a](javascript:alert(1)) " * 200)[:5000]]
USERS = {"admin": "admin", "operator": "operator", "desa": "desa", "viewer": "lihat"}
TEXT_BOXES = ("text_input", "text_area")


def app_pages() -> list[tuple[str, str, str]]:
    """``(path, url_path, action)`` of every page in app.py's ``PAGES``, read from its source."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets):
            pages = ast.literal_eval(node.value)
            return [(path, url, action) for entries in pages.values() for path, _, _, url, action in entries]
    raise AssertionError("app.py has no PAGES")


@pytest.fixture(scope="module", params=ENGINES)
def engine(request) -> str:
    """Every page on each engine: one world per engine (module-scoped)."""
    return engine_available(request.param)


@pytest.fixture(scope="module")
def world(tmp_path_factory, engine):
    """A demo database of every installed scheme plus the example plugin (which registers a
    page of its own), with one user of each role; the app reads it through the environment."""
    tmp = tmp_path_factory.mktemp("every_page")
    with database_on(engine, tmp) as location:
        yield from _world(tmp, location)


def _world(tmp, location):
    folder = tmp / "plugins"
    folder.mkdir()
    for path in Path(PLUGINS_DIR).iterdir():
        if path.suffix in (".py", ".toml") and path.is_file():
            shutil.copy(path, folder)
    shutil.copy(Path(example_plugin.__file__), folder / "contoh_halaman.py")
    config = write_config(tmp, plugins_dir=str(folder), database=location)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PAYUNG_CONFIG", str(config))
        env.delenv("PAYUNG_DB", raising=False)
        env.setenv("PAYUNG_DATABASE_URL", location)
        env.setenv("PAYUNG_COOKIE_KEY", "k" * 40)
        app = Payung.load(config, entry_points=ENTRY_POINTS)
        db = app.open_db()
        generate(app, db, workers=30, seed=11)
        system = Actor.system()
        add_user(db, username="admin", name="Admin", role="admin", password=PASSWORD, actor=system)
        add_user(db, username="operator", name="Operator", role="operator", password=PASSWORD, actor=system,
                 regency_code="33.24")
        add_user(db, username="desa", name="Operator Desa", role="desa", password=PASSWORD, actor=system,
                 villages=(DESA_VILLAGE,))
        add_user(db, username="lihat", name="Pemantau", role="viewer", password=PASSWORD, actor=system)
        db.close()
        yield {"app": app, "db_path": location}


def cases() -> list[tuple[str, str]]:
    """(role, page) for every page of app.py a role may open; plugin pages are added per role
    inside the test (they depend on the plugins loaded)."""
    return [(role, path) for role in ROLES for path, _, action in app_pages()
            if allowed(Actor(USERS[role], role, regency_code="33.24" if role in ("operator", "viewer") else None,
                             villages=(DESA_VILLAGE,) if role == "desa" else ()), action)]


def _open(world, role: str, page: str) -> AppTest:
    """The page as ``role``: a file of ``PAGES``, or a plugin page by its url path."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in logged_in(USERS[role], world["db_path"]).items():
        at.session_state[key] = value
    at.run()
    if page.endswith(".py"):
        at.switch_page(page)
    else:
        at._page_hash = next(h for h, info in at._registered_pages.items() if info.get("url_pathname") == page)
    return at.run()


def _no_exception(at: AppTest, where: str) -> None:
    assert not at.exception, f"{where}: " + " | ".join(f"{e.message} {''.join(e.stack_trace)[-600:]}"
                                                        for e in at.exception)


def _type_everywhere(at: AppTest, text: str) -> int:
    """Type ``text`` into every enabled text box (as far as a box takes: its max_chars)."""
    typed = 0
    for kind in TEXT_BOXES:
        for box in getattr(at, kind):
            if not box.disabled:
                limit = getattr(box, "max_chars", None)
                box.set_value(text[:limit] if limit else text)
                typed += 1
    return typed


def _choose_first_options(at: AppTest, where: str, rounds: int = 2) -> int:
    """Pick the first option of every empty select box (a party, a scheme, a bill...), so the
    parts of the page shown only after a choice get the hostile input too. Returns the runs."""
    runs = 0
    for _ in range(rounds):
        empty = [box for box in at.selectbox if box.value is None and box.options and not box.disabled]
        if not empty:
            break
        for box in empty:
            box.select_index(0)
            try:
                box.index  # AppTest maps a label back through format_func: not for every box
            except ValueError:
                box.set_value(None)
        at.run()
        runs += 1
        _no_exception(at, f"{where}, first options chosen")
    return runs


def _buttons(at: AppTest) -> list[tuple[str | None, str, int]]:
    """(key, label, nth of that label) of every enabled button shown."""
    seen: dict[str, int] = {}
    found = []
    for button in at.button:
        seen[button.label] = seen.get(button.label, -1) + 1
        if not button.disabled:
            found.append((button.key, button.label, seen[button.label]))
    return found


def _find(at: AppTest, key: str | None, label: str, nth: int):
    same = [b for b in at.button if (b.key == key if key else b.label == label)]
    return same[nth if not key else 0] if len(same) > (nth if not key else 0) else None


def exercise(world, role: str, page: str) -> dict:
    """Open, type every hostile input, press every button; fail on any exception shown."""
    where = f"{page} as {role}"
    at = _open(world, role, page)
    _no_exception(at, where)
    runs = 1 + _choose_first_options(at, where)
    if any(getattr(at, kind) for kind in TEXT_BOXES):
        for text in HOSTILE:
            _type_everywhere(at, text)
            at.run()
            runs += 1
            _no_exception(at, f"{where}, typed {text[:30]!r}")
    for key, label, nth in _buttons(at):
        button = _find(at, key, label, nth)
        if button is None:  # the page moved on (a button switched page, ended the session...): afresh
            at = _open(world, role, page)
            _type_everywhere(at, HOSTILE[-1])
            at.run()
            runs += 2
            button = _find(at, key, label, nth)
            if button is None or button.disabled:
                continue
        button.click()
        at.run()
        runs += 1
        _no_exception(at, f"{where}, pressed {label!r} with {HOSTILE[-1][:30]!r}...")
    return {"runs": runs}


@pytest.mark.parametrize("role,page", cases(), ids=[f"{r}-{Path(p).stem}" for r, p in cases()])
def test_no_traceback_on_any_page(world, role, page):
    exercise(world, role, page)


@pytest.mark.parametrize("role", list(ROLES))
def test_no_traceback_on_any_plugin_page(world, role):
    pages = [p.url_path for p in world["app"].plugins.pages()]
    assert "contoh-desa-halaman" in pages  # the example plugin's page is among them
    for url in pages:
        exercise(world, role, url)


def test_every_page_file_is_in_the_page_list():
    """What is not in ``PAGES`` is not reached by the test above (nor by users): the only page
    files outside it are the first start's setup page, tested in test_pages, and the hidden page
    at an address no page has, which app.py leaves before it runs (test_addresses)."""
    listed = {path for path, _, _ in app_pages()}
    files = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert files - listed == {"pages/penyiapan.py", "pages/alamat.py"}


def test_a_planted_raise_in_a_page_is_caught(world, monkeypatch):
    """The test fails on a page that raises: here a service the Daftar pekerja page calls,
    broken for any text typed into its search box."""
    import payung.people.workers
    search = payung.people.workers.search_workers

    def broken(db, settings, *, text="", **kwargs):
        if text:
            raise RuntimeError("ditanam: pencarian rusak")
        return search(db, settings, text=text, **kwargs)
    monkeypatch.setattr(payung.people.workers, "search_workers", broken)
    with pytest.raises(AssertionError, match="ditanam: pencarian rusak"):
        exercise(world, "admin", "pages/pekerja.py")


def test_a_planted_raise_on_a_button_is_caught(world, monkeypatch):
    import payung.reports.letterhead

    def broken(*args, **kwargs):
        raise RuntimeError("ditanam: tombol rusak")
    monkeypatch.setattr(payung.reports.letterhead, "save_letterhead", broken)
    with pytest.raises(AssertionError, match="pressed 'Simpan kop surat'"):
        exercise(world, "admin", "pages/kop_surat.py")
