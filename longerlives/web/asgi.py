"""ASGI entry point for ``uvicorn longerlives.web.asgi:app`` (``longerlives serve`` sets the store URL)."""

from __future__ import annotations

import os

from longerlives.web.app import create_app

app = create_app(os.environ["LONGERLIVES_WEB_DB"])
