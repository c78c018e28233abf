"""Issue 2's acceptance list, one test (or a few) per item; CLI runs go through the real entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from ntmcert import evaluate, load_factset
from ntmcert.packs.library import PackLibrary

from .conftest import ROOT, THANH_PHU, base_factset, pct, reorder_keys

ENGINES = ("durable", "reference")
FIXTURE_PACKS = Path(__file__).parent / "fixtures" / "packs"


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    return subprocess.run([sys.executable, "-m", "ntmcert", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=120)


class TestThanhPhuSmartCommune:
    """Acceptance 2: the seed against tra-vinh/smart-commune."""

    def test_cli_json_exit_code_and_records_online(self):
        """Exit 3 (incomplete); records_online passes with 1,362 of 1,508."""
        proc = run_cli("evaluate", str(THANH_PHU), "--pack", "tra-vinh/smart-commune", "--format", "json")
        assert proc.returncode == 3, proc.stderr
        verdict = json.loads(proc.stdout)
        assert verdict["verdict"] == "incomplete"
        ind = next(i for c in verdict["criteria"] for i in c["indicators"] if i["id"] == "tv.smart.gov.records_online")
        assert ind["status"] == "pass"
        assert (ind["actual"]["count"], ind["actual"]["of"]) == ("1362", "1508")
        assert ind["threshold"]["value"] == "0.85" and ind["op"] == ">="

    def test_unreported_facts_are_missing(self):
        """Every smart-commune fact the article does not report is listed in missing_facts, nothing else."""
        verdict = evaluate(THANH_PHU, "tra-vinh/smart-commune")
        assert list(verdict.missing_facts) == sorted([
            "officials_digital_trained", "residents_digital_trained", "business_households_online_payment",
            "households_online_payment", "enterprises_modern_management", "smart_cooperative_automation",
            "essential_services_digital_feedback", "renewable_timed_lighting", "camera_covered_sites",
        ])
        assert verdict.prerequisites[0].status == "pass"
        assert verdict.prerequisites[0].satisfied_by["decision"] == "163/QĐ-UBND"


class TestSmartHamlet:
    """Acceptance 3: Trà Vinh's smart hamlet, strict "trên 80%" and inclusive "ít nhất 80%"."""

    @pytest.mark.parametrize("engine", ENGINES)
    def test_seed_hamlet_passes_through_bounds(self, engine):
        verdict = evaluate(THANH_PHU, "tra-vinh/model-ntm-2021-2025", engine=engine)
        ind = verdict.indicator("km.smart_hamlet")
        assert ind.status == "pass"
        (hamlet,) = ind.hamlets
        assert hamlet.name == "Ấp 2" and hamlet.status == "pass"
        by_id = {i.id: i for i in hamlet.indicators}
        assert by_id["tv.hamlet.automation"].alternatives[0].actual["bound"] == {"gt": "90"}
        assert by_id["tv.hamlet.automation"].alternatives[0].status == "pass"
        assert by_id["tv.hamlet.cashless_or_online"].alternatives[0].status == "pass"

    @staticmethod
    def _hamlet(info, automation):
        return base_factset(hamlets=[{"name": "Ấp Thử", "facts": {
            "automation_stages": automation, "residents_info_access_digital": info,
            "households_cashless_utilities": {"count": 95, "of": 100}}}])

    @pytest.mark.parametrize("engine", ENGINES)
    @pytest.mark.parametrize("info", [{"count": 80, "of": 100}, pct("80"), {"count": 400, "of": 500}])
    def test_exactly_80_percent_info_access_fails(self, engine, info):
        verdict = evaluate(self._hamlet(info, {"count": 9, "of": 10}), "tra-vinh/model-ntm-2021-2025", engine=engine)
        (hamlet,) = verdict.indicator("km.smart_hamlet").hamlets
        assert {i.id: i.status for i in hamlet.indicators}["tv.hamlet.info_access"] == "fail"
        assert verdict.indicator("km.smart_hamlet").status == "fail"
        assert verdict.verdict == "not_certified"

    @pytest.mark.parametrize("engine", ENGINES)
    @pytest.mark.parametrize("automation", [{"count": 4, "of": 5}, pct("80"), {"count": 80, "of": 100}])
    def test_exactly_80_percent_automation_passes(self, engine, automation):
        verdict = evaluate(self._hamlet({"count": 81, "of": 100}, automation), "tra-vinh/model-ntm-2021-2025",
                           engine=engine)
        (hamlet,) = verdict.indicator("km.smart_hamlet").hamlets
        statuses = {i.id: i.status for i in hamlet.indicators}
        assert statuses == {"tv.hamlet.automation": "pass", "tv.hamlet.info_access": "pass",
                            "tv.hamlet.cashless_or_online": "pass"}

    @pytest.mark.parametrize("engine", ENGINES)
    def test_one_household_over_80_percent_passes_info_access(self, engine):
        verdict = evaluate(self._hamlet({"count": 401, "of": 500}, pct("80")), "tra-vinh/model-ntm-2021-2025",
                           engine=engine)
        assert verdict.indicator("km.smart_hamlet").status == "pass"


