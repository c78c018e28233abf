"""What every renderer shares: labels of statuses and verdicts, ordering, the missing-fact list."""

from __future__ import annotations

from ntmcert.evaluation.verdict import CriterionResult, IndicatorResult, Verdict

FORMATS = ("text", "json", "md", "html")
LANGS = ("vi", "en")

STATUS = {
    "pass": ("Đạt", "Pass"),
    "fail": ("Chưa đạt", "Fail"),
    "missing": ("Thiếu số liệu", "Missing"),
    "undecidable": ("Chưa kết luận", "Undecidable"),
    "incomplete": ("Chưa đủ", "Incomplete"),
    "not_applicable": ("Không áp dụng", "Not applicable"),
}
VERDICT = {
    "certified": ("ĐẠT CHUẨN", "CERTIFIED"),
    "not_certified": ("KHÔNG ĐẠT CHUẨN", "NOT CERTIFIED"),
    "incomplete": ("CHƯA ĐỦ CĂN CỨ KẾT LUẬN", "INCOMPLETE"),
}
HEAD = {
    "commune": ("Xã", "Commune"), "as_of": ("Ngày số liệu", "As of"), "pack": ("Bộ tiêu chí", "Criteria pack"),
    "verdict": ("Kết luận", "Verdict"), "engine": ("Bộ máy luật", "Engine"), "region": ("Vùng áp dụng", "Region used"),
    "criterion": ("Tiêu chí", "Criterion"), "indicator": ("Chỉ tiêu", "Indicator"), "status": ("Kết quả", "Status"),
    "actual": ("Thực tế", "Actual"), "threshold": ("Ngưỡng", "Threshold"), "margin": ("Chênh lệch", "Margin"),
    "to_pass": ("Để đạt", "To pass"), "source": ("Căn cứ", "Source"), "prerequisites": ("Điều kiện tiên quyết", "Prerequisites"),
    "collect": ("Số liệu cần thu thập", "Facts to collect"), "details": ("Chỉ tiêu cần lưu ý", "Indicators needing attention"),
    "summary": ("Tóm tắt", "Summary"), "factset": ("Mã băm bộ số liệu", "Fact set hash"),
    "decides": ("quyết định", "decides"), "notes": ("Ghi chú", "Notes"),
}
SEVERITY = {"fail": 0, "missing": 1, "undecidable": 2, "incomplete": 1, "pass": 3, "not_applicable": 4}
SYMBOL = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}


def t(table: dict, key: str, lang: str) -> str:
    pair = table[key]
    return pair[0] if lang == "vi" else pair[1]


def ordered_criteria(verdict: Verdict) -> list[CriterionResult]:
    """Failing and missing first, passing last; pack order otherwise (sort is stable)."""
    return sorted(verdict.criteria, key=lambda c: SEVERITY[c.status])


def leaves(ind: IndicatorResult, open_only: bool = False) -> list[tuple[str | None, IndicatorResult]]:
    """An indicator's comparison-level results, with the hamlet name for hamlet indicators.

    With `open_only`, parts that already pass (a passing hamlet indicator, the other
    alternatives of a passing "A or B") are left out: they need no attention.
    """
    if open_only and ind.status == "pass":
        return []
    if ind.hamlets:
        return [(h.name, leaf) for h in ind.hamlets for sub in h.indicators
                for _, leaf in leaves(sub, open_only)]
    if ind.alternatives:
        return [(None, alt) for alt in ind.alternatives]
    return [(None, ind)]


def attention(verdict: Verdict) -> list[tuple[CriterionResult, IndicatorResult]]:
    """Every indicator that is not passing, in the order the report shows them."""
    out = []
    for crit in ordered_criteria(verdict):
        for ind in sorted(crit.indicators, key=lambda i: SEVERITY[i.status]):
            if ind.status != "pass" and crit.status != "not_applicable":
                out.append((crit, ind))
    return out


def missing_fact_rows(verdict: Verdict, lang: str) -> list[tuple[str, str, str]]:
    """(fact reference, label with unit, indicator ids it decides) for every missing fact."""
    users: dict[str, set[str]] = {}
    for crit in verdict.criteria:
        for ind in crit.indicators:
            # the criterion it would decide, then the indicator: "tv.smart.gov › tv.smart.gov.cameras"
            _collect_users(ind, ind.id if ind.id == crit.id else f"{crit.id} › {ind.id}", users)
    rows = []
    for ref in verdict.missing_facts:
        fact_id = ref.rsplit(":", 1)[-1]
        fact = verdict.facts.get(fact_id)
        label = fact.label.get(lang) if fact else fact_id
        if fact and fact.unit:
            label += f" ({fact.unit.get(lang)})"
        rows.append((ref, label, ", ".join(sorted(users.get(ref, set())))))
    return rows


def _collect_users(ind: IndicatorResult, top: str, users: dict[str, set[str]]) -> None:
    for ref in ind.missing_facts:
        users.setdefault(ref, set()).add(top)
    for alt in ind.alternatives:
        _collect_users(alt, top, users)
    for h in ind.hamlets:
        for sub in h.indicators:
            _collect_users(sub, top, users)


def display(obj: dict | None, lang: str, default: str = "—") -> str:
    if not obj or not obj.get("display"):
        return default
    d = obj["display"]
    return d.get(lang, default) if isinstance(d, dict) else str(d)


def source_text(source: dict | None) -> str:
    if not source:
        return ""
    parts = [source["document"]]
    if source.get("article"):
        parts.append(source["article"])
    return ", ".join(parts) + f" [{source['provenance']}]"
