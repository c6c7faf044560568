"""Rules a regency writes (issue 26): age range at the start month, income below the regency's
UMK, caps on the scheme's workers in all / per kecamatan / per desa, programs limited per
scheme. Each refuses with the same words in the form, the list (bulk) and the import."""

from __future__ import annotations

import datetime as dt

import pytest

from db import queries
from db.scope import EVERYTHING
from payung.core import Payung
from payung.enrolment.bulk import plan_bulk
from payung.imports import apply_import, auto_map, file_hash, plan_import, read_table

from conftest import People, _initialised, copy_database, write_config
from test_bulk import form_sequence

CODE = "uji_csr_nelayan_zz"
SCHEME = f'''
code = "{CODE}"
name = "Uji CSR nelayan"
regency_code = "33.27"
legal_basis = "Uji"
funding_code = "SC"
sponsor_types = ["perusahaan"]
months = [12]
panels = ["by_sponsor", "by_village", "targets"]

[[rules]]
rule = "worker_occupation_in"
codes = ["nelayan"]

[[rules]]
rule = "worker_age_between"
low = 18
high = 60

[[rules]]
rule = "worker_income_below_umk"

[[rules]]
rule = "workers_at_most"
limit = 3
per = "district"

[[rules]]
rule = "workers_at_most"
limit = 5

[[rules]]
rule = "programs_in"
programs = ["JKK", "JKM"]
'''


def _load(folder, location=None):
    plugins = folder / "plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / f"{CODE}.toml").write_text(SCHEME, encoding="utf-8")
    return Payung.load(write_config(folder, plugins_dir=str(plugins), database=location), entry_points=False)


@pytest.fixture
def csr(tmp_path, admin, database_template, db_location, engine):
    app = _load(tmp_path, db_location)
    assert app.plugins.scheme(CODE).name == "Uji CSR nelayan"
    copy_database(database_template("uji-csr", _load, _initialised, engine), app.settings.database_url)
    db = app.open_db()
    app.initialise(db)
    people = People(app, db, admin)
    villages = people.villages("33.27")
    districts = {}
    for village in villages:
        districts.setdefault(village.rsplit(".", 1)[0], village)
    people.in_a, people.in_b = list(districts.values())[:2]
    people.company = people.sponsor("perusahaan", name="PT Laut Sejahtera")
    yield people
    db.close()


def _request(people, worker, **choices):
    return {"scheme_code": CODE, "sponsor_id": people.company, "worker_id": worker, "start_month": "2025-01",
            **choices}


def _messages(answer):
    return [message for _, message, _ in answer]


def test_caps_per_kecamatan_and_in_all_refuse_with_the_figures_in_form_and_list(csr):
    workers = [csr.worker(csr.in_a, "nelayan") for _ in range(4)] + [csr.worker(csr.in_b, "nelayan") for _ in range(3)]
    requests = [_request(csr, w) for w in workers]
    form = form_sequence(csr, requests)
    district = queries.region(csr.db, csr.in_a.rsplit(".", 1)[0])["name"]
    assert form[:3] == [[], [], []]
    assert _messages(form[3]) == [f"Batas pekerja per kecamatan sudah penuh di {district}: 3 dari 3 pekerja."]
    assert form[4:6] == [[], []]
    assert _messages(form[6]) == ["Batas pekerja sudah penuh di skema Uji CSR nelayan: 5 dari 5 pekerja."]
    bulk = plan_bulk(csr.db, csr.app.plugins, requests, actor=csr.actor)
    assert [[(p.field, p.message, p.rule) for p in row.problems] for row in bulk.rows] == form


def test_a_worker_renewed_while_the_old_sponsorship_runs_counts_once_against_the_caps(csr):
    """The caps count distinct workers: a renewal made while the old sponsorship is still live
    adds nobody (accepted even when the cap is reached), and does not take a place from a new
    worker. In the form and in a list alike."""
    a1, a2 = csr.worker(csr.in_a, "nelayan"), csr.worker(csr.in_a, "nelayan")
    b1, b2 = csr.worker(csr.in_b, "nelayan"), csr.worker(csr.in_b, "nelayan")
    for worker in (a1, a2, b1, b2):
        csr.enrol(CODE, csr.company, worker)
    csr.enrol(CODE, csr.company, a1, start="2026-01")  # renewed; 2025-01 still live
    renew_b1 = _request(csr, b1, start_month="2026-01")
    requests = [_request(csr, csr.worker(csr.in_a, "nelayan")),  # 3rd of kecamatan a, 5th of 5 in all
                _request(csr, csr.worker(csr.in_b, "nelayan")),  # 6th: refused with the figures
                renew_b1]                                        # the cap is full: adds nobody
    form = form_sequence(csr, requests)
    assert form[0] == [] and form[2] == [], form
    assert _messages(form[1]) == ["Batas pekerja sudah penuh di skema Uji CSR nelayan: 5 dari 5 pekerja."]
    bulk = plan_bulk(csr.db, csr.app.plugins, requests, actor=csr.actor)
    assert [[(p.field, p.message, p.rule) for p in row.problems] for row in bulk.rows] == form
    assert [row.status for row in bulk.rows] == ["new", "refused", "new"]


