"""Versioned schema migrations (sqlite-utils ``Migrations``).

Append new migrations at the end; never edit one that has shipped. Opening an older database
applies what it misses, in place; opening one written by a newer Payung is refused.
"""

from __future__ import annotations

import functools

from sqlite_utils import Database, Migrations

from payung.base.errors import PayungError

migrations = Migrations("payung")


class SchemaTooNew(PayungError):
    """The database was upgraded by a newer Payung than this one."""


@migrations()
def m001_initial(db: Database) -> None:
    for statement in _INITIAL.split(";\n"):
        if statement.strip():
            db.execute(statement)


@migrations()
def m002_village_operators_and_allocations(db: Database) -> None:
    """Villages assigned to a ``desa`` user, and which lines each payment paid."""
    db.execute(
        """CREATE TABLE user_villages (
            user_id INTEGER NOT NULL REFERENCES users(id),
            village_code TEXT NOT NULL REFERENCES regions(code),
            PRIMARY KEY (user_id, village_code)
        )"""
    )
    db.execute(
        """CREATE TABLE payment_allocations (
            payment_id INTEGER NOT NULL REFERENCES payments(id),
            line_id INTEGER NOT NULL REFERENCES contribution_lines(id),
            amount INTEGER NOT NULL CHECK (amount > 0),
            PRIMARY KEY (payment_id, line_id)
        )"""
    )
    db.execute("CREATE INDEX payment_allocations_line ON payment_allocations (line_id)")


@migrations()
def m003_imports(db: Database) -> None:
    """A log of every import (who, when, which file, what came of it) and saved column maps."""
    db.execute(
        """CREATE TABLE import_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            file_name TEXT NOT NULL,
            file_hash TEXT NOT NULL,
            imported INTEGER NOT NULL,
            updated INTEGER NOT NULL,
            unchanged INTEGER NOT NULL,
            rejected INTEGER NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE import_templates (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            mapping TEXT NOT NULL,
            created_by TEXT NOT NULL,
            UNIQUE (kind, name)
        )"""
    )


