"""``python -m payung``: the command line. Every command takes ``--db PATH`` and ``--config PATH``.

Errors meant for the user are printed in Indonesian with exit status 1; nothing half-done is
left behind, since every write is a transaction.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
from pathlib import Path


from payung import __version__
from payung.auth.access import ROLES, Actor, require
from payung.base import clock
from payung.base.errors import PayungError, ValidationError
from payung.base.formats import count
from payung.core import Payung
from payung.plugin import API_VERSION


#: Who a command run on the server's shell without an account is recorded as in the audit and
#: import logs: Payung itself, as an administrator of every region (whoever has the shell has
#: the database too). No account can be called so (a username has no spaces or brackets), so
#: the log never passes it off as a person's; it was "cli", which an account could be named.
CLI_ACTOR = "sistem (baris perintah)"


#: argparse's own words (it asks gettext for them), in Indonesian: usage, section titles, the
#: help option, and the errors a typo brings.
ARGPARSE_WORDS = {
    "usage: ": "cara pakai: ",
    "positional arguments": "argumen",
    "options": "opsi",
    "show this help message and exit": "tampilkan bantuan ini lalu keluar",
    "%(prog)s: error: %(message)s\n": "%(prog)s: galat: %(message)s\n",
    "the following arguments are required: %s": "argumen berikut wajib diisi: %s",
    "unrecognized arguments: %s": "argumen tidak dikenal: %s",
    "argument %(argument_name)s: %(message)s": "argumen %(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "pilihan %(value)r tidak dikenal (pilih dari %(choices)s)",
    "invalid %(type)s value: %(value)r": "nilai %(value)r tidak sah (harus %(type)s)",
    "expected one argument": "perlu satu nilai",
    "expected at most one argument": "paling banyak satu nilai",
    "expected at least one argument": "perlu paling sedikit satu nilai",
    "ambiguous option: %(option)s could match %(matches)s": "opsi %(option)s ambigu: bisa %(matches)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "perintah %(parser_name)r tidak dikenal (pilih dari %(choices)s)",
    "one of the arguments %s is required": "salah satu argumen %s wajib diisi",
    "not allowed with argument %s": "tidak boleh bersama argumen %s",
}


@contextlib.contextmanager
def _indonesian_argparse():
    """argparse speaks Indonesian while the parser is built and reads the command line (it asks
    ``gettext`` for its words then); put back afterwards, so nothing else in the process changes."""
    english = argparse._
    argparse._ = lambda text: ARGPARSE_WORDS.get(text, english(text))
    try:
        yield
    finally:
        argparse._ = english


def _common(default=None) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--db", default=default,
                        help="berkas basis data SQLite atau URL postgresql://... (bawaan: config.toml atau "
                             "$PAYUNG_DATABASE_URL)")
    parent.add_argument("--config", default=default,
                        help="berkas konfigurasi (bawaan: config.toml atau $PAYUNG_CONFIG)")
    return parent


def _checked(check, convert=str):
    """An argparse ``type``: ``convert`` the text, refused with ``check``'s Indonesian words (exit 2)."""
    def value(text: str):
        try:
            converted = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} bukan bilangan bulat") from None
        if problem := check(converted):
            raise argparse.ArgumentTypeError(problem)
        return converted
    return value


def _address(text: str) -> str:
    from payung.operations.serve import address_problem
    return _checked(address_problem)(text)


def _port(text: str) -> int:
    from payung.operations.serve import port_problem
    return _checked(port_problem, int)(text)


def _count_of(what: str):
    return _checked(lambda n: None if n >= 1 else f"jumlah {what} paling sedikit 1, bukan {n}", int)


def build_parser() -> argparse.ArgumentParser:
    with _indonesian_argparse():
        return _build_parser()


