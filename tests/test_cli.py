"""The command line, run as a user would: ``python -m payung ...`` in a subprocess."""

import atexit
import functools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import pg_server
from conftest import REGENCIES, ROOT, engine_available, postgres, write_config
from payung.operations.bench import BOUNDS
from payung.operations.bench import run as run_bench


@functools.cache
def config() -> Path:
    """A copy of the configuration under test (see conftest.BASE_CONFIG) with the plugin folder
    under test and, unless --db says otherwise, a temporary database (made when first needed,
    removed when the tests end)."""
    folder = Path(tempfile.mkdtemp(prefix="payung-cli-"))
    atexit.register(shutil.rmtree, folder, True)
    return write_config(folder)


def payung(*args, stdin: str | None = None, env: dict | None = None):
    """``python -m payung ...`` on the configuration under test."""
    return subprocess.run([sys.executable, "-m", "payung", *args], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, env={**os.environ, "PAYUNG_CONFIG": str(config()), **(env or {})},
                          timeout=300)


def configured_regencies() -> int:
    return REGENCIES


def loaded_schemes() -> dict[str, str]:
    """code -> regency of the schemes the configuration under test loads (as the CLI loads them,
    installed packages included): whatever they are, the CLI must list them all."""
    from payung.core import Payung
    return {code: s.regency_code for code, s in Payung.load(config()).plugins.schemes.items()}


def test_demo_then_schemes_json(tmp_path):
    db = tmp_path / "x.db"
    done = payung("demo", "--workers", "60", "--db", str(db))
    assert done.returncode == 0, done.stderr
    expected = 60 * configured_regencies()
    assert f"{expected} pekerja" in done.stdout
    listed = payung("schemes", "--json", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    listed_schemes = {s["code"]: s["regency_code"] for s in data["schemes"]}
    assert listed_schemes == loaded_schemes() and listed_schemes
    assert data["plugins_not_loaded"] == []
    with sqlite3.connect(db) as conn:
        workers = conn.execute("SELECT COUNT(*), COUNT(DISTINCT nik) FROM workers").fetchone()
        regions = conn.execute("SELECT COUNT(*) FROM regions WHERE level = 4").fetchone()[0]
    assert workers == (expected, expected) and regions > 800


def test_demo_fills_every_scheme(tmp_path):
    db = tmp_path / "x.db"
    done = payung("demo", "--workers", "300", "--db", str(db))
    assert done.returncode == 0
    # Counts with the Indonesian thousands separator: "1.500 pekerja", not "1500 pekerja".
    assert f"{300 * configured_regencies():,} pekerja".replace(",", ".") in done.stdout
    with sqlite3.connect(db) as conn:
        per_scheme = dict(conn.execute("SELECT scheme_code, COUNT(*) FROM sponsorships GROUP BY scheme_code"))
        paid = conn.execute("SELECT COUNT(*) FROM contribution_lines WHERE paid_amount = amount").fetchone()[0]
    listed = {s["code"] for s in json.loads(payung("schemes", "--json", "--db", str(db)).stdout)["schemes"]}
    assert set(per_scheme) == listed == set(loaded_schemes())
    assert all(count > 0 for count in per_scheme.values()) and paid > 0


def test_demo_niks_agree_with_birth_date_gender_and_village(tmp_path):
    from payung.base.identity import check_nik
    db = tmp_path / "x.db"
    assert payung("demo", "--workers", "40", "--db", str(db)).returncode == 0
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT nik, birth_date, gender, village_code FROM workers").fetchall()
    import datetime as dt
    same_district = 0
    for nik, birth, gender, village in rows:
        result = check_nik(nik, birth_date=dt.date.fromisoformat(birth), gender=gender)
        assert result.ok, (nik, result.problems)
        same_district += result.district_code == village[:8]
    assert same_district >= 0.9 * len(rows)  # a few moved in from elsewhere


def test_database_path_from_environment(tmp_path):
    db = tmp_path / "env.db"
    assert payung("init", env={"PAYUNG_DB": str(db)}).returncode == 0
    assert db.exists()


def test_db_and_config_work_before_or_after_the_command(tmp_path):
    """``--db``/``--config`` before the command were silently ignored (the command's parser
    wrote None over them)."""
    from payung.cli import build_parser
    for argv in (["--db", "a.db", "--config", "c.toml", "schemes"], ["schemes", "--db", "a.db", "--config", "c.toml"],
                 ["--db", "a.db", "users", "add", "ani", "--name", "Ani", "--role", "admin", "--config", "c.toml"],
                 ["users", "--config", "c.toml", "password", "ani", "--db", "a.db"]):
        args = build_parser().parse_args(argv)
        assert (args.db, args.config) == ("a.db", "c.toml"), argv
    args = build_parser().parse_args(["schemes"])
    assert (args.db, args.config) == (None, None)
    config = write_config(tmp_path)
    for n, argv in enumerate((["--db", str(tmp_path / "sebelum.db"), "--config", str(config), "init"],
                              ["init", "--db", str(tmp_path / "sesudah.db"), "--config", str(config)])):
        # PAYUNG_CONFIG names a file that does not exist: only --config makes the command work.
        done = payung(*argv, env={"PAYUNG_CONFIG": str(tmp_path / "tidak-ada.toml"), "PAYUNG_DB": str(tmp_path / "env.db")})
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "sebelum.db").exists() and (tmp_path / "sesudah.db").exists()
    assert not (tmp_path / "env.db").exists()


