"""Everything the service takes from the rest of ntmcert, in one place.

The service never imports a deep module of the checker directly: when those modules move, this
file is the one to adapt. What it offers is the CLI's own behaviour (same functions, same bytes).
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from ntmcert.api import default_library, default_packs
from ntmcert.core.errors import InputError, Location, NtmcertError, PackNotFoundError, Problem
from ntmcert.core.version import __version__
from ntmcert.evaluation.engines import get_engine
from ntmcert.evaluation.evaluate import evaluate_pack
from ntmcert.evaluation.review import Review
from ntmcert.evaluation.review import review as run_review
from ntmcert.evaluation.verdict import Verdict, dumps
from ntmcert.evaluation.whatif import apply_changes, parse_changes
from ntmcert.evaluation.whatif import document as whatif_document
from ntmcert.inputs.factset import FactSet, factset_from_document
from ntmcert.inputs.yamlio import Document, load_path, load_text
from ntmcert.packs.params import params_from_document
from ntmcert.render import render
from ntmcert.render.packdoc import pack_json
from ntmcert.render.review import render_review
from ntmcert.sheets.batch import run_batch

NTMCERT_VERSION = __version__
ERRORS_SCHEMA = "ntmcert/errors/v1"

__all__ = [
    "ERRORS_SCHEMA",
    "NTMCERT_VERSION",
    "Document",
    "FactSet",
    "InputError",
    "Location",
    "NtmcertError",
    "PackNotFoundError",
    "Problem",
    "Review",
    "Verdict",
    "dumps",
    "engine_info",
    "evaluate",
    "load_path",
    "load_text",
    "pack_json",
    "pack_summaries",
    "packs_for",
    "parse_factset",
    "parse_params",
    "render_report",
    "render_review_report",
    "review",
    "run_batch",
    "verdict_json",
    "what_if",
]


def library():
    return default_library()


def engine_info(name: str = "durable") -> dict[str, str]:
    eng = get_engine(name)
    return {"name": eng.name, "version": eng.version}


def _prefixed(problems: list[Problem], prefix: str, file: str) -> list[Problem]:
    """Problems of a sub-document, located in the request (key path under its field)."""
    out = []
    for p in problems:
        loc = p.location
        key = f"{prefix}.{loc.key_path}" if prefix and loc.key_path else (loc.key_path or prefix or None)
        out.append(Problem(p.code, p.message, Location(file, loc.line, loc.column, key)))
    return out


def sub_document(doc: Document, key: str | None) -> Document:
    """The part of a loaded request under `key` (the whole document for None), positions kept."""
    if key is None:
        return doc
    n = 1
    data = doc.data.get(key) if isinstance(doc.data, dict) else None
    positions = {path[n:]: pos for path, pos in doc.positions.items() if path[:n] == (key,)}
    return Document(data, doc.file, positions, [])


def parse_factset(doc: Document, key: str | None = "factset") -> FactSet:
    sub = sub_document(doc, key)
    try:
        return factset_from_document(sub, library().catalogue)
    except InputError as exc:
        raise InputError(_prefixed(exc.problems, key or "", doc.file or "request")) from None


def parse_params(doc: Document, key: str | None = "params"):
    sub = sub_document(doc, key)
    if sub.data is None:
        return None
    try:
        return params_from_document(sub, library())
    except InputError as exc:
        raise InputError(_prefixed(exc.problems, key or "", doc.file or "request")) from None


def packs_for(factset: FactSet, pack_ids: list[str]) -> list:
    """The packs named, or (none named) what the CLI evaluates without --pack: the fitting packs of
    the next tier the commune can seek (ntmcert.api.default_packs)."""
    lib = library()
    chosen = [lib.get(p) for p in pack_ids] if pack_ids else default_packs(factset, lib)
    if not chosen:
        raise InputError([Problem("no_applicable_pack", f"no bundled pack fits province "
                                  f"{factset.commune.province!r} at {factset.as_of}; name one in packs",
                                  Location("request", None, None, "packs"))])
    return chosen


def evaluate(factset: FactSet, packs: list, officer, derive: bool, engine: str = "durable") -> list[Verdict]:
    lib = library()
    eng = get_engine(engine)
    return [evaluate_pack(factset, p, eng, officer=officer, catalogue=lib.catalogue, library=lib,
                          derive_prerequisites=derive) for p in packs]


def verdict_json(verdicts: list[Verdict]) -> str:
    """Exactly what `ntmcert evaluate --format json` prints for these verdicts."""
    return render(verdicts, "json", "vi")


def review(factset: FactSet, pack_id: str, officer, engine: str = "durable") -> Review:
    """What `ntmcert review` computes (its JSON is `Review.to_json()`)."""
    lib = library()
    reviewed = lib.get(pack_id)
    against = lib.get(reviewed.review_against or reviewed.id)
    verdict = evaluate_pack(factset, against, get_engine(engine), officer=officer, catalogue=lib.catalogue,
                            library=lib)
    return run_review(factset, reviewed.id, reviewed.doc.tier, verdict)


def what_if(doc: Document, changes: list[str], pack_ids: list[str], officer, derive: bool,
            engine: str = "durable") -> str:
    """`ntmcert evaluate --set … --format json`: the what-if document (nothing stored)."""
    parsed = parse_changes(changes)
    before_fs = parse_factset(doc)
    after_fs = parse_factset(apply_changes(sub_document(doc, "factset"), parsed), None)
    packs = packs_for(before_fs, pack_ids)
    before = evaluate(before_fs, packs, officer, derive, engine)
    after = evaluate(after_fs, packs, officer, derive, engine)
    return dumps(whatif_document(parsed, before, after))


def render_report(verdicts: list[Verdict], fmt: str, lang: str) -> str:
    return render(verdicts, fmt, lang)


def render_review_report(result: Review, fmt: str, lang: str) -> str:
    return render_review(result, fmt, lang)


def pack_summaries() -> list[dict[str, Any]]:
    """What `ntmcert packs` lists, as data."""
    out = []
    for p in library().all():
        scope = p.doc.scope
        out.append({"id": p.id, "version": p.version, "sha256": p.sha256, "tier": p.doc.tier.value,
                    "province": scope.province, "valid_from": scope.valid_from.isoformat(),
                    "valid_to": scope.valid_to.isoformat() if scope.valid_to else None,
                    "completeness": p.doc.completeness,
                    "extends": p.doc.extends, "title": {"vi": p.doc.title.vi, "en": p.doc.title.en}})
    return out


def pack_document(pack_id: str) -> str:
    """Exactly what `ntmcert packs show ID --format json` prints."""
    return pack_json(library().get(pack_id))


def pack_record(pack) -> dict[str, Any]:
    return {"id": pack.id, "version": pack.version, "sha256": pack.sha256, "chain": list(pack.chain)}


def get_pack(pack_id: str):
    return library().get(pack_id)


def replayable_json(value: Any) -> str:
    """A loaded document as JSON text that loads back to the same values: exact decimals written
    as JSON numbers (never through float), dates as ISO text, keys sorted."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else ("true" if value else "false")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else '"' + str(value) + '"'
    if isinstance(value, str):
        return _json_text(value)
    if isinstance(value, dict):
        return "{" + ",".join(_json_text(str(k)) + ":" + replayable_json(value[k])
                              for k in sorted(value, key=str)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(replayable_json(v) for v in value) + "]"
    if hasattr(value, "isoformat"):
        return '"' + value.isoformat() + '"'
    if dataclasses.is_dataclass(value):
        return replayable_json(dataclasses.asdict(value))  # type: ignore[arg-type]
    return _json_text(str(value))


def _json_text(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def load_json_document(text: str, file: str) -> Document:
    return load_text(text, file, json_syntax=True)


def batch_source_suffixes() -> tuple[str, ...]:
    return (".xlsx", ".csv")


def run_batch_file(source: Path, pack_id: str, out: Path, lang: str, officer, on_row, jobs: int | None = None) -> Any:
    """`ntmcert batch` on a file, on `jobs` processes (None: one per core) as the CLI runs it: the
    summary (counts, missing facts) once every row is written."""
    import io

    from rich.console import Console

    result = run_batch(source, pack_id, out, lang=lang, library=library(), progress=False,
                       console=Console(file=io.StringIO()), on_row=on_row, officer=officer, jobs=jobs)
    return result.summary
