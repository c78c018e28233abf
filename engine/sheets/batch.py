"""Evaluating many communes at once: a template workbook, a CSV or a folder of fact sets in, one
result row per commune out (xlsx, csv or jsonl), streamed in constant memory.

- Input: an ``.xlsx`` made from ``ntmcert template`` (see engine/sheet_cells.py for the column and
  header-row conventions), a ``.csv`` with the same column ids (commune-level facts only), or a
  folder whose ``*.yaml``/``*.yml``/``*.json`` files are each one fact set (not recursive, in
  name order).
- Each commune is evaluated against the one named pack (whether the pack's province and period fit
  the commune does not matter: the officer chose it; the verdict's notes say when the date is out
  of the pack's period). **A bad row never stops the batch**: every problem of the row, located at
  its cell (row number and column id), goes into the row's ``error`` column and the row counts as
  ``error``. Hamlet rows that name no commune are error rows of their own.
- Output, chosen by the suffix of ``--out``: ``.xlsx`` (a write-only workbook: a summary sheet and
  a results sheet with a row of column ids and a row of headers in the chosen language),
  ``.csv`` (UTF-8 with a byte-order mark so spreadsheets read the Vietnamese text; one line of
  column ids) or ``.jsonl`` (one verdict JSON per line, ``ntmcert/verdict/v1`` plus an ``input``
  key naming the file and row; a bad row is an ``ntmcert/batch-error/v1`` object). The summary
  (verdict counts, facts most often missing, indicators most often failing) is also printed on
  stderr. The output is written to a temporary file beside it and moved into place at the end:
  an interrupted or failed run leaves no half-written output (and an earlier output untouched).
- Only counters are kept across rows (verdicts, missing facts by fact id, failing indicators), so
  memory stays flat however many rows there are; hamlet rows wait in a temporary SQLite file.

Exit codes (an officer's pipeline must not read "certified" off a batch that hid bad rows):

- ``2`` — usage or an unreadable input: unknown pack, unknown output suffix, an input that cannot
  be read, a header row naming unknown columns, or no commune rows at all. Nothing is written.
- ``2`` — **also when any row is an error row**, decided after the whole batch is written: the
  output holds every other commune's verdict, and the error column says what to fix. Bad data
  outranks every verdict: a batch with an error row is not a clean answer.
- otherwise as ``ntmcert evaluate``: ``1`` when some commune is not certified, ``3`` when some is
  incomplete and none is not certified, ``0`` when every commune is certified.
"""

from __future__ import annotations

import contextlib
import csv
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from ntmcert.inputs.catalogue import Catalogue
from ntmcert.evaluation.engines import get_engine
from ntmcert.core.errors import InputError, Location, NtmcertError, Problem
from ntmcert.evaluation.evaluate import evaluate_pack
from ntmcert.inputs.factset import load_factset
from ntmcert.packs.library import Pack, PackLibrary
from ntmcert.render.common import VERDICT, display
from ntmcert.sheets.reader import SheetReader, atomic_path
from ntmcert.sheets.template import pack_facts
from ntmcert.evaluation.verdict import PrerequisiteResult, Verdict

EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_BAD_INPUT, EXIT_INCOMPLETE = 0, 1, 2, 3
OUTPUT_SUFFIXES = (".xlsx", ".csv", ".jsonl")
FACTSET_SUFFIXES = (".yaml", ".yml", ".json")
VERDICT_KINDS = ("certified", "not_certified", "incomplete", "error")
ERROR_LABEL = ("LỖI SỐ LIỆU", "INPUT ERROR")
MAX_CELL = 32000  # a spreadsheet cell holds at most 32,767 characters

RESULT_COLUMNS = [  # (id, Vietnamese header, English header)
    ("row", "Dòng", "Row"),
    ("file", "Tệp", "File"),
    ("commune.name", "Tên xã", "Commune"),
    ("commune.district", "Huyện", "District"),
    ("commune.code", "Mã xã", "Code"),
    ("commune.province", "Tỉnh", "Province"),
    ("as_of", "Ngày số liệu", "As of"),
    ("verdict", "Kết luận (mã)", "Verdict (code)"),
    ("verdict_text", "Kết luận", "Verdict"),
    ("failing", "Chưa đạt", "Failing"),
    ("missing", "Thiếu số liệu", "Missing data"),
    ("undecidable", "Chưa kết luận được", "Undecidable"),
    ("to_pass", "Để đạt", "To pass"),
    ("missing_facts", "Số liệu cần thu thập", "Facts to collect"),
    ("pack.id", "Bộ tiêu chí", "Pack"),
    ("pack.version", "Phiên bản", "Version"),
    ("pack.sha256", "Mã băm bộ tiêu chí", "Pack sha256"),
    ("factset_sha256", "Mã băm bộ số liệu", "Fact set sha256"),
    ("engine", "Bộ máy luật", "Engine"),
    ("error", "Lỗi số liệu", "Input errors"),
]
RESULTS_SHEET = "Kết quả - Results"
SUMMARY_SHEET = "Tổng hợp - Summary"


