"""A name is found and matched whatever its case and accents: SQLite's ``lower()`` and ``LIKE``
fold ASCII letters only, so each worker's and sponsor's name is stored beside its
``name_key`` (``payung.base.text.search_key``), on every write."""

from __future__ import annotations

import pytest

import db as database
from db import migrations, store
from payung.auth.access import Actor
from payung.base.text import search_key
from payung.enrolment.sponsorships import eligible_workers
from payung.people.sponsors import create_sponsor, search_sponsors, update_sponsor
from payung.people.workers import create_worker, search_workers, update_worker

from conftest import VILLAGE, database_on, worker_values

NAMES = {"3324015708750001": "José Rizal", "3324015708750002": "BÉNÉDICTE Sari", "3324015708750003": "Ahmad Straße",
         "3324015708750004": "Nguyễn Thị Lan", "3324015708750005": "Ahmad Yani"}


def test_every_latin_letter_a_name_may_hold_has_a_key_of_plain_letters():
    """A name takes Latin letters that are no letter and accents ("ø", "đ", "ł"): each must fold
    to the letters a keyboard without it types, or a search typed so never finds the name."""
    from payung.base.scripts import _LATIN_LETTERS
    assert {c: search_key(c) for c in _LATIN_LETTERS if not search_key(c).isascii()} == {}
    assert search_key(b"AB") == "" and search_key(42) == ""  # not text: a crafted row, no key


def test_search_key_folds_case_and_the_accents_of_latin_letters_only():
    assert [search_key(n) for n in NAMES.values()] == [
        "jose rizal", "benedicte sari", "ahmad strasse", "nguyen thi lan", "ahmad yani"]
    assert search_key("İNCİ") == "inci" and search_key("Jose\u0301  RIZAL") == "jose rizal"
    assert search_key("ꦱꦶꦠꦶ") == "ꦱꦶꦠꦶ"  # a Javanese vowel sign is part of its letter, not an accent
    assert search_key("") == search_key(None) == ""


def _names(found) -> list[str]:
    return sorted(r["name"] for r in found.rows)


@pytest.mark.parametrize("typed, found", [
    ("jose", ["José Rizal"]), ("JOSÉ RIZAL", ["José Rizal"]), ("benedicte", ["BÉNÉDICTE Sari"]),
    ("Bénédicte", ["BÉNÉDICTE Sari"]), ("STRASSE", ["Ahmad Straße"]), ("straße", ["Ahmad Straße"]),
    ("nguyen thi", ["Nguyễn Thị Lan"]), ("ahmad", ["Ahmad Straße", "Ahmad Yani"]), ("josè", ["José Rizal"]),
])
def test_a_worker_is_found_whatever_the_case_and_accents_typed(app, db, admin, typed, found):
    for nik, name in NAMES.items():
        create_worker(db, app.settings, worker_values(nik=nik, name=name), actor=admin)
    assert _names(search_workers(db, app.settings, actor=admin, text=typed)) == found
    desa = Actor("desa", "desa", villages=(VILLAGE,))  # an account of one village finds the same
    assert _names(search_workers(db, app.settings, actor=desa, text=typed)) == found


@pytest.mark.parametrize("typed, found", [
    ("rizal jose", ["José Rizal"]), ("RIZAL José", ["José Rizal"]), ("yani ahmad", ["Ahmad Yani"]),
    ("lan nguyen", ["Nguyễn Thị Lan"]), ("sari benedicte", ["BÉNÉDICTE Sari"]), ("ahm yan", ["Ahmad Yani"]),
    ("yani rizal", []), ("ahmad jose", []), ("nur nurhayati", []),
])
def test_a_name_is_found_by_its_words_in_any_order(app, db, admin, typed, found):
    """A name typed in another word order ("rizal jose") found nothing: every word typed must be
    in the name, anywhere, in any order; a word the name lacks still finds nobody."""
    for nik, name in NAMES.items():
        create_worker(db, app.settings, worker_values(nik=nik, name=name), actor=admin)
    assert _names(search_workers(db, app.settings, actor=admin, text=typed)) == found
    desa = Actor("desa", "desa", villages=(VILLAGE,))
    assert _names(search_workers(db, app.settings, actor=desa, text=typed)) == found


