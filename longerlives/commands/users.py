"""``longerlives users add|list|disable`` — accounts for the web worklist.

Passwords are read from standard input (``--password-stdin``), never from the
command line where ``ps`` and shell history would see them.
"""

from __future__ import annotations

import argparse
import sys

from longerlives.commands._store_args import add_db_args, db_url
from longerlives.errors import LongerlivesError


def add_parser(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("users", help="web worklist accounts")
    usubs = p.add_subparsers(dest="users_command", required=True)
    a = usubs.add_parser("add", help="add a user")
    add_db_args(a)
    a.add_argument("--username", required=True)
    a.add_argument("--role", required=True, choices=("team", "lead", "admin"))
    a.add_argument(
        "--team",
        action="append",
        default=[],
        metavar="CODE",
        help="core team code (repeat for several); required for role team",
    )
    a.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the password from the first line of standard input",
    )
    a.set_defaults(func=handle_add)
    ls = usubs.add_parser("list", help="list users")
    add_db_args(ls)
    ls.set_defaults(func=handle_list)
    d = usubs.add_parser("disable", help="disable a user and end their sessions")
    add_db_args(d)
    d.add_argument("--username", required=True)
    d.set_defaults(func=handle_disable)


def _engine(args: argparse.Namespace):
    from longerlives.store import open_store

    return open_store(db_url(args)).engine


def handle_add(args: argparse.Namespace) -> int:
    from longerlives.web.auth import add_user
    from longerlives.web.settings import load_web_settings

    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise LongerlivesError("no password on standard input (echo it into --password-stdin)")
    with _engine(args).begin() as conn:
        add_user(conn, args.username, args.role, args.team, password, load_web_settings())
    teams = f" for {', '.join(args.team)}" if args.team else ""
    print(f"longerlives: user {args.username} added ({args.role}{teams})")
    return 0


def handle_list(args: argparse.Namespace) -> int:
    from longerlives.web.auth import list_users

    with _engine(args).begin() as conn:
        users = list_users(conn)
    print(f"{'username':<24}{'role':<8}{'status':<10}teams")
    for u in users:
        teams = str(u["teams"] or "").replace(";", ",") or "(all)"
        print(f"{u['username']!s:<24}{u['role']!s:<8}{'active' if u['active'] else 'disabled':<10}{teams}")
    return 0


def handle_disable(args: argparse.Namespace) -> int:
    from longerlives.web.auth import disable_user

    with _engine(args).begin() as conn:
        disable_user(conn, args.username)
    print(f"longerlives: user {args.username} disabled; their sessions are ended")
    return 0
