"""Demo data follows what each scheme declares: its payment periods and its start."""

from __future__ import annotations

import tomllib

from payung.base import clock
from payung.core import Payung
from payung.operations.demo import generate
from payung.base.months import add_months, current_month

from conftest import BASE_CONFIG, write_config

REGENCY = tomllib.loads(BASE_CONFIG.read_text(encoding="utf-8"))["regencies"][0]["code"]


def _only_scheme(tmp_path, **keys) -> Payung:
    folder = tmp_path / "plugins"
    folder.mkdir()
    lines = ['code = "tahunan_uji"', 'name = "Skema dibayar setahun di muka"', f'regency_code = "{REGENCY}"',
             'funding_code = "SL"', 'sponsor_types = ["perorangan"]', "months = [12]"]
    lines += [f"{key} = {value}" for key, value in keys.items()]
    (folder / "tahunan_uji.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    app = Payung.load(write_config(tmp_path, plugins_dir=str(folder)), entry_points=False)
    assert list(app.plugins.schemes) == ["tahunan_uji"], app.plugins.errors
    return app


def test_demo_pays_as_the_scheme_allows_and_starts_when_it_started(tmp_path):
    """A scheme paid yearly (payment_periods = [12]) that started two months ago gets demo
    sponsorships, all paid yearly and none starting before the scheme."""
    started = add_months(current_month(), -2)
    app = _only_scheme(tmp_path, payment_periods="[12]", started=f'"{started}-01"')
    db = app.open_db()
    try:
        counts = generate(app, db, workers=30, seed=3)
        rows = list(db.query("SELECT payment_period, start_month FROM sponsorships"))
    finally:
        db.close()
    assert counts["sponsorships"] > 0 and counts["refused"] == 0, counts
    assert {r["payment_period"] for r in rows} == {12}
    assert min(r["start_month"] for r in rows) == started


def test_demo_pays_monthly_where_the_scheme_allows_it(tmp_path):
    app = _only_scheme(tmp_path, payment_periods="[1, 12]")
    db = app.open_db()
    try:
        generate(app, db, workers=20, seed=3, today=clock.today())
        periods = {r["payment_period"] for r in db.query("SELECT payment_period FROM sponsorships")}
    finally:
        db.close()
    assert periods == {1}


def test_the_demo_looks_like_a_regency_that_pays_not_one_whose_cover_has_ended(tmp_path):
    """Sponsorships that started months ago used to be paid all at once on the demo's day: their
    old months were past the arrears limit, and the demo showed most workers' cover ended (287
    of 487). Each month is now paid in its time; a few sponsors are late and a few stopped."""
    from payung.auth.access import Actor
    from payung.enrolment.arrears import late_list
    app = Payung.load(write_config(tmp_path), entry_points=False)
    db = app.open_db()
    try:
        counts = generate(app, db, workers=120, seed=5)
        late = late_list(db, app.plugins, actor=Actor("admin", "admin"))
        started_before = db.execute("SELECT COUNT(*) FROM sponsorships WHERE start_month <= ?",
                                    [add_months(current_month(), -6)]).fetchone()[0]
    finally:
        db.close()
    assert started_before > counts["sponsorships"] / 4  # months of history to have paid, or not
    assert 0 < len(late.lapsed) < counts["sponsorships"] / 10, (len(late.lapsed), counts)
    assert 0 < len(late.parties) < counts["sponsors"] / 3


def test_the_demos_masked_niks_differ_from_one_another():
    """A masked NIK shows its first and last four digits; the demo gave every worker the serial
    0001 (the first person of a kecamatan born that day), so a list of masked NIKs read
    "3324********0001" on every row. Still valid NIKs (serial 0001-9999), unique, the same on
    every run with one seed."""
    import datetime as dt
    import random
    from collections import Counter
    from payung.base.identity import check_nik, mask_nik
    from payung.operations.demo import worker_rows
    villages = [f"33.24.{d:02d}.20{v:02d}" for d in range(1, 21) for v in range(1, 6)]

    def niks(seed):
        return [w["nik"] for w in worker_rows(villages, 300, random.Random(seed), today=dt.date(2026, 12, 7))]
    rows = list(worker_rows(villages, 300, random.Random(5), today=dt.date(2026, 12, 7)))
    drawn = [w["nik"] for w in rows]
    assert len(set(drawn)) == len(drawn) and drawn == niks(5)
    for w in rows:
        check = check_nik(w["nik"], birth_date=dt.date.fromisoformat(w["birth_date"]), gender=w["gender"],
                          today=dt.date(2026, 12, 7))
        assert not check.problems and "0001" <= w["nik"][12:] <= "9999", (w, check.problems)
    shown = Counter(mask_nik(n) for n in drawn)
    assert len(shown) >= 250 and shown.most_common(1)[0][1] <= 5, shown.most_common(3)
