"""The second wall (issue #25, point 5): on PostgreSQL the scope of ``db.scope`` is also kept
by row-level security policies (``db.rls``), so a query that forgets its scope still returns
only the actor's rows.

- Each policy lets through exactly the rows the fragment of its table does, for every role;
  and a policy replaced by one that lets everything through is caught (the test can fail).
- The permission matrix of ``test_access`` with the application's fragments switched off
  (``db.scope._FRAGMENTS``, test-only) leaks nothing; with the policies opened too, it leaks.
  The matrix includes the Beranda's figures built with filters that forget the actor's scope:
  each actor (a village operator, its regency's operator and viewer, another regency's
  operator) still sees only its own totals, from ``line_totals`` or from its lines.
- With both walls on, every case of the matrix answers on PostgreSQL as on SQLite.
- A pooled connection carries no actor's scope into the next transaction; the scoped role
  without Payung's settings sees no row; the owner's statements (``EVERYTHING``) run past the
  policies, also after an actor's statement in the same transaction.
- The start-up check: a missing or unfit scoped role is refused, a login role that bypasses
  row-level security is warned about.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from db import aggregates, rls, scope
from db.scope import EVERYTHING, RULES
from payung.auth import access
from payung.auth.access import Actor
from payung.reports import dashboard

import test_access as matrix
from conftest import ROOT, database_on, engine_available


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The access matrix's world, on PostgreSQL."""
    engine_available("postgresql")
    folder = tmp_path_factory.mktemp("rls")
    with database_on("postgresql", folder) as location:
        w = matrix.World(folder, location)
        yield w
        w.db.close()


@contextmanager
def rolled_back(db):
    db.execute("BEGIN")
    try:
        yield
    finally:
        db.execute("ROLLBACK")


@contextmanager
def fragments_off(monkeypatch):
    monkeypatch.setattr(scope, "_FRAGMENTS", False)
    try:
        yield
    finally:
        monkeypatch.setattr(scope, "_FRAGMENTS", True)


@contextmanager
def policies_open(db, tables=tuple(RULES), kinds=rls.KINDS):
    """The policies of ``tables`` (of ``kinds`` of scope) let every row through until the block
    ends (then they are installed again: the matrix's cases roll back transactions of their own)."""
    try:
        for table in tables:
            for policy in (rls.POLICIES[kind] for kind in kinds):
                db.execute(f"DROP POLICY {policy} ON {table}")
                db.execute(f"CREATE POLICY {policy} ON {table} USING (true)")
        yield
    finally:
        rls.install(db, tables)
        assert rls.stale(db) == []


_FRAGMENT_OF = {"workers": scope.workers, "sponsorships": scope.sponsorships, "contribution_lines": scope.lines,
                "claims": scope.claims, "payments": scope.payments, "budget_lines": scope.budgets,
                "sponsors": scope.sponsors, "line_totals": scope.totals}
#: The key of a table's rows (``id`` unless named here).
_KEY = {"line_totals": ("month", "scheme_code", "district_code", "gender", "birth_year")}


def _differences(db, table: str) -> dict[str, tuple[set, set]]:
    """role -> (keys the fragment gives, keys a query without any scope gets under the policy),
    for the roles where the two differ."""
    found = {}
    key = ", ".join(_KEY.get(table, ("id",)))
    for role, actor in matrix.ACTORS.items():
        where, params = _FRAGMENT_OF[table](access.scope_of(actor), "t")
        fragment = set(db.execute(f"SELECT {key} FROM {table} t WHERE 1 = 1{where}", params).fetchall())
        with db.acting(access.scope_of(actor)):
            policy = set(db.execute(f"SELECT {key} FROM {table}").fetchall())
        if fragment != policy:
            found[role] = (fragment, policy)
    return found


