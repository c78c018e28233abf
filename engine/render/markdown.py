"""Markdown report: the same content as the text report, for dossiers and issue trackers."""

from __future__ import annotations

from ntmcert.evaluation.verdict import Verdict
from ntmcert.render.common import (HEAD, STATUS, SYMBOL, VERDICT, display, leaves, missing_fact_rows, ordered_criteria,
                     source_text, t)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(verdicts: list[Verdict], lang: str = "vi") -> str:
    return "\n".join(_one(v, lang) for v in verdicts)


def _one(v: Verdict, lang: str) -> str:
    c = v.commune
    where = ", ".join(x for x in (c["name"], c.get("district"), c["province"]) if x)
    out = [f"# {v.pack['title'][lang]}", "",
           f"- **{t(HEAD, 'commune', lang)}:** {where}",
           f"- **{t(HEAD, 'as_of', lang)}:** {v.as_of}",
           f"- **{t(HEAD, 'pack', lang)}:** `{v.pack['id']}` v{v.pack['version']} (sha256 `{v.pack['sha256'][:16]}…`)",
           f"- **{t(HEAD, 'region', lang)}:** {v.region['used']} — {v.region['reason'][lang]}",
           *([f"- **{'Nhóm xã' if lang == 'vi' else 'Commune group'}:** {v.region['commune_group']['reason'][lang]}"]
             if "commune_group" in v.region else []),
           f"- **{t(HEAD, 'engine', lang)}:** {v.engine['name']} {v.engine['version']}",
           f"- **{t(HEAD, 'factset', lang)}:** `{v.factset_sha256[:16]}…`", "",
           f"**{t(HEAD, 'verdict', lang)}: {t(VERDICT, v.verdict, lang)}**", ""]
    for note in v.notes:
        out += [f"> {note.get(lang)}", ""]
    if v.prerequisites:
        out += [f"## {t(HEAD, 'prerequisites', lang)}", ""]
        out += [f"- **{t(STATUS, p.status, lang)}** `{p.id}` ({p.tier}): {p.explanation.get(lang)}"
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
                           f"{op} {_cell(display(leaf.threshold, lang, ''))} | {_cell(display(leaf.margin, lang, ''))} | "
                           f"{_cell(display(leaf.to_pass, lang, ''))} | {_cell(source_text(leaf.source))} |")
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
