"""``longerlives serve`` — the web worklist for core teams (FastAPI under uvicorn)."""

from __future__ import annotations

import argparse
from pathlib import Path

from longerlives.commands._store_args import add_db_args, db_url


def add_parser(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("serve", help="serve the web worklist from the run store")
    add_db_args(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    p.add_argument(
        "--web-config",
        type=Path,
        default=None,
        help="a TOML file replacing config/web.toml (page size, timeouts, lockout, rate limit)",
    )
    p.add_argument(
        "--oidc-config",
        type=Path,
        default=None,
        help="a TOML file naming an OpenID Connect provider (NHS CIS2, Entra ID) to sign in with (docs/web.md)",
    )
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from longerlives.store import open_store
    from longerlives.web.settings import load_web_settings

    url = db_url(args)
    load_web_settings(args.web_config)  # a bad file fails here, with its message, not in every worker
    open_store(url)  # migrate once, before any worker starts
    os.environ["LONGERLIVES_WEB_DB"] = url
    if args.web_config is not None:
        os.environ["LONGERLIVES_WEB_CONFIG"] = str(args.web_config.resolve())
    if args.oidc_config is not None:
        from longerlives.web.oidc import load_oidc_provider

        load_oidc_provider(args.oidc_config)  # a bad file or a missing secret fails here, once
        os.environ["LONGERLIVES_WEB_OIDC"] = str(args.oidc_config.resolve())
    print(f"longerlives: web worklist on http://{args.host}:{args.port}/ (Ctrl-C to stop)")
    uvicorn.run(
        "longerlives.web.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,
        server_header=False,
        log_level="info",
    )
    return 0