def test_the_app_role_is_bound_by_the_policies(world):
    """The tests connect as the app does on a province's server: a role that is neither a
    superuser nor BYPASSRLS, owner of the tables (not forced: its own statements run past the
    policies), and an actor's statements run as its scoped role, bound by them."""
    role = next(world.db.query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"))
    assert role == {"rolsuper": 0, "rolbypassrls": 0}, "the tests' PostgreSQL role bypasses row-level security"
    with world.db.acting(access.scope_of(matrix.ACTORS["desa"])):
        acting = next(world.db.query("SELECT current_user AS name, r.rolsuper, r.rolbypassrls, r.rolcanlogin"
                                     " FROM pg_roles r WHERE r.rolname = current_user"))
    assert acting == {"name": rls.check_roles(world.db)["villages"], "rolsuper": 0, "rolbypassrls": 0,
                      "rolcanlogin": 0}
    with world.db.acting(access.scope_of(matrix.ACTORS["operator"])):
        assert world.db.execute("SELECT current_user").fetchone()[0] == rls.check_roles(world.db)["regency"]
    assert rls.stale(world.db) == []
    assert set(RULES) == set(_FRAGMENT_OF) and set(RULES) <= set(world.db.table_names())


@pytest.mark.parametrize("table", list(RULES))
def test_each_policy_lets_through_exactly_the_rows_of_its_fragment(world, table):
    assert not _differences(world.db, table)
    # Every role but the administrator misses some rows of the table, so the comparison means something.
    total = world.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    for role in ("operator", "desa", "viewer"):
        with world.db.acting(access.scope_of(matrix.ACTORS[role])):
            assert world.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] < total, (table, role)


@pytest.mark.parametrize("kind", rls.KINDS)
@pytest.mark.parametrize("table", list(RULES))
def test_a_policy_that_lets_everything_through_is_caught(world, table, kind):
    """The comparison above fails when a policy (of one kind of scope) is missing its rule."""
    with policies_open(world.db, [table], [kind]):
        assert _differences(world.db, table)


def test_a_query_without_its_fragment_returns_only_the_actors_rows(world):
    inside, near, outside = (world.records[side] for side in ("in", "near", "out"))
    with world.db.acting(access.scope_of(matrix.ACTORS["desa"])):
        names = {r["name"] for r in world.db.query("SELECT name FROM workers")}
        sponsors = {r["name"] for r in world.db.query("SELECT name FROM sponsors")}
        assert world.db.execute("SELECT COUNT(*) FROM payments").fetchone()[0] == 0
    assert inside["name"] in names and near["name"] not in names and outside["name"] not in names
    assert inside["sponsor_name"] in sponsors and near["sponsor_name"] not in sponsors
    with world.db.acting(access.scope_of(matrix.ACTORS["operator"])):
        schemes = {r["scheme_code"] for r in world.db.query("SELECT scheme_code FROM contribution_lines")}
        claims = {r["worker_id"] for r in world.db.query("SELECT worker_id FROM claims")}
    assert schemes == {"contoh_desa"} and claims == {inside["worker"], near["worker"]}


def test_the_scope_is_set_per_statement_and_never_left_on_the_connection(world):
    """Transaction-local settings and role: the actor's scope holds for its statement (also
    inside an explicit transaction) and is gone once that transaction ends; the scoped role
    without Payung's settings sees no row of a scoped table."""
    db, desa = world.db, access.scope_of(matrix.ACTORS["desa"])
    everyone = db.execute("SELECT COUNT(*) FROM workers").fetchone()[0]
    with db.acting(desa):
        mine = db.execute("SELECT COUNT(*) FROM workers").fetchone()[0]
    assert 0 < mine < everyone
    bare = "SELECT current_setting('payung.scope', true), current_user = session_user"
    assert db.conn.execute(bare).fetchone() in (("", True), (None, True))
    # The statement's own planner settings (a regency's custom plans, no JIT) end with it too.
    planner = "SELECT current_setting('plan_cache_mode'), current_setting('jit')"
    before = db.conn.execute(planner).fetchone()
    with rolled_back(db), db.acting(access.scope_of(matrix.ACTORS["operator"])):
        assert db.execute(planner).fetchone() == ("force_custom_plan", "off")
    with rolled_back(db), db.acting(desa):
        assert db.execute(planner).fetchone() == (before[0], "off")
    assert db.conn.execute(planner).fetchone() == before
    with rolled_back(db):
        with db.acting(desa):
            assert db.execute("SELECT COUNT(*) FROM workers").fetchone()[0] == mine
        assert db.execute("SELECT COUNT(*) FROM workers").fetchone()[0] == everyone
        with db.acting(desa):
            db.execute("SELECT 1")
    assert db.conn.execute(bare).fetchone() in (("", True), (None, True))
    with rolled_back(db):
        for role in rls.check_roles(db).values():  # each scoped role, without the settings
            db.conn.execute(f"SET LOCAL ROLE {role}")
            for table in RULES:
                assert db.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, (role, table)
    with rolled_back(db):  # nor with the settings emptied (as a transaction's end leaves them)
        for name in rls.SETTINGS:
            db.conn.execute(f"SELECT set_config('{name}', '', true)")
        for role in rls.check_roles(db).values():
            db.conn.execute(f"SET LOCAL ROLE {role}")
            for table in RULES:
                assert db.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, (role, table)


