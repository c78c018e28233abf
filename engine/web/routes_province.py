"""The province view (GET /web/province)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from .common import lang_of, page, signed_in
from .i18n import pick, t, verdict_text
from .province import bar_chart, gather, percent_text

router = APIRouter()


def _tier_name(tier: str, lang: str) -> str:
    from ._core import TIER_NAMES

    names = TIER_NAMES.get(tier)
    return names.get(lang) if names else tier


def safe_svg(svg: str) -> Markup:
    """bar_chart escapes every text it writes (labels, titles) and the rest is numbers."""
    return Markup(svg)  # noqa: S704 - built from escaped parts only (province.bar_chart)
VERDICT_ORDER = ("certified", "incomplete", "not_certified")


@router.get("/web/province", include_in_schema=False)
def province_view(request: Request, province: str = "") -> Response:
    sess = signed_in(request, "read")
    lang = lang_of(request)
    stats = gather(request.app.state.db, province[:300] or None)
    sections = []
    for st in stats:
        verdict_rows = [(verdict_text(v, lang), st.verdicts.get(v, 0), str(st.verdicts.get(v, 0)))
                        for v in VERDICT_ORDER]
        crit_rows = [(cid, n, percent_text(n, st.communes, lang) + "%")
                     for cid, n in ((c, st.failing.get(c, 0)) for c in st.criteria)]
        missing = st.missing.most_common(10)
        sections.append({
            "stats": st, "title": pick(st.title, lang), "tier": _tier_name(st.tier, lang),
            "verdict_rows": verdict_rows,
            "verdict_chart": safe_svg(bar_chart(verdict_rows, st.communes, t("by_verdict", lang), st.pack)),
            "crit_rows": [(cid, pick(st.criteria[cid], lang), n, shown) for cid, n, shown in crit_rows],
            "crit_chart": safe_svg(bar_chart(crit_rows, st.communes, t("by_criterion", lang), st.pack)),
            "missing": missing,
            "missing_chart": safe_svg(bar_chart([(f, n, str(n)) for f, n in missing], st.communes,
                                              t("top_missing", lang), st.pack)) if missing else None,
        })
    return page(request, "province.html", sess, sections=sections, province=province)
