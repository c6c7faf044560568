"""The dashboard and the monthly report: every number against a count made here,
in Python, from the raw rows of a small known database (not from the dashboard's queries)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import altair as alt

import pytest
from openpyxl import load_workbook

from db import queries
from payung.reports import dashboard
from payung.auth.access import Actor
from payung.finance.claims import record_claim
from payung.base.coverage import due_date
from payung.base.months import add_months
from payung.finance.payments import record_payment
from payung.reports.monthly import report_pdf, report_xlsx
from payung.auth.users import add_user

MONTH = "2025-03"
TODAY = dt.date(2025, 4, 20)  # March fell due on 15 April
KENDAL, PRINGSEWU = "kendal_asn_peduli", "pringsewu_uc"


@pytest.fixture
def known(people):
    """Kendal workers in two districts and Pringsewu workers, some months paid, one claim."""
    db = people.db
    other_district = next(r["code"] for r in queries.regions_in(db, "33.24", 3) if r["code"] != "33.24.01")
    other_village = queries.regions_in(db, other_district, 4)[0]["code"]
    asn = [people.sponsor("asn", nip=nip, opd=opd) for nip, opd in (
        ("198503122010011002", "Dinas Sosial"), ("198701012015032001", "Bappeda"))]
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    kendal = [people.worker("33.24.01.2001", born=dt.date(1990, 1, 5)),
              people.worker("33.24.01.2002", "nelayan", born=dt.date(1960, 7, 1), gender="P"),
              people.worker("33.24.01.2001", "pedagang_pasar", born=dt.date(1999, 3, 3), gender="P"),
              people.worker(other_village, born=dt.date(1980, 2, 2))]
    pringsewu = [people.worker("18.10.01.2006", poverty_source="P3KE", born=dt.date(1970, 1, 1)),
                 people.worker("18.10.01.2006", poverty_source="P3KE", born=dt.date(1985, 6, 6), gender="P")]
    for n, worker in enumerate(kendal):
        people.enrol(KENDAL, asn[n % 2], worker, start="2025-01", fields={"payment_method": "potong_gaji"})
    for worker in pringsewu:
        people.enrol(PRINGSEWU, apbd, worker, start="2025-02",
                     fields={"budget_year": 2025, "category": "miskin_ekstrem"})
    pay = dict(actor=people.actor, today=TODAY, paid_on=dt.date(2025, 4, 1))
    # Dinas Sosial pays January-March in full; Bappeda January-February and half of March.
    record_payment(db, people.app.plugins, scheme_code=KENDAL, party_key="Dinas Sosial", amount=2 * 3 * 16_800,
                   from_month="2025-01", to_month="2025-03", **pay)
    record_payment(db, people.app.plugins, scheme_code=KENDAL, party_key="Bappeda",
                   amount=2 * 2 * 16_800 + 16_800, from_month="2025-01", to_month="2025-03", **pay)
    # The APBD pays February only.
    record_payment(db, people.app.plugins, scheme_code=PRINGSEWU, party_key="-", amount=2 * 16_800,
                   from_month="2025-02", to_month="2025-02", **pay)
    record_claim(db, {"worker_id": kendal[0], "program": "JKK", "incident_date": dt.date(2025, 3, 3),
                      "status": "dibayar", "benefit_amount": 2_500_000, "paid_on": dt.date(2025, 3, 28)},
                 actor=people.actor, today=TODAY)
    return {"db": db, "app": people.app, "other_district": other_district}


def _raw(db):
    lines = list(db.query("SELECT * FROM contribution_lines"))
    workers = {w["id"]: w for w in db.query("SELECT * FROM workers")}
    return lines, workers


def _still_payable(db, lines, today, lapse=3, due_day=15):
    """The late list's rule, counted by hand: an unpaid month of a live sponsorship is still
    payable from its due date until ``lapse`` months later, unless the worker's run of unpaid
    overdue months in that scheme is longer than ``lapse`` (the membership has then ended)."""
    live = {p["id"] for p in db.query("SELECT id FROM sponsorships WHERE status IN ('diajukan', 'aktif')")}
    overdue = sorted((l for l in lines if l["sponsorship_id"] in live and l["paid_amount"] < l["amount"]
                      and due_date(l["month"], due_day) < today), key=lambda l: (l["worker_id"], l["scheme_code"], l["month"]))
    runs, result = [], []
    for line in overdue:
        last = runs[-1][-1] if runs else None
        if last and (last["worker_id"], last["scheme_code"]) == (line["worker_id"], line["scheme_code"]) \
                and add_months(last["month"], 1) == line["month"]:
            runs[-1].append(line)
        else:
            runs.append([line])
    for run in runs:
        if len(run) <= lapse:
            result += [l for l in run if today <= due_date(add_months(l["month"], lapse), due_day)]
    return result


def _expected(db, month, *, scheme=None, district=None, today=TODAY):
    """The dashboard's numbers, counted in Python from every raw line."""
    lines, workers = _raw(db)
    keep = [l for l in lines if (scheme is None or l["scheme_code"] == scheme)
            and (district is None or l["district_code"] == district)]
    protected = [l for l in keep if l["month"] == month and l["paid_amount"] == l["amount"]]
    kept = {l["id"] for l in keep}
    late = [l for l in _still_payable(db, lines, today) if l["id"] in kept]
    by_region: dict[str, int] = {}
    for l in protected:
        key = l["village_code"] if district else l["district_code"]
        by_region[key] = by_region.get(key, 0) + 1
    genders: dict[tuple, int] = {}
    for l in protected:
        w = workers[l["worker_id"]]
        age = int(month[:4]) - int(w["birth_date"][:4])
        group = next(g for lo, hi, g in dashboard.AGE_GROUPS if lo <= age <= hi)
        key = ({"L": "Laki-laki", "P": "Perempuan"}[w["gender"]], group)
        genders[key] = genders.get(key, 0) + 1
    return {
        "protected": len(protected),
        "previous": sum(1 for l in keep if l["month"] == add_months(month, -1) and l["paid_amount"] == l["amount"]),
        "paid_month": sum(l["paid_amount"] for l in keep if l["month"] == month),
        "paid_year": sum(l["paid_amount"] for l in keep if l["month"][:4] == month[:4] and l["month"] <= month),
        "late": {"lines": len(late), "workers": len({l["worker_id"] for l in late}),
                 "amount": sum(l["amount"] - l["paid_amount"] for l in late)},
        "by_region": by_region, "genders": genders,
        "trend": [sum(1 for l in keep if l["month"] == m and l["paid_amount"] == l["amount"])
                  for m in (add_months(month, -i) for i in range(11, -1, -1))],
    }