class TestExactRatios:
    """Acceptance 4: ratios exactly on an inclusive threshold pass; one short fails (both engines)."""

    @pytest.fixture(scope="class")
    @classmethod
    def exact_pack(cls):
        return PackLibrary(root=FIXTURE_PACKS).get("test/exact-57")

    @pytest.mark.parametrize("engine", ENGINES)
    @pytest.mark.parametrize("count,of,expected", [(57, 100, "pass"), (56, 100, "fail"), (570, 1000, "pass"),
                                                   (569, 1000, "fail"), (5700, 10000, "pass")])
    def test_57_of_100_against_57_percent(self, exact_pack, engine, count, of, expected):
        fs = base_factset(facts={"commune_records_online": {"count": count, "of": of}})
        verdict = evaluate(fs, exact_pack, engine=engine)
        assert verdict.indicator("test.exact.records_57").status == expected

    @pytest.mark.parametrize("engine", ENGINES)
    @pytest.mark.parametrize("count,expected", [(1700, "pass"), (1699, "fail"), (1701, "pass")])
    def test_1700_of_2000_against_85_percent(self, engine, count, expected):
        fs = base_factset(facts={"commune_records_online": {"count": count, "of": 2000}})
        verdict = evaluate(fs, "tra-vinh/smart-commune", engine=engine)
        assert verdict.indicator("tv.smart.gov.records_online").status == expected

    @pytest.mark.parametrize("engine", ENGINES)
    def test_percentage_with_many_decimals(self, engine):
        fs = base_factset(facts={"commune_records_online": pct("84.99999999999")})
        assert evaluate(fs, "tra-vinh/smart-commune", engine=engine).indicator(
            "tv.smart.gov.records_online").status == "fail"


class _DecimalDumper(yaml.SafeDumper):
    pass


_DecimalDumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", str(v)))


