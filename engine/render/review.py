"""Text and Markdown for a revocation review: the outcome, the shares, then the full verdict."""

from __future__ import annotations

from ntmcert.core.text import Text
from ntmcert.evaluation.review import Review
from ntmcert.render import markdown, text

OUTCOME = {"keep": Text("GIỮ CÔNG NHẬN", "KEEP"), "revoke": Text("THU HỒI CÔNG NHẬN", "REVOKE"),
           "incomplete": Text("CHƯA ĐỦ CĂN CỨ", "INCOMPLETE")}

LINES = {"title": Text("Rà soát thu hồi (QĐ 18/2022/QĐ-TTg)", "Revocation review (QĐ 18/2022/QĐ-TTg)"),
         "against": Text("Bộ tiêu chí đối chiếu", "Measured against"),
         "recognised": Text("bộ được công nhận", "recognised under"),
         "failing": Text("Tiêu chí không đạt", "Failing criteria"), "key": Text("Tiêu chí quan trọng", "Key criteria"),
         "open": Text("Chưa kết luận", "Undecided")}


def render_review(r: Review, fmt: str, lang: str) -> str:
    head = OUTCOME[r.outcome].get(lang)
    lines = [
        f"{LINES['title'].get(lang)}: {head}",
        r.explanation.get(lang),
        f"{LINES['against'].get(lang)}: {r.verdict.pack['id']} "
        f"v{r.verdict.pack['version']} ({LINES['recognised'].get(lang)}: {r.reviewed_pack})",
        f"{LINES['failing'].get(lang)}: {', '.join(r.failing) or '—'}",
        f"{LINES['key'].get(lang)}: {', '.join(r.key) or '—'}",
        f"{LINES['open'].get(lang)}: {', '.join(r.open) or '—'}",
    ]
    if fmt == "html":
        from html import escape

        from ntmcert.render import html

        page = html.render([r.verdict], lang)
        block = (f'<section class="review"><h1>{escape(lines[0])}</h1><ul>'
                 + "".join(f"<li>{escape(line)}</li>" for line in lines[1:]) + "</ul></section>")
        head, body_tag, rest = page.partition("<body>")
        return head + body_tag + block + rest if body_tag else page
    if fmt == "md":
        return "\n".join([f"# {lines[0]}", ""] + [f"- {line}" for line in lines[1:]] + ["", markdown.render(
            [r.verdict], lang)])
    return "\n".join(lines) + "\n\n" + text.render([r.verdict], lang)
