"""Renderers: every output format takes the same list of verdicts and returns text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ntmcert.core.text import printable
from ntmcert.render.common import FORMATS, LANGS, report_order

if TYPE_CHECKING:
    from ntmcert.evaluation.verdict import Verdict
    from ntmcert.render.dossier import Dossier


def render(verdicts: list[Verdict], fmt: str = "text", lang: str = "vi", *, color: bool = False,
           width: int | None = None, dossier: Dossier | None = None) -> str:
    """Render verdicts in one of FORMATS; the one place output formats are named. Each format's
    module is imported when it is asked for (the HTML dossier's, or rich for text, cost a cold start
    that other formats never use)."""
    if fmt == "json":
        from ntmcert.render import jsonout

        return jsonout.render(verdicts)  # derived prerequisite verdicts stay nested in their parent
    # readers get every tier in turn, the highest first, partial packs (which cannot certify alone) last
    tiers = [tier for v in report_order(verdicts) for tier in v.tiers()]
    if fmt == "md":
        from ntmcert.render import markdown

        return printable(markdown.render(tiers, lang), lines=True)  # no control character reaches a terminal
    if fmt == "html":
        from ntmcert.render import html

        return html.render(tiers, lang, dossier=dossier)
    if fmt == "text":
        from ntmcert.render import text

        return text.render(tiers, lang, color=color, width=width or text.DEFAULT_WIDTH)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "LANGS", "render"]
