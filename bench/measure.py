"""Run one command as a child process and report wall time and its peak memory.

Usage: python -m bench.measure -- CMD ARGS...  → prints JSON {"seconds":…, "cpu_seconds":…, "peak_rss_mb":…,
"touched_gb":…, "exit":…}
Peak memory is the child's maximum resident set size (getrusage RUSAGE_CHILDREN),
so each measurement runs in a fresh process. ``touched_gb`` is the memory the child (and its
own workers) faulted in, page by page (minor page faults × page size): memory handed back to
the system and taken again counts each time, so against the peak it says how much the run's
allocators churn (issue 16, session 20: 5.3 GB touched for a 0.86 GB peak at 100,000 people).
"""

from __future__ import annotations

import json
import os
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
                "touched_gb": round(usage.ru_minflt * os.sysconf("SC_PAGE_SIZE") / 1e9, 2),
                "exit": proc.returncode,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
