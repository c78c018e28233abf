"""Helpers of the spreadsheet tests: the CLI, the three example communes, filling a template,
writing a CSV, reading a results workbook."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import typer
from ntmcert import default_library
from ntmcert.cli.sheets import register
from ntmcert.inputs.catalogue import FactKind, Level
from ntmcert.packs.registry import comparisons as iter_comparisons
from ntmcert.sheets.cells import COMMUNE_SHEET
from ntmcert.sheets.results import RESULT_COLUMNS, RESULTS_SHEET, SUMMARY_SHEET
from typer.testing import CliRunner

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


def mixed_communes(count: int) -> list[dict]:
    """Certified, not certified and bad communes, some missing a fact, each with its own code (so a
    row out of place would show): more rows than a few chunks of the pool."""
    out = []
    for i in range(count):
        commune = {**(GOOD, FAILING, BAD, GOOD, FAILING)[i % 5], "commune.name": f"Xã {i}",
                   "commune.code": f"{70000 + i}"}
        if i % 7 == 3:
            commune["facts.renewable_timed_lighting"] = None  # missing: incomplete
        if i % 11 == 5:
            commune["as_of"] = "ngày mai"  # a bad date: an error row of its own
        out.append(commune)
    return out


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
    return [dict(zip(ids, tuple(r) + (None,) * len(ids), strict=False)) for r in rows[2:]], summary


def summary_value(summary: list[tuple], key: str):
    return next(row[1] for row in summary if row and len(row) > 2 and row[2] == key)  # [label, value, key]


# ----------------------------------------------------------------------------- the template
