"""A batch's results: one commune's outcome as a result row, and the summary of them all.

The layout of the output is described in batch.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ntmcert.core.errors import Problem
from ntmcert.core.text import Text
from ntmcert.evaluation.verdict import PrerequisiteResult, Verdict
from ntmcert.inputs.catalogue import Catalogue
from ntmcert.packs.library import Pack
from ntmcert.render.common import VERDICT, display

EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_BAD_INPUT, EXIT_INCOMPLETE = 0, 1, 2, 3
VERDICT_KINDS = ("certified", "not_certified", "incomplete", "error")
ERROR_LABEL = Text("LỖI SỐ LIỆU", "INPUT ERROR")
RESULT_COLUMNS = [  # (id, Vietnamese header, English header): what an officer reads first comes first
    ("row", "Dòng", "Row"),
    ("commune.name", "Tên xã", "Commune"),
    ("verdict_text", "Kết luận", "Verdict"),
    ("error", "Lỗi số liệu", "Input errors"),
    ("failing_titles", "Chưa đạt", "Failing"),
    ("missing_titles", "Thiếu số liệu", "Missing data"),
    ("to_pass", "Để đạt", "To pass"),
    ("failing", "Chưa đạt (mã)", "Failing (ids)"),
    ("missing", "Thiếu số liệu (mã)", "Missing data (ids)"),
    ("undecidable", "Chưa kết luận được", "Undecidable"),
    ("missing_facts", "Số liệu cần thu thập", "Facts to collect"),
    ("commune.district", "Huyện", "District"),
    ("commune.code", "Mã xã", "Code"),
    ("commune.province", "Tỉnh", "Province"),
    ("as_of", "Ngày số liệu", "As of"),
    ("verdict", "Kết luận (mã)", "Verdict (code)"),
    ("file", "Tệp", "File"),
    ("pack.id", "Bộ tiêu chí", "Pack"),
    ("pack.version", "Phiên bản", "Version"),
    ("engine", "Bộ máy luật", "Engine"),
    ("pack.sha256", "Mã băm bộ tiêu chí", "Pack sha256"),
    ("factset_sha256", "Mã băm bộ số liệu", "Fact set sha256"),
]
COLUMN_IDS = [cid for cid, _, _ in RESULT_COLUMNS]
VERDICT_FILL = {"certified": "C6EFCE", "not_certified": "FFC7CE", "incomplete": "FFEB9C", "error": "D9D9D9"}
VERDICT_FONT = {"certified": "006100", "not_certified": "9C0006", "incomplete": "7A5200", "error": "000000"}
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
        if p.status in ("fail", "missing"):
            out[p.status].append(p)
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


def _titles(items: list, lang: str) -> str | None:
    """One line per result: its id and its title in the report's language."""
    return "\n".join(f"{item.id} — {item.title.get(lang)}" for item in items) or None


def flat_row(outcome: Outcome, pack: Pack, engine: str, lang: str) -> list[Any]:
    """The result row of RESULT_COLUMNS."""
    name, district, code, province = _commune_cells(outcome.commune)
    cells: dict[str, Any] = {"row": outcome.row, "file": outcome.file, "commune.name": name,
                             "commune.district": district, "commune.code": code, "commune.province": province,
                             "as_of": _cell_text(outcome.as_of), "pack.id": pack.id, "pack.version": pack.version,
                             "pack.sha256": pack.sha256, "engine": engine}
    if outcome.verdict is None:
        cells.update(verdict="error", verdict_text=ERROR_LABEL.get(lang),
                     error="\n".join(str(p) for p in outcome.problems))
        return [cells.get(cid) for cid in COLUMN_IDS]
    v = outcome.verdict
    opened = open_indicators(v)
    to_pass = "\n".join(f"{item.id}: {_to_pass(item, lang)}"
                        for status in ("fail", "missing", "undecidable") for item in opened[status])
    cells.update(verdict=v.verdict, verdict_text=VERDICT[v.verdict].get(lang),
                 failing=", ".join(item.id for item in opened["fail"]) or None,
                 failing_titles=_titles(opened["fail"], lang),
                 missing=", ".join(item.id for item in opened["missing"]) or None,
                 missing_titles=_titles(opened["missing"], lang),
                 undecidable=", ".join(item.id for item in opened["undecidable"]) or None,
                 to_pass=to_pass or None, missing_facts=", ".join(v.missing_facts) or None,
                 factset_sha256=v.factset_sha256)
    return [cells.get(cid) for cid in COLUMN_IDS]


@dataclass(frozen=True)
class ResultRow:
    """One commune's result as the writer and the summary take it (made where the commune was
    evaluated, possibly another process): the verdict kind, the writer's payload (the row's cells,
    or its text), and what the summary counts: the facts it misses (once per occurrence, hamlet
    facts as hamlet:*:<fact>) and the indicators it fails."""

    kind: str
    payload: Any
    missing: tuple[str, ...] = ()
    failing: tuple[str, ...] = ()


