"""How fast this host is today, on three fixed workloads that do not depend on longerlives.

The machine's speed varies from one day to the next (the same VM type on another host ran
the same code 1.5–2× slower in sessions 7, 9 and 10 of issue 16). `make bench` records these
figures beside its own, so a reader can tell a slower host from slower code: if the engine's
times grew by about as much as these did, the host changed, not the code.

* ``python_loop_s``: pure interpreter work on one core (a fixed arithmetic loop);
* ``polars_group_by_s``: Polars on every core (a group-by over 10 million rows made from a
  fixed seed);
* ``sha256_s``: C code on one core over memory (SHA-256 of 256 MiB).

Each is the best of three. Prints one JSON line. Lower is faster.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable


def _best(work: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return round(min(times), 3)


def _python_loop() -> int:
    total = 0
    for i in range(3_000_000):
        total = (total + i * i) % 1_000_003
    return total


def measure() -> dict[str, float]:
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(7)
    frame = pl.DataFrame({"key": rng.integers(0, 100_000, 10_000_000), "value": rng.random(10_000_000)})
    block = bytes(range(256)) * (1 << 20)  # 256 MiB
    return {
        "python_loop_s": _best(_python_loop),
        "polars_group_by_s": _best(lambda: frame.group_by("key").agg(pl.col("value").sum(), pl.len())),
        "sha256_s": _best(lambda: hashlib.sha256(block).digest()),
    }


if __name__ == "__main__":
    print(json.dumps(measure()))
