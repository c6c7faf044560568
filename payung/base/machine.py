"""The cores this process may use: those the scheduler lets it run on, and no more than a
container's CPU quota allows.

A container (Docker's ``--cpus=1``, a Kubernetes limit, a systemd ``CPUQuota=``) usually shows
every core of the host to ``os.sched_getaffinity`` while its cgroup lets it use one core's worth
of time: counting the host's eight cores there would let eight password checks run at once and
starve the pages of the one core the quota gives (``payung.auth.passwords.hashing_slots``).
"""

from __future__ import annotations

import math
import os
from pathlib import Path, PurePosixPath

#: Where the kernel's files are read from (a test passes a folder that imitates them).
ROOT = Path("/")


def usable_cpus(root: Path | None = None) -> int:
    """The cores this process may use: its scheduler affinity, capped by its cgroup's CPU
    quota (rounded up: a quota of 1,5 cores is two cores part of the time); at least one."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    quota = cpu_quota(root)
    return max(1, min(cpus, math.ceil(quota)) if quota else cpus)


def cpu_quota(root: Path | None = None) -> float | None:
    """The cores' worth of time this process's cgroups allow (1.5 for a quota of 150000 in a
    period of 100000), the smallest along its cgroup and those above it; None without a quota
    (or where no cgroup can be read: not Linux)."""
    root = root or ROOT
    try:
        lines = (root / "proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    quotas = []
    for line in lines:
        number, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if number == "0" and not controllers:  # cgroup v2: one hierarchy, cpu.max "quota period"
            quotas += _along(root / "sys/fs/cgroup", path, _v2_quota)
        elif "cpu" in controllers.split(","):  # cgroup v1: cpu.cfs_quota_us and cpu.cfs_period_us
            for mount in {controllers, "cpu", "cpu,cpuacct"}:
                quotas += _along(root / "sys/fs/cgroup" / mount, path, _v1_quota)
    return min(quotas) if quotas else None


def _along(mount: Path, path: str, read) -> list[float]:
    """The quotas ``read`` finds in the cgroup ``path`` under ``mount`` and each cgroup above it
    (a container sees its own cgroup as the root: a path from the host's view may not exist)."""
    cgroup = PurePosixPath(path or "/")
    found = []
    for folder in (cgroup, *cgroup.parents):
        quota = read(mount / str(folder).lstrip("/"))
        if quota is not None:
            found.append(quota)
    return found


def _v2_quota(folder: Path) -> float | None:
    try:
        quota, period = (folder / "cpu.max").read_text().split()[:2]
        return int(quota) / int(period) if quota != "max" and int(period) > 0 else None
    except (OSError, ValueError):
        return None


def _v1_quota(folder: Path) -> float | None:
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text())
        period = int((folder / "cpu.cfs_period_us").read_text())
        return quota / period if quota > 0 and period > 0 else None
    except (OSError, ValueError):
        return None
