"""Benchmark on a whole regency's worth of data; prints one ``name: value`` line per figure.

Targets (2 cores): validate_rows_per_s >= 50000, insert_ratio <= 2, each agg_*_ms < 200 at
200.000 workers, peak_rss_mb < 500, workers_page_ms and dashboard_ms < 1000. Timings are figures to read, never test assertions.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import db as database
from db import batches, ledger, queries, store
from db.scope import EVERYTHING

from payung.base import clock, formats
from payung.base.config import Settings
from payung.base.months import add_months, current_month
from payung.core import Payung
from payung.operations.checks import run_checks
from payung.operations.demo import worker_rows
from payung.people.regions import load_regions
from payung.people.workers import check_workers, village_index
from payung.schemes.model import MONTHS_AHEAD

CHUNK = 20_000
BENCH_SCHEME = "bench_scheme"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fresh(path: Path, settings: Settings):
    db = database.open_database(path)
    load_regions(db, settings, actor="bench")
    return db


def _median_ms(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(app: Payung, *, workers: int = 200_000, keep: Path | None = None, seed: int = 7,
        out: Callable[[str], None] = print, only: str | None = None) -> dict[str, float]:
    """Run every measurement; returns the figures it printed. ``only="enrol"`` measures only
    the bulk enrolment, on the database an earlier run kept (``keep``)."""
    settings = app.settings
    figures: dict[str, float] = {}

    def emit(name: str, value: float) -> None:
        figures[name] = value
        out(f"{name}: {value:.2f}" if isinstance(value, float) else f"{name}: {value}")

    if only == "enrol":
        if keep is None or not keep.exists():
            from payung.base.errors import PayungError
            raise PayungError("--only enrol butuh --keep BERKAS dari uji kinerja sebelumnya.")
        db = database.open_database(keep)
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
    with tempfile.TemporaryDirectory(prefix="payung-bench-") as tmp:
        tmpdir = Path(tmp)
        main_path = keep or tmpdir / "bench.db"
        if keep and keep.exists():
            keep.unlink()
        db = _fresh(main_path, settings)
        names = village_index(db)
        villages = sorted(names)
        district_names = queries.region_names(db, 3)

        # 1. Validation: raw rows generated in chunks (untimed), checked by the domain rules (timed).
        rows: list[tuple] = []
        columns: tuple[str, ...] = ()
        validate_s = 0.0
        taken: set[str] = set()
        produced = 0
        while produced < workers:
            chunk = list(worker_rows(villages, min(CHUNK, workers - produced), rng, today=today, taken_niks=taken))
            taken.update(r["nik"] for r in chunk)
            produced += len(chunk)
            start = time.perf_counter()
            checked = check_workers(chunk, settings=settings, villages=names, today=today)
            validate_s += time.perf_counter() - start
            for c in checked:
                if c.ok:
                    columns = columns or tuple(c.row)
                    rows.append(tuple(c.row.values()))
            del chunk, checked
        taken.clear()
        emit("workers", len(rows))
        emit("validate_rows_per_s", round(produced / validate_s, 0))

        # 2. Bulk path of the data layer vs. a bare executemany, same rows, same schema.
        start = time.perf_counter()
        store.bulk_insert(db, "workers", columns, rows, actor="bench", note="bench")
        bulk_s = time.perf_counter() - start
        floor_db = _fresh(tmpdir / "floor.db", settings)
        stamp = store.now()
        start = time.perf_counter()
        batches.bare_insert(floor_db, "workers", (*columns, "created_at", "updated_at"),
                            (r + (stamp, stamp) for r in rows))
        floor_s = time.perf_counter() - start
        floor_db.close()
        emit("bulk_insert_s", round(bulk_s, 3))
        emit("floor_insert_s", round(floor_s, 3))
        emit("insert_ratio", round(bulk_s / floor_s, 2))
        del rows

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
        # The core's peak; what follows runs in child processes and reports its own.
        emit("peak_rss_mb", round(_peak_rss_mb(), 1))
        for name, value in _import_figures(tmpdir, settings, workers, names, district_names, today).items():
            emit(name, value)
        for name, value in _page_figures(main_path, settings).items():
            emit(name, value)
    return figures


class _Discarded(Exception):
    """Rolls the floor's load back."""