@pytest.mark.parametrize("scheme,district", [(None, None), (KENDAL, None), (KENDAL, "33.24.01"), (PRINGSEWU, None)])
def test_every_number_equals_an_independent_count(known, scheme, district):
    db, app = known["db"], known["app"]
    d = dashboard.build(db, app.plugins, dashboard.View(MONTH, scheme, district), actor=Actor("admin", "admin"), today=TODAY)
    want = _expected(db, MONTH, scheme=scheme, district=district)
    assert d.protected == want["protected"] and d.protected_previous == want["previous"]
    assert d.change == want["protected"] - want["previous"]
    assert (d.paid_month, d.paid_year) == (want["paid_month"], want["paid_year"])
    assert d.late == want["late"]
    assert {r["code"]: r["protected"] for r in d.by_region} == want["by_region"]
    assert {(r["gender"], r["age_group"]): r["protected"] for r in d.by_gender_age} == want["genders"]
    assert [t["protected"] for t in d.trend] == want["trend"]
    assert sum(r["protected"] for r in d.by_occupation) == want["protected"]


def test_places_and_occupations_with_equal_counts_keep_one_order_whatever_the_engine_returns(known, monkeypatch):
    """Ties are ordered by code: the engine's GROUP BY order is no order (PostgreSQL's differs
    from SQLite's, and from one plan to the next), and the Beranda must not reshuffle."""
    db, app = known["db"], known["app"]
    view, admin = dashboard.View(MONTH), Actor("admin", "admin")
    tied = [{"key": code, "protected": 1} for code in ("33.24.02", "33.24.01", "33.24.03")]
    monkeypatch.setattr(dashboard.aggregates, "protected_by", lambda *a, **k: list(tied))
    first = dashboard.build(db, app.plugins, view, actor=admin, today=TODAY)
    tied.reverse()
    again = dashboard.build(db, app.plugins, view, actor=admin, today=TODAY)
    assert [r["code"] for r in first.by_region] == [r["code"] for r in again.by_region] == ["33.24.01", "33.24.02",
                                                                                             "33.24.03"]
    assert [r["code"] for r in first.by_occupation] == [r["code"] for r in again.by_occupation]


def test_the_known_figures(known):
    """The same database, read by a person: March protects 3 Kendal workers (Dinas Sosial's
    two and Bappeda's first by name); Pringsewu's March is unpaid."""
    db, app = known["db"], known["app"]
    d = dashboard.build(db, app.plugins, dashboard.View(MONTH), actor=Actor("admin", "admin"), today=TODAY)
    assert (d.protected, d.protected_previous, d.change) == (3, 6, -3)
    assert {s["code"]: s["protected"] for s in d.per_scheme}[KENDAL] == 3
    assert d.claims == {"claims": 1, "benefits": 2_500_000}
    villages = lambda regency: sum(1 for _ in queries.regions_in(db, regency, 4))  # noqa: E731
    assert d.target == sum(t.value * (villages(s.regency_code) if t.per == "village" else 1)
                           for s in app.plugins.schemes.values() for t in s.targets)
    # A village operator sees only their village.
    desa = Actor("desa", "desa", villages=("33.24.01.2001",))
    assert dashboard.build(db, app.plugins, dashboard.View(MONTH), actor=desa, today=TODAY).protected == 2


def test_report_xlsx_totals_and_pdf_pages(known):
    db, app = known["db"], known["app"]
    d = dashboard.build(db, app.plugins, dashboard.View(MONTH), actor=Actor("admin", "admin"), today=TODAY)
    want = _expected(db, MONTH)
    book = load_workbook(io.BytesIO(report_xlsx(d)))
    assert book.sheetnames == ["Ringkasan", "Per skema", "Per kecamatan", "Per pekerjaan", "Jenis kelamin dan umur",
                               "Tren 12 bulan", "Anggaran"]
    summary = {row[0]: row[1] for row in book["Ringkasan"].iter_rows(min_row=4, values_only=True)}
    assert summary["Pekerja terlindungi"] == want["protected"]
    assert summary["Iuran dibayar untuk bulan ini (Rp)"] == want["paid_month"]
    assert summary["Tunggakan per 20/04/2025: jumlah (Rp)"] == want["late"]["amount"]
    regions = list(book["Per kecamatan"].iter_rows(values_only=True))
    assert regions[0] == ("Kabupaten", "Kode", "Kecamatan", "Terlindungi")
    assert {r[0] for r in regions[1:]} == {"Kabupaten Kendal"}  # the code's regency, named
    for sheet, column in (("Per kecamatan", 3), ("Per pekerjaan", 1), ("Jenis kelamin dan umur", 2), ("Per skema", 1)):
        values = [row[column] for row in book[sheet].iter_rows(min_row=2, values_only=True)]
        assert sum(values) == want["protected"], sheet
    assert [row[1] for row in book["Tren 12 bulan"].iter_rows(min_row=2, values_only=True)] == want["trend"]
    pdf = report_pdf(d)
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert pdf.startswith(b"%PDF") and pages >= 3 and len(pdf) > 20_000


def test_view_comes_from_and_goes_to_the_url():
    view = dashboard.View.from_params({"bulan": "2025-3", "skema": KENDAL, "kecamatan": "33.24.01",
                                       "desa": "33.24.02.2001"}, "2025-11")
    assert view == dashboard.View("2025-03", KENDAL, "33.24.01", None)  # a village outside the district is dropped
    assert dashboard.View.from_params({"bulan": "kemarin"}, "2025-11").month == "2025-11"
    assert view.as_params() == {"bulan": "2025-03", "skema": KENDAL, "kecamatan": "33.24.01"}


