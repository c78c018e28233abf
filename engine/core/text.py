"""Text for readers: the one bilingual type, how each language writes numbers, percentages, dates
and comparison words, and how text from inputs is made safe to show.

Every other module asks a `Text` for its language (`text.get(lang)`) or calls the formatters here;
no module outside this one branches on the language code.

A name or note may carry escaped control characters (`"\\e]0;…\\a"` in YAML, `\\u001b` in JSON)
that a terminal would obey: retitle the window, move the cursor, hide text. Inputs holding them
are refused when they load (`has_control`); whatever still reaches a renderer or an error line is
shown escaped (`printable`). Echoed values are cut to a bounded length (`shorten`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Any

from ntmcert.core.exact import display_ratio

LANGS = ("vi", "en")


class Lang(str, Enum):
    """A reader's language, as the commands take it (`--lang vi|en`)."""

    vi = "vi"
    en = "en"


@dataclass(frozen=True, slots=True)
class Text:
    """A text in Vietnamese and English; frozen, comparable, and a pydantic field type ({vi, en})."""

    vi: str
    en: str

    def get(self, lang: str) -> str:
        """The text in `lang` ("vi" or "en"); any other code reads English."""
        return self.vi if lang == "vi" else self.en

    def to_dict(self) -> dict[str, str]:
        return {"vi": self.vi, "en": self.en}

    @classmethod
    def of(cls, value: Text | Mapping[str, str] | tuple[str, str] | str) -> Text:
        """A Text from another spelling: a {vi, en} mapping, a (vi, en) pair, or one string for both."""
        if isinstance(value, Text):
            return value
        if isinstance(value, str):
            return cls(value, value)
        if isinstance(value, tuple):
            return cls(value[0], value[1])
        return cls(value["vi"], value["en"])

    @classmethod
    def build(cls, make: Callable[[str], str]) -> Text:
        """The same sentence built once per language: `Text.build(lambda lang: …)`."""
        return cls(make("vi"), make("en"))

    def map(self, f: Callable[[str, str], str]) -> Text:
        """Transform each language's text; `f(text, lang)`."""
        return Text(f(self.vi, "vi"), f(self.en, "en"))

    def format(self, **values: Any) -> Text:
        """str.format on both texts; a Text value is taken in the matching language."""
        return Text(*(getattr(self, lang).format(**{k: v.get(lang) if isinstance(v, Text) else v
                                                     for k, v in values.items()}) for lang in LANGS))

    def __add__(self, other: Text | str) -> Text:
        other = Text.of(other)
        return Text(self.vi + other.vi, self.en + other.en)

    @classmethod
    def join(cls, sep: Text | str, parts: Iterable[Text]) -> Text:
        sep_t, items = Text.of(sep), list(parts)
        return cls(sep_t.vi.join(p.vi for p in items), sep_t.en.join(p.en for p in items))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        # validated as a strict {vi, en} mapping of non-empty strings, as the pack and catalogue formats say
        from pydantic_core import core_schema as cs

        field = cs.typed_dict_field(cs.str_schema(min_length=1))
        mapping = cs.typed_dict_schema({"vi": field, "en": field}, extra_behavior="forbid")
        return cs.no_info_before_validator_function(
            lambda v: v.to_dict() if isinstance(v, Text) else v,
            cs.no_info_after_validator_function(lambda d: cls(d["vi"], d["en"]), mapping),
            serialization=cs.plain_serializer_function_ser_schema(lambda t: t.to_dict()))


def pick(table: Mapping[str, Text], key: str, lang: str) -> str:
    """A table entry in `lang`."""
    return table[key].get(lang)


# --- numbers, percentages, dates ----------------------------------------------------------------

def number(value: Fraction | int, lang: str, places: int = 2) -> str:
    """A number as a reader of that language writes it: 1.362,5 (vi) or 1,362.5 (en)."""
    if type(value) is not Fraction:
        value = Fraction(value)
    return number_ratio(value.numerator, value.denominator, lang, places)


def number_ratio(num: int, den: int, lang: str, places: int = 2) -> str:
    """`number` of num/den (den > 0, in any terms)."""
    if lang == "vi":
        return display_ratio(num, den, places, ".", ",")
    return display_ratio(num, den, places)


def percent(value: Fraction, lang: str) -> str:
    """A share as a percentage: 90,32% (vi) or 90.32% (en)."""
    if type(value) is not Fraction:
        return f"{number(value * 100, lang)}%"
    if lang == "vi":
        return display_ratio(value.numerator * 100, value.denominator, 2, ".", ",") + "%"
    return display_ratio(value.numerator * 100, value.denominator) + "%"


MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


def date(value: dt.date, lang: str) -> str:
    """A day: 31/08/2024 (vi) or 31 August 2024 (en, unambiguous for any English reader)."""
    if lang == "vi":
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    return f"{value.day} {MONTHS_EN[value.month - 1]} {value.year:04d}"


