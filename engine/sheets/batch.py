"""Evaluating many communes at once: a template workbook, a CSV or a folder of fact sets in, one
result row per commune out (xlsx, csv or jsonl), streamed in constant memory.

- Input: an ``.xlsx`` made from ``ntmcert template`` (see cells.py for the column and
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
- ``jobs`` processes (``--jobs``, default one per core) share the work: this process reads the
  rows (cells, and the hamlet rows each claims) and writes the output in input order; a worker
  turns a row's cells into a fact set, evaluates it and makes its output row and summary counts.
  The output is the same, byte for byte, whatever ``jobs`` is.

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

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ntmcert.core.errors import InputError, Location, NtmcertError, Problem
from ntmcert.core.files import atomic_path, check_output_file
from ntmcert.core.text import printable
from ntmcert.evaluation.engines import get_engine
from ntmcert.inputs.catalogue import Catalogue
from ntmcert.inputs.factset import FactSet, load_factset
from ntmcert.packs.library import Pack, PackLibrary
from ntmcert.parallel import EvaluationPool, Evaluator
from ntmcert.sheets.reader import PendingRow, RowLayout, SheetReader
from ntmcert.sheets.results import COMMUNE_FIELDS, Outcome, ResultRow, Summary
from ntmcert.sheets.rows import SheetRow
from ntmcert.sheets.template import pack_facts
from ntmcert.sheets.writers import WRITERS, result_row

OUTPUT_SUFFIXES = tuple(WRITERS)
FACTSET_SUFFIXES = (".yaml", ".yml", ".json")


# ----------------------------------------------------------------------------- inputs

@dataclass
class _FileItem:
    """One fact-set file of a folder."""

    path: Path

    def load(self, catalogue: Catalogue) -> FactSet:
        return load_factset(self.path, catalogue=catalogue)

    def commune_guess(self) -> tuple[dict, Any]:
        """The commune and date as written, for an error row (best effort)."""
        from ntmcert.inputs.yamlio import load_path

        try:
            data = load_path(self.path).data
        except (InputError, Exception):
            return {}, None
        if not isinstance(data, dict):
            return {}, None
        found = data.get("commune")
        commune = found if isinstance(found, dict) else {}
        return {k: commune.get(k) for k in COMMUNE_FIELDS
                if isinstance(commune.get(k), (str, int))}, data.get("as_of")


def _folder_files(folder: Path) -> list[Path]:
    """The fact-set files of a folder; a pipe or device named like one is kept, to become an error
    row (input_not_regular_file) rather than vanish unseen."""
    return sorted(p for p in folder.iterdir() if not p.is_dir() and p.suffix.lower() in FACTSET_SUFFIXES
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
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InputError([Problem("batch_bad_output", f"--out must end in {', '.join(OUTPUT_SUFFIXES)} (found "
                                  f"{out.name!r})", Location(str(out), None, None, "--out"))])
    check_output_file(out, code="batch_bad_output", inputs=(source,))


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs: the pack and engine every commune is evaluated with, the language of the
    results, where progress goes, and how many processes evaluate (None: one per core)."""

    pack: Pack
    engine: Any  # an evaluation engine (engines.get_engine)
    library: PackLibrary
    lang: str = "vi"
    officer: Any = None  # officer parameter values (params.load_params)
    progress: bool | None = None  # None: a bar only when the console is a terminal
    console: Any = None  # the rich Console the bar and notices go to
    on_row: Callable[[int], None] | None = None  # called with the number of rows done
    engine_name: str = "durable"  # what the worker processes make their engine from (engines.ENGINE_NAMES)
    jobs: int | None = None

    @property
    def catalogue(self) -> Catalogue:
        return self.library.catalogue

    @property
    def engine_text(self) -> str:
        return f"{self.engine.name} {self.engine.version}"


@dataclass
class _Source:
    """What is read: the items (pending sheet rows or fact-set files), their estimated count, and
    the sheet reader and its columns (None for a folder)."""

    items: Any
    total: int | None
    reader: SheetReader | None
    layout: RowLayout | None = None


