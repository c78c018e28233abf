"""CSV records read safely: decoded line by line (a bad byte is named by line and column), a
quote left open reported at the row where it opens (the rows after it are still read), and an
over-long line or cell a bad row of its own, never a stop.

Python's csv module, fed the whole file, lets an unclosed quote swallow every row after it (a
quoted cell may hold line breaks), and stops at the first cell over its field limit. Here each
record is found first: physical lines are joined while the count of quote characters is odd
(doubled quotes inside a cell come in pairs), up to a bound; when the file ends with the quote
still open, or the joined lines hold more cells than the header has columns (rows were
swallowed), the quote is taken as unclosed, its row is a bad row and reading goes on from the next
line. Only then is each record split into cells by the csv module.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from ntmcert.core.errors import InputError, Location, Problem
from ntmcert.sheets.cells import MAX_CELL_CHARS, MAX_ROWS

MAX_CSV_BYTES = 256 * 1024 * 1024  # the whole file (read as a stream: memory stays flat)
MAX_LINE_BYTES = 4 * 1024 * 1024  # one physical line, and one record
MAX_RECORD_LINES = 50  # lines one quoted cell may span
_LONE_CR = re.compile(r"(?<=\r)(?!\n)")


@dataclass
class CsvRecord:
    """One record: its number (the id line is 1), the line it starts on, and its cells, or the
    problems that make it a bad row."""

    row: int
    line: int
    values: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class CsvRecords:
    """The records of a CSV stream (binary, bounded by the caller); `width` (the header's column
    count) is set once the header is read, and sharpens the unclosed-quote rule."""

    def __init__(self, stream: BinaryIO, file: str):
        self.file = file
        self.width: int | None = None
        self.delimiter = ","
        self._lines = self._physical_lines(stream)
        self._pushed: deque[tuple[int, str | None]] = deque()
        self._row = 0

    # -- physical lines, decoded one by one

    def _physical_lines(self, stream: BinaryIO) -> Iterator[tuple[int, str | None]]:
        number = 0
        while True:
            raw = stream.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (more := stream.readline(1 << 20)) and not more.endswith(b"\n"):
                    pass  # the rest of the over-long line, skipped without keeping it
                yield number, None
                continue
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                column = len(raw[:exc.start].decode("utf-8", "replace")) + 1
                raise InputError([Problem("file_not_utf8", f"the CSV file is not UTF-8 text (byte "
                                          f"{raw[exc.start]:#04x} at line {number}, column {column}); save it as "
                                          "CSV UTF-8", Location(self.file, number, column))]) from None
            if number == 1:
                counts = {d: text.count(d) for d in (",", ";", "\t")}
                self.delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
            if "\r" in text.rstrip("\r\n"):  # lone carriage returns end lines too (old Mac files)
                parts = _LONE_CR.split(text)
                for part in parts[:-1]:
                    yield number, part
                    number += 1
                text = parts[-1]
                if not text:
                    continue
            yield number, text

    def _next_line(self) -> tuple[int, str | None] | None:
        if self._pushed:
            return self._pushed.popleft()
        return next(self._lines, None)

    # -- records

    def __iter__(self) -> Iterator[CsvRecord]:
        return self

    def __next__(self) -> CsvRecord:
        first = self._next_line()
        if first is None:
            raise StopIteration
        self._row += 1
        start, text = first
        if self._row > MAX_ROWS:
            raise InputError([Problem("sheet_too_many_rows", f"the file has more than {MAX_ROWS:,} rows; split the "
                                      "communes over several files", Location(self.file, self._row))])
        if text is None:
            return self._bad(start, "csv_line_too_long", f"line {start} is longer than {MAX_LINE_BYTES:,} bytes")
        pending = [(start, text)]
        quotes = text.count('"')
        size = len(text)
        while quotes % 2:
            if len(pending) >= MAX_RECORD_LINES or size > MAX_LINE_BYTES:
                return self._unclosed(pending)
            nxt = self._next_line()
            if nxt is None or nxt[1] is None:
                if nxt is not None:
                    self._pushed.appendleft(nxt)
                return self._unclosed(pending)
            line_text: str = nxt[1]
            pending.append((nxt[0], line_text))
            quotes += line_text.count('"')
            size += len(line_text)
        try:
            records = list(csv.reader([t for _, t in pending], delimiter=self.delimiter))
        except csv.Error as exc:
            if len(pending) > 1:
                return self._unclosed(pending)
            message = str(exc)
            if "field larger than field limit" in message:
                message = f"a cell is longer than {MAX_CELL_CHARS:,} characters, the most a spreadsheet cell holds"
                return self._bad(start, "cell_too_long", message)
            return self._bad(start, "csv_syntax", message)
        values = records[0] if len(records) == 1 else [] if not records else None
        if values is None or (len(pending) > 1 and self.width is not None and len(values) > self.width):
            return self._unclosed(pending)
        for index, value in enumerate(values, start=1):
            if len(value) > MAX_CELL_CHARS:
                return CsvRecord(self._row, start, problems=[Problem(
                    "cell_too_long", f"the cell holds {len(value):,} characters; at most {MAX_CELL_CHARS:,} are read "
                    "(the most a spreadsheet cell holds)", Location(self.file, self._row, index))])
        return CsvRecord(self._row, start, values)

    def _bad(self, line: int, code: str, message: str) -> CsvRecord:
        where = f" (line {line})" if line != self._row else ""
        return CsvRecord(self._row, line, problems=[Problem(code, message + where, Location(self.file, self._row))])

    def _unclosed(self, pending: list[tuple[int, str]]) -> CsvRecord:
        """The first line's quote never closes: that row is bad; the lines after it are read again."""
        for item in reversed(pending[1:]):
            self._pushed.appendleft(item)
        start, text = pending[0]
        column = text.find('"')
        cell = text[:column].count(self.delimiter) + 1 if column >= 0 else None
        return CsvRecord(self._row, start, problems=[Problem(
            "csv_unclosed_quote", f"a quote (\") opens in this row{f' (line {start})' if start != self._row else ''} "
            "and is never closed, so the row cannot be split into cells: close the quote, or remove it",
            Location(self.file, self._row, cell))])


__all__ = ["MAX_CSV_BYTES", "CsvRecord", "CsvRecords"]
