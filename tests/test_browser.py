"""What a user clicks, in a real browser: headless Chromium (Debian's) driven by Playwright.

From a new database: create the first administrator, log in, load the demo data, type a
worker with a wrong NIK (see the error), fix it, enrol the worker with a sponsor, and find
them in the list. CI installs Chromium and sets PAYUNG_REQUIRE_BROWSER=1, so there the test
fails rather than skips when the browser is missing.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, write_config

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    if os.environ.get("PAYUNG_REQUIRE_BROWSER"):
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

PASSWORD = "rahasia123"
TIMEOUT = 60_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {**os.environ, "PAYUNG_CONFIG": str(write_config(tmp_path)), "PAYUNG_DB": str(tmp_path / "payung.db"),
           "PAYUNG_COOKIE_KEY": "b" * 40}
    log = open(tmp_path / "streamlit.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        raise RuntimeError("Streamlit did not start: " + (tmp_path / "streamlit.log").read_text())
    yield url
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.fixture
def page(server):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(TIMEOUT)
        page.goto(server)
        yield page
        browser.close()


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox or multiselect labelled ``label``, typing to
    filter first (long option lists are virtualised: only the visible ones exist)."""
    page.get_by_label(label, exact=True).click()
    page.keyboard.type(option[:25])
    page.get_by_role("option", name=option).first.click()


def textbox(page: Page, label: str):
    return page.get_by_role("textbox", name=label, exact=True)


def test_first_admin_demo_worker_with_bad_nik_enrolment_and_list(page: Page, tmp_path):
    # First start: create the administrator.
    expect(page.get_by_text("Selamat datang di Payung")).to_be_visible()
    textbox(page, "Nama pengguna").fill("admin.dinsos")
    textbox(page, "Nama lengkap").fill("Ani Lestari")
    textbox(page, "Kata sandi").fill(PASSWORD)
    textbox(page, "Ulangi kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Buat administrator").click()

    # Log in.
    expect(page.get_by_text("Masuk ke Payung")).to_be_visible()
    textbox(page, "Nama pengguna").fill("admin.dinsos")
    textbox(page, "Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()

    # Demo data in one click.
    page.get_by_role("button", name="Coba dengan data contoh").click()
    expect(page.get_by_text("Data contoh dimuat")).to_be_visible(timeout=180_000)

    # A worker with a wrong NIK: the error is shown and nothing is saved; then fixed.
    page.get_by_role("link", name="Tambah/ubah pekerja").click()
    expect(page.get_by_role("heading", name="Tambah pekerja")).to_be_visible()
    textbox(page, "NIK *").fill("3324015708")
    textbox(page, "NIK *").press("Tab")
    # The NIK is checked as soon as it is typed (wait for that rerun before typing on).
    expect(page.get_by_text("NIK harus 16 digit angka (yang diisi: 10 digit).").first).to_be_visible()
    textbox(page, "Nama lengkap (sesuai KTP) *").fill("Sulastri Uji Peramban")
    textbox(page, "Nama lengkap (sesuai KTP) *").press("Tab")
    choose(page, "Kecamatan *", "Plantungan, Kabupaten Kendal")
    choose(page, "Desa/kelurahan domisili *", "Blumah")
    choose(page, "Pekerjaan *", "Petani")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text("Data belum disimpan: ada 1 hal yang perlu diperbaiki.")).to_be_visible()
    expect(page.get_by_text("NIK harus 16 digit angka (yang diisi: 10 digit).").first).to_be_visible()
    textbox(page, "NIK *").fill("3324015708750991")
    textbox(page, "NIK *").press("Tab")
    expect(page.get_by_text("Dari NIK: lahir 17/08/1975, perempuan")).to_be_visible()
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text("Sulastri Uji Peramban terdaftar sebagai pekerja.")).to_be_visible()

    # Enrol her with a civil servant of Kendal.
    page.get_by_role("link", name="Daftarkan kepesertaan").click()
    choose(page, "Skema *", "Gerakan ASN Peduli Pekerja Rentan")
    page.get_by_label("Penyandang dana *", exact=True).click()
    page.get_by_role("option").first.click()
    choose(page, "Cara bayar *", "Potong gaji")
    textbox(page, "Cari pekerja yang belum ditanggung").fill("Sulastri Uji")
    textbox(page, "Cari pekerja yang belum ditanggung").press("Enter")
    choose(page, "Pekerja yang ditanggung *", "Sulastri Uji Peramban")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Periksa").click()
    expect(page.get_by_text("Semua syarat terpenuhi")).to_be_visible()
    page.get_by_role("button", name="Simpan kepesertaan").click()
    expect(page.get_by_text("1 kepesertaan tersimpan")).to_be_visible()

    # The dashboard: choosing a district puts it in the URL, and that URL opens the same view.
    page.get_by_role("link", name="Beranda").click()
    expect(page.get_by_text("Terlindungi").first).to_be_visible()
    choose(page, "Kecamatan", "Plantungan, Kabupaten Kendal")
    expect(page).to_have_url(re.compile(r"kecamatan=33\.24\.01"))
    bookmarked = page.url
    page.goto(bookmarked)
    expect(page.get_by_text(re.compile(r"^Semua skema · Plantungan · "))).to_be_visible(timeout=TIMEOUT)

    # Find her in the list.
    page.get_by_role("link", name="Daftar pekerja").click()
    textbox(page, "Cari nama atau NIK").fill("Sulastri Uji")
    textbox(page, "Cari nama atau NIK").press("Enter")
    expect(page.get_by_text("dari 1 data")).to_be_visible()
    page.screenshot(path=str(tmp_path / "daftar-pekerja.png"), full_page=True)

    # A reload keeps the session (signed cookie) and the page; logging out ends both.
    page.reload()
    expect(page.get_by_role("heading", name="Daftar pekerja")).to_be_visible()
    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_text("Masuk ke Payung")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Masuk ke Payung")).to_be_visible()
    expect(page.get_by_role("heading", name="Daftar pekerja")).to_have_count(0)
