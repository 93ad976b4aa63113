from __future__ import annotations

import polars as pl

from tests.outreach.helpers import flags_frame, people_frame, run_stages

PRACTICES = pl.DataFrame(
    {
        "practice_code": ["A81001"],
        "name": ["Riverside Surgery"],
        "phone": ["020 7946 0000"],
        "address": ["1 High Street, Testtown ZZ99 1AA"],
    }
)
TEAMS = pl.DataFrame(
    {
        "team_code": ["CT01"],
        "name": ["North Community Team"],
        "phone": ["020 7946 0999"],
        "email": ["north.team@example.invalid"],
    }
)


def letter_run(tmp_path, rows, flags, **kw):
    """outreach then letters over hand-built people, with one practice and one team."""
    return run_stages(
        tmp_path, people_frame(rows), flags_frame(flags), upto="letters", practices=PRACTICES, teams=TEAMS, **kw
    )


def visible_text(html: str, part: str = "body") -> str:
    """The words a reader sees in ``part`` of a letter (``body`` or ``main``): no tags,
    styles or embedded picture data; alt text included (a screen reader speaks it)."""
    from html.parser import HTMLParser

    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.depth, self.skip = 0, 0
            self.words: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == part:
                self.depth += 1
            if tag in ("style", "script", "title"):
                self.skip += 1
            alt = dict(attrs).get("alt")
            if tag == "img" and self.depth and alt:
                self.words.append(alt + ".")

        def handle_endtag(self, tag: str) -> None:
            if tag == part:
                self.depth -= 1
            if tag in ("style", "script", "title"):
                self.skip -= 1

        def handle_data(self, data: str) -> None:
            if self.depth and not self.skip:
                self.words.append(data)

    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.words).split())
