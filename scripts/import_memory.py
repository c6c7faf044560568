"""Peak memory and seconds of a worker CSV import, through the path the bench measures.

    python scripts/import_memory.py 200000 [--db URL] [--step]

Generates an N-row file as a regency keeps it (``bench._import_file_rows``), loads the regions
into a new database (a SQLite file in a temporary folder, or a new database on the PostgreSQL
server of ``--db``), then runs ``python -m payung import workers`` in a child and prints that
child's peak resident memory (VmHWM), the reader's own peak and the seconds. ``--step`` also
prints VmHWM after each stage (read, plan, apply) from inside the child. Not a test: a figure
for a person to read (check ``uptime`` first).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from db import pg_backup, queries  # noqa: E402
from payung.base import clock  # noqa: E402
from payung.base.config import database_environment, load_settings  # noqa: E402
from payung.operations import bench  # noqa: E402
from payung.people.workers import village_index  # noqa: E402

# The child: the CLI's import, with VmHWM printed after each stage when asked.
_CHILD = bench._REPORT_PEAK.replace(
    "sys.argv = ",
    "import os\n"
    "if os.environ.get('PAYUNG_STEP_PEAKS'):\n"
    "    import payung.imports as imports, payung.cli as cli\n"
    "    def watch(name):\n"
    "        inner = getattr(imports, name)\n"
    "        def wrapped(*a, **k):\n"
    "            started = __import__('time').perf_counter()\n"
    "            try:\n"
    "                done = inner(*a, **k)\n"
    "                if hasattr(done, 'reader_peak_mb'):\n"
    "                    sys.stderr.write(f'step reader child: VmHWM {done.reader_peak_mb:.0f} MB\\n')\n"
    "                return done\n"
    "            finally:\n"
    "                sys.stderr.write(f'step {name}: VmHWM {peak_mb():.0f} MB after '\n"
    "                                 f'{__import__(\"time\").perf_counter() - started:.1f} s\\n')\n"
    "        setattr(imports, name, wrapped)\n"
    "    for name in ('read_table', 'plan_import', 'apply_import'):\n"
    "        watch(name)\n"
    "sys.argv = ",
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int)
    parser.add_argument("--db", help="a PostgreSQL server's URL (default: a SQLite file)")
    parser.add_argument("--step", action="store_true")
    args = parser.parse_args()
    settings = load_settings(ROOT / "config.toml")
    today = clock.today()
    with contextlib.ExitStack() as stack:
        tmpdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="payung-import-memory-")))
        if args.db:
            location = stack.enter_context(pg_backup.scratch_database(args.db, prefix=bench.PREFIX,
                                                                      purpose="untuk uji kinerja"))
        else:
            location = str(tmpdir / "import.db")
        db = bench._fresh(location, settings)
        names = village_index(db)
        districts = queries.region_names(db, 3)
        db.close()
        path = tmpdir / "pekerja.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, delimiter=";")
            writer.writerow(bench.IMPORT_HEADERS)
            writer.writerows(bench._import_file_rows(sorted(names), names, districts, args.rows, random.Random(11),
                                                     today))
        env = database_environment(location)
        if args.step:
            env["PAYUNG_STEP_PEAKS"] = "1"
        started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run([sys.executable, "-c", _CHILD, "import", "workers", str(path), "--config",
                               str(settings.path), "--json"], cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_s = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
        for line in done.stderr.splitlines():
            print(line)
        if done.returncode:
            sys.exit(f"import failed ({done.returncode})")
        import json
        summary = json.loads(done.stdout)
        print(f"rows {args.rows} engine {'postgresql' if args.db else 'sqlite'} imported {summary['imported']} "
              f"rejected {summary['rejected']} seconds {seconds:.1f} cpu_seconds {cpu_s:.1f} "
              f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
