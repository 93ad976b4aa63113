"""A FHIR R4 Bundle of Flag resources for one practice (fhir.resources, R4B models:
Flag and Bundle have the same structure in R4 and R4B).

One Flag per row of the practice's flags.csv:
* ``subject``: the patient by NHS number (``https://fhir.nhs.uk/Id/nhs-number``);
* ``author``: the practice by ODS code (``https://fhir.nhs.uk/Id/ods-organization-code``),
  the organisation the flag is raised for;
* ``status`` ``active``; ``period.start`` = ``since`` (omitted when unknown);
* ``code``: the flag id as a coding, and text = reason + flag id;
* ``category``: ``clinical`` from the HL7 flag-category code system.

Ids are UUIDv5 of (NHS number, flag), so the same flags give the same bytes and a
receiving system can match a flag from one night to the next.
fhir.resources checks structure and cardinality, not value sets: ``check_bundle``
also checks the codes this module relies on.
"""

from __future__ import annotations

import json
import uuid
from datetime import date

import polars as pl
from fhir.resources.R4B.bundle import Bundle

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
FLAG_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/flag-category"
BUNDLE_ID_SYSTEM = "https://longerlives.nhs.uk/Id/practice-export"
_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://longerlives.nhs.uk/fhir/Flag")


class FhirExportError(RuntimeError):
    pass


def flag_uuid(nhs_number: str, flag: str) -> str:
    return str(uuid.uuid5(_NS, f"{nhs_number}|{flag}"))


def _flag(row: dict, practice: str, code_system: str) -> dict:
    since = row.get("since")
    if since is not None and not isinstance(since, str):
        since = since.isoformat()
    reason = (row.get("reason") or "").strip()
    flag: dict = {
        "resourceType": "Flag",
        "id": flag_uuid(row["nhs_number"], row["flag"]),
        "status": "active",
        "category": [{"coding": [{"system": FLAG_CATEGORY_SYSTEM, "code": "clinical", "display": "Clinical"}]}],
        "code": {
            "coding": [{"system": code_system, "code": row["flag"]}],
            "text": f"{reason} ({row['flag']})" if reason else row["flag"],
        },
        "subject": {"identifier": {"system": NHS_NUMBER_SYSTEM, "value": row["nhs_number"]}, "type": "Patient"},
        "author": {"identifier": {"system": ODS_SYSTEM, "value": practice}, "type": "Organization"},
    }
    if since:
        flag["period"] = {"start": since}
    return flag


def plain_bundle(rows: pl.DataFrame, practice: str, as_of: date, code_system: str) -> dict:
    """The Bundle as plain JSON data: one Flag per row (rows: the practice's flags.csv rows).

    Built as plain data and validated once by ``build_bundle``: constructing and
    serialising 60,000 model objects one by one took over a minute; this takes seconds."""
    entries = []
    for row in rows.iter_rows(named=True):
        if row["practice_code"] != practice:
            raise FhirExportError("a flag for another practice reached this practice's bundle")
        f = _flag(row, practice, code_system)
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
    return Bundle.model_validate(plain_bundle(rows, practice, as_of, code_system))


def bundle_json(bundle: Bundle | dict) -> str:
    """Stable, compact, key-sorted JSON (no nulls); the C encoder keeps 60,000 flags quick."""
    data = bundle if isinstance(bundle, dict) else json.loads(bundle.model_dump_json(exclude_none=True))
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def bundle_text(rows: pl.DataFrame, practice: str, as_of: date, code_system: str) -> str:
    """Exactly ``bundle_json(plain_bundle(...))``, built column-wise by Polars."""
    return bundle_parts(rows, practice, as_of, code_system)[0]


