"""The batch output writers: xlsx (a summary sheet and a results sheet), csv and jsonl.

Each writes to the temporary path batch.py gives it (moved into place only when the run ends).
A writer's `prepare` makes a row's payload from the outcome wherever the commune was evaluated
(a worker process of `ntmcert batch --jobs N`): as much of the work as can be done apart from the
file; `write` then only appends it, in input order.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path
from typing import Any

from ntmcert.core.text import Text
from ntmcert.inputs.catalogue import Catalogue
from ntmcert.packs.library import Pack
from ntmcert.sheets.results import (
    COLUMN_IDS,
    COMMUNE_FIELDS,
    RESULT_COLUMNS,
    RESULTS_SHEET,
    SUMMARY_SHEET,
    VERDICT_FILL,
    VERDICT_FONT,
    Outcome,
    ResultRow,
    Summary,
    _cell_text,
    flat_row,
    summary_marks,
)
from ntmcert.sheets.safecell import csv_row, text_cell


class _XlsxWriter:
    """The officer's workbook: the summary first (labels beside their numbers), then one row per
    commune with the verdict and errors first, coloured, filterable, printable landscape to width."""

    def __init__(self, path: Path, lang: str):
        import openpyxl
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.properties import PageSetupProperties

        self.path = path
        self.wb = openpyxl.Workbook(write_only=True)
        self.summary = self.wb.create_sheet(SUMMARY_SHEET)  # first, filled at the end
        self.results = self.wb.create_sheet(RESULTS_SHEET)
        self.results.freeze_panes = "C3"  # the two header rows, the row number and the commune stay in view
        self.results.print_title_rows = "1:2"
        for ws in (self.results, self.summary):
            ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
            ws.page_setup.orientation = "landscape"
            ws.page_setup.paperSize = "9"  # A4
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
        widths = {"row": 6, "commune.name": 24, "verdict_text": 20, "error": 50, "failing": 24,
                  "failing_titles": 45, "missing": 24, "missing_titles": 45, "undecidable": 22, "to_pass": 55,
                  "missing_facts": 35, "file": 16, "pack.sha256": 18, "factset_sha256": 18}
        for i, cid in enumerate(COLUMN_IDS, start=1):
            self.results.column_dimensions[get_column_letter(i)].width = widths.get(cid, 13)
        self.summary.column_dimensions["A"].width = 48
        self.summary.column_dimensions["B"].width = 24
        self.summary.column_dimensions["C"].width = 36
        id_font = Font(name="Consolas", size=9, color="595959")
        self.results.append([text_cell(self.results, cid, font=id_font) for cid in COLUMN_IDS])
        head_font, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
        heads = []
        for _, vi, en in RESULT_COLUMNS:
            cell = text_cell(self.results, Text(vi, en).get(lang), font=head_font, alignment=wrap)
            cell.fill = PatternFill("solid", fgColor="D9E1F2")
            heads.append(cell)
        self.results.append(heads)
        self._count = 2  # rows written to the results sheet
        self._wrap = wrap
        self._wrapped = {i for i, cid in enumerate(COLUMN_IDS)
                         if cid in ("to_pass", "error", "failing_titles", "missing_titles")}
        self._verdict_col = COLUMN_IDS.index("verdict_text")
        self._fills = {k: (PatternFill("solid", fgColor=v), Font(bold=True, color=VERDICT_FONT[k]))
                       for k, v in VERDICT_FILL.items()}

    @staticmethod
    def prepare(outcome: Outcome, pack: Pack, engine: str, lang: str) -> list[Any]:
        return flat_row(outcome, pack, engine, lang)  # cells of a write-only sheet belong to its sheet

    def write(self, result: ResultRow) -> None:
        cells = [text_cell(self.results, v, alignment=self._wrap if i in self._wrapped and
                           isinstance(v, str) and "\n" in v else None) for i, v in enumerate(result.payload)]
        cells[self._verdict_col].fill, cells[self._verdict_col].font = self._fills[result.kind]
        self.results.append(cells)
        self._count += 1

    def finish(self, summary: Summary, catalogue: Catalogue) -> None:
        from openpyxl.utils import get_column_letter

        self.results.auto_filter.ref = f"A2:{get_column_letter(len(COLUMN_IDS))}{max(self._count, 3)}"
        for line in summary.rows_out(catalogue):
            self.summary.append([text_cell(self.summary, v) for v in line])
        self.wb.save(self.path)
        self._saved = True

    def close(self) -> None:
        """After a failure: end the sheets' row streams and remove their temporary files."""
        if getattr(self, "_saved", False):
            return
        self._saved = True
        for ws in (self.summary, self.results):
            with contextlib.suppress(Exception):
                if ws._rows is not None:
                    ws._rows.close()
            with contextlib.suppress(Exception):
                if ws._writer is not None:
                    ws._writer.close()
                    ws._writer.cleanup()


class _CsvWriter:
    def __init__(self, path: Path, lang: str):
        self.fh = open(path, "w", newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed by finish/close
        self.out = csv.writer(self.fh)
        self.out.writerow(csv_row(list(COLUMN_IDS)))

    @staticmethod
    def prepare(outcome: Outcome, pack: Pack, engine: str, lang: str) -> str:
        line = io.StringIO(newline="")
        csv.writer(line).writerow(csv_row(flat_row(outcome, pack, engine, lang)))
        return line.getvalue()

    def write(self, result: ResultRow) -> None:
        self.fh.write(result.payload)

    def finish(self, summary: Summary, catalogue: Catalogue) -> None:
        self.fh.close()

    def close(self) -> None:
        self.fh.close()


class _JsonlWriter:
    def __init__(self, path: Path, lang: str):
        self.fh = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 - closed by finish/close

    @staticmethod
    def prepare(outcome: Outcome, pack: Pack, engine: str, lang: str) -> str:
        where = {"file": outcome.file, "row": outcome.row}
        if outcome.verdict is not None:
            doc = outcome.verdict.to_dict()
            doc["input"] = where
        else:
            doc = {"schema": "ntmcert/batch-error/v1", "verdict": "error", "input": where,
                   "commune": {k: _cell_text(outcome.commune[k]) for k in (*COMMUNE_FIELDS, "region")
                               if isinstance(outcome.commune.get(k), (str, int))},
                   "as_of": _cell_text(outcome.as_of),
                   "errors": [p.to_dict() for p in outcome.problems]}
        return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"

    def write(self, result: ResultRow) -> None:
        self.fh.write(result.payload)

    def finish(self, summary: Summary, catalogue: Catalogue) -> None:
        self.fh.close()

    def close(self) -> None:
        self.fh.close()


WRITERS: dict[str, Any] = {".xlsx": _XlsxWriter, ".csv": _CsvWriter, ".jsonl": _JsonlWriter}


def result_row(outcome: Outcome, suffix: str, pack: Pack, engine: str, lang: str) -> ResultRow:
    """The outcome as the writer of `suffix` and the summary take it."""
    missing, failing = summary_marks(outcome)
    return ResultRow(outcome.kind, WRITERS[suffix].prepare(outcome, pack, engine, lang), missing, failing)


__all__ = ["WRITERS", "result_row"]
