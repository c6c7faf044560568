"""Benchmark on a regency's or a province's worth of data, on either engine; prints one
``name: value`` line per figure.

``--db`` chooses the engine. SQLite (a file, or nothing): the bench's databases are files in a
temporary folder (``--keep FILE`` keeps the main one); the file ``--db`` names is neither read
nor written. PostgreSQL (``--db postgresql://...``): the URL names the server and a database
there the user may connect to that holds no Payung data (``postgres`` will do; a Payung database
with data is refused); the bench creates databases of its own on that server
(``payung_bench_...``: the main data, the floor, each import; the user needs ``CREATEDB``) and
drops them when it ends, however it ends, but the main one when ``--keep NAME`` names it.

Bounds (``BOUNDS``), printed after the figures as ``bound_<figure>: < limit met`` (or ``NOT
met``), never asserted: on SQLite the targets of a regency at 200.000 workers on 2 cores
(validate_rows_per_s >= 50000, insert_ratio <= 2, each agg_*_ms < 200, peak_rss_mb < 500,
workers_page_ms and dashboard_ms < 1000); on PostgreSQL those of a province at 1.000.000
workers (issue #25): dashboard_ms < 1000, workers_page_ms < 500, import_csv_s < 90 (the 1M-row
CSV), app_peak_rss_mb < 1024 (the app's processes: the import and the pages). Timings are
figures to read, never test assertions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import marshal
import operator
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path

import db as database
from db import batches, ledger, pg_backup, queries, store, transfer
from db.scope import EVERYTHING

from payung.base import clock, formats
from payung.base.config import Settings, database_environment
from payung.base.errors import PayungError
from payung.base.months import add_months, current_month
from payung.core import Payung
from payung.operations.checks import run_checks
from payung.operations.demo import worker_rows
from payung.operations.moving import filled_words
from payung.people.regions import load_regions
from payung.people.workers import check_workers, village_index
from payung.schemes.model import MONTHS_AHEAD

CHUNK = 20_000
BENCH_SCHEME = "bench_scheme"
#: The names of the bench's own databases on a PostgreSQL server begin so.
PREFIX = "payung_bench"
#: Above this many rows the XLSX import is skipped (a line says so): a sheet of a million rows
#: is at Excel's limit (1.048.576 rows) and takes many minutes to write and read; the
#: province's bound is on the CSV import.
XLSX_MAX_ROWS = 250_000
#: figure, comparison, limit: the bounds each engine's figures are held to (module docstring).
BOUNDS = {
    "sqlite": (("validate_rows_per_s", ">=", 50_000), ("insert_ratio", "<=", 2), ("agg_district_ms", "<", 200),
               ("agg_scheme_ms", "<", 200), ("agg_occupation_ms", "<", 200), ("peak_rss_mb", "<", 500),
               ("workers_page_ms", "<", 1000), ("dashboard_ms", "<", 1000)),
    "postgresql": (("dashboard_ms", "<", 1000), ("workers_page_ms", "<", 500), ("import_csv_s", "<", 90),
                   ("app_peak_rss_mb", "<", 1024)),
}
_COMPARE = {"<": operator.lt, "<=": operator.le, ">=": operator.ge}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fresh(location: str, settings: Settings):
    db = database.open_database(location)
    load_regions(db, settings, actor="bench")
    return db


def _median_ms(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _kept(server: str | None, keep: str) -> str:
    """The location of the main database ``--keep`` names: a file, or a database of the server."""
    return str(Path(keep)) if server is None else pg_backup.url_of_database(server, keep)


def _is_bench_database(location: str) -> bool:
    """The database at ``location`` was made by the bench (it records the bench's scheme)."""
    return BENCH_SCHEME in database.recorded_schemes(location)


class _Databases:
    """The bench's new, empty databases: files in the temporary folder (SQLite), or databases
    of their own on the server of ``server`` (PostgreSQL), dropped when ``stack`` closes."""

    def __init__(self, stack: contextlib.ExitStack, folder: Path, server: str | None):
        self.stack, self.folder, self.server = stack, folder, server
        if server is not None:  # an earlier bench's, killed on the way
            pg_backup.drop_stale(server, PREFIX)

    def new(self, label: str, keep: str | None = None) -> str:
        """A new database's location; ``keep`` names the one that stays (a file, or a database
        of the server)."""
        if keep:
            self._make_room(keep)
        if self.server is None:
            return keep or str(self.folder / f"{label}.db")
        return self.stack.enter_context(pg_backup.scratch_database(
            self.server, prefix=PREFIX, name=keep, keep=bool(keep), purpose="untuk uji kinerja"))

    def _make_room(self, keep: str) -> None:
        """An earlier bench's database named ``keep`` goes; a file of that name that is not one
        is refused (a database of that name that is not one: ``scratch_database`` refuses to make it)."""
        location = _kept(self.server, keep)
        if _is_bench_database(location):
            if self.server is not None:
                pg_backup.drop_database(self.server, keep)
                return
            for suffix in ("", "-wal", "-shm"):
                Path(location + suffix).unlink(missing_ok=True)
        elif self.server is None and Path(location).exists():
            raise PayungError(f"Berkas --keep {location} sudah ada dan bukan basis data uji kinerja; pilih nama "
                              "berkas lain.")


def _refuse_payung_data(settings: Settings) -> None:
    """The database of the PostgreSQL URL must hold no Payung data: a bench loads millions of
    rows, which is no work for a server in service."""
    probe = database.connect(settings.database_url)
    try:
        filled = transfer.filled_tables(probe)
    finally:
        probe.close()
    if filled:
        raise PayungError(
            f"{settings.database_shown} adalah basis data Payung yang berisi data ({filled_words(filled)[:300]}). "
            "Uji kinerja memuat jutaan baris dan memperlambat server bagi semua penggunanya: jalankan di server uji, "
            "dengan --db menunjuk basis data tanpa data Payung di sana (misalnya postgresql://pengguna@host/postgres); "
            "basis data ujinya dibuat sendiri lalu dihapus.")


class _Spilled:
    """Rows written to a file a chunk at a time (``marshal``: our own values, in our own
    temporary folder) and read back a chunk at a time, so that a million workers are never all
    in memory. ``reading_s``: the time spent reading, left out of the load they feed."""

    def __init__(self, path: Path):
        self.path, self.count, self.reading_s = path, 0, 0.0

    def write(self, out, rows: list[tuple]) -> None:
        marshal.dump(rows, out)
        self.count += len(rows)

    def rows(self, extra: tuple = ()) -> Iterator[tuple]:
        with self.path.open("rb") as f:
            while True:
                start = time.perf_counter()
                try:
                    chunk = marshal.load(f)
                except EOFError:
                    return
                finally:
                    self.reading_s += time.perf_counter() - start
                for row in chunk:
                    yield row + extra if extra else row

    def load_s(self, load: Callable[[Iterator[tuple]], object], extra: tuple = ()) -> float:
        """Seconds ``load(rows)`` takes, reading the file left out."""
        self.reading_s = 0.0
        start = time.perf_counter()
        load(self.rows(extra))
        return time.perf_counter() - start - self.reading_s


def run(app: Payung, *, workers: int = 200_000, keep: str | None = None, seed: int = 7,
        out: Callable[[str], None] = print, only: str | None = None) -> dict[str, float]:
    """Run every measurement; returns the figures it printed. ``keep``: the main database stays
    (a SQLite file, or a database of that name on the PostgreSQL server). ``only="enrol"``
    measures only the bulk enrolment, on the database an earlier run kept."""
    settings = app.settings
    server = settings.database_url if settings.engine == "postgresql" else None
    figures: dict[str, float] = {}

    def emit(name: str, value: float) -> None:
        figures[name] = value
        out(f"{name}: {value:.2f}" if isinstance(value, float) else f"{name}: {value}")

    if server:
        _refuse_payung_data(settings)
    if only == "enrol":
        location = _kept(server, keep) if keep else None
        if location is None or not _is_bench_database(location):
            raise PayungError("--only enrol butuh --keep BERKAS (PostgreSQL: NAMA basis data) dari uji kinerja "
                              "sebelumnya.")
        db = database.open_database(location)
        try:
            _enrol_figures(app, db, emit)
        finally:
            db.close()
        return figures

    today = clock.today()
    rng = random.Random(seed)
    # Wall-clock figures stretch with the machine's load; the *_cpu_s figures do not (equal CPU
    # and more wall time is waiting: another process on the cores, or the disk).
    emit("load_average", round(os.getloadavg()[0], 2))
    emit("engine", settings.engine)
    with contextlib.ExitStack() as stack:  # every database and file of the bench goes with it
        tmpdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="payung-bench-")))
        places = _Databases(stack, tmpdir, server)
        main_location = places.new("bench", keep=keep)
        db = _fresh(main_location, settings)
        stack.callback(db.close)  # however the bench ends, before its databases are dropped
        store.insert(db, "schemes", {"code": BENCH_SCHEME, "name": "Skema uji kinerja", "regency_code": "33.24",
                                     "plugin": "bench"}, actor="bench")  # also marks the database as the bench's
        names = village_index(db)
        villages = sorted(names)
        district_names = queries.region_names(db, 3)

        # 1. Validation: raw rows generated in chunks (untimed), checked by the domain rules
        # (timed); the valid ones go to a file, chunk by chunk.
        spilled = _Spilled(tmpdir / "workers.marshal")
        columns: tuple[str, ...] = ()
        validate_s = 0.0
        taken: set[str] = set()
        produced = 0
        with spilled.path.open("wb") as spill:
            while produced < workers:
                chunk = list(worker_rows(villages, min(CHUNK, workers - produced), rng, today=today,
                                         taken_niks=taken))
                taken.update(r["nik"] for r in chunk)
                produced += len(chunk)
                start = time.perf_counter()
                checked = check_workers(chunk, settings=settings, villages=names, today=today)
                validate_s += time.perf_counter() - start
                columns = columns or next((tuple(c.row) for c in checked if c.ok), ())
                spilled.write(spill, [tuple(c.row.values()) for c in checked if c.ok])
                del chunk, checked
        taken.clear()
        emit("workers", spilled.count)
        emit("validate_rows_per_s", round(produced / validate_s, 0))

        # 2. Bulk path of the data layer vs. the engine's plainest load (executemany on SQLite,
        # COPY on PostgreSQL), same rows, same schema, each read from the file (untimed).
        bulk_s = spilled.load_s(lambda rows: store.bulk_insert(db, "workers", columns, rows, actor="bench",
                                                                note="bench"))
        floor_db = _fresh(places.new("floor"), settings)
        stack.callback(floor_db.close)
        stamp = store.now()
        floor_s = spilled.load_s(lambda rows: batches.bare_insert(floor_db, "workers",
                                                                  (*columns, "created_at", "updated_at"), rows),
                                 (stamp, stamp))
        floor_db.close()
        emit("bulk_insert_s", round(bulk_s, 3))
        emit("floor_insert_s", round(floor_s, 3))
        emit("insert_ratio", round(bulk_s / floor_s, 2))
        spilled.path.unlink()

        # 3. Twelve months of contribution lines for every worker; 80% paid this month.
        month = current_month(today)
        months = [add_months(month, -i) for i in range(11, -1, -1)]
        start, cpu_start = time.perf_counter(), time.process_time()
        app.sync_schemes(db, actor="bench")
        raw_s, aside_s, aside_cpu_s = _fill_lines(
            db, months, rng, {s.regency_code: s.code for s in reversed(app.plugins.schemes.values())})
        fill_s = time.perf_counter() - start - aside_s
        fill_cpu_s = time.process_time() - cpu_start - aside_cpu_s
        emit("lines", queries.table_counts(db, ["contribution_lines"])["contribution_lines"])
        emit("fill_lines_s", round(fill_s, 2))
        emit("fill_lines_cpu_s", round(fill_cpu_s, 2))
        emit("fill_lines_raw_s", round(raw_s, 2))
        emit("fill_lines_ratio", round(fill_s / raw_s, 2))
        batches.analyze(db)
        _enrol_figures(app, db, emit)

        emit("agg_district_ms", round(_median_ms(lambda: queries.covered_by_district(db, month, EVERYTHING)), 1))
        emit("agg_scheme_ms", round(_median_ms(lambda: queries.covered_by_scheme(db, month, EVERYTHING)), 1))
        emit("agg_occupation_ms", round(_median_ms(lambda: queries.covered_by_occupation(db, month, EVERYTHING)), 1))
        start = time.perf_counter()
        report = run_checks(db, quick=True)
        emit("check_quick_s", round(time.perf_counter() - start, 2))
        emit("check_differences", report.differences)
        db.close()
        # The bench process's own peak (generating the data, the floors, the bulk paths); the
        # app's processes run as children and report their own (app_peak_rss_mb).
        emit("peak_rss_mb", round(_peak_rss_mb(), 1))
        for name, value in _import_figures(tmpdir, places, settings, workers, names, district_names, today).items():
            emit(name, value)
        for name, value in _page_figures(main_location, settings, workers).items():
            emit(name, value)
        emit("app_peak_rss_mb", max(figures[name] for name in ("import_peak_rss_mb", "pages_peak_rss_mb")
                                    if name in figures))
        for name, sign, limit in BOUNDS[settings.engine]:
            if name not in figures:  # an import that failed (its *_failed line says why)
                verdict = "NOT met (tidak terukur)"
            else:
                verdict = "met" if _COMPARE[sign](float(figures[name]), limit) else "NOT met"
            emit(f"bound_{name}", f"{sign} {limit} {verdict}")
    return figures


