"""longerlives: the nightly engine for the NHS Longer Lives programme."""

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
os.environ.setdefault("_RJEM_MALLOC_CONF", "narenas:1")
