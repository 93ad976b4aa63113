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

STATE_DIR_NAME = ".longerlives-state"


def default_state_dir(out_dir: Path) -> Path:
    """Where a run keeps its state when no store is named: beside the output folder."""
    return Path(out_dir).resolve().parent / STATE_DIR_NAME


def default_db_url(out_dir: Path) -> str:
    """The default run store: SQLite in the state folder beside the output folder."""
    return f"sqlite:///{default_state_dir(out_dir) / 'runs.sqlite'}"


def state_dir(db_url: str, out_dir: Path) -> Path:
    """The state folder (outbox, lock): beside a SQLite store, else beside the output folder.

    The one place this is worked out; the caller creates the folder when it writes there."""
    if db_url.startswith("sqlite") and "///" in db_url:
        db = db_url.split("///", 1)[1]
        if db and db != ":memory:":
            return Path(db).resolve().parent
    return default_state_dir(out_dir)
