"""The spreadsheet commands: `ntmcert template` (a pack's blank workbook) and `ntmcert batch`
(many communes at once). `register(app)` adds them to the main typer app.

Exit codes of `batch` (see engine/sheets/batch.py): 0 every commune certified, 1 some not certified, 3
some incomplete and none not certified, 2 usage or unreadable input (nothing written) or some row
with input errors (the output is written, the error column says what to fix).
"""

from __future__ import annotations

from pathlib import Path

import typer
from ntmcert.cli.common import EngineName, Lang, _fail
from ntmcert.core.errors import InputError, Location, PackNotFoundError, Problem
from ntmcert.core.files import check_output_file
from ntmcert.core.text import Text, printable


def template(
    pack: str = typer.Option(..., "--pack", "-p", help="Pack id, e.g. tra-vinh/smart-commune."),
    out: Path = typer.Option(..., "--out", "-o", help="The workbook to write (.xlsx)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file (it may hold an officer's figures)."),
    lang: Lang = typer.Option(Lang.vi, "--lang", "-l", help="Language of the messages."),
) -> None:
    """Write a blank workbook for a pack: one row per commune, one column per fact the pack uses."""
    from ntmcert.api import default_library
    from ntmcert.sheets.template import write_template

    if out.suffix.lower() != ".xlsx":
        _fail([Problem("template_bad_output", f"--out must be an .xlsx file (found {out.name!r})",
                       Location(str(out), None, None, "--out"))], lang=lang.value)
    try:
        check_output_file(out, code="template_bad_output")
    except InputError as exc:
        _fail(exc.problems, lang=lang.value)
    if out.exists() and not force:
        _fail([Problem("template_exists", f"{out} exists and may hold figures already entered; choose another "
                       "name or add --force to replace it", Location(str(out), None, None, "--out"))], lang=lang.value)
    try:
        library = default_library()
        pack_obj = library.get(pack)
        commune_cols, hamlet_cols = write_template(pack_obj, out, library=library, catalogue=library.catalogue)
    except InputError as exc:
        _fail(exc.problems, lang=lang.value)
    except PackNotFoundError as exc:
        _fail([Problem(exc.code, str(exc), Location("--pack"))], lang=lang.value)
    facts = sum(1 for c in commune_cols + hamlet_cols if c.path[0] == "facts")
    line = TEMPLATE_WRITTEN + (HAMLET_COLUMNS if hamlet_cols else "") + FACT_COLUMNS
    typer.echo(printable(line.get(lang.value).format(out=out, pack=pack_obj.id, version=pack_obj.version,
                                                     communes=len(commune_cols), hamlets=len(hamlet_cols),
                                                     facts=facts)))


TEMPLATE_WRITTEN = Text("{out}: mẫu nhập liệu cho {pack} {version} — {communes} cột cấp xã",
                        "{out}: template for {pack} {version} — {communes} commune columns")
HAMLET_COLUMNS = Text(", {hamlets} cột cấp ấp", ", {hamlets} hamlet columns")
FACT_COLUMNS = Text(" ({facts} cột số liệu)", " ({facts} fact columns)")


def batch(
    source: Path = typer.Argument(..., metavar="FILE",
                                  help="A workbook made by `ntmcert template` (.xlsx), a CSV with the same "
                                       "column ids, or a folder of fact sets (.yaml/.yml/.json)."),
    pack: str = typer.Option(..., "--pack", "-p", help="Pack id to evaluate every commune against."),
    out: Path = typer.Option(..., "--out", "-o", help="Results: .xlsx (with a summary sheet), .csv or .jsonl."),
    lang: Lang = typer.Option(Lang.vi, "--lang", "-l", help="Language of the verdict and to-pass texts."),
    engine: EngineName = typer.Option(EngineName.durable, "--engine", help="Rule engine."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress",
                                            help="Show a progress bar on stderr (default: when it is a terminal)."),
    params: Path | None = typer.Option(None, "--params", help="Officer parameter values with their sources "
                                          "(format ntmcert/params/v1), used where the packs say unknown."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, show_default="one per core",
                                    help="Processes that evaluate the rows; the output is the same for any "
                                         "number."),
) -> None:
    """Evaluate many communes against one pack; a bad row becomes an error row, never stops the batch."""
    from ntmcert.api import default_library
    from ntmcert.evaluation.engines import fallback_notice
    from ntmcert.sheets.batch import print_summary, run_batch

    notice = fallback_notice() if engine is EngineName.durable else None
    if notice:
        typer.echo(notice, err=True)
    previous = _exit_on_sigterm()
    try:
        library = default_library()
        from ntmcert.packs.params import load_params

        officer = load_params(params, library) if params else None
        result = run_batch(source, pack, out, lang=lang.value, engine=engine.value, library=library,
                           progress=progress, officer=officer, jobs=jobs)
    except InputError as exc:
        _fail(exc.problems, lang=lang.value)
    except PackNotFoundError as exc:
        _fail([Problem(exc.code, str(exc), Location("--pack"))], lang=lang.value)
    finally:
        _restore_sigterm(previous)
    print_summary(result, library.catalogue)
    errors = result.summary.counts["error"]
    written = Text("ntmcert batch: đã ghi kết quả vào {out}", "ntmcert batch: results written to {out}")
    with_errors = Text("; {n} dòng có lỗi số liệu (xem cột lỗi): mã thoát 2",
                       "; {n} row(s) with input errors (see the error column): exit 2")
    typer.echo(printable(written.get(lang.value).format(out=out))
               + (with_errors.get(lang.value).format(n=errors) if errors else ""), err=True)
    raise typer.Exit(result.exit_code)


def _exit_on_sigterm():
    """SIGTERM (a job scheduler stopping the run) unwinds like Ctrl-C, so the temporary output is
    removed and nothing half-written is left; returns what to restore (None off the main thread)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    return (signal.SIG_DFL if previous is None else previous,)


def _restore_sigterm(saved) -> None:
    import signal

    if saved is not None:
        signal.signal(signal.SIGTERM, saved[0])


def register(app: typer.Typer) -> None:
    """Add `template` and `batch` to the main `ntmcert` app."""
    app.command("template")(template)
    app.command("batch")(batch)


__all__ = ["batch", "register", "template"]
