"""Bulk letter rendering: templates compiled once, one tight loop, minimal file I/O.

``letter_rows`` prepares everything a template needs in one vectorised pass (names,
address, practice and team contacts, items due by group, urgency); the loop
then only renders and writes. Templates: ``templates/letters/<language>/<kind>.html.j2``
(Jinja2, StrictUndefined, autoescape on).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import re
import struct
import subprocess
import sys
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import polars as pl
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from longerlives.columnwise import beside, sorted_by
from longerlives.errors import OutputError
from longerlives.failures import io_hint
from longerlives.letters.context import LetterContext, LetterInputs
from longerlives.letters.grouped import block_rows, render_grouped
from longerlives.letters.itemkeys import ItemTexts, item_texts, shape_environment
from longerlives.letters.pdf import PDF_BATCH_LETTERS, write_pdfs  # noqa: F401  (re-exported: the --pdf path)
from longerlives.letters.pictures import PICTURE_CREDIT, picture_uris
from longerlives.letters.tokens import Split, split_rendered
from longerlives.outreach.items import GROUPS, flag_items_frame
from longerlives.paths import LETTER_TEMPLATES_DIR
from longerlives.settings.letters import LetterSettings

log = logging.getLogger(__name__)
WRITER_SCRIPT = Path(__file__).with_name("filewriter.py")  # the letter writer process (no package imports)
SHAPE_SCRIPT = Path(__file__).with_name("shapeworker.py")  # the shape renderer process (Jinja2 only)
TOKENS_FILE = Path(__file__).with_name("tokens.py")  # loaded by path there (standard library only)
_HEAD = struct.Struct("=IQ")  # a writer message's letter count and payload size (filewriter.py)
WRITE_BATCH = 256  # letters per writer message (about 1 MB)
MAX_PENDING = 32  # writer messages queued at most (about 8,000 letters, 35 MB)
# letter shapes rendered (in the shape process) before their letters are filled in: 256, not 1024,
# since item keys (session 10) — 42 % of the 4,144 shapes are then easy-read letters with their
# pictures inline (45 kB each), held several times over while a block is in flight: 1024 cost
# 460 MB peak for the letters stage alone at 100,000 people, 256 cost 341 MB (wall the same)
SHAPE_BLOCK = 256
SHAPE_PROCESSES = 2  # shape renderer processes, fed blocks in turn (session 8)
FILL_CHUNK = 8192  # letters filled in by Polars at a time
_SAFE = re.compile(r"[^A-Za-z0-9_-]")
ADDRESS = ("address_line_1", "address_line_2", "address_line_3", "address_line_4", "postcode")
# what the letters' rows read of the people
PEOPLE_READ = ("nhs_number", "practice_code", "core_team", "title", "given_name", "family_name", *ADDRESS)


# The letters' Jinja environment, here and in the shape renderer process (shapeworker.py)
ENV_OPTIONS: dict[str, Any] = {
    "autoescape": True,
    "undefined": StrictUndefined,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "auto_reload": False,
}


def environment(templates_dir: Path = LETTER_TEMPLATES_DIR) -> Environment:
    return Environment(loader=FileSystemLoader(str(templates_dir)), **ENV_OPTIONS)


def available_templates(templates_dir: Path = LETTER_TEMPLATES_DIR) -> set[tuple[str, str]]:
    """(language, kind) pairs that have a template, e.g. {("en", "letter"), ("pl", "letter")}."""
    return {
        (p.parent.name, p.name.removesuffix(".html.j2"))
        for p in templates_dir.glob("*/*.html.j2")
        if not p.name.startswith("_")
    }


def _str(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String)


def letter_rows(inputs: LetterInputs) -> pl.DataFrame:
    """One row per letter to send: exactly the ``LETTER_ROW`` columns the templates read as ``p``.

    The urgency is the plan's (the most urgent of the person's open flags); a plan without
    one counts as ``soon`` when it has a safety item. No risk score is carried: letters
    never show one (run-outputs-v2)."""
    decisions, people, flags, plans = inputs.decisions, inputs.people, inputs.flags, inputs.plans
    practices, teams = inputs.practices, inputs.teams
    send = decisions.filter(pl.col("send"))
    # Each group's items a person has, in the group's order: one group's flags at a time, by their two
    # key columns alone (the flags joined whole to the item table, then grouped by person and group,
    # held 840 MB at 600,000 people for a 58 MB result; issue 16, session 18).
    keyed = flags.select("nhs_number", "flag")
    items = flag_items_frame()
    wide = send.select("nhs_number")
    for g in GROUPS:
        mine = items.filter(pl.col("group") == g)
        part = (
            keyed.filter(pl.col("flag").is_in(mine["flag"].to_list()))
            .with_columns(pl.col("flag").replace_strict(mine["flag"], mine["order"]).alias("_order"))
            .sort("nhs_number", "_order")
            .group_by("nhs_number", maintain_order=True)
            .agg(pl.col("flag").alias(g))
        )
        wide = wide.join(part, on="nhs_number", how="left").with_columns(pl.col(g).fill_null([]))
    open_flags = flags.group_by("nhs_number").agg(pl.col("flag").alias("_flags"))
    p = people.select([c for c in PEOPLE_READ if c in people.columns])
    # each table's columns laid beside the letters' rows, not every column copied by every join (issue 16)
    urgency = plans.select("nhs_number", "has_safety", pl.col("urgency").alias("_urgency"))
    rows = beside(send, [p, wide, open_flags, urgency])
    prac = (
        practices if practices is not None and practices.height else pl.DataFrame(schema={"practice_code": pl.String})
    )
    rows = beside(
        rows,
        [
            prac.select(
                "practice_code",
                _str(prac, "name").alias("practice_name"),
                _str(prac, "phone").alias("practice_phone"),
                _str(prac, "address").alias("practice_address"),
            )
        ],
        on="practice_code",
    )
    team = teams if teams is not None and teams.height else pl.DataFrame(schema={"team_code": pl.String})
    rows = beside(
        rows,
        [
            team.select(
                pl.col("team_code").alias("core_team"),
                _str(team, "name").alias("team_name"),
                _str(team, "phone").alias("team_phone"),
                _str(team, "email").alias("team_email"),
            )
        ],
        on="core_team",
    )
    safety = pl.col("has_safety").fill_null(False)
    urgency_expr = (
        pl.when(pl.col("_urgency").is_in(["same_day", "soon"]))
        .then(pl.col("_urgency"))
        .when(safety)
        .then(pl.lit("soon"))
        .otherwise(pl.lit("routine"))
    )
    nhs = pl.col("nhs_number")
    letters = rows.select(
        "nhs_number",
        "format",
        "language",
        "template",
        "interpreter_offer",
        pl.col("practice_code").fill_null("unknown").str.replace_all(_SAFE.pattern, "_").alias("practice_dir"),
        pl.col("title").fill_null(""),
        pl.col("given_name").fill_null(""),
        pl.col("family_name").fill_null(""),
        pl.concat_list([pl.col(c) for c in ADDRESS if c in rows.columns]).list.drop_nulls().alias("address"),
        pl.concat_str(nhs.str.slice(0, 3), nhs.str.slice(3, 3), nhs.str.slice(6, 4), separator=" ").alias("nhs_spaced"),
        "practice_name",
        "practice_phone",
        "practice_address",
        "team_name",
        "team_phone",
        "team_email",
        *GROUPS,
        urgency_expr.alias("urgency"),
        (urgency_expr != "routine").alias("urgent"),
        pl.when(urgency_expr != "routine")
        .then(pl.lit("urgent_invitation"))
        .otherwise(pl.lit("health_check_invitation"))
        .alias("letter"),
    )  # LETTER_ROW (letters/context.py)
    del rows
    return sorted_by(letters, ["nhs_number"])  # the decisions come in NHS-number order: no second copy


def render_all(
    rows: pl.DataFrame,
    out_dir: Path,
    as_of: date,
    settings: LetterSettings,
    env: Environment | None = None,
) -> list[str]:
    """Render and write every letter; returns paths relative to ``out_dir`` (row order).

    All in this process, no worker processes and no ``fork`` (safe beside other stages run
    on other threads): Jinja renders each letter shape once on the calling thread (it holds
    the GIL), Polars fills in the personal fields, and ``settings.render_workers`` threads create the
    files (system calls release the GIL) while the next shapes are rendered. Spawning worker
    processes cost each one 1–2 CPU seconds of imports and the rows' pickling
    (docs/benchmarks-output.md, "Session 5, letters")."""
    return _render_serial(rows, out_dir, as_of, settings, env)


def _paths(rows: pl.DataFrame) -> list[str]:
    """Each letter's path relative to the output folder: letters/<practice>/<nhs_number>.html."""
    return rows.select(
        pl.concat_str(pl.lit("letters/"), "practice_dir", pl.lit("/"), "nhs_number", pl.lit(".html")).alias("p")
    )["p"].to_list()