class _Places:
    """(id, village, occupation) of every worker, kept small: the ids and two indexes into the
    villages and occupations named, in arrays (a few MB for a million workers, where a million
    tuples would take hundreds)."""

    def __init__(self, db):
        self.ids, self.villages, self.occupations = array("q"), array("I"), array("I")
        villages: dict[str, int] = {}
        occupations: dict[str | None, int] = {}
        for worker, village, occupation in batches.worker_places(db):
            self.ids.append(worker)
            self.villages.append(villages.setdefault(village, len(villages)))
            self.occupations.append(occupations.setdefault(occupation, len(occupations)))
        self.village_names, self.occupation_names = list(villages), list(occupations)

    def __iter__(self) -> Iterator[tuple[int, str, str | None]]:
        villages, occupations = self.village_names, self.occupation_names
        for worker, village, occupation in zip(self.ids, self.villages, self.occupations):
            yield worker, villages[village], occupations[occupation]


def _fill_lines(db, months: list[str], rng: random.Random, scheme_of: dict[str, str]) -> tuple[float, float, float]:
    """Sponsors, sponsorships and lines through the bulk path (the bench is not about rules).
    Each worker is covered by a scheme of their regency (``scheme_of``: regency -> scheme).

    Before the lines are written, the same lines are loaded by the engine's plainest load (one
    bare ``executemany`` on SQLite, the indexes built once after the load, as the bulk path
    does; one ``COPY`` on PostgreSQL), with no audit and no running totals, and rolled back: the
    floor they are compared with. Returns that floor's seconds and the seconds (wall, CPU) to
    leave out of the fill (floor, rollback, and the space the floor left made free again)."""
    def scheme(village: str) -> str:
        return scheme_of.get(village[:5], BENCH_SCHEME)
    store.bulk_insert(db, "sponsors", ("type", "name"), [("perorangan", f"Donatur {i}") for i in range(1000)],
                      actor="bench")
    workers = _Places(db)
    store.bulk_insert(
        db, "sponsorships",
        ("scheme_code", "sponsor_id", "worker_id", "programs", "start_month", "months", "end_month",
         "declared_income", "monthly_amount", "status", "created_by"),
        ((scheme(village), 1 + w % 1000, w, "JKK,JKM", months[0], 12, months[-1], 1000000, 16800, "aktif", "bench")
         for w, village, _ in workers),
        actor="bench",
    )
    last = months[-1]
    columns = ("sponsorship_id", "worker_id", "sponsor_id", "scheme_code", "month", "village_code", "district_code",
               "occupation", "jkk", "jkm", "jht", "amount", "paid_amount")
    state = rng.getstate()

    def lines():
        rng.setstate(state)
        return ((w, w, 1 + w % 1000, scheme(village), m, village, village[:8], occupation, 10000, 6800, 0, 16800,
                 16800 if m != last or rng.random() < 0.8 else 0)
                for w, village, occupation in workers for m in months)

    start, cpu_start = time.perf_counter(), time.process_time()
    with store.rolled_back(db):
        batches.raw_insert_lines(db, columns, lines(), rebuild_indexes=True)
        raw_s = time.perf_counter() - start
    # PostgreSQL keeps the rolled-back rows until a VACUUM: without it the lines would be loaded
    # after them, into a table and indexes twice their size.
    batches.reclaim(db, "contribution_lines")
    pause, cpu_pause = time.perf_counter(), time.process_time()
    # An empty table: its indexes are built once after the load, not line by line.
    batches.insert_lines(db, columns, lines(), actor="bench", rebuild_indexes=True)
    # The money those lines received, as payments and allocations (``payung check`` agrees).
    ledger.settle_marked_lines(db, paid_on=clock.today().isoformat(), reference="BENCH", actor="bench")
    # The floor, and the seconds (wall, CPU) to leave out of fill_lines_s (floor and rollback).
    return raw_s, pause - start, cpu_pause - cpu_start


