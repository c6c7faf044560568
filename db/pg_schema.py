"""PostgreSQL's triggers, beside SQLite's in ``db.migrations``: the same rules, in PL/pgSQL.

- ``line_totals`` follows ``contribution_lines`` in the transaction that writes them, as
  SQLite's per-line triggers of m005/m008 keep it, but set-based: one statement-level trigger
  per INSERT, UPDATE and DELETE adds and takes off the lines it touched (its transition
  tables) with one aggregate each, so a payment marking 10.000 lines paid or a ``COPY`` of a
  million lines costs one GROUP BY, not a trigger call per line. A row emptied to zero stays,
  as on SQLite (``payung check`` counts it as absent).
- A worker whose gender or birth year changes moves their lines between totals rows (m008).
- ``audit_log`` refuses UPDATE, DELETE and TRUNCATE (m006).
"""

from __future__ import annotations

_KEY = "month, scheme_code, district_code, gender, birth_year"

#: The lines of a transition table ``{rows}`` as totals: +1 or -1 times each figure.
_AGGREGATE = """SELECT r.month, r.scheme_code, r.district_code, w.gender, substr(w.birth_date, 1, 4) AS birth_year,
        {sign}COUNT(*) AS lines, {sign}SUM(CASE WHEN r.paid_amount = r.amount THEN 1 ELSE 0 END) AS protected,
        {sign}SUM(r.amount) AS billed, {sign}SUM(r.paid_amount) AS paid
    FROM {rows} r JOIN workers w ON w.id = r.worker_id
    GROUP BY r.month, r.scheme_code, r.district_code, w.gender, substr(w.birth_date, 1, 4)"""

#: Add totals (``{source}``: a SELECT of key and figures) to line_totals, creating rows.
_ADD = f"""INSERT INTO line_totals AS t ({_KEY}, lines, protected, billed, paid)
    {{source}}
    ON CONFLICT ({_KEY}) DO UPDATE SET lines = t.lines + excluded.lines,
        protected = t.protected + excluded.protected, billed = t.billed + excluded.billed,
        paid = t.paid + excluded.paid"""

#: Take totals off existing rows only (SQLite's ``UPDATE ... WHERE key``: no negative rows).
_TAKE = """UPDATE line_totals t SET lines = t.lines - x.lines, protected = t.protected - x.protected,
        billed = t.billed - x.billed, paid = t.paid - x.paid
    FROM ({source}) x
    WHERE (t.month, t.scheme_code, t.district_code, t.gender, t.birth_year)
        = (x.month, x.scheme_code, x.district_code, x.gender, x.birth_year)"""

#: The lines an UPDATE changed in what line_totals counts, as they were (``o``) or are (``n``).
_MOVED = """(SELECT {side}.* FROM before o JOIN after n ON n.id = o.id
    WHERE (o.month, o.scheme_code, o.district_code, o.amount, o.paid_amount, o.worker_id)
        IS DISTINCT FROM (n.month, n.scheme_code, n.district_code, n.amount, n.paid_amount, n.worker_id))"""

_LINE_TRIGGERS = f"""
CREATE FUNCTION line_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_ADD.format(source=_AGGREGATE.format(sign="", rows="added"))};
    RETURN NULL;
END $$;

CREATE FUNCTION line_totals_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_TAKE.format(source=_AGGREGATE.format(sign="", rows="removed"))};
    RETURN NULL;
END $$;

-- An update moves the lines whose key or figures changed: off their old totals, onto the new.
CREATE FUNCTION line_totals_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_TAKE.format(source=_AGGREGATE.format(sign="", rows=_MOVED.format(side="o")))};
    {_ADD.format(source=_AGGREGATE.format(sign="", rows=_MOVED.format(side="n")))};
    RETURN NULL;
END $$;

CREATE TRIGGER line_totals_insert AFTER INSERT ON contribution_lines
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION line_totals_add();
CREATE TRIGGER line_totals_delete AFTER DELETE ON contribution_lines
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION line_totals_remove();
CREATE TRIGGER line_totals_update AFTER UPDATE ON contribution_lines
    REFERENCING OLD TABLE AS before NEW TABLE AS after FOR EACH STATEMENT EXECUTE FUNCTION line_totals_change()
"""

_WORKER_TRIGGER = f"""
CREATE FUNCTION line_totals_worker_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_ADD.format(source='''SELECT month, scheme_code, district_code, OLD.gender, substr(OLD.birth_date, 1, 4),
        -COUNT(*), -SUM(CASE WHEN paid_amount = amount THEN 1 ELSE 0 END), -SUM(amount), -SUM(paid_amount)
        FROM contribution_lines WHERE worker_id = OLD.id GROUP BY month, scheme_code, district_code''')};
    {_ADD.format(source='''SELECT month, scheme_code, district_code, NEW.gender, substr(NEW.birth_date, 1, 4),
        COUNT(*), SUM(CASE WHEN paid_amount = amount THEN 1 ELSE 0 END), SUM(amount), SUM(paid_amount)
        FROM contribution_lines WHERE worker_id = NEW.id GROUP BY month, scheme_code, district_code''')};
    RETURN NULL;
END $$;

CREATE TRIGGER line_totals_worker_update AFTER UPDATE OF gender, birth_date ON workers FOR EACH ROW
    WHEN (OLD.gender IS DISTINCT FROM NEW.gender
          OR substr(OLD.birth_date, 1, 4) IS DISTINCT FROM substr(NEW.birth_date, 1, 4))
    EXECUTE FUNCTION line_totals_worker_moves()
"""

_AUDIT_TRIGGERS = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT
    EXECUTE FUNCTION audit_log_append_only()
"""


def _run(db, script: str) -> None:
    for statement in script.split(";\n\n"):
        if statement.strip():
            db.execute(statement)


def line_totals_triggers(db) -> None:
    """m005 on PostgreSQL: line_totals follows its lines (and, unlike SQLite's m005 trigger,
    a line given to another worker already: the update trigger compares ``worker_id`` too)."""
    _run(db, _LINE_TRIGGERS)


def line_totals_follow_workers(db) -> None:
    """m008 on PostgreSQL: a worker's corrected gender or birth year moves their lines."""
    _run(db, _WORKER_TRIGGER)


def audit_log_append_only(db) -> None:
    """m006 on PostgreSQL: the audit log can only be appended to."""
    _run(db, _AUDIT_TRIGGERS)
