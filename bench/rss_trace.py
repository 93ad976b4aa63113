"""Memory stage by stage: run one command, sample its resident memory every 10 ms, and print the
highest RSS seen while each stage ran (issue 16: which stage sets a run's peak).

Usage: python -m bench.rss_trace -- .venv/bin/longerlives run --extract DIR --out DIR ...

A stage runs from its line ``longerlives: stage NAME start`` to ``... NAME done`` (the run's
progress lines on standard error, which are passed through). Stages that overlap (the output
half's two threads) share their samples; a sample outside every stage counts as ``between stages``.
Prints one JSON object: ``{"stages": [[name, MB], ...], "peak_mb": ..., "seconds": ..., "exit": ...}``.
Synthetic data only: the command's output is not kept.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time

STAGE_LINE = re.compile(r"longerlives: stage (\w+) (start|done)")


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main(argv: list[str]) -> int:
    cmd = argv[argv.index("--") + 1 :] if "--" in argv else argv
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    active: set[str] = {"start"}
    highest: dict[str, float] = {}
    order: list[str] = ["start"]

    def read_stages() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            sys.stderr.write(line)
            for name, event in STAGE_LINE.findall(line):
                active.discard("start")
                if event == "start":
                    active.add(name)
                    if name not in order:
                        order.append(name)
                else:
                    active.discard(name)

    reader = threading.Thread(target=read_stages, daemon=True)
    reader.start()
    while proc.poll() is None:
        mb = _rss_mb(proc.pid)
        for name in list(active) or ["between stages"]:
            highest[name] = max(highest.get(name, 0.0), mb)
        time.sleep(0.01)
    reader.join(timeout=5)
    stages = [[name, round(highest[name])] for name in [*order, "between stages"] if name in highest]
    print(
        json.dumps(
            {
                "stages": stages,
                "peak_mb": max(highest.values(), default=0),
                "seconds": round(time.perf_counter() - t0, 1),
                "exit": proc.returncode,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