def _fill_lines(db, months: list[str], rng: random.Random, scheme_of: dict[str, str]) -> tuple[float, float]:
    """Sponsors, sponsorships and lines through the bulk path (the bench is not about rules).
    Each worker is covered by a scheme of their regency (``scheme_of``: regency -> scheme).

    Before the lines are written, the same lines are inserted by one bare ``executemany``
    (no audit, no running totals, the indexes built once after the load, as the bulk path
    does) and rolled back: the floor they are compared with. Returns
    that floor's seconds and the seconds (wall, CPU) to leave out of the fill (floor and rollback)."""
    store.insert(db, "schemes", {"code": BENCH_SCHEME, "name": "Skema uji kinerja", "regency_code": "33.24",
                                 "plugin": "bench"}, actor="bench")

    def scheme(village: str) -> str:
        return scheme_of.get(village[:5], BENCH_SCHEME)
    store.bulk_insert(db, "sponsors", ("type", "name"), [("perorangan", f"Donatur {i}") for i in range(1000)],
                      actor="bench")
    workers = batches.worker_places(db)
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


def _page_figures(path: Path, settings: Settings) -> dict[str, float]:
    """Page timings under AppTest, measured by ``ui.bench_pages`` in a child process (the
    core does not import Streamlit)."""
    done = subprocess.run(
        [sys.executable, "-m", "ui.bench_pages", "--db", str(path), "--config", str(settings.path)],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=600,
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


def _import_figures(tmpdir: Path, settings: Settings, workers: int, names: dict[str, str],
                    districts: dict[str, str], today: dt.date) -> dict[str, float]:
    """Import a generated file of ``workers`` rows, as CSV and as XLSX, each into a fresh
    database through ``python -m payung import`` (what a regency would run). Village names
    repeat across districts; the file's district column makes them unambiguous."""
    import csv

    from openpyxl import Workbook

    csv_path, xlsx_path = tmpdir / "pekerja.csv", tmpdir / "pekerja.xlsx"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(IMPORT_HEADERS)
        writer.writerows(_import_file_rows(sorted(names), names, districts, workers, random.Random(11), today))
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Pekerja")
    sheet.append(IMPORT_HEADERS)
    for row in _import_file_rows(sorted(names), names, districts, workers, random.Random(11), today):
        sheet.append(row)
    book.save(xlsx_path)

    figures: dict[str, float] = {}
    peaks = []
    for label, path in (("import_csv_s", csv_path), ("import_xlsx_s", xlsx_path)):
        target = tmpdir / f"{label}.db"
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _REPORT_PEAK, "import", "workers", str(path), "--db", str(target), "--config",
             str(settings.path), "--json"],
            cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=900,
        )
        figures[label] = round(time.perf_counter() - start, 2)
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        figures[label.replace("_s", "_cpu_s")] = round(used.ru_utime + used.ru_stime - children.ru_utime
                                                       - children.ru_stime, 2)
        if done.returncode != 0:
            raise RuntimeError(f"import benchmark failed: {done.stderr[-2000:]}")
        summary = json.loads(done.stdout)
        figures[label.replace("_s", "_imported")] = summary["imported"]
        peaks.append(int(done.stderr.rsplit("VmHWM_kB ", 1)[1].split()[0]) / 1024)
    figures["import_peak_rss_mb"] = round(max(peaks), 1)
    return figures


# Runs the CLI and prints the process's own peak RSS at exit. (A child's ru_maxrss would also
# count the parent's size at fork; VmHWM starts afresh at exec.)
_REPORT_PEAK = (
    "import atexit, runpy, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            sys.stderr.write('VmHWM_kB ' + line.split()[1] + '\\n')\n"
    "atexit.register(peak)\n"
    "sys.argv = ['payung', *sys.argv[1:]]\n"
    "runpy.run_module('payung', run_name='__main__', alter_sys=True)\n"
)

