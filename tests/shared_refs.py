"""Where the binding references live: ``../shared`` beside the repository.

The product never reads them; tests do (the contracts, ClinRisk's reference vectors).
Found relative to the repository — the folder ``shared`` beside the checkout, or beside
one of its parents (a clone inside a work folder) — or at ``$LONGERLIVES_SHARED_DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    env = os.environ.get("LONGERLIVES_SHARED_DIR")
    if env:
        return Path(env)
    for parent in ROOT.parents:
        candidate = parent / "shared"
        if (candidate / "contract").is_dir():
            return candidate
    mounted = Path("/work/shared")  # where this workplace mounts it, for a clone made elsewhere (CI)
    if (mounted / "contract").is_dir():
        return mounted
    raise FileNotFoundError(
        f"the binding references (../shared) were not found beside {ROOT}; set LONGERLIVES_SHARED_DIR"
    )


SHARED = shared_dir()
CONTRACT_V2 = SHARED / "contract" / "run-outputs-v2.md"
REFERENCE_DIR = SHARED / "reference"
