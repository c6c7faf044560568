"""Import kind "Kepesertaan": lists of sponsorships, checked by the bulk planner."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import openpyxl
import pytest

from db import queries
from db.scope import EVERYTHING
from payung.auth.access import Actor
from payung.finance.budgets import create_budget_line
from payung.imports.plans import rejected_rows_xlsx
from payung.imports import apply_import, auto_map, file_hash, plan_import, read_table

from conftest import ROOT, snapshot

KENDAL = "33.24.01.2001"


@pytest.fixture
def importer(people, admin):
    def run(text: str, *, write: bool = True, actor=None, kind="kepesertaan"):
        data = text.encode()
        table = read_table(data, "kepesertaan.csv")
        plan = plan_import(people.db, people.app.plugins, kind=kind, sheet=table,
                           mapping=auto_map(table.headers, "sponsorships"), actor=actor or admin,
                           file_name="kepesertaan.csv", data_hash=file_hash(data))
        if write:
            apply_import(people.db, people.app.plugins, plan, actor=actor or admin)
        return plan
    return run


def _nik(people, worker_id):
    return queries.worker(people.db, worker_id, EVERYTHING)["nik"]


def test_asn_list_by_nip(people, importer):
    """Kendal's BKPSDM list: each ASN (by NIP) with the worker they pay for."""
    people.sponsor("asn", name="Ani", nip="198503122010011002", opd="Dinas Sosial")
    people.sponsor("asn", name="Budi", nip="199001012015031001", opd="Bappeda")
    workers = [_nik(people, people.worker(KENDAL, "pedagang_pasar")) for _ in range(3)]
    far = _nik(people, people.worker("33.27.01.2001"))
    text = ("No;NIP;NIK Pekerja;Skema;Bulan mulai;Lama;Cara bayar;Periode bayar\n"
            f"1;198503122010011002;{workers[0]};kendal_asn_peduli;Januari 2025;12;Potong gaji;Bulanan\n"
            f"2;'199001012015031001;{workers[1]};Gerakan ASN Peduli Pekerja Rentan;2025-01;6 bulan;transfer;3\n"
            f"3;198503122010011009;{workers[2]};kendal_asn_peduli;2025-01;12;Potong gaji;1\n"
            f"4;198503122010011002;{far};kendal_asn_peduli;2025-01;12;Potong gaji;1\n"
            f"5;198503122010011002;{workers[2]};kendal_asn_peduli;2025-01;12;Tunai;1\n")
    plan = importer(text)
    assert plan.counts == {"imported": 2, "updated": 0, "unchanged": 0, "rejected": 3}
    errors = {e.row: (e.column, e.message) for e in plan.errors}
    assert errors[4] == ("NIP", "Penyandang dana dengan NIP 198503122010011009 tidak ditemukan; periksa NIP-nya. "
                                "Daftar ASN diimpor operator kabupaten di Impor data (Penyandang dana).")
    assert errors[5][0] == "NIK Pekerja" and "berdomisili di luar" in errors[5][1]
    assert errors[6][0] == "Cara bayar" and errors[6][1].startswith("«Cara bayar»: pilih salah satu dari")
    rows = list(people.db.query("SELECT s.months, s.payment_period, s.fields, sp.nip FROM sponsorships s"
                                " JOIN sponsors sp ON sp.id = s.sponsor_id ORDER BY s.id"))
    assert [(r["months"], r["payment_period"], json.loads(r["fields"]), r["nip"]) for r in rows] == [
        (12, 1, {"payment_method": "potong_gaji"}, "198503122010011002"),
        (6, 3, {"payment_method": "transfer"}, "199001012015031001")]
    # Re-importing the same file changes nothing; the rejected rows come back as XLSX.
    before = snapshot(people.db) | {"audit_log": None, "import_log": None}
    again = importer(text)
    assert again.counts == {"imported": 0, "updated": 0, "unchanged": 2, "rejected": 3}
    assert snapshot(people.db) | {"audit_log": None, "import_log": None} == before
    sheet = openpyxl.load_workbook(io.BytesIO(rejected_rows_xlsx(again))).active
    values = list(sheet.values)
    assert values[0][0] == "Baris" and values[0][-1] == "Alasan penolakan"
    assert [v[0] for v in values[1:]] == [4, 5, 6]