def test_a_sponsor_is_found_by_its_words_in_any_order_and_still_by_nip_and_opd(app, db, admin):
    create_sponsor(db, app.settings, {"type": "perorangan", "name": "Élise Wijaya"}, actor=admin)
    create_sponsor(db, app.settings, {"type": "asn", "name": "Ahmad Yani", "nip": "197508172000031001",
                                      "opd": "Dinas Sosial"}, actor=admin)
    for actor in (admin, Actor("lihat", "viewer")):
        assert [r["name"] for r in search_sponsors(db, actor=actor, text="wijaya elise").rows] == ["Élise Wijaya"]
        assert [r["name"] for r in search_sponsors(db, actor=actor, text="YANI ahmad").rows] == ["Ahmad Yani"]
        assert [r["name"] for r in search_sponsors(db, actor=actor, text="dinas sosial").rows] == ["Ahmad Yani"]
        assert search_sponsors(db, actor=actor, text="wijaya ahmad").total == 0
    assert [r["name"] for r in search_sponsors(db, actor=admin, text="19750817").rows] == ["Ahmad Yani"]


@pytest.mark.parametrize("typed, found", [
    ("sosial dinas", ["Ahmad Yani"]), ("yani sosial", ["Ahmad Yani"]), ("dinas AHMAD", ["Ahmad Yani"]),
    ("pendidikan dinas", ["Siti Aminah"]), ("dinas", ["Ahmad Yani", "Siti Aminah"]),
    ("wijaya sosial", []), ("yani pendidikan", []), ("sosial pendidikan", []),
])
def test_a_sponsor_is_found_by_the_words_of_its_name_and_opd_in_any_order(app, db, admin, typed, found):
    """An OPD was searched only as typed: "sosial dinas" found nobody of "Dinas Sosial", nor
    "yani sosial" Ahmad Yani of it. Every word must be in the name or the OPD, in any order."""
    create_sponsor(db, app.settings, {"type": "perorangan", "name": "Élise Wijaya"}, actor=admin)
    create_sponsor(db, app.settings, {"type": "asn", "name": "Ahmad Yani", "nip": "197508172000031001",
                                      "opd": "Dinas Sosial"}, actor=admin)
    create_sponsor(db, app.settings, {"type": "asn", "name": "Siti Aminah", "nip": "198001012005012002",
                                      "opd": "Dinas Pendidikan dan Kebudayaan"}, actor=admin)
    for actor in (admin, Actor("lihat", "viewer")):
        assert sorted(r["name"] for r in search_sponsors(db, actor=actor, text=typed).rows) == found


def test_the_workers_a_sponsor_may_take_on_are_found_by_their_words_in_any_order(schemes_app, people, admin):
    """Kepesertaan's worker picker: the words of a name in any order, and still a NIK's start."""
    scheme = next(iter(schemes_app.plugins.schemes.values()))
    worker = people.worker(people.villages(scheme.regency_code)[0], name="José Rizal")

    def found(text):
        return [r["name"] for r in eligible_workers(people.db, schemes_app.plugins, scheme_code=scheme.code,
                                                    sponsor=None, start_month="2030-01", months=1, actor=admin,
                                                    text=text)]
    nik = next(r["nik"] for r in people.db.query("SELECT nik FROM workers WHERE id = ?", [worker]))
    assert found("rizal jose") == found("JOSE") == found(nik[:8]) == ["José Rizal"]
    assert found("rizal siti") == []