def test_schemes_exits_non_zero_when_a_plugin_failed(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "rusak.py").write_text("raise RuntimeError('rusak')\n", encoding="utf-8")
    config = write_config(tmp_path, plugins_dir=str(folder))
    done = payung("schemes", "--config", str(config), "--db", str(tmp_path / "x.db"))
    assert done.returncode == 1 and "[galat] plugin rusak" in done.stderr
    listed = payung("schemes", "--json", "--config", str(config), "--db", str(tmp_path / "x.db"))
    assert listed.returncode == 1 and [p["plugin"] for p in json.loads(listed.stdout)["plugins_not_loaded"]] == ["rusak"]
    (folder / "rusak.py").unlink()
    regency = __import__("tomllib").loads(config.read_text())["regencies"][0]["code"]
    (folder / "baik.toml").write_text(f'code = "skema_baik"\nname = "Baik"\nregency_code = "{regency}"\n',
                                      encoding="utf-8")
    done = payung("schemes", "--config", str(config), "--db", str(tmp_path / "x.db"))
    assert done.returncode == 0, done.stderr
    # Each scheme with its plugin's name (an installed scheme package may be listed too).
    assert ["skema_baik", regency, "baik", "Baik"] in [line.split() for line in done.stdout.splitlines()]


def test_users_add_hashes_the_password(tmp_path):
    db = tmp_path / "u.db"
    done = payung("users", "add", "ani", "--name", "Ani Lestari", "--role", "operator", "--regency", "33.24",
                  "--db", str(db), stdin="payung-uji-2026\n")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(db) as conn:
        username, role, password_hash = conn.execute("SELECT username, role, password_hash FROM users").fetchone()
    assert (username, role) == ("ani", "operator")
    assert password_hash.startswith("$2") and "payung-uji-2026" not in password_hash
    weak = payung("users", "add", "budi", "--name", "Budi", "--role", "admin", "--password", "123", "--db", str(db))
    assert weak.returncode == 1 and "minimal 10 karakter" in weak.stderr


def test_backup_copies_the_database(tmp_path):
    db, copy = tmp_path / "b.db", tmp_path / "copy.db"
    assert payung("demo", "--workers", "10", "--db", str(db)).returncode == 0
    done = payung("backup", str(copy), "--db", str(db))
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT COUNT(*) FROM workers").fetchone()[0] == 10 * configured_regencies()


def test_newer_database_is_refused_with_a_clear_message(tmp_path):
    db = tmp_path / "n.db"
    assert payung("init", "--db", str(db)).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('payung', 'm999', 'x')")
    refused = payung("init", "--db", str(db))
    assert refused.returncode == 1 and "versi Payung yang lebih baru" in refused.stderr


