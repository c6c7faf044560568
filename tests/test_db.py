"""The database layer (``db``): foreign keys, WAL and a busy timeout, indexes for the app's
queries, upgrades in place and newer files refused, every write audited with before and after, a
failed write leaves nothing, eight writer threads lose nothing, backups are consistent copies."""

import pytest

from db.scope import EVERYTHING

import db as database
from db import migrations, queries, store
from db.migrations import SchemaTooNew
from payung.base.errors import ConstraintError
from payung.people.workers import create_worker

from conftest import at_once, refused_by_the_engine, snapshot, worker_values


def test_connection_has_foreign_keys_wal_and_busy_timeout(tmp_path):
    conn = database.open_database(tmp_path / "a.db", busy_timeout_ms=4321)
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 4321


def test_indexes_exist_for_the_app_queries(db):
    from conftest import index_names
    assert {"workers_village", "workers_district", "lines_month_scheme", "lines_month_district",
            "sponsorships_scheme", "audit_table_row", "sponsorships_end", "sponsorships_scheme_worker",
            "lines_unpaid_sponsorship"} | ({"sponsorships_not_live"} if db.engine == "postgresql" else set()) <= index_names(db)
    query = "SELECT * FROM workers WHERE nik = '3324015708750001'"
    if db.engine == "sqlite":
        plan = " ".join(str(r) for r in db.execute(f"EXPLAIN QUERY PLAN {query}").fetchall())
        assert "USING INDEX" in plan
    else:  # a table of one row is read whole unless that is ruled out: is there an index to use?
        with database.store.transaction(db), db.settings(enable_seqscan="off"):
            plan = " ".join(str(r) for r in db.execute(f"EXPLAIN {query}").fetchall())
        assert "Index Scan using workers_nik_key" in plan



