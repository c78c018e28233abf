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

import contextlib
import csv
import datetime as dt
import json
import math
import os
import re
import sqlite3
import tempfile
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterator

from .catalogue import Catalogue, FactDef, FactKind, Level
from .errors import InputError, Location, Problem
from .factset import FORMAT, FactSet, Tier, load_factset
from .pack import Pack
from .pack_schema import iter_comparisons
from .yamlio import MAX_DIGITS

COMMUNE_SHEET = "Xã - Communes"
HAMLET_SHEET = "Ấp - Hamlets"
INSTRUCTIONS_SHEET = "Hướng dẫn - Instructions"
TEMPLATE_FORMAT = "ntmcert/template/v1"
HEADER_ROWS = 3  # ids, Vietnamese, English
FIRST_DATA_ROW = HEADER_ROWS + 1
LAST_ROW = 1048576  # the spreadsheet's last row: validations cover the whole column

REGIONS = {
    "tdmnpb": ("Trung du và miền núi phía Bắc", "Northern Midlands and Mountains"),
    "dbsh": ("Đồng bằng sông Hồng", "Red River Delta"),
    "btb": ("Bắc Trung Bộ", "North Central"),
    "dhntb": ("Duyên hải Nam Trung Bộ", "South Central Coast"),
    "tn": ("Tây Nguyên", "Central Highlands"),
    "dnb": ("Đông Nam Bộ", "Southeast"),
    "dbscl": ("Đồng bằng sông Cửu Long", "Mekong Delta"),
}
TIER_NAMES = {
    "ntm": ("xã nông thôn mới", "NTM commune"),
    "ntm_advanced": ("xã NTM nâng cao", "advanced NTM commune"),
    "ntm_model": ("xã NTM kiểu mẫu", "model NTM commune"),
    "smart": ("xã NTM thông minh", "smart NTM commune"),
}
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
    shown = _norm(text(value))
    for rid, (vi, en) in REGIONS.items():
        if shown in (rid, _norm(vi), _norm(en)) or shown.split(" ")[0] == rid:
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


def read_cell(column: Column, value: Any, percent_format: bool = False) -> Any:
    """The fact-set value of one non-blank cell; raises CellError."""
    kind = column.kind
    if kind in ("text",):
        return text(value)
    if kind == "code":
        return text(value)
    if kind == "region":
        return region(value)
    if kind == "group":
        return group(value)
    if kind in ("flag", "boolean"):
        return yes_no(value)
    if kind == "ethnic":
        return ethnic(value)
    if kind == "date":
        return date(value)
    if kind == "partial_date":
        return partial_date(value)
    if kind in ("count", "of"):
        return number(value)
    if kind == "percent":
        return percent_value(value, percent_format)
    if kind == "number":
        found = bound(value, percent=False)
        return found if found is not None else number(value)
    if kind == "commune_row":
        return hamlet_key(value)
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


# ----------------------------------------------------------------------------- rows → fact sets

def _letters(index: int) -> str:
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _file_label(file: str, sheet: str | None) -> str:
    return f"{file}!{sheet}" if sheet and sheet != COMMUNE_SHEET else file


@dataclass
class RowCells:
    """One data row as read: values aligned with the columns, and where it is."""

    row: int
    values: list[Any]
    percent_formats: frozenset[int] = frozenset()  # indexes of cells formatted as percentages


@dataclass
class _Builder:
    """Builds one fact-set dict from cells, remembering which cell each key path came from."""

    file: str
    workbook: bool
    problems: list[Problem] = field(default_factory=list)
    origin: dict[str, Location] = field(default_factory=dict)

    def where(self, sheet: str | None, row: int, index: int, col_id: str) -> Location:
        return Location(_file_label(self.file, sheet), row, index, col_id)

    def problem(self, code: str, message: str, loc: Location) -> None:
        if self.workbook and loc.line is not None and loc.column is not None:
            message += f" (cell {_letters(loc.column)}{loc.line})"
        self.problems.append(Problem(code, message, loc))

    def cells(self, columns: list[Column | None], cells: RowCells, sheet: str | None) -> list[tuple[Column, Any, Location]]:
        out = []
        for index, (column, value) in enumerate(zip(columns, cells.values), start=1):
            if column is None or _blank(value):
                continue
            loc = self.where(sheet, cells.row, index, column.id)
            try:
                out.append((column, read_cell(column, value, index - 1 in cells.percent_formats), loc))
            except CellError as exc:
                self.problem(exc.code, str(exc), loc)
                out.append((column, _BAD, loc))
        return out

    def facts(self, parsed: list[tuple[Column, Any, Location]], prefix: str) -> dict:
        """facts.<id>[.sub] cells → the facts mapping of a fact set."""
        grouped: dict[str, dict[str, tuple[Any, Location]]] = {}
        for column, value, loc in parsed:
            if column.path[0] != "facts":
                continue
            sub = column.path[2] if len(column.path) == 3 else "value"
            grouped.setdefault(column.path[1], {})[sub] = (value, loc)
        out: dict[str, Any] = {}
        for fact_id, parts in grouped.items():
            first = min((loc for _, loc in parts.values()), key=lambda loc: loc.column)
            self.origin[f"{prefix}.{fact_id}"] = first
            if any(v is _BAD for v, _ in parts.values()):
                continue
            meta = {k: parts[k][0] for k in ("note", "source") if k in parts}
            for k, (_, loc) in parts.items():
                self.origin[f"{prefix}.{fact_id}.{k}"] = loc
            if "percent" in parts and ("count" in parts or "of" in parts):
                loc = parts["percent"][1]
                self.problem("cell_share_twice", f"{fact_id}: fill either count and of, or percent, not both", loc)
                continue
            if ("count" in parts) != ("of" in parts):
                have, need = ("count", "of") if "count" in parts else ("of", "count")
                loc = parts[have][1]
                self.problem("cell_share_incomplete", f"{fact_id}: {have} is given without {need} "
                             f"(column facts.{fact_id}.{need})", loc)
                continue
            if "count" in parts:
                value = {"count": parts["count"][0], "of": parts["of"][0]}
            elif "percent" in parts:
                value = {"percent": parts["percent"][0]}
                self.origin[f"{prefix}.{fact_id}"] = parts["percent"][1]
            elif "value" in parts:
                value = parts["value"][0]
                self.origin[f"{prefix}.{fact_id}"] = parts["value"][1]
            else:
                continue  # only a note or a source: the fact itself is not known
            if meta:
                value = {**value, **meta} if isinstance(value, dict) else {"value": value, **meta}
            out[fact_id] = value
        return out