def test_the_words_beyond_the_most_matched_each_alone_are_matched_in_their_order(app, db, admin, monkeypatch):
    """``SEARCH_WORDS`` bounds the LIKEs of one search (a pasted paragraph is hundreds of
    words): the words beyond it must come in the order typed. A word inside a longer word
    typed is not asked twice."""
    from db import queries
    create_worker(db, app.settings, worker_values(name="Nguyễn Thị Lan"), actor=admin)
    monkeypatch.setattr(queries, "SEARCH_WORDS", 2)
    assert search_workers(db, app.settings, actor=admin, text="nguyen thi lan").total == 1
    assert search_workers(db, app.settings, actor=admin, text="thi lan nguyen").total == 1
    assert search_workers(db, app.settings, actor=admin, text="lan thi nguyen").total == 0
    assert queries._name_patterns("nur nurhayati NUR") == ["%nurhayati%"]
    words = " ".join(f"kata{i}" for i in range(150))  # within SEARCH_MAX: many words, a few LIKEs
    assert len(queries._name_patterns(words)) == 2
    assert search_workers(db, app.settings, actor=admin, text=words).total == 0


def test_a_renamed_worker_is_found_by_the_new_name_only(app, db, admin):
    worker = create_worker(db, app.settings, worker_values(name="José Rizal"), actor=admin)
    update_worker(db, app.settings, worker, {"name": "Élise Wijaya"}, actor=admin)
    assert _names(search_workers(db, app.settings, actor=admin, text="elise")) == ["Élise Wijaya"]
    assert search_workers(db, app.settings, actor=admin, text="jose").total == 0


def test_a_sponsor_is_found_whatever_the_case_and_accents_typed(app, db, admin):
    sponsor = create_sponsor(db, app.settings, {"type": "perorangan", "name": "Haji Bénédicte"}, actor=admin)
    for typed in ("BENEDICTE", "bénédicte", "haji bene"):
        assert [r["name"] for r in search_sponsors(db, actor=admin, text=typed).rows] == ["Haji Bénédicte"]
    update_sponsor(db, app.settings, sponsor, {"name": "Ibu Ørsted"}, actor=admin)
    assert [r["name"] for r in search_sponsors(db, actor=admin, text="ØRSTED").rows] == ["Ibu Ørsted"]
    assert search_sponsors(db, actor=admin, text="benedicte").total == 0
    create_sponsor(db, app.settings, {"type": "pemerintah_desa", "name": "Pemdes Kwasèn", "village_code": VILLAGE},
                   actor=admin)
    viewer = Actor("lihat", "viewer")  # a masked role searches the same names (not the NIPs)
    assert [r["name"] for r in search_sponsors(db, actor=viewer, text="KWASEN").rows] == ["Pemdes Kwasèn"]


def test_the_workers_a_sponsor_may_take_on_are_found_whatever_the_accents(schemes_app, people, admin):
    scheme = next(iter(schemes_app.plugins.schemes.values()))
    people.worker(people.villages(scheme.regency_code)[0], name="BÉNÉDICTE Sari")
    found = eligible_workers(people.db, schemes_app.plugins, scheme_code=scheme.code, sponsor=None,
                             start_month="2030-01", months=1, actor=admin, text="benedicte")
    assert [r["name"] for r in found] == ["BÉNÉDICTE Sari"]


def _import(db, app, data: str, kind: str, actor):
    from payung.imports import apply_import, auto_map, file_hash, plan_import, read_table
    table = read_table(data.encode(), "berkas.csv", in_process=True)
    plan = plan_import(db, app.plugins, kind=kind, sheet=table, mapping=auto_map(table.headers, kind), actor=actor,
                       file_name="berkas.csv", data_hash=file_hash(data.encode()))
    apply_import(db, app.plugins, plan, actor=actor)
    return plan