class _Row(dict[str, Any]):
    """A letter row whose fields are also attributes: Jinja's ``p.<field>`` finds them at the
    first ``getattr`` instead of failing over to ``p[<field>]`` (same values, same output)."""

    def __init__(self, row: dict[str, Any]) -> None:
        super().__init__(row)
        self.__dict__ = self


def _format_variables(as_of: date, settings: LetterSettings) -> dict[str, dict[str, Any]]:
    """Each format's template variables (``LetterContext``) but the person's row ``p``."""
    fonts = {
        "standard": settings.base_font_pt,
        "large_print": settings.large_print_font_pt,
        "easy_read": settings.easy_read_font_pt,
    }
    out: dict[str, dict[str, Any]] = {}
    for fmt, font_pt in fonts.items():
        variables = LetterContext(
            p={},
            as_of=as_of,
            font_pt=font_pt,
            large_print=fmt != "standard",
            pictures=picture_uris(),
            picture_credit=PICTURE_CREDIT,
            large_print_reasons_max=settings.large_print_reasons_max_items,
            standard_reasons_max=settings.standard_reasons_max_items,
        ).variables()
        del variables["p"]
        out[fmt] = variables
    return out


def _row_renderer(env: Environment, as_of: date, settings: LetterSettings) -> Callable[[dict[str, Any]], str]:
    """Render one ``LETTER_ROW`` dict with its template (Jinja, the reference implementation)."""
    compiled: dict[str, Any] = {}
    by_format = _format_variables(as_of, settings)

    def render(r: dict[str, Any]) -> str:
        tpl = compiled.get(r["template"])
        if tpl is None:
            tpl = compiled[r["template"]] = env.get_template(r["template"])
        return tpl.render({**by_format[r["format"]], "p": _Row(r)})

    return render


