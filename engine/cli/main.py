"""The `ntmcert` command line (typer + rich). Exit codes: 0 all certified, 1 some not certified,
3 some incomplete and none not certified, 2 bad input or usage."""

from __future__ import annotations

import gc
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from ntmcert.api import default_library, default_packs, exit_verdicts
from ntmcert.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_CERTIFIED,
    EXIT_INCOMPLETE,
    EXIT_NOT_CERTIFIED,
    EngineName,
    Format,
    Lang,
    _fail,
)
from ntmcert.cli.packtools import WORDS as PACK_WORDS
from ntmcert.cli.packtools import register as register_packtools
from ntmcert.cli.sheets import register as register_sheet_commands
from ntmcert.core.errors import InputError, Location, NtmcertError, PackNotFoundError, Problem
from ntmcert.core.files import atomic_path, check_output_folder
from ntmcert.core.text import Text, printable, shorten
from ntmcert.core.text import date as date_text
from ntmcert.evaluation.engines import fallback_notice, get_engine
from ntmcert.evaluation.evaluate import evaluate_pack
from ntmcert.inputs.factset import load_factset
from ntmcert.render import render

# What only some runs need (a what-if, officer parameters, a dossier profile, the spreadsheet cell
# reader) is imported inside the command that uses it: a plain `ntmcert evaluate` starts cold, and
# every module left out is time saved (tests/test_cold_start.py guards the heavy ones).

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Certification checker for Nông thôn mới (NTM): YAML rule packs, a rule engine, "
                       "explained verdicts.")
packs_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                        help="List the bundled rule packs, or show one.")
app.add_typer(packs_app, name="packs")


def exit_code(verdicts) -> int:
    kinds = {v.verdict for v in exit_verdicts(verdicts)}
    if "not_certified" in kinds:
        return EXIT_NOT_CERTIFIED
    if "incomplete" in kinds:
        return EXIT_INCOMPLETE
    return EXIT_CERTIFIED


