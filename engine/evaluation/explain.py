"""Explanations: how an actual value, a threshold and a status read, in Vietnamese and English.

Pure functions from exact values to JSON-able dicts and `Text`; decisions are never made here.
"""

from __future__ import annotations

import math
from fractions import Fraction

from ntmcert.inputs.catalogue import FactDef, FactKind
from ntmcert.core.exact import display_number, fraction_text
from ntmcert.inputs.factset import FactValue
from ntmcert.packs.schema import Source
from ntmcert.packs.resolve import ResolvedThreshold
from ntmcert.evaluation.verdict import Text

SYMBOL = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}
BOUND_WORDS = {"gt": ("trên", "over"), "ge": ("từ", "at least"), "lt": ("dưới", "under"),
               "le": ("tối đa", "at most")}
PROVENANCE_VI = {"official": "văn bản chính thức", "secondary": "nguồn thứ cấp", "inferred": "suy luận",
                 "unknown": "chưa rõ"}


def num(value: Fraction, lang: str, places: int = 2) -> str:
    """A number as a reader of that language writes it: 1.362,5 (vi) or 1,362.5 (en)."""
    text = display_number(value, places, sep=",")
    if lang == "vi":
        return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def pct(value: Fraction, lang: str) -> str:
    return f"{num(value * 100, lang)}%"


def _unit(fact: FactDef, lang: str) -> str:
    return (fact.unit.vi if lang == "vi" else fact.unit.en) if fact.unit else ""


def _with_unit(text: str, fact: FactDef, lang: str) -> str:
    unit = _unit(fact, lang)
    return f"{text} {unit}" if unit and fact.kind in (FactKind.number, FactKind.count) else text


def actual_view(value: FactValue, fact: FactDef) -> dict:
    """The `actual` object of the verdict JSON."""
    out: dict = {"form": value.form}
    if value.kind is FactKind.boolean:
        out["value"] = value.boolean
        out["display"] = {"vi": "có / đạt" if value.boolean else "không / chưa đạt",
                          "en": "yes" if value.boolean else "no"}
    elif value.form == "ratio":
        out.update(value=fraction_text(value.interval.lo), count=fraction_text(value.count),
                   of=fraction_text(value.of))
        out["display"] = {lang: f"{num(value.count, lang)}/{num(value.of, lang)} ({pct(value.interval.lo, lang)})"
                          for lang in ("vi", "en")}
    elif value.form == "percent":
        out["value"] = fraction_text(value.interval.lo)
        out["display"] = {lang: pct(value.interval.lo, lang) for lang in ("vi", "en")}
    elif value.is_bound:
        scale = 100 if value.form == "percent_bound" else 1
        out["bound"] = {k: fraction_text(v * scale) for k, v in value.bound}
        out["value"] = None
        out["display"] = {}
        for i, lang in enumerate(("vi", "en")):
            parts = []
            for k, v in value.bound:
                shown = pct(v, lang) if scale == 100 else _with_unit(num(v, lang), fact, lang)
                parts.append(f"{BOUND_WORDS[k][i]} {shown}")
            out["display"][lang] = (" và " if lang == "vi" else " and ").join(parts)
    else:
        out["value"] = fraction_text(value.interval.lo)
        out["display"] = {lang: _with_unit(num(value.interval.lo, lang), fact, lang) for lang in ("vi", "en")}
    if value.source:
        out["source"] = value.source
    if value.note:
        out["note"] = value.note
    return out


def threshold_display(t: ResolvedThreshold, fact: FactDef, lang: str) -> str:
    if t.value is None:
        return "chưa rõ" if lang == "vi" else "unknown"
    if fact.kind is FactKind.boolean:
        return ("có / đạt" if lang == "vi" else "yes") if t.value else ("không" if lang == "vi" else "no")
    if t.is_share:
        return pct(t.value, lang)
    shown = _with_unit(num(t.value, lang, places=4), fact, lang)
    if t.parameter and t.factor is not None and t.factor != 1:
        return f"{num(t.factor, lang)} × {num(t.base_value, lang, places=4)} = {shown}"
    return shown


