"""Shared browser-test harness: Debian's Chromium driven by Playwright, axe-core injected.

Never downloads a browser: Playwright launches ``/usr/bin/chromium`` (installed by
``scripts/system-deps.sh``). axe-core 4.14.1 is vendored in ``tests/vendor/axe.min.js``
(MPL-2.0) so accessibility checks need no network.

Use from any test module::

    from tests.browser.harness import chromium_page, axe_violations

    def test_page_has_no_accessibility_violations(tmp_path):
        with chromium_page() as page:
            page.goto(url)
            assert axe_violations(page) == []
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from longerlives.letters.pdf_chromium import LAUNCH_ARGS as CHROMIUM_FLAGS

CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
LAUNCH_ARGS = list(CHROMIUM_FLAGS)  # the same flags as the product's PDF letters (one list, in the product)


def chromium_available() -> bool:
    return CHROMIUM.exists()


@contextlib.contextmanager
def chromium_browser() -> Iterator[Any]:
    """A headless Debian Chromium under Playwright (no browser download, no sandbox as root)."""
    from playwright.sync_api import sync_playwright

    if not chromium_available():
        raise RuntimeError("Chromium is not installed at /usr/bin/chromium; run `make setup` (scripts/system-deps.sh)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def chromium_page(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """One page in a fresh browser context at the given viewport size."""
    with chromium_browser() as browser:
        context = browser.new_context(viewport={"width": width, "height": height})
        try:
            yield context.new_page()
        finally:
            context.close()


def axe_violations(
    page: Any, tags: tuple[str, ...] = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")
) -> list[dict[str, Any]]:
    """Run axe-core in the page; return its violations as ``[{id, impact, help, nodes}]`` (empty = none)."""
    page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", list(tags)
    )
    return [
        {
            "id": v["id"],
            "impact": v.get("impact"),
            "help": v.get("help"),
            "nodes": [n.get("target") for n in v.get("nodes", [])][:5],
        }
        for v in result["violations"]
    ]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody is listening on right now."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def uvicorn_server(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a background thread on a free port; yields its base URL."""
    import threading
    import time

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
