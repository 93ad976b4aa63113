"""Optional dependencies, checked before a run starts so a missing one is one clear message."""

from __future__ import annotations

import importlib

from longerlives.errors import DependencyError

# A test-only switch: names a module to treat as missing (e.g. "weasyprint") so the
# missing-dependency message can be tested on a machine that has it installed.
_PRETEND_MISSING_ENV = "LONGERLIVES_TEST_PRETEND_MISSING"


def require_pdf() -> None:
    """Raise ``DependencyError`` unless WeasyPrint and its system libraries load."""
    import os

    if os.environ.get(_PRETEND_MISSING_ENV) == "weasyprint":
        exc: BaseException = ModuleNotFoundError("No module named 'weasyprint'")
    else:
        try:
            importlib.import_module("weasyprint")
            return
        except (ImportError, OSError) as err:  # OSError: pango/harfbuzz shared libraries missing
            exc = err
    raise DependencyError(
        f"--pdf needs WeasyPrint and its system libraries ({type(exc).__name__}); install them with "
        "pip install 'longerlives[pdf]' and apt-get install libpango-1.0-0 libpangoft2-1.0-0, or run without --pdf"
    )
