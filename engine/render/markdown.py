"""Markdown report: the same content as the text report, for dossiers and issue trackers."""

from __future__ import annotations

from ntmcert.core.text import Text, iso_or_local
from ntmcert.evaluation.verdict import Verdict
from ntmcert.render.common import (
    HEAD,
    STATUS,
    SUMMARY,
    SYMBOL,
    VERDICT,
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

GROUP = Text("Nhóm xã", "Commune group")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(verdicts: list[Verdict], lang: str = "vi") -> str:
    head = summary_md(verdicts, lang) if len(verdicts) > 1 else ""
    return head + "\n".join(_one(v, lang) for v in verdicts)


def summary_md(verdicts: list[Verdict], lang: str) -> str:
    out = [f"# {SUMMARY['title'].get(lang)}", ""]
    for heading, rows in summary_groups(verdicts, lang):
        if heading:
            out += [f"**{heading}**", ""]
        out += ["| " + " | ".join(summary_heads(lang)) + " |", "|---|---|---|---|---|"]
        out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
        out.append("")
    return "\n".join(out) + "\n"


def _one(v: Verdict, lang: str) -> str:
    c = v.commune
    where = ", ".join(x for x in (c["name"], c.get("district"), c["province"]) if x)
    out = [f"# {v.pack['title'][lang]}", "",
           f"- **{t(HEAD, 'commune', lang)}:** {where}",
           f"- **{t(HEAD, 'as_of', lang)}:** {iso_or_local(v.as_of, lang)}",
           f"- **{t(HEAD, 'pack', lang)}:** `{v.pack['id']}` v{v.pack['version']} (sha256 `{v.pack['sha256'][:16]}…`)",
           f"- **{t(HEAD, 'region', lang)}:** {v.region['used']} — {v.region['reason'][lang]}",
           *([f"- **{GROUP.get(lang)}:** {v.region['commune_group']['reason'][lang]}"]
             if "commune_group" in v.region else []),
           f"- **{t(HEAD, 'engine', lang)}:** {v.engine['name']} {v.engine['version']}",
           f"- **{t(HEAD, 'factset', lang)}:** `{v.factset_sha256[:16]}…`", "",
           f"**{t(HEAD, 'verdict', lang)}: {t(VERDICT, v.verdict, lang)}**", ""]
    for note in v.notes:
        out += [f"> {note.get(lang)}", ""]
    if v.prerequisites:
        out += [f"## {t(HEAD, 'prerequisites', lang)}", ""]
        out += [f"- **{t(STATUS, p.status, lang)}** `{p.id}` ({tier_name(p.tier, lang)}): {p.explanation.get(lang)}"
                for p in v.prerequisites]
        out.append("")
    for crit in ordered_criteria(v):
        # one table per criterion: its indicators, and under them their alternatives and hamlets
        out += [f"## {_cell(crit.title.get(lang))} (`{crit.id}`) — {t(STATUS, crit.status, lang)}", "",
                f"| {t(HEAD, 'status', lang)} | {t(HEAD, 'indicator', lang)} | {t(HEAD, 'actual', lang)} | "
                f"{t(HEAD, 'threshold', lang)} | {t(HEAD, 'margin', lang)} | {t(HEAD, 'to_pass', lang)} | "
                f"{t(HEAD, 'source', lang)} |",
                "|---|---|---|---|---|---|---|"]
        for ind in crit.indicators:
            for hamlet, leaf in [(None, ind)] + (leaves(ind) if (ind.hamlets or ind.alternatives) else []):
                name = ("↳ " if leaf is not ind else "") + leaf.id + (f" [{hamlet}]" if hamlet else "")
                op = SYMBOL.get(leaf.op or "", "")
                out.append(f"| {t(STATUS, leaf.status, lang)} | {_cell(name)} | {_cell(display(leaf.actual, lang))} | "
                           f"{op} {_cell(display(leaf.threshold, lang, ''))} | "
                           f"{_cell(display(leaf.margin, lang, ''))} | "
                           f"{_cell(display(leaf.to_pass, lang, ''))} | {_cell(source_text(leaf.source, lang))} |")
        if crit.note:
            out += ["", f"> {crit.note.get(lang)}"]
        out.append("")
    missing = missing_fact_rows(v, lang)
    if missing:
        out += [f"## {t(HEAD, 'collect', lang)}", ""]
        out += [f"- `{ref}` — {label}" + (f" ({t(HEAD, 'decides', lang)} {users})" if users else "")
                for ref, label, users in missing]
    out.append("")
    return "\n".join(out)
