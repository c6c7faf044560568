"""PostgreSQL backups: ``pg_dump`` out, and back in without running what the file says.

- ``dump``: ``pg_dump``'s custom format of the whole database (consistent: one snapshot), for the
  owner only. The password of the URL goes to ``pg_dump`` through its environment, not its
  command line (which other users of the machine can read).
- ``scratch_database``: a new, empty database on the same server (the URL's user needs
  ``CREATEDB``), dropped when the block ends, for a backup to be restored into and checked
  before it replaces anything (and for the benchmark's databases, ``payung.operations.bench``).
- ``load_archive``: the ROWS of a ``pg_dump`` archive into a database Payung made itself (its own
  migrations). ``pg_restore`` is never given a database: it only translates the archive into
  text, and Payung reads that text's ``COPY`` blocks, each for a table and columns its schema
  has, and loads them with its own ``COPY`` statement. A crafted archive can carry any SQL (a
  trigger, a function, ``COPY ... FROM PROGRAM``); none of it is run.

The caller (``payung.operations.backups``) checks the loaded copy and swaps it in
(``db.transfer.copy_tables(..., replace=True)``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from db import store
from db.files import private_file, private_folder
from payung.base.errors import DatabaseError

SUFFIX = ".dump"
#: The names of a restore's checking databases begin so (``scratch_database``, ``drop_stale``).
RESTORE_PREFIX = "payung_pulih"
#: A data block of ``pg_restore --data-only``'s text: ``COPY schema.table (a, b) FROM stdin;``.
COPY_HEADER = re.compile(rb'^COPY (?:"?[\w$]+"?\.)?"?([\w$]+)"? \(([^)]*)\) FROM stdin;\n?$')
END_OF_DATA = b"\\.\n"
#: A table's rows in the archive's table of contents: ``3456; 0 16390 TABLE DATA public workers owner``.
TABLE_DATA = re.compile(rb"^\d+; \d+ \d+ TABLE DATA \S+ (\S+) ", re.MULTILINE)


class ArchiveRefused(DatabaseError):
    """The file is not a pg_dump archive of Payung's tables; nothing was loaded."""


