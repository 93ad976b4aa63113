"""Run one command as a child process and report wall time and its peak memory.

Usage: python -m bench.measure -- CMD ARGS...  → prints JSON {"seconds":…, "cpu_seconds":…, "peak_rss_mb":…, "exit":…}
Peak memory is the child's maximum resident set size (getrusage RUSAGE_CHILDREN),
so each measurement runs in a fresh process.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    cmd = argv[argv.index("--") + 1 :] if "--" in argv else argv
    t0 = time.perf_counter()
    proc = subprocess.run(cmd)
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),  # user + system, all threads
                "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
                "exit": proc.returncode,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
