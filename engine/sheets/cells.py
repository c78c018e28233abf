"""Spreadsheets of many communes: a pack's blank template, and its rows read back as fact sets.

`ntmcert template` writes the workbook; `ntmcert batch` (engine/batch.py) reads it, or a CSV with
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
values (what Excel or LibreOffice saved last).

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

from ntmcert.inputs.catalogue import Catalogue, FactDef, FactKind, Level
from ntmcert.core.errors import InputError, Location, Problem
from ntmcert.core.vocab import REGION_NAMES, Tier
from ntmcert.inputs.yamlio import MAX_DIGITS

COMMUNE_SHEET = "Xã - Communes"
HAMLET_SHEET = "Ấp - Hamlets"
INSTRUCTIONS_SHEET = "Hướng dẫn - Instructions"
TEMPLATE_FORMAT = "ntmcert/template/v1"
HEADER_ROWS = 3  # ids, Vietnamese, English
FIRST_DATA_ROW = HEADER_ROWS + 1
LAST_ROW = 1048576  # the spreadsheet's last row: validations cover the whole column

REGIONS = REGION_NAMES
SPECIAL_FLAGS = ("extremely_difficult", "coastal_island", "ethnic_minority_region", "safe_zone", "poor_district")
RECOGNITION_KEYS = ("decision", "date", "field", "signer", "period", "note")
SOURCE_KEYS = ("document", "publisher", "date", "url", "note")


# ----------------------------------------------------------------------------- columns

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


# kinds whose cells have a type: a header row has no valid value in any of them
TYPED_KINDS = frozenset({"region", "group", "flag", "ethnic", "date", "partial_date", "count", "of", "percent",
                         "number", "boolean", "commune_row"})

_COMMUNE_TEXT = {"name": True, "province": True, "district": False}


def parse_column_id(col_id: str, level: Level, catalogue: Catalogue, *, hamlets_allowed: bool) -> Column | str:
    """The column an id names, or a message saying why it names none."""
    parts = col_id.split(".")
    if level is Level.hamlet:
        if col_id == "commune_row":
            return Column(col_id, "commune_row", ("commune_row",))
        if col_id == "hamlet.name":
            return Column(col_id, "text", ("hamlet", "name"), required=True)
        if parts[0] != "facts":
            return (f"unknown column {col_id!r}: the hamlet sheet takes commune_row, hamlet.name and "
                    f"facts.<hamlet fact>")
    else:
        if col_id in ("commune.name", "commune.province", "commune.district"):
            return Column(col_id, "text", tuple(parts), required=_COMMUNE_TEXT[parts[1]])
        if col_id == "commune.code":
            return Column(col_id, "code", ("commune", "code"))
        if col_id == "commune.region":
            return Column(col_id, "region", ("commune", "region"), required=True)
        if col_id == "commune.group":
            return Column(col_id, "group", ("commune", "group"))
        if len(parts) == 3 and parts[:2] == ["commune", "special"] and parts[2] in SPECIAL_FLAGS:
            return Column(col_id, "ethnic" if parts[2] == "ethnic_minority_region" else "flag", tuple(parts))
        if col_id == "as_of":
            return Column(col_id, "date", ("as_of",), required=True)
        if len(parts) == 2 and parts[0] == "source" and parts[1] in SOURCE_KEYS:
            return Column(col_id, "date" if parts[1] == "date" else "text", tuple(parts))
        if parts[0] == "recognition":
            tiers = [t.value for t in Tier]
            if len(parts) == 3 and parts[1] in tiers and parts[2] in RECOGNITION_KEYS:
                return Column(col_id, "partial_date" if parts[2] == "date" else "text", tuple(parts))
            return (f"unknown column {col_id!r}: write recognition.<tier>.<key> with tier one of {', '.join(tiers)} "
                    f"and key one of {', '.join(RECOGNITION_KEYS)}")
        if col_id in ("commune_row", "hamlet.name"):
            return (f"column {col_id!r} belongs in the sheet {HAMLET_SHEET!r}" if hamlets_allowed else
                    f"column {col_id!r}: hamlets cannot be given in a CSV file; use the workbook of "
                    f"`ntmcert template` or a folder of fact sets")
        if parts[0] != "facts":
            return (f"unknown column {col_id!r}: commune columns are commune.<field>, as_of, source.<key>, "
                    f"recognition.<tier>.<key> and facts.<fact id>[.count|.of|.percent]")
    if len(parts) not in (2, 3):
        return f"unknown column {col_id!r}: write facts.<fact id> or facts.<fact id>.<count|of|percent|note|source>"
    fact = catalogue.get(parts[1])
    if fact is None:
        return f"unknown fact id {parts[1]!r} in column {col_id!r}{catalogue.suggest(parts[1])}"
    if fact.level is not level:
        if fact.level is Level.hamlet:
            where = (f"give it in the sheet {HAMLET_SHEET!r}" if hamlets_allowed else
                     "hamlet facts cannot be given in a CSV file; use the workbook or a folder of fact sets")
        else:
            where = f"give it in the sheet {COMMUNE_SHEET!r}"
        return f"{fact.id} is a {fact.level.value}-level fact: {where}"
    sub = parts[2] if len(parts) == 3 else None
    if sub in ("note", "source"):
        return Column(col_id, "text", ("facts", fact.id, sub), fact)
    if fact.kind is FactKind.share:
        if sub in ("count", "of", "percent"):
            return Column(col_id, sub, ("facts", fact.id, sub), fact)
        return f"{fact.id} is a share: its columns are facts.{fact.id}.count and .of, or facts.{fact.id}.percent"
    if sub is not None:
        return f"{fact.id} is a {fact.kind.value} fact: its column is facts.{fact.id} (found {col_id!r})"
    return Column(col_id, "boolean" if fact.kind is FactKind.boolean else "number", ("facts", fact.id), fact)


def read_header(ids: list[Any], level: Level, catalogue: Catalogue, file: str, sheet: str | None,
                *, hamlets_allowed: bool) -> list[Column | None]:
    """The columns of a header row (None for ignored columns); raises InputError for a bad header."""
    problems: list[Problem] = []
    columns: list[Column | None] = []
    seen: dict[str, int] = {}
    label = _file_label(file, sheet)
    for index, raw in enumerate(ids, start=1):
        col_id = "" if raw is None else str(raw).strip()
        if not col_id or col_id.startswith("#"):
            columns.append(None)
            continue
        where = Location(label, 1, index, col_id)
        if col_id in seen:
            problems.append(Problem("sheet_duplicate_column", f"column {col_id!r} appears twice (also column "
                                    f"{_letters(seen[col_id])})", where))
            columns.append(None)
            continue
        seen[col_id] = index
        found = parse_column_id(col_id, level, catalogue, hamlets_allowed=hamlets_allowed)
        if isinstance(found, str):
            problems.append(Problem("sheet_unknown_column", found, where))
            columns.append(None)
        else:
            columns.append(found)
    present = {c.id for c in columns if c is not None}
    required = (["commune.name", "commune.province", "commune.region", "as_of"] if level is Level.commune
                else ["commune_row", "hamlet.name"])
    for col_id in required:
        if col_id not in present:
            problems.append(Problem("sheet_missing_column", f"the required column {col_id!r} is missing from the "
                                    "first row (the row of column ids)", Location(label, 1, None, col_id)))
    if problems:
        raise InputError(problems)
    return columns


# ----------------------------------------------------------------------------- cells

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
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
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


def _is_valid(column: Column, value: Any) -> bool:
    if column.kind == "commune_row":
        return isinstance(value, (int, float)) and not isinstance(value, bool) or (
            isinstance(value, str) and value.strip().isdigit())
    try:
        read_cell(column, value)
        return True
    except CellError:
        return False


def looks_like_header(columns: list[Column | None], values: list[Any]) -> bool:
    """A non-blank row with no valid value in any typed column (see the module docstring)."""
    typed = [(c, v) for c, v in zip(columns, values) if c is not None and not _blank(v)]
    if not typed:
        return False
    return not any(_is_valid(c, v) for c, v in typed if c.kind in TYPED_KINDS)

def _letters(index: int) -> str:
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out

def _file_label(file: str, sheet: str | None) -> str:
    return f"{file}!{sheet}" if sheet and sheet != COMMUNE_SHEET else file
