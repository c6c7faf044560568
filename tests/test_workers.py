"""Workers (``payung.people.workers``): registered with what the NIK says, every bad value refused at
once in Indonesian, one worker per NIK, audited updates, deactivation, and a village operator's
or viewer's limits."""

import pytest

from db.scope import EVERYTHING

from db import queries
from payung.auth.access import Actor, Forbidden
from payung.base.errors import NotFound, ValidationError
from payung.people.workers import create_worker, get_worker, set_worker_active, update_worker

from conftest import NIK, OTHER_VILLAGE, VILLAGE, snapshot, worker_values


def test_worker_is_registered_with_values_from_the_nik(app, db, admin):
    worker_id = create_worker(db, app.settings, worker_values(birth_date="", gender=""), actor=admin)
    row = queries.worker(db, worker_id, EVERYTHING)
    assert (row["birth_date"], row["gender"], row["district_code"], row["regency_code"]) == (
        "1975-08-17", "P", "33.24.01", "33.24")
    assert row["phone"] == "+6281234567890"
    assert queries.audit_entries(db, table="workers", row_id=worker_id)[0]["action"] == "insert"


@pytest.mark.parametrize("overrides, field, words", [
    ({"nik": "33240157087500"}, "nik", "16 digit"),
    ({"village_code": "33.24.99.9999"}, "village_code", "tidak dikenal"),
    ({"declared_income": -1_000_000}, "declared_income", "lebih dari Rp0"),
    ({"declared_income": "satu juta"}, "declared_income", "angka Rupiah"),
    ({"occupation": "astronot"}, "occupation", "tidak ada dalam daftar"),
    ({"name": ""}, "name", "wajib diisi"),
    ({"birth_date": "1975-08-18"}, "nik", "tidak sama"),
    ({"phone": "12"}, "phone", "tidak valid"),
])
def test_bad_worker_is_refused_in_indonesian_and_nothing_is_written(app, db, admin, overrides, field, words):
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        create_worker(db, app.settings, worker_values(**overrides), actor=admin)
    assert any(words in message for message in refused.value.for_field(field)), refused.value.problems
    assert snapshot(db) == before


def test_every_problem_is_reported_at_once(app, db, admin):
    with pytest.raises(ValidationError) as refused:
        create_worker(db, app.settings, worker_values(nik="123", village_code="x", occupation="", name=""),
                      actor=admin)
    assert {p.field for p in refused.value.problems} == {"nik", "village_code", "occupation", "name"}


def test_one_worker_per_nik(app, db, admin, worker_id):
    before = snapshot(db)
    with pytest.raises(ValidationError, match="sudah terdaftar atas nama Siti Aminah"):
        create_worker(db, app.settings, worker_values(name="Orang Lain"), actor=admin)
    assert snapshot(db) == before


def test_a_registered_nik_is_said_first_beside_the_other_problems(app, db, admin, worker_id):
    """Not only once the rest of the form is mended: a person typed a whole worker for nothing."""
    second = create_worker(db, app.settings, worker_values(nik="3324015708750002", name="Ani"), actor=admin)
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        create_worker(db, app.settings, worker_values(name="", occupation=""), actor=admin)
    assert [p.field for p in refused.value.problems] == ["nik", "name", "occupation"]
    assert "sudah terdaftar atas nama Siti Aminah" in refused.value.problems[0].message
    with pytest.raises(ValidationError) as refused:  # changing another worker's NIK to a taken one
        update_worker(db, app.settings, second, {"nik": NIK, "occupation": "astronot"}, actor=admin)
    assert [p.field for p in refused.value.problems] == ["nik", "occupation"]
    assert snapshot(db) == before


def test_nik_from_another_regency_is_accepted(app, db, admin):
    # Born in Kabupaten Semarang (33.22), lives in Kendal: domicile is the recorded village.
    worker_id = create_worker(db, app.settings, worker_values(nik="3322015708750001"), actor=admin)
    assert queries.worker(db, worker_id, EVERYTHING)["regency_code"] == "33.24"


def test_update_changes_only_what_was_given_and_is_audited(app, db, admin, worker_id):
    row = update_worker(db, app.settings, worker_id, {"village_code": OTHER_VILLAGE}, actor=admin)
    assert row["village_code"] == OTHER_VILLAGE and row["name"] == "Siti Aminah"
    entry = queries.audit_entries(db, table="workers", row_id=worker_id)[0]
    assert entry["action"] == "update" and VILLAGE in entry["before"] and OTHER_VILLAGE in entry["after"]


def test_deactivation_keeps_the_worker(app, db, admin, worker_id):
    set_worker_active(db, worker_id, False, actor=admin)
    assert queries.worker(db, worker_id, EVERYTHING)["active"] == 0


def test_village_operator_cannot_read_or_change_another_village(app, db, admin, worker_id):
    operator = Actor("desa2", "desa", villages=(OTHER_VILLAGE,))
    with pytest.raises(NotFound):
        get_worker(db, worker_id, actor=operator)
    with pytest.raises(NotFound):
        update_worker(db, app.settings, worker_id, {"name": "Diubah"}, actor=operator)
    with pytest.raises(Forbidden):
        create_worker(db, app.settings, worker_values(nik="3324011708750002", gender="L"), actor=operator)
    assert queries.worker(db, worker_id, EVERYTHING)["name"] == "Siti Aminah"


def test_viewer_cannot_write(app, db):
    with pytest.raises(Forbidden):
        create_worker(db, app.settings, worker_values(), actor=Actor("lihat", "viewer"))
    assert queries.worker_by_nik(db, NIK) is None


def test_a_name_typed_in_lower_case_is_written_as_on_the_ktp_list(app, db, admin):
    from payung.people.workers import create_worker as create, get_worker as get, update_worker as update
    worker = create(db, app.settings, worker_values(name="siti  aminah"), actor=admin)
    assert get(db, worker, actor=admin)["name"] == "Siti Aminah"
    update(db, app.settings, worker, {"name": "SITI AMINAH BINTI SALEH"}, actor=admin)
    assert get(db, worker, actor=admin)["name"] == "Siti Aminah binti Saleh"
    update(db, app.settings, worker, {"name": "Siti McAminah"}, actor=admin)
    assert get(db, worker, actor=admin)["name"] == "Siti McAminah"