def _program(url: str, name: str, *args: str) -> tuple[list[str], dict]:
    """The command line of ``pg_dump``/``pg_restore`` for ``url``, and its environment (the
    password, if the URL has one, as ``PGPASSWORD``)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    params = conninfo_to_dict(url)
    env = dict(os.environ)
    if params.get("password"):
        env["PGPASSWORD"] = str(params.pop("password"))
    return [name, "--no-password", *args, f"--dbname={make_conninfo(**params)}"], env


def _run(command: list[str], env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, env=env, capture_output=True, check=False, stdin=subprocess.DEVNULL, **kwargs)
    except FileNotFoundError:
        raise DatabaseError(f"Program {command[0]} tidak ditemukan: pasang paket postgresql-client "
                            "(versi yang sama dengan server atau lebih baru).") from None


def dump(url: str, target: str | os.PathLike) -> Path:
    """The whole database of ``url`` in ``target`` (``pg_dump --format=custom``), 0600."""
    target = Path(target)
    private_folder(target.parent, tighten=False)
    partial = target.with_name(target.name + ".tmp")
    partial.unlink(missing_ok=True)
    private_file(partial)
    command, env = _program(url, "pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                            "--enable-row-security", f"--file={partial}")
    # As the tables' owner, past the policies of db.rls (not forced): every row; the option only
    # keeps pg_dump from refusing to start on tables with row-level security.
    done = _run(command, env)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise DatabaseError(f"pg_dump gagal: {done.stderr.decode(errors='replace').strip()[:500]}")
    os.replace(partial, target)
    return target


def url_of_database(url: str, name: str) -> str:
    """``url`` with another database name (a ``dbname`` in its query gives way too; an empty
    host, a local socket, stays one). Raises ``DatabaseError`` if the result would not name it."""
    from psycopg.conninfo import conninfo_to_dict
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "dbname"])
    other = f"{parts.scheme}://{parts.netloc}/{name}" + (f"?{query}" if query else "")
    if conninfo_to_dict(other).get("dbname") != name:
        raise DatabaseError("Alamat basis data sementara tidak dapat dibentuk dari [database] url.")
    return other


def _made_from(origin: str) -> str:
    """The comment of a scratch database made from database ``origin`` (``drop_stale``)."""
    return f"Payung: sementara, dari {origin}"


def _lock_key(name: str) -> int:
    """The advisory lock a scratch database's maker holds while the database lives (``drop_stale``)."""
    return int.from_bytes(hashlib.sha256(f"payung-scratch:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def scratch_database(url: str, *, prefix: str = RESTORE_PREFIX, name: str | None = None, keep: bool = False,
                     purpose: str = "untuk memeriksa cadangan") -> Iterator[str]:
    """A new empty database beside the one of ``url`` (named ``name``, else ``prefix``, the
    process id and a random token); yields its URL and drops it at the end, however the block
    ends, unless ``keep``. ``purpose`` (``untuk ...``) says in each refusal what the database
    was for, and so what stopped (a restore, a benchmark).

    From before it is made until it is dropped, a connection to ``url``'s database holds the
    new one's advisory lock, and the new one's comment names that database (``_made_from``): a
    process killed on the way (``kill -9``, a machine restarted) leaves the database behind, but
    not the lock, and ``drop_stale`` knows it from one still in use. (Advisory locks live in one
    database: the comment keeps a sweep from another database on the server off this one.)"""
    import psycopg
    from psycopg import sql

    ours = name is None  # a name of this process's making is nobody else's database
    name = name or f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    scratch = url_of_database(url, name)
    created = refused = False
    holder = None
    try:
        try:
            holder = psycopg.connect(url, autocommit=True)
            origin = holder.execute("SELECT current_database() FROM pg_advisory_lock(%s)",
                                    [_lock_key(name)]).fetchone()[0]
            holder.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            created = True
            if not keep:  # a database that stays is nobody's scratch: never swept
                holder.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name),
                                                                              sql.Literal(_made_from(origin))))
        except psycopg.errors.DuplicateDatabase:
            refused = True  # the name is another's database: never dropped here
            raise DatabaseError(f"Basis data {name} sudah ada di server itu; pilih nama lain.") from None
        except psycopg.Error as exc:
            refused = not created
            raise DatabaseError(f"Basis data sementara {purpose} tidak dapat dibuat ({exc}). Pengguna "
                                "basis data Payung perlu hak CREATEDB (docs/postgresql.md).") from None
        try:
            with psycopg.connect(scratch) as check:  # never the live database: its tables are emptied
                if check.execute("SELECT current_database()").fetchone()[0] != name:
                    raise DatabaseError(f"Basis data sementara {purpose} bukan yang baru dibuat; pekerjaan {purpose} "
                                        "dihentikan.")
        except psycopg.Error as exc:
            raise DatabaseError(f"Basis data sementara {purpose} tidak dapat dibuka ({exc}).") from None
        yield scratch
    finally:
        # Also when the block was stopped (SystemExit, KeyboardInterrupt) between the CREATE and
        # here, e.g. while the connection that made it closed: then only ``ours`` says it may go.
        try:
            if not keep and not refused and (created or ours):
                drop_database(url, name)
        finally:
            if holder is not None:
                holder.close()


