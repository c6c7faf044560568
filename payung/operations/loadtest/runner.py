"""One command for the whole measurement: database, accounts, servers, levels, tables.

For each number of sessions N: N people sign in one after the other (``ramp`` seconds apart)
and work through their role's mix with ``think`` seconds between clicks, for ``duration``
seconds after the last one signed in. The first session (two from ten sessions on) is an
administrator or a regency operator, the others village operators, each in a village of their
own; ``browsers`` of the village operators are real Chromium tabs (Playwright), the rest speak
Streamlit's protocol (``protocol.Tab``) in a process below the browsers' priority (``crowd``).
The servers run on ``server_cpus`` and the load generator with its browsers on ``client_cpus``
(taskset), so the generator does not take the server's core nor the crowd the timed browser's.
Actions count from the end of the ramp; sign-ins count all through.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import db as database

from payung.core import Payung

from . import crowd, dataset, proc
from .lag import LoopLag, worst
from .report import Level, summary, table, write_results
from .protocol import ProtocolError, Tab
from .scenarios import OFFICE, Session
from .server import ROOT, running

#: Actions counted from the start of a level (the others from the end of its ramp), in both
#: kinds of session.
SIGN_IN = {"open", "login", "chromium:open", "chromium:login"}


def counted(results: list, ramp_end: float) -> list:
    """The results a level reports: the sign-ins all through, the rest after the ramp."""
    return [r for r in results if r.at >= ramp_end or r.action in SIGN_IN]


@dataclass
class Options:
    sessions: tuple[int, ...] = (1, 10, 25, 50)
    duration: float = 120
    ramp: float = 1.0
    think: tuple[float, float] = (3.0, 6.0)
    workers: int = 200_000
    data: Path | None = None
    processes: int = 1
    browsers: int = 2
    server_cpus: str | None = "0"
    client_cpus: str | None = "1"
    streamlit_options: tuple[str, ...] = ()
    seed: int = 24
    crowd_nice: int = crowd.NICE
    #: A CSV file for every action of every level (``report.write_results``), or None.
    results: Path | None = None


def database_for(app: Payung, options: Options, out: Callable[[str], None]) -> Path:
    """The load test's database: ``--data`` if it exists, else built there (default
    ``data/loadtest-<workers>.db``, kept for the next run)."""
    path = options.data or ROOT / "data" / f"loadtest-{options.workers}.db"
    if not path.exists():
        out(f"Membangun basis data uji beban {path} ({options.workers} pekerja)...")
        started = time.monotonic()
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        counts = dataset.build(app, partial, workers=options.workers, seed=options.seed, out=out)
        partial.rename(path)
        out(f"  {counts} dalam {time.monotonic() - started:.0f} s")
    return path


def roles(n: int, accounts: list[dataset.Account]) -> list[dataset.Account]:
    """Who the ``n`` sessions are: one administrator or operator (two from ten sessions on),
    the rest village operators."""
    office = [a for a in accounts if a.role in ("admin", "operator")][:1 if n < 10 else 2]
    village = [a for a in accounts if a.role == "desa"][:n - len(office)]
    return office + village


def browser_seats(people: list[dataset.Account], browsers: int) -> set[int]:
    """Which of ``people`` (village operators only) are Chromium tabs: spread over the ramp,
    not one second apart (two people do not share a laptop, and two first page loads at once
    on the generator's core timed each other)."""
    village = [i for i, a in enumerate(people) if a.role == "desa"]
    return {village[k * len(village) // browsers] for k in range(min(browsers, len(village)))}


def _pin(cpus: str | None) -> None:
    if cpus and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {int(c) for c in cpus.split(",")})


async def _level(url: str, server_pids: Callable[[], list[int]], people: list[dataset.Account],
                 options: Options, taken: set[str] | None = None) -> Level:
    from .browser import BrowserSession, playwright_or_none, warm_up

    in_browser = browser_seats(people, options.browsers)
    browsers = await playwright_or_none() if in_browser else None
    try:
        if browsers:
            await warm_up(browsers, url)
        sessions = []
        for number, account in enumerate(people):
            kind = BrowserSession if number in in_browser and browsers else Session
            session = kind(number, account, url, think=options.think, rng=random.Random(f"{options.seed}:{number}"))
            if kind is BrowserSession:
                session.browser = browsers.browser
            session.taken = taken if taken is not None else session.taken
            sessions.append(session)
        # The browsers here, the protocol sessions in a process below their priority (``crowd``),
        # started before the clock (its start is no one's action), each session from its place
        # in the ramp on the machine's one clock.
        in_tabs = [(i, s) for i, s in enumerate(sessions) if isinstance(s, BrowserSession)]
        in_crowd = [(i, s) for i, s in enumerate(sessions) if not isinstance(s, BrowserSession)]
        played = crowd.Crowd([s for _, s in in_crowd], options.crowd_nice)
        load_before = proc.load_average()
        start = time.monotonic()
        ramp_end = start + options.ramp * len(people)
        until = ramp_end + options.duration
        played.play([start + i * options.ramp for i, _ in in_crowd], ramp_end, until)

        async def started(session, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            await session.run(until)

        peak = 0.0

        async def watch() -> None:
            nonlocal peak
            while time.monotonic() < until:
                peak = max(peak, proc.rss_mb(server_pids()))
                await asyncio.sleep(1)

        def here() -> list[int]:
            """This process and its browsers (the crowd reports its own CPU)."""
            return [pid for pid in proc.family(os.getpid()) if pid not in proc.family(played.pid or -1)]

        cpu: dict[str, float] = {}

        async def mark() -> None:
            await asyncio.sleep(max(0.0, ramp_end - time.monotonic()))
            cpu.update(server=proc.cpu_seconds(server_pids()), client=proc.cpu_seconds(here()), at=time.monotonic())

        lateness = LoopLag()  # this process's, which times the browsers' actions
        async with lateness.watching():
            _, _, (crowd_results, crowd_cpu), *_ = await asyncio.gather(
                watch(), mark(), played.results(), *(started(s, start + i * options.ramp) for i, s in in_tabs))
        client_cpu = proc.cpu_seconds(here()) - cpu["client"] + crowd_cpu  # before the browsers' processes go
    finally:
        if browsers:
            await browsers.close()
    seconds = time.monotonic() - cpu["at"]
    for _, session in in_tabs:
        for result in session.results:
            result.generator_lag = worst(lateness.samples, result.at, result.at + result.seconds)
    results = counted([r for _, s in in_tabs for r in s.results] + crowd_results, ramp_end)
    return Level(
        sessions=len(people), results=results, seconds=seconds, browsers=len(in_browser) if browsers else 0,
        server_cpu=(proc.cpu_seconds(server_pids()) - cpu["server"]) / seconds,
        client_cpu=client_cpu / seconds,
        server_peak_mb=peak, load_before=load_before, load_after=proc.load_average(), started=start)


async def _warm_up(url: str, account: dataset.Account) -> None:
    """One session through the office pages first: the first run of the day (its backup) and
    the server's first imports are not what a level measures."""
    session = Session(-1, account, url, think=(0.0, 0.0), timeout=600)
    session.tab = Tab(url, timeout=600)
    try:
        await session.sign_in()
        for step in OFFICE:
            await step(session)
    except ProtocolError as exc:
        raise RuntimeError(f"the warm-up failed: {exc}") from exc
    finally:
        await session.tab.close()


def run(app: Payung, options: Options, out: Callable[[str], None] = print) -> list[Level]:
    _pin(options.client_cpus)
    path = database_for(app, options, out)
    conn = database.open_database(path)
    try:
        accounts = dataset.accounts(conn, village_operators=max(options.sessions), operators=1, admins=1)
    finally:
        conn.close()

    def registered() -> set[str]:
        """The NIKs registered now (the levels before saved theirs, some in the crowd's process)."""
        conn = database.open_database(path)
        try:
            return dataset.taken_niks(conn, accounts)
        finally:
            conn.close()
    levels = []
    workdir = path.parent / "loadtest-run"
    with running(path, app.settings.path, workdir, processes=options.processes, cpus=options.server_cpus,
                 options=options.streamlit_options) as servers:
        out(f"Server: {servers.url} ({options.processes} proses, CPU {options.server_cpus or 'semua'}); "
            f"beban mesin: {proc.load_average()}")
        asyncio.run(_warm_up(servers.url, accounts[0]))
        for n in options.sessions:
            level = asyncio.run(_level(servers.url, servers.pids, roles(n, accounts), options, registered()))
            levels.append(level)
            out(table(level))
            out("")
            if options.results:
                write_results(levels, options.results)
            time.sleep(3)
    out(summary(levels))
    return levels
