"""Backups and the way back.

- ``make_backup``: a consistent online copy (SQLite backup API), made by an admin, audited.
- ``daily_backup``: once a day, on the app's first run of the day and before the CLI commands
  that write, a copy in ``[backups] folder``, keeping the last ``keep`` (``config.toml``).
- ``restore_backup``: a copy checked first (a Payung database, sound, a schema this code knows,
  every check green), the current database backed up, then copied into the live database with
  the backup API in one step, so other sessions' connections see either the old data or the
  restored data, never a mix. Every id, amount and date of the copy is checked first
  (``db.consistency.value_problems``); what the restore adds (the accounts kept, its audit entry,
  the schemes of the plugins loaded now) is written into the copy before the swap, so a restore
  either completes with all of it and a marker beside the database that tells open sessions,
  or leaves the live database byte for byte as it was.
- A restore brings back the DATA, not the accounts: the users as they are now (password hash,
  active or not, role, regency, villages) are put into the copy before it goes live, users
  that exist only in the backup are not restored, and every session is ended, the restoring
  administrator's too (``db.consistency.keep_live_accounts``). So a backup cannot bring back an old
  password, a deactivated account, a wider role or a session ended by logout.
- Backups, the backup folder and the database files are for the owner only (0600/0700): they
  hold every NIK (``private_file``, ``private_folder``).
- On PostgreSQL a backup is a ``pg_dump`` archive (``.dump``). A restore makes a new database
  on the same server with Payung's own migrations, loads only the archive's rows into it (never
  its SQL: ``db.pg_backup``), checks it as above, and then, under the write lock every Payung
  process takes, dumps the live data and replaces it with the checked rows in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import db as database
from db import consistency, pg_backup, store, transfer, versions
from db.migrations import SchemaTooNew, check_not_newer, known, migrate, schema_at

from payung.auth.access import Actor, require
from payung.base import clock
from payung.base.config import Limits, Settings
from payung.base.errors import ConfigError, DatabaseError, PayungError
from payung.operations.checks import run_checks

AUTO_PREFIX = "payung-otomatis-"
MIGRATION_SET = "payung"


class RestoreRefused(PayungError):
    """The file cannot be restored; the live database was not touched."""


class BackupFailed(PayungError):
    """Today's automatic backup could not be made (a full disk, a folder not writable...)."""


@dataclass(frozen=True)
class BackupSettings:
    folder: Path
    #: Automatic backups kept (0: no automatic backups).
    keep: int


def backup_settings(settings: Settings) -> BackupSettings:
    """``[backups]`` of the configuration: ``folder`` (relative to the data folder, the SQLite
    database's; default ``cadangan``) and ``keep`` (default 14)."""
    raw = settings.backups
    keep = raw.get("keep", 14)
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
        raise ConfigError(f"backups: 'keep' harus bilangan bulat 0 atau lebih, bukan {keep!r}.")
    folder = Path(str(raw.get("folder", "cadangan")))
    if not folder.is_absolute():
        folder = settings.data_dir / folder
    return BackupSettings(folder, keep)


def backup_suffix(settings: Settings) -> str:
    """What a backup of this database is: a SQLite file (``.db``) or a pg_dump archive (``.dump``)."""
    return ".db" if settings.engine == "sqlite" else pg_backup.SUFFIX


def write_backup(db, settings: Settings, target: str | os.PathLike, *, actor: Actor) -> Path:
    """A consistent copy of the live database in ``target`` (0600): SQLite's backup API, or
    ``pg_dump``. Raises ``DatabaseError``."""
    require(actor, "backup.manage")
    if settings.engine == "sqlite":
        return database.backup(db, target)
    return pg_backup.dump(settings.database_url, target)


def make_backup(db, settings: Settings, *, actor: Actor, now: dt.datetime) -> Path:
    require(actor, "backup.manage")
    folder = backup_settings(settings).folder
    database.private_folder(folder)
    target = write_backup(db, settings, folder / f"payung-{now:%Y%m%d-%H%M%S}{backup_suffix(settings)}", actor=actor)
    # Copies hold every NIK (UU PDP): who made one is recorded.
    store.audit(db, actor.username, "backup", "database", None, None, {"file": str(target)})
    return target


# Automatic backups ---------------------------------------------------------------------------

_done_today: dict[str, dt.date] = {}


