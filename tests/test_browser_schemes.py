"""Done when (issue 26): two real schemes set up start to finish in the browser, no file edited
by hand and no restart: Bengkayang (61.07) copying Mempawah's "1 desa 100" with a hard cap per
village, and Pemalang's CSR scheme for fishermen (a new occupation, age 18-60, income below the
UMK, caps in all and per kecamatan, JKK + JKM only, CSR companies only, funding code SC), its
company's bill paid on Tagihan and shown on the Beranda. Caps are small (3 in all, 2 per
kecamatan) so the test stays quick; the workers and the first sponsorships are seed data."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest

from conftest import ROOT, People
from test_browser import (_settled, after_run, choose, current, expect_logged_in, log_in, new_page, open_choices,
                          running_app, text)

from playwright.sync_api import Page, expect  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: E402

pytestmark = pytest.mark.xdist_group("browser")
CSR = "pemalang_csr_nelayan"


def fill(page: Page, label: str, value: str, *, nth: int | None = None, attempts: int = 3,
         kept: bool = True) -> None:
    """Type ``value`` and look that the box kept it, as a person does: text typed while the
    page is being drawn again can be lost (a Streamlit front-end race under load, seen once in
    CI on the scheme's name), and is typed again. ``kept=False``: a box the page empties once
    it has used what was typed (a search that picks)."""
    for _ in range(attempts if kept else 1):
        box = current(page).get_by_label(label, exact=True)
        box = box.nth(nth) if nth is not None else box
        box.fill(value)
        box.press("Tab")
        _settled(page)
        if not kept or box.input_value() == value:
            return
    raise AssertionError(f"{label}: the box did not keep {value!r} after {attempts} tries")


def click(page: Page, name: str, *, last: bool = False, attempts: int = 3) -> None:
    """Press a button and wait for the run it starts to end (right after the click the page
    still shows the previous run: a box filled then is replaced, with what was typed, as the
    click's run draws the page again; "Buka di formulir" does so with a new draft). A click
    that started no run in 20 s (it landed while the page was drawn again: twice in CI under
    load) is made again, as a person would; a run the click did start is always seen."""
    for attempt in range(attempts):
        _settled(page)
        buttons = current(page).get_by_role("button", name=name, exact=True)
        try:
            after_run(page, (buttons.last if last else buttons).click, start_timeout=20_000)
            return
        except PlaywrightTimeoutError:
            if attempt == attempts - 1:
                raise


def pick(page: Page, label: str, option: str, attempts: int = 3) -> None:
    """``choose``, tried again when the typed filter landed before the list opened."""
    for attempt in range(attempts):
        open_choices(page, label)
        page.keyboard.type(option[:25])
        wanted = page.get_by_role("option", name=option).first
        try:
            expect(wanted).to_be_visible(timeout=10_000)
        except AssertionError:
            page.keyboard.press("Escape")
            if attempt == attempts - 1:
                raise
            continue
        wanted.click()
        _settled(page)
        return


def add_rule(page: Page, sentence: str, attempts: int = 3) -> None:
    """Add a library rule as a person does: pick it and see the picker show it, press Tambah
    aturan, and wait until the new rule shows at the end of the list. No waiting on the button:
    it is never disabled, and the page keeps a pick made while the form was still being drawn
    again after the last change (the run of a change ends "early for rerun", so the page looks
    idle for a moment while the form is not yet drawn again; a pick made then was lost)."""
    numbers = current(page).locator("strong").filter(has_text=re.compile(r"^\d+\.$"))
    picker = current(page).get_by_role("combobox", name="Aturan dari pustaka", exact=True)
    for attempt in range(attempts):
        pick(page, "Aturan dari pustaka", sentence)
        try:
            expect(picker).to_have_value(sentence, timeout=10_000)
            break
        except AssertionError:
            if attempt == attempts - 1:
                raise
    before = _steady_count(page, numbers)
    click(page, "Tambah aturan")
    expect(numbers).to_have_count(before + 1)


def _steady_count(page: Page, locator) -> int:
    """How many of ``locator`` show once the form has stopped changing: the same count, the page
    settled, twice half a second apart. Between the two runs of a change the page looks idle for
    a moment with the form not drawn again yet (CI: 0 rules counted where a copy had 4)."""
    last = None
    for _ in range(120):
        _settled(page)
        now = locator.count()
        if now == last:
            return now
        last = now
        page.wait_for_timeout(500)
    raise AssertionError(f"the rule list never settled (last count {last})")


def open_tab(page: Page, name: str, attempts: int = 3) -> None:
    """Open a tab once the page's run is over: a tab clicked in the previous run's copy of the
    page, replaced as that run ends, shows the first tab again."""
    for attempt in range(attempts):
        _settled(page)
        tab = page.get_by_role("tab", name=name)
        tab.click()
        _settled(page)
        try:
            expect(tab).to_have_attribute("aria-selected", "true", timeout=5_000)
            return
        except AssertionError:
            if attempt == attempts - 1:
                raise


def open_draft(page: Page, mode: str, scheme: str | None = None, *, agree: bool = False) -> None:
    """Open a draft in the scheme editor; ``agree``: tick "Saya mengerti" first (a copy of a
    scheme whose Python rules the copy leaves out)."""
    _settled(page)
    current(page).get_by_text(mode, exact=True).click()
    _settled(page)
    if scheme:
        choose(page, "Skema sumber", scheme)
    if agree:
        _settled(page)
        current(page).get_by_text("Saya mengerti: salin tanpa aturan tersebut").click()
        expect(current(page).get_by_role("checkbox", name="Saya mengerti: salin tanpa aturan tersebut")).to_be_checked()
        _settled(page)
    click(page, "Buka di formulir")
    expect(current(page).get_by_role("button", name="Simpan skema", exact=True)).to_be_visible()


def test_two_schemes_set_up_in_the_browser_refuse_with_figures_and_version(tmp_path, browser):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(ROOT / "plugins" / "mempawah_1desa100.py", plugins)
    with running_app(tmp_path, users=("admin",), plugins_dir=str(plugins),
                     env={"PAYUNG_COOKIE_KEY": "e" * 40}) as url:
        page = new_page(browser, url)
        log_in(page, "admin")
        expect_logged_in(page)
        page.get_by_role("link", name="Skema").click()
        expect(current(page).get_by_role("heading", name="Kabupaten dan pekerjaan")).to_be_visible()

        # The regency and the occupation, in the browser.
        open_tab(page, "Kabupaten")
        fill(page, "Kode Kemendagri kabupaten *", "61.07")
        fill(page, "UMK (Rp sebulan)", "2.702.000")
        click(page, "Simpan kabupaten")
        expect(text(page, re.compile(r"Kabupaten Bengkayang \(61\.07\) tersimpan"))).to_be_visible()
        open_tab(page, "Pekerjaan")
        fill(page, "Nama pekerjaan *", "Buruh nelayan")
        fill(page, "Sinonim untuk impor (dipisah koma)", "ABK, pandega")
        click(page, "Simpan pekerjaan")
        expect(text(page, "Pekerjaan Buruh nelayan tersimpan.")).to_be_visible()

        # Bengkayang copies Mempawah's 1 desa 100, with a hard cap of 100 per village.
        open_draft(page, "Salinan skema yang ada", "Gerakan Perlindungan 1 Desa 100 Pekerja Rentan", agree=True)
        expect(text(page, re.compile("Tidak ikut disalin")).first).to_be_visible()
        fill(page, "Kode skema *", "bengkayang_1desa100")
        choose(page, "Kabupaten *", "Kabupaten Bengkayang (61.07)")
        expect(text(page, re.compile("masih menyebut Mempawah")).first).to_be_visible()
        fill(page, "Uraian skema", "Setiap pemerintah desa di Kabupaten Bengkayang menanggung iuran sampai 100 "
                                   "pekerja rentan desanya melalui RKPDes/APBDes.")
        fill(page, "Dasar hukum *", "Inpres 2/2021; Inpres 4/2022; Perbup Bengkayang 7/2026")
        expect(text(page, re.compile("masih menyebut Mempawah"))).to_have_count(0)
        add_rule(page, "Paling banyak 50 pekerja per kecamatan. (workers_at_most)")
        fill(page, "Paling banyak (pekerja)", "100")
        choose(page, "Dihitung untuk", "setiap desa")
        expect(text(page, re.compile(r"Paling banyak 100 pekerja per desa\."))).to_be_visible()
        click(page, "Simpan skema")
        expect(text(page, re.compile(r"tersimpan di bengkayang_1desa100\.toml \(versi 1"))).to_be_visible()

        # Pemalang's CSR scheme for fishermen, from scratch.
        open_draft(page, "Skema baru (kosong)")
        fill(page, "Kode skema *", CSR)
        fill(page, "Nama skema *", "CSR Perlindungan Nelayan Pemalang")
        choose(page, "Kabupaten *", "Kabupaten Pemalang (33.27)")
        fill(page, "Dasar hukum *", "Inpres 2/2021; Perbup Pemalang 5/2026")
        fill(page, "Sumber dana", "CSR perusahaan")
        choose(page, "Kode sumber dana (wadah BPJS)", "SC — CSR perusahaan")
        choose(page, "Jenis penyandang dana yang boleh (kosong: semua jenis)", "Perusahaan (CSR)")
        page.keyboard.press("Escape")
        _settled(page)
        current(page).get_by_text("Hanya program ini (yang lain tidak ditawarkan)").click()
        expect(text(page, re.compile(r"Program yang dibiayai hanya JKK \+ JKM\.")).first).to_be_visible()
        add_rule(page, "Pekerjaan pekerja salah satu dari: Petani, Nelayan. (worker_occupation_in)")
        choose(page, "Pekerjaan yang boleh ditanggung", "Nelayan")
        choose(page, "Pekerjaan yang boleh ditanggung", "Buruh nelayan")
        page.keyboard.press("Escape")
        expect(text(page, re.compile(r"Pekerjaan pekerja salah satu dari: Nelayan, Buruh nelayan\."))).to_be_visible()
        add_rule(page, "Umur pekerja 18-60 tahun pada bulan mulai. (worker_age_between)")
        add_rule(page, "Penghasilan pekerja yang dilaporkan di bawah UMK kabupaten skema (UMK tahun bulan mulai). "
                       "(worker_income_below_umk)")
        add_rule(page, "Paling banyak 50 pekerja per kecamatan. (workers_at_most)")
        fill(page, "Paling banyak (pekerja)", "3", nth=0)
        choose(page, "Dihitung untuk", "seluruh skema")
        add_rule(page, "Paling banyak 50 pekerja per kecamatan. (workers_at_most)")
        fill(page, "Paling banyak (pekerja)", "2", nth=1)
        expect(text(page, re.compile(r"Paling banyak 3 pekerja dalam skema ini\."))).to_be_visible()
        expect(text(page, re.compile(r"Paling banyak 2 pekerja per kecamatan\."))).to_be_visible()
        expect(text(page, re.compile(r"Rp 16\.800 per pekerja per bulan"))).to_be_visible()
        expect(text(page, re.compile(r"JKK 1% dari penghasilan yang dilaporkan"))).to_be_visible()
        click(page, "Simpan skema")
        expect(text(page, re.compile(r"tersimpan di pemalang_csr_nelayan\.toml \(versi 1"))).to_be_visible()

        # Seed data: a company, fishermen of two kecamatan, the first two sponsorships.
        from payung.auth.access import Actor
        from payung.core import Payung
        app = Payung.load(tmp_path / "config.toml", entry_points=False)
        db = app.open_db()
        people = People(app, db, Actor("admin", "admin"))
        villages = people.villages("33.27")
        by_district = {}
        for village in villages:
            by_district.setdefault(village.rsplit(".", 1)[0], village)
        first, second, third = list(by_district.values())[:3]
        company = people.sponsor("perusahaan", name="PT Samudra Pemalang")
        month = dt.date.today().strftime("%Y-%m")
        for _ in range(2):
            people.enrol(CSR, company, people.worker(first, "nelayan"), start=month)
        people.enrol(CSR, company, people.worker(second, "nelayan"), start=month)
        people.worker(third, "nelayan", name="Sarip Skema Penuh")
        people.worker(first, "buruh_nelayan", name="Rahmat Kecamatan Penuh")
        people.worker(second, "nelayan", born=dt.date(1960, 1, 10), name="Darto Enam Puluh Dua")
        db.close()

        # Refusals in the enrolment form, with the figures.
        page.get_by_role("link", name="Daftarkan kepesertaan").click()
        choose(page, "Skema *", "CSR Perlindungan Nelayan Pemalang")
        expect(current(page).get_by_role("checkbox", name="Ikut JHT (tabungan hari tua)")).to_be_disabled()
        choose(page, "Penyandang dana *", "PT Samudra Pemalang")
        for name in ("Rahmat Kecamatan Penuh", "Darto Enam Puluh Dua", "Sarip Skema Penuh"):
            fill(page, "Cari pekerja yang belum ditanggung", name, kept=False)
            choose(page, "Pekerja yang ditanggung *", name)
            page.keyboard.press("Escape")
        click(page, "Periksa")
        expect(text(page, re.compile(r"Batas pekerja per kecamatan sudah penuh di .*: 2 dari 2 pekerja")).first
               ).to_be_visible()
        expect(text(page, re.compile(r"pada bulan mulai 6[2-6] tahun; harus 18 sampai 60 tahun")).first).to_be_visible()
        expect(text(page, re.compile(r"Batas pekerja sudah penuh di skema CSR Perlindungan Nelayan Pemalang: 3 dari 3 "
                                     r"pekerja")).first).to_be_visible()

        # The company's bill for the month, paid in the browser; the Beranda then counts the three
        # workers as protected and the payment as this month's.
        page.get_by_role("link", name="Tagihan").click()
        choose(page, "Skema", "CSR Perlindungan Nelayan Pemalang")
        _settled(page)
        grid = page.locator('[data-testid="stDataFrame"]:visible').first
        expect(grid).to_contain_text("PT Samudra Pemalang")
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # the row marker of its only row
        expect(current(page).get_by_role("heading", name="Tagihan PT Samudra Pemalang")).to_be_visible()
        due = text(page, re.compile(r"Sisa yang dapat dibayar: Rp")).inner_text()
        amount = re.search(r"Rp\s?(\d{1,3}(?:\.\d{3})*)", due).group(1)
        fill(page, "Jumlah dibayar (Rp) *", amount)
        fill(page, "Nomor referensi / bukti transfer", "TRF-SAMUDRA-1")
        click(page, "Simpan pembayaran")
        expect(text(page, re.compile(rf"Pembayaran Rp\s?{re.escape(amount)} tercatat dengan nomor tanda terima"))
               ).to_be_visible()
        expect(text(page, "Tidak ada sisa tagihan yang dapat dibayar pada tagihan ini.")).to_be_visible()
        page.get_by_role("link", name="Beranda").click()
        choose(page, "Skema", "CSR Perlindungan Nelayan Pemalang")
        _settled(page)
        figures = current(page).get_by_test_id("stMetric")
        expect(figures.filter(has_text="Terlindungi").get_by_test_id("stMetricValue")).to_have_text("3")
        expect(figures.filter(has_text="Iuran dibayar bulan ini").get_by_test_id("stMetricValue")
               ).to_have_text(re.compile(rf"Rp\s?{re.escape(amount)}"))

        # An edit is a new version; the sponsorships made before keep version 1.
        page.get_by_role("link", name="Skema").click()
        open_draft(page, "Ubah skema TOML yang ada", "CSR Perlindungan Nelayan Pemalang")
        fill(page, "Nama skema *", "CSR Perlindungan Nelayan Pemalang 2027")
        click(page, "Simpan skema")
        expect(text(page, re.compile(r"\(versi 2: diubah: nama skema\)"))).to_be_visible()
        import sqlite3
        with sqlite3.connect(tmp_path / "payung.db") as check:
            assert check.execute("SELECT DISTINCT scheme_version FROM sponsorships WHERE scheme_code = ?",
                                 [CSR]).fetchall() == [(1,)]
        assert "# CSR Perlindungan Nelayan Pemalang" in (plugins / f"{CSR}.toml").read_text(encoding="utf-8")
        page.screenshot(path=str(tmp_path / "skema.png"), full_page=True)