def _render_serial(
    rows: pl.DataFrame,
    out_dir: Path,
    as_of: date,
    settings: LetterSettings,
    env: Environment | None = None,
    grouped: bool = True,
) -> list[str]:
    """Render and write ``rows``' letters in this process; paths relative to ``out_dir`` in row order.

    ``grouped`` (the default): Jinja once per letter shape, personal fields filled in by
    Polars (``grouped.py``); otherwise Jinja once per person (the reference implementation,
    byte for byte the same letters)."""
    own_env = env is None  # the shipped templates: their shapes can be rendered in the shape process
    env = env or environment()
    render_row = _row_renderer(env, as_of, settings)
    paths = _paths(rows)
    if rows.height == 0:
        return paths
    folders = rows["practice_dir"].unique().sort().to_list()
    for d in folders:
        (out_dir / "letters" / d).mkdir(parents=True, exist_ok=True)
    # One descriptor per practice folder: each letter is created relative to it (openat), so
    # the kernel does not walk the whole output path again for each of ~90,000 files.
    fds = {d: os.open(out_dir / "letters" / d, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) for d in folders}
    try:
        with contextlib.ExitStack() as stack:
            pieces: Iterator[tuple[pl.DataFrame, pl.Series]]
            if grouped:
                # item lists as keys in the shapes of the templates that allow it (itemkeys.py, session 10)
                items = item_texts(env, rows["template"].unique().to_list())
                render_shape = (
                    _row_renderer(shape_environment(env, items), as_of, settings) if items is not None else render_row
                )
                shaper = stack.enter_context(ShapeRenderer(as_of, settings, render_shape, items)) if own_env else None
                blocks = shaper.render_blocks if shaper is not None else None
                grouped_pieces = render_grouped(
                    rows, render_row, FILL_CHUNK, SHAPE_BLOCK, blocks, items=items, render_shape=render_shape
                )
                pieces = ((part, html) for part, html, _ in grouped_pieces)
            else:
                pieces = _one_by_one(rows, render_row)
            _write_pieces(pieces, fds, settings.render_workers)
    finally:
        for fd in fds.values():
            os.close(fd)
    return paths


def _one_by_one(
    rows: pl.DataFrame, render_row: Callable[[dict[str, Any]], str]
) -> Iterator[tuple[pl.DataFrame, pl.Series]]:
    for start in range(0, rows.height, WRITE_BATCH):
        part = rows.slice(start, WRITE_BATCH)
        yield part, pl.Series("html", [render_row(r) for r in part.iter_rows(named=True)], dtype=pl.String)