def test_broken_config_is_reported_in_indonesian(tmp_path):
    config = write_config(tmp_path)
    config.write_text(config.read_text() + "\n[[[rusak\n")
    refused = payung("schemes", "--config", str(config))
    assert refused.returncode == 1 and "tidak dapat dibaca" in refused.stderr


#: Every figure ``python -m payung bench`` prints, on either engine (its bound lines come after).
BENCH_FIGURES = (
    "load_average", "engine", "workers", "validate_rows_per_s", "bulk_insert_s", "floor_insert_s", "insert_ratio",
    "lines", "fill_lines_s", "fill_lines_cpu_s", "fill_lines_raw_s", "fill_lines_ratio", "enrol_rows",
    "enrol_accepted", "enrol_plan_s", "enrol_apply_s", "enrol_10k_s", "import_sponsorships_rows",
    "import_sponsorships_imported", "import_sponsorships_s", "agg_district_ms", "agg_scheme_ms", "agg_occupation_ms",
    "check_quick_s", "check_differences", "peak_rss_mb", "import_csv_s", "import_csv_cpu_s", "import_csv_imported",
    "import_xlsx_s", "import_xlsx_cpu_s", "import_xlsx_imported", "import_peak_rss_mb", "workers_page_rows",
    "workers_page_ms", "dashboard_protected", "dashboard_ms", "dashboard_cached_ms", "pages_peak_rss_mb",
    "app_peak_rss_mb")


def bench_server() -> str:
    """The URL the bench is given on PostgreSQL: the test server's ``postgres`` database, as the app's role."""
    return postgres().database_url("postgres")


def bench_databases() -> set[str]:
    """The databases a bench made on the test server and did not drop."""
    with postgres().admin() as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'payung_bench%'")}


@pytest.mark.xdist_group("bench")  # the bench tests count the server's bench databases: one at a time
def test_bench_prints_every_figure(tmp_path, engine):
    location = str(tmp_path / "b.db") if engine == "sqlite" else bench_server()
    done = payung("bench", "--workers", "2000", "--db", location)
    assert done.returncode == 0, done.stderr
    names = [line.split(":")[0] for line in done.stdout.splitlines()]
    bounds = [f"bound_{name}" for name, _, _ in BOUNDS[engine]]
    assert names == [*BENCH_FIGURES, *bounds]
    figures = dict(line.split(": ") for line in done.stdout.splitlines())
    assert figures["engine"] == engine
    assert float(figures["validate_rows_per_s"]) > 0 and int(figures["lines"]) == 2000 * 12
    assert figures["workers"] == figures["import_csv_imported"] == figures["import_xlsx_imported"] == "2000"
    assert figures["check_differences"] == "0"  # the bench's data passes ``payung check``
    assert all(figures[name].endswith(" met") for name in bounds)  # said, not asserted met: "NOT met" is a figure
    if engine == "sqlite":
        assert not (tmp_path / "b.db").exists()  # --db is not the bench's database
    else:
        assert bench_databases() == set()


@pytest.mark.xdist_group("bench")
def test_a_bench_that_fails_half_way_drops_its_postgresql_databases():
    """However the bench ends, the databases it made on the server go (here: a failure after
    the main database and the floor were made)."""
    from payung.core import Payung
    engine_available("postgresql")
    made = []

    def out(line: str) -> None:
        made.append(bench_databases())
        if line.startswith("insert_ratio"):
            raise RuntimeError("gagal di tengah jalan")
    with pytest.raises(RuntimeError, match="gagal di tengah jalan"):
        run_bench(Payung.load(config(), database_path=bench_server()), workers=50, out=out)
    assert len(made[-1]) == 2  # the main database and the floor's
    assert bench_databases() == set()


