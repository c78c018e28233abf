"""Text and Markdown for a revocation review: the outcome, the shares, then the full verdict."""

from __future__ import annotations

from ntmcert.evaluation.review import Review
from ntmcert.render import markdown, text

OUTCOME = {"keep": ("GIỮ CÔNG NHẬN", "KEEP"), "revoke": ("THU HỒI CÔNG NHẬN", "REVOKE"),
           "incomplete": ("CHƯA ĐỦ CĂN CỨ", "INCOMPLETE")}


def render_review(r: Review, fmt: str, lang: str) -> str:
    vi = lang == "vi"
    head = OUTCOME[r.outcome][0 if vi else 1]
    lines = [
        f"{'Rà soát thu hồi (QĐ 18/2022/QĐ-TTg)' if vi else 'Revocation review (QĐ 18/2022/QĐ-TTg)'}: {head}",
        r.explanation.get(lang),
        f"{'Bộ tiêu chí đối chiếu' if vi else 'Measured against'}: {r.verdict.pack['id']} "
        f"v{r.verdict.pack['version']} ({'bộ được công nhận' if vi else 'recognised under'}: {r.reviewed_pack})",
        f"{'Tiêu chí không đạt' if vi else 'Failing criteria'}: {', '.join(r.failing) or '—'}",
        f"{'Tiêu chí quan trọng' if vi else 'Key criteria'}: {', '.join(r.key) or '—'}",
        f"{'Chưa kết luận' if vi else 'Undecided'}: {', '.join(r.open) or '—'}",
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
