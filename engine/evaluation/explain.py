"""Explanations: how an actual value, a threshold and a status read, in Vietnamese and English.

Pure functions from exact values to JSON-able dicts and `Text`; decisions are never made here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

from ntmcert.core.exact import fraction_text, ratio_text
from ntmcert.core.text import (
    AND,
    BOUND_OPERATOR,
    LANGS,
    NEEDED_ANSWER,
    OPERATOR_WORDS,
    PROVENANCE_WORDS,
    UNKNOWN,
    YES_NO,
    Text,
    number_ratio,
    symbol,
)
from ntmcert.core.text import number as num
from ntmcert.core.text import percent as pct
from ntmcert.inputs.catalogue import FactDef, FactKind
from ntmcert.inputs.factset import FactValue
from ntmcert.packs.resolve import ResolvedThreshold
from ntmcert.packs.schema import Source

JSONDict = dict[str, Any]  # a JSON object as the serializer writes it


class ComparisonDetail(Protocol):
    """What the views of one comparison are made from (the evaluator's verdict.ComparisonInputs)."""

    @property
    def key(self) -> str: ...
    @property
    def status(self) -> str | None: ...
    @property
    def fact(self) -> FactDef: ...
    @property
    def value(self) -> FactValue | None: ...
    @property
    def op(self) -> str: ...
    @property
    def threshold(self) -> ResolvedThreshold: ...
    @property
    def source(self) -> Source: ...
    @property
    def layer(self) -> str: ...
    @property
    def pack_id(self) -> str: ...

STATUS_HEAD = {"pass": Text("Đạt", "Pass"), "fail": Text("Chưa đạt", "Fail"),
               "undecidable": Text("Chưa kết luận được", "Undecidable")}


def _unit(fact: FactDef, lang: str) -> str:
    return fact.unit.get(lang) if fact.unit else ""


def _with_unit(text: str, fact: FactDef, lang: str) -> str:
    unit = _unit(fact, lang)
    return f"{text} {unit}" if unit and fact.kind in (FactKind.number, FactKind.count) else text


def _point(value: FactValue) -> Fraction:
    """The value of a fact given as one number (a value, a ratio, a percentage)."""
    if value.interval.lo is None:
        raise ValueError("a fact value given as one number has no number")
    return value.interval.lo


def _ratio(value: FactValue) -> tuple[Fraction, Fraction]:
    """The count and the total of a ratio value (the fact set gives both for every ratio)."""
    if value.count is None or value.of is None:
        raise ValueError("a ratio fact value without its count and total")
    return value.count, value.of


def actual_view(value: FactValue, fact: FactDef) -> JSONDict:
    """The `actual` object of the verdict JSON."""
    out: JSONDict = {"form": value.form}
    if value.kind is FactKind.boolean:
        out["value"] = value.boolean
        out["display"] = YES_NO[bool(value.boolean)].to_dict()
    elif value.form == "ratio":
        count, of = _ratio(value)
        share = _point(value)
        out.update(value=fraction_text(share), count=fraction_text(count), of=fraction_text(of))
        out["display"] = {lang: f"{num(count, lang)}/{num(of, lang)} ({pct(share, lang)})" for lang in LANGS}
    elif value.form == "percent":
        out["value"] = fraction_text(_point(value))
        out["display"] = {lang: pct(_point(value), lang) for lang in LANGS}
    elif value.is_bound:
        scale = 100 if value.form == "percent_bound" else 1
        out["bound"] = {k: fraction_text(v * scale) for k, v in value.bound}
        out["value"] = None
        out["display"] = {}
        for lang in LANGS:
            parts = []
            for k, v in value.bound:
                shown = pct(v, lang) if scale == 100 else _with_unit(num(v, lang), fact, lang)
                parts.append(f"{OPERATOR_WORDS[BOUND_OPERATOR[k]].bound.get(lang)} {shown}")
            out["display"][lang] = AND.get(lang).join(parts)
    else:
        out["value"] = fraction_text(_point(value))
        out["display"] = {lang: _with_unit(num(_point(value), lang), fact, lang) for lang in LANGS}
    if value.source:
        out["source"] = value.source
    if value.note:
        out["note"] = value.note
    return out


def threshold_display(t: ResolvedThreshold, fact: FactDef, lang: str) -> str:
    if t.value is None:
        return UNKNOWN.get(lang)
    if fact.kind is FactKind.boolean:
        return NEEDED_ANSWER[bool(t.value)].get(lang)
    if t.is_share:
        return pct(t.value, lang)
    shown = _with_unit(num(t.value, lang, places=4), fact, lang)
    if t.parameter and t.factor is not None and t.factor != 1:
        if t.base_value is None:  # resolve gives a parameter's own value with every number made from it
            raise ValueError(f"parameter {t.parameter}: a threshold without the parameter's value")
        return f"{num(t.factor, lang)} × {num(t.base_value, lang, places=4)} = {shown}"
    return shown


def threshold_view(t: ResolvedThreshold, fact: FactDef) -> JSONDict | None:
    """The `threshold` object of the verdict JSON (None when the number is unknown and unsourced)."""
    out: JSONDict = {"value": fraction_text(t.value) if t.value is not None else None,
                 "unknown": t.value is None, "layer": t.layer,
                 "display": {lang: threshold_display(t, fact, lang) for lang in LANGS}}
    if t.parameter:
        out["parameter"] = t.parameter
        out["factor"] = fraction_text(t.factor) if t.factor is not None else None
        out["parameter_value"] = fraction_text(t.base_value) if t.base_value is not None else None
        out["parameter_source"] = source_view(t.value_source) if t.value_source else None
        out["valid_from"] = t.valid_from.isoformat() if t.valid_from else None
        out["region"] = t.region.value if t.region else None
    if t.value is None:
        out["reason"] = t.unknown_reason.to_dict() if t.unknown_reason else None
    return out


def source_view(source: Source) -> JSONDict:
    return {"document": source.document, "article": source.article, "url": source.url,
            "provenance": source.provenance.value, "note": source.note}


def margin_view(value: FactValue, t: ResolvedThreshold, fact: FactDef) -> JSONDict | None:
    """actual − threshold, exact, for point values; percentage points for shares."""
    lo, T = value.interval.lo, t.value
    if T is None or value.kind is FactKind.boolean or not value.interval.is_point or lo is None:
        return None
    # the difference in integers, reduced once (Fraction arithmetic would reduce at every step)
    diff, den = lo.numerator * T.denominator - T.numerator * lo.denominator, lo.denominator * T.denominator
    if t.is_share:
        diff *= 100  # percentage points
    g = math.gcd(diff, den)
    diff, den = diff // g, den // g
    if t.is_share:
        return {"value": ratio_text(diff, den), "unit": "percentage_points",
                "display": {"vi": f"{_signed(diff, den, 'vi')} điểm %", "en": f"{_signed(diff, den, 'en')} pp"}}
    return {"value": ratio_text(diff, den), "unit": fact.unit.en if fact.unit else None,
            "display": {lang: _with_unit(_signed(diff, den, lang), fact, lang) for lang in LANGS}}


def _signed(num: int, den: int, lang: str) -> str:
    return ("+" if num >= 0 else "−") + number_ratio(abs(num), den, lang)


def to_pass_view(value: FactValue | None, op: str, t: ResolvedThreshold, fact: FactDef,
                 percent_texts: Mapping[str, str] | None = None) -> JSONDict | None:
    """What would make this comparison pass, computed exactly (None when nothing can be said).

    A ratio: the nearest count that passes for the same total ("cần thêm 146 hộ: 1.282/1.508 ≥ 85%");
    a number or count: the value needed (for a strict threshold on a count, the next whole number);
    a yes/no fact: the answer needed; a bound that straddles: the same, and the exact figure to collect.
    `percent_texts`: the threshold as a percentage in each language, when already made.
    """
    if t.value is None:
        return None
    T = t.value
    if fact.kind is FactKind.boolean:
        want = bool(T)
        return {"value": want, "display": (Text("cần: ", "needs: ") + NEEDED_ANSWER[want]).to_dict()}
    T_pct = percent_texts or {lang: pct(T, lang) for lang in LANGS}
    if value is not None and value.form == "ratio":
        count, of = _ratio(value)
        needed = _needed_count(of, op, T, fact.whole_counts)
        if needed is None or not 0 <= needed <= of:
            return {"value": None, "display": {"vi": f"không thể đạt {symbol(op)} {T_pct['vi']} với mẫu số này",
                                               "en": f"cannot reach {symbol(op)} {T_pct['en']} with this total"}}
        delta = needed - count
        unit_vi, unit_en = _unit(fact, "vi") or "", _unit(fact, "en") or ""
        strict_real = not fact.whole_counts and op in (">", "<")  # no "next" count: say more/less than
        more = "hơn " if strict_real else ""
        if delta >= 0:
            vi = f"cần thêm {more}{num(delta, 'vi')} {unit_vi}"
            en = f"needs {'more than ' if strict_real else ''}{num(delta, 'en')} more"
        else:
            vi = f"cần bớt {more}{num(-delta, 'vi')} {unit_vi}"
            en = f"needs {'more than ' if strict_real else ''}{num(-delta, 'en')} fewer"
        # the unit follows the total in English ("1,282 of 1,508 records"): right for one or many
        vi = f"{vi.strip()}: {num(needed, 'vi')}/{num(of, 'vi')} {symbol(op)} {T_pct['vi']}"
        en = f"{en}: {num(needed, 'en')} of {num(of, 'en')} {unit_en}".strip() + f" {symbol(op)} {T_pct['en']}"
        return {"value": fraction_text(needed), "count": fraction_text(needed), "of": fraction_text(of),
                "change": fraction_text(delta), "display": {"vi": vi, "en": en}}
    target, op_shown = T, op
    if fact.kind is FactKind.count and op in (">", "<"):  # whole numbers: the next one past the threshold
        target = Fraction(math.floor(T) + 1) if op == ">" else Fraction(math.ceil(T) - 1)
        op_shown = ">=" if op == ">" else "<="
    elif fact.kind is FactKind.count and op in (">=", "<="):
        target = Fraction(math.ceil(T)) if op == ">=" else Fraction(math.floor(T))
    if t.is_share:
        shown = T_pct if target == T else {lang: pct(target, lang) for lang in LANGS}
    else:
        shown = {lang: _with_unit(num(target, lang, 4), fact, lang) for lang in LANGS}
    word = OPERATOR_WORDS[op_shown].word
    out: JSONDict = {"value": fraction_text(target), "display": {"vi": f"cần {word.vi} {shown['vi']}",
                                                                 "en": f"needs {word.en} {shown['en']}"}}
    if value is not None and value.interval.is_point and value.interval.lo is not None and not t.is_share:
        delta = target - value.interval.lo
        if delta:
            out["change"] = fraction_text(delta)
            out["display"]["vi"] += f" ({'thêm' if delta > 0 else 'bớt'} {num(abs(delta), 'vi', 4)})"
            out["display"]["en"] += f" ({num(abs(delta), 'en', 4)} {'more' if delta > 0 else 'less'})"
    if value is not None and value.is_bound:
        out["display"] = {"vi": out["display"]["vi"] + "; cần số liệu chính xác thay cho số liệu ước",
                          "en": out["display"]["en"] + "; collect the exact figure instead of the bound"}
    return out


def _needed_count(of: Fraction, op: str, T: Fraction, whole: bool) -> Fraction | None:
    """The count c (for the same `of`) closest to the current side that satisfies c/of <op> T."""
    exact = T * of
    if not whole:
        return exact
    if op == ">=":
        return Fraction(math.ceil(exact))
    if op == ">":
        return Fraction(math.floor(exact) + 1)
    if op == "<=":
        return Fraction(math.floor(exact))
    if op == "<":
        return Fraction(math.ceil(exact) - 1)
    if op == "==":
        return exact if exact.denominator == 1 else None
    return None


@dataclass(frozen=True, slots=True)
class _Template:
    """A view kept in the memo, handed out as copies: a reader may change a verdict's `to_dict()`,
    and no other verdict may see that. Most views nest only flat objects (display {vi, en}), which
    are copied one level down; a view nested deeper is copied whole."""

    tree: JSONDict
    flat: tuple[str, ...] | None  # the keys of its nested objects, all flat; None: nested deeper

    @classmethod
    def of(cls, tree: JSONDict) -> _Template:
        nested = tuple(k for k, v in tree.items() if type(v) in (dict, list))
        if all(type(tree[k]) is dict and all(type(x) not in (dict, list) for x in tree[k].values()) for k in nested):
            return cls(tree, nested)
        return cls(tree, None)

    def copy(self) -> JSONDict:
        if self.flat is None:
            return _deep_copy(self.tree)
        out = self.tree.copy()
        for k in self.flat:
            out[k] = self.tree[k].copy()
        return out


def _deep_copy(tree: JSONDict) -> JSONDict:
    return {k: _deep_copy(v) if type(v) is dict else [_deep_copy(x) if type(x) is dict else x for x in v]
            if type(v) is list else v for k, v in tree.items()}


@dataclass(frozen=True, slots=True)
class _SharedViews:
    """The views of a comparison that depend only on its threshold, fact and source (the same for
    every commune a pack is evaluated for)."""

    threshold: _Template
    display: dict[str, str]  # threshold_display in each language
    percent: dict[str, str]  # the threshold as a percentage in each language (to_pass_view)
    source: _Template
    # to_pass and explanation of a comparison without a value, by (status, op, layer, pack id)
    unvalued: dict[tuple[str, str, str, str], tuple[_Template | None, Text]] = field(default_factory=dict)


_SHARED: dict[tuple[int, int, int], tuple[ResolvedThreshold, FactDef, Source, _SharedViews]] = {}
_SHARED_MAX = 2048  # entries (~2 kB each); past it the memo starts again (the bundled packs need ~100)


def _shared_views(t: ResolvedThreshold, fact: FactDef, source: Source) -> _SharedViews:
    """The shared views of a comparison, memoised by the identity of its threshold, fact and
    source: the evaluator resolves a literal threshold once per pack and hands every commune that
    same object. A parameter's threshold is resolved per commune (date, region, officer), so it
    is not kept. An entry keeps its objects alive, so an id in a key is never another object's."""
    key = (id(t), id(fact), id(source))
    hit = _SHARED.get(key)
    if hit is not None and hit[0] is t and hit[1] is fact and hit[2] is source:
        return hit[3]
    view = threshold_view(t, fact)
    if view is None:  # threshold_view gives a view of every threshold
        raise ValueError("a threshold without a view")
    shared = _SharedViews(_Template.of(view), dict(view["display"]),
                          {lang: pct(t.value, lang) for lang in LANGS} if t.value is not None else {},
                          _Template.of(source_view(source)))
    if t.parameter is None:
        if len(_SHARED) >= _SHARED_MAX:
            _SHARED.clear()
        _SHARED[key] = (t, fact, source, shared)
    return shared


def comparison_views(d: ComparisonDetail) -> JSONDict:
    """Every view of one comparison, each computed once. `d` has status, fact, value, op,
    threshold, source, layer and pack_id (the evaluator's planned comparison)."""
    status = d.status
    if status is None:  # the evaluator sets every status before a result is read
        raise ValueError(f"comparison {d.key}: its views were read before it was decided")
    shared = _shared_views(d.threshold, d.fact, d.source)
    if d.value is None:  # a missing fact: every view is made of what all communes share
        key = (status, d.op, d.layer, d.pack_id)
        made = shared.unvalued.get(key)
        if made is None:
            to_pass = (to_pass_view(None, d.op, d.threshold, d.fact, shared.percent or None)
                       if status != "pass" else None)
            made = shared.unvalued[key] = (_Template.of(to_pass) if to_pass is not None else None, comparison_text(
                status, d.fact, None, d.op, d.threshold, d.source, d.layer, d.pack_id, to_pass, shared.display))
        return {"actual": None, "threshold": shared.threshold.copy(), "margin": None,
                "to_pass": made[0].copy() if made[0] is not None else None, "source": shared.source.copy(),
                "explanation": made[1]}
    actual = actual_view(d.value, d.fact)
    to_pass = (to_pass_view(d.value, d.op, d.threshold, d.fact, shared.percent or None)
               if status != "pass" else None)
    return {
        "actual": actual,
        "threshold": shared.threshold.copy(),
        "margin": margin_view(d.value, d.threshold, d.fact),
        "to_pass": to_pass,
        "source": shared.source.copy(),
        "explanation": comparison_text(status, d.fact, actual, d.op, d.threshold, d.source, d.layer, d.pack_id,
                                       to_pass, shared.display),
    }


def comparison_text(status: str, fact: FactDef, actual: JSONDict | None, op: str, t: ResolvedThreshold,
                    source: Source, layer: str, pack_id: str, to_pass: JSONDict | None,
                    threshold_texts: Mapping[str, str] | None = None) -> Text:
    """The one-paragraph explanation of a comparison (`actual` is its already-built view;
    `threshold_texts`, threshold_display in each language, when already made)."""
    return Text.build(lambda lang: _comparison_sentence(
        lang, status, fact, actual, op, t, source, layer, pack_id, to_pass,
        threshold_texts[lang] if threshold_texts else threshold_display(t, fact, lang)))


_MISSING = Text("Chưa có số liệu: ", "Missing: ")
_THRESHOLD = Text(" Ngưỡng: ", " Threshold: ")
_THRESHOLD_UNKNOWN = Text("ngưỡng chưa rõ ({r}).", "the threshold is unknown ({r}).")
_STRADDLES = Text(" Số liệu báo cáo là một khoảng nằm hai phía ngưỡng.", " The reported bound straddles the threshold.")
_PROVENANCE = Text(" (Nguồn ngưỡng: {w}.)", " (Threshold provenance: {w}.)")
_VALUE_LAYER = Text(" Giá trị từ lớp {x}.", " Value from layer {x}.")
_RULE_LAYER = Text(" Quy tắc từ lớp {x}.", " Rule from layer {x}.")


def _comparison_sentence(lang: str, status: str, fact: FactDef, actual: JSONDict | None, op: str,
                         t: ResolvedThreshold, source: Source, layer: str, pack_id: str,
                         to_pass: JSONDict | None, thr: str) -> str:
    label = fact.label.get(lang)
    if status == "missing":
        unit = _unit(fact, lang)
        body = _MISSING.get(lang) + label + (f" ({unit})" if unit else "") + "."
        if t.value is not None:
            body += _THRESHOLD.get(lang) + f"{symbol(op)} {thr}."
    else:
        shown = actual["display"][lang] if actual else "—"
        head = STATUS_HEAD[status].get(lang)
        if t.value is None:
            reason = t.unknown_reason.get(lang) if t.unknown_reason else None
            body = f"{head}: {label} = {shown}; " + _THRESHOLD_UNKNOWN.get(lang).format(r=reason)
        else:
            body = f"{head}: {label} = {shown} {symbol(op)} {thr}."
            if status == "undecidable":
                body += _STRADDLES.get(lang)
    if status in ("fail", "undecidable", "missing") and to_pass and to_pass.get("display"):
        body += " " + to_pass["display"][lang][0].upper() + to_pass["display"][lang][1:] + "."
    prov = source.provenance.value
    if prov != "official":
        body += _PROVENANCE.get(lang).format(w=PROVENANCE_WORDS[prov].get(lang))
    if t.layer and t.layer not in (pack_id,) and t.value is not None:
        body += _VALUE_LAYER.get(lang).format(x=t.layer)
    elif layer != pack_id:
        body += _RULE_LAYER.get(lang).format(x=layer)
    return body