def _build_parser() -> argparse.ArgumentParser:
    # --db and --config may come before or after the command. The command's parser leaves them
    # out when they are not given (SUPPRESS): its None would overwrite the value given before.
    common = _common(argparse.SUPPRESS)
    parser = argparse.ArgumentParser(prog="python -m payung", description="Payung: jaminan sosial pekerja rentan.",
                                     parents=[_common()])
    parser.add_argument("--version", action="version", version=f"Payung {__version__} (API plugin {API_VERSION})",
                        help="tampilkan versi Payung lalu keluar")  # argparse's own words here are not translated
    commands = parser.add_subparsers(dest="command", required=True, metavar="PERINTAH")

    schemes = commands.add_parser("schemes", parents=[common], help="daftar skema yang dimuat")
    schemes.add_argument("--json", action="store_true", help="keluaran JSON")

    commands.add_parser("init", parents=[common], help="buat atau perbarui basis data")

    users = commands.add_parser("users", parents=[common], help="kelola pengguna")
    user_commands = users.add_subparsers(dest="users_command", required=True, metavar="PERINTAH")
    add = user_commands.add_parser("add", parents=[common], help="tambah pengguna")
    add.add_argument("username")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=sorted(ROLES))
    add.add_argument("--password", help="kata sandi, minimal 10 karakter, bukan kata sandi umum"
                     " (tanpa ini: ditanyakan, atau dibaca dari stdin)")
    add.add_argument("--regency", help="kode kabupaten untuk operator/pemantau")
    add.add_argument("--village", action="append", default=[], help="kode desa untuk operator desa (boleh berulang)")
    add.add_argument("--email")
    password = user_commands.add_parser(
        "password", parents=[common], help="atur ulang kata sandi pengguna (semua sesinya diakhiri)")
    password.add_argument("username")
    password.add_argument("--password", help="kata sandi baru (tanpa ini: ditanyakan, atau dibaca dari stdin)")

    demo = commands.add_parser("demo", parents=[common], help="isi data contoh")
    demo.add_argument("--workers", type=int, default=400, help="pekerja per kabupaten (bawaan 400)")
    demo.add_argument("--seed", type=int, default=2022)

    backup = commands.add_parser("backup", parents=[common], help="salinan cadangan basis data (online): SQLite ke berkas .db, PostgreSQL ke arsip pg_dump .dump")
    backup.add_argument("file")

    imp = commands.add_parser("import", parents=[common], help="impor pekerja, penyandang dana, pembayaran atau kepesertaan")
    imp.add_argument("kind", metavar="JENIS", help="workers, sponsors, payments atau sponsorships (kepesertaan)")
    imp.add_argument("file", metavar="BERKAS", help=".xlsx atau .csv")
    imp.add_argument("--sheet", help="nama lembar kerja (.xlsx); bawaan: lembar pertama")
    imp.add_argument("--template", help="nama templat pemetaan kolom yang disimpan")
    imp.add_argument("--dry-run", action="store_true", help="periksa saja, tidak menyimpan")
    imp.add_argument("--json", action="store_true", help="ringkasan sebagai JSON")
    imp.add_argument("--rejected", help="simpan baris yang ditolak ke berkas .xlsx ini")
    imp.add_argument("--user", metavar="NAMA_PENGGUNA",
                     help="impor sebagai akun ini, dengan peran dan wilayahnya seperti di halaman Impor data "
                          "(operator desa: hanya desanya); akun harus ada dan aktif. Tanpa --user: sebagai "
                          f"sistem (administrator, semua wilayah), tercatat di log audit sebagai \"{CLI_ACTOR}\"")

    scaffold = commands.add_parser("new-scheme", parents=[common],
                                   help="buat plugin skema baru, ujinya dan blok config.toml-nya")
    scaffold.add_argument("code", metavar="KODE", help="kode skema, misalnya banyumas_zakat")
    scaffold.add_argument("--regency", required=True, help="kode kabupaten Kemendagri, misalnya 33.02")
    scaffold.add_argument("--name", required=True, help="nama skema")
    scaffold.add_argument("--plugins-dir", help="folder plugin (bawaan: plugins_dir di config.toml)")
    scaffold.add_argument("--tests-dir", help="folder uji (bawaan: tests/ di samping config.toml)")
    scaffold.add_argument("--started", help="tanggal mulai skema, misalnya 2026-01-01 (bawaan: 1 Januari tahun ini)")
    digits = commands.add_parser("digits", parents=[common],
                                 help="nomor identitas tersimpan dengan angka non-ASCII (mis. angka Arab)")
    digits.add_argument("--json", action="store_true", help="keluaran JSON")

    check = commands.add_parser("check", parents=[common], help="periksa keutuhan dan konsistensi data")
    check.add_argument("--repair", action="store_true", help="bangun ulang tabel turunan (satu transaksi, diaudit)")
    check.add_argument("--quick", action="store_true", help="PRAGMA quick_check sebagai ganti integrity_check")
    check.add_argument("--json", action="store_true", help="keluaran JSON")

    restore = commands.add_parser("restore", parents=[common], help="pulihkan basis data dari berkas cadangan")
    restore.add_argument("file")

    moving = commands.add_parser("pindah", parents=[common],
                                 help="salin basis data SQLite (--db) ke PostgreSQL yang masih kosong, lalu periksa keduanya")
    moving.add_argument("target", help="postgresql://pengguna@host:5432/basisdata (basis data baru, kosong)")
    moving.add_argument("--json", action="store_true", help="keluaran JSON")

    rules = commands.add_parser("rules", parents=[common], help="pustaka aturan skema (untuk skema TOML)")
    rules.add_argument("--markdown", action="store_true",
                       help="bagian pustaka aturan docs/plugins/reference.md, dalam Markdown")
    docs = commands.add_parser("docs", parents=[common], help="tulis bagian dokumentasi yang dibuat dari kode")
    docs.add_argument("--check", action="store_true", help="hanya periksa; status 1 bila ada yang usang")

    bench = commands.add_parser(
        "bench", parents=[common], help="uji kinerja pada data satu kabupaten atau provinsi",
        description="Uji kinerja. SQLite (--db berkas, atau bawaan): basis data uji dibuat di folder sementara; "
                    "berkas --db tidak dibaca maupun ditulis. PostgreSQL (--db atau [database] url = "
                    "postgresql://...): URL itu menunjuk server dan basis data tempat masuk, yang tidak boleh berisi "
                    "data Payung (misalnya postgresql://pengguna@host/postgres); uji membuat basis data "
                    "payung_bench_... sendiri di server itu (perlu hak CREATEDB) dan menghapusnya di akhir, juga "
                    "bila gagal atau dihentikan.")
    bench.add_argument("--workers", type=int, default=200_000, help="jumlah pekerja (bawaan 200000)")
    bench.add_argument("--keep", help="simpan basis data utama uji kinerja: di berkas ini (SQLite), atau sebagai "
                                      "basis data bernama ini di server --db (PostgreSQL)")
    bench.add_argument("--only", choices=["enrol"],
                       help="hanya kepesertaan massal (enrol_10k_s), pada basis data --keep dari uji sebelumnya")
    serve = commands.add_parser("serve", parents=[common],
                                help="jalankan Payung: beberapa proses server di belakang nginx (docs/performance.md)")
    serve.add_argument("--processes", type=_count_of("proses server"), default=2,
                       help="jumlah proses server (satu per inti CPU)")
    serve.add_argument("--address", type=_address, default="127.0.0.1",
                       help="alamat yang didengar nginx (0.0.0.0: jaringan kantor)")
    serve.add_argument("--port", type=_port, default=8501, help="port yang didengar nginx (1-65535)")
    serve.add_argument("--workdir", help="folder kerja nginx dan log server (bawaan: folder basis data/serve)")
    serve.add_argument("--streamlit-option", action="append", default=[], metavar="--NAMA=NILAI",
                       help="opsi Streamlit tambahan untuk setiap proses server")

    load = commands.add_parser("loadtest", parents=[common],
                               help="uji beban: sesi serentak satu tim kabupaten (docs/performance.md)")
    load.add_argument("--sessions", default="1,10,25,50", help="jumlah sesi per tingkat, dipisah koma")
    load.add_argument("--duration", type=float, default=120, help="detik diukur per tingkat, setelah semua masuk")
    load.add_argument("--ramp", type=float, default=1.0, help="detik antara dua sesi yang mulai")
    load.add_argument("--think", default="3-6", help="detik berpikir antara dua klik (dari-sampai)")
    load.add_argument("--workers", type=int, default=200_000, help="pekerja dalam basis data uji yang dibangun")
    load.add_argument("--data", help="basis data uji (dibangun bila belum ada; bawaan data/loadtest-N.db)")
    load.add_argument("--processes", type=int, default=1, help="proses server (lebih dari 1: di belakang proksi)")
    load.add_argument("--browsers", type=int, default=2, help="sesi Chromium sungguhan di antara sesi desa")
    load.add_argument("--server-cpus", default="0", help="CPU server (taskset -c); kosong: semua")
    load.add_argument("--client-cpus", default="1", help="CPU pembangkit beban dan perambannya; kosong: semua")
    load.add_argument("--streamlit-option", action="append", default=[], metavar="--NAMA=NILAI",
                      help="opsi Streamlit tambahan, mis. --streamlit-option=--runner.postScriptGC=true")
    # The default is the load test's own (crowd.NICE), read when the command runs: importing the
    # load test here would load Streamlit's messages into every command (+0.2 s, +18 MB; also in
    # the bench's import child, whose peak memory is a figure).
    load.add_argument("--crowd-nice", type=_not_negative, default=None,
                      help="prioritas sesi protokol di bawah peramban Chromium (nice, 0 atau lebih; 0: sama; "
                           "bawaan: NICE di payung/operations/loadtest/crowd.py)")
    load.add_argument("--results", metavar="CSV", help="tulis setiap aksi setiap tingkat ke berkas CSV ini")
    load.add_argument("--page-costs", action="store_true",
                      help="hanya ongkos CPU server per jalan per halaman (satu sesi, tanpa beban lain)")
    return parser


