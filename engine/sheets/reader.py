"""Reading communes from a template workbook or a CSV file, row by row (streamed).

The column and cell conventions are described in cells.py; rows become fact sets in rows.py.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ntmcert.core.errors import InputError, Location, Problem
from ntmcert.inputs.catalogue import Catalogue, Level
from ntmcert.sheets.cells import COMMUNE_SHEET, HAMLET_SHEET, CellError, _blank, _file_label, _letters, hamlet_key, text
from ntmcert.sheets.columns import Column, data_rows, read_header
from ntmcert.sheets.hamlets import HamletStore, decode, encode
from ntmcert.sheets.rows import RowCells, SheetRow, _Builder, build_commune, build_hamlet

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

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. "Data Validation extension is not supported"
                self._wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:
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
        self._percent_indexes = frozenset(i for i, c in enumerate(self.columns)
                                          if c is not None and c.kind == "percent")
        max_row = self._sheet.max_row
        self.total = max(max_row - 1, 0) if max_row else None
        if HAMLET_SHEET in names:
            ham = self._wb[HAMLET_SHEET]
            first = next(ham.iter_rows(min_row=1, max_row=1, values_only=True), ())
            if any(not _blank(v) for v in first):
                self._hamlet_columns = read_header(list(first), Level.hamlet, self.catalogue, self.file, HAMLET_SHEET,
                                                   hamlets_allowed=True)
                self._hamlets = HamletStore()
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
            yield from _sheet_rows(self._sheet, self._width, self._percent_indexes)
        else:
            number_ = 1
            while True:
                record = self._next_csv_record()
                if record is None:
                    return
                number_ += 1
                yield RowCells(number_, record)

    def __iter__(self) -> Iterator[SheetRow]:
        required = {c.id: i for i, c in enumerate(self.columns, start=1) if c is not None}
        for cells in data_rows(self._raw_rows(), self.columns, self.header_rows):
            builder = _Builder(self.file, self._wb is not None)
            data = build_commune(self.columns, cells, builder)
            if self._hamlets is not None:
                code = data.get("commune", {}).get("code")
                hamlets = []
                for _seq, h_row, h_cells, matches in self._hamlets.claim(cells.row, code):
                    if matches > 1:
                        key_index = self._hamlet_index("commune_row")
                        loc = builder.where(HAMLET_SHEET, h_row, 1 + key_index, "commune_row")
                        key = hamlet_key(decode(h_cells[key_index]))
                        builder.problem("hamlet_ambiguous_commune",
                                        f"commune_row {key!r} matches more than one commune "
                                        f"({self._hamlets.describe(key)}): write the row number of the commune, "
                                        "and keep commune codes unique", loc)
                        continue
                    h_values = [decode(v) for v in h_cells]
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
        pct = frozenset(i for i, c in enumerate(self._hamlet_columns) if c is not None and c.kind == "percent")
        for cells in data_rows(_sheet_rows(sheet, width, pct), self._hamlet_columns):
            raw = cells.values[key_index]
            try:
                key = None if _blank(raw) else hamlet_key(raw)
            except CellError:
                key = None
            self._hamlets.add(key, cells.row, [encode(v, i in cells.percent_formats)
                                               for i, v in enumerate(cells.values)])
        if self._hamlets.count():
            # the communes' row numbers and codes, to find keys that match none or several communes
            code_index = next((i for i, c in enumerate(self.columns) if c is not None and c.id == "commune.code"), None)
            for cells in data_rows(self._raw_rows(), self.columns):
                code = cells.values[code_index] if code_index is not None else None
                self._hamlets.add_commune(cells.row, None if _blank(code) else text(code))
            self._hamlets.count_matches()

    def close(self) -> None:
        """Release the file and the hamlet store (safe to call twice)."""
        wb, fh, store = self._wb, self._csv, self._hamlets
        self._csv, self._hamlets = None, None
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


def _count_lines(path: Path) -> int:
    lines = 0
    last = b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def _sheet_rows(sheet, width: int, percent_indexes: frozenset[int]) -> Iterator[RowCells]:
    """A worksheet's rows from row 2, with the indexes of percent columns formatted as percentages."""
    for number_, row in enumerate(sheet.iter_rows(min_row=2, max_col=width), start=2):
        values = [c.value for c in row]
        formats = frozenset(i for i in percent_indexes if i < len(row) and row[i].value is not None
                            and "%" in (getattr(row[i], "number_format", "") or ""))
        yield RowCells(number_, values, formats)


__all__ = ["ExtraError", "SheetReader"]