def test_age_income_and_programs_refused_alike_in_form_and_list(csr):
    old = csr.worker(csr.in_a, "nelayan", born=__import__("datetime").date(1962, 6, 1))
    rich = csr.worker(csr.in_a, "nelayan", declared_income=2_296_140)
    fine = csr.worker(csr.in_a, "nelayan", declared_income=2_296_139)
    requests = [_request(csr, old), _request(csr, rich), _request(csr, fine, programs=["JKK", "JKM", "JHT"]),
                _request(csr, fine)]
    form = form_sequence(csr, requests)
    assert _messages(form[0]) == [f"Umur {queries.worker(csr.db, old, EVERYTHING)['name']} pada bulan mulai 62 tahun; "
                                  "harus 18 sampai 60 tahun."]
    assert "tidak di bawah UMK Kabupaten Pemalang 2025 (Rp 2.296.140)" in _messages(form[1])[0]
    assert _messages(form[2]) == ["Skema Uji CSR nelayan hanya membiayai JKK + JKM; JHT tidak ditawarkan."]
    assert form[3] == []
    bulk = plan_bulk(csr.db, csr.app.plugins, requests, actor=csr.actor)
    assert [[(p.field, p.message, p.rule) for p in row.problems] for row in bulk.rows] == form


def test_the_import_refuses_with_the_forms_words(csr, admin):
    niks = [queries.worker(csr.db, csr.worker(csr.in_a, "nelayan"), EVERYTHING)["nik"] for _ in range(4)]
    old = queries.worker(csr.db, csr.worker(csr.in_b, "nelayan", born=__import__("datetime").date(1960, 1, 1)),
                         EVERYTHING)["nik"]
    jht = queries.worker(csr.db, csr.worker(csr.in_b, "nelayan"), EVERYTHING)["nik"]
    text = "NIK;Skema;Penyandang dana;Bulan mulai;Program\n" + "".join(
        f"{nik};{CODE};PT Laut Sejahtera;2025-01;JKK JKM\n" for nik in niks) + (
        f"{old};{CODE};PT Laut Sejahtera;2025-01;JKK JKM\n{jht};{CODE};PT Laut Sejahtera;2025-01;JKK JKM JHT\n")
    data = text.encode()
    table = read_table(data, "kepesertaan.csv")
    plan = plan_import(csr.db, csr.app.plugins, kind="kepesertaan", sheet=table,
                       mapping=auto_map(table.headers, "sponsorships"), actor=admin, file_name="kepesertaan.csv",
                       data_hash=file_hash(data))
    apply_import(csr.db, csr.app.plugins, plan, actor=admin)
    district = queries.region(csr.db, csr.in_a.rsplit(".", 1)[0])["name"]
    errors = {e.row: e.message for e in plan.errors}
    assert plan.counts["imported"] == 3
    assert errors[5] == f"Batas pekerja per kecamatan sudah penuh di {district}: 3 dari 3 pekerja."
    assert "pada bulan mulai 65 tahun; harus 18 sampai 60 tahun" in errors[6]
    assert errors[7] == "Skema Uji CSR nelayan hanya membiayai JKK + JKM; JHT tidak ditawarkan."


def test_the_umk_follows_the_year_of_the_start_month(tmp_path):
    from payung.base.config import load_settings
    path = write_config(tmp_path)
    text = path.read_text(encoding="utf-8").replace('umk = 2296140', 'umk = 2296140\numk_by_year = {"2026" = 2500000}')
    path.write_text(text, encoding="utf-8")
    pemalang = load_settings(path).regency("33.27")
    assert (pemalang.umk_for(2025), pemalang.umk_for(2026), pemalang.umk_for(2030)) == (2_296_140, 2_500_000, 2_500_000)