def _not_negative(text: str) -> int:
    """A whole number of 0 or more (``--crowd-nice``: a negative nice would raise the crowd's
    priority, which only root may; the crowd's process would fail to start)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"nilai {text!r} bukan bilangan bulat") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"nilai negatif ({value}) tidak diterima: prioritas di atas peramban butuh "
                                         "hak root; pakai 0 atau lebih (0: sama dengan peramban)")
    return value


def _open(app: Payung):
    db = app.open_db()
    app.initialise(db)
    return db


def cmd_schemes(app: Payung, args) -> int:
    schemes = [s.describe() | {"plugin": app.plugins.plugin_of(s.code)} for s in app.plugins.schemes.values()]
    problems = [{"plugin": s.name, "state": s.state, "error": s.error} for s in app.plugins.statuses
                if s.state != "aktif"]
    # Non-zero when a plugin failed to load (one switched off in config.toml is not a failure).
    status = 1 if app.plugins.errors else 0
    if args.json:
        print(json.dumps({"schemes": schemes, "plugins_not_loaded": problems}, ensure_ascii=False, indent=2))
        return status
    if not schemes:
        print("Belum ada skema yang dimuat.")
    for s in schemes:
        print(f"{s['code']:<22} {s['regency_code']:<6} {s['plugin']:<22} {s['name']}")
    for p in problems:
        print(f"[{p['state']}] plugin {p['plugin']}: {p['error']}", file=sys.stderr)
    return status


def cmd_init(app: Payung, args) -> int:
    db = app.open_db()
    try:
        done = app.initialise(db)
    finally:
        db.close()
    print(f"Basis data siap: {app.settings.database_shown} "
          f"({done['regions_added']} wilayah baru, {done['schemes_recorded']} skema dicatat).")
    return 0


def _read_password(given: str | None) -> str | None:
    """The password from ``--password``, the terminal (asked twice) or the first stdin line
    (without its line end, "\\r\\n" from a Windows file too). Bytes that are not UTF-8 become
    lone surrogates, which the password policy refuses with its own message."""
    if given is not None:
        return given
    if sys.stdin.isatty():
        try:
            password = getpass.getpass("Kata sandi: ")
            if getpass.getpass("Ulangi kata sandi: ") != password:
                print("Galat: ulangan kata sandi tidak sama.", file=sys.stderr)
                return None
        except UnicodeDecodeError:
            print("Galat: kata sandi yang diketik bukan teks UTF-8; periksa pengaturan bahasa terminal.",
                  file=sys.stderr)
            return None
        return password
    raw = getattr(sys.stdin, "buffer", None)
    line = raw.readline().decode("utf-8", "surrogateescape") if raw is not None else sys.stdin.readline()
    return line.rstrip("\r\n")


def cmd_users(app: Payung, args) -> int:
    from db import queries

    from payung.auth.users import add_user, reset_password
    password = _read_password(args.password)
    if password is None:
        return 1
    db = _open(app)
    try:
        if args.users_command == "password":
            user = queries.user_by_username(db, args.username.strip().lower())
            if user is None:
                print(f"Galat: pengguna {args.username} tidak ada.", file=sys.stderr)
                return 1
            reset_password(db, user["id"], password, actor=Actor.system(CLI_ACTOR))
            print(f"Kata sandi {user['username']} diatur ulang; semua sesinya diakhiri.")
            return 0
        add_user(db, username=args.username, name=args.name, role=args.role, password=password,
                 actor=Actor.system(CLI_ACTOR), regency_code=args.regency, email=args.email,
                 villages=tuple(args.village))
    finally:
        db.close()
    print(f"Pengguna {args.username} ({ROLES[args.role]}) dibuat.")
    return 0


def cmd_demo(app: Payung, args) -> int:
    from payung.operations.demo import generate
    db = _open(app)
    try:
        counts = generate(app, db, workers=args.workers, seed=args.seed)
    finally:
        db.close()
    n = {key: count(value) for key, value in counts.items()}
    print(f"Data contoh dibuat: {n['workers']} pekerja, {n['sponsors']} penyandang dana, "
          f"{n['budget_lines']} pos anggaran, {n['sponsorships']} kepesertaan ({n['refused']} ditolak aturan skema), "
          f"{n['payments']} pembayaran.")
    return 0


def cmd_backup(app: Payung, args) -> int:
    from payung.operations.backups import write_backup
    db = app.open_db()
    try:
        target = write_backup(db, app.settings, args.file, actor=Actor.system(CLI_ACTOR))
    finally:
        db.close()
    print(f"Cadangan tersimpan di {target}.")
    return 0


def cmd_check(app: Payung, args) -> int:
    from payung.operations.checks import repair, run_checks
    db = _open(app)
    try:
        report = run_checks(db, quick=args.quick)
        if args.repair and not report.ok:
            done = repair(db, actor=CLI_ACTOR)
            print(f"Diperbaiki: {count(done['paid_amounts'])} baris iuran, line_totals dibangun ulang "
                  f"({count(done['line_totals'])} baris), {count(done['name_texts'])} nama disimpan sebagai teks, "
                  f"{count(done['name_keys'])} kunci pencarian nama diturunkan ulang. Hasil setelah perbaikan:")
            report = run_checks(db, quick=args.quick)
    finally:
        db.close()
    if args.json:
        print(json.dumps({"ok": report.ok, "seconds": round(report.seconds, 3),
                          "checks": [r.__dict__ | {"ok": r.ok} for r in report.results]},
                         ensure_ascii=False, indent=2, default=str))
    else:
        for result in report.results:
            print(result.line())
            for example in result.examples:
                print(f"  {json.dumps(example, ensure_ascii=False, default=str)}")
    return 0 if report.ok else 1


def cmd_pindah(app: Payung, args) -> int:
    """Copy this SQLite database into an empty PostgreSQL one, check both, compare every figure."""
    from payung.operations.moving import MoveRefused, move
    try:
        report = move(app.settings.database_url, args.target, busy_timeout_ms=app.settings.busy_timeout_ms)
    except MoveRefused as exc:
        print(f"Pindah ditolak: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"ok": report.ok, "copied": report.copied, "differences": report.differences,
                          "source_check": [r.line() for r in report.source_check.results],
                          "target_check": [r.line() for r in report.target_check.results]},
                         ensure_ascii=False, indent=2))
    else:
        print(f"Disalin: {count(sum(report.copied.values()))} baris dari {len(report.copied)} tabel.")
        for mine, theirs in zip(report.source_check.results, report.target_check.results, strict=False):
            print(f"SQLite     {mine.line()}\nPostgreSQL {theirs.line()}")
        for difference in report.differences:
            print(f"BERBEDA: {difference}")
        print("Semua angka sama di kedua basis data." if report.ok else
              "Ada yang berbeda: jangan pakai basis data PostgreSQL ini sebelum diperiksa.")
        if not report.source_check.ok:  # the copy is as the source: mend the source, then move again
            print("Pemeriksaan SQLite sendiri tidak cocok: jalankan 'python -m payung check --repair' pada "
                  "berkas sumber, lalu pindah lagi ke basis data PostgreSQL baru yang kosong.")
    return 0 if report.ok else 1


def cmd_restore(app: Payung, args) -> int:
    from payung.operations.backups import restore_backup
    if not Path(args.file).is_file():
        print(f"Galat: berkas {args.file} tidak ditemukan.", file=sys.stderr)
        return 2
    db = _open(app)
    try:
        done = restore_backup(db, app, Path(args.file), actor=Actor.system(CLI_ACTOR), now=clock.now())
    finally:
        db.close()
    print(f"Basis data dipulihkan dari {done['file']}; data sebelumnya disimpan di {done['before']}.")
    accounts = done["accounts"]
    print(f"Akun pengguna tetap seperti sebelum pemulihan (kata sandi, status aktif, peran, wilayah); "
          f"{accounts['sessions_ended']} sesi diakhiri: setiap pengguna masuk lagi.")
    if accounts["accounts_not_restored"]:
        print("Pengguna yang hanya ada di cadangan tidak dipulihkan: " + ", ".join(accounts["accounts_not_restored"]))
    for line in done["check"]:
        print(line)
    return 0


#: Set once a SIGTERM has stopped the command (``_exit_on_sigterm``).
_STOPPED = {"by_sigterm": False}
#: A command stopped by SIGTERM exits with 128 + 15, as the shell reports a process it killed.
SIGTERM_STATUS = 143


def _exit_on_sigterm() -> None:
    """A SIGTERM (``kill``) ends the command with ``SystemExit(143)``, so that its ``finally``
    blocks run: a bench drops its PostgreSQL databases, a load test stops its servers and
    browsers. Every later SIGTERM is ignored: one arriving during that cleanup would raise
    inside it and leave a database or a server behind. The signal can land half-way through a
    statement, leaving that connection unusable: the cleanup's error then replaces the
    ``SystemExit``, and ``main`` still exits with 143, saying what the cleanup met."""
    import signal

    def stop(*_) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _STOPPED["by_sigterm"] = True
        raise SystemExit(SIGTERM_STATUS)
    signal.signal(signal.SIGTERM, stop)


def cmd_bench(app: Payung, args) -> int:
    from payung.operations.bench import run
    # A stopped bench drops its PostgreSQL databases and removes its files (the finally blocks run).
    _exit_on_sigterm()
    try:
        figures = run(app, workers=args.workers, keep=args.keep, only=args.only)
    except KeyboardInterrupt:
        print("Uji kinerja dihentikan.", file=sys.stderr)
        return 130
    return 1 if any(name.endswith("_failed") for name in figures) else 0  # an import failed: it says why


def cmd_serve(app: Payung, args) -> int:
    from payung.operations.serve import serve
    workdir = Path(args.workdir) if args.workdir else app.settings.data_dir.resolve() / "serve"
    return serve(app, processes=args.processes, address=args.address, port=args.port, workdir=workdir,
                 options=tuple(args.streamlit_option))


def cmd_loadtest(app: Payung, args) -> int:
    import functools

    from payung.operations.loadtest import crowd
    from payung.operations.loadtest.runner import Options, run
    # A stopped load test stops its servers and browsers too (the finally blocks run).
    _exit_on_sigterm()
    low, _, high = args.think.partition("-")
    options = Options(
        sessions=tuple(int(n) for n in args.sessions.split(",") if n.strip()), duration=args.duration,
        ramp=args.ramp, think=(float(low), float(high or low)), workers=args.workers,
        data=Path(args.data) if args.data else None, processes=args.processes, browsers=args.browsers,
        server_cpus=args.server_cpus or None, client_cpus=args.client_cpus or None,
        streamlit_options=tuple(args.streamlit_option),
        crowd_nice=crowd.NICE if args.crowd_nice is None else args.crowd_nice,
        results=Path(args.results) if args.results else None)
    if args.page_costs:
        from payung.operations.loadtest.costs import run as costs
        costs(app, options, out=functools.partial(print, flush=True))
        return 0
    levels = run(app, options, out=functools.partial(print, flush=True))
    return 0 if all(not r.error for level in levels for r in level.results) else 1


def cmd_digits(app: Payung, args) -> int:
    from db.digits import report
    db = _open(app)
    try:
        rows = report(db)
    finally:
        db.close()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("Semua NIK, NIP, KPJ dan nomor HP tersimpan dengan angka 0-9.")
    states = {"collision": "bentrok dengan id {other_id}: gabungkan data orang yang sama secara manual",
              "invalid": "bukan angka", "normalised": "dapat dinormalisasi (jalankan python -m payung init)"}
    for row in rows:
        print(f"{row['table']}.{row['column']} id {row['id']}: {row['value']!r} -> {row['normalised']!r}: "
              + states[row["status"]].format(**row))
    return 0


def read_upload(path: Path, max_mb: int) -> bytes:
    """The bytes of a file to import, read only when it is a regular file (not a device, a
    FIFO or a link to one such as ``/dev/zero``) and at most ``max_mb`` MB: the read stops one
    byte past the limit, whatever the file system says its size is."""
    import stat
    from payung.imports.reading import unreadable
    limit = max_mb << 20
    # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise unreadable("ini bukan berkas biasa (misalnya perangkat, pipa atau tautan ke salah satunya). "
                             "Simpan daftarnya sebagai berkas .xlsx atau .csv lalu impor berkas itu.")
        data = file.read(limit + 1)
    if len(data) > limit:
        raise unreadable(f"ukurannya lebih dari batas {max_mb} MB. Bagi menjadi beberapa berkas.")
    return data


def cmd_import(app: Payung, args) -> int:
    from payung.imports.plans import rejected_rows_xlsx
    from payung.imports import KINDS, apply_import, auto_map, file_hash, plan_import, read_table
    from payung.auth.users import account_actor
    from payung.imports.engine import KIND_ALIASES, WRITES
    from payung.imports.templates import template_named
    args.kind = KIND_ALIASES.get(args.kind, args.kind)
    if args.kind not in KINDS:
        print(f"Galat: jenis impor \"{args.kind}\" tidak dikenal; pilih {', '.join(KINDS)}.", file=sys.stderr)
        return 2
    db = _open(app)
    try:
        # Who acts, before the file is read: an account's role and slice, as on the Impor data
        # page (unknown or deactivated: refused, exit status 1), or without --user the system.
        actor = account_actor(db, args.user) if args.user is not None else Actor.system(CLI_ACTOR)
        require(actor, "import.run")
        require(actor, WRITES[args.kind])
        try:
            data = read_upload(Path(args.file), app.settings.limits.max_upload_mb)
        except OSError as exc:
            print(f"Galat: berkas {args.file} tidak dapat dibuka ({exc.strerror}).", file=sys.stderr)
            return 2
        sheet = read_table(data, Path(args.file).name, sheet=args.sheet, limits=app.settings.limits)
        digest = file_hash(data)
        del data  # the rows are in the reader's file now: a big file's bytes are not kept through the import
        mapping = auto_map(sheet.headers, args.kind)
        values: dict = {}
        if args.template:
            try:
                saved = template_named(db, args.kind, args.template, actor=actor)
            except ValidationError as exc:
                print(f"Galat: {exc.problems[0].message}", file=sys.stderr)
                return 2
            mapping, values = saved.columns, saved.values
        plan = plan_import(db, app.plugins, kind=args.kind, sheet=sheet, mapping=mapping, actor=actor,
                           file_name=Path(args.file).name, data_hash=digest, values=values)
        if not args.dry_run:
            apply_import(db, app.plugins, plan, actor=actor)
    finally:
        db.close()
    if args.rejected and plan.rejected:
        try:
            Path(args.rejected).write_bytes(rejected_rows_xlsx(plan))
        except OSError as exc:
            print(f"Peringatan: berkas baris yang ditolak {args.rejected} tidak dapat ditulis ({exc.strerror}); "
                  "impornya sendiri sudah selesai.", file=sys.stderr)
    if args.json:
        print(json.dumps(plan.summary(), ensure_ascii=False, indent=2))
    else:
        counts = plan.counts
        verb = "akan diimpor" if args.dry_run else "diimpor"
        print(f"{count(counts['imported'])} baru {verb}, {count(counts['updated'])} diperbarui, "
              f"{count(counts['unchanged'])} tidak berubah, {count(counts['rejected'])} ditolak.")
        for error in plan.errors[:50]:
            print(f"  baris {error.row}, kolom {error.column or '-'}: {error.message}")
        if len(plan.errors) > 50:
            print(f"  ... dan {count(len(plan.errors) - 50)} galat lainnya (pakai --json atau --rejected).")
        for typed, read in list(plan.read_as.items())[:50]:
            print(f"  dibaca mirip: \"{typed}\" sebagai {read['name']} ({count(read['count'])} baris)")
        for stored, spelled in list(plan.respelled.items())[:50]:
            print(f"  ejaan nama diubah: \"{stored}\" menjadi \"{spelled}\"")
        if plan.respelled_count > 50:
            print(f"  ... dan {count(plan.respelled_count - 50)} ejaan nama lain diubah.")
    return 0


def cmd_new_scheme(app: Payung, args) -> int:
    from payung.schemes.scaffold import new_scheme
    settings = app.settings
    written = new_scheme(args.code, regency=args.regency, name=args.name,
                         plugins_dir=Path(args.plugins_dir) if args.plugins_dir else settings.plugins_dir,
                         tests_dir=Path(args.tests_dir) if args.tests_dir else settings.path.parent / "tests",
                         config_path=settings.path, started=args.started)
    for path in written:
        print(f"ditulis: {path}")
    print(f"Jalankan ujinya: python -m pytest {written[1]}")
    return 0


COMMANDS = {"new-scheme": cmd_new_scheme, "schemes": cmd_schemes, "import": cmd_import, "init": cmd_init,
            "users": cmd_users, "demo": cmd_demo, "backup": cmd_backup, "bench": cmd_bench, "digits": cmd_digits,
            "loadtest": cmd_loadtest, "serve": cmd_serve,
            "check": cmd_check, "restore": cmd_restore, "pindah": cmd_pindah}


def _writes(args) -> bool:
    """Commands that write: today's automatic backup is made before them (payung.operations.backups)."""
    return (args.command in ("init", "users", "demo", "restore") or (args.command == "import" and not args.dry_run)
            or (args.command == "check" and args.repair))


