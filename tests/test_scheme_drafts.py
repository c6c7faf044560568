"""What the scheme editor says beside the draft (issue 26, point 5) and its structural steps:
copied text naming the source's regency, the monthly cost at the lowest income and at the
scheme's income bound, nesting rules under «Bila»."""

from __future__ import annotations

from payung.core import Payung
from payung.schemes import drafts

from conftest import write_config


def _settings(tmp_path):
    return Payung.load(write_config(tmp_path, plugins_dir=str(tmp_path / "none")), entry_points=False).settings


def test_text_naming_the_source_regency_is_flagged_wherever_it_was_copied(tmp_path):
    data = {"regency_code": "33.27", "name": "1 Desa 100", "description": "Desa-desa di Kabupaten Mempawah.",
            "legal_basis": "Perbup Mempawah 1/2022", "fields": [{"name": "x", "label": "RKPDes Mempawah"}],
            "targets": [{"label": "Pekerja rentan Mempawah", "value": 1}], "rules": []}
    found = drafts.source_mentions(data, _settings(tmp_path), "61.02")
    assert [m.split("»")[0] for m in found] == ["«Uraian", "«Dasar hukum", "«target 1", "«isian x"]
    assert drafts.source_mentions(data | {"regency_code": "61.02"}, _settings(tmp_path), "61.02") == []


def test_the_cost_at_the_lowest_income_and_at_the_umk_bound(tmp_path):
    settings = _settings(tmp_path)
    data = {"regency_code": "33.27", "programs": ["JKK", "JKM"], "rules": [{"rule": "worker_income_below_umk"}]}
    lines = drafts.monthly_costs(data, settings, "2025-06")
    assert lines[0] == "Pada penghasilan terendah Rp 1.000.000: Rp 16.800 per pekerja per bulan (JKK + JKM)."
    # JKK 1% of Rp 2.296.139 (just below Pemalang's UMK) = 22.961, plus JKM 6.800.
    assert lines[1] == ("Pada batas penghasilan skema (di bawah UMK Kabupaten Pemalang 2025, Rp 2.296.139): "
                        "Rp 29.761 per pekerja per bulan.")
    assert lines[2] == "JKK 1% dari penghasilan yang dilaporkan; JKM tetap Rp 6.800."
    assert len(drafts.monthly_costs({"regency_code": "33.27", "rules": []}, settings, "2025-06")) == 2


def test_rules_nest_under_the_when_above_and_come_out_again():
    rules = [{"rule": "when", "field": "pilar", "value": "dbhcht", "rules": []},
             {"rule": "worker_age_between", "low": 55, "high": 65}]
    inside = drafts.nested(rules, 1)
    assert inside == [{"rule": "when", "field": "pilar", "value": "dbhcht",
                       "rules": [{"rule": "worker_age_between", "low": 55, "high": 65}]}]
    assert drafts.unnested(inside, 0, 0) == rules
    assert drafts.moved(rules, 1, -1) == rules[::-1]
    assert drafts.new_rule("worker_occupation_in", blank=True) == {"rule": "worker_occupation_in", "codes": []}