def test_beranda_page_follows_the_filters_in_the_url(known, monkeypatch):
    import streamlit as st
    from test_pages import run
    app = known["app"]
    monkeypatch.setenv("PAYUNG_CONFIG", str(app.settings.path))
    monkeypatch.setenv("PAYUNG_DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("PAYUNG_COOKIE_KEY", "k" * 40)
    add_user(known["db"], username="admin", name="Admin", role="admin", password="payung-uji-2026", actor=Actor.system())
    st.cache_data.clear()
    for params, scheme, district in (({"bulan": MONTH}, None, None),
                                     ({"bulan": MONTH, "skema": KENDAL, "kecamatan": "33.24.01"}, KENDAL, "33.24.01")):
        at = run("admin", query=params)
        metrics = {m.label: m.value for m in at.metric}
        want = _expected(known["db"], MONTH, scheme=scheme, district=district)
        assert metrics["Terlindungi"] == str(want["protected"])
        # A past month's figures are named by their month, not "bulan ini".
        assert metrics["Iuran dibayar Mar 2025"] == f"Rp{want['paid_month']:,}".replace(",", ".")
        assert "Iuran dibayar bulan ini" not in metrics
        assert any(c.value.startswith("Klaim dibayar Mar 2025:") for c in at.caption)
        assert at.selectbox[0].value == MONTH and at.selectbox[1].value == scheme
        assert at.selectbox[2].value == district
        # Today's arrears, as the late list reads them; a chosen district says the regency-wide
        # target is not split.
        from payung.enrolment.arrears import late_list
        from payung.base.money import format_rupiah_short
        late = late_list(known["db"], app.plugins, actor=Actor("admin", "admin"), scheme_code=scheme)
        if district is None:
            assert metrics["Tunggakan hari ini"] == format_rupiah_short(late.total_open)
        # Kendal's targets are the regency's: a chosen district has none, and the note says so.
        split = "Target tingkat kabupaten tidak dibagi per kecamatan atau desa; tidak ada target untuk "
        assert any(c.value.startswith(split) for c in at.caption) == (district is not None)
        assert (metrics["Target"] == "Tidak ada") == (district is not None)
    # Choosing another district rewrites the URL.
    at.selectbox[2].set_value(known["other_district"]).run()
    assert known["other_district"] in str(at.query_params["kecamatan"]) and KENDAL in str(at.query_params["skema"])


def test_arrears_on_the_beranda_equal_the_late_list(known, people):
    """The Beranda's Tunggakan is the late list added up: a worker whose run of unpaid months
    has already ended the membership is on neither, whatever month the Beranda shows."""
    from payung.enrolment.arrears import late_list
    db, app = known["db"], known["app"]
    lapsed = people.worker(queries.regions_in(db, known["other_district"], 4)[0]["code"], born=dt.date(1988, 8, 8))
    asn = people.sponsor("asn", nip="199001012015031003", opd="Dinas Sosial")
    people.enrol(KENDAL, asn, lapsed, start="2024-10", fields={"payment_method": "potong_gaji"})  # never paid
    # Unpaid October to January: January alone is still within its payment period, but the run
    # of four unpaid months (longer than lapse_months) has already ended the membership.
    older = people.worker("18.10.01.2006", poverty_source="P3KE", born=dt.date(1977, 7, 7))
    people.enrol(PRINGSEWU, people.sponsor("apbd_kabupaten", regency_code="18.10"), older, start="2024-10", months=4,
                 fields={"budget_year": 2024, "category": "miskin_ekstrem"})
    admin = Actor("admin", "admin")
    for view in (dashboard.View(MONTH), dashboard.View("2024-12"), dashboard.View(MONTH, KENDAL),
                 dashboard.View(MONTH, KENDAL, known["other_district"])):
        d = dashboard.build(db, app.plugins, view, actor=admin, today=TODAY)
        # Whether a month is still payable depends on the worker's whole history, not on the
        # place chosen: judge every line, then keep those of the view.
        want = [l for l in _still_payable(db, _raw(db)[0], TODAY) if (view.scheme is None or l["scheme_code"] == view.scheme)
                and (view.district is None or l["district_code"] == view.district)]
        assert not {lapsed, older} & {l["worker_id"] for l in want}
        assert d.late == {"lines": len(want), "workers": len({l["worker_id"] for l in want}),
                          "amount": sum(l["amount"] - l["paid_amount"] for l in want)}
        assert d.late["amount"] > 0
        if view.district is None:
            late = late_list(db, app.plugins, actor=admin, today=TODAY, scheme_code=view.scheme)
            assert d.late["amount"] == late.total_open
            assert d.late["lines"] == sum(p["lines"] for p in late.parties)
            assert lapsed in {r["worker_id"] for r in late.lapsed}
        assert d.as_of == TODAY


def test_a_chosen_place_counts_its_village_targets_only(known):
    """Per-village targets count for the villages of the chosen district or village; a
    regency-wide target is not split by place, so it is left out and the page says so."""
    from payung.schemes.model import Target
    db, app = known["db"], known["app"]
    scheme = app.plugins.scheme(KENDAL)
    admin = Actor("admin", "admin")
    villages = [r["code"] for r in queries.regions_in(db, "33.24", 4)]
    in_district = [v for v in villages if v.startswith("33.24.01.")]
    targets = (Target("Pekerja per desa", 5, per="village"), Target("Pekerja se-kabupaten", 1000))
    original = scheme.targets
    object.__setattr__(scheme, "targets", targets)
    try:
        whole = dashboard.target_for(db, scheme, actor=admin)
        district = dashboard.target_for(db, scheme, actor=admin, district="33.24.01")
        village = dashboard.target_for(db, scheme, actor=admin, district="33.24.01", village=in_district[0])
        d = dashboard.build(db, app.plugins, dashboard.View(MONTH, KENDAL, "33.24.01"), actor=admin, today=TODAY)
    finally:
        object.__setattr__(scheme, "targets", original)
    assert whole == 5 * len(villages) + 1000
    assert district == 5 * len(in_district) < whole
    assert village == 5
    assert d.target == district and d.regency_targets_left_out


def _late_by_rule(db, app, today: dt.date, schemes) -> tuple[dict, dict, dict]:
    """The late list worked out line by line with ``coverage.line_statuses``: per (scheme, party)
    its workers, lines, amount, oldest month and names; the first 15 names with their months;
    per (scheme, worker) whose membership ended its months, first, last and first sponsor."""
    from payung.base.coverage import BERAKHIR, MENUNGGAK, line_statuses
    parties, named, lapsed = {}, {}, {}
    for code in schemes:
        lines = list(db.query(
            "SELECT l.id, l.worker_id, l.month, l.amount, l.paid_amount, COALESCE(s.opd, '-') AS opd,"
            " COALESCE(CAST(l.budget_line_id AS TEXT), '-') AS line, w.name, s.name AS sponsor"
            " FROM contribution_lines l JOIN sponsors s ON s.id = l.sponsor_id JOIN workers w ON w.id = l.worker_id"
            " JOIN sponsorships p ON p.id = l.sponsorship_id WHERE l.scheme_code = ? AND p.status IN ('aktif', 'diajukan')",
            [code]))
        statuses = line_statuses(lines, today=today, due_day=app.settings.due_day_of(code),
                                 lapse_months=app.settings.lapse_months)
        for line in sorted(lines, key=lambda l: l["month"]):
            if statuses[line["id"]] == MENUNGGAK:
                key = (code, line["opd"] if app.plugins.scheme(code).bill_by == "opd" else line["line"])
                party = parties.setdefault(key, {"workers": set(), "lines": 0, "amount": 0, "oldest": line["month"],
                                                 "names": {}})
                party["workers"].add(line["worker_id"])
                party["lines"] += 1
                party["amount"] += line["amount"] - line["paid_amount"]
                party["names"].setdefault(line["name"], []).append(line["month"])
            elif statuses[line["id"]] == BERAKHIR:
                worker = lapsed.setdefault((code, line["worker_id"]), [0, line["month"], None, line["sponsor"]])
                worker[0] += 1
                worker[2] = line["month"]
    for key, party in parties.items():
        named[key] = {name: party["names"][name] for name in sorted(party["names"])[:15]}
        parties[key] = (len(party["workers"]), party["lines"], party["amount"], party["oldest"], len(party["names"]))
    return parties, named, {key: tuple(value) for key, value in lapsed.items()}


def test_arrears_figure_and_late_list_agree_on_random_histories(people):
    """The Beranda's SQL count, the late list grouped from the SQL rule's rows and the rule
    applied line by line (``line_statuses``) are codings of one rule: on random payment
    histories, several days and several slices, they give one answer, down to each party's
    workers, oldest month and named workers, and each lapsed worker's months and sponsor."""
    import random
    from payung.enrolment.arrears import late_list, late_summary
    rng = random.Random(20261202)
    db, app = people.db, people.app
    kendal_villages = [r["code"] for r in queries.regions_in(db, "33.24.01", 4)[:3]]
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    parties = {(PRINGSEWU, "-")}
    opds = sorted(app.settings.schemes[KENDAL]["opd"])
    for n in range(36):
        start = add_months("2024-03", rng.randrange(14))
        if n % 3:  # Kendal bills per OPD: a few workers on each bill
            worker = people.worker(rng.choice(kendal_villages), born=dt.date(1970 + n, 1, 1))
            opd = opds[n % len(opds)]
            people.enrol(KENDAL, people.sponsor("asn", nip=f"198503122010011{n:03d}", opd=opd), worker, start=start,
                         fields={"payment_method": "potong_gaji"})
            parties.add((KENDAL, opd))
        else:
            worker = people.worker("18.10.01.2006", poverty_source="P3KE", born=dt.date(1970 + n, 2, 2))
            people.enrol(PRINGSEWU, apbd, worker, start=start, months=rng.choice((12, 6, 4, 3)),
                         fields={"budget_year": int(start[:4]), "category": "miskin_ekstrem"})
    # A history of paid, half-paid and unpaid months, each paid on its due date.
    for month in (add_months("2024-03", i) for i in range(26)):
        day = due_date(month, 15)
        for scheme, party in sorted(parties):
            share = rng.choice((1, 1, 0.5, 0, 0))
            open_amount = sum(l["amount"] - l["paid_amount"] for l in db.query(
                "SELECT l.amount, l.paid_amount FROM contribution_lines l JOIN sponsors s ON s.id = l.sponsor_id"
                " WHERE l.month = ? AND l.scheme_code = ? AND (? = '-' OR s.opd = ?)", [month, scheme, party, party]))
            if share and open_amount and int(open_amount * share) > 0:
                record_payment(db, app.plugins, scheme_code=scheme, party_key=party, amount=int(open_amount * share),
                               from_month=month, to_month=month, paid_on=day, today=day, actor=people.actor)
    operator = Actor("op.kendal", "operator", regency_code="33.24")
    seen = 0
    # 15 June 2025 is both a due date (May) and the last day February can be paid.
    for today in (dt.date(2024, 12, 10), dt.date(2025, 4, 20), dt.date(2025, 6, 15), dt.date(2025, 6, 16),
                  dt.date(2025, 9, 1)):
        for actor in (Actor("admin", "admin"), operator):
            for scheme in (None, KENDAL, PRINGSEWU):
                if actor is operator and scheme == PRINGSEWU:
                    continue
                late = late_list(db, app.plugins, actor=actor, today=today, scheme_code=scheme)
                summary = late_summary(db, app.plugins, actor=actor, today=today, scheme_code=scheme)
                assert summary["amount"] == late.total_open, (today, actor.role, scheme)
                assert summary["lines"] == sum(p["lines"] for p in late.parties), (today, actor.role, scheme)
                seen += summary["lines"] > 0 and len(late.lapsed) > 0
                parties, named, lapsed = _late_by_rule(db, app, today, [scheme] if scheme else (
                    [KENDAL] if actor is operator else [KENDAL, PRINGSEWU]))
                assert {(p["scheme_code"], p["party_key"]): (p["workers"], p["lines"], p["amount"], p["oldest"],
                                                             p["names"]) for p in late.parties} == parties
                assert late.named == named
                assert {(r["scheme_code"], r["worker_id"]): (r["months"], r["first"], r["last"], r["sponsor"])
                        for r in late.lapsed} == lapsed
        whole = late_summary(db, app.plugins, actor=Actor("admin", "admin"), today=today, scheme_code=KENDAL)
        by_village = [late_summary(db, app.plugins, actor=Actor("admin", "admin"), today=today, scheme_code=KENDAL,
                                   district="33.24.01", village=v) for v in kendal_villages]
        assert sum(v["amount"] for v in by_village) == whole["amount"]
    assert seen >= 4  # the histories do have both payable and lapsed months


def test_a_district_shows_only_its_regencys_schemes_and_budget_lines(known):
    """With a Kendal district chosen, Per skema lists Kendal's schemes only (not every scheme
    at 0) and the budget figures are Kendal's lines only; the Beranda chart, the PDF chart and
    the XLSX sheet draw the very same rows."""
    from payung.finance.budgets import categories, create_budget_line
    from payung.reports.charts import budget_bar
    db, app = known["db"], known["app"]
    admin = Actor("admin", "admin")
    for scheme in app.plugins.schemes.values():
        category = next(iter(categories(app.plugins, scheme.code)), None)
        create_budget_line(db, app.plugins, {"scheme_code": scheme.code, "year": 2025, "name": "APBD 2025 - Pekerja",
                                             "source": "APBD", "amount": 50_000_000, "category": category},
                           actor=admin)
    everywhere = dashboard.build(db, app.plugins, dashboard.View(MONTH), actor=admin, today=TODAY)
    assert len({b["scheme_code"] for b in everywhere.budgets}) > 1
    labels = [b["label"] for b in everywhere.budgets]
    assert len(labels) == len(set(labels))  # one name in several schemes: told apart
    d = dashboard.build(db, app.plugins, dashboard.View(MONTH, district="33.24.01"), actor=admin, today=TODAY)
    kendal = {c for c, s in app.plugins.schemes.items() if s.regency_code == "33.24"}
    assert {s["code"] for s in d.per_scheme} == kendal
    assert d.budgets and {b["scheme_code"] for b in d.budgets} <= kendal
    drawn = [r["line"] for r in budget_bar(d).to_dict()["datasets"].popitem()[1] if r["kind"] == "Terikat"]
    sheet = load_workbook(io.BytesIO(report_xlsx(d)))["Anggaran"]
    listed = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert drawn == listed == [b["label"] for b in d.budgets]


def test_budget_figures_have_unique_labels_and_one_row_for_the_rest():
    lines = [{"id": n, "scheme_code": code, "scheme": name, "name": f"APBDes 2026 - Desa {n % 9}", "year": 2026,
              "amount": 1_000_000 * (n + 1), "committed": n, "paid": 0}
             for n, (code, name) in enumerate([("a", "Skema A"), ("b", "Skema B")] * 12)]
    figures = dashboard.budget_figures(lines)
    assert len(figures) == dashboard.BUDGET_LINES_SHOWN
    labels = [f["label"] for f in figures]
    assert len(set(labels)) == len(labels)
    assert figures[-1]["label"] == f"Pos anggaran lainnya ({len(lines) - dashboard.BUDGET_LINES_SHOWN + 1} pos)"
    assert sum(f["amount"] for f in figures) == sum(l["amount"] for l in lines)
    same = dashboard.budget_figures([dict(lines[0], id=1), dict(lines[0], id=2)])
    assert [f["label"] for f in same] == ["APBDes 2026 - Desa 0 (pos #1)", "APBDes 2026 - Desa 0 (pos #2)"]
    # A name of two schemes: the scheme's short name first (a phone's width cut off what came after).
    alone = dashboard.budget_figures([dict(lines[0], scheme="GN Lingkaran (Gerakan Nasional)"), lines[1]])
    assert [f["label"] for f in alone] == ["APBDes 2026 - Desa 1", "APBDes 2026 - Desa 0"]
    shared = dashboard.budget_figures([dict(lines[0], scheme="GN Lingkaran (Gerakan Nasional)"),
                                       dict(lines[1], name=lines[0]["name"])])
    assert [f["label"] for f in shared] == ["Skema B · APBDes 2026 - Desa 0", "GN Lingkaran · APBDes 2026 - Desa 0"]


def test_an_empty_report_says_so_instead_of_blank_charts(people):
    from conftest import pdf_pages
    d = dashboard.build(people.db, people.app.plugins, dashboard.View(MONTH), actor=Actor("admin", "admin"),
                        today=TODAY)
    pages = pdf_pages(report_pdf(d))
    text = "\n".join(pages)
    assert text.count("Belum ada data untuk grafik ini.") == 6
    assert "Tren 12 bulan" in text and "Per pekerjaan" in text
    from pypdf import PdfReader
    assert not any(page.images for page in PdfReader(io.BytesIO(report_pdf(d))).pages)
    assert len(pages) == 2  # the figures, and one page of sentences (there were two pages of empty axes)


# Beranda, issue #22 point 6 ----------------------------------------------------------------------

LONG_SCHEMES = ["GN Lingkaran (Gerakan Nasional Peduli Perlindungan Pekerja Rentan)",
                "Gerakan Perlindungan 1 Desa 100 Pekerja Rentan", "Mesra dengan Mansur"]


def _svg_texts(chart) -> list[str]:
    import html
    import re

    import vl_convert as vlc
    svg = vlc.vegalite_to_svg(chart.to_dict())
    texts = []
    for text in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S):  # a label on two lines: two tspans
        texts += [html.unescape(t) for t in (re.findall(r"<tspan[^>]*>([^<]*)</tspan>", text) or [text])]
    return texts


