"""Issue 12: permission denied, for real — an unreadable extract, an unwritable output folder,
an unwritable run store. The tests run as root, and root reads and writes everything, so the
command runs without that power (``setpriv`` from util-linux, which Debian always installs):

* as the unprivileged user 65534 (``setpriv --reuid=65534 --regid=65534 --clear-groups``)
  when that user can run this Python; the files it must not touch belong to root;
* otherwise (this machine's Python lives under ``/root``, which 65534 cannot enter) as root
  with every capability dropped (``setpriv --bounding-set=-all --inh-caps=-all``): the kernel
  then applies file permissions to root too, and the files it must not touch belong to 65534.

No user account needs to exist (numeric ids). Each case: exit status 74, one line naming
the file or folder, no traceback, nothing half-written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from longerlives.errors import EXIT_IO
from longerlives.pipeline import run
from longerlives.store import dispose_all, open_store
from tests.security.conftest import AS_OF, REPO

NOBODY = 65534


@dataclass(frozen=True)
class Account:
    """How to run the command without root's power, and who owns what it may not touch."""

    prefix: tuple[str, ...]
    runs_as: int  # owner of the folders the command may write
    other: int  # owner of the files and folders it may not read or write


def _probe(prefix: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    code = "import longerlives; print(open('/proc/self/status').read())"
    return subprocess.run([*prefix, sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=False)


@pytest.fixture(scope="module")
def account() -> Account:
    as_nobody = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")
    if _probe(as_nobody).returncode == 0:
        return Account(as_nobody, NOBODY, 0)
    no_caps = ("setpriv", "--bounding-set=-all", "--inh-caps=-all")
    probe = _probe(no_caps)
    assert probe.returncode == 0, probe.stderr
    effective = [ln for ln in probe.stdout.splitlines() if ln.startswith("CapEff:")]
    assert effective == ["CapEff:\t0000000000000000"], "capabilities were not dropped"
    return Account(no_caps, 0, NOBODY)


@pytest.fixture
def place(account: Account, small_extract_master: Path) -> Iterator[Path]:
    """A folder every account can enter (pytest's own tmp folder is private to root)."""
    base = Path(tempfile.mkdtemp(prefix="longerlives-perm-"))
    base.chmod(0o755)
    shutil.copytree(small_extract_master, base / "extract")
    for folder in ("mine", "theirs"):
        (base / folder).mkdir()
    _own(base / "extract", account.runs_as, 0o755, 0o644)
    _own(base / "mine", account.runs_as, 0o755, 0o644)
    _own(base / "theirs", account.other, 0o755, 0o644)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _own(path: Path, uid: int, dir_mode: int, file_mode: int) -> None:
    for p in [path, *path.rglob("*")]:
        os.chown(p, uid, uid)
        p.chmod(dir_mode if p.is_dir() else file_mode)


def _cli(account: Account, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "MPLCONFIGDIR": str(home / ".mpl"), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [*account.prefix, sys.executable, "-m", "longerlives", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
        check=False,
    )


def _run(account: Account, place: Path, out: Path, db: Path) -> subprocess.CompletedProcess[str]:
    args = ["run", "--extract", str(place / "extract"), "--out", str(out), "--as-of", AS_OF.isoformat()]
    return _cli(account, *args, "--db", f"sqlite:///{db}", "--allow-future-as-of", home=place / "mine")


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("longerlives: error: ")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


def _debris(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".staging-" in p.name or ".old-" in p.name)


def test_extract_file_the_account_cannot_read_is_one_message_naming_it_and_nothing_is_written(
    account: Account, place: Path
) -> None:
    patients = place / "extract" / "patients.csv"
    os.chown(patients, account.other, account.other)
    patients.chmod(0o600)
    proc = _run(account, place, place / "mine" / "out", place / "mine" / "runs.sqlite")
    assert proc.returncode == EXIT_IO
    message = _one_line(proc)
    assert "permission denied" in message and "patients.csv" in message
    assert not (place / "mine" / "out").exists()
    assert _debris(place / "mine") == []
    dispose_all()
    runs = open_store(f"sqlite:///{place / 'mine' / 'runs.sqlite'}").runs()
    assert runs["status"].to_list() == ["failed"]  # recorded as failed, never left "running"


def test_extract_folder_the_account_cannot_enter_is_one_message(account: Account, place: Path) -> None:
    _own(place / "extract", account.other, 0o700, 0o600)
    proc = _run(account, place, place / "mine" / "out", place / "mine" / "runs.sqlite")
    assert proc.returncode == EXIT_IO
    assert "permission denied" in _one_line(proc)
    assert not (place / "mine" / "out").exists()


def test_output_folder_of_another_account_is_one_message_and_its_outputs_stay_whole(
    account: Account, place: Path
) -> None:
    theirs = place / "theirs" / "out"
    run(place / "extract", theirs, AS_OF, db_url=f"sqlite:///{place / 'theirs' / 'runs.sqlite'}")
    dispose_all()
    _own(place / "theirs", account.other, 0o700, 0o600)
    (place / "theirs").chmod(0o755)
    before = {p.relative_to(theirs): p.read_bytes() for p in theirs.rglob("*") if p.is_file()}

    proc = _run(account, place, theirs, place / "mine" / "runs.sqlite")
    assert proc.returncode == EXIT_IO
    message = _one_line(proc)
    assert "permission denied" in message and str(theirs) in message
    assert {p.relative_to(theirs): p.read_bytes() for p in theirs.rglob("*") if p.is_file()} == before
    assert _debris(place / "theirs") == []


def test_new_output_folder_in_a_folder_the_account_cannot_write_is_one_message(account: Account, place: Path) -> None:
    out = place / "theirs" / "out"
    proc = _run(account, place, out, place / "mine" / "runs.sqlite")
    assert proc.returncode == EXIT_IO
    message = _one_line(proc)
    assert "permission denied" in message and str(place / "theirs") in message
    assert not out.exists()
    assert _debris(place / "theirs") == []


def test_run_store_of_another_account_is_one_message_and_the_store_is_unchanged(account: Account, place: Path) -> None:
    db = place / "theirs" / "runs.sqlite"
    run(place / "extract", place / "theirs" / "earlier", AS_OF, db_url=f"sqlite:///{db}")
    before = open_store(f"sqlite:///{db}").runs()
    dispose_all()
    _own(place / "theirs", account.other, 0o755, 0o644)  # readable, not writable

    proc = _run(account, place, place / "mine" / "out", db)
    assert proc.returncode == EXIT_IO
    message = _one_line(proc)
    assert "permission denied" in message and str(place / "theirs") in message
    assert not (place / "mine" / "out").exists()
    assert _debris(place / "mine") == []
    after = open_store(f"sqlite:///{db}").runs()
    assert after.select("run_id", "status").equals(before.select("run_id", "status"))
    assert after["status"].to_list() == ["succeeded"]
