"""Sponsors (``payung.people.sponsors``): civil servants with their NIP and OPD, village
governments with their district and regency, bad values refused, one sponsor per NIP."""

import pytest

from db.scope import EVERYTHING

from db import queries
from payung.base.errors import ValidationError
from payung.people.sponsors import create_sponsor, update_sponsor

from conftest import VILLAGE, snapshot


def test_asn_with_valid_nip_and_opd(app, db, admin):
    sponsor_id = create_sponsor(db, app.settings, {"type": "asn", "name": "Budi", "nip": "1985 0312 2010 01 1 002",
                                                   "opd": "Dinas Sosial"}, actor=admin)
    assert queries.sponsor(db, sponsor_id, EVERYTHING)["nip"] == "198503122010011002"


def test_non_pns_asn_may_use_an_employee_number(app, db, admin):
    sponsor_id = create_sponsor(db, app.settings, {"type": "asn", "name": "Ani", "employee_number": "NPNS-0042",
                                                   "opd": "Bappeda"}, actor=admin)
    assert queries.sponsor(db, sponsor_id, EVERYTHING)["employee_number"] == "NPNS0042"


@pytest.mark.parametrize("values, field, words", [
    ({"type": "asn", "name": "Budi", "opd": "Dinsos"}, "nip", "NIP (PNS) atau nomor pegawai"),
    ({"type": "asn", "name": "Budi", "nip": "198513122010011002", "opd": "Dinsos"}, "nip", "Tanggal lahir di NIP"),
    ({"type": "asn", "name": "Budi", "nip": "198503122010011002"}, "opd", "OPD"),
    ({"type": "pemerintah_desa", "name": "Pemdes"}, "village_code", "Desa wajib diisi"),
    ({"type": "pemerintah_desa", "name": "Pemdes", "village_code": "33.24.01"}, "village_code", "tidak dikenal"),
    ({"type": "perorangan", "name": "Budi", "nip": "198503122010011002"}, "nip", "hanya diisi untuk"),
    ({"type": "naga", "name": "Budi"}, "type", "Jenis penyandang dana"),
])
def test_bad_sponsor_is_refused(app, db, admin, values, field, words):
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        create_sponsor(db, app.settings, values, actor=admin)
    assert any(words in m for m in refused.value.for_field(field)), refused.value.problems
    assert snapshot(db) == before


def test_village_government_gets_its_district_and_regency(app, db, admin):
    sponsor_id = create_sponsor(db, app.settings, {"type": "pemerintah_desa", "name": "Pemdes Blumah",
                                                   "village_code": VILLAGE}, actor=admin)
    row = queries.sponsor(db, sponsor_id, EVERYTHING)
    assert (row["district_code"], row["regency_code"]) == ("33.24.01", "33.24")


def test_nip_is_unique(app, db, admin):
    values = {"type": "asn", "name": "Budi", "nip": "198503122010011002", "opd": "Dinsos"}
    first = create_sponsor(db, app.settings, values, actor=admin)
    with pytest.raises(ValidationError, match="sudah terdaftar atas nama Budi"):
        create_sponsor(db, app.settings, values | {"name": "Lain"}, actor=admin)
    assert update_sponsor(db, app.settings, first, {"opd": "Bappeda"}, actor=admin)["opd"] == "Bappeda"