def _daily_backup(app: Payung) -> None:
    from payung.operations.backups import BackupFailed, daily_backup
    try:
        daily_backup(app.settings)
    except BackupFailed as exc:
        print(f"Peringatan: cadangan otomatis harian gagal ({exc}).", file=sys.stderr)


def cmd_rules(app: Payung, args) -> int:
    from payung.schemes.rule_library import example, render_markdown
    from payung.schemes.rules import LIBRARY
    if args.markdown:
        print(render_markdown(), end="")
        return 0
    for name in LIBRARY:
        print(f"{name:<26} {example(name)['rule'].description}")
    return 0


COMMANDS["rules"] = cmd_rules


def cmd_docs(app: Payung, args) -> int:
    """The generated sections of docs/: written in place, or (``--check``) only compared."""
    from payung import docs
    if args.check:
        stale = docs.stale()
        for name in stale:
            print(f"usang: {name}")
        return 1 if stale else 0
    for name in docs.write():
        print(f"ditulis: {name}")
    return 0


COMMANDS["docs"] = cmd_docs


def main(argv: list[str] | None = None) -> int:
    _STOPPED["by_sigterm"] = False  # a command run again in the same process was not stopped
    parser = build_parser()
    with _indonesian_argparse():
        args = parser.parse_args(argv)
    try:
        app = Payung.load(args.config, database_path=args.db)
        if _writes(args):
            _daily_backup(app)
        return COMMANDS[args.command](app, args)
    except ValidationError as exc:
        for problem in exc.problems:
            print(f"Galat: {problem.message}", file=sys.stderr)
        return 1
    except PayungError as exc:
        if _STOPPED["by_sigterm"]:  # the cleanup after a kill met the connection the kill cut
            print(f"Dihentikan (SIGTERM); saat membereskan: {exc}", file=sys.stderr)
            return SIGTERM_STATUS
        print(f"Galat: {exc}", file=sys.stderr)
        return 1
