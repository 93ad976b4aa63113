"""Clinical code lists: SNOMED CT concept lists and BNF-prefix medicine lists.

Every list lives in ``config/codelists/`` as a ``code,term`` CSV, described in
``config/codelists/manifest.toml`` (kind, whether the concept carries a value,
source, release and sha256 of the file). A user can drop an official NHS refset
file for a concept into ``config/codelists/refsets/<concept>.txt`` (RF2 tab-separated
with a ``referencedComponentId`` column) or ``<concept>.csv`` (``code,term``); it is
then used instead of the shipped list and the run records that it was overridden.
"""

from __future__ import annotations

import csv
import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from longerlives.errors import CodelistError
from longerlives.paths import CODELIST_DIR

SNOMED_RE = re.compile(r"^[0-9]{6,18}$")
BNF_PREFIX_RE = re.compile(r"^[0-9A-Z]{2,15}$")
KINDS = ("snomed", "bnf_prefix")


@dataclass(frozen=True)
class Codelist:
    concept: str
    kind: str  # "snomed" | "bnf_prefix"
    codes: tuple[str, ...]
    terms: tuple[str, ...]
    valued: bool
    description: str
    source: str
    release: str
    sha256: str
    path: str
    exclude_prefixes: tuple[str, ...] = ()
    overridden: bool = False
    excluded_codes: tuple[str, ...] = ()  # members of the published list the engine leaves out


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_code_term_csv(path: Path) -> tuple[list[str], list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or "code" not in reader.fieldnames:
            raise CodelistError(f"{path}: expected a header with columns code,term")
        codes, terms = [], []
        for row in reader:
            codes.append((row.get("code") or "").strip())
            terms.append((row.get("term") or "").strip())
    return codes, terms


def _read_rf2_refset(path: Path) -> tuple[list[str], list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        if reader.fieldnames is None or "referencedComponentId" not in reader.fieldnames:
            raise CodelistError(f"{path}: an NHS refset file needs a tab-separated header with referencedComponentId")
        codes = []
        for row in reader:
            if row.get("active", "1").strip() in ("1", ""):
                codes.append(row["referencedComponentId"].strip())
    return codes, ["" for _ in codes]


def _check_codes(concept: str, kind: str, codes: list[str], path: Path) -> None:
    pattern = SNOMED_RE if kind == "snomed" else BNF_PREFIX_RE
    for line, code in enumerate(codes, start=2):
        if not pattern.match(code):
            raise CodelistError(
                f"{path}, line {line}: {code!r} is not a valid "
                f"{'SNOMED CT concept id' if kind == 'snomed' else 'BNF code prefix'} "
                f"(concept {concept})"
            )
    if not codes:
        raise CodelistError(f"{path}: code list for {concept} is empty")


def load_codelists(directory: Path | None = None, verify_sha: bool = True) -> dict[str, Codelist]:
    """Load and check every code list named in the manifest."""
    directory = Path(directory) if directory else CODELIST_DIR
    manifest_path = directory / "manifest.toml"
    if not manifest_path.exists():
        raise CodelistError(f"{manifest_path}: code-list manifest not found")
    with manifest_path.open("rb") as fh:
        manifest = tomllib.load(fh)
    out: dict[str, Codelist] = {}
    for concept, entry in sorted(manifest.get("concepts", {}).items()):
        kind = entry.get("kind")
        if kind not in KINDS:
            raise CodelistError(f"{manifest_path}: concept {concept} has kind {kind!r}; expected one of {KINDS}")
        path = directory / entry["file"]
        overridden = False
        override_txt = directory / "refsets" / f"{concept}.txt"
        override_csv = directory / "refsets" / f"{concept}.csv"
        if override_txt.exists():
            codes, terms = _read_rf2_refset(override_txt)
            path, overridden = override_txt, True
        elif override_csv.exists():
            codes, terms = _read_code_term_csv(override_csv)
            path, overridden = override_csv, True
        else:
            if not path.exists():
                raise CodelistError(f"{path}: code list for {concept} is missing")
            codes, terms = _read_code_term_csv(path)
            if verify_sha and entry.get("sha256") and file_sha256(path) != entry["sha256"]:
                raise CodelistError(
                    f"{path}: sha256 does not match manifest.toml; after a reviewed change, put the new "
                    f"sha256 ({file_sha256(path)}) in manifest.toml (see `longerlives codelists`)"
                )
        _check_codes(concept, kind, codes, path)
        # A whole published list stays byte-identical on disk; members that must not count
        # (e.g. a non-diabetic code inside DMTYPE1_COD) are named with a reason in the manifest.
        excluded = tuple(sorted(entry.get("exclude_codes", {})))
        if excluded:
            keep = [i for i, c in enumerate(codes) if c not in set(excluded)]
            codes, terms = [codes[i] for i in keep], [terms[i] for i in keep]
        out[concept] = Codelist(
            concept=concept,
            kind=kind,
            codes=tuple(codes),
            terms=tuple(terms),
            valued=bool(entry.get("valued", False)),
            description=entry.get("description", ""),
            source=entry.get("source", ""),
            release=entry.get("release", ""),
            sha256=file_sha256(path),
            path=str(path),
            exclude_prefixes=tuple(entry.get("exclude_prefixes", ())),
            overridden=overridden,
            excluded_codes=excluded,
        )
    return out


def load_pending(directory: Path | None = None) -> dict[str, dict]:
    """Concepts the manifest lists as ``[pending.<concept>]``: known to be needed, no list yet.

    Features still carry their columns (always empty) so rules can run, and run.json
    names them so nobody mistakes "no list" for "no record".
    """
    directory = Path(directory) if directory else CODELIST_DIR
    with (directory / "manifest.toml").open("rb") as fh:
        return dict(sorted(tomllib.load(fh).get("pending", {}).items()))


def snomed_concept_map(codelists: dict[str, Codelist]) -> pl.DataFrame:
    """One row per (code, concept); a code may belong to several concepts."""
    rows = [(code, cl.concept) for cl in codelists.values() if cl.kind == "snomed" for code in cl.codes]
    return (
        pl.DataFrame(rows, schema={"code": pl.String, "concept": pl.String}, orient="row")
        .unique()
        .sort("code", "concept")
    )


def bnf_prefix_lists(codelists: dict[str, Codelist]) -> dict[str, Codelist]:
    return {k: v for k, v in codelists.items() if v.kind == "bnf_prefix"}


def bnf_match_expr(cl: Codelist, column: str = "bnf_code") -> pl.Expr:
    """True where ``column`` starts with one of the list's prefixes and none of its exclusions."""
    col = pl.col(column)
    hit = pl.any_horizontal([col.str.starts_with(p) for p in cl.codes])
    if cl.exclude_prefixes:
        hit = hit & ~pl.any_horizontal([col.str.starts_with(p) for p in cl.exclude_prefixes])
    return hit


def manifest_hash(codelists: dict[str, Codelist]) -> str:
    h = hashlib.sha256()
    for concept in sorted(codelists):
        h.update(f"{concept}:{codelists[concept].sha256}\n".encode())
    return h.hexdigest()
