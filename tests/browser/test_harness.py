"""The browser harness itself: Debian Chromium starts and axe-core finds a real violation."""

from tests.browser.harness import axe_violations, chromium_page


def test_axe_reports_an_image_without_alt_text_and_passes_a_clean_page(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><html lang="en"><head><title>t</title></head>'
        '<body><main><h1>t</h1><img src="x.png"></main></body></html>'
    )
    good = tmp_path / "good.html"
    good.write_text(
        '<!doctype html><html lang="en"><head><title>t</title></head>'
        "<body><main><h1>t</h1><p>Hello</p></main></body></html>"
    )
    with chromium_page() as page:
        page.goto(bad.as_uri())
        assert "image-alt" in {v["id"] for v in axe_violations(page)}
        page.goto(good.as_uri())
        assert axe_violations(page) == []