@pytest.mark.xdist_group("bench")
def test_a_bench_first_sweeps_the_databases_an_earlier_killed_bench_left(monkeypatch):
    """``db.pg_backup.drop_stale`` (tested in test_pg_backups) runs before the bench makes its own."""
    from db import pg_backup
    from payung.core import Payung
    engine_available("postgresql")
    swept = []
    monkeypatch.setattr(pg_backup, "drop_stale", lambda url, prefix: swept.append((url, prefix, bench_databases())))

    def out(line: str) -> None:
        if line.startswith("workers"):  # the bench's own databases made by then
            raise RuntimeError("cukup")
    with pytest.raises(RuntimeError, match="cukup"):
        run_bench(Payung.load(config(), database_path=bench_server()), workers=50, out=out)
    assert swept == [(bench_server(), "payung_bench", set())]


@pytest.mark.xdist_group("bench")
def test_the_bench_refuses_a_payung_database_with_data():
    """A PostgreSQL URL naming a Payung database that holds data is refused (a bench loads
    millions of rows on its server); nothing is made."""
    engine_available("postgresql")
    location = pg_server.create_database(postgres())
    try:
        assert payung("init", "--db", location).returncode == 0
        refused = payung("bench", "--workers", "10", "--db", location)
        assert refused.returncode == 1 and "basis data Payung yang berisi data (" in refused.stderr, refused.stderr
        assert "regions: " in refused.stderr and refused.stdout == "" and bench_databases() == set()
    finally:
        pg_server.drop_database(postgres(), location)


def bench_app(engine: str, tmp_path: Path):
    """The app the bench runs in (in this process), on ``engine``."""
    from payung.core import Payung
    return Payung.load(config(), database_path=str(tmp_path / "b.db") if engine == "sqlite" else bench_server())


class Stop(Exception):
    """Ends a bench run in this process at a chosen line (``stop_at``)."""


def stop_at(figure: str):
    def out(line: str) -> None:
        if line.startswith(f"{figure}:"):
            raise Stop(figure)
    return out


@pytest.mark.xdist_group("bench")
def test_a_bench_that_fails_closes_its_databases_before_they_are_dropped(tmp_path, engine, monkeypatch):
    """A failure half-way (here: in the floor's load) closed neither the main database nor the
    floor's before they were removed or dropped."""
    from payung.operations import bench
    events = []
    fresh = bench._fresh

    def opened(location: str, settings):
        db = fresh(location, settings)
        close = db.close
        db.close = lambda: events.append(("close", location.rsplit("/", 1)[1])) or close()
        events.append(("open", location.rsplit("/", 1)[1]))
        return db

    def failing(*args, **kwargs):
        raise Stop("floor")
    drop = bench.pg_backup.drop_database
    monkeypatch.setattr(bench, "_fresh", opened)
    monkeypatch.setattr(bench.pg_backup, "drop_database",
                        lambda url, name: events.append(("drop", name)) or drop(url, name))
    monkeypatch.setattr(bench.batches, "bare_insert", failing)
    with pytest.raises(Stop):
        bench.run(bench_app(engine, tmp_path), workers=50, out=lambda line: None)
    names = [name for event, name in events if event == "open"]
    assert len(names) == 2  # the main database and the floor's
    for name in names:
        assert ("close", name) in events, events
        if engine == "postgresql":
            assert events.index(("close", name)) < events.index(("drop", name)), events
    if engine == "postgresql":
        assert bench_databases() == set()


@pytest.mark.xdist_group("bench")
def test_bench_keep_refuses_what_is_not_a_benchs_and_leaves_it(tmp_path, engine):
    """``--keep`` naming a Payung database (or any file) that an earlier bench did not make:
    refused, and left as it was."""
    if engine == "sqlite":
        kept = tmp_path / "kabupaten.db"
        assert payung("init", "--db", str(kept)).returncode == 0
        note = tmp_path / "catatan.txt"
        note.write_text("bukan basis data")
        for target in (kept, note):
            before = target.read_bytes()
            refused = payung("bench", "--workers", "50", "--db", str(tmp_path / "b.db"), "--keep", str(target))
            assert refused.returncode == 1 and "bukan basis data uji kinerja" in refused.stderr, refused.stderr
            assert target.read_bytes() == before
        return
    name = f"bukan_bench_{os.getpid()}"
    location = pg_server.create_database(postgres(), name=name)
    try:
        import db as database
        assert payung("init", "--db", location).returncode == 0  # a regency's Payung database
        regions = len(database.recorded_schemes(location)), count_regions(location)
        refused = payung("bench", "--workers", "50", "--db", bench_server(), "--keep", name)
        said = refused.stderr
        assert refused.returncode == 1 and f"Basis data {name} sudah ada di server itu" in said, said
        assert (len(database.recorded_schemes(location)), count_regions(location)) == regions
        assert min(regions) > 0
        assert bench_databases() == set()
    finally:
        pg_server.drop_database(postgres(), location)


