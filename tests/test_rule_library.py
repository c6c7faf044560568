"""The rule library: every rule accepts its sample and refuses its refusing case, and the
plugin reference's rule library section is the text generated from the code."""

import re

import pytest

from payung.core import Payung
from payung.schemes.declarative import load_scheme, rule_spec
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
