"""The Cadangan page under AppTest: it shows the data's check, and restores a backup."""

from __future__ import annotations

import re

import db as database
from payung.base import clock
from db import queries

import pytest

from conftest import DEMO_WORKERS
from test_pages import open_db, run, texts

#: Why the automatic backup test runs on SQLite only.
FILE_BACKUPS = "the automatic daily backup is SQLite's (PostgreSQL: the server's own backups)"


def names(site) -> list[str]:
    with open_db(site) as db:
        return [r["name"] for r in db.query("SELECT name FROM workers ORDER BY id")]


def test_backup_page_shows_the_check(site):
    at = run("admin", "pages/cadangan.py")
    results = at.dataframe[0].value
    # Each check by an Indonesian name (they read "quick_check, foreign_key_check, line_totals"), no
    # "PRAGMA", counts and seconds the Indonesian way (it read "0.0 detik").
    assert list(results["Pemeriksaan"]) == ["Keutuhan berkas (cepat)", "Rujukan antardata", "Rekap iuran",
                                             "Jumlah terbayar", "Pembayaran", "Kepesertaan", "Nama sebagai teks",
                                             "Pencarian nama", "Anggaran"]
    assert not any("PRAGMA" in d or "_check" in d for d in results["Keterangan"])
    assert set(results["Hasil"]) == {"cocok"} and all(n.replace(".", "").isdigit() for n in results["Diperiksa"])
    done = next(s.value for s in at.success)
    assert done.startswith("Semua pemeriksaan cocok (") and re.search(r"\(\d+,\d detik", done), done
    next(b for b in at.button if b.label == "Periksa lengkap").click().run()
    assert at.dataframe[0].value["Pemeriksaan"][0] == "Keutuhan berkas"
    # A difference made behind the app's back shows on the next run (the audit log moved on).
    with open_db(site) as db:
        db.execute("UPDATE line_totals SET paid = paid + 1 WHERE (month, scheme_code, district_code, gender, birth_year) = (SELECT month, scheme_code, district_code, gender, birth_year"
                   " FROM line_totals ORDER BY month, scheme_code, district_code, gender, birth_year LIMIT 1)")
        db.execute("UPDATE workers SET name = 'Nama Diganti' WHERE id = (SELECT MIN(id) FROM workers)")
        db.execute("INSERT INTO audit_log (at, actor, action, table_name) VALUES ('-', 'uji', 'uji', 'uji')")
    at.run()
    assert "SELISIH" in set(at.dataframe[0].value["Hasil"])
    assert any("Ditemukan 2 selisih" in e.value for e in at.error), [e.value for e in at.error]
    next(b for b in at.button if b.label == "Bangun ulang tabel turunan").click().run()
    assert set(at.dataframe[0].value["Hasil"]) == {"cocok"}
    assert any("Dibangun ulang" in i.value and "1 kunci pencarian nama" in i.value for i in at.info)


