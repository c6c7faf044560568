"""CPU a page costs the server per run: one session at a time on an otherwise idle server,
each page drawn a few times, the server's CPU seconds read before and after each run.

``python -m payung loadtest --page-costs`` prints one row per page and role: the median CPU
milliseconds per run and the median milliseconds until drawn. Beranda is measured cached (the
same view again) and cold (another month each time: nothing cached for it).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import db as database

from payung.core import Payung

from . import dataset, proc
from .protocol import Tab
from .runner import Options, _pin, database_for
from .scenarios import PARTIES, SCHEMES, Session
from .server import running

REPEAT = 5


async def _measure(pids: Callable[[], list[int]], action: Callable[[int], Awaitable[object]],
                   repeat: int = REPEAT, setup: Callable[[int], Awaitable[object]] | None = None
                   ) -> tuple[float, float]:
    """Median server CPU ms and wall ms of ``action(i)`` over ``repeat`` runs (after one more
    that is not counted: a page's first run imports its modules), each after ``setup(i)``
    (not counted)."""
    cpu, wall = [], []
    for i in range(repeat + 1):
        if setup is not None:
            await setup(i)
        await asyncio.sleep(0.3)  # what the last run left to do (a component's answer) is over
        before, start = proc.cpu_seconds(pids()), time.perf_counter()
        await action(i)
        if i:
            cpu.append((proc.cpu_seconds(pids()) - before) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
    return statistics.median(cpu), statistics.median(wall)


async def _costs(url: str, pids: Callable[[], list[int]], accounts: list[dataset.Account],
                 out: Callable[[str], None]) -> None:
    office = next(a for a in accounts if a.role == "admin")
    village = next(a for a in accounts if a.role == "desa")
    rows = []

    async def session_of(account: dataset.Account) -> Session:
        session = Session(0, account, url, think=(0.0, 0.0))
        session.tab = Tab(url, timeout=300)
        await session.sign_in()
        return session

    async def signed_in(i: int) -> None:
        session = await session_of(village)
        await session.tab.close()

    # A sign-in: the address opened and the password checked (the two runs a login takes).
    rows.append(("semua", "open+login", *await _measure(pids, signed_in)))
    s = await session_of(village)
    tab = s.tab
    rows.append(("desa", "beranda", *await _measure(pids, lambda i: tab.goto(""))))
    rows.append(("desa", "pekerja", *await _measure(pids, lambda i: tab.goto("pekerja"))))
    rows.append(("desa", "pekerja search", *await _measure(pids, lambda i: tab.set("cari_pekerja", ("Siti", "Budi")[i % 2]))))

    async def worker(i: int) -> None:
        table = next(e.id.rsplit("-", 1)[-1] for e in tab.page.widgets() if e.kind == "dataframe")
        await tab.select_row(table, i % 5)
        await tab.click("kembali")
    rows.append(("desa", "pekerja open+back", *await _measure(pids, worker)))
    rows.append(("desa", "pekerja-form", *await _measure(pids, lambda i: tab.goto("pekerja-form"))))
    await tab.close()

    s = await session_of(office)
    tab = s.tab
    rows.append(("admin", "beranda (cached)", *await _measure(pids, lambda i: tab.goto(""))))
    months = list(tab.page.widget(label="Bulan").proto.options)
    rows.append(("admin", "beranda (cold: another month)",
                 *await _measure(pids, lambda i: tab.set(label="Bulan", value=months[i]))))
    await tab.goto("tagihan")
    rows.append(("admin", "tagihan", *await _measure(pids, lambda i: tab.set("t_scheme", SCHEMES[i % 2]))))

    async def bill(i: int) -> None:
        await tab.select_row(tab.page.key_starting(PARTIES, "dataframe"), i % 3)
    for scheme in SCHEMES:  # an OPD's bill (Kendal: thousands of civil servants' workers), a donor's
        await tab.set("t_scheme", scheme)
        rows.append(("admin", f"tagihan bill ({scheme.split(' ')[0]})", *await _measure(pids, bill)))
    rows.append(("admin", "tunggakan", *await _measure(pids, lambda i: tab.goto("tunggakan"))))

    # After a payment nothing the office pages show is cached: what the office sessions of the
    # load test meet after each of their payments.
    async def a_bill(i: int, scheme: str = SCHEMES[0]) -> None:
        """One of the first bills with something left to pay (a database used before has paid
        the first ones)."""
        await tab.goto("tagihan")
        await tab.set("t_scheme", scheme)
        parties = tab.page.key_starting(PARTIES, "dataframe")
        unpaid = [n for n, status in enumerate(tab.page.dataframe_column(parties, "Status")) if status != "Lunas"]
        await tab.select_row(parties, unpaid[i % min(3, len(unpaid))] if unpaid else i % 3)

    async def pay(i: int) -> None:
        await tab.click("t_pay", values={"t_amount": "16.800", "t_reference": f"ONGKOS-{i}-{time.time_ns()}"})

    rows.append(("admin", "tagihan payment (an OPD's bill drawn again)", *await _measure(pids, pay, setup=a_bill)))

    async def paid(i: int) -> None:
        await a_bill(i, SCHEMES[1])
        await pay(i)
    rows.append(("admin", "tunggakan (after a payment)",
                 *await _measure(pids, lambda i: tab.goto("tunggakan"), setup=paid)))
    await tab.close()

    out("| role | page | server CPU ms per run | ms until drawn |")
    out("|---|---|---|---|")
    for role, page, cpu, wall in rows:
        out(f"| {role} | {page} | {cpu:.0f} | {wall:.0f} |")


def run(app: Payung, options: Options, out: Callable[[str], None] = print) -> None:
    _pin(options.client_cpus)
    path = database_for(app, options, out)
    conn = database.open_database(path)
    try:
        accounts = dataset.accounts(conn, village_operators=1, operators=1, admins=1)
    finally:
        conn.close()
    with running(path, app.settings.path, path.parent / "loadtest-run", processes=1, cpus=options.server_cpus,
                 options=options.streamlit_options) as servers:
        out(f"Ongkos per halaman, {options.workers} pekerja; beban mesin sebelum: {proc.load_average()}")
        asyncio.run(_costs(servers.url, servers.pids, accounts, out))
        out(f"beban mesin sesudah: {proc.load_average()}")