# ----------------------------------------------------------------------------- one commune

@dataclass
class Outcome:
    """One commune's result: a verdict, or the problems that kept it from being evaluated."""

    row: int | None
    file: str
    commune: dict
    as_of: str | None
    verdict: Verdict | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.verdict.verdict if self.verdict is not None else "error"


def open_indicators(verdict: Verdict) -> dict[str, list]:
    """The results needing attention by status (fail, missing, undecidable): failing or
    undecided prerequisites first, then the top-level indicators of applicable criteria."""
    out: dict[str, list] = {"fail": [], "missing": [], "undecidable": []}
    for p in verdict.prerequisites:
        if p.status == "fail":
            out["fail"].append(p)
        elif p.status == "incomplete":
            out["undecidable"].append(p)
    for crit in verdict.criteria:
        if crit.status == "not_applicable":
            continue
        for ind in crit.indicators:
            if ind.status in out:
                out[ind.status].append(ind)
    return out


def _to_pass(item, lang: str) -> str:
    if isinstance(item, PrerequisiteResult):
        return item.explanation.get(lang)
    text = display(item.to_pass, lang)
    alts = [display(a.to_pass, lang) for a in item.alternatives if a.status != "pass" and a.to_pass]
    if alts:
        text += ": " + " | ".join(alts)
    return text


def _commune_cells(commune: dict) -> list[Any]:
    return [commune.get("name"), commune.get("district"), commune.get("code"), commune.get("province")]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        if len(value) > MAX_CELL:
            value = value[:MAX_CELL - 1] + "…"
    return value