_BAD = object()  # a cell whose value could not be read (its problem is already reported)


def build_commune(columns: list[Column | None], cells: RowCells, builder: _Builder) -> dict:
    """The fact-set dict of one commune row (hamlets are added by the caller)."""
    parsed = builder.cells(columns, cells, None)
    data: dict[str, Any] = {"format": FORMAT, "commune": {}, "facts": {}}
    recognitions: dict[str, dict[str, tuple[Any, Location]]] = {}
    for column, value, loc in parsed:
        path = column.path
        if path[0] == "commune":
            builder.origin[".".join(path)] = loc
            if value is _BAD:
                continue
            if path[1] == "special":
                data["commune"].setdefault("special", {})[path[2]] = value
            else:
                data["commune"][path[1]] = value
        elif path[0] == "as_of":
            builder.origin["as_of"] = loc
            if value is not _BAD:
                data["as_of"] = value
        elif path[0] == "source":
            builder.origin[".".join(path)] = loc
            if value is not _BAD:
                data.setdefault("source", {})[path[1]] = value
        elif path[0] == "recognition":
            recognitions.setdefault(path[1], {})[path[2]] = (value, loc)
    data["facts"] = builder.facts(parsed, "facts")
    recs = []
    for tier, parts in recognitions.items():
        for key in ("decision", "date"):
            if key not in parts:
                other = "date" if key == "decision" else "decision"
                loc = parts[other][1] if other in parts else next(iter(parts.values()))[1]
                builder.problem("cell_recognition_incomplete", f"the {TIER_NAMES[tier][1]} recognition needs its "
                                f"{key} too (column recognition.{tier}.{key})", loc)
        if "decision" not in parts or "date" not in parts or any(v is _BAD for v, _ in parts.values()):
            continue
        index = len(recs)
        recs.append({"tier": tier, **{k: v for k, (v, _) in parts.items()}})
        for k, (_, loc) in parts.items():
            builder.origin[f"recognitions[{index}].{k}"] = loc
        builder.origin[f"recognitions[{index}]"] = parts["decision"][1]
    data["recognitions"] = recs
    return data


def build_hamlet(columns: list[Column | None], cells: RowCells, builder: _Builder, index: int) -> dict | None:
    parsed = builder.cells(columns, cells, HAMLET_SHEET)
    name = None
    for column, value, loc in parsed:
        if column.path == ("hamlet", "name"):
            builder.origin[f"hamlets[{index}].name"] = loc
            builder.origin[f"hamlets[{index}]"] = loc
            name = value
    facts = builder.facts(parsed, f"hamlets[{index}].facts")
    if name is None:
        loc = builder.where(HAMLET_SHEET, cells.row, next(i for i, c in enumerate(columns, 1)
                                                          if c is not None and c.id == "hamlet.name"), "hamlet.name")
        builder.problem("cell_missing_value", "the hamlet's name is missing", loc)
        return None
    if name is _BAD:
        return None
    return {"name": name, "facts": facts}


def relocate(problem: Problem, builder: _Builder, fallback: Location) -> Problem:
    """A problem of load_factset (located by key path in the dict) moved to the cell it came from;
    `fallback` (the row, and the column of that key path when there is one) otherwise."""
    path = problem.location.key_path or ""
    candidate, loc = path, None
    while candidate and loc is None:
        loc = builder.origin.get(candidate)
        cut = max(candidate.rfind("."), candidate.rfind("["))
        candidate = candidate[:cut] if cut > 0 else ""
    if loc is None:
        loc = Location(fallback.file, fallback.line, fallback.column, fallback.key_path or path or None)
    message = problem.message
    if builder.workbook and loc.line is not None and loc.column is not None:
        message += f" (cell {_letters(loc.column)}{loc.line})"
    return Problem(problem.code, message, loc)