def test_the_owners_statements_see_everything_after_an_actors_in_one_transaction(world):
    """Inside one transaction an actor's statement sets the scoped role: Payung's next own
    statement is the owner's again (also after a savepoint rolled back), and COPY works."""
    db, desa = world.db, access.scope_of(matrix.ACTORS["desa"])
    everyone = db.execute("SELECT COUNT(*) FROM workers").fetchone()[0]
    with rolled_back(db):
        with db.acting(desa):
            assert db.execute("SELECT COUNT(*) FROM workers").fetchone()[0] < everyone
        assert db.execute("SELECT COUNT(*) FROM workers").fetchone()[0] == everyone
        db.execute("SAVEPOINT s")
        with db.acting(desa):
            db.execute("SELECT 1")
        db.execute("ROLLBACK TO SAVEPOINT s")
        assert db.execute("SELECT COUNT(*) FROM workers").fetchone()[0] == everyone
        with db.acting(desa):
            db.execute("SELECT 1")
        row = next(db.query("SELECT * FROM budget_lines LIMIT 1"), None)
        if row is not None:
            with db.copy_in("budget_lines", list(row)) as copy:  # COPY FROM: refused if a policy applied
                copy.write_row([-1 if k == "id" else v for k, v in row.items()])


def test_a_pooled_connection_reused_by_another_actor_carries_no_scope(world):
    from db.postgres import connect
    url = world.db.url
    first = connect(url)
    pid = first.conn.info.backend_pid
    with first.acting(access.scope_of(matrix.ACTORS["desa"])):
        assert first.execute("SELECT COUNT(*) FROM workers").fetchone()[0] > 0
        first.execute("BEGIN")
        first.execute("SELECT COUNT(*) FROM sponsors")  # a transaction left open by the first borrower
    first.close()
    held, again = [], None
    try:
        for _ in range(40):  # borrow until the pool hands back the same server connection
            candidate = connect(url)
            if candidate.conn.info.backend_pid == pid:
                again = candidate
                break
            held.append(candidate)
        assert again is not None, "the pool never handed the connection back"
        assert not again.in_transaction
        assert again.conn.execute("SELECT current_setting('payung.scope', true)").fetchone()[0] in ("", None)
        assert again.conn.execute("SELECT current_user = session_user").fetchone()[0]
        assert again.scope == EVERYTHING
        everyone = again.execute("SELECT COUNT(*) FROM workers").fetchone()[0]
        assert everyone == len(list(world.db.query("SELECT id FROM workers")))
        with again.acting(access.scope_of(matrix.ACTORS["operator"])):
            names = {r["name"] for r in again.query("SELECT name FROM workers")}
        assert world.records["near"]["name"] in names and world.records["out"]["name"] not in names
    finally:
        for connection in held + ([again] if again else []):
            connection.close()


#: The Beranda's actors: the matrix's (Kendal) and another regency's operator (Pemalang).
DASHBOARD_ACTORS = {**matrix.ACTORS, "luar": Actor("luar", "operator", regency_code="33.27")}


def _views(world, role: str) -> dict[str, dashboard.View]:
    """The whole slice (``line_totals`` for a regency's actor) and the actor's own village chosen
    (its lines)."""
    village = world.records["out" if role == "luar" else "in"]["village"]
    return {"whole": dashboard.View(matrix.MONTH),
            "village": dashboard.View(matrix.MONTH, district=village[:8], village=village)}


