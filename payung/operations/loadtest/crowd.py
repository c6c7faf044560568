"""The protocol sessions in a process of their own, below the browsers' priority.

The protocol sessions stand for people whose browsers run on their own laptops; the Chromium
tabs stand for the person whose screen is timed. On one client core, the generator's bursts
(fifty sessions' messages parsed at once) would take the CPU from that browser and time the
load generator instead of Payung. So the crowd runs in a child process at a lower priority
(``NICE``): the browsers get the core when they need it, the crowd the rest.

The child plays the sessions until the same deadline and sends back what they did and the CPU
it used after the ramp. A new worker's NIK is one nobody has within each process (the
processes share the NIKs registered before the level, read again before each level, not the
ones they give during it: a collision between the two, one in tens of thousands of saves,
would show as a refused save).

The child is *spawned* (a fresh interpreter, not a fork of one holding Playwright's threads):
it imports the main module again, so a script that drives ``runner.run`` itself must keep its
top level under ``if __name__ == "__main__":`` (``python -m payung loadtest`` does).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time

from .lag import LoopLag, worst
from .scenarios import Result, Session

#: How much lower the crowd's priority is than the browsers' (``nice``; ``--crowd-nice``).
NICE = 10


#: Seconds the child may take to start (a fresh interpreter importing Streamlit's messages: a
#: second on a quiet machine, ten on one that runs the test suite beside it).
READY_TIMEOUT = 180
#: What the child sends once it runs (its modules imported, its priority lowered).
READY = "ready"


def _play(sessions: list[Session], nice: int, connection) -> None:
    """In the child: say it is ready, take the schedule (each session's start, the end of the
    ramp and of the level: monotonic times, shared by the processes of a machine), play every
    session from its start and send (results, CPU seconds after the ramp) back."""
    try:
        os.nice(nice)
        connection.send(READY)
        starts, ramp_end, until = connection.recv()
        lateness = LoopLag()

        async def main() -> float:
            async def started(session: Session, at: float) -> None:
                await asyncio.sleep(max(0.0, at - time.monotonic()))
                await session.run(until)

            async def cpu_at_ramp_end() -> float:
                await asyncio.sleep(max(0.0, ramp_end - time.monotonic()))
                return time.process_time()

            async with lateness.watching():
                marked, *_ = await asyncio.gather(cpu_at_ramp_end(),
                                                  *(started(s, at) for s, at in zip(sessions, starts)))
            return time.process_time() - marked

        cpu = asyncio.run(main())
        results = [r for s in sessions for r in s.results]
        for result in results:
            result.generator_lag = worst(lateness.samples, result.at, result.at + result.seconds)
        connection.send((results, cpu))
    except BaseException as exc:  # noqa: BLE001 - the parent says what went wrong
        connection.send(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
    finally:
        connection.close()


class Crowd:
    """``sessions`` in a child process (see the module), started and ready when the object is
    made, so that the start of the process is not timed: a level's clock starts after it
    (under load the start took longer than a short level, and its sessions played nothing).
    ``play`` gives the schedule; ``pid`` is the child's (None without sessions)."""

    def __init__(self, sessions: list[Session], nice: int = NICE):
        self.pid: int | None = None
        self._child = None
        if not sessions:
            return
        context = multiprocessing.get_context("spawn")
        self._connection, theirs = context.Pipe()
        self._child = context.Process(target=_play, args=(sessions, nice, theirs), daemon=True)
        self._child.start()
        theirs.close()
        self.pid = self._child.pid
        answer = self._connection.recv() if self._connection.poll(READY_TIMEOUT) else None
        if answer != READY:
            self._stop()
            raise RuntimeError(f"the protocol sessions' process did not start: {answer!r}")

    def play(self, starts: list[float], ramp_end: float, until: float) -> None:
        """Play each session from its start (monotonic) until ``until``; CPU counted from ``ramp_end``."""
        if self._child is not None:
            self._connection.send((starts, ramp_end, until))

    def _stop(self) -> None:
        self._child.kill()
        self._child.join()
        self._connection.close()

    async def results(self) -> tuple[list[Result], float]:
        """The sessions' results and the CPU seconds the child used after the ramp."""
        if self._child is None:
            return [], 0.0
        try:
            answer = await asyncio.get_running_loop().run_in_executor(None, _receive, self._connection)
        except BaseException:  # cancelled (another task failed, Ctrl-C): the crowd stops at once
            self._child.kill()
            raise
        finally:
            self._child.join(timeout=30)
            if self._child.is_alive():
                self._child.kill()
                self._child.join()
            self._connection.close()
        if isinstance(answer, Exception):
            raise RuntimeError(f"the protocol sessions failed: {answer!r}") from answer
        return answer


def _receive(connection):
    try:
        return connection.recv()
    except EOFError:
        return RuntimeError("the protocol sessions' process ended without an answer")
