"""The one-page architecture stays true to the code, and the data flows one way."""

from __future__ import annotations

import ast
from pathlib import Path

from longerlives.architecture import DOC, render

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "longerlives"


def test_the_stage_table_in_docs_architecture_md_is_generated_from_the_current_code():
    assert render(DOC.read_text(encoding="utf-8")) == DOC.read_text(encoding="utf-8"), (
        "docs/architecture.md is stale: run python -m longerlives.architecture"
    )


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_only_the_pipeline_and_the_commands_import_the_run_store():
    # the web app (longerlives serve) is a command: it reads the store and nothing else of a run
    allowed = {"pipeline.py"}
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ("store", "commands", "web") or rel.name in allowed:
            continue
        if any(m == "longerlives.store" or m.startswith("longerlives.store.") for m in _imports(path)):
            offenders.append(str(rel))
    assert offenders == []


def test_no_stage_parameter_is_typed_any_or_takes_a_shared_context():
    import inspect

    from longerlives.architecture import stage_functions

    for _, fn in stage_functions():
        for name, p in inspect.signature(fn).parameters.items():
            assert str(p.annotation) not in ("Any", "typing.Any"), f"{fn.__name__}({name}: Any)"
            assert name != "ctx", f"{fn.__name__} takes a context bag"
    assert not (PACKAGE / "context.py").exists()
