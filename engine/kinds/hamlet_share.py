"""`hamlet_share`: a share of ALL the commune's hamlets meets every one of the hamlet indicators
("100% số thôn có nhà văn hóa", criterion 6.3 of the base set).

The share is of the commune's hamlets (the commune-level count fact `total_fact`), not of the
hamlets the fact set happens to list: a hamlet not listed is not yet known, never counted as
meeting the condition. The hamlet indicators are decided by the engine per hamlet (as for
`hamlets`); the share (passing hamlets / all hamlets, against a percentage) is exact arithmetic on
whole counts, like the hamlet count of `hamlets`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal, cast

from ntmcert.core.exact import to_fraction
from ntmcert.core.text import Text
from ntmcert.core.text import percent as pct
from ntmcert.evaluation.evaluate import Context, combine_undecided, plan_indicator
from ntmcert.evaluation.explain import source_view
from ntmcert.evaluation.verdict import IndicatorResult, IndicatorStatus
from ntmcert.kinds.hamlets import hamlet_results
from ntmcert.packs.library import PackIndicator
from ntmcert.packs.registry import DocRow, IndicatorKind, LocatedComparison, kind_of, register
from ntmcert.packs.schema import IndicatorBase, Percent, Source
from pydantic import Field

if TYPE_CHECKING:
    from ntmcert.packs.schema import HamletIndicator

def _at_least(a: Fraction, b: Fraction) -> bool:
    return a >= b


def _above(a: Fraction, b: Fraction) -> bool:
    return a > b


_OPS: dict[str, Callable[[Fraction, Fraction], bool]] = {">=": _at_least, ">": _above}


class HamletShareIndicator(IndicatorBase):
    """At least `threshold` (a percentage) of all the commune's hamlets meet every hamlet indicator."""

    kind: Literal["hamlet_share"]
    op: Literal[">=", ">"] = ">="
    threshold: Percent
    total_fact: str = Field(pattern=r"^[a-z][a-z0-9_]*$")  # commune-level count of all hamlets
    source: Source
    hamlet_indicators: tuple[HamletIndicator, ...] = Field(min_length=1)


class HamletShareKind(IndicatorKind):
    name = "hamlet_share"
    model = HamletShareIndicator

    def comparisons(self, spec: Any) -> Iterator[LocatedComparison]:
        for k, sub in enumerate(spec.hamlet_indicators):
            for located in kind_of(sub).comparisons(sub):
                yield LocatedComparison(located.comparison, ("hamlet_indicators", k, *located.sub_path), True)

    def ids(self, spec: Any) -> Iterator[str]:
        yield spec.id
        for sub in spec.hamlet_indicators:
            yield from kind_of(sub).ids(sub)

    def hamlet_groups(self, spec: Any) -> list[tuple[str, list[tuple[str, str]]]]:
        return [(f"h:{spec.id}", [leaf for sub in spec.hamlet_indicators for leaf in kind_of(sub).leaves(sub)])]

    def plan(self, ctx: Context, indicator: PackIndicator, hamlet: tuple[int, str] | None
             ) -> Callable[[], IndicatorResult]:
        spec, layer = cast(HamletShareIndicator, indicator.spec), indicator.layer
        per_hamlet = []
        for i, h in enumerate(ctx.factset.hamlets):
            subs = [plan_indicator(ctx, PackIndicator(sub, layer), (i, h.name)) for sub in spec.hamlet_indicators]
            per_hamlet.append((h.name, subs))
        total = ctx.factset.facts.get(spec.total_fact)
        return lambda: _result(spec, layer, per_hamlet, total)

    def facts_read(self, spec: Any) -> Iterator[tuple[str, str, tuple[str | int, ...]]]:
        yield spec.total_fact, "count", ("total_fact",)

    def doc_rows(self, spec: Any) -> Iterator[DocRow]:
        yield DocRow(spec.id, spec.total_fact, spec.title, spec.source, share_of_hamlets=(spec.op, spec.threshold))
        for sub in spec.hamlet_indicators:
            for row in kind_of(sub).doc_rows(sub):
                yield DocRow(row.ident, row.fact, row.title, row.source, row.comparison, row.count,
                             row.alternative, nested=True)


