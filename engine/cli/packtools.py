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
from ntmcert.cli.common import Lang, _fail
from ntmcert.core.errors import InputError, Location, PackNotFoundError, Problem
from ntmcert.core.messages import problem_text
from ntmcert.core.text import Text, number, printable, provenance
from ntmcert.core.text import date as date_text


class DiffFormat(StrEnum):
    text = "text"
    json = "json"


LangOption = typer.Option(Lang.vi, "--lang", "-l", help="Language of the messages.")
WORDS = {
    "out_of_date": Text("chưa cập nhật: {path}", "out of date: {path}"),
    "not_produced": Text("không do các bộ tiêu chí sinh ra: {path}", "not produced by the packs: {path}"),
    "written": Text("{out}: {n} tệp, {updated} tệp được cập nhật", "{n} files in {out}, {updated} updated"),
    "extra": Text("; không do các bộ tiêu chí sinh ra: {names}", "; not produced by the packs: {names}"),
    "wrote": Text("Đã ghi {path}", "wrote {path}"),
    "next": Text("Tiếp theo: điền {pack}; rồi chạy `ntmcert packs check {out}`, `ntmcert packs docs`, "
                 "`ntmcert packs law` và các bài kiểm thử",
                 "next: fill in {pack}; then `ntmcert packs check {out}`, `ntmcert packs docs`, `ntmcert packs law` "
                 "and the tests"),
    "valid": Text("{file}: hợp lệ — {count} giá trị cho {n} tham số",
                  "{file}: valid — {count} value(s) for {n} parameter(s)"),
    "used_by": Text("  {name} (dùng trong {users})", "  {name} (used by {users})"),
    "from": Text("từ {date}", "from {date}"),
    "always": Text("luôn áp dụng", "always"),
    "region": Text("vùng {region}", "region {region}"),
    "every_region": Text("mọi vùng", "every region"),
    "override": Text(" (ghi đè)", " (override)"),
    "a_value": Text("một giá trị", "a value"),
    "unknown": Text("chưa rõ", "unknown"),
    "value": Text("    {value} {when}, {where} — {document} [{provenance}]{override}; thay cho {replaces}",
                  "    {value} {when}, {where} — {document} [{provenance}]{override}; replaces {replaces}"),
    "by_region": Text("    lưu ý: các bộ tiêu chí quy định {name} theo vùng; các giá trị này áp dụng cho mọi vùng",
                      "    note: the packs give {name} by region; these values apply to every region"),
}


def _write_folder(out: Path, docs: dict[str, str], check: bool, lang: str = "vi") -> int:
    """Write the files that changed (each whole or not at all, every target checked before the
    first is written); with `check`, only list them."""
    from ntmcert.core.files import atomic_path, check_output_folder

    stale = [name for name, text in docs.items()
             if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != text]
    extra = sorted(p.name for p in out.glob("*.md") if p.name not in docs) if out.is_dir() else []
    if check:
        for name in stale:
            typer.echo(WORDS["out_of_date"].get(lang).format(path=printable(str(out / name))), err=True)
        for name in extra:
            typer.echo(WORDS["not_produced"].get(lang).format(path=printable(str(out / name))), err=True)
        return 1 if stale or extra else 0
    try:
        check_output_folder(out, code="law_bad_output")
        for name in stale:
            if (out / name).is_dir():
                raise InputError([Problem("law_bad_output", f"{out / name} is a folder",
                                          Location(str(out / name), None, None, "--out"))])
    except InputError as exc:
        _fail(exc.problems, lang=lang)
    for name in stale:
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            tmp.write_text(docs[name], encoding="utf-8")
    line = WORDS["written"] + (WORDS["extra"] if extra else "")
    typer.echo(printable(line.get(lang).format(n=len(docs), out=out, updated=len(stale), names=", ".join(extra))))
    return 0


def packs_law(document: str | None = typer.Argument(None, help="Print one document's page (its id, number or "
                                                    "citation, e.g. 'QĐ 318/QĐ-TTg') instead of writing the folder."),
              out: Path = typer.Option(Path("docs/law"), "--out", help="Folder to write into."),
              check: bool = typer.Option(False, "--check", help="Only report whether every cited document has a "
                                         "page and the folder is up to date (exit 1 when not)."),
              lang: Lang = LangOption) -> None:
    """The legal sources the packs cite: one page per document (rules/law.yaml and the packs)."""
    from ntmcert.packs.legal_sources import check_citations, law_docs, load_register

    try:
        library = default_library()
        register = load_register()
        problems = check_citations(library, register)
        docs = law_docs(library, register)
    except InputError as exc:
        _fail(exc.problems, lang=lang.value)
    if document is not None:
        entry = register.get(document)
        if entry is None:
            return _fail([Problem("law_unknown_document", f"no legal source {document!r}; known: "
                           + ", ".join(repr(d.number) for d in register.documents))], lang=lang.value)
        sys.stdout.write(docs[f"{entry.id}.md"])
        return
    for p in problems:
        typer.echo(problem_text(p, lang.value), err=True)
    code = _write_folder(out, docs, check, lang.value)
    raise typer.Exit(1 if problems else code)


