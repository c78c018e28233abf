"""Everything the web app takes from the rest of ntmcert beyond the service, in one place.

Like the service's own `_core`, this is the one file to adapt when the checker's modules move.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ntmcert.api import default_library
from ntmcert.core.vocab import REGION_NAMES, TIER_NAMES
from ntmcert.inputs.catalogue import Catalogue, FactDef, FactKind, Level
from ntmcert.packs.library import Pack, PackLibrary
from ntmcert.packs.registry import comparisons as iter_comparisons
from ntmcert.sheets.cells import CellError, bound, date, number, partial_date, percent_value, yes_no
from ntmcert.sheets.template import write_template

__all__ = [
    "REGION_NAMES",
    "TIER_NAMES",
    "CellError",
    "FactDef",
    "FactKind",
    "Level",
    "bound",
    "catalogue",
    "date",
    "number",
    "pack_fact_sources",
    "partial_date",
    "percent_value",
    "template_bytes",
    "yes_no",
]


def library() -> PackLibrary:
    """The bundled library: the very object the service evaluates with (loaded once per process)."""
    return default_library()


def catalogue() -> Catalogue:
    return library().catalogue


def pack_fact_sources(pack: Pack) -> dict[str, list[dict[str, Any]]]:
    """Every fact a pack's comparisons use, in pack order, with where each use comes from:
    the indicator id, its title and the legal source of its threshold."""
    out: dict[str, list[dict[str, Any]]] = {}
    for crit in pack.criteria:
        for ind in crit.indicators:
            for cmp in iter_comparisons(ind.spec):
                src = cmp.source
                out.setdefault(cmp.fact, []).append({
                    "indicator": ind.spec.id, "title": {"vi": ind.spec.title.vi, "en": ind.spec.title.en},
                    "source": " ".join(x for x in (src.document, src.article or "") if x)})
    return out


def template_bytes(pack_id: str, tmp: Path) -> bytes:
    """`ntmcert template PACK`'s workbook, as bytes."""
    lib = library()
    out = tmp / "template.xlsx"
    write_template(lib.get(pack_id), out, library=lib, catalogue=lib.catalogue)
    return out.read_bytes()