@pytest.mark.sqlite_only("SQLite's query plans (PostgreSQL reads a small table whole)")
def test_the_skema_count_and_the_renewal_lists_read_their_indexes(people, monkeypatch):
    """m032: the Skema page's "Pekerja ditanggung" counts each scheme's workers from an index
    alone, in its order (it sorted 120.000 sponsorships' workers: 18 -> 74 ms on 200.000
    workers); the renewal lists ask "ended by arrears" of the unpaid lines' index, one probe a
    sponsorship (it read the sponsorship's every line)."""
    from payung.auth.access import scope_of
    from payung.enrolment import arrears
    asked = []
    query = people.db.query
    monkeypatch.setattr(people.db, "query", lambda sql, params=(): (asked.append((sql, params)), query(sql, params))[1])
    queries.live_sponsorships_by_scheme(people.db, "2026-01", scope_of(people.actor))
    arrears.ending_soon(people.db, people.app.plugins, actor=people.actor, limit=100)
    count, renewals = (" ".join(r[3] for r in people.db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
                       for sql, params in asked)
    assert "COVERING INDEX sponsorships_scheme_worker" in count and "TEMP B-TREE" not in count
    assert "INDEX lines_unpaid_sponsorship" in renewals



@pytest.mark.sqlite_only("SQLite's query plans")
def test_the_late_list_reads_the_unpaid_lines_from_their_index_alone(people, monkeypatch):
    """The late list of a scheme billed by sponsor or OPD reads its unpaid lines from the
    partial index alone: an unused join of the budget lines sent each line to the table for its
    budget line (12.563 lines of Kendal on 200.000 workers)."""
    from payung.enrolment import arrears
    asked = []
    execute = people.db.execute
    monkeypatch.setattr(people.db, "execute", lambda sql, params=(): (
        asked.append((sql, params)) if sql.startswith("WITH b") else None, execute(sql, params))[1])
    arrears.late_list(people.db, people.app.plugins, actor=people.actor)
    plans = {" ".join(r[3] for r in execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()): "b.name" in sql
             for sql, params in asked}
    assert set(plans.values()) == {False, True}  # schemes of both kinds were asked
    for plan, by_budget_line in plans.items():
        assert ("COVERING INDEX lines_unpaid " in plan) is not by_budget_line, plan


def test_the_late_list_can_read_the_unpaid_lines_from_their_index_alone_on_both_engines(people, monkeypatch):
    """What the late list reads of an unpaid line is in the partial index of unpaid lines: on
    PostgreSQL too, where an index holds no row id unless it names one (the query read ``l.id``,
    used by nothing: every line went to the table, Kendal's late list 850 -> 200 ms on 200.000
    workers). SQLite's planner takes the index by itself (the test above); PostgreSQL's is
    asked with the table scans ruled out, as its small test tables are read whole."""
    from payung.enrolment import arrears
    asked = []
    execute = people.db.execute
    monkeypatch.setattr(people.db, "execute", lambda sql, params=(): (
        asked.append((sql, params)) if sql.startswith("WITH b") else None, execute(sql, params))[1])
    arrears.late_list(people.db, people.app.plugins, actor=people.actor)
    by_sponsor = [(sql, params) for sql, params in asked if "b.name" not in sql]
    assert by_sponsor
    for sql, params in by_sponsor:
        if people.db.engine == "sqlite":
            plan = " ".join(r[3] for r in execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
            assert "COVERING INDEX lines_unpaid " in plan, plan
        else:
            with database.store.transaction(people.db), people.db.settings(enable_seqscan="off",
                                                                           enable_bitmapscan="off"):
                plan = " ".join(str(r[0]) for r in execute(f"EXPLAIN {sql}", params).fetchall())
            assert "Index Only Scan using lines_unpaid on contribution_lines" in plan, plan


def test_the_sponsorships_left_out_of_bills_and_arrears_are_read_from_their_partial_index(people, monkeypatch):
    """m033: the late list, the Beranda's arrears and a bill leave out the lines of sponsorships
    that are not live, a few refused ones, and read which they are from a partial index of
    them; they read every sponsorship of the scheme (on PostgreSQL under a regency operator's
    row security, 102.000 of Kendal one by one: 350 ms). The statuses are written into the
    statement, as the index's predicate is. PostgreSQL only (m033: on SQLite a covering index
    answers, and an empty partial index is a trap, see the test after this one)."""
    if people.db.engine == "sqlite":
        pytest.skip("m033 adds no index on SQLite")
    from payung.enrolment import arrears
    from payung.finance import bills
    asked = []
    execute, query = people.db.execute, people.db.query

    def kept(sql, params):
        if "FROM sponsorships WHERE scheme_code" in sql:
            asked.append((sql, params))

    monkeypatch.setattr(people.db, "execute", lambda sql, params=(): (kept(sql, params), execute(sql, params))[1])
    monkeypatch.setattr(people.db, "query", lambda sql, params=(): (kept(sql, params), query(sql, params))[1])
    arrears.late_list(people.db, people.app.plugins, actor=people.actor)
    arrears.late_summary(people.db, people.app.plugins, actor=people.actor)
    scheme = next(iter(people.app.plugins.schemes.values()))
    bills.parties(people.db, people.app.plugins, scheme.code, "2026-01", actor=people.actor)
    assert len(asked) >= 3  # the late list's (one a scheme), the Beranda's, the bill's
    for sql, params in asked:
        with database.store.transaction(people.db), people.db.settings(enable_seqscan="off", enable_bitmapscan="off"):
            plan = " ".join(str(r[0]) for r in execute(f"EXPLAIN {sql}", params).fetchall())
        assert "using sponsorships_not_live" in plan, plan


@pytest.mark.sqlite_only("SQLite's PRAGMA optimize")
def test_an_analysed_database_needs_no_analyze_after_the_pages_queries(site):
    """Every page's connection runs ``PRAGMA optimize`` as it closes: it analyses a table the
    connection read one of whose indexes has no statistics. An index that can stay empty (m033's
    first form, a partial index of refused sponsorships, in a regency without a refusal) never
    gets any, and every page run analysed the 120.000 sponsorships again: +50 to 100 ms a run on
    200.000 workers. After ANALYZE, what the office's pages read asks for nothing more."""
    from payung.auth.access import Actor
    from payung.enrolment import arrears
    from payung.finance import bills
    from payung.people.workers import search_workers
    app, admin = site["app"], Actor("admin", "admin")
    with app.connection() as db:
        db.execute("ANALYZE")
        arrears.late_list(db, app.plugins, actor=admin)
        arrears.late_summary(db, app.plugins, actor=admin)
        arrears.ending_soon(db, app.plugins, actor=admin, limit=100)
        for scheme in app.plugins.schemes.values():
            bills.parties(db, app.plugins, scheme.code, "2026-01", actor=admin)
        search_workers(db, app.settings, actor=admin, text="a")
        stats = {r[0] for r in db.execute("SELECT idx FROM sqlite_stat1").fetchall()}
        unanalysed = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
                      if r[0] not in stats]
        assert db.execute("PRAGMA optimize(3)").fetchall() == [], unanalysed  # 1: only say what it would do


def test_older_database_is_upgraded_in_place_without_losing_rows(tmp_path, app, admin, monkeypatch):
    path = tmp_path / "old.db"
    old = database.connect(path)
    migrations.migrate(old, stop_before="m002_village_operators_and_allocations")
    assert "user_villages" not in old.table_names()
    from payung.people.regions import load_regions
    load_regions(old, app.settings)
    with monkeypatch.context() as m:  # written as the Payung of that schema wrote it: no name_key yet
        m.setattr(store, "DERIVED_COLUMNS", {})
        worker_id = create_worker(old, app.settings, worker_values(name="Siti Aminah Nur’aini"), actor=admin)
    before = snapshot(old)
    old.close()

    upgraded = database.open_database(path)
    assert "user_villages" in upgraded.table_names()
    assert "payment_allocations" in upgraded.table_names()
    after = snapshot(upgraded)
    assert after["regions"] == before["regions"]
    assert [{k: v for k, v in row.items() if k in before["workers"][0]} for row in after["workers"]] == before["workers"]
    assert queries.worker(upgraded, worker_id, EVERYTHING)["name"] == "Siti Aminah Nur'aini"
    assert after["workers"][0]["name_key"] == "siti aminah nur'aini"


def test_newer_database_is_refused_and_left_unchanged(tmp_path):
    path = tmp_path / "new.db"
    newer = database.open_database(path)
    newer.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                  "VALUES ('payung', 'm999_from_the_future', '2030-01-01')")
    before = snapshot(newer)
    newer.close()
    with pytest.raises(SchemaTooNew, match="versi Payung yang lebih baru"):
        database.open_database(path)
    again = database.connect(path)
    assert snapshot(again) == before


