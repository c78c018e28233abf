"""Spreadsheets of many communes: the template of a pack, `batch` from a workbook, a CSV or a
folder of fact sets, error rows, exit codes, atomic output, and flat memory over 10,000 rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import typer
import yaml
from typer.testing import CliRunner

from ntmcert import default_library
from ntmcert.sheets.batch import RESULT_COLUMNS, RESULTS_SHEET, SUMMARY_SHEET, run_batch
from ntmcert.inputs.catalogue import FactKind, Level
from ntmcert.cli.sheets import register
from ntmcert.core.errors import InputError
from ntmcert.packs.registry import comparisons as iter_comparisons
from ntmcert.sheets.cells import (COMMUNE_SHEET, HAMLET_SHEET, INSTRUCTIONS_SHEET, CellError, bound, date, number,
                            partial_date, percent_value, yes_no)

PACK = "tra-vinh/smart-commune"
MODEL_PACK = "tra-vinh/model-ntm-2021-2025"

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
register(app)
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def pack_fact_columns(pack_id: str, level: Level) -> set[str]:
    """The fact columns a template must have, worked out from the pack independently of sheets.py."""
    library = default_library()
    out = set()
    for crit in library.get(pack_id).criteria:
        for ind in crit.indicators:
            for cmp in iter_comparisons(ind.spec):
                fact = library.catalogue.get(cmp.fact)
                if fact.level is not level:
                    continue
                if fact.kind is FactKind.share:
                    out |= {f"facts.{fact.id}.count", f"facts.{fact.id}.of", f"facts.{fact.id}.percent"}
                else:
                    out.add(f"facts.{fact.id}")
    return out


# ----------------------------------------------------------------------------- the three communes

AS_OF = dt.date(2025, 6, 30)
GOOD = {
    "commune.name": "Xã Đạt Chuẩn (ví dụ)", "commune.province": "Trà Vinh", "commune.district": "Cầu Kè",
    "commune.code": "90001", "commune.region": "dbscl", "as_of": AS_OF,
    "recognition.ntm_model.decision": "202/QĐ-UBND", "recognition.ntm_model.date": dt.date(2024, 4, 10),
    "facts.business_households_online_payment.count": 140, "facts.business_households_online_payment.of": 140,
    "facts.camera_covered_sites.count": 18, "facts.camera_covered_sites.of": 30,
    "facts.commune_records_online.count": 1290, "facts.commune_records_online.of": 1500,
    "facts.enterprises_modern_management": "có", "facts.essential_services_digital_feedback": "có",
    "facts.households_online_payment.percent": 100,
    "facts.officials_digital_trained.count": 25, "facts.officials_digital_trained.of": 25,
    "facts.renewable_timed_lighting": "có", "facts.residents_digital_trained.percent": 100,
    "facts.smart_cooperative_automation.percent": ">=95", "facts.smart_irrigation_model": "đạt",
}
FAILING = {**GOOD, "commune.name": "Xã Chưa Đạt (ví dụ)", "commune.code": "90002",
           "facts.commune_records_online.count": 1281, "facts.commune_records_online.of": 1508}
BAD = {**GOOD, "commune.name": "Xã Số Liệu Sai (ví dụ)", "commune.code": "90003",
       "facts.commune_records_online.count": 1600, "facts.commune_records_online.of": 1508,
       "facts.officials_digital_trained.count": "hai mươi lăm"}
COMMUNES = [GOOD, FAILING, BAD]
EXPECTED = ["certified", "not_certified", "error"]


def make_template(tmp_path: Path, pack: str = PACK) -> Path:
    out = tmp_path / "communes.xlsx"
    result = invoke("template", "--pack", pack, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def fill_template(template: Path, communes: list[dict], out: Path) -> Path:
    wb = openpyxl.load_workbook(template)
    ws = wb[COMMUNE_SHEET]
    ids = [c.value for c in ws[1]]
    for row, commune in enumerate(communes, start=4):
        for key, value in commune.items():
            ws.cell(row=row, column=ids.index(key) + 1, value=value)
    wb.save(out)
    return out


def write_csv(path: Path, communes: list[dict], header_rows: list[list[str]] = ()) -> Path:
    ids = list(GOOD)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(ids)
        for row in header_rows:
            out.writerow(row)
        for commune in communes:
            out.writerow(["" if commune.get(k) is None else commune[k] for k in ids])
    return path


def factset_dict(commune: dict) -> dict:
    """The same commune as an ntmcert/factset/v1 document."""
    facts: dict = {}
    for key, value in commune.items():
        if not key.startswith("facts."):
            continue
        parts = key.split(".")
        if len(parts) == 2:
            facts[parts[1]] = {"có": True, "đạt": True}.get(value, value)
        elif parts[2] == "percent":
            facts.setdefault(parts[1], {})["percent"] = {"ge": 95} if value == ">=95" else value
        else:
            facts.setdefault(parts[1], {})[parts[2]] = value
    return {
        "format": "ntmcert/factset/v1",
        "commune": {"name": commune["commune.name"], "province": commune["commune.province"],
                    "district": commune["commune.district"], "code": commune["commune.code"],
                    "region": commune["commune.region"]},
        "as_of": commune["as_of"].isoformat(),
        "recognitions": [{"tier": "ntm_model", "decision": commune["recognition.ntm_model.decision"],
                          "date": commune["recognition.ntm_model.date"].isoformat()}],
        "facts": facts,
    }


def read_results(path: Path) -> tuple[list[dict], list[tuple]]:
    """(result rows as dicts by column id, summary rows) of a batch workbook."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(wb[RESULTS_SHEET].iter_rows(values_only=True))
        summary = list(wb[SUMMARY_SHEET].iter_rows(values_only=True))
    finally:
        wb.close()
    ids = list(rows[0])
    assert ids == [c[0] for c in RESULT_COLUMNS]
    return [dict(zip(ids, tuple(r) + (None,) * len(ids))) for r in rows[2:]], summary


