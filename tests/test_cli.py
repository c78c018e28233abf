"""The command line through typer's runner: exit codes, formats, languages, packs, validate."""

from __future__ import annotations

import json

import pytest
from ntmcert.cli.main import app
from typer.testing import CliRunner

from .conftest import SEEDS, THANH_PHU

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


class TestEvaluate:
    def test_default_packs_fit_the_commune(self):
        """No --pack: the applicable packs of the next tier the commune can seek (Thạnh Phú holds a model
        recognition, so the smart packs), complete packs first; overlays replace their base."""
        result = invoke("evaluate", THANH_PHU, "--format", "json")
        doc = json.loads(result.stdout)
        ids = [v["pack"]["id"] for v in doc["verdicts"]]
        assert ids == ["tra-vinh/smart-commune", "vn/smart-commune-pilot"]
        assert result.exit_code == 3

    def test_default_run_without_recognitions_listed_evaluates_every_fitting_pack(self, tmp_path):
        """A fact set that does not say what it holds: every fitting pack, highest tier first, complete first."""
        import re

        text = THANH_PHU.read_text(encoding="utf-8")
        text, n = re.subn(r"(?ms)^recognitions:.*?(?=^\S)", "", text)
        assert n == 1
        path = tmp_path / "f.yaml"
        path.write_text(text, encoding="utf-8")
        doc = json.loads(invoke("evaluate", path, "--format", "json").stdout)
        ids = [v["pack"]["id"] for v in doc["verdicts"]]
        assert ids == ["tra-vinh/smart-commune", "vn/smart-commune-pilot", "tra-vinh/model-ntm-2021-2025",
                       "vn/ntm-advanced-2021-2025", "vn/ntm-2021-2025", "vn/recognition-2021-2025"]
        assert "vn/model-ntm-2021-2025" not in ids  # the Trà Vinh overlay replaces the frame it extends
        assert "vn/ntm-2026-2030" not in ids  # not in force on 2024-08-31
        for v in doc["verdicts"]:
            assert all(p["status"] != "fail" for p in v["prerequisites"])  # not known is missing, not fail

    def test_certified_example_default_run_is_certified(self):
        """The acceptance case of issue #9: a commune holding advanced and model recognitions is
        assessed for the smart tier, certified, exit 0; no lower-tier prerequisite fails."""
        result = invoke("evaluate", SEEDS / "example-smart-certified.yaml", "--format", "json")
        assert result.exit_code == 0, result.stdout
        doc = json.loads(result.stdout)
        first = doc["verdicts"][0]
        assert first["pack"]["id"] == "tra-vinh/smart-commune" and first["verdict"] == "certified"
        assert all(p["status"] == "pass" for v in doc["verdicts"] for p in v["prerequisites"])

    def test_higher_tier_recognition_implies_the_lower_prerequisite(self):
        result = invoke("evaluate", SEEDS / "example-smart-certified.yaml", "--pack", "vn/ntm-advanced-2021-2025",
                        "--format", "json")
        (prereq,) = json.loads(result.stdout)["prerequisites"]
        assert prereq["status"] == "pass"
        assert prereq["satisfied_by"]["implied_by"] == "ntm_advanced"
        assert "nên đã đạt xã nông thôn mới" in prereq["explanation"]["vi"]
        assert "101/QĐ-UBND" in prereq["explanation"]["vi"]

    def test_certified_example_exits_0(self):
        result = invoke("evaluate", SEEDS / "example-smart-certified.yaml", "--pack", "tra-vinh/smart-commune")
        assert result.exit_code == 0, result.stdout
        assert "ĐẠT CHUẨN" in result.stdout

    def test_failing_example_exits_1_and_says_what_would_pass(self):
        result = invoke("evaluate", SEEDS / "example-model-fails-hamlet.yaml", "--pack",
                        "tra-vinh/model-ntm-2021-2025", "--lang", "en")
        assert result.exit_code == 1
        assert "NOT CERTIFIED" in result.stdout
        assert "needs 1 more: 401 of 500 people > 80%" in result.stdout.replace("\n", " ")

    def test_text_report_lists_missing_facts_in_vietnamese(self):
        result = invoke("evaluate", THANH_PHU, "--pack", "tra-vinh/smart-commune")
        assert result.exit_code == 3
        out = result.stdout
        assert "CHƯA ĐỦ CĂN CỨ KẾT LUẬN" in out and "Số liệu cần thu thập" in out
        assert "officials_digital_trained" in out and "163/QĐ-UBND" in out
        # failing and missing rows come before passing ones
        assert out.index("Chưa đủ") < out.index("Số liệu cần thu thập")

    def test_markdown(self):
        result = invoke("evaluate", THANH_PHU, "--pack", "tra-vinh/smart-commune", "--format", "md", "--lang", "en")
        assert result.exit_code == 3
        assert result.stdout.startswith("# Smart new-rural commune")
        assert "| Pass | tv.smart.gov.records_online | 1,362/1,508 (90.32%) | ≥ 85% | +5.32 pp |" in result.stdout

    def test_reference_engine_same_json(self):
        a = invoke("evaluate", THANH_PHU, "--pack", "tra-vinh/smart-commune", "-f", "json")
        b = invoke("evaluate", THANH_PHU, "--pack", "tra-vinh/smart-commune", "-f", "json", "--engine", "reference")
        da, db = json.loads(a.stdout), json.loads(b.stdout)
        assert da.pop("engine")["name"] == "durable-rules" and db.pop("engine")["name"] == "reference"
        assert da == db

    @pytest.mark.parametrize("args", [("evaluate",), ("evaluate", "x.yaml", "--format", "pdf"),
                                      ("evaluate", "x.yaml", "--lang", "fr")])
    def test_usage_errors_exit_2(self, args):
        assert invoke(*args).exit_code == 2

    def test_missing_file_exit_2(self, tmp_path):
        result = invoke("evaluate", tmp_path / "none.yaml")
        assert result.exit_code == 2 and "file_unreadable" in result.stderr

    def test_unknown_pack_exit_2(self):
        result = invoke("evaluate", THANH_PHU, "--pack", "vn/nothing")
        assert result.exit_code == 2 and "pack_not_found" in result.stderr

    def test_no_applicable_pack(self, tmp_path):
        text = THANH_PHU.read_text(encoding="utf-8").replace("province: Trà Vinh", "province: Hà Giang").replace(
            "as_of: 2024-08-31", "as_of: 2021-01-01")
        path = tmp_path / "elsewhere.yaml"
        path.write_text(text, encoding="utf-8")
        result = invoke("evaluate", path)
        assert result.exit_code == 2 and "no_applicable_pack" in result.stderr


