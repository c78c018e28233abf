"""Hostile sheets (#10): formula injection in every batch output, the CSV record rules (an
unclosed quote, over-long cells, old line endings), workbook caps, and hypothesis fuzzers feeding
generated CSV files and workbooks with hostile cells to the sheet reader."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ntmcert import default_library
from ntmcert.core.errors import InputError
from ntmcert.sheets.batch import run_batch
from ntmcert.sheets.reader import SheetReader
from ntmcert.sheets.safecell import FORMULA_TRIGGERS, cell_value, csv_row
from openpyxl.utils.exceptions import IllegalCharacterError

from ..conftest import ROOT
from .helpers import GOOD, PACK, write_csv

CORPUS = ROOT / "tests" / "bad_inputs" / "batch"
TRIGGERS = ["=HYPERLINK(\"http://example.invalid\",\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)",
            "\tTAB", "\rCR"]


def _csv_cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def _xlsx_cells(path: Path) -> list[openpyxl.cell.cell.Cell]:
    wb = openpyxl.load_workbook(path)  # formulas read as formulas, not as their values
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row if cell.value is not None]


def _no_formula_parts(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name


def test_no_cell_of_any_batch_output_begins_with_a_formula_trigger(tmp_path):
    """Commune names, codes, file names and error texts that begin with = + - @ tab or CR are
    written with a quote in front to CSV, and as text cells (never formulas) to XLSX, summary
    included (its input-file cell names a file called '=evil.csv')."""
    communes = []
    for i, text in enumerate(TRIGGERS):
        communes.append({**GOOD, "commune.name": text, "commune.code": f"@{i}", "commune.district": text})
    communes.append({**GOOD, "commune.name": "=bad row", "commune.region": "=nowhere"})  # an error row
    source = write_csv(tmp_path / "=evil.csv", communes)
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"results{suffix}"
        result = run_batch(source, PACK, out, progress=False, lang="en")
        assert result.summary.counts["error"] == 1
        if suffix == ".csv":
            cells = _csv_cells(out)
            assert not [c for c in cells if c.startswith(FORMULA_TRIGGERS)]
            assert "'=HYPERLINK(\"http://example.invalid\",\"x\")" in cells and "'=evil.csv" in cells
            assert any(c.startswith("'=evil.csv:") for c in cells)  # the error text names the file first
        else:
            cells = _xlsx_cells(out)
            assert not [c.coordinate for c in cells if c.data_type == "f"]
            assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_TRIGGERS)]
            assert "'=evil.csv" in [c.value for c in cells]
            _no_formula_parts(out)


def test_the_template_writes_no_formula(tmp_path):
    from ntmcert.sheets.template import write_template

    library = default_library()
    out = tmp_path / "t.xlsx"
    write_template(library.get(PACK), out, library=library, catalogue=library.catalogue)
    assert not [c.coordinate for c in _xlsx_cells(out) if c.data_type == "f"]


@given(st.text(max_size=60))
def test_every_written_text_is_neutralised(text):
    value = cell_value(text)
    assert not value.startswith(FORMULA_TRIGGERS)
    assert value == text or value == "'" + text or "\ufffd" in value
    assert csv_row([text, None, 3])[1:] == ["", 3]


# ----------------------------------------------------------------------------- CSV records


def test_an_unclosed_quote_is_reported_where_it_opens_and_the_rows_after_it_are_read(tmp_path):
    """The issue's case: 6 communes, row 4 opens a quote; the summary counts 6 (1 error) and the
    error names row 4."""
    result = run_batch(CORPUS / "unclosed-quote.csv", PACK, tmp_path / "r.jsonl", progress=False)
    assert result.summary.rows == 6 and result.summary.counts["error"] == 1
    errors = [line for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines() if '"error"' in line]
    assert len(errors) == 1 and '"code":"csv_unclosed_quote"' in errors[0] and '"row":4' in errors[0]


def test_a_quoted_cell_may_hold_line_breaks_and_old_mac_files_are_read(tmp_path):
    rows = [{**GOOD, "commune.name": "Xã A\nhai dòng"}, {**GOOD, "commune.name": "Xã B"}]
    source = write_csv(tmp_path / "multi.csv", rows)
    result = run_batch(source, PACK, tmp_path / "r.csv", progress=False)
    assert result.summary.rows == 2 and result.summary.counts["error"] == 1  # a newline in a name is refused
    lines = source.read_text(encoding="utf-8").replace("Xã A\nhai dòng", "Xã A").replace("\n", "\r")
    mac = tmp_path / "mac.csv"
    mac.write_text(lines, encoding="utf-8", newline="")
    result = run_batch(mac, PACK, tmp_path / "m.csv", progress=False)
    assert result.summary.rows == 2 and result.summary.counts["error"] == 0


def test_an_over_long_line_is_a_bad_row_not_a_stop(tmp_path):
    source = write_csv(tmp_path / "long.csv", [GOOD, {**GOOD, "commune.name": "x" * (5 << 20)}, GOOD])
    result = run_batch(source, PACK, tmp_path / "r.csv", progress=False)
    assert result.summary.rows == 3 and result.summary.counts["error"] == 1


# ----------------------------------------------------------------------------- fuzzing the readers

_HOSTILE = st.sampled_from(['"', '""', ",", ";", "\t", "\n", "\r", "\r\n", "=", "+", "-", "@", "\x1b[2J", "\x07",
                            "\x9b", "\u202e", "\ufeff", "A\u0300", "Xã", "90", ">90", "2024-08-31", "có", "dbscl",
                            "x" * 40, "'", "\\", "%", "1,5", "1e999", "nan"])
_CELL = st.lists(_HOSTILE, max_size=5).map("".join)
_IDS = list(GOOD)


def _read_all(path: Path) -> int:
    """Every row read and loaded; only ntmcert's own errors may come out. Returns the rows seen."""
    catalogue = default_library().catalogue
    seen = 0
    try:
        with SheetReader(path, catalogue) as reader:
            for row in reader:
                seen += 1
                try:
                    row.load(catalogue)
                except InputError as exc:
                    assert all(p.code and p.location.file for p in exc.problems)
            list(reader.extra_errors())
    except InputError as exc:
        assert all(p.code for p in exc.problems)
    return seen


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_CELL, min_size=1, max_size=len(_IDS) + 2), max_size=6),
       damage=st.binary(max_size=6), at=st.integers(0, 2000))
