"""Officer-supplied parameter values (`--params FILE`, format ntmcert/params/v1).

Where a pack says a number is unknown, an officer can supply it with its source, without editing
the bundled packs. Replacing a number the pack read in the law itself (`official`) needs
`override: true`; every number so supplied is reported as coming from the layer "officer".
"""

from __future__ import annotations

import datetime as dt
import difflib
from decimal import Decimal
from pathlib import Path
from typing import Literal

from ntmcert.core.dates import StrictDate
from ntmcert.core.errors import ProblemCollector
from ntmcert.core.exact import to_fraction
from ntmcert.core.vocab import Region
from ntmcert.inputs.validation import validate_document
from ntmcert.inputs.yamlio import Document, KeyPath, load_path
from ntmcert.packs.library import PackLibrary, PackParameter
from ntmcert.packs.resolve import OfficerValue
from ntmcert.packs.schema import Provenance, Source
from pydantic import BaseModel, ConfigDict, Field, field_validator

_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, populate_by_name=True)


class ParamEntry(BaseModel):
    model_config = _STRICT
    value: Decimal
    valid_from: StrictDate | None = Field(default=None, alias="from")
    region: Region | None = None
    source: Source
    override: bool = False

    @field_validator("value")
    @classmethod
    def _finite(cls, v: Decimal) -> Decimal:
        if not v.is_finite() or v < 0:
            raise ValueError("a parameter value is a finite, non-negative number")
        return v


class ParamsFile(BaseModel):
    model_config = _STRICT
    format: Literal["ntmcert/params/v1"]
    parameters: dict[str, list[ParamEntry]]


def load_params(path: str | Path, library: PackLibrary) -> dict[str, list[OfficerValue]]:
    """Read and check an officer parameter file against every pack of the library."""
    return params_from_document(load_path(path), library)


def params_from_document(doc: Document, library: PackLibrary) -> dict[str, list[OfficerValue]]:
    """Check a loaded parameter document (a file, or a request field) against every pack."""
    parsed, collector = validate_document(doc, ParamsFile, "params")
    defined: dict[str, list[tuple[str, PackParameter]]] = {}
    for pack in library.all():
        for name, param in pack.parameters.items():
            defined.setdefault(name, []).append((pack.id, param))
    out: dict[str, list[OfficerValue]] = {}
    for name, entries in parsed.parameters.items():
        if name not in defined:
            close = difflib.get_close_matches(name, list(defined), n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
            _add(collector, doc, "params_unknown_parameter",
                 f"no bundled pack has a parameter {name!r}{hint}", ("parameters", name))
            continue
        seen: dict[tuple[dt.date | None, Region | None], int] = {}
        for i, entry in enumerate(entries):
            when = (entry.valid_from, entry.region)
            if when in seen:
                _add(collector, doc, "params_invalid",
                     f"{name}: entries {seen[when]} and {i} both apply from {entry.valid_from or 'the start'}"
                     f" for {entry.region.value if entry.region else 'every region'}; keep one",
                     ("parameters", name, i))
                continue
            seen[when] = i
            official = [(pack_id, v) for pack_id, p in defined[name] for v in p.spec.values
                        if v.source.provenance is Provenance.official]
            if official and not entry.override:
                pack_id, value = official[0]
                _add(collector, doc, "params_override_official",
                     f"{name} has an official value in {pack_id} (from {value.valid_from}); write override: true "
                     f"to replace it", ("parameters", name, i))
            out.setdefault(name, []).append(OfficerValue(name, to_fraction(entry.value), entry.source,
                                                         entry.valid_from, entry.region, entry.override))
    collector.raise_if_any()
    return out


def _add(collector: ProblemCollector, doc: Document, code: str, message: str, path: KeyPath) -> None:
    loc = doc.locate(path)
    collector.add(code, message, line=loc.line, column=loc.column, key_path=loc.key_path)
