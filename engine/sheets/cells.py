"""Spreadsheets of many communes: a pack's blank template, and its rows read back as fact sets.

`ntmcert template` writes the workbook; `ntmcert batch` (batch.py) reads it, or a CSV with
the same columns, row by row (streamed: one row in memory at a time).

Column ids (row 1 of a sheet, or the CSV's first line) are the fact set's key paths:

- ``commune.name``, ``commune.province``, ``commune.region`` and ``as_of`` are required columns;
  ``commune.district``, ``commune.code``, ``commune.group``, ``commune.special.<flag>``
  (``extremely_difficult``, ``coastal_island``, ``ethnic_minority_region``, ``safe_zone``,
  ``poor_district``) and ``source.<key>`` (``document``, ``publisher``, ``date``, ``url``, ``note``)
  are optional.
- ``recognition.<tier>.decision`` and ``recognition.<tier>.date`` (and optionally ``.field``,
  ``.signer``, ``.period``, ``.note``): one recognition of that tier per commune; a decision needs
  its date and a date its decision.
- ``facts.<id>.count`` + ``facts.<id>.of`` or ``facts.<id>.percent`` for a share (the percent cell
  may hold a bound: ``>90``, ``>=90``, ``<90``, ``<=90``, ``≥90``, two of them such as
  ``>=80 <90``, or the words trên / từ / dưới / không quá / tối đa); ``facts.<id>`` for a number,
  a count (a bound such as ``>=66`` allowed) or a yes/no fact (có / không; also true/false,
  yes/no, 1/0, đạt / không đạt / chưa đạt, and the spreadsheet's TRUE/FALSE);
  ``facts.<id>.note`` and ``facts.<id>.source`` are optional texts.
- Sheet "Ấp - Hamlets" (workbooks only): ``commune_row`` (the commune's row number in the first
  sheet, or its ``commune.code``), ``hamlet.name`` and the hamlet-level facts, same conventions.
- An empty id, or one starting with ``#``, marks a column ntmcert ignores (the officer's notes).
  Any other id that is not one of the above is an error for the whole file (exit 2): a mistyped
  fact id would otherwise silently leave every commune without that fact.

Cells: an empty cell is a fact not known (it is then *missing*, never zero). Numbers are read
exactly: a spreadsheet number by its shortest decimal spelling (85.78 stays 85.78), text as
written with a decimal point (a lone decimal comma, ``85,78``, is read as 85.78; ``1,508`` is
refused as ambiguous). A percent cell formatted as a percentage in the spreadsheet (value 0.9,
shown 90%) is read as 90. Dates are spreadsheet dates, ``YYYY-MM-DD`` or ``DD/MM/YYYY``; a
recognition date may also be a year (2023) or ``YYYY-MM``. Formulas are read by their cached
values (what Excel or LibreOffice saved last); a formula saved without one (a file written by a
program that does not compute) is a cell error, never a blank. Text may not hold control
characters, and is read in Unicode NFC.

Header rows: row 1 holds the column ids. The template's rows 2 and 3 hold the Vietnamese and
English headers, and data starts at row 4, but a file does not have to keep them: row 2, and
then row 3 when row 2 was one, is taken as a header row when it is not blank and **no cell in a
typed column** (as_of and other dates, region, group, yes/no flags, numbers, percentages, yes/no
facts, commune_row) **holds a valid value for that column**. A data row always has at least a
date or a region in it; a header's texts ("Ngày số liệu", "Vùng") are never valid values. The
rows taken as headers are reported in the batch summary, so a data row can never vanish unseen.
Blank rows are skipped. Row numbers are the spreadsheet's (CSV: the record's number, counting
the id line as row 1), so a problem's location is the cell an officer sees.

Every problem of a row is reported at once, located at its cell: ``file:row:column
[column id]: code: message`` (workbooks add the cell reference, e.g. "cell O6").
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ntmcert.core.text import has_control, printable
from ntmcert.core.vocab import REGION_NAMES
from ntmcert.inputs.catalogue import FactDef
from ntmcert.inputs.yamlio import MAX_DIGITS

COMMUNE_SHEET = "Xã - Communes"
HAMLET_SHEET = "Ấp - Hamlets"
INSTRUCTIONS_SHEET = "Hướng dẫn - Instructions"
TEMPLATE_FORMAT = "ntmcert/template/v1"
HEADER_ROWS = 3  # ids, Vietnamese, English
FIRST_DATA_ROW = HEADER_ROWS + 1
LAST_ROW = 1048576  # the spreadsheet's last row: validations cover the whole column
MAX_CELL_CHARS = 32_767  # the most a spreadsheet cell holds: a longer text in an input is refused
MAX_ROWS = 200_000  # rows of one sheet or CSV file: more is split over several files

REGIONS = REGION_NAMES
RECOGNITION_KEYS = ("decision", "date", "field", "signer", "period", "note")
SOURCE_KEYS = ("document", "publisher", "date", "url", "note")


@dataclass(frozen=True)
class Column:
    """One column: its id (row 1), how its cells are read, and where the value goes."""

    id: str
    kind: str  # text code region group flag ethnic date partial_date count of percent number boolean commune_row
    path: tuple  # ("commune", "name"), ("facts", id, "count"), ("recognition", tier, "date"), ("hamlet", "name") …
    fact: FactDef | None = None
    vi: str = ""
    en: str = ""
    required: bool = False



# ----------------------------------------------------------------------------- cells

class Uncomputed:
    """A formula cell saved without its computed value (openpyxl reads it as blank)."""

    def __repr__(self) -> str:
        return "<formula without a computed value>"


UNCOMPUTED = Uncomputed()


class CellError(ValueError):
    """A cell's value cannot be read for its column."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


