"""Figures of a load level: per action p50/p95/max and errors, and what the servers spent."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .scenarios import Result

#: The goal of issue 24, per action: p95 and max in seconds.
GOAL_P95, GOAL_MAX = 2.0, 5.0


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.95 is p95) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


@dataclass
class Level:
    sessions: int
    results: list[Result]
    seconds: float
    server_cpu: float  # cores used on average
    server_peak_mb: float
    client_cpu: float
    load_before: str
    load_after: str
    browsers: int = 0
    errors: Counter = field(default_factory=Counter)
    #: Monotonic time the level started (its first sign-in).
    started: float = 0.0

    def rows(self) -> list[dict]:
        by_action: dict[str, list[Result]] = {}
        for result in self.results:
            by_action.setdefault(result.action, []).append(result)
        rows = []
        for action, results in sorted(by_action.items()):
            times = [r.seconds for r in results if r.error is None]
            rows.append({"action": action, "n": len(results), "errors": sum(1 for r in results if r.error),
                         "p50": statistics.median(times) if times else None,
                         "p95": percentile(times, 0.95) if times else None, "max": max(times) if times else None})
        return rows

    def all_times(self) -> list[float]:
        return [r.seconds for r in self.results if r.error is None]

    def passes(self) -> bool:
        """Every action within the goal (p95 < 2 s, max < 5 s) and no error."""
        return all(r["errors"] == 0 and r["p95"] is not None and r["p95"] < GOAL_P95 and r["max"] < GOAL_MAX
                   for r in self.rows())


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(level: Level) -> str:
    """The level as a Markdown table (one row per action, then the totals)."""
    lines = [f"### {level.sessions} sesi ({level.browsers} peramban Chromium), {level.seconds:.0f} s diukur",
             f"beban mesin (uptime) sebelum: {level.load_before}; sesudah: {level.load_after}", "",
             "| action | n | p50 s | p95 s | max s | errors |", "|---|---|---|---|---|---|"]
    for row in level.rows():
        lines.append(f"| {row['action']} | {row['n']} | {_s(row['p50'])} | {_s(row['p95'])} | {_s(row['max'])} "
                     f"| {row['errors']} |")
    times = level.all_times()
    errors = sum(1 for r in level.results if r.error)
    lines.append(f"| **all** | {len(level.results)} | {_s(statistics.median(times) if times else None)} | "
                 f"{_s(percentile(times, 0.95) if times else None)} | {_s(max(times) if times else None)} | {errors} |")
    lines += ["", f"server CPU: {level.server_cpu:.2f} cores · server peak memory: {level.server_peak_mb:.0f} MB · "
                  f"load generator CPU: {level.client_cpu:.2f} cores · goal (p95 < {GOAL_P95:g} s, max < "
                  f"{GOAL_MAX:g} s, 0 errors): {'met' if level.passes() else 'NOT met'}"]
    lines.append(generator_lateness(level))
    seen = Counter(f"{r.action}: {r.error}" for r in level.results if r.error)
    for text, n in seen.most_common(5):
        lines.append(f"- error ×{n}: {text}")
    return "\n".join(lines)


#: An action counts as slowed by the generator when its loop was this late during it.
GENERATOR_LATE = 0.5


def generator_lateness(level: Level) -> str:
    """How late the generator's own event loops were during the actions (``lag``), and how
    many actions over ``GOAL_P95`` were timed while one was more than ``GENERATOR_LATE`` late:
    their time is partly the generator's, not the server's."""
    done = [r for r in level.results if r.error is None]
    slow = [r for r in done if r.seconds > GOAL_P95]
    late = [r for r in slow if r.generator_lag > GENERATOR_LATE]
    worst = max((r.generator_lag for r in done), default=0.0)
    return (f"load generator late (its event loop, during an action): max {worst:.2f} s · actions over "
            f"{GOAL_P95:g} s: {len(slow)}, of which {len(late)} timed while the generator was over "
            f"{GENERATOR_LATE:g} s late")


def write_results(levels: Iterable[Level], path) -> None:
    """Every counted action of every level as CSV: for a closer look at a level's slow tail."""
    import csv
    with open(path, "w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(["sessions", "action", "role", "start_s", "seconds", "error", "generator_lag_s"])
        for level in levels:
            for r in sorted(level.results, key=lambda r: r.at):
                out.writerow([level.sessions, r.action, r.role, f"{r.at - level.started:.3f}", f"{r.seconds:.3f}",
                              r.error or "", f"{r.generator_lag:.3f}"])


def summary(levels: Iterable[Level]) -> str:
    """One line per level, and the knee: the first level where some action's p95 passes 2 s."""
    levels = list(levels)
    lines = ["| sessions | p50 s | p95 s | max s | errors | server CPU (cores) | server peak MB | load before |",
             "|---|---|---|---|---|---|---|---|"]
    for level in levels:
        times = level.all_times()
        lines.append(f"| {level.sessions} | {_s(statistics.median(times) if times else None)} | "
                     f"{_s(percentile(times, 0.95) if times else None)} | {_s(max(times) if times else None)} | "
                     f"{sum(1 for r in level.results if r.error)} | {level.server_cpu:.2f} | "
                     f"{level.server_peak_mb:.0f} | {level.load_before} |")
    knee = next((level.sessions for level in levels
                 if any(r["p95"] is not None and r["p95"] > GOAL_P95 for r in level.rows())), None)
    lines.append("")
    lines.append(f"knee (first level where an action's p95 > {GOAL_P95:g} s): "
                 + (f"{knee} sessions" if knee else "not reached"))
    return "\n".join(lines)
