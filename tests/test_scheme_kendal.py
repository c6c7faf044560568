"""Gerakan ASN Peduli Pekerja Rentan (Kendal): civil servants sponsor vulnerable workers."""

import pytest

from conftest import rules_of

CODE = "kendal_asn_peduli"
VILLAGE = "33.24.01.2001"
FIELDS = {"payment_method": "potong_gaji"}


@pytest.fixture
def asn(people):
    return people.sponsor("asn", nip="198503122010011002", opd="Dinas Sosial")


def test_civil_servant_sponsors_a_worker_by_salary_deduction(people, asn):
    assert people.enrol(CODE, asn, people.worker(VILLAGE, "pedagang_pasar"), fields=FIELDS)


def test_non_pns_with_employee_number_may_sponsor(people):
    non_pns = people.sponsor("asn", employee_number="TKD-042", opd="Bappeda")
    assert people.enrol(CODE, non_pns, people.worker(VILLAGE), fields={"payment_method": "transfer"})


def test_kendal_requires_a_payment_method(people, asn):
    problems = people.refused(CODE, asn, people.worker(VILLAGE), fields={})
    assert rules_of(problems) == ["field_required"] and problems[0].message == "«Cara bayar» wajib diisi."


def test_kendal_refuses_an_opd_not_in_the_list(people):
    stranger = people.sponsor("asn", nip="199001012015031001", opd="Dinas Antah Berantah")
    problems = people.refused(CODE, stranger, people.worker(VILLAGE), fields=FIELDS)
    assert rules_of(problems) == ["opd_listed"] and "Dinas Antah Berantah" in problems[0].message


def test_kendal_only_accepts_civil_servants(people):
    problems = people.refused(CODE, people.sponsor("perusahaan"), people.worker(VILLAGE), fields=FIELDS)
    assert rules_of(problems) == ["sponsor_type_in"] and "ASN" in problems[0].message


def test_kendal_refuses_worker_from_pemalang(people, asn):
    problems = people.refused(CODE, asn, people.worker("33.27.01.2001"), fields=FIELDS)
    assert rules_of(problems) == ["worker_lives_in_regency"]