def count_regions(location: str) -> int:
    import db as database
    from db import queries
    conn = database.connect(location)
    try:
        return queries.table_counts(conn, ["regions"])["regions"]
    finally:
        conn.close()


@pytest.mark.xdist_group("bench")
def test_bench_keep_replaces_an_earlier_benchs_database(tmp_path, engine):
    """``--keep`` naming what an earlier bench kept: that one goes, a new one takes its name."""
    import db as database
    from db import batches, store
    from payung.operations import bench
    app = bench_app(engine, tmp_path)
    keep = str(tmp_path / "simpan.db") if engine == "sqlite" else f"bench_simpan_{os.getpid()}"
    kept = bench._kept(None if engine == "sqlite" else bench_server(), keep)
    try:
        for run in range(2):
            with pytest.raises(Stop):
                bench.run(app, workers=50, keep=keep, out=stop_at("workers"))
            conn = database.open_database(kept)
            try:
                assert bench.BENCH_SCHEME in database.recorded_schemes(kept)
                assert batches.sponsors_named(conn, "Penanda") == [], run  # the first run's is gone
                store.insert(conn, "sponsors", {"type": "perorangan", "name": "Penanda lama"}, actor="uji")
            finally:
                conn.close()
        if engine == "postgresql":
            assert bench_databases() == set()  # but the kept one, named otherwise
    finally:
        if engine == "postgresql":
            pg_server.drop_database(postgres(), kept)


@pytest.mark.xdist_group("bench")
def test_bench_only_enrol_needs_an_earlier_benchs_database(tmp_path, engine):
    location = str(tmp_path / "b.db") if engine == "sqlite" else bench_server()
    for keep in ([], ["--keep", str(tmp_path / "tidak-ada.db") if engine == "sqlite" else "tidak_ada"]):
        refused = payung("bench", "--only", "enrol", "--db", location, *keep)
        assert refused.returncode == 1 and "--only enrol butuh --keep" in refused.stderr, refused.stderr
    assert not (tmp_path / "tidak-ada.db").exists()