def automatic_backups(settings: Settings) -> list[Path]:
    """The automatic backups kept, newest first."""
    folder = backup_settings(settings).folder
    return sorted(folder.glob(f"{AUTO_PREFIX}*.db"), reverse=True) if folder.is_dir() else []


def daily_backup(settings: Settings, *, today: dt.date | None = None) -> Path | None:
    """Make today's automatic backup unless it exists; keep the last ``keep``. Returns the new
    file, or None (already made today, automatic backups off, or no database yet). Cheap when
    already done: one dictionary lookup per process, else one directory listing. Raises
    ``BackupFailed`` when the copy cannot be made (never fatal to the caller's work). Nothing on
    PostgreSQL: its server's own backups."""
    if settings.database is None:
        return None
    try:
        return _daily_backup(settings, today or clock.today())
    except (OSError, database.DatabaseError) as exc:
        raise BackupFailed(str(exc)) from exc


def _daily_backup(settings: Settings, today: dt.date) -> Path | None:
    live = Path(settings.database)
    if _done_today.get(str(live)) == today:
        return None
    config = backup_settings(settings)
    if config.keep == 0 or not live.exists() or live.stat().st_size == 0:
        return None
    target = config.folder / f"{AUTO_PREFIX}{today:%Y%m%d}.db"
    made = None
    if not target.exists():
        database.private_folder(config.folder)
        lock = config.folder / f".{target.name}.lock"
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return None  # another process is making it now
        try:
            os.close(fd)
            source = database.connect(live)
            try:
                made = database.backup(source, target)
            finally:
                source.close()
        finally:
            lock.unlink(missing_ok=True)
    for old in automatic_backups(settings)[config.keep:]:
        old.unlink(missing_ok=True)
    _done_today[str(live)] = today
    return made


# Restore -------------------------------------------------------------------------------------

def _staging_path(settings: Settings, now: dt.datetime) -> Path:
    live = Path(settings.database)
    return live.with_name(f".{live.name}.pulih-{now:%Y%m%d-%H%M%S-%f}.db")


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


_KINDS = {"table": "tabel", "view": "view", "trigger": "trigger", "index": "indeks"}
_NOT_CHANGED = "Basis data yang berjalan tidak diubah."


def _named(kind: str, name: str) -> str:
    shown = name if len(name) <= 60 else name[:60] + "..."
    return f"{_KINDS.get(kind, kind)} \"{shown}\""


def schema_differences(found: dict, expected: dict) -> list[str]:
    """What a file's schema (``db.consistency.schema_objects``) has more, less or otherwise than
    the schema Payung makes, in words: ``tambahan trigger "x"``, ``tidak ada indeks "y"``..."""
    def order(keys):  # tables first: a missing table says more than its missing indexes
        return sorted(keys, key=lambda key: (list(_KINDS).index(key[0]) if key[0] in _KINDS else 9, key[1]))

    differences = [f"tambahan {_named(*key)}" for key in order(found.keys() - expected.keys())]
    differences += [f"tidak ada {_named(*key)}" for key in order(expected.keys() - found.keys())]
    differences += [f"{_named(*key)} berbeda" for key in order(found.keys() & expected.keys())
                    if found[key] != expected[key]]
    return differences


def _check_schema(copy, names: list[str]) -> None:
    """Refuse a file whose tables, columns, indexes, triggers and views are not exactly those a
    fresh Payung database has at the same migration level: a trigger added to ``sessions``
    could recreate an administrator at every sign-in, a dropped guard would make the audit log
    editable, a view in place of a table would break every write."""
    known_names = known()
    if names != known_names[:len(names)]:
        raise RestoreRefused(f"Catatan migrasi dalam berkas ini tidak dikenal ({', '.join(names)[:200]}): bukan basis "
                             f"data Payung yang utuh. {_NOT_CHANGED}")
    differences = schema_differences(consistency.schema_objects(copy), schema_at(tuple(names)))
    if differences:
        shown = "; ".join(differences[:8]) + (f"; dan {len(differences) - 8} lagi" if len(differences) > 8 else "")
        raise RestoreRefused(f"Susunan basis data dalam cadangan ini berbeda dari basis data Payung ({shown}). Berkas "
                             f"ini mungkin diubah di luar Payung dan tidak dipulihkan. {_NOT_CHANGED}")


