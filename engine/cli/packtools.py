"""Commands for pack maintainers: `packs law`, `packs new`, `packs diff`, `params check`.

Kept apart from cli/main.py (wired there by one `register(app)` call); the work is done in
ntmcert.packs: legal_sources, scaffold, diff and params.
"""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from ntmcert.api import default_library
from ntmcert.cli.common import _fail
from ntmcert.core.errors import InputError, Location, PackNotFoundError, Problem


class DiffFormat(StrEnum):
    text = "text"
    json = "json"


def _write_folder(out: Path, docs: dict[str, str], check: bool) -> int:
    """Write the files that changed (each whole or not at all, every target checked before the
    first is written); with `check`, only list them."""
    from ntmcert.core.files import atomic_path, check_output_folder

    stale = [name for name, text in docs.items()
             if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != text]
    extra = sorted(p.name for p in out.glob("*.md") if p.name not in docs) if out.is_dir() else []
    if check:
        for name in stale:
            typer.echo(f"out of date: {out / name}", err=True)
        for name in extra:
            typer.echo(f"not produced by the packs: {out / name}", err=True)
        return 1 if stale or extra else 0
    try:
        check_output_folder(out, code="law_bad_output")
        for name in stale:
            if (out / name).is_dir():
                raise InputError([Problem("law_bad_output", f"{out / name} is a folder",
                                          Location(str(out / name), None, None, "--out"))])
    except InputError as exc:
        _fail(exc.problems)
    for name in stale:
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            tmp.write_text(docs[name], encoding="utf-8")
    typer.echo(f"{len(docs)} files in {out}, {len(stale)} updated"
               + (f"; not produced by the packs: {', '.join(extra)}" if extra else ""))
    return 0


def packs_law(document: str | None = typer.Argument(None, help="Print one document's page (its id, number or "
                                                    "citation, e.g. 'QĐ 318/QĐ-TTg') instead of writing the folder."),
              out: Path = typer.Option(Path("docs/law"), "--out", help="Folder to write into."),
              check: bool = typer.Option(False, "--check", help="Only report whether every cited document has a "
                                         "page and the folder is up to date (exit 1 when not).")) -> None:
    """The legal sources the packs cite: one page per document (rules/law.yaml and the packs)."""
    from ntmcert.packs.legal_sources import check_citations, law_docs, load_register

    try:
        library = default_library()
        register = load_register()
        problems = check_citations(library, register)
        docs = law_docs(library, register)
    except InputError as exc:
        _fail(exc.problems)
    if document is not None:
        entry = register.get(document)
        if entry is None:
            return _fail([Problem("law_unknown_document", f"no legal source {document!r}; known: "
                           + ", ".join(d.number for d in register.documents))])
        sys.stdout.write(docs[f"{entry.id}.md"])
        return
    for p in problems:
        typer.echo(str(p), err=True)
    code = _write_folder(out, docs, check)
    raise typer.Exit(1 if problems else code)


def packs_diff(a: str = typer.Argument(..., help="A pack id (bundled) or a pack folder / pack.yaml."),
               b: str = typer.Argument(..., help="The other pack: id, folder or pack.yaml."),
               fmt: DiffFormat = typer.Option(DiffFormat.text, "--format", "-f", help="text or json "
                                              "(ntmcert/pack-diff/v1).")) -> None:
    """List what changed from pack A to pack B: criteria, indicators, thresholds, operators, parameters,
    sources. Exit 0 when they are the same, 1 when they differ, 2 on bad input."""
    from ntmcert.evaluation.verdict import dumps
    from ntmcert.packs.diff import diff, load_for_diff, render_text, report

    try:
        library = default_library()
        pa, ra = load_for_diff(a, library)
        pb, rb = load_for_diff(b, library)
    except InputError as exc:
        _fail(exc.problems)
    except PackNotFoundError as exc:
        _fail([Problem(exc.code, str(exc))])
    changes = diff(pa, pb)
    sys.stdout.write(dumps(report(pa, ra, pb, rb, changes)) if fmt is DiffFormat.json
                     else render_text(pa, ra, pb, rb, changes))
    raise typer.Exit(1 if changes else 0)