def drop_stale(url: str, prefix: str) -> list[str]:
    """Drop the scratch databases of ``prefix`` made from ``url``'s database (``scratch_database``'s
    own names, never a ``--keep`` name) that no process holds any more: left by one killed on
    the way. One somebody is still connected to is left (its maker's lock may have gone with a
    connection a server dropped). Returns their names; a failure is logged, never raised (the
    work that asked goes on)."""
    import psycopg
    from psycopg import sql

    own_name = re.compile(rf"{re.escape(prefix)}_\d+_[0-9a-f]{{8}}")
    dropped: list[str] = []
    try:
        with psycopg.connect(url, autocommit=True) as admin:
            names = [n for (n,) in admin.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s)"
                " AND shobj_description(oid, 'pg_database') = %s",
                [prefix + "_", _made_from(admin.execute("SELECT current_database()").fetchone()[0])]).fetchall()
                if own_name.fullmatch(n)]
            for name in names:
                key = _lock_key(name)
                if not admin.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()[0]:
                    continue  # its maker is still at work
                try:  # a plain DROP: refused while anybody is connected to it (never FORCE here)
                    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
                    dropped.append(name)
                except psycopg.Error as exc:
                    logging.getLogger("db.pg_backup").info("left %s: %s", name, exc)
                finally:
                    admin.execute("SELECT pg_advisory_unlock(%s)", [key])
    except psycopg.Error:
        logging.getLogger("db.pg_backup").warning("could not look for stale %s databases", prefix, exc_info=True)
    if dropped:
        logging.getLogger("db.pg_backup").warning("dropped stale scratch databases: %s", ", ".join(dropped))
    return dropped


def drop_database(url: str, name: str) -> bool:
    """Drop database ``name`` of the server of ``url``, if it exists, this process's pool of it
    closed first. ``WITH (FORCE)`` ends the sessions of the user's own still there (a child
    process stopped half-way), but refuses, for a user who is not a superuser, when an
    autovacuum worker is in the database: then a plain ``DROP DATABASE``, which ends autovacuum
    workers itself, and ``FORCE`` once more. A failure is logged, not raised: what the caller
    did stands, and the name says what to drop by hand. Returns whether it is gone."""
    import psycopg
    from psycopg import sql

    from db.postgres import close_pools
    close_pools(url_of_database(url, name))
    plain = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
    forced = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    try:
        with psycopg.connect(url, autocommit=True) as admin:
            for attempt, statement in enumerate((forced, plain, forced)):
                try:
                    admin.execute(statement)
                    return True
                except (psycopg.errors.ObjectInUse, psycopg.errors.InsufficientPrivilege):
                    if attempt == 2:
                        raise
    except psycopg.Error:
        logging.getLogger("db.pg_backup").warning("could not drop the scratch database %s", name, exc_info=True)
    return False


def archived_migrations(path: str | os.PathLike, migrations_table: str, migration_set: str) -> list[str]:
    """The names of the migrations of ``migration_set`` an archive records (its migrations
    table's rows), to make the database it is loaded into at the same level first."""
    names = []
    for table, columns, rows in _blocks(path, only=migrations_table):
        if table != migrations_table or not {"name", "migration_set"} <= set(columns):
            raise ArchiveRefused("catatan migrasi tidak dikenal")
        for row in rows:
            fields = row.rstrip(b"\n").split(b"\t")
            if len(fields) != len(columns):
                raise ArchiveRefused("catatan migrasi rusak")
            if _text_field(fields[columns.index("migration_set")]) == migration_set:
                names.append(_text_field(fields[columns.index("name")]))
    return sorted(names)


def load_archive(db, path: str | os.PathLike, tables: Mapping[str, Sequence[str]],
                 skip: frozenset[str] | set[str] = frozenset()) -> dict[str, int]:
    """Every row of the archive into ``db`` (open, migrated to the archive's level, in a
    transaction of the caller's), its tables emptied first and their own triggers off while
    loading; returns rows per table. Refuses (``ArchiveRefused``) a table or a column that
    ``tables`` (the schema of ``db``: table -> columns) lacks, and any row the column types
    refuse. The tables in ``skip`` (the migrations' record, which ``db`` has) are passed over."""
    from db.transfer import parents_first
    archived = archived_tables(path)
    strange = sorted(set(archived) - set(tables) - set(skip))
    if strange:
        raise ArchiveRefused(f"tabel {strange[0][:60]!r} bukan tabel Payung")
    for table in tables:
        db.execute(f"ALTER TABLE {store._name(table)} DISABLE TRIGGER USER")
    db.execute("TRUNCATE " + ", ".join(store._name(t) for t in tables))
    # A table after those it refers to (pg_dump writes them in name order), one at a time.
    blocks = (block for name in parents_first(db, [t for t in tables if t in archived])
              for block in _blocks(path, only=name))
    with closing(blocks):  # a refusal half-way ends pg_restore at once
        loaded = _copy_blocks(db, blocks, tables)
    for table in tables:
        db.execute(f"ALTER TABLE {store._name(table)} ENABLE TRIGGER USER")
        if "id" in tables[table]:
            db.reset_sequence(table)
    return loaded


