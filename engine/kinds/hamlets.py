"""`hamlets`: at least N hamlets meet every one of the hamlet indicators ("có ít nhất 1 ấp …")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, cast

from ntmcert.core.text import Text
from ntmcert.evaluation.evaluate import Context, combine_undecided, plan_indicator
from ntmcert.evaluation.explain import source_view
from ntmcert.evaluation.verdict import HamletResult, HamletStatus, IndicatorResult, IndicatorStatus
from ntmcert.kinds.unknown import unknown_result
from ntmcert.packs.library import PackIndicator
from ntmcert.packs.registry import DocRow, IndicatorKind, LocatedComparison, kind_of, register
from ntmcert.packs.schema import IndicatorBase, Source
from pydantic import Field

if TYPE_CHECKING:
    from ntmcert.packs.schema import HamletIndicator


class HamletsIndicator(IndicatorBase):
    """At least `threshold` hamlets meet every one of `hamlet_indicators` ("có ít nhất 1 ấp …")."""

    kind: Literal["hamlets"]
    op: Literal[">="] = ">="
    threshold: int = Field(ge=1)
    source: Source
    hamlet_indicators: tuple[HamletIndicator, ...] | Literal["unknown"]
    hamlet_definition_source: Source | None = None


class HamletsKind(IndicatorKind):
    name = "hamlets"
    model = HamletsIndicator

    def _subs(self, spec: Any) -> tuple:
        return () if spec.hamlet_indicators == "unknown" else spec.hamlet_indicators

    def comparisons(self, spec: Any) -> Iterator[LocatedComparison]:
        for k, sub in enumerate(self._subs(spec)):
            for located in kind_of(sub).comparisons(sub):
                yield LocatedComparison(located.comparison, ("hamlet_indicators", k, *located.sub_path), True)

    def ids(self, spec: Any) -> Iterator[str]:
        yield spec.id
        for sub in self._subs(spec):
            yield from kind_of(sub).ids(sub)

    def hamlet_groups(self, spec: Any) -> list[tuple[str, list[tuple[str, str]]]]:
        if spec.hamlet_indicators == "unknown":
            return []
        return [(f"h:{spec.id}", [leaf for sub in spec.hamlet_indicators for leaf in kind_of(sub).leaves(sub)])]

    def plan(self, ctx: Context, indicator: PackIndicator, hamlet: tuple[int, str] | None
             ) -> Callable[[], IndicatorResult]:
        spec, layer = cast(HamletsIndicator, indicator.spec), indicator.layer
        if spec.hamlet_indicators == "unknown":
            return lambda: unknown_result(spec, layer, spec.hamlet_definition_source or spec.source)
        per_hamlet = []
        for i, h in enumerate(ctx.factset.hamlets):
            subs = [plan_indicator(ctx, PackIndicator(sub, layer), (i, h.name)) for sub in spec.hamlet_indicators]
            per_hamlet.append((h.name, subs))
        return lambda: _result(spec, layer, per_hamlet)

    def doc_rows(self, spec: Any) -> Iterator[DocRow]:
        yield DocRow(spec.id, "hamlets", spec.title, spec.source, count=spec.threshold)
        if spec.hamlet_indicators == "unknown":
            yield DocRow(spec.id, None, None, spec.hamlet_definition_source or spec.source, unknown_by_province=True)
            return
        for sub in spec.hamlet_indicators:
            for row in kind_of(sub).doc_rows(sub):
                yield DocRow(row.ident, row.fact, row.title, row.source, row.comparison, row.count,
                             row.alternative, nested=True)


def hamlet_results(per_hamlet: list[tuple[str, list[Callable[[], IndicatorResult]]]]
                   ) -> tuple[list[HamletResult], int, list[HamletResult]]:
    """Each hamlet's result (pass when all its indicators pass, fail when one fails, else
    incomplete), sorted by name; how many pass; those still open."""
    hamlets = []
    for name, builders in per_hamlet:
        subs = tuple(build() for build in builders)
        statuses = [s.status for s in subs]
        h_status: HamletStatus = ("fail" if "fail" in statuses
                                  else "pass" if all(s == "pass" for s in statuses) else "incomplete")
        hamlets.append(HamletResult(name, h_status, subs))
    hamlets.sort(key=lambda h: h.name)
    passing = sum(h.status == "pass" for h in hamlets)
    return hamlets, passing, [h for h in hamlets if h.status == "incomplete"]


def _result(spec: HamletsIndicator, layer: str, per_hamlet: list) -> IndicatorResult:
    hamlets, passing, open_ = hamlet_results(per_hamlet)
    need = spec.threshold
    missing: tuple[str, ...] = ()
    status: IndicatorStatus
    if not hamlets:
        status = "missing"
        missing = tuple(sorted({f"hamlet:*:{located.comparison.fact}"
                                for located in HamletsKind().comparisons(spec)}))
    elif passing >= need:
        status = "pass"
    elif passing + len(open_) < need:
        status = "fail"
    else:
        status = combine_undecided([s.status for h in open_ for s in h.indicators])
    if status in ("missing", "undecidable") and hamlets:
        missing = tuple(sorted({m for h in open_ for s in h.indicators for m in s.missing_facts}))
    vi = f"{passing}/{len(hamlets)} ấp đạt đủ các chỉ tiêu; cần ít nhất {need}."
    en = f"{passing} of {len(hamlets)} hamlets meet every indicator; at least {need} needed."
    if not hamlets:
        return _no_hamlets(spec, layer, missing)
    views: dict[str, Any] = {
        "actual": {"form": "hamlet_count", "value": str(passing),
                   "display": {"vi": f"{passing} ấp", "en": f"{passing} hamlet" + ("s" if passing != 1 else "")}},
        "threshold": {"value": str(need), "unknown": False, "layer": layer,
                      "display": {"vi": f"{need} ấp", "en": f"{need} hamlet" + ("s" if need != 1 else "")}},
        "margin": {"value": str(passing - need), "unit": "hamlets",
                   "display": {"vi": f"{_signed(passing - need)} ấp", "en": f"{_signed(passing - need)} hamlets"}},
        "source": source_view(spec.source), "explanation": Text(vi, en),
    }
    if status != "pass":
        views["to_pass"] = {"value": str(need), "display": {
            "vi": f"cần thêm {need - passing} ấp đạt đủ các chỉ tiêu",
            "en": f"needs {need - passing} more hamlet(s) meeting every indicator"}}
    return IndicatorResult(id=spec.id, title=spec.title, status=status, op=spec.op,
                           layer=layer, hamlets=tuple(hamlets), missing_facts=missing, views=views)


def _signed(n: int) -> str:
    return ("+" if n >= 0 else "−") + str(abs(n))


def _no_hamlets(spec: HamletsIndicator, layer: str, missing: tuple[str, ...]) -> IndicatorResult:
    """No hamlet is listed: nothing is counted, so no count, margin or "n more" is shown; what to
    collect is said in words, for every hamlet."""
    subs = [] if spec.hamlet_indicators == "unknown" else list(spec.hamlet_indicators)
    what = (Text.join("; ", [sub.title for sub in subs]) if subs
            else Text("các chỉ tiêu của ấp", "the hamlet indicators"))
    need = spec.threshold
    views: dict[str, Any] = {
        "actual": None,
        "threshold": {"value": str(need), "unknown": False, "layer": layer,
                      "display": {"vi": f"{need} ấp", "en": f"{need} hamlet" + ("s" if need != 1 else "")}},
        "margin": None,
        "source": source_view(spec.source),
        "explanation": Text("Bộ số liệu chưa có ấp nào: cần danh sách ấp và số liệu của từng ấp.",
                            "The fact set lists no hamlets: the hamlets and each hamlet's figures are needed."),
        "to_pass": {"value": None, "display": (Text("cần số liệu (mọi ấp): ", "needs, for every hamlet: ")
                                               + what).to_dict()},
    }
    return IndicatorResult(id=spec.id, title=spec.title, status="missing", op=spec.op, layer=layer, hamlets=(),
                           missing_facts=missing, views=views)


register(HamletsKind())