def test_chart_labels_are_shortened_or_wrapped_never_cut_and_the_tooltip_has_the_whole_name():
    """"GN Lingkaran (Gerakan Nasional Peduli Perlindun...", "Anggota BHP (Badan Hippun
    Pemeko...": a long name loses its bracketed explanation on the axis, and wraps at a word
    when it is still long; the tooltip says it whole."""
    from payung.reports.charts import axis_labels, occupation_bar, scheme_bar
    d = dashboard.Dashboard(view=dashboard.View("2026-12"), title="", protected=3, protected_previous=3, covered=3,
                            target=0, paid_month=0, billed_month=0, paid_year=0, late={}, claims={},
                            per_scheme=[{"code": str(n), "scheme": s, "protected": 10 - n}
                                        for n, s in enumerate(LONG_SCHEMES)],
                            by_occupation=[{"code": "anggota_bhp", "occupation": "Anggota BHP (Badan Hippun Pemekonan)",
                                            "protected": 4}])
    drawn = _svg_texts(scheme_bar(d, width=400))
    assert "GN Lingkaran" in drawn and not [t for t in drawn if "…" in t or "..." in t or "Peduli Perlindun" in t]
    assert {"Gerakan Perlindungan 1 Desa 100 Pekerja", "Rentan"} <= set(drawn)  # two lines, whole words
    assert "Anggota BHP" in _svg_texts(occupation_bar(d, width=400))
    spec = scheme_bar(d).to_dict()
    assert spec["encoding"]["tooltip"][0]["field"] == "scheme"  # the whole name
    assert set(spec["datasets"].popitem()[1][0]) >= {"scheme", "axis"}
    # Labels stay distinct: a short form two names share keeps the brackets.
    alike = axis_labels(["APBD 2026 (Skema Kendal yang sangat panjang)", "APBD 2026 (Skema Pemalang yang panjang)"], 150)
    assert len(set(alike)) == 2 and all("(Skema" in label for label in alike)