def test_every_write_is_audited_with_before_and_after(db, admin):
    import json
    key = store.insert(db, "sponsors", {"type": "perorangan", "name": "Budi"}, actor="ani")
    store.update(db, "sponsors", key, {"name": "Budi Santoso"}, actor="ani")
    store.delete(db, "sponsors", key, actor="ani")
    entries = queries.audit_entries(db, table="sponsors", row_id=key)
    assert [e["action"] for e in entries] == ["delete", "update", "insert"]
    assert all(e["actor"] == "ani" and e["at"] for e in entries)
    update = entries[1]
    assert json.loads(update["before"])["name"] == "Budi" and json.loads(update["after"])["name"] == "Budi Santoso"
    assert json.loads(entries[0]["before"])["name"] == "Budi Santoso" and entries[0]["after"] is None


def test_failed_write_leaves_database_and_audit_log_as_they_were(db):
    before = snapshot(db)
    with pytest.raises(ConstraintError) as refused:
        with store.transaction(db):
            store.insert(db, "sponsors", {"type": "perorangan", "name": "Budi"}, actor="ani")
            store.insert(db, "sponsors", {"type": "perorangan", "name": None}, actor="ani")  # NOT NULL
    assert refused_by_the_engine(refused.value)
    assert snapshot(db) == before


@pytest.mark.unchecked  # sponsorships written by hand without their lines, to test one query
def test_scheme_fields_json_is_queryable(db, worker_id):
    store.insert(db, "schemes", {"code": "uji", "name": "Uji", "regency_code": "33.24", "plugin": "t"}, actor="t")
    sponsor = store.insert(db, "sponsors", {"type": "perorangan", "name": "Budi"}, actor="t")
    for year, start in ((2024, "2024-01"), (2025, "2025-01"), (2025, "2026-01")):
        store.insert(db, "sponsorships", {
            "scheme_code": "uji", "sponsor_id": sponsor, "worker_id": worker_id, "programs": "JKK,JKM",
            "start_month": start, "months": 12, "end_month": start, "declared_income": 1000000,
            "monthly_amount": 16800, "fields": {"budget_year": year, "ref": "RKPDes"}, "created_by": "t",
        }, actor="t")
    assert [r["start_month"] for r in queries.sponsorships_with_field(db, "uji", "budget_year", 2025, EVERYTHING)] == [
        "2025-01", "2026-01"]
    assert queries.count_sponsorships(db, "uji", field_equals={"budget_year": 2024}, scope=EVERYTHING) == 1
    assert queries.count_sponsorships(db, "uji", field_equals={"budget_year": 2025, "ref": "RKPDes"}, scope=EVERYTHING) == 2