@app.command()
def evaluate(
    facts: Path = typer.Argument(..., help="A fact set (YAML or JSON, format ntmcert/factset/v1)."),
    pack: list[str] | None = typer.Option(None, "--pack", "-p", help="Pack id (repeatable); default: "
                                             "every bundled pack whose province and period fit."),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    lang: Lang = typer.Option(Lang.vi, "--lang", "-l", help="Report language."),
    engine: EngineName = typer.Option(EngineName.durable, "--engine", help="Rule engine."),
    params: Path | None = typer.Option(None, "--params", help="Officer parameter values with their sources "
                                          "(format ntmcert/params/v1), used where the packs say unknown."),
    derive: bool = typer.Option(False, "--derive-prerequisites", help="Also evaluate each prerequisite tier's "
                                "pack on the same facts, and report every tier."),
    sets: list[str] | None = typer.Option(None, "--set", help="What-if: evaluate again with fact=value (or "
                                             "hamlet:<name>:fact=value; empty value removes it) and show what "
                                             "moved. The file is not modified."),
    profile: Path | None = typer.Option(None, "--profile", help="Dossier profile (YAML, format "
                                           "ntmcert/profile/v1): org, parent_org, place, assessed_on, prepared_by, "
                                           "checked_by, approved_by. The options below override it."),
    org: str | None = typer.Option(None, "--org", help="Issuing body printed on the report."),
    parent_org: str | None = typer.Option(None, "--parent-org", help="Its superior body, printed above it."),
    place: str | None = typer.Option(None, "--place", help="Place written before the date."),
    assessed_on: str | None = typer.Option(None, "--assessed-on", help="Date of the assessment (YYYY-MM-DD)."),
    prepared_by: str | None = typer.Option(None, "--prepared-by", help="Who prepared the report."),
    checked_by: str | None = typer.Option(None, "--checked-by", help="Who checked it."),
    approved_by: str | None = typer.Option(None, "--approved-by", help="Head of the issuing body."),
) -> None:
    """Evaluate a commune's fact set against rule packs and print the verdicts."""
    _notice(engine)
    try:
        library = default_library()
        factset = load_factset(facts, catalogue=library.catalogue)
        changes, changed = _what_if(facts, sets, library) if sets else ([], None)
        officer = _load_params(params, library) if params else None
        day = _option_date("--assessed-on", assessed_on, lang.value)
        sheet = None
        if fmt is Format.html or profile is not None:  # only the HTML report prints it; a profile is checked always
            from ntmcert.cli.profile import dossier

            sheet = dossier(profile, hypothetical=bool(changes), org=org, parent_org=parent_org, place=place,
                            assessed_on=day, prepared_by=prepared_by, checked_by=checked_by,
                            approved_by=approved_by)
        chosen = [library.get(p) for p in pack] if pack else default_packs(factset, library)
        if not chosen:
            _fail([Problem("no_applicable_pack", f"no bundled pack fits province {factset.commune.province!r} "
                                                 f"at {factset.as_of}; name one with --pack",
                           Location(str(facts), None, None, "commune.province"))], fmt, lang.value)
        eng = get_engine(engine.value)

        def run(fs):
            return [evaluate_pack(fs, p, eng, officer=officer, catalogue=library.catalogue, library=library,
                                  derive_prerequisites=derive) for p in chosen]

        verdicts = run(factset)
        after = run(changed) if changed is not None else None
    except InputError as exc:
        _fail(exc.problems, fmt, lang.value)
    except PackNotFoundError as exc:
        _fail([Problem(exc.code, str(exc), Location("--pack"))], fmt, lang.value)
    if after is None:
        sys.stdout.write(render(verdicts, fmt.value, lang.value, color=sys.stdout.isatty(), width=_width(fmt),
                                dossier=sheet))
        raise typer.Exit(exit_code(verdicts))
    if fmt in (Format.json, Format.html):  # a what-if is data: JSON (an HTML report shows one state)
        from ntmcert.evaluation.verdict import dumps
        from ntmcert.evaluation.whatif import document as whatif_document

        sys.stdout.write(dumps(whatif_document(changes, verdicts, after)) if fmt is Format.json
                         else render(after, fmt.value, lang.value, dossier=sheet))
    else:
        sys.stdout.write(render_moves(changes, verdicts, after, fmt.value, lang.value))
        sys.stdout.write(render(after, fmt.value, lang.value, color=sys.stdout.isatty(), width=_width(fmt)))
    raise typer.Exit(exit_code(after))


def _width(fmt: Format) -> int | None:
    """The terminal's width for the text report (only it is laid out to a width; rich is not
    imported for the other formats)."""
    if fmt is not Format.text:
        return None
    from ntmcert.render.text import terminal_width

    return terminal_width()


def _what_if(facts: Path, sets: list[str], library):
    """The --set changes, and the fact set with them applied (None when there are none)."""
    from ntmcert.evaluation.whatif import apply_changes, parse_changes
    from ntmcert.inputs.factset import factset_from_document
    from ntmcert.inputs.yamlio import load_path
    from ntmcert.sheets.cells import fact_from_text

    changes = parse_changes(sets, library.catalogue, fact_from_text)
    changed = factset_from_document(apply_changes(load_path(facts), changes), library.catalogue) if changes else None
    return changes, changed


def _load_params(params: Path, library):
    from ntmcert.packs.params import load_params

    return load_params(params, library)


HYPOTHETICAL = Text("*** GIẢ ĐỊNH – không dùng làm hồ sơ ***", "*** HYPOTHETICAL – not for the dossier ***")
MOVE_WORDS = {"verdict": Text("kết luận", "verdict"), "criterion": Text("tiêu chí", "criterion"),
              "prerequisite": Text("điều kiện tiên quyết", "prerequisite")}


