"""Screenshots of the web worklist for docs/web.md (run by hand: `.venv/bin/python scripts/web_screenshots.py`).

Makes a synthetic 3,000-person extract, runs the nightly job into a temporary SQLite
store, adds a team account, serves the app with uvicorn on a free port and captures
the worklist and a person page at 1280 px and 320 px with Debian's Chromium.
Synthetic data only.
"""

from __future__ import annotations

import re
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.harness import chromium_browser, uvicorn_server

PASSWORD = "screenshot password"


def main() -> int:
    from sqlalchemy import func, select

    from longerlives.pipeline import run
    from longerlives.store import open_store
    from longerlives.store.web_models import WorklistEntry
    from longerlives.synth import generate
    from longerlives.web import auth
    from longerlives.web.app import create_app
    from longerlives.web.settings import load_web_settings

    work = Path(tempfile.mkdtemp(prefix="ll-shots-"))
    as_of = date(2026, 11, 1)
    generate(3000, 42, work / "extract", "csv", 0.0, as_of)
    url = f"sqlite:///{work / 'runs.sqlite'}"
    run(work / "extract", work / "out", as_of, db_url=url)
    e = WorklistEntry.__table__
    with open_store(url).engine.begin() as conn:
        team = conn.execute(select(e.c.team).where(e.c.team != "unallocated").group_by(e.c.team)
                            .order_by(func.count().desc()).limit(1)).scalar_one()
        auth.add_user(conn, "nurse", "team", [team], PASSWORD, load_web_settings())
    out = ROOT / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    with uvicorn_server(create_app(url)) as base, chromium_browser() as browser:
        for width in (1280, 320):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/login")
            page.get_by_label("Username").fill("nurse")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state()
            page.screenshot(path=str(out / f"web-worklist-{width}.png"), full_page=False)
            href = page.locator("a[href^='/person/']").first.get_attribute("href")
            assert href and re.fullmatch(r"/person/[0-9a-f]{24}", href)
            page.goto(f"{base}{href}")
            page.screenshot(path=str(out / f"web-person-{width}.png"), full_page=False)
            context.close()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