def summary_value(summary: list[tuple], key: str):
    return next(row[1] for row in summary if row and row[0] == key)


# ----------------------------------------------------------------------------- the template

class TestTemplate:
    def test_sheets_headers_columns_and_validations(self, tmp_path):
        path = make_template(tmp_path)
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == [COMMUNE_SHEET, INSTRUCTIONS_SHEET]  # no hamlet-level facts in this pack
        ws = wb[COMMUNE_SHEET]
        ids = [c.value for c in ws[1]]
        vi = [c.value for c in ws[2]]
        en = [c.value for c in ws[3]]
        assert len(ids) == len(set(ids))
        assert all(vi) and all(en) and len(vi) == len(en) == len(ids)
        for required in ("commune.name", "commune.province", "commune.district", "commune.code", "commune.region",
                         "commune.group", "commune.special.extremely_difficult", "commune.special.coastal_island",
                         "commune.special.ethnic_minority_region", "commune.special.safe_zone",
                         "commune.special.poor_district", "as_of", "recognition.ntm_model.decision",
                         "recognition.ntm_model.date"):
            assert required in ids
        # the prerequisite's own prerequisites follow (model → advanced → base)
        assert ids.index("recognition.ntm_model.date") < ids.index("recognition.ntm_advanced.date") < \
            ids.index("recognition.ntm.date")
        fact_ids = {i for i in ids if i.startswith("facts.")}
        assert fact_ids == pack_fact_columns(PACK, Level.commune)
        assert len(fact_ids) == 25  # 7 shares × 3 columns + 4 yes/no facts
        # Vietnamese header: label + unit; English on row 3
        col = ids.index("facts.commune_records_online.count")
        assert "hồ sơ" in vi[col] and "records" in en[col]
        assert "(có/không)" in vi[ids.index("facts.smart_irrigation_model")]
        assert ws.freeze_panes == "B4"
        assert all(ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width >= 12
                   for i in range(1, len(ids) + 1))

        def validation_of(col_id: str):
            letter = openpyxl.utils.get_column_letter(ids.index(col_id) + 1)
            found = [dv for dv in ws.data_validations.dataValidation
                     if any(str(r).startswith(f"{letter}4:") for r in dv.sqref.ranges)]
            assert len(found) == 1, col_id
            return found[0]

        region = validation_of("commune.region")
        assert region.type == "list" and "dbscl" in region.formula1 and "tdmnpb" in region.formula1
        assert validation_of("commune.group").formula1 == '"1,2,3"'
        yes = validation_of("facts.smart_irrigation_model")
        assert yes.type == "list" and yes.formula1 == '"có,không"'
        assert validation_of("commune.special.safe_zone") is yes
        count = validation_of("facts.commune_records_online.count")
        assert count.type == "whole" and count.operator == "greaterThanOrEqual" and count.formula1 == "0"
        percent = validation_of("facts.commune_records_online.percent")
        assert (percent.type, percent.operator, percent.formula1, percent.formula2) == ("decimal", "between", "0",
                                                                                         "100")
        assert percent.errorStyle == "warning"  # a bound such as >90 is text, and allowed
        assert validation_of("as_of").type == "date"
        assert validation_of("recognition.ntm_model.date").type == "date"
        instructions = [r[0] for r in wb[INSTRUCTIONS_SHEET].iter_rows(values_only=True) if r[0]]
        assert any(PACK in line for line in instructions)
        assert "facts.commune_records_online.percent" in instructions  # the column table
        assert wb.properties.keywords.startswith("ntmcert/template/v1 pack=tra-vinh/smart-commune ")

    def test_hamlet_sheet_when_the_pack_has_hamlet_indicators(self, tmp_path):
        path = make_template(tmp_path, MODEL_PACK)
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == [COMMUNE_SHEET, HAMLET_SHEET, INSTRUCTIONS_SHEET]
        hamlet_ids = [c.value for c in wb[HAMLET_SHEET][1]]
        assert hamlet_ids[:2] == ["commune_row", "hamlet.name"]
        assert set(hamlet_ids[2:]) == pack_fact_columns(MODEL_PACK, Level.hamlet)
        commune_ids = [c.value for c in wb[COMMUNE_SHEET][1]]
        assert {i for i in commune_ids if i.startswith("facts.")} == pack_fact_columns(MODEL_PACK, Level.commune)
        assert "recognition.ntm_advanced.date" in commune_ids and "recognition.ntm_model.date" not in commune_ids

    @pytest.mark.parametrize("pack_id", default_library().ids())
    def test_every_bundled_pack_has_a_template_that_reads_back(self, tmp_path, pack_id):
        from ntmcert.sheets.reader import SheetReader

        path = make_template(tmp_path, pack_id)
        with SheetReader(path, default_library().catalogue) as reader:
            columns = [c.id for c in reader.columns if c is not None]
            assert list(reader) == [] and reader.header_rows == [2, 3]
        assert {c for c in columns if c.startswith("facts.")} == pack_fact_columns(pack_id, Level.commune)

    def test_refuses_to_overwrite_a_filled_sheet_without_force(self, tmp_path):
        out = tmp_path / "communes.xlsx"
        out.write_bytes(b"an officer's figures")
        result = invoke("template", "--pack", PACK, "--out", out)
        assert result.exit_code == 2 and "template_exists" in result.output
        assert out.read_bytes() == b"an officer's figures"
        assert invoke("template", "--pack", PACK, "--out", out, "--force").exit_code == 0
        assert openpyxl.load_workbook(out).sheetnames[0] == COMMUNE_SHEET

    def test_unknown_pack_and_bad_suffix_exit_2(self, tmp_path):
        result = invoke("template", "--pack", "vn/nope", "--out", tmp_path / "x.xlsx")
        assert result.exit_code == 2 and "pack_not_found" in result.output
        result = invoke("template", "--pack", PACK, "--out", tmp_path / "x.csv")
        assert result.exit_code == 2
        assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- batch

