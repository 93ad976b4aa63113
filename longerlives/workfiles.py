"""A block of people's frames between the pipeline's passes over the register (issue 16, memory).

The register is worked a block of people at a time; between the first pass (features → risk →
rules → outreach's score) and the last (outreach's selection and plans) each block's people and
flags wait for the whole cohort's ranking. With more than one block they wait in the run's work
folder rather than in memory, so the first pass holds one block at a time; a register of one block
keeps its frames as they are. Parquet, uncompressed and without statistics: at 600,000 people (five
blocks, 45 MB of files a block) written in 0.89 s and read back in 0.43 s, against 0.77 and 0.96 s
for uncompressed Arrow IPC files three times the size (issue 16, session 29).

The work folder is inside the run's staging folder, removed when the run ends (or fails), and
written private like every file of a run (privacy.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from longerlives.extract.validate import io_errors_named


@dataclass(frozen=True)
class Waiting:
    """One block's named frames: held, or written to ``paths`` and read back by ``take``."""

    held: dict[str, pl.DataFrame]
    paths: dict[str, Path]

    def scan(self, name: str) -> pl.LazyFrame:
        """One frame, lazily, leaving it waiting: held, or its work file scanned (a group of teams or
        practices is read from every block this way; issue 16, session 31)."""
        return self.held[name].lazy() if self.held else pl.scan_parquet(self.paths[name])

    def read(self) -> dict[str, pl.DataFrame]:
        """The frames, read back in full and left waiting (the output half reads each block twice: its
        files beside the letters on one thread, its letters on the other; issue 16, session 31)."""
        if self.held:
            return dict(self.held)
        return {name: pl.read_parquet(path) for name, path in self.paths.items()}

    def take(self) -> dict[str, pl.DataFrame]:
        """The frames, read back in full (the work files are removed once read)."""
        if self.held:
            return dict(self.held)
        frames = {name: pl.read_parquet(path) for name, path in self.paths.items()}
        for path in self.paths.values():
            path.unlink(missing_ok=True)
        return frames


@dataclass(frozen=True)
class Gathered:
    """Frames of everybody made a block of people at a time: each block's part waits where ``wait`` put it
    (held for a register of one block, else written as it is made), and the parts are read as one frame,
    in block order. No part is held past its own block and the whole is never stacked in memory (issue 16,
    session 36: everybody's kept columns, flags' keys and worklist keys, 116 MB at 600,000 people, were held
    to the last block and stacked there: the output half's start)."""

    parts: tuple[Waiting, ...]
    names: tuple[str, ...]

    def scan(self, name: str) -> pl.LazyFrame:
        """The parts of ``name``, lazily, one after another."""
        if not self.parts:
            raise ValueError(f"no part of {name} is waiting")
        if self.parts[0].held:
            return pl.concat([part.scan(name) for part in self.parts], how="vertical")
        return pl.scan_parquet([part.paths[name] for part in self.parts])

    def read(self) -> dict[str, pl.DataFrame]:
        """Every frame of ``names``, read in full (the parts left waiting)."""
        return {name: self.scan(name).collect() for name in self.names}


def wait(frames: dict[str, pl.DataFrame], folder: Path | None, label: str) -> Waiting:
    """``frames`` kept until ``take``: written to ``folder`` as ``<label>.<name>.parquet`` when a
    folder is given, else held as they are."""
    if folder is None:
        return Waiting(dict(frames), {})
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in frames.items():
        path = folder / f"{label}.{name}.parquet"
        with io_errors_named():  # a full or read-only work folder is named as such
            frame.write_parquet(path, compression="uncompressed", statistics=False)
        paths[name] = path
    return Waiting({}, paths)