def _cell_text(value: Any) -> Any:
    """What a commune field read from a row shows as (a date as ISO text)."""
    if value is None or isinstance(value, (str, int)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def flat_row(outcome: Outcome, pack: Pack, engine: str, lang: str) -> list[Any]:
    """The result row of RESULT_COLUMNS."""
    vi = lang == "vi"
    head = [outcome.row, outcome.file, *_commune_cells(outcome.commune), _cell_text(outcome.as_of)]
    tail = [pack.id, pack.version, pack.sha256]
    if outcome.verdict is None:
        errors = "\n".join(str(p) for p in outcome.problems)
        return head + ["error", ERROR_LABEL[0 if vi else 1], None, None, None, None, None, *tail, None, engine, errors]
    v = outcome.verdict
    opened = open_indicators(v)
    to_pass = "\n".join(f"{item.id}: {_to_pass(item, lang)}"
                        for status in ("fail", "missing", "undecidable") for item in opened[status])
    ids = [", ".join(item.id for item in opened[s]) or None for s in ("fail", "missing", "undecidable")]
    return head + [v.verdict, VERDICT[v.verdict][0 if vi else 1], *ids, to_pass or None,
                   ", ".join(v.missing_facts) or None, *tail, v.factset_sha256, engine, None]


# ----------------------------------------------------------------------------- the summary

@dataclass
class Summary:
    """Counters only: what the summary sheet and stderr show; never a list of rows."""

    input: str
    pack: Pack
    engine: str
    lang: str
    counts: Counter = field(default_factory=Counter)
    missing: Counter = field(default_factory=Counter)  # fact ref (hamlet refs as hamlet:*:<fact>) → communes
    failing: Counter = field(default_factory=Counter)  # indicator / prerequisite id → communes
    header_rows: list[int] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.kind] += 1
        if outcome.verdict is None:
            return
        for ref in outcome.verdict.missing_facts:
            if ref.startswith("hamlet:"):
                ref = "hamlet:*:" + ref.rsplit(":", 1)[-1]
            self.missing[ref] += 1
        for item in open_indicators(outcome.verdict)["fail"]:
            self.failing[item.id] += 1

    def exit_code(self) -> int:
        if self.counts["error"]:
            return EXIT_BAD_INPUT
        if self.counts["not_certified"]:
            return EXIT_NOT_CERTIFIED
        if self.counts["incomplete"]:
            return EXIT_INCOMPLETE
        return EXIT_CERTIFIED

    def rows_out(self, catalogue: Catalogue) -> list[list[Any]]:
        """The summary as rows: [key, value, label]; also the text printed on stderr."""
        p = self.pack
        out: list[list[Any]] = [
            ["ntmcert batch", "Tổng hợp / Summary"],
            ["input", self.input, "Tệp vào / Input"],
            ["pack", f"{p.id} {p.version}", "Bộ tiêu chí / Criteria pack"],
            ["pack.sha256", p.sha256, ""],
            ["engine", self.engine, "Bộ máy luật / Engine"],
            [],
            ["verdict", "communes", "Kết luận / Verdict — số xã / communes"],
        ]
        labels = {**{k: f"{vi} / {en}" for k, (vi, en) in VERDICT.items()}, "error": " / ".join(ERROR_LABEL)}
        for kind in VERDICT_KINDS:
            out.append([kind, self.counts[kind], labels[kind]])
        out.append(["total", self.rows, "Tổng / Total"])
        if self.header_rows:
            out.append(["header_rows", ", ".join(map(str, self.header_rows)),
                        "Dòng đọc là tiêu đề, bỏ qua / Rows read as headers, skipped"])
        out += [[], ["missing_fact", "communes", "Số liệu thiếu nhiều nhất / Facts most often missing"]]
        for ref, n in sorted(self.missing.items(), key=lambda kv: (-kv[1], kv[0])):
            fact = catalogue.get(ref.rsplit(":", 1)[-1])
            label = fact.label.vi if fact and self.lang == "vi" else fact.label.en if fact else ""
            out.append([ref, n, label])
        out += [[], ["failing", "communes", "Chỉ tiêu chưa đạt nhiều nhất / Indicators most often failing"]]
        titles = {ind.spec.id: ind.spec.title for c in p.criteria for ind in c.indicators}
        titles.update({pr.id: pr.title for pr in p.prerequisites})
        for ident, n in sorted(self.failing.items(), key=lambda kv: (-kv[1], kv[0])):
            title = titles.get(ident)
            out.append([ident, n, (title.vi if self.lang == "vi" else title.en) if title else ""])
        return out

    def text(self, catalogue: Catalogue, top: int = 10) -> str:
        c = self.counts
        lines = [f"ntmcert batch: {self.rows} communes — certified {c['certified']}, not certified "
                 f"{c['not_certified']}, incomplete {c['incomplete']}, error {c['error']}"]
        if self.header_rows:
            lines.append(f"  rows read as headers and skipped: {', '.join(map(str, self.header_rows))}")
        if self.missing:
            lines.append("  facts most often missing: " + ", ".join(
                f"{ref} ({n})" for ref, n in sorted(self.missing.items(), key=lambda kv: (-kv[1], kv[0]))[:top]))
        if self.failing:
            lines.append("  most often failing: " + ", ".join(
                f"{i} ({n})" for i, n in sorted(self.failing.items(), key=lambda kv: (-kv[1], kv[0]))[:top]))
        return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- writers

class _XlsxWriter:
    def __init__(self, path: Path, lang: str):
        import openpyxl
        from openpyxl.cell import WriteOnlyCell
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
        ids = []
        for cid, _, _ in RESULT_COLUMNS:
            cell = WriteOnlyCell(self.results, cid)
            cell.font = Font(name="Consolas", size=9, color="595959")
            ids.append(cell)
        heads = []
        for _, vi, en in RESULT_COLUMNS:
            cell = WriteOnlyCell(self.results, vi if lang == "vi" else en)
            cell.font = Font(bold=True)
            heads.append(cell)
        self.results.append(ids)
        self.results.append(heads)
        self._wrap = Alignment(wrap_text=True, vertical="top")
        self._wrapped = [i for i, (cid, _, _) in enumerate(RESULT_COLUMNS) if cid in ("to_pass", "error")]
        self._cell = WriteOnlyCell

    def write(self, outcome: Outcome, row: list[Any]) -> None:
        values: list[Any] = [_clean(v) for v in row]
        for i in self._wrapped:
            if isinstance(values[i], str) and "\n" in values[i]:
                cell = self._cell(self.results, values[i])
                cell.alignment = self._wrap
                values[i] = cell
        self.results.append(values)

    def finish(self, summary: Summary, catalogue: Catalogue) -> None:
        for line in summary.rows_out(catalogue):
            self.summary.append([_clean(v) for v in line])
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
        self.fh = open(path, "w", newline="", encoding="utf-8-sig")
        self.out = csv.writer(self.fh)
        self.out.writerow([cid for cid, _, _ in RESULT_COLUMNS])

    def write(self, outcome: Outcome, row: list[Any]) -> None:
        self.out.writerow(["" if v is None else v for v in row])

    def finish(self, summary: Summary, catalogue: Catalogue) -> None:
        self.fh.close()

    def close(self) -> None:
        self.fh.close()


