"""Issue 5: what it takes to pass, exactly, and what-if evaluations."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from ntmcert import evaluate, load_factset
from ntmcert.cli.main import app
from typer.testing import CliRunner

from .conftest import SEEDS, THANH_PHU, base_factset

runner = CliRunner()
FAILING = SEEDS / "example-model-fails-hamlet.yaml"


def _failing_leaves(verdict):
    for crit in verdict.criteria:
        for ind in crit.indicators:
            for h in ind.hamlets:
                for sub in h.indicators:
                    if sub.status == "fail":
                        yield sub, h.name
            if not ind.hamlets and ind.status == "fail":
                yield ind, None


class TestDistanceToPass:
    """Acceptance 1: the stated count or value passes, one less fails."""

    def test_thanh_phu_text_report_names_each_missing_fact(self):
        result = runner.invoke(app, ["evaluate", str(THANH_PHU), "--pack", "tra-vinh/smart-commune"])
        verdict = evaluate(THANH_PHU, "tra-vinh/smart-commune")
        out = result.stdout.replace("\n", " ")
        assert verdict.missing_facts
        for fact in verdict.missing_facts:
            assert fact in out

    def test_every_failing_indicator_of_the_failing_example(self):
        verdict = evaluate(FAILING, "tra-vinh/model-ntm-2021-2025")
        leaves = list(_failing_leaves(verdict))
        assert len(leaves) == 2  # tv.hamlet.info_access in both hamlets: exactly 80% is not "trên 80%"
        data = load_factset(FAILING)
        for leaf, hamlet in leaves:
            need = leaf.to_pass
            count, of = Fraction(need["count"]), Fraction(need["of"])
            assert f"{count.numerator}/{of.numerator}" in need["display"]["vi"].replace(".", "")
            ref = f"{leaf.id}@{hamlet}"
            assert _status_with(FAILING, hamlet, leaf.fact, count, of, ref) == "pass"
            assert _status_with(FAILING, hamlet, leaf.fact, count - 1, of, ref) == "fail"
        assert data.hamlets  # the input is untouched by the checks above

    @pytest.mark.parametrize("count,of,op_needed", [(1281, 1508, 1282), (1000, 1508, 1282), (1282, 1508, None)])
    def test_records_online_distance(self, count, of, op_needed):
        fs = base_factset(facts={"commune_records_online": {"count": count, "of": of}})
        ind = evaluate(fs, "tra-vinh/smart-commune").indicator("tv.smart.gov.records_online")
        if op_needed is None:
            assert ind.status == "pass" and ind.to_pass is None
            return
        assert ind.to_pass["count"] == str(op_needed)
        assert ind.to_pass["display"]["vi"] == f"cần thêm {op_needed - count} hồ sơ: 1.282/1.508 ≥ 85%"
        assert ind.to_pass["display"]["en"] == f"needs {op_needed - count} more: 1,282 of 1,508 records ≥ 85%"

    def test_strict_count_threshold_asks_for_the_next_whole_number(self):
        fs = base_factset(facts={"free_public_wifi_points": 0})
        ind = evaluate(fs, "vn/smart-commune-pilot").indicator("vn.smart.infra.public_wifi")
        assert ind.status == "fail" and ind.to_pass["value"] == "1"
        assert "(1 more)" in ind.to_pass["display"]["en"]

    def test_straddling_bound_asks_for_the_exact_figure(self):
        fs = base_factset(facts={"commune_records_online": {"percent": {"gt": 80}}})
        ind = evaluate(fs, "tra-vinh/smart-commune").indicator("tv.smart.gov.records_online")
        assert ind.status == "undecidable"
        assert "collect the exact figure" in ind.to_pass["display"]["en"]

    def test_alternatives_list_each_way(self):
        fs = base_factset(hamlets=[{"name": "Ấp X", "facts": {"automation_stages": {"count": 3, "of": 5}}}])
        verdict = evaluate(fs, "tra-vinh/model-ntm-2021-2025")
        automation = verdict.find("tv.hamlet.automation@Ấp X")
        text = automation.to_pass["display"]["en"]
        assert "needs 1 more: 4 of 5 stages ≥ 80%" in text and " | or " in text and "needs: yes" in text


def _status_with(path, hamlet, fact, count, of, ref):
    from ntmcert.inputs.yamlio import load_path

    data = load_path(path).data
    for h in data["hamlets"]:
        if h["name"] == hamlet:
            h["facts"][fact] = {"count": int(count), "of": int(of)}
    return evaluate(data, "tra-vinh/model-ntm-2021-2025").find(ref).status


class TestWhatIf:
    """Acceptance 2: --set changes a verdict without touching the input; before → after shown."""

    def test_set_changes_the_verdict_and_not_the_file(self, tmp_path):
        path = tmp_path / "tp.yaml"
        path.write_bytes(THANH_PHU.read_bytes())
        before = path.read_bytes()
        result = runner.invoke(app, ["evaluate", str(path), "--pack", "tra-vinh/smart-commune", "--lang", "en",
                                     "--set", "commune_records_online={count: 1200, of: 1508}"])
        assert result.exit_code == 1  # not certified after the change
        assert "tra-vinh/smart-commune verdict: INCOMPLETE → NOT CERTIFIED" in result.stdout
        assert "tv.smart.gov.records_online: Pass → Fail" in result.stdout
        assert path.read_bytes() == before

    def test_hamlet_set_and_json(self):
        result = runner.invoke(app, ["evaluate", str(THANH_PHU), "--pack", "tra-vinh/model-ntm-2021-2025",
                                     "--format", "json",
                                     "--set", "hamlet:Ấp 2:residents_info_access_digital={percent: 80}"])
        doc = json.loads(result.stdout)
        assert doc["schema"] == "ntmcert/what-if/v1"
        moved = {(m["ref"], m["before"], m["after"]) for m in doc["moved"]}
        assert ("tv.hamlet.info_access@Ấp 2", "pass", "fail") in moved
        assert ("criterion:km.smart_hamlet", "pass", "fail") in moved
        assert doc["before"][0]["verdict"] != doc["after"][0]["verdict"]

    def test_empty_value_removes_a_fact(self):
        result = runner.invoke(app, ["evaluate", str(THANH_PHU), "--pack", "tra-vinh/smart-commune", "--format",
                                     "json", "--set", "commune_records_online="])
        doc = json.loads(result.stdout)
        assert "commune_records_online" in doc["after"][0]["missing_facts"]

    @pytest.mark.parametrize("arg,code", [("nothing", "set_syntax"), ("kiosks={a: [", "set_value"),
                                          ("hamlet:X=1", "set_syntax"), ("kiosks=-1", "fact_negative"),
                                          ("kiosk=1", "fact_unknown")])
    def test_bad_set_is_exit_2(self, arg, code):
        result = runner.invoke(app, ["evaluate", str(THANH_PHU), "--pack", "tra-vinh/smart-commune", "--set", arg])
        assert result.exit_code == 2 and code in result.stderr
