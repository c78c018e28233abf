"""`compare`: one fact against one threshold (fact <op> threshold)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal, cast

from ntmcert.evaluation.evaluate import Context, compare_result, facts_and_ref, plan_comparison
from ntmcert.evaluation.verdict import IndicatorResult
from ntmcert.packs.library import PackIndicator
from ntmcert.packs.registry import DocRow, IndicatorKind, LocatedComparison, register
from ntmcert.packs.schema import Comparison, IndicatorBase


class CompareIndicator(IndicatorBase, Comparison):
    kind: Literal["compare"]


class CompareKind(IndicatorKind):
    name = "compare"
    model = CompareIndicator
    in_hamlets = True

    def comparisons(self, spec: Any) -> Iterator[LocatedComparison]:
        yield LocatedComparison(spec, (), False)

    def leaves(self, spec: Any) -> list[tuple[str, str]]:
        return [(spec.id, spec.op)]

    def plan(self, ctx: Context, indicator: PackIndicator, hamlet: tuple[int, str] | None
             ) -> Callable[[], IndicatorResult]:
        spec = cast(CompareIndicator, indicator.spec)
        facts, suffix, ref = facts_and_ref(ctx, hamlet)
        planned = plan_comparison(ctx, spec.id + suffix, spec.id, spec, indicator.layer, facts, ref(spec.fact),
                                  spec.title)
        return lambda: compare_result(ctx, spec.id, planned)

    def doc_rows(self, spec: Any) -> Iterator[DocRow]:
        yield DocRow(spec.id, spec.fact, spec.title, spec.source, comparison=spec)


register(CompareKind())