def value_limits(limits: Limits) -> dict[str, int | tuple[int, int]]:
    """The numbers a restored row may hold besides ids (``db.consistency.value_problems``): amounts
    up to ``[limits]``, years and months of sane size."""
    income = limits.max_income  # a month's contribution is a share of the declared income
    return {"workers.declared_income": income, "sponsorships.declared_income": income,
            "sponsorships.monthly_amount": income, "payments.amount": limits.max_payment,
            "payment_allocations.amount": limits.max_payment, "claims.benefit_amount": limits.max_claim,
            "budget_lines.amount": limits.max_budget, "budget_lines.year": (1900, 2199),
            "sponsorships.months": (1, 1200), "sponsorships.payment_period": (1, 1200),
            **{f"contribution_lines.{c}": income for c in ("jkk", "jkm", "jht", "amount", "paid_amount")}}


def verify_backup(path: Path, *, upgrade: bool = True, limits: Limits | None = None):
    """Check a copy before it may replace the live database; upgrades an older schema in place
    (``path`` must be a staging copy). Returns the check report; raises ``RestoreRefused``.
    Whatever SQLite says while reading a broken or crafted file is a refusal, never a crash."""
    try:
        return _verify(path, upgrade, limits or Limits())
    except database.DatabaseError as exc:
        raise RestoreRefused(f"Berkas cadangan rusak atau tidak dikenal: SQLite tidak dapat membacanya ({exc}). "
                             f"{_NOT_CHANGED}") from None


def _verify(path: Path, upgrade: bool, limits: Limits):
    try:
        copy = database.connect(path)
    except database.DatabaseError:
        raise RestoreRefused("Berkas ini bukan basis data SQLite (mungkin rusak atau berkas lain). "
                             f"{_NOT_CHANGED}") from None
    try:
        try:
            problems = consistency.integrity_problems(copy)
        except database.DatabaseError as exc:
            raise RestoreRefused(f"Berkas cadangan rusak: SQLite tidak dapat membacanya ({exc}). "
                                 f"{_NOT_CHANGED}") from None
        if problems:
            raise RestoreRefused(f"Berkas cadangan rusak: pemeriksaan keutuhan SQLite gagal ({problems[0][:300]}). "
                                 f"{_NOT_CHANGED}")
        names = consistency.migration_names(copy, MIGRATION_SET)
        if not names:
            raise RestoreRefused("Berkas ini bukan basis data Payung (tidak ada catatan migrasi Payung). "
                                 f"{_NOT_CHANGED}")
        try:
            check_not_newer(copy)
        except SchemaTooNew:
            raise RestoreRefused("Cadangan ini dibuat oleh versi Payung yang lebih baru dari aplikasi ini; "
                                 f"pasang versi Payung terbaru lalu ulangi. {_NOT_CHANGED}") from None
        _check_schema(copy, names)
        if upgrade:
            migrate(copy)
        return _checked_values_and_figures(copy, limits, derive=upgrade)
    finally:
        copy.close()


def _checked_values_and_figures(copy, limits: Limits, *, derive: bool = True):
    """Every id, amount, date and text of the copy, before anything computes with them (a sum
    that overflows, an id the next row cannot follow, a date no page can read, a name that is
    bytes, not text); then, with ``derive``, the names' search keys derived again (like a
    migration's columns: not the file's to get right); then every check. Returns the check
    report; raises ``RestoreRefused``."""
    wrong = consistency.value_problems(copy, value_limits(limits))
    if wrong:
        shown = "; ".join(wrong[:6]) + (f"; dan {len(wrong) - 6} lagi" if len(wrong) > 6 else "")
        raise RestoreRefused(f"Nilai dalam cadangan ini di luar batas yang wajar ({shown}): id, jumlah uang, "
                             f"tanggal atau teks yang tidak dibuat Payung. Berkas ini tidak dipulihkan. {_NOT_CHANGED}")
    if derive:  # after the values: a key is derived from a name known to be text
        with store.transaction(copy):
            consistency.derive_name_keys(copy)
    report = run_checks(copy)
    if not report.ok:
        failed = ", ".join(r.line() for r in report.results if not r.ok)
        raise RestoreRefused(f"Data dalam cadangan tidak konsisten ({failed}). {_NOT_CHANGED}")
    return report


