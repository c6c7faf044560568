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


def test_the_panel_counts_each_worker_of_the_month_once_and_says_what_the_beranda_counts(people, asn):
    """Beranda said 17 protected, the panel "54.000 sebelumnya + 44 lewat gerakan ASN: 54.044 dari
    200.000", and a user could not tell the two apart. The 44 added up every sponsorship ever
    registered (a renewed worker twice, one whose months had ended for ever); the panel counts the
    workers of the month shown once, beside those of them protected (what the Beranda counts), and
    says what 200.000 and 54.000 are."""
    import datetime as dt

    from payung.finance.payments import record_payment
    from payung.plugin import DataReader, format_count
    renewed, ended = people.worker(VILLAGE), people.worker(VILLAGE)
    people.enrol(CODE, asn, renewed, start="2025-01", months=6, fields=FIELDS)
    people.enrol(CODE, asn, renewed, start="2025-07", months=6, fields=FIELDS)
    people.enrol(CODE, asn, ended, start="2024-01", months=6, fields=FIELDS)
    day = dt.date(2025, 7, 10)
    record_payment(people.db, people.app.plugins, scheme_code=CODE, party_key="Dinas Sosial", amount=16_800,
                   from_month="2025-07", to_month="2025-07", paid_on=day, today=day, actor=people.actor)
    scheme = people.app.plugins.scheme(CODE)
    settings = people.app.settings.scheme_settings(CODE)
    vulnerable, before = int(settings.get("vulnerable_workers", 200000)), int(settings.get("covered_at_start", 54000))
    panels = {p.title: p for p in people.app.plugins.panels(scheme, DataReader.unscoped(people.db), "2025-08")}
    # The progress counts what the Beranda's bar counts (the protected workers: Terlindungi, the
    # month paid), in its words; it counted "terdaftar" beside the bar's "terlindungi". August is
    # not paid: 1 registered, none protected.
    progress = panels["Pekerja rentan Kendal menuju target"]
    assert progress.rows == [{"label": f"{format_count(before)} sudah terlindungi sebelumnya + 0 terlindungi "
                                       "(lunas Agustus 2025)", "value": before, "target": vulnerable}]
    caption = progress.caption
    assert "perkiraan seluruh pekerja rentan Kabupaten Kendal" in caption and "bukan hitungan Payung" in caption
    assert "iuran Agustus 2025 sudah lunas" in caption and "Terlindungi di Beranda" in caption
    # 200.000 and 54.000 are said once each, in the bar ("...: 54.000 dari 200.000"): the title and
    # the caption said them again (200.000 three times in one bar's panel).
    said = " ".join([progress.title, progress.rows[0]["label"], caption])
    assert format_count(vulnerable) not in said and said.count(format_count(before)) == 1, said
    assert panels["Pekerja gerakan ASN, Agustus 2025"].rows == [
        {"label": "Terdaftar (lunas atau belum)", "value": 1}, {"label": "Terlindungi (iuran lunas)", "value": 0}]
    # July is paid: the renewed worker once, the one whose months ended for ever not at all.
    july = {p.title: p for p in people.app.plugins.panels(scheme, DataReader.unscoped(people.db), "2025-07")}
    assert [r["value"] for r in july["Pekerja gerakan ASN, Juli 2025"].rows] == [1, 1]
    assert july["Pekerja rentan Kendal menuju target"].rows[0]["value"] == before + 1
    assert "Terlindungi di Beranda" in july["Pekerja gerakan ASN, Juli 2025"].caption


def test_the_target_counts_the_workers_covered_before_the_movement(people):
    """Beranda's progress said "17 of 200.000" without the 54.000 covered before the movement: the
    scheme's target carries them (``Target.already_covered``, from config.toml)."""
    settings = people.app.settings.scheme_settings(CODE)
    [target] = people.app.plugins.scheme(CODE).targets
    assert target.value == int(settings.get("vulnerable_workers", 200000))
    assert target.already_covered == int(settings.get("covered_at_start", 54000)) > 0


def test_the_participation_per_opd_counts_the_asn_of_the_month_shown(people, asn):
    """The participation per OPD counted an ASN whose sponsorship had ended long ago: the press
    reports ASN taking part per month ("728 in June"), and so does the panel, naming the month."""
    from payung.plugin import DataReader
    people.enrol(CODE, asn, people.worker(VILLAGE), start="2024-01", months=6, fields=FIELDS)
    scheme = people.app.plugins.scheme(CODE)

    def panels(month):
        return {p.title: p for p in people.app.plugins.panels(scheme, DataReader.unscoped(people.db), month)}

    assert {"opd": "Dinas Sosial"} | {"asn": 1} == {k: v for k, v in next(
        r for r in panels("2024-03")["Partisipasi ASN per OPD, Maret 2024"].rows if r["opd"] == "Dinas Sosial").items()
        if k in ("opd", "asn")}
    later = panels("2025-03")
    assert next(r for r in later["Partisipasi ASN per OPD, Maret 2025"].rows if r["opd"] == "Dinas Sosial")["asn"] == 0
    assert later["ASN ikut serta, Maret 2025"].rows[0]["value"] == 0