def _enrol_figures(app: Payung, db, emit) -> None:
    """10.000 sponsorships of 12 months in Pemalang (orang tua asuh with pledges: a counting
    rule), planned and written by ``payung.enrolment.bulk``."""
    from payung.auth.access import Actor
    from payung.enrolment.bulk import apply_bulk, plan_bulk
    from payung.base.occupations import VULNERABLE

    system = Actor.system("bench")
    # After the months the bench's lines cover, within how far ahead a sponsorship may start;
    # workers enrolled by an earlier run on a kept database are not candidates again.
    start_month = min(add_months(max(current_month(), batches.last_line_month(db) or ""), 1),
                      add_months(current_month(), MONTHS_AHEAD))
    sponsors = [sponsor_id for sponsor_id, _ in _new_sponsors(db, "Orang tua asuh uji")]
    candidates = queries.eligible_workers(db, scope=EVERYTHING, region_prefix="33.27",
                                          months=[add_months(start_month, i) for i in range(12)],
                                          occupations=VULNERABLE, limit=10_000)
    fields = {"sponsor_category": "perorangan", "pledge": 60, "pillar": "masyarakat"}
    requests = [{"scheme_code": "pemalang_mesra", "sponsor_id": sponsors[n % len(sponsors)], "worker_id": w["id"],
                 "start_month": start_month, "months": 12, "fields": fields} for n, w in enumerate(candidates)]
    started = time.perf_counter()
    plan = plan_bulk(db, app.plugins, requests, actor=system)
    planned = time.perf_counter()
    counts = apply_bulk(db, app.plugins, plan, actor=system)
    done = time.perf_counter()
    emit("enrol_rows", len(requests))
    emit("enrol_accepted", counts["imported"])
    emit("enrol_plan_s", round(planned - started, 2))
    emit("enrol_apply_s", round(done - planned, 2))
    emit("enrol_10k_s", round(done - started, 2))
    _sponsorship_import_figures(app, db, emit, start_month, fields)