@migrations()
def m004_money(db: Database) -> None:
    """Budget lines, bills by party, payment reversals and receipts, the BPJS answer."""
    db.execute(
        """CREATE TABLE budget_lines (
            id INTEGER PRIMARY KEY,
            scheme_code TEXT NOT NULL REFERENCES schemes(code),
            year INTEGER NOT NULL,
            name TEXT NOT NULL,
            source TEXT NOT NULL,
            amount INTEGER NOT NULL CHECK (amount > 0),
            sponsor_id INTEGER REFERENCES sponsors(id),
            category TEXT,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX budget_lines_scheme ON budget_lines (scheme_code, year)")
    db.execute("ALTER TABLE contribution_lines ADD COLUMN budget_line_id INTEGER REFERENCES budget_lines(id)")
    db.execute("CREATE INDEX lines_budget ON contribution_lines (budget_line_id, month)")
    db.execute("ALTER TABLE sponsorships ADD COLUMN bpjs_note TEXT")
    # A payment settles a bill: one sponsor's, one OPD's (salary deductions) or one budget
    # line's, for a range of months. sponsor_id is kept for bills of one sponsor only.
    for column, kind in (("party_kind", "TEXT NOT NULL DEFAULT 'sponsor'"), ("party_key", "TEXT"),
                         ("party_label", "TEXT"), ("from_month", "TEXT"), ("to_month", "TEXT")):
        db.execute(f"ALTER TABLE payments ADD COLUMN {column} {kind}")
    db.execute("UPDATE payments SET party_key = CAST(sponsor_id AS TEXT),"
               " party_label = (SELECT name FROM sponsors WHERE id = payments.sponsor_id)")
    db["payments"].transform(not_null={"sponsor_id": False})
    db.execute("CREATE INDEX payments_party ON payments (scheme_code, party_kind, party_key)")
    db.execute("ALTER TABLE claims ADD COLUMN recorded_by TEXT")
    db.execute("ALTER TABLE claims ADD COLUMN paid_on TEXT")


@migrations()
def m005_line_totals(db: Database) -> None:
    """Running totals of contribution lines per month, scheme, district, gender and birth year,
    kept by triggers: the dashboard reads a year of a regency from a few thousand rows instead
    of 2,4 million lines. (SQLite trigger syntax; PostgreSQL needs its own trigger functions.)"""
    db.execute(
        """CREATE TABLE line_totals (
            month TEXT NOT NULL,
            scheme_code TEXT NOT NULL,
            district_code TEXT NOT NULL,
            gender TEXT NOT NULL,
            birth_year TEXT NOT NULL,
            lines INTEGER NOT NULL,
            protected INTEGER NOT NULL,
            billed INTEGER NOT NULL,
            paid INTEGER NOT NULL,
            PRIMARY KEY (month, scheme_code, district_code, gender, birth_year)
        )"""
    )
    add = """INSERT INTO line_totals (month, scheme_code, district_code, gender, birth_year, lines, protected,
                                       billed, paid)
             SELECT NEW.month, NEW.scheme_code, NEW.district_code, w.gender, substr(w.birth_date, 1, 4), 1,
                    NEW.paid_amount = NEW.amount, NEW.amount, NEW.paid_amount
             FROM workers w WHERE w.id = NEW.worker_id
             ON CONFLICT (month, scheme_code, district_code, gender, birth_year) DO UPDATE SET
               lines = lines + 1, protected = protected + excluded.protected, billed = billed + excluded.billed,
               paid = paid + excluded.paid;"""
    remove = """UPDATE line_totals SET lines = lines - 1, protected = protected - (OLD.paid_amount = OLD.amount),
                  billed = billed - OLD.amount, paid = paid - OLD.paid_amount
                WHERE month = OLD.month AND scheme_code = OLD.scheme_code AND district_code = OLD.district_code
                  AND (gender, birth_year) = (SELECT gender, substr(birth_date, 1, 4) FROM workers
                                              WHERE id = OLD.worker_id);"""
    db.execute(f"CREATE TRIGGER line_totals_insert AFTER INSERT ON contribution_lines BEGIN {add} END")
    db.execute(f"CREATE TRIGGER line_totals_delete AFTER DELETE ON contribution_lines BEGIN {remove} END")
    db.execute("CREATE TRIGGER line_totals_update AFTER UPDATE OF month, scheme_code, district_code, amount, paid_amount"
               f" ON contribution_lines BEGIN {remove} {add} END")
    # Occupations per scheme from the index alone.
    db.execute("DROP INDEX lines_month_occupation")
    db.execute("CREATE INDEX lines_month_occupation ON contribution_lines"
               " (month, occupation, scheme_code, amount, paid_amount)")
    db.execute(
        """INSERT INTO line_totals
           SELECT l.month, l.scheme_code, l.district_code, w.gender, substr(w.birth_date, 1, 4), COUNT(*),
                  SUM(l.paid_amount = l.amount), SUM(l.amount), SUM(l.paid_amount)
           FROM contribution_lines l JOIN workers w ON w.id = l.worker_id
           GROUP BY l.month, l.scheme_code, l.district_code, w.gender, substr(w.birth_date, 1, 4)"""
    )



_INITIAL = """
CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
    kind TEXT NOT NULL,
    parent_code TEXT REFERENCES regions(code),
    postal_code TEXT
);
CREATE INDEX regions_parent ON regions (parent_code);
CREATE TABLE workers (
    id INTEGER PRIMARY KEY,
    nik TEXT NOT NULL UNIQUE CHECK (length(nik) = 16),
    name TEXT NOT NULL,
    birth_place TEXT,
    birth_date TEXT NOT NULL,
    gender TEXT NOT NULL CHECK (gender IN ('L', 'P')),
    phone TEXT,
    address TEXT,
    village_code TEXT NOT NULL REFERENCES regions(code),
    district_code TEXT NOT NULL REFERENCES regions(code),
    regency_code TEXT NOT NULL REFERENCES regions(code),
    occupation TEXT NOT NULL,
    declared_income INTEGER NOT NULL CHECK (declared_income > 0),
    poverty_flag INTEGER NOT NULL DEFAULT 0,
    poverty_source TEXT,
    wage_earner INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    extra TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX workers_village ON workers (village_code);
CREATE INDEX workers_district ON workers (district_code);
CREATE INDEX workers_regency ON workers (regency_code);
CREATE INDEX workers_occupation ON workers (occupation);
CREATE INDEX workers_name ON workers (name);
CREATE TABLE sponsors (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    nik TEXT,
    nip TEXT,
    employee_number TEXT,
    opd TEXT,
    village_code TEXT REFERENCES regions(code),
    district_code TEXT REFERENCES regions(code),
    regency_code TEXT REFERENCES regions(code),
    phone TEXT,
    email TEXT,
    address TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    extra TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX sponsors_nip ON sponsors (nip) WHERE nip IS NOT NULL;
CREATE INDEX sponsors_type ON sponsors (type);
CREATE INDEX sponsors_village ON sponsors (village_code);
CREATE INDEX sponsors_opd ON sponsors (opd);
CREATE TABLE schemes (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    regency_code TEXT NOT NULL,
    plugin TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE sponsorships (
    id INTEGER PRIMARY KEY,
    scheme_code TEXT NOT NULL REFERENCES schemes(code),
    sponsor_id INTEGER NOT NULL REFERENCES sponsors(id),
    worker_id INTEGER NOT NULL REFERENCES workers(id),
    programs TEXT NOT NULL,
    start_month TEXT NOT NULL,
    months INTEGER NOT NULL CHECK (months > 0),
    end_month TEXT NOT NULL,
    declared_income INTEGER NOT NULL CHECK (declared_income > 0),
    monthly_amount INTEGER NOT NULL CHECK (monthly_amount >= 0),
    payment_period INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'diajukan',
    kpj TEXT,
    fields TEXT NOT NULL DEFAULT '{}',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX sponsorships_scheme ON sponsorships (scheme_code, status);
CREATE INDEX sponsorships_sponsor ON sponsorships (sponsor_id);
CREATE INDEX sponsorships_worker ON sponsorships (worker_id);
CREATE INDEX sponsorships_start ON sponsorships (start_month);
CREATE TABLE contribution_lines (
    id INTEGER PRIMARY KEY,
    sponsorship_id INTEGER NOT NULL REFERENCES sponsorships(id),
    worker_id INTEGER NOT NULL REFERENCES workers(id),
    sponsor_id INTEGER NOT NULL REFERENCES sponsors(id),
    scheme_code TEXT NOT NULL REFERENCES schemes(code),
    month TEXT NOT NULL,
    village_code TEXT NOT NULL,
    district_code TEXT NOT NULL,
    occupation TEXT NOT NULL,
    jkk INTEGER NOT NULL CHECK (jkk >= 0),
    jkm INTEGER NOT NULL CHECK (jkm >= 0),
    jht INTEGER NOT NULL CHECK (jht >= 0),
    amount INTEGER NOT NULL CHECK (amount = jkk + jkm + jht),
    paid_amount INTEGER NOT NULL DEFAULT 0 CHECK (paid_amount BETWEEN 0 AND amount),
    UNIQUE (worker_id, month)
);
CREATE INDEX lines_month_scheme ON contribution_lines (month, scheme_code, amount, paid_amount);
CREATE INDEX lines_month_district ON contribution_lines (month, district_code, amount, paid_amount);
CREATE INDEX lines_month_occupation ON contribution_lines (month, occupation, amount, paid_amount);
CREATE INDEX lines_sponsor ON contribution_lines (sponsor_id, month);
CREATE INDEX lines_sponsorship ON contribution_lines (sponsorship_id);
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    sponsor_id INTEGER NOT NULL REFERENCES sponsors(id),
    scheme_code TEXT NOT NULL REFERENCES schemes(code),
    paid_on TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    reference TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    reversed_at TEXT,
    reversed_by TEXT,
    reversal_reason TEXT
);
CREATE INDEX payments_sponsor ON payments (sponsor_id, paid_on);
CREATE TABLE claims (
    id INTEGER PRIMARY KEY,
    worker_id INTEGER NOT NULL REFERENCES workers(id),
    sponsorship_id INTEGER REFERENCES sponsorships(id),
    program TEXT NOT NULL CHECK (program IN ('JKK', 'JKM')),
    incident_date TEXT NOT NULL,
    benefit_amount INTEGER NOT NULL DEFAULT 0 CHECK (benefit_amount >= 0),
    status TEXT NOT NULL DEFAULT 'diajukan',
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX claims_worker ON claims (worker_id);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'desa', 'viewer')),
    password_hash TEXT NOT NULL,
    regency_code TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    table_name TEXT NOT NULL,
    row_id TEXT,
    before TEXT,
    after TEXT
);
CREATE INDEX audit_table_row ON audit_log (table_name, row_id);
CREATE INDEX audit_at ON audit_log (at);
CREATE INDEX audit_actor ON audit_log (actor)
"""


def known() -> list[str]:
    return [m.name for m in migrations._migrations]


def check_not_newer(db: Database) -> None:
    """Refuse a database that has migrations this version of Payung does not know."""
    unknown = [m.name for m in migrations.applied(db) if m.name not in known()]
    if unknown:
        raise SchemaTooNew(
            "Basis data ini sudah diperbarui oleh versi Payung yang lebih baru "
            f"(migrasi yang tidak dikenal: {', '.join(unknown)}). Pasang versi Payung terbaru; "
            "basis data tidak diubah."
        )


@functools.lru_cache(maxsize=16)
def schema_at(applied: tuple[str, ...]) -> dict[tuple[str, str], tuple[str, str]]:
    """The schema (``db.consistency.schema_objects``) a fresh Payung database has after exactly the
    migrations ``applied`` (the first ones of ``known()``, in order): built in memory."""
    from db.consistency import schema_objects
    from db.connection import connect
    names = known()
    if list(applied) != names[:len(applied)]:
        raise ValueError(f"not a prefix of the known migrations: {applied!r}")
    fresh = connect(":memory:")
    try:
        migrations.apply(fresh, stop_before=names[len(applied)] if len(applied) < len(names) else None)
        return schema_objects(fresh)
    finally:
        fresh.close()


def migrate(db: Database, *, stop_before: str | None = None) -> list[str]:
    """Bring the schema up to date; returns the names of the migrations applied now."""
    check_not_newer(db)
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db, stop_before=stop_before)
    applied = {m.name for m in migrations.applied(db)}
    return [name for name in pending if name in applied]


@migrations()
def m006_sessions_and_audit(db: Database) -> None:
    """Server-side login sessions (the cookie only names one; logout and password changes end
    them), and an audit log without secrets that can only be appended to.

    Old audit rows are redacted BEFORE the triggers that forbid UPDATE and DELETE exist."""
    db.execute(
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            ended_at TEXT,
            ended_reason TEXT,
            ip_address TEXT,
            user_agent TEXT
        )"""
    )
    db.execute("CREATE INDEX sessions_user ON sessions (user_id, ended_at)")
    # Failed logins are counted from the audit log (table "login", row_id = the name typed).
    db.execute("CREATE INDEX audit_action_row_at ON audit_log (action, row_id, at)")
    for column in ("before", "after"):
        for secret in ("password_hash", "token_hash"):
            db.execute(
                f"UPDATE audit_log SET {column} = json_set({column}, '$.{secret}', '***')"
                f" WHERE json_valid({column}) AND json_type({column}, '$.{secret}') IS NOT NULL"
                f" AND json_extract({column}, '$.{secret}') IS NOT '***'"
            )
    db.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
               " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    db.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
               " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")


