"""A commune's criteria results as compact arrays, with the result objects built only when read.

Evaluating a pack decides one status per indicator and per criterion; the typed results of the
verdict (`CriterionResult`, `IndicatorResult` and their explanation inputs) are a hundred objects
per commune that a batch row, a count or a status check never reads. `CriteriaOutcome` keeps what
was decided (statuses, the values read, the results that a kind had to build anyway) in flat
lists laid out by the pack's `PackTable`, answers status questions from those lists, and builds
the tuple of `CriterionResult` the first time it is read as a sequence. Built or not, it is the
same value: equal, iterated, indexed and pickled as that tuple.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, overload

from ntmcert.core.text import Text
from ntmcert.evaluation.verdict import (
    ComparisonInputs,
    CriterionResult,
    CriterionStatus,
    IndicatorResult,
    IndicatorStatus,
    StatusArrays,
)

if TYPE_CHECKING:
    from ntmcert.inputs.catalogue import Catalogue, FactDef
    from ntmcert.inputs.factset import FactValue
    from ntmcert.packs.library import Pack, PackIndicator
    from ntmcert.packs.resolve import ResolvedThreshold
    from ntmcert.packs.schema import Comparison

# a plain comparison's planning, the same for every commune: (id, comparison, layer, fact, threshold, title)
PlainComparison = tuple[str, "Comparison", str, "FactDef", "ResolvedThreshold", Text]
PlainRow = tuple[int, str, str, str, Fraction | None]


@dataclass(frozen=True)
class PackTable:
    """A pack's indicators laid out flat, in pack order, made once per pack and catalogue.

    `plain[i]` is the planning of indicator i when it is a commune-level `compare` whose threshold
    is a number in the pack (the common case, planned by the evaluator from this table), else None
    (its kind plans it). `bounds[c]` is criterion c's slice of the flat order."""

    pack: Pack
    catalogue: Catalogue
    indicators: tuple[PackIndicator, ...]
    bounds: tuple[tuple[int, int], ...]
    plain: tuple[PlainComparison | None, ...]
    ids: tuple[str, ...]  # indicator ids, flat
    # what the evaluator's loop reads per indicator: a plain comparison's (index, fact, id, operator,
    # threshold value or None when unknown), or the index of an indicator its kind plans
    rows: tuple[PlainRow | int, ...]


class CriteriaOutcome(Sequence[CriterionResult], StatusArrays):
    """One commune's criteria results: statuses in flat arrays, result objects built on first read.

    `values[i]` is the fact value a plain comparison read, `built[i]` the result a kind built (None
    for plain comparisons, whose results are made from the table, the value and the status)."""

    __slots__ = ("_results", "built", "indicator_statuses", "statuses", "table", "values")

    def __init__(self, table: PackTable, statuses: tuple[CriterionStatus, ...],
                 indicator_statuses: list[IndicatorStatus], values: list[FactValue | None],
                 built: list[IndicatorResult | None]) -> None:
        self.table = table
        self.statuses = statuses
        self.indicator_statuses = indicator_statuses
        self.values = values
        self.built = built
        self._results: tuple[CriterionResult, ...] | None = None

    @property
    def is_built(self) -> bool:
        """Whether the result objects have been built (reading statuses never builds them)."""
        return self._results is not None

    @property
    def missing_facts(self) -> set[str]:
        """Every fact id (or hamlet:…:fact ref) an indicator found missing, applicable or not."""
        out: set[str] = set()
        for i, status in enumerate(self.indicator_statuses):
            built = self.built[i]
            if built is not None:
                out.update(built.missing_facts)
            elif status == "missing":
                plain = self.table.plain[i]
                if plain is not None:
                    out.add(plain[1].fact)
        return out

    def status_by_criterion(self) -> dict[str, CriterionStatus]:
        """Each criterion's status by id, read from the arrays."""
        return dict(zip((c.spec.id for c in self.table.pack.criteria), self.statuses, strict=True))

    def status_by_indicator(self) -> dict[str, IndicatorStatus]:
        """Each top-level indicator's status by id, read from the arrays."""
        return dict(zip(self.table.ids, self.indicator_statuses, strict=True))

    def results(self) -> tuple[CriterionResult, ...]:
        """The typed results, built once."""
        if self._results is None:
            self._results = tuple(self._criterion(c) for c in range(len(self.table.pack.criteria)))
        return self._results

    def _criterion(self, c: int) -> CriterionResult:
        crit, (start, end) = self.table.pack.criteria[c], self.table.bounds[c]
        spec = crit.spec
        indicators = tuple(self._indicator(i) for i in range(start, end))
        require = "all" if spec.require == "all" else f"at_least:{spec.require.at_least}"
        note = Text(spec.not_applicable, spec.not_applicable) if spec.not_applicable else None
        return CriterionResult(spec.id, crit.title, self.statuses[c], require, spec.key, crit.layer, indicators,
                               note)

    def _indicator(self, i: int) -> IndicatorResult:
        built = self.built[i]
        if built is not None:
            return built
        plain = self.table.plain[i]
        if plain is None:  # every indicator without a table entry was built by its kind
            raise ValueError(f"indicator {self.table.ids[i]} was neither planned from the table nor built")
        ident, spec, layer, fact, threshold, title = plain
        status = self.indicator_statuses[i]
        inputs = ComparisonInputs(ident, spec, fact, self.values[i], threshold, layer, spec.fact, self.table.pack.id,
                                  title, status)
        return IndicatorResult.comparison(ident, title, status, spec.fact, spec.op, layer,
                                          (spec.fact,) if status == "missing" else (), inputs)

    # ------------------------------------------------------------------ the sequence of results

    @overload
    def __getitem__(self, index: int) -> CriterionResult: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[CriterionResult]: ...

    def __getitem__(self, index: int | slice) -> CriterionResult | Sequence[CriterionResult]:
        return self.results()[index]

    def __len__(self) -> int:
        return len(self.statuses)

    def __iter__(self) -> Iterator[CriterionResult]:
        return iter(self.results())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CriteriaOutcome):
            return self.results() == other.results()
        if isinstance(other, tuple):
            return self.results() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal by value, like the results it stands for

    def __repr__(self) -> str:
        return f"CriteriaOutcome({self.table.ids[:3]}…, statuses={self.statuses})"

    def __reduce__(self) -> tuple[Any, ...]:
        # it travels (to and from worker processes) as the tuple of results it stands for
        return (tuple, (self.results(),))
