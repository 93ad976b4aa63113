"""ASGI entry point for ``uvicorn longerlives.web.asgi:app`` (``longerlives serve`` sets the store URL)."""

from __future__ import annotations

import os
from pathlib import Path

from longerlives.web.app import create_app
from longerlives.web.oidc import load_oidc_provider
from longerlives.web.settings import load_web_settings

_config = os.environ.get("LONGERLIVES_WEB_CONFIG")
_oidc = os.environ.get("LONGERLIVES_WEB_OIDC")
app = create_app(
    os.environ["LONGERLIVES_WEB_DB"],
    load_web_settings(Path(_config) if _config else None),
    load_oidc_provider(Path(_oidc)) if _oidc else None,
)
