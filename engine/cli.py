"""The `ntmcert` command line (typer + rich). Exit codes: 0 all certified, 1 some not certified,
3 some incomplete and none not certified, 2 bad input or usage."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from .api import applicable_packs, default_library
from .engines import fallback_notice, get_engine
from .errors import InputError, NtmcertError, PackNotFoundError, Problem
from .evaluate import evaluate_pack
from .factset import load_factset
from .render import render
from .verdict import dumps

EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_BAD_INPUT, EXIT_INCOMPLETE = 0, 1, 2, 3

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Certification checker for Nông thôn mới (NTM): YAML rule packs, a rule engine, "
                       "explained verdicts.")
packs_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                        help="List the bundled rule packs, or show one.")
app.add_typer(packs_app, name="packs")


class Format(str, Enum):
    text = "text"
    json = "json"
    md = "md"


class Lang(str, Enum):
    vi = "vi"
    en = "en"


class EngineName(str, Enum):
    durable = "durable"
    reference = "reference"


def _fail(problems: list[Problem], fmt: Format = Format.text) -> None:
    """Report input problems (all of them) and exit 2; never a traceback."""
    if fmt is Format.json:
        sys.stdout.write(dumps({"schema": "ntmcert/errors/v1", "errors": [p.to_dict() for p in problems]}))
    for p in problems:
        typer.echo(str(p), err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def exit_code(verdicts) -> int:
    kinds = {v.verdict for v in verdicts}
    if "not_certified" in kinds:
        return EXIT_NOT_CERTIFIED
    if "incomplete" in kinds:
        return EXIT_INCOMPLETE
    return EXIT_CERTIFIED


@app.command()
def evaluate(
    facts: Path = typer.Argument(..., help="A fact set (YAML or JSON, format ntmcert/factset/v1)."),
    pack: Optional[list[str]] = typer.Option(None, "--pack", "-p", help="Pack id (repeatable); default: "
                                             "every bundled pack whose province and period fit."),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    lang: Lang = typer.Option(Lang.vi, "--lang", "-l", help="Report language."),
    engine: EngineName = typer.Option(EngineName.durable, "--engine", help="Rule engine."),
) -> None:
    """Evaluate a commune's fact set against rule packs and print the verdicts."""
    notice = fallback_notice() if engine is EngineName.durable else None
    if notice:
        typer.echo(notice, err=True)
    try:
        library = default_library()
        factset = load_factset(facts, catalogue=library.catalogue)
        chosen = [library.get(p) for p in pack] if pack else applicable_packs(factset, library)
        if not chosen:
            _fail([Problem("no_applicable_pack", f"no bundled pack fits province {factset.commune.province!r} "
                                                 f"at {factset.as_of}; name one with --pack")], fmt)
        eng = get_engine(engine.value)
        verdicts = [evaluate_pack(factset, p, eng, catalogue=library.catalogue) for p in chosen]
    except InputError as exc:
        _fail(exc.problems, fmt)
    except PackNotFoundError as exc:
        _fail([Problem(exc.code, str(exc))], fmt)
    sys.stdout.write(render(verdicts, fmt.value, lang.value, color=sys.stdout.isatty()))
    raise typer.Exit(exit_code(verdicts))


@app.command()
def validate(facts: Path = typer.Argument(..., help="A fact set to check.")) -> None:
    """Check a fact set only (schema, catalogue, values); exit 0 when it is valid, 2 otherwise."""
    try:
        fs = load_factset(facts, catalogue=default_library().catalogue)
    except InputError as exc:
        _fail(exc.problems)
    typer.echo(f"{facts}: valid — {fs.commune.name}, {fs.commune.province}, as of {fs.as_of}; "
               f"{len(fs.facts)} facts, {len(fs.hamlets)} hamlets, sha256 {fs.sha256}")


@packs_app.callback(invoke_without_command=True)
def packs(ctx: typer.Context) -> None:
    """List the bundled packs."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        library = default_library()
        for p in library.all():
            scope = p.doc.scope
            where = scope.province or "national"
            period = f"{scope.valid_from}..{scope.valid_to or ''}"
            extra = f" extends {p.doc.extends}" if p.doc.extends else ""
            typer.echo(f"{p.id}\tv{p.version}\t{p.doc.tier.value}\t{where}\t{period}\t{p.doc.completeness}"
                       f"{extra}\t{p.doc.title.en}")
    except InputError as exc:
        _fail(exc.problems)


@packs_app.command("show")
def packs_show(pack_id: str = typer.Argument(..., help="Pack id, e.g. tra-vinh/smart-commune."),
               lang: Lang = typer.Option(Lang.vi, "--lang", "-l")) -> None:
    """Print a pack's criteria with thresholds and provenance."""
    from .render.packdoc import render_pack

    try:
        pack = default_library().get(pack_id)
    except (InputError, PackNotFoundError) as exc:
        _fail(exc.problems if isinstance(exc, InputError) else [Problem(exc.code, str(exc))])
    sys.stdout.write(render_pack(pack, lang.value))


EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in ntmcert, not in the input


def main() -> None:
    """Console-script entry point: no traceback reaches the user unless NTMCERT_DEBUG is set."""
    try:
        app()
    except NtmcertError as exc:  # e.g. an engine failure: one clear line
        typer.echo(f"ntmcert: {exc.code}: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except Exception as exc:  # noqa: BLE001 - a bug: say so plainly, keep the traceback on request
        if os.environ.get("NTMCERT_DEBUG"):
            raise
        typer.echo(f"ntmcert: internal error: {type(exc).__name__}: {exc} "
                   "(this is a bug in ntmcert; set NTMCERT_DEBUG=1 to see the traceback)", err=True)
        sys.exit(EXIT_INTERNAL)