def test_fuzz_csv_reader(tmp_path, rows, damage, at):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_IDS)
    writer.writerows(rows)
    raw = out.getvalue().encode("utf-8")
    raw = raw[:at] + damage + raw[at:]
    path = tmp_path / "fuzz.csv"
    path.write_bytes(raw)
    assert _read_all(path) <= raw.count(b"\n") + raw.count(b"\r") + 1


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])  # a workbook each
@given(rows=st.lists(st.lists(st.one_of(_CELL, st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                                        st.booleans(), st.none()), min_size=1, max_size=len(_IDS)), max_size=4),
       flip=st.one_of(st.none(), st.tuples(st.integers(0, 10**6), st.integers(1, 255))))
def test_fuzz_workbook_reader(tmp_path, rows, flip):
    """Workbooks with hostile cells (formulas included), some with a damaged byte."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Xã - Communes"
    ws.append(_IDS)
    buffer = io.BytesIO()
    try:
        for row in rows:
            ws.append(row)
        wb.save(buffer)
    except IllegalCharacterError:  # openpyxl itself refuses control characters XML cannot hold
        return
    raw = bytearray(buffer.getvalue())
    if flip is not None:
        index = flip[0] % len(raw)
        raw[index] ^= flip[1]
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(bytes(raw))
    _read_all(path)


@pytest.mark.parametrize("name", ["zip-bomb-cell.xlsx", "entity-expansion.xlsx", "external-entity.xlsx"])
def test_hostile_workbooks_are_refused_before_openpyxl_reads_them(name, monkeypatch):
    import openpyxl as module

    def never(*args, **kwargs):
        raise AssertionError("openpyxl was asked to read a workbook the check should have refused")

    monkeypatch.setattr(module, "load_workbook", never)
    with pytest.raises(InputError) as exc:
        SheetReader(CORPUS / name, default_library().catalogue)
    assert exc.value.problems[0].code in ("cell_too_long", "xlsx_dtd")


def test_a_csv_of_too_many_rows_is_refused_before_any_is_evaluated(tmp_path):
    source = tmp_path / "rows.csv"
    source.write_text("commune.name,commune.province,commune.region,as_of\n" + "x\n" * 200_001, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        SheetReader(source, default_library().catalogue)
    assert exc.value.problems[0].code == "sheet_too_many_rows"
