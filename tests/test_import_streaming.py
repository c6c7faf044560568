"""A big import flows in bounded chunks (issue #25: a million-row CSV under 1 GB): the reader
hands rows over through a file, the plan holds a batch of the file's rows at a time and keeps
new workers packed, and the write reads them back a block at a time. No timing, no memory
measure: these tests count the rows that are alive or decoded at once."""

from __future__ import annotations

import random
import weakref
from operator import itemgetter

import pytest

from db import queries, store
from payung.auth.access import PLACE_KEYS
from payung.base import clock
from payung.imports import apply_import, auto_map, engine, file_hash, plan_import, read_table
from payung.imports import chunks
from payung.imports.chunks import PackedRows, SpooledRows
from payung.imports.reading import Sheet
from payung.operations.bench import IMPORT_HEADERS, _import_file_rows
from payung.people.workers import village_index


def _worker_cells(db, count: int) -> list[list]:
    names = village_index(db)
    return list(_import_file_rows(sorted(names), names, queries.region_names(db, 3), count, random.Random(5),
                                  clock.today()))


class _Row(list):
    """A row of cells that can be watched (a plain list cannot be weakly referenced)."""
    __slots__ = ("__weakref__",)


class _WatchedRows:
    """A sheet's rows made one by one as they are read, counting how many are alive at once."""

    def __init__(self, cells: list[list]):
        self.cells, self.alive, self.most_alive = cells, 0, 0

    def __len__(self) -> int:
        return len(self.cells)

    def __getitem__(self, index):
        return _Row(self.cells[index])

    def _gone(self) -> None:
        self.alive -= 1

    def __iter__(self):
        for cells in self.cells:
            row = _Row(cells)
            self.alive += 1
            self.most_alive = max(self.most_alive, self.alive)
            weakref.finalize(row, self._gone)
            yield row
            del row


@pytest.fixture
def small_chunks(monkeypatch):
    """Batches of 100 rows, packed chunks of 100, blocks of 10: a thousand rows are many."""
    monkeypatch.setattr(engine, "BATCH_ROWS", 100)
    monkeypatch.setattr(chunks, "CHUNK_ROWS", 100)
    monkeypatch.setattr(chunks, "BLOCK_ROWS", 10)


def _plan(people, schemes_app, admin, rows) -> object:
    sheet = Sheet(list(IMPORT_HEADERS), rows)
    return plan_import(people.db, schemes_app.plugins, kind="workers", sheet=sheet,
                       mapping=auto_map(sheet.headers, "workers"), actor=admin, file_name="besar.csv",
                       data_hash="besar")


def test_the_worker_plan_holds_a_batch_of_the_files_rows_not_the_file(people, schemes_app, admin, small_chunks):
    cells = _worker_cells(people.db, 1000)
    cells[700] = list(cells[3])  # a duplicate far from its first row is still found
    rows = _WatchedRows(cells)
    plan = _plan(people, schemes_app, admin, rows)
    assert plan.counts == {"imported": 999, "updated": 0, "unchanged": 0, "rejected": 1}, plan.summary()
    assert [(e.row, e.message) for e in plan.errors] == [(702, "NIK sama dengan baris 5.")]
    # A batch and the row being read, never the thousand rows of the file.
    assert rows.most_alive <= 101, rows.most_alive
    # The new workers are packed, not a thousand dicts: nine chunks of a hundred and the 99 rows
    # since; they read back as dicts all the same.
    assert isinstance(plan.new, PackedRows) and (len(plan.new._packed), len(plan.new._open)) == (9, 99)
    assert sorted(w["nik"] for w in plan.new) == sorted({c[0] for c in cells})
    assert plan.new[0]["nik"] in {c[0] for c in cells}


