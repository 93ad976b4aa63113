"""Item lists as placeholders in letter shapes (issue 16, session 10).

A letter's shape (``grouped.py``) used to include the flag ids of its three item lists
(``appointment``, ``screening``, ``lifestyle``): 12,692 of the 21,566 shapes of a
100,000-person run differed only in which items they listed. For a template that uses an
item's id for nothing but looking up its words — ``{{ ITEMS[f][0] }}`` printed as it is —
the shape needs only how many items each list has: the shape is rendered with *item keys*
in the lists, the item dictionary answers a key with tokens (``tokens.ItemTokens``), and
Polars fills in each item's words (escaped once, as autoescape prints them) with the
personal fields. 4,144 shapes instead of 21,566; the letters are byte for byte the same
(``tests/letters/test_grouped_render.py``).

``item_texts`` decides, by reading the template's syntax tree (and every template it
imports or includes), whether a template qualifies. It qualifies only when

* the item lists are read only as ``{% for f in p.<list> %}``, ``p.<list> | length`` or
  ``{% if p.<list> %}`` / ``not p.<list>`` (their length and truth are in the shape);
* inside such a loop, ``f`` appears only as ``X[f][<integer>]`` printed directly
  (``{{ X[f][0] }}``), where ``X`` is one dictionary imported with ``{% from … import X %}``
  whose entries are tuples of plain strings, and the loop has no filter, ``else`` or recursion;
* no template it reaches reads an item list any other way.

Anything else (the easy-read letter looks up a picture by the item: ``point(EASY[f][0], …)``)
keeps the item lists in the shape, as before. A row whose list holds an id its template's
dictionary does not know also keeps them, so Jinja raises its own error for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jinja2 import Environment, nodes

ITEM_LISTS = ("appointment", "screening", "lifestyle")


@dataclass(frozen=True)
class ItemTexts:
    """The templates whose item lists are placeholders, and their item dictionaries."""

    words: dict[str, tuple[str, str]]  # letter template -> (template defining the dictionary, its name)
    texts: dict[str, dict[str, tuple[str, ...]]]  # letter template -> flag id -> (what, why, ...)
    arity: int  # fields kept for each item (the longest entry of any dictionary)

    def patches(self) -> list[tuple[str, str, int]]:
        """(dictionary template, dictionary name, its entries' length): what a shape environment
        wraps. A key answers exactly as many tokens as the dictionary's entries have strings, so
        a template reading past them fails as it does with the real dictionary."""
        return sorted({(tpl, name, len(next(iter(self.texts[t].values())))) for t, (tpl, name) in self.words.items()})


def _parents(tree: nodes.Node) -> dict[int, nodes.Node]:
    out: dict[int, nodes.Node] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in node.iter_child_nodes():
            out[id(child)] = node
            stack.append(child)
    return out


def _reached(env: Environment, name: str) -> list[tuple[str, nodes.Template]]:
    """The template and every template it imports, includes or extends (by constant name)."""
    seen: dict[str, nodes.Template] = {}
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        assert env.loader is not None
        source = env.loader.get_source(env, current)[0]
        tree = env.parse(source, current)
        seen[current] = tree
        for node in tree.find_all((nodes.Import, nodes.FromImport, nodes.Include, nodes.Extends)):
            target = getattr(node, "template", None)
            if not isinstance(target, nodes.Const) or not isinstance(target.value, str):
                raise _Unsure(f"{current} loads a template by a computed name")
            todo.append(target.value)
    return list(seen.items())


class _Unsure(Exception):
    pass


def _is_list_read(node: nodes.Node) -> str | None:
    """The item list a node reads (``x.appointment`` or ``x["appointment"]``), else None."""
    if isinstance(node, nodes.Getattr) and node.attr in ITEM_LISTS:
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and node.arg.value in ITEM_LISTS:
        return str(node.arg.value)
    return None


def _loop_dicts(loop: nodes.For, parents: dict[int, nodes.Node]) -> set[str]:
    """The dictionaries ``loop``'s item variable is looked up in; raises _Unsure for any other use."""
    if not isinstance(loop.target, nodes.Name) or loop.test is not None or loop.recursive or loop.else_:
        raise _Unsure("an item loop with a filter, an else or recursion")
    var = loop.target.name
    used: set[str] = set()
    for body in loop.body:
        for name in body.find_all(nodes.Name):
            if name.name != var:
                continue
            if name.ctx != "load":
                raise _Unsure(f"the item variable {var} is assigned in its loop")
            lookup = parents.get(id(name))
            if not (isinstance(lookup, nodes.Getitem) and lookup.arg is name and isinstance(lookup.node, nodes.Name)):
                raise _Unsure(f"the item variable {var} is used other than as a dictionary key")
            part = parents.get(id(lookup))
            if not (
                isinstance(part, nodes.Getitem)
                and part.node is lookup
                and isinstance(part.arg, nodes.Const)
                and isinstance(part.arg.value, int)
                and not isinstance(part.arg.value, bool)
            ):
                raise _Unsure(f"{lookup.node.name}[{var}] is used other than as X[{var}][<integer>]")
            if not isinstance(parents.get(id(part)), nodes.Output):
                raise _Unsure(f"{lookup.node.name}[{var}][…] is not printed as it is")
            used.add(lookup.node.name)
    return used


def _template_dict(env: Environment, template: str) -> tuple[str, str] | None:
    """(dictionary template, dictionary name) when ``template`` qualifies, else None."""
    try:
        reached = _reached(env, template)
    except _Unsure:
        return None
    dicts: set[str] = set()
    imported: dict[str, tuple[str, str]] = {}
    for name, tree in reached:
        parents = _parents(tree)
        for node in tree.find_all(nodes.Node):
            if isinstance(node, nodes.Getattr) and node.attr in ("items", "values") and name == template:
                if isinstance(node.node, nodes.Name) and node.node.name == "p":
                    return None  # the row read as a whole
            if _is_list_read(node) is None:
                continue
            parent = parents.get(id(node))
            if isinstance(parent, nodes.For) and parent.iter is node and name == template:
                try:
                    dicts |= _loop_dicts(parent, parents)
                except _Unsure:
                    return None
            elif isinstance(parent, nodes.Filter) and parent.node is node and parent.name == "length":
                continue
            elif isinstance(parent, nodes.If) and parent.test is node:
                continue
            elif isinstance(parent, nodes.Not):
                continue
            else:
                return None
        if name == template:
            for imp in tree.find_all(nodes.FromImport):
                for entry in imp.names:
                    exported, alias = entry if isinstance(entry, tuple) else (entry, entry)
                    imported[alias] = (str(imp.template.value), exported)  # type: ignore[attr-defined]
    if len(dicts) != 1:
        return None
    (alias,) = dicts
    return imported.get(alias)


def item_texts(env: Environment, templates: Iterable[str]) -> ItemTexts | None:
    """The templates among ``templates`` whose item lists can be placeholders, with their
    dictionaries as ``env`` renders them; None when none can."""
    words: dict[str, tuple[str, str]] = {}
    texts: dict[str, dict[str, tuple[str, ...]]] = {}
    for template in sorted(set(templates)):
        found = _template_dict(env, template)
        if found is None:
            continue
        source, name = found
        table = getattr(env.get_template(source).module, name, None)
        if not isinstance(table, dict) or not table:
            continue
        if not all(
            isinstance(k, str) and isinstance(v, tuple) and all(type(s) is str for s in v) for k, v in table.items()
        ):
            continue  # Markup or numbers would not print as the escaped strings Polars fills in
        if len({len(v) for v in table.values()}) != 1:
            continue  # entries of different lengths: a key could not answer like each of them
        words[template] = found
        texts[template] = dict(table)
    if not texts:
        return None
    arity = max(len(v) for table in texts.values() for v in table.values())
    return ItemTexts(words, texts, arity)


def shape_environment(env: Environment, items: ItemTexts) -> Environment:
    """An environment like ``env`` for rendering shapes: its item dictionaries answer item
    keys with tokens (``tokens.ItemTokens``). Its own template cache: ``env`` is untouched."""
    from longerlives.letters.tokens import wrap_item_dictionaries

    shaped = env.overlay(cache_size=400)
    wrap_item_dictionaries(shaped, items.patches())
    return shaped
