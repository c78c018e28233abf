"""Fact values: one raw value of a fact set checked against its catalogue entry and made exact.

A share is a ratio {count, of} or a percent; a number or count is a value or a bound such as
{ge: 66}; a yes/no fact is true or false. Every form becomes an `Interval` for the comparisons.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, TypedDict, cast

from ntmcert.core.exact import Interval, fraction_text, to_fraction
from ntmcert.inputs.catalogue import FactDef, FactKind
from ntmcert.inputs.yamlio import KeyPath

Report = Callable[[str, str, KeyPath], None]
"""`report(code, message, key path)`: how a problem with a value is told to the caller."""

_BOUND_KEYS = ("gt", "ge", "lt", "le")
_META_KEYS: tuple[Literal["source"], Literal["note"]] = ("source", "note")


class _Meta(TypedDict, total=False):
    """Where a value comes from, as a fact set may note it beside the value."""
    source: str
    note: str


@dataclass(frozen=True)
class FactValue:
    """One validated fact value, exact. `interval` is what comparisons use."""

    kind: FactKind
    interval: Interval  # yes/no facts are the points 1 and 0
    boolean: bool | None = None
    count: Fraction | None = None
    of: Fraction | None = None
    form: str = "value"  # value | ratio | percent | bound | percent_bound
    bound: tuple[tuple[str, Fraction], ...] = ()
    source: str | None = None
    note: str | None = None

    @property
    def is_bound(self) -> bool:
        return self.form in ("bound", "percent_bound")

    def canonical(self) -> dict[str, Any]:
        """A JSON-able, order-free form: exact numbers as text."""
        out: dict[str, Any] = {}
        # a ratio is built with its count and of (_ratio); a percent or a plain value is a point
        if self.form == "ratio":
            out = {"count": fraction_text(cast(Fraction, self.count)), "of": fraction_text(cast(Fraction, self.of))}
        elif self.form == "percent":
            out = {"percent": fraction_text(cast(Fraction, self.interval.lo) * 100)}
        elif self.form == "percent_bound":
            out = {"percent": {k: fraction_text(v * 100) for k, v in self.bound}}
        elif self.form == "bound":
            out = {k: fraction_text(v) for k, v in self.bound}
        elif self.kind is FactKind.boolean:
            out = {"value": self.boolean}
        else:
            out = {"value": fraction_text(cast(Fraction, self.interval.lo))}
        if self.source:
            out["source"] = self.source
        if self.note:
            out["note"] = self.note
        return out


def _num(raw: Any) -> Fraction | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, Decimal)):
        return None
    return to_fraction(raw)


def parse_fact_value(raw: Any, fact: FactDef, path: KeyPath, report: Report) -> FactValue | None:
    """Validate one raw value against its catalogue entry; `report(code, msg, path)` on problems."""
    meta: _Meta = {}
    if isinstance(raw, dict):
        raw = dict(raw)
        for key in _META_KEYS:
            if key in raw:
                val = raw.pop(key)
                if not isinstance(val, str):
                    report("fact_bad_type", f"{key} must be text", path + (key,))
                else:
                    meta[key] = val
        if set(raw) == {"value"}:
            raw = raw["value"]
    kind = fact.kind
    if kind is FactKind.boolean:
        if isinstance(raw, bool):
            # a yes/no fact compares as 1/0 against a threshold of true (1) or false (0)
            return FactValue(kind, Interval.point(Fraction(int(raw))), boolean=raw, **meta)
        report("fact_bad_type", f"{fact.id} is a yes/no fact: write true or false (found {_show(raw)})", path)
        return None
    if isinstance(raw, dict):
        keys = set(raw)
        if kind is FactKind.share and keys == {"count", "of"}:
            return _ratio(raw, fact, path, report, meta)
        if kind is FactKind.share and keys == {"percent"}:
            return _percent(raw["percent"], fact, path + ("percent",), report, meta)
        if kind in (FactKind.number, FactKind.count) and keys and keys <= set(_BOUND_KEYS):
            return _bound(raw, fact, path, report, meta, scale=Fraction(1), form="bound")
        allowed = ("{count, of} or {percent}" if kind is FactKind.share
                   else "a number or a bound such as {ge: 66}")
        report("fact_bad_shape", f"{fact.id} ({kind.value}) takes {allowed}; found keys {sorted(keys)}", path)
        return None
    if kind is FactKind.share:
        report("fact_bad_type", f"{fact.id} is a share: write {{count: N, of: M}} or {{percent: P}} "
               f"(found {_show(raw)})", path)
        return None
    value = _num(raw)
    if value is None:
        report("fact_bad_type", f"{fact.id} needs a number (found {_show(raw)})", path)
        return None
    if value < 0:
        report("fact_negative", f"{fact.id} cannot be negative (found {_show(raw)})", path)
        return None
    if kind is FactKind.count and value.denominator != 1:
        report("fact_not_whole", f"{fact.id} is a count: it must be a whole number (found {_show(raw)})", path)
        return None
    return FactValue(kind, Interval.point(value), **meta)


def _ratio(raw: dict[str, Any], fact: FactDef, path: KeyPath, report: Report, meta: _Meta) -> FactValue | None:
    count, of = _num(raw["count"]), _num(raw["of"])
    ok = True
    for key, val in (("count", count), ("of", of)):
        if val is None:
            report("fact_bad_type", f"{key} must be a number (found {_show(raw[key])})", path + (key,))
            ok = False
        elif val < 0:
            report("fact_negative", f"{key} cannot be negative (found {_show(raw[key])})", path + (key,))
            ok = False
        elif fact.whole_counts and val.denominator != 1:
            report("fact_not_whole", f"{key} counts {fact.unit.en if fact.unit else 'items'}: "
                   f"it must be a whole number (found {_show(raw[key])})", path + (key,))
            ok = False
    if not ok or count is None or of is None:  # a missing number has made ok false already
        return None
    if of == 0:
        report("fact_zero_of", "of is 0: a share of nothing is undefined", path + ("of",))
        return None
    if count > of:
        report("fact_count_above_of", f"count {_show(raw['count'])} is more than of {_show(raw['of'])}",
               path + ("count",))
        return None
    return FactValue(FactKind.share, Interval.point(count / of), count=count, of=of, form="ratio", **meta)


def _percent(raw: Any, fact: FactDef, path: KeyPath, report: Report, meta: _Meta) -> FactValue | None:
    if isinstance(raw, dict):
        if not raw or not set(raw) <= set(_BOUND_KEYS):
            report("fact_bad_shape", f"a percent bound takes gt/ge/lt/le (found keys {sorted(raw)})", path)
            return None
        return _bound(raw, fact, path, report, meta, scale=Fraction(1, 100), form="percent_bound")
    value = _num(raw)
    if value is None:
        report("fact_bad_type", f"percent must be a number (found {_show(raw)})", path)
        return None
    if not 0 <= value <= 100:
        report("fact_percent_range", f"percent must be from 0 to 100 (found {_show(raw)})", path)
        return None
    return FactValue(FactKind.share, Interval.point(value / 100), form="percent", **meta)


def _bound(raw: dict[str, Any], fact: FactDef, path: KeyPath, report: Report, meta: _Meta, *, scale: Fraction,
           form: str) -> FactValue | None:
    values: dict[str, Fraction] = {}
    for key, val in raw.items():
        num = _num(val)
        if num is None:
            report("fact_bad_type", f"{key} must be a number (found {_show(val)})", path + (key,))
            return None
        if num < 0 or (form == "percent_bound" and num > 100):
            report("fact_percent_range" if form == "percent_bound" else "fact_negative",
                   f"bound {key} {_show(val)} is out of range", path + (key,))
            return None
        values[key] = num * scale
    if ("gt" in values and "ge" in values) or ("lt" in values and "le" in values):
        report("fact_bad_shape", "give one lower bound (gt or ge) and one upper bound (lt or le) at most", path)
        return None
    lo, lo_closed = (values["gt"], False) if "gt" in values else (values.get("ge", Fraction(0)), True)
    hi: Fraction | None
    if "lt" in values:
        hi, hi_closed = values["lt"], False
    elif "le" in values:
        hi, hi_closed = values["le"], True
    else:  # shares cannot exceed 100%; other quantities are unbounded above
        hi, hi_closed = (Fraction(1), True) if form == "percent_bound" else (None, True)
    if fact.kind is FactKind.count:
        # a count is a whole number: "more than 0" is "at least 1", "under 5.5" is "at most 5"
        lo, lo_closed = (Fraction(math.floor(lo) + 1) if not lo_closed else Fraction(math.ceil(lo))), True
        if hi is not None:
            hi = Fraction(math.ceil(hi) - 1) if not hi_closed else Fraction(math.floor(hi))
            hi_closed = True
    interval = Interval(lo, hi, lo_closed, hi_closed)
    if interval.is_empty():
        report("fact_empty_bound", "the bounds leave no possible value", path)
        return None
    return FactValue(fact.kind, interval, form=form, bound=tuple(sorted(values.items())), **meta)


def _show(raw: Any) -> str:
    if isinstance(raw, Decimal):
        return str(raw)
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."
