"""A workbook checked before openpyxl reads it: a zip of bounded size whose XML holds no DTD.

openpyxl trusts what it reads: a 300 KB workbook whose shared string expands to 300 MB is loaded
whole, and an XML part with entity declarations reaches the XML parser. Every XML part is
therefore streamed once through expat first, counting the bytes actually decompressed (never the
sizes the zip declares), and refused with a coded error when it declares a DTD or entities, or
goes over a cap: decompressed bytes, sheets, rows, columns, characters in one cell. The same pass
notes the formula cells saved without a computed value, which openpyxl would read as blank.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.parsers import expat

from ntmcert.core.errors import InputError, Location, Problem
from ntmcert.sheets.cells import MAX_CELL_CHARS, MAX_ROWS

MAX_WORKBOOK_BYTES = 50 * 1024 * 1024  # the .xlsx file itself (compressed)
MAX_XML_BYTES = 256 * 1024 * 1024  # all XML parts together, decompressed
MAX_PART_BYTES = 16 * 1024 * 1024  # one part other than a worksheet (shared strings, styles: loaded whole)
MAX_PARTS = 1000  # entries of the zip
MAX_SHEETS = 50
MAX_COLUMNS = 1_000  # the template has a few dozen
MAX_UNCOMPUTED = 10_000  # formula cells without a value remembered (each is an error)

_XML = (".xml", ".rels", ".vml")
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
_MAX_LETTERS = "ALL"  # column 1,000 (MAX_COLUMNS)


@dataclass
class WorkbookScan:
    """What the check found: per worksheet part, the (row, column) of formulas without a value."""

    uncomputed: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    uncomputed_total: int = 0


class _Refused(Exception):
    def __init__(self, code: str, message: str, cell: tuple[int, int | None] | None = None):
        super().__init__(message)
        self.code, self.cell = code, cell


class _PartScanner:
    """One XML part through expat: no DTD, bounded text, and (worksheets) rows, columns, formulas."""

    def __init__(self, name: str, scan: WorkbookScan, worksheet: bool):
        self.name, self.scan, self.worksheet = name, scan, worksheet
        self.rows = 0
        self.text = 0  # characters of the current element's text
        self.ref: str | None = None  # the current cell ("B5"), None outside a cell
        self.cell_type: str | None = None
        self.has_formula = self.has_value = False
        self.value_text = 0
        self.in_value = False
        p = expat.ParserCreate(namespace_separator="}")
        p.StartDoctypeDeclHandler = self._doctype
        p.EntityDeclHandler = self._entity
        p.ExternalEntityRefHandler = self._external
        p.StartElementHandler = self._start if worksheet else self._start_plain
        p.EndElementHandler = self._end if worksheet else self._start_plain
        p.CharacterDataHandler = self._chars
        p.buffer_text = True  # text comes in larger pieces: fewer calls into Python
        p.buffer_size = 1 << 16
        self.parser = p

    def _doctype(self, *args: object) -> None:
        raise _Refused("xlsx_dtd", f"{self.name} declares a DTD (<!DOCTYPE>): workbooks saved by Excel or "
                       "LibreOffice never do; this file may be crafted to expand entities or read other files")

    def _entity(self, *args: object) -> None:
        raise _Refused("xlsx_dtd", f"{self.name} declares an XML entity: refused")

    def _external(self, *args: object) -> int:
        raise _Refused("xlsx_dtd", f"{self.name} refers to an external entity: refused")

    def _start_plain(self, *args: object) -> None:
        self.text = 0

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        # the hot path (every cell of every sheet): plain string tests, no regular expression
        self.text = 0
        local = name[name.rfind("}") + 1:]
        if local == "c":
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                if len(letters) > len(_MAX_LETTERS) or (len(letters) == len(_MAX_LETTERS) and letters > _MAX_LETTERS):
                    raise _Refused("sheet_too_many_columns", f"{self.name}: cell {ref} is beyond column "
                                   f"{MAX_COLUMNS:,}; a commune sheet has a few dozen columns", self._cell(ref))
            self.ref, self.cell_type = ref or "", attrs.get("t")
            self.has_formula = self.has_value = False
            self.value_text = 0
        elif local == "row":
            self.rows += 1
            if self.rows > MAX_ROWS:
                raise _Refused("sheet_too_many_rows", f"{self.name} has more than {MAX_ROWS:,} rows; split the "
                               "communes over several files", (self.rows, None))
        elif local == "f":
            self.has_formula = True
        elif local == "v":
            self.has_value, self.in_value = True, True

    def _chars(self, data: str) -> None:
        self.text += len(data)
        if self.text > MAX_CELL_CHARS:
            cell = self._cell(self.ref) if self.ref is not None else None
            where = f" (cell {self.ref})" if self.ref else ""
            raise _Refused("cell_too_long", f"{self.name}{where}: a text longer than {MAX_CELL_CHARS:,} characters, "
                           "the most a spreadsheet cell holds", cell)
        if self.in_value:
            self.value_text += len(data.strip())

    def _end(self, name: str) -> None:
        self.text = 0
        local = name[name.rfind("}") + 1:]
        if local == "v":
            self.in_value = False
        elif local == "c":
            empty_value = not self.has_value or (self.value_text == 0 and self.cell_type != "str")
            if self.has_formula and empty_value and self.ref is not None:
                self.scan.uncomputed.setdefault(self.name, set()).add(self._cell(self.ref))
                self.scan.uncomputed_total += 1
                if self.scan.uncomputed_total > MAX_UNCOMPUTED:
                    raise _Refused("cell_formula_not_computed", f"more than {MAX_UNCOMPUTED:,} formula cells have no "
                                   "computed value: open and save the file in Excel or LibreOffice so the values "
                                   "are computed")
            self.ref = None

    def _cell(self, ref: str) -> tuple[int, int]:
        """(row, column) of a reference such as "B5" (a cell without one: this row, column 0)."""
        m = _REF.match(ref)
        if not m:
            return self.rows, 0
        column = 0
        for ch in m.group(1):
            column = column * 26 + ord(ch) - 64
        return int(m.group(2)), column


def check_workbook(fh: BinaryIO, file: str) -> WorkbookScan:
    """Check the workbook open in `fh` (a regular file; left at offset 0); raise InputError."""
    scan = WorkbookScan()
    where = Location(file)
    try:
        fh.seek(0, 2)
        size = fh.tell()
        if size > MAX_WORKBOOK_BYTES:
            raise _Refused("file_too_large", f"the workbook is {size:,} bytes; at most {MAX_WORKBOOK_BYTES:,} are read")
        fh.seek(0)
        try:
            archive = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, EOFError, ValueError) as exc:
            raise _Refused("file_unreadable", f"this is not an .xlsx workbook (not a zip file: {exc}); save it "
                           "as Excel Workbook (.xlsx)") from None
        with archive:
            infos = archive.infolist()
            if len(infos) > MAX_PARTS:
                raise _Refused("xlsx_too_many_parts", f"the workbook holds {len(infos):,} parts; at most "
                               f"{MAX_PARTS:,} are read")
            sheets = [i for i in infos if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")]
            if len(sheets) > MAX_SHEETS:
                raise _Refused("sheet_too_many_sheets", f"the workbook has {len(sheets)} sheets; at most {MAX_SHEETS} "
                               "are read")
            total = 0
            for info in infos:
                if not info.filename.lower().endswith(_XML) or info.is_dir():
                    continue
                worksheet = info in sheets
                total = _scan_part(archive, info, scan, worksheet, total)
    except _Refused as exc:
        line, column = exc.cell or (None, None)
        raise InputError([Problem(exc.code, str(exc), Location(file, line, column))]) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, RuntimeError, NotImplementedError,
            zlib.error, struct.error, ValueError, KeyError) as exc:
        # a damaged zip: a bad CRC, a truncated member, an encrypted or unknown compression
        raise InputError([Problem("file_unreadable", f"cannot read the workbook: {type(exc).__name__}: {exc}",
                                  where)]) from None
    finally:
        fh.seek(0)
    return scan


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, scan: WorkbookScan, worksheet: bool,
               total: int) -> int:
    limit = MAX_XML_BYTES if worksheet else MAX_PART_BYTES
    scanner = _PartScanner(info.filename, scan, worksheet)
    read = 0
    with archive.open(info) as member:
        while chunk := member.read(1 << 20):
            read += len(chunk)
            total += len(chunk)
            if read > limit or total > MAX_XML_BYTES:
                raise _Refused("xlsx_too_large", f"{info.filename} expands to more than "
                               f"{min(limit, MAX_XML_BYTES) // 2**20:,} MB: refused (a workbook of communes is "
                               "a few MB)")
            try:
                scanner.parser.Parse(chunk, False)
            except expat.ExpatError as exc:
                raise _Refused("xlsx_bad_xml", f"{info.filename}: damaged XML ({exc})") from None
        try:
            scanner.parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise _Refused("xlsx_bad_xml", f"{info.filename}: damaged XML ({exc})") from None
    return total


__all__ = ["MAX_CELL_CHARS", "MAX_COLUMNS", "MAX_ROWS", "MAX_SHEETS", "WorkbookScan", "check_workbook"]