def bundle_parts(rows: pl.DataFrame, practice: str, as_of: date, code_system: str) -> tuple[str, list[str], str]:
    """(bundle text, each entry's JSON text, the envelope without entries as JSON text).

    Keys are laid out in sorted order at every level (so the bytes match the
    sorted-key encoder), and a Flag without a ``since`` date has no ``period``.
    A test holds the two byte-identical.
    """
    if rows.height and (rows["practice_code"] != practice).any():
        raise FhirExportError("a flag for another practice reached this practice's bundle")
    ids = [flag_uuid(n, f) for n, f in zip(rows["nhs_number"].to_list(), rows["flag"].to_list())]
    reason = pl.col("reason").fill_null("").str.strip_chars()
    text = pl.when(reason == "").then(pl.col("flag")).otherwise(pl.concat_str(reason, pl.lit(" ("), pl.col("flag"), pl.lit(")")))
    since = pl.col("since").cast(pl.String)

    def ident(system: str, value: pl.Expr) -> pl.Expr:
        return pl.struct(pl.lit(system).alias("system"), value.alias("value"))

    common_head = [
        pl.struct(ident(ODS_SYSTEM, pl.lit(practice)).alias("identifier"), pl.lit("Organization").alias("type")).alias("author"),
        pl.concat_list(pl.struct(pl.concat_list(pl.struct(
            pl.lit("clinical").alias("code"), pl.lit("Clinical").alias("display"), pl.lit(FLAG_CATEGORY_SYSTEM).alias("system")
        )).alias("coding"))).alias("category"),
        pl.struct(
            pl.concat_list(pl.struct(pl.col("flag").alias("code"), pl.lit(code_system).alias("system"))).alias("coding"),
            text.alias("text"),
        ).alias("code"),
        pl.col("_id").alias("id"),
    ]
    common_tail = [
        pl.lit("Flag").alias("resourceType"),
        pl.lit("active").alias("status"),
        pl.struct(ident(NHS_NUMBER_SYSTEM, pl.col("nhs_number")).alias("identifier"), pl.lit("Patient").alias("type")).alias("subject"),
    ]
    with_period = pl.struct(*common_head, pl.struct(since.alias("start")).alias("period"), *common_tail)
    without = pl.struct(*common_head, *common_tail)
    resource = pl.when(pl.col("since").is_null()).then(without.struct.json_encode()).otherwise(with_period.struct.json_encode())
    entries = rows.with_columns(pl.Series("_id", ids, dtype=pl.String)).select(
        pl.concat_str(pl.lit('{"fullUrl":"urn:uuid:'), pl.col("_id"), pl.lit('","resource":'), resource, pl.lit("}")).alias("e")
    )["e"].to_list()
    identifier = json.dumps({"system": BUNDLE_ID_SYSTEM, "value": f"{practice}-{as_of.isoformat()}"},
                            sort_keys=True, separators=(",", ":"))
    tail = f'"identifier":{identifier},"resourceType":"Bundle","type":"collection"}}'
    head = '{"entry":[' + ",".join(entries) + "]," if entries else "{"
    return head + tail + "\n", entries, "{" + tail


def sampled_bundle(entries: list[str], envelope: str, n: int) -> dict:
    """The envelope with at most ``n`` entries parsed (first, last, evenly spread)."""
    data = json.loads(envelope)
    picked = model_sample({"entry": list(range(len(entries)))}, n).get("entry", [])
    if picked:
        data["entry"] = [json.loads(entries[i]) for i in picked]
    return data


def check_rows(rows: pl.DataFrame, practice: str) -> None:
    """Our value checks on every row going into a practice's bundle (vectorised)."""
    bad_nhs = ~rows["nhs_number"].str.contains(r"^[0-9]{10}$").fill_null(False)
    if bad_nhs.any():
        raise FhirExportError("a Flag's subject is not identified by a 10-digit NHS number")
    if (rows["practice_code"] != practice).any():
        raise FhirExportError("a flag for another practice reached this practice's bundle")
    if rows["flag"].null_count():
        raise FhirExportError("a Flag has no code")


def model_sample(data: dict, n: int) -> dict:
    """The bundle with at most ``n`` of its entries (first, last and evenly spread),
    for validation with the fhir.resources models; ``n == 0`` keeps every entry."""
    entries = data.get("entry") or []
    if n == 0 or len(entries) <= n:
        return data
    step = (len(entries) - 1) / (n - 1) if n > 1 else len(entries)
    picked = sorted({min(round(i * step), len(entries) - 1) for i in range(n)})
    return {**data, "entry": [entries[i] for i in picked]}


def check_values(data: dict, practice: str) -> None:
    """Our value checks on every Flag of a plain bundle (fast: dictionaries only)."""
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
        if author["system"] != ODS_SYSTEM or author["value"] != practice:
            raise FhirExportError("a Flag's author is not this practice's ODS code")


def check_bundle(text_or_bundle: str | Bundle) -> Bundle:
    """Parse a bundle.json (or take a validated Bundle) and check what structure alone cannot."""
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
    return bundle
