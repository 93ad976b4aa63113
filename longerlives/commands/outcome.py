"""``longerlives outcome record`` — a team records an outreach attempt or result."""

from __future__ import annotations

import argparse
from datetime import date, timedelta

from longerlives.commands._store_args import add_db_args, db_url
from longerlives.commands.run import parse_date
from longerlives.errors import UsageError
from longerlives.outcomes import valid_nhs_number
from longerlives.settings.operations import OUTCOME_RESULTS


def add_parser(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("outcome", help="record outreach outcomes")
    osubs = p.add_subparsers(dest="outcome_command", required=True)
    r = osubs.add_parser("record", help="record one outreach attempt or result for a person")
    add_db_args(r)
    r.add_argument("--nhs-number", required=True, help="the person's NHS number (10 digits)")
    r.add_argument("--team", required=True, help="core team code")
    r.add_argument("--result", required=True, choices=OUTCOME_RESULTS)
    r.add_argument("--date", type=parse_date, default=None, help="date of the outcome (default: today)")
    r.add_argument("--note", default=None, help="free-text note (kept in the store, never logged)")
    r.set_defaults(func=handle_record)


def record_outcome(
    db_url: str, nhs_number: str, team: str, result: str, on: date | None = None, note: str | None = None
) -> int:
    """Record one outreach attempt or result; returns its id. "Today" is decided here, in the command."""
    from longerlives.store.existing import known_teams, open_existing_store

    nhs = nhs_number.replace(" ", "").replace("-", "")
    if not valid_nhs_number(nhs):
        raise UsageError("the NHS number is not ten ASCII digits with a valid check digit")
    if result not in OUTCOME_RESULTS:
        raise UsageError(f"result must be one of {', '.join(OUTCOME_RESULTS)}")
    team = team.strip()
    if not team:
        raise UsageError("a team code is required")
    on = on or date.today()
    if on > date.today() + timedelta(days=1):
        raise UsageError("an outcome cannot be dated in the future")
    store = open_existing_store(db_url)  # never creates a store (issue 12)
    teams = known_teams(store)
    if teams is None:
        raise UsageError(
            "this run store has no completed run that recorded its teams yet; "
            "record outcomes after the first nightly run"
        )
    if team not in teams:
        raise UsageError(f"team `{team[:40]}` is not a core team on the latest run's extract; check the code")
    return store.record_outcome(nhs, team, result, on, note)


def handle_record(args: argparse.Namespace) -> int:
    oid = record_outcome(db_url(args), args.nhs_number, args.team, args.result, args.date, args.note)
    print(f"longerlives: outcome {oid} recorded ({args.result}); it shows on the next run's worklists")
    return 0