@migrations()
def m007_ascii_digits(db: Database) -> None:
    """NIK, NIP, KPJ and phone numbers typed with full-width or Arabic-Indic digits, stored
    before Payung folded them to ASCII: normalised where the ASCII number is nobody else's;
    where it collides (one person registered twice), left as it is and reported by
    ``python -m payung digits``."""
    import logging

    from db.digits import report
    for row in report(db, fix=True, actor="migrasi m007_ascii_digits"):
        if row["status"] != "normalised":
            logging.getLogger("payung.migrations").warning(
                "m007_ascii_digits: %s.%s id %s %r: %s", row["table"], row["column"], row["id"], row["value"],
                row["status"])


@migrations()
def m008_line_totals_follow_workers(db: Database) -> None:
    """line_totals are keyed by the worker's gender and birth year, read from ``workers`` when a
    line is written: correcting a covered worker's birth date or gender left their lines under
    the old key, and the next payment took them off the new one. Now an update of those fields
    moves the worker's lines between totals rows, a line moved to another worker moves too, and
    the totals are rebuilt once from the lines. (SQLite trigger syntax, like m005.)"""

    def move(sign: str, who: str) -> str:
        return f"""INSERT INTO line_totals (month, scheme_code, district_code, gender, birth_year, lines, protected,
                                            billed, paid)
                   SELECT month, scheme_code, district_code, {who}.gender, substr({who}.birth_date, 1, 4),
                          {sign}COUNT(*), {sign}SUM(paid_amount = amount), {sign}SUM(amount), {sign}SUM(paid_amount)
                   FROM contribution_lines WHERE worker_id = {who}.id
                   GROUP BY month, scheme_code, district_code
                   ON CONFLICT (month, scheme_code, district_code, gender, birth_year) DO UPDATE SET
                     lines = lines + excluded.lines, protected = protected + excluded.protected,
                     billed = billed + excluded.billed, paid = paid + excluded.paid;"""

    db.execute(
        "CREATE TRIGGER line_totals_worker_update AFTER UPDATE OF gender, birth_date ON workers"
        " WHEN OLD.gender IS NOT NEW.gender OR substr(OLD.birth_date, 1, 4) IS NOT substr(NEW.birth_date, 1, 4)"
        f" BEGIN {move('-', 'OLD')} {move('', 'NEW')} END"
    )
    # The line trigger of m005 also for a line given to another worker (whose key may differ).
    add = """INSERT INTO line_totals (month, scheme_code, district_code, gender, birth_year, lines, protected,
                                       billed, paid)
             SELECT NEW.month, NEW.scheme_code, NEW.district_code, w.gender, substr(w.birth_date, 1, 4), 1,
                    NEW.paid_amount = NEW.amount, NEW.amount, NEW.paid_amount
             FROM workers w WHERE w.id = NEW.worker_id
             ON CONFLICT (month, scheme_code, district_code, gender, birth_year) DO UPDATE SET
               lines = lines + 1, protected = protected + excluded.protected, billed = billed + excluded.billed,
               paid = paid + excluded.paid;"""
    remove = """UPDATE line_totals SET lines = lines - 1, protected = protected - (OLD.paid_amount = OLD.amount),
                  billed = billed - OLD.amount, paid = paid - OLD.paid_amount
                WHERE month = OLD.month AND scheme_code = OLD.scheme_code AND district_code = OLD.district_code
                  AND (gender, birth_year) = (SELECT gender, substr(birth_date, 1, 4) FROM workers
                                              WHERE id = OLD.worker_id);"""
    db.execute("DROP TRIGGER line_totals_update")
    db.execute("CREATE TRIGGER line_totals_update AFTER UPDATE OF month, scheme_code, district_code, amount,"
               f" paid_amount, worker_id ON contribution_lines BEGIN {remove} {add} END")
    db.execute("DELETE FROM line_totals")
    db.execute(
        """INSERT INTO line_totals
           SELECT l.month, l.scheme_code, l.district_code, w.gender, substr(w.birth_date, 1, 4), COUNT(*),
                  SUM(l.paid_amount = l.amount), SUM(l.amount), SUM(l.paid_amount)
           FROM contribution_lines l JOIN workers w ON w.id = l.worker_id
           GROUP BY l.month, l.scheme_code, l.district_code, w.gender, substr(w.birth_date, 1, 4)"""
    )


