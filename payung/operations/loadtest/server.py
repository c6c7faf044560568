"""The servers under test: started for the run, pinned to their cores, stopped after."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from payung.operations.serve import free_ports, wait_healthy

from . import proc

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    return free_ports(1)[0]


@dataclass
class Servers:
    """The address sessions open, and the processes whose CPU and memory are measured."""
    url: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    def pids(self) -> list[int]:
        return [pid for p in self.processes for pid in proc.family(p.pid)]


def pinned(cpus: str | None) -> list[str]:
    """``taskset -c CPUS`` where there is one and cores to spare, else nothing."""
    if not cpus or not Path("/usr/bin/taskset").exists():
        return []
    return ["/usr/bin/taskset", "-c", cpus]


@contextlib.contextmanager
def running(db: Path, config: Path, workdir: Path, *, processes: int = 1, cpus: str | None = None,
            options: tuple[str, ...] = ()) -> Iterator[Servers]:
    """Payung served on ``db``: one Streamlit process, or ``processes`` behind the proxy of
    ``python -m payung serve``; their CPUs limited to ``cpus`` (taskset list)."""
    env = {**os.environ, "PAYUNG_DB": str(db), "PAYUNG_CONFIG": str(config),
           "PAYUNG_COOKIE_KEY": os.environ.get("PAYUNG_COOKIE_KEY") or secrets.token_urlsafe(32)}
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "server.log"
    port = free_port()
    if processes == 1:
        command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                   "--server.port", str(port), "--server.address", "127.0.0.1", *options]
    else:
        command = [sys.executable, "-m", "payung", "serve", "--processes", str(processes), "--port", str(port),
                   "--workdir", str(workdir / "serve"), *[f"--streamlit-option={o}" for o in options]]
    with open(log, "w") as out:
        process = subprocess.Popen([*pinned(cpus), *command], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    servers = Servers(f"http://127.0.0.1:{port}", [process])
    try:
        wait_healthy(servers.url, process, log=log)
        yield servers
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
