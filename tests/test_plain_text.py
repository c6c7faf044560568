"""Text is text: names, addresses and messages a user typed are shown as typed on every page,
never as Markdown (a link, an image, a colour, a formula), HTML or reversed by bidi controls."""

from __future__ import annotations

import re

import pytest

import hostile
from db import billing, store
from db.scope import EVERYTHING
from payung.auth.access import Actor
from ui.widgets import plain

from test_pages import open_db, run

TEXT_KINDS = ("title", "header", "subheader", "markdown", "caption", "success", "error", "warning", "info", "toast")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _unescaped(text: str, char: str) -> bool:
    return re.search(rf"(?<!\\){re.escape(char)}", text) is not None


@pytest.mark.parametrize("name", hostile.HOSTILE_NAMES, ids=lambda n: n[:20])
def test_plain_leaves_no_markdown_html_or_bidi(name):
    shown = plain(name)
    for char in "[]<>$`*_~|#&":
        assert not _unescaped(shown, char), (char, shown)
    assert not re.match(r"[-+=]", shown), shown  # no list marker, heading underline or rule
    assert not re.search(r"(?<!\\):[a-z/]", shown) and not BIDI.search(shown) and "\n" not in shown
    # Undoing the escapes gives back the text (line breaks as spaces, bidi controls dropped).
    assert re.sub(r"\\(.)", r"\1", shown) == BIDI.sub("", name).replace("\n", " ")


def test_plain_keeps_ordinary_messages_readable():
    message = "NIK harus 16 digit angka (yang diisi: 12 digit). Iuran Rp16.800, lihat halaman 2."
    assert plain(message) == message


def test_markdown_escaping_is_needed_for_the_rule_to_hold():
    """Without the escape, the phishing name would carry link syntax into the page."""
    name = hostile.HOSTILE_NAMES[0]
    assert "](" in name and "![" in name
    assert "](" not in plain(name).replace("\\]", "") and "![" not in plain(name)


def _texts(at) -> list[str]:
    return [str(e.value) for kind in TEXT_KINDS for e in getattr(at, kind, [])]


def _assert_plain(at, name: str, where: str) -> None:
    assert not at.exception, at.exception
    marker = plain(name).strip()[:40]
    shown = [t for t in _texts(at) if marker in t]
    assert shown, f"{where}: the name is not shown in {_texts(at)}"
    for text in shown:
        assert plain(name).strip() in text, (where, text)
        if plain(name) != name:  # never the raw text, besides inside its escaped form
            assert name not in text.replace(plain(name).strip(), ""), (where, text)
        assert not BIDI.search(text), where
        assert "](" not in text.replace("\\]", "") and "![" not in text, (where, text)
        assert not re.search(r"(?<!\\)<(img|script|b)", text), (where, text)


def test_hostile_names_are_plain_text_on_every_page(site):
    db = open_db(site)
    payment = next(p for p in billing.payments(db, scope=EVERYTHING)[0] if p["scheme_code"] == "pemalang_mesra")
    sponsor_id = int(payment["party_key"])
    worker_id = db.execute("SELECT worker_id FROM sponsorships WHERE sponsor_id = ? LIMIT 1", [sponsor_id]).fetchone()[0]
    for name in hostile.HOSTILE_NAMES:
        store.update(db, "workers", worker_id, {"name": name, "address": name, "birth_place": name}, actor="t")
        store.update(db, "sponsors", sponsor_id, {"name": name}, actor="t")
        store.update(db, "payments", payment["id"], {"party_label": name}, actor="t")  # kept as paid
        at = run("admin", "pages/pekerja.py", query={"id": str(worker_id)})
        at.session_state["_payung_saved"] = f"{name} terdaftar sebagai pekerja."
        at.run()
        _assert_plain(at, name, "Pekerja")
        assert at.title[0].value.startswith(plain(name).strip())
        assert any(plain(name).strip() in s.value for s in at.success)
        at = run("admin", "pages/penyandang_dana.py", query={"id": str(sponsor_id)})
        _assert_plain(at, name, "Penyandang dana")
        at = run("admin", "pages/tagihan.py", state={"t_scheme": "pemalang_mesra", "t_party": str(sponsor_id)})
        _assert_plain(at, name, "Tagihan")
        at = run("admin", "pages/pembayaran.py", query={"id": str(payment["id"])})
        _assert_plain(at, name, "Pembayaran")
    db.close()


