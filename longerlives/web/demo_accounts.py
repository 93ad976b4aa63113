"""Demo accounts for the web worklist (used by ``make demo``): a nurse for each of the
two biggest teams on the latest run's worklist and a lead, each with a fresh one-time
password that must be changed at first sign-in. Printed once; only hashes are stored."""

from __future__ import annotations

import secrets
import sys

from sqlalchemy import func, select, update

from longerlives.store import open_store
from longerlives.store.web_models import WebUser, WorklistEntry, table_of
from longerlives.web import auth
from longerlives.web.data import UNALLOCATED, last_successful_run
from longerlives.web.settings import load_web_settings

USERS = table_of(WebUser)
ENTRIES = table_of(WorklistEntry)


def one_time_password() -> str:
    words = secrets.token_urlsafe(12)
    return f"{words[:6]}-{words[6:12]}-{words[12:]}"


def make_demo_accounts(db_url: str) -> list[tuple[str, str, str]]:
    """(username, role and teams, one-time password) for each demo account."""
    settings = load_web_settings()
    out: list[tuple[str, str, str]] = []
    with open_store(db_url).engine.begin() as conn:
        run = last_successful_run(conn, settings.stale_run_hours)
        teams: list[str] = []
        if run is not None:
            teams = [
                t
                for (t, _) in conn.execute(
                    select(ENTRIES.c.team, func.count())
                    .where(ENTRIES.c.run_id == run.run_id, ENTRIES.c.team != UNALLOCATED)
                    .group_by(ENTRIES.c.team)
                    .order_by(func.count().desc(), ENTRIES.c.team)
                    .limit(2)
                ).all()
            ]
        wanted = [(f"nurse.{t.lower()}", "team", [t]) for t in teams] + [("lead", "lead", [])]
        for username, role, team_list in wanted:
            password = one_time_password()
            exists = conn.execute(select(USERS.c.id).where(USERS.c.username == username)).first()
            if exists:
                conn.execute(
                    update(USERS)
                    .where(USERS.c.username == username)
                    .values(
                        password_hash=auth.hash_password(password, settings),
                        must_change_password=True,
                        active=True,
                        failed_sign_ins=0,
                        locked_until=None,
                        role=role,
                        teams=";".join(team_list) or None,
                    )
                )
            else:
                auth.add_user(conn, username, role, team_list, password, settings, must_change_password=True)
            out.append((username, f"{role}{' for ' + team_list[0] if team_list else ', every team'}", password))
    return out


def main(argv: list[str]) -> int:
    db_url = argv[0] if argv else "sqlite:///demo/runs.sqlite"
    accounts = make_demo_accounts(db_url)
    print()
    print("The web worklist: run `make serve`, then open http://127.0.0.1:8000/ and sign in with")
    for username, what, password in accounts:
        print(f"  {username:<18} {password:<22} ({what})")
    print("These are one-time passwords: each account chooses its own at first sign-in.")
    print("Making the accounts again (`make demo`) gives new one-time passwords.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