@dataclass
class SheetRow:
    """One commune of a sheet: its cells turned into a fact-set dict, and the problems found."""

    file: str
    row: int
    data: dict
    builder: _Builder
    required_columns: dict[str, int]  # column id → 1-based index, to locate a missing required value

    @property
    def commune(self) -> dict:
        return self.data.get("commune", {})

    @property
    def as_of(self) -> Any:
        return self.data.get("as_of")

    def load(self, catalogue: Catalogue) -> FactSet:
        """The validated fact set; raises InputError with every problem of the row, each at its cell."""
        problems = list(self.builder.problems)
        try:
            factset = load_factset(self.data, catalogue=catalogue, file=self.file)
        except InputError as exc:
            bad_cells = {(p.location.file, p.location.line, p.location.column) for p in problems}
            for p in exc.problems:
                key = p.location.key_path or ""
                fallback = Location(self.file, self.row, self.required_columns.get(key), key or None)
                moved = relocate(p, self.builder, fallback)
                if (moved.location.file, moved.location.line, moved.location.column) in bad_cells:
                    continue  # that cell already has its problem (a bad value read as nothing)
                problems.append(moved)
            raise InputError(problems) from None
        if problems:
            raise InputError(problems)
        return factset


# ----------------------------------------------------------------------------- reading files

@dataclass
class ExtraError:
    """A problem that belongs to no commune row (a hamlet row that names no commune)."""

    file: str
    row: int
    problems: list[Problem]