def test_error_messages_that_quote_a_file_are_plain(site):
    """A file whose header names a Markdown link: the message quoting it stays text."""
    at = run("admin", "pages/impor.py")
    at.file_uploader(key="i_file").set_value(("x.csv", "NIK;Nama\n1;a\n".encode(), "text/csv")).run()
    at.selectbox(key="i_template").set_value(None).run()
    assert not at.exception
    at.session_state["_payung_saved"] = "Templat \"[klik](http://evil.example)\" tersimpan."
    at.run()
    assert any("\\[klik\\](http\\://evil" in s.value for s in at.success)


def test_pdfs_show_names_as_text(site):
    """fpdf2 cells are text (no markdown=True): the name appears literally in the receipt."""
    import zlib

    from payung.reports.documents import receipt_pdf
    from payung.finance.payments import payment_with_lines
    db = open_db(site)
    payment = payment_with_lines(db, billing.payments(db, scope=EVERYTHING)[0][0]["id"], actor=Actor.system())
    payment["party_label"] = "Budi **tebal** [tautan](http://evil.example)"
    pdf = receipt_pdf(payment, "Skema")
    streams = re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S)
    # decompressobj stops at the stream's end, leaving the line end before "endstream" (stripping
    # whitespace instead cut the data itself whenever its last byte was one: a flaky test).
    text = b"".join(zlib.decompressobj().decompress(s) if s[:1] == b"x" else s for s in streams)
    assert b"**tebal** [tautan]" in text.replace(b"\\", b"")
    db.close()


def test_a_file_read_on_impor_is_let_go_on_another_page(site):
    """What Impor data read from a file (many times the file's size) is not kept in the session
    once the user opens another page; on Impor data itself it stays for the next step."""
    from test_pages import run
    work = {"_i_read": ("key", ["baris"] * 1000), "_i_plan": ("sig", "rencana"), "_i_values:workers:": {}}
    at = run("admin", state={**work, "keep": 1})  # the Beranda
    assert not [k for k in work if k in at.session_state] and at.session_state["keep"] == 1


def test_impor_keeps_its_own_work_between_steps():
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st
        from ui.session import release_upload_work
        st.session_state.setdefault("_i_plan", "rencana")
        st.session_state["gone"] = release_upload_work(st.query_params.get("halaman", "impor"))

    at = AppTest.from_function(script)
    at.run()
    assert at.session_state["_i_plan"] == "rencana" and at.session_state["gone"] == 0
    at.query_params["halaman"] = "beranda"
    at.run()
    assert at.session_state["gone"] == 1 and "_i_plan" not in at.session_state


# Texts an administrator typed into a scheme (the scheme editor), and a restored file's name ---------

EVIL_SCHEME_NAME = "GN ![](http://evil.example/t.png) [Verifikasi akun](http://evil.example/login) :red[PALSU]"
EVIL_DESCRIPTION = "Uraian <b>tebal</b> **penting** [tautan](http://evil.example) $$\\frac{1}{0}$$"
EVIL_LABEL = "Cara donasi [klik](http://evil.example/x) :red[merah]"
EVIL_HELP = "Bantuan [klik](http://evil.example/help) <img src=x>"
EVIL_FILE = "[Klik untuk masuk ulang](http://evil.example/login) ![](http://evil.example/t.png).db"
LABEL_KINDS = ("checkbox", "selectbox", "multiselect", "number_input", "text_input", "radio", "button", "date_input")


def _raw_markdown(text: str) -> bool:
    """A link, an image, HTML or a colour directive that Markdown would act on."""
    unescaped = re.sub(r"\\.", "", text)
    return bool(re.search(r"\]\(|<(b|img)\b|:red\[|\$\$", unescaped))


def _rendered(at) -> list[tuple[str, str]]:
    shown = [(kind, str(e.value)) for kind in TEXT_KINDS for e in getattr(at, kind, [])]
    shown += [(f"{kind}.label", str(e.label)) for kind in LABEL_KINDS for e in getattr(at, kind, [])]
    shown += [(f"{kind}.help", str(e.help)) for kind in LABEL_KINDS for e in getattr(at, kind, []) if e.help]
    return shown