def hamlet_facts(spec: Any) -> list[str]:
    return [located.comparison.fact for located in HamletShareKind().comparisons(spec)]


def _result(spec: HamletShareIndicator, layer: str, per_hamlet: list[tuple[str, list[Callable[[], IndicatorResult]]]],
            total_value: Any) -> IndicatorResult:
    hamlets, passing, open_ = hamlet_results(per_hamlet)
    t = to_fraction(spec.threshold.percent) / 100
    test = _OPS[spec.op]
    listed_missing = tuple(sorted({m for h in open_ for s in h.indicators for m in s.missing_facts}))
    status: IndicatorStatus
    missing: tuple[str, ...]
    total: int | None = None
    if total_value is not None and total_value.interval.is_point:
        total = max(int(total_value.interval.lo), len(hamlets))  # more hamlets listed than the total: count them
    if total is None or total == 0:
        status = "missing" if total_value is None else "undecidable"
        missing = ((spec.total_fact,) if total_value is None else ()) + listed_missing
        if not hamlets:
            missing += tuple(f"hamlet:*:{f}" for f in sorted(set(hamlet_facts(spec))))
        low = None
    else:
        unlisted = total - len(hamlets)
        low, high = Fraction(passing, total), Fraction(passing + len(open_) + unlisted, total)
        if test(low, t):
            status, missing = "pass", ()
        elif not test(high, t):
            status, missing = "fail", ()
        else:
            open_statuses = [s.status for h in open_ for s in h.indicators] + (["missing"] if unlisted else [])
            status = combine_undecided(open_statuses)
            unlisted_refs = tuple(f"hamlet:*:{f}" for f in sorted(set(hamlet_facts(spec)))) if unlisted else ()
            missing = listed_missing + unlisted_refs
    shown_t = {lang: pct(t, lang) for lang in ("vi", "en")}
    if low is None or total is None:
        vi = f"Chưa rõ tổng số ấp của xã ({spec.total_fact}): không tính được tỷ lệ; cần {spec.op} {shown_t['vi']}."
        en = f"The commune's number of hamlets ({spec.total_fact}) is not known: no share; {spec.op} " \
             f"{shown_t['en']} needed."
        actual = None
    else:
        vi = (f"{passing}/{total} ấp đạt đủ các chỉ tiêu ({pct(low, 'vi')}); cần {spec.op} {shown_t['vi']}"
              + (f"; {total - len(hamlets)} ấp chưa có trong bộ số liệu." if total > len(hamlets) else "."))
        en = (f"{passing} of {total} hamlets meet every indicator ({pct(low, 'en')}); {spec.op} {shown_t['en']} "
              f"needed" + (f"; {total - len(hamlets)} hamlet(s) not in the fact set." if total > len(hamlets)
                           else "."))
        actual = {"form": "hamlet_share", "value": f"{passing}/{total}", "count": passing, "of": total,
                  "display": {lang: f"{passing}/{total} ({pct(low, lang)})" for lang in ("vi", "en")}}
    views: dict[str, Any] = {
        "threshold": {"value": str(t.numerator) + (f"/{t.denominator}" if t.denominator != 1 else ""),
                      "unknown": False, "layer": layer, "display": shown_t},
        "source": source_view(spec.source), "explanation": Text(vi, en),
    }
    if actual is not None:
        views["actual"] = actual
    if status != "pass" and total:
        need = next(k for k in range(total + 1) if test(Fraction(k, total), t)) if test(Fraction(1), t) else None
        if need is not None:
            views["to_pass"] = {"value": str(need), "display": {
                "vi": f"cần {need}/{total} ấp đạt đủ các chỉ tiêu (thêm {need - passing})",
                "en": f"needs {need} of {total} hamlets meeting every indicator ({need - passing} more)"}}
    return IndicatorResult(id=spec.id, title=spec.title, status=status, op=spec.op,
                           layer=layer, hamlets=tuple(hamlets), missing_facts=tuple(dict.fromkeys(missing)),
                           views=views)


register(HamletShareKind())
