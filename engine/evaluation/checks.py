"""The atoms an engine decides, and the reference evaluator that decides them in plain Python.

A `Check` is one comparison with both sides known: a fact value (point or interval) against a
resolved threshold. Missing facts and unknown thresholds never become checks; the evaluator
reports them itself. Every engine maps each check to pass / fail / undecidable.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Protocol, Sequence

from ntmcert.core.version import __version__

if TYPE_CHECKING:
    from ntmcert.packs.library import Pack
from ntmcert.core.exact import OPERATORS, Interval, decide


@dataclass(frozen=True, slots=True)
class Check:
    key: str  # unique within one evaluation
    rule: str  # the compiled rule that decides it (shared by every hamlet)
    op: str
    value: Interval
    threshold: Fraction


class Engine(Protocol):
    """What the evaluator needs from a rule engine."""

    name: str
    version: str

    def decide(self, pack: Pack, checks: Sequence[Check]) -> dict[str, str]:
        """Map every check's key to 'pass', 'fail' or 'undecidable'."""


class ReferenceEngine:
    """Independent plain-Python evaluator over fractions: the tests' oracle and the fallback."""

    name = "reference"

    def __init__(self) -> None:
        self.version = __version__

    def decide(self, pack: Pack, checks: Sequence[Check]) -> dict[str, str]:
        return {c.key: decide(c.value, OPERATORS[c.op], c.threshold) for c in checks}
