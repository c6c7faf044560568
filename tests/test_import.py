"""Imports (``payung.imports``) from the messy spreadsheets regencies keep: exact counts and
messages, templates, and the Impor page keeping a file's own headings."""

from __future__ import annotations

from payung.auth.access import Actor

import datetime as dt
import io
import json
import subprocess
import sys

import openpyxl
import pytest

from payung.base.errors import ValidationError
from payung.base.months import current_month

from db import queries
from payung.base.spreadsheets import safe_cell
from payung.imports.plans import rejected_rows_xlsx
from payung.imports import ImportFileError, MappingError, apply_import, auto_map, read_table
from payung.imports.normalize import RegionResolver, nik_cell, parse_date, parse_rupiah_cell
from payung.imports.templates import save_template, template_named, templates

from conftest import ROOT, snapshot, write_config

HEADER = "No;NIK;Nama Lengkap;Tempat/Tgl Lahir;JK;Desa/Kel;Kec.;Pekerjaan;No HP/WA;Penghasilan\n"
MESSY = HEADER + (
    "1;'3324 0157 0875 0001;Siti Aminah;Kendal, 17-08-1975;P;Blumah;Plantungan;Petani;0812-3456-7890;1.000.000\n"
    "2;3324.0117.0875.0002;Budi Santoso;Kendal, 17/08/75;L;Kediten;Plantungan;Nelayan;+62 813 1111 2222;Rp 1 jt\n"
    "3;3324011708750003;Joko Susilo;Kendal, 17 Agustus 1975;L;Blumahh;Plantungan;tani;;1,5 juta\n"
    "4;3324011708750003;Joko Dobel;Kendal, 17 Agustus 1975;L;Blumah;Plantungan;tani;;1000000\n"
    "5;3.32401E+15;Angka Ilmiah;Kendal, 1975-08-17;L;Blumah;Plantungan;Petani;;1000000\n"
    "6;3324011708750006;Desa Salah;Kendal, 1975-08-17;L;Atlantis;Plantungan;Petani;;1000000\n"
    "7;3324011708750007;Kerja Aneh;Kendal, 1975-08-17;L;Blumah;Plantungan;Astronot;;1000000\n"
    "8;3324011708750008;Ahmad Kurniawan;Kendal, 1975-08-18;L;Blumah;Plantungan;Petani;;-5\n"
    "9;3324011708750009;Tanpa Kecamatan;Kendal, 1975-08-17;L;Sidorejo;;Petani;;1000000\n"
)


def test_headers_people_really_type_are_mapped():
    headers = ["No", "No. KTP", "Nama Lengkap", "Tgl Lahir", "Desa/Kel", "Kec.", "Pekerjaan", "No HP/WA",
               "Penghasilan", "Keterangan"]
    assert auto_map(headers, "workers") == {
        "nik": "No. KTP", "name": "Nama Lengkap", "birth_date": "Tgl Lahir", "village": "Desa/Kel",
        "district": "Kec.", "occupation": "Pekerjaan", "phone": "No HP/WA", "declared_income": "Penghasilan"}
    assert auto_map(["NIK", "Tempat/Tgl Lahir"], "workers") == {"nik": "NIK", "birth_place_date": "Tempat/Tgl Lahir"}


def _villages_named(db, name: str) -> str:
    """The villages of the configured regencies called ``name``, as an ambiguity message lists
    them (Kendal and Pemalang have a Sidorejo; another configured regency may have one too)."""
    from payung.imports.normalize import normalize_name
    found = sorted((r["code"], r["name"]) for r in db.query("SELECT code, name FROM regions WHERE level = 4")
                   if normalize_name(r["name"]) == normalize_name(name))
    assert len(found) > 1
    return ", ".join(f"{village} ({code})" for code, village in found[:5])


def test_messy_csv_counts_and_every_reason(importer):
    plan = importer(MESSY.encode("cp1252"))
    assert plan.counts == {"imported": 3, "updated": 0, "unchanged": 0, "rejected": 6}
    assert [(e.row, e.column, e.message) for e in plan.errors] == [
        (5, "NIK", "NIK sama dengan baris 4."),
        (6, "NIK", 'NIK "3.32401E+15" tertulis sebagai angka ilmiah (Excel); digit terakhirnya hilang. '
                   "Format kolom sebagai Teks lalu ketik ulang NIK."),
        (7, "Desa/Kel", 'Desa/kelurahan "Atlantis" tidak ditemukan di Kecamatan Plantungan.'),
        (8, "Pekerjaan", 'Pekerjaan "Astronot" tidak dikenal; gunakan nama dari daftar pekerjaan.'),
        # A negative amount is refused by the Rupiah reader itself (never read as a number).
        (9, "Penghasilan", '"-5": jumlah negatif tidak diterima; isi jumlah positif.'),
        (9, "NIK", "Tanggal lahir di NIK (17/08/1975) tidak sama dengan tanggal lahir yang diisi (18/08/1975). "
                   "Periksa NIK dan tanggal lahir; mungkin yang diketik nomor KK?"),
        (10, "Desa/Kel", f'Desa/kelurahan "Sidorejo" ambigu: {_villages_named(importer.db, "Sidorejo")}; '
                         "isi kolom kecamatan."),
    ]
    siti = queries.worker_by_nik(importer.db, "3324015708750001")
    assert (siti["birth_place"], siti["birth_date"], siti["gender"], siti["phone"], siti["declared_income"]) == (
        "Kendal", "1975-08-17", "P", "+6281234567890", 1_000_000)
    joko = queries.worker_by_nik(importer.db, "3324011708750003")
    assert (joko["village_code"], joko["occupation"], joko["declared_income"]) == ("33.24.01.2001", "petani", 1_500_000)
    budi = queries.worker_by_nik(importer.db, "3324011708750002")
    assert budi["birth_date"] == "1975-08-17" and budi["phone"] == "+6281311112222"