def test_backup_page_restores_a_backup(site):
    at = run("admin", "pages/cadangan.py")
    next(b for b in at.button if b.label == "Buat cadangan sekarang").click().run()
    made = next(s.value for s in at.success).removeprefix("Cadangan tersimpan di ").rstrip(".")
    saved = names(site)
    with open_db(site) as db:
        db.execute("UPDATE workers SET name = 'Ganti' WHERE id <= 10")
    assert names(site) != saved
    at.selectbox(key="r_file").set_value(made.rsplit("/", 1)[-1]).run()
    next(b for b in at.button if b.label == "Pulihkan").click().run()
    assert "Centang persetujuan dulu: pemulihan mengganti seluruh data." in [e.value for e in at.error]
    assert names(site) != saved
    at.checkbox(key="r_confirm").check().run()
    next(b for b in at.button if b.label == "Pulihkan").click().run()
    assert not at.exception
    assert any(s.value.startswith("Basis data dipulihkan dari payung") for s in at.success), texts(at)
    assert names(site) == saved
    with open_db(site) as db:
        assert queries.user_by_username(db, "admin") is not None
        last = db.execute("SELECT action, actor FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        assert tuple(last) == ("restore", "admin")
    # Another session that was open sees a clear message on its next run.
    assert "Basis data telah dipulihkan" not in texts(at)


def test_other_sessions_are_told_of_a_restore(site):
    other = run("operator", "pages/pekerja.py")
    admin = run("admin", "pages/cadangan.py")
    next(b for b in admin.button if b.label == "Buat cadangan sekarang").click().run()
    made = next(s.value for s in admin.success).removeprefix("Cadangan tersimpan di ").rstrip(".")
    admin.selectbox(key="r_file").set_value(made.rsplit("/", 1)[-1])
    admin.checkbox(key="r_confirm").check()
    next(b for b in admin.button if b.label == "Pulihkan").click().run()
    other.run()
    assert any("Basis data telah dipulihkan dari cadangan" in w.value for w in other.warning)
    other.run()
    assert not any("Basis data telah dipulihkan" in w.value for w in other.warning)


def test_backup_page_refuses_an_upload_that_is_not_a_payung_database(site):
    with open_db(site) as db:
        before = list(db.query("SELECT * FROM workers ORDER BY id"))
    at = run("admin", "pages/cadangan.py")
    at.radio(key="r_source").set_value("Unggah berkas").run()
    at.file_uploader(key="r_upload").set_value(("daftar.db", b"NIK;Nama\n3324...;Budi\n", "application/octet-stream")).run()
    at.checkbox(key="r_confirm").check().run()
    next(b for b in at.button if b.label == "Pulihkan").click().run()
    refusal = ("Berkas ini bukan basis data SQLite" if site["app"].settings.engine == "sqlite"
               else "Berkas ini bukan cadangan PostgreSQL Payung")
    assert any(refusal in e.value for e in at.error), [e.value for e in at.error]
    with open_db(site) as db:
        assert list(db.query("SELECT * FROM workers ORDER BY id")) == before


@pytest.mark.sqlite_only(FILE_BACKUPS)
def test_the_apps_first_run_of_the_day_makes_the_automatic_backup(site):
    from payung.operations.backups import automatic_backups
    assert automatic_backups(site["app"].settings) == []
    run("operator", "pages/pekerja.py")
    [made] = automatic_backups(site["app"].settings)
    assert made.name == f"payung-otomatis-{clock.today():%Y%m%d}.db"
    with database.connect(made) as copy:
        assert copy.execute("SELECT COUNT(*) FROM workers").fetchone()[0] == DEMO_WORKERS
    run("admin", "pages/cadangan.py")
    assert len(automatic_backups(site["app"].settings)) == 1


def test_the_restoring_admin_is_signed_out_and_told_why(site):
    """A restore ends every session, the administrator's own too (security review): the next
    run is the login page, saying what was restored and that everybody signs in again."""
    from payung.auth.sessions import SessionPolicy, check_session
    at = run("admin", "pages/cadangan.py")
    own = at.session_state["_payung_session_id"]
    next(b for b in at.button if b.label == "Buat cadangan sekarang").click().run()
    made = next(s.value for s in at.success).removeprefix("Cadangan tersimpan di ").rstrip(".")
    at.selectbox(key="r_file").set_value(made.rsplit("/", 1)[-1])
    at.checkbox(key="r_confirm").check()
    next(b for b in at.button if b.label == "Pulihkan").click().run()
    assert any("Semua sesi diakhiri oleh pemulihan, termasuk sesi Anda" in w.value for w in at.warning)
    with open_db(site) as db:
        assert check_session(db, own, SessionPolicy()) is None
        assert not db.execute("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL").fetchone()[0]


def test_the_page_says_how_each_engine_is_backed_up_or_moved(site):
    """Both engines: a backup and a restore to press (a SQLite file, or a pg_dump archive).
    SQLite: how to move up to PostgreSQL. PostgreSQL: its daily backups are the server's."""
    at = run("admin", "pages/cadangan.py")
    buttons = {b.label for b in at.button}
    assert {"Buat cadangan sekarang", "Pulihkan", "Periksa lengkap"} <= buttons
    if site["app"].settings.engine == "sqlite":
        assert any("python -m payung pindah postgresql://" in c.value for c in at.caption)
    else:
        assert any("cadangan harian dibuat oleh server basis data" in c.value for c in at.caption)


def test_backup_page_says_a_name_key_difference_is_repaired_by_the_button(site):
    """A difference of the names' search keys alone: the page named only "rekap iuran dan jumlah
    terbayar" as rebuilt, so it read as one for a technician; the caption did not list the check;
    and the result sat after the long description, out of a phone's view."""
    at = run("admin", "pages/cadangan.py")
    assert any("pencarian nama" in c.value for c in at.caption), [c.value for c in at.caption]
    assert list(at.dataframe[0].value.columns) == ["Pemeriksaan", "Hasil", "Diperiksa", "Selisih", "Keterangan"]
    with open_db(site) as db:
        db.execute("UPDATE workers SET name_key = 'xxx' WHERE id = (SELECT MIN(id) FROM workers)")
        db.execute("INSERT INTO audit_log (at, actor, action, table_name) VALUES ('-', 'uji', 'uji', 'uji')")
    at.run()
    said = next(e.value for e in at.error if "Ditemukan 1 selisih" in e.value)
    assert "pencarian nama" in said and "Bangun ulang tabel turunan" in said, said
    # The example under it in words (its headings were "table, id, name, name_key").
    assert list(at.dataframe[1].value.columns) == ["Tabel", "Nomor", "Nama", "Kunci pencarian tersimpan",
                                                   "Seharusnya"], list(at.dataframe[1].value.columns)
    assert at.dataframe[1].value["Tabel"][0] == "pekerja"
    next(b for b in at.button if b.label == "Bangun ulang tabel turunan").click().run()
    assert set(at.dataframe[0].value["Hasil"]) == {"cocok"}
