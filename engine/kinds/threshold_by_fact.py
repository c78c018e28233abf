"""`threshold_by_fact`: a fact against a threshold that another fact chooses.

The law's "≥ 70% of the schools when the commune has more than 3 schools, ≥ 50% when it has 3 or
fewer" (QĐ 1491/QĐ-BGDĐT for criterion 5): `when` is the choosing comparison (schools > 3), `then`
the comparison that applies when it holds, `otherwise` the one that applies when it does not; both
compare the same fact with the same operator. All three are decided by the engine (rule keys
`<id>#when`, `<id>#then`, `<id>#else`). When `when` cannot be decided, the indicator is decided
only if both branches agree; otherwise it waits for the choosing fact, never guesses it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal, cast

from ntmcert.core.text import Text
from ntmcert.evaluation.evaluate import Context, combine_undecided, compare_result, facts_and_ref, plan_comparison
from ntmcert.evaluation.verdict import ComparisonInputs, IndicatorResult, IndicatorStatus
from ntmcert.packs.library import PackIndicator
from ntmcert.packs.registry import DocRow, IndicatorKind, LocatedComparison, register
from ntmcert.packs.schema import Comparison, IndicatorBase
from pydantic import model_validator

BRANCHES = ("when", "then", "else")


class ThresholdByFactIndicator(IndicatorBase):
    """`then` applies when `when` holds, `otherwise` when it does not."""

    kind: Literal["threshold_by_fact"]
    when: Comparison
    then: Comparison
    otherwise: Comparison

    @model_validator(mode="after")
    def _same_fact(self) -> ThresholdByFactIndicator:
        if self.then.fact != self.otherwise.fact or self.then.op != self.otherwise.op:
            raise ValueError("then and otherwise compare the same fact with the same operator; only the "
                             "threshold is chosen")
        if self.when.fact == self.then.fact:
            raise ValueError("the choosing fact (when) must be another fact than the one compared")
        return self


def _parts(spec: ThresholdByFactIndicator) -> tuple[Comparison, Comparison, Comparison]:
    return spec.when, spec.then, spec.otherwise


class ThresholdByFactKind(IndicatorKind):
    name = "threshold_by_fact"
    model = ThresholdByFactIndicator

    def comparisons(self, spec: Any) -> Iterator[LocatedComparison]:
        for field, cmp in zip(("when", "then", "otherwise"), _parts(spec), strict=True):
            yield LocatedComparison(cmp, (field,), False)

    def leaves(self, spec: Any) -> list[tuple[str, str]]:
        return [(f"{spec.id}#{b}", cmp.op) for b, cmp in zip(BRANCHES, _parts(spec), strict=True)]

    def plan(self, ctx: Context, indicator: PackIndicator, hamlet: tuple[int, str] | None
             ) -> Callable[[], IndicatorResult]:
        spec, layer = cast(ThresholdByFactIndicator, indicator.spec), indicator.layer
        facts, suffix, ref = facts_and_ref(ctx, hamlet)
        planned = [plan_comparison(ctx, f"{spec.id}#{b}{suffix}", f"{spec.id}#{b}", cmp, layer, facts, ref(cmp.fact))
                   for b, cmp in zip(BRANCHES, _parts(spec), strict=True)]
        return lambda: _result(ctx, spec, layer, planned)

    def doc_rows(self, spec: Any) -> Iterator[DocRow]:
        t = spec.title
        titles = (Text(f"{t.vi} – điều kiện chọn ngưỡng", f"{t.en} – the condition choosing the threshold"),
                  Text(f"{t.vi} – khi điều kiện thỏa", f"{t.en} – when the condition holds"),
                  Text(f"{t.vi} – khi điều kiện không thỏa", f"{t.en} – when it does not"))
        for b, cmp, title in zip(BRANCHES, _parts(spec), titles, strict=True):
            yield DocRow(f"{spec.id}#{b}", cmp.fact, title, cmp.source, comparison=cmp)


def _result(ctx: Context, spec: ThresholdByFactIndicator, layer: str,
            planned: list[ComparisonInputs]) -> IndicatorResult:
    when, then, other = (compare_result(ctx, f"{spec.id}#{b}", p) for b, p in zip(BRANCHES, planned, strict=True))
    status: IndicatorStatus
    if when.status in ("pass", "fail"):
        chosen = then if when.status == "pass" else other
        status, missing = chosen.status, chosen.missing_facts
        word = ("thỏa", "holds") if when.status == "pass" else ("không thỏa", "does not hold")
        vi = f"Điều kiện chọn ngưỡng {word[0]}: áp dụng ngưỡng {'thứ nhất' if chosen is then else 'thứ hai'}."
        en = f"The condition choosing the threshold {word[1]}: the {'first' if chosen is then else 'second'} " \
             f"threshold applies."
    elif then.status == other.status and then.status in ("pass", "fail"):
        chosen, status, missing = then, then.status, ()
        vi = "Chưa rõ điều kiện chọn ngưỡng, nhưng cả hai ngưỡng cho cùng kết quả."
        en = "The condition choosing the threshold is not known, but both thresholds give the same result."
    else:
        chosen = None
        status = combine_undecided([when.status, then.status, other.status])
        missing = tuple(dict.fromkeys((*when.missing_facts, *then.missing_facts, *other.missing_facts)))
        vi = "Chưa rõ điều kiện chọn ngưỡng, và hai ngưỡng cho kết quả khác nhau: cần số liệu của điều kiện."
        en = "The condition choosing the threshold is not known, and the two thresholds differ: its figure is needed."
    if status == "pass":
        missing = ()
    views: dict[str, Any] = {"explanation": Text(vi, en)}
    if chosen is not None and status != "pass" and chosen.to_pass:
        views["to_pass"] = chosen.to_pass
    return IndicatorResult(id=spec.id, title=spec.title, status=status, layer=layer,
                           alternatives=(when, then, other), missing_facts=tuple(missing), views=views)


register(ThresholdByFactKind())