@migrations()
def m009_letterheads(db: Database) -> None:
    """The kop surat texts an administrator sets on the page Kop surat, per regency: they take
    precedence over ``[letterhead]`` in config.toml (an empty column falls back to it)."""
    db.execute(
        """CREATE TABLE letterheads (
            regency_code TEXT PRIMARY KEY,
            government TEXT,
            office TEXT,
            address TEXT,
            official TEXT,
            official_title TEXT,
            nip TEXT,
            created_at TEXT,
            updated_at TEXT
        )"""
    )


@migrations()
def m010_rt_numbers(db: Database) -> None:
    """Pringsewu's RW and RT numbers became whole numbers (a form typed "001", an Excel cell 1:
    one RT): numbers stored as text before ("001") are written as numbers, so "one head per RT"
    counts them with the new ones. Text that is no number is left for a person to see."""
    for key in ("rw", "rt"):
        db.execute(
            f"UPDATE sponsorships SET fields = json_set(fields, '$.{key}', CAST(json_extract(fields, '$.{key}') AS INTEGER))"
            f" WHERE scheme_code = 'pringsewu_uc' AND json_valid(fields) AND json_type(fields, '$.{key}') = 'text'"
            f" AND json_extract(fields, '$.{key}') GLOB '[0-9]*' AND NOT json_extract(fields, '$.{key}') GLOB '*[^0-9]*'"
        )