class _JsonlWriter:
    def __init__(self, path: Path, lang: str):
        self.fh = open(path, "w", encoding="utf-8", newline="\n")

    def write(self, outcome: Outcome, row: list[Any]) -> None:
        where = {"file": outcome.file, "row": outcome.row}
        if outcome.verdict is not None:
            doc = outcome.verdict.to_dict()
            doc["input"] = where
        else:
            doc = {"schema": "ntmcert/batch-error/v1", "verdict": "error", "input": where,
                   "commune": {k: _cell_text(outcome.commune[k]) for k in ("name", "district", "code", "province",
                                                                           "region")
                               if isinstance(outcome.commune.get(k), (str, int))},
                   "as_of": _cell_text(outcome.as_of),
                   "errors": [p.to_dict() for p in outcome.problems]}
        self.fh.write(json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n")

    def finish(self, summary: Summary, catalogue: Catalogue) -> None:
        self.fh.close()

    def close(self) -> None:
        self.fh.close()


_WRITERS = {".xlsx": _XlsxWriter, ".csv": _CsvWriter, ".jsonl": _JsonlWriter}


# ----------------------------------------------------------------------------- inputs

@dataclass
class _FileItem:
    """One fact-set file of a folder."""

    path: Path

    def load(self, catalogue: Catalogue):
        return load_factset(self.path, catalogue=catalogue)

    def commune_guess(self) -> tuple[dict, Any]:
        """The commune and date as written, for an error row (best effort)."""
        from ntmcert.inputs.yamlio import load_path

        try:
            data = load_path(self.path).data
        except (InputError, Exception):  # noqa: BLE001 - a damaged file shows no commune
            return {}, None
        if not isinstance(data, dict):
            return {}, None
        commune = data.get("commune") if isinstance(data.get("commune"), dict) else {}
        return {k: commune.get(k) for k in ("name", "district", "code", "province")
                if isinstance(commune.get(k), (str, int))}, data.get("as_of")


def _folder_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FACTSET_SUFFIXES
                  and not p.name.startswith("."))


# ----------------------------------------------------------------------------- the run

@dataclass
class BatchResult:
    summary: Summary
    out: Path

    @property
    def exit_code(self) -> int:
        return self.summary.exit_code()


def check_output(source: Path, out: Path) -> None:
    """Usage problems of the output path (raised before anything is read or written)."""
    problems = []
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        problems.append(Problem("batch_bad_output", f"--out must end in {', '.join(OUTPUT_SUFFIXES)} (found "
                                f"{out.name!r})", Location(str(out))))
    elif not out.parent.is_dir():
        problems.append(Problem("batch_bad_output", f"the folder {str(out.parent)!r} does not exist",
                                Location(str(out))))
    elif out.exists() and source.exists() and out.resolve() == source.resolve():
        problems.append(Problem("batch_bad_output", "--out is the input file: the results would overwrite the "
                                "communes' figures", Location(str(out))))
    elif out.is_dir():
        problems.append(Problem("batch_bad_output", f"{str(out)!r} is a folder", Location(str(out))))
    if problems:
        raise InputError(problems)


def run_batch(source: str | Path, pack: str | Pack, out: str | Path, *, lang: str = "vi",
              engine: str = "durable", library: PackLibrary | None = None, progress: bool | None = None,
              console=None, on_row: Callable[[int], None] | None = None, officer=None) -> BatchResult:
    """Evaluate every commune of `source` against `pack` and write the results to `out`.

    Raises InputError (nothing written) for usage problems and unreadable inputs; row problems
    become error rows. `progress` None shows the bar only when stderr is a terminal; `console` is
    the rich Console the bar and notices go to (stderr by default); `on_row(n)` is called after
    each row (n rows done); `officer` holds officer parameter values (params.load_params).
    """
    from rich.console import Console

    from ntmcert.api import default_library

    library = library or default_library()
    catalogue = library.catalogue
    source, out = Path(source), Path(out)
    pack_obj = pack if isinstance(pack, Pack) else library.get(pack)
    eng = get_engine(engine)
    engine_text = f"{eng.name} {eng.version}"
    check_output(source, out)
    if not source.exists():
        raise InputError([Problem("file_unreadable", f"{source} does not exist", Location(str(source)))])
    console = console or Console(stderr=True)
    summary = Summary(source.name, pack_obj, engine_text, lang)

    with _open_source(source, catalogue) as (items, total, reader):
        if reader is not None:
            _sheet_notices(reader, pack_obj, catalogue, summary)
        for notice in summary.notices:
            console.print(notice, markup=False, highlight=False, soft_wrap=True)
        with atomic_path(out) as tmp:
            writer = _WRITERS[out.suffix.lower()](tmp, lang)
            try:
                _run(items, total, reader, writer, summary, pack_obj, eng, engine_text, lang, library, console,
                     progress, on_row, officer=officer)
                if reader is not None:
                    summary.header_rows = list(reader.header_rows)
                if not summary.rows:
                    raise InputError([Problem("batch_empty", "no commune rows to evaluate", Location(str(source)))])
                writer.finish(summary, catalogue)
            finally:
                close = getattr(writer, "close", None)
                if close is not None:
                    close()
    return BatchResult(summary, out)


