"""Renderers: every output format takes the same list of verdicts and returns text."""

from __future__ import annotations

from ntmcert.core.text import printable
from ntmcert.evaluation.verdict import Verdict
from ntmcert.render import html, jsonout, markdown, text
from ntmcert.render.common import FORMATS, LANGS


def render(verdicts: list[Verdict], fmt: str = "text", lang: str = "vi", *, color: bool = False) -> str:
    """Render verdicts in one of FORMATS; the one place output formats are named."""
    if fmt == "json":
        return jsonout.render(verdicts)  # derived prerequisite verdicts stay nested in their parent
    tiers = [tier for v in verdicts for tier in v.tiers()]  # readers get every tier in turn
    if fmt == "md":
        return printable(markdown.render(tiers, lang), lines=True)  # no control character reaches a terminal
    if fmt == "html":
        return html.render(tiers, lang)
    if fmt == "text":
        return text.render(tiers, lang, color=color)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "LANGS", "render"]
