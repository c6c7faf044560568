"""A few sessions in real Chromium (Playwright, Debian's ``/usr/bin/chromium``): what a
person sees, timed from the click until the page has settled with the expected text."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from pathlib import Path

from .protocol import ProtocolError
from .scenarios import SEARCHED, SEARCHES, Result, Session, _new_person

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
#: The app has settled: no run under way, nothing stale left on screen.
IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-testid="stElementContainer"][data-stale="true"]');
}"""
CURRENT = '[data-testid="stElementContainer"]:not([data-stale="true"])'
#: Seconds a new window stands, at least, before its address is typed (see ``BrowserSession.run``).
WINDOW_READY = 2.5


@dataclass
class Browsers:
    playwright: object
    browser: object

    async def close(self) -> None:
        await self.browser.close()
        await self.playwright.stop()


async def playwright_or_none() -> Browsers | None:
    """Chromium driven by Playwright, or None where either is missing."""
    if not Path(CHROMIUM).exists():
        return None
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        return None
    playwright = await async_playwright().start()
    browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    return Browsers(playwright, browser)


async def warm_up(browsers: Browsers, url: str) -> None:
    """One page of ``url`` in a throwaway profile: a just-started Chromium takes twice as long
    over its first page (its own processes starting), which is no time of Payung's. A person's
    browser is running before they open Payung."""
    context = await browsers.browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(url)
        await page.get_by_text("Masuk ke Payung").first.wait_for(timeout=120_000)
    finally:
        await context.close()


