"""The plugin API keeps its word (docs/plugins/api-policy.md): what API 1.0 offered is still
there, what moved on still works with a DeprecationWarning naming its replacement, and the
frozen API 1.0 plugin's tests (tests/plugin_api_1_0/) import as they did."""

from __future__ import annotations

import importlib
import inspect
import re
import runpy
import sys

import pytest

from payung import compat, plugin
from payung.schemes import hookspecs
from payung.schemes.data import DataReader

from conftest import ROOT

#: What ``payung.plugin`` of Payung 0.2 (API 1.0) exported, the hooks it declared with their
#: parameters, and the attributes of its ``Scheme``: all of it must stay.
API_1_0_NAMES = ["FIELD_TYPES", "OCCUPATIONS", "VULNERABLE", "PROGRAMS", "SPONSOR_TYPES", "Contribution",
                 "DataReader", "Enrolment", "Field", "Page", "Panel", "Problem", "Rule", "Scheme", "Target",
                 "format_rupiah", "hookimpl", "rules"]
API_1_0_HOOKS = {"register_schemes": ["settings"], "form_fields": ["scheme", "form", "settings"],
                 "validate_sponsorship": ["enrolment"], "adjust_contribution": ["enrolment", "month", "contribution"],
                 "dashboard_panels": ["scheme", "data", "month"], "register_pages": ["settings"]}
API_1_0_SCHEME = ["code", "name", "regency_code", "description", "legal_basis", "funding_source", "funding_code",
                  "sponsor_types", "programs", "months", "targets", "fields", "rules", "adjust", "panels", "demo",
                  "started", "bill_by", "budget_field"]
API_1_0_READER = ["region", "region_name", "villages", "districts", "count_sponsorships", "by_sponsor",
                  "by_worker_region", "by_field", "count_eligible_uncovered", "sponsorships_with_field",
                  "covered_by_district", "covered_by_scheme"]
FROZEN_TESTS = ROOT / "tests" / "plugin_api_1_0" / "test_scheme_bengkayang_peduli.py"


def test_the_plugin_api_declares_its_version_and_the_policy_names_it():
    assert re.fullmatch(r"\d+\.\d+", plugin.API_VERSION)
    policy = (ROOT / "docs" / "plugins" / "api-policy.md").read_text(encoding="utf-8")
    assert f"| {plugin.API_VERSION} |" in policy
    assert "API_VERSION" in plugin.__all__


def test_everything_api_1_0_offered_is_still_there():
    import dataclasses
    assert not [name for name in API_1_0_NAMES if name not in plugin.__all__]
    hooks = {name: list(inspect.signature(getattr(hookspecs, name)).parameters) for name in API_1_0_HOOKS}
    assert hooks == API_1_0_HOOKS
    assert not [f for f in API_1_0_SCHEME if f not in {x.name for x in dataclasses.fields(plugin.Scheme)}]
    assert not [m for m in API_1_0_READER if not callable(getattr(DataReader, m, None))]


def test_data_reader_without_a_scope_works_and_names_its_replacement(db):
    with pytest.deprecated_call(match=r"DataReader\.unscoped\(db\)"):
        reader = DataReader(db)
    assert reader.scope == DataReader.unscoped(db).scope
    assert reader.region_name("33.24") == "Kabupaten Kendal"


def test_the_new_way_warns_nothing(db, recwarn):
    DataReader.unscoped(db).count_sponsorships("contoh_desa")
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]


@pytest.mark.parametrize("old", sorted(compat.MOVED_MODULES))
def test_every_old_module_path_imports_the_module_at_its_new_place_with_a_warning(old, monkeypatch):
    new = compat.MOVED_MODULES[old]
    monkeypatch.delitem(sys.modules, old, raising=False)
    with pytest.deprecated_call(match=re.escape(f"{old} moved to {new[0]}")):
        module = importlib.import_module(old)
    for target in new:
        real = importlib.import_module(target)
        public = [n for n in vars(real) if not n.startswith("_")]
        assert public and all(getattr(module, n) is getattr(real, n) for n in public if hasattr(module, n))
    first = importlib.import_module(new[0])
    assert all(getattr(module, n) is getattr(first, n) for n in vars(first) if not n.startswith("_"))


def test_the_old_scheme_model_names_resolve_from_payung_schemes_with_a_warning():
    from payung.schemes import model
    with pytest.deprecated_call(match=r"payung\.schemes\.Enrolment moved to payung\.schemes\.model\.Enrolment"):
        from payung.schemes import Enrolment
    assert Enrolment is model.Enrolment
    with pytest.raises(ImportError):
        from payung.schemes import NoSuchName  # noqa: F401


def test_the_frozen_tests_import_what_they_imported_then_with_a_warning_each(monkeypatch):
    """The frozen API 1.0 test module imports two paths that moved: running its top level
    again gives exactly those two warnings (the tests themselves assert theirs: see
    tests/plugin_api_1_0/conftest.py)."""
    for old in compat.MOVED_MODULES:
        monkeypatch.delitem(sys.modules, old, raising=False)
    with pytest.warns(DeprecationWarning) as seen:
        runpy.run_path(str(FROZEN_TESTS))
    moved = sorted(str(w.message).split(" moved")[0] for w in seen if issubclass(w.category, DeprecationWarning))
    assert moved == ["payung.errors", "payung.sponsorships"]