def test_budget_bars_are_a_share_of_their_own_ceiling_and_each_says_it():
    """The bars of a Rp6 jt commitment vanished beside the 600 jt ceilings on one Rupiah axis:
    each line is now drawn as a share of its own ceiling (the red line at 100%), with the share
    written beside every bar."""
    from payung.reports.charts import budget_bar
    budgets = [{"name": "APBD 2026 - Ketua RT", "label": "APBD 2026 - Ketua RT", "amount": 600_000_000,
                "committed": 6_048_000, "paid": 604_800},
               {"name": "APBDes 2026 - Desa Kalitata", "label": "APBDes 2026 - Desa Kalitata", "amount": 10_000_000,
                "committed": 2_700_000, "paid": 0}]
    d = dashboard.Dashboard(view=dashboard.View("2026-12"), title="", protected=0, protected_previous=0, covered=0,
                            target=0, paid_month=0, billed_month=0, paid_year=0, late={}, claims={}, budgets=budgets)
    chart = budget_bar(d, width=500)
    rows = chart.to_dict()["datasets"]
    data = next(v for v in rows.values() if v and "share" in v[0])
    assert [(r["line"], r["kind"], r["share"]) for r in data] == [
        ("APBD 2026 - Ketua RT", "Terikat", 1.0), ("APBD 2026 - Ketua RT", "Dibayar", 0.1),
        ("APBDes 2026 - Desa Kalitata", "Terikat", 27.0), ("APBDes 2026 - Desa Kalitata", "Dibayar", 0.0)]
    drawn = _svg_texts(chart)
    assert {"1,0%", "27,0%", "100"} <= set(drawn) and "% dari pagu" in drawn
    # A share that rounds to 0,0% is not written as nothing.
    tiny = dashboard.Dashboard(view=d.view, title="", protected=0, protected_previous=0, covered=0, target=0,
                               paid_month=0, billed_month=0, paid_year=0, late={}, claims={},
                               budgets=[dict(budgets[0], committed=240_000, paid=0)])
    assert [r["shown"] for r in next(v for v in budget_bar(tiny).to_dict()["datasets"].values() if v)] == [
        "< 0,1%", "0,0%"]
    # The names are written above their bars, not on an axis beside them, which took 270 of a
    # phone's 358 pixels: at that width the chart draws the bars across its whole width.
    phone = budget_bar(d, width=358)
    assert all(layer["encoding"]["y"].get("axis", {}) is None for layer in phone.to_dict()["layer"]
               if "y" in layer.get("encoding", {}))
    assert {"APBD 2026 - Ketua RT", "APBDes 2026 - Desa Kalitata"} <= set(_svg_texts(phone))
    # Its height is rows, which Streamlit's fit (title, legend and axis in a height in pixels) cannot
    # squeeze: two lines were drawn in no room at all.
    assert phone.to_dict()["height"] == {"step": 16}