class TestBatchAcceptance:
    def test_three_communes_from_the_template_to_a_workbook(self, tmp_path):
        filled = fill_template(make_template(tmp_path), COMMUNES, tmp_path / "filled.xlsx")
        out = tmp_path / "results.xlsx"
        result = invoke("batch", filled, "--pack", PACK, "--out", out)
        assert result.exit_code == 2, result.output  # an error row: exit 2, after the whole batch is written
        assert "1 row(s) with input errors" in result.output
        rows, summary = read_results(out)
        assert len(rows) == 3
        assert [r["verdict"] for r in rows] == EXPECTED
        assert [r["row"] for r in rows] == [4, 5, 6]
        good, failing, bad = rows
        assert good["commune.name"] == GOOD["commune.name"] and good["commune.code"] == "90001"
        assert good["as_of"] == "2025-06-30" and good["error"] is None and good["failing"] is None
        assert good["pack.id"] == PACK and good["pack.version"] == "1.0.0" and len(good["pack.sha256"]) == 64
        assert len(good["factset_sha256"]) == 64
        # the failing indicator, and exactly how far it is from passing: 1,282 of 1,508 are needed
        assert failing["failing"] == "tv.smart.gov.records_online"
        assert failing["verdict_text"] == "KHÔNG ĐẠT CHUẨN"
        assert "tv.smart.gov.records_online: " in failing["to_pass"]
        assert "1.282/1.508" in failing["to_pass"]  # Vietnamese digit grouping
        # the error row names each bad cell: row, column id, spreadsheet reference
        assert bad["verdict_text"] == "LỖI SỐ LIỆU" and bad["factset_sha256"] is None
        errors = bad["error"].splitlines()
        assert len(errors) == 2
        assert errors[0].startswith("filled.xlsx:6:") and "[facts.commune_records_online.count]" in errors[0]
        assert "fact_count_above_of" in errors[0]
        assert "[facts.officials_digital_trained.count]" in errors[1] and "cell_bad_number" in errors[1]
        assert "hai mươi lăm" in errors[1]
        count_col = openpyxl.utils.get_column_letter([c[0] for c in RESULT_COLUMNS].index("row") + 1)
        assert count_col == "A"
        # the summary sheet counts every kind of verdict
        assert summary_value(summary, "certified") == 1
        assert summary_value(summary, "not_certified") == 1
        assert summary_value(summary, "incomplete") == 0
        assert summary_value(summary, "error") == 1
        assert summary_value(summary, "total") == 3
        assert summary_value(summary, "tv.smart.gov.records_online") == 1  # most often failing
        assert summary_value(summary, "header_rows") == "2, 3"

    def test_english_distance_and_missing_facts_summary(self, tmp_path):
        incomplete = {k: v for k, v in GOOD.items() if not k.startswith("facts.renewable")}
        filled = fill_template(make_template(tmp_path), [FAILING, incomplete], tmp_path / "f.xlsx")
        out = tmp_path / "r.xlsx"
        result = invoke("batch", filled, "--pack", PACK, "--out", out, "--lang", "en", "--engine", "reference")
        assert result.exit_code == 1, result.output  # some not certified (and no error row)
        rows, summary = read_results(out)
        assert "1,282 of 1,508" in rows[0]["to_pass"]
        assert rows[1]["verdict"] == "incomplete" and rows[1]["missing"] == "tv.smart.soc.lighting"
        assert rows[1]["missing_facts"] == "renewable_timed_lighting"
        assert summary_value(summary, "renewable_timed_lighting") == 1
        assert "renewable_timed_lighting (1)" in result.output  # the summary on stderr too

    def test_a_template_of_another_pack_is_noted(self, tmp_path):
        filled = fill_template(make_template(tmp_path), [GOOD], tmp_path / "f.xlsx")
        result = invoke("batch", filled, "--pack", "vn/smart-commune-pilot", "--out", tmp_path / "r.csv")
        assert "was made for pack tra-vinh/smart-commune; evaluating against vn/smart-commune-pilot" in result.output
        assert "has no column for" in result.output  # the pilot's facts: every commune will miss them
        assert result.exit_code in (1, 3)

    def test_csv_and_yaml_folder_give_the_same_verdicts(self, tmp_path):
        from_xlsx = tmp_path / "x.jsonl"
        filled = fill_template(make_template(tmp_path), COMMUNES, tmp_path / "filled.xlsx")
        assert invoke("batch", filled, "--pack", PACK, "--out", from_xlsx).exit_code == 2
        # CSV with the template's Vietnamese and English header rows, and without them
        template = openpyxl.load_workbook(tmp_path / "communes.xlsx")[COMMUNE_SHEET]
        ids = [c.value for c in template[1]]
        headers = [[template.cell(row=r, column=ids.index(k) + 1).value for k in GOOD] for r in (2, 3)]
        with_headers = write_csv(tmp_path / "with-headers.csv", COMMUNES, headers)
        plain = write_csv(tmp_path / "plain.csv", COMMUNES)
        folder = tmp_path / "factsets"
        folder.mkdir()
        for i, commune in enumerate(COMMUNES, start=1):
            doc = factset_dict(commune)
            if commune is BAD:
                doc["facts"]["officials_digital_trained"]["count"] = "hai mươi lăm"
            (folder / f"{i}-xa.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        (folder / "notes.txt").write_text("not a fact set")
        outputs = {}
        for name, source in (("xlsx", filled), ("csv-headers", with_headers), ("csv", plain), ("folder", folder)):
            out = tmp_path / f"{name}.jsonl"
            assert invoke("batch", source, "--pack", PACK, "--out", out).exit_code == 2, name
            outputs[name] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        for name, docs in outputs.items():
            assert [d["verdict"] for d in docs] == EXPECTED, name
        # the same facts give the same fact-set hash whatever the input form
        hashes = {name: [d.get("factset_sha256") for d in docs[:2]] for name, docs in outputs.items()}
        assert len({tuple(h) for h in hashes.values()}) == 1
        assert [d["input"]["row"] for d in outputs["csv-headers"]] == [4, 5, 6]
        assert [d["input"]["row"] for d in outputs["csv"]] == [2, 3, 4]
        assert [d["input"]["file"] for d in outputs["folder"]] == ["1-xa.yaml", "2-xa.yaml", "3-xa.yaml"]
        error = outputs["csv"][2]
        assert error["schema"] == "ntmcert/batch-error/v1" and error["commune"]["name"] == BAD["commune.name"]
        assert {(e["location"]["line"], e["location"]["key_path"], e["code"]) for e in error["errors"]} == {
            (4, "facts.commune_records_online.count", "fact_count_above_of"),
            (4, "facts.officials_digital_trained.count", "cell_bad_number")}
        folder_error = outputs["folder"][2]
        assert folder_error["commune"]["name"] == BAD["commune.name"]
        assert {e["code"] for e in folder_error["errors"]} == {"fact_count_above_of", "fact_bad_type"}
        assert all(e["location"]["line"] for e in folder_error["errors"])  # YAML lines
        verdict = outputs["csv"][1]
        assert verdict["schema"] == "ntmcert/verdict/v1" and verdict["input"] == {"file": "plain.csv", "row": 3}

    def test_csv_output_and_exit_codes(self, tmp_path):
        certified = write_csv(tmp_path / "ok.csv", [GOOD, {**GOOD, "commune.name": "Xã Hai"}])
        out = tmp_path / "ok-results.csv"
        result = invoke("batch", certified, "--pack", PACK, "--out", out)
        assert result.exit_code == 0, result.output
        assert "certified 2" in result.output
        with open(out, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert [r["verdict"] for r in rows] == ["certified", "certified"]
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # spreadsheets then read the Vietnamese text
        incomplete = write_csv(tmp_path / "inc.csv", [GOOD, {**GOOD, "facts.smart_irrigation_model": ""}])
        assert invoke("batch", incomplete, "--pack", PACK, "--out", tmp_path / "i.csv").exit_code == 3
        both = write_csv(tmp_path / "both.csv", [FAILING, {**GOOD, "facts.smart_irrigation_model": ""}])
        assert invoke("batch", both, "--pack", PACK, "--out", tmp_path / "b.csv").exit_code == 1

    def test_usage_problems_exit_2_and_write_nothing(self, tmp_path):
        source = write_csv(tmp_path / "c.csv", [GOOD])
        cases = [
            (["--pack", "vn/nope", "--out", tmp_path / "o.xlsx"], "pack_not_found"),
            (["--pack", PACK, "--out", tmp_path / "o.txt"], "batch_bad_output"),
            (["--pack", PACK, "--out", tmp_path / "missing" / "o.xlsx"], "batch_bad_output"),
            (["--pack", PACK, "--out", source], "batch_bad_output"),
        ]
        for args, code in cases:
            result = invoke("batch", source, *args)
            assert result.exit_code == 2 and code in result.output, (args, result.output)
        result = invoke("batch", tmp_path / "nothing.csv", "--pack", PACK, "--out", tmp_path / "o.xlsx")
        assert result.exit_code == 2 and "file_unreadable" in result.output
        typo = tmp_path / "typo.csv"
        typo.write_text("commune.name,commune.province,commune.region,as_of,facts.commune_records_onlin.count\n"
                        "A,Trà Vinh,dbscl,2025-06-30,1\n", encoding="utf-8")
        result = invoke("batch", typo, "--pack", PACK, "--out", tmp_path / "o.xlsx")
        assert result.exit_code == 2
        assert "typo.csv:1:5 [facts.commune_records_onlin.count]: sheet_unknown_column" in result.output
        assert "did you mean 'commune_records_online'" in result.output
        empty = tmp_path / "empty.csv"
        empty.write_text(",".join(GOOD) + "\n", encoding="utf-8")
        result = invoke("batch", empty, "--pack", PACK, "--out", tmp_path / "o.xlsx")
        assert result.exit_code == 2 and "batch_empty" in result.output
        assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "empty.csv", "typo.csv"]

    def test_missing_values_and_header_rule(self, tmp_path):
        """A data row in row 2 is read (never mistaken for a header); empty required cells are
        located at their column; a text header row is skipped and reported."""
        rows = [{**GOOD, "commune.region": "", "as_of": None}, GOOD]
        source = write_csv(tmp_path / "c.csv", rows)
        out = tmp_path / "o.jsonl"
        assert invoke("batch", source, "--pack", PACK, "--out", out).exit_code == 2
        docs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [d["input"]["row"] for d in docs] == [2, 3]
        ids = list(GOOD)
        assert {(e["location"]["key_path"], e["location"]["column"]) for e in docs[0]["errors"]} == {
            ("commune.region", ids.index("commune.region") + 1), ("as_of", ids.index("as_of") + 1)}
        headed = write_csv(tmp_path / "h.csv", [GOOD], [["Tên", "Tỉnh", "Huyện", "Mã", "Vùng", "Ngày"]])
        result = invoke("batch", headed, "--pack", PACK, "--out", tmp_path / "h.csv.jsonl")
        assert result.exit_code == 0 and "rows read as headers and skipped: 2" in result.output


class TestHamlets:
    def test_hamlets_join_by_row_or_code_and_bad_links_are_error_rows(self, tmp_path):
        template = make_template(tmp_path, MODEL_PACK)
        wb = openpyxl.load_workbook(template)
        ws, hs = wb[COMMUNE_SHEET], wb[HAMLET_SHEET]
        ids, hids = [c.value for c in ws[1]], [c.value for c in hs[1]]

        def put(sheet, names, row, values):
            for k, v in values.items():
                sheet.cell(row=row, column=names.index(k) + 1, value=v)

        commune = {"commune.name": "Xã A", "commune.province": "Trà Vinh", "commune.region": "dbscl",
                   "commune.code": "90001", "as_of": dt.date(2024, 8, 31)}
        commune.update({"recognition.ntm_advanced.decision": "1/QĐ-UBND", "recognition.ntm_advanced.date": 2023,
                        "facts.outstanding_field_san_xuat": "có"})
        put(ws, ids, 4, commune)
        put(ws, ids, 5, {**commune, "commune.name": "Xã B", "commune.code": "90002"})
        put(ws, ids, 6, {**commune, "commune.name": "Xã C", "commune.code": "4"})  # a code that is also row 4
        hamlet = {"hamlet.name": "Ấp 1", "facts.automation_stages.percent": ">90",
                  "facts.households_cashless_utilities.percent": 0.95,  # shown as 95% in the spreadsheet
                  "facts.residents_info_access_digital.percent": 85.78, "facts.circular_auto_irrigation": "có",
                  "facts.dossiers_filed_online.count": 10, "facts.dossiers_filed_online.of": 12}
        put(hs, hids, 4, {**hamlet, "commune_row": 5})
        hs.cell(row=4, column=hids.index("facts.households_cashless_utilities.percent") + 1).number_format = "0%"
        put(hs, hids, 5, {**hamlet, "commune_row": "90002", "hamlet.name": "Ấp 2",
                          "facts.residents_info_access_digital.percent": 80})
        put(hs, hids, 6, {**hamlet, "commune_row": 77, "hamlet.name": "Ấp lạc"})
        put(hs, hids, 7, {**hamlet, "commune_row": 4, "hamlet.name": "Ấp mơ hồ"})
        filled = tmp_path / "model-filled.xlsx"
        wb.save(filled)
        out = tmp_path / "m.jsonl"
        result = invoke("batch", filled, "--pack", MODEL_PACK, "--out", out, "--lang", "en")
        assert result.exit_code == 2, result.output
        docs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [(d["input"]["row"], d["verdict"]) for d in docs] == [
            (4, "error"), (5, "incomplete"), (6, "error"), (6, "error")]
        # row 5 got both its hamlets: one by row number, one by code; the 0.95 in a % cell is 95%
        b = docs[1]
        smart = next(i for c in b["criteria"] for i in c["indicators"] if i["id"] == "km.smart_hamlet")
        assert [h["name"] for h in smart["hamlets"]] == ["Ấp 1", "Ấp 2"]
        assert [h["status"] for h in smart["hamlets"]] == ["pass", "fail"]
        assert b["missing_facts"] == ["income_per_capita"]
        # row 4's number also matches Xã C's code: both communes are told, nothing is guessed
        for doc in (docs[0], docs[2]):
            assert [e["code"] for e in doc["errors"]] == ["hamlet_ambiguous_commune"]
            assert doc["errors"][0]["location"]["file"] == "model-filled.xlsx!Ấp - Hamlets"
            assert doc["errors"][0]["location"]["line"] == 7
        orphan = docs[3]
        assert orphan["input"]["file"] == "model-filled.xlsx!Ấp - Hamlets"
        assert orphan["errors"][0]["code"] == "hamlet_orphan" and "'77'" in orphan["errors"][0]["message"]

    def test_csv_refuses_hamlet_columns(self, tmp_path):
        source = tmp_path / "h.csv"
        source.write_text("commune.name,commune.province,commune.region,as_of,facts.automation_stages.percent\n"
                          "A,Trà Vinh,dbscl,2024-08-31,95\n", encoding="utf-8")
        result = invoke("batch", source, "--pack", MODEL_PACK, "--out", tmp_path / "o.csv")
        assert result.exit_code == 2 and "hamlet-level fact" in result.output


# ----------------------------------------------------------------------------- cells

class TestCells:
    def test_numbers_are_exact(self):
        assert number(85.78) == Decimal("85.78") and number(1508.0) == 1508 and number("1508") == 1508
        assert number("85,78") == Decimal("85.78")
        for bad, code in (("1,508", "cell_ambiguous_number"), ("abc", "cell_bad_number"), (True, "cell_bad_number"),
                          ("1e999999", "cell_bad_number"), (float("nan"), "cell_bad_number")):
            with pytest.raises(CellError) as exc:
                number(bad)
            assert exc.value.code == code, bad

    def test_bounds_and_percentages(self):
        assert bound(">90", percent=True) == {"gt": 90}
        assert bound("≥ 90%", percent=True) == {"ge": 90}
        assert bound("<=90", percent=True) == {"le": 90}
        assert bound(">=80 <90", percent=True) == {"ge": 80, "lt": 90}
        assert bound("trên 90%", percent=True) == {"gt": 90}
        assert bound("từ 95% trở lên", percent=True) == {"ge": 95}
        assert bound("90", percent=True) is None
        with pytest.raises(CellError):
            bound(">=90%", percent=False)
        with pytest.raises(CellError):
            bound(">90 >80", percent=True)
        assert percent_value(0.9, True) == 90 and percent_value(0.8578, True) == Decimal("85.78")
        assert percent_value("85.78%", False) == Decimal("85.78") and percent_value(90, False) == 90

    def test_yes_no_and_dates(self):
        for word in ("có", "Có", "true", "yes", "1", "đạt", "ĐẠT", True, 1):
            assert yes_no(word) is True, word
        for word in ("không", "false", "no", "0", "không đạt", "chưa đạt", False, 0):
            assert yes_no(word) is False, word
        with pytest.raises(CellError):
            yes_no("có lẽ")
        assert date("2024-08-31") == date("31/08/2024") == date(dt.datetime(2024, 8, 31)) == dt.date(2024, 8, 31)
        for bad in ("31/02/2024", "2024-13-01", "hôm qua", dt.datetime(1905, 7, 15)):
            with pytest.raises(CellError):
                date(bad)
        assert partial_date(2023) == "2023" and partial_date("2023-05") == "2023-05"
        assert partial_date(dt.datetime(2024, 2, 6)) == dt.date(2024, 2, 6)


# ----------------------------------------------------------------------------- streaming, progress, atomicity

MEMORY_SCRIPT = textwrap.dedent("""
    import io, json, os, sys
    from rich.console import Console
    from ntmcert.sheets.batch import run_batch

    page = os.sysconf("SC_PAGE_SIZE")

    def rss_mb():
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * page / 2**20

    marks = {}

    def on_row(n):
        if n == 1000:
            marks["after_1000"] = rss_mb()

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100)
    result = run_batch(sys.argv[1], "tra-vinh/smart-commune", sys.argv[2], progress=True, console=console,
                       on_row=on_row)
    marks["end"] = rss_mb()
    marks["rows"] = result.summary.rows
    marks["counts"] = dict(result.summary.counts)
    marks["exit"] = result.exit_code
    marks["progress"] = buffer.getvalue()[-2000:]
    print(json.dumps(marks))
""")


def test_ten_thousand_rows_flat_memory_and_a_progress_bar(tmp_path):
    source = tmp_path / "communes.csv"
    ids = list(GOOD)
    with open(source, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(ids)
        for i in range(10_000):
            row = {**GOOD, "commune.name": f"Xã {i}", "commune.code": f"{10000 + i}",
                   "facts.commune_records_online.count": 1200 + i % 200,
                   "facts.renewable_timed_lighting": "có" if i % 3 else ""}
            out.writerow(["" if row[k] is None else row[k] for k in ids])
    results = tmp_path / "results.xlsx"
    proc = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(source), str(results)], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stderr
    marks = json.loads(proc.stdout)
    assert marks["rows"] == 10_000
    assert sum(marks["counts"].values()) == 10_000 and marks["counts"]["not_certified"] > 0
    assert marks["exit"] == 1
    growth = marks["end"] - marks["after_1000"]
    assert growth < 20, f"RSS grew by {growth:.1f} MB over 9,000 rows ({marks})"
    assert "10000/10000" in marks["progress"] and "━" in marks["progress"]
    rows, summary = read_results(results)
    assert len(rows) == 10_000 and summary_value(summary, "total") == 10_000
    assert summary_value(summary, "renewable_timed_lighting") == 3334


def test_no_output_when_evaluation_fails_midway(tmp_path, monkeypatch):
    import ntmcert.sheets.batch as batch

    source = write_csv(tmp_path / "c.csv", [GOOD, FAILING, GOOD])
    real = batch.evaluate_pack
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "evaluate_pack", flaky)
    for name in ("r.xlsx", "r.csv", "r.jsonl"):
        calls.clear()
        with pytest.raises(RuntimeError):
            run_batch(source, PACK, tmp_path / name, progress=False)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"], name  # no output, no temp file
    # an earlier output is left as it was
    previous = tmp_path / "r.csv"
    previous.write_text("earlier results\n", encoding="utf-8")
    calls.clear()
    with pytest.raises(RuntimeError):
        run_batch(source, PACK, previous, progress=False)
    assert previous.read_text(encoding="utf-8") == "earlier results\n"