_WS = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip().casefold()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _show(value: Any) -> str:
    text = repr(value.strip() if isinstance(value, str) else value)
    return text if len(text) <= 40 else text[:37] + "..."


_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def _checked(value: Decimal, shown: Any) -> int | Decimal:
    if not value.is_finite():
        raise CellError("cell_bad_number", f"{_show(shown)} is not a finite number")
    if len(value.as_tuple().digits) > MAX_DIGITS or abs(value.adjusted()) > MAX_DIGITS:
        raise CellError("cell_bad_number", f"{_show(shown)} is out of range (at most {MAX_DIGITS} digits)")
    return int(value) if value == value.to_integral_value() else value.normalize()


def number(value: Any) -> int | Decimal:
    """An exact number from a cell: a spreadsheet number, or text written with a decimal point."""
    if isinstance(value, bool):
        raise CellError("cell_bad_number", f"a number is needed (found {'TRUE' if value else 'FALSE'})")
    if isinstance(value, int):
        return _checked(Decimal(value), value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellError("cell_bad_number", f"{value!r} is not a finite number")
        return _checked(Decimal(repr(value)), value)  # the shortest spelling: what was typed
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        raise CellError("cell_bad_number", f"a number is needed (found the date or time {value})")
    text = str(value).strip().replace("\u00a0", "")
    if _PLAIN_NUMBER.match(text):
        return _checked(Decimal(text), value)
    if _DECIMAL_COMMA.match(text):
        if len(text.split(",")[1]) == 3:
            raise CellError("cell_ambiguous_number", f"{_show(value)} could be a thousands separator or a decimal "
                            f"comma: write {text.replace(',', '')} or {text.replace(',', '.')}")
        return _checked(Decimal(text.replace(",", ".")), value)
    raise CellError("cell_bad_number", f"a number is needed (found {_show(value)}); write digits with a decimal "
                    "point and no thousands separators, e.g. 1508 or 85.78")


_BOUND_WORDS = [("không quá", "<="), ("khong qua", "<="), ("tối đa", "<="), ("at most", "<="),
                ("at least", ">="), ("more than", ">"), ("less than", "<"), ("trên", ">"), ("tren", ">"),
                ("từ", ">="), ("dưới", "<"), ("duoi", "<"), ("over", ">"), ("under", "<")]
_SYMBOLS = {"≥": ">=", "=>": ">=", "≤": "<=", "=<": "<=", "＞": ">", "＜": "<"}
_BOUND = re.compile(r"\s*(>=|>|<=|<)\s*([^<>=\s;&]+)\s*(?:(?:;|và|and|&)\s*)?")
_BOUND_KEY = {">": "gt", ">=": "ge", "<": "lt", "<=": "le"}


def bound(value: Any, *, percent: bool) -> dict | None:
    """A reported bound such as '>90' or 'trên 90%' as {gt: 90}; None when the cell is not one."""
    if not isinstance(value, str):
        return None
    text = _norm(value)
    for old, new in _SYMBOLS.items():
        text = text.replace(old, new)
    text = text.replace("trở lên", "").replace("tro len", "")
    for word, symbol in _BOUND_WORDS:
        text = re.sub(rf"(?<![\w]){re.escape(word)}(?![\w])", f" {symbol} ", text)
    if not re.match(r"^\s*(>=|>|<=|<)", text):
        return None
    out: dict[str, Any] = {}
    pos = 0
    while pos < len(text):
        m = _BOUND.match(text, pos)
        if not m or m.end() == pos:
            raise CellError("cell_bad_bound", f"{_show(value)} is not a bound: write e.g. >90, >=90, <90, <=90 "
                            "or two of them (>=80 <90)")
        key = _BOUND_KEY[m.group(1)]
        raw = m.group(2)
        if percent:
            raw = raw.removesuffix("%")
        elif raw.endswith("%"):
            raise CellError("cell_bad_bound", f"{_show(value)}: this column is not a percentage")
        if key in out:
            raise CellError("cell_bad_bound", f"{_show(value)} gives the same bound twice")
        out[key] = number(raw)
        pos = m.end()
    return out


def percent_value(value: Any, percent_format: bool) -> Any:
    """A percentage cell: a number (0.9 in a cell formatted as % is 90) or a bound."""
    found = bound(value, percent=True)
    if found is not None:
        return found
    if isinstance(value, str) and value.strip().endswith("%"):
        return number(value.strip()[:-1])
    result = number(value)
    if percent_format and isinstance(value, (int, float)) and not isinstance(value, bool):
        result = _checked(Decimal(result) * 100, value)
    return result


_TRUE = {"có", "co", "true", "yes", "y", "1", "đạt", "dat", "đúng", "x"}
_FALSE = {"không", "khong", "false", "no", "n", "0", "không đạt", "khong dat", "chưa đạt", "chua dat", "sai"}


def yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = _norm(str(value))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError("cell_bad_yes_no", f"write có or không (also yes/no, true/false, 1/0, đạt/không đạt); "
                    f"found {_show(value)}")


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        if value.year < 1910:
            raise CellError("cell_bad_date", f"{value} is not a plausible date (a year typed into a date cell "
                            "becomes a day of 1905): write the full date")
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        m = _DMY.match(text)
        if m:
            try:
                return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            except ValueError:
                raise CellError("cell_bad_date", f"{_show(value)} is not a real date (DD/MM/YYYY)") from None
    raise CellError("cell_bad_date", f"a date is needed (YYYY-MM-DD or DD/MM/YYYY); found {_show(value)}")


def partial_date(value: Any) -> Any:
    """A recognition date: a full date, or a year or YYYY-MM when the day is not known."""
    if isinstance(value, bool):
        raise CellError("cell_bad_date", f"a date is needed (found {'TRUE' if value else 'FALSE'})")
    if isinstance(value, (int, float)) and float(value).is_integer():
        return str(int(value))  # a year
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}(-\d{2})?\s*", value):
        return value.strip()
    return date(value)