def test_no_arrow_where_nothing_changed_and_none_on_a_share_or_a_count(site):
    """"+0 dari bulan lalu" and "0,0% tercapai" carried a green up arrow: an arrow (and a colour)
    is only for a change; the share of the target and the number of late workers have none."""
    from test_pages import run
    at = run("admin", "pages/beranda.py")
    metrics = {m.label: m.proto for m in at.metric}
    protected = metrics["Terlindungi"]
    if protected.delta.startswith("+0 "):
        assert protected.direction == protected.NONE and protected.color == protected.GRAY
    else:
        assert protected.direction in (protected.UP, protected.DOWN)
    for label in ("Target", "Tunggakan hari ini"):
        if metrics[label].delta:
            assert metrics[label].direction == metrics[label].NONE, label


def test_the_beranda_charts_sent_unvalidated_are_valid_vega_lite(known, people):
    """``charts.beranda_specs`` skips Altair's schema validation (half its time, on every sign-in
    of a new village): every chart of every kind of Beranda passes it here, with and without
    budget lines, for a village operator and for figures of nothing."""
    from payung.finance.budgets import categories, create_budget_line
    from payung.reports import charts
    db, app = known["db"], known["app"]
    admin = Actor("admin", "admin")
    views = [(dashboard.View(MONTH), admin), (dashboard.View(MONTH, KENDAL, "33.24.01"), admin),
             (dashboard.View(MONTH), Actor("desa", "desa", villages=("33.24.01.2001",))),
             (dashboard.View("2001-01"), admin)]
    seen: set[str] = set()
    for with_budgets in (False, True):
        if with_budgets:
            for scheme in app.plugins.schemes.values():
                create_budget_line(db, app.plugins, {"scheme_code": scheme.code, "year": int(MONTH[:4]),
                                                     "name": "APBD - Pekerja", "source": "APBD", "amount": 50_000_000,
                                                     "category": next(iter(categories(app.plugins, scheme.code)), None)},
                                   actor=admin)
        for view, actor in views:
            d = dashboard.build(db, app.plugins, view, actor=actor, today=TODAY)
            sent = charts.beranda_specs(d)
            validated = {name: charts.spoken(chart.to_dict(validate=True))
                         for name, chart in charts.beranda_charts(d).items()}
            for spec in validated.values():
                for themed in charts.THEMED:  # Altair's theme: Streamlit's is the one drawn
                    spec.pop(themed, None)
                alt.TopLevelSpec.validate(spec)  # with what a screen reader is told
            assert sent == validated
            seen |= set(sent)
    assert seen == {"region", "scheme", "gender_age", "occupation", "trend", "budget"}