def test_apply_writes_new_workers_in_nik_order_reading_a_block_of_each_chunk_at_a_time(
        people, schemes_app, admin, small_chunks, monkeypatch):
    plan = _plan(people, schemes_app, admin, _worker_cells(people.db, 1000))
    decoded = [0]
    decode = chunks.decode_answer

    def counting(data):
        found = decode(data)
        decoded[0] += len(found)
        return found
    monkeypatch.setattr(chunks, "decode_answer", counting)
    seen: dict = {}
    write_workers = engine._write_workers

    def watched_write(*args, **kwargs):
        seen["before"] = decoded[0]
        return write_workers(*args, **kwargs)
    monkeypatch.setattr(engine, "_write_workers", watched_write)
    bulk_insert = store.bulk_insert

    def watched_insert(db, table, columns, rows, **kwargs):
        if table != "workers":
            return bulk_insert(db, table, columns, rows, **kwargs)
        niks = []

        def pulled():
            for row in rows:
                if not niks:  # the first row reaches the database: how much has been decoded?
                    seen["at_first_row"] = decoded[0] - seen["before"]
                niks.append(row[1])
                yield row
        count = bulk_insert(db, table, columns, pulled(), **kwargs)
        seen["niks"] = niks
        return count
    monkeypatch.setattr(store, "bulk_insert", watched_insert)

    counts = apply_import(people.db, schemes_app.plugins, plan, actor=admin)

    assert counts["imported"] == 1000
    assert seen["niks"] == sorted(seen["niks"]) and len(seen["niks"]) == 1000
    # Ten packed chunks: a block of ten rows of each, never the thousand rows.
    assert seen["at_first_row"] <= 10 * 10, seen["at_first_row"]
    written = queries.workers_by_nik(people.db, seen["niks"])
    assert len(written) == 1000
    ids = sorted(w["id"] for w in written.values())
    assert ids == list(range(ids[0], ids[0] + 1000))


def test_packed_rows_read_back_every_row_a_chunk_at_a_time_each_chunk_sorted():
    """Iterating gives each packed chunk sorted by ``order_by`` (not the append order), then the
    rows not yet packed; ``merged()`` gives all of them in ``order_by`` order; an index reads
    the row iteration gives at that place."""
    packed = PackedRows(order_by="nik", chunk_rows=4)
    rows = [{"nik": f"33{n % 7:014d}{n}", "name": f"Nama {n}", "income": n * 1000, "note": None} for n in range(10)]
    for row in rows:
        packed.append(row)
    assert len(packed) == 10 and packed.columns == ("nik", "name", "income", "note")
    by_nik = itemgetter("nik")
    assert list(packed) == sorted(rows[:4], key=by_nik) + sorted(rows[4:8], key=by_nik) + rows[8:]
    assert [r[0] for r in packed.merged()] == sorted(r["nik"] for r in rows)
    assert [packed[i] for i in range(10)] == list(packed)
    with pytest.raises(ValueError):
        packed.append({"nik": "1", "name": "x"})


def test_packed_rows_keep_each_value_in_its_column_whatever_the_rows_key_order():
    packed = PackedRows(order_by="nik", chunk_rows=2)
    for row in ({"nik": "1", "name": "A"}, {"name": "B", "nik": "2"}, {"name": "C", "nik": "3"}):
        packed.append(row)
    assert list(packed) == [{"nik": "1", "name": "A"}, {"nik": "2", "name": "B"}, {"nik": "3", "name": "C"}]
    assert list(packed.merged()) == [("1", "A"), ("2", "B"), ("3", "C")]
    with pytest.raises(ValueError):
        packed.append({"nik": "4", "nama": "D"})


def test_merging_packed_rows_does_not_change_them():
    """``merged()`` between appends: every index still reads its row (a short chunk packed by
    the merge would shift every later row), and a second merge gives every row again."""
    packed = PackedRows(order_by="nik", chunk_rows=4)
    rows = [{"nik": f"{n:016d}", "name": f"Nama {n}"} for n in (9, 3, 7, 1, 8, 2, 6)]
    for row in rows[:6]:
        packed.append(row)
    assert [r[0] for r in packed.merged()] == sorted(r["nik"] for r in rows[:6])
    packed.append(rows[6])
    by_nik = itemgetter("nik")
    expected = sorted(rows[:4], key=by_nik) + rows[4:]
    assert [packed[i] for i in range(len(packed))] == expected == list(packed)
    assert [r[0] for r in packed.merged()] == sorted(r["nik"] for r in rows)


