"""The Pekerja list as a spreadsheet (``payung.people.worker_list``): the rows and NIKs the actor
sees, every download in the audit log, and a list too long for one download refused in words.
Who may download what is also in the permission matrix (``test_access``)."""

import io
import json

import pytest
from openpyxl import load_workbook

from db import queries
from payung.auth.access import Actor
from payung.base.errors import ValidationError
from payung.base.identity import mask_nik
from payung.people import worker_list
from payung.people.workers import create_worker

from conftest import NIK, OTHER_VILLAGE, REGENCY_CODES, VILLAGE, worker_values

OTHER_NIK = "3324011708750002"


def _cells(data: bytes) -> list[list]:
    return [list(row) for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


@pytest.fixture
def two(app, db, admin):
    first = create_worker(db, app.settings, worker_values(), actor=admin)
    second = create_worker(db, app.settings, worker_values(nik=OTHER_NIK, name="Budi Santoso", gender="L",
                                                           village_code=OTHER_VILLAGE), actor=admin)
    return first, second


def test_the_file_holds_the_actors_rows_with_the_nik_it_sees_and_each_download_is_logged(app, db, admin, two):
    data, rows = worker_list.workers_xlsx(db, app.plugins, actor=admin)
    cells = _cells(data)
    assert rows == 2 and cells[0] == list(worker_list.HEADERS)
    assert {(r[0], r[1]) for r in cells[1:]} == {(NIK, "Siti Aminah"), (OTHER_NIK, "Budi Santoso")}
    village = Actor("desa", "desa", villages=(VILLAGE,))
    assert [r[:2] for r in _cells(worker_list.workers_xlsx(db, app.plugins, actor=village)[0])[1:]] == [
        [NIK, "Siti Aminah"]]
    viewer = Actor("lihat", "viewer")
    seen = _cells(worker_list.workers_xlsx(db, app.plugins, actor=viewer, text="Budi")[0])[1:]
    assert [r[:2] for r in seen] == [[mask_nik(OTHER_NIK), "Budi Santoso"]] and OTHER_NIK not in repr(seen)
    logged = {e["actor"]: json.loads(e["after"]) for e in queries.audit_entries(db, table="workers")
              if e["action"] == "export"}
    assert sorted(logged["admin"]["worker_ids"]) == sorted(two) and logged["desa"]["worker_ids"] == [two[0]]
    assert (logged["lihat"]["search"], logged["lihat"]["rows"]) == ("Budi", 1)


def test_a_list_longer_than_one_download_is_refused_in_words_and_nothing_logged(app, db, admin, two, monkeypatch):
    monkeypatch.setattr(worker_list, "MAX_ROWS", 1)
    with pytest.raises(ValidationError, match="paling banyak 1. Persempit pencarian"):
        worker_list.workers_xlsx(db, app.plugins, actor=admin)
    assert not [e for e in queries.audit_entries(db, table="workers") if e["action"] == "export"]
    assert worker_list.workers_xlsx(db, app.plugins, actor=admin, text="Budi")[1] == 1


def test_the_file_holds_the_regency_the_list_was_narrowed_to_and_logs_it(app, db, admin, two):
    other = next(code for code in REGENCY_CODES if code != VILLAGE[:5])
    village = db.execute("SELECT code FROM regions WHERE level = 4 AND code LIKE ? ORDER BY code LIMIT 1",
                         [other + ".%"]).fetchone()[0]
    create_worker(db, app.settings, worker_values(nik=village[:2] + village[3:5] + village[6:8] + "5708750003",
                                                  name="Wati", village_code=village), actor=admin)
    data, rows = worker_list.workers_xlsx(db, app.plugins, actor=admin, region=other)
    assert rows == 1 and [r[1] for r in _cells(data)[1:]] == ["Wati"]
    assert worker_list.workers_xlsx(db, app.plugins, actor=admin, region=VILLAGE[:5])[1] == 2
    logged = [json.loads(e["after"]) for e in queries.audit_entries(db, table="workers") if e["action"] == "export"]
    assert {entry["region"] for entry in logged} == {other, VILLAGE[:5]}