def test_the_beranda_specs_hold_their_own_rows_whatever_another_session_switched(known, monkeypatch):
    """Altair's data transformer and theme are global to the process, and ``st.altair_chart``
    switches both while it draws a chart (a scheme panel's bars) in another session. Beranda's
    specs, built meanwhile, must neither hand their rows to that transformer (they reached that
    other session's browser, and the cached spec kept no data) nor take that theme."""
    import altair as alt

    from payung.reports import charts
    db, app = known["db"], known["app"]
    d = dashboard.build(db, app.plugins, dashboard.View(MONTH), actor=Actor("admin", "admin"), today=TODAY)
    alone = charts.beranda_specs(d)
    taken: list = []

    def elsewhere(data):  # another session's transformer: keeps the rows, leaves a name
        taken.append(data)
        return {"name": f"elsewhere-{len(taken)}"}

    alt.data_transformers.register("elsewhere", elsewhere)
    with alt.data_transformers.enable("elsewhere"), alt.theme.enable("dark"):
        meanwhile = charts.beranda_specs(d)
    assert not taken
    assert meanwhile == alone
    for name, spec in alone.items():
        assert not set(charts.THEMED) & set(spec), name
        named = {v["name"] for v in _data_references(spec)}
        assert named and named <= set(spec.get("datasets", {})), name


def _data_references(spec: dict) -> list[dict]:
    """Every ``data`` entry of a Vega-Lite spec, its sub-charts' included."""
    found = [spec["data"]] if isinstance(spec.get("data"), dict) else []
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for child in spec.get(key, []):
            found += _data_references(child)
    return found


def test_a_chart_is_said_to_a_screen_reader_in_indonesian():
    """Vega names each bar for a screen reader by the data's field names, in English ("protected:
    13; axis: Kendal"), and each axis and title ("X-axis titled ..."): a mark says its tooltip
    ("Kecamatan: Kendal, Terlindungi: 1.234"), the chart its title; guides are not read."""
    from payung.reports import charts
    chart = alt.Chart(alt.InlineData(values=[{"name": "Kendal", "protected": 1234}]), title="Per kecamatan").mark_bar(
        ).encode(x="protected:Q", y="name:N", color="name:N",
                 tooltip=[alt.Tooltip("name:N", title="Kecamatan"), alt.Tooltip("protected:Q", title="Terlindungi")])
    rule = alt.Chart(alt.InlineData(values=[{"x": 1}])).mark_rule().encode(x="x:Q")
    spec = charts.spoken(alt.layer(chart, rule).to_dict())
    alt.TopLevelSpec.validate(spec)
    bars, line = spec["layer"]
    assert "Per kecamatan" in (spec.get("description"), bars.get("description"))
    assert bars["encoding"]["description"] == {"field": charts.SPOKEN, "type": "nominal"}
    said = next(t["calculate"] for t in bars["transform"] if t.get("as") == charts.SPOKEN)
    assert said == ('"Kecamatan: " + \'\' + datum["name"] + \', \' + "Terlindungi: " + replace(replace('
                    'replace(format(datum["protected"], ",d"), /,/g, \'#\'), /[.]/g, \',\'), /#/g, \'.\')')
    assert bars["encoding"]["x"]["axis"]["aria"] is False and bars["encoding"]["color"]["legend"]["aria"] is False
    assert line["mark"] == {"type": "rule", "aria": False}  # no tooltip: nothing of its own to say


def test_the_month_list_offers_a_month_to_come_only_once_it_is_paid_ahead(app, db, admin, worker_id):
    """Beranda's Bulan list began with two months to come in which nothing can have happened (a
    sponsorship's lines are billed ahead, unpaid). This month comes first, then the months before
    it, newest first; a month to come only once a contribution of it is paid ahead, after them
    (in the slice of whoever looks), and a month an address asks for in its place in that order."""
    from conftest import OTHER_VILLAGE, VILLAGE
    from payung.enrolment.sponsorships import enrol
    from payung.people.sponsors import create_sponsor
    today = dt.date(2025, 3, 10)
    sponsor = create_sponsor(db, app.settings, {"type": "perorangan", "name": "Haji Slamet"}, actor=admin)
    enrol(db, app.plugins, actor=admin, scheme_code="contoh_desa", sponsor_id=sponsor, worker_id=worker_id,
          start_month="2025-01", months=12, fields={"budget_year": 2025})
    past = [add_months("2025-03", -i) for i in range(dashboard.MONTHS_BACK + 1)]
    assert past[0] == "2025-03" and past[1] == "2025-02"
    # Billed up to December 2025, nothing paid: no month to come.
    assert dashboard.month_choices(db, app.plugins, actor=admin, today=today) == past
    record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor), amount=16_800,
                   from_month="2025-06", to_month="2025-06", paid_on=today, today=today, actor=admin)
    assert dashboard.month_choices(db, app.plugins, actor=admin, today=today) == [*past, "2025-06"]
    assert dashboard.month_choices(db, app.plugins, actor=admin, today=today, asked="2025-05") == [
        *past, "2025-05", "2025-06"]
    assert dashboard.month_choices(db, app.plugins, actor=admin, today=today, asked="2020-01") == [
        *past, "2020-01", "2025-06"]
    # The month paid ahead is of a worker of VILLAGE: an operator of another village has none.
    assert dashboard.month_choices(db, app.plugins, actor=Actor("desa.lain", "desa", villages=(OTHER_VILLAGE,)),
                                   today=today) == past
    assert dashboard.month_choices(db, app.plugins, actor=Actor("desa.ini", "desa", villages=(VILLAGE,)),
                                   today=today) == [*past, "2025-06"]


def test_the_regency_targets_counted_are_named(app, db, admin):
    """Kendal's Target read 200.000 with "0,0% tercapai" beside its panel's "54.044 dari 200.000",
    and nothing said what it was a target of: the figures name the regency-wide targets they count
    (none where a place is chosen or for a village operator: such a target is not split)."""
    from conftest import VILLAGE
    from payung.base.months import current_month
    scheme = app.plugins.scheme("contoh_desa")
    expected = [(t.label, t.value) for t in scheme.targets if t.per != "village"]
    assert expected
    whole = dashboard.build(db, app.plugins, dashboard.View(current_month(), "contoh_desa"), actor=admin)
    assert whole.regency_targets == expected and whole.target == sum(v for _, v in expected)
    district = dashboard.build(db, app.plugins, dashboard.View(current_month(), "contoh_desa", VILLAGE[:8]),
                               actor=admin)
    assert district.regency_targets == [] and district.target == 0
    village_operator = Actor("desa.ini", "desa", villages=(VILLAGE,))
    assert dashboard.build(db, app.plugins, dashboard.View(current_month()), actor=village_operator).regency_targets == []


