from __future__ import annotations

from types import SimpleNamespace

import polars as pl

from tests.outreach.helpers import flags_frame, make_ctx, people_frame  # noqa: F401

PRACTICES = pl.DataFrame({"practice_code": ["A81001"], "name": ["Riverside Surgery"], "phone": ["020 7946 0000"],
                          "address": ["1 High Street, Testtown ZZ99 1AA"]})
TEAMS = pl.DataFrame({"team_code": ["CT01"], "name": ["North Community Team"], "phone": ["020 7946 0999"],
                      "email": ["north.team@example.invalid"]})


def letter_ctx(tmp_path, rows, flags, **kw):
    ctx = make_ctx(tmp_path, people_frame(rows), flags_frame(flags), **kw)
    ctx.extract = SimpleNamespace(practices=PRACTICES, teams=TEAMS, rows_read={"encounters": 1})
    return ctx
