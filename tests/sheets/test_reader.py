"""Reading sheets back: hamlet rows joined to their communes, bad links as error rows."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
from ntmcert.sheets.cells import COMMUNE_SHEET, HAMLET_SHEET

from .helpers import MODEL_PACK, invoke, make_template


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