def packs_new(extends: str = typer.Option(..., "--extends", help="The national pack the overlay extends, "
                                          "e.g. vn/ntm-2021-2025."),
              province: str = typer.Option(..., "--province", help="The province, as fact sets write it "
                                           "(e.g. 'Trà Vinh')."),
              pack_id: str | None = typer.Option(None, "--id", help="The new pack's id (default: "
                                                    "<province>/<the extended pack's name>)."),
              out: Path = typer.Option(Path("rules"), "--out", help="The rules folder to write into.")) -> None:
    """Scaffold a provincial overlay: pack.yaml, tests/cases.yaml and tests/edges.yaml."""
    from ntmcert.core.files import check_output_folder
    from ntmcert.packs.library import PackLibrary
    from ntmcert.packs.scaffold import scaffold, write

    try:
        check_output_folder(out, code="scaffold_bad_output")
        bundled = default_library()
        # the new pack must resolve in the folder it is written to; when that folder has no copy of the
        # extended pack, the bundled one is checked (and its ledger copied)
        library = PackLibrary(root=out, catalogue=bundled.catalogue) if (out / extends / "pack.yaml").is_file() \
            else bundled
        made = scaffold(library, extends, province, pack_id)
        written = write(made, out)
    except InputError as exc:
        _fail(exc.problems)
    except PackNotFoundError as exc:
        _fail([Problem(exc.code, str(exc))])
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(f"next: fill in {out / made.pack_id / 'pack.yaml'}; then `ntmcert packs check {out}`, "
               "`ntmcert packs docs`, `ntmcert packs law` and the tests")


def params_check(file: Path = typer.Argument(..., help="An officer parameter file (ntmcert/params/v1).")) -> None:
    """Check an officer parameter file against the bundled packs: exit 0 when valid (and show what each
    value would replace), 2 with every problem located otherwise."""
    from ntmcert.core.text import printable
    from ntmcert.packs.params import load_params

    try:
        library = default_library()
        values = load_params(file, library)
    except InputError as exc:
        _fail(exc.problems)
    declared: dict[str, list[tuple[Any, Any]]] = {}
    for pack in library.all():
        for name, param in pack.parameters.items():
            if param.layer == pack.id:  # where it is declared, not every pack inheriting it
                declared.setdefault(name, []).append((pack, param))
    count = sum(len(v) for v in values.values())
    typer.echo(f"{file}: valid — {count} value(s) for {len(values)} parameter(s)")
    for name in sorted(values):
        users = ", ".join(sorted({p.id for p in library.all() if name in p.parameters}))
        typer.echo(f"  {name} (used by {users})")
        regional = any(v.by_region is not None for _, param in declared.get(name, []) for v in param.spec.values)
        for v in sorted(values[name], key=lambda v: (v.valid_from or dt.date.min,
                                                     v.region.value if v.region else "")):
            when = f"from {v.valid_from.isoformat()}" if v.valid_from else "always"
            where = f"region {v.region.value}" if v.region else "every region"
            replaces = [f"{pack.id}: {'a value' if param.spec.values else 'unknown'}"
                        for pack, param in declared.get(name, [])]
            typer.echo(f"    {v.value} {when}, {where} — {printable(v.source.document)} [{v.source.provenance.value}]"
                       f"{' (override)' if v.override else ''}; replaces {'; '.join(replaces) or '—'}")
        if regional and all(v.region is None for v in values[name]):
            typer.echo(f"    note: the packs give {name} by region; these values apply to every region")


def register(app: typer.Typer) -> None:
    """Add the maintainer commands to the `packs` group of `app` (and a `params` group)."""
    packs_app = next(g.typer_instance for g in app.registered_groups if g.name == "packs")
    if packs_app is None:  # cli/main.py adds the group before registering these commands
        raise RuntimeError("the packs command group is missing")
    packs_app.command("law")(packs_law)
    packs_app.command("diff")(packs_diff)
    packs_app.command("new")(packs_new)
    params_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                             help="Officer parameter files (ntmcert/params/v1).")
    params_app.command("check")(params_check)
    app.add_typer(params_app, name="params")


__all__ = ["PackNotFoundError", "register"]