def run_batch(source: str | Path, pack: str | Pack, out: str | Path, *, lang: str = "vi",
              engine: str = "durable", library: PackLibrary | None = None, progress: bool | None = None,
              console=None, on_row: Callable[[int], None] | None = None, officer=None,
              jobs: int | None = None) -> BatchResult:
    """Evaluate every commune of `source` against `pack` and write the results to `out`.

    Raises InputError (nothing written) for usage problems and unreadable inputs; row problems
    become error rows. `progress` None shows the bar only when stderr is a terminal; `console` is
    the rich Console the bar and notices go to (stderr by default); `on_row(n)` is called after
    each row (n rows done); `officer` holds officer parameter values (params.load_params); `jobs`
    is the number of processes that evaluate (None: one per core; 1: this process only).
    """
    from ntmcert.api import default_library
    from rich.console import Console

    library = library or default_library()
    source, out = Path(source), Path(out)
    options = BatchOptions(pack if isinstance(pack, Pack) else library.get(pack), get_engine(engine), library, lang,
                           officer, progress, console or Console(stderr=True), on_row, engine, jobs)
    if jobs is not None and jobs < 1:
        raise InputError([Problem("batch_bad_jobs", f"--jobs must be at least 1 (found {jobs})", Location("--jobs"))])
    check_output(source, out)
    if not source.exists():
        raise InputError([Problem("file_unreadable", f"{source} does not exist", Location(str(source)))])
    summary = Summary(source.name, options.pack, options.engine_text, lang)

    with _open_source(source, options.catalogue) as opened:
        if opened.reader is not None:
            _sheet_notices(opened.reader, options.pack, options.catalogue, summary)
        for notice in summary.notices:
            options.console.print(printable(notice), markup=False, highlight=False, soft_wrap=True)
        with atomic_path(out) as tmp:
            writer = WRITERS[out.suffix.lower()](tmp, lang)
            try:
                _run(opened, writer, out.suffix.lower(), summary, options)
                if opened.reader is not None:
                    summary.header_rows = list(opened.reader.header_rows)
                if not summary.rows:
                    raise InputError([Problem("batch_empty", "no commune rows to evaluate", Location(str(source)))])
                writer.finish(summary, options.catalogue)
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
    """The `_Source` of a workbook, a CSV or a folder."""

    def __init__(self, source: Path, catalogue: Catalogue):
        self.source, self.catalogue = source, catalogue
        self.reader: SheetReader | None = None

    def __enter__(self) -> _Source:
        if self.source.is_dir():
            files = _folder_files(self.source)
            return _Source((_FileItem(p) for p in files), len(files), None)
        self.reader = SheetReader(self.source, self.catalogue)
        return _Source(self.reader.pending_rows(), self.reader.total, self.reader, self.reader.layout())

    def __exit__(self, *exc) -> None:
        if self.reader is not None:
            self.reader.close()


def _run(source: _Source, writer: Any, suffix: str, summary: Summary, options: BatchOptions) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    work = _RowWork(source.layout, suffix, options.engine_text, options.lang)
    # the pool first: its processes are forked before the progress bar starts its thread
    with EvaluationPool.of(options.pack, work, jobs=options.jobs, engine=options.engine_name,
                           params=options.officer, library=options.library) as pool:
        enabled = options.console.is_terminal if options.progress is None else options.progress
        bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                       console=options.console, disable=not enabled, transient=False)
        done = 0
        with bar:
            task = bar.add_task("ntmcert batch", total=source.total)
            for result in _results(pool, source, options, work):
                writer.write(result)
                summary.add(result)
                done += 1
                bar.advance(task)
                if options.on_row is not None:
                    options.on_row(done)
            bar.update(task, total=done, completed=done)


def _results(pool: EvaluationPool, source: _Source, options: BatchOptions, work: _RowWork) -> Iterator[ResultRow]:
    for result in pool.map(source.items):
        if isinstance(result, NtmcertError):  # _RowWork makes every NtmcertError an error row
            raise result
        yield result
    if source.reader is not None:
        for extra in source.reader.extra_errors():
            outcome = Outcome(extra.row, extra.file, {}, None, problems=extra.problems)
            yield result_row(outcome, work.suffix, options.pack, work.engine_text, work.lang)


@dataclass(frozen=True)
class _RowWork:
    """One row's work, done in a worker process (or in this one when jobs is 1): the row's cells
    turned into a fact set, evaluated, and made into its output row and summary counts."""

    layout: RowLayout | None  # None for a folder of fact sets
    suffix: str
    engine_text: str
    lang: str

    def __call__(self, evaluator: Evaluator, item: PendingRow | _FileItem) -> ResultRow:
        pack = evaluator.packs[0]
        return result_row(self.outcome(evaluator, item), self.suffix, pack, self.engine_text, self.lang)

    def outcome(self, evaluator: Evaluator, item: PendingRow | _FileItem) -> Outcome:
        loadable: SheetRow | _FileItem
        if isinstance(item, _FileItem):
            row, file, loadable = None, item.path.name, item
        else:
            if self.layout is None:
                raise TypeError("a sheet row needs its sheet's layout")
            loadable = self.layout.sheet_row(item)
            row, file = loadable.row, loadable.file
        try:
            verdict = evaluator.evaluate(loadable.load(evaluator.library.catalogue))
        except InputError as exc:
            if isinstance(loadable, _FileItem):
                commune, as_of = loadable.commune_guess()
            else:
                commune, as_of = loadable.commune, loadable.as_of
            return Outcome(row, file, commune, as_of, problems=exc.problems)
        except NtmcertError as exc:  # e.g. the engine refused this commune: this row only
            return Outcome(row, file, {}, None, problems=[Problem(exc.code, str(exc), Location(file, row))])
        return Outcome(row, file, verdict.commune, verdict.as_of, verdict)


def print_summary(result: BatchResult, catalogue: Catalogue, stream=None) -> None:
    (stream or sys.stderr).write(result.summary.text(catalogue))


__all__ = ["OUTPUT_SUFFIXES", "BatchOptions", "BatchResult", "check_output", "run_batch"]