def _copy_blocks(db, blocks, tables: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Each block into its table with Payung's own ``COPY`` (its table and columns checked)."""
    import psycopg
    loaded: dict[str, int] = {}
    for table, columns, rows in blocks:
        if table not in tables:
            raise ArchiveRefused(f"tabel {table[:60]!r} bukan tabel Payung")
        unknown = [c for c in columns if c not in tables[table]]
        if unknown or len(set(columns)) != len(columns):
            raise ArchiveRefused(f"kolom tabel {table} tidak dikenal: {', '.join(unknown)[:200] or 'ganda'}")
        count = 0
        try:
            with db.copy_in(store._name(table), [store._name(c) for c in columns]) as copy:
                for row in rows:
                    copy.write(row)
                    count += 1
        except psycopg.Error as exc:
            raise ArchiveRefused(f"baris tabel {table} ditolak: {str(exc).splitlines()[0][:300]}") from None
        loaded[table] = loaded.get(table, 0) + count
    return loaded


def archived_tables(path: str | os.PathLike) -> list[str]:
    """The tables whose rows the archive holds (its table of contents, ``pg_restore --list``)."""
    done = _run(["pg_restore", "--no-password", "--list", str(path)])
    if done.returncode != 0:
        raise ArchiveRefused(f"bukan arsip pg_dump yang utuh ({done.stderr.decode(errors='replace').strip()[:300]})")
    return [m.group(1).decode(errors="replace") for m in TABLE_DATA.finditer(done.stdout)]


def _blocks(path: str | os.PathLike, only: str | None = None) -> Iterator[tuple[str, list[str], Iterator[bytes]]]:
    """``(table, columns, rows)`` of each data block of the archive, rows in COPY's text format;
    each block's rows must be read before the next block. ``pg_restore`` writes text only."""
    command = ["pg_restore", "--no-password", "--data-only", "--no-owner", "--no-privileges", "--file=-"]
    if only:
        command.append(f"--table={only}")
    errors = tempfile.TemporaryFile()  # read at the end: a full pipe of warnings would stall both sides
    try:
        process = subprocess.Popen([*command, str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=errors)
    except FileNotFoundError:
        errors.close()
        raise DatabaseError("Program pg_restore tidak ditemukan: pasang paket postgresql-client.") from None
    try:
        lines = iter(process.stdout.readline, b"")
        for line in lines:
            header = COPY_HEADER.match(line)
            if not header:
                continue  # SET, comments, setval: Payung sets its own sequences
            columns = [c.strip().strip('"') for c in header.group(2).decode(errors="replace").split(",")]
            yield header.group(1).decode(errors="replace"), columns, _rows(lines)
        if process.wait() != 0:
            errors.seek(0)
            raise ArchiveRefused(f"bukan arsip pg_dump yang utuh ({errors.read(2000).decode(errors='replace').strip()[:300]})")
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()
        errors.close()


def _rows(lines: Iterator[bytes]) -> Iterator[bytes]:
    for line in lines:
        if line == END_OF_DATA:
            return
        yield line
    raise ArchiveRefused("arsip terpotong: blok data tanpa akhir")


def _text_field(field: bytes) -> str:
    """One field of COPY's text format (the migration names hold no escapes)."""
    return field.decode("utf-8", errors="replace")