def test_pringsewu_category_list_with_budget_lines(people, importer):
    """Pringsewu's APBD list: categories, each paid from its budget line; the row that
    overruns a line is refused with the figures."""
    people.sponsor("apbd_kabupaten", name="Pemkab Pringsewu", regency_code="18.10")
    for category, workers in (("miskin_ekstrem", 2), ("ketua_rt", 1)):
        create_budget_line(people.db, people.app.plugins, {
            "scheme_code": "pringsewu_uc", "year": 2025, "name": f"APBD {category}", "source": "APBD",
            "amount": workers * 201_600, "category": category}, actor=people.actor)
    poor = [_nik(people, people.worker("18.10.01.2006", poverty_source="P3KE")) for _ in range(3)]
    heads = [_nik(people, people.worker("18.10.01.2006", "ketua_rt")) for _ in range(2)]
    text = ("NIK;Skema;Kategori;Tahun anggaran;Bulan mulai;Pekon;Nomor RW;Nomor RT\n"
            f"{poor[0]};pringsewu_uc;Pekerja rentan miskin ekstrem;2025;2025-01;;;\n"
            f"{poor[1]};pringsewu_uc;miskin ekstrem;2025;2025-01;;;\n"
            f"{poor[2]};pringsewu_uc;Pekerja rentan miskin ekstrem;2025;2025-01;;;\n"
            f"{heads[0]};pringsewu_uc;Ketua RT;2025;2025-01;Margakaya;001;002\n"
            f"{heads[1]};pringsewu_uc;Ketua RT;2025;2025-01;Margakaya;001;002\n")
    plan = importer(text)
    assert plan.counts == {"imported": 3, "updated": 0, "unchanged": 0, "rejected": 2}
    errors = {e.row: e for e in plan.errors}
    assert errors[4].column == "Bulan mulai" and errors[4].message == (
        "Melebihi pos anggaran \"APBD miskin_ekstrem\" tahun 2025: pagu Rp403.200, sisa Rp0, "
        "kepesertaan ini butuh Rp201.600.")
    assert errors[6].column == "Nomor RT" and "RT yang sama" in errors[6].message
    committed = {b["name"]: b["committed"] for b in people.db.query(
        "SELECT b.name, SUM(l.amount) AS committed FROM contribution_lines l JOIN budget_lines b"
        " ON b.id = l.budget_line_id GROUP BY b.name")}
    assert committed == {"APBD miskin_ekstrem": 403_200, "APBD ketua_rt": 201_600}


def test_pringsewu_rows_naming_the_budget_line(people, importer):
    people.sponsor("apbd_kabupaten", name="Pemkab Pringsewu", regency_code="18.10")
    create_budget_line(people.db, people.app.plugins, {
        "scheme_code": "pringsewu_uc", "year": 2024, "name": "APBD 2024 petugas pemilu", "source": "APBD",
        "amount": 10_000_000, "category": "petugas_pemilu"}, actor=people.actor)
    officers = [_nik(people, people.worker("18.10.01.2006", "petugas_pemilu")) for _ in range(2)]
    text = ("NIK;Skema;Pos anggaran;Tahun anggaran;Bulan mulai;Lama;Awal masa tugas;Akhir masa tugas\n"
            f"{officers[0]};pringsewu_uc;APBD 2024 petugas pemilu;2024;2024-09;4;01/09/2024;31/12/2024\n"
            f"{officers[1]};pringsewu_uc;APBD 2024 petugas pemilu;2024;2024-09;6;01/09/2024;31/12/2024\n")
    plan = importer(text)
    assert plan.counts["imported"] == 1
    assert plan.errors[0].row == 3 and plan.errors[0].column == "Lama" and "masa tugas" in plan.errors[0].message
    row = next(iter(people.db.query("SELECT fields FROM sponsorships")))
    assert json.loads(row["fields"])["category"] == "petugas_pemilu"


def test_village_list_by_village_refuses_past_the_quota_with_the_figures(people, importer):
    """Mempawah: each village government pays for its 100; the 101st is refused."""
    village, name = "61.02.01.2001", queries.region(people.db, "61.02.01.2001")["name"]
    people.sponsor("pemerintah_desa", name=f"Pemdes {name}", village_code=village)
    niks = [_nik(people, people.worker(village, "nelayan")) for _ in range(101)]
    text = "NIK;Skema;Desa;Tahun anggaran;Nomor RKPDes/APBDes;Bulan mulai\n" + "".join(
        f"{nik};mempawah_1desa100;{name};2025;RKPDes 2025 No. 4;2025-01\n" for nik in niks)
    plan = importer(text)
    assert plan.counts == {"imported": 100, "updated": 0, "unchanged": 0, "rejected": 1}
    assert plan.errors[0].row == 102 and "sudah penuh: 100 dari 100 pekerja" in plan.errors[0].message