def threshold_view(t: ResolvedThreshold, fact: FactDef) -> dict | None:
    """The `threshold` object of the verdict JSON (None when the number is unknown and unsourced)."""
    out: dict = {"value": fraction_text(t.value) if t.value is not None else None,
                 "unknown": t.value is None, "layer": t.layer,
                 "display": {lang: threshold_display(t, fact, lang) for lang in ("vi", "en")}}
    if t.parameter:
        out["parameter"] = t.parameter
        out["factor"] = fraction_text(t.factor) if t.factor is not None else None
        out["parameter_value"] = fraction_text(t.base_value) if t.base_value is not None else None
        out["parameter_source"] = source_view(t.value_source) if t.value_source else None
        out["valid_from"] = t.valid_from.isoformat() if t.valid_from else None
        out["region"] = t.region.value if t.region else None
    if t.value is None:
        out["reason"] = {"vi": t.unknown_reason_vi, "en": t.unknown_reason_en}
    return out


def source_view(source: Source) -> dict:
    return {"document": source.document, "article": source.article, "url": source.url,
            "provenance": source.provenance.value, "note": source.note}


def margin_view(value: FactValue, t: ResolvedThreshold, fact: FactDef) -> dict | None:
    """actual − threshold, exact, for point values; percentage points for shares."""
    if t.value is None or value.kind is FactKind.boolean or not value.interval.is_point:
        return None
    diff = value.interval.lo - t.value
    if t.is_share:
        points = diff * 100
        return {"value": fraction_text(points), "unit": "percentage_points",
                "display": {"vi": f"{_signed(points, 'vi')} điểm %", "en": f"{_signed(points, 'en')} pp"}}
    return {"value": fraction_text(diff), "unit": fact.unit.en if fact.unit else None,
            "display": {lang: _with_unit(_signed(diff, lang), fact, lang) for lang in ("vi", "en")}}


def _signed(value: Fraction, lang: str) -> str:
    return ("+" if value >= 0 else "−") + num(abs(value), lang)


def to_pass_view(value: FactValue | None, op: str, t: ResolvedThreshold, fact: FactDef) -> dict | None:
    """What would make this comparison pass, computed exactly (None when nothing can be said).

    A ratio: the nearest count that passes for the same total ("cần thêm 146 hộ: 1.282/1.508 ≥ 85%");
    a number or count: the value needed (for a strict threshold on a count, the next whole number);
    a yes/no fact: the answer needed; a bound that straddles: the same, and the exact figure to collect.
    """
    if t.value is None:
        return None
    T = t.value
    if fact.kind is FactKind.boolean:
        want = bool(T)
        return {"value": want, "display": {"vi": "cần: " + ("có / đạt" if want else "không"),
                                           "en": "needs: " + ("yes" if want else "no")}}
    if value is not None and value.form == "ratio":
        needed = _needed_count(value.of, op, T, fact.whole_counts)
        if needed is None or not 0 <= needed <= value.of:
            return {"value": None, "display": {"vi": f"không thể đạt {SYMBOL[op]} {pct(T, 'vi')} với mẫu số này",
                                               "en": f"cannot reach {SYMBOL[op]} {pct(T, 'en')} with this total"}}
        delta = needed - value.count
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
        vi = f"{vi.strip()}: {num(needed, 'vi')}/{num(value.of, 'vi')} {SYMBOL[op]} {pct(T, 'vi')}"
        en = f"{en}: {num(needed, 'en')} of {num(value.of, 'en')} {unit_en}".strip() + f" {SYMBOL[op]} {pct(T, 'en')}"
        return {"value": fraction_text(needed), "count": fraction_text(needed), "of": fraction_text(value.of),
                "change": fraction_text(delta), "display": {"vi": vi, "en": en}}
    target, op_shown = T, op
    if fact.kind is FactKind.count and op in (">", "<"):  # whole numbers: the next one past the threshold
        target = Fraction(math.floor(T) + 1) if op == ">" else Fraction(math.ceil(T) - 1)
        op_shown = ">=" if op == ">" else "<="
    elif fact.kind is FactKind.count and op in (">=", "<="):
        target = Fraction(math.ceil(T)) if op == ">=" else Fraction(math.floor(T))
    shown = {lang: pct(target, lang) if t.is_share else _with_unit(num(target, lang, 4), fact, lang)
             for lang in ("vi", "en")}
    word_vi = {">=": "từ", ">": "trên", "<=": "không quá", "<": "dưới", "==": "bằng"}[op_shown]
    word_en = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than", "==": "exactly"}[op_shown]
    out = {"value": fraction_text(target), "display": {"vi": f"cần {word_vi} {shown['vi']}",
                                                       "en": f"needs {word_en} {shown['en']}"}}
    if value is not None and value.interval.is_point and not t.is_share:
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