def _markdown_left(at) -> list[tuple[str, str]]:
    assert not at.exception, at.exception
    return [(kind, text) for kind, text in _rendered(at) if _raw_markdown(text)]


@pytest.fixture
def evil_scheme_site(tmp_path, monkeypatch):
    """The demo site with the TOML scheme GN Lingkaran as an administrator could have saved it
    from the scheme editor: its name, description, a field's label and help are Markdown and HTML."""
    import shutil

    from conftest import PASSWORD, ROOT, write_config
    from payung.core import Payung
    from payung.operations.demo import generate
    from payung.auth.users import add_user
    plugins = tmp_path / "plugins"
    shutil.copytree(ROOT / "plugins", plugins)
    toml = plugins / "gn_lingkaran.toml"
    text = toml.read_text(encoding="utf-8")
    text = re.sub(r'^name = ".*"$', lambda _: f'name = "{EVIL_SCHEME_NAME}"', text, count=1, flags=re.M)
    text = re.sub(r'description = """.*?"""',
                  lambda _: 'description = """' + EVIL_DESCRIPTION.replace("\\", "\\\\") + '"""', text, count=1,
                  flags=re.S)
    text = text.replace('label = "Cara donasi"', f'label = "{EVIL_LABEL}"\nhelp = "{EVIL_HELP}"')
    toml.write_text(text, encoding="utf-8")
    config = write_config(tmp_path, plugins_dir=str(plugins))
    monkeypatch.setenv("PAYUNG_CONFIG", str(config))
    monkeypatch.setenv("PAYUNG_DB", str(tmp_path / "payung.db"))
    monkeypatch.setenv("PAYUNG_COOKIE_KEY", "k" * 40)
    app = Payung.load(config, entry_points=False)
    scheme = app.plugins.schemes["gn_lingkaran"]
    assert scheme.name == EVIL_SCHEME_NAME and scheme.description == EVIL_DESCRIPTION
    db = app.open_db()
    generate(app, db, workers=40, seed=5)
    add_user(db, username="admin", name="Admin", role="admin", password=PASSWORD, actor=Actor.system())
    db.close()
    return {"app": app, "db_path": tmp_path / "payung.db"}


def test_a_schemes_name_description_and_field_label_are_plain_text(evil_scheme_site):
    found = {}
    at = run("admin", "pages/kepesertaan.py", state={"k_scheme": "gn_lingkaran"})
    found["kepesertaan"] = _markdown_left(at)
    assert any(plain(EVIL_SCHEME_NAME) in text for _, text in _rendered(at))  # shown, as text
    assert any(plain(EVIL_LABEL) in text for kind, text in _rendered(at) if kind.endswith(".label"))
    assert any(plain(EVIL_HELP) in text for kind, text in _rendered(at) if kind.endswith(".help"))
    at = run("admin", "pages/beranda.py", query={"skema": "gn_lingkaran"})
    found["beranda"] = _markdown_left(at)
    with open_db(evil_scheme_site) as db:
        sponsor = db.execute("SELECT sponsor_id FROM sponsorships WHERE scheme_code = 'gn_lingkaran' LIMIT 1").fetchone()
    assert sponsor
    at = run("admin", "pages/tagihan.py", state={"t_scheme": "gn_lingkaran", "t_party": str(sponsor[0])})
    found["tagihan"] = _markdown_left(at)
    assert any(plain(EVIL_SCHEME_NAME) in text for _, text in _rendered(at))
    at = run("admin", "pages/skema.py")
    found["skema"] = _markdown_left(at)
    assert not any(found.values()), found


def _restore_upload(at, name: str, data: bytes):
    at.radio(key="r_source").set_value("Unggah berkas").run()
    at.file_uploader(key="r_upload").set_value((name, data, "application/octet-stream")).run()
    at.checkbox(key="r_confirm").check().run()
    next(b for b in at.button if b.label == "Pulihkan").click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.sqlite_only("the Cadangan page's file backups and restores are SQLite's (PostgreSQL: pg_dump, issue 25 point 4)")
