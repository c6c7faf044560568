"""Identity numbers (``payung.base.identity``): the NIK (birth date, gender, region, typing and
Excel mistakes), the NIP, phone numbers, and the masked NIK."""

import datetime as dt
import random

import pytest
from lokal import is_valid_nik

from payung.base.identity import check_nik, check_nip, mask_nik, normalize_phone

TODAY = dt.date(2026, 11, 23)


def test_nik_gives_birth_date_gender_and_district():
    result = check_nik("3324015708750001", today=TODAY)
    assert result.ok
    assert result.birth_date == dt.date(1975, 8, 17)
    assert result.gender == "P"
    assert result.district_code == "33.24.01"


def test_nik_accepts_spaces_dots_and_excel_apostrophe():
    assert check_nik("'3324 0157.0875-0001", today=TODAY).nik == "3324015708750001"


@pytest.mark.parametrize("nik, rule, words", [
    ("332401570875001", "nik_format", "16 digit"),
    ("", "nik_required", "wajib"),
    ("9924015708750001", "nik_province", "provinsi"),
    ("3300015708750001", "nik_wilayah", "00"),
    ("3324015708750000", "nik_serial", "0000"),
    ("3324019913750001", "nik_birth_date", "Tanggal lahir di NIK tidak valid"),
])
def test_bad_nik_is_refused_with_indonesian_reason(nik, rule, words):
    result = check_nik(nik, today=TODAY)
    assert not result.ok
    assert result.problems[0].rule == rule
    assert words in result.problems[0].message


def test_nik_in_scientific_notation_is_detected_not_guessed():
    result = check_nik("3.32402E+15", today=TODAY)
    assert result.problems[0].rule == "nik_format"
    assert "angka ilmiah" in result.problems[0].message


def test_nik_birth_date_must_agree_with_typed_date():
    result = check_nik("3324015708750001", birth_date=dt.date(1975, 8, 18), today=TODAY)
    assert [p.rule for p in result.problems] == ["nik_birth_date_mismatch"]
    assert "17/08/1975" in result.problems[0].message and "nomor KK" in result.problems[0].message


def test_nik_gender_must_agree_with_typed_gender():
    result = check_nik("3324015708750001", gender="L", today=TODAY)
    assert [p.rule for p in result.problems] == ["nik_gender_mismatch"]
    assert "perempuan" in result.problems[0].message


def test_typed_birth_date_decides_the_century():
    result = check_nik("3324011708250001", birth_date=dt.date(1925, 8, 17), today=TODAY)
    assert result.ok and result.birth_date == dt.date(1925, 8, 17)


def test_nik_from_another_regency_is_a_warning_not_an_error():
    # Pringsewu was split from Tanggamus (18.06): old NIKs carry the old code.
    result = check_nik("1806015708750001", regency_codes=("18.10",), today=TODAY)
    assert result.ok
    assert "18.06" in result.warnings[0] and "domisili" in result.warnings[0]


def test_inline_structure_checks_agree_with_lokal():
    rng = random.Random(1)
    for _ in range(3000):
        nik = "".join(rng.choice("0123456789") for _ in range(16))
        if rng.random() < 0.7:  # mostly near-valid numbers
            nik = rng.choice(["33", "61", "18", "73", "99"]) + nik[2:6] + f"{rng.randint(1, 71):02d}" \
                + f"{rng.randint(1, 13):02d}" + nik[10:]
        if nik[8:10] == "02" and int(nik[6:8]) % 40 == 29:
            continue  # 29 February: lokal guesses the century, we pick a working-age one
        assert check_nik(nik, today=TODAY).ok == is_valid_nik(nik), nik


def test_nip_is_parsed():
    result = check_nip("198503122010011002", today=TODAY)
    assert result.ok
    assert result.birth_date == dt.date(1985, 3, 12) and result.appointed == "2010-01" and result.gender == "L"


@pytest.mark.parametrize("nip, rule", [
    ("19850312201001100", "nip_format"),
    ("198513122010011002", "nip_birth_date"),
    ("198503122010131002", "nip_appointment"),
    ("198503121990011002", "nip_appointment"),
    ("198503122010013002", "nip_gender"),
    ("198503122010011000", "nip_serial"),
])
def test_bad_nip_is_refused(nip, rule):
    result = check_nip(nip, today=TODAY)
    assert [p.rule for p in result.problems] == [rule]
    assert "NIP" in result.problems[0].message


@pytest.mark.parametrize("typed", ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "81234567890"])
def test_phone_numbers_are_normalised(typed):
    assert normalize_phone(typed) == ("+6281234567890", None)


def test_bad_phone_is_refused():
    phone, problem = normalize_phone("12345")
    assert phone is None and "tidak valid" in problem.message


def test_nik_is_masked():
    assert mask_nik("3324015708750001") == "3324********0001"