def _figures(world, role: str, view: dashboard.View) -> dict:
    """What the Beranda shows ``role`` for ``view`` (every figure; lists in a fixed order)."""
    d = dashboard.build(world.db, world.registry, view, actor=DASHBOARD_ACTORS[role], today=matrix.TODAY)
    return {"covered": d.covered, "protected": d.protected, "previous": d.protected_previous,
            "billed": d.billed_month, "paid": d.paid_month, "paid_year": d.paid_year, "claims": d.claims,
            "late": d.late, "trend": d.trend, "budgets": [(b["label"], b["amount"]) for b in d.budgets],
            "per_scheme": {s["code"]: s["protected"] for s in d.per_scheme if s["protected"]},
            **{name: sorted(getattr(d, name), key=lambda r: r.get("code") or str(r))
               for name in ("by_region", "by_occupation", "by_gender_age")}}


def _dashboard_expected(world) -> dict:
    """Each actor's figures with the first wall up (computed once per world)."""
    if not hasattr(world, "dashboard_expected"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(scope, "_FRAGMENTS", True)
            world.dashboard_expected = {(role, name): _figures(world, role, view) for role in DASHBOARD_ACTORS
                                        for name, view in _views(world, role).items()}
    return world.dashboard_expected


def _forgetful_filters(registry, view, actor) -> aggregates.Filters:
    """``dashboard.filters`` with a bug: the view's place, but every scheme of every regency."""
    return aggregates.Filters(district=view.district, village=view.village)


def _dashboard_leaks(world) -> list[str]:
    """The Beranda's figures of each scoped actor, built with filters that forget its scope (and
    with whatever the first wall is now), that differ from its own figures."""
    expected = _dashboard_expected(world)
    leaks = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dashboard, "filters", _forgetful_filters)
        for role in DASHBOARD_ACTORS:
            if role == "admin":
                continue
            for name, view in _views(world, role).items():
                figures = _figures(world, role, view)
                wrong = [key for key in figures if figures[key] != expected[(role, name)][key]]
                if wrong:
                    leaks.append(f"dashboard.build-{role}: showed {role} figures outside its slice ({name}): {wrong}")
    return leaks


def _run_matrix(world) -> list[str]:
    """The cases of the permission matrix that fail (each its first line), and the Beranda's
    figures that leak (``_dashboard_leaks``)."""
    failures = []
    for name, role in matrix.CASES:
        try:
            matrix.test_permission_matrix(world, name, role)
        except AssertionError as exc:
            failures.append(f"{name}-{role}: {str(exc).splitlines()[0][:200]}")
    return failures + _dashboard_leaks(world)


def test_the_matrix_leaks_nothing_with_the_applications_scope_switched_off(world, monkeypatch):
    """The first wall down: every query runs without its fragment, and the policies alone keep
    each role to its slice in every service of the matrix."""
    with fragments_off(monkeypatch):
        assert _run_matrix(world) == []


def test_the_matrix_finds_the_leaks_with_both_walls_down(world, monkeypatch):
    """The test above can fail: with the policies opened as well, the matrix sees the leaks."""
    with fragments_off(monkeypatch), policies_open(world.db):
        leaks = [f for f in _run_matrix(world) if "outside its slice" in f or "must refuse" in f]
    assert len(leaks) > 20, leaks
    assert any("showed desa a record outside its slice" in leak for leak in leaks)
    assert any("showed operator a record outside its slice" in leak for leak in leaks)
    for role in ("desa", "operator", "viewer", "luar"):
        assert any(f"showed {role} figures outside its slice" in leak for leak in leaks), role


