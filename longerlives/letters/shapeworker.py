"""The letter shape renderer process: Jinja renders letter shapes here while the run fills and writes.

Run by ``render.ShapeRenderer`` as ``python -I shapeworker.py``: it imports only the standard
library and Jinja2 (never the package or Polars; it starts in a fraction of a second), so the
~23,000 placeholder letters of a 100,000-person run are rendered on the second core while the
run's process fills in the personal fields of the shapes already rendered (``grouped.py``).

It never sees a person's details: the rows it renders are placeholder rows (every personal
value replaced by a token, ``grouped.placeholder_row``).

Standard input, pickles one after another (our own parent writes them):

1. the set-up: ``(templates folder, Environment options, {format: template variables but p},
   path of tokens.py, item dictionaries to wrap)`` — the variables are the parent's
   ``LetterContext.variables()``, so both render alike; ``tokens.py`` (standard library only) is
   loaded from its path; the item dictionaries (``itemkeys.ItemTexts.patches``) answer item
   keys with tokens (``tokens.wrap_item_dictionaries``);
2. then each block: placeholder rows as columns (``{column: [values]}``); the answer on
   standard output is the pickled list of each rendered shape split at its tokens
   (``tokens.split_rendered``: segments and field numbers, or None for a shape whose tokens a
   filter changed), or ``None`` when any of them failed to render (the parent then renders
   that block itself, raising Jinja's own error).

End of input (the parent finished, died or gave up) ends the process.
"""

from __future__ import annotations

import importlib.util
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
        templates, options, variables, tokens_file, patches = pickle.load(inp)
    except EOFError:
        return 0
    spec = importlib.util.spec_from_file_location("longerlives_letter_tokens", tokens_file)
    assert spec is not None and spec.loader is not None
    tokens = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tokens)
    env = Environment(loader=FileSystemLoader(templates), **options)
    tokens.wrap_item_dictionaries(env, patches)  # item keys answer tokens (itemkeys.py)
    while True:
        try:
            block = pickle.load(inp)
        except EOFError:
            return 0
        names = list(block)
        try:
            splits = [
                tokens.split_rendered(env.get_template(r["template"]).render({**variables[r["format"]], "p": Row(r)}))
                for r in (dict(zip(names, values)) for values in zip(*block.values()))
            ]
        except Exception:  # noqa: BLE001 - the parent renders this block itself and raises Jinja's error
            splits = None
        pickle.dump(splits, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