def _write_pieces(pieces: Iterable[tuple[pl.DataFrame, pl.Series]], fds: dict[str, int], threads: int) -> None:
    """Send each piece's letters (``practice_dir``, ``nhs_number`` name the file) to the writer process.

    The payloads are built by Polars and NumPy (no Python per letter here); one feeder thread
    writes them to the writer's pipe (the GIL is released while the pipe is full), at most
    ``MAX_PENDING`` waiting, so memory stays flat however many letters there are."""
    pending: deque[Future[None]] = deque()
    with LetterWriter(fds, threads) as writer, ThreadPoolExecutor(1, thread_name_prefix="letters-feed") as feed:
        for part, html in pieces:
            for payload in _payloads(part, html, fds):
                pending.append(feed.submit(writer.send, payload))
                while len(pending) > MAX_PENDING:
                    pending.popleft().result()  # re-raise a writer failure
        while pending:
            pending.popleft().result()


def _payloads(part: pl.DataFrame, html: pl.Series, fds: dict[str, int]) -> Iterator[bytes]:
    """``WRITE_BATCH`` letters at a time as writer messages (``filewriter.py``): ``B``, the count and
    the payload size, then each letter's (folder descriptor, name bytes, body bytes), the names, the bodies."""
    where = part.select(
        pl.col("practice_dir").replace_strict(fds, return_dtype=pl.UInt32).alias("fd"),
        pl.concat_str("nhs_number", pl.lit(".html")).alias("name"),
    )
    names, bodies = where["name"], html
    meta = np.column_stack(
        [where["fd"].to_numpy(), names.str.len_bytes().to_numpy(), bodies.str.len_bytes().to_numpy()]
    ).astype(np.uint32)
    for s in range(0, len(meta), WRITE_BATCH):
        n = min(WRITE_BATCH, len(meta) - s)
        chunk = meta[s : s + n].tobytes()
        # the batch's names and bodies as bytes straight from Polars (no Python string of them)
        n_part = names.slice(s, n).str.join("").cast(pl.Binary).item()
        b_part = bodies.slice(s, n).str.join("").cast(pl.Binary).item()
        yield b"".join((b"B", _HEAD.pack(n, len(chunk) + len(n_part) + len(b_part)), chunk, n_part, b_part))