def restore_backup(db, app, source: Path | bytes, *, actor: Actor, now: dt.datetime,
                   file_name: str | None = None) -> dict:
    """Replace the live database (open as ``db``) with a backup file (a path, or its bytes
    from an upload). Returns what was done: the file, the backup of the data replaced, the
    check lines."""
    require(actor, "backup.manage")
    settings: Settings = app.settings
    name = file_name or (Path(source).name if not isinstance(source, bytes) else f"unggahan{backup_suffix(settings)}")
    if settings.engine == "postgresql":
        return _restore_postgresql(db, app, source, name=name, actor=actor, now=now)
    staging = _staging_path(settings, now)
    _remove(staging)
    try:
        database.private_file(staging)
        if isinstance(source, bytes):
            staging.write_bytes(source)
        else:
            try:
                shutil.copyfile(source, staging)
                # A copy still in WAL mode may hold its last writes beside it: take them along.
                if Path(str(source) + "-wal").is_file():
                    database.private_file(Path(str(staging) + "-wal"))
                    shutil.copyfile(str(source) + "-wal", str(staging) + "-wal")
            except OSError as exc:
                raise RestoreRefused(f"Berkas {name} tidak dapat dibaca ({exc.strerror}).") from None
        report = verify_backup(staging, limits=settings.limits)
        folder = backup_settings(settings).folder
        # Other sessions' writes wait from the copy of the data being replaced to the swap:
        # none can land between the two and be lost.
        with store.writes_paused():
            database.private_folder(folder)
            before = database.backup(db, folder / f"payung-sebelum-pulih-{now:%Y%m%d-%H%M%S}.db")
            # Everything the restore writes goes into the copy BEFORE it goes live: the accounts
            # as they are now with every session ended (no login can meet the backup's users in
            # between), its audit entry (numbered above every id the live database issued) and
            # the schemes of the plugins loaded now. Whatever fails here, the live file is
            # untouched; the swap itself is one SQLite transaction.
            staged = database.connect(staging)
            try:
                done = _prepare(db, app, staged, name=name, before=before, report=report, actor=actor)
            finally:
                staged.close()
            pending = _pending_marker(settings, done, actor)
            try:
                # One step: other sessions see the old data or the restored data, never a mix.
                database.replace_contents(db, staging)
            except database.DatabaseError as exc:
                pending.unlink(missing_ok=True)
                raise RestoreRefused(f"Pemulihan gagal ({exc}); basis data yang berjalan tidak diubah.") from None
            os.replace(pending, _marker(settings))  # open sessions are told at their next run
    finally:
        _remove(staging)
    return done


def _prepare(db, app, staged, *, name: str, before: Path, report, actor: Actor) -> dict:
    """Write into the checked copy (open as ``staged``) what the restore adds to it; returns what
    was done. Any failure is a refusal: nothing of the live database has changed yet."""
    issued = store.last_audit_id(db)
    live_versions = versions.read(db)
    try:
        accounts = consistency.keep_live_accounts(staged, db, at=store.now())
        done = {"file": name, "before": str(before), "check": report.lines(), "at": store.now(), "accounts": accounts}
        with store.transaction(staged):
            consistency.audit_restore(staged, actor.username, done, above=issued)
            versions.advance_past(staged, live_versions)  # no cache takes the restored data for another's
            app.initialise(staged, actor=actor.username)  # schemes of the plugins loaded now, if the copy lacks them
        return done
    except Exception as exc:  # noqa: BLE001 - a crafted file may break any step: the restore is refused
        logging.getLogger("payung.operations.backups").warning("restore refused while preparing the copy", exc_info=True)
        raise RestoreRefused(f"Pemulihan gagal sebelum data diganti ({type(exc).__name__}: {str(exc)[:200]}). "
                             f"{_NOT_CHANGED}") from None