def comparison_views(d) -> dict:
    """Every view of one comparison, each computed once. `d` has status, fact, value, op,
    threshold, source, layer and pack_id (the evaluator's planned comparison)."""
    actual = actual_view(d.value, d.fact) if d.value is not None else None
    to_pass = to_pass_view(d.value, d.op, d.threshold, d.fact) if d.status != "pass" else None
    return {
        "actual": actual,
        "threshold": threshold_view(d.threshold, d.fact),
        "margin": margin_view(d.value, d.threshold, d.fact) if d.value is not None else None,
        "to_pass": to_pass,
        "source": source_view(d.source),
        "explanation": comparison_text(d.status, d.fact, actual, d.op, d.threshold, d.source, d.layer, d.pack_id,
                                       to_pass),
    }


def comparison_text(status: str, fact: FactDef, actual: dict | None, op: str, t: ResolvedThreshold,
                    source: Source, layer: str, pack_id: str, to_pass: dict | None) -> Text:
    """The one-paragraph explanation of a comparison (`actual` is its already-built view)."""
    label = {"vi": fact.label.vi, "en": fact.label.en}
    texts = {}
    for lang in ("vi", "en"):
        thr = threshold_display(t, fact, lang)
        if status == "missing":
            unit = _unit(fact, lang)
            body = (f"Chưa có số liệu: {label['vi']}" + (f" ({unit})" if unit else "") + "."
                    if lang == "vi" else
                    f"Missing: {label['en']}" + (f" ({unit})" if unit else "") + ".")
            if t.value is not None:
                body += (f" Ngưỡng: {SYMBOL[op]} {thr}." if lang == "vi" else f" Threshold: {SYMBOL[op]} {thr}.")
        else:
            shown = actual["display"][lang]
            head = {"pass": ("Đạt", "Pass"), "fail": ("Chưa đạt", "Fail"),
                    "undecidable": ("Chưa kết luận được", "Undecidable")}[status][lang == "en"]
            if t.value is None:
                reason = t.unknown_reason_vi if lang == "vi" else t.unknown_reason_en
                body = f"{head}: {label[lang]} = {shown}; " + (f"ngưỡng chưa rõ ({reason})." if lang == "vi"
                                                               else f"the threshold is unknown ({reason}).")
            else:
                body = f"{head}: {label[lang]} = {shown} {SYMBOL[op]} {thr}?"
                body = body[:-1] + "."
                if status == "undecidable":
                    body += (" Số liệu báo cáo là một khoảng nằm hai phía ngưỡng."
                             if lang == "vi" else " The reported bound straddles the threshold.")
        if status in ("fail", "undecidable", "missing") and to_pass and to_pass.get("display"):
            body += " " + to_pass["display"][lang][0].upper() + to_pass["display"][lang][1:] + "."
        if source.provenance.value != "official":
            body += (f" (Nguồn ngưỡng: {PROVENANCE_VI[source.provenance.value]} — {source.provenance.value}.)"
                     if lang == "vi" else f" (Threshold provenance: {source.provenance.value}.)")
        if t.layer and t.layer not in (pack_id,) and t.value is not None:
            body += (f" Giá trị từ lớp {t.layer}." if lang == "vi" else f" Value from layer {t.layer}.")
        elif layer != pack_id:
            body += (f" Quy tắc từ lớp {layer}." if lang == "vi" else f" Rule from layer {layer}.")
        texts[lang] = body
    return Text(texts["vi"], texts["en"])
