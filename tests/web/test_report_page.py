"""Programme leads see the coverage and inequalities report in the web app (issue 14 item 5),
drawn from the run store — the same numbers as the run's report/coverage.csv."""

from __future__ import annotations

from datetime import date

import polars as pl
from fastapi.testclient import TestClient

from longerlives.pipeline import run
from longerlives.store import open_store
from longerlives.synth.generator import generate
from longerlives.web import auth
from longerlives.web.app import create_app
from longerlives.web.settings import WebSettings
from tests.web.conftest import PASSWORD, sign_in

AS_OF = date(2026, 11, 1)


def test_lead_sees_the_last_runs_coverage_report_and_a_team_nurse_gets_404(tmp_path):
    extract = tmp_path / "extract"
    generate(300, 5, extract, "csv", 0.0, AS_OF)
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    report = run(extract, tmp_path / "out", AS_OF, db_url=url)
    with open_store(url).engine.begin() as conn:
        settings = WebSettings(min_password_length=12)
        auth.add_user(conn, "lead", "lead", [], PASSWORD, settings)
        auth.add_user(conn, "nurse.t1", "team", ["T1"], PASSWORD, settings)
    client = TestClient(create_app(url), base_url="https://testserver")
    sign_in(client, "lead")
    page = client.get("/report")
    assert page.status_code == 200
    assert "style-src 'self' 'unsafe-inline'" in page.headers["content-security-policy"]
    assert "<script" not in page.text.lower()
    published = pl.read_csv(tmp_path / "out" / "report" / "coverage.csv", infer_schema=False)
    ics = published.filter((pl.col("group_by") == "all") & (pl.col("measure") == "phc_all_six")).row(0, named=True)
    assert f"{ics['numerator']} of {ics['denominator']}" in page.text  # the same numbers as the run's file
    assert report.run_id in page.text

    nurse = TestClient(create_app(url), base_url="https://testserver")
    sign_in(nurse, "nurse.t1")
    assert nurse.get("/report").status_code == 404
