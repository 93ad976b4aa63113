"""The ``longerlives`` command. Each sub-command lives in ``longerlives/commands/``.

Fatal errors print one clear message and exit with a documented status
(``longerlives/errors.py``, ``docs/operations.md``), never a traceback; ``--debug``
prints the traceback as well.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import sys
import traceback
from typing import NoReturn

from longerlives import __version__
from longerlives.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE
from longerlives.failures import explain, mask

COMMANDS = ("run", "synth", "codelists", "schedule", "outcome", "history", "serve", "users", "letters")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake exits with the documented usage status (64), not 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"longerlives: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="longerlives", description="Longer Lives nightly engine")
    parser.add_argument("--version", action="version", version=f"longerlives {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="more log output")
    parser.add_argument("--debug", action="store_true", help="print the traceback of a fatal error")
    subs = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"longerlives.commands.{name}")
        module.add_parser(subs)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("longerlives: interrupted; nothing was moved into the output folder", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the one place every failure becomes a message
        if args.debug:
            traceback.print_exc()
        known = explain(exc)
        if known is None:
            print(
                f"longerlives: internal error ({type(exc).__name__}); this is a bug — "
                "rerun with --debug to see the traceback and report it",
                file=sys.stderr,
            )
            return EXIT_INTERNAL
        print(f"longerlives: error: {mask(str(known))}", file=sys.stderr)
        return known.exit_code


def console() -> int:
    """The installed ``longerlives`` command and ``python -m longerlives``: ``main``, then an exit
    without the interpreter's last garbage-collection passes.

    Everything still alive is frozen (``gc.freeze``) before the interpreter shuts down: its
    shutdown otherwise scans every object again on each pass, 1.4–1.9 s of single-core work
    after a 100,000-person run's last word (issue 16, session 11). Frozen objects are still
    freed by reference counting; only cycles are left to the operating system, which takes the
    whole process back a moment later. Nothing the run wrote waits on it: outputs, store and
    logs are complete and flushed before ``main`` returns. ``main`` alone (as the tests call it)
    leaves the collector as it was."""
    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console())
