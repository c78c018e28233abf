"""The dossier (hồ sơ) parts of the printable report: national motto, issuing body, place and date,
legal bases, the one-page summary, the signature block, the technical annex and the page marks.

Nothing here is invented: the issuing body, place, date and names come from the officer (options or
a profile file); a part that is not given is left blank for the hand, never filled with a guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from ntmcert.core.text import Text, iso_or_local
from ntmcert.core.text import date as date_text
from ntmcert.evaluation.verdict import Verdict
from ntmcert.render.common import VERDICT, criteria_met, summary_groups, summary_heads

MOTTO = Text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "SOCIALIST REPUBLIC OF VIET NAM")
SLOGAN = Text("Độc lập - Tự do - Hạnh phúc", "Independence - Freedom - Happiness")
WORDS = {
    "title": Text("BÁO CÁO KẾT QUẢ ĐÁNH GIÁ MỨC ĐẠT CHUẨN NÔNG THÔN MỚI",
                  "REPORT ON THE ASSESSMENT AGAINST THE NEW-RURAL (NTM) CRITERIA"),
    "subject": Text("Xã được đánh giá", "Commune assessed"), "as_of": Text("Số liệu đến ngày", "Figures as of"),
    "basis": Text("Căn cứ pháp lý", "Legal bases"), "summary": Text("Tổng hợp kết quả", "Summary of results"),
    "met_line": Text("{met} tiêu chí đạt", "{met} criteria met"),
    "details": Text("Phụ lục {n}", "Annex {n}"),
    "annex": Text("Phụ lục kỹ thuật: dấu vết tính toán", "Technical annex: audit trail"),
    "annex_note": Text("Mã băm SHA-256 cho phép kiểm tra lại đúng bộ tiêu chí và bộ số liệu đã dùng.",
                       "The SHA-256 hashes identify exactly the criteria pack and the fact set used."),
    "pack": Text("Bộ tiêu chí", "Criteria pack"), "version": Text("Phiên bản", "Version"),
    "pack_hash": Text("Mã băm bộ tiêu chí", "Pack hash"), "engine": Text("Bộ máy luật", "Engine"),
    "facts_hash": Text("Mã băm bộ số liệu", "Fact set hash"),
    "prepared": Text("NGƯỜI LẬP", "PREPARED BY"), "checked": Text("NGƯỜI KIỂM TRA", "CHECKED BY"),
    "approved": Text("THỦ TRƯỞNG ĐƠN VỊ", "HEAD OF THE ISSUING BODY"),
    "sign": Text("(Ký, ghi rõ họ tên)", "(Signature and full name)"),
    "hypothetical": Text("GIẢ ĐỊNH – không dùng làm hồ sơ", "HYPOTHETICAL – not for the dossier"),
    "hypothetical_long": Text("Báo cáo này tính trên số liệu giả định (--set), không phải số liệu của hồ sơ.",
                              "This report is computed on hypothetical figures (--set), not the dossier's figures."),
    "page": Text("Trang", "Page"),
}


@dataclass(frozen=True)
class Dossier:
    """What the officer says about the report itself; every field may be absent."""

    org: str | None = None  # the issuing body, e.g. "UBND XÃ THẠNH PHÚ" or "Phòng Nông nghiệp huyện Cầu Kè"
    parent_org: str | None = None  # its superior body, printed above it
    place: str | None = None
    assessed_on: dt.date | None = None
    prepared_by: str | None = None
    checked_by: str | None = None
    approved_by: str | None = None
    hypothetical: bool = False


def _e(text: object) -> str:
    return escape("" if text is None else str(text), quote=True)


def place_date(d: Dossier, lang: str) -> str:
    """ "Cầu Kè, ngày 05 tháng 9 năm 2024" / "Cầu Kè, 5 September 2024"; only what was given."""
    when = ""
    if d.assessed_on is not None:
        day = d.assessed_on
        when = Text(f"ngày {day.day:02d} tháng {day.month} năm {day.year}", date_text(day, "en")).get(lang)
    return ", ".join(x for x in (d.place, when) if x)


def page_css(d: Dossier, lang: str) -> str:
    """@page rules: A4, "Trang x/y" printed by the browser's paged media, the what-if mark on every page."""
    top = (f'  @top-center {{ content: "{WORDS["hypothetical"].get(lang)}"; color: #8b1010; font-weight: bold; '
           'font-size: 10pt; }\n') if d.hypothetical else ""
    return ("@page { size: A4; margin: 16mm 15mm 17mm 15mm;\n"
            f'  @bottom-right {{ content: "{WORDS["page"].get(lang)} " counter(page) "/" counter(pages); '
            "font-size: 8.5pt; color: #333; }\n" + top + "}\n")


