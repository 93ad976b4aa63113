"""The ``longerlives`` command. Each sub-command lives in ``longerlives/commands/``.

Fatal errors print one clear message and exit non-zero, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from longerlives import __version__
from longerlives.errors import LongerlivesError

COMMANDS = ("run", "synth", "codelists", "schedule", "outcome", "history", "serve", "users")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="longerlives", description="Longer Lives nightly engine")
    parser.add_argument("--version", action="version", version=f"longerlives {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="more log output")
    subs = parser.add_subparsers(dest="command", required=True)
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
    except LongerlivesError as exc:
        print(f"longerlives: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("longerlives: interrupted; nothing was moved into the output folder", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
