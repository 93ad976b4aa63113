"""Issue 16 (session 32): the engine asks Polars' allocator (jemalloc) for one arena, so the engine's
threads reuse each other's freed memory (peak memory measured in docs/scaling.md). The setting must
be in place before Polars is first imported (Polars appends it to its own defaults as it loads its
allocator: polars/__init__.py, pola-rs/polars#21829), and an operator's own setting must win."""

from __future__ import annotations

import os
import subprocess
import sys

SHOW = "import longerlives, os, polars; print(os.environ.get('_RJEM_MALLOC_CONF'))"


def _setting_seen(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_engine_asks_polars_allocator_for_one_arena_before_polars_is_imported() -> None:
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    seen = _setting_seen(env)
    assert seen.split(",")[-1] == "narenas:1"  # after Polars' own decay settings, as Polars loads it


def test_an_operators_own_allocator_setting_is_kept() -> None:
    env = {**os.environ, "_RJEM_MALLOC_CONF": "narenas:2,dirty_decay_ms:1000"}
    seen = _setting_seen(env)
    assert seen.endswith(",narenas:2,dirty_decay_ms:1000") and "narenas:1" not in seen
