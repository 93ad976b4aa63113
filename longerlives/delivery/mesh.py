"""MESH delivery with mesh-client. One message per export file (flags.csv, then
bundle.json) to the practice's mailbox. The password and shared key come from the
environment variables named in ``[operations.mesh]``; they are never logged."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from longerlives.delivery.outbox import EXPORT_FILES
from longerlives.settings.operations import MeshSettings


class MeshNotConfigured(RuntimeError):
    pass


def mesh_client(settings: MeshSettings):  # noqa: ANN201
    """A MESH client for ``settings``; ``MeshNotConfigured`` (before mesh-client and its HTTP
    stack are imported: 0.2-1 s of a run's delivery, issue 16) when something is missing."""
    if not settings.url or not settings.mailbox:
        raise MeshNotConfigured("MESH is not configured ([operations.mesh] url and mailbox)")
    if not settings.workflow_id:
        raise MeshNotConfigured(
            "MESH workflow id not set ([operations.mesh] workflow_id: the id NHS England "
            "issues for this flow; see docs/operations.md)"
        )
    password = os.environ.get(settings.password_env)
    if not password:
        raise MeshNotConfigured(f"MESH password not set (environment variable {settings.password_env})")
    shared = os.environ.get(settings.shared_key_env)
    from mesh_client import MeshClient

    cert = None
    if settings.cert_file and settings.key_file:
        cert = (settings.cert_file, settings.key_file)
    return MeshClient(
        settings.url,
        settings.mailbox,
        password,
        shared_key=shared.encode() if shared else None,
        cert=cert,
        verify=settings.ca_file if settings.ca_file else None,
        max_chunk_size=settings.max_chunk_size_bytes,
        max_retries=2,
        application_name="longerlives",
    )


def send_export(
    client,
    src: Path,
    mailbox: str,
    practice: str,
    as_of: date,
    run_id: str,  # noqa: ANN001
    workflow_id: str,
) -> list[str]:
    """Send the practice's export files; returns the MESH message ids, in file order."""
    ids = []
    for name in EXPORT_FILES:
        data = (src / name).read_bytes()
        stem, ext = name.rsplit(".", 1)
        ids.append(
            client.send_message(
                mailbox,
                data,
                workflow_id=workflow_id,
                subject=f"Longer Lives {stem} {practice} {as_of.isoformat()}",
                filename=f"{practice}_{as_of.isoformat()}_{stem}.{ext}",
                local_id=f"{run_id}:{practice}:{name}",
            )
        )
    return ids
