"""The province view: the decision log summed up, drawn as SVG on the server (no script needed
to see a chart), each chart beside the table of its numbers.

Each commune counts once per pack: its latest logged evaluation under that pack.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from html import escape
from typing import Any

from sqlalchemy import select

from ..service.db import Database, Decision

MAX_DECISIONS = 50_000  # the newest ones; a province has a few hundred communes


@dataclass
class PackStats:
    pack: str
    tier: str
    title: dict[str, str]
    communes: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    failing: Counter[str] = field(default_factory=Counter)  # criterion id → communes failing it
    criteria: dict[str, dict[str, str]] = field(default_factory=dict)  # criterion id → title, in the pack's order
    missing: Counter[str] = field(default_factory=Counter)  # fact → communes missing it


def gather(db: Database, province: str | None = None) -> list[PackStats]:
    q = (select(Decision.seq, Decision.commune, Decision.province, Decision.result_json)
         .where(Decision.kind == "evaluation").order_by(Decision.seq.desc()).limit(MAX_DECISIONS))
    if province:
        q = q.where(Decision.province == province)
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    with db.reading() as s:
        for _seq, commune, prov, result in s.execute(q):
            doc = json.loads(result)
            for v in doc.get("verdicts", [doc]) if isinstance(doc, dict) else []:
                key = (prov, commune, v["pack"]["id"])
                latest.setdefault(key, v)  # newest first: the first seen is the latest
    stats: dict[str, PackStats] = {}
    for v in latest.values():
        p = v["pack"]
        st = stats.setdefault(p["id"], PackStats(p["id"], p.get("tier", ""), p.get("title", {})))
        st.communes += 1
        st.verdicts[v["verdict"]] += 1
        for c in v.get("criteria", []):
            st.criteria.setdefault(c["id"], c.get("title", {}))
            if c.get("status") == "fail":
                st.failing[c["id"]] += 1
        for fact in v.get("missing_facts", []):
            st.missing[fact] += 1
    return sorted(stats.values(), key=lambda s: s.pack)


def percent_text(part: int, whole: int, lang: str) -> str:
    """part/whole as a percentage with one decimal, rounded half up exactly (no float)."""
    if whole == 0:
        return "0"
    tenths = (Fraction(part * 1000, whole) + Fraction(1, 2)).__floor__()
    text = f"{tenths // 10}.{tenths % 10}"
    return text.replace(".", ",") if lang == "vi" else text


def bar_chart(rows: list[tuple[str, int, str]], total: int, title: str, desc: str) -> str:
    """Horizontal bars: (label, value, value text) each; the scale is `total` (at least 1).
    The SVG is accessible (role img, title, desc) and every value is written beside its bar."""
    width, label_w, bar_w, row_h = 640, 260, 300, 26
    height = 30 + row_h * max(1, len(rows))
    scale = max(total, 1)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
            f'width="100%"><title>{escape(title)}</title><desc>{escape(desc)}</desc>')
    parts = [head]
    for i, (label, value, shown) in enumerate(rows):
        y = 20 + i * row_h
        w = Fraction(value * bar_w, scale)
        parts.append(f'<g class="bar" data-label="{escape(label)}" data-value="{value}">'
                     f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
                     f'{escape(label[:40])}</text>'
                     f'<rect x="{label_w}" y="{y + 2}" width="{float(w):.1f}" height="{row_h - 8}" fill="#1f5f99"/>'
                     f'<text class="value" x="{label_w + float(w) + 6:.1f}" y="{y + 15}" font-size="12">'
                     f'{escape(shown)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
