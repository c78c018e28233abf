"""A batch's results: one commune's outcome as a result row, and the summary of them all.

The layout of the output is described in batch.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ntmcert.core.errors import Problem
from ntmcert.evaluation.verdict import PrerequisiteResult, Verdict
from ntmcert.inputs.catalogue import Catalogue
from ntmcert.packs.library import Pack
from ntmcert.render.common import VERDICT, display

EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_BAD_INPUT, EXIT_INCOMPLETE = 0, 1, 2, 3
VERDICT_KINDS = ("certified", "not_certified", "incomplete", "error")
ERROR_LABEL = ("LỖI SỐ LIỆU", "INPUT ERROR")

RESULT_COLUMNS = [  # (id, Vietnamese header, English header)
    ("row", "Dòng", "Row"),
    ("file", "Tệp", "File"),
    ("commune.name", "Tên xã", "Commune"),
    ("commune.district", "Huyện", "District"),
    ("commune.code", "Mã xã", "Code"),
    ("commune.province", "Tỉnh", "Province"),
    ("as_of", "Ngày số liệu", "As of"),
    ("verdict", "Kết luận (mã)", "Verdict (code)"),
    ("verdict_text", "Kết luận", "Verdict"),
    ("failing", "Chưa đạt", "Failing"),
    ("missing", "Thiếu số liệu", "Missing data"),
    ("undecidable", "Chưa kết luận được", "Undecidable"),
    ("to_pass", "Để đạt", "To pass"),
    ("missing_facts", "Số liệu cần thu thập", "Facts to collect"),
    ("pack.id", "Bộ tiêu chí", "Pack"),
    ("pack.version", "Phiên bản", "Version"),
    ("pack.sha256", "Mã băm bộ tiêu chí", "Pack sha256"),
    ("factset_sha256", "Mã băm bộ số liệu", "Fact set sha256"),
    ("engine", "Bộ máy luật", "Engine"),
    ("error", "Lỗi số liệu", "Input errors"),
]
RESULTS_SHEET = "Kết quả - Results"
SUMMARY_SHEET = "Tổng hợp - Summary"

# the commune fields a result row shows (also for an error row, as far as they could be read)
COMMUNE_FIELDS = ("name", "district", "code", "province")


# ----------------------------------------------------------------------------- one commune

@dataclass
class Outcome:
    """One commune's result: a verdict, or the problems that kept it from being evaluated."""

    row: int | None
    file: str
    commune: dict
    as_of: str | None
    verdict: Verdict | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.verdict.verdict if self.verdict is not None else "error"


def open_indicators(verdict: Verdict) -> dict[str, list]:
    """The results needing attention by status (fail, missing, undecidable): failing or
    undecided prerequisites first, then the top-level indicators of applicable criteria."""
    out: dict[str, list] = {"fail": [], "missing": [], "undecidable": []}
    for p in verdict.prerequisites:
        if p.status == "fail":
            out["fail"].append(p)
        elif p.status == "incomplete":
            out["undecidable"].append(p)
    for crit in verdict.criteria:
        if crit.status == "not_applicable":
            continue
        for ind in crit.indicators:
            if ind.status in out:
                out[ind.status].append(ind)
    return out


def _to_pass(item, lang: str) -> str:
    if isinstance(item, PrerequisiteResult):
        return item.explanation.get(lang)
    text = display(item.to_pass, lang)
    alts = [display(a.to_pass, lang) for a in item.alternatives if a.status != "pass" and a.to_pass]
    if alts:
        text += ": " + " | ".join(alts)
    return text


def _commune_cells(commune: dict) -> list[Any]:
    return [commune.get(k) for k in COMMUNE_FIELDS]


