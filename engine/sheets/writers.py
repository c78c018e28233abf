"""The batch output writers: xlsx (a summary sheet and a results sheet), csv and jsonl.

Each writes to the temporary path batch.py gives it (moved into place only when the run ends).
"""

from __future__ import annotations

import contextlib
import csv
import json
from pathlib import Path
from typing import Any

from ntmcert.inputs.catalogue import Catalogue
from ntmcert.sheets.results import (
    COMMUNE_FIELDS,
    RESULT_COLUMNS,
    RESULTS_SHEET,
    SUMMARY_SHEET,
    Outcome,
    Summary,
    _cell_text,
)
from ntmcert.sheets.safecell import csv_row, text_cell


class _XlsxWriter:
    def __init__(self, path: Path, lang: str):
        import openpyxl
        from openpyxl.styles import Alignment, Font

        self.path = path
        self.wb = openpyxl.Workbook(write_only=True)
        self.summary = self.wb.create_sheet(SUMMARY_SHEET)  # first, filled at the end
        self.results = self.wb.create_sheet(RESULTS_SHEET)
        self.results.freeze_panes = "C3"
        widths = {"row": 7, "file": 18, "commune.name": 24, "verdict_text": 22, "failing": 30, "missing": 30,
                  "undecidable": 24, "to_pass": 60, "missing_facts": 40, "pack.sha256": 20, "factset_sha256": 20,
                  "error": 70}
        from openpyxl.utils import get_column_letter

        for i, (cid, _, _) in enumerate(RESULT_COLUMNS, start=1):
            self.results.column_dimensions[get_column_letter(i)].width = widths.get(cid, 14)
        self.summary.column_dimensions["A"].width = 40
        self.summary.column_dimensions["B"].width = 24
        self.summary.column_dimensions["C"].width = 70
        id_font = Font(name="Consolas", size=9, color="595959")
        self.results.append([text_cell(self.results, cid, font=id_font) for cid, _, _ in RESULT_COLUMNS])
        bold = Font(bold=True)
        self.results.append([text_cell(self.results, vi if lang == "vi" else en, font=bold)
                             for _, vi, en in RESULT_COLUMNS])
        self._wrap = Alignment(wrap_text=True, vertical="top")
        self._wrapped = {i for i, (cid, _, _) in enumerate(RESULT_COLUMNS) if cid in ("to_pass", "error")}

    def write(self, outcome: Outcome, row: list[Any]) -> None:
        self.results.append([text_cell(self.results, v, alignment=self._wrap if i in self._wrapped and
                                       isinstance(v, str) and "\n" in v else None) for i, v in enumerate(row)])

    def finish(self, summary: Summary, catalogue: Catalogue) -> None:
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
        self.out.writerow(csv_row([cid for cid, _, _ in RESULT_COLUMNS]))

    def write(self, outcome: Outcome, row: list[Any]) -> None:
        self.out.writerow(csv_row(row))

    def finish(self, summary: Summary, catalogue: Catalogue) -> None:
        self.fh.close()

    def close(self) -> None:
        self.fh.close()


class _JsonlWriter:
    def __init__(self, path: Path, lang: str):
        self.fh = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 - closed by finish/close

    def write(self, outcome: Outcome, row: list[Any]) -> None:
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
        self.fh.write(json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n")

    def finish(self, summary: Summary, catalogue: Catalogue) -> None:
        self.fh.close()

    def close(self) -> None:
        self.fh.close()


WRITERS = {".xlsx": _XlsxWriter, ".csv": _CsvWriter, ".jsonl": _JsonlWriter}


__all__ = ["WRITERS"]