class SheetReader:
    """Rows of a template workbook or a CSV, streamed; use as a context manager.

    Iterating yields `SheetRow`s; afterwards `extra_errors()` yields hamlet rows that matched no
    commune. `total` is an estimate of the data rows (for a progress bar) or None.
    """

    def __init__(self, path: Path, catalogue: Catalogue):
        self.path = Path(path)
        self.catalogue = catalogue
        self.file = self.path.name
        self.header_rows: list[int] = []  # rows 2–3 read as header rows
        self.total: int | None = None
        self.template_pack: str | None = None
        self._wb = None
        self._csv = None
        self._hamlets: _HamletStore | None = None
        self._hamlet_columns: list[Column | None] = []
        suffix = self.path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            self._open_workbook()
        elif suffix == ".csv":
            self._open_csv()
        else:
            raise InputError([Problem("batch_bad_input", f"{self.path}: give an .xlsx workbook, a .csv file or a "
                                      "folder of fact sets (.yaml/.yml/.json)", Location(str(self.path)))])

    # -- opening

    def _open_workbook(self) -> None:
        import warnings

        import openpyxl

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. "Data Validation extension is not supported"
                self._wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
            raise InputError([Problem("file_unreadable", f"cannot read the workbook: {type(exc).__name__}: {exc}",
                                      Location(str(self.path)))]) from None
        names = self._wb.sheetnames
        self._sheet = self._wb[COMMUNE_SHEET] if COMMUNE_SHEET in names else self._wb[names[0]]
        self._sheet_name = self._sheet.title
        keywords = self._wb.properties.keywords or ""
        m = re.search(r"pack=(\S+)", keywords)
        self.template_pack = m.group(1) if m else None
        first = next(self._sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        self.columns = read_header(list(first), Level.commune, self.catalogue, self.file,
                                   self._sheet_name, hamlets_allowed=True)
        self._width = len(self.columns)
        self._percent_indexes = frozenset(i for i, c in enumerate(self.columns) if c is not None and c.kind == "percent")
        max_row = self._sheet.max_row
        self.total = max(max_row - 1, 0) if max_row else None
        if HAMLET_SHEET in names:
            ham = self._wb[HAMLET_SHEET]
            first = next(ham.iter_rows(min_row=1, max_row=1, values_only=True), ())
            if any(not _blank(v) for v in first):
                self._hamlet_columns = read_header(list(first), Level.hamlet, self.catalogue, self.file, HAMLET_SHEET,
                                                   hamlets_allowed=True)
                self._hamlets = _HamletStore()
                try:
                    self._spool_hamlets(ham)
                except BaseException:
                    self._hamlets.close()
                    self._hamlets = None
                    raise

    def _open_csv(self) -> None:
        try:
            self._csv = open(self.path, newline="", encoding="utf-8-sig")
            first_line = self._csv.readline()
            self._csv.seek(0)
        except UnicodeDecodeError as exc:
            raise InputError([Problem("file_not_utf8", f"the CSV file is not UTF-8 text ({exc.reason}); save it as "
                                      "CSV UTF-8", Location(str(self.path)))]) from None
        except OSError as exc:
            raise InputError([Problem("file_unreadable", f"cannot read the file: {exc.strerror or exc}",
                                      Location(str(self.path)))]) from None
        counts = {d: first_line.count(d) for d in (",", ";", "\t")}
        self._delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
        self._reader = csv.reader(self._csv, delimiter=self._delimiter)
        first = self._next_csv_record()
        if first is None:
            raise InputError([Problem("sheet_empty", "the file is empty: the first row must hold the column ids",
                                      Location(self.file, 1))])
        self.columns = read_header(first, Level.commune, self.catalogue, self.file, None, hamlets_allowed=False)
        self._width = len(self.columns)
        self._percent_indexes = frozenset()
        self.total = _count_lines(self.path) - 1

    def _next_csv_record(self) -> list[str] | None:
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except UnicodeDecodeError as exc:
            raise InputError([Problem("file_not_utf8", f"the CSV file is not UTF-8 text ({exc.reason}); save it as "
                                      "CSV UTF-8", Location(self.file, self._reader.line_num + 1))]) from None
        except csv.Error as exc:
            raise InputError([Problem("csv_syntax", str(exc), Location(self.file, self._reader.line_num))]) from None

    # -- rows

    def _raw_rows(self) -> Iterator[RowCells]:
        if self._wb is not None:
            pct = self._percent_indexes
            for number_, row in enumerate(self._sheet.iter_rows(min_row=2, max_col=self._width), start=2):
                values = [c.value for c in row]
                formats = frozenset(i for i in pct if i < len(row) and row[i].value is not None
                                    and "%" in (getattr(row[i], "number_format", "") or ""))
                yield RowCells(number_, values, formats)
        else:
            number_ = 1
            while True:
                record = self._next_csv_record()
                if record is None:
                    return
                number_ += 1
                yield RowCells(number_, record)

    def __iter__(self) -> Iterator[SheetRow]:
        header_allowed = True
        required = {c.id: i for i, c in enumerate(self.columns, start=1) if c is not None}
        for cells in self._raw_rows():
            values = (cells.values + [None] * self._width)[:self._width]
            cells.values = values
            if all(_blank(v) for v in values):
                continue
            if header_allowed and cells.row <= 3 and looks_like_header(self.columns, values):
                self.header_rows.append(cells.row)
                continue
            header_allowed = False
            builder = _Builder(self.file, self._wb is not None)
            data = build_commune(self.columns, cells, builder)
            if self._hamlets is not None:
                code = data.get("commune", {}).get("code")
                hamlets = []
                for seq, h_row, h_cells, matches in self._hamlets.claim(cells.row, code):
                    if matches > 1:
                        loc = builder.where(HAMLET_SHEET, h_row, 1 + self._hamlet_index("commune_row"), "commune_row")
                        builder.problem("hamlet_ambiguous_commune", "commune_row matches more than one commune (a row "
                                        "number and a commune code, or a code used twice): write the row number", loc)
                        continue
                    h_values = [_decode(v) for v in h_cells]
                    pct = frozenset(i for i, v in enumerate(h_cells) if isinstance(v, dict) and v.get("%"))
                    hamlet = build_hamlet(self._hamlet_columns, RowCells(h_row, h_values, pct), builder, len(hamlets))
                    if hamlet is not None:
                        hamlets.append(hamlet)
                data["hamlets"] = hamlets
            yield SheetRow(self.file, cells.row, data, builder, required)

    def _hamlet_index(self, col_id: str) -> int:
        return next(i for i, c in enumerate(self._hamlet_columns) if c is not None and c.id == col_id)

    def extra_errors(self) -> Iterator[ExtraError]:
        """Hamlet rows that no commune row claimed (commune_row empty or matching no commune)."""
        if self._hamlets is None:
            return
        label = _file_label(self.file, HAMLET_SHEET)
        col = 1 + self._hamlet_index("commune_row")
        for h_row, key in self._hamlets.unclaimed():
            shown = "is empty" if key is None else f"{key!r} matches no commune row or code"
            yield ExtraError(label, h_row, [Problem(
                "hamlet_orphan", f"commune_row {shown}: the hamlet is not attached to any commune "
                f"(cell {_letters(col)}{h_row})", Location(label, h_row, col, "commune_row"))])

    # -- hamlets: spooled to a temporary SQLite file, so memory stays flat however many there are

    def _spool_hamlets(self, sheet) -> None:
        width = len(self._hamlet_columns)
        key_index = self._hamlet_index("commune_row")
        pct = {i for i, c in enumerate(self._hamlet_columns) if c is not None and c.kind == "percent"}
        header_allowed = True
        for number_, row in enumerate(sheet.iter_rows(min_row=2, max_col=width), start=2):
            values = ([c.value for c in row] + [None] * width)[:width]
            if all(_blank(v) for v in values):
                continue
            if header_allowed and number_ <= 3 and looks_like_header(self._hamlet_columns, values):
                continue
            header_allowed = False
            raw = values[key_index]
            try:
                key = None if _blank(raw) else hamlet_key(raw)
            except CellError:
                key = None
            encoded = [_encode(v, i in pct and i < len(row) and "%" in (getattr(row[i], "number_format", "") or ""))
                       for i, v in enumerate(values)]
            self._hamlets.add(key, number_, encoded)
        if self._hamlets.count():
            # the communes' row numbers and codes, to find keys that match none or several communes
            code_index = next((i for i, c in enumerate(self.columns) if c is not None and c.id == "commune.code"), None)
            header_allowed = True
            for cells in self._raw_rows():
                values = (cells.values + [None] * self._width)[:self._width]
                if all(_blank(v) for v in values):
                    continue
                if header_allowed and cells.row <= 3 and looks_like_header(self.columns, values):
                    continue
                header_allowed = False
                code = values[code_index] if code_index is not None else None
                self._hamlets.add_commune(cells.row, None if _blank(code) else text(code))
            self._hamlets.count_matches()

    def close(self) -> None:
        if self._wb is not None:
            self._wb.close()
        if self._csv is not None:
            self._csv.close()
        if self._hamlets is not None:
            self._hamlets.close()

    def __enter__(self) -> "SheetReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _count_lines(path: Path) -> int:
    lines = 0
    last = b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def _encode(value: Any, percent_format: bool) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, float):
        return {"f": repr(value), "%": percent_format}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"i": str(value), "%": percent_format}
    if isinstance(value, (dt.time, dt.timedelta)):
        return str(value)
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return dt.datetime.fromisoformat(value["dt"])
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        if "f" in value:
            return float(value["f"])
        if "i" in value:
            return int(value["i"])
    return value


