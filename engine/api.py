"""The Python API for workflows that embed the checker: fact set in, verdict out."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from ntmcert.core.vocab import tier_rank
from ntmcert.evaluation.engines import get_engine
from ntmcert.evaluation.evaluate import evaluate_pack
from ntmcert.evaluation.verdict import Verdict
from ntmcert.inputs.catalogue import Catalogue
from ntmcert.inputs.factset import FactSet, FactSetInput, load_factset
from ntmcert.packs.library import Pack, PackLibrary
from ntmcert.packs.resolve import OfficerValue


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().strip()


def applicable_packs(factset: FactSet, library: PackLibrary | None = None) -> list[Pack]:
    """Bundled packs whose scope (province, period) fits the commune, most specific only.

    A pack that another applicable pack extends is left out: the provincial overlay supersedes
    the national frame it builds on for that province.
    """
    library = library or default_library()
    fits = []
    for pack in library.all():
        scope = pack.doc.scope
        if scope.province is not None and _norm(scope.province) != _norm(factset.commune.province):
            continue
        if factset.as_of < scope.valid_from or (scope.valid_to is not None and factset.as_of > scope.valid_to):
            continue
        fits.append(pack)
    extended = {p.doc.extends for p in fits if p.doc.extends}
    return [p for p in fits if p.id not in extended]


def report_order(packs: list[Pack]) -> list[Pack]:
    """Complete packs before partial ones (which cannot certify alone), the highest tier first."""
    return sorted(packs, key=lambda p: (p.doc.completeness == "partial", -tier_rank(p.doc.tier), p.id))


def default_packs(factset: FactSet, library: PackLibrary | None = None) -> list[Pack]:
    """What a run without --pack evaluates: the applicable packs of the next tier the commune can seek.

    A commune holding a counting recognition is assessed for the lowest tier above it that has an
    applicable pack (a model commune: the smart packs), so the exit code answers "does it reach the
    next title?"; lower tiers are the yearly review's business (`ntmcert review`). With no higher
    pack (a smart commune), its own tier's packs are evaluated again. When the fact set does not say
    which recognitions it holds, every applicable pack is evaluated; when it says none, the base tier.
    """
    fits = applicable_packs(factset, library)
    if factset.recognitions is None:
        return report_order(fits)
    held = factset.highest_tier()
    floor = -1 if held is None else tier_rank(held)
    above = sorted({tier_rank(p.doc.tier) for p in fits if tier_rank(p.doc.tier) > floor})
    if above:
        target = above[0]
    else:
        below = [tier_rank(p.doc.tier) for p in fits]
        target = max(below) if below else floor
    return report_order([p for p in fits if tier_rank(p.doc.tier) == target])


def exit_verdicts(verdicts: list[Verdict]) -> list[Verdict]:
    """The verdicts an exit code reflects: the complete packs' when there are any (a partial pack
    can never certify alone, so it cannot decide whether the commune passes)."""
    complete = [v for v in verdicts if v.pack.get("completeness") != "partial"]
    return complete or verdicts


@lru_cache(maxsize=1)
def default_library() -> PackLibrary:
    """The bundled pack library, loaded once per process."""
    return PackLibrary()


def evaluate(facts: str | Path | dict | FactSetInput | FactSet, pack: str | Pack, *,
             engine: str = "durable", params: str | Path | dict[str, list[OfficerValue]] | None = None,
             derive_prerequisites: bool = False, library: PackLibrary | None = None,
             catalogue: Catalogue | None = None) -> Verdict:
    """Evaluate a fact set (path, dict, pydantic model or FactSet) against a pack id or Pack.

    `params` is an officer parameter file (or its loaded form) supplying numbers the packs leave
    unknown; `derive_prerequisites` also evaluates each lower tier's pack on the same facts.
    """
    library = library or default_library()
    factset = facts if isinstance(facts, FactSet) else load_factset(facts, catalogue=catalogue or library.catalogue)
    pack_obj = pack if isinstance(pack, Pack) else library.get(pack)
    officer: dict[str, list[OfficerValue]] | None = None
    if isinstance(params, (str, Path)):
        from ntmcert.packs.params import load_params  # an officer's file is rare: not part of every start

        officer = load_params(params, library)
    else:
        officer = params
    return evaluate_pack(factset, pack_obj, get_engine(engine), officer=officer,
                         catalogue=catalogue or library.catalogue, library=library,
                         derive_prerequisites=derive_prerequisites)
