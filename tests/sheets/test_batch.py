"""`ntmcert batch` from a workbook, a CSV or a folder of fact sets: error rows, exit codes, atomic
output, and flat memory over 10,000 rows."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap

import openpyxl
import pytest
import yaml
from ntmcert.core.errors import InputError
from ntmcert.sheets.batch import run_batch
from ntmcert.sheets.cells import COMMUNE_SHEET
from typer.testing import CliRunner

from .helpers import (
    BAD,
    COMMUNES,
    EXPECTED,
    FAILING,
    GOOD,
    MODEL_PACK,
    PACK,
    RESULT_COLUMNS,
    app,
    factset_dict,
    fill_template,
    invoke,
    make_template,
    read_results,
    summary_value,
    write_csv,
)


class TestBatchAcceptance:
    def test_three_communes_from_the_template_to_a_workbook(self, tmp_path):
        filled = fill_template(make_template(tmp_path), COMMUNES, tmp_path / "filled.xlsx")
        out = tmp_path / "results.xlsx"
        result = invoke("batch", filled, "--pack", PACK, "--out", out)
        assert result.exit_code == 2, result.output  # an error row: exit 2, after the whole batch is written
        assert "1 dòng có lỗi số liệu" in result.output
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
        assert "đạt chuẩn 2" in result.output
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
        result = invoke("batch", typo, "--pack", PACK, "--out", tmp_path / "o.xlsx", "--lang", "en")
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
        assert result.exit_code == 0 and "Dòng đọc là tiêu đề, bỏ qua: 2" in result.output



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


@pytest.mark.parametrize("jobs", [1, 2])
def test_no_output_when_evaluation_fails_midway(tmp_path, monkeypatch, jobs):
    import multiprocessing

    import ntmcert.parallel as parallel

    source = write_csv(tmp_path / "c.csv", [GOOD, FAILING, GOOD])
    real = parallel.evaluate_pack
    # forked processes see the patch (a fork server's would not; it is chosen when threads are running)
    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("fork"))
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(parallel, "evaluate_pack", flaky)
    for name in ("r.xlsx", "r.csv", "r.jsonl"):
        calls.clear()
        with pytest.raises(RuntimeError):
            run_batch(source, PACK, tmp_path / name, progress=False, jobs=jobs)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"], name  # no output, no temp file
    # an earlier output is left as it was
    previous = tmp_path / "r.csv"
    previous.write_text("earlier results\n", encoding="utf-8")
    calls.clear()
    with pytest.raises(RuntimeError):
        run_batch(source, PACK, previous, progress=False, jobs=jobs)
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

