"""The letter writer process: creates the letter files it is sent, and nothing else (issue 16).

Run by ``render.LetterWriter`` as ``python -I -S filewriter.py <threads>``: it imports only
the standard library's ``os``, ``sys``, ``struct``, ``threading`` and ``queue`` (no package,
no Polars; it starts in a few milliseconds), so the file system calls of ~90,000 letters run
under a GIL of their own instead of the run's, beside Jinja and the exports thread.

The practice folders are opened by the parent and handed over as inherited descriptors
(``pass_fds``); every file is created relative to one (``openat``), private (0600).

Standard input, one message after another:

* ``B`` + ``=IQ`` (letters, payload bytes) + payload: ``letters`` × ``=III`` (folder
  descriptor, name bytes, body bytes), then the names one after another, then the bodies;
* ``E``: the end; the process answers ``OK`` on standard output once every file is closed.

Any failure answers ``ERR <errno> <what failed>`` (the error's number and the system's words,
or the exception's kind; never a file name: the names are NHS numbers) and exits 1. End of input before ``E`` (the parent
died or gave up) exits 2 at once, without a word.
"""

from __future__ import annotations

import os
import queue
import struct
import sys
import threading

TYPE_CHECKING = False  # (typing.TYPE_CHECKING without importing typing; mypy reads the block)
if TYPE_CHECKING:
    from typing import BinaryIO, NoReturn

_HEAD = struct.Struct("=IQ")
_META = struct.Struct("=III")
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def _answer(line: str) -> None:
    os.write(1, (line + "\n").encode("utf-8", "replace"))


def _fail(exc: BaseException) -> NoReturn:
    if isinstance(exc, OSError):  # its number and words, no filename: that is a person's NHS number
        what = f"{exc.errno or 0} {exc.strerror or type(exc).__name__}"
    else:
        what = f"0 {type(exc).__name__}"
    _answer("ERR " + what)
    os._exit(1)


def _write(batch: tuple[memoryview, memoryview, memoryview]) -> None:
    meta, names, bodies = batch
    n_at = b_at = 0
    for dir_fd, n_len, b_len in _META.iter_unpack(meta):
        name = bytes(names[n_at : n_at + n_len])
        n_at += n_len
        body = bodies[b_at : b_at + b_len]
        b_at += b_len
        fd = os.open(name, _FLAGS, 0o600, dir_fd=dir_fd)
        try:
            while body:
                body = body[os.write(fd, body) :]
        finally:
            os.close(fd)


def _worker(work: queue.Queue[tuple[memoryview, memoryview, memoryview] | None]) -> None:
    while True:
        batch = work.get()
        if batch is None:
            return
        try:
            _write(batch)
        except BaseException as exc:  # noqa: BLE001 - one line, then the whole process stops
            _fail(exc)


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        os._exit(2)  # end of input: the parent is gone
    return data


def main(argv: list[str]) -> int:
    threads = max(1, int(argv[1])) if len(argv) > 1 else 1
    stream = os.fdopen(0, "rb", buffering=1 << 20)
    work: queue.Queue[tuple[memoryview, memoryview, memoryview] | None] = queue.Queue(maxsize=2 * threads)
    workers = [threading.Thread(target=_worker, args=(work,), daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    try:
        while True:
            kind = stream.read(1)
            if kind == b"E":
                break
            if kind != b"B":
                os._exit(2)  # end of input (or not our parent talking): stop without a word
            count, size = _HEAD.unpack(_read_exact(stream, _HEAD.size))
            payload = memoryview(_read_exact(stream, size))
            meta_end = count * _META.size
            meta = payload[:meta_end]
            names_len = sum(n for _, n, _ in _META.iter_unpack(meta))
            work.put((meta, payload[meta_end : meta_end + names_len], payload[meta_end + names_len :]))
        for _ in workers:
            work.put(None)
        for w in workers:
            w.join()
    except BaseException as exc:  # noqa: BLE001
        _fail(exc)
    _answer("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