def test_the_plan_keeps_of_a_changed_worker_its_place_and_what_changes_packed(
        people, schemes_app, admin, small_chunks, monkeypatch):
    """Re-importing registered workers with a change: the plan keeps per row the id, where the
    row lies and the changed values (not the whole row), packed a chunk at a time; the write
    reads the rows again a chunk at a time and changes them all."""
    cells = _worker_cells(people.db, 1000)
    apply_import(people.db, schemes_app.plugins, _plan(people, schemes_app, admin, cells), actor=admin)
    name = IMPORT_HEADERS.index("Nama Lengkap")
    for row in cells:
        row[name] = row[name] + " Baru"
    plan = _plan(people, schemes_app, admin, cells)
    assert plan.counts == {"imported": 0, "updated": 1000, "unchanged": 0, "rejected": 0}, plan.summary()
    assert isinstance(plan.updates, chunks.PackedTuples) and len(plan.updates._packed) == 10
    for key, before, changes in plan.updates:
        assert set(changes) == {"name"} and set(before) <= {*PLACE_KEYS, "name"} and before["village_code"]
    read = []
    rows_by_id = queries.rows_by_id
    monkeypatch.setattr(queries, "rows_by_id", lambda db, table, ids: read.append(len(ids)) or rows_by_id(db, table, ids))
    assert apply_import(people.db, schemes_app.plugins, plan, actor=admin)["updated"] == 1000
    assert read == [100] * 10
    written = queries.workers_by_nik(people.db, [c[0] for c in cells])
    assert sorted(w["name"] for w in written.values()) == sorted(c[name] for c in cells)


def test_a_nik_in_other_digits_is_not_taken_for_the_same_number():
    seen = engine._SeenNiks()
    seen.add("3" * 16, 2)
    assert seen.get("3" * 16) == 2 and seen.get("\u0663" * 16) is None  # ARABIC-INDIC DIGIT THREE


def test_the_reader_hands_a_big_file_over_in_chunks_through_a_file():
    count = 45_000  # more than two of the reader's chunks
    text = ";;\n;\nNIK;Nama\n" + "".join(f"{n:016d};Nama {n}\n" for n in range(count))
    sheet = read_table(text.encode(), "besar.csv")
    assert isinstance(sheet.rows, SpooledRows)
    assert sheet.headers == ["NIK", "Nama"] and len(sheet.rows) == count and sheet.header_row == 3
    assert sheet.rows[0] == [f"{0:016d}", "Nama 0"] and sheet.rows[-1] == [f"{count - 1:016d}", f"Nama {count - 1}"]
    # Three raw rows come before the data: the reader's chunks end after data rows 19.996 and 39.996.
    assert [sheet.rows._firsts[k] - sheet.rows._start for k in (1, 2)] == [19_997, 39_997]
    for n in (19_996, 19_997, 39_996, 39_997):
        assert sheet.rows[n] == [f"{n:016d}", f"Nama {n}"]
    assert sheet.rows[19_990:20_005] == [[f"{n:016d}", f"Nama {n}"] for n in range(19_990, 20_005)]
    assert sheet.rows[39_996:39_998] == [[f"{n:016d}", f"Nama {n}"] for n in (39_996, 39_997)]
    assert sum(1 for _ in sheet.rows) == count
    assert [row[0] for row in sheet.rows][::20_000] == [f"{n:016d}" for n in range(0, count, 20_000)]
    assert sheet.line(20_000) == 3 + 1 + 20_000


def test_a_refusal_late_in_a_big_file_refuses_the_whole_file():
    """The reader's chunks written before a quote left open is found are thrown away."""
    from payung.imports import ImportFileError
    text = "NIK;Nama\n" + "".join(f"{n:016d};Nama {n}\n" for n in range(30_000)) + '1;"tak ditutup\n2;x\n3;y\n'
    with pytest.raises(ImportFileError, match="tidak ditutup"):
        read_table(text.encode(), "besar.csv")