def test_village_operator_imports_only_its_workers(people, importer):
    village, other = "61.02.01.2001", "61.02.01.2002"
    people.sponsor("pemerintah_desa", name="Pemdes A", village_code=village)
    mine, theirs = _nik(people, people.worker(village)), _nik(people, people.worker(other))
    desa = Actor("desa", "desa", villages=(village,))
    text = ("NIK;Skema;Penyandang dana;Tahun anggaran;Nomor RKPDes/APBDes;Bulan mulai\n"
            f"{mine};mempawah_1desa100;Pemdes A;2025;R1;2025-01\n"
            f"{theirs};mempawah_1desa100;Pemdes A;2025;R1;2025-01\n"
            f"3324011708750099;mempawah_1desa100;Pemdes A;2025;R1;2025-01\n")
    plan = importer(text, actor=desa)
    assert plan.counts["imported"] == 1
    unknown = [e.message for e in plan.errors]
    # A NIK of another village reads exactly like an unknown one.
    assert unknown[0].replace(theirs, "X") == unknown[1].replace("3324011708750099", "X")


def test_cli_import_sponsorships(people, tmp_path):
    people.sponsor("asn", name="Ani", nip="198503122010011002", opd="Dinas Sosial")
    nik = _nik(people, people.worker(KENDAL))
    path = tmp_path / "asn.csv"
    path.write_text(f"NIP;NIK;Skema;Bulan mulai;Cara bayar\n198503122010011002;{nik};kendal_asn_peduli;2025-02;"
                    "Transfer\n", encoding="utf-8")
    config = people.app.settings.path
    done = subprocess.run([sys.executable, "-m", "payung", "import", "sponsorships", str(path), "--config", str(config),
                           "--db", people.app.settings.database_url, "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["imported"] == 1
    assert people.db.execute("SELECT COUNT(*) FROM contribution_lines").fetchone()[0] == 12


def test_operator_imports_only_its_regencys_schemes(people, importer):
    people.sponsor("asn", name="Ani", nip="198503122010011002", opd="Dinas Sosial", regency_code="33.24")
    kendal = _nik(people, people.worker(KENDAL))
    pemalang = _nik(people, people.worker("33.27.01.2001"))
    parent = people.sponsor("perorangan", name="Pak Haji", regency_code="33.27")
    text = ("NIK;Skema;NIP;Penyandang dana;Bulan mulai;Cara bayar;Kategori orang tua asuh;Jumlah pekerja yang dijanjikan;"
            "Pilar pendanaan\n"
            f"{kendal};kendal_asn_peduli;198503122010011002;;2025-01;Transfer;;;\n"
            f"{pemalang};pemalang_mesra;;Pak Haji;2025-01;;Perorangan;5;Masyarakat\n")
    operator = Actor("op", "operator", regency_code="33.24")
    plan = importer(text, actor=operator)
    assert plan.counts["imported"] == 1 and plan.errors[0].row == 3
    assert plan.errors[0].message == "Skema \"pemalang_mesra\" tidak dikenal."
    assert parent and importer(text, write=False).counts["imported"] == 1  # admin: the Pemalang row too


# What an attack on the list import found (issue 16) ------------------------------------------

def _sheet(headers, rows):
    from payung.imports.reading import Sheet
    return Sheet(headers, rows)


def _plan_sheet(people, admin, sheet, **kw):
    return plan_import(people.db, people.app.plugins, kind="sponsorships", sheet=sheet,
                       mapping=auto_map(sheet.headers, "sponsorships"), actor=admin, file_name="k.xlsx",
                       data_hash="x", **kw)

def _rt_head_enrolled(people, *, rw, rt):
    """A Pringsewu pekon whose RT (``rw``/``rt`` as stored) already has its head enrolled on an
    APBD budget line: (the APBD sponsor, the pekon, a second head of RT not yet enrolled)."""
    apbd = people.sponsor("apbd_kabupaten", name="Pemkab Pringsewu", regency_code="18.10")
    create_budget_line(people.db, people.app.plugins, {
        "scheme_code": "pringsewu_uc", "year": 2025, "name": "APBD RT", "source": "APBD",
        "amount": 10_000_000, "category": "ketua_rt"}, actor=people.actor)
    pekon = "18.10.01.2006"
    first, second = people.worker(pekon, "ketua_rt"), people.worker(pekon, "ketua_rt")
    people.enrol("pringsewu_uc", apbd, first, months=12, fields={
        "budget_year": 2025, "category": "ketua_rt", "pekon": pekon, "rw": rw, "rt": rt})
    return apbd, pekon, second



def test_rows_planned_again_at_apply_time_report_what_was_saved(people, admin, importer):
    """Rule: when data changed between the check and the save, the rows are planned again and
    the counts, the rejected rows and their cells follow that second plan."""
    from payung.people.workers import set_worker_active
    people.sponsor("asn", name="Ani", nip="198503122010011002", opd="Dinas Sosial")
    ids = [people.worker(KENDAL) for _ in range(3)]
    niks = [_nik(people, w) for w in ids]
    text = "NIP;NIK;Skema;Bulan mulai;Cara bayar\n" + "".join(
        f"198503122010011002;{nik};kendal_asn_peduli;2025-01;Transfer\n" for nik in niks)
    set_worker_active(people.db, ids[0], False, actor=admin)
    plan = importer(text, write=False)
    assert plan.counts["rejected"] == 1 and 2 in plan.rejected
    set_worker_active(people.db, ids[0], True, actor=admin)
    set_worker_active(people.db, ids[1], False, actor=admin)
    counts = apply_import(people.db, people.app.plugins, plan, actor=admin)
    assert counts == {"imported": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert sorted(plan.rejected) == [3] and "sudah nonaktif" in plan.rejected[3][0].message
    assert plan.rejected[3][0].column == "NIK"
    assert plan.rejected_values[3][1] == niks[1]  # the row's own cells, for the file to fix
    book = openpyxl.load_workbook(io.BytesIO(rejected_rows_xlsx(plan)))
    cells = [[c.value for c in row] for row in book.active.iter_rows(min_row=2)]
    assert len(cells) == 1 and cells[0][0] == 3 and cells[0][2] == niks[1]
    saved = {r["worker_id"] for r in people.db.query("SELECT worker_id FROM sponsorships")}
    assert saved == {ids[0], ids[2]}
    log = next(iter(people.db.query("SELECT * FROM import_log ORDER BY id DESC LIMIT 1")))
    assert (log["imported"], log["rejected"]) == (2, 1)


def test_a_row_that_differs_from_the_stored_sponsorship_is_not_unchanged(people, importer):
    """Rule: "unchanged" only for the very same sponsorship (programs, payment period and
    scheme fields too); a changed row is refused like the form refuses it."""
    people.sponsor("asn", name="Ani", nip="198503122010011002", opd="Dinas Sosial")
    nik = _nik(people, people.worker(KENDAL))
    head = "NIP;NIK;Skema;Bulan mulai;Cara bayar;Program;Periode bayar\n"
    same = f"198503122010011002;{nik};kendal_asn_peduli;2025-01;Transfer;JKK JKM;1\n"
    assert importer(head + same).counts["imported"] == 1
    assert importer(head + same).counts == {"imported": 0, "updated": 0, "unchanged": 1, "rejected": 0}
    for changed in (same.replace("JKK JKM", "JKK JKM JHT"), same.replace(";1\n", ";12\n"),
                    same.replace("Transfer", "Potong gaji")):
        plan = importer(head + changed)
        assert plan.counts["unchanged"] == 0 and plan.counts["rejected"] == 1, changed
        assert "dua kali" in plan.errors[0].message
    assert people.db.execute("SELECT COUNT(*) FROM sponsorships").fetchone()[0] == 1


def test_nik_typed_with_spaces_dashes_or_dots_finds_the_worker(people, importer):
    """Rule: the list finds a worker by NIK typed the ways the form accepts."""
    people.sponsor("asn", name="Ani", nip="198503122010011002", opd="Dinas Sosial")
    niks = [_nik(people, people.worker(KENDAL)) for _ in range(3)]
    typed = [f"{niks[0][:4]} {niks[0][4:8]} {niks[0][8:12]} {niks[0][12:]}",
             f"{niks[1][:6]}-{niks[1][6:12]}-{niks[1][12:]}", f"{niks[2][:6]}.{niks[2][6:12]}.{niks[2][12:]}"]
    text = "NIP;NIK;Skema;Bulan mulai;Cara bayar\n" + "".join(
        f"198503122010011002;{t};kendal_asn_peduli;2025-01;Transfer\n" for t in typed)
    assert importer(text).counts["imported"] == 3


def test_a_nik_or_nip_excel_kept_as_a_number_is_explained(people, admin):
    """Rule: a NIK or NIP that lost digits in a number cell is explained, not 'not found'."""
    people.sponsor("asn", name="Ani", nip="198503122010011002", opd="Dinas Sosial")
    nik = _nik(people, people.worker(KENDAL))
    sheet = _sheet(["NIP", "NIK", "Skema", "Bulan mulai", "Cara bayar"],
                   [["198503122010011002", 3324011708750010.0, "kendal_asn_peduli", "2025-01", "Transfer"],
                    [198503122010011002.0, nik, "kendal_asn_peduli", "2025-01", "Transfer"]])
    plan = _plan_sheet(people, admin, sheet)
    messages = {e.row: e.message for e in plan.errors}
    assert "tersimpan sebagai angka di Excel" in messages[2] and "NIK" in messages[2]
    assert "tersimpan sebagai angka di Excel" in messages[3] and "NIP" in messages[3]


def test_a_named_budget_line_of_another_year_is_refused(people, importer):
    """Rule: the budget line a row names pays for its months, or the row is refused."""
    people.sponsor("apbd_kabupaten", name="Pemkab Pringsewu", regency_code="18.10")
    create_budget_line(people.db, people.app.plugins, {
        "scheme_code": "pringsewu_uc", "year": 2025, "name": "APBD 2025 miskin", "source": "APBD",
        "amount": 10_000_000, "category": "miskin_ekstrem"}, actor=people.actor)
    poor = _nik(people, people.worker("18.10.01.2006", poverty_source="P3KE"))
    text = ("NIK;Skema;Pos anggaran;Tahun anggaran;Bulan mulai\n"
            f"{poor};pringsewu_uc;APBD 2025 miskin;2026;2026-01\n")
    plan = importer(text)
    assert plan.counts["imported"] == 0
    assert plan.errors[0].column == "Pos anggaran" and "bukan pos tahun 2026" in plan.errors[0].message


def test_one_head_per_rt_counts_001_and_a_number_cell_1_as_one_rt(people, admin, importer):
    """Rule (Pringsewu): one head per RT; "001" typed and 1 in a number cell are one RT."""
    apbd, pekon, second = _rt_head_enrolled(people, rw="001", rt="002")
    name = queries.region(people.db, pekon)["name"]
    sheet = _sheet(["NIK", "Skema", "Kategori", "Tahun anggaran", "Bulan mulai", "Pekon", "Nomor RW", "Nomor RT"],
                   [[_nik(people, second), "pringsewu_uc", "Ketua RT", 2025.0, "2025-01", name, 1.0, 2.0]])
    plan = _plan_sheet(people, admin, sheet)
    assert plan.counts["imported"] == 0 and "RT yang sama" in plan.errors[0].message


def test_sponsors_with_one_name_are_told_apart(people, admin, importer):
    """Rule: of sponsors sharing a name, the one the scheme can take is used; when several can,
    the row asks for the sponsor's ID, and the ID column finds it."""
    village = "61.02.01.2001"
    name = queries.region(people.db, village)["name"]
    old = people.sponsor("pemerintah_desa", name=f"Pemdes {name}", village_code=village)
    people.db.execute("UPDATE sponsors SET active = 0 WHERE id = ?", [old])
    new = people.sponsor("pemerintah_desa", name=f"Pemdes {name}", village_code=village)
    niks = [_nik(people, people.worker(village, "nelayan")) for _ in range(3)]
    head = "NIK;Skema;Penyandang dana;Tahun anggaran;Nomor RKPDes/APBDes;Bulan mulai\n"
    plan = importer(head + f"{niks[0]};mempawah_1desa100;Pemdes {name};2025;R1;2025-01\n")
    assert plan.counts["imported"] == 1
    assert next(iter(people.db.query("SELECT sponsor_id FROM sponsorships")))["sponsor_id"] == new
    twin = people.sponsor("pemerintah_desa", name=f"Pemdes {name}", village_code=village)
    plan = importer(head + f"{niks[1]};mempawah_1desa100;Pemdes {name};2025;R1;2025-01\n")
    assert plan.counts["rejected"] == 1 and "ambigu" in plan.errors[0].message
    assert "ID penyandang dana" in plan.errors[0].message and name in plan.errors[0].message
    by_village = importer("NIK;Skema;Desa;Tahun anggaran;Nomor RKPDes/APBDes;Bulan mulai\n"
                          f"{niks[1]};mempawah_1desa100;{name};2025;R1;2025-01\n")
    assert by_village.counts["rejected"] == 1 and "ID penyandang dana" in by_village.errors[0].message
    assert village not in by_village.errors[0].message  # a name, not a code
    plan = importer("NIK;Skema;ID penyandang dana;Tahun anggaran;Nomor RKPDes/APBDes;Bulan mulai\n"
                    f"{niks[2]};mempawah_1desa100;{twin};2025;R1;2025-01\n")
    assert plan.counts["imported"] == 1
    assert people.db.execute("SELECT COUNT(*) FROM sponsorships WHERE sponsor_id = ?", [twin]).fetchone()[0] == 1


def test_a_sponsor_is_named_whatever_the_case_and_accents(people, importer):
    """"PEMDES ..." in a file is the stored "Pémdes ...": a name was matched with its letters
    beyond ASCII deleted ("p mdes"), so an accent on either side found nobody."""
    village = "61.02.01.2001"
    name = queries.region(people.db, village)["name"]
    sponsor = people.sponsor("pemerintah_desa", name=f"Pémdes {name}", village_code=village)
    nik = _nik(people, people.worker(village, "nelayan"))
    plan = importer("NIK;Skema;Penyandang dana;Tahun anggaran;Nomor RKPDes/APBDes;Bulan mulai\n"
                    f"{nik};mempawah_1desa100;PEMDES {name.upper()};2025;R1;2025-01\n")
    assert plan.counts["imported"] == 1, plan.errors
    assert people.db.execute("SELECT sponsor_id FROM sponsorships").fetchone()[0] == sponsor


def test_a_sponsor_village_is_looked_up_in_the_schemes_regency(people, importer):
    """Rule: "Desa" of a sponsor names a village of the scheme's regency, even when another
    served regency has a village of the same name."""
    names = {}
    for row in people.db.query("SELECT code, name FROM regions WHERE level = 4 AND (code LIKE '61.02.%'"
                               " OR code LIKE '33.27.%')"):
        names.setdefault(row["name"], []).append(row["code"])
    shared = next(n for n, codes in sorted(names.items()) if {c[:5] for c in codes} == {"61.02", "33.27"}
                  and sum(c.startswith("61.02.") for c in codes) == 1)
    village = next(c for c in names[shared] if c.startswith("61.02."))
    people.sponsor("pemerintah_desa", name="Pemdes", village_code=village)
    nik = _nik(people, people.worker(village, "nelayan"))
    plan = importer("NIK;Skema;Desa;Tahun anggaran;Nomor RKPDes/APBDes;Bulan mulai\n"
                    f"{nik};mempawah_1desa100;{shared};2025;R1;2025-01\n")
    assert plan.counts["imported"] == 1, plan.errors


def test_a_sponsor_named_gets_the_forms_own_refusal(people, importer):
    """Rule: bulk and form refuse with the same words: an inactive sponsor or one of a type
    the scheme does not take is named, not 'not found'."""
    from payung.enrolment.sponsorships import plan_enrolment
    worker = people.worker(KENDAL)
    gone = people.sponsor("asn", name="Nur Baco", nip="198503122010011002", opd="Dinas Sosial")
    people.db.execute("UPDATE sponsors SET active = 0 WHERE id = ?", [gone])
    form = plan_enrolment(people.db, people.app.plugins, actor=people.actor, scheme_code="kendal_asn_peduli",
                          sponsor_id=gone, worker_id=worker, start_month="2025-01",
                          fields={"payment_method": "transfer"})
    plan = importer("NIK;Skema;Penyandang dana;Bulan mulai;Cara bayar\n"
                    f"{_nik(people, worker)};kendal_asn_peduli;Nur Baco;2025-01;Transfer\n")
    assert [e.message for e in plan.errors] == [p.message for p in form.problems if p.rule == "sponsor_inactive"]


def test_start_months_out_of_range_are_refused(people, importer):
    """Rule: no sponsorship before its scheme began or years ahead (a typing mistake)."""
    people.sponsor("asn", name="Ani", nip="198503122010011002", opd="Dinas Sosial")
    niks = [_nik(people, people.worker(KENDAL)) for _ in range(3)]
    text = "NIP;NIK;Skema;Bulan mulai;Cara bayar\n" + "".join(
        f"198503122010011002;{nik};kendal_asn_peduli;{month};Transfer\n"
        for nik, month in zip(niks, ("2016-01", "2099-12", "9999-12")))
    plan = importer(text)
    assert plan.counts["rejected"] == 3
    messages = [e.message for e in plan.errors]
    assert "sebelum skema" in messages[0] and all("terlalu jauh" in m for m in messages[1:])
    assert not any("10000" in m for m in messages)


def test_the_forms_period_words_and_a_defaulted_required_field(people, importer):
    """Rule: "3 bulan di muka" (the form's words) is a payment period of 3; a required field
    with a default (GN Lingkaran's pledge) takes it when the column is missing, as the form."""
    donor = people.sponsor("perorangan", name="Bu Donatur", regency_code="33.24")
    assert donor
    nik = _nik(people, people.worker(KENDAL))
    plan = importer("NIK;Skema;Penyandang dana;Bulan mulai;Cara donasi;Periode bayar\n"
                    f"{nik};gn_lingkaran;Bu Donatur;2025-01;Langsung;3 bulan di muka\n")
    assert plan.counts["imported"] == 1, plan.errors
    row = next(iter(people.db.query("SELECT payment_period, fields FROM sponsorships")))
    assert row["payment_period"] == 3 and json.loads(row["fields"])["pledge"] == 25


def test_unknown_values_of_a_scheme_field_go_to_the_value_mapping_step(people, importer):
    """Rule: a scheme field's unknown choice is offered in the value mapping step, and the
    chosen meaning makes the row pass."""
    from payung.imports.engine import value_choices, value_column_label
    people.sponsor("asn", name="Ani", nip="198503122010011002", opd="Dinas Sosial")
    nik = _nik(people, people.worker(KENDAL))
    text = ("NIP;NIK;Skema;Bulan mulai;Cara bayar\n"
            f"198503122010011002;{nik};kendal_asn_peduli;2025-01;Lewat bendahara gaji\n")
    plan = importer(text, write=False)
    assert plan.counts["rejected"] == 1
    (key, typed), = plan.unknown.items()
    assert typed["Lewat bendahara gaji"]["count"] == 1
    choices = value_choices(people.app.plugins, key)
    assert "potong_gaji" in choices and "Cara bayar" in value_column_label(people.app.plugins, "sponsorships", key)
    data = text.encode()
    table = read_table(data, "k.csv")
    again = plan_import(people.db, people.app.plugins, kind="sponsorships", sheet=table,
                        mapping=auto_map(table.headers, "sponsorships"), actor=people.actor, file_name="k.csv",
                        data_hash=file_hash(data), values={key: {"Lewat bendahara gaji": "potong_gaji"}})
    assert again.counts["imported"] == 1, again.errors


@pytest.mark.sqlite_only("an older Payung's data upgraded: every PostgreSQL database was made by this version")
def test_rt_numbers_stored_as_text_before_are_numbers_after_the_upgrade(people, admin, importer):
    """Rule: a head of RT enrolled when RT was text ("002") still counts for "one head per RT"
    after the upgrade (migration m010 makes the stored text a number)."""
    from db import migrations
    apbd, pekon, second = _rt_head_enrolled(people, rw=1, rt=2)
    # As an older Payung stored it.
    people.db.execute("UPDATE sponsorships SET fields = json_set(fields, '$.rw', '001', '$.rt', '002')")
    migrations.m010_rt_numbers(people.db)
    assert json.loads(next(iter(people.db.query("SELECT fields FROM sponsorships")))["fields"])["rt"] == 2
    problems = people.refused("pringsewu_uc", apbd, second, months=12, fields={
        "budget_year": 2025, "category": "ketua_rt", "pekon": pekon, "rw": "1", "rt": "02"})
    assert "unique_among_live" in [p.rule for p in problems]