def test_a_sponsor_import_matches_a_name_whatever_its_case_and_accents(app, db, admin):
    """"ÉLISE WIJAYA" and "Elise Wijaya" in a file are the stored "Élise Wijaya", updated, not a
    second and a third sponsor, and her name keeps its spelling (an all-caps list would write
    over every name); two of them in one file are one row twice."""
    create_sponsor(db, app.settings, {"type": "perorangan", "name": "Élise Wijaya"}, actor=admin)
    plan = _import(db, app, "Jenis;Nama;No HP\nPerorangan;ÉLISE WIJAYA;0813-0000-2222\n", "sponsors", admin)
    assert (plan.counts["updated"], plan.counts["imported"]) == (1, 0), plan.summary()
    plan = _import(db, app, "Jenis;Nama;No HP\nPerorangan;Bénédicte;0813-0000-3333\n"
                            "Perorangan;BENEDICTE;0813-0000-4444\n", "sponsors", admin)
    assert plan.counts["imported"] == 1 and [e.message for errors in plan.rejected.values() for e in errors] == [
        "Sama dengan baris 2."], plan.summary()
    plan = _import(db, app, "Jenis;Nama;No HP\nPerorangan;Elise Wijaya;0813-0000-5555\n", "sponsors", admin)
    assert plan.counts["updated"] == 1, plan.summary()
    assert [(r["name"], r["phone"]) for r in search_sponsors(db, actor=admin, text="elise").rows] == [
        ("Élise Wijaya", "+6281300005555")]
    plan = _import(db, app, "Jenis;Nama;No HP\nPerorangan;ELISE WIJAYA;0813-0000-5555\n", "sponsors", admin)
    assert (plan.counts["unchanged"], plan.counts["updated"]) == (1, 0), plan.summary()


@pytest.mark.parametrize("stored, typed, kept", [
    ("Élise Wijaya", "ÉLISE WIJAYA", "Élise Wijaya"),  # all caps: poorer, the stored spelling stays
    ("Élise Wijaya", "Elise Wijaya", "Élise Wijaya"),  # accents stripped: poorer
    ("José Rizal", "jose rizal", "José Rizal"),
    ("Haji Jose", "Haji JOSE", "Haji Jose"),  # both in mixed case: the stored case stays
    ("Jose Rizal", "José Rizal", "José Rizal"),  # the file has the accent the stored lacks
    ("JOSE RIZAL", "Jose Rizal", "Jose Rizal"),  # the stored is all one case, the file's is not
    ("Jose Rizal", "JOSÉ RIZAL", "José Rizal"),  # the file's accent, the stored case
    ("JOSE", "josé", "JOSÉ"),
    ("Josè Rizal", "José Rizal", "José Rizal"),  # as many accents: the file corrects
    ("Duc Anh", "ĐỨC ANH", "Đức Anh"), ("Đức Anh", "Duc Anh", "Đức Anh"),
    ("Ahmad Strasse", "AHMAD STRAßE", "Ahmad Strasse"),  # letters that do not line up: the stored
    ("Siti Aminah", "Budi", "Budi"),  # not one name: a rename, the file's
])
def test_of_two_spellings_of_one_name_the_richer_is_kept(stored, typed, kept):
    from payung.base.text import richer_spelling
    assert richer_spelling(stored, typed) == kept


def test_a_sponsor_import_corrects_a_names_spelling_and_says_so_but_never_makes_it_poorer(app, db, admin):
    """The stored "Jose Rizal" could never become "José Rizal" by import (the stored spelling
    was kept whenever the keys were equal): the file's spelling is taken when it holds more
    (accents, or mixed case over one case), said before the import in ``respelled``; an all-caps
    or accent-less list changes nothing."""
    for name in ("Jose Rizal", "ELISE WIJAYA", "Bénédicte Sari"):
        create_sponsor(db, app.settings, {"type": "perorangan", "name": name}, actor=admin)
    plan = _import(db, app, "Jenis;Nama\nPerorangan;JOSÉ RIZAL\nPerorangan;Élise Wijaya\n"
                            "Perorangan;BENEDICTE SARI\n", "sponsors", admin)
    assert (plan.counts["updated"], plan.counts["unchanged"]) == (2, 1), plan.summary()
    assert plan.respelled == plan.summary()["respelled"] == {"Jose Rizal": "José Rizal",
                                                             "ELISE WIJAYA": "Élise Wijaya"}
    assert sorted(r["name"] for r in search_sponsors(db, actor=admin).rows) == [
        "Bénédicte Sari", "José Rizal", "Élise Wijaya"]
    assert [r["name"] for r in search_sponsors(db, actor=admin, text="jose").rows] == ["José Rizal"]
    plan = _import(db, app, "Jenis;Nama\nPerorangan;JOSE RIZAL\nPerorangan;elise wijaya\n", "sponsors", admin)
    assert (plan.counts["unchanged"], plan.respelled) == (2, {}), plan.summary()


