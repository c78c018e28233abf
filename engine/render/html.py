"""Printable HTML report: one self-contained HTML5 document (embedded CSS, no scripts, nothing
fetched) with a section per verdict, a table per criterion and the facts to collect.

The same content as the Markdown report, laid out for A4 paper: every status has a text label
and a border style as well as a colour, so a greyscale print still reads. Same verdicts, same
bytes: nothing here reads a clock or an object's identity.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from ntmcert.evaluation.verdict import CriterionResult, IndicatorResult, Verdict
from ntmcert.core.vocab import REGION_NAMES
from ntmcert.render.common import (HEAD, STATUS, SYMBOL, VERDICT, display, leaves, missing_fact_rows, ordered_criteria,
                     source_text, t)

# labels only this report needs (vi, en)
LABEL = {
    "report": ("Báo cáo đánh giá xã nông thôn mới", "New-rural commune assessment report"),
    "commune_group": ("Nhóm xã", "Commune group"),
    "own_region": ("vùng của xã", "commune's own region"),
    "tier": ("Hạng", "Tier"),
    "layers": ("Các lớp", "Layers"),
    "key": ("tiêu chí then chốt", "key criterion"),
    "require_all": ("cần đạt tất cả chỉ tiêu", "every indicator must pass"),
    "require_at_least": ("cần đạt ít nhất {k} chỉ tiêu", "at least {k} indicators must pass"),
    "hamlet": ("Ấp", "Hamlet"),
    "fact": ("Số liệu", "Fact"),
    "label": ("Nội dung", "What"),
    "decides": ("Dùng cho chỉ tiêu", "Decides"),
    "satisfied_by": ("Căn cứ công nhận", "Satisfied by"),
    "none_missing": ("Không thiếu số liệu nào.", "No fact is missing."),
    "partial": ("chưa đầy đủ", "partial"),
    "option": ("Phương án {n}", "Option {n}"),
}
REGION = REGION_NAMES
# a mark beside every status label, so status never rests on colour alone
MARK = {"pass": "✓", "fail": "✗", "missing": "?", "undecidable": "~", "incomplete": "◐",
        "not_applicable": "–", "certified": "✓", "not_certified": "✗"}  # verdict "incomplete": as a criterion's

CSS = """\
@page { size: A4; margin: 15mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: #111; background: #fff; font-size: 10.5pt; line-height: 1.35;
  font-family: "Noto Sans", "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
@media screen { body { max-width: 210mm; margin: 0 auto; padding: 10mm; } }
section.verdict + section.verdict { break-before: page; page-break-before: always; }
h1 { font-size: 15pt; margin: 0 0 1mm; }
h2 { font-size: 12pt; margin: 5mm 0 2mm; border-bottom: 0.4mm solid #555; padding-bottom: 0.5mm;
  break-after: avoid; page-break-after: avoid; }
.report-kind { font-size: 9pt; text-transform: uppercase; letter-spacing: 0.05em; color: #444; margin: 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.6mm 4mm; margin: 3mm 0; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
.muted { color: #444; }
code, .id { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 0.9em; }
p.verdict-line { font-size: 17pt; font-weight: bold; margin: 4mm 0; padding: 2.5mm 4mm;
  border: 0.8mm solid #333; break-inside: avoid; }
p.verdict-line .label { font-weight: normal; font-size: 12pt; }
p.verdict-line.verdict-certified { color: #0b5d1e; background: #e6f4ea; border-style: double; border-width: 1.6mm; }
p.verdict-line.verdict-not-certified { color: #fff; background: #8b1010; border-color: #000; }
p.verdict-line.verdict-incomplete { color: #5c3b00; background: #fff4d6; border-style: dashed; border-color: #7a5200; }
ul.prereqs { list-style: none; padding: 0; margin: 0; }
ul.prereqs li { margin: 0 0 2mm; break-inside: avoid; }
ul.notes { padding-left: 5mm; margin: 0; }
ul.notes li { margin: 0 0 1.5mm; }
.status { display: inline-block; font-weight: bold; padding: 0 1.2mm;
  border: 0.3mm solid #555; border-radius: 0.8mm; font-size: 9pt; }
.status-pass { color: #0b5d1e; background: #e6f4ea; border-color: #0b5d1e; }
.status-fail { color: #fff; background: #8b1010; border-color: #000; }
.status-missing { color: #5c3b00; background: #fff4d6; border-style: dashed; border-color: #7a5200; }
.status-undecidable { color: #4a1a6b; background: #f1e8f8; border-style: dotted; border-color: #4a1a6b; }
.status-incomplete { color: #5c3b00; background: #fff4d6; border-style: dashed; border-color: #7a5200; }
.status-not-applicable { color: #444; background: #f2f2f2; border-color: #999; font-weight: normal; }
table { width: 100%; border-collapse: collapse; margin: 0 0 4mm; font-size: 9.5pt; }
table.criterion { table-layout: fixed; }
caption { caption-side: top; text-align: left; font-weight: bold; font-size: 10.5pt; padding: 1.5mm 0;
  break-after: avoid; page-break-after: avoid; }
caption .require { font-weight: normal; font-size: 9pt; color: #444; }
thead { display: table-header-group; }
th, td { border: 0.25mm solid #888; padding: 0.8mm 1.2mm; vertical-align: top; text-align: left;
  overflow-wrap: break-word; }
th { background: #e8e8e8; font-size: 8.5pt; }
tr { break-inside: avoid; page-break-inside: avoid; }
table.criterion col.c-status { width: 11%; }
table.criterion col.c-indicator { width: 26%; }
table.criterion col.c-actual { width: 13%; }
table.criterion col.c-threshold { width: 11%; }
table.criterion col.c-margin { width: 9%; }
table.criterion col.c-to-pass { width: 15%; }
table.criterion col.c-source { width: 15%; }
tr.row-hamlet td { background: #f4f4f4; font-style: italic; }
tr.depth-1 td.cell-indicator { padding-left: 3mm; }
tr.depth-2 td.cell-indicator { padding-left: 5mm; }
.alt-mark { display: block; font-size: 8pt; font-style: italic; color: #444; }
td.cell-indicator .title { display: block; }
td.cell-source { font-size: 8.5pt; }
td.cell-indicator .id { font-size: 8pt; }
table.facts { table-layout: fixed; }
table.facts code, table.facts .id { font-size: 8pt; }
table.facts col.f-fact { width: 33%; }
table.facts col.f-label { width: 37%; }
table.facts col.f-decides { width: 30%; }
a { color: #0a3d8f; }
@media print { a[href]::after { content: " (" attr(href) ")"; font-size: 8pt; overflow-wrap: anywhere; } }
"""


def render(verdicts: list[Verdict], lang: str = "vi") -> str:
    """The whole HTML document for these verdicts, each a section (a page break between them)."""
    lang = "vi" if lang == "vi" else "en"
    if verdicts:
        c = verdicts[0].commune
        title = f"{_lab('report', lang)} — {c['name']}"
    else:
        title = _lab("report", lang)
    body = "\n".join(_verdict(v, i, lang) for i, v in enumerate(verdicts, 1))
    return ("<!DOCTYPE html>\n"
            f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def _e(text: object) -> str:
    return escape("" if text is None else str(text), quote=True)


def _cls(value: str) -> str:
    """A status as a CSS class word: `not_certified` → `not-certified`."""
    return "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in value.lower())


def _lab(key: str, lang: str) -> str:
    return LABEL[key][0] if lang == "vi" else LABEL[key][1]


def _status(status: str, lang: str) -> str:
    return (f'<span class="status status-{_cls(status)}">{MARK.get(status, "")} '
            f"{_e(t(STATUS, status, lang))}</span>")


def _safe_url(url: str | None) -> str | None:
    """A source link only for a plain web address; anything else (javascript:, data:) stays text."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _source(source: dict | None) -> str:
    if not source:
        return ""
    text = source_text(source)
    provenance = f" [{source['provenance']}]"
    main = text[:-len(provenance)] if text.endswith(provenance) else text
    url = _safe_url(source.get("url"))
    shown = f'<a href="{_e(url)}">{_e(main)}</a>' if url else _e(main)
    if source.get("url") and not url:
        shown += f" <span class=\"muted\">({_e(source['url'])})</span>"
    return f'{shown} <span class="provenance">[{_e(source["provenance"])}]</span>'


def _verdict(v: Verdict, index: int, lang: str) -> str:
    c = v.commune
    where = ", ".join(x for x in (c["name"], c.get("district"), c["province"]) if x)
    region = v.region
    used = region["used"]
    region_name = REGION.get(used)
    region_text = _e(used) + (f" ({_e(region_name[0] if lang == 'vi' else region_name[1])})" if region_name else "")
    if region.get("own") and region["own"] != used:
        region_text += f' <span class="muted">— {_e(_lab("own_region", lang))}: {_e(region["own"])}</span>'
    pack = v.pack
    pack_text = (f'<span class="id">{_e(pack["id"])}</span> v{_e(pack["version"])} · {_e(_lab("tier", lang))}: '
                 f'{_e(pack.get("tier", ""))} · sha256 <code>{_e(pack["sha256"][:16])}…</code>')
    if pack.get("completeness") == "partial":
        pack_text += f" · {_e(_lab('partial', lang))}"
    meta = [(t(HEAD, "commune", lang), _e(where)),
            (t(HEAD, "as_of", lang), _e(v.as_of)),
            (t(HEAD, "pack", lang), pack_text)]
    if len(pack.get("chain") or []) > 1:
        meta.append((_lab("layers", lang), " → ".join(f'<span class="id">{_e(x)}</span>' for x in pack["chain"])))
    meta.append((t(HEAD, "region", lang), f"{region_text}<br>{_e(region['reason'][lang])}"))
    if "commune_group" in region:
        meta.append((_lab("commune_group", lang), _e(region["commune_group"]["reason"][lang])))
    meta += [(t(HEAD, "engine", lang), _e(f"{v.engine['name']} {v.engine['version']}")),
             (t(HEAD, "factset", lang), f"<code>{_e(v.factset_sha256[:16])}…</code>")]
    out = [f'<section class="verdict verdict-{_cls(v.verdict)}" id="verdict-{index}">',
           "<header>",
           f'<p class="report-kind">{_e(_lab("report", lang))}</p>',
           f"<h1>{_e(pack['title'][lang])}</h1>",
           '<dl class="meta">',
           *(f"<dt>{_e(k)}</dt><dd>{val}</dd>" for k, val in meta),
           "</dl>",
           "</header>",
           f'<p class="verdict-line verdict-{_cls(v.verdict)}">'
           f'<span class="label">{_e(t(HEAD, "verdict", lang))}:</span> '
           f'<span class="mark">{MARK.get(v.verdict, "")}</span> {_e(t(VERDICT, v.verdict, lang))}</p>']
    if v.prerequisites:
        out += [f"<h2>{_e(t(HEAD, 'prerequisites', lang))}</h2>", '<ul class="prereqs">']
        for p in v.prerequisites:
            src = _source(p.source)
            out.append(f"<li>{_status(p.status, lang)} <strong>{_e(p.title.get(lang))}</strong> "
                       f'<span class="id">{_e(p.id)}</span> ({_e(p.tier)})<br>{_e(p.explanation.get(lang))}'
                       + (f'<br><span class="muted">{_e(t(HEAD, "source", lang))}: {src}</span>' if src else "")
                       + "</li>")
        out.append("</ul>")
    out.append(f"<h2>{_e(t(HEAD, 'criterion', lang))}</h2>")
    out += [_criterion_table(crit, lang) for crit in ordered_criteria(v)]
    if v.notes:
        out += [f"<h2>{_e(t(HEAD, 'notes', lang))}</h2>", '<ul class="notes">',
                *(f"<li>{_e(n.get(lang))}</li>" for n in v.notes), "</ul>"]
    out.append(f"<h2>{_e(t(HEAD, 'collect', lang))}</h2>")
    missing = missing_fact_rows(v, lang)
    if missing:
        out += ['<table class="facts">',
                '<colgroup><col class="f-fact"><col class="f-label"><col class="f-decides"></colgroup>',
                f"<thead><tr><th>{_e(_lab('fact', lang))}</th><th>{_e(_lab('label', lang))}</th>"
                f"<th>{_e(_lab('decides', lang))}</th></tr></thead>", "<tbody>"]
        for ref, label, users in missing:
            out.append(f'<tr><td><code>{_e(ref)}</code></td><td>{_e(label)}</td>'
                       f'<td><span class="id">{_e(users)}</span></td></tr>')
        out += ["</tbody>", "</table>"]
    else:
        out.append(f"<p>{_e(_lab('none_missing', lang))}</p>")
    out.append("</section>")
    return "\n".join(out)


COLUMNS = (("c-status", "status"), ("c-indicator", "indicator"), ("c-actual", "actual"),
           ("c-threshold", "threshold"), ("c-margin", "margin"), ("c-to-pass", "to_pass"), ("c-source", "source"))


def _criterion_table(crit: CriterionResult, lang: str) -> str:
    if crit.require == "all":
        require = _lab("require_all", lang)
    else:
        require = _lab("require_at_least", lang).format(k=crit.require.rpartition(":")[2])
    extra = [require] + ([_lab("key", lang)] if crit.key else [])
    caption = (f"<caption>{_status(crit.status, lang)} <span class=\"id\">{_e(crit.id)}</span> — "
               f"{_e(crit.title.get(lang))} <span class=\"require\">({_e('; '.join(extra))})</span>"
               + (f'<br><span class="require">{_e(crit.note.get(lang))}</span>' if crit.note else "")
               + "</caption>")
    out = [f'<table class="criterion criterion-{_cls(crit.status)}">', caption,
           "<colgroup>" + "".join(f'<col class="{cls}">' for cls, _ in COLUMNS) + "</colgroup>",
           "<thead><tr>" + "".join(f"<th>{_e(t(HEAD, key, lang))}</th>" for _, key in COLUMNS) + "</tr></thead>",
           "<tbody>"]
    for ind in crit.indicators:
        out += _indicator_rows(ind, lang)
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def _indicator_rows(ind: IndicatorResult, lang: str, depth: int = 0) -> list[str]:
    """The indicator's own row, then a row per hamlet (with that hamlet's results under it) or
    per alternative."""
    rows = [_row(ind, lang, depth)]
    if ind.hamlets:
        for hamlet in ind.hamlets:
            rows.append(f'<tr class="row-hamlet depth-{depth + 1}">'
                        f'<td class="cell-status">{_status(hamlet.status, lang)}</td>'
                        f'<td class="cell-indicator" colspan="6">{_e(_lab("hamlet", lang))}: '
                        f"<strong>{_e(hamlet.name)}</strong></td></tr>")
            for sub in hamlet.indicators:
                rows.append(_row(sub, lang, depth + 2))
                if sub.alternatives:
                    rows += [_row(leaf, lang, depth + 2, alternative=True) for _, leaf in leaves(sub)]
    elif ind.alternatives:
        rows += [_row(leaf, lang, depth + 1, alternative=True) for _, leaf in leaves(ind)]
    return rows


def _row(ind: IndicatorResult, lang: str, depth: int, alternative: bool = False) -> str:
    op = SYMBOL.get(ind.op or "", "")
    threshold = display(ind.threshold, lang, "")
    threshold_text = f"{op} {threshold}".strip() if threshold else ""
    cells = [
        _status(ind.status, lang),
        f'<span class="id">{_e(ind.id)}</span><span class="title">{_e(ind.title.get(lang))}</span>',
        _e(display(ind.actual, lang)),
        _e(threshold_text),
        _e(display(ind.margin, lang, "")),
        _e(display(ind.to_pass, lang, "")),
        _source(ind.source),
    ]
    classes = ("cell-status", "cell-indicator", "cell-actual", "cell-threshold", "cell-margin", "cell-to-pass",
               "cell-source")
    level = min(depth, 2)
    kind = " alternative" if alternative else ""
    if alternative:
        number = ind.id.rpartition("#")[2]
        mark = _lab("option", lang).format(n=int(number) + 1 if number.isdigit() else number)
        cells[1] = f'<span class="alt-mark">{_e(mark)}</span>' + cells[1]
    return (f'<tr class="row-{_cls(ind.status)} depth-{level}{kind}">'
            + "".join(f'<td class="{cls}">{cell}</td>' for cls, cell in zip(classes, cells, strict=True)) + "</tr>")
