from __future__ import annotations

import polars as pl

from tests.outreach.helpers import flags_frame, people_frame, run_stages

PRACTICES = pl.DataFrame({"practice_code": ["A81001"], "name": ["Riverside Surgery"], "phone": ["020 7946 0000"],
                          "address": ["1 High Street, Testtown ZZ99 1AA"]})
TEAMS = pl.DataFrame({"team_code": ["CT01"], "name": ["North Community Team"], "phone": ["020 7946 0999"],
                      "email": ["north.team@example.invalid"]})


def letter_run(tmp_path, rows, flags, **kw):
    """outreach then letters over hand-built people, with one practice and one team."""
    return run_stages(tmp_path, people_frame(rows), flags_frame(flags), upto="letters", practices=PRACTICES,
                      teams=TEAMS, **kw)
