"""`unknown`: content the law delegates or that was not available — always undecidable, never guessed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal, cast

from ntmcert.evaluation.evaluate import Context
from ntmcert.evaluation.explain import source_view
from ntmcert.evaluation.verdict import ComparisonInputs, IndicatorResult, Text
from ntmcert.packs.library import PackIndicator
from ntmcert.packs.registry import DocRow, IndicatorKind, register
from ntmcert.packs.schema import IndicatorBase, Source


class UnknownIndicator(IndicatorBase):
    """Content the law delegates or that was not available: always undecidable, never guessed."""

    kind: Literal["unknown"]
    source: Source


class UnknownKind(IndicatorKind):
    name = "unknown"
    model = UnknownIndicator

    def plan(self, ctx: Context, indicator: PackIndicator, hamlet: tuple[int, str] | None
             ) -> Callable[[], IndicatorResult]:
        spec = cast(UnknownIndicator, indicator.spec)
        return lambda: unknown_result(spec, indicator.layer, spec.source)

    def doc_rows(self, spec: Any) -> Iterator[DocRow]:
        yield DocRow(spec.id, None, spec.title, spec.source)


def unknown_result(spec: Any, layer: str, source: Source) -> IndicatorResult:
    """The undecidable result of an indicator whose content is not encoded."""
    vi = "Nội dung chỉ tiêu chưa được mã hóa (văn bản chưa có hoặc do tỉnh quy định): không thể kết luận."
    en = "The indicator's content is not encoded (text unavailable or delegated to the province): undecidable."
    if source.note:
        vi += f" Ghi chú: {source.note}"
        en += f" Note: {source.note}"
    return IndicatorResult(id=spec.id, title=Text(spec.title.vi, spec.title.en), status="undecidable", layer=layer,
                           views={"source": source_view(source), "explanation": Text(vi, en),
                                  "threshold": {"value": None, "unknown": True, "layer": layer,
                                                "display": {"vi": "chưa rõ", "en": "unknown"}}})


register(UnknownKind())