def test_a_worker_import_keeps_the_richer_spelling_of_a_registered_workers_name(app, db, admin, monkeypatch):
    """A worker matched by NIK is held to the sponsors' rule: an all-caps list of the regency's
    workers no longer writes "JOSE RIZAL" over "José Rizal", and "Élise" still corrects "Elise".
    A plan lists at most ``RESPELLED_KEPT`` names and counts them all."""
    from payung.imports import plans
    niks = ("3324015708750007", "3324015708750015", "3324015708750023")
    for nik, name in zip(niks, ("José Rizal", "Elise Wijaya", "Bagus Santoso")):
        create_worker(db, app.settings, worker_values(nik=nik, name=name), actor=admin)
    monkeypatch.setattr(plans, "RESPELLED_KEPT", 1)
    village = VILLAGE.replace(".", "")
    plan = _import(db, app, "NIK;Nama;Tanggal Lahir;JK;Desa;Pekerjaan\n" + "".join(
        f"{nik};{name};17-08-1975;P;{village};Petani\n" for nik, name in zip(
        niks, ("JOSE RIZAL", "Élise Wijaya", "Bágus Santoso"))), "workers", admin)
    assert (plan.counts["updated"], plan.counts["unchanged"]) == (2, 1), plan.summary()
    assert plan.respelled == {"Elise Wijaya": "Élise Wijaya"} and plan.respelled_count == 2
    assert plan.summary()["respelled_count"] == 2
    assert sorted(r["name"] for r in search_workers(db, app.settings, actor=admin).rows) == [
        "Bágus Santoso", "José Rizal", "Élise Wijaya"]


def test_the_impor_page_and_the_cli_say_a_spelling_the_import_changes(site, tmp_path):
    import subprocess
    import sys
    from test_pages import open_db, run
    from conftest import ROOT
    with open_db(site) as opened:
        create_sponsor(opened, site["app"].settings, {"type": "perorangan", "name": "Jose Rizal"},
                       actor=Actor("admin", "admin"))
    data = "Jenis;Nama\nPerorangan;José Rizal\n".encode()
    at = run("admin", "pages/impor.py")
    at.radio(key="i_kind").set_value("sponsors").run()
    at.file_uploader(key="i_file").set_value(("dana.csv", data, "text/csv")).run()
    next(b for b in at.button if b.label == "Periksa").click().run()
    said = [i.value for i in at.info if "Ejaan nama penyandang dana" in i.value]
    assert said and '"Jose Rizal" menjadi "José Rizal"' in said[0], [i.value for i in at.info]
    path = tmp_path / "dana.csv"
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-m", "payung", "import", "sponsors", str(path), "--dry-run", "--config",
                           str(site["app"].settings.path), "--db", str(site["db_path"])], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert 'ejaan nama diubah: "Jose Rizal" menjadi "José Rizal"' in done.stdout, done.stdout


def test_imported_workers_are_found_whatever_the_accents(app, db, admin):
    """An import stores its workers in one load (``store.bulk_insert``): their keys with them."""
    _import(db, app, "NIK;Nama;Tanggal Lahir;JK;Desa;Pekerjaan\n"
                     f"3324015708750007;BÉNÉDICTE Uji;17-08-1975;P;{VILLAGE.replace('.', '')};Petani\n", "workers", admin)
    assert _names(search_workers(db, app.settings, actor=admin, text="benedicte uji")) == ["BÉNÉDICTE Uji"]