def test_utf8_comma_csv_is_read_too(importer):
    data = MESSY.replace(";", ",").replace("1,5 juta", "\"1,5 juta\"").replace("Kendal, ", "\"Kendal, ")
    data = "\n".join(line.replace(",P,", "\",P,").replace(",L,", "\",L,") if i else line
                     for i, line in enumerate(data.splitlines()))
    table = read_table(data.encode("utf-8"), "pekerja.csv")
    assert table.delimiter == "," and table.encoding == "utf-8-sig"
    assert importer(data.encode("utf-8")).counts["imported"] == 3


def test_importing_twice_equals_importing_once(importer):
    importer(MESSY.encode("cp1252"))
    once = snapshot(importer.db)
    again = importer(MESSY.encode("cp1252"))
    assert again.counts == {"imported": 0, "updated": 0, "unchanged": 3, "rejected": 6}
    after = snapshot(importer.db)
    assert after["workers"] == once["workers"]
    assert len(after["import_log"]) == 2 and after["import_log"][1]["file_hash"] == after["import_log"][0]["file_hash"]


def test_changed_row_updates_the_worker(importer):
    importer(MESSY.encode("cp1252"))
    plan = importer(MESSY.replace("Rp 1 jt", "Rp 2 jt").encode("cp1252"))
    assert plan.counts == {"imported": 0, "updated": 1, "unchanged": 2, "rejected": 6}
    assert queries.worker_by_nik(importer.db, "3324011708750002")["declared_income"] == 2_000_000


