"""Peak memory of the running process, for benchmarks that measure in a child process."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """Return this process's peak resident set size in MiB.

    Linux keeps ``ru_maxrss`` across fork and exec, so a child started by a
    parent that contains a large sheet would report the parent's size. The
    high-water mark of the process's own memory map (VmHWM) starts anew at
    exec, so it is read first.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
