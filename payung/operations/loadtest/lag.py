"""How late the load generator itself was: its event loop's lateness, beside each action.

An action's time is read by the generator: from the click sent to the last message of the
page read. If the generator's process does not get its core for a while (the browsers' own
page loads on the same core, above the crowd's priority), a message that came in waits, and
the action looks slower than the server was. ``LoopLag`` wakes up every ``PERIOD`` seconds and
notes by how much each wake-up was late; ``worst`` gives the most the loop was late during an
action. A report can then say which slow actions were slow on the generator's side.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import math
import time

#: Seconds between two wake-ups.
PERIOD = 0.05
#: Lateness below this is not kept (a busy loop is always a few milliseconds late).
NOTED = 0.02


class LoopLag:
    """The lateness of this process's event loop, noted while ``watch`` runs."""

    def __init__(self) -> None:
        #: (monotonic time of a late wake-up, seconds late), in time order.
        self.samples: list[tuple[float, float]] = []

    async def watch(self, until: float) -> None:
        while time.monotonic() < until:
            asked = time.monotonic() + PERIOD
            await asyncio.sleep(PERIOD)
            woke = time.monotonic()
            if woke - asked >= NOTED:
                self.samples.append((woke, woke - asked))


    @contextlib.asynccontextmanager
    async def watching(self):
        """Noting while the block runs, however long its last action outlasts the level's end."""
        task = asyncio.ensure_future(self.watch(math.inf))
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def worst(samples: list[tuple[float, float]], start: float, end: float) -> float:
    """The most the loop was late during ``start``..``end``: the longest overlap of the action
    with a late wake-up's wait (from when it was due to when it woke). The samples are one
    loop's, so they are in time order and do not overlap."""
    woke = [at for at, _ in samples]
    late = 0.0
    for at, seconds in samples[bisect.bisect_right(woke, start):]:
        due = at - seconds
        if due >= end:
            break
        late = max(late, min(at, end) - max(due, start))
    return late