def partial_date_text(value: Any, lang: str) -> str:
    """A date that may be known to the day, the month or the year only (anything with year, month
    and day attributes), with its preposition in Vietnamese: "ngày 13/04/2021", "tháng 3/2023",
    "năm 2023"; in English "13 April 2021", "March 2023", "2023"."""
    if value.day is not None:
        day = dt.date(value.year, value.month, value.day)
        return f"ngày {date(day, 'vi')}" if lang == "vi" else date(day, "en")
    if value.month is not None:
        return f"tháng {value.month}/{value.year}" if lang == "vi" else f"{MONTHS_EN[value.month - 1]} {value.year}"
    return f"năm {value.year}" if lang == "vi" else str(value.year)


def iso_or_local(text: str, lang: str) -> str:
    """An ISO date string (YYYY-MM-DD, YYYY-MM or YYYY) as the reader writes it; other text unchanged."""
    parts = text.split("-")
    if not all(p.isdigit() for p in parts) or len(parts) > 3 or len(parts[0]) != 4:
        return text
    try:
        if len(parts) == 3:
            return date(dt.date(int(parts[0]), int(parts[1]), int(parts[2])), lang)
        if len(parts) == 2:
            month = int(parts[1])
            return f"{month:02d}/{parts[0]}" if lang == "vi" else f"{MONTHS_EN[month - 1]} {parts[0]}"
    except (ValueError, IndexError):
        return text
    return parts[0]


def iso_date(value: dt.date) -> str:
    """The machine spelling of a day (JSON, ids)."""
    return value.isoformat()


def plural(n: int, one: str, many: str) -> str:
    """English count noun: '1 hamlet', '2 hamlets'."""
    return one if n == 1 else many


# --- comparison words: the only source of operator wording --------------------------------------

@dataclass(frozen=True, slots=True)
class OperatorWords:
    """How a comparison operator reads: its symbol, its word in a requirement ("needs at least"),
    and its word before a reported bound ("over 90%")."""

    symbol: str
    word: Text
    bound: Text


OPERATOR_WORDS: dict[str, OperatorWords] = {
    ">=": OperatorWords("≥", Text("từ", "at least"), Text("từ", "at least")),
    ">": OperatorWords(">", Text("trên", "more than"), Text("trên", "over")),
    "<=": OperatorWords("≤", Text("không quá", "at most"), Text("tối đa", "at most")),
    "<": OperatorWords("<", Text("dưới", "less than"), Text("dưới", "under")),
    "==": OperatorWords("=", Text("bằng", "exactly"), Text("bằng", "exactly")),
}
BOUND_OPERATOR = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
"""A reported bound's key (FactValue.bound) as an operator."""


def symbol(op: str | None, default: str = "") -> str:
    """The printed symbol of an operator (≥, ≤ …); `default` for none or an unknown one."""
    words = OPERATOR_WORDS.get(op or "")
    return words.symbol if words else default


YES_NO = {True: Text("có / đạt", "yes"), False: Text("không / chưa đạt", "no")}
"""An answer as reported."""
NEEDED_ANSWER = {True: Text("có / đạt", "yes"), False: Text("không", "no")}
"""An answer as required by a threshold."""
UNKNOWN = Text("chưa rõ", "unknown")
AND = Text(" và ", " and ")


PROVENANCE_WORDS = {"official": Text("văn bản chính thức", "official"),
                    "secondary": Text("nguồn thứ cấp", "secondary source"),
                    "inferred": Text("suy luận", "inferred"), "unknown": Text("chưa rõ", "unknown")}
"""How sure a number is, as a reader is told."""


def provenance(value: str, lang: str) -> str:
    words = PROVENANCE_WORDS.get(value)
    return words.get(lang) if words else value


# --- text from inputs, made safe to show -------------------------------------------------------

# C0 controls but the tab (the newline only where lines are meaningful), DEL, C1 controls, the Unicode
# direction overrides and isolates that reorder what a reader sees ("Trojan source"), and lone
# surrogates (a JSON or YAML "\ud800" escape: not text, no UTF-8 spelling, so nothing could write it)
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CONTROL_KEEP_LINES = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
MAX_ECHO = 200  # characters of an input value quoted in a message


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def has_control(text: str, *, lines: bool = False) -> bool:
    """Whether `text` holds a control character other than a tab (`lines`: newlines allowed too)."""
    return bool((_CONTROL_KEEP_LINES if lines else _CONTROL).search(text))


def printable(text: str, *, lines: bool = False) -> str:
    """`text` with every control character but the tab written as an escape (\\x1b); `lines`
    keeps newlines (a multi-line report), otherwise they are escaped too (one problem, one line)."""
    return (_CONTROL_KEEP_LINES if lines else _CONTROL).sub(_escape, text)


def shorten(text: str, limit: int = MAX_ECHO) -> str:
    """`text` cut to `limit` characters with "…" (and a count of what was left out)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def nfc(text: str) -> str:
    """Unicode NFC: 'Ấp' typed on one keyboard and on another are the same name."""
    return unicodedata.normalize("NFC", text)