@pytest.mark.xdist_group("bench")
def test_a_bench_stopped_by_sigterm_drops_its_databases():
    """``kill`` (SIGTERM, here three in a row: the later ones land in the cleanup) stops the
    bench with status 143, and the databases it made on the server go."""
    import signal
    import time
    engine_available("postgresql")
    process = subprocess.Popen([sys.executable, "-m", "payung", "bench", "--workers", "2000", "--db", bench_server()],
                               cwd=ROOT, env={**os.environ, "PAYUNG_CONFIG": str(config())},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not bench_databases():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no bench database within 240 s"
            time.sleep(0.05)
        for _ in range(3):
            process.send_signal(signal.SIGTERM)
            time.sleep(0.02)
        _, said = process.communicate(timeout=120)
        assert process.returncode == 143, said
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert bench_databases() == set()


def test_the_benchs_children_get_the_database_in_their_environment_not_on_their_command_line(tmp_path, monkeypatch):
    """A PostgreSQL URL may hold a password, and every user of the machine reads a process's
    command line (``ps``, /proc/*/cmdline): the import and the pages are told their database in
    ``PAYUNG_DATABASE_URL``, and an inherited ``PAYUNG_DB`` (spelling it otherwise, it would be
    refused beside it) is not passed on."""
    import datetime as dt

    from payung.base.config import load_settings
    from payung.operations import bench
    secret = "postgresql://payung:rahasia-sekali@db-uji.example:5432/payung_bench_1"
    monkeypatch.setenv("PAYUNG_DB", str(tmp_path / "lain.db"))
    calls = []

    def run(argv, **kwargs):
        calls.append((argv, kwargs.get("env")))
        said = '{"imported": 3}' if "import" in argv else "workers_page_ms: 1.0\npages_peak_rss_mb: 90.0"
        return subprocess.CompletedProcess(argv, 0, stdout=said, stderr="VmHWM_kB 4096\n")
    monkeypatch.setattr(bench.subprocess, "run", run)

    class Places:
        def new(self, label: str) -> str:
            return secret

    settings = load_settings(config())
    village, district = "33.24.01.2001", "33.24.01"
    figures = bench._import_figures(tmp_path, Places(), settings, 3, {village: "Desa Uji"}, {district: "Kec. Uji"},
                                    dt.date(2026, 12, 1))
    figures |= bench._page_figures(secret, settings, 3)
    assert figures["import_csv_imported"] == figures["import_xlsx_imported"] == 3 and figures["workers_page_ms"] == 1.0
    assert len(calls) == 3  # CSV, XLSX, the pages
    for argv, env in calls:
        assert not any("rahasia" in part or "postgresql:" in part for part in argv) and "--db" not in argv, argv
        assert env["PAYUNG_DATABASE_URL"] == secret and "PAYUNG_DB" not in env


def test_a_sigterm_stops_a_command_once_and_is_ignored_during_its_cleanup():
    """``kill`` stops a bench or a load test by ``SystemExit(143)``, so that its cleanup runs;
    a second SIGTERM (or one arriving during the cleanup) raised inside the cleanup and left a
    database (or a server) behind."""
    import signal

    from payung.cli import _STOPPED, _exit_on_sigterm
    before = signal.getsignal(signal.SIGTERM)
    try:
        _exit_on_sigterm()
        with pytest.raises(SystemExit) as stopped:
            signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)
        assert stopped.value.code == 143
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, before)
        _STOPPED["by_sigterm"] = False


def test_a_command_stopped_by_sigterm_exits_143_even_when_its_cleanup_meets_a_cut_connection(capsys, monkeypatch):
    """The signal can land half-way through a statement; the cleanup then used that connection
    ("another command is already in progress"), and its error replaced the ``SystemExit``: the
    bench said "Galat" and exited 1 (CI). It exits 143, and says what the cleanup met."""
    import signal

    import payung.cli as cli
    from payung.base.errors import DatabaseError

    def stopped_mid_statement(app, args) -> int:
        cli._exit_on_sigterm()
        try:
            signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)
        finally:
            raise DatabaseError("sending query and params failed: another command is already in progress")

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setitem(cli._STOPPED, "by_sigterm", False)
    monkeypatch.setitem(cli.COMMANDS, "bench", stopped_mid_statement)
    try:
        assert cli.main(["bench"]) == 143
    finally:
        signal.signal(signal.SIGTERM, before)
    said = capsys.readouterr().err
    assert "Dihentikan (SIGTERM)" in said and "another command" in said and "Galat" not in said
    # Without a SIGTERM the same error is a failure, as before.
    monkeypatch.setitem(cli._STOPPED, "by_sigterm", False)
    monkeypatch.setitem(cli.COMMANDS, "bench", lambda app, args: (_ for _ in ()).throw(DatabaseError("rusak")))
    assert cli.main(["bench"]) == 1 and "Galat: rusak" in capsys.readouterr().err