class TestPacksAndValidate:
    def test_packs_lists_every_bundled_pack(self):
        result = invoke("packs")
        assert result.exit_code == 0
        assert {line.split("\t")[0] for line in result.stdout.splitlines()} >= {
            "vn/model-ntm-2021-2025", "tra-vinh/model-ntm-2021-2025", "tra-vinh/smart-commune",
            "vn/smart-commune-pilot"}

    def test_packs_show(self):
        result = invoke("packs", "show", "tra-vinh/model-ntm-2021-2025", "--lang", "en")
        assert result.exit_code == 0
        out = result.stdout
        assert "`tv.hamlet.info_access`" in out and "> 80%" in out and "secondary" in out
        assert "tra-vinh/model-ntm-2021-2025 → vn/model-ntm-2021-2025" in out
        assert "advanced_income_threshold" in out and "unknown" in out

    def test_validate_ok_and_bad(self, tmp_path):
        ok = invoke("validate", THANH_PHU)
        assert ok.exit_code == 0 and "hợp lệ" in ok.stdout
        bad = tmp_path / "bad.yaml"
        bad.write_text("format: ntmcert/factset/v1\n", encoding="utf-8")
        result = invoke("validate", bad)
        assert result.exit_code == 2 and "commune" in result.stderr and "as_of" in result.stderr
