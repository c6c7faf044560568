"""Beranda in Chromium: the login page loads the code Beranda starts from while a person types
(``ui.warmup``), so after Masuk it draws its filters, figures and charts without asking for
those pieces again; a click on a district's bar opens that district's villages."""

from __future__ import annotations

import re

import pytest

# test_browser skips this module without Chromium; demo_site is its fixture.
from test_browser import _settled, current, demo_site, expect_logged_in, log_in, new_page  # noqa: F401

from playwright.sync_api import expect  # noqa: E402

from ui import warmup

# One worker runs every browser test (pytest-xdist's loadgroup): one Chromium and one demo server at a time.
pytestmark = pytest.mark.xdist_group("browser")

LOADED = "() => performance.getEntriesByType('resource').map(e => e.name.split('/').pop())"


def test_the_login_page_loads_the_next_pages_code_and_beranda_does_not_ask_again(demo_site, browser):
    url, _, _ = demo_site
    files = set(warmup.next_page_files())
    assert files
    page = new_page(browser, url)
    asked: list[str] = []
    _settled(page)
    all_loaded = f"() => {{ const loaded = ({LOADED})(); return {sorted(files)}.every(f => loaded.includes(f)); }}"
    page.wait_for_function(all_loaded, timeout=15_000)
    page.on("request", lambda request: asked.append(request.url.split("/")[-1]))
    log_in(page, "admin")
    expect_logged_in(page)
    # Beranda of the demo data: its charts drawn, with the code loaded before the click.
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    assert not files & set(asked), sorted(files & set(asked))
    page.context.close()


