"""Delivery of per-practice exports (issue 6), after the outputs are in place.

Practices with a ``mesh_mailbox`` in the practices table get their export by MESH;
the others (or all, when MESH is not configured) through the outbox folder
``<outbox>/<practice>/<as_of>_<run_id>/``. Every export and every delivery becomes an
``AuditLine`` handed to ``record`` as it happens (the pipeline writes it to the run
store at once, so a crash half-way through still leaves the trail). A delivery that
fails is recorded as failed and does not fail the run (its outputs are already good);
the next run delivers again. An export already delivered with identical content for
the same as-of date through the same channel (``History.delivered``) is skipped, so a
second run on one day does not send a practice the same file twice.

This module never opens the run store: what it needs arrives as values.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from longerlives.crashpoints import crash_point
from longerlives.delivery.mesh import MeshNotConfigured, mesh_client, send_export
from longerlives.delivery.outbox import EXPORT_FILES, deliver_to_outbox
from longerlives.history import AuditLine, Delivered
from longerlives.outputs.exports import EXPORTS_DIR
from longerlives.settings.operations import OperationsSettings

log = logging.getLogger(__name__)


def _digest_and_rows(folder: Path) -> tuple[str, int]:
    """sha256 of flags.csv, a NUL byte and bundle.json; and the data rows of flags.csv
    (its lines but the header): each file read once (issue 16)."""
    flags = (folder / "flags.csv").read_bytes()
    digest = hashlib.sha256(flags)
    digest.update(b"\0")
    digest.update((folder / "bundle.json").read_bytes())
    lines = flags.count(b"\n") + (1 if flags and not flags.endswith(b"\n") else 0)
    return digest.hexdigest(), max(lines - 1, 0)


@dataclass(frozen=True)
class Written:
    """What the exports stage wrote for one practice: the digest ``_digest_and_rows`` would
    read back (sha256 of flags.csv, NUL, bundle.json) and the data rows of flags.csv."""

    sha256: str
    rows: int


def written_exports(practices: Iterable[Mapping[str, Any]]) -> dict[str, Written]:
    """practice code -> ``Written``, from ``ExportsWritten.practices`` (practice_code, rows, sha256)."""
    return {str(p["practice_code"]): Written(str(p["sha256"]), int(p["rows"])) for p in practices}


def mailboxes(practices: pl.DataFrame | None) -> dict[str, str]:
    """practice code -> MESH mailbox, from the practices table (blank mailboxes ignored)."""
    if practices is None or "mesh_mailbox" not in practices.columns:
        return {}
    rows = practices.filter(pl.col("mesh_mailbox").is_not_null() & (pl.col("mesh_mailbox").str.strip_chars() != ""))
    return dict(zip(rows["practice_code"].to_list(), [m.strip() for m in rows["mesh_mailbox"].to_list()]))


def deliver(
    out_dir: Path,
    boxes: dict[str, str],
    outbox: Path,
    ops: OperationsSettings,
    delivered_before: frozenset[Delivered],
    run_id: str,
    as_of: date,
    record: Callable[[AuditLine], None],
    written: Mapping[str, Written] | None = None,
) -> dict[str, int]:
    """Deliver every ``out_dir/exports/<practice>`` folder; hand each audit line to ``record``.

    ``written``: each practice's digest and rows as the exports stage wrote them this run
    (``written_exports``), so the files are not read and hashed a second time (issue 16); a
    folder not in it (an export of another run) is read. Returns counts by status."""
    known = written or {}
    base = Path(out_dir) / EXPORTS_DIR
    folders = (
        sorted(p for p in base.iterdir() if p.is_dir() and all((p / f).exists() for f in EXPORT_FILES))
        if base.exists()
        else []
    )
    counts = {"ok": 0, "skipped": 0, "failed": 0, "outbox_because_mesh_not_configured": 0}
    client = None
    mesh_error: str | None = None
    try:
        for i, folder in enumerate(folders):
            if i:
                crash_point("delivery.between")
            practice = folder.name
            done = known.get(practice)
            digest, rows = (done.sha256, done.rows) if done is not None else _digest_and_rows(folder)
            record(AuditLine("export", practice, "ok", rows=rows, sha256=digest, target=f"{EXPORTS_DIR}/{practice}"))
            mailbox = boxes.get(practice)
            channel, target = ("mesh", mailbox) if mailbox else ("outbox", str(outbox / practice))
            if channel == "mesh" and client is None and mesh_error is None:
                try:
                    client = mesh_client(ops.mesh)
                except MeshNotConfigured as exc:
                    mesh_error = str(exc)
            if channel == "mesh" and mesh_error is not None:
                # fall back to the outbox and say why in the audit trail
                record(
                    AuditLine(
                        "delivery",
                        practice,
                        "failed",
                        channel="mesh",
                        target=mailbox,
                        rows=rows,
                        sha256=digest,
                        detail=mesh_error,
                    )
                )
                counts["outbox_because_mesh_not_configured"] += 1
                channel, target = "outbox", str(outbox / practice)
            if Delivered(practice, channel, str(target), digest) in delivered_before:
                record(
                    AuditLine(
                        "delivery",
                        practice,
                        "skipped",
                        channel=channel,
                        target=target,
                        rows=rows,
                        sha256=digest,
                        detail="identical export already delivered for this as-of date",
                    )
                )
                counts["skipped"] += 1
                continue
            try:
                if channel == "mesh":
                    ids = send_export(client, folder, str(mailbox), practice, as_of, run_id, ops.mesh.workflow_id or "")
                    message_id, detail = ";".join(ids), None
                else:
                    path = deliver_to_outbox(folder, outbox, practice, as_of, run_id)
                    message_id, detail = None, str(path)
            except Exception as exc:  # noqa: BLE001 - recorded, and the next run tries again
                record(
                    AuditLine(
                        "delivery",
                        practice,
                        "failed",
                        channel=channel,
                        target=target,
                        rows=rows,
                        sha256=digest,
                        detail=f"{type(exc).__name__}: {exc}"[:2000],
                    )
                )
                counts["failed"] += 1
                log.warning("delivery to practice %s by %s failed (%s)", practice, channel, type(exc).__name__)
                continue
            record(
                AuditLine(
                    "delivery",
                    practice,
                    "ok",
                    channel=channel,
                    target=target,
                    rows=rows,
                    sha256=digest,
                    message_id=message_id,
                    detail=detail,
                )
            )
            counts["ok"] += 1
    finally:
        if client is not None:
            client.close()
    log.info(
        "deliveries: %d ok, %d skipped, %d failed, %d to the outbox because MESH is not configured",
        counts["ok"],
        counts["skipped"],
        counts["failed"],
        counts["outbox_because_mesh_not_configured"],
    )
    return counts
