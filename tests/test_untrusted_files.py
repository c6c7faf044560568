"""No file can take the server down: each file of the hostile corpus (tests/hostile.py) gets a
clear Indonesian message, writes nothing when refused, and its reader stays under 1 GB, through
the core, the CLI (a subprocess) and the Impor data page (AppTest)."""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import textwrap

import pytest

import hostile
from conftest import ROOT, snapshot, write_config
from payung.base.config import Limits
from payung.imports import ImportFileError, apply_import, auto_map, file_hash, plan_import, read_table
from payung.imports import reading

GB = 1024  # MB

REFUSED = {
    # builder -> words the message must contain
    "far_corner": (hostile.far_corner_xlsx, "1.048.576 baris x 16.384 kolom"),
    "far_corner_row_1000": (lambda: hostile.far_corner_xlsx(1000), "1.000 baris x 16.384 kolom"),
    "far_corner_lying_dimension": (lambda: hostile.far_corner_xlsx(honest=False), "memuat sel sampai 1.048.576 baris"),
    "wide": (hostile.wide_xlsx, "16.384 kolom"),
    "wide_row_without_references": (hostile.wide_row_without_references_xlsx, "x 16.384 kolom"),
    "zip_bomb": (hostile.zip_bomb_xlsx, "zip bomb"),
    "nul": (hostile.nul_csv, "byte NUL"),
    "pdf": (hostile.pdf_as_csv, "dokumen PDF"),
    "jpeg": (hostile.jpeg_as_csv, "gambar JPEG"),
    "xlsx_renamed": (hostile.xlsx_as_csv, "arsip ZIP (misalnya berkas Excel .xlsx"),
    "junk_xlsx": (hostile.junk_xlsx, "berkas Excel rusak atau bukan berkas Excel"),
}
#: Words of the readers' own (English) errors, which a message must not pass on.
READERS_ENGLISH = re.compile(r"\b(cannot|detect|found|index|error|invalid|expected|shared strings)\b", re.I)


@pytest.fixture(scope="module")
def corpus():
    return {key: (builder(), words) for key, (builder, words) in REFUSED.items()}


def data_snapshot(db) -> dict:
    """Every row of every table but SQLite's own statistics (which opening the app refreshes) and
    the login sessions (a page run records when its session was last seen)."""
    return {t: rows for t, rows in snapshot(db).items() if not t.startswith("sqlite_") and t != "sessions"}


def _children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


@pytest.mark.parametrize("key", list(REFUSED))
def test_hostile_file_is_refused_with_a_clear_message(corpus, key):
    (name, data), words = corpus[key]
    with pytest.raises(ImportFileError) as refused:
        read_table(data, name)
    message = str(refused.value)
    assert message.startswith("Berkas tidak dapat dibaca: ") and words in message, message
    assert not READERS_ENGLISH.search(message), message
    assert _children_peak_mb() < GB


def test_far_corner_xlsx_is_refused_before_calamine_sizes_its_buffers(monkeypatch):
    """The size check runs first: were it removed, calamine would be asked for the corner."""
    import python_calamine
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike",
                        lambda *a: pytest.fail("calamine was given the far-corner file"))
    name, data = hostile.far_corner_xlsx()
    with pytest.raises(ImportFileError, match="16.384 kolom"):
        read_table(data, name, in_process=True)


def test_sheet_limits_come_from_config():
    name, data = hostile.far_corner_xlsx(row=50, column="J")
    with pytest.raises(ImportFileError, match="50 baris x 10 kolom"):
        read_table(data, name, limits=Limits(max_columns=5))
    assert read_table(data, name, limits=Limits(max_columns=10)).headers[-1] == "x"


def test_upload_size_is_checked_again_in_the_core():
    with pytest.raises(ImportFileError, match="lebih dari batas 1 MB"):
        read_table(b"NIK\n" + b"1\n" * (1 << 20), "besar.csv", limits=Limits(max_upload_mb=1))


def test_200kb_cell_is_a_row_error_and_the_other_rows_import(schemes_app, people, admin):
    name, data = hostile.long_cell_csv()
    sheet = read_table(data, name)
    plan = plan_import(people.db, schemes_app.plugins, kind="workers", sheet=sheet,
                       mapping=auto_map(sheet.headers, "workers"), actor=admin, file_name=name,
                       data_hash=file_hash(data))
    assert plan.counts["imported"] == 2 and list(plan.rejected) == [3]
    assert "lebih panjang dari 10.000 karakter" in plan.rejected[3][0].message
    apply_import(people.db, schemes_app.plugins, plan, actor=admin)


