"""Fact sets generated from the packs themselves, biased to every threshold's edge.

Generators take a `Draw` (an adapter over hypothesis's `data.draw` or over `random.Random`), so the
same code feeds hypothesis properties (with shrinking) and fixed-size bulk runs (an exact count).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from hypothesis import strategies as st
from ntmcert.inputs.catalogue import Catalogue, FactKind
from ntmcert.packs.library import Pack
from ntmcert.packs.registry import kind_of
from ntmcert.packs.schema import Percent

TIERS = ("ntm", "ntm_advanced", "ntm_model", "smart")
REGIONS = ("tdmnpb", "dbsh", "btb", "dhntb", "tn", "dnb", "dbscl")


class Draw:
    """The few choices generators make, over hypothesis or over a seeded Random."""

    def __init__(self, source):
        self._source = source

    def integers(self, lo: int, hi: int) -> int:
        if isinstance(self._source, random.Random):
            return self._source.randint(lo, hi)
        return self._source.draw(st.integers(lo, hi))

    def choice(self, options):
        options = list(options)
        return options[self.integers(0, len(options) - 1)]

    def boolean(self, p_true: float = 0.5) -> bool:
        return self.integers(0, 999) < int(p_true * 1000)


@dataclass(frozen=True)
class Edge:
    """A threshold a fact is compared with (None when the pack's number is unknown)."""

    op: str
    value: Fraction | None


def pack_edges(pack: Pack, catalogue: Catalogue) -> tuple[dict[str, list[Edge]], dict[str, list[Edge]]]:
    """Commune-level and hamlet-level facts the pack compares, with every threshold they meet."""
    commune: dict[str, list[Edge]] = {}
    hamlet: dict[str, list[Edge]] = {}
    for crit in pack.criteria:
        for ind in crit.indicators:
            spec = ind.spec
            for located in kind_of(spec).comparisons(spec):
                cmp = located.comparison
                target = hamlet if located.hamlet_level else commune
                target.setdefault(cmp.fact, []).append(Edge(cmp.op, _literal(cmp.threshold)))
            for fact_id, _, _ in kind_of(spec).facts_read(spec):  # e.g. the number of hamlets: 0 to 4
                commune.setdefault(fact_id, []).extend(Edge(">=", Fraction(n)) for n in (1, 3))
    return commune, hamlet


def _literal(threshold) -> Fraction | None:
    if isinstance(threshold, Percent):
        return Fraction(threshold.percent) / 100
    if isinstance(threshold, bool):
        return Fraction(int(threshold))
    if isinstance(threshold, (int, Decimal)):
        return Fraction(threshold)
    return None  # unknown or a parameter: the generated value is arbitrary


def _decimal(value: Fraction, places: int) -> Decimal:
    scaled = value * 10**places
    return Decimal(math.floor(scaled)).scaleb(-places) if scaled.denominator != 1 else Decimal(
        scaled.numerator).scaleb(-places)


def share_value(draw: Draw, edges: list[Edge], whole: bool) -> dict:
    """A ratio, a percentage or a bound near one of the edges (or anywhere)."""
    known = [e.value for e in edges if e.value is not None]
    target = draw.choice(known) if known and draw.boolean(0.85) else Fraction(draw.integers(0, 100), 100)
    form = draw.integers(0, 9)
    if form <= 5:  # ratio: the nearest counts on each side of target·of
        of = draw.choice([1, 3, 7, 10, 100, 300, 500, 1508, 2000, 99991, 10**9 + 7])
        base = math.floor(target * of)
        count = min(of, max(0, base + draw.integers(-2, 2)))
        if not whole and draw.boolean(0.3):
            return {"count": Decimal(count) + Decimal("0.5") if count < of else Decimal(count), "of": of}
        return {"count": count, "of": of}
    if form <= 7:  # percentage, up to 12 decimals, on or next to the edge
        places = draw.choice([0, 1, 2, 12])
        step = Fraction(1, 10**places)
        pct = target * 100 + step * draw.integers(-1, 1)
        pct = min(Fraction(100), max(Fraction(0), pct))
        return {"percent": _decimal(pct, places)}
    # a reported bound: wholly on one side, touching, or straddling
    key = draw.choice(["gt", "ge", "lt", "le"])
    pct = min(Fraction(100), max(Fraction(0), target * 100 + draw.integers(-10, 10)))
    if (key == "gt" and pct >= 100) or (key == "lt" and pct <= 0):
        key = {"gt": "ge", "lt": "le"}[key]  # "over 100%" / "under 0%" leave no possible value
    bound = {key: _decimal(pct, 0)}
    if draw.boolean(0.3) and key in ("gt", "ge") and pct < 95:
        bound[draw.choice(["lt", "le"])] = _decimal(pct + draw.integers(1, 5), 0)
    return {"percent": bound}


def number_value(draw: Draw, edges: list[Edge], kind: FactKind):
    known = [e.value for e in edges if e.value is not None]
    target = draw.choice(known) if known and draw.boolean(0.8) else Fraction(draw.integers(0, 200))
    if kind is FactKind.count:
        value = max(0, math.floor(target) + draw.integers(-1, 1))
        return {"ge": value} if draw.boolean(0.15) else value
    value = max(Fraction(0), target + Fraction(draw.integers(-3, 3), 100))
    return {"ge": _decimal(value, 2)} if draw.boolean(0.15) else _decimal(value, 2)


def fact_value(draw: Draw, fact, edges: list[Edge]):
    if fact.kind is FactKind.boolean:
        return draw.boolean()
    if fact.kind is FactKind.share:
        return share_value(draw, edges, fact.whole_counts)
    return number_value(draw, edges, fact.kind)


def factset(draw: Draw, pack: Pack, catalogue: Catalogue, *, p_missing: float = 0.2) -> dict:
    """A fact set dict for `pack`: every compared fact present or missing, values at the edges."""
    commune_edges, hamlet_edges = pack_edges(pack, catalogue)
    as_of = pack.doc.scope.valid_from + dt.timedelta(days=draw.integers(0, 600))
    facts = {f: fact_value(draw, catalogue.get(f), e) for f, e in sorted(commune_edges.items())
             if not draw.boolean(p_missing)}
    hamlets = []
    if hamlet_edges:
        for i in range(draw.integers(0, 3)):
            hamlets.append({"name": f"Ấp {i + 1}",
                            "facts": {f: fact_value(draw, catalogue.get(f), e) for f, e in sorted(hamlet_edges.items())
                                      if not draw.boolean(p_missing)}})
    recognitions = []
    for tier in TIERS:
        if draw.boolean(0.6):
            recognitions.append({"tier": tier, "decision": f"{draw.integers(1, 999)}/QĐ-UBND",
                                 "date": as_of + dt.timedelta(days=draw.integers(-900, 30))})
    return {
        "format": "ntmcert/factset/v1",
        "commune": {"name": "Xã Sinh Tự Động", "province": pack.doc.scope.province or "Trà Vinh",
                    "region": draw.choice(REGIONS)},
        "as_of": as_of, "recognitions": recognitions, "facts": facts, "hamlets": hamlets,
    }