def test_a_big_file_through_the_whole_import(importer):
    """More rows than one of the reader's chunks, read, checked, written and checked again."""
    names = village_index(importer.db)
    import csv
    import io
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(IMPORT_HEADERS)
    writer.writerows(_import_file_rows(sorted(names), names, queries.region_names(importer.db, 3), 20_500,
                                       random.Random(3), clock.today()))
    data = out.getvalue().encode()
    plan = importer(data, "besar.csv")
    assert plan.counts == {"imported": 20_500, "updated": 0, "unchanged": 0, "rejected": 0}, plan.summary()
    assert queries.worker_count(importer.db) >= 20_500
    again = importer(data, "besar.csv", write=False)
    assert again.counts == {"imported": 0, "updated": 0, "unchanged": 20_500, "rejected": 0}
    assert file_hash(data) == again.file_hash


@pytest.fixture
def spooled(monkeypatch) -> list[SpooledRows]:
    """Every ``SpooledRows`` the reader hands over (its temporary file), to see it closed."""
    made: list[SpooledRows] = []
    read = SpooledRows.read.__func__

    def watched(cls, file):
        rows, answer = read(cls, file)
        made.append(rows)
        return rows, answer
    monkeypatch.setattr(SpooledRows, "read", classmethod(watched))
    return made


@pytest.mark.parametrize("data, limits, refusal", [
    (b'NIK;Nama\n1;A\n2;"tak ditutup\n3;x\n4;y\n', {}, "tidak ditutup"),  # the reader's answer: not ok
    (b";;\n\n;\n", {}, "Berkas kosong"),
    ("NIK;" + "x" * 50 + "\n1;A\n", {"max_cell_chars": 20}, "baris judul kolom"),
], ids=["refused-by-the-reader", "empty", "header-row-error"])
def test_a_refused_file_leaves_no_temporary_file_open(spooled, data, limits, refusal):
    from payung.base.config import Limits
    from payung.imports import ImportFileError
    with pytest.raises(ImportFileError, match=refusal):
        read_table(data if isinstance(data, bytes) else data.encode(), "x.csv", limits=Limits(**limits))
    assert len(spooled) == 1 and spooled[0].closed


def test_a_read_image_leaves_no_temporary_file_open(spooled):
    import io

    from PIL import Image

    from payung.imports import ImportFileError
    from payung.imports.reading import read_image
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    assert read_image(out.getvalue(), size=4, max_pixels=100).startswith(b"\x89PNG")
    with pytest.raises(ImportFileError):
        read_image(b"bukan gambar", size=4, max_pixels=100)
    assert len(spooled) == 2 and all(rows.closed for rows in spooled)


def test_a_sheet_closed_lets_go_of_its_file():
    sheet = read_table(b"NIK;Nama\n1;A\n2;B\n", "x.csv")
    assert sheet.rows[1] == ["2", "B"] and not sheet.rows.closed
    sheet.close()
    sheet.close()  # twice is harmless
    assert sheet.rows.closed
    Sheet(["NIK"], [["1"]]).close()  # rows given as a list: nothing to close


def test_impor_closes_the_file_it_read_when_another_replaces_it_and_after_the_import(site):
    from test_import import MESSY
    from test_pages import run as run_page
    from test_pages import texts
    at = run_page("admin", "pages/impor.py")
    at.file_uploader(key="i_file").set_value(("lama.csv", MESSY.encode("cp1252"), "text/csv")).run()
    first = at.session_state["_i_read"][1]
    at.file_uploader(key="i_file").set_value(("pekerja.csv", MESSY.encode("cp1252"), "text/csv")).run()
    second = at.session_state["_i_read"][1]
    assert first.rows.closed and not second.rows.closed
    next(b for b in at.button if b.label == "Periksa").click().run()
    next(b for b in at.button if b.label.startswith("Impor 3 baris")).click().run()
    assert not at.exception and "Impor selesai: 3 baru" in texts(at)
    assert second.rows.closed and "_i_read" not in at.session_state
    assert "Berkas ini sudah diimpor" in texts(at)
    next(b for b in at.button if b.label == "Periksa berkas ini lagi").click().run()
    third = at.session_state["_i_read"][1]
    assert not third.rows.closed and len(third.rows) == len(second.rows)
    at.file_uploader(key="i_file").set_value(None).run()
    assert third.rows.closed and "_i_read" not in at.session_state
