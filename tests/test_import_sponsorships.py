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
from payung.access import Actor
from payung.budgets import create_budget_line
from payung.exports import rejected_rows_xlsx
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
    assert errors[4] == ("NIP", "Penyandang dana dengan NIP 198503122010011009 tidak ditemukan; impor daftar ASN-nya "
                                "dulu (Impor data, Penyandang dana).")
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
                           "--db", str(people.app.settings.database), "--json"], cwd=ROOT, capture_output=True,
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