def render_moves(changes, before, after, fmt: str, lang: str) -> str:
    """The what-if header: the changes made, then every status that moved (before → after)."""
    from ntmcert.evaluation.whatif import moved as whatif_moved
    from ntmcert.render.common import STATUS, VERDICT

    def ref_words(ref: str) -> str:  # "criterion:tv.smart.gov" → "tiêu chí tv.smart.gov"
        kind, sep, ident = ref.partition(":")
        if ref == "verdict":
            return MOVE_WORDS["verdict"].get(lang)
        return f"{MOVE_WORDS[kind].get(lang)} {ident}" if sep and kind in MOVE_WORDS else ref

    def word(ref: str, status: str) -> str:
        table = VERDICT if ref == "verdict" else STATUS
        return table[status].get(lang) if status in table else status

    lines = [HYPOTHETICAL.get(lang),
             Text("Giả định (không sửa tệp số liệu):", "What-if (the fact file is not modified):").get(lang)]
    lines += [f"  --set {printable(shorten(c.text))}" for c in changes]
    moves = [m for b, a in zip(before, after, strict=True) for m in whatif_moved(b, a)]  # one verdict per pack each
    lines.append(Text("Thay đổi kết quả:", "Statuses that moved:").get(lang))
    lines += [f"  {m.pack} {ref_words(m.ref)}: {word(m.ref, m.before)} → {word(m.ref, m.after)}"
              for m in moves] or [
        Text("  (không có)", "  (none)").get(lang)]
    if fmt == "md":
        return "\n".join(f"> {line}" for line in lines) + "\n\n"
    return "\n".join(lines) + "\n\n"


def _option_date(option: str, value: str | None, lang: str = "vi") -> Any:
    if value is None:
        return None
    from ntmcert.core.dates import strict_date

    try:
        return strict_date(value)
    except ValueError:
        _fail([Problem("option_bad_date", f"{option} takes a date written YYYY-MM-DD (found {value!r})",
                       Location(option))], lang=lang)


def _notice(engine: EngineName) -> None:
    notice = fallback_notice() if engine is EngineName.durable else None
    if notice:
        typer.echo(notice, err=True)


REVIEW_EXIT = {"keep": 0, "revoke": 1, "incomplete": 3}


@app.command()
def review(
    facts: Path = typer.Argument(..., help="The recognised commune's fact set for the year under review."),
    pack: str = typer.Option(..., "--pack", "-p", help="The pack the commune was recognised under."),
    fmt: Format = typer.Option(Format.text, "--format", "-f"),
    lang: Lang = typer.Option(Lang.vi, "--lang", "-l"),
    engine: EngineName = typer.Option(EngineName.durable, "--engine"),
    params: Path | None = typer.Option(None, "--params", help="Officer parameter values (ntmcert/params/v1)."),
) -> None:
    """Annual revocation check (QĐ 18/2022): keep (exit 0), revoke (exit 1) or incomplete (exit 3)."""
    from ntmcert.evaluation.review import review as run_review
    from ntmcert.render.review import render_review

    _notice(engine)
    try:
        library = default_library()
        factset = load_factset(facts, catalogue=library.catalogue)
        officer = _load_params(params, library) if params else None
        reviewed = library.get(pack)
        against = library.get(reviewed.review_against or reviewed.id)
        verdict = evaluate_pack(factset, against, get_engine(engine.value), officer=officer,
                                catalogue=library.catalogue, library=library)
        result = run_review(factset, reviewed.id, reviewed.doc.tier, verdict)
    except InputError as exc:
        _fail(exc.problems, fmt, lang.value)
    except PackNotFoundError as exc:
        _fail([Problem(exc.code, str(exc), Location("--pack"))], fmt, lang.value)
    sys.stdout.write(result.to_json() if fmt is Format.json else render_review(result, fmt.value, lang.value))
    raise typer.Exit(REVIEW_EXIT[result.outcome])