class LetterWriter:
    """The writer process (``filewriter.py``, ``python -I -S``: no package imports) fed through a pipe.

    Started with the practice folders' descriptors (inherited, same numbers), ``threads`` creating
    files in it. ``send`` hands over one message; leaving the ``with`` block cleanly sends the end
    and waits for the writer's ``OK``. Any failure (the writer could not create a file, died, or
    answered nothing) raises ``OutputError`` with one line and no file name; leaving the block
    with an error stops the writer (its input closes: it exits at once)."""

    def __init__(self, fds: dict[str, int], threads: int) -> None:
        self._fds = tuple(sorted(set(fds.values())))
        self._threads = threads
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LetterWriter:
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(WRITER_SCRIPT), str(self._threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # it says what failed on standard output, in one line
            pass_fds=self._fds,
            bufsize=0,
        )
        assert self._proc.stdin is not None
        with contextlib.suppress(OSError, AttributeError):  # a larger pipe: fewer waits (Linux only)
            fcntl.fcntl(self._proc.stdin.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        return self

    def send(self, message: bytes) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        fd, view = self._proc.stdin.fileno(), memoryview(message)
        try:
            while view:
                view = view[os.write(fd, view) :]
        except (BrokenPipeError, ValueError, OSError):
            raise self._failure() from None

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        if kind is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # end of input before the end message: the writer stops at once
            proc.wait()
            return
        try:
            proc.stdin.write(b"E")
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            raise self._failure() from None
        answer = proc.stdout.read() if proc.stdout else b""
        if proc.wait() != 0 or answer.strip() != b"OK":
            raise self._failure(answer)

    def _failure(self, answer: bytes | None = None) -> OutputError:
        proc = self._proc
        assert proc is not None
        if answer is None:
            with contextlib.suppress(OSError):
                proc.stdin.close() if proc.stdin else None
            answer = proc.stdout.read() if proc.stdout else b""
        code = proc.wait()
        said = answer.decode("utf-8", "replace").strip()
        if said.startswith("ERR "):
            number, _, words = said.removeprefix("ERR ").partition(" ")
            why = io_hint(int(number) if number.isdigit() else None, words)
        else:
            why = f"the writer process stopped (exit {code})"
        return OutputError(f"letters: could not write the letter files: {why}")


class ShapeRenderer:
    """The shape renderer processes (``shapeworker.py``, ``python -I``: Jinja2 only), fed blocks of
    placeholder rows (no person's details) through pipes, in turn, one block ahead each.

    ``render_blocks`` answers each block's shapes split at their tokens (``tokens.split_rendered``,
    done in the other process too) in order while the next blocks render there. A block a
    process cannot answer (a template error, the process gone) is rendered and split here with
    ``render_row`` instead: the same letters, and Jinja's own error if there is one.

    Two processes (session 8): with one, the letters stage's last seconds used about one core —
    the run filling and writing letters waited for shapes while the other core was idle."""

    def __init__(
        self,
        as_of: date,
        settings: LetterSettings,
        render_row: Callable[[dict[str, Any]], str],
        items: ItemTexts | None = None,
        processes: int = SHAPE_PROCESSES,
    ) -> None:
        """``render_row`` renders a placeholder row here (a block a process cannot answer): with
        ``items``, it must be a shape environment's renderer (``itemkeys.shape_environment``)."""
        patches = items.patches() if items is not None else []
        self._setup = (
            str(LETTER_TEMPLATES_DIR),
            ENV_OPTIONS,
            _format_variables(as_of, settings),
            str(TOKENS_FILE),
            patches,
        )
        self._render_row = render_row
        self._n = max(1, processes)
        self._procs: list[subprocess.Popen[bytes]] = []
        self._ask_threads = [ThreadPoolExecutor(1, thread_name_prefix="letters-shapes") for _ in range(self._n)]
        self._alive = [True] * self._n
        self._told = False

    def __enter__(self) -> ShapeRenderer:
        for k in range(self._n):
            self._procs.append(
                subprocess.Popen(
                    [sys.executable, "-I", str(SHAPE_SCRIPT)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,  # it renders placeholders only; a failure is rendered again here
                )
            )
            self._ask_threads[k].submit(self._send, k, self._setup)
        return self

    def __exit__(self, *_: object) -> None:
        for thread in self._ask_threads:
            thread.shutdown(wait=True)
        for proc in self._procs:
            for stream in (proc.stdin, proc.stdout):
                with contextlib.suppress(OSError):
                    stream.close() if stream else None
            proc.wait()

    def _send(self, k: int, message: object) -> None:
        stdin = self._procs[k].stdin
        assert stdin is not None
        try:
            pickle.dump(message, stdin, protocol=pickle.HIGHEST_PROTOCOL)
            stdin.flush()
        except (OSError, ValueError):
            self._gone(k)

    def _gone(self, k: int) -> None:
        if self._alive[k] and not self._told:
            log.warning("letters: the shape renderer process stopped; the letter shapes are rendered in the run")
            self._told = True
        self._alive[k] = False

    def _ask(self, k: int, block: dict[str, list[Any]]) -> list[Split | None] | None:
        if not self._alive[k]:
            return None
        self._send(k, block)
        stdout = self._procs[k].stdout
        assert stdout is not None
        try:
            answer = pickle.load(stdout) if self._alive[k] else None
        except (EOFError, OSError, pickle.UnpicklingError):
            self._gone(k)
            return None
        rows = len(next(iter(block.values()), []))
        return answer if isinstance(answer, list) and len(answer) == rows else None

    def render_blocks(self, blocks: Iterator[dict[str, list[Any]]]) -> Iterator[list[Split | None]]:
        ahead: deque[tuple[dict[str, list[Any]], Future[list[Split | None] | None]]] = deque()
        for i, block in enumerate(blocks):
            k = i % self._n  # in turn: each process's answers come back in the order asked
            ahead.append((block, self._ask_threads[k].submit(self._ask, k, block)))
            if len(ahead) > self._n:
                yield self._answer(*ahead.popleft())
        while ahead:
            yield self._answer(*ahead.popleft())

    def _answer(self, block: dict[str, list[Any]], asked: Future[list[Split | None] | None]) -> list[Split | None]:
        splits = asked.result()
        return splits if splits is not None else [split_rendered(self._render_row(r)) for r in block_rows(block)]
