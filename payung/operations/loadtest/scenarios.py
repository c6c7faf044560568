"""What each role does all day, as a session of Streamlit's protocol (``protocol.Tab``).

A village operator: the worker list, a search by name, a worker opened and back to the list,
a new worker added (the NIK typed first: it fills the birth date, gender and district). A
regency operator or administrator: the Beranda and one of its filters, the bills of a scheme
and one party's bill, a payment on it, and the late list. Every action is timed from the
click to the page drawn and checked for what a person would look for; anything else (an
exception, an error box, a timeout, a missing text) is an error of that action.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from payung.base import clock
from payung.operations.demo import worker_rows

from .dataset import Account, district_of
from .protocol import Page, ProtocolError, Tab, state, trigger

#: First names a village operator looks for (the generator's names: every village has some).
SEARCHES = ("Siti", "Sri", "Ahmad", "Budi", "Dewi", "Slamet", "Nur", "Agus")
#: What a search shows: the rows found, or that none match (a small village may have no "Sri").
SEARCHED = ("Menampilkan", "Tidak ada pekerja yang cocok")
#: Tagihan's table of parties, keyed by what it lists (``t_parties-<scheme>-<months>-<version>``).
PARTIES = "t_parties-"
#: Kendal's schemes, as the select boxes name them.
SCHEMES = ("Gerakan ASN Peduli Pekerja Rentan", "GN Lingkaran (Gerakan Nasional Peduli Perlindungan Pekerja Rentan)")


@dataclass
class Result:
    action: str
    at: float  # monotonic time the action started
    seconds: float
    error: str | None = None
    role: str = ""
    #: The most the generator's own event loop was late during the action (``lag.worst``).
    generator_lag: float = 0.0


@dataclass
class Session:
    """One person at work: their account, their tab, what they did."""
    number: int
    account: Account
    url: str
    think: tuple[float, float] = (3.0, 6.0)
    timeout: float = 60
    results: list[Result] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)
    #: Log out and in again after a round of the mix with this chance (people sign in again
    #: over the day: the sign-ins under load are measured too).
    relogin: float = 0.1
    #: NIKs registered (``dataset.taken_niks``), shared by the sessions of a run: a new worker
    #: gets one nobody has.
    taken: set[str] = field(default_factory=set)

    async def act(self, name: str, action: Callable[[], Awaitable[Page]],
                  expect: str | tuple[str, ...] | None = None) -> Page | None:
        """Do ``action`` and record how long the page took, or why it failed (an error on the
        page, or none of ``expect`` shown)."""
        start = time.monotonic()
        error = None
        page = None
        try:
            page = await action()
            problems = page.problems()
            if problems:
                error = problems[0][:200]
            elif expect and not any(e in page.text() for e in ((expect,) if isinstance(expect, str) else expect)):
                error = f"tidak tampil: {expect!r}"
        except ProtocolError as exc:
            error = str(exc)[:200]
        except Exception as exc:  # noqa: BLE001 - whatever broke this session is its error, not the run's
            error = f"{type(exc).__name__}: {exc}"[:200]
        seconds = self.tab.drawn_s if error is None else time.monotonic() - start
        self.results.append(Result(name, start, seconds, error, self.account.role))
        if error:
            raise ProtocolError(error)
        return page

    async def pause(self) -> None:
        await asyncio.sleep(self.rng.uniform(*self.think))

    async def run(self, until: float) -> None:
        """Sign in and work until ``until`` (monotonic); start over on an error."""
        while time.monotonic() < until:
            self.tab = Tab(self.url, timeout=self.timeout, user_agent=f"payung-loadtest/{self.number}")
            try:
                await self.sign_in()
                while time.monotonic() < until:
                    await self.round(until)
                    if self.rng.random() < self.relogin and time.monotonic() < until:
                        await self.pause()
                        await self.act("logout", lambda: self.tab.click("keluar"), "Masuk ke Payung")
                        await self.pause()
                        await self.act("login", self._login)  # _login checks the Keluar button
            except ProtocolError:
                await asyncio.sleep(1)
            finally:
                await self.tab.close()

    async def sign_in(self) -> None:
        await self.act("open", self.tab.open, "Masuk ke Payung")
        await self.pause()
        await self.act("login", self._login)

    async def _login(self) -> Page:
        page = self.tab.page
        page = await self.tab.rerun([state(page.widget(label="Nama pengguna").id, self.account.username),
                                     state(page.widget(label="Kata sandi").id, self.account.password),
                                     trigger(page.widget(label="Masuk").id)])
        if not page.has_widget("keluar"):
            raise ProtocolError(f"tidak masuk: {page.text()[:200]!r}")
        return page

    async def round(self, until: float) -> None:
        steps = VILLAGE if self.account.role == "desa" else OFFICE
        for step in steps:
            if time.monotonic() >= until:
                return
            await self.pause()
            await step(self)


# A village operator ---------------------------------------------------------------------------

async def _workers(s: Session) -> None:
    await s.act("workers", lambda: s.tab.goto("pekerja"), "Daftar pekerja")


async def _search(s: Session) -> None:
    page = await s.act("search", lambda: s.tab.set("cari_pekerja", s.rng.choice(SEARCHES)), SEARCHED)
    if "Menampilkan" not in page.text():  # nobody of that name here: the whole list again
        await s.act("search", lambda: s.tab.set("cari_pekerja", ""), "Menampilkan")


async def _worker(s: Session) -> None:
    page = s.tab.page
    table = next(e.id.rsplit("-", 1)[-1] for e in page.widgets() if e.kind == "dataframe")
    rows = page.dataframe_rows(table)
    await s.act("worker", lambda: s.tab.select_row(table, s.rng.randrange(max(rows, 1))), "Status bulan ini")


async def _back(s: Session) -> None:
    await s.act("back", lambda: s.tab.click("kembali"), "Daftar pekerja")


async def _new_worker(s: Session) -> None:
    await s.act("worker-form", lambda: s.tab.goto("pekerja-form"), "Tambah pekerja")
    worker = _new_person(s)
    await s.pause()
    await s.act("nik", lambda: s.tab.set("f_nik", worker["nik"]), "Dari NIK")
    await s.pause()
    page = s.tab.page
    village = page.widget("f_village")
    # The district came from the NIK; the village list is the operator's village(s) in it.
    names = list(village.proto.options)
    if not names:
        raise ProtocolError("no village offered")
    await s.act("save-worker", lambda: s.tab.click(label="Simpan", values={
        "f_name": worker["name"], "f_village": names[0],
        "f_occupation": s.rng.choice(list(page.widget("f_occupation").proto.options))}), "terdaftar sebagai pekerja")


def _new_person(s: Session) -> dict:
    """A new worker of the operator's village, with a NIK nobody has: the generator's, in the
    operator's district, with a random serial number above those it gives (5000 and up), and
    none registered already (``Session.taken``: the runs before saved theirs)."""
    while True:
        values = next(worker_rows(list(s.account.villages), 1, s.rng, today=clock.today()))
        # Their NIK in their own district (the generator gives one in twenty another one).
        values["nik"] = f"{district_of(s.account)}{values['nik'][6:12]}{5000 + secrets.randbelow(5000):04d}"
        if values["nik"] not in s.taken:
            s.taken.add(values["nik"])
            return values


VILLAGE = (_workers, _search, _worker, _back, _new_worker)


# A regency operator or administrator -----------------------------------------------------------

async def _beranda(s: Session) -> None:
    await s.act("beranda", lambda: s.tab.goto(""), "Terlindungi")


async def _beranda_filter(s: Session) -> None:
    box = s.tab.page.widget(label="Kecamatan")
    district = s.rng.choice([o for o in box.proto.options if "Kendal" in o] or list(box.proto.options)[1:])
    await s.act("beranda-filter", lambda: s.tab.set(label="Kecamatan", value=district), district.split(",")[0])


async def _tagihan(s: Session) -> None:
    await s.act("tagihan", lambda: s.tab.goto("tagihan"), "Tagihan iuran")
    scheme = s.rng.choice(SCHEMES)
    await s.pause()
    await s.act("tagihan-scheme", lambda: s.tab.set("t_scheme", scheme), "Total tagihan")


async def _bill(s: Session) -> None:
    page = s.tab.page
    parties = page.key_starting(PARTIES, "dataframe")
    rows = page.dataframe_rows(parties)
    await s.act("bill", lambda: s.tab.select_row(parties, s.rng.randrange(max(rows, 1))), "Catat pembayaran")


async def _payment(s: Session) -> None:
    page = s.tab.page
    if "Tidak ada sisa tagihan" in page.text():
        return
    reference = f"UJI-{s.number}-{time.time_ns()}"
    await s.act("payment", lambda: s.tab.click("t_pay", values={"t_amount": "16.800", "t_reference": reference}),
                "tercatat dengan nomor tanda terima")


async def _tunggakan(s: Session) -> None:
    await s.act("tunggakan", lambda: s.tab.goto("tunggakan"), "Menunggak")


OFFICE = (_beranda, _beranda_filter, _tagihan, _bill, _payment, _tunggakan)