def test_eight_threads_writing_at_once_lose_nothing(tmp_path, app):
    path = tmp_path / "threads.db"
    setup = database.open_database(path)
    setup.close()
    errors: list[BaseException] = []
    per_thread = 40

    def writer(n: int) -> None:
        conn = database.open_database(path)  # one connection per thread, as per Streamlit session
        try:
            for i in range(per_thread):
                with store.transaction(conn):
                    key = store.insert(conn, "sponsors", {"type": "perorangan", "name": f"T{n}-{i}"}, actor=f"t{n}")
                    store.update(conn, "sponsors", key, {"phone": f"+62812{n:02d}{i:04d}"}, actor=f"t{n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            conn.close()

    at_once(writer, 8)
    assert errors == []
    check = database.open_database(path)
    assert check.execute("SELECT COUNT(*) FROM sponsors").fetchone()[0] == 8 * per_thread
    assert check.execute("SELECT COUNT(*) FROM sponsors WHERE phone IS NULL").fetchone()[0] == 0
    assert check.execute("SELECT COUNT(*) FROM audit_log WHERE table_name = 'sponsors'").fetchone()[0] == 16 * per_thread


@pytest.mark.sqlite_only("a copy of the SQLite file; PostgreSQL is backed up with pg_dump")
def test_backup_is_a_consistent_copy(tmp_path, db, worker_id):
    target = database.backup(db, tmp_path / "backup" / "copy.db")
    copy = database.connect(target)
    assert copy.execute("SELECT nik FROM workers").fetchall() == [("3324015708750001",)]


def test_texts_stored_before_they_were_tidied_are_tidied(engine, tmp_path):
    """m030: a name or reference stored as typed ("Nur’aini", "TRF  002", decomposed "José") is
    stored as a save stores it now, so a search or a re-import finds it; a template keeps its name
    where the tidied one is its owner's already."""
    from conftest import database_on
    with database_on(engine, tmp_path, empty=True) as location:
        old = database.connect(location)
        try:
            migrations.migrate(old, stop_before="m030_tidy_stored_texts")
            with store.transaction(old):
                for n, name in enumerate(["Format  Dinsos", "Format Dinsos", "Format\u00a0Desa"], 1):
                    old.execute("INSERT INTO import_templates (id, kind, name, mapping, created_by) VALUES (?, ?, ?, ?, ?)",
                                [n, "workers", name, "{}", "admin"])
                old.execute("INSERT INTO users (id, username, name, role, password_hash, created_at, updated_at) VALUES "
                            "(1, 'ani', 'Nur\u2019aini  Jose\u0301', 'viewer', 'x', '2026-01-01', '2026-01-01')")
            assert migrations.migrate(old, stop_before="m031_name_keys") == ["m030_tidy_stored_texts"]
            assert [r["name"] for r in old.query("SELECT name FROM import_templates ORDER BY id")] == [
                "Format  Dinsos", "Format Dinsos", "Format Desa"]
            assert old.execute("SELECT name FROM users").fetchone()[0] == "Nur'aini Jos\u00e9"
        finally:
            old.close()


@pytest.mark.sqlite_only("SQLite's planner statistics (sqlite_stat1); PostgreSQL keeps its own per column")
@pytest.mark.parametrize("analysed", [True, False])
def test_the_renewal_indexes_get_statistics_where_the_database_has_them(tmp_path, analysed):
    """m032 (m033 adds nothing on SQLite): the indexes it adds (one replacing ``sponsorships_end``, whose statistics go with
    it) are analysed on a database that has planner statistics: without them SQLite read a
    month's sponsorships by scheme, every sponsorship of the regency. A database without
    statistics is left without (an ANALYZE of its empty tables would mislead the planner)."""
    from conftest import foreign_keys_off
    old = database.connect(tmp_path / "old.db")
    try:
        migrations.migrate(old, stop_before="m032_indexes_for_renewals_and_scheme_counts")
        with foreign_keys_off(old), store.transaction(old):
            for n in range(1, 41):
                old.execute("INSERT INTO sponsorships (id, scheme_code, sponsor_id, worker_id, programs, start_month,"
                            " months, end_month, declared_income, monthly_amount, status, created_by, created_at,"
                            " updated_at) VALUES (?, 's', 1, ?, 'jkk,jkm', '2026-01', 12, ?, 1, 16800, ?, 'a',"
                            " 'x', 'x')", [n, n, f"2026-{n % 12 + 1:02d}", "aktif"])
                old.execute("INSERT INTO contribution_lines (sponsorship_id, worker_id, sponsor_id, scheme_code, month,"
                            " village_code, district_code, occupation, jkk, jkm, jht, amount, paid_amount)"
                            " VALUES (?, ?, 1, 's', '2026-01', 'v', 'd', 'o', 10000, 6800, 0, 16800, ?)",
                            [n, n, 16800 * (n % 2)])
        if analysed:
            old.execute("ANALYZE")
        assert migrations.migrate(old) == ["m032_indexes_for_renewals_and_scheme_counts", "m033_sponsorships_not_live"]
        tables = {r[0] for r in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
        stats = {r[0] for r in old.execute("SELECT idx FROM sqlite_stat1").fetchall()} if analysed else set()
        assert ("sqlite_stat1" in tables) is analysed
        assert {"sponsorships_end", "sponsorships_scheme_worker", "lines_unpaid_sponsorship"} <= stats or not analysed
    finally:
        old.close()


def test_template_names_become_unique_per_owner_keeping_every_template(engine, tmp_path):
    """m029: the rows and their ids stay; one name may then be saved by two accounts, and still
    once per account."""
    from conftest import database_on
    with database_on(engine, tmp_path, empty=True) as location:
        old = database.connect(location)
        try:
            migrations.migrate(old, stop_before="m029_template_names_per_owner")
            with store.transaction(old):
                old.execute("INSERT INTO import_templates (id, kind, name, mapping, created_by)"
                            " VALUES (7, 'workers', 'Format Dinsos', '{\"nik\": \"NIK\"}', 'admin')")
            with pytest.raises(ConstraintError):  # the old rule: one name for everyone
                with store.transaction(old):
                    old.execute("INSERT INTO import_templates (kind, name, mapping, created_by)"
                                " VALUES ('workers', 'Format Dinsos', '{}', 'desa')")
            assert migrations.migrate(old, stop_before="m030_tidy_stored_texts") == ["m029_template_names_per_owner"]
            assert list(old.query("SELECT id, kind, name, mapping, created_by FROM import_templates")) == [
                {"id": 7, "kind": "workers", "name": "Format Dinsos", "mapping": '{"nik": "NIK"}', "created_by": "admin"}]
            with store.transaction(old):
                old.execute("INSERT INTO import_templates (kind, name, mapping, created_by)"
                            " VALUES ('workers', 'Format Dinsos', '{}', 'desa')")
            with pytest.raises(ConstraintError):
                with store.transaction(old):
                    old.execute("INSERT INTO import_templates (kind, name, mapping, created_by)"
                                " VALUES ('workers', 'Format Dinsos', '{}', 'desa')")
            assert old.execute("SELECT COUNT(*) FROM import_templates").fetchone()[0] == 2
        finally:
            old.close()


@pytest.mark.parametrize("statuses", [(), ("aktif'); DROP TABLE workers; --",), ("aktif", 7), ("akt if",)])
def test_statuses_written_into_a_statement_are_plain_words(statuses):
    """``db.billing.not_live`` writes the statuses into the SQL (for m033's partial index): only
    plain words are taken, never text that could end the list."""
    from db.billing import not_live
    with pytest.raises(ValueError):
        not_live(statuses)
    assert not_live(("diajukan", "aktif")) == "status NOT IN ('diajukan', 'aktif')"