class _HamletStore:
    """Hamlet rows on disk, keyed by commune_row; each is claimed by the commune it names."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="ntmcert-hamlets-")
        self.db = sqlite3.connect(os.path.join(self._dir.name, "hamlets.sqlite"))
        self.db.executescript("""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
            CREATE TABLE hamlets (seq INTEGER PRIMARY KEY, key TEXT, row INTEGER, cells TEXT,
                                  matches INTEGER DEFAULT 0, claimed INTEGER DEFAULT 0);
            CREATE TABLE communes (row INTEGER, code TEXT);
        """)

    def add(self, key: str | None, row: int, cells: list) -> None:
        self.db.execute("INSERT INTO hamlets (key, row, cells) VALUES (?, ?, ?)",
                        (key, row, json.dumps(cells, ensure_ascii=False)))

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM hamlets").fetchone()[0]

    def add_commune(self, row: int, code: str | None) -> None:
        self.db.execute("INSERT INTO communes VALUES (?, ?)", (row, code))

    def count_matches(self) -> None:
        self.db.executescript("""
            CREATE INDEX hamlet_key ON hamlets (key);
            CREATE INDEX commune_row ON communes (row); CREATE INDEX commune_code ON communes (code);
            UPDATE hamlets SET matches = (SELECT COUNT(DISTINCT c.row) FROM communes c
                                          WHERE CAST(c.row AS TEXT) = hamlets.key OR c.code = hamlets.key)
            WHERE key IS NOT NULL;
        """)

    def claim(self, row: int, code: str | None):
        keys = [str(row)] + ([code] if code and code != str(row) else [])
        found = self.db.execute(
            f"SELECT seq, row, cells, matches FROM hamlets WHERE key IN ({','.join('?' * len(keys))}) ORDER BY seq",
            keys).fetchall()
        if found:
            self.db.executemany("UPDATE hamlets SET claimed = 1 WHERE seq = ?", [(f[0],) for f in found])
        for seq, h_row, cells, matches in found:
            yield seq, h_row, json.loads(cells), matches

    def unclaimed(self):
        yield from self.db.execute("SELECT row, key FROM hamlets WHERE claimed = 0 ORDER BY seq")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.db.close()
        self._dir.cleanup()


# ----------------------------------------------------------------------------- atomic output

@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A temporary path beside `target`, moved onto it (os.replace) only when the block ends
    without an exception: an interrupted run leaves no half-written output."""
    target = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix or ".tmp", dir=target.parent)
    os.close(fd)
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # the permissions an ordinary new file would have
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ----------------------------------------------------------------------------- the template

def pack_facts(pack: Pack, catalogue: Catalogue) -> dict[FactDef, list[str]]:
    """Every fact the pack's comparisons use, in pack order, with the indicators using it."""
    out: dict[str, tuple[FactDef, list[str]]] = {}
    for crit in pack.criteria:
        for ind in crit.indicators:
            for cmp in iter_comparisons(ind.spec):
                fact = catalogue.get(cmp.fact)
                if fact is None:
                    continue
                users = out.setdefault(fact.id, (fact, []))[1]
                if ind.spec.id not in users:
                    users.append(ind.spec.id)
    return dict(out.values())


def recognition_tiers(pack: Pack, library) -> list[str]:
    """The pack's prerequisite tiers and theirs, highest first (model → advanced → base)."""
    tiers: list[str] = []
    seen_packs: set[str] = set()

    def walk(p: Pack) -> None:
        for prereq in p.prerequisites:
            if prereq.tier.value not in tiers:
                tiers.append(prereq.tier.value)
            if prereq.pack and prereq.pack not in seen_packs and library is not None:
                seen_packs.add(prereq.pack)
                walk(library.get(prereq.pack))

    walk(pack)
    order = ["smart", "ntm_model", "ntm_advanced", "ntm"]
    return sorted(tiers, key=order.index)