def test_a_cap_counted_per_something_unknown_is_refused_by_the_loader(tmp_path):
    from payung.schemes.declarative import DeclarationError, load_scheme
    app = _load(tmp_path)
    with pytest.raises(DeclarationError) as refused:
        load_scheme(SCHEME.replace('per = "district"', 'per = "rt"'), app.settings)
    assert "parameter per aturan workers_at_most harus salah satu dari: scheme, district, village" in str(refused.value)


def test_a_python_plugin_says_the_same_rules_through_the_public_api(tmp_path):
    """The rules come from ``payung.plugin.rules``, and a Python scheme using them copies to TOML."""
    from payung.plugin import Scheme, rules
    from payung.schemes.declarative import declaration_of, dumps, load_scheme
    scheme = Scheme(code="uji_python_zz", name="Uji", regency_code="33.27", rules=(
        rules.worker_age_between(18, 60), rules.worker_income_below_umk(percent=80),
        rules.workers_at_most(500), rules.workers_at_most(50, per="district"), rules.programs_in("JKK", "JKM")))
    data, missing = declaration_of(scheme)
    assert missing == []
    loaded = load_scheme(dumps(data), _load(tmp_path).settings)
    assert [r.description for r in loaded.rules] == [r.description for r in scheme.rules]
    assert loaded.offered_programs == ("JKK", "JKM")
    assert "di bawah 80% UMK" in loaded.rules[1].description


@pytest.mark.unchecked  # months marked paid without a payment
def test_a_renewal_or_a_second_sponsor_takes_no_new_place_under_a_cap(csr):
    """A cap counts workers: a worker the scheme already covers is no new one (a full kecamatan
    refused every renewal, so no scheme at its cap could go on to a second year)."""
    from shipped_schemes import paid_up

    from payung.enrolment.arrears import renew
    first = [csr.enrol(CODE, csr.company, csr.worker(csr.in_a, "nelayan")) for _ in range(3)]
    assert {p.rule for p in csr.refused(CODE, csr.company, csr.worker(csr.in_a, "nelayan"))} == {"workers_at_most"}
    paid_up(csr, first[0])  # unpaid, its membership would have ended by arrears
    renew(csr.db, csr.app.plugins, first[0], actor=csr.actor, today=dt.date(2025, 12, 10))
    # 2026 is full again once the other two are renewed in the list (2025's sponsorships, ended by
    # then, hold no place in 2026 themselves).
    listed = plan_bulk(csr.db, csr.app.plugins, [
        *({"scheme_code": CODE, "sponsor_id": csr.company, "worker_id": worker, "start_month": "2026-01"}
          for worker in (queries.sponsorship(csr.db, s, EVERYTHING)["worker_id"] for s in first[1:])),
        {"scheme_code": CODE, "sponsor_id": csr.company, "worker_id": csr.worker(csr.in_a, "nelayan"),
         "start_month": "2026-01"}], actor=csr.actor)
    assert [r.status for r in listed.rows] == ["new", "new", "refused"]
    assert listed.rows[2].problems[0].rule == "workers_at_most", "a new worker is still refused in the full kecamatan"


def test_a_cap_counts_only_sponsorships_active_in_the_months_checked(csr):
    """Sponsorships whose months have ended hold no place under a cap, even while their status
    still says "aktif": a full kecamatan of 2025 takes new workers for 2026, in the form and in
    a list, and is still full for a month the old sponsorships cover."""
    for _ in range(3):
        csr.enrol(CODE, csr.company, csr.worker(csr.in_a, "nelayan"), start="2025-01")  # 2025-01..2025-12
    csr.db.execute("UPDATE sponsorships SET status = 'aktif'")
    assert {p.rule for p in csr.refused(CODE, csr.company, csr.worker(csr.in_a, "nelayan"), start="2025-12")} \
        == {"workers_at_most"}, "the old sponsorships still cover December 2025"
    assert csr.enrol(CODE, csr.company, csr.worker(csr.in_a, "nelayan"), start="2026-01")
    listed = plan_bulk(csr.db, csr.app.plugins, [
        {"scheme_code": CODE, "sponsor_id": csr.company, "worker_id": csr.worker(csr.in_a, "nelayan"),
         "start_month": "2026-01"} for _ in range(3)], actor=csr.actor)
    assert [r.status for r in listed.rows] == ["new", "new", "refused"], "1 stored + 2 listed fill the 3 places"
    assert listed.rows[2].problems[0].rule == "workers_at_most"
