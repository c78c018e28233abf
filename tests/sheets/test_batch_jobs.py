"""`ntmcert batch --jobs N`: the same output, byte for byte (cell for cell in a workbook), on two
processes as on one, with bad rows as error rows in their place, from a CSV, a workbook with
hamlets and a folder of fact sets."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
import yaml
from ntmcert.sheets.cells import COMMUNE_SHEET, HAMLET_SHEET

from .helpers import (
    BAD,
    FAILING,
    GOOD,
    MODEL_PACK,
    PACK,
    factset_dict,
    fill_template,
    invoke,
    make_template,
    mixed_communes,
    write_csv,
)

EXIT_WITH_ERROR_ROWS = 2


def run(source, pack: str, out, jobs: int, lang: str = "vi") -> None:
    result = invoke("batch", source, "--pack", pack, "--out", out, "--jobs", jobs, "--lang", lang, "--no-progress")
    assert result.exit_code == EXIT_WITH_ERROR_ROWS, result.output


def values(path) -> dict[str, list[list]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {name: [list(row) for row in wb[name].iter_rows(values_only=True)] for name in wb.sheetnames}
    finally:
        wb.close()


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_csv_gives_the_same_bytes_on_two_processes(tmp_path, suffix):
    communes = mixed_communes(150)
    source = write_csv(tmp_path / "communes.csv", communes)
    one, two = tmp_path / f"one{suffix}", tmp_path / f"two{suffix}"
    run(source, PACK, one, 1)
    run(source, PACK, two, 2)
    assert one.read_bytes() == two.read_bytes()
    if suffix == ".jsonl":  # the rows in input order, bad rows in their place
        docs = [json.loads(line) for line in two.read_text(encoding="utf-8").splitlines()]
        assert [d["input"]["row"] for d in docs] == list(range(2, 152))
        assert [d["commune"]["code"] for d in docs] == [c["commune.code"] for c in communes]
        kinds = [d["verdict"] for d in docs]
        assert {"certified", "not_certified", "incomplete", "error"} <= set(kinds)
        assert kinds[5] == "error" and kinds[2] == "error" and kinds[0] == "certified"


def test_a_workbook_with_hamlets_gives_the_same_cells_on_two_processes(tmp_path):
    template = make_template(tmp_path, MODEL_PACK)
    wb = openpyxl.load_workbook(template)
    ws, hs = wb[COMMUNE_SHEET], wb[HAMLET_SHEET]
    ids, hids = [c.value for c in ws[1]], [c.value for c in hs[1]]

    def put(sheet, names, row, cells):
        for k, v in cells.items():
            sheet.cell(row=row, column=names.index(k) + 1, value=v)

    commune = {"commune.name": "Xã A", "commune.province": "Trà Vinh", "commune.region": "dbscl",
               "as_of": dt.date(2024, 8, 31), "recognition.ntm_advanced.decision": "1/QĐ-UBND",
               "recognition.ntm_advanced.date": 2023, "facts.outstanding_field_san_xuat": "có"}
    hamlet = {"hamlet.name": "Ấp 1", "facts.automation_stages.percent": ">90",
              "facts.households_cashless_utilities.percent": 95, "facts.residents_info_access_digital.percent": 86,
              "facts.circular_auto_irrigation": "có", "facts.dossiers_filed_online.count": 10,
              "facts.dossiers_filed_online.of": 12}
    communes = 60
    for n in range(communes):
        row = 4 + n
        put(ws, ids, row, {**commune, "commune.name": f"Xã {n}", "commune.code": f"{80000 + n}"})
        if n % 9 == 4:
            put(ws, ids, row, {"facts.outstanding_field_san_xuat": "có lẽ"})  # not a yes/no: an error row
    hamlet_row = 4
    for n in range(communes):  # two hamlets a commune: one by row number, one by code
        put(hs, hids, hamlet_row, {**hamlet, "commune_row": 4 + n, "hamlet.name": f"Ấp {n}a"})
        put(hs, hids, hamlet_row + 1, {**hamlet, "commune_row": f"{80000 + n}", "hamlet.name": f"Ấp {n}b",
                                       "facts.residents_info_access_digital.percent": 70 + n % 20})
        hamlet_row += 2
    put(hs, hids, hamlet_row, {**hamlet, "commune_row": 999, "hamlet.name": "Ấp lạc"})  # an orphan
    filled = tmp_path / "model-filled.xlsx"
    wb.save(filled)
    for suffix in (".xlsx", ".csv"):
        one, two = tmp_path / f"one{suffix}", tmp_path / f"two{suffix}"
        run(filled, MODEL_PACK, one, 1, lang="en")
        run(filled, MODEL_PACK, two, 2, lang="en")
        if suffix == ".csv":
            assert one.read_bytes() == two.read_bytes()
            continue
        mine, theirs = values(one), values(two)
        assert mine == theirs
        results = next(rows for name, rows in mine.items() if name.startswith("Kết quả"))
        rows = [r[0] for r in results[2:]]
        assert rows == [*range(4, 4 + communes), hamlet_row]  # input order; the orphan hamlet last
        kinds = [r[results[0].index("verdict")] for r in results[2:]]
        assert kinds.count("error") == 1 + len([n for n in range(communes) if n % 9 == 4])
        assert kinds[0] != "error" and kinds[4] == "error" and kinds[-1] == "error"


def test_a_folder_with_bad_files_gives_the_same_bytes_on_two_processes(tmp_path):
    folder = tmp_path / "communes"
    folder.mkdir()
    for n in range(70):
        doc = factset_dict((GOOD, FAILING)[n % 2])
        doc["commune"]["code"] = f"{60000 + n}"
        name = folder / f"c{n:03}.yaml"
        if n % 10 == 3:
            name.write_text("commune: [unclosed\n", encoding="utf-8")  # not YAML
        elif n % 10 == 6:
            doc["facts"]["commune_records_online"] = {"count": 1600, "of": 1500}  # more than of
            name.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        elif n % 10 == 8:
            name.write_text("- a list, not a fact set\n", encoding="utf-8")
        else:
            name.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    for suffix in (".jsonl", ".csv"):
        one, two = tmp_path / f"one{suffix}", tmp_path / f"two{suffix}"
        run(folder, PACK, one, 1)
        run(folder, PACK, two, 2)
        assert one.read_bytes() == two.read_bytes()
    lines = (tmp_path / "two.jsonl").read_text(encoding="utf-8").splitlines()
    docs = [json.loads(line) for line in lines]
    assert [d["input"]["file"] for d in docs] == [f"c{n:03}.yaml" for n in range(70)]
    assert [d["verdict"] == "error" for d in docs] == [n % 10 in (3, 6, 8) for n in range(70)]


def test_jobs_must_be_at_least_one(tmp_path):
    source = write_csv(tmp_path / "c.csv", [GOOD])
    result = invoke("batch", source, "--pack", PACK, "--out", tmp_path / "r.csv", "--jobs", 0)
    assert result.exit_code == 2 and "--jobs" in result.output
    assert not (tmp_path / "r.csv").exists()


def test_a_workbook_of_three_from_the_template_on_more_processes_than_rows(tmp_path):
    filled = fill_template(make_template(tmp_path), [GOOD, FAILING, BAD], tmp_path / "filled.xlsx")
    run(filled, PACK, tmp_path / "one.xlsx", 1)
    run(filled, PACK, tmp_path / "four.xlsx", 4)
    assert values(tmp_path / "one.xlsx") == values(tmp_path / "four.xlsx")