def _unit(fact: FactDef) -> tuple[str, str]:
    return (fact.unit.vi, fact.unit.en) if fact.unit else ("", "")


def fact_columns(fact: FactDef) -> list[Column]:
    vi, en = fact.label.vi, fact.label.en
    uvi, uen = _unit(fact)
    fid = fact.id
    if fact.kind is FactKind.share:
        return [
            Column(f"facts.{fid}.count", "count", ("facts", fid, "count"), fact,
                   f"{vi}: số {uvi}".rstrip(), f"{en}: number of {uen}".rstrip()),
            Column(f"facts.{fid}.of", "of", ("facts", fid, "of"), fact,
                   f"{vi}: tổng số {uvi}".rstrip(), f"{en}: total {uen}".rstrip()),
            Column(f"facts.{fid}.percent", "percent", ("facts", fid, "percent"), fact,
                   f"{vi}: tỷ lệ % (hoặc >90, >=90, <90, <=90; bỏ trống nếu đã ghi số và tổng số)",
                   f"{en}: percent (or >90, >=90, <90, <=90; leave empty when count and total are given)"),
        ]
    if fact.kind is FactKind.boolean:
        return [Column(f"facts.{fid}", "boolean", ("facts", fid), fact, f"{vi} (có/không)", f"{en} (yes/no)")]
    unit = (f" ({uvi})" if uvi else "", f" ({uen})" if uen else "")
    return [Column(f"facts.{fid}", "number", ("facts", fid), fact,
                   f"{vi}{unit[0]}; có thể ghi khoảng như >=66", f"{en}{unit[1]}; a bound such as >=66 is allowed")]


def commune_columns(tiers: list[str]) -> list[Column]:
    cols = [
        Column("commune.name", "text", ("commune", "name"), None, "Tên xã (bắt buộc)", "Commune name (required)", True),
        Column("commune.province", "text", ("commune", "province"), None, "Tỉnh (bắt buộc)", "Province (required)", True),
        Column("commune.district", "text", ("commune", "district"), None, "Huyện", "District"),
        Column("commune.code", "code", ("commune", "code"), None, "Mã xã", "Commune code"),
        Column("commune.region", "region", ("commune", "region"), None,
               "Vùng (bắt buộc): " + ", ".join(REGIONS), "Region (required): " + ", ".join(REGIONS), True),
        Column("commune.group", "group", ("commune", "group"), None, "Nhóm xã giai đoạn 2026–2030 (1, 2, 3)",
               "Commune group, 2026–2030 (1, 2, 3)"),
        Column("commune.special.extremely_difficult", "flag", ("commune", "special", "extremely_difficult"), None,
               "Xã đặc biệt khó khăn (có/không)", "Extremely difficult commune (yes/no)"),
        Column("commune.special.coastal_island", "flag", ("commune", "special", "coastal_island"), None,
               "Xã bãi ngang, ven biển, hải đảo (có/không)", "Coastal or island commune (yes/no)"),
        Column("commune.special.ethnic_minority_region", "ethnic", ("commune", "special", "ethnic_minority_region"),
               None, "Xã khu vực II/III vùng đồng bào DTTS và miền núi (II, III)",
               "Region II/III commune of the ethnic-minority and mountain areas (II, III)"),
        Column("commune.special.safe_zone", "flag", ("commune", "special", "safe_zone"), None,
               "Xã an toàn khu (có/không)", "Safe-zone commune (yes/no)"),
        Column("commune.special.poor_district", "flag", ("commune", "special", "poor_district"), None,
               "Thuộc huyện nghèo (có/không)", "In a poor district (yes/no)"),
        Column("as_of", "date", ("as_of",), None, "Ngày số liệu (bắt buộc; yyyy-mm-dd)",
               "As of: the date the figures describe (required; yyyy-mm-dd)", True),
    ]
    for tier in tiers:
        vi, en = TIER_NAMES[tier]
        cols.append(Column(f"recognition.{tier}.decision", "text", ("recognition", tier, "decision"), None,
                           f"Số quyết định công nhận {vi}", f"Decision recognising the {en}"))
        cols.append(Column(f"recognition.{tier}.date", "partial_date", ("recognition", tier, "date"), None,
                           f"Ngày quyết định công nhận {vi} (yyyy-mm-dd, hoặc năm)",
                           f"Date of the {en} decision (yyyy-mm-dd, or the year)"))
    return cols


def template_columns(pack: Pack, library, catalogue: Catalogue) -> tuple[list[Column], list[Column]]:
    """(commune sheet columns, hamlet sheet columns — empty when the pack has no hamlet facts)."""
    facts = pack_facts(pack, catalogue)
    commune = commune_columns(recognition_tiers(pack, library))
    hamlet: list[Column] = []
    for fact in facts:
        (commune if fact.level is Level.commune else hamlet).extend(fact_columns(fact))
    if hamlet:
        hamlet = [Column("commune_row", "commune_row", ("commune_row",), None,
                         "Dòng của xã ở trang 'Xã - Communes' (số dòng) hoặc mã xã",
                         "The commune's row number in sheet 'Xã - Communes', or its code", True),
                  Column("hamlet.name", "text", ("hamlet", "name"), None, "Tên ấp (bắt buộc)",
                         "Hamlet name (required)", True)] + hamlet
    return commune, hamlet


