"""Reading communes from spreadsheets, CSV files and folders of fact sets, row by row.

The column and cell conventions are described in sheet_cells.py.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ntmcert.inputs.catalogue import Catalogue, Level
from ntmcert.core.errors import InputError, Location, Problem
from ntmcert.inputs.factset import FORMAT, FactSet, load_factset

from ntmcert.core.vocab import TIER_NAMES
from ntmcert.sheets.cells import (COMMUNE_SHEET, HAMLET_SHEET, CellError, Column, _blank, _file_label, _letters,
                          hamlet_key, looks_like_header, read_cell, read_header, text)

# ----------------------------------------------------------------------------- rows → fact sets





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

    def cells(self, columns: list[Column | None], cells: RowCells,
              sheet: str | None) -> list[tuple[Column, Any, Location]]:
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
                        key_index = self._hamlet_index("commune_row")
                        loc = builder.where(HAMLET_SHEET, h_row, 1 + key_index, "commune_row")
                        key = hamlet_key(_decode(h_cells[key_index]))
                        builder.problem("hamlet_ambiguous_commune",
                                        f"commune_row {key!r} matches more than one commune "
                                        f"({self._hamlets.describe(key)}): write the row number of the commune, "
                                        "and keep commune codes unique", loc)
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
        """Release the file and the hamlet store (safe to call twice)."""
        wb, fh, store = self._wb, self._csv, self._hamlets
        self._csv, self._hamlets = None, None
        if wb is not None:
            wb.close()
        if fh is not None:
            fh.close()
        if store is not None:
            store.close()

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

    def describe(self, key: str) -> str:
        """Which communes a commune_row value matches: 'row 4; row 5 (code '4')'."""
        found = self.db.execute("SELECT row, code FROM communes WHERE CAST(row AS TEXT) = ? OR code = ? ORDER BY row",
                                (key, key)).fetchall()
        return "; ".join(f"row {row}" + (f" (code {code!r})" if code == key else "") for row, code in found)

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
