"""The annual revocation check of QĐ 18/2022/QĐ-TTg for a recognised commune.

Revoke when at least 50% of the criteria fail, or when from 30% to under 50% fail and one of the
failing criteria is a key criterion. Shares are compared exactly (3 of 10 is exactly 30%).
Criteria that cannot be decided yet are counted both ways: the outcome is `incomplete` only when
they could change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ntmcert.core.exact import fraction_text
from ntmcert.core.text import Text
from ntmcert.core.vocab import TIER_NAMES, Tier
from ntmcert.evaluation.explain import JSONDict
from ntmcert.evaluation.verdict import Verdict, dumps
from ntmcert.inputs.factset import FactSet

SCHEMA = "ntmcert/review/v1"
REVOKE_ALWAYS = Fraction(1, 2)
REVOKE_WITH_KEY = Fraction(3, 10)


def revokes(failing: set[str], total: int, key: set[str]) -> bool:
    """QĐ 18/2022's rule on one set of failing criteria (monotone: more failures never keep)."""
    if total == 0:
        return False
    share = Fraction(len(failing), total)
    return share >= REVOKE_ALWAYS or (share >= REVOKE_WITH_KEY and bool(failing & key))


def outcome(failing: set[str], open_: set[str], total: int, key: set[str]) -> str:
    """keep / revoke / incomplete, deciding open criteria both ways."""
    if revokes(failing, total, key):
        return "revoke"
    if not revokes(failing | open_, total, key):
        return "keep"
    return "incomplete"


@dataclass(frozen=True)
class Review:
    outcome: str
    verdict: Verdict  # the evaluation of the set the commune is measured against
    reviewed_pack: str
    recognition: JSONDict | None
    total: int
    failing: tuple[str, ...]
    open: tuple[str, ...]
    key: tuple[str, ...]
    explanation: Text

    def to_dict(self) -> JSONDict:
        return {
            "schema": SCHEMA, "outcome": self.outcome, "reviewed_pack": self.reviewed_pack,
            "measured_against": {"id": self.verdict.pack["id"], "version": self.verdict.pack["version"],
                                 "sha256": self.verdict.pack["sha256"]},
            "recognition": self.recognition, "criteria_total": self.total,
            "failing": list(self.failing), "failing_share": fraction_text(Fraction(len(self.failing), self.total))
            if self.total else None,
            "failing_key": sorted(set(self.failing) & set(self.key)), "open": list(self.open),
            "key_criteria": list(self.key), "explanation": self.explanation.to_dict(),
            "rule": {"document": "QĐ 18/2022/QĐ-TTg", "revoke_when": ">= 50% of criteria fail, or >= 30% and "
                     "< 50% fail including a key criterion"},
            "verdict": self.verdict.to_dict(),
        }

    def to_json(self) -> str:
        return dumps(self.to_dict())


def review(factset: FactSet, reviewed_pack_id: str, tier: Tier, verdict: Verdict) -> Review:
    """Apply the rule to `verdict` (the evaluation of the set the commune is measured against)."""
    counted = [c for c in verdict.criteria if c.status != "not_applicable"]
    failing = {c.id for c in counted if c.status == "fail"}
    open_ = {c.id for c in counted if c.status == "incomplete"}
    key = {c.id for c in counted if c.key}
    total = len(counted)
    result = outcome(failing, open_, total, key)
    recs = factset.counting_recognitions(tier)
    recognition = ({"decision": recs[0].decision, "date": str(recs[0].date), "tier": tier.value}
                   if recs else None)
    share = f"{len(failing)}/{total}"
    key_failing = sorted(failing & key)
    vi = {"revoke": "Thu hồi quyết định công nhận", "keep": "Giữ quyết định công nhận",
          "incomplete": "Chưa đủ căn cứ kết luận"}[result]
    en = {"revoke": "Revoke the recognition", "keep": "Keep the recognition",
          "incomplete": "Not enough data to decide"}[result]
    vi += f": {share} tiêu chí không đạt"
    en += f": {share} criteria fail"
    if key_failing:
        vi += f", trong đó tiêu chí quan trọng: {', '.join(key_failing)}"
        en += f", including key criteria {', '.join(key_failing)}"
    if open_:
        vi += f"; {len(open_)} tiêu chí chưa kết luận được ({', '.join(sorted(open_))})"
        en += f"; {len(open_)} criteria undecided ({', '.join(sorted(open_))})"
    if recognition is None:
        vi += f". Lưu ý: bộ số liệu không có quyết định công nhận {TIER_NAMES[tier.value].vi} nào có hiệu lực"
        en += f". Note: the fact set holds no counting {TIER_NAMES[tier.value].en} recognition"
    return Review(result, verdict, reviewed_pack_id, recognition, total, tuple(sorted(failing)),
                  tuple(sorted(open_)), tuple(sorted(key)), Text(vi + ".", en + "."))