DOSSIER_CSS = """\
section.cover { break-after: page; page-break-after: always; }
table.heading { width: 100%; border: none; margin: 0 0 3mm; table-layout: fixed; }
table.heading td { border: none; text-align: center; vertical-align: top; padding: 0; font-size: 10.5pt; }
table.heading .org { font-weight: bold; }
table.heading .motto { font-weight: bold; }
table.heading .slogan { font-weight: bold; text-decoration: underline; }
p.place-date { text-align: right; font-style: italic; margin: 1mm 0 4mm; }
h1.report-title { text-align: center; font-size: 14pt; margin: 4mm 0 1mm; }
p.subject { text-align: center; margin: 0 0 4mm; }
p.hypothetical { border: 0.8mm solid #8b1010; color: #8b1010; font-weight: bold; text-align: center;
  padding: 2mm; margin: 2mm 0 4mm; }
ol.basis { margin: 0 0 2mm; padding-left: 6mm; }
table.summary td.met { white-space: nowrap; }
table.summary td:first-child { overflow-wrap: anywhere; }
table.summary td.verdict-certified { font-weight: bold; color: #0b5d1e; }
table.summary td.verdict-not-certified { font-weight: bold; color: #8b1010; }
table.summary td.verdict-incomplete { font-weight: bold; color: #5c3b00; }
p.partial-heading { font-weight: bold; margin: 3mm 0 1mm; }
table.signatures { width: 100%; border: none; margin-top: 8mm; table-layout: fixed; break-inside: avoid; }
table.signatures td { border: none; text-align: center; vertical-align: top; height: 30mm; }
table.signatures .role { font-weight: bold; }
table.signatures .hint { font-style: italic; font-size: 9pt; }
table.signatures .name { padding-top: 18mm; font-weight: bold; }
section.annex { break-before: page; page-break-before: always; }
section.annex td { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 8pt;
  overflow-wrap: anywhere; }
"""


def legal_bases(verdicts: list[Verdict]) -> list[str]:
    """Every document a verdict rests on, once, in the order first met (prerequisites, then criteria)."""
    seen: list[str] = []

    def add(source: dict | None) -> None:
        if source and source.get("document") and source["document"] not in seen:
            seen.append(source["document"])

    def walk(ind) -> None:
        add(ind.source)
        for alt in ind.alternatives:
            walk(alt)
        for h in ind.hamlets:
            for sub in h.indicators:
                walk(sub)

    for v in verdicts:
        for p in v.prerequisites:
            add(p.source)
        for crit in v.criteria:
            for ind in crit.indicators:
                walk(ind)
    return seen