def _restore_postgresql(db, app, source: Path | bytes, *, name: str, actor: Actor, now: dt.datetime) -> dict:
    """``restore_backup`` on PostgreSQL: the archive's rows into a new database, checked there,
    then swapped in under the write lock (see the module's docstring)."""
    settings: Settings = app.settings
    staging = settings.data_dir / f".pulih-{now:%Y%m%d-%H%M%S-%f}{pg_backup.SUFFIX}"
    try:
        database.private_folder(settings.data_dir, tighten=False)
        database.private_file(staging)
        try:
            staging.write_bytes(source if isinstance(source, bytes) else Path(source).read_bytes())
        except OSError as exc:
            raise RestoreRefused(f"Berkas {name} tidak dapat dibaca ({exc.strerror}).") from None
        committed = False
        try:
            pg_backup.drop_stale(settings.database_url, pg_backup.RESTORE_PREFIX)  # an earlier restore's, killed
            with pg_backup.scratch_database(settings.database_url) as scratch:
                staged = database.connect(scratch)
                try:
                    report = _load_checked_archive(staged, staging, settings.limits)
                    folder = backup_settings(settings).folder
                    database.private_folder(folder)
                    # The write lock of every Payung process, from the copy of the data being
                    # replaced to the swap: no write lands between the two and is lost.
                    with store.transaction(db):
                        before = pg_backup.dump(settings.database_url, folder / (
                            f"payung-sebelum-pulih-{now:%Y%m%d-%H%M%S-%f}{pg_backup.SUFFIX}"))
                        try:
                            done = _prepare(db, app, staged, name=name, before=before, report=report, actor=actor)
                            pending = _pending_marker(settings, done, actor)
                            try:
                                transfer.copy_tables(staged, db, replace=True)
                            except BaseException:
                                pending.unlink(missing_ok=True)
                                raise
                        except BaseException:
                            before.unlink(missing_ok=True)  # nothing was replaced: no "before" to keep
                            raise
                    committed = True
                    os.replace(pending, _marker(settings))  # open sessions are told at their next run
                finally:
                    staged.close()
        except (DatabaseError, OSError, ValueError) as exc:
            if not committed:
                raise RestoreRefused(f"Pemulihan gagal ({str(exc)[:300]}). {_NOT_CHANGED}") from None
            # The data was replaced; only telling the other sessions (or tidying up) failed.
            logging.getLogger("payung.operations.backups").warning("restore done, but: %s", exc, exc_info=True)
    finally:
        staging.unlink(missing_ok=True)
    return done


def _load_checked_archive(staged, archive: Path, limits: Limits):
    """The archive's rows into ``staged`` (new and empty), at the archive's migration level and
    then upgraded; the same checks as a SQLite backup's. Returns the check report."""
    try:
        names = pg_backup.archived_migrations(archive, staged.migrations_table, MIGRATION_SET)
    except pg_backup.ArchiveRefused as exc:
        raise RestoreRefused(f"Berkas ini bukan cadangan PostgreSQL Payung ({exc}). {_NOT_CHANGED}") from None
    if not names:
        raise RestoreRefused(f"Berkas ini bukan cadangan Payung (tidak ada catatan migrasi Payung). {_NOT_CHANGED}")
    known_names = known()
    if len(names) > len(known_names) and names[:len(known_names)] == known_names:
        raise RestoreRefused("Cadangan ini dibuat oleh versi Payung yang lebih baru dari aplikasi ini; pasang versi "
                             f"Payung terbaru lalu ulangi. {_NOT_CHANGED}")
    if names != known_names[:len(names)]:
        raise RestoreRefused(f"Catatan migrasi dalam berkas ini tidak dikenal ({', '.join(names)[:200]}): bukan "
                             f"basis data Payung yang utuh. {_NOT_CHANGED}")
    migrate(staged, stop_before=known_names[len(names)] if len(names) < len(known_names) else None)
    tables = {t: transfer.columns_of(staged, t) for t in transfer.user_tables(staged)}
    try:
        with store.transaction(staged):
            pg_backup.load_archive(staged, archive, tables, skip={staged.migrations_table})
    except pg_backup.ArchiveRefused as exc:
        raise RestoreRefused(f"Isi cadangan ditolak: {exc}. {_NOT_CHANGED}") from None
    migrate(staged)
    return _checked_values_and_figures(staged, limits)


def _pending_marker(settings: Settings, done: dict, actor: Actor) -> Path:
    """The restore's marker, written beside the final one until the swap has committed."""
    pending = _marker(settings).with_name(_marker(settings).name + ".baru")
    try:
        pending.write_text(json.dumps(done | {"actor": actor.username}, ensure_ascii=False), encoding="utf-8")
    except OSError as exc:
        raise RestoreRefused(f"Pemulihan gagal: catatan pemulihan tidak dapat ditulis ({exc.strerror}). "
                             f"{_NOT_CHANGED}") from None
    return pending


def _marker(settings: Settings) -> Path:
    name = settings.database.name if settings.database else "payung"
    return settings.data_dir / f"{name}.dipulihkan.json"


def last_restore(settings: Settings) -> dict | None:
    """The last restore into this database (file, when, by whom), for open sessions."""
    try:
        return json.loads(_marker(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
