"""The atoms an engine decides, and the reference evaluator that decides them in plain Python.

A `Check` is one comparison with both sides known: a fact value (point or interval) against a
resolved threshold. Missing facts and unknown thresholds never become checks; the evaluator
reports them itself. Every engine maps each check to pass / fail / undecidable.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, NamedTuple, Protocol

from ntmcert.core.version import __version__

if TYPE_CHECKING:
    from ntmcert.packs.library import Pack
from ntmcert.core.exact import OPERATORS, Decision, Interval, decide


class Check(NamedTuple):
    """Immutable; a named tuple because the evaluator makes one per comparison per commune."""

    key: str  # unique within one evaluation
    rule: str  # the compiled rule that decides it (shared by every hamlet)
    op: str
    value: Interval
    threshold: Fraction


# decides one comparison, fixed in advance (operator and threshold), for a point value
PointDecider = Callable[[Fraction], Decision]


class Engine(Protocol):
    """What the evaluator needs from a rule engine."""

    name: str
    version: str

    def decide(self, pack: Pack, checks: Sequence[Check]) -> dict[str, Decision]:
        """Map every check's key to 'pass', 'fail' or 'undecidable'."""

    def point_deciders(self, comparisons: Sequence[tuple[str, Fraction]]) -> list[PointDecider] | None:
        """For a pack's fixed comparisons (operator, threshold), a function each that decides a point
        value at once, in the evaluator's loop; None when every comparison must go through `decide`."""


class ReferenceEngine:
    """Independent plain-Python evaluator over fractions: the tests' oracle and the fallback."""

    name = "reference"

    def __init__(self) -> None:
        self.version = __version__

    def decide(self, pack: Pack, checks: Sequence[Check]) -> dict[str, Decision]:
        out: dict[str, Decision] = {}
        for c in checks:
            lo, t = c.value.lo, c.threshold
            if lo is not None and lo is c.value.hi and type(lo) is Fraction and type(t) is Fraction:
                # a point (the common case): the same comparison on the cross-multiplied integers
                # (denominators are positive), without Fraction's generic comparison machinery
                holds = _INT_OPS[c.op](lo.numerator * t.denominator, t.numerator * lo.denominator)
                out[c.key] = "pass" if holds else "fail"
            else:
                out[c.key] = decide(c.value, OPERATORS[c.op], c.threshold)
        return out


    def point_deciders(self, comparisons: Sequence[tuple[str, Fraction]]) -> list[PointDecider]:
        # the same integer comparison as `decide`, with the threshold's terms taken out once per pack
        return [_POINT_DECIDERS[op](t.numerator, t.denominator) for op, t in comparisons]


def _point(holds: Callable[[int, int], bool]) -> Callable[[int, int], PointDecider]:
    def make(tn: int, td: int) -> PointDecider:
        def decide(lo: Fraction) -> Decision:
            return "pass" if holds(lo.numerator * td, tn * lo.denominator) else "fail"
        return decide
    return make


def _ge(tn: int, td: int) -> PointDecider:  # the common operators spelled out: no call per comparison
    return lambda lo: "pass" if lo.numerator * td >= tn * lo.denominator else "fail"


def _gt(tn: int, td: int) -> PointDecider:
    return lambda lo: "pass" if lo.numerator * td > tn * lo.denominator else "fail"


def _le(tn: int, td: int) -> PointDecider:
    return lambda lo: "pass" if lo.numerator * td <= tn * lo.denominator else "fail"


def _lt(tn: int, td: int) -> PointDecider:
    return lambda lo: "pass" if lo.numerator * td < tn * lo.denominator else "fail"


_INT_OPS: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq, "!=": operator.ne}

_POINT_DECIDERS: dict[str, Callable[[int, int], PointDecider]] = {
    ">=": _ge, ">": _gt, "<=": _le, "<": _lt, "==": _point(operator.eq), "!=": _point(operator.ne)}
