"""The rule library: every rule accepts its sample and refuses its refusing case, and the
plugin reference's rule library section is the text generated from the code."""

import re

import pytest

from payung.core import Payung
from payung.schemes.declarative import DeclarationError, dumps, load_scheme, rule_spec
from payung.docs import generated, section
from payung.schemes.rule_library import example, render_markdown
from payung.schemes.rules import LIBRARY

from conftest import ROOT, write_config

REFERENCE = ROOT / "docs" / "plugins" / "reference.md"
TUTORIAL = ROOT / "docs" / "plugins" / "tutorial.md"


@pytest.mark.parametrize("name", list(LIBRARY))
def test_library_rule_accepts_its_sample_and_refuses_its_refusing_case(name):
    shown = example(name)
    assert shown["accepted"] == []
    inner = {r["rule"] for r in LIBRARY[name].example.get("rules", [])} or {name}
    assert shown["refused"] and {p.rule for p in shown["refused"]} <= inner
    assert rule_spec(shown["rule"]) == {"rule": name, **LIBRARY[name].example}


def test_the_reference_rule_library_is_generated_from_the_code():
    text = render_markdown()
    assert section(REFERENCE.read_text(encoding="utf-8"), "rule-library") == generated("rule-library"), (
        "docs/plugins/reference.md is out of date: run python -m payung docs")
    for name in LIBRARY:
        assert f"### `{name}`" in text


def test_income_limit_rule_is_in_the_library():
    assert "worker_income_at_most" in LIBRARY and "Rp 2.500.000" in example("worker_income_at_most")["refused"][0].message


def test_the_tutorial_toml_example_loads(tmp_path):
    text = TUTORIAL.read_text(encoding="utf-8")
    first = re.search(r"## 1. Say it in TOML.*?```toml\n(.*?)```", text, re.S).group(1)
    settings = Payung.load(write_config(tmp_path), entry_points=False).settings
    scheme = load_scheme(first.replace('"61.04"', '"61.02"'), settings)
    assert [r.name for r in scheme.rules] == ["worker_in_sponsor_region", "worker_occupation_in", "quota_per_village",
                                              "when_budget_year_2026"]


@pytest.mark.parametrize("rule,words", [
    ({"rule": "workers_at_most", "limit": 0}, "parameter limit harus 1 atau lebih, bukan 0"),
    ({"rule": "workers_at_most", "limit": -5, "per": "village"}, "bukan -5"),
    ({"rule": "worker_income_at_most", "limit": -1}, "parameter limit harus 1 atau lebih"),
    ({"rule": "worker_income_below_umk", "percent": 0}, "percent harus 1 sampai 100"),
    ({"rule": "worker_income_below_umk", "percent": 150}, "percent harus 1 sampai 100"),
    ({"rule": "worker_age_between", "low": 60, "high": 18}, "umur paling muda \\(60\\)"),
    ({"rule": "worker_age_between", "low": -1, "high": 60}, "umur paling muda \\(-1\\)"),
    ({"rule": "programs_in", "programs": []}, "pilih paling sedikit satu program"),
    ({"rule": "worker_occupation_in", "codes": []}, "pilih paling sedikit satu pekerjaan"),
])
def test_a_rule_parameter_that_would_refuse_everyone_is_refused_by_the_loader(tmp_path, rule, words):
    """A cap of 0, a negative bound, a percent of UMK out of 1-100, an age range upside down or no
    program or occupation at all: a typing mistake, not a scheme that takes nobody."""
    settings = Payung.load(write_config(tmp_path), entry_points=False).settings
    data = {"code": "uji_batas_zz", "name": "Uji", "regency_code": settings.regency_codes[0], "rules": [rule]}
    with pytest.raises(DeclarationError, match=words):
        load_scheme(dumps(data), settings)
