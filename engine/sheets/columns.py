"""The columns of a sheet: what each column id (row 1) means, and which rows are header rows.

The conventions are described in cells.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ntmcert.core.errors import InputError, Location, Problem
from ntmcert.core.vocab import Tier
from ntmcert.inputs.catalogue import Catalogue, FactKind, Level
from ntmcert.sheets.cells import (
    COMMUNE_SHEET,
    HAMLET_SHEET,
    HEADER_ROWS,
    RECOGNITION_KEYS,
    REGIONS,
    SOURCE_KEYS,
    CellError,
    Column,
    _blank,
    _file_label,
    _letters,
    read_cell,
)

# kinds whose cells have a type: a header row has no valid value in any of them
TYPED_KINDS = frozenset({"region", "group", "flag", "ethnic", "date", "partial_date", "count", "of", "percent",
                         "number", "boolean", "commune_row"})


def _commune(col_id: str, kind: str, vi: str, en: str, required: bool = False) -> Column:
    return Column(col_id, kind, tuple(col_id.split(".")), None, vi, en, required)


# The fixed commune-level columns, in template order: the one definition the template writes and
# the reader reads (recognition.*, source.* and facts.* columns follow a grammar instead).
COMMUNE_COLUMNS: tuple[Column, ...] = (
    _commune("commune.name", "text", "Tên xã (bắt buộc)", "Commune name (required)", True),
    _commune("commune.province", "text", "Tỉnh (bắt buộc)", "Province (required)", True),
    _commune("commune.district", "text", "Huyện", "District"),
    _commune("commune.code", "code", "Mã xã", "Commune code"),
    _commune("commune.region", "region", "Vùng (bắt buộc): " + ", ".join(REGIONS),
             "Region (required): " + ", ".join(REGIONS), True),
    _commune("commune.group", "group", "Nhóm xã giai đoạn 2026–2030 (1, 2, 3)", "Commune group, 2026–2030 (1, 2, 3)"),
    _commune("commune.special.extremely_difficult", "flag", "Xã đặc biệt khó khăn (có/không)",
             "Extremely difficult commune (yes/no)"),
    _commune("commune.special.coastal_island", "flag", "Xã bãi ngang, ven biển, hải đảo (có/không)",
             "Coastal or island commune (yes/no)"),
    _commune("commune.special.ethnic_minority_region", "ethnic",
             "Xã khu vực II/III vùng đồng bào DTTS và miền núi (II, III)",
             "Region II/III commune of the ethnic-minority and mountain areas (II, III)"),
    _commune("commune.special.safe_zone", "flag", "Xã an toàn khu (có/không)", "Safe-zone commune (yes/no)"),
    _commune("commune.special.poor_district", "flag", "Thuộc huyện nghèo (có/không)", "In a poor district (yes/no)"),
    _commune("as_of", "date", "Ngày số liệu (bắt buộc; yyyy-mm-dd)",
             "As of: the date the figures describe (required; yyyy-mm-dd)", True),
)
_COMMUNE_BY_ID = {c.id: c for c in COMMUNE_COLUMNS}
REQUIRED_COMMUNE_COLUMNS = tuple(c.id for c in COMMUNE_COLUMNS if c.required)
REQUIRED_HAMLET_COLUMNS = ("commune_row", "hamlet.name")


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
        if col_id in _COMMUNE_BY_ID:
            return _COMMUNE_BY_ID[col_id]
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
    required = REQUIRED_COMMUNE_COLUMNS if level is Level.commune else REQUIRED_HAMLET_COLUMNS
    for col_id in required:
        if col_id not in present:
            problems.append(Problem("sheet_missing_column", f"the required column {col_id!r} is missing from the "
                                    "first row (the row of column ids)", Location(label, 1, None, col_id)))
    if problems:
        raise InputError(problems)
    return columns

def _is_valid(column: Column, value: Any) -> bool:
    if column.kind == "commune_row":
        return (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
            isinstance(value, str) and value.strip().isdigit())
    try:
        read_cell(column, value)
        return True
    except CellError:
        return False


def looks_like_header(columns: list[Column | None], values: list[Any]) -> bool:
    """A non-blank row with no valid value in any typed column (see the module docstring)."""
    typed = [(c, v) for c, v in zip(columns, values, strict=False) if c is not None and not _blank(v)]
    if not typed:
        return False
    return not any(_is_valid(c, v) for c, v in typed if c.kind in TYPED_KINDS)


def data_rows(rows: Iterable[Any], columns: list[Column | None],
              header_rows: list[int] | None = None) -> Iterator[Any]:
    """The data rows of a sheet (`RowCells`, values padded or cut to the columns): blank rows are
    skipped, and so is row 2, then row 3 after a row 2 header, when it looks like a header row (the
    rule of the module docstring of cells.py); the rows skipped as headers go to `header_rows`."""
    width = len(columns)
    header_allowed = True
    for cells in rows:
        if cells.problems:  # a row that could not be read is a data row, reported as such
            header_allowed = False
            yield cells
            continue
        cells.values = (list(cells.values) + [None] * width)[:width]
        if all(_blank(v) for v in cells.values):
            continue
        if header_allowed and cells.row <= HEADER_ROWS and looks_like_header(columns, cells.values):
            if header_rows is not None:
                header_rows.append(cells.row)
            continue
        header_allowed = False
        yield cells


__all__ = [
    "COMMUNE_COLUMNS",
    "TYPED_KINDS",
    "Column",
    "data_rows",
    "looks_like_header",
    "parse_column_id",
    "read_header",
]
