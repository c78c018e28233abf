"""`ntmcert template`: a pack's blank workbook, its columns, headers and validations."""

from __future__ import annotations

import openpyxl
import pytest
from ntmcert import default_library
from ntmcert.inputs.catalogue import Level
from ntmcert.sheets.cells import COMMUNE_SHEET, HAMLET_SHEET, INSTRUCTIONS_SHEET

from .helpers import MODEL_PACK, PACK, invoke, make_template, pack_fact_columns


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