@migrations()
def m011_data_versions(db: Database) -> None:
    """Counters that writes move forward (``db.versions``): caches are kept until the data they
    were computed from changes, and every server process sees a new scheme file."""
    db.execute("CREATE TABLE data_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    for name in ("data", "workers", "schemes"):
        db.execute("INSERT INTO data_versions (name, version) VALUES (?, 1)", [name])


@migrations()
def m012_indexes_for_pages_under_load(db: Database) -> None:
    """Indexes the busiest pages need on a regency's 200.000 workers (issue 24):

    - a village operator's Beranda reads the lines of its villages (it scanned every line of
      twelve months: 1,5 s a run);
    - a district chosen on the Beranda counts its villages and occupations from the index (the
      old month+district index sent each line to the table);
    - a scheme's bills read its lines of some months with who pays them, from the index alone;
    - the late list and the Beranda's arrears read only the unpaid lines (a partial index: most
      lines are paid)."""
    db.execute("CREATE INDEX lines_village_month ON contribution_lines"
               " (village_code, month, scheme_code, occupation, amount, paid_amount)")
    db.execute("DROP INDEX lines_month_district")
    db.execute("CREATE INDEX lines_month_district ON contribution_lines"
               " (month, district_code, village_code, occupation, amount, paid_amount)")
    db.execute("CREATE INDEX lines_scheme_month ON contribution_lines"
               " (scheme_code, month, sponsor_id, sponsorship_id, worker_id, amount, paid_amount)")
    db.execute("CREATE INDEX lines_unpaid ON contribution_lines"
               " (scheme_code, month, worker_id, sponsorship_id, sponsor_id, amount, paid_amount, district_code,"
               " village_code) WHERE paid_amount < amount")


@migrations()
def m020_scheme_versions(db: Database) -> None:
    """Each save of a scheme on the Skema page is a version (its TOML text, who, when); a
    sponsorship records the version it was made under; a scheme can be retired (no new
    enrolments; its sponsorships, bills and code stay). Standard SQL only."""
    db.execute(
        """CREATE TABLE scheme_versions (
            id INTEGER PRIMARY KEY,
            scheme_code TEXT NOT NULL,
            version INTEGER NOT NULL,
            toml TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (scheme_code, version)
        )"""
    )
    db.execute("ALTER TABLE sponsorships ADD COLUMN scheme_version INTEGER")
    db.execute("ALTER TABLE schemes ADD COLUMN retired_at TEXT")
    db.execute("ALTER TABLE schemes ADD COLUMN retired_by TEXT")


@migrations()
def m021_regencies_and_occupations(db: Database) -> None:
    """Regencies and occupations an administrator adds on the Skema page, merged with those of
    config.toml (which stay the default): a regency's name and UMK (``umk_by_year``: JSON
    ``{"2026": 2450000}``), an occupation's label and synonyms (JSON list). Standard SQL only."""
    db.execute(
        """CREATE TABLE regency_settings (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            umk INTEGER NOT NULL DEFAULT 0,
            umk_by_year TEXT NOT NULL DEFAULT '{}',
            created_at TEXT,
            updated_at TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE occupations (
            code TEXT PRIMARY KEY,
            label TEXT NOT NULL,
            synonyms TEXT NOT NULL DEFAULT '[]',
            created_at TEXT,
            updated_at TEXT
        )"""
    )