def _new_sponsors(db, prefix: str, count: int = 200) -> list[tuple[int, str]]:
    """``count`` new Pemalang donors named ``prefix N`` (numbered on from an earlier run on a
    kept database): (id, name) of each."""
    first = len(batches.sponsors_named(db, prefix))
    store.bulk_insert(db, "sponsors", ("type", "name", "regency_code"),
                      [("perorangan", f"{prefix} {first + i}", "33.27") for i in range(count)], actor="bench")
    return batches.sponsors_named(db, prefix)[first:]


def _sponsorship_import_figures(app: Payung, db, emit, start_month: str, fields: dict) -> None:
    """10.000 more rows as a Kepesertaan file naming each sponsor by name (among the
    regency's sponsors), read, checked and written by the import engine."""
    from payung.auth.access import Actor
    from payung.imports import apply_import, auto_map, plan_import
    from payung.imports.reading import Sheet
    from payung.base.occupations import VULNERABLE

    system = Actor.system("bench")
    names = [name for _, name in _new_sponsors(db, "Donatur impor uji")]
    candidates = queries.eligible_workers(db, scope=EVERYTHING, region_prefix="33.27",
                                          months=[add_months(start_month, i) for i in range(12)],
                                          occupations=VULNERABLE, limit=10_000)
    sheet = Sheet(["NIK", "Skema", "Penyandang dana", "Bulan mulai", "Lama", "Kategori orang tua asuh",
                   "Jumlah pekerja yang dijanjikan", "Pilar pendanaan"],
                  [[w["nik"], "Mesra dengan Mansur", names[n % len(names)], start_month, 12, "Perorangan",
                    fields["pledge"], "Masyarakat"] for n, w in enumerate(candidates)])
    started = time.perf_counter()
    plan = plan_import(db, app.plugins, kind="sponsorships", sheet=sheet, mapping=auto_map(sheet.headers,
                       "sponsorships"), actor=system, file_name="bench.csv", data_hash="bench")
    counts = apply_import(db, app.plugins, plan, actor=system)
    emit("import_sponsorships_rows", len(candidates))
    emit("import_sponsorships_imported", counts["imported"])
    emit("import_sponsorships_s", round(time.perf_counter() - started, 2))


