"""The command line through typer's runner: exit codes, formats, languages, packs, validate."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ntmcert.cli.main import app

from .conftest import SEEDS, THANH_PHU

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


class TestEvaluate:
    def test_default_packs_fit_the_commune(self):
        """No --pack: every bundled pack whose province and period fit, overlays replacing their base."""
        result = invoke("evaluate", THANH_PHU, "--format", "json")
        doc = json.loads(result.stdout)
        ids = [v["pack"]["id"] for v in doc["verdicts"]]
        assert ids == ["tra-vinh/model-ntm-2021-2025", "tra-vinh/smart-commune", "vn/ntm-2021-2025",
                       "vn/ntm-advanced-2021-2025", "vn/recognition-2021-2025", "vn/smart-commune-pilot"]
        assert "vn/model-ntm-2021-2025" not in ids  # the Trà Vinh overlay replaces the frame it extends
        assert "vn/ntm-2026-2030" not in ids  # not in force on 2024-08-31
        assert result.exit_code == 3

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
        assert ok.exit_code == 0 and "valid" in ok.stdout
        bad = tmp_path / "bad.yaml"
        bad.write_text("format: ntmcert/factset/v1\n", encoding="utf-8")
        result = invoke("validate", bad)
        assert result.exit_code == 2 and "commune" in result.stderr and "as_of" in result.stderr
