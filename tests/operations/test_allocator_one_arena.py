"""Issue 16 (session 32): the engine asks Polars' allocator (jemalloc) for one arena, so the engine's
threads reuse each other's freed memory (peak memory measured in docs/scaling.md). The setting must
be in place before Polars is first imported (Polars appends it to its own defaults as it loads its
allocator: polars/__init__.py, pola-rs/polars#21829), and an operator's own setting must win. Session 33:
memory past its decay time handed back at once (``muzzy_decay_ms:0``), and two glibc malloc arenas for the
engine's threads (Python's objects, SQLite's pages)."""

from __future__ import annotations

import os
import subprocess
import sys

SHOW = "import longerlives, os, polars; print(os.environ.get('_RJEM_MALLOC_CONF'))"


def _setting_seen(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_engine_asks_polars_allocator_for_one_arena_and_no_muzzy_pages_before_polars_is_imported() -> None:
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    seen = _setting_seen(env)
    # after Polars' own decay settings, as Polars loads it (jemalloc reads them in order: the last of each wins)
    assert seen.split(",")[-2:] == ["narenas:1", "muzzy_decay_ms:0"]
    assert seen.startswith("dirty_decay_ms:500,muzzy_decay_ms:1000,")


def test_an_operators_own_allocator_setting_is_kept() -> None:
    env = {**os.environ, "_RJEM_MALLOC_CONF": "narenas:2,dirty_decay_ms:1000"}
    seen = _setting_seen(env)
    assert seen.endswith(",narenas:2,dirty_decay_ms:1000") and "narenas:1" not in seen


# Issue 16 (session 33): glibc's malloc arenas (Python's objects, SQLite's pages). Eight threads each
# allocate, then glibc's own report (malloc_info) is read for the arenas ("heaps") it made.
ARENAS = """
import ctypes, sys, tempfile, threading
if sys.argv[1] == "engine":
    import longerlives  # noqa: F401
libc = ctypes.CDLL(None)
ready = threading.Barrier(9)
def allocate():
    held = [bytearray(200) for _ in range(20000)]
    ready.wait()
threads = [threading.Thread(target=allocate) for _ in range(8)]
for t in threads:
    t.start()
ready.wait()
libc.fopen.restype = ctypes.c_void_p
path = tempfile.mkstemp()[1]
report = libc.fopen(path.encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(report))
libc.fclose(ctypes.c_void_p(report))
print(open(path).read().count("<heap nr="))
for t in threads:
    t.join()
"""


def _arenas(env: dict[str, str], importing: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", ARENAS, importing], env=env, capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip())


def test_the_engines_threads_share_two_malloc_arenas_however_many_threads_allocate() -> None:
    import longerlives

    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    assert _arenas(env, "plain") > longerlives.MALLOC_ARENAS  # glibc's own default: an arena a thread
    assert _arenas(env, "engine") == longerlives.MALLOC_ARENAS == 2


def test_an_operators_own_malloc_arena_max_is_kept() -> None:
    assert _arenas({**os.environ, "MALLOC_ARENA_MAX": "4"}, "engine") == 4
