"""The BPJS exchange (``payung.enrolment.bpjs``): the collective registration file with the
configured columns, the answer with KPJs and refusals, and a refused registration resubmitted only
if it still fits."""

import io

import pytest
from openpyxl import load_workbook

from db import billing, queries, store
from db.scope import EVERYTHING
from payung.auth.access import Actor
from payung.base.errors import ValidationError
from payung.enrolment import bpjs
from payung.imports import bpjs_answer
from payung.finance import bills, budgets

from conftest import snapshot
from shipped_schemes import PEKON, PRINGSEWU, budget_line, enrol_pringsewu, pringsewu_worker


def _registration_setup(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10", name="APBD Pringsewu")
    workers = [people.worker(PEKON, "petani", poverty_source="P3KE", birth_place="Pringsewu", phone="081234567890",
                             address="Jl. Pekon 1") for _ in range(3)]
    sponsorships = [enrol_pringsewu(people, apbd, w) for w in workers]
    return workers, sponsorships


def test_registration_export_has_the_configured_columns_and_is_audited(people):
    workers, sponsorships = _registration_setup(people)
    data, count = bpjs.registration_xlsx(people.db, people.app.plugins, scheme_code=PRINGSEWU, from_month="2025-01",
                                          to_month="2025-01", actor=people.actor)
    sheet = load_workbook(io.BytesIO(data)).active
    headers = [c.value for c in sheet[1]]
    assert count == 3 and headers == list(people.app.settings.bpjs_exchange["columns"].values())
    assert headers[:3] == ["NIK", "NAMA LENGKAP (SESUAI KTP)", "TEMPAT LAHIR"]
    first = dict(zip(headers, [c.value for c in sheet[2]]))
    worker = queries.worker(people.db, workers[0], EVERYTHING)
    assert first["NIK"] == worker["nik"] and first["TANGGAL LAHIR (DD-MM-YYYY)"] == "17-08-1975"
    assert first["SUMBER DANA (KODE WADAH)"] == "SG" and first["PROGRAM"] == "JKK, JKM"
    assert first["TANGGAL MULAI KEPESERTAAN"] == "01-01-2025" and first["PENYANDANG DANA"] == "APBD Pringsewu"
    assert first["UPAH DILAPORKAN"] == 1_000_000 and first["PERIODE PEMBAYARAN (BULAN)"] == 1
    entry = queries.audit_entries(people.db, table="sponsorships")[0]
    assert entry["action"] == "export" and "pendaftaran kolektif BPJS" in entry["after"]


def test_kpj_answer_with_an_unknown_nik_reports_it_and_changes_nothing_else(people):
    workers, sponsorships = _registration_setup(people)
    niks = [queries.worker(people.db, w, EVERYTHING)["nik"] for w in workers]
    answer = ("NIK;No KPJ;Keterangan\n"
              f"{niks[0]};25010000001;\n"
              f"{niks[1]};;Nama tidak sesuai KTP\n"
              "1810019999990001;25010000003;\n").encode()
    plan = bpjs_answer.plan_answer(people.db, people.app.plugins, answer, "jawaban.csv", scheme_code=PRINGSEWU,
                            actor=Actor.system())
    assert [(a.nik, a.kpj) for a in plan.activate] == [(niks[0], "25010000001")]
    assert [(a.nik, a.reason) for a in plan.reject] == [(niks[1], "Nama tidak sesuai KTP")]
    assert plan.problems == [(4, "NIK 1810019999990001 tidak dikenal: tidak ada kepesertaan yang menunggu jawaban "
                                 "BPJS untuk NIK ini. Tidak ada yang diubah untuk baris ini.")]
    before = snapshot(people.db)
    assert bpjs_answer.apply_answer(people.db, plan, actor=people.actor) == {"aktif": 1, "ditolak": 1, "bermasalah": 1}
    after = snapshot(people.db)
    changed = {t for t in before if before[t] != after[t]}
    assert changed == {"sponsorships", "audit_log", "data_versions"}  # the data version moves with the data
    rows = {r["id"]: r for r in after["sponsorships"]}
    assert (rows[sponsorships[0]]["status"], rows[sponsorships[0]]["kpj"]) == ("aktif", "25010000001")
    assert (rows[sponsorships[1]]["status"], rows[sponsorships[1]]["bpjs_note"]) == ("ditolak", "Nama tidak sesuai KTP")
    assert rows[sponsorships[2]] == {r["id"]: r for r in before["sponsorships"]}[sponsorships[2]]
    # A refused registration drops out of the bills until it is resubmitted.
    assert bills.parties(people.db, people.app.plugins, PRINGSEWU, "2025-01", actor=Actor.system())[0]["workers"] == 2
    bpjs.resubmit(people.db, people.app.plugins, sponsorships[1], actor=people.actor)
    assert queries.sponsorship(people.db, sponsorships[1], EVERYTHING)["status"] == "diajukan"


def test_answer_gives_a_kpj_to_one_worker_only(people):
    """A KPJ twice in the file, or already recorded for another worker: refused; the same
    worker's own KPJ answered again is fine."""
    workers, sponsorships = _registration_setup(people)
    niks = [queries.worker(people.db, w, EVERYTHING)["nik"] for w in workers]
    store.update(people.db, "sponsorships", sponsorships[0], {"kpj": "25010000001"}, actor="uji")
    answer = (f"NIK;KPJ\n{niks[0]};25010000001\n{niks[1]};25010000001\n"
              f"{niks[2]};25010000009\n").encode()
    plan = bpjs_answer.plan_answer(people.db, people.app.plugins, answer, "jawaban.csv", actor=Actor.system())
    assert [a.nik for a in plan.activate] == [niks[0], niks[2]]
    assert plan.problems == [(3, "KPJ 25010000001 sudah ada di baris 2 untuk NIK lain.")]
    answer = f"NIK;KPJ\n{niks[2]};25010000009\n{niks[1]};25010000001\n".encode()
    plan = bpjs_answer.plan_answer(people.db, people.app.plugins, answer, "jawaban.csv", actor=Actor.system())
    assert [a.nik for a in plan.activate] == [niks[2]]
    assert plan.problems == [(3, "KPJ 25010000001 sudah tercatat untuk pekerja lain.")]


def test_answer_rows_that_cannot_be_read_are_reported(people):
    workers, _ = _registration_setup(people)
    nik = queries.worker(people.db, workers[0], EVERYTHING)["nik"]
    answer = f"NIK,KPJ\n{nik},123\n12345,25010000001\n{nik[:-1]}9,\n".encode()
    plan = bpjs_answer.plan_answer(people.db, people.app.plugins, answer, "jawaban.csv", actor=Actor.system())
    assert plan.changes == 0 and [p[0] for p in plan.problems] == [2, 3, 4]
    assert "11 digit" in plan.problems[0][1] and "16 digit" in plan.problems[1][1] and "alasan" in plan.problems[2][1]
    with pytest.raises(ValidationError, match="Kolom NIK"):
        bpjs_answer.plan_answer(people.db, people.app.plugins, b"Nama;Nomor\nA;1\n", "jawaban.csv", actor=Actor.system())


# A refused registration comes back only if it still fits ------------------------------------------

def _refused_by_bpjs(people, sponsorship: int) -> None:
    nik = queries.worker(people.db, queries.sponsorship(people.db, sponsorship, EVERYTHING)["worker_id"],
                         EVERYTHING)["nik"]
    plan = bpjs_answer.plan_answer(people.db, people.app.plugins, f"NIK;Alasan\n{nik};Data tidak lengkap\n".encode(),
                            "jawaban.csv", actor=Actor.system())
    bpjs_answer.apply_answer(people.db, plan, actor=Actor.system())


def test_resubmit_after_the_budget_freed_by_the_refusal_was_used_is_refused_with_the_figures(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    line = budget_line(people, 2 * 201_600)
    first = enrol_pringsewu(people, apbd, pringsewu_worker(people))
    enrol_pringsewu(people, apbd, pringsewu_worker(people))
    _refused_by_bpjs(people, first)
    assert billing.budget_committed(people.db, line) == 201_600
    budgets.update_amount(people.db, line, 201_600, actor=people.actor)  # APBD-P: the freed room is gone
    before = snapshot(people.db)
    with pytest.raises(ValidationError) as refused:
        bpjs.resubmit(people.db, people.app.plugins, first, actor=people.actor)
    [problem] = refused.value.problems
    assert problem.rule == "budget_exceeded" and problem.message == (
        'Tidak dapat diajukan ulang: Melebihi pos anggaran "APBD 2025 miskin ekstrem" tahun 2025: pagu Rp201.600, '
        "sisa Rp0, kepesertaan ini butuh Rp201.600.")
    assert snapshot(people.db) == before
    assert queries.sponsorship(people.db, first, EVERYTHING)["status"] == "ditolak"
    # With the room back it goes through, charged to the line again.
    budgets.update_amount(people.db, line, 2 * 201_600, actor=people.actor)
    bpjs.resubmit(people.db, people.app.plugins, first, actor=people.actor)
    assert queries.sponsorship(people.db, first, EVERYTHING)["status"] == "diajukan"
    assert billing.budget_committed(people.db, line) == 2 * 201_600


def test_resubmit_runs_the_schemes_rules_again(people):
    """The same path as the form: a sponsor deactivated since is refused, as the form refuses it."""
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    sponsorship = enrol_pringsewu(people, apbd, pringsewu_worker(people))
    _refused_by_bpjs(people, sponsorship)
    store.update(people.db, "sponsors", apbd, {"active": 0}, actor="uji")
    with pytest.raises(ValidationError, match="sudah nonaktif"):
        bpjs.resubmit(people.db, people.app.plugins, sponsorship, actor=people.actor)
    assert queries.sponsorship(people.db, sponsorship, EVERYTHING)["status"] == "ditolak"


def test_a_refused_registration_of_a_retired_scheme_is_not_resubmitted(people):
    """Resubmitting takes again the place the refusal freed: a retired scheme takes no new one."""
    from payung.schemes.editing import retire_scheme
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    sponsorship = enrol_pringsewu(people, apbd, pringsewu_worker(people))
    _refused_by_bpjs(people, sponsorship)
    retire_scheme(people.db, people.app.plugins, PRINGSEWU, actor=people.actor)
    with pytest.raises(ValidationError, match="sudah dipensiunkan"):
        bpjs.resubmit(people.db, people.app.plugins, sponsorship, actor=people.actor)
    assert queries.sponsorship(people.db, sponsorship, EVERYTHING)["status"] == "ditolak"


def test_a_refusals_reason_is_stored_as_typed_texts_are(people):
    """The branch's reason is tidied as every free text (composed, no zero-width space, no space
    around it) before it is checked and kept: a reason of nothing but what is dropped is no
    reason, and the row says so."""
    workers, _ = _registration_setup(people)
    niks = [queries.worker(people.db, w, EVERYTHING)["nik"] for w in workers]
    answer = ("NIK;No KPJ;Keterangan\n"
              f"{niks[0]};;\u200bNama\u00a0tidak sesuai KTP\u2019 \n"
              f"{niks[1]};;Tanggal lahir Jose\u0301\n"
              f"{niks[2]};;\u200b\ufeff\n").encode()
    plan = bpjs_answer.plan_answer(people.db, people.app.plugins, answer, "jawaban.csv", scheme_code=PRINGSEWU,
                                   actor=Actor.system())
    assert [a.reason for a in plan.reject] == ["Nama\u00a0tidak sesuai KTP\u2019", "Tanggal lahir Jos\u00e9"]
    assert [row for row, _ in plan.problems] == [4]