def _cell_text(value: Any) -> Any:
    """What a commune field read from a row shows as (a date as ISO text)."""
    if value is None or isinstance(value, (str, int)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def flat_row(outcome: Outcome, pack: Pack, engine: str, lang: str) -> list[Any]:
    """The result row of RESULT_COLUMNS."""
    vi = lang == "vi"
    head = [outcome.row, outcome.file, *_commune_cells(outcome.commune), _cell_text(outcome.as_of)]
    tail = [pack.id, pack.version, pack.sha256]
    if outcome.verdict is None:
        errors = "\n".join(str(p) for p in outcome.problems)
        return [*head, "error", ERROR_LABEL[0 if vi else 1], None, None, None, None, None, *tail, None, engine, errors]
    v = outcome.verdict
    opened = open_indicators(v)
    to_pass = "\n".join(f"{item.id}: {_to_pass(item, lang)}"
                        for status in ("fail", "missing", "undecidable") for item in opened[status])
    ids = [", ".join(item.id for item in opened[s]) or None for s in ("fail", "missing", "undecidable")]
    return [*head, v.verdict, VERDICT[v.verdict][0 if vi else 1], *ids, to_pass or None,
                   ", ".join(v.missing_facts) or None, *tail, v.factset_sha256, engine, None]


# ----------------------------------------------------------------------------- the summary

@dataclass
class Summary:
    """Counters only: what the summary sheet and stderr show; never a list of rows."""

    input: str
    pack: Pack
    engine: str
    lang: str
    counts: Counter = field(default_factory=Counter)
    missing: Counter = field(default_factory=Counter)  # fact ref (hamlet refs as hamlet:*:<fact>) → communes
    failing: Counter = field(default_factory=Counter)  # indicator / prerequisite id → communes
    header_rows: list[int] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.kind] += 1
        if outcome.verdict is None:
            return
        for ref in outcome.verdict.missing_facts:
            if ref.startswith("hamlet:"):
                ref = "hamlet:*:" + ref.rsplit(":", 1)[-1]
            self.missing[ref] += 1
        for item in open_indicators(outcome.verdict)["fail"]:
            self.failing[item.id] += 1

    def exit_code(self) -> int:
        if self.counts["error"]:
            return EXIT_BAD_INPUT
        if self.counts["not_certified"]:
            return EXIT_NOT_CERTIFIED
        if self.counts["incomplete"]:
            return EXIT_INCOMPLETE
        return EXIT_CERTIFIED

    def rows_out(self, catalogue: Catalogue) -> list[list[Any]]:
        """The summary as rows: [key, value, label]; also the text printed on stderr."""
        p = self.pack
        out: list[list[Any]] = [
            ["ntmcert batch", "Tổng hợp / Summary"],
            ["input", self.input, "Tệp vào / Input"],
            ["pack", f"{p.id} {p.version}", "Bộ tiêu chí / Criteria pack"],
            ["pack.sha256", p.sha256, ""],
            ["engine", self.engine, "Bộ máy luật / Engine"],
            [],
            ["verdict", "communes", "Kết luận / Verdict — số xã / communes"],
        ]
        labels = {**{k: f"{vi} / {en}" for k, (vi, en) in VERDICT.items()}, "error": " / ".join(ERROR_LABEL)}
        for kind in VERDICT_KINDS:
            out.append([kind, self.counts[kind], labels[kind]])
        out.append(["total", self.rows, "Tổng / Total"])
        if self.header_rows:
            out.append(["header_rows", ", ".join(map(str, self.header_rows)),
                        "Dòng đọc là tiêu đề, bỏ qua / Rows read as headers, skipped"])
        out += [[], ["missing_fact", "communes", "Số liệu thiếu nhiều nhất / Facts most often missing"]]
        for ref, n in sorted(self.missing.items(), key=lambda kv: (-kv[1], kv[0])):
            fact = catalogue.get(ref.rsplit(":", 1)[-1])
            label = fact.label.vi if fact and self.lang == "vi" else fact.label.en if fact else ""
            out.append([ref, n, label])
        out += [[], ["failing", "communes", "Chỉ tiêu chưa đạt nhiều nhất / Indicators most often failing"]]
        titles = {ind.spec.id: ind.spec.title for c in p.criteria for ind in c.indicators}
        titles.update({pr.id: pr.title for pr in p.prerequisites})
        for ident, n in sorted(self.failing.items(), key=lambda kv: (-kv[1], kv[0])):
            title = titles.get(ident)
            out.append([ident, n, (title.vi if self.lang == "vi" else title.en) if title else ""])
        return out

    def text(self, catalogue: Catalogue, top: int = 10) -> str:
        c = self.counts
        lines = [f"ntmcert batch: {self.rows} communes — certified {c['certified']}, not certified "
                 f"{c['not_certified']}, incomplete {c['incomplete']}, error {c['error']}"]
        if self.header_rows:
            lines.append(f"  rows read as headers and skipped: {', '.join(map(str, self.header_rows))}")
        if self.missing:
            lines.append("  facts most often missing: " + ", ".join(
                f"{ref} ({n})" for ref, n in sorted(self.missing.items(), key=lambda kv: (-kv[1], kv[0]))[:top]))
        if self.failing:
            lines.append("  most often failing: " + ", ".join(
                f"{i} ({n})" for i, n in sorted(self.failing.items(), key=lambda kv: (-kv[1], kv[0]))[:top]))
        return "\n".join(lines) + "\n"



__all__ = [
    "COMMUNE_FIELDS",
    "ERROR_LABEL",
    "RESULTS_SHEET",
    "RESULT_COLUMNS",
    "SUMMARY_SHEET",
    "Outcome",
    "Summary",
    "flat_row",
    "open_indicators",
]