def write_template(pack: Pack, out: str | Path, *, library=None, catalogue: Catalogue) -> tuple[list[Column], list[Column]]:
    """Write the blank workbook of `pack` to `out` atomically; returns its columns."""
    import openpyxl

    commune_cols, hamlet_cols = template_columns(pack, library, catalogue)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = COMMUNE_SHEET
    _fill_sheet(ws, commune_cols)
    if hamlet_cols:
        _fill_sheet(wb.create_sheet(HAMLET_SHEET), hamlet_cols)
    _instructions(wb.create_sheet(INSTRUCTIONS_SHEET), pack, catalogue, commune_cols, hamlet_cols)
    wb.properties.title = f"ntmcert: {pack.id} {pack.version}"
    wb.properties.subject = pack.doc.title.vi
    wb.properties.keywords = f"{TEMPLATE_FORMAT} pack={pack.id} version={pack.version} sha256={pack.sha256}"
    wb.properties.creator = "ntmcert"
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return commune_cols, hamlet_cols


_GROUP_FILL = {"commune": "DDEBF7", "as_of": "FCE4D6", "recognition": "E2EFDA", "facts": "FFF2CC",
               "hamlet": "DDEBF7", "commune_row": "DDEBF7"}


def _fill_sheet(ws, columns: list[Column]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws.append([c.id for c in columns])
    ws.append([c.vi for c in columns])
    ws.append([c.en for c in columns])
    id_font = Font(name="Consolas", size=9, color="595959")
    vi_font = Font(bold=True)
    en_font = Font(italic=True, color="404040")
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        fill = PatternFill("solid", fgColor=_GROUP_FILL.get(column.path[0], "FFFFFF"))
        for row, font in ((1, id_font), (2, vi_font), (3, en_font)):
            cell = ws.cell(row=row, column=index)
            cell.font = font
            cell.fill = fill
            cell.alignment = wrap
        longest = max(len(column.id), min(len(column.vi), 60) // 2 + 4)
        ws.column_dimensions[letter].width = max(12, min(longest + 2, 40))
        if column.kind == "code":
            ws.column_dimensions[letter].number_format = "@"
        elif column.kind == "date":
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
    ws.row_dimensions[2].height = 75
    ws.row_dimensions[3].height = 75
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=2)
    _validations(ws, columns)


def _validations(ws, columns: list[Column]) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    made: dict[tuple, DataValidation] = {}

    def add(key: tuple, index: int, **kwargs) -> None:
        dv = made.get(key)
        if dv is None:
            dv = made[key] = DataValidation(allow_blank=True, showErrorMessage=True, showInputMessage=True, **kwargs)
            ws.add_data_validation(dv)
        letter = get_column_letter(index)
        dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_ROW}")

    for index, column in enumerate(columns, start=1):
        kind = column.kind
        if kind == "region":
            add(("region",), index, type="list", formula1='"' + ",".join(REGIONS) + '"',
                errorTitle="Vùng / Region", error="Chọn một vùng trong danh sách. / Pick a region from the list.")
        elif kind == "group":
            add(("group",), index, type="list", formula1='"1,2,3"', errorTitle="Nhóm / Group",
                error="Nhóm xã là 1, 2 hoặc 3. / The group is 1, 2 or 3.")
        elif kind in ("flag", "boolean"):
            add(("yesno",), index, type="list", formula1='"có,không"', errorStyle="warning",
                errorTitle="có / không", error="Ghi có hoặc không (cũng nhận đạt/không đạt, yes/no, 1/0). "
                "/ Write có or không (đạt/không đạt, yes/no, 1/0 are read too).")
        elif kind == "ethnic":
            add(("ethnic",), index, type="list", formula1='"II,III"', errorTitle="II / III",
                error="Ghi II hoặc III, hoặc để trống. / Write II or III, or leave empty.")
        elif kind in ("count", "of"):
            whole = column.fact is not None and column.fact.whole_counts
            add(("count", whole), index, type="whole" if whole else "decimal", operator="greaterThanOrEqual",
                formula1="0", errorTitle="Số / Number",
                error=("Số nguyên ≥ 0, không có dấu phân cách hàng nghìn. / A whole number ≥ 0." if whole else
                       "Số ≥ 0. / A number ≥ 0."))
        elif kind == "percent":
            add(("percent",), index, type="decimal", operator="between", formula1="0", formula2="100",
                errorStyle="warning", errorTitle="Tỷ lệ % / Percent",
                error="Số từ 0 đến 100, hoặc khoảng như >90, >=90, <90, <=90. "
                      "/ A number from 0 to 100, or a bound such as >90.",
                promptTitle="Tỷ lệ % / Percent", prompt="0–100, hoặc/or >90, >=90, <90, <=90")
        elif kind == "number":
            whole = column.fact is not None and column.fact.kind is FactKind.count
            add(("number", whole), index, type="whole" if whole else "decimal", operator="greaterThanOrEqual",
                formula1="0", errorStyle="warning", errorTitle="Số / Number",
                error="Số ≥ 0, hoặc khoảng như >=66. / A number ≥ 0, or a bound such as >=66.")
        elif kind == "date":
            add(("date",), index, type="date", operator="between", formula1="DATE(2000,1,1)",
                formula2="DATE(2999,12,31)", errorTitle="Ngày / Date",
                error="Ghi ngày, ví dụ 2024-08-31. / Write a date, e.g. 2024-08-31.")
        elif kind == "partial_date":
            add(("partial_date",), index, type="date", operator="between", formula1="DATE(2000,1,1)",
                formula2="DATE(2999,12,31)", errorStyle="warning", errorTitle="Ngày / Date",
                error="Ghi ngày (2024-02-06); nếu chỉ biết năm, ghi năm dạng văn bản ('2023). "
                      "/ Write the date; when only the year is known, write it as text ('2023).")


