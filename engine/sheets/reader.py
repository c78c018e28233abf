"""Reading communes from a template workbook or a CSV file, row by row (streamed).

The column and cell conventions are described in cells.py; rows become fact sets in rows.py.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ntmcert.core.errors import InputError, Location, Problem
from ntmcert.core.files import BoundedReader, open_regular
from ntmcert.inputs.catalogue import Catalogue, Level
from ntmcert.sheets.cells import (
    COMMUNE_SHEET,
    HAMLET_SHEET,
    MAX_ROWS,
    UNCOMPUTED,
    CellError,
    _blank,
    _file_label,
    _letters,
    hamlet_key,
    read_cell,
    text,
)
from ntmcert.sheets.columns import Column, data_rows, read_header
from ntmcert.sheets.csvrecords import MAX_CSV_BYTES, CsvRecords
from ntmcert.sheets.hamlets import HamletStore, decode, encode
from ntmcert.sheets.rows import RowCells, SheetRow, _Builder, build_commune, build_hamlet
from ntmcert.sheets.xlsxcheck import check_workbook

# ----------------------------------------------------------------------------- reading files

@dataclass
class PendingRow:
    """One commune row as read, with the hamlet rows it claims in order (or the problem of a hamlet
    row that matches several communes), before its cells are turned into a fact set."""

    cells: RowCells
    hamlets: list[RowCells | Problem] | None = None  # None: the workbook has no hamlet sheet


@dataclass(frozen=True)
class RowLayout:
    """The columns of a sheet: what turns a PendingRow into its SheetRow (sent once to each worker)."""

    file: str
    workbook: bool
    columns: list[Column | None]
    hamlet_columns: list[Column | None]

    def sheet_row(self, pending: PendingRow) -> SheetRow:
        cells = pending.cells
        builder = _Builder(self.file, self.workbook)
        required = {c.id: i for i, c in enumerate(self.columns, start=1) if c is not None}
        if cells.problems:
            builder.problems.extend(cells.problems)
            return SheetRow(self.file, cells.row, {}, builder, required)
        data = build_commune(self.columns, cells, builder)
        if pending.hamlets is not None:
            hamlets: list[dict] = []
            for claimed in pending.hamlets:
                if isinstance(claimed, Problem):
                    builder.problems.append(claimed)
                    continue
                hamlet = build_hamlet(self.hamlet_columns, claimed, builder, len(hamlets))
                if hamlet is not None:
                    hamlets.append(hamlet)
            data["hamlets"] = hamlets
        return SheetRow(self.file, cells.row, data, builder, required)


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
        self._wb: Any = None  # an openpyxl workbook once open (openpyxl has no type hints)
        self._fh: BinaryIO | None = None
        self._uncomputed: dict[str, set[tuple[int, int]]] = {}
        self._hamlets: HamletStore | None = None
        self._hamlet_columns: list[Column | None] = []
        suffix = self.path.suffix.lower()
        if suffix in (".xlsx", ".xlsm", ".csv"):
            try:
                self._open_workbook() if suffix != ".csv" else self._open_csv()
            except BaseException:
                self.close()
                raise
        else:
            raise InputError([Problem("batch_bad_input", f"{self.path}: give an .xlsx workbook, a .csv file or a "
                                      "folder of fact sets (.yaml/.yml/.json)", Location(str(self.path)))])

    # -- opening

    def _open_workbook(self) -> None:
        import warnings

        import openpyxl

        self._fh = open_regular(self.path)
        scan = check_workbook(self._fh, str(self.path))  # a DTD, a zip bomb, too many rows: refused here
        self._uncomputed = scan.uncomputed
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. "Data Validation extension is not supported"
                wb = self._wb = openpyxl.load_workbook(self._fh, read_only=True, data_only=True)
            names = wb.sheetnames
            self._sheet = wb[COMMUNE_SHEET] if COMMUNE_SHEET in names else wb[names[0]]
            first = next(self._sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        except Exception as exc:
            raise _unreadable(self.path, exc) from None
        self._sheet_name = self._sheet.title
        keywords = wb.properties.keywords or ""
        m = re.search(r"pack=(\S+)", keywords)
        self.template_pack = m.group(1) if m else None
        self.columns = read_header(list(first), Level.commune, self.catalogue, self.file,
                                   self._sheet_name, hamlets_allowed=True)
        self._width = len(self.columns)
        self._percent_indexes = frozenset(i for i, c in enumerate(self.columns)
                                          if c is not None and c.kind == "percent")
        max_row = self._sheet.max_row
        self.total = max(max_row - 1, 0) if max_row else None
        if HAMLET_SHEET in names:
            ham = wb[HAMLET_SHEET]
            try:
                first = next(ham.iter_rows(min_row=1, max_row=1, values_only=True), ())
            except Exception as exc:
                raise _unreadable(self.path, exc) from None
            if any(not _blank(v) for v in first):
                self._hamlet_columns = read_header(list(first), Level.hamlet, self.catalogue, self.file, HAMLET_SHEET,
                                                   hamlets_allowed=True)
                store = self._hamlets = HamletStore()
                try:
                    self._spool_hamlets(ham, store)
                except BaseException:
                    store.close()
                    self._hamlets = None
                    raise

    def _open_csv(self) -> None:
        self._fh = open_regular(self.path)
        fd = self._fh.fileno()
        size = os.fstat(fd).st_size
        if size > MAX_CSV_BYTES:
            raise InputError([Problem("file_too_large", f"the file is {size:,} bytes; at most {MAX_CSV_BYTES:,} are "
                                      "read", Location(str(self.path)))])
        lines = _count_lines(fd)
        if lines > MAX_ROWS + 1:  # refused before the first row is evaluated, not after 200,000 of them
            raise InputError([Problem("sheet_too_many_rows", f"the file has {lines:,} lines; at most {MAX_ROWS:,} rows "
                                      "of communes are read: split them over several files",
                                      Location(self.file, MAX_ROWS + 2))])
        self._records = CsvRecords(io.BufferedReader(BoundedReader(self._fh, MAX_CSV_BYTES, self.path)), self.file)
        first = next(self._records, None)
        if first is None:
            raise InputError([Problem("sheet_empty", "the file is empty: the first row must hold the column ids",
                                      Location(self.file, 1))])
        if first.problems:  # the row of column ids itself cannot be read
            raise InputError(first.problems)
        self.columns = read_header(first.values, Level.commune, self.catalogue, self.file, None,
                                   hamlets_allowed=False)
        self._records.width = len(self.columns)
        self._width = len(self.columns)
        self._percent_indexes = frozenset()
        self.total = lines - 1

    # -- rows

    def _raw_rows(self) -> Iterator[RowCells]:
        if self._wb is not None:
            yield from _sheet_rows(self._sheet, self._width, self._percent_indexes,
                                   self._uncomputed.get(self._sheet._worksheet_path, set()), self.path)
        else:
            for record in self._records:
                yield RowCells(record.row, record.values, problems=record.problems)

    def __iter__(self) -> Iterator[SheetRow]:
        layout = self.layout()
        for pending in self.pending_rows():
            yield layout.sheet_row(pending)

    def layout(self) -> RowLayout:
        """What turning a pending row into its SheetRow needs besides the row (the same for every row)."""
        return RowLayout(self.file, self._wb is not None, list(self.columns), list(self._hamlet_columns))

    def pending_rows(self) -> Iterator[PendingRow]:
        """The commune rows as read, each with the hamlet rows it claims; the cells are turned into
        a fact set by `RowLayout.sheet_row`, which may run in another process."""
        code_index = next((i for i, c in enumerate(self.columns) if c is not None and c.id == "commune.code"), None)
        for cells in data_rows(self._raw_rows(), self.columns, self.header_rows):
            if cells.problems or self._hamlets is None:
                yield PendingRow(cells)
                continue
            hamlets: list[RowCells | Problem] = []
            for _seq, h_row, h_cells, matches in self._hamlets.claim(cells.row, self._code(cells, code_index)):
                if matches > 1:
                    key_index = self._hamlet_index("commune_row")
                    builder = _Builder(self.file, self._wb is not None)
                    loc = builder.where(HAMLET_SHEET, h_row, 1 + key_index, "commune_row")
                    key = hamlet_key(decode(h_cells[key_index]))
                    builder.problem("hamlet_ambiguous_commune",
                                    f"commune_row {key!r} matches more than one commune "
                                    f"({self._hamlets.describe(key)}): write the row number of the commune, "
                                    "and keep commune codes unique", loc)
                    hamlets.extend(builder.problems)
                    continue
                pct = frozenset(i for i, v in enumerate(h_cells) if isinstance(v, dict) and v.get("%"))
                hamlets.append(RowCells(h_row, [decode(v) for v in h_cells], pct))
            yield PendingRow(cells, hamlets)

    def _code(self, cells: RowCells, index: int | None) -> Any:
        """The commune code of a row as build_commune reads it (None when blank or unreadable)."""
        column = self.columns[index] if index is not None else None
        if index is None or column is None or index >= len(cells.values) or _blank(cells.values[index]):
            return None
        try:
            return read_cell(column, cells.values[index], index in cells.percent_formats)
        except CellError:
            return None

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

    def _spool_hamlets(self, sheet: Any, store: HamletStore) -> None:
        width = len(self._hamlet_columns)
        key_index = self._hamlet_index("commune_row")
        pct = frozenset(i for i, c in enumerate(self._hamlet_columns) if c is not None and c.kind == "percent")
        uncomputed = self._uncomputed.get(sheet._worksheet_path, set())
        for cells in data_rows(_sheet_rows(sheet, width, pct, uncomputed, self.path), self._hamlet_columns):
            raw = cells.values[key_index]
            try:
                key = None if _blank(raw) else hamlet_key(raw)
            except CellError:
                key = None
            store.add(key, cells.row, [encode(v, i in cells.percent_formats)
                                               for i, v in enumerate(cells.values)])
        if store.count():
            # the communes' row numbers and codes, to find keys that match none or several communes
            code_index = next((i for i, c in enumerate(self.columns) if c is not None and c.id == "commune.code"), None)
            for cells in data_rows(self._raw_rows(), self.columns):
                code = cells.values[code_index] if code_index is not None else None
                store.add_commune(cells.row, None if _blank(code) else text(code))
            store.count_matches()

    def close(self) -> None:
        """Release the file and the hamlet store (safe to call twice)."""
        wb, fh, store = self._wb, self._fh, self._hamlets
        self._fh, self._hamlets = None, None
        if wb is not None:
            wb.close()
        if fh is not None:
            fh.close()
        if store is not None:
            store.close()

    def __enter__(self) -> SheetReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _count_lines(fd: int) -> int:
    """Lines of the open file, read with pread (the stream's position is left alone), bounded."""
    lines, offset, last = 0, 0, b"\n"
    while offset < MAX_CSV_BYTES and (chunk := os.pread(fd, 1 << 20, offset)):
        lines += chunk.count(b"\n")
        offset += len(chunk)
        last = chunk[-1:]
    return lines + (last != b"\n")


def _unreadable(path: Path, exc: Exception) -> InputError:
    return InputError([Problem("file_unreadable", f"cannot read the workbook: {type(exc).__name__}: "
                               f"{str(exc)[:200]}", Location(str(path)))])


def _sheet_rows(sheet, width: int, percent_indexes: frozenset[int], uncomputed: set[tuple[int, int]],
                path: Path) -> Iterator[RowCells]:
    """A worksheet's rows from row 2, with the indexes of percent columns formatted as percentages;
    a formula saved without its value is UNCOMPUTED, never blank."""
    rows = sheet.iter_rows(min_row=2, max_col=width)
    number_ = 1
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:
            raise _unreadable(path, exc) from None
        number_ += 1
        values = [c.value for c in row]
        if uncomputed:
            values = [UNCOMPUTED if v is None and (number_, i) in uncomputed else v
                      for i, v in enumerate(values, start=1)]
        formats = frozenset(i for i in percent_indexes if i < len(row) and row[i].value is not None
                            and "%" in (getattr(row[i], "number_format", "") or ""))
        yield RowCells(number_, values, formats)


__all__ = ["ExtraError", "PendingRow", "RowLayout", "SheetReader"]
