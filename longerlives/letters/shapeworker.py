"""The letter shape renderer process: Jinja renders letter shapes here while the run fills and writes.

Run by ``render.ShapeRenderer`` as ``python -I shapeworker.py``: it imports only the standard
library and Jinja2 (never the package or Polars; it starts in a fraction of a second), so the
~23,000 placeholder letters of a 100,000-person run are rendered on the second core while the
run's process fills in the personal fields of the shapes already rendered (``grouped.py``).

It never sees a person's details: the rows it renders are placeholder rows (every personal
value replaced by a token, ``grouped.placeholder_row``).

Standard input, pickles one after another (our own parent writes them):

1. the set-up: ``(templates folder, Environment options, {format: template variables but p})``
   — the variables are the parent's ``LetterContext.variables()``, so both render alike;
2. then each block: a list of placeholder row dicts; the answer on standard output is the
   pickled list of their HTML, or ``None`` when any of them failed (the parent then renders
   that block itself, raising Jinja's own error).

End of input (the parent finished, died or gave up) ends the process.
"""

from __future__ import annotations

import pickle
import sys

from jinja2 import Environment, FileSystemLoader

TYPE_CHECKING = False  # (typing.TYPE_CHECKING without importing typing; mypy reads the block)
if TYPE_CHECKING:
    from typing import Any


class Row(dict):  # type: ignore[type-arg]
    """A letter row whose fields are also attributes (as ``render._Row``)."""

    def __init__(self, row: dict[str, Any]) -> None:
        super().__init__(row)
        self.__dict__ = self


def main() -> int:
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    try:
        templates, options, variables = pickle.load(inp)
    except EOFError:
        return 0
    env = Environment(loader=FileSystemLoader(templates), **options)
    while True:
        try:
            rows = pickle.load(inp)
        except EOFError:
            return 0
        try:
            html = [env.get_template(r["template"]).render({**variables[r["format"]], "p": Row(r)}) for r in rows]
        except Exception:  # noqa: BLE001 - the parent renders this block itself and raises Jinja's error
            html = None
        pickle.dump(html, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
