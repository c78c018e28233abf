"""Issue #9, right verdicts and officer-grade output: tier implication, missing recognitions, the
--set value grammar, ethnic-minority region I, and numbers written as reports write them."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest
from ntmcert import evaluate
from ntmcert.cli.main import app
from ntmcert.core.errors import InputError
from ntmcert.evaluation.whatif import parse_changes
from ntmcert.sheets.cells import CellError, fact_from_text, number
from typer.testing import CliRunner

from .conftest import SEEDS, THANH_PHU, base_factset

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


ADVANCED = "vn/ntm-advanced-2021-2025"


class TestRecognitions:
    def test_no_recognitions_given_is_missing_and_named_as_a_fact_to_collect(self):
        data = base_factset()
        data.pop("recognitions", None)
        v = evaluate(data, ADVANCED)
        (prereq,) = v.prerequisites
        assert prereq.status == "missing"
        assert v.verdict != "not_certified" or any(c.status == "fail" for c in v.criteria)
        assert "recognition:ntm" in v.missing_facts

    @pytest.mark.parametrize("none", [[], "không", "none"])
    def test_saying_none_is_held_fails_the_prerequisite(self, none):
        data = base_factset()
        data["recognitions"] = none
        (prereq,) = evaluate(data, ADVANCED).prerequisites
        assert prereq.status == "fail"

    def test_a_model_recognition_meets_the_ntm_prerequisite_and_says_so(self):
        data = base_factset()
        data["recognitions"] = [{"tier": "ntm_model", "decision": "9/QĐ-UBND", "date": "2023"}]
        (prereq,) = evaluate(data, ADVANCED).prerequisites
        assert prereq.status == "pass"
        assert prereq.satisfied_by["implied_by"] == "ntm_model"
        assert prereq.explanation.vi == ("Đã được công nhận xã nông thôn mới kiểu mẫu (Quyết định 9/QĐ-UBND năm 2023) "
                                         "nên đã đạt xã nông thôn mới.")

    def test_a_higher_recognition_dated_after_as_of_does_not_count(self):
        data = base_factset()
        data["recognitions"] = [{"tier": "ntm_model", "decision": "9/QĐ-UBND", "date": "2099-01-01"}]
        (prereq,) = evaluate(data, ADVANCED).prerequisites
        assert prereq.status == "fail"

    def test_blank_recognition_cells_are_missing_and_khong_is_fail(self, tmp_path):
        from tests.sheets.helpers import GOOD, write_csv

        blank = {**GOOD, "recognition.ntm_model.decision": None, "recognition.ntm_model.date": None}
        said_none = {**GOOD, "recognition.ntm_model.decision": "không", "recognition.ntm_model.date": None}
        src = write_csv(tmp_path / "in.csv", [blank, said_none])
        out = tmp_path / "out.csv"
        result = invoke("batch", src, "--pack", "tra-vinh/smart-commune", "--out", out)
        assert result.exit_code in (1, 3), result.output
        with open(out, encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        data = [r for r in rows if r.get("row", "").isdigit()]
        assert len(data) == 2
        assert data[0]["verdict"] == "incomplete" and "tv.smart.keep_model" in (data[0]["missing"] or "")
        assert data[1]["verdict"] == "not_certified" and "tv.smart.keep_model" in data[1]["failing"]


class TestValueGrammar:
    @pytest.mark.parametrize("text,whole,expected", [
        ("1.362", True, 1362), ("1.362.500", False, 1362500), ("1.362,5", False, Decimal("1362.5")),
        ("1,362.5", False, Decimal("1362.5")), ("90,32", False, Decimal("90.32")), ("1,362", True, 1362),
        ("85.78", False, Decimal("85.78")),
    ])
    def test_numbers_as_reports_write_them(self, text, whole, expected):
        assert number(text, whole) == expected

    def test_a_lone_group_in_a_decimal_column_stays_ambiguous_with_a_comma(self):
        with pytest.raises(CellError):
            number("1,362", False)

    @pytest.mark.parametrize("arg,value", [
        ("smart_irrigation_model=không", False),
        ("households_with_smartphone=trên 90%", {"percent": {"gt": 90}}),
        ("households_with_smartphone=100%", {"percent": 100}),
        ("households_with_smartphone=90,32", {"percent": Decimal("90.32")}),
        ("kiosks=1.362", 1362),
        ("commune_records_online=1.300/1.508", {"count": 1300, "of": 1508}),
        ("kiosks={ge: 3}", {"ge": 3}),
    ])
    def test_set_takes_what_the_spreadsheet_takes(self, arg, value):
        (change,) = parse_changes([arg], None, fact_from_text)
        assert change.value == value

    @pytest.mark.parametrize("arg,code,key", [
        ("kiosk=3", "fact_unknown", "facts.kiosk"),
        ("kiosks=null", "set_null", "facts.kiosks"),
        ("kiosks=1.5", "fact_not_whole", "facts.kiosks"),
        ("kiosks=3\n4", "set_syntax", None),
        ("smart_irrigation_model=maybe", "set_bad_yes_no", "facts.smart_irrigation_model"),
    ])
    def test_set_errors_are_located_at_the_argument(self, arg, code, key):
        with pytest.raises(InputError) as exc:
            parse_changes(["kiosks=2", arg], None, fact_from_text)
        (problem,) = exc.value.problems
        assert problem.code == code
        where = problem.location
        assert where.file == "--set #2" and where.key_path == key and where.line is None

    def test_cli_names_the_argument_and_suggests(self):
        result = invoke("evaluate", THANH_PHU, "--set", "kiosk=3")
        assert result.exit_code == 2
        assert "--set #1 [facts.kiosk]: fact_unknown" in result.output and "'kiosks'" in result.output

    def test_cli_whatif_with_vietnamese_values_runs(self):
        result = invoke("evaluate", THANH_PHU, "--pack", "tra-vinh/smart-commune", "--set",
                        "smart_irrigation_model=không", "--set", "households_with_smartphone=trên 90%")
        assert result.exit_code == 1, result.output
        assert "tv.smart.eco.smart_irrigation" in result.stdout


class TestEthnicMinorityRegion:
    def test_region_i_is_accepted_and_keeps_the_own_region(self):
        data = base_factset()
        data["commune"] = {**data["commune"], "special": {"ethnic_minority_region": "I"}}
        v = evaluate(data, ADVANCED)
        assert v.region["used"] == v.region["own"]

    def test_region_i_does_not_make_group_3(self):
        from ntmcert.inputs.factset import Commune
        from ntmcert.packs.resolve import commune_group

        commune = Commune.model_validate({"name": "X", "province": "Y", "region": "tn",
                                          "special": {"ethnic_minority_region": "I"}})
        assert commune_group(commune)[0] is None

    def test_sheet_cell_takes_i(self):
        from ntmcert.sheets.cells import ethnic

        assert ethnic("i") == "I"


def test_whatif_json_still_lists_changes():
    result = invoke("evaluate", SEEDS / "example-smart-certified.yaml", "--pack", "tra-vinh/smart-commune",
                    "--set", "kiosks=0", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["set"] == ["kiosks=0"]


class TestResultsWorkbook:
    def test_verdict_first_titles_colours_filter_and_print_setup(self, tmp_path):
        import openpyxl

        from tests.sheets.helpers import COMMUNES, fill_template, make_template

        book = fill_template(make_template(tmp_path), COMMUNES, tmp_path / "in.xlsx")
        out = tmp_path / "results.xlsx"
        result = invoke("batch", book, "--pack", "tra-vinh/smart-commune", "--out", out)
        assert result.exit_code == 2, result.output
        wb = openpyxl.load_workbook(out)
        assert wb.sheetnames[0] == "Tổng hợp - Summary"
        ws = wb["Kết quả - Results"]
        ids = [c.value for c in ws[1]]
        assert ids[:4] == ["row", "commune.name", "verdict_text", "error"]
        assert [c.value for c in ws[2]][:4] == ["Dòng", "Tên xã", "Kết luận", "Lỗi số liệu"]
        rows = {r[1]: dict(zip(ids, r, strict=False)) for r in ws.iter_rows(min_row=3, values_only=True)}
        failing = rows["Xã Chưa Đạt (ví dụ)"]
        assert failing["verdict_text"] == "KHÔNG ĐẠT CHUẨN"
        assert failing["failing_titles"].startswith("tv.smart.gov.records_online — ")
        assert "hồ sơ công việc" in failing["failing_titles"]  # the Vietnamese title beside the id
        assert rows["Xã Số Liệu Sai (ví dụ)"]["error"]
        verdict_col = ids.index("verdict_text") + 1
        fills = {ws.cell(row=r, column=2).value: ws.cell(row=r, column=verdict_col).fill.fgColor.rgb
                 for r in range(3, ws.max_row + 1)}
        assert fills["Xã Đạt Chuẩn (ví dụ)"].endswith("C6EFCE") and fills["Xã Chưa Đạt (ví dụ)"].endswith("FFC7CE")
        assert ws.auto_filter.ref.startswith("A2:")
        assert ws.freeze_panes == "C3"
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        summary = list(wb["Tổng hợp - Summary"].iter_rows(values_only=True))
        by_key = {r[2]: r for r in summary if r and len(r) > 2 and r[2]}
        assert by_key["certified"][:2] == ("ĐẠT CHUẨN", 1)  # the label beside its number
        assert by_key["not_certified"][:2] == ("KHÔNG ĐẠT CHUẨN", 1)
        assert by_key["total"][:2] == ("Tổng", 3)

    def test_english_workbook_titles(self, tmp_path):
        import openpyxl

        from tests.sheets.helpers import COMMUNES, fill_template, make_template

        book = fill_template(make_template(tmp_path), COMMUNES[1:2], tmp_path / "in.xlsx")
        out = tmp_path / "results.xlsx"
        invoke("batch", book, "--pack", "tra-vinh/smart-commune", "--out", out, "--lang", "en")
        ws = openpyxl.load_workbook(out)["Kết quả - Results"]
        row = [c.value for c in ws[3]]
        assert row[2] == "NOT CERTIFIED" and "records" in row[4].lower()

    def test_csv_has_a_byte_order_mark(self, tmp_path):
        from tests.sheets.helpers import GOOD, write_csv

        out = tmp_path / "out.csv"
        invoke("batch", write_csv(tmp_path / "in.csv", [GOOD]), "--pack", "tra-vinh/smart-commune", "--out", out)
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")

    def test_a_count_written_with_a_thousands_dot_is_read(self, tmp_path):
        from tests.sheets.helpers import GOOD, write_csv

        row = {**GOOD, "facts.commune_records_online.count": "1.362", "facts.commune_records_online.of": "1.508"}
        out = tmp_path / "out.jsonl"
        result = invoke("batch", write_csv(tmp_path / "in.csv", [row]), "--pack", "tra-vinh/smart-commune",
                        "--out", out)
        assert result.exit_code == 0, result.output
        doc = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
        ind = next(i for c in doc["criteria"] for i in c["indicators"] if i["id"] == "tv.smart.gov.records_online")
        assert ind["actual"]["count"] == "1362" and ind["actual"]["of"] == "1508"


NO_HAMLETS = """\
format: ntmcert/factset/v1
commune: {name: Xã Thử, province: Trà Vinh, region: dbscl}
as_of: 2024-12-31
recognitions: [{tier: ntm_advanced, decision: 1/QĐ-UBND, date: 2023-05-15}]
facts: {income_per_capita: 66}
"""


class TestHamletsWithoutHamlets:
    @pytest.mark.parametrize("lang,every", [("vi", "(mọi ấp)"), ("en", "(every hamlet)")])
    def test_say_what_to_collect_in_words_never_a_count(self, tmp_path, lang, every):
        path = tmp_path / "f.yaml"
        path.write_text(NO_HAMLETS, encoding="utf-8")
        v = evaluate(path, "tra-vinh/model-ntm-2021-2025")
        ind = v.indicator("km.smart_hamlet")
        assert ind.status == "missing" and ind.actual is None and ind.margin is None
        assert every.replace("(every hamlet)", "for every hamlet") in ind.to_pass["display"][lang] or \
            every in ind.to_pass["display"][lang]
        for fmt in ("text", "md", "html"):
            out = invoke("evaluate", path, "--pack", "tra-vinh/model-ntm-2021-2025", "--format", fmt,
                         "--lang", lang).stdout
            assert "0 ấp" not in out and "-1 ấp" not in out and "−1 ấp" not in out and "cần thêm 1 ấp" not in out
            assert "0 hamlets" not in out and "needs 1 more hamlet" not in out
            assert every in out  # the facts to collect say "every hamlet" in words


class TestSummaryFirst:
    @pytest.mark.parametrize("fmt", ["text", "md", "html"])
    def test_summary_opens_every_multi_verdict_report_highest_tier_first(self, fmt):
        out = invoke("evaluate", SEEDS / "example-smart-certified.yaml", "--format", fmt).stdout
        head = out[:out.index("tra-vinh/smart-commune 1.0.0")] if fmt == "text" else out
        assert "Tổng hợp kết quả" in head
        first_pack = out.index("tra-vinh/smart-commune")
        assert out.index("Tổng hợp kết quả") < first_pack < out.index("vn/smart-commune-pilot")
        assert "không thể tự kết luận đạt chuẩn" in out  # the partial pack stands under its own heading
        assert "3/3" in out

    def test_json_keeps_its_shape(self):
        doc = json.loads(invoke("evaluate", SEEDS / "example-smart-certified.yaml", "--format", "json").stdout)
        assert doc["schema"] == "ntmcert/verdict-list/v1" and set(doc) == {"schema", "verdicts"}

    def test_single_verdict_has_no_summary_in_text(self):
        out = invoke("evaluate", THANH_PHU, "--pack", "tra-vinh/smart-commune").stdout
        assert "Tổng hợp kết quả" not in out


class TestTerminalWidth:
    def test_80_columns(self):
        import os
        import subprocess
        import sys

        env = {**os.environ, "COLUMNS": "80"}
        out = subprocess.run([sys.executable, "-m", "ntmcert", "evaluate", str(THANH_PHU)], capture_output=True,
                             text=True, env=env, timeout=120).stdout
        lines = out.splitlines()
        assert lines and max(len(line) for line in lines) <= 80
        # the tables keep their columns: every row of a table has its borders at the same places
        tables = [line for line in lines if line.startswith(("│", "┃"))]
        assert tables
        widths = {len(line) for line in tables}
        assert len(widths) <= 3  # one width per table at most (summary, partial summary, criteria)

    def test_wide_terminal_uses_its_width(self):
        import os
        import subprocess
        import sys

        env = {**os.environ, "COLUMNS": "160"}
        out = subprocess.run([sys.executable, "-m", "ntmcert", "evaluate", str(THANH_PHU)], capture_output=True,
                             text=True, env=env, timeout=120).stdout
        assert max(len(line) for line in out.splitlines()) > 120