def _figures(per_scheme: list[dict], *, scheme: str | None = None, protected: int = 0) -> "dashboard.Dashboard":
    """A Dashboard of these schemes' rows, the rest empty (no database, no installed scheme)."""
    return dashboard.Dashboard(
        view=dashboard.View(MONTH, scheme), title="", protected=protected, protected_previous=0, covered=0,
        target=sum(r["target"] for r in per_scheme), paid_month=0, billed_month=0, paid_year=0, late={}, claims={},
        per_scheme=per_scheme, already_covered=sum(r.get("already_covered", 0) for r in per_scheme))


def test_the_targets_share_says_the_figure_the_bars_add_up_to():
    """Kendal's Target read "27,0% tercapai" beside 29 Terlindungi: the 54.000 covered before were
    in it, said only in the help. The share says the figure it counts, the sum the bar below
    says ("= 54.029 dari target 200.000 (27,0%)"); the workers of a scheme without a target (no
    bar) are not in it."""
    rows = [{"scheme": "Gerakan", "protected": 29, "target": 200_000, "already_covered": 54_000, "has_targets": True},
            {"scheme": "Tanpa target", "protected": 500, "target": 0, "has_targets": False}]
    figures = _figures(rows, protected=529)
    [(_, bar)] = dashboard.progress_lines(figures)[0]
    assert figures.reached == 54_029 and figures.reached_text == "54.029 tercapai (27,0%)"
    assert bar.endswith("= 54.029 dari target 200.000 (27,0%)"), bar
    plain = _figures([dict(rows[0], already_covered=0)], protected=29)
    assert plain.reached_text == "29 tercapai (0,0%)"


def test_a_scheme_without_a_target_is_said_to_have_no_progress_bar_and_why():
    """Mesra dengan Mansur and Luwu Utara set no target: Beranda drew no progress bar for them and
    said nothing, and a newcomer thought something was broken. The schemes without one are named,
    with the reason; one whose regency target is left out for a chosen place is not (the page says
    that itself)."""
    rows = [{"scheme": "Skema A", "protected": 3, "target": 100, "has_targets": True},
            {"scheme": "Skema B", "protected": 5, "target": 0, "has_targets": False},
            {"scheme": "Skema C", "protected": 1, "target": 0, "has_targets": False},
            {"scheme": "Skema D", "protected": 1, "target": 0, "has_targets": True}]
    bars, note = dashboard.progress_lines(_figures(rows))
    assert bars == [(0.03, "Skema A: 3 terlindungi (lunas Maret 2025) dari target 100 (3,0%)")]
    assert note.startswith("Tidak ada batang kemajuan untuk Skema B dan Skema C: skema-skema ini tidak menetapkan "
                           "target atau kuota jumlah pekerja"), note
    assert "Skema D" not in note and "pilih skemanya di atas" in note
    _, one = dashboard.progress_lines(_figures(rows[1:2], scheme="b"))
    assert one.startswith("Tidak ada batang kemajuan untuk Skema B: skema ini tidak menetapkan") and \
        "panel skema di bawah" in one
    assert dashboard.progress_lines(_figures(rows[:1])) == (bars, "")


def test_the_workers_covered_already_count_toward_the_target_and_are_said():
    """Kendal's bar said "17 terlindungi dari target 200.000" without the 54.000 covered before the
    movement: a target's ``already_covered`` is added to the bar and to the share, and said."""
    rows = [{"scheme": "Gerakan", "protected": 17, "target": 200_000, "already_covered": 54_000, "has_targets": True}]
    figures = _figures(rows, protected=17)
    [(share, text)] = dashboard.progress_lines(figures)[0]
    assert text == ("Gerakan: 54.000 sudah terlindungi sebelumnya + 17 terlindungi (lunas Maret 2025) = 54.017 "
                    "dari target 200.000 (27,0%)")
    assert share == pytest.approx(54_017 / 200_000) and figures.reached == 54_017
    # The monthly report (PDF and XLSX) says them beside the target; a view without any says nothing.
    from payung.reports.monthly import summary_rows
    covered_row = "Sudah terlindungi sebelumnya (dihitung dalam target)"
    def reported(d):
        return dict(summary_rows(dataclasses.replace(d, late={"workers": 0, "amount": 0},
                                                     claims={"claims": 0, "benefits": 0})))
    assert reported(figures)[covered_row] == 54_000
    assert covered_row not in reported(_figures([{**rows[0], "already_covered": 0}]))


def test_already_covered_counts_for_the_whole_regency_only():
    """Like a regency-wide target, the workers it counts as covered already are not split by place."""
    from payung.schemes.model import Scheme, Target
    scheme = Scheme(code="contoh_skema", name="Contoh", regency_code="33.24",
                    targets=(Target("Se-kabupaten", 1000, already_covered=400), Target("Per desa", 5, per="village",
                                                                                     already_covered=2)))
    admin = Actor("admin", "admin")
    assert dashboard.already_covered_for(None, scheme, actor=admin) == 400
    assert dashboard.already_covered_for(None, scheme, actor=admin, district="33.24.01") == 0
    assert dashboard.already_covered_for(None, scheme, actor=Actor("desa", "desa", villages=("33.24.01.2001",))) == 0


def test_the_protected_workers_the_targets_share_leaves_out_are_counted():
    """The share counts the schemes with a target only; Terlindungi beside it counts every scheme.
    What the share leaves out is a figure of its own, for the Target's help to say."""
    rows = [{"scheme": "Gerakan", "protected": 29, "target": 200_000, "already_covered": 54_000, "has_targets": True},
            {"scheme": "Tanpa target", "protected": 500, "target": 0, "has_targets": False},
            {"scheme": "Target kabupaten, desa dipilih", "protected": 7, "target": 0, "has_targets": True}]
    figures = _figures(rows, protected=536)
    assert figures.protected_without_target == 507
    assert figures.reached + figures.protected_without_target == figures.protected + figures.already_covered
    assert _figures(rows[:1], protected=29).protected_without_target == 0