def summary_marks(outcome: Outcome) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(missing fact refs, failing ids) of one outcome, as Summary counts them."""
    if outcome.verdict is None:
        return (), ()
    missing = tuple("hamlet:*:" + ref.rsplit(":", 1)[-1] if ref.startswith("hamlet:") else ref
                    for ref in outcome.verdict.missing_facts)
    return missing, tuple(item.id for item in open_indicators(outcome.verdict)["fail"])


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

    def add(self, row: ResultRow) -> None:
        self.counts[row.kind] += 1
        self.missing.update(row.missing)
        self.failing.update(row.failing)

    def exit_code(self) -> int:
        if self.counts["error"]:
            return EXIT_BAD_INPUT
        if self.counts["not_certified"]:
            return EXIT_NOT_CERTIFIED
        if self.counts["incomplete"]:
            return EXIT_INCOMPLETE
        return EXIT_CERTIFIED

    def rows_out(self, catalogue: Catalogue) -> list[list[Any]]:
        """The summary as rows: [label, value, key] (the label beside its number, the stable key
        last); also what the text on stderr says."""
        p, lang = self.pack, self.lang
        w = {k: v.get(lang) for k, v in SUMMARY_WORDS.items()}
        out: list[list[Any]] = [
            [w["title"], None, "ntmcert batch"],
            [w["input"], self.input, "input"],
            [w["pack"], f"{p.id} {p.version}", "pack"],
            [w["engine"], self.engine, "engine"],
            [w["pack_hash"], p.sha256, "pack.sha256"],
            [],
            [w["verdicts"], w["communes"], "verdict"],
        ]
        for kind in VERDICT_KINDS:
            label = ERROR_LABEL.get(lang) if kind == "error" else VERDICT[kind].get(lang)
            out.append([label, self.counts[kind], kind])
        out.append([w["total"], self.rows, "total"])
        if self.header_rows:
            out.append([w["header_rows"], ", ".join(map(str, self.header_rows)), "header_rows"])
        out += [[], [w["missing"], w["communes"], "missing_fact"]]
        for ref, n in sorted(self.missing.items(), key=lambda kv: (-kv[1], kv[0])):
            fact = catalogue.get(ref.rsplit(":", 1)[-1])
            out.append([fact.label.get(lang) if fact else ref, n, ref])
        out += [[], [w["failing"], w["communes"], "failing"]]
        titles = {ind.spec.id: ind.spec.title for c in p.criteria for ind in c.indicators}
        titles.update({pr.id: pr.title for pr in p.prerequisites})
        for ident, n in sorted(self.failing.items(), key=lambda kv: (-kv[1], kv[0])):
            title = titles.get(ident)
            out.append([title.get(lang) if title else ident, n, ident])
        return out

    def text(self, catalogue: Catalogue, top: int = 10) -> str:
        c, lang = self.counts, self.lang
        w = {k: v.get(lang) for k, v in SUMMARY_WORDS.items()}
        lines = ["ntmcert batch: " + w["line"].format(n=self.rows, certified=c["certified"],
                                                     not_certified=c["not_certified"], incomplete=c["incomplete"],
                                                     error=c["error"])]
        if self.header_rows:
            lines.append(f"  {w['header_rows']}: {', '.join(map(str, self.header_rows))}")
        if self.missing:
            lines.append(f"  {w['missing']}: " + ", ".join(
                f"{ref} ({n})" for ref, n in sorted(self.missing.items(), key=lambda kv: (-kv[1], kv[0]))[:top]))
        if self.failing:
            lines.append(f"  {w['failing']}: " + ", ".join(
                f"{i} ({n})" for i, n in sorted(self.failing.items(), key=lambda kv: (-kv[1], kv[0]))[:top]))
        return "\n".join(lines) + "\n"


SUMMARY_WORDS = {
    "title": Text("Tổng hợp kết quả đánh giá", "Summary of the assessment"),
    "input": Text("Tệp vào", "Input"), "pack": Text("Bộ tiêu chí", "Criteria pack"),
    "engine": Text("Bộ máy luật", "Engine"), "pack_hash": Text("Mã băm bộ tiêu chí", "Pack hash"),
    "verdicts": Text("Kết luận", "Verdict"), "communes": Text("Số xã", "Communes"), "total": Text("Tổng", "Total"),
    "header_rows": Text("Dòng đọc là tiêu đề, bỏ qua", "Rows read as headers, skipped"),
    "missing": Text("Số liệu thiếu nhiều nhất", "Facts most often missing"),
    "failing": Text("Chỉ tiêu chưa đạt nhiều nhất", "Indicators most often failing"),
    "line": Text("{n} xã — đạt chuẩn {certified}, không đạt chuẩn {not_certified}, chưa đủ căn cứ {incomplete}, "
                 "lỗi số liệu {error}",
                 "{n} communes — certified {certified}, not certified {not_certified}, incomplete {incomplete}, "
                 "error {error}"),
}



__all__ = [
    "COLUMN_IDS",
    "COMMUNE_FIELDS",
    "ERROR_LABEL",
    "RESULTS_SHEET",
    "RESULT_COLUMNS",
    "SUMMARY_SHEET",
    "VERDICT_FILL",
    "VERDICT_FONT",
    "Outcome",
    "ResultRow",
    "Summary",
    "flat_row",
    "open_indicators",
    "summary_marks",
]