def cover(verdicts: list[Verdict], d: Dossier, lang: str) -> str:
    """The first page: heading, title, subject, legal bases, summary, signatures."""
    c = verdicts[0].commune if verdicts else {}
    left = "".join(f'<div class="org">{_e(x.upper())}</div>' for x in (d.parent_org, d.org) if x)
    out = ['<section class="cover">', '<table class="heading"><tr>', f"<td>{left}</td>",
           f'<td><div class="motto">{_e(MOTTO.get(lang))}</div><div class="slogan">{_e(SLOGAN.get(lang))}</div></td>',
           "</tr></table>"]
    when = place_date(d, lang)
    if when:
        out.append(f'<p class="place-date">{_e(when)}</p>')
    if d.hypothetical:
        out.append(f'<p class="hypothetical">{_e(WORDS["hypothetical"].get(lang))}<br>'
                   f'{_e(WORDS["hypothetical_long"].get(lang))}</p>')
    where = ", ".join(x for x in (c.get("name"), c.get("district"), c.get("province")) if x)
    out += [f'<h1 class="report-title">{_e(WORDS["title"].get(lang))}</h1>',
            f'<p class="subject">{_e(WORDS["subject"].get(lang))}: <strong>{_e(where)}</strong>'
            + (f' · {_e(WORDS["as_of"].get(lang))}: {_e(iso_or_local(verdicts[0].as_of, lang))}' if verdicts else "")
            + "</p>"]
    bases = legal_bases(verdicts)
    if bases:
        out += [f"<h2>{_e(WORDS['basis'].get(lang))}</h2>", '<ol class="basis">',
                *(f"<li>{_e(doc)}</li>" for doc in bases), "</ol>"]
    out.append(f"<h2>{_e(WORDS['summary'].get(lang))}</h2>")
    for heading, rows in summary_groups(verdicts, lang):
        if heading:
            out.append(f'<p class="partial-heading">{_e(heading)}</p>')
        out += ['<table class="summary">', "<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in summary_heads(lang))
                + "</tr></thead>", "<tbody>"]
        for row in rows:
            kind = next((k for k, w in VERDICT.items() if w.get(lang) == row[2]), "")
            cells = [f"<td>{_e(row[0])}</td>", f"<td>{_e(row[1])}</td>",
                     f'<td class="verdict-{kind.replace("_", "-")}">{_e(row[2])}</td>',
                     f'<td class="met">{_e(WORDS["met_line"].get(lang).format(met=row[3]))}</td>',
                     f"<td>{_e(row[4])}</td>"]
            out.append("<tr>" + "".join(cells) + "</tr>")
        out += ["</tbody>", "</table>"]
    out.append(signatures(d, lang))
    out.append("</section>")
    return "\n".join(out)


def signatures(d: Dossier, lang: str) -> str:
    roles = [("prepared", d.prepared_by), ("checked", d.checked_by)]
    if d.approved_by or d.org:
        roles.append(("approved", d.approved_by))
    cells = "".join(f'<td><div class="role">{_e(WORDS[role].get(lang))}</div>'
                    f'<div class="hint">{_e(WORDS["sign"].get(lang))}</div>'
                    f'<div class="name">{_e(name or "")}</div></td>' for role, name in roles)
    return f'<table class="signatures"><tr>{cells}</tr></table>'


def annex(verdicts: list[Verdict], lang: str) -> str:
    """Hashes and engine, kept out of the officer's pages."""
    rows = []
    for v in verdicts:
        rows.append((v.pack["id"], v.pack["version"], v.pack["sha256"], f"{v.engine['name']} {v.engine['version']}",
                     v.factset_sha256))
    heads = [WORDS[k].get(lang) for k in ("pack", "version", "pack_hash", "engine", "facts_hash")]
    return "\n".join(['<section class="annex">', f"<h2>{_e(WORDS['annex'].get(lang))}</h2>",
                      f"<p>{_e(WORDS['annex_note'].get(lang))}</p>", '<table class="annex">',
                      "<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr></thead>", "<tbody>",
                      *("<tr>" + "".join(f"<td>{_e(x)}</td>" for x in row) + "</tr>" for row in rows),
                      "</tbody>", "</table>", "</section>"])


def met_line(v: Verdict, lang: str) -> str:
    return WORDS["met_line"].get(lang).format(met=criteria_met(v))
