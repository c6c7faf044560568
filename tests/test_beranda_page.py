"""The Beranda page: what an empty database should do next, scheme panels that follow the district
filter, and targets that say what they count."""

from __future__ import annotations

import pytest

from conftest import DESA_VILLAGE
from test_pages import open_db, run, texts


def test_an_empty_database_says_what_to_do_instead_of_blank_charts(empty_site):
    at = run("admin")
    assert any("Belum ada pekerja. Mulai dari Tambah pekerja" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")


def test_scheme_panels_follow_the_district_filter(site):
    from payung.finance.claims import protection_panel
    from payung.schemes.data import reader_for
    from payung.auth.access import Actor
    with open_db(site) as db:
        admin = Actor("admin", "admin")
        # A scheme with paid lines, whichever schemes are installed, and a district of its regency.
        code, village = db.execute(
            "SELECT l.scheme_code, l.village_code FROM contribution_lines l WHERE l.paid_amount > 0 "
            "ORDER BY l.scheme_code, l.village_code LIMIT 1").fetchone()
        district, regency = village[:8], village[:5]
        everywhere = protection_panel(db, scheme_code=code, actor=admin).rows[0]["value"]
        nowhere = protection_panel(db, scheme_code=code, actor=admin, district=f"{regency}.99").rows[0]["value"]
        assert nowhere == "Rp0" and everywhere != "Rp0"
        assert reader_for(db, actor=admin, district=district).scope.villages
    at = run("admin", query={"skema": code, "kecamatan": district})
    assert "Angka panel untuk" in texts(at)


def test_what_the_targets_count_is_said_and_no_target_reads_the_same_everywhere(site):
    """The GN panel said "219 dari 1.000" while the Beranda said 83 protected: each says what it
    counts. A scheme without a target read "Target 0" in the report summary and "-" in its table;
    money in scheme texts is written like everywhere else (Rp16.800, not "Rp 16.800")."""
    import io
    import re

    from openpyxl import load_workbook

    from payung.auth.access import Actor
    from payung.reports.dashboard import View, build
    from payung.base.months import current_month
    from payung.reports.monthly import report_xlsx
    from payung.schemes.standard_panels import targets
    from payung.schemes.data import DataReader
    from db.scope import EVERYTHING
    app = site["app"]
    for scheme in app.plugins.schemes.values():
        assert not re.search(r"Rp \d", " ".join([scheme.description, scheme.legal_basis or ""])), scheme.code
    scheme = next(s for s in app.plugins.schemes.values() if s.targets and s.targets[0].per != "village")
    with open_db(site) as db:
        panel = targets(scheme, DataReader(db, EVERYTHING), current_month())[0]
        assert "lunas atau belum" in panel.caption and "Terlindungi" in panel.caption
        untargeted = next(c for c, s in app.plugins.schemes.items() if not s.targets)
        d = build(db, app.plugins, View(current_month(), untargeted), actor=Actor("admin", "admin"))
    book = load_workbook(io.BytesIO(report_xlsx(d)))
    summary = {r[0]: r[1] for r in book["Ringkasan"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Target"] == "tanpa target"
    assert [r[2] for r in book["Per skema"].iter_rows(min_row=2, values_only=True)] == ["tanpa target"]
    at = run("admin", query={"skema": scheme.code})
    assert "Panel skema menghitung kepesertaan yang berjalan" in texts(at)


def test_a_run_with_the_same_figures_sends_the_charts_built_before(site, monkeypatch):
    """Building and validating Beranda's six charts took 40 ms of every run (a filter, a sign-in,
    a return to the page): they are built once per set of figures."""
    from payung.reports import charts
    built = []
    real = charts.beranda_specs
    monkeypatch.setattr(charts, "beranda_specs", lambda d: built.append(d.view) or real(d))
    at = run("admin")
    drawn_first = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert len(drawn_first) >= 5 and '"wilayah"' in drawn_first[0]
    at.run()
    assert [c.proto.spec for c in at.get("vega_lite_chart")] == drawn_first
    assert len(built) <= 1, built


def test_charts_cached_for_one_slice_of_data_are_not_sent_to_another(site):
    """The charts are cached like the figures, per role, regency and villages: a regency's
    operator opening Beranda after an administrator gets its own regency's bars, not every
    regency's."""
    import json

    import pyarrow as pa

    def region_codes(at) -> set[str]:
        chart = at.get("vega_lite_chart")[0].proto
        name = json.loads(chart.spec)["data"]["name"]
        rows = next(d.data.data for d in chart.datasets if d.name == name)  # Arrow, as sent
        return set(pa.ipc.open_stream(rows).read_all().column("code").to_pylist())

    everywhere = region_codes(run("admin"))
    assert len({code[:5] for code in everywhere}) > 1
    kendal = region_codes(run("operator"))  # the site's operator: regency 33.24
    # (Not equal to the administrator's 33.24 bars: each chart shows its own thirty largest.)
    assert kendal and all(code.startswith("33.24.") for code in kendal), kendal


def _charts(at) -> list[str]:
    """The Vega-Lite specifications the page drew."""
    return [chart.proto.spec for chart in at.get("vega_lite_chart")]


def test_one_villages_charts_are_drawn_when_asked_for(site):
    """A village operator of one village (or anyone who picked one village) sees the figures at
    once and the charts when they open them: a bar per region would be one bar, and drawing the
    charts was half the browser's work after a village operator's Masuk. An office user's whole
    area draws them at once, with the bars per kecamatan to click."""
    from payung.auth.access import Actor
    from payung.auth.users import add_user
    from conftest import PASSWORD
    with open_db(site) as db:
        village = db.execute("SELECT village_code FROM contribution_lines WHERE paid_amount > 0 GROUP BY village_code "
                             "ORDER BY COUNT(*) DESC, village_code LIMIT 1").fetchone()[0]
        add_user(db, username="desa.ramai", name="Operator Desa Ramai", role="desa", password=PASSWORD,
                 actor=Actor.system(), villages=(village,))
    closed = run("desa.ramai")
    assert "Terlindungi" in [m.label for m in closed.metric] and not _charts(closed)
    assert [e.label for e in closed.expander if e.label.startswith("Grafik")]
    opened = run("desa.ramai", state={"b_charts": True})
    drawn = _charts(opened)
    assert len(drawn) >= 4 and not [spec for spec in drawn if "wilayah" in spec]
    office = run("admin")
    assert [spec for spec in _charts(office) if "wilayah" in spec] and len(_charts(office)) >= 5
    picked = run("admin", query={"kecamatan": village[:8], "desa": village})
    assert not _charts(picked) and "dipilih; pilih Semua desa" in texts(picked)


def test_a_month_at_the_edge_of_the_calendar_in_the_address_opens_this_month(site):
    """"?bulan=9999-12" or "?bulan=0000-01" (an address edited by hand) stopped Beranda with an
    error (no date after year 9999 or before year 1): such a month opens the current one."""
    from payung.base.months import current_month
    for month in ("9999-12", "0000-01", "1899-12"):
        at = run("desa", query={"bulan": month})
        assert not at.exception, (month, at.exception)
        assert at.selectbox[0].value == current_month(), (month, at.selectbox[0].value)


def test_a_village_operators_beranda_names_their_village(site):
    """A village operator of one village saw "Semua skema" and a greyed "Semua desa", and their
    village was never named: the figures' caption names it."""
    with open_db(site) as db:
        name = db.execute("SELECT name FROM regions WHERE code = ?", [DESA_VILLAGE]).fetchone()[0]
    at = run("desa")
    assert not at.exception
    assert any(f"· {name}" in c.value for c in at.caption), [c.value for c in at.caption][:3]


def test_filters_an_address_asks_for_and_the_page_cannot_show_are_said(site):
    """An address edited by hand (another regency's kecamatan, a scheme that is not there, a
    month past the calendar) opened Beranda on every region without a word: the page says which
    filters it left out; an address it can show says nothing of the kind."""
    dropped = "(tidak ada, atau di luar wilayah Anda)"
    at = run("operator", query={"skema": "tidak_ada", "kecamatan": "33.27.01", "bulan": "9999-12"})
    assert not at.exception
    [said] = [i.value for i in at.info if dropped in i.value]
    assert said.startswith("Alamat halaman ini memilih bulan, skema dan kecamatan yang tidak dapat"), said
    assert at.query_params.get("kecamatan") is None and at.query_params.get("skema") is None
    assert at.selectbox(key="beranda_district").value is None
    at.run()  # said once, not on every click after
    assert not [i for i in at.info if dropped in i.value]
    village = run("desa", query={"kecamatan": DESA_VILLAGE[:8], "desa": DESA_VILLAGE})
    assert not village.exception and not [i for i in village.info if dropped in i.value]
    assert village.query_params.get("desa") in (DESA_VILLAGE, [DESA_VILLAGE])  # the address a test reads
    # A village of another regency under one's own kecamatan: said, and gone from the address too.
    other = run("desa", query={"kecamatan": DESA_VILLAGE[:8], "desa": "33.27.01.2001"})
    assert [i.value for i in other.info if "memilih desa/kelurahan yang" in i.value]
    assert other.query_params.get("desa") is None


def test_a_neighbouring_village_in_the_address_is_not_named_over_a_village_operators_figures(site):
    """A village operator of one village opened an address naming another village of their own
    kecamatan (a colleague's bookmark, or typed): the greyed boxes took it (their words are the
    operator's village whatever the value), so the caption named the neighbour over figures that
    are still only the operator's own village (the SQL scope), read as the neighbour's. The page
    names the operator's village, and says the address asked for a desa it cannot show."""
    with open_db(site) as db:
        own = db.execute("SELECT name FROM regions WHERE code = ?", [DESA_VILLAGE]).fetchone()[0]
        neighbour = db.execute("SELECT code, name FROM regions WHERE code LIKE ? AND code != ? ORDER BY code",
                               [DESA_VILLAGE[:8] + ".%", DESA_VILLAGE]).fetchone()
    at = run("desa", query={"kecamatan": DESA_VILLAGE[:8], "desa": neighbour[0]})
    captions = [c.value for c in at.caption]
    assert not any(f"· {neighbour[1]} ·" in c for c in captions), captions
    # Their own kecamatan, kept from the address, names their village: the figures are its.
    assert any(f"· {own} ·" in c for c in captions), captions
    assert at.selectbox(key="beranda_village").value in (None, DESA_VILLAGE)
    assert [i.value for i in at.info if "memilih desa/kelurahan yang" in i.value]
    assert at.query_params.get("desa") is None


def test_a_month_without_a_protected_worker_draws_its_trend_not_four_empty_charts(site):
    """A kecamatan whose workers were protected in earlier months only showed four empty charts
    (each a "-") above its trend: it says so, and draws the trend."""
    from payung.base.formats import short_name
    from payung.base.months import add_months, current_month
    at = run("admin", "pages/beranda.py", query={"bulan": add_months(current_month(), 1)})
    assert not at.exception
    if [m.value for m in at.metric][0] != "0":
        pytest.skip("the demo data has protected workers next month")
    charts = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert any("Belum ada pekerja terlindungi" in i.value and "bulan yang belum berjalan" in i.value for i in at.info)
    assert any("Tren 12 bulan" in spec for spec in charts), charts
    assert not any("Per jenis kelamin" in spec or "Per pekerjaan" in spec for spec in charts)
    # One scheme chosen: the sentence names it (without it, it read as if nobody was protected).
    scheme = next(iter(site["app"].plugins.schemes.values()))
    at = run("admin", "pages/beranda.py", query={"bulan": add_months(current_month(), 1), "skema": scheme.code})
    assert any(f"Belum ada pekerja terlindungi skema {short_name(scheme.name)}" in i.value for i in at.info)
    # With protected workers (the demo pays each month in its time), the four charts and no sentence.
    at = run("admin", "pages/beranda.py")
    assert [m.value for m in at.metric][0] != "0"
    assert not any("Belum ada pekerja terlindungi" in i.value for i in at.info)
    assert any("Per pekerjaan" in c.proto.spec for c in at.get("vega_lite_chart"))


def _target(at) -> tuple[str, str]:
    metric = next(m for m in at.metric if m.label == "Target")
    return metric.value, metric.proto.help


def test_a_kecamatans_target_is_its_villages_and_no_target_is_said_plainly(site):
    """With a kecamatan chosen the Target read "-" under a note about village targets that were
    not there. A kecamatan's target is its villages' targets added up (a target set per village);
    where the schemes shown set their target for the whole regency only, or set none, the page
    says "Tidak ada" and why, and the note below says what is shown."""
    from payung.base.formats import count
    app = site["app"]
    village_scheme = next((s for s in app.plugins.schemes.values() if any(t.per == "village" for t in s.targets)),
                          None)
    untargeted = next((c for c, s in app.plugins.schemes.items() if not s.targets), None)
    if village_scheme is None or untargeted is None or "kendal_asn_peduli" not in app.plugins.schemes:
        pytest.skip("needs a scheme with village targets, one without targets and Kendal's (shipped schemes)")
    per_village = sum(t.value for t in village_scheme.targets if t.per == "village")
    with open_db(site) as db:
        district, name, villages = db.execute(
            "SELECT d.code, d.name, COUNT(*) FROM regions d JOIN regions v ON v.code LIKE d.code || '.%' "
            "AND v.level = 4 WHERE d.level = 3 AND d.code LIKE ? GROUP BY d.code, d.name ORDER BY d.code LIMIT 1",
            [village_scheme.regency_code + ".%"]).fetchone()
    # Per-village targets: the kecamatan's is its villages' (and no note about a regency target).
    at = run("admin", query={"kecamatan": district})
    value, said = _target(at)
    assert value == count(per_village * villages), (value, per_village, villages)
    assert said.startswith(f"Jumlah target per desa dari desa-desa di {name}") and "Target tingkat kabupaten" not in said
    assert not [c.value for c in at.caption if "Target tingkat kabupaten" in c.value]
    # Kendal's schemes set their targets for the whole regency: none for one kecamatan, said so.
    at = run("admin", query={"kecamatan": "33.24.01"})
    value, said = _target(at)
    assert value == "Tidak ada" and "ditetapkan untuk seluruh kabupaten" in said and "Pilih Semua kecamatan" in said
    [note] = [c.value for c in at.caption if "Target tingkat kabupaten" in c.value]
    assert "tidak ada target untuk" in note and "target per desa" not in note, note
    # A village operator sees no regency-wide target either, and is not told to pick a kecamatan
    # (their all is their village), with their kecamatan in the address or not.
    for query in ({}, {"kecamatan": DESA_VILLAGE[:8]}):
        value, said = _target(run("desa", query=query))
        assert value == "Tidak ada" and "Pilih Semua kecamatan" not in said, (query, said)
    # A scheme that sets no target at all.
    value, said = _target(run("admin", query={"skema": untargeted}))
    assert (value, said) == ("Tidak ada", "Skema yang ditampilkan tidak menetapkan target jumlah pekerja.")


def test_the_target_says_what_it_is_a_target_of_and_what_the_share_divides(site):
    """Kendal's Target read "200.000, 0,0% tercapai" beside its panel's "54.044 dari 200.000", and
    its help said only "Jumlah target skema yang ditampilkan.": it names each target counted, and
    says the share is the protected workers (the month paid) divided by the target."""
    from payung.base.formats import count
    from payung.base.months import current_month, format_month
    from ui.widgets import plain
    scheme = next((s for s in site["app"].plugins.schemes.values()
                   if s.targets and all(t.per != "village" for t in s.targets)), None)
    if scheme is None:
        pytest.skip("needs a scheme with a regency-wide target")
    value, said = _target(run("admin", query={"skema": scheme.code}))
    assert value == count(sum(t.value for t in scheme.targets))
    assert said.startswith("Target skema yang ditampilkan: "), said
    for target in scheme.targets:
        assert f"{plain(target.label)} ({count(target.value)})" in said, (target, said)
    already = sum(t.already_covered for t in scheme.targets)  # those covered before (Kendal's 54.000) count too
    assert (f"Persen tercapai: {count(already)} pekerja yang sudah terlindungi sebelumnya (angka tetap dari "
            f"pengaturan) ditambah pekerja Terlindungi (iuran {format_month(current_month())} lunas), dibagi target."
            if already else
            f"Persen tercapai: pekerja Terlindungi (iuran {format_month(current_month())} lunas) dibagi target.") in said


def test_the_targets_share_says_the_figure_its_bar_adds_up_to(site):
    """Kendal's Target read "27,0% tercapai" beside 29 Terlindungi: the 54.000 covered before were
    in the share, said only in the help. The share names the figure it counts, the one its bar
    adds up to ("... = 54.029 dari target 200.000 (27,0%)"), and the scheme's own progress panel
    counts the same workers in the same words (it counted "terdaftar", paid or not)."""
    from payung.base.formats import count
    scheme = next((s for s in site["app"].plugins.schemes.values()
                   if any(t.already_covered for t in s.targets)), None)
    if scheme is None:
        pytest.skip("needs a scheme whose target counts workers covered already")
    at = run("admin", query={"skema": scheme.code})
    target = next(m for m in at.metric if m.label == "Target")
    reached, share = target.proto.delta.split(" tercapai ")
    [bar] = [b.proto.text for b in at.get("progress") if b.proto.text.startswith(scheme.name)]
    assert bar.endswith(f"= {reached} dari target {target.value} {share}"), (target.proto.delta, bar)
    already = count(sum(t.already_covered for t in scheme.targets))
    assert f"{already} sudah terlindungi sebelumnya + " in bar and " terlindungi (lunas " in bar
    # A panel's bar of that target says what the Beranda's bar says: the same figure, "terlindungi".
    panel_bars = [b.proto.text for b in at.get("progress") if b.proto.text.startswith(already)]
    assert panel_bars or scheme.code != "kendal_asn_peduli"
    for text in panel_bars:
        assert " terlindungi (lunas " in text and text.endswith(f": {reached} dari {target.value}"), text


def test_the_desa_box_says_why_it_is_greyed(site):
    """Greyed until a kecamatan is picked, with no word why: its help says so."""
    at = run("admin")
    box = at.selectbox(key="beranda_village")
    assert box.disabled and "Pilih kecamatan dulu" in box.help
    at.selectbox(key="beranda_district").set_value("33.24.01").run()
    box = at.selectbox(key="beranda_village")
    assert not box.disabled and not box.help


def test_an_account_of_one_village_sees_its_kecamatan_and_desa_named_not_to_be_picked(site):
    """A village operator saw "Semua kecamatan" and a greyed "Semua desa" ("pick a kecamatan
    first"), then could pick their only kecamatan and desa and nothing changed."""
    at = run("desa")
    district, village = at.selectbox(key="beranda_district"), at.selectbox(key="beranda_village")
    assert district.disabled and village.disabled
    assert set(district.options) == {"Plantungan"} and len(set(village.options)) == 1
    assert "hanya untuk desa" in district.help and "hanya untuk desa" in village.help
    office = run("operator").selectbox(key="beranda_district")
    assert not office.disabled and office.options[0] == "Semua kecamatan"


def test_the_month_list_opens_at_this_month_and_offers_a_month_to_come_once_paid_ahead(site):
    """The Bulan list began at the month two years back: a person looks for this month and the
    last ones. Then it began with two months to come, in which nothing can have happened (their
    lines are only billed ahead). This month first, then the 24 before it; a month to come only
    once a contribution of it is paid ahead, after them and named as one; a month an address
    asks for outside them takes its place in that order."""
    import datetime as dt

    from payung.auth.access import Actor
    from payung.base import clock
    from payung.base.months import add_months, current_month, format_month
    from payung.finance import bills
    from payung.finance.payments import record_payment
    this = current_month()
    at = run("admin")
    box = at.selectbox(key="beranda_month")
    newest_first = [add_months(this, -i) for i in range(25)]
    assert box.options == [format_month(m) for m in newest_first]
    assert box.value == this and "dibayar di muka" in box.help
    old = add_months(this, -40)
    box = run("admin", query={"bulan": old}).selectbox(key="beranda_month")
    assert box.value == old and box.options == [format_month(m) for m in [*newest_first, old]]
    # A month to come paid ahead by one of the demo's parties, whichever scheme bills it.
    admin, today, app = Actor("admin", "admin"), clock.today(), site["app"]
    with open_db(site) as db:
        code, party, ahead = next(((code, p["party_key"], month) for month in map(lambda n: add_months(this, n),
                                                                                  range(2, 12))
                                   for code in sorted(app.plugins.schemes)
                                   for p in bills.parties(db, app.plugins, code, month, month, actor=admin)),
                                  (None, None, None))
        if code is None:
            pytest.skip("no scheme of the demo bills a month to come")
        due = bills.bill(db, app.plugins, scheme_code=code, party_key=party, from_month=ahead, to_month=ahead,
                         actor=admin).payable
        record_payment(db, app.plugins, scheme_code=code, party_key=party, amount=due, from_month=ahead,
                       to_month=ahead, paid_on=today - dt.timedelta(days=1), today=today, actor=admin,
                       reference="TRF-DI-MUKA")
    box = run("admin").selectbox(key="beranda_month")
    assert box.options == [*map(format_month, newest_first), f"{format_month(ahead)} (mendatang)"]
    assert box.value == this
    # Next month asked for by an address (nothing paid in it): in its place among the months to come.
    box = run("admin", query={"bulan": add_months(this, 1)}).selectbox(key="beranda_month")
    assert box.options[-2:] == [f"{format_month(add_months(this, 1))} (mendatang)", f"{format_month(ahead)} (mendatang)"]
    assert box.value == add_months(this, 1)


def test_this_months_figures_say_bulan_ini(site):
    at = run("admin")
    assert "Iuran dibayar bulan ini" in [m.label for m in at.metric]
    assert any(c.value.startswith("Klaim dibayar bulan ini:") for c in at.caption)


def test_the_scheme_panels_contributions_paid_name_their_period(site):
    """The scheme panel's "Iuran dibayar" named no period beside "Iuran dibayar bulan ini": it is
    every month paid to this day (whatever month is chosen), and says so."""
    from payung.base.money import format_rupiah
    from payung.base.months import add_months, current_month
    month = add_months(current_month(), -3)
    with open_db(site) as db:
        code, every, that = db.execute(
            "SELECT scheme_code, SUM(paid_amount), SUM(CASE WHEN month = ? THEN paid_amount ELSE 0 END) "
            "FROM contribution_lines GROUP BY scheme_code HAVING SUM(paid_amount) > 0 ORDER BY scheme_code LIMIT 1",
            [month]).fetchone()
    assert every != that
    at = run("admin", query={"skema": code, "bulan": month})
    metrics = {m.label: m.value for m in at.metric}
    assert "Iuran dibayar" not in metrics
    assert metrics["Iuran dibayar, semua bulan"] == format_rupiah(every)
    assert any("iuran semua bulan yang sudah dibayar" in c.value for c in at.caption)


def test_a_month_or_place_without_kepesertaan_still_draws_the_scheme_panels(site):
    """Where nobody is covered, which villages registered nobody (Mempawah) or budgeted nothing
    (Luwu Utara) matters most: the page said "Belum ada kepesertaan" and stopped before the
    scheme panels. A past month is not told to start enrolling."""
    from payung.base.months import add_months, current_month
    scheme = next(iter(site["app"].plugins.schemes.values()))
    month = add_months(current_month(), -24)
    with open_db(site) as db:
        if db.execute("SELECT COUNT(*) FROM contribution_lines WHERE month = ?", [month]).fetchone()[0]:
            pytest.skip("the demo data has contribution lines 24 months ago")
    at = run("admin", "pages/beranda.py", query={"bulan": month, "skema": scheme.code})
    assert not at.exception
    said = [i.value for i in at.info if "Belum ada kepesertaan" in i.value]
    assert said and "Pilih bulan atau wilayah lain" in said[0] and "Mulai dari" not in said[0], said
    assert "Panel skema" in [h.value for h in at.subheader]
    assert "Angka panel untuk seluruh wilayah Anda." in [c.value for c in at.caption]
    assert not at.get("vega_lite_chart")


def test_a_chosen_scheme_offers_the_kecamatan_of_its_regency_only(site):
    """With Mempawah's scheme chosen, the Kecamatan list began with Pemalang's, and picking one
    showed an empty page. A kecamatan of another regency chosen before is let go."""
    from payung.auth.access import Actor
    from payung.people.regions import district_choices
    app = site["app"]
    by_regency = {}
    for code, scheme in app.plugins.schemes.items():
        by_regency.setdefault(scheme.regency_code, code)
    if len(by_regency) < 2:
        pytest.skip("one regency's schemes installed")
    (first, scheme), (other, _) = list(by_regency.items())[:2]
    with open_db(site) as db:
        every = district_choices(db, actor=Actor("admin", "admin"), regency_codes=app.settings.regency_codes)
    theirs = {c: n for c, n in every.items() if c.startswith(first + ".")}
    elsewhere = next(c for c in every if c.startswith(other + "."))
    at = run("admin", "pages/beranda.py", query={"kecamatan": elsewhere})
    assert at.selectbox(key="beranda_district").value == elsewhere
    at.selectbox(key="beranda_scheme").set_value(scheme).run()
    assert not at.exception
    box = at.selectbox(key="beranda_district")
    assert box.value is None and box.options == ["Semua kecamatan", *theirs.values()], box.options


def test_the_targets_help_says_which_protected_workers_its_share_leaves_out(site):
    """Under Semua skema the share counts the schemes with a target only ("29 tercapai") while
    Terlindungi beside it counts all (529): the help said "pekerja Terlindungi dibagi target",
    the figure beside it. It says how many of them the share leaves out."""
    from payung.base.formats import count
    from payung.auth.access import Actor
    from payung.reports import dashboard
    from payung.base.months import current_month
    at = run("admin")
    with open_db(site) as db:
        figures = dashboard.build(db, site["app"].plugins, dashboard.View(current_month()),
                                  actor=Actor("admin", "admin"))
    if not (figures.target and figures.protected_without_target):
        pytest.skip("needs schemes with and without a target, and workers protected in those without")
    value, said = _target(at)
    assert (f"{count(figures.protected_without_target)} pekerja Terlindungi dari skema tanpa target di sini "
            "tidak dihitung.") in said, said