def _instructions(ws, pack: Pack, catalogue: Catalogue, commune_cols: list[Column], hamlet_cols: list[Column]) -> None:
    from openpyxl.styles import Alignment, Font

    facts = pack_facts(pack, catalogue)
    lines = [
        (f"Mẫu nhập số liệu cho bộ tiêu chí {pack.id} {pack.version}", True),
        (f"Data-entry template for the criteria pack {pack.id} {pack.version}", True),
        (pack.doc.title.vi, False),
        (pack.doc.title.en, False),
        ("", False),
        ("1. Mỗi xã một dòng ở trang 'Xã - Communes', từ dòng 4. Dòng 1 là mã cột (không sửa), dòng 2–3 là tiêu đề.",
         False),
        ("   One commune per row of sheet 'Xã - Communes', from row 4. Row 1 holds the column ids (do not edit); "
         "rows 2–3 are headers.", False),
        ("2. Ô để trống = chưa có số liệu (không phải số 0). / An empty cell = not known (never zero).", False),
        ("3. Tỷ lệ: ghi số và tổng số (count, of), hoặc tỷ lệ % (percent), không ghi cả hai; tỷ lệ có thể là khoảng "
         ">90, >=90, <90, <=90.", False),
        ("   Shares: fill count and of (total), or percent, not both; a percent may be a bound >90, >=90, <90, <=90.",
         False),
        ("4. Có/không: ghi có hoặc không (nhận cả đạt/không đạt, yes/no, true/false, 1/0).", False),
        ("   Yes/no: write có or không (đạt/không đạt, yes/no, true/false, 1/0 are read too).", False),
        ("5. Ngày: yyyy-mm-dd hoặc dd/mm/yyyy; ngày quyết định công nhận có thể chỉ ghi năm.", False),
        ("   Dates: yyyy-mm-dd or dd/mm/yyyy; a recognition decision's date may be just the year.", False),
        ("6. Số: dùng dấu chấm thập phân, không dùng dấu phân cách hàng nghìn (1508, 85.78).", False),
        ("   Numbers: a decimal point, no thousands separators (1508, 85.78).", False),
        ("7. Cột có mã bắt đầu bằng # hoặc không có mã được bỏ qua (ghi chú riêng).", False),
        ("   Columns whose id starts with # or is empty are ignored (your own notes).", False),
    ]
    if hamlet_cols:
        lines += [
            ("8. Trang 'Ấp - Hamlets': mỗi ấp một dòng; cột commune_row ghi số dòng của xã ở trang đầu hoặc mã xã.",
             False),
            ("   Sheet 'Ấp - Hamlets': one hamlet per row; commune_row holds the commune's row number in the first "
             "sheet, or its code.", False),
        ]
    lines += [
        ("", False),
        ("Kiểm tra / Check:  ntmcert batch <tệp.xlsx> --pack " + pack.id + " --out ket-qua.xlsx", True),
        ("", False),
        ("Vùng / Regions: " + "; ".join(f"{k} = {vi}" for k, (vi, _) in REGIONS.items()), False),
        ("", False),
    ]
    for line, bold in lines:
        ws.append([line])
        if bold:
            ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    ws.append(["Cột / Column", "Trang / Sheet", "Loại / Kind", "Đơn vị / Unit", "Tiêu đề / Header",
               "Dùng cho chỉ tiêu / Used by indicators"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for sheet, cols in ((COMMUNE_SHEET, commune_cols), (HAMLET_SHEET, hamlet_cols)):
        for col in cols:
            unit = f"{col.fact.unit.vi} / {col.fact.unit.en}" if col.fact is not None and col.fact.unit else ""
            users = ", ".join(facts.get(col.fact, [])) if col.fact is not None else ""
            ws.append([col.id, sheet, col.kind, unit, f"{col.vi} / {col.en}", users])
    for letter, width in zip("ABCDEF", (48, 16, 12, 22, 80, 40)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=1):
        row[0].alignment = Alignment(wrap_text=False)


__all__ = ["COMMUNE_SHEET", "Column", "HAMLET_SHEET", "INSTRUCTIONS_SHEET", "SheetReader", "SheetRow",
           "atomic_path", "read_header", "template_columns", "write_template"]
