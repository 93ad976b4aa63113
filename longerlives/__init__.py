"""longerlives: the nightly engine for the NHS Longer Lives programme."""

import ctypes
import os

__version__ = "0.1.0"

# Polars' allocator (jemalloc, built into Polars with the ``_rjem_`` prefix) reads this when Polars is
# first imported, so it is set here, before any module of the engine imports Polars (Polars appends it to
# its own decay settings: polars/__init__.py, pola-rs/polars#21829). One arena: the
# engine's threads (the output half's three, Polars' pool, the store's) reuse each other's freed memory
# instead of each arena keeping its own. Measured (issue 16, session 32; docs/scaling.md): peak memory
# 100,000 people 824-858 -> 770-786 MB, 600,000 people 1,580-1,596 -> 1,494 MB, no slower. An operator's
# own setting is kept (``setdefault``); a process that imported Polars before the engine keeps Polars'
# defaults.
# ``muzzy_decay_ms:0`` (issue 16, session 33): memory jemalloc has held unused for the dirty decay time
# (Polars' 500 ms) is handed back to the system at once (``MADV_DONTNEED``), not first marked free
# (``MADV_FREE``) and kept in the process's resident memory until the system needs it (Polars' 1,000 ms
# more, or longer). Measured: 100,000 people's peak 796-802 -> 693-742 MB, 600,000 people's 1,058-1,106 ->
# 1,022 MB, no slower (12.7 s and 13.9 s either way, 100,000 people).
ALLOCATOR = "narenas:1,muzzy_decay_ms:0"
os.environ.setdefault("_RJEM_MALLOC_CONF", ALLOCATOR)

# glibc's malloc (Python's objects, SQLite's pages) gives each thread that allocates an arena of its own,
# up to eight a core, and memory freed in one arena is not reused by another: the output half's threads
# (outputs, store, worklist helper, files) each kept hundreds of megabytes freed. Two arenas, asked for
# here before the engine starts any thread (glibc reads ``MALLOC_ARENA_MAX`` only as a process starts, so
# the engine asks ``mallopt`` itself). Measured (issue 16, session 33; docs/scaling.md): 600,000 people's
# peak 1,005 -> 880 MB with freed memory returned at once. An operator's own ``MALLOC_ARENA_MAX`` is kept;
# on a C library without ``mallopt`` (musl, macOS) nothing is asked.
M_ARENA_MAX = -8  # glibc's malloc.h
MALLOC_ARENAS = 2


def _fewer_malloc_arenas() -> bool:
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, MALLOC_ARENAS))


ASKED_FOR_FEWER_ARENAS = _fewer_malloc_arenas()