def test_input_error_midway_leaves_nothing(tmp_path):
    """A file that turns out unreadable halfway (bad UTF-8 after the first rows) is a usage
    error: exit 2, and no partial results."""
    source = write_csv(tmp_path / "c.csv", [GOOD] * 200)  # beyond the first block the decoder reads
    with open(source, "ab") as fh:
        fh.write("Xã \xff".encode("latin-1") + b",Tr\xe0 Vinh\n")
    with pytest.raises(InputError) as exc:
        run_batch(source, PACK, tmp_path / "r.xlsx", progress=False)
    assert exc.value.problems[0].code == "file_not_utf8"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"]


def test_progress_is_off_when_stderr_is_not_a_terminal(tmp_path):
    from rich.console import Console

    buffer = io.StringIO()
    source = write_csv(tmp_path / "c.csv", [GOOD])
    run_batch(source, PACK, tmp_path / "r.csv", console=Console(file=buffer, force_terminal=False))
    assert "━" not in buffer.getvalue()


def test_batch_takes_officer_parameters(tmp_path):
    """--params reaches every row: with the advanced income threshold given, km.income is decided."""
    import yaml as _yaml

    folder = tmp_path / "communes"
    folder.mkdir()
    data = {"format": "ntmcert/factset/v1", "as_of": "2024-08-31",
            "commune": {"name": "Xã Thu Nhập", "province": "Trà Vinh", "region": "dbscl"},
            "facts": {"income_per_capita": 70}}
    (folder / "a.yaml").write_text(_yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    params = tmp_path / "params.yaml"
    params.write_text("format: ntmcert/params/v1\nparameters:\n  advanced_income_threshold:\n"
                      "    - value: 60\n      source: {document: test, provenance: secondary}\n", encoding="utf-8")
    out = tmp_path / "r.jsonl"
    result = CliRunner().invoke(app, ["batch", str(folder), "--pack", MODEL_PACK, "--out", str(out),
                                      "--params", str(params), "--no-progress"])
    assert result.exit_code in (1, 3), result.output
    import json as _json

    line = _json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    income = next(i for c in line["criteria"] for i in c["indicators"] if i["id"] == "km.income")
    assert income["status"] == "pass" and income["threshold"]["layer"] == "officer"
