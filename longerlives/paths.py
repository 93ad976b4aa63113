"""Where the project's own data lives (config, code lists, templates).

The package is run from a clone (``pip install -e .``); these folders sit at the
top of the repository beside ``longerlives/``.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
CODELIST_DIR = CONFIG_DIR / "codelists"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
LETTER_TEMPLATES_DIR = TEMPLATES_DIR / "letters"