def test_cell_bound_is_configurable():
    name, data = hostile.long_cell_csv(chars=600)
    assert not read_table(data, name).row_errors
    assert read_table(data, name, limits=Limits(max_cell_chars=500)).row_errors


@pytest.mark.parametrize("order,bom", [("le", True), ("be", True), ("le", False), ("be", False)])
def test_utf16_csv_is_read(order, bom):
    name, data = hostile.utf16_csv(order, bom)
    sheet = read_table(data, name)
    assert sheet.headers[:2] == ["NIK", "Nama"] and sheet.rows[0][1] == "Siti Aminah"


def test_utf8_bom_and_windows_1252_csv_are_read():
    text = hostile.HEADER + hostile.GOOD_ROW.replace("Siti Aminah", "Siti Ma’ruf Café")
    assert read_table(b"\xef\xbb\xbf" + text.encode("utf-8"), "a.csv").rows[0][1] == "Siti Ma’ruf Café"
    cp = read_table(text.encode("cp1252"), "a.csv")
    assert cp.rows[0][1] == "Siti Ma’ruf Café" and cp.encoding == "cp1252"


def test_a_reader_that_aborts_becomes_a_message_and_the_caller_lives(tmp_path, monkeypatch):
    """What calamine does when an allocation fails: abort the process. Only the child dies."""
    script = tmp_path / "abort.py"
    script.write_text("import os, sys\nsys.stdin.buffer.read()\nos.abort()\n")
    monkeypatch.setattr(reading, "SANDBOX", script)
    with pytest.raises(ImportFileError, match="Berkas tidak dapat dibaca: membacanya butuh memori lebih dari"):
        read_table(b"NIK\n1\n", "a.csv")


def test_a_reader_that_hangs_is_stopped(tmp_path, monkeypatch):
    script = tmp_path / "hang.py"
    script.write_text("import time, sys\nsys.stdin.buffer.read()\ntime.sleep(60)\n")
    monkeypatch.setattr(reading, "SANDBOX", script)
    monkeypatch.setattr(reading, "_GRACE_SECONDS", 0)
    with pytest.raises(ImportFileError, match="lebih lama dari 1 detik"):
        read_table(b"NIK\n1\n", "a.csv", limits=Limits(reader_seconds=1))


def test_memory_limit_holds_in_the_child():
    """A file needing more than the child's memory becomes a message, not a dead server."""
    data = hostile.HEADER.encode() + (b"x;" * 40 + b"\n") * 400_000
    with pytest.raises(ImportFileError, match="memori lebih dari 120 MB"):
        read_table(data, "besar.csv", limits=Limits(reader_memory_mb=120))


def test_reader_runs_in_a_child_process(monkeypatch):
    """The parsing never happens in the caller's process (the Streamlit server)."""
    from payung.imports import sandbox
    monkeypatch.setattr(sandbox, "parse", lambda request: pytest.fail("parsed in the caller's process"))
    assert read_table(hostile.HEADER.encode() + hostile.GOOD_ROW.encode(), "a.csv").rows


# Through the CLI --------------------------------------------------------------------------

def _cli(tmp_path, path, *extra):
    db = tmp_path / "cli.db"
    config = write_config(tmp_path)
    # Runs the CLI and reports its own and its children's peak memory at exit.
    code = textwrap.dedent("""
        import atexit, resource, runpy, sys
        def peak():
            sys.stderr.write("PEAK_MB %d %d\\n" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                                                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024))
        atexit.register(peak)
        sys.argv = ["payung", *sys.argv[1:]]
        runpy.run_module("payung", run_name="__main__", alter_sys=True)
    """)
    done = subprocess.run([sys.executable, "-c", code, "import", "workers", str(path), "--db", str(db), "--config",
                           str(config), *extra], cwd=ROOT, capture_output=True, text=True, timeout=300)
    own, children = (int(x) for x in done.stderr.rsplit("PEAK_MB ", 1)[1].split())
    return done, own, children, db


def _worker_count(db) -> int:
    import sqlite3
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM workers").fetchone()[0]