@app.command()
def validate(facts: Path = typer.Argument(..., help="A fact set to check."),
             lang: Lang = typer.Option(Lang.vi, "--lang", "-l", help="Language of the messages.")) -> None:
    """Check a fact set only (schema, catalogue, values); exit 0 when it is valid, 2 otherwise."""
    try:
        fs = load_factset(facts, catalogue=default_library().catalogue)
    except InputError as exc:
        _fail(exc.problems, lang=lang.value)
    line = Text("{file}: hợp lệ — {name}, {province}, số liệu đến ngày {as_of}; {facts} số liệu, {hamlets} ấp, "
                "sha256 {sha}",
                "{file}: valid — {name}, {province}, as of {as_of}; {facts} facts, {hamlets} hamlets, sha256 {sha}")
    typer.echo(printable(line.get(lang.value).format(file=facts, name=fs.commune.name, province=fs.commune.province,
                                           as_of=date_text(fs.as_of, lang.value), facts=len(fs.facts),
                                           hamlets=len(fs.hamlets), sha=fs.sha256)))


register_sheet_commands(app)  # ntmcert template / ntmcert batch (cli_sheets.py)
register_packtools(app)  # packs law / new / diff, params check (cli/packtools.py)
__import__("ntmcert.service.cli").service.cli.register(app)  # serve, keys, decisions, db (service/)
__import__("ntmcert.web.cli").web.cli.register(app)  # users (web/: the officers' accounts)


@packs_app.callback(invoke_without_command=True)
def packs(ctx: typer.Context,
          lang: Lang = typer.Option(Lang.vi, "--lang", "-l", help="Language of the list.")) -> None:
    """List the bundled packs."""
    if ctx.invoked_subcommand is not None:
        return
    words = {"national": Text("toàn quốc", "national"), "extends": Text("mở rộng", "extends"),
             "complete": Text("đầy đủ", "complete"), "partial": Text("chưa đầy đủ", "partial")}
    try:
        library = default_library()
        for p in library.all():
            scope = p.doc.scope
            where = scope.province or words["national"].get(lang.value)
            until = date_text(scope.valid_to, lang.value) if scope.valid_to else ""
            period = f"{date_text(scope.valid_from, lang.value)}..{until}"
            extra = f" {words['extends'].get(lang.value)} {p.doc.extends}" if p.doc.extends else ""
            typer.echo(f"{p.id}\tv{p.version}\t{p.doc.tier.value}\t{where}\t{period}\t"
                       f"{words[p.doc.completeness].get(lang.value)}{extra}\t{p.doc.title.get(lang.value)}")
    except InputError as exc:
        _fail(exc.problems, lang=lang.value)


class PackFormat(str, Enum):
    md = "md"
    json = "json"


@packs_app.command("show")
def packs_show(pack_id: str = typer.Argument(..., help="Pack id, e.g. tra-vinh/smart-commune."),
               fmt: PackFormat = typer.Option(PackFormat.md, "--format", "-f",
                                              help="md: a criteria table; json: the resolved pack."),
               lang: Lang = typer.Option(Lang.vi, "--lang", "-l")) -> None:
    """Print a pack's criteria with thresholds, layers and provenance."""
    from ntmcert.render.packdoc import pack_json, render_pack

    try:
        pack = default_library().get(pack_id)
    except (InputError, PackNotFoundError) as exc:
        _fail(exc.problems if isinstance(exc, InputError) else [Problem(exc.code, str(exc), Location(pack_id))],
              lang=lang.value)
    sys.stdout.write(render_pack(pack, lang.value) if fmt is PackFormat.md else pack_json(pack))