def test_names_stored_before_their_keys_are_found_after_the_upgrade(engine, tmp_path, app, admin, monkeypatch):
    """m031: the keys of the names stored before it, ASCII and not, on both engines."""
    from payung.people.regions import load_regions
    with database_on(engine, tmp_path, empty=True) as location:
        old = database.connect(location)
        try:
            migrations.migrate(old, stop_before="m031_name_keys")
            load_regions(old, app.settings)
            with monkeypatch.context() as m:  # written as the Payung of that schema wrote it
                m.setattr(store, "DERIVED_COLUMNS", {})
                for nik, name in NAMES.items():
                    create_worker(old, app.settings, worker_values(nik=nik, name=name), actor=admin)
                create_sponsor(old, app.settings, {"type": "perorangan", "name": "ÉLISE Wijaya"}, actor=admin)
            assert migrations.migrate(old, stop_before="m032_indexes_for_renewals_and_scheme_counts") == [
                "m031_name_keys"]
            assert dict(old.execute("SELECT name, name_key FROM workers").fetchall()) == {
                n: search_key(n) for n in NAMES.values()}
            assert old.execute("SELECT name_key FROM sponsors").fetchall() == [("elise wijaya",)]
            assert _names(search_workers(old, app.settings, actor=admin, text="straße")) == ["Ahmad Straße"]
        finally:
            old.close()


@pytest.mark.parametrize("typed", ["%", "_", "a%a", "___", "\\", "Siti_Aminah", "ahmad %", "_ yani", "a\\ b"])
def test_like_wildcards_typed_in_a_search_are_characters(app, db, admin, typed):
    """"%" found every worker and "___" every name of three letters or more: a search finds the
    text typed, not a pattern (no name here holds a "%", "_" or backslash)."""
    for nik, name in NAMES.items():
        create_worker(db, app.settings, worker_values(nik=nik, name=name), actor=admin)
    create_sponsor(db, app.settings, {"type": "asn", "name": "Ahmad Yani", "nip": "197508172000031001",
                                      "opd": "Dinas Sosial"}, actor=admin)
    assert search_workers(db, app.settings, actor=admin, text=typed).total == 0
    assert search_sponsors(db, actor=admin, text=typed).total == 0
    assert search_sponsors(db, actor=Actor("lihat", "viewer"), text=typed).total == 0


def test_a_search_text_longer_than_any_name_finds_nothing_and_breaks_nothing(schemes_app, people, admin):
    """SQLite refuses a LIKE pattern over 50.000 bytes ("LIKE or GLOB pattern too complex"): a
    search box holding a pasted page ended Daftar pekerja, Penyandang dana and the pickers of
    Kepesertaan with an unexpected error. No name is that long: nothing is found."""
    scheme = next(iter(schemes_app.plugins.schemes.values()))
    people.worker(people.villages(scheme.regency_code)[0], name="Siti Aminah")
    for typed in ("s" * 60_000, "é" * 30_000, "%" * 60_000, "siti" + " " * 60_000 + "x"):
        assert search_workers(people.db, schemes_app.settings, actor=admin, text=typed).total == 0
        assert search_sponsors(people.db, actor=admin, text=typed).total == 0
        assert eligible_workers(people.db, schemes_app.plugins, scheme_code=scheme.code, sponsor=None,
                                start_month="2030-01", months=1, actor=admin, text=typed) == []


def test_latin_letters_with_a_stroke_are_found_and_matched_without_it(app, db, admin):
    """The name rule takes "Łukasz" (docs/security.md's own example) and Vietnamese "Đức": a
    search typed without the stroke finds them, and a sponsor import of "Duc Anh" updates the
    stored "Đức Anh" instead of creating a second sponsor."""
    for name in ("Łukasz Wijaya", "Đức Anh", "Ibu Ørsted"):
        create_sponsor(db, app.settings, {"type": "perorangan", "name": name}, actor=admin)
    assert [search_sponsors(db, actor=admin, text=t).total for t in ("lukasz", "duc anh", "orsted")] == [1, 1, 1]
    plan = _import(db, app, "Jenis;Nama;No HP\nPerorangan;Duc Anh;0813-0000-2222\n", "sponsors", admin)
    assert (plan.counts["updated"], plan.counts["imported"]) == (1, 0), plan.summary()
