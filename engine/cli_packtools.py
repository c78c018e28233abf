"""Commands for pack maintainers: `packs law`, `packs new`, `packs diff`, `params check`.

Kept apart from cli.py (wired there by one `register(app)` call); the work is done in
legal_sources, pack_scaffold, pack_diff and params.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from .api import default_library
from .cli_common import _fail
from .errors import InputError, PackNotFoundError, Problem


class DiffFormat(str, Enum):
    text = "text"
    json = "json"


def _write_folder(out: Path, docs: dict[str, str], check: bool) -> int:
    """Write the files that changed (each whole or not at all); with `check`, only list them."""
    stale = [name for name, text in docs.items()
             if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != text]
    extra = sorted(p.name for p in out.glob("*.md") if p.name not in docs) if out.is_dir() else []
    if check:
        for name in stale:
            typer.echo(f"out of date: {out / name}", err=True)
        for name in extra:
            typer.echo(f"not produced by the packs: {out / name}", err=True)
        return 1 if stale or extra else 0
    for name in stale:
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(docs[name], encoding="utf-8")
        tmp.replace(target)
    typer.echo(f"{len(docs)} files in {out}, {len(stale)} updated"
               + (f"; not produced by the packs: {', '.join(extra)}" if extra else ""))
    return 0


def packs_law(document: Optional[str] = typer.Argument(None, help="Print one document's page (its id, number or "
                                                       "citation, e.g. 'QĐ 318/QĐ-TTg') instead of writing the folder."),
              out: Path = typer.Option(Path("docs/law"), "--out", help="Folder to write into."),
              check: bool = typer.Option(False, "--check", help="Only report whether every cited document has a "
                                         "page and the folder is up to date (exit 1 when not).")) -> None:
    """The legal sources the packs cite: one page per document (rules/law.yaml and the packs)."""
    from .legal_sources import check_citations, law_docs, load_register

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
            _fail([Problem("law_unknown_document", f"no legal source {document!r}; known: "
                           + ", ".join(d.number for d in register.documents))])
        sys.stdout.write(docs[f"{entry.id}.md"])
        return
    for p in problems:
        typer.echo(str(p), err=True)
    code = _write_folder(out, docs, check)
    raise typer.Exit(1 if problems else code)


def register(app: typer.Typer) -> None:
    """Add the maintainer commands to the `packs` group of `app` (and a `params` group)."""
    packs_app = next(g.typer_instance for g in app.registered_groups if g.name == "packs")
    packs_app.command("law")(packs_law)


__all__ = ["register", "PackNotFoundError"]
