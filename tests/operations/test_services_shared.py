"""scripts/services.sh shares the machine's services between checkouts: one checkout's
`stop` (say `make bench` finishing) never stops a service another checkout's `make test`
is still using (issue 16, session 21: PostgreSQL stopped under a running test suite).

Run against a real mesh-sandbox on a port of its own, with the leases in a scratch folder,
so the suite's own services are not touched."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.operations.conftest import SERVICES

pytestmark = pytest.mark.mesh


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _services(state: Path, port: int, checkout: str, *args: str, check: bool = True) -> str:
    """scripts/services.sh as ``checkout`` would run it, its leases in ``state``, the sandbox on ``port``."""
    env = {**os.environ, "SERVICES_STATE": str(state), "SERVICES_LEASE": checkout, "MESH_PORT": str(port)}
    done = subprocess.run(
        ["bash", str(SERVICES), *args], env=env, capture_output=True, text=True, timeout=600, check=check
    )
    return done.stdout


def _up(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
        return True
    except OSError:
        return False


def _down_within(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _up(port):
            return True
        time.sleep(0.2)
    return False


def test_bench_finishing_in_one_checkout_leaves_the_sandbox_up_for_tests_running_in_another(tmp_path: Path) -> None:
    port = _free_port()
    try:
        _services(tmp_path, port, "bench-checkout", "start", "mesh")
        assert _up(port)
        assert "already up" in _services(tmp_path, port, "ci-checkout", "start", "mesh")

        said = _services(tmp_path, port, "bench-checkout", "stop", "mesh")
        assert "left running" in said
        assert _up(port), "the other checkout's tests lost their mesh-sandbox"

        _services(tmp_path, port, "ci-checkout", "stop", "mesh")  # the last user stops it
        assert _down_within(port, seconds=15)
        assert not list(tmp_path.glob("*.lease.*"))
    finally:
        for checkout in ("bench-checkout", "ci-checkout"):  # nothing left running if an assertion failed
            _services(tmp_path, port, checkout, "stop", "mesh", check=False)