def test_bench_and_loadtest_stop_alike_and_the_crowds_priority_is_the_load_tests_own(monkeypatch):
    """Both commands install the one SIGTERM handler; without ``--crowd-nice`` the crowd runs at
    ``crowd.NICE``, and ``--crowd-nice 0`` is 0."""
    import payung.cli as cli
    from payung.operations import bench
    from payung.operations.loadtest import crowd, runner
    installed, options = [], []
    monkeypatch.setattr(cli, "_exit_on_sigterm", lambda: installed.append(True))
    monkeypatch.setattr(runner, "run", lambda app, given, out: options.append(given) or [])
    monkeypatch.setattr(bench, "run", lambda app, **kwargs: {})
    assert cli.cmd_bench(None, cli.build_parser().parse_args(["bench"])) == 0
    for argv in (["loadtest"], ["loadtest", "--crowd-nice", "0"]):
        assert cli.cmd_loadtest(None, cli.build_parser().parse_args(argv)) == 0
    assert installed == [True, True, True]
    assert [o.crowd_nice for o in options] == [crowd.NICE, 0]


def test_a_negative_crowd_nice_is_refused_in_indonesian(capsys, monkeypatch):
    """``os.nice(-1)`` fails for a user who is not root: the crowd's process did not start, and
    the load test said only that protocol sessions failed."""
    import payung.cli as cli
    monkeypatch.setitem(cli.COMMANDS, "loadtest", lambda app, args: 0)  # were it accepted: no load test run
    for value in ("-1", "x"):
        with pytest.raises(SystemExit) as refused:
            cli.main(["loadtest", "--crowd-nice", value])
        assert refused.value.code == 2
    said = capsys.readouterr().err
    assert "argumen --crowd-nice: nilai negatif (-1) tidak diterima" in said
    assert "argumen --crowd-nice: nilai 'x' bukan bilangan bulat" in said


def test_help_and_usage_errors_are_in_indonesian():
    """argparse's own "usage:", "options:", "show this help message and exit" and its errors."""
    shown = payung("--help")
    assert shown.returncode == 0
    for english in ("usage:", "options:", "positional arguments", "show this help message and exit",
                    "show program's version number and exit"):
        assert english not in shown.stdout, english
    assert shown.stdout.startswith("cara pakai: python -m payung") and "tampilkan bantuan ini lalu keluar" in shown.stdout
    assert "opsi:" in shown.stdout and "tampilkan versi Payung lalu keluar" in shown.stdout
    wrong = payung("users", "add", "ani", "--role", "raja")
    assert wrong.returncode == 2 and "galat: argumen --role: pilihan 'raja' tidak dikenal" in wrong.stderr
    assert "argumen berikut wajib diisi: --name" in payung("users", "add", "ani", "--role", "viewer").stderr
    assert "argumen tidak dikenal: --apa" in payung("schemes", "--apa").stderr
    # Only while Payung's parser works: argparse speaks English again afterwards.
    import argparse
    from payung.cli import build_parser
    build_parser()
    assert argparse._("usage: ") == "usage: "


@pytest.mark.parametrize("args,words", [
    (["--address", "bad host"], "argumen --address: alamat 'bad host' tidak sah"),
    (["--address", "127.0.0.1:80"], "argumen --address: alamat '127.0.0.1:80' tidak sah"),
    (["--address", ""], "argumen --address: alamat '' tidak sah"),
    (["--port", "99999"], "argumen --port: port 99999 tidak sah: harus 1 sampai 65535"),
    (["--port", "0"], "argumen --port: port 0 tidak sah"),
    (["--port", "lapan"], "argumen --port: 'lapan' bukan bilangan bulat"),
    (["--processes", "0"], "argumen --processes: jumlah proses server paling sedikit 1, bukan 0"),
])
def test_serve_refuses_a_bad_address_port_or_count_in_indonesian(args, words):
    refused = payung("serve", *args)
    assert refused.returncode == 2 and words in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr


