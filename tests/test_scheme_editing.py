"""Edit, version and retire a scheme (issue 26, point 3): each save is a version with who, when
and the diff; sponsorships keep the version they were made under and their amounts; a retired
scheme takes no new enrolment and keeps its code; the file keeps its comments."""

from __future__ import annotations

import json

import pytest

from db import queries
from payung.base.errors import ValidationError
from payung.enrolment.bulk import apply_bulk, plan_bulk
from payung.schemes import editing
from payung.schemes.copying import check_copy

from test_regency_rules import CODE, csr  # noqa: F401 - the fixture

COMMENTED = "# Skema uji: komentar ini tetap ada.\n"


def _edit(csr, change):
    data = editing.copy_declaration(csr.app.plugins, CODE)
    change(data)
    saved = editing.save_scheme(csr.db, csr.app.plugins, data, actor=csr.actor, editing=CODE)
    csr.app.reload_schemes(csr.db)
    return saved


def _file(csr):
    return csr.app.settings.plugins_dir / f"{CODE}.toml"


def test_an_edit_is_a_new_version_and_old_sponsorships_stay_as_they_were(csr):
    path = _file(csr)
    path.write_text(COMMENTED + path.read_text(encoding="utf-8"), encoding="utf-8")
    csr.app.reload_schemes(csr.db)
    before = csr.enrol(CODE, csr.company, csr.worker(csr.in_a, "nelayan"))
    lines = list(csr.db.query("SELECT month, amount FROM contribution_lines WHERE sponsorship_id = ?", [before]))
    assert csr.db.execute("SELECT scheme_version FROM sponsorships").fetchone()[0] is None, "never edited yet"

    saved = _edit(csr, lambda d: d.update(name="Uji CSR nelayan 2026", months=[12, 6]))
    assert (saved.version, saved.summary) == (2, "diubah: name, months")
    assert path.read_text(encoding="utf-8").startswith(COMMENTED), "the file's comment is kept"
    assert csr.app.plugins.scheme(CODE).months == (12, 6)
    assert [v["version"] for v in editing.versions(csr.db, CODE)] == [2, 1]
    assert '+name = "Uji CSR nelayan 2026"' in editing.versions(csr.db, CODE)[0]["diff"]
    entry = csr.db.execute("SELECT actor, after FROM audit_log WHERE action = 'scheme.save'").fetchone()
    assert entry[0] == "admin" and '+months = [12, 6]' in json.loads(entry[1])["diff"]

    csr.enrol(CODE, csr.company, csr.worker(csr.in_a, "nelayan"), months=6)
    listed = plan_bulk(csr.db, csr.app.plugins, [{"scheme_code": CODE, "sponsor_id": csr.company, "start_month": "2025-01",
                                                  "worker_id": csr.worker(csr.in_b, "nelayan")}], actor=csr.actor)
    apply_bulk(csr.db, csr.app.plugins, listed, actor=csr.actor)
    version = [r["scheme_version"] for r in csr.db.query("SELECT scheme_version FROM sponsorships ORDER BY id")]
    assert version == [1, 2, 2], "made before the edit, by the form after it, by a list after it"
    assert list(csr.db.query("SELECT month, amount FROM contribution_lines WHERE sponsorship_id = ?", [before])) == lines


def test_a_new_rule_binds_new_enrolments_with_the_loaders_checks(csr):
    with pytest.raises(ValidationError) as refused:
        _edit(csr, lambda d: d["rules"].append({"rule": "workers_at_most", "limit": 1, "per": "rt"}))
    assert "parameter per aturan workers_at_most harus salah satu dari" in str(refused.value)
    assert queries.latest_scheme_version(csr.db, CODE) is None, "a refused save records nothing"
    _edit(csr, lambda d: d["rules"].append({"rule": "workers_at_most", "limit": 1, "per": "village"}))
    csr.enrol(CODE, csr.company, csr.worker(csr.in_a, "nelayan"))
    problems = csr.refused(CODE, csr.company, csr.worker(csr.in_a, "nelayan"))
    assert [p.rule for p in problems] == ["workers_at_most"]


def test_the_code_and_regency_of_an_edited_scheme_stay(csr):
    for change in ({"code": "uji_lain_zz"}, {"regency_code": "33.24"}):
        data = editing.copy_declaration(csr.app.plugins, CODE) | change
        scheme, problems = editing.check_scheme(csr.app.plugins, data, db=csr.db, editing=CODE)
        assert scheme is None and problems


def test_a_retired_scheme_takes_no_enrolment_and_keeps_its_code(csr):
    kept = csr.enrol(CODE, csr.company, csr.worker(csr.in_a, "nelayan"))
    editing.retire_scheme(csr.db, csr.app.plugins, CODE, actor=csr.actor)
    csr.app.reload_schemes(csr.db)
    worker = csr.worker(csr.in_b, "nelayan")
    problems = csr.refused(CODE, csr.company, worker)
    assert problems[0].rule == "scheme_retired" and "sudah dipensiunkan" in problems[0].message
    bulk = plan_bulk(csr.db, csr.app.plugins, [{"scheme_code": CODE, "sponsor_id": csr.company, "worker_id": worker,
                                                "start_month": "2025-01"}], actor=csr.actor)
    assert bulk.rows[0].problems[0].rule == "scheme_retired"
    assert queries.sponsorship(csr.db, kept, __import__("db.scope").scope.EVERYTHING)["status"] == "diajukan"
    copy = editing.copy_declaration(csr.app.plugins, CODE)
    _, taken = check_copy(csr.app.plugins, copy | {"legal_basis": "x", "started": "2025-01-01"}, db=csr.db)
    assert any("sudah dipakai" in p for p in taken)
    with pytest.raises(Exception, match="sudah dipensiunkan"):
        editing.retire_scheme(csr.db, csr.app.plugins, CODE, actor=csr.actor)


def test_a_new_scheme_from_scratch_is_version_1_and_loads(csr):
    data = editing.blank_declaration(csr.app.settings) | {
        "code": "uji_baru_zz", "name": "Uji baru", "regency_code": "33.27", "legal_basis": "Perbup 1/2026",
        "started": "2025-01-01", "rules": [{"rule": "worker_age_between", "low": 18, "high": 60}]}
    saved = editing.save_scheme(csr.db, csr.app.plugins, data, actor=csr.actor)
    csr.app.reload_schemes(csr.db)
    assert saved.version == 1 and csr.app.plugins.scheme("uji_baru_zz").rules[0].name == "worker_age_between"
    assert saved.path.read_text(encoding="utf-8").startswith("# Uji baru\n")