def test_a_restored_files_name_is_plain_text_for_every_session(site, tmp_path):
    import db as database
    other = run("operator", "pages/pekerja.py")
    admin = run("admin", "pages/cadangan.py")
    path = tmp_path / "cadangan.db"  # made after both signed in: the copy holds their sessions
    with open_db(site) as db:
        database.backup(db, path)
    admin = _restore_upload(admin, EVIL_FILE, path.read_bytes())
    assert any(plain(EVIL_FILE) in s.value for s in admin.success) and not _markdown_left(admin)
    other.run()
    notices = [w.value for w in other.warning if "dipulihkan" in w.value]
    assert notices and plain(EVIL_FILE) in notices[0] and not _markdown_left(other)


@pytest.mark.sqlite_only("the Cadangan page's file backups and restores are SQLite's (PostgreSQL: pg_dump, issue 25 point 4)")
def test_a_refused_restore_quoting_the_file_is_plain_text(site, tmp_path):
    """SQLite's integrity report names the file's indexes, whatever names the sender chose."""
    import sqlite3

    import db as database
    path = tmp_path / "x.db"
    with open_db(site) as db:
        database.backup(db, path)
    conn = sqlite3.connect(path)
    conn.executescript("""CREATE TABLE catatan (a TEXT, b TEXT); INSERT INTO catatan VALUES ('1','x'),('2','y');
        CREATE INDEX "[Masuk ulang di sini](http://evil.example/login)" ON catatan(a);
        PRAGMA writable_schema=ON;
        UPDATE sqlite_master SET sql = replace(sql, 'catatan(a)', 'catatan(b)') WHERE type='index' AND tbl_name='catatan';""")
    conn.commit()
    conn.close()
    at = _restore_upload(run("admin", "pages/cadangan.py"), EVIL_FILE, path.read_bytes())
    errors = [e.value for e in at.error]
    assert any("rusak" in e and "Masuk ulang di sini" in e for e in errors), errors
    assert not _markdown_left(at)
    # A file with nothing but the migrations table: refused in words, not a crash.
    bare = tmp_path / "kosong.db"
    conn = sqlite3.connect(bare)
    with open_db(site) as db:
        conn.execute(db.execute("SELECT sql FROM sqlite_master WHERE name = '_sqlite_migrations'").fetchone()[0])
        conn.executemany("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
                         db.execute("SELECT migration_set, name, applied_at FROM _sqlite_migrations").fetchall())
    conn.commit()
    conn.close()
    at = _restore_upload(run("admin", "pages/cadangan.py"), "kosong.db", bare.read_bytes())
    assert any("Susunan basis data" in e.value for e in at.error)


def test_a_schemes_name_and_a_field_asked_at_renewal_are_plain_text_on_tunggakan(evil_scheme_site, monkeypatch):
    """Tunggakan's renewal line showed the scheme's name as Markdown (a link, an image loaded from
    another site), and its confirmation asked for a field not carried into the new year in a text
    box labelled with the raw label: a choice field ("Cara donasi": the values behind the labels)
    could then never be given, "Langsung ke BPJS Ketenagakerjaan" is not "langsung". The box asks
    for a field as the enrolment form does (``declared_field``)."""
    from payung.enrolment.arrears import ending_soon, not_carried_over
    from payung.schemes.fields import Field
    monkeypatch.setattr(Field, "carried_over", property(lambda f: False))  # as a plugin may say it
    app = evil_scheme_site["app"]
    with open_db(evil_scheme_site) as db:
        rows = [r for r in ending_soon(db, app.plugins, actor=Actor("admin", "admin"), scheme_code="gn_lingkaran").rows
                if not_carried_over(app.plugins.fields(app.plugins.scheme("gn_lingkaran")), r)]
    assert rows, "the demo has a GN Lingkaran renewal into a new year"
    row = rows[0]
    at = run("admin", "pages/tunggakan.py", state={"l_scheme": "gn_lingkaran"})
    assert not _markdown_left(at), _markdown_left(at)
    at.button(key=f"renew_{row['id']}").click().run()
    assert not _markdown_left(at), _markdown_left(at)
    channel = at.selectbox(key=f"renew_{row['id']}_channel")
    assert plain(EVIL_LABEL) in channel.label
    channel.set_value("langsung").run()
    at.button(key=f"renew_yes_{row['id']}").click().run()
    assert not at.error, [e.value for e in at.error]
    with open_db(evil_scheme_site) as db:
        from db import queries
        assert max(s["id"] for s in queries.worker_sponsorships(db, row["worker_id"], EVERYTHING)) != row["id"]
