"""Collision-free file names from team (or other) codes.

A code that is already a safe, short file name (letters, digits, ``_`` and ``-``, at
most 64 characters) is used as it is, so ordinary worklists keep the contract's
``worklists/<team_code>.csv``. Any other code — ``a/b``, ``../x``, a 300-character
code, a name that only differs from another in case (``T1``/``t1`` collide on
case-insensitive file systems) or a reserved name — gets a readable prefix plus the
first 12 hex digits of the SHA-256 of the code: ``a_b~3f2c9e0d1a7b``. Two different
codes therefore never share a file, and the mapping does not depend on which other
codes are present except for case clashes, where every clashing code is hashed.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

SAFE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
PREFIX_CHARS = 40


def hashed_stem(code: str) -> str:
    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()[:12]
    readable = _UNSAFE_CHARS.sub("_", code).strip("_")[:PREFIX_CHARS] or "code"
    return f"{readable}~{digest}"


def file_stems(codes: Iterable[str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """``{code: stem}`` with every stem distinct, also ignoring case."""
    unique = sorted(set(codes))
    taken = {r.lower() for r in reserved}
    lower = Counter(c.lower() for c in unique if SAFE.match(c))
    stems = {}
    for code in unique:
        plain = SAFE.match(code) and lower[code.lower()] == 1 and code.lower() not in taken
        stems[code] = code if plain else hashed_stem(code)
    assert len({s.lower() for s in stems.values()} | taken) == len(stems) + len(taken), "file name clash"
    return stems