def test_each_actor_has_figures_of_its_own_on_the_beranda(world):
    """The comparison of ``_dashboard_leaks`` means something: each actor's own figures are
    there and smaller than everyone's; a village operator's come from its lines (``line_totals``
    lets none through for it), as its one worker protected in the month."""
    expected = _dashboard_expected(world)
    everyone = expected[("admin", "whole")]
    for role in ("desa", "operator", "viewer", "luar"):
        own = expected[(role, "whole")]
        assert 0 < own["covered"] < everyone["covered"] and 0 < own["claims"]["claims"] < everyone["claims"]["claims"]
    assert expected[("desa", "whole")]["covered"] == expected[("desa", "village")]["covered"] == 1
    assert expected[("operator", "whole")]["covered"] == 2 and expected[("luar", "whole")]["covered"] == 1


def test_a_line_totals_policy_that_lets_everything_through_shows_on_the_beranda(world, monkeypatch):
    """The regency's Beranda reads ``line_totals``: its policy alone keeps another regency's
    totals out when the filters forget the scope (and the village operator never reads it)."""
    with fragments_off(monkeypatch), policies_open(world.db, ["line_totals"]):
        leaks = _dashboard_leaks(world)
    assert {leak.split(":")[0] for leak in leaks} == {f"dashboard.build-{role}" for role in ("operator", "viewer",
                                                                                            "luar")}, leaks
    assert all("(whole)" in leak for leak in leaks), leaks


#: What differs between two runs of the same case, whatever the engine: timestamps, addresses.
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00)?| at 0x[0-9a-f]+")


def _answers(world) -> dict[tuple[str, str], tuple]:
    """Every case of the matrix on its own record, the near one and the outside one: whether it
    was refused, what the probe saw, and what a reading answered (its timestamps left out; a
    write's new ids differ between the engines)."""
    answers = {}
    for name, role in matrix.CASES:
        _, _, call, probe = matrix.MATRIX[name]
        for side in ("in", "near", "out"):
            record = world.records[side]
            outcome, result = matrix._attempt(world, call, matrix.ACTORS[role], record)
            seen = probe(result, record) if probe and outcome == "ok" else None
            if isinstance(result, tuple) and result and isinstance(result[0], bytes):  # a spreadsheet: its cells
                result = (matrix._xlsx_text(result[0]), *result[1:])
            text = str(result) if outcome != "ok" else _MOMENT.sub("<t>", repr(result).replace(
                repr(world.settings), "<settings>")) if probe else None
            answers[(name, role, side)] = (outcome, seen, text)
    return answers


def _fresh_answers(engine: str, folder) -> dict:
    """``_answers`` of a new world on ``engine`` (a world's cases number the values they make)."""
    with database_on(engine, folder) as location:
        world = matrix.World(folder, location)
        try:
            return _answers(world)
        finally:
            world.db.close()


def test_with_both_walls_on_postgresql_answers_as_sqlite(tmp_path_factory):
    expected = _fresh_answers(engine_available("sqlite"), tmp_path_factory.mktemp("twin-sqlite"))
    answers = _fresh_answers(engine_available("postgresql"), tmp_path_factory.mktemp("twin-postgresql"))
    different = [key for key in expected if expected[key] != answers[key]]
    assert not different, [(key, expected[key][:2], answers[key][:2]) for key in different[:5]]


def test_the_switch_is_for_tests_only():
    """``_FRAGMENTS`` is read in db/scope.py only: no setting, variable or page can reach it."""
    for folder in ("db", "payung", "ui", "pages", "plugins"):
        for path in (ROOT / folder).rglob("*.py"):
            if path != ROOT / "db" / "scope.py":
                assert "_FRAGMENTS" not in path.read_text(encoding="utf-8"), path
    assert "_FRAGMENTS" not in (ROOT / "app.py").read_text(encoding="utf-8")
    text = (ROOT / "db" / "scope.py").read_text(encoding="utf-8")
    assert text.count("_FRAGMENTS = ") == 1 and "environ" not in text


