"""The one way ntmcert writes a text cell to CSV or XLSX: never a formula, never a broken file.

Text from an input (a commune's name, a file name, an error quoting a cell) may begin with a
character a spreadsheet reads as the start of a formula (`=HYPERLINK(…)`, `+cmd|…`, `@SUM(…)`).
Following the OWASP rule, such a text is written with a single quote in front, which spreadsheets
show as text; in XLSX every text cell is also written with the string type, never as a formula.
Characters XML cannot hold become U+FFFD, and a text longer than a cell holds is cut with "…".
"""

from __future__ import annotations

from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL = 32000  # a spreadsheet cell holds at most 32,767 characters


def neutralise(text: str) -> str:
    """`text` as a spreadsheet must show it: a quote in front of a formula trigger."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def cell_value(value: Any) -> Any:
    """A value ready for a CSV or XLSX cell: text cleaned, bounded and neutralised; others as they are."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if len(value) > MAX_CELL:
        value = value[:MAX_CELL - 1] + "…"
    return neutralise(value)


def text_cell(ws: Any, value: Any, *, font: Any = None, alignment: Any = None) -> Any:
    """A write-only XLSX cell: text always of the string type (never a formula), styles optional."""
    from openpyxl.cell import WriteOnlyCell

    value = cell_value(value)
    cell = WriteOnlyCell(ws, value)
    if isinstance(value, str):
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def csv_row(values: list[Any]) -> list[Any]:
    """A CSV row: None as an empty cell, text neutralised."""
    return ["" if v is None else cell_value(v) for v in values]


__all__ = ["FORMULA_TRIGGERS", "cell_value", "csv_row", "neutralise", "text_cell"]
