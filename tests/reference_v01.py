"""ntmcert 0.1's number text and comparison views, verbatim: the references that the faster code
is checked against (tests/test_number_text.py, tests/test_explain_views.py).

The verdict JSON is frozen (tests/test_verdict_contract.py); these are the functions that wrote
every display string in it before number text moved to integer arithmetic and the views shared
across communes were memoised. Only the names of the number functions differ (old_*).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

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
    symbol,
)
from ntmcert.inputs.catalogue import FactDef, FactKind
from ntmcert.inputs.factset import FactValue
from ntmcert.packs.resolve import ResolvedThreshold
from ntmcert.packs.schema import Source


def old_fraction_text(value: Fraction, max_places: int = 12) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    places = max(twos, fives)
    if den != 1 or places > max_places:
        return f"{value.numerator}/{value.denominator}"
    scaled = value * 10**places
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def old_round_half_up(value: Fraction, places: int) -> Decimal:
    scaled = value * 10**places
    sign = -1 if scaled < 0 else 1
    whole = (abs(scaled.numerator) * 2 + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(sign * whole).scaleb(-places)


def old_display_number(value: Fraction, places: int = 2, sep: str = ",") -> str:
    exact = old_fraction_text(value, max_places=places)
    if "/" not in exact:
        text = exact
    else:
        text = str(old_round_half_up(value, places))
    if "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0")
    else:
        whole, frac = text, ""
    neg = whole.startswith("-")
    whole = whole.lstrip("-")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = sep.join(groups) + (("." + frac) if frac else "")
    return ("-" if neg else "") + out


def old_number(value, lang: str, places: int = 2) -> str:
    text = old_display_number(Fraction(value), places, sep=",")
    if lang == "vi":
        return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def old_percent(value, lang: str) -> str:
    return f"{old_number(value * 100, lang)}%"


# the 0.1 explain module below, verbatim but for its Protocol class (typing only), reads these names
fraction_text, num, pct = old_fraction_text, old_number, old_percent


JSONDict = dict[str, Any]  # a JSON object as the serializer writes it


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
    lo = value.interval.lo
    if t.value is None or value.kind is FactKind.boolean or not value.interval.is_point or lo is None:
        return None
    diff = lo - t.value
    if t.is_share:
        points = diff * 100
        return {"value": fraction_text(points), "unit": "percentage_points",
                "display": {"vi": f"{_signed(points, 'vi')} điểm %", "en": f"{_signed(points, 'en')} pp"}}
    return {"value": fraction_text(diff), "unit": fact.unit.en if fact.unit else None,
            "display": {lang: _with_unit(_signed(diff, lang), fact, lang) for lang in LANGS}}


def _signed(value: Fraction, lang: str) -> str:
    return ("+" if value >= 0 else "−") + num(abs(value), lang)


def to_pass_view(value: FactValue | None, op: str, t: ResolvedThreshold, fact: FactDef) -> JSONDict | None:
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
        return {"value": want, "display": (Text("cần: ", "needs: ") + NEEDED_ANSWER[want]).to_dict()}
    if value is not None and value.form == "ratio":
        count, of = _ratio(value)
        needed = _needed_count(of, op, T, fact.whole_counts)
        if needed is None or not 0 <= needed <= of:
            return {"value": None, "display": {"vi": f"không thể đạt {symbol(op)} {pct(T, 'vi')} với mẫu số này",
                                               "en": f"cannot reach {symbol(op)} {pct(T, 'en')} with this total"}}
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
        vi = f"{vi.strip()}: {num(needed, 'vi')}/{num(of, 'vi')} {symbol(op)} {pct(T, 'vi')}"
        en = f"{en}: {num(needed, 'en')} of {num(of, 'en')} {unit_en}".strip() + f" {symbol(op)} {pct(T, 'en')}"
        return {"value": fraction_text(needed), "count": fraction_text(needed), "of": fraction_text(of),
                "change": fraction_text(delta), "display": {"vi": vi, "en": en}}
    target, op_shown = T, op
    if fact.kind is FactKind.count and op in (">", "<"):  # whole numbers: the next one past the threshold
        target = Fraction(math.floor(T) + 1) if op == ">" else Fraction(math.ceil(T) - 1)
        op_shown = ">=" if op == ">" else "<="
    elif fact.kind is FactKind.count and op in (">=", "<="):
        target = Fraction(math.ceil(T)) if op == ">=" else Fraction(math.floor(T))
    shown = {lang: pct(target, lang) if t.is_share else _with_unit(num(target, lang, 4), fact, lang)
             for lang in LANGS}
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


def comparison_views(d: Any) -> JSONDict:
    """Every view of one comparison, each computed once. `d` has status, fact, value, op,
    threshold, source, layer and pack_id (the evaluator's planned comparison)."""
    status = d.status
    if status is None:  # the evaluator sets every status before a result is read
        raise ValueError(f"comparison {d.key}: its views were read before it was decided")
    actual = actual_view(d.value, d.fact) if d.value is not None else None
    to_pass = to_pass_view(d.value, d.op, d.threshold, d.fact) if status != "pass" else None
    return {
        "actual": actual,
        "threshold": threshold_view(d.threshold, d.fact),
        "margin": margin_view(d.value, d.threshold, d.fact) if d.value is not None else None,
        "to_pass": to_pass,
        "source": source_view(d.source),
        "explanation": comparison_text(status, d.fact, actual, d.op, d.threshold, d.source, d.layer, d.pack_id,
                                       to_pass),
    }


def comparison_text(status: str, fact: FactDef, actual: JSONDict | None, op: str, t: ResolvedThreshold,
                    source: Source, layer: str, pack_id: str, to_pass: JSONDict | None) -> Text:
    """The one-paragraph explanation of a comparison (`actual` is its already-built view)."""
    return Text.build(lambda lang: _comparison_sentence(lang, status, fact, actual, op, t, source, layer, pack_id,
                                                        to_pass))


def _comparison_sentence(lang: str, status: str, fact: FactDef, actual: JSONDict | None, op: str,
                         t: ResolvedThreshold, source: Source, layer: str, pack_id: str,
                         to_pass: JSONDict | None) -> str:
    thr = threshold_display(t, fact, lang)
    label = fact.label.get(lang)
    if status == "missing":
        unit = _unit(fact, lang)
        body = Text("Chưa có số liệu: ", "Missing: ").get(lang) + label + (f" ({unit})" if unit else "") + "."
        if t.value is not None:
            body += Text(" Ngưỡng: ", " Threshold: ").get(lang) + f"{symbol(op)} {thr}."
    else:
        shown = actual["display"][lang] if actual else "—"
        head = STATUS_HEAD[status].get(lang)
        if t.value is None:
            reason = t.unknown_reason.get(lang) if t.unknown_reason else None
            body = f"{head}: {label} = {shown}; " + Text("ngưỡng chưa rõ ({r}).",
                                                           "the threshold is unknown ({r}).").get(lang).format(r=reason)
        else:
            body = f"{head}: {label} = {shown} {symbol(op)} {thr}."
            if status == "undecidable":
                body += Text(" Số liệu báo cáo là một khoảng nằm hai phía ngưỡng.",
                             " The reported bound straddles the threshold.").get(lang)
    if status in ("fail", "undecidable", "missing") and to_pass and to_pass.get("display"):
        body += " " + to_pass["display"][lang][0].upper() + to_pass["display"][lang][1:] + "."
    prov = source.provenance.value
    if prov != "official":
        body += Text(" (Nguồn ngưỡng: {w}.)", " (Threshold provenance: {w}.)").get(lang).format(
            w=PROVENANCE_WORDS[prov].get(lang))
    if t.layer and t.layer not in (pack_id,) and t.value is not None:
        body += Text(" Giá trị từ lớp {x}.", " Value from layer {x}.").get(lang).format(x=t.layer)
    elif layer != pack_id:
        body += Text(" Quy tắc từ lớp {x}.", " Rule from layer {x}.").get(lang).format(x=layer)
    return body
