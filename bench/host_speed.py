"""How fast this host is today, on three fixed workloads that do not depend on longerlives.

The machine's speed varies from one day to the next (the same VM type on another host ran
the same code 1.5–2× slower in sessions 7, 9 and 10 of issue 16). `make bench` records these
figures beside its own, so a reader can tell a slower host from slower code: if the engine's
times grew by about as much as these did, the host changed, not the code.

* ``python_loop_s``: pure interpreter work on one core (a fixed arithmetic loop);
* ``polars_group_by_s``: Polars on every core (a group-by over 10 million rows made from a
  fixed seed);
* ``sha256_s``: C code on one core over memory (SHA-256 of 256 MiB);
* ``file_create_s``: the file system, one thread: 10,000 files of 5,500 bytes (about a letter)
  in 100 folders, each round into a new folder, every folder removed only after the last round.
  Session 14 found the same 89,158 letter-sized files taking 3.4 to 35 s to create on this VM
  from one hour to the next (ext4 without a journal: each new inode is looked for past the ones
  freed in the last half-minute, so creating files soon after deleting many is slow); the
  letters stage moves with it.
* ``first_touch_gib_s``: writing 1 GiB of memory this process never had, once (session 18 found
  0.8–1.8 s on a host where writing it again took 0.2 s: a new page costs the VM's host a fault);
* ``cpu``: the processor the VM reports (``/proc/cpuinfo``: name, family and model, MHz). Session 18
  ran on family 23 model 1 (the first EPYC generation) at 2.0 GHz, where the Polars group-by took
  0.85–0.96 s against 0.18 s in session 16: the hash loop, not the memory, was slower.

Each timing is the best of three (the first touch is once: only the first is new memory). Prints one JSON line. Lower is faster.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BENCH_DATA = Path(__file__).resolve().parent.parent / "bench-data"  # the file system the bench's outputs are on


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


def _create_files(root: Path, files: int = 10_000, folders: int = 100, size: int = 5_500) -> None:
    """A new folder ``root`` holding ``files`` new private files of ``size`` bytes spread over ``folders`` folders."""
    body = b"x" * size
    fds = []
    for k in range(folders):
        (root / f"p{k}").mkdir(parents=True)
        fds.append(os.open(root / f"p{k}", os.O_RDONLY))
    try:
        for i in range(files):
            fd = os.open(f"{i}.html", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600, dir_fd=fds[i % folders])
            os.write(fd, body)
            os.close(fd)
    finally:
        for fd in fds:
            os.close(fd)


def file_create_seconds(where: Path | None = None, repeat: int = 3) -> float:
    """Best of ``repeat`` rounds of ``_create_files``, each into a new folder; all removed at the end
    (removing between rounds would slow the next round's creation and measure the removal too)."""
    parent = where if where is not None and where.is_dir() else None
    scratch = Path(tempfile.mkdtemp(prefix="host-speed-files-", dir=parent))
    rounds = iter(range(repeat))
    try:
        return _best(lambda: _create_files(scratch / str(next(rounds))), repeat)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def first_touch_seconds() -> float:
    """Seconds to write 1 GiB of memory new to this process (run before the other probes)."""
    import numpy as np

    t0 = time.perf_counter()
    block = np.ones(1 << 27)  # 2**27 float64: 1 GiB, every page written
    seconds = time.perf_counter() - t0
    del block
    return round(seconds, 3)


def cpu() -> str:
    """The processor as the VM reports it: name, family/model and clock."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        return "unknown"
    return (
        f"{fields.get('model name', '?')}, family {fields.get('cpu family', '?')} model {fields.get('model', '?')}, "
        f"{float(fields.get('cpu MHz', 0)):.0f} MHz"
    )


def measure() -> dict[str, float | str]:
    import numpy as np
    import polars as pl

    touched = first_touch_seconds()
    rng = np.random.default_rng(7)
    frame = pl.DataFrame({"key": rng.integers(0, 100_000, 10_000_000), "value": rng.random(10_000_000)})
    block = bytes(range(256)) * (1 << 20)  # 256 MiB
    return {
        "python_loop_s": _best(_python_loop),
        "polars_group_by_s": _best(lambda: frame.group_by("key").agg(pl.col("value").sum(), pl.len())),
        "sha256_s": _best(lambda: hashlib.sha256(block).digest()),
        "file_create_s": file_create_seconds(BENCH_DATA),
        "first_touch_gib_s": touched,
        "cpu": cpu(),
    }


if __name__ == "__main__":
    print(json.dumps(measure()))
