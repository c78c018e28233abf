"""Exact numbers: decimals as fractions, intervals for reported bounds, comparison operators.

Every threshold decision in ntmcert is made here (reference evaluator) or by the rule engine on
integers derived here; no binary float ever takes part, so 57/100 against 57% is exactly equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

Number = int | Decimal | Fraction
Decision = Literal["pass", "fail", "undecidable"]  # what deciding one comparison can give


def to_fraction(value: Number) -> Fraction:
    """Exact conversion; refuses floats so a binary approximation can never slip in."""
    if isinstance(value, (bool, float)):
        raise TypeError(f"refusing inexact or boolean value {value!r}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"non-finite decimal {value}")
        return Fraction(value)
    return Fraction(value)


@dataclass(frozen=True)
class Operator:
    """A comparison as data: the same symbol drives the check and the rule (its wording: core.text)."""

    symbol: str
    holds: Callable[[Fraction, Fraction], bool]
    negation: str
    engine_key: str  # durable-rules operator name

    def __call__(self, left: Fraction, right: Fraction) -> bool:
        return self.holds(left, right)


OPERATORS: dict[str, Operator] = {
    ">=": Operator(">=", lambda a, b: a >= b, "<", "$gte"),
    ">": Operator(">", lambda a, b: a > b, "<=", "$gt"),
    "<=": Operator("<=", lambda a, b: a <= b, ">", "$lte"),
    "<": Operator("<", lambda a, b: a < b, ">=", "$lt"),
    "==": Operator("==", lambda a, b: a == b, "!=", "$eq"),
    "!=": Operator("!=", lambda a, b: a != b, "==", "$neq"),
}
PACK_OPERATORS = (">=", ">", "<=", "<", "==")
"""Operators a pack may use; `!=` exists only as the negation of `==`."""


@dataclass(frozen=True)
class Interval:
    """A set of possible values: a point, or a bound such as "over 90%" = (0.9, 1].

    `lo`/`hi` of None mean unbounded on that side.
    """

    lo: Fraction | None
    hi: Fraction | None
    lo_closed: bool = True
    hi_closed: bool = True

    @classmethod
    def point(cls, value: Fraction) -> Interval:
        return cls(value, value, True, True)

    @property
    def is_point(self) -> bool:
        return self.lo is not None and self.lo == self.hi

    def is_empty(self) -> bool:
        if self.lo is None or self.hi is None:
            return False
        if self.lo > self.hi:
            return True
        return self.lo == self.hi and not (self.lo_closed and self.hi_closed)


def decide(value: Interval, op: Operator, threshold: Fraction) -> Decision:
    """'pass' when every possible value satisfies `op threshold`, 'fail' when none does,
    'undecidable' when the interval straddles the threshold. Pure Fraction arithmetic: this is
    the reference semantics that the rule-engine encoding must reproduce."""
    if value.is_point:
        if value.lo is None:  # unreachable: a point has both ends
            raise ValueError("a point interval without a value")
        return "pass" if op(value.lo, threshold) else "fail"
    all_pass = _all_satisfy(value, op.symbol, threshold)
    none_pass = _all_satisfy(value, op.negation, threshold)
    if all_pass:
        return "pass"
    if none_pass:
        return "fail"
    return "undecidable"


def _all_satisfy(v: Interval, symbol: str, t: Fraction) -> bool:
    """Whether every x in v satisfies x <symbol> t (v non-empty)."""
    if symbol in (">=", ">"):
        if v.lo is None:
            return False
        return v.lo > t or (v.lo == t and (symbol == ">=" or not v.lo_closed))
    if symbol in ("<=", "<"):
        if v.hi is None:
            return False
        return v.hi < t or (v.hi == t and (symbol == "<=" or not v.hi_closed))
    if symbol == "==":
        return v.is_point and v.lo == t
    if symbol == "!=":
        return not _contains(v, t)
    raise ValueError(symbol)


def _contains(v: Interval, t: Fraction) -> bool:
    above_lo = v.lo is None or t > v.lo or (t == v.lo and v.lo_closed)
    below_hi = v.hi is None or t < v.hi or (t == v.hi and v.hi_closed)
    return above_lo and below_hi


def fraction_text(value: Fraction, max_places: int = 12) -> str:
    """Exact text: a terminating decimal when there is one (within max_places), else 'p/q'."""
    return ratio_text(value.numerator, value.denominator, max_places)


def ratio_text(num: int, den: int, max_places: int = 12) -> str:
    """fraction_text of num/den in lowest terms (den > 0)."""
    if den == 1:
        return str(num)
    twos = (den & -den).bit_length() - 1  # the power of 2 in den
    rest, fives = den >> twos, 0
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    places = max(twos, fives)
    if rest != 1 or places > max_places:
        return f"{num}/{den}"
    digits = str(abs(num) * 10**places // den).rjust(places + 1, "0")  # den divides 10**places: exact
    sign = "-" if num < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def round_half_up(value: Fraction, places: int) -> Decimal:
    """Round for display only (never for a decision)."""
    scaled = value * 10**places
    sign = -1 if scaled < 0 else 1
    whole = (abs(scaled.numerator) * 2 + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(sign * whole).scaleb(-places)


_FAST_PLACES = range(7)  # str(Decimal) of a rounded value switches to exponent notation only past 6 places
_DECIMAL_DIGITS = 28  # the default decimal context's precision, which round_half_up's Decimal obeys


def display_number(value: Fraction, places: int = 2, sep: str = ",", point: str = ".") -> str:
    """Human text with thousands separators (`sep`) and decimal `point`; exact when short, rounded
    half up to `places` otherwise."""
    return display_ratio(value.numerator, value.denominator, places, sep, point)


def display_ratio(num: int, den: int, places: int = 2, sep: str = ",", point: str = ".") -> str:
    """display_number of num/den (den > 0, not necessarily in lowest terms), in integer arithmetic:
    the value times 10**places, exact or rounded half up."""
    if places not in _FAST_PLACES:
        return _display_number_decimal(Fraction(num, den), places, sep, point)
    scale = 10**places
    magnitude = -num if num < 0 else num
    if den == 1:
        whole, frac = magnitude, 0
    else:
        scaled, remainder = divmod(magnitude * scale, den)
        if remainder:  # not exact within `places`: rounded half up, as round_half_up does through Decimal
            scaled = (2 * magnitude * scale + den) // (2 * den)
            if len(str(scaled)) > _DECIMAL_DIGITS:  # Decimal would round it again, to 28 digits
                return _display_number_decimal(Fraction(num, den), places, sep, point)
        whole, frac = divmod(scaled, scale)
    text = f"{whole:,}" if sep == "," else f"{whole:,}".replace(",", sep)
    if frac:
        text += point + f"{frac:0{places}d}".rstrip("0")
    return "-" + text if num < 0 and (whole or frac) else text


def _display_number_decimal(value: Fraction, places: int, sep: str, point: str) -> str:
    """display_number for what its integer path leaves out: more than 6 places (or fewer than 0),
    or a rounded value of more than 28 digits (the spelling str(Decimal) gives those)."""
    exact = fraction_text(value, max_places=places)
    if "/" not in exact:
        text = exact
    else:
        text = str(round_half_up(value, places))
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
    out = sep.join(groups) + ((point + frac) if frac else "")
    return ("-" if neg else "") + out