def _child_timeout(workers: int, base: int, per_thousand: float) -> float:
    """Seconds a child of the bench may take: ``base``, and more for more workers."""
    return base + workers / 1000 * per_thousand


def _page_figures(location: str, settings: Settings, workers: int) -> dict[str, float]:
    """Page timings under AppTest, measured by ``ui.bench_pages`` in a child process (the
    core does not import Streamlit), with that process's peak memory. The database's location
    goes in the child's environment (``database_environment``), never on its command line."""
    done = subprocess.run(
        [sys.executable, "-m", "ui.bench_pages", "--config", str(settings.path)],
        cwd=Path(__file__).resolve().parents[2], env=database_environment(location), capture_output=True, text=True,
        timeout=_child_timeout(workers, 600, 2),
    )
    if done.returncode != 0:
        raise RuntimeError(f"page benchmark failed: {done.stderr[-2000:]}")
    return {name: float(value) for name, value in
            (line.split(": ") for line in done.stdout.splitlines() if ": " in line)}


def _import_file_rows(villages: list[str], names: dict[str, str], districts: dict[str, str], count: int,
                      rng: random.Random, today: dt.date):
    """Rows as a regency's spreadsheet has them: names of villages and districts, labels,
    dates as 17-08-1975, Rupiah as 1.000.000, phones as typed."""
    from payung.base.occupations import OCCUPATIONS
    for values in worker_rows(villages, count, rng, today=today):
        birth = dt.date.fromisoformat(values["birth_date"])
        yield [values["nik"], values["name"], f"Kendal, {birth:%d-%m-%Y}", values["gender"],
               names[values["village_code"]], districts[values["village_code"][:8]],
               OCCUPATIONS[values["occupation"]], values["phone"], formats.count(values['declared_income'])]