def text(value: Any) -> str:
    if isinstance(value, str) and has_control(value.strip(), lines=True):  # a stray CR at an end is stripped
        found = next(ch for ch in value.strip() if has_control(ch, lines=True))
        raise CellError("text_control_character", f"the cell holds the control character {printable(found)}: "
                        "remove it; names and notes are shown on terminals and in reports")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def region(value: Any) -> str:
    """A region id, its name, or "id - name" as a list might show it."""
    shown = _norm(text(value))
    head, _, rest = shown.partition(" ")
    for rid, (vi, en) in REGIONS.items():
        if shown in (rid, _norm(vi), _norm(en)) or (head == rid and rest[:1] in ("-", "–", ":", "(")):
            return rid
    raise CellError("cell_bad_region", f"region must be one of {', '.join(REGIONS)} (found {_show(value)})")


def group(value: Any) -> int:
    try:
        found = number(value)
    except CellError:
        found = None
    if found in (1, 2, 3):
        return int(found)
    raise CellError("cell_bad_group", f"the commune group is 1, 2 or 3 (found {_show(value)})")


def ethnic(value: Any) -> str:
    shown = text(value).upper()
    if shown in ("II", "III"):
        return shown
    raise CellError("cell_bad_choice", f"write II or III (found {_show(value)})")


def hamlet_key(value: Any) -> str:
    """commune_row as text: a row number ('6') or a commune code ('29254')."""
    if isinstance(value, bool):
        raise CellError("cell_bad_commune_row", "commune_row is the commune's row number or its code")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return text(value)


# column kinds whose cells need nothing but their own reader
_READERS = {"text": text, "code": text, "region": region, "group": group, "flag": yes_no, "boolean": yes_no,
            "ethnic": ethnic, "date": date, "partial_date": partial_date, "count": number, "of": number,
            "commune_row": hamlet_key}


def read_cell(column: Column, value: Any, percent_format: bool = False) -> Any:
    """The fact-set value of one non-blank cell; raises CellError."""
    if isinstance(value, Uncomputed):
        raise CellError("cell_formula_not_computed", "the cell holds a formula saved without its computed value: "
                        "open and save the file in Excel or LibreOffice so the values are computed")
    kind = column.kind
    simple = _READERS.get(kind)
    if simple is not None:
        return simple(value)
    if kind == "percent":
        return percent_value(value, percent_format)
    if kind == "number":
        found = bound(value, percent=False)
        return found if found is not None else number(value)
    raise AssertionError(kind)

def _letters(index: int) -> str:
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out

def _file_label(file: str, sheet: str | None) -> str:
    return f"{file}!{sheet}" if sheet and sheet != COMMUNE_SHEET else file

