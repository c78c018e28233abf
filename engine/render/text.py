"""Terminal report: one table per pack, a line per criterion (failing and missing first), then the
indicators that need attention and the facts to collect."""

from __future__ import annotations

import io
import sys

from ntmcert.core.text import iso_or_local, printable
from ntmcert.evaluation.verdict import Verdict
from ntmcert.render.common import (
    HEAD,
    STATUS,
    SUMMARY,
    SYMBOL,
    VERDICT,
    attention,
    display,
    leaves,
    missing_fact_rows,
    ordered_criteria,
    source_text,
    summary_groups,
    summary_heads,
    t,
    tier_name,
)
from rich.console import Console
from rich.table import Table
from rich.text import Text as RichText

STYLE = {"pass": "green", "fail": "bold red", "missing": "yellow", "undecidable": "magenta",
         "incomplete": "yellow", "not_applicable": "dim", "certified": "bold green",
         "not_certified": "bold red"}


class _Console(Console):
    """Every text printed is escaped first (core.text.printable): a control character in a name
    never reaches the terminal, and the layout is measured on what is shown."""

    def render_str(self, text: str, **kwargs):
        return super().render_str(printable(text, lines=True), **kwargs)


DEFAULT_WIDTH = 120  # when the output is not a terminal and COLUMNS is not set: files keep long lines
MIN_WIDTH = 60


def terminal_width() -> int:
    """COLUMNS, else the terminal's width, else DEFAULT_WIDTH (a pipe or a file)."""
    import os
    import shutil

    if os.environ.get("COLUMNS", "").strip().isdigit() or sys.stdout.isatty():
        return max(MIN_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    return DEFAULT_WIDTH


def render(verdicts: list[Verdict], lang: str = "vi", *, color: bool = False, width: int = DEFAULT_WIDTH) -> str:
    buffer = io.StringIO()
    console = _Console(file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False,
                      markup=False, emoji=False)  # data may contain [brackets] or :codes:: print them as given
    if len(verdicts) > 1:
        _summary(console, verdicts, lang)
    for i, verdict in enumerate(verdicts):
        if i or len(verdicts) > 1:
            console.print()
        _one(console, verdict, lang)
    return buffer.getvalue()


def _summary(console: Console, verdicts: list[Verdict], lang: str) -> None:
    console.rule(SUMMARY["title"].get(lang))
    for heading, rows in summary_groups(verdicts, lang):
        if heading:
            console.print(heading)
        table = Table(show_lines=False, expand=False)
        for head in summary_heads(lang):
            table.add_column(head, overflow="fold")
        for row in rows:
            verdict_style = STYLE.get(next((k for k, v in VERDICT.items() if v.get(lang) == row[2]), ""), "yellow")
            table.add_row(row[0], row[1], RichText(row[2], style=verdict_style), row[3], row[4])
        console.print(table)


def _one(console: Console, v: Verdict, lang: str) -> None:
    title = v.pack["title"][lang]
    console.rule(f"{v.pack['id']} {v.pack['version']} — {title}")
    commune = v.commune
    where = ", ".join(x for x in (commune["name"], commune.get("district"), commune["province"]) if x)
    console.print(f"{t(HEAD, 'commune', lang)}: {where} · {t(HEAD, 'as_of', lang)}: {iso_or_local(v.as_of, lang)} · "
                  f"{t(HEAD, 'region', lang)}: {v.region['used']}")
    console.print(f"{t(HEAD, 'pack', lang)}: {v.pack['id']} v{v.pack['version']} sha256 {v.pack['sha256'][:16]}… · "
                  f"{t(HEAD, 'engine', lang)}: {v.engine['name']} {v.engine['version']}")
    if v.region["used"] != v.region["own"] or v.region.get("provenance") != "official":
        console.print(f"  {v.region['reason'][lang]}")
    if "commune_group" in v.region:
        console.print(f"  {v.region['commune_group']['reason'][lang]}")
    line = RichText(f"{t(HEAD, 'verdict', lang)}: ")  # styled via Text objects, not markup
    line.append(t(VERDICT, v.verdict, lang), style=STYLE.get(v.verdict, "yellow"))
    console.print(line)
    for note in v.notes:
        console.print(f"  ! {note.get(lang)}")
    if v.prerequisites:
        console.print(f"{t(HEAD, 'prerequisites', lang)}:")
        for p in v.prerequisites:
            console.print(f"  [{t(STATUS, p.status, lang)}] {p.id} ({tier_name(p.tier, lang)}): "
                          f"{p.explanation.get(lang)}")
    table = Table(show_lines=False, expand=False)
    for col in ("status", "criterion", "indicator", "to_pass"):
        table.add_column(t(HEAD, col, lang))
    for crit in ordered_criteria(v):
        counts: dict[str, int] = {}
        for ind in crit.indicators:
            counts[ind.status] = counts.get(ind.status, 0) + 1
        summary = " · ".join(f"{n} {t(STATUS, s, lang).lower()}" for s, n in sorted(counts.items()))
        blockers = [i for i in crit.indicators if i.status != "pass"]
        hint = display(blockers[0].to_pass, lang, "") if blockers else ""
        table.add_row(RichText(t(STATUS, crit.status, lang), style=STYLE[crit.status]),
                      f"{crit.id} — {crit.title.get(lang)}", summary, hint)
    console.print(table)
    rows = attention(v)
    if rows:
        console.print(f"{t(HEAD, 'details', lang)}:")
        for _crit, ind in rows:
            for hamlet, leaf in leaves(ind, open_only=True):
                if leaf.status == "pass":
                    continue
                where = f" [{hamlet}]" if hamlet else ""
                actual = display(leaf.actual, lang)
                thr = display(leaf.threshold, lang)
                op = SYMBOL.get(leaf.op or "", leaf.op or "")
                console.print(f"  [{t(STATUS, leaf.status, lang)}] {leaf.id}{where}: {actual} {op} {thr}"
                              + (f" — {display(leaf.to_pass, lang, '')}" if leaf.to_pass else "")
                              + (f" ({source_text(leaf.source, lang)})" if leaf.source else ""))
    missing = missing_fact_rows(v, lang)
    if missing:
        console.print(f"{t(HEAD, 'collect', lang)}:")
        for ref, label, users in missing:
            console.print(f"  - {ref}: {label}" + (f" → {users}" if users else ""))
