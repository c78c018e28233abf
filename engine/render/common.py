"""What every renderer shares: labels of statuses and verdicts, ordering, the missing-fact list."""

from __future__ import annotations

from ntmcert.core.text import OPERATOR_WORDS, Text, provenance
from ntmcert.core.vocab import TIER_NAMES
from ntmcert.evaluation.verdict import CriterionResult, IndicatorResult, Verdict

FORMATS = ("text", "json", "md", "html")
LANGS = ("vi", "en")

STATUS = {
    "pass": Text("Đạt", "Pass"),
    "fail": Text("Chưa đạt", "Fail"),
    "missing": Text("Thiếu số liệu", "Missing"),
    "undecidable": Text("Chưa kết luận", "Undecidable"),
    "incomplete": Text("Chưa đủ", "Incomplete"),
    "not_applicable": Text("Không áp dụng", "Not applicable"),
}
VERDICT = {
    "certified": Text("ĐẠT CHUẨN", "CERTIFIED"),
    "not_certified": Text("KHÔNG ĐẠT CHUẨN", "NOT CERTIFIED"),
    "incomplete": Text("CHƯA ĐỦ CĂN CỨ KẾT LUẬN", "INCOMPLETE"),
}
HEAD = {
    "commune": Text("Xã", "Commune"),
    "as_of": Text("Ngày số liệu", "As of"),
    "pack": Text("Bộ tiêu chí", "Criteria pack"),
    "verdict": Text("Kết luận", "Verdict"),
    "engine": Text("Bộ máy luật", "Engine"),
    "region": Text("Vùng áp dụng", "Region used"),
    "criterion": Text("Tiêu chí", "Criterion"),
    "indicator": Text("Chỉ tiêu", "Indicator"),
    "status": Text("Kết quả", "Status"),
    "actual": Text("Thực tế", "Actual"),
    "threshold": Text("Ngưỡng", "Threshold"),
    "margin": Text("Chênh lệch", "Margin"),
    "to_pass": Text("Để đạt", "To pass"),
    "source": Text("Căn cứ", "Source"),
    "prerequisites": Text("Điều kiện tiên quyết", "Prerequisites"),
    "collect": Text("Số liệu cần thu thập", "Facts to collect"),
    "details": Text("Chỉ tiêu cần lưu ý", "Indicators needing attention"),
    "summary": Text("Tóm tắt", "Summary"),
    "factset": Text("Mã băm bộ số liệu", "Fact set hash"),
    "decides": Text("quyết định", "decides"),
    "notes": Text("Ghi chú", "Notes"),
}
EVERY_HAMLET = Text("(mọi ấp)", "(every hamlet)")
HAMLET = Text("ấp", "hamlet")
RECOGNITION_FACT = Text("Quyết định công nhận {tier} (số, ngày) hoặc \"không\"",
                        "The decision recognising the commune as {tier} (number, date), or \"none\"")
SEVERITY = {"fail": 0, "missing": 1, "undecidable": 2, "incomplete": 1, "pass": 3, "not_applicable": 4}
SYMBOL = {op: words.symbol for op, words in OPERATOR_WORDS.items()}


def t(table: dict[str, Text], key: str, lang: str) -> str:
    return table[key].get(lang)


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
        if ref.startswith("recognition:"):  # a prerequisite's decision, not a catalogue fact
            tier = ref.split(":", 1)[1]
            label = RECOGNITION_FACT.get(lang).format(tier=TIER_NAMES[tier].get(lang))
            rows.append((ref, label, ", ".join(p.id for p in verdict.prerequisites if p.tier == tier)))
            continue
        fact_id = ref.rsplit(":", 1)[-1]
        where = ""
        if ref.startswith("hamlet:"):  # hamlet:*:<fact> (every hamlet) or hamlet:<name>:<fact>
            name = ref.split(":", 2)[1]
            where = (EVERY_HAMLET.get(lang) if name == "*" else f"({HAMLET.get(lang)} {name})") + " "
        fact = verdict.facts.get(fact_id)
        label = where + (fact.label.get(lang) if fact else fact_id)
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


def source_text(source: dict | None, lang: str = "vi") -> str:
    if not source:
        return ""
    parts = [source["document"]]
    if source.get("article"):
        parts.append(source["article"])
    return ", ".join(parts) + f" [{provenance(source['provenance'], lang)}]"


