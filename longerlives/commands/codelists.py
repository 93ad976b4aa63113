"""``longerlives codelists`` — show the code lists in use, their sources and hashes."""

from __future__ import annotations

import argparse


def add_parser(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("codelists", help="list the clinical code lists in use (source, release, codes, sha256)")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from longerlives.codelists import load_codelists, load_pending, manifest_hash

    lists = load_codelists()
    print(f"{'concept':<32} {'kind':<10} {'codes':>6}  {'sha256':<16}  source")
    for name, cl in lists.items():
        mark = " (local refset)" if cl.overridden else ""
        print(f"{name:<32} {cl.kind:<10} {len(cl.codes):>6}  {cl.sha256[:16]}  {cl.source[:70]}{mark}")
    pending = load_pending()
    if pending:
        print(f"\npending (no list yet; drop an NHS refset into config/codelists/refsets/): {', '.join(pending)}")
    print(f"\nmanifest hash {manifest_hash(lists)}")
    return 0
