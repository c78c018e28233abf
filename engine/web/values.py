"""A form field's text as a fact value, and back: the spreadsheet cells' grammar (ntmcert's cell
readers do the reading), plus the one spelling a single field needs that a sheet spreads over
two columns: a share as "count/of" ("1.362/1.508", "1362/1508").

In "count/of" a dot followed by exactly three digits groups thousands, as Vietnamese writes
them; the cell readers refuse the ambiguous "1,508", and so does this.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

from . import _core
from ._core import CellError, FactKind

_THOUSANDS = re.compile(r"^\s*\d{1,3}(\.\d{3})+\s*$")
MAX_FIELD = 200  # characters: nothing longer is ever a value


def _count(text: str) -> int | Decimal:
    if _THOUSANDS.match(text):
        text = text.replace(".", "")
    return _core.number(text)


def read_value(kind: FactKind, text: str) -> dict[str, Any] | None:
    """The fact set entry (without note) for a field's text; None for an empty field; CellError
    naming what to write otherwise."""
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_FIELD:
        raise CellError("field_too_long", f"at most {MAX_FIELD} characters")
    if kind is FactKind.boolean:
        return {"value": _core.yes_no(text)}
    if kind is FactKind.share:
        if "/" in text:
            count, _, of = text.partition("/")
            return {"count": _count(count), "of": _count(of)}
        found = _core.bound(text, percent=True)
        if found is not None:
            return {"percent": found}
        if not text.endswith("%"):
            raise CellError("field_share", "write a share as count/of (1.362/1.508), a percentage (90,32%) or a "
                            "bound (trên 90%)")
        return {"percent": _core.percent_value(text, False)}
    found = _core.bound(text, percent=False)
    if found is not None:
        return found
    return {"value": _core.number(text)}


# ----------------------------------------------------------------------------- writing back

def _num(value: Any, lang: str) -> str:
    """A number as an officer writes it: Vietnamese decimal comma (never 3 decimals: ambiguous)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):  # never produced by ntmcert's loaders; shown, not trusted
        value = Decimal(repr(value))
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    text = format(Decimal(str(value)).normalize(), "f") if not isinstance(value, int) else str(value)
    if lang == "vi" and "." in text and len(text.split(".")[1]) != 3:
        text = text.replace(".", ",")
    return text


def _thousands(value: Any, lang: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and lang == "vi" and abs(value) >= 1000:
        return f"{value:,}".replace(",", ".")
    return _num(value, lang)


_WORDS = {"gt": ("trên", ">"), "ge": ("từ", ">="), "lt": ("dưới", "<"), "le": ("không quá", "<=")}


def _bound_text(b: dict[str, Any], suffix: str, lang: str) -> str:
    parts = []
    for key in ("gt", "ge", "lt", "le"):
        if key in b:
            word = _WORDS[key][0] if lang == "vi" else _WORDS[key][1]
            parts.append(f"{word} {_num(b[key], lang)}{suffix}")
    return " ".join(parts)


def write_value(kind: FactKind, entry: Any, lang: str = "vi") -> str:
    """A fact set entry as the field's text (what read_value reads back to the same value)."""
    if entry is None:
        return ""
    if not isinstance(entry, dict):
        entry = {"value": entry}
    if kind is FactKind.boolean and "value" in entry:
        yes = entry["value"] is True
        return ("có" if yes else "không") if lang == "vi" else ("yes" if yes else "no")
    if kind is FactKind.share:
        if "count" in entry and "of" in entry:
            return f"{_thousands(entry['count'], lang)}/{_thousands(entry['of'], lang)}"
        pct = entry.get("percent")
        if isinstance(pct, dict):
            return _bound_text(pct, "%", lang)
        if pct is not None:
            return f"{_num(pct, lang)}%"
        return ""
    if "value" in entry:
        return _num(entry["value"], lang)
    if any(k in entry for k in ("gt", "ge", "lt", "le")):
        return _bound_text(entry, "", lang)
    return ""