def packs_diff(a: str = typer.Argument(..., help="A pack id (bundled) or a pack folder / pack.yaml."),
               b: str = typer.Argument(..., help="The other pack: id, folder or pack.yaml."),
               fmt: DiffFormat = typer.Option(DiffFormat.text, "--format", "-f", help="text or json "
                                              "(ntmcert/pack-diff/v1)."),
               lang: Lang = LangOption) -> None:
    """List what changed from pack A to pack B: criteria, indicators, thresholds, operators, parameters,
    sources. Exit 0 when they are the same, 1 when they differ, 2 on bad input."""
    from ntmcert.evaluation.verdict import dumps
    from ntmcert.packs.diff import diff, load_for_diff, render_text, report

    try:
        library = default_library()
        pa, ra = load_for_diff(a, library)
        pb, rb = load_for_diff(b, library)
    except InputError as exc:
        _fail(exc.problems, lang=lang.value)
    except PackNotFoundError as exc:
        _fail([Problem(exc.code, str(exc))], lang=lang.value)
    changes = diff(pa, pb)
    sys.stdout.write(dumps(report(pa, ra, pb, rb, changes)) if fmt is DiffFormat.json
                     else render_text(pa, ra, pb, rb, changes, lang.value))
    raise typer.Exit(1 if changes else 0)


def packs_new(extends: str = typer.Option(..., "--extends", help="The national pack the overlay extends, "
                                          "e.g. vn/ntm-2021-2025."),
              province: str = typer.Option(..., "--province", help="The province, as fact sets write it "
                                           "(e.g. 'Trà Vinh')."),
              pack_id: str | None = typer.Option(None, "--id", help="The new pack's id (default: "
                                                    "<province>/<the extended pack's name>)."),
              out: Path = typer.Option(Path("rules"), "--out", help="The rules folder to write into."),
              lang: Lang = LangOption) -> None:
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
        _fail(exc.problems, lang=lang.value)
    except PackNotFoundError as exc:
        _fail([Problem(exc.code, str(exc))], lang=lang.value)
    for path in written:
        typer.echo(printable(WORDS["wrote"].get(lang.value).format(path=path)))
    typer.echo(printable(WORDS["next"].get(lang.value).format(pack=out / made.pack_id / "pack.yaml", out=out)))


def params_check(file: Path = typer.Argument(..., help="An officer parameter file (ntmcert/params/v1)."),
                 lang: Lang = LangOption) -> None:
    """Check an officer parameter file against the bundled packs: exit 0 when valid (and show what each
    value would replace), 2 with every problem located otherwise."""
    from ntmcert.packs.params import load_params

    words = {key: text.get(lang.value) for key, text in WORDS.items()}
    try:
        library = default_library()
        values = load_params(file, library)
    except InputError as exc:
        _fail(exc.problems, lang=lang.value)
    declared: dict[str, list[tuple[Any, Any]]] = {}
    for pack in library.all():
        for name, param in pack.parameters.items():
            if param.layer == pack.id:  # where it is declared, not every pack inheriting it
                declared.setdefault(name, []).append((pack, param))
    count = sum(len(v) for v in values.values())
    typer.echo(printable(words["valid"].format(file=file, count=count, n=len(values))))
    for name in sorted(values):
        users = ", ".join(sorted({p.id for p in library.all() if name in p.parameters}))
        typer.echo(words["used_by"].format(name=name, users=users))
        regional = any(v.by_region is not None for _, param in declared.get(name, []) for v in param.spec.values)
        for v in sorted(values[name], key=lambda v: (v.valid_from or dt.date.min,
                                                     v.region.value if v.region else "")):
            # the English line keeps the ISO date and the provenance code its tests and readers grep for
            day = Text(date_text(v.valid_from, "vi"), v.valid_from.isoformat()) if v.valid_from else None
            when = words["from"].format(date=day.get(lang.value)) if day else words["always"]
            where = words["region"].format(region=v.region.value) if v.region else words["every_region"]
            replaces = [f"{pack.id}: {words['a_value'] if param.spec.values else words['unknown']}"
                        for pack, param in declared.get(name, [])]
            sure = Text(provenance(v.source.provenance.value, "vi"), v.source.provenance.value).get(lang.value)
            shown = Text(number(v.value, "vi", places=6), str(v.value)).get(lang.value)  # 1.362 in Vietnamese
            typer.echo(words["value"].format(value=shown, when=when, where=where,
                                             document=printable(v.source.document), provenance=sure,
                                             override=words["override"] if v.override else "",
                                             replaces="; ".join(replaces) or "—"))
        if regional and all(v.region is None for v in values[name]):
            typer.echo(words["by_region"].format(name=name))


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