def test_failure_in_the_middle_of_writing_leaves_the_database_unchanged(importer, monkeypatch):
    importer(MESSY.encode("cp1252"))
    before = snapshot(importer.db)
    plan = importer(MESSY.replace("Rp 1 jt", "Rp 2 jt").replace("Siti Aminah", "Siti Aminah Lubis").encode("cp1252"),
                    write=False)
    from db import store
    real_update, calls = store.update, []

    def failing_update(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("listrik padam")
        return real_update(*args, **kwargs)

    monkeypatch.setattr(store, "update", failing_update)
    from payung.auth.access import Actor
    with pytest.raises(RuntimeError):
        apply_import(importer.db, None, plan, actor=Actor("admin", "admin"))
    assert len(calls) == 2
    assert snapshot(importer.db) == before


def test_dry_run_writes_nothing(importer):
    before = snapshot(importer.db)
    plan = importer(MESSY.encode("cp1252"), write=False)
    assert plan.counts["imported"] == 3 and snapshot(importer.db) == before


def _xlsx(rows_by_sheet: dict[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in rows_by_sheet.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_with_number_niks_serial_dates_and_a_chosen_sheet(importer):
    data = _xlsx({
        "Catatan": [["Daftar ini disusun oleh operator desa"]],
        "Data": [
            ["NIK", "Nama", "Tgl Lahir", "Jenis Kelamin", "Desa", "Kecamatan", "Pekerjaan", "Penghasilan"],
            [3324015708750001, "Siti Aminah", dt.datetime(1975, 8, 17), "Perempuan", "Blumah", "Plantungan", "Petani", 1000000],
            [3324011708750000, "Digit Hilang", dt.date(1975, 8, 17), "L", "Blumah", "Plantungan", "Petani", 1000000],
            ["3324011708750002", "Budi", 27623, "Laki-laki", "Blumah", "Plantungan", "Nelayan", "1 jt"],
            [None, None, None, None, None, None, None, None],
            ["3324011708750003", "Tgl Kata", "17 Agu 1975", "L", "Blumah", "Plantungan", "Petani", "Rp 1.000.000"],
        ],
    })
    assert read_table(data, "pekerja.xlsx").sheet_names == ["Catatan", "Data"]
    plan = importer(data, "pekerja.xlsx", sheet="Data")
    assert plan.counts == {"imported": 3, "updated": 0, "unchanged": 0, "rejected": 1}
    (error,) = plan.errors
    assert (error.row, error.column) == (3, "NIK")
    assert error.message.startswith("NIK 3324011708750000 tersimpan sebagai angka di Excel sehingga digit terakhirnya hilang.")
    assert queries.worker_by_nik(importer.db, "3324011708750002")["birth_date"] == "1975-08-17"


def test_rejected_rows_download_as_a_fixable_xlsx_without_formulas(importer):
    plan = importer((HEADER + "1;3324011708750008;=HYPERLINK(\"http://x\");Kendal, 1975-08-18;L;Blumah;Plantungan;"
                              "Petani;;1000000\n").encode(), write=False)
    book = openpyxl.load_workbook(io.BytesIO(rejected_rows_xlsx(plan)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "Baris" and rows[0][-1] == "Alasan penolakan"
    assert rows[1][0] == 2 and rows[1][3] == "'=HYPERLINK(\"http://x\")" and "tidak sama" in rows[1][-1]


@pytest.mark.parametrize("value, expected", [("=1+1", "'=1+1"), ("+62812", "'+62812"), ("-5", "'-5"),
                                             ("@SUM(A1)", "'@SUM(A1)"), ("Siti", "Siti"), (5, 5)])
def test_cells_that_excel_would_run_are_neutralised(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize("typed, expected", [
    ("17-08-1975", dt.date(1975, 8, 17)), ("17/08/75", dt.date(1975, 8, 17)), ("1975-08-17", dt.date(1975, 8, 17)),
    (27623, dt.date(1975, 8, 17)), ("17 Agustus 1975", dt.date(1975, 8, 17)), ("5 Nopember 1980", dt.date(1980, 11, 5)),
    ("17.08.1975", dt.date(1975, 8, 17)), ("01/02/05", dt.date(2005, 2, 1)),
])
def test_dates_in_every_common_shape(typed, expected):
    assert parse_date(typed, dt.date(2026, 11, 23)) == expected


@pytest.mark.parametrize("typed, expected", [("1.000.000", 1_000_000), ("Rp 1 jt", 1_000_000),
                                             ("1,5 juta", 1_500_000), (1000000.0, 1_000_000), ("Rp. 750.000,-", 750_000)])
def test_rupiah_in_every_common_shape(typed, expected):
    assert parse_rupiah_cell(typed) == expected


def test_nik_number_cell_is_kept_when_intact_and_refused_when_cut():
    assert nik_cell(3324015708750001.0) == "3324015708750001"
    with pytest.raises(ValueError, match="digit terakhirnya hilang"):
        nik_cell(3324015708750000.0)


def test_village_names_match_despite_spelling_and_report_ambiguity():
    resolver = RegionResolver({"33.24.01": "Plantungan", "33.24.02": "Sukorejo"},
                              {"33.24.01.2001": "Blumah", "33.24.01.2002": "Kediten", "33.24.02.2001": "Kediten"})
    assert resolver.village("Ds. Blumahh", "Kec. Plantungan") == "33.24.01.2001"
    assert resolver.village("KEDITEN", "plantungan") == "33.24.01.2002"
    with pytest.raises(ValueError, match="ambigu"):
        resolver.village("Kediten")
    assert resolver.village("3324012001") == "33.24.01.2001"


def test_a_village_not_found_says_what_was_likely_mixed_up():
    """A village in another kecamatan than the file says, or a kecamatan typed as the village:
    the message says which, not only "not found"."""
    resolver = RegionResolver({"33.24.01": "Plantungan", "33.24.02": "Sukorejo"},
                              {"33.24.01.2001": "Blumah", "33.24.02.2003": "Tamanrejo"})
    with pytest.raises(ValueError) as wrong_district:
        resolver.village("Tamanrejo", "Plantungan")
    assert str(wrong_district.value) == ('desa/kelurahan "Tamanrejo" tidak ditemukan di Kecamatan Plantungan; '
                                         "desa/kelurahan dengan nama itu ada di Kecamatan Sukorejo: periksa kolom "
                                         "kecamatan")
    with pytest.raises(ValueError, match="itu nama kecamatan: isi nama desa/kelurahan di kolom desa"):
        resolver.village("Sukorejo", "Sukorejo")
    with pytest.raises(ValueError, match="itu nama kecamatan"):
        resolver.village("Kec. Sukorejo")
    with pytest.raises(ValueError, match="mirip nama Kecamatan Sukorejo: isi nama desa"):
        resolver.village("Sukorjo")  # a close spelling: not said to be that kecamatan
    with pytest.raises(ValueError) as nowhere:
        resolver.village("Atlantis", "Plantungan")
    assert str(nowhere.value) == 'desa/kelurahan "Atlantis" tidak ditemukan di Kecamatan Plantungan'


def test_a_misspelt_village_is_refused_with_the_closest_names_of_its_kecamatan():
    """ "Kwasan" where Kecamatan Bodeh has "Kwasen": the refusal asks "maksudnya Kwasen?" (the
    closest names among the kecamatan's villages; without a kecamatan, among every village
    served, each with its kecamatan), and nothing is suggested for a name like none."""
    resolver = RegionResolver({"33.27.05": "Bodeh", "33.27.06": "Ampelgading"},
                              {"33.27.05.2005": "Kwasen", "33.27.05.2016": "Bodeh", "33.27.05.2011": "Kebandungan",
                               "33.27.06.2001": "Kwasin"})
    with pytest.raises(ValueError) as in_district:
        resolver.village("Kwasan", "Bodeh")
    assert str(in_district.value) == 'desa/kelurahan "Kwasan" tidak ditemukan di Kecamatan Bodeh; maksudnya Kwasen?'
    with pytest.raises(ValueError) as anywhere:
        resolver.village("Kwasan")
    assert str(anywhere.value) == ('desa/kelurahan "Kwasan" tidak ditemukan; maksudnya Kwasen (Kecamatan Bodeh) '
                                   "atau Kwasin (Kecamatan Ampelgading)?")
    with pytest.raises(ValueError) as nothing_like:
        resolver.village("Atlantis", "Bodeh")
    assert str(nothing_like.value) == 'desa/kelurahan "Atlantis" tidak ditemukan di Kecamatan Bodeh'


def test_a_village_operator_is_suggested_only_its_own_villages(db):
    """A suggestion of another village leads to a row refused as outside the operator's villages:
    it names the operator's own villages only, in the kecamatan searched."""
    from payung.imports.plans import region_resolver
    resolver = RegionResolver({"33.27.05": "Bodeh"}, {"33.27.05.2005": "Kwasen", "33.27.05.2011": "Kebandungan"},
                              suggested=frozenset({"33.27.05.2011"}))
    for typed, said in (("Kwasan", ""), ("Kebundangan", "; maksudnya Kebandungan?")):
        with pytest.raises(ValueError) as refused:
            resolver.village(typed, "Bodeh")
        assert str(refused.value) == f'desa/kelurahan "{typed}" tidak ditemukan di Kecamatan Bodeh{said}'
    with pytest.raises(ValueError) as anywhere:
        resolver.within("33.27").village("Kebundangan")
    assert str(anywhere.value).endswith("maksudnya Kebandungan (Kecamatan Bodeh)?")
    desa = Actor("desa", "desa", villages=("33.24.01.2001",), regency_code="33.24")
    assert region_resolver(db, desa).suggested == {"33.24.01.2001"}
    assert region_resolver(db, Actor("admin", "admin")).suggested is None


def test_a_village_read_as_a_close_spelling_is_said_not_only_its_own_name():
    """"Tlogopayang" is taken for Tlogopayung (close enough to be sure of): the row is imported,
    and the import says which name it was read as. Its own name in any case, with a prefix or
    another spacing, or its code, is no close spelling."""
    resolver = RegionResolver({"33.24.01": "Plantungan"}, {"33.24.01.2001": "Tlogopayung", "33.24.01.2002": "Blumah"})
    assert resolver.village("Tlogopayang", "Plantungan") == "33.24.01.2001"
    assert resolver.read_as("Tlogopayang", "33.24.01.2001") == "Tlogopayung (Kecamatan Plantungan)"
    for own in ("Tlogopayung", "TLOGOPAYUNG", "Desa Tlogopayung", "Tlogo payung", "Tlogopayúng", "3324012001"):
        assert resolver.read_as(own, "33.24.01.2001") is None, own


def test_an_import_says_which_villages_it_read_as_close_spellings(importer):
    """On the page before Impor, in the command line's summary and its JSON: the rows are
    imported, each distinct name said once with its count."""
    rows = "".join(f"{i};33240157087500{i:02d};Pekerja {i};Kendal, 17-08-1975;P;{village};Plantungan;Petani;;1000000\n"
                   for i, village in enumerate(["Blumahh", "Blumah", "Blumahh"], 1))
    plan = importer((HEADER + rows).encode())
    assert plan.counts["imported"] == 3 and plan.read_as == {"Blumahh": {"name": "Blumah (Kecamatan Plantungan)",
                                                                         "count": 2}}
    assert plan.summary()["read_as"] == {"Blumahh": "Blumah (Kecamatan Plantungan)"}


def test_the_impor_page_says_a_village_read_as_a_close_spelling_before_the_import(site):
    from test_pages import run
    data = (HEADER + "1;3324015708750001;Ani Uji;Kendal, 17-08-1975;P;Blumahh;Plantungan;Petani;;1000000\n").encode()
    at = run("admin", "pages/impor.py")
    at.file_uploader(key="i_file").set_value(("pekerja.csv", data, "text/csv")).run()
    next(b for b in at.button if b.label == "Periksa").click().run()
    said = [w.value for w in at.warning if "dibaca sebagai nama yang mirip" in w.value]
    assert said and '"Blumahh" dibaca Blumah (Kecamatan Plantungan) (1 baris)' in said[0], [w.value for w in at.warning]


def test_suggestions_stop_after_so_many_names_not_found(monkeypatch):
    """A Desa column of addresses has a new wrong name on every row, each compared with every
    village served: past ``SUGGESTIONS_MAX`` distinct names, the refusal says no more than
    "tidak ditemukan"."""
    from payung.imports import normalize
    monkeypatch.setattr(normalize, "SUGGESTIONS_MAX", 2)
    resolver = RegionResolver({"33.27.05": "Bodeh"}, {"33.27.05.2005": "Kwasen"})
    said = []
    for typed in ("Kwasan", "Kwasin", "Kwasun", "Kwasan"):
        with pytest.raises(ValueError) as refused:
            resolver.village(typed, "Bodeh")
        said.append(str(refused.value).endswith("maksudnya Kwasen?"))
    assert said == [True, True, False, True]  # the first name's refusal is kept, with its suggestion


def test_an_import_row_with_a_misspelt_village_gets_the_suggestion_computed_once(importer, monkeypatch):
    """On the Impor page and ``python -m payung import`` alike: the row is refused with "maksudnya
    Kwasen?" as one sentence; the suggestion is looked for once per distinct wrong name (the
    refusal is cached), never for a village that was found."""
    from payung.imports.normalize import Matcher
    calls = []
    real = Matcher.closest
    monkeypatch.setattr(Matcher, "closest", lambda self, typed, *a, **k: calls.append(typed) or real(self, typed, *a, **k))
    rows = "".join(f"{i};33270517087500{i:02d};Pekerja {i};Pemalang, 17-08-1975;L;"
                   f"{'Kwasan' if i % 10 == 0 else 'Kwasen'};Bodeh;Petani;;1000000\n" for i in range(1, 41))
    plan = importer((HEADER + rows).encode())
    assert plan.counts == {"imported": 36, "updated": 0, "unchanged": 0, "rejected": 4}
    assert {(e.column, e.message) for e in plan.errors} == {
        ("Desa/Kel", 'Desa/kelurahan "Kwasan" tidak ditemukan di Kecamatan Bodeh; maksudnya Kwasen?')}
    assert calls == ["Kwasan"]


@pytest.mark.parametrize("typed, said", [
    ("31-02-1980", "bukan tanggal yang ada: Februari 1980 tidak punya tanggal 31"),
    ("29 Februari 2001", "bukan tanggal yang ada: Februari 2001 tidak punya tanggal 29"),
    ("08-17-1975", "bukan tanggal yang ada: bulan 17 tidak ada; tanggal ditulis lebih dulu, lalu bulan (17-08-1975)"),
    ("1975-13-01", "bukan tanggal yang ada: bulan 13 tidak ada"),
    ("17-agt-x", "bukan tanggal yang dikenali (contoh 17-08-1975 atau 17 Agustus 1975)"),
])
def test_an_impossible_date_is_told_apart_from_an_unreadable_one(typed, said):
    with pytest.raises(ValueError) as refused:
        parse_date(typed, dt.date(2026, 1, 1))
    assert str(refused.value) == f'"{typed}" {said}'


def test_missing_required_column_imports_nothing(importer):
    table = read_table(b"Nama;Desa\nSiti;Blumah\n", "x.csv")
    with pytest.raises(MappingError, match="Kolom wajib belum dipetakan: NIK"):
        importer(b"Nama;Desa\nSiti;Blumah\n", "x.csv", mapping=auto_map(table.headers, "workers"))


def test_unreadable_files_are_refused_clearly():
    with pytest.raises(ImportFileError, match="simpan sebagai .xlsx"):
        read_table(b"\xd0\xcf\x11\xe0", "lama.xls")
    with pytest.raises(ImportFileError, match="tidak dapat dibaca"):
        read_table(b"bukan zip", "rusak.xlsx")
    with pytest.raises(ImportFileError, match="kosong"):
        read_table(b"\n\n", "kosong.csv")


def test_column_map_saved_as_a_template(importer, admin):
    mapping = {"nik": "No KTP", "name": "Nama", "village": "Desa"}
    save_template(importer.db, kind="workers", name="Format Dinsos", mapping=mapping, actor=admin)
    save_template(importer.db, kind="workers", name="Format Dinsos", mapping=mapping | {"district": "Kec"},
                  actor=admin)
    assert templates(importer.db, "workers", actor=admin)["Format Dinsos"].columns == mapping | {"district": "Kec"}
    assert templates(importer.db, "workers", actor=Actor.system())["Format Dinsos · admin"].columns == mapping | {
        "district": "Kec"}


def test_a_template_is_named_by_its_bare_name_unless_two_accounts_share_it(importer, admin):
    """The command line's ``--template Format`` finds another account's "Format · admin" when it
    is the only one of that name, and names the choices when there are two."""
    other = Actor("budi", "admin")
    save_template(importer.db, kind="workers", name="Format", mapping={"nik": "NIK"}, actor=admin)
    cli = Actor("cli", "admin")
    assert template_named(importer.db, "workers", "Format", actor=cli).columns == {"nik": "NIK"}
    assert template_named(importer.db, "workers", "Format", actor=admin).columns == {"nik": "NIK"}
    save_template(importer.db, kind="workers", name="Format", mapping={"nik": "KTP"}, actor=other)
    with pytest.raises(ValidationError, match='Ada 2 templat bernama "Format"; sebutkan salah satunya: '
                                              '"Format · admin", "Format · budi"'):
        template_named(importer.db, "workers", "Format", actor=cli)
    assert template_named(importer.db, "workers", "Format · budi", actor=cli).columns == {"nik": "KTP"}
    assert template_named(importer.db, "workers", "Format", actor=other).columns == {"nik": "KTP"}  # one's own
    with pytest.raises(ValidationError, match='Templat "Lain" tidak ada.'):
        template_named(importer.db, "workers", "Lain", actor=cli)


def test_asn_list_of_an_opd_with_nip(importer):
    data = ("NIP;Nama;OPD;No HP\n"
            "198503122010011002;Budi Santoso;Dinas Sosial;08123456789\n"
            "1985 0312 2010 01 1 002;Budi Lagi;Dinas Sosial;\n"
            "198513122010011003;Salah Tanggal;Dinas Sosial;\n"
            ";Tanpa NIP;Bappeda;\n").encode()
    plan = importer(data, "asn.csv", "sponsors")
    assert plan.counts == {"imported": 1, "updated": 0, "unchanged": 0, "rejected": 3}
    assert [(e.row, e.message) for e in plan.errors] == [
        (3, "Sama dengan baris 2."), (4, "Tanggal lahir di NIP (digit 1-8, YYYYMMDD) tidak valid."),
        (5, "ASN wajib mengisi NIP (PNS) atau nomor pegawai (non-PNS).")]
    assert queries.sponsor_by_nip(importer.db, "198503122010011002")["type"] == "asn"
    assert importer(data, "asn.csv", "sponsors").counts == {"imported": 0, "updated": 0, "unchanged": 1, "rejected": 3}


def test_payments_are_allocated_and_not_recorded_twice(importer, people):
    asn = people.sponsor("asn", nip="198503122010011002", opd="Dinas Sosial")
    sponsorship = people.enrol("kendal_asn_peduli", asn, people.worker("33.24.01.2001"),
                               fields={"payment_method": "transfer"}, start=current_month())
    data = ("NIP;Skema;Tanggal Bayar;Jumlah;No Bukti\n"
            "198503122010011002;kendal_asn_peduli;10/02/2025;33.600;TRF-1\n"
            "198503122010011002;Gerakan ASN Peduli Pekerja Rentan;10/03/2025;Rp 1 jt;TRF-2\n"
            "199901012020011001;kendal_asn_peduli;10/03/2025;16800;TRF-3\n"
            "Dinas Sosial;kendal_asn_peduli;11/03/2025;16800;TRF-4\n"
            "Dinas Kesehatan;kendal_asn_peduli;11/03/2025;16800;TRF-5\n").encode()
    plan = importer(data, "bayar.csv", "payments")
    assert plan.counts == {"imported": 2, "updated": 0, "unchanged": 0, "rejected": 3}
    assert [(e.row, e.message) for e in plan.errors] == [
        (3, "Pembayaran melebihi tagihan Dinas Sosial yang belum dibayar (Rp168.000)."),
        (4, "Penyandang dana dengan NIP 199901012020011001 tidak ditemukan."),
        (6, 'Tidak ada tagihan skema Gerakan ASN Peduli Pekerja Rentan untuk OPD "Dinas Kesehatan".')]
    paid = [l["paid_amount"] for l in queries.lines_of(importer.db, sponsorship)]
    assert paid == [16_800] * 3 + [0] * 9  # Kendal bills the OPD: by NIP or by the OPD's name
    assert importer(data, "bayar.csv", "payments").counts["unchanged"] == 2


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "payung", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_cli_json_summary_and_exit_status(tmp_path):
    csv = tmp_path / "pekerja.csv"
    csv.write_bytes(MESSY.encode("cp1252"))
    db = str(tmp_path / "cli.db")
    config = str(write_config(tmp_path))
    dry = _cli("import", "workers", str(csv), "--db", db, "--config", config, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    summary = json.loads(dry.stdout)
    assert (summary["imported"], summary["updated"], summary["unchanged"], summary["rejected"]) == (3, 0, 0, 6)
    assert summary["errors"][0] == {"row": 5, "column": "NIK", "message": "NIK sama dengan baris 4."}
    done = _cli("import", "workers", str(csv), "--db", db, "--config", config, "--json",
                "--rejected", str(tmp_path / "ditolak.xlsx"))
    assert done.returncode == 0 and json.loads(done.stdout)["imported"] == 3
    assert (tmp_path / "ditolak.xlsx").exists()
    assert _cli("import", "hewan", str(csv), "--db", db, "--config", config).returncode != 0
    broken = tmp_path / "rusak.xlsx"
    broken.write_bytes(b"bukan excel")
    refused = _cli("import", "workers", str(broken), "--db", db, "--config", config)
    assert refused.returncode != 0 and "tidak dapat dibaca" in refused.stderr


def test_names_imported_in_lower_or_upper_case_are_written_in_title_case(importer):
    data = HEADER + ("1;3324015708750001;siti aminah;Kendal, 17-08-1975;P;Blumah;Plantungan;Petani;;1000000\n"
                     "2;3324011708750002;BUDI SANTOSO BIN AHMAD;Kendal, 17/08/75;L;Kediten;Plantungan;Nelayan;;1000000\n"
                     "3;3324011708750003;La Ode Nur'aini;Kendal, 17/08/75;L;Kediten;Plantungan;Nelayan;;1000000\n")
    plan = importer(data.encode())
    assert plan.counts["imported"] == 3
    assert [queries.worker_by_nik(importer.db, nik)["name"] for nik in
            ("3324015708750001", "3324011708750002", "3324011708750003")] == [
        "Siti Aminah", "Budi Santoso bin Ahmad", "La Ode Nur'aini"]
    assert importer(data.encode()).counts["unchanged"] == 3  # importing again changes nothing


# A stale plan (issue #21, finding 6) ------------------------------------------------------------

def _plan(db, app, data: str, kind: str, actor):
    from payung.imports import file_hash, plan_import
    table = read_table(data.encode(), "berkas.csv", in_process=True)
    return plan_import(db, app.plugins, kind=kind, sheet=table, mapping=auto_map(table.headers, kind), actor=actor,
                       file_name="berkas.csv", data_hash=file_hash(data.encode()))


def test_a_workers_plan_checked_in_the_village_is_refused_once_the_worker_moved_away(app, db, admin, worker_id):
    """A village operator checks a file while worker W lives in its village; the regency
    operator moves W to another village; the old plan must not change W's name and phone."""
    from payung.base.errors import PayungError
    from payung.people.workers import update_worker
    from conftest import NIK, OTHER_VILLAGE, VILLAGE
    desa = Actor("desa", "desa", villages=(VILLAGE,))
    data = (f"NIK;Nama;Tanggal Lahir;JK;Desa;Pekerjaan;No HP\n"
            f"{NIK};Siti Diubah;17-08-1975;P;{VILLAGE.replace('.', '')};Petani;0813-0000-1111\n")
    plan = _plan(db, app, data, "workers", desa)
    assert plan.counts["updated"] == 1, plan.summary()
    update_worker(db, app.settings, worker_id, {"village_code": OTHER_VILLAGE}, actor=admin)
    before = snapshot(db)
    with pytest.raises(PayungError) as refused:
        apply_import(db, app.plugins, plan, actor=desa)
    assert "Data berubah sejak berkas diperiksa" in str(refused.value) and "di luar wilayah tugas Anda" in str(
        refused.value), str(refused.value)
    assert snapshot(db) == before
    from db.scope import EVERYTHING
    assert queries.worker(db, worker_id, EVERYTHING)["name"] == "Siti Aminah"


def test_a_workers_plan_whose_new_nik_was_registered_meanwhile_is_refused(app, db, admin):
    from payung.base.errors import PayungError
    from payung.people.workers import create_worker
    from conftest import VILLAGE, worker_values
    data = f"NIK;Nama;Tanggal Lahir;JK;Desa;Pekerjaan\n3324015708750001;Siti Aminah;17-08-1975;P;" \
           f"{VILLAGE.replace('.', '')};Petani\n"
    plan = _plan(db, app, data, "workers", admin)
    assert plan.counts["imported"] == 1
    create_worker(db, app.settings, worker_values(), actor=admin)
    before = snapshot(db)
    with pytest.raises(PayungError) as refused:
        apply_import(db, app.plugins, plan, actor=admin)
    assert "sudah terdaftar" in str(refused.value)
    assert snapshot(db) == before


def test_a_sponsors_plan_is_refused_once_the_sponsor_left_the_village(app, db, admin):
    from payung.base.errors import PayungError
    from payung.people.sponsors import create_sponsor, update_sponsor
    from conftest import OTHER_VILLAGE, VILLAGE
    desa = Actor("desa", "desa", villages=(VILLAGE,))
    sponsor = create_sponsor(db, app.settings, {"type": "pemerintah_desa", "name": "Pemdes Uji",
                                                "village_code": VILLAGE}, actor=admin)
    data = f"Jenis;Nama;Desa;No HP\nPemerintah desa;Pemdes Uji;{VILLAGE.replace('.', '')};0813-0000-2222\n"
    plan = _plan(db, app, data, "sponsors", desa)
    assert plan.counts["updated"] == 1, plan.summary()
    update_sponsor(db, app.settings, sponsor, {"village_code": OTHER_VILLAGE}, actor=admin)
    before = snapshot(db)
    with pytest.raises(PayungError) as refused:
        apply_import(db, app.plugins, plan, actor=desa)
    assert "di luar wilayah tugas Anda" in str(refused.value)
    assert snapshot(db) == before


def test_import_keeps_the_files_own_headings_and_shows_every_reason_whole(site, monkeypatch):
    """A heading "Desa/Kel." must read "Desa/Kel." in the column mapping, the rejected rows and
    their XLSX (a user looks for the column they typed); long reasons ended mid-word ("...Format
    kolom seba"): the rows are as tall as the longest reason needs, on a phone too."""
    from test_pages import run
    headers = ["No.", "NIK", "Nama Lengkap", "Tgl. Lahir", "JK", "Desa/Kel.", "Kec.", "Pekerjaan", "No. HP/WA"]
    data = (";".join(headers) + "\n"
            "1;3,32401E+15;Ani Uji;17/08/1975;L;Blumah;Plantungan;Petani;0812\n"
            "2;3324011708759002;Budi Uji;17/08/1975;L;Atlantis;Plantungan;Petani;0812\n").encode()
    import streamlit as st
    drawn, dataframe = [], st.dataframe  # the tables' heights: AppTest keeps no element's height
    monkeypatch.setattr(st, "dataframe", lambda *args, **kwargs: drawn.append(kwargs) or dataframe(*args, **kwargs))
    at = run("admin", "pages/impor.py")
    at.file_uploader(key="i_file").set_value(("pekerja desa.csv", data, "text/csv")).run()
    assert at.selectbox(key="i_map_workers_None_village").value == "Desa/Kel."
    assert at.selectbox(key="i_map_workers_None_district").value == "Kec."
    assert "Desa/Kel." in at.selectbox(key="i_map_workers_None_village").options
    next(b for b in at.button if b.label == "Periksa").click().run()
    rejected = at.dataframe[0].value
    assert {"Desa/Kel.", "NIK"} <= set(rejected["Kolom"])
    plan = at.session_state["_i_plan"][1]
    sheet = openpyxl.load_workbook(io.BytesIO(rejected_rows_xlsx(plan))).active
    assert [c.value for c in sheet[1]] == ["Baris", *headers, "Alasan penolakan"]
    assert any(str(c.value).startswith("Desa/Kel.: ") for c in sheet["K"][1:])
    longest = max(len(m) for m in rejected["Alasan"])
    wide, phone = at.dataframe[0].proto, at.dataframe[1].proto
    assert longest > 95 and wide.row_height >= 2 * 20 and phone.row_height >= 4 * 20
    # Tall enough for both rows whole: a phone's default height hid the last of four rows.
    wide_args, phone_args = [k for k in drawn if k.get("key", "").startswith("i_rejected")][-2:]
    assert wide_args["height"] >= 38 + 2 * wide.row_height and phone_args["height"] >= 38 + 2 * phone.row_height
    assert json.loads(wide.columns)["Alasan"]["width"] >= 600 and json.loads(phone.columns)["Alasan"]["width"] <= 260


def test_a_sex_that_disagrees_with_the_nik_is_listed_under_the_jk_column(importer):
    """A row whose JK disagrees with its NIK was listed under "Kolom: NIK": the person edited the
    NIK. It is the JK cell's problem (a mistyped NIK's day disagrees with the birth date too,
    which stays under NIK)."""
    data = HEADER + (
        "1;3324015708750001;Siti Aminah;Kendal, 17-08-1975;L;Blumah;Plantungan;Petani;;1000000\n"
        "2;3324015708750002;Sri Rahayu;Kendal, 18-08-1975;L;Blumah;Plantungan;Petani;;1000000\n")
    plan = importer(data.encode(), write=False)
    assert plan.counts["rejected"] == 2
    assert [(e.row, e.column, e.message) for e in plan.errors] == [
        (2, "JK", "Jenis kelamin menurut NIK (perempuan) tidak sama dengan yang diisi (laki-laki). "
                  "Periksa jenis kelamin dan NIK."),
        (3, "NIK", "Tanggal lahir di NIK (17/08/1975) tidak sama dengan tanggal lahir yang diisi (18/08/1975). "
                   "Periksa NIK dan tanggal lahir; mungkin yang diketik nomor KK?"),
        (3, "JK", "Jenis kelamin menurut NIK (perempuan) tidak sama dengan yang diisi (laki-laki). "
                  "Periksa jenis kelamin dan NIK."),
    ]
