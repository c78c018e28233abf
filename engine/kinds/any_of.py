"""`any_of`: passes when any alternative comparison passes (the law's "A hoặc B")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal, cast

from ntmcert.core.text import Text
from ntmcert.evaluation.evaluate import Context, combine_undecided, compare_result, facts_and_ref, plan_comparison
from ntmcert.evaluation.verdict import ComparisonInputs, IndicatorResult, IndicatorStatus
from ntmcert.packs.library import PackIndicator
from ntmcert.packs.registry import DocRow, IndicatorKind, LocatedComparison, register
from ntmcert.packs.schema import Comparison, IndicatorBase
from pydantic import Field

_HEAD = {"pass": Text("Đạt (ít nhất một phương án đạt)", "Pass (at least one alternative passes)"),
         "fail": Text("Chưa đạt: không phương án nào đạt", "Fail: no alternative passes"),
         "missing": Text("Chưa đủ số liệu để kết luận các phương án", "Missing data to decide the alternatives"),
         "undecidable": Text("Chưa kết luận được phương án nào", "No alternative can be decided")}


class AnyOfIndicator(IndicatorBase):
    """Passes when any alternative passes (the law's "A hoặc B")."""

    kind: Literal["any_of"]
    alternatives: tuple[Comparison, ...] = Field(min_length=2)


class AnyOfKind(IndicatorKind):
    name = "any_of"
    model = AnyOfIndicator
    in_hamlets = True

    def comparisons(self, spec: Any) -> Iterator[LocatedComparison]:
        for k, alt in enumerate(spec.alternatives):
            yield LocatedComparison(alt, ("alternatives", k), False)

    def leaves(self, spec: Any) -> list[tuple[str, str]]:
        return [(f"{spec.id}#{k}", alt.op) for k, alt in enumerate(spec.alternatives)]

    def plan(self, ctx: Context, indicator: PackIndicator, hamlet: tuple[int, str] | None
             ) -> Callable[[], IndicatorResult]:
        spec, layer = cast(AnyOfIndicator, indicator.spec), indicator.layer
        facts, suffix, ref = facts_and_ref(ctx, hamlet)
        alts = [plan_comparison(ctx, f"{spec.id}#{k}{suffix}", f"{spec.id}#{k}", alt, layer, facts, ref(alt.fact))
                for k, alt in enumerate(spec.alternatives)]
        return lambda: _result(ctx, spec, layer, alts)

    def doc_rows(self, spec: Any) -> Iterator[DocRow]:
        for k, alt in enumerate(spec.alternatives):
            yield DocRow(f"{spec.id}#{k}", alt.fact, spec.title, alt.source, comparison=alt, alternative=k)


def _result(ctx: Context, spec: AnyOfIndicator, layer: str, alts: list[ComparisonInputs]) -> IndicatorResult:
    results = tuple(compare_result(ctx, f"{spec.id}#{k}", alt) for k, alt in enumerate(alts))
    statuses = [r.status for r in results]
    status: IndicatorStatus
    if "pass" in statuses:
        status = "pass"
    elif all(s == "fail" for s in statuses):
        status = "fail"
    else:
        status = combine_undecided(statuses)
    missing = () if status == "pass" else tuple(m for r in results for m in r.missing_facts)
    head = _HEAD[status]
    views: dict[str, Any] = {"explanation": head + "."}
    if status != "pass":
        ways = [(alt, r) for alt, r in zip(alts, results, strict=True) if r.status != "fail" or r.to_pass]
        parts: dict[str, list[str]] = {"vi": [], "en": []}
        for alt, r in ways:
            for lang in ("vi", "en"):
                label = alt.fact.label.get(lang)
                need = r.to_pass["display"][lang] if r.to_pass else ""
                parts[lang].append(f"{label}: {need}" if need else label)
        views["to_pass"] = {"display": {"vi": "một trong: " + " | hoặc ".join(parts["vi"]),
                                        "en": "any one of: " + " | or ".join(parts["en"])},
                            "ways": [r.to_pass for _, r in ways]}
    return IndicatorResult(id=spec.id, title=spec.title, status=status, layer=layer,
                           alternatives=results, missing_facts=missing, views=views)


register(AnyOfKind())
