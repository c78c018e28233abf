"""A small pytest plugin: YAML test cases beside the packs (rules/<pack>/tests/*.yaml).

Each case names a fact set (inline, or a seed with changes), the expected verdict and the statuses
that matter; a failure prints file / case / what differed. Files named `edges.yaml` are the
threshold ledgers read by tests/test_edges.py, not cases.
"""

from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
SEEDS = ROOT / "seeds"


def pytest_collect_file(parent, file_path: Path):
    if (file_path.suffix == ".yaml" and file_path.parent.name == "tests" and file_path.name != "edges.yaml"
            and RULES in file_path.parents):
        return CaseFile.from_parent(parent, path=file_path)
    return None


def pack_id_for(path: Path) -> str:
    return path.parent.parent.relative_to(RULES).as_posix()


class CaseFile(pytest.File):
    def collect(self):
        from ntmcert.inputs.yamlio import load_path

        doc = load_path(self.path).data
        pack_id = doc.get("pack") or pack_id_for(self.path)
        for i, case in enumerate(doc["cases"]):
            yield CaseItem.from_parent(self, name=f"{i:02d} {case['name']}", case=case, pack_id=pack_id)


class CaseMismatch(AssertionError):
    pass


class CaseItem(pytest.Item):
    def __init__(self, *, case: dict, pack_id: str, **kwargs):
        super().__init__(**kwargs)
        self.case = case
        self.pack_id = pack_id

    def runtest(self):
        from ntmcert import evaluate

        case = self.case
        facts = build_factset(case)
        params = officer_params(case.get("params"))
        expect = case["expect"]
        diffs = []
        for engine in ("durable", "reference"):
            verdict = evaluate(facts, case.get("pack", self.pack_id), engine=engine, params=params,
                               derive_prerequisites=bool(case.get("derive_prerequisites")))
            diffs += [f"[{engine}] {d}" for d in compare(verdict, expect)]
        if diffs:
            raise CaseMismatch("\n".join(diffs))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CaseMismatch):
            return f"{self.path.relative_to(ROOT)} / {self.case['name']}\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"{self.path.relative_to(ROOT)}: {self.case['name']}"


def build_factset(case: dict) -> dict:
    from ntmcert.inputs.yamlio import load_path

    if "seed" in case:
        data = copy.deepcopy(load_path(SEEDS / case["seed"]).data)
    else:
        data = copy.deepcopy(case["factset"])
    data.setdefault("format", "ntmcert/factset/v1")
    for key in ("as_of", "recognitions", "commune"):
        if key in case:
            data[key] = copy.deepcopy(case[key])
    facts = data.setdefault("facts", {})
    hamlets = data.setdefault("hamlets", [])
    for ref in case.get("remove", []):
        if ref.startswith("hamlet:"):
            _, name, fact = ref.split(":", 2)
            _hamlet(hamlets, name)["facts"].pop(fact, None)
        else:
            facts.pop(ref, None)
    for ref, value in (case.get("set") or {}).items():
        if ref.startswith("hamlet:"):
            _, name, fact = ref.split(":", 2)
            _hamlet(hamlets, name).setdefault("facts", {})[fact] = value
        else:
            facts[ref] = value
    return data


def _hamlet(hamlets: list, name: str) -> dict:
    for h in hamlets:
        if h["name"] == name:
            h.setdefault("facts", {})
            return h
    hamlets.append({"name": name, "facts": {}})
    return hamlets[-1]


def officer_params(spec: dict | None):
    if not spec:
        return None
    from ntmcert.core.exact import to_fraction
    from ntmcert.inputs.factset import Region
    from ntmcert.packs.resolve import OfficerValue
    from ntmcert.packs.schema import Source

    out = {}
    for name, entries in spec.items():
        out[name] = [OfficerValue(name, to_fraction(e["value"]) if not isinstance(e["value"], Fraction) else e["value"],
                                  Source.model_validate(e.get("source") or {"document": "test case",
                                                                            "provenance": "secondary"}),
                                  e.get("from"), Region(e["region"]) if e.get("region") else None,
                                  bool(e.get("override")))
                     for e in entries]
    return out


def compare(verdict, expect: dict) -> list[str]:
    diffs = []
    if "verdict" in expect and verdict.verdict != expect["verdict"]:
        diffs.append(f"verdict: expected {expect['verdict']}, got {verdict.verdict}")
    for ref, want in (expect.get("indicators") or {}).items():
        try:
            got = verdict.find(ref).status
        except KeyError:
            diffs.append(f"indicator {ref}: not in the verdict")
            continue
        if got != want:
            diffs.append(f"indicator {ref}: expected {want}, got {got}")
    for cid, want in (expect.get("criteria") or {}).items():
        got = verdict.criterion(cid).status
        if got != want:
            diffs.append(f"criterion {cid}: expected {want}, got {got}")
    for pid, want in (expect.get("prerequisites") or {}).items():
        got = {p.id: p.status for p in verdict.prerequisites}.get(pid)
        if got != want:
            diffs.append(f"prerequisite {pid}: expected {want}, got {got}")
    if "missing_facts" in expect and list(verdict.missing_facts) != sorted(expect["missing_facts"]):
        diffs.append(f"missing_facts: expected {sorted(expect['missing_facts'])}, got {list(verdict.missing_facts)}")
    for ref in expect.get("missing_includes", []):
        if ref not in verdict.missing_facts:
            diffs.append(f"missing_facts: {ref} expected among {list(verdict.missing_facts)}")
    if "region" in expect and verdict.region["used"] != expect["region"]:
        diffs.append(f"region: expected {expect['region']}, got {verdict.region['used']}")
    return diffs