def test_a_policy_that_drifted_from_the_rules_is_installed_again(world):
    """One source of truth: a policy whose text is not the one the rules of db/scope.py make
    (an older rule, a hand edit, a policy for every role, a forced table, a table the scoped
    role cannot read) is replaced on the next open of the database."""
    from db.migrations import migrate
    regency, villages = rls.POLICIES["regency"], rls.POLICIES["villages"]
    world.db.execute(f"DROP POLICY {regency} ON workers")
    world.db.execute(f"CREATE POLICY {regency} ON workers USING (true)")
    world.db.execute("ALTER TABLE claims FORCE ROW LEVEL SECURITY")
    world.db.execute(f"REVOKE SELECT ON payments FROM {rls.check_roles(world.db)['villages']}")
    sponsors = rls.condition("sponsors", "villages")
    world.db.execute(f"DROP POLICY {villages} ON sponsors")
    world.db.execute(f"CREATE POLICY {villages} ON sponsors USING ({sponsors})")
    world.db.execute(f"COMMENT ON POLICY {villages} ON sponsors IS '{rls.digest('sponsors')}'")
    world.db.execute("CREATE POLICY extra ON contribution_lines TO PUBLIC USING (true)")  # one more, permissive
    world.db.execute(f"ALTER TABLE workers DROP CONSTRAINT {rls.REGENCY_OF_VILLAGE[0]}")  # one that holds nothing
    world.db.execute(f"ALTER TABLE workers ADD CONSTRAINT {rls.REGENCY_OF_VILLAGE[0]} CHECK (true)")
    world.db.execute(f"ALTER POLICY {regency} ON budget_lines USING (true)")
    world.db.execute(f"COMMENT ON POLICY {regency} ON budget_lines IS 'payung:0'")
    world.db.execute("ALTER TABLE line_totals DISABLE ROW LEVEL SECURITY")  # as before m026
    assert rls.stale(world.db) == ["workers", "contribution_lines", "claims", "payments", "budget_lines", "sponsors",
                                   "line_totals"]
    rls.CURRENT.discard(world.db.url)
    migrate(world.db)
    assert rls.stale(world.db) == []
    assert not _differences(world.db, "workers") and not _differences(world.db, "contribution_lines")
    assert not _differences(world.db, "line_totals")


def test_a_missing_or_unfit_scoped_role_is_refused_and_a_bypassing_login_warned(world, caplog):
    """``db.rls.check_roles``: Payung refuses to start without a fit scoped role (a message in
    Indonesian naming what the DBA must run), and warns when it logs in as a role that bypasses
    row-level security."""
    from payung.base.errors import PayungError
    login = world.db.execute("SELECT session_user").fetchone()[0]
    assert rls.check_roles(world.db) == {"regency": login + "_regency", "villages": login + "_villages"}
    fake = [{"login": "payung", "scoped": f"payung_{kind}", "kind": kind, "login_super": False, "login_bypass": True,
             "exists": True, "bypass": False, "member": True} for kind in ("regency", "villages")]

    def one(**changed):  # the villages' role changed
        return [fake[0], fake[1] | changed]
    with caplog.at_level("WARNING", logger="payung.rls"):
        rls._check(fake)
    assert "BYPASSRLS" in caplog.text and "PERINGATAN" in caplog.text
    with pytest.raises(PayungError, match="Peran PostgreSQL payung_villages belum ada.*CREATE ROLE"):
        rls._check(one(exists=False, member=False))
    with pytest.raises(PayungError, match="belum menjadi anggota payung_villages"):
        rls._check(one(member=False))
    with pytest.raises(PayungError, match="payung_regency tidak boleh SUPERUSER atau BYPASSRLS"):
        rls._check([fake[0] | {"bypass": True}, fake[1]])
    caplog.clear()
    calm = [row | {"login_bypass": False} for row in fake]
    with caplog.at_level("WARNING", logger="payung.rls"):
        assert rls._check(calm) == {"regency": "payung_regency", "villages": "payung_villages"}
    assert caplog.text == ""


def test_a_workers_regency_is_held_to_its_villages(world):
    """The regency policy of ``workers`` reads ``regency_code`` (an equality the planner can
    estimate): the server refuses a worker whose regency_code is not its village's, so the policy
    lets through the rows of the fragment's ``village_code LIKE``."""
    from db.errors import DatabaseError
    worker = world.records["in"]["worker"]
    with rolled_back(world.db), pytest.raises(DatabaseError):
        world.db.execute("UPDATE workers SET regency_code = ? WHERE id = ?", ["99.99", worker])