@pytest.mark.parametrize("key", list(REFUSED))
def test_cli_refuses_each_hostile_file_and_writes_nothing(tmp_path, corpus, key):
    (name, data), words = corpus[key]
    path = tmp_path / name
    path.write_bytes(data)
    done, own, children, db = _cli(tmp_path, path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "Galat: Berkas tidak dapat dibaca: " in done.stderr and words in done.stderr
    assert own < GB and children < GB
    assert not db.exists() or _worker_count(db) == 0


def test_cli_imports_around_a_100mb_line(tmp_path):
    name, data = hostile.long_line_csv()
    path = tmp_path / name
    path.write_bytes(data + hostile.GOOD_ROW.encode())
    del data
    done, own, children, db = _cli(tmp_path, path, "--json")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    summary = json.loads(done.stdout)
    assert summary["imported"] == 1 and summary["rejected"] == 1
    assert "lebih panjang dari 10.000 karakter" in summary["errors"][0]["message"]
    assert own < GB and children < GB
    path.unlink()


def test_cli_reads_utf16_csv(tmp_path):
    name, data = hostile.utf16_csv()
    path = tmp_path / name
    path.write_bytes(data)
    done, *_ = _cli(tmp_path, path, "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["imported"] == 1, done.stderr


# Through the Impor data page ----------------------------------------------------------------

@pytest.mark.parametrize("key", list(REFUSED))
def test_impor_page_shows_the_message_and_writes_nothing(site, corpus, key):
    from test_pages import open_db, run
    (name, data), words = corpus[key]
    at = run("admin", "pages/impor.py")  # signed in first: the login writes its session and audit rows
    with open_db(site) as db:
        before = data_snapshot(db)
    at.file_uploader(key="i_file").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any(e.startswith("Berkas tidak dapat dibaca") and words in e for e in errors), errors
    assert not [b for b in at.button if b.label == "Periksa"]
    with open_db(site) as db:
        assert data_snapshot(db) == before
    assert _children_peak_mb() < GB


def test_impor_page_rejects_the_long_cell_row_only(site):
    from test_pages import run
    name, data = hostile.long_cell_csv()
    at = run("admin", "pages/impor.py")
    at.file_uploader(key="i_file").set_value((name, data, "text/csv")).run()
    next(b for b in at.button if b.label == "Periksa").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Baris"]) == [3] and "10.000 karakter" in table["Alasan"][0]


def test_cli_refuses_a_file_over_the_size_limit_before_reading_it(tmp_path):
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("max_upload_mb = 200", "max_upload_mb = 1"))
    path = tmp_path / "besar.csv"
    path.write_bytes(hostile.HEADER.encode() + b"x" * (2 << 20))
    done = subprocess.run([sys.executable, "-m", "payung", "import", "workers", str(path), "--db",
                           str(tmp_path / "x.db"), "--config", str(config)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1 and "lebih dari batas 1 MB" in done.stderr, done.stderr


def test_impor_page_reads_utf16_and_a_100mb_line(site):
    from test_pages import run
    at = run("admin", "pages/impor.py")
    name, data = hostile.utf16_csv("be")
    at.file_uploader(key="i_file").set_value((name, data, "text/csv")).run()
    next(b for b in at.button if b.label == "Periksa").click().run()
    assert not at.exception and [m.value for m in at.metric] == ["1", "0", "0", "0"]
    name, data = hostile.long_line_csv()
    at.file_uploader(key="i_file").set_value((name, data + hostile.GOOD_ROW.encode(), "text/csv")).run()
    del data
    next(b for b in at.button if b.label == "Periksa").click().run()
    assert not at.exception
    assert [m.value for m in at.metric][0] in ("0", "1") and "10.000 karakter" in at.dataframe[0].value["Alasan"][0]
    assert _children_peak_mb() < GB


# A million bad rows: bounded memory, a linear export, the file made when asked -------------------

def _bad_rows(count: int, good: int = 0) -> bytes:
    """``count`` short rows that are all rejected (as the 21 MB file of a million such rows),
    then ``good`` valid ones."""
    good_rows = "".join(hostile.GOOD_ROW.replace("0001;Siti Aminah", f"{n:04d};Siti Aminah") for n in range(1, good + 1))
    return (hostile.HEADER + "1;;;;;;;\n" * count + good_rows).encode()


def test_a_plan_keeps_the_first_rejected_rows_and_counts_the_rest(schemes_app, people, admin):
    from payung.imports.plans import rejected_rows_xlsx
    from openpyxl import load_workbook
    import io
    data = _bad_rows(50, good=2)
    table = read_table(data, "buruk.csv")
    plan = plan_import(people.db, schemes_app.plugins, kind="workers", sheet=table,
                       mapping=auto_map(table.headers, "workers"), actor=admin, file_name="buruk.csv",
                       data_hash=file_hash(data), keep_rejected=10)
    assert plan.counts == {"imported": 2, "updated": 0, "unchanged": 0, "rejected": 50}
    assert sorted(plan.rejected) == list(range(2, 12)) and plan.rejected_not_kept == 40
    assert set(plan.rejected_values) == set(plan.rejected)
    summary = plan.summary()
    assert summary["rejected"] == 50 and summary["rejected_not_listed"] == 40
    assert {e["row"] for e in summary["errors"]} == set(range(2, 12))
    sheet = load_workbook(io.BytesIO(rejected_rows_xlsx(plan))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 10 + 1 and "40 baris lain juga ditolak" in rows[-1][-1]


def test_planning_memory_does_not_grow_with_the_rejected_rows(schemes_app, people, admin):
    """The old planner kept every row's checks, problems and reasons: 4,2 GB for a 21 MB file.
    Now a batch is checked and let go, and only the first rejected rows are kept: planning three
    times the rows does not take three times the memory."""
    import tracemalloc

    def peak(count: int) -> float:
        data = _bad_rows(count)
        table = read_table(data, "buruk.csv")
        tracemalloc.start()
        try:
            plan = plan_import(people.db, schemes_app.plugins, kind="workers", sheet=table,
                               mapping=auto_map(table.headers, "workers"), actor=admin, file_name="buruk.csv",
                               data_hash=file_hash(data), keep_rejected=1000)
            assert plan.counts["rejected"] == count and len(plan.rejected) == 1000
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    small, large = peak(20_000), peak(60_000)
    assert large < 1.5 * small, (small, large)


def test_xlsx_export_counts_its_rows_instead_of_rescanning_the_sheet(monkeypatch):
    """openpyxl's max_row and max_column scan every cell; read once per row they made the
    rejected-rows file quadratic (8.000 rows: 173 seconds)."""
    from openpyxl.worksheet.worksheet import Worksheet

    from payung.base.spreadsheets import xlsx_bytes
    scans = {"n": 0}
    for name in ("max_row", "max_column"):
        real = getattr(Worksheet, name)

        def counting(self, real=real):
            scans["n"] += 1
            return real.fget(self)
        monkeypatch.setattr(Worksheet, name, property(counting))
    headers = ["Baris", "NIK", "Nama", "Penghasilan", "Alasan penolakan"]
    rows = [[i, "3324015708750001", "x", 1_000_000, "NIK harus 16 digit angka"] for i in range(2_000)]
    xlsx_bytes([("Ditolak", headers, rows, [("Total", 5)])])
    assert scans["n"] < 10, scans


def test_impor_page_makes_the_rejected_rows_file_only_when_asked(site, monkeypatch):
    """The download is a callable (Streamlit 1.67 runs it on the click): no rerun of the page
    builds the file; a plan that kept only the first rejected rows says so."""
    from payung.imports import engine, plans
    from test_pages import run
    made = {"n": 0}
    real = plans.rejected_rows_xlsx

    def counting(plan):
        made["n"] += 1
        return real(plan)
    monkeypatch.setattr(plans, "rejected_rows_xlsx", counting)
    monkeypatch.setattr(engine, "MAX_REJECTED_KEPT", 3)
    at = run("admin", "pages/impor.py")
    at.file_uploader(key="i_file").set_value(("buruk.csv", _bad_rows(8), "text/csv")).run()
    next(b for b in at.button if b.label == "Periksa").click().run()
    at.run()
    assert not at.exception and made["n"] == 0
    assert [m.value for m in at.metric][-1] == "8"
    assert any("5 baris lain juga ditolak" in c.value for c in at.caption)
    [button] = [b for b in at.get("download_button")]
    assert "ditolak" in button.proto.label.lower()


# CSV structure: row numbers are the file's lines; a quote left open is never silent ---------------

def _numbered(n: int, occupation: str = "Petani") -> str:
    return f"332401170875{n:04d};Budi {n};17-08-1975;L;Blumah;Plantungan;{occupation};1000000\n"


def test_a_stray_quote_that_swallows_rows_is_refused_naming_the_lines():
    rows = [_numbered(n) for n in range(1, 501)]
    rows[9] = rows[9].replace(";Budi", ';"Budi')  # file line 11
    with pytest.raises(ImportFileError) as refused:
        read_table((hostile.HEADER + "".join(rows)).encode(), "kutip.csv")
    message = str(refused.value)
    assert "tanda kutip" in message and "di baris 11 tidak ditutup" in message and "sampai" in message
    # Near the end of the file the cell stays short (no field limit): the lines it holds look
    # like rows, so it is refused too.
    rows = [_numbered(n) for n in range(1, 11)]
    rows[6] = rows[6].replace(";Budi", ';"Budi')  # line 8, swallowing to the end
    with pytest.raises(ImportFileError, match="baris 8 sampai 11"):
        read_table((hostile.HEADER + "".join(rows)).encode(), "kutip.csv")


def test_row_numbers_are_file_lines_after_a_cell_on_several_lines(importer):
    address = '"Jl. Mawar 5\nRT 02/RW 03\nBlumah"'
    text = ("NIK;Nama;Tgl Lahir;JK;Desa/Kel;Kec.;Pekerjaan;Penghasilan;Alamat\n"
            + _numbered(1).rstrip("\n") + f";{address}\n"          # lines 2-4
            + _numbered(2, "Astronot").rstrip("\n") + ";-\n"       # line 5
            + _numbered(3).rstrip("\n") + ";-\n")                  # line 6
    plan = importer(text.encode(), write=False)
    assert plan.counts["imported"] == 2 and list(plan.rejected) == [5]
    assert plan.new[0]["address"] == "Jl. Mawar 5\nRT 02/RW 03\nBlumah"
    table = read_table(text.encode(), "a.csv")
    assert [table.line(i) for i in range(len(table.rows))] == [2, 5, 6]


def test_cli_refuses_the_stray_quote_file(tmp_path):
    rows = [_numbered(n) for n in range(1, 501)]
    rows[9] = rows[9].replace(";Budi", ';"Budi')
    path = tmp_path / "kutip.csv"
    path.write_text(hostile.HEADER + "".join(rows), encoding="utf-8")
    done = _cli(tmp_path, path, "--dry-run")[0]
    assert done.returncode == 1 and "di baris 11 tidak ditutup" in done.stderr, done.stderr


# Encodings: line by line -----------------------------------------------------------------------

def test_one_windows_1252_line_in_a_utf8_file_leaves_the_other_lines_right():
    utf8 = (hostile.HEADER + hostile.GOOD_ROW.replace("Siti Aminah", "Siti Nur’aini")).encode("utf-8")
    legacy = hostile.GOOD_ROW.replace("0001;Siti Aminah", "0002;André Müller").encode("cp1252")
    table = read_table(utf8 + legacy, "campur.csv")
    assert [r[1] for r in table.rows] == ["Siti Nur’aini", "André Müller"]
    assert table.encoding == "utf-8+cp1252 (baris 3)"


def test_a_bom_before_windows_1252_text_is_not_read_as_part_of_the_header():
    data = b"\xef\xbb\xbf" + (hostile.HEADER + hostile.GOOD_ROW.replace("Siti Aminah", "André")).encode("cp1252")
    table = read_table(data, "bom.csv")
    assert table.headers[0] == "NIK" and table.rows[0][1] == "André" and table.encoding.startswith("utf-8-sig")


# The CLI reads regular files only, and never more than the limit ---------------------------------

def test_cli_refuses_a_link_to_a_device_and_a_fifo(tmp_path):
    import os
    link = tmp_path / "nol.csv"
    link.symlink_to("/dev/zero")
    done = _cli(tmp_path, link, "--dry-run")[0]
    assert done.returncode == 1 and "bukan berkas biasa" in done.stderr, done.stderr
    fifo = tmp_path / "pipa.csv"
    os.mkfifo(fifo)
    done = _cli(tmp_path, fifo, "--dry-run")[0]  # would wait forever for a writer if opened blocking
    assert done.returncode == 1 and "bukan berkas biasa" in done.stderr, done.stderr


def test_read_upload_reads_at_most_the_limit_plus_one_byte(tmp_path):
    from payung.cli import read_upload
    path = tmp_path / "besar.csv"
    path.write_bytes(b"NIK\n" + b"1\n" * (1 << 19))  # 1 MB and 4 bytes
    with pytest.raises(ImportFileError, match="lebih dari batas 1 MB"):
        read_upload(path, 1)
    path.write_bytes(b"NIK\n" + b"1" * ((1 << 20) - 4))  # exactly 1 MB
    assert len(read_upload(path, 1)) == 1 << 20