IMPORT_HEADERS = ["NIK", "Nama Lengkap", "Tempat/Tgl Lahir", "JK", "Desa/Kel", "Kec.", "Pekerjaan", "No HP/WA",
                  "Penghasilan"]


def _import_figures(tmpdir: Path, places: _Databases, settings: Settings, workers: int, names: dict[str, str],
                    districts: dict[str, str], today: dt.date) -> dict[str, float]:
    """Import a generated file of ``workers`` rows, as CSV and as XLSX (up to ``XLSX_MAX_ROWS``),
    each into a new database through ``python -m payung import`` (what a regency would run),
    named in the child's environment, not on its command line (a URL may hold a password).
    Village names repeat across districts; the file's district column makes them unambiguous."""
    import csv

    from openpyxl import Workbook

    figures: dict[str, float] = {}
    files = {"import_csv_s": tmpdir / "pekerja.csv"}
    with files["import_csv_s"].open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(IMPORT_HEADERS)
        writer.writerows(_import_file_rows(sorted(names), names, districts, workers, random.Random(11), today))
    if workers <= XLSX_MAX_ROWS:
        files["import_xlsx_s"] = tmpdir / "pekerja.xlsx"
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Pekerja")
        sheet.append(IMPORT_HEADERS)
        for row in _import_file_rows(sorted(names), names, districts, workers, random.Random(11), today):
            sheet.append(row)
        book.save(files["import_xlsx_s"])
    else:
        figures["import_xlsx_skipped"] = (f"{workers} baris > {XLSX_MAX_ROWS}; lembar sebesar itu di batas Excel "
                                          "(1.048.576 baris) dan lama ditulis, batas provinsi pada impor CSV")

    peaks = []
    for label, path in files.items():
        target = places.new(label)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        limit = _child_timeout(workers, 900, 5)
        try:
            done = subprocess.run(
                [sys.executable, "-c", _REPORT_PEAK, "import", "workers", str(path), "--config", str(settings.path),
                 "--json"],
                cwd=Path(__file__).resolve().parents[2], env=database_environment(target), capture_output=True,
                text=True, timeout=limit,
            )
        except subprocess.TimeoutExpired:
            figures[label.replace("_s", "_failed")] = f"dihentikan setelah {limit:.0f} detik"
            continue
        seconds = round(time.perf_counter() - start, 2)
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        if "VmHWM_kB " in done.stderr:
            peaks.append(int(done.stderr.rsplit("VmHWM_kB ", 1)[1].split()[0]) / 1024)
        if done.returncode != 0:
            # A refused import is a finding of its own (a million rows past a limit): said, and the
            # bench goes on to the pages rather than losing them.
            said = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("VmHWM_kB")]
            figures[label.replace("_s", "_failed")] = (said or ["?"])[-1].replace(": ", " - ")[:300]
            continue
        figures[label] = seconds
        figures[label.replace("_s", "_cpu_s")] = round(used.ru_utime + used.ru_stime - children.ru_utime
                                                       - children.ru_stime, 2)
        figures[label.replace("_s", "_imported")] = json.loads(done.stdout)["imported"]
    if peaks:
        figures["import_peak_rss_mb"] = round(max(peaks), 1)
    return figures


# Runs the CLI and prints the process's own peak RSS at exit. (A child's ru_maxrss would also
# count the parent's size at fork; VmHWM starts afresh at exec.)
_REPORT_PEAK = (
    "import atexit, runpy, sys\n"
    "from payung.imports.sandbox import peak_mb\n"
    "atexit.register(lambda: sys.stderr.write(f'VmHWM_kB {peak_mb() * 1024:.0f}\\n'))\n"
    "sys.argv = ['payung', *sys.argv[1:]]\n"
    "runpy.run_module('payung', run_name='__main__', alter_sys=True)\n"
)