@packs_app.command("check")
def packs_check(path: Path = typer.Argument(..., help="A folder of packs (<id>/pack.yaml), like rules/."),
                lang: Lang = typer.Option(Lang.vi, "--lang", "-l", help="Language of the messages.")) -> None:
    """Check every pack under a folder: schema, layering, catalogue, prerequisites, engine names."""
    from ntmcert.packs.compiler import check_hash_collisions
    from ntmcert.packs.library import PackLibrary

    if not path.is_dir():
        _fail([Problem("pack_folder_missing", f"{path} is not a folder of packs", Location(str(path)))],
              lang=lang.value)
    problems: list[Problem] = []
    library = PackLibrary(root=path, catalogue=default_library().catalogue)
    for pack_id in library.ids():
        try:
            check_hash_collisions(library.get(pack_id))
        except InputError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
        except PackNotFoundError as exc:
            problems.append(Problem(exc.code, str(exc), Location(str(path))))
    if not library.ids():
        problems.append(Problem("pack_folder_empty", f"no <id>/pack.yaml under {path}", Location(str(path))))
    if problems:
        _fail(problems, lang=lang.value)
    typer.echo(Text("{path}: cả {n} bộ tiêu chí đều hợp lệ", "{n} packs OK under {path}").get(lang.value)
               .format(n=len(library.ids()), path=printable(str(path))))


@packs_app.command("docs")
def packs_docs(out: Path = typer.Option(Path("docs/criteria"), "--out", help="Folder to write into."),
               check: bool = typer.Option(False, "--check", help="Only report whether the folder is up to date "
                                          "(exit 1 when it is not)."),
               lang: Lang = typer.Option(Lang.vi, "--lang", "-l", help="Language of the messages (the tables are "
                                         "written in both).")) -> None:
    """Write the criteria tables of every bundled pack (vi and en) as Markdown files."""
    from ntmcert.render.packdoc import criteria_docs

    try:
        docs = criteria_docs(default_library())
    except InputError as exc:
        _fail(exc.problems, lang=lang.value)
    stale = [name for name, text in docs.items()
             if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != text]
    if check:
        for name in stale:
            typer.echo(PACK_WORDS["out_of_date"].get(lang.value).format(path=printable(str(out / name))), err=True)
        raise typer.Exit(1 if stale else 0)
    try:  # every target checked before the first is written: a file in place of a folder is not half-done
        check_output_folder(out, code="docs_bad_output")
        for name in stale:
            check_output_folder((out / name).parent, code="docs_bad_output")
            if (out / name).is_dir():
                where = Location(str(out / name), None, None, "--out")
                raise InputError([Problem("docs_bad_output", f"{out / name} is a folder", where)])
    except InputError as exc:
        _fail(exc.problems, lang=lang.value)
    for name in stale:
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:  # written whole or not at all
            tmp.write_text(docs[name], encoding="utf-8")
    typer.echo(PACK_WORDS["written"].get(lang.value).format(n=len(docs), out=printable(str(out)), updated=len(stale)))


EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in ntmcert, not in the input


def main() -> None:
    """Console-script entry point: no traceback reaches the user unless NTMCERT_DEBUG is set."""
    # The modules, classes and schemas imported so far live as long as the process: frozen, the
    # cyclic garbage collector never walks them again (at a cold start it spent ~20 ms on them
    # during the command, and ~50 ms more at exit, when the interpreter collects everything once).
    gc.freeze()
    try:
        app()
    except NtmcertError as exc:  # e.g. an engine failure: one clear line
        typer.echo(f"ntmcert: {exc.code}: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except Exception as exc:
        if os.environ.get("NTMCERT_DEBUG"):
            raise
        typer.echo(f"ntmcert: internal error: {type(exc).__name__}: {exc} "
                   "(this is a bug in ntmcert; set NTMCERT_DEBUG=1 to see the traceback)", err=True)
        sys.exit(EXIT_INTERNAL)
    finally:
        # the command is done (files are written and closed by then): the interpreter's last
        # collection need not walk what it made either. Nothing relies on a destructor at exit
        # (Python never promised one for objects alive then).
        gc.freeze()
