"""Pictures for easy read letters: OpenMoji SVGs shipped in ``templates/letters/pictures/``.

Each letter is one self-contained HTML file (it is printed, converted to PDF and
opened offline), so pictures are embedded as ``data:`` URIs, never linked.
Licence and attribution: ``templates/letters/pictures/README.md`` and docs/letters.md.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

from longerlives.paths import LETTER_TEMPLATES_DIR

PICTURES_DIR = LETTER_TEMPLATES_DIR / "pictures"
PICTURE_CREDIT = "Pictures: OpenMoji (openmoji.org), licence CC BY-SA 4.0."


@lru_cache(maxsize=4)
def picture_uris(folder: Path = PICTURES_DIR) -> dict[str, str]:
    """Picture name (file stem) -> ``data:image/svg+xml;base64,...`` for every shipped SVG."""
    return {
        p.stem: "data:image/svg+xml;base64," + base64.b64encode(p.read_bytes()).decode("ascii")
        for p in sorted(folder.glob("*.svg"))
    }