class BrowserSession(Session):
    """A village operator in a Chromium tab: sign in, the list, a search, a new worker. The
    first sign-in is a first visit (a fresh browser profile, its window open a moment before
    the address is typed); after a round, one in three
    times, Keluar and Masuk again in the same tab (more real-browser sign-ins than the
    protocol sessions' one in ten: there are only a few tabs to time them)."""
    browser = None
    relogin_in_tab = 1 / 3

    async def step(self, name: str, action, expect: str | tuple[str, ...]) -> None:
        start = time.monotonic()
        error = None
        try:
            await action()
            page = self.page
            shown = expect if isinstance(expect, str) else re.compile("|".join(map(re.escape, expect)))
            problems = page.locator(f'{CURRENT} [data-testid="stException"], {CURRENT} [data-testid="stAlertContentError"]')
            # What was expected, or an error (a refused save says why at once, not after the timeout).
            await page.locator(CURRENT).get_by_text(shown).or_(problems).first.wait_for(timeout=self.timeout * 1000)
            await page.wait_for_function(IDLE, timeout=self.timeout * 1000)
            if await problems.count():
                error = " / ".join([t.strip() for t in await problems.all_inner_texts()])[:300]
        except Exception as exc:  # noqa: BLE001 - a timeout or a vanished element is this action's error
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"[:200]
        self.results.append(Result(f"chromium:{name}", start, time.monotonic() - start, error, "desa"))
        if error:
            raise ProtocolError(error)

    def box(self, label: str):
        return self.page.locator(CURRENT).get_by_role("textbox", name=label, exact=True)

    async def choose(self, label: str, option: str | None = None, tries: int = 3) -> None:
        """Pick ``option`` (or the first one) in the box ``label``, and look that it shows, as a
        person does: a pick made while the page was being drawn again can miss, and is made again."""
        box = self.page.locator(CURRENT).get_by_label(label, exact=True)
        for _ in range(tries):
            await self.page.wait_for_function(IDLE, timeout=self.timeout * 1000)
            await box.click()
            if option:
                await self.page.keyboard.type(option[:25])
            await self.page.get_by_role("option", name=option).first.click()
            await self.page.wait_for_function(IDLE, timeout=self.timeout * 1000)
            shown = await box.input_value() if await box.count() else ""
            if shown and (option is None or shown == option):
                return
        self.failed("choose", f"{label}: pilihan tidak tampil setelah {tries} kali")

    async def sign_in_form(self, tries: int = 3) -> None:
        """Fill the login form and look that both boxes hold what was typed, as a person does: text
        typed while the page is drawn again (the cookie reader's answer, a moment after the page
        shows) can be lost, and pressing Masuk then says "Isi nama pengguna dan kata sandi"."""
        filled = {"Nama pengguna": self.account.username, "Kata sandi": self.account.password}
        for _ in range(tries):
            for label, text in filled.items():
                await self.box(label).fill(text)
            await self.page.wait_for_function(IDLE, timeout=self.timeout * 1000)
            if all([await self.box(label).input_value() == text for label, text in filled.items()]):
                return
        self.failed("login-form", f"isian hilang setelah {tries} kali")

    def failed(self, name: str, error: str) -> None:
        """An error outside a timed step: counted, and the session starts again."""
        self.results.append(Result(f"chromium:{name}", time.monotonic(), 0.0, error[:200], "desa"))
        raise ProtocolError(error)

    async def run(self, until: float) -> None:
        while time.monotonic() < until:
            # A fresh browser profile each time round: after an error, sign in again from the start.
            context = await self.browser.new_context(viewport={"width": 1366, "height": 900})
            self.page = await context.new_page()
            try:
                # The window is open before the address is typed. A new Chromium window builds
                # its own address bar's popup (a WebUI page, chrome://omnibox-popup.top-chrome,
                # in a renderer of its own: 1,2-1,6 s of CPU on the client's core, traced), which
                # timed at once would count Chromium's window against Payung's first page.
                opened = time.monotonic()
                await self.pause()
                await asyncio.sleep(max(0.0, WINDOW_READY - (time.monotonic() - opened)))  # a short think time too
                await self.step("open", lambda: self.page.goto(self.url), "Masuk ke Payung")
                await self.pause()
                await self.sign_in_form()
                await self.log_in()
                while time.monotonic() < until:
                    await self.browse(until)
                    if self.rng.random() < self.relogin_in_tab and time.monotonic() < until:
                        await self.sign_in_again()
            except ProtocolError:
                await asyncio.sleep(1)
            except Exception as exc:  # noqa: BLE001 - Playwright between steps (a box gone, a timeout)
                try:
                    self.failed("other", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
                except ProtocolError:
                    await asyncio.sleep(1)
            finally:
                await context.close()

    async def log_in(self, expect: str = "Terlindungi") -> None:
        await self.step("login", lambda: self.page.locator(CURRENT).get_by_role("button", name="Masuk").click(),
                        expect)

    async def sign_in_again(self) -> None:
        """Keluar, then Masuk again in the same browser (its cache kept, as on a person's laptop)."""
        await self.pause()
        await self.step("logout", lambda: self.page.locator(CURRENT).get_by_role("button", name="Keluar").click(),
                        "Masuk ke Payung")
        await self.pause()
        await self.sign_in_form()
        # Back on the page of the address Keluar left (the worker form, the list): signed in
        # once the page has settled with its Keluar button.
        await self.log_in("Keluar")

    async def browse(self, until: float) -> None:
        page = self.page
        await self.pause()
        # The list keeps the last search, which may find nobody in this village.
        await self.step("workers", lambda: page.get_by_role("link", name="Daftar pekerja").click(), SEARCHED)
        await self.pause()
        search = self.box("Cari nama atau NIK")
        await search.fill(self.rng.choice(SEARCHES))
        await self.step("search", lambda: search.press("Enter"), SEARCHED)
        if time.monotonic() >= until:
            return
        await self.pause()
        await self.step("worker-form", lambda: page.get_by_role("link", name="Tambah/ubah pekerja").click(),
                        "Tambah pekerja")
        worker = _new_person(self)
        await self.pause()
        await self.box("NIK *").fill(worker["nik"])
        await self.step("nik", lambda: self.box("NIK *").press("Tab"), "Dari NIK")
        await self.box("Nama lengkap (sesuai KTP) *").fill(worker["name"])
        await self.box("Nama lengkap (sesuai KTP) *").press("Tab")
        # The village box comes with the district the NIK gave; the operator's village(s) in it.
        await self.choose("Desa/kelurahan domisili *")
        await self.choose("Pekerjaan *", "Petani")
        await self.pause()
        await self.step("save-worker", lambda: page.locator(CURRENT).get_by_role("button", name="Simpan").click(),
                        "terdaftar sebagai pekerja")