class TestDeterminism:
    """Acceptance 6: byte-identical verdict JSON across runs and across key order."""

    def test_two_runs_and_reordered_input_are_byte_identical(self, tmp_path):
        from ntmcert.inputs.yamlio import load_path

        data = load_path(THANH_PHU).data
        reordered = tmp_path / "reordered.yaml"
        reordered.write_text(yaml.dump(reorder_keys(data), Dumper=_DecimalDumper, sort_keys=False, allow_unicode=True),
                             encoding="utf-8")
        assert reordered.read_text(encoding="utf-8") != THANH_PHU.read_text(encoding="utf-8")
        args = ("--pack", "tra-vinh/smart-commune", "--pack", "tra-vinh/model-ntm-2021-2025", "--format", "json")
        first = run_cli("evaluate", str(THANH_PHU), *args)
        second = run_cli("evaluate", str(THANH_PHU), *args)
        third = run_cli("evaluate", str(reordered), *args)
        assert first.stdout and first.stdout == second.stdout == third.stdout
        doc = json.loads(first.stdout)
        for v in doc["verdicts"]:
            assert len(v["factset_sha256"]) == 64 and len(v["pack"]["sha256"]) == 64
            assert v["engine"]["name"] in ("durable-rules", "reference") and v["engine"]["version"]

    def test_json_input_hashes_like_yaml(self, tmp_path):
        from ntmcert.inputs.yamlio import load_path

        data = load_path(THANH_PHU).data
        as_json = tmp_path / "tp.json"
        # Decimal → float only to *write* JSON numbers: repr gives back the same shortest digits
        as_json.write_text(json.dumps(data, default=lambda v: float(v) if isinstance(v, Decimal) else str(v),
                                      ensure_ascii=False), encoding="utf-8")
        assert load_factset(as_json).sha256 == load_factset(THANH_PHU).sha256


class TestBadInput:
    """Acceptance 7: four mistakes in one file, all reported with file, line and key path; exit 2."""

    BAD = """format: ntmcert/factset/v1
commune:
  name: Xã Sai
  province: Trà Vinh
  region: dbscl
as_of: 2024-08-31
facts:
  commune_records_online: {count: -5, of: 100}
  households_with_smartphone: {count: 120, of: 100}
  comune_records_onlin: {count: 1, of: 2}
  kiosks: 2
  kiosks: 3
"""

    def test_all_four_problems_named(self, tmp_path):
        path = tmp_path / "bad.yaml"
        path.write_text(self.BAD, encoding="utf-8")
        proc = run_cli("evaluate", str(path))
        assert proc.returncode == 2
        assert proc.stdout == "" and "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        expected = [
            (8, "facts.commune_records_online.count", "fact_negative"),
            (9, "facts.households_with_smartphone.count", "fact_count_above_of"),
            (10, "facts.comune_records_onlin", "fact_unknown"),
            (12, "facts.kiosks", "duplicate_key"),
        ]
        assert len(lines) == 4
        for line, (row, key_path, code) in zip(lines, expected, strict=True):
            assert line.startswith(f"{path}:{row}:"), line
            assert f"[{key_path}]" in line and f" {code}: " in line
        assert "(có phải là 'commune_records_online'?)" in lines[2]  # Vietnamese by default, the values kept
        english = run_cli("evaluate", str(path), "--lang", "en").stderr.strip().splitlines()
        assert "did you mean 'commune_records_online'" in english[2]

    def test_json_errors_document(self, tmp_path):
        path = tmp_path / "bad.yaml"
        path.write_text(self.BAD, encoding="utf-8")
        proc = run_cli("evaluate", str(path), "--format", "json")
        assert proc.returncode == 2
        errors = json.loads(proc.stdout)["errors"]
        assert [e["code"] for e in errors] == ["fact_negative", "fact_count_above_of", "fact_unknown", "duplicate_key"]
        assert all(e["location"]["file"] == str(path) and e["location"]["line"] for e in errors)


def test_memory_flat_over_10000_evaluations():
    """Acceptance 8: RSS after 10,000 more evaluations stays within a few MB (no engine state kept)."""
    script = """
import sys
from ntmcert import evaluate, load_factset, default_library
fs = load_factset(sys.argv[1])
lib = default_library()
packs = [lib.get(p) for p in ("tra-vinh/smart-commune", "tra-vinh/model-ntm-2021-2025")]
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
for i in range(1000):
    evaluate(fs, packs[i % 2])
before = rss()
for i in range(10000):
    evaluate(fs, packs[i % 2])
print(before, rss())
"""
    proc = subprocess.run([sys.executable, "-c", script, str(THANH_PHU)], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stderr
    before, after = map(float, proc.stdout.split())
    assert after - before < 8, f"RSS grew from {before:.1f} MB to {after:.1f} MB"