def _sheet_notices(reader: SheetReader, pack: Pack, catalogue: Catalogue, summary: Summary) -> None:
    if reader.template_pack and reader.template_pack != pack.id:
        summary.notices.append(f"ntmcert: note: {reader.file} was made for pack {reader.template_pack}; "
                               f"evaluating against {pack.id}")
    present = {c.path[1] for c in reader.columns if c is not None and c.path[0] == "facts"}
    absent = [f.id for f in pack_facts(pack, catalogue) if f.level.value == "commune" and f.id not in present]
    if absent:
        summary.notices.append(f"ntmcert: note: {reader.file} has no column for {', '.join(absent)}, which "
                               f"{pack.id} uses: every commune will be missing them")


class _open_source:
    """(items, total, reader) for a workbook, a CSV or a folder."""

    def __init__(self, source: Path, catalogue: Catalogue):
        self.source, self.catalogue = source, catalogue
        self.reader: SheetReader | None = None

    def __enter__(self):
        if self.source.is_dir():
            files = _folder_files(self.source)
            return (_FileItem(p) for p in files), len(files), None
        self.reader = SheetReader(self.source, self.catalogue)
        return self.reader, self.reader.total, self.reader

    def __exit__(self, *exc) -> None:
        if self.reader is not None:
            self.reader.close()


def _run(items, total, reader, writer, summary: Summary, pack: Pack, eng, engine_text: str, lang: str,
         library: PackLibrary, console, progress: bool | None, on_row, officer=None) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    catalogue = library.catalogue
    enabled = console.is_terminal if progress is None else progress
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=console, disable=not enabled, transient=False)
    done = 0

    def emit(outcome: Outcome) -> None:
        nonlocal done
        writer.write(outcome, flat_row(outcome, pack, engine_text, lang))
        summary.add(outcome)
        done += 1
        bar.advance(task)
        if on_row is not None:
            on_row(done)

    with bar:
        task = bar.add_task("ntmcert batch", total=total)
        for item in _outcomes(items, reader, pack, eng, catalogue, library, officer):
            emit(item)
        bar.update(task, total=done, completed=done)


def _outcomes(items, reader, pack: Pack, eng, catalogue: Catalogue, library: PackLibrary,
              officer=None) -> Iterator[Outcome]:
    for item in items:
        if isinstance(item, _FileItem):
            row, file = None, item.path.name
        else:
            row, file = item.row, item.file
        try:
            factset = item.load(catalogue)
            verdict = evaluate_pack(factset, pack, eng, officer=officer, catalogue=catalogue, library=library)
        except InputError as exc:
            if isinstance(item, _FileItem):
                commune, as_of = item.commune_guess()
            else:
                commune, as_of = item.commune, item.as_of
            yield Outcome(row, file, commune, as_of, problems=exc.problems)
            continue
        except NtmcertError as exc:  # e.g. the engine refused this commune: this row only
            yield Outcome(row, file, {}, None, problems=[Problem(exc.code, str(exc), Location(file, row))])
            continue
        yield Outcome(row, file, verdict.commune, verdict.as_of, verdict)
    if reader is not None:
        for extra in reader.extra_errors():
            yield Outcome(extra.row, extra.file, {}, None, problems=extra.problems)


def print_summary(result: BatchResult, catalogue: Catalogue, stream=None) -> None:
    (stream or sys.stderr).write(result.summary.text(catalogue))


__all__ = ["BatchResult", "OUTPUT_SUFFIXES", "RESULT_COLUMNS", "Summary", "check_output", "run_batch"]
