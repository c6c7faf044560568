"""Contributions (``payung.base.money``): JKK + JKM at the lowest bracket, optional JHT, integer
Rupiah rounded half up, relief periods and rate changes by month, Rupiah in figures and words."""

import dataclasses

import pytest

from payung.base.errors import ValidationError
from payung.base.money import check_programs, contribution, format_rupiah, in_words


def test_jkk_and_jkm_at_lowest_bracket_is_16800(app):
    c = contribution(app.settings, income=1_000_000, programs=("JKK", "JKM"), month="2025-03")
    assert (c.jkk, c.jkm, c.jht, c.total) == (10_000, 6_800, 0, 16_800)
    assert c.total * 12 == 201_600


def test_jht_is_optional_and_adds_2_percent(app):
    c = contribution(app.settings, income=1_000_000, programs=("JKK", "JKM", "JHT"), month="2025-03")
    assert c.total == 36_800


def test_income_below_lowest_bracket_is_charged_at_the_bracket(app):
    low = contribution(app.settings, income=600_000, programs=("JKK", "JKM"), month="2025-03")
    assert low.total == 16_800


def test_amounts_are_integers_rounded_half_up(app):
    c = contribution(app.settings, income=1_234_550, programs=("JKK", "JKM", "JHT"), month="2025-03")
    assert (c.jkk, c.jht) == (12_346, 24_691)
    assert all(type(getattr(c, f.name)) is int for f in dataclasses.fields(c))


def test_float_income_is_rejected(app):
    with pytest.raises(TypeError):
        contribution(app.settings, income=1_000_000.0, programs=("JKK", "JKM"), month="2025-03")


def test_negative_income_is_refused_in_indonesian(app):
    with pytest.raises(ValidationError, match="lebih dari Rp0"):
        contribution(app.settings, income=-1, programs=("JKK", "JKM"), month="2025-03")


def test_relief_applies_only_in_its_months_and_occupations(app):
    during = contribution(app.settings, income=1_000_000, programs=("JKK", "JKM"), month="2025-10",
                          occupation="tukang_ojek")
    assert during.total == 8_400
    farmer = contribution(app.settings, income=1_000_000, programs=("JKK", "JKM"), month="2025-10",
                          occupation="petani")
    assert farmer.total == 16_800
    covid = contribution(app.settings, income=1_000_000, programs=("JKK", "JKM"), month="2020-09")
    assert covid.total == 168  # 99% off: 100 + 68


def test_rate_table_change_takes_effect_from_its_month(tmp_path):
    from conftest import write_config
    from payung.base.config import load_settings
    path = write_config(tmp_path, extra="")
    text = path.read_text().replace(
        "[[contribution.relief]]",
        '[[contribution.rates]]\nvalid_from = "2027-01"\njkk_bp = 100\njkm = 7200\njht_bp = 200\n\n[[contribution.relief]]',
        1,
    )
    path.write_text(text)
    settings = load_settings(path)
    assert contribution(settings, income=1_000_000, programs=("JKK", "JKM"), month="2026-12").total == 16_800
    assert contribution(settings, income=1_000_000, programs=("JKK", "JKM"), month="2027-01").total == 17_200


def test_programs_must_include_jkk_and_jkm(app):
    with pytest.raises(ValidationError, match="wajib ikut JKK dan JKM"):
        check_programs(app.settings, ["JKK"])
    assert check_programs(app.settings, ["jht", "JKM", "JKK"]) == ("JKK", "JKM", "JHT")


def test_rupiah_format_and_words():
    assert format_rupiah(16_800) == "Rp16.800"
    assert in_words(16_800) == "enam belas ribu delapan ratus rupiah"
