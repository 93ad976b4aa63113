"""A FHIR R4 Bundle of Flag resources for one practice (fhir.resources, R4B models:
Flag and Bundle have the same structure in R4 and R4B), each Flag in the UK Core Flag
profile (https://fhir.hl7.org.uk/StructureDefinition/UKCore-Flag, version 1.2.0).

One Flag per row of the practice's export (safety flags first, by urgency):
* ``meta.profile``: UK Core Flag;
* ``subject``: the patient by NHS number (``https://fhir.nhs.uk/Id/nhs-number``);
* ``author``: the issuing organisation, the practice, by ODS code
  (``https://fhir.nhs.uk/Id/ods-organization-code``);
* ``status`` ``active``; ``period.start`` = ``since``, or the as-of date when the day
  the gap began is not knowable (the flag is active at least from this run);
* ``category``: ``safety`` for ``safety.*`` flags, else ``clinical`` (HL7 flag-category);
* ``code``: a SNOMED CT coding for the finding or action where one exists
  (``config/fhir_flag_codes.csv``, each taken from a project code list), then the
  project's own coding (flag id, label); ``text`` = label, urgency, reason and the
  suggested action (the rule's plan words), then the flag id.

Ids are UUIDv5 of (NHS number, flag), so the same flags give the same bytes and a
receiving system can match a flag from one night to the next.
fhir.resources checks structure and cardinality, not value sets or profiles:
``check_bundle`` and ``check_values`` also check what the profile and this module rely on.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

from longerlives.outputs.flag_labels import flag_actions, flag_labels, snomed_codes
from longerlives.outputs.jsontext import json_string
from longerlives.outputs.urgency import URGENCY_WORDS

if TYPE_CHECKING:  # the models are imported where they validate (start-up, issue 16)
    from fhir.resources.R4B.bundle import Bundle

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
FLAG_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/flag-category"
SNOMED_SYSTEM = "http://snomed.info/sct"
UKCORE_FLAG_PROFILE = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Flag"
BUNDLE_ID_SYSTEM = "https://longerlives.nhs.uk/Id/practice-export"
_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://longerlives.nhs.uk/fhir/Flag")
CATEGORIES = {"safety": "Safety", "clinical": "Clinical"}


# FHIR R4 ``date`` (https://hl7.org/fhir/R4/datatypes.html#date), anchored: what fhir.resources
# checks on ``period.start``, checked here on every row at once.
_FHIR_DATE = r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$"


class FhirExportError(RuntimeError):
    pass


def flag_uuid(nhs_number: str, flag: str) -> str:
    return str(uuid.uuid5(_NS, f"{nhs_number}|{flag}"))


def _category(flag: str) -> str:
    return "safety" if flag.startswith("safety.") else "clinical"


def _text(flag: str, reason: str, urgency: str | None) -> str:
    """What a clinician reads first: label (urgency): reason. Plan: suggested action (flag id)."""
    label = flag_labels().get(flag, flag)
    action = flag_actions().get(flag)
    words = URGENCY_WORDS.get(urgency or "routine", "routine")
    out = f"{label} ({words})"
    reason = reason.strip().rstrip(".")
    if reason:
        out += f": {reason}"
    if action:
        out += f". Plan: {action}"
    return f"{out}. ({flag})"


def _flag(row: dict, practice: str, code_system: str, as_of: date) -> dict:
    since = row.get("since")
    if since is not None and not isinstance(since, str):
        since = since.isoformat()
    flag_id = row["flag"]
    codings = []
    if flag_id in snomed_codes():
        code, display = snomed_codes()[flag_id]
        codings.append({"system": SNOMED_SYSTEM, "code": code, "display": display})
    codings.append({"system": code_system, "code": flag_id, "display": flag_labels().get(flag_id, flag_id)})
    category = _category(flag_id)
    return {
        "resourceType": "Flag",
        "id": flag_uuid(row["nhs_number"], flag_id),
        "meta": {"profile": [UKCORE_FLAG_PROFILE]},
        "status": "active",
        "category": [{"coding": [{"system": FLAG_CATEGORY_SYSTEM, "code": category, "display": CATEGORIES[category]}]}],
        "code": {"coding": codings, "text": _text(flag_id, row.get("reason") or "", row.get("urgency"))},
        "subject": {"identifier": {"system": NHS_NUMBER_SYSTEM, "value": row["nhs_number"]}, "type": "Patient"},
        "period": {"start": since or as_of.isoformat()},
        "author": {"identifier": {"system": ODS_SYSTEM, "value": practice}, "type": "Organization"},
    }


def plain_bundle(rows: pl.DataFrame, practice: str, as_of: date, code_system: str) -> dict:
    """The Bundle as plain JSON data: one Flag per row (rows: the practice's flags.csv rows).

    Built as plain data and validated once by ``build_bundle``: constructing and
    serialising 60,000 model objects one by one took over a minute; this takes seconds."""
    entries = []
    for row in rows.iter_rows(named=True):
        if row["practice_code"] != practice:
            raise FhirExportError("a flag for another practice reached this practice's bundle")
        f = _flag(row, practice, code_system, as_of)
        entries.append({"fullUrl": f"urn:uuid:{f['id']}", "resource": f})
    data: dict = {
        "resourceType": "Bundle",
        "type": "collection",
        "identifier": {"system": BUNDLE_ID_SYSTEM, "value": f"{practice}-{as_of.isoformat()}"},
    }
    if entries:
        data["entry"] = entries
    return data


def build_bundle(rows: pl.DataFrame, practice: str, as_of: date, code_system: str) -> Bundle:
    """The same Bundle validated by the fhir.resources R4B models (raises on a structural error)."""
    from fhir.resources.R4B.bundle import Bundle

    return Bundle.model_validate(plain_bundle(rows, practice, as_of, code_system))


def bundle_json(bundle: Bundle | dict) -> str:
    """Stable, compact, key-sorted JSON (no nulls); the C encoder keeps 60,000 flags quick."""
    data = bundle if isinstance(bundle, dict) else json.loads(bundle.model_dump_json(exclude_none=True))
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def bundle_text(rows: pl.DataFrame, practice: str, as_of: date, code_system: str) -> str:
    """Exactly ``bundle_json(plain_bundle(...))``, built column-wise by Polars."""
    return bundle_parts(rows, practice, as_of, code_system)[0]


def flag_uuids(nhs_numbers: list[str], flags: list[str]) -> list[str]:
    """``flag_uuid`` for many rows at once (see ``flag_uuid_series``)."""
    return flag_uuid_series(pl.Series(nhs_numbers, dtype=pl.String), pl.Series(flags, dtype=pl.String)).to_list()


def flag_uuid_series(nhs_numbers: pl.Series, flags: pl.Series) -> pl.Series:
    """``flag_uuid`` for a column of rows: the same UUIDv5 (RFC 4122: SHA-1 of the namespace
    and the name, version 5, variant 10). Only the SHA-1 runs per row (one C call each);
    the version and variant bits are set by numpy on all digests at once and the text is
    laid out by Polars."""
    import numpy as np  # imported by the stage that needs it (start-up, issue 16)
    import pyarrow as pa

    names = (nhs_numbers.cast(pl.String) + "|" + flags.cast(pl.String)).cast(pl.Binary).to_list()
    ns = _NS.bytes
    sha1 = hashlib.sha1
    digests = np.frombuffer(b"".join([sha1(ns + name).digest() for name in names]), dtype=np.uint8)
    d = digests.reshape(-1, 20)[:, :16].copy()
    d[:, 6] = (d[:, 6] & 0x0F) | 0x50
    d[:, 8] = (d[:, 8] & 0x3F) | 0x80
    raw = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(d), [None, pa.py_buffer(d.tobytes())])
    h = pl.Series("h", pl.from_arrow(raw)).cast(pl.Binary).bin.encode("hex")
    parts = [h.str.slice(0, 8), h.str.slice(8, 4), h.str.slice(12, 4), h.str.slice(16, 4), h.str.slice(20, 12)]
    return pl.select(pl.concat_str(parts, separator="-").alias("id")).to_series()


def _dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _flag_heads(flags: list[str], code_system: str) -> pl.DataFrame:
    """Per flag id: the JSON from ``"category"`` up to the text, the text's label, and the plan words."""

    def per_flag(f: str) -> tuple[str, str, str]:
        category = _category(f)
        codings = []
        if f in snomed_codes():
            code, display = snomed_codes()[f]
            codings.append({"code": code, "display": display, "system": SNOMED_SYSTEM})
        codings.append({"code": f, "display": flag_labels().get(f, f), "system": code_system})
        cat = [{"coding": [{"code": category, "display": CATEGORIES[category], "system": FLAG_CATEGORY_SYSTEM}]}]
        head = f'"category":{_dumps(cat)},"code":{{"coding":{_dumps(codings)},"text":'
        action = flag_actions().get(f)
        return head, flag_labels().get(f, f), "" if action is None else f". Plan: {action}"

    parts = [per_flag(f) for f in flags]
    return pl.DataFrame(
        {
            "_flag": flags,
            "_head": [p[0] for p in parts],
            "_label": [p[1] for p in parts],
            "_plan": [p[2] for p in parts],
        },
        schema={"_flag": pl.String, "_head": pl.String, "_label": pl.String, "_plan": pl.String},
    )


def entry_texts(rows: pl.DataFrame, as_of: date, code_system: str, separator: str = "") -> pl.Series:
    """Each row's Bundle entry as JSON text, in row order, for rows of any number of practices
    (the author is the row's practice): what ``bundle_json(plain_bundle(...))`` writes for
    that Flag. Keys are laid out in sorted order at every level (so the bytes match the
    sorted-key encoder); what depends only on the flag (category, codings) is encoded once
    per flag, and only the per-row strings are encoded per row. Every Flag has a
    ``period.start``: its ``since``, else the as-of date. A test holds the two byte-identical.
    ``separator`` is appended to every entry (the exports lay a batch's entries out as one
    buffer, each followed by its comma, and cut it per practice)."""
    if rows.height == 0:
        return pl.Series("e", [], dtype=pl.String)
    texts = _flag_heads(rows["flag"].unique(maintain_order=True).to_list(), code_system)
    urgency = pl.col("urgency") if "urgency" in rows.columns else pl.lit("routine")
    words = urgency.fill_null("routine").replace_strict(
        URGENCY_WORDS, default=pl.lit("routine"), return_dtype=pl.String
    )
    reason = pl.col("reason").fill_null("").str.strip_chars().str.strip_chars_end(".")
    text = pl.concat_str(  # exactly _text(), column-wise
        pl.col("_label"),
        pl.lit(" ("),
        words,
        pl.lit(")"),
        pl.when(reason != "").then(pl.concat_str(pl.lit(": "), reason)).otherwise(pl.lit("")),
        pl.col("_plan"),
        pl.lit(". ("),
        pl.col("flag"),
        pl.lit(")"),
    )
    since = pl.coalesce(pl.col("since").cast(pl.String), pl.lit(as_of.isoformat()))
    meta = _dumps({"profile": [UKCORE_FLAG_PROFILE]})
    entry = pl.concat_str(
        pl.lit('{"fullUrl":"urn:uuid:'),
        pl.col("_id"),
        pl.lit(f'","resource":{{"author":{{"identifier":{{"system":{_dumps(ODS_SYSTEM)},"value":'),
        json_string(pl.col("practice_code")),
        pl.lit('},"type":"Organization"},'),
        pl.col("_head"),
        json_string(text),
        pl.lit('},"id":"'),
        pl.col("_id"),
        pl.lit(f'","meta":{meta},"period":{{"start":'),
        json_string(since),
        pl.lit('},"resourceType":"Flag","status":"active","subject":{"identifier":{"system":'),
        pl.lit(_dumps(NHS_NUMBER_SYSTEM)),
        pl.lit(',"value":'),
        json_string(pl.col("nhs_number")),
        pl.lit('},"type":"Patient"}}}' + separator),
    )
    frame = rows.join(texts, left_on="flag", right_on="_flag", how="left", maintain_order="left").with_columns(
        flag_uuid_series(rows["nhs_number"], rows["flag"]).alias("_id")
    )
    return frame.select(entry.alias("e"))["e"]


def bundle_envelope(practice: str, as_of: date) -> str:
    """The Bundle's JSON after its entries (identifier, resourceType, type) and the closing brace."""
    identifier = json.dumps(
        {"system": BUNDLE_ID_SYSTEM, "value": f"{practice}-{as_of.isoformat()}"}, sort_keys=True, separators=(",", ":")
    )
    return f'"identifier":{identifier},"resourceType":"Bundle","type":"collection"}}'


def bundle_from_entries(entries: pl.Series, practice: str, as_of: date) -> tuple[bytes, str]:
    """(bundle.json as UTF-8 bytes, the envelope without entries as JSON text) from one
    practice's entry texts. The entries are joined by Polars and come out as bytes, never as
    one Python string (decoding and re-encoding hundreds of megabytes cost more than building them)."""
    tail = bundle_envelope(practice, as_of)
    if entries.len() == 0:
        return ("{" + tail + "\n").encode(), "{" + tail
    joined = pl.select(pl.lit(entries).str.join(",").cast(pl.Binary)).item()
    return b'{"entry":[' + joined + b"]," + tail.encode() + b"\n", "{" + tail


def bundle_parts(rows: pl.DataFrame, practice: str, as_of: date, code_system: str) -> tuple[str, list[str], str]:
    """(bundle text, each entry's JSON text, the envelope without entries as JSON text)."""
    if rows.height and (rows["practice_code"] != practice).any():
        raise FhirExportError("a flag for another practice reached this practice's bundle")
    entries = entry_texts(rows, as_of, code_system)
    body, envelope = bundle_from_entries(entries, practice, as_of)
    return body.decode(), entries.to_list(), envelope


def sampled_bundle(entries: Sequence[str] | pl.Series, envelope: str, n: int) -> dict:
    """The envelope with at most ``n`` entries parsed (first, last, evenly spread)."""
    data = json.loads(envelope)
    picked = model_sample({"entry": list(range(len(entries)))}, n).get("entry", [])
    if picked:
        data["entry"] = [json.loads(entries[i]) for i in picked]
    return data


def check_rows(rows: pl.DataFrame, practice: str | None) -> None:
    """Our value checks on every row going into a practice's bundle (vectorised); ``practice``
    None: rows of every practice (each then goes only to its own practice's bundle)."""
    bad_nhs = ~rows["nhs_number"].str.contains(r"^[0-9]{10}$").fill_null(False)
    if bad_nhs.any():
        raise FhirExportError("a Flag's subject is not identified by a 10-digit NHS number")
    if practice is not None and (rows["practice_code"] != practice).any():
        raise FhirExportError("a flag for another practice reached this practice's bundle")
    if rows["flag"].null_count():
        raise FhirExportError("a Flag has no code")
    since = rows["since"]
    if since.dtype == pl.Date:  # period.start is a FHIR date: years 0001 to 9999 only
        year = since.dt.year()
        if ((year < 1) | (year > 9999)).fill_null(False).any():
            raise FhirExportError("a Flag's period.start (since) is not a date FHIR can hold")
    elif not since.cast(pl.String).str.contains(_FHIR_DATE).fill_null(True).all():
        raise FhirExportError("a Flag's period.start (since) is not a FHIR date")


def model_sample(data: dict, n: int) -> dict:
    """The bundle with at most ``n`` of its entries (first, last and evenly spread),
    for validation with the fhir.resources models; ``n == 0`` keeps every entry."""
    entries = data.get("entry") or []
    if n == 0 or len(entries) <= n:
        return data
    step = (len(entries) - 1) / (n - 1) if n > 1 else len(entries)
    picked = sorted({min(round(i * step), len(entries) - 1) for i in range(n)})
    return {**data, "entry": [entries[i] for i in picked]}


def check_values(data: dict, practice: str | None) -> None:
    """Our value checks on every Flag of a plain bundle (fast: dictionaries only); ``practice``
    None: Flags of several practices (the author's system is checked, not its value)."""
    if data.get("type") != "collection":
        raise FhirExportError("bundle type must be collection")
    for entry in data.get("entry") or []:
        res = entry["resource"]
        ident = res["subject"]["identifier"]
        if res["resourceType"] != "Flag" or res["status"] != "active":
            raise FhirExportError("bundle holds something other than an active Flag")
        if ident["system"] != NHS_NUMBER_SYSTEM or not (len(ident["value"]) == 10 and ident["value"].isdigit()):
            raise FhirExportError("a Flag's subject is not identified by NHS number")
        author = res["author"]["identifier"]
        if author["system"] != ODS_SYSTEM or (practice is not None and author["value"] != practice):
            raise FhirExportError("a Flag's author is not this practice's ODS code")
        if UKCORE_FLAG_PROFILE not in res.get("meta", {}).get("profile", []):
            raise FhirExportError("a Flag does not claim the UK Core Flag profile")
        if not res.get("category") or not res.get("period", {}).get("start"):
            raise FhirExportError("a Flag has no category or no period.start")


def check_bundle(text_or_bundle: str | Bundle) -> Bundle:
    """Parse a bundle.json (or take a validated Bundle) and check what structure alone cannot."""
    from fhir.resources.R4B.bundle import Bundle

    bundle = text_or_bundle if isinstance(text_or_bundle, Bundle) else Bundle.model_validate_json(text_or_bundle)
    if bundle.type != "collection":
        raise FhirExportError("bundle type must be collection")
    for entry in bundle.entry or []:
        res = entry.resource
        if res.get_resource_type() != "Flag":
            raise FhirExportError("bundle holds a resource that is not a Flag")
        if res.status != "active":
            raise FhirExportError("a Flag in the bundle is not active")
        ident = res.subject.identifier
        if ident is None or ident.system != NHS_NUMBER_SYSTEM or not (ident.value or "").isdigit():
            raise FhirExportError("a Flag's subject is not identified by NHS number")
        if res.author is None or res.author.identifier.system != ODS_SYSTEM:
            raise FhirExportError("a Flag's author is not identified by ODS code")
        if res.meta is None or UKCORE_FLAG_PROFILE not in (res.meta.profile or []):
            raise FhirExportError("a Flag does not claim the UK Core Flag profile")
        if not res.category or res.period is None or res.period.start is None:
            raise FhirExportError("a Flag has no category or no period.start")
        if not res.code.coding:
            raise FhirExportError("a Flag has no coded code")
    return bundle


def shape_rows(rows: pl.DataFrame, per_shape: int = 1) -> pl.DataFrame:
    """At most ``per_shape`` rows (the first, in row order) for each distinct Flag shape; ``per_shape``
    0: every row.

    A Flag's JSON is a fixed layout around the per-flag part (category and codings, encoded
    once per flag by ``_flag_heads``) and per-row strings (id, author and subject values, the
    text, period.start). So the flag id alone decides the structure the FHIR models check;
    ``since`` missing or not is kept apart as well (period.start then comes from the as-of
    date). The per-row strings are checked on every row by ``check_rows`` (NHS number, code,
    FHIR date) and by ``export_rows`` (ODS practice code); a test holds that these rows carry
    every distinct shape of every practice's bundle."""
    if per_shape == 0 or rows.height == 0:
        return rows
    key = [pl.col("flag"), pl.col("since").is_null()]
    return rows.filter(pl.int_range(pl.len()).over(key) < per_shape)


def check_models(rows: pl.DataFrame, empty_practice: str | None, as_of: date, code_system: str, per_shape: int) -> int:
    """fhir.resources R4B models (and ``check_bundle`` and ``check_values``) on one Bundle holding
    ``shape_rows`` of every practice's rows, in the envelope of the first row's practice; and on
    the empty Bundle of ``empty_practice`` (a practice with nothing outstanding) when there is one.
    Returns the number of Flags model-checked. ``per_shape`` 0 checks every Flag (slow: about
    half a millisecond a Flag)."""
    from fhir.resources.R4B.bundle import Bundle

    picked = shape_rows(rows, per_shape)
    if picked.height:
        data = json.loads("{" + bundle_envelope(picked["practice_code"][0], as_of))
        data["entry"] = [json.loads(e) for e in entry_texts(picked, as_of, code_system)]
        check_values(data, None)  # each author is its own row's practice (rows are cut by practice)
        check_bundle(Bundle.model_validate(data))
    if empty_practice is not None:
        empty = json.loads("{" + bundle_envelope(empty_practice, as_of))
        check_values(empty, empty_practice)
        check_bundle(Bundle.model_validate(empty))
    return picked.height