def test_serve_refuses_an_address_this_machine_cannot_listen_on_before_starting_anything(tmp_path):
    """Written right but not listenable (another machine's address, an unknown host name, a port
    in use): said before any server starts, not a traceback or a server that never answers."""
    import socket

    from conftest import nginx_or_skip
    nginx_or_skip()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for args, words in ((["--address", "203.0.113.9"], "203.0.113.9 bukan alamat komputer ini"),
                            (["--address", "tidak-ada.invalid"], "nama host 'tidak-ada.invalid' tidak dikenal"),
                            (["--address", "127.0.0.1"], f"port {port} sudah dipakai program lain")):
            refused = payung("serve", "--port", str(port), "--workdir", str(tmp_path / "serve"), *args)
            assert refused.returncode == 2 and f"Galat: {words}" in refused.stderr, refused.stderr
            assert "Traceback" not in refused.stderr and "berjalan" not in refused.stdout
    assert not (tmp_path / "serve").exists(), "nothing was started"


def test_import_user_acts_with_the_accounts_role_and_villages_and_the_default_is_the_system_recorded_so(
        db_location):
    """``import --user NAME`` acted as an administrator whoever NAME was. It now acts as that
    account: a village operator imports its own village's workers only, as on the Impor data
    page; an unknown or deactivated account, or a role that may not import, is refused in
    Indonesian with exit status 1 before the file is read or any row written (the day's
    automatic backup, made before every writing command, may be made). Without --user it is the
    system, recorded under a name no account can have."""
    import db as database
    from payung.auth.access import Actor
    from payung.auth.users import actor_for, set_user_active
    system_actor = "sistem (baris perintah)"  # a username has no space: no account is recorded so
    location = db_location
    for name, role, extra in (("desa1", "desa", ["--village", "33.24.01.2001"]), ("pantau", "viewer", []),
                              ("lama", "operator", ["--regency", "33.24"])):
        made = payung("users", "add", name, "--name", name.title(), "--role", role, *extra, "--db", location,
                      "--password", "payung-uji-2026")
        assert made.returncode == 0, made.stderr
    connection = database.connect(location)
    try:
        (lama,) = connection.query("SELECT id FROM users WHERE username = 'lama'")
        set_user_active(connection, lama["id"], False, actor=Actor.system())
        assert actor_for(connection, "desa1").villages == ("33.24.01.2001",)
    finally:
        connection.close()
    folder = Path(tempfile.mkdtemp(prefix="payung-cli-user-"))
    atexit.register(shutil.rmtree, folder, True)
    csv = folder / "pekerja.csv"
    csv.write_text("NIK;Nama;Tgl Lahir;JK;Desa;Kecamatan;Pekerjaan\n"
                   "3324015708750001;Siti Aminah;17-08-1975;P;Blumah;Plantungan;Petani\n"
                   "3324011708750002;Budi Santoso;17-08-1975;L;Kediten;Plantungan;Petani\n")

    def imported(*user):
        return payung("import", "workers", str(csv), "--json", "--db", location, *user)

    for user, said in ((["--user", "siapa"], 'Pengguna "siapa" tidak ada.'),
                       (["--user", "lama"], 'Pengguna "lama" dinonaktifkan'),
                       (["--user", "pantau"], "tidak berwenang mengimpor data")):
        refused = imported(*user)
        assert refused.returncode == 1 and said in refused.stderr, refused.stderr
        assert refused.stdout == "" and "Traceback" not in refused.stderr
    village = imported("--user", " Desa1 ")
    assert village.returncode == 0, village.stderr
    summary = json.loads(village.stdout)
    assert (summary["imported"], summary["rejected"]) == (1, 1)
    assert summary["errors"] == [{"row": 3, "column": "Desa", "message":
                                  "Desa Kediten (Kecamatan Plantungan) di luar wilayah tugas Anda."}]
    system = imported()
    assert system.returncode == 0 and json.loads(system.stdout)["imported"] == 1, system.stderr
    connection = database.connect(location)
    try:
        logged = [(r["actor"], r["imported"]) for r in connection.query("SELECT actor, imported FROM import_log ORDER BY id")]
        audited = [r["actor"] for r in connection.query(
            "SELECT actor FROM audit_log WHERE table_name IN ('workers', 'import_log') ORDER BY id")]
    finally:
        connection.close()
    assert logged == [("desa1", 1), (system_actor, 1)]
    half = len(audited) // 2  # the same writes for one worker each
    assert half and audited == ["desa1"] * half + [system_actor] * half
