"""The delivery's audit trail names exactly the bytes each practice was sent (issue 16, session 10).

The nightly run no longer reads every export back to hash it before delivery: the exports
stage hands over the digest of what it wrote. A practice manager querying "what did we send
on this date" must still get the digest of the files themselves, and the row count of the
flags.csv they opened."""

from __future__ import annotations

import csv
import hashlib
import sqlite3
from pathlib import Path

from longerlives.delivery import _digest_and_rows


def _files_digest(folder: Path) -> str:
    digest = hashlib.sha256((folder / "flags.csv").read_bytes())
    digest.update(b"\0")
    digest.update((folder / "bundle.json").read_bytes())
    return digest.hexdigest()


def _flag_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


def test_each_practice_export_and_delivery_is_recorded_with_the_digest_and_rows_of_the_files_sent(full_run):
    out, report = full_run
    db = out.parent / "runs.sqlite"
    with sqlite3.connect(db) as conn:
        lines = conn.execute(
            "SELECT kind, practice_code, channel, target, rows, sha256, status FROM audit_events WHERE run_id = ?",
            (report.run_id,),
        ).fetchall()
    exports = {p: (rows, sha) for kind, p, _, _, rows, sha, _ in lines if kind == "export"}
    folders = sorted(p for p in (out / "exports").iterdir() if p.is_dir())
    assert folders and sorted(exports) == [f.name for f in folders]  # one export line per practice folder
    for folder in folders:
        rows, sha = exports[folder.name]
        assert sha == _files_digest(folder)
        assert rows == _flag_rows(folder / "flags.csv")
        assert (sha, rows) == _digest_and_rows(folder)  # what reading the files back gave before
    delivered = [(p, target, rows, sha) for kind, p, channel, target, rows, sha, status in lines if kind == "delivery"]
    assert delivered
    for practice, target, rows, sha in delivered:
        assert (rows, sha) == exports[practice]
    outbox = [(p, t, sha) for kind, p, channel, t, _, sha, status in lines if channel == "outbox" and status == "ok"]
    assert outbox  # the synthetic extract has practices without a MESH mailbox
    for practice, target, sha in outbox:
        sent = Path(target) / f"{report.as_of.isoformat()}_{report.run_id}"  # <outbox>/<practice>/<as_of>_<run>
        assert _files_digest(sent) == sha
