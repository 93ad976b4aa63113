"""Optional dependencies, checked before a run starts so a missing one is one clear message."""

from __future__ import annotations

from longerlives.settings.letters import LetterSettings


def require_pdf(settings: LetterSettings | None = None) -> str:
    """The ``--pdf`` engine this run will use and why (``letters.pdf_engine.choose``);
    ``DependencyError`` (one clear message naming Chromium and WeasyPrint) when neither runs."""
    from longerlives.letters.pdf_engine import choose

    return choose(settings or LetterSettings())[1]