def test_a_click_on_a_districts_bar_shows_its_villages(demo_site, browser):
    url, _, _ = demo_site
    page = new_page(browser, url)
    log_in(page, "admin")
    expect_logged_in(page)
    chart = current(page).get_by_test_id("stVegaLiteChart").first
    expect(chart).to_contain_text("per kecamatan")
    # What a screen reader is told of the charts: each bar's tooltip in Indonesian, never Vega's
    # English ("X-axis titled ...", "Title text ...") or the data's field names ("protected: 13").
    _settled(page)
    said = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"] [aria-label]')]
        .filter(e => !e.closest('[aria-hidden="true"]')).map(e => e.getAttribute('aria-label'))""")
    assert any(s.startswith("Kecamatan: ") for s in said), said[:5]
    assert not [s for s in said if re.search(r"axis|Title text|Legend|\bprotected\b|\bshare\b", s)], said[:20]
    # The chart's toolbar says its buttons in Indonesian ("Copy Vega-Lite spec" was English), to
    # a screen reader too: every button's name, and one renamed in place (React writes "Copied!",
    # then "Copy Vega-Lite spec" again on a timer, into the same button).
    from ui.widgets import TOOLBAR_LABELS
    chart.hover()
    names = chart.locator('xpath=ancestor::*[@data-testid="stElementContainer"][1]').locator(
        '[data-testid="stBaseButton-elementToolbar"]').evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
    assert names and not [n for n in names if n.split(": ")[0] in TOOLBAR_LABELS], names
    copy = page.locator('[data-testid="stBaseButton-elementToolbar"]'
                        '[aria-label="Salin rumusan grafik (Vega-Lite)"]:visible').first
    renamed = copy.element_handle()  # the same button, whatever its name
    renamed.evaluate("b => b.setAttribute('aria-label', 'Copy Vega-Lite spec')")
    page.wait_for_function("(b) => b.getAttribute('aria-label') === 'Salin rumusan grafik (Vega-Lite)'",
                           arg=renamed, timeout=10_000)
    page.wait_for_function("(b) => getComputedStyle(b.closest('[data-testid=stElementToolbar]')).opacity === '1'",
                           arg=copy.element_handle())
    copy.hover()
    tip = page.locator('[role="tooltip"] [data-testid="stTooltipContent"] p')
    expect(tip).to_be_visible()
    assert page.evaluate("(p) => getComputedStyle(p, '::after').content", tip.element_handle()) == \
        '"Salin rumusan grafik (Vega-Lite)"'
    # The buttons the tab renames for screen readers too: their tooltips said "Show data" and
    # "Fullscreen" (the tooltips' rules knew the buttons by their English names only).
    for name, said in (("Tampilkan data", "Tampilkan data"), ("Layar penuh", "Layar penuh")):
        chart.hover()
        button = page.locator(f'[data-testid="stBaseButton-elementToolbar"][aria-label="{name}"]:visible').first
        button.hover()
        expect(tip).to_be_visible()
        assert page.evaluate("(p) => [getComputedStyle(p).fontSize, getComputedStyle(p, '::after').content]",
                             tip.element_handle()) == ["0px", f'"{said}"'], name
    page.mouse.move(0, 0)
    box = chart.locator("svg").first.bounding_box()
    # The bars start right of the names (up to 180 px), the largest district's first, under the title.
    for dy in range(40, 200, 8):
        page.mouse.click(box["x"] + 200, box["y"] + dy)
        page.wait_for_timeout(300)
        if "kecamatan=" in page.url:
            break
    assert "kecamatan=" in page.url, page.url
    expect(current(page).get_by_test_id("stVegaLiteChart").first).to_contain_text("per desa")
    _settled(page)
    page.context.close()


def test_a_village_operator_opens_the_charts_of_their_village(demo_site, browser):
    """One village's Beranda: the figures at once, the charts when asked for (a click on
    "Grafik"), drawn in place, and gone again on a second click."""
    import re
    import db as database
    from payung.auth.access import Actor
    from payung.auth.users import add_user
    from conftest import PASSWORD
    url, _, tmp_path = demo_site
    with database.open_database(tmp_path / "payung.db") as conn:
        village = conn.execute("SELECT village_code FROM contribution_lines WHERE paid_amount > 0 GROUP BY village_code "
                               "ORDER BY COUNT(*) DESC, village_code LIMIT 1").fetchone()[0]
        if not conn.execute("SELECT 1 FROM users WHERE username = 'desa.grafik'").fetchone():
            add_user(conn, username="desa.grafik", name="Operator Desa Grafik", role="desa", password=PASSWORD,
                     actor=Actor.system(), villages=(village,))
    page = new_page(browser, url)
    log_in(page, "desa.grafik")
    expect_logged_in(page)
    expect(current(page).get_by_test_id("stMetric").first).to_be_visible()
    charts = current(page).get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(0)
    toggle = page.get_by_test_id("stExpander").get_by_text(re.compile("^Grafik: per skema"))
    toggle.click()
    expect(charts.first).to_be_visible()
    expect(charts.nth(3)).to_be_visible()  # the charts arrive one by one: count them once the fourth is there
    assert charts.count() >= 4
    _settled(page)
    toggle.click()
    _settled(page)
    expect(current(page).locator('[data-testid="stVegaLiteChart"]:visible')).to_have_count(0)
    page.context.close()


def test_the_desa_box_says_all_villages_after_its_kecamatan_goes_back_to_all(demo_site, browser):
    """A kecamatan, one of its villages, then "Semua kecamatan" again: the (disabled) Desa box
    showed an empty "Pilih..." where it means every village. A box on "all" is not drawn grey, and
    the Kecamatan box picked back to "Semua kecamatan" offers no clear (x) that clears nothing."""
    url, _, _ = demo_site
    page = new_page(browser, url)
    log_in(page, "admin")
    expect_logged_in(page)

    def pick(label: str, option: str | None = None) -> None:
        """Open the box, wait for its one list (a list left open by the box before it would take
        the click), pick ``option`` or the first after "Semua ...", and wait for the list to go."""
        _settled(page)
        current(page).get_by_label(label, exact=True).click()
        listbox = page.get_by_role("listbox")
        expect(listbox).to_have_count(1)
        options = listbox.get_by_role("option")
        (options.filter(has_text=re.compile(f"^{re.escape(option)}$")) if option else options.nth(1)).first.click()
        expect(listbox).to_have_count(0)
        _settled(page)

    # A box on "all" says it in the colour of a chosen value, not a placeholder's grey (Pekerja's
    # and Beranda's filters looked switched off on a first visit).
    district = current(page).get_by_label("Kecamatan", exact=True)
    assert district.get_attribute("placeholder") == "Semua kecamatan" and not district.input_value()
    shown, text = district.evaluate("b => [getComputedStyle(b, '::placeholder').color, getComputedStyle(b).color]")
    assert shown == text, (shown, text)
    pick("Kecamatan")
    pick("Desa/kelurahan")
    page.wait_for_url(re.compile("desa="))
    pick("Kecamatan", "Semua kecamatan")
    # The box picked back to "Semua kecamatan" offers no clear (x): it cleared nothing one could see.
    district_box = current(page).get_by_test_id("stSelectbox").filter(has=page.get_by_label("Kecamatan", exact=True))
    expect(district_box).to_have_count(1)
    expect(district_box.get_by_role("button", name=re.compile(r"^(Kosongkan|Clear value)$"))).to_have_count(0)
    # Waited for: the box's None is sent in the run after the pick (CI once read the pick's text).
    expect(district).to_have_value("")
    assert district.get_attribute("placeholder") == "Semua kecamatan"
    box = current(page).get_by_label("Desa/kelurahan", exact=True)
    expect(box).to_be_disabled()
    assert (box.input_value() or box.get_attribute("placeholder")) == "Semua desa", \
        (box.input_value(), box.get_attribute("placeholder"))
    page.context.close()


def test_the_browsers_back_undoes_a_filter(demo_site, browser):
    """A month picked, then Back: the boxes kept the month just left and wrote it into the address
    again, so Back did nothing (the page stayed on that month). Back shows the page before."""
    from payung.base.months import add_months, current_month, format_month
    url, _, _ = demo_site
    page = new_page(browser, url)
    log_in(page, "admin")
    expect_logged_in(page)
    month = current(page).get_by_label("Bulan", exact=True)
    for picked in (add_months(current_month(), -18), add_months(current_month(), -3)):
        _settled(page)
        month.click()
        page.keyboard.type(format_month(picked))
        page.get_by_role("option", name=format_month(picked)).first.click()
        page.wait_for_url(re.compile(rf"bulan={picked}"))
        _settled(page)
        page.go_back()
        page.wait_for_url(re.compile(r"/$"))
        _settled(page)
        page.wait_for_timeout(1000)  # nothing writes the month just left back into the address
        assert "bulan=" not in page.url, (picked, page.url)
        expect(month).to_have_value(format_month(current_month()))
    page.context.close()