# --- the summary every multi-verdict report opens with -------------------------------------------

SUMMARY = {
    "title": Text("Tổng hợp kết quả", "Summary of results"),
    "pack": Text("Bộ tiêu chí", "Criteria pack"), "tier": Text("Hạng", "Tier"),
    "verdict": Text("Kết luận", "Verdict"), "met": Text("Tiêu chí đạt", "Criteria met"),
    "blocks": Text("Vướng ở", "What blocks it"),
    "partial": Text("Bộ tiêu chí chưa đầy đủ — chỉ để tham khảo, không thể tự kết luận đạt chuẩn",
                    "Partial criteria sets — for reference only, they cannot certify alone"),
    "failing": Text("chưa đạt", "failing"), "missing_n": Text("thiếu {n} số liệu", "{n} facts missing"),
    "open": Text("chưa kết luận", "undecided"), "prereq": Text("điều kiện tiên quyết", "prerequisite"),
    "none": Text("—", "—"),
}
TIER_SHORT = {"ntm": Text("NTM", "NTM"), "ntm_advanced": Text("NTM nâng cao", "advanced NTM"),
              "ntm_model": Text("NTM kiểu mẫu", "model NTM"), "smart": Text("NTM thông minh", "smart NTM")}


def tier_name(tier: str, lang: str) -> str:
    return TIER_SHORT[tier].get(lang) if tier in TIER_SHORT else tier


TIER_ORDER_KEYS = ("ntm", "ntm_advanced", "ntm_model", "smart")


def report_order(verdicts: list[Verdict]) -> list[Verdict]:
    """Complete packs first, the highest tier first (stable otherwise)."""
    def key(v: Verdict) -> tuple[bool, int]:
        tier = v.pack.get("tier") if hasattr(v.pack, "get") else None
        rank = TIER_ORDER_KEYS.index(tier) if tier in TIER_ORDER_KEYS else -1
        return (v.pack.get("completeness") == "partial", -rank)
    return sorted(verdicts, key=key)


def criteria_met(v: Verdict) -> str:
    """"x/y": criteria that pass out of those that apply."""
    applicable = [c for c in v.criteria if c.status != "not_applicable"]
    return f"{sum(c.status == 'pass' for c in applicable)}/{len(applicable)}"


def blockers(v: Verdict, lang: str) -> str:
    """What stands between this verdict and certification, in a few words."""
    if v.verdict == "certified":
        return SUMMARY["none"].get(lang)
    parts = []
    pre = [p.id for p in v.prerequisites if p.status != "pass"]
    if pre:
        parts.append(f"{SUMMARY['prereq'].get(lang)} {', '.join(pre)}")
    failing = [c.id for c in v.criteria if c.status == "fail"]
    if failing:
        parts.append(f"{SUMMARY['failing'].get(lang)}: {', '.join(failing)}")
    if v.missing_facts:
        parts.append(SUMMARY["missing_n"].get(lang).format(n=len(v.missing_facts)))
    undecided = [c.id for c in v.criteria if c.status == "incomplete"]
    if undecided and not v.missing_facts:
        parts.append(f"{SUMMARY['open'].get(lang)}: {', '.join(undecided)}")
    return "; ".join(parts) or SUMMARY["none"].get(lang)


def summary_groups(verdicts: list[Verdict], lang: str) -> list[tuple[str | None, list[list[str]]]]:
    """(heading or None, rows [pack, tier, verdict, criteria met, blocks]) for complete then partial packs."""
    def row(v: Verdict) -> list[str]:
        tier = v.pack.get("tier", "")
        return [f"{v.pack['id']}", TIER_SHORT[tier].get(lang) if tier in TIER_SHORT else tier,
                VERDICT[v.verdict].get(lang), criteria_met(v), blockers(v, lang)]
    ordered = report_order(verdicts)
    complete = [row(v) for v in ordered if v.pack.get("completeness") != "partial"]
    partial = [row(v) for v in ordered if v.pack.get("completeness") == "partial"]
    groups: list[tuple[str | None, list[list[str]]]] = []
    if complete:
        groups.append((None, complete))
    if partial:
        groups.append((SUMMARY["partial"].get(lang), partial))
    return groups


def summary_heads(lang: str) -> list[str]:
    return [SUMMARY[k].get(lang) for k in ("pack", "tier", "verdict", "met", "blocks")]
