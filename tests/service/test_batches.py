"""Batches over HTTP: a CSV or workbook upload, progress and summary from the database, results
in the three formats identical to `ntmcert batch`."""

from __future__ import annotations

import csv
import io
import json
import time

import openpyxl
from ntmcert.cli.main import app as cli_app
from typer.testing import CliRunner

from tests.sheets.helpers import COMMUNES, EXPECTED, PACK, fill_template, make_template, mixed_communes, write_csv


def wait_done(client, batch_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/v1/batches/{batch_id}").json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"batch {batch_id} not finished after {timeout}s: {state}")


def upload(client, path, pack: str = PACK, lang: str = "vi", content_type: str = "text/csv"):
    with open(path, "rb") as fh:
        return client.post("/v1/batches", params={"pack": pack, "lang": lang},
                           files={"file": (path.name, fh, content_type)})


def cli_batch(source, out) -> None:
    result = CliRunner().invoke(cli_app, ["batch", str(source), "--pack", PACK, "--out", str(out), "--no-progress"])
    assert result.exit_code == 2, result.output  # one of the three communes has input errors


def test_a_csv_batch_gives_the_cli_results_in_every_format(client, tmp_path):
    source = write_csv(tmp_path / "communes.csv", COMMUNES)
    r = upload(client, source)
    assert r.status_code == 202, r.text
    batch_id = r.json()["batch_id"]
    assert r.headers["location"] == f"/v1/batches/{batch_id}"
    state = wait_done(client, batch_id)
    assert state["status"] == "done" and state["total"] == state["done"] == 3
    summary = state["summary"]
    assert summary["counts"] == {"certified": 1, "error": 1, "not_certified": 1} and summary["exit_code"] == 2
    for fmt in ("jsonl", "csv"):
        got = client.get(f"/v1/batches/{batch_id}/result", params={"format": fmt})
        assert got.status_code == 200
        cli_batch(source, tmp_path / f"cli.{fmt}")
        assert got.content == (tmp_path / f"cli.{fmt}").read_bytes()
    rows = [json.loads(line) for line in client.get(f"/v1/batches/{batch_id}/result").text.splitlines()]
    kinds = [row.get("verdict") or ("error" if row.get("schema", "").startswith("ntmcert/errors") else "?")
             for row in rows]
    assert kinds == EXPECTED
    xlsx = client.get(f"/v1/batches/{batch_id}/result", params={"format": "xlsx"})
    cli_batch(source, tmp_path / "cli.xlsx")
    mine = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    theirs = openpyxl.load_workbook(tmp_path / "cli.xlsx")
    assert mine.sheetnames == theirs.sheetnames
    for name in mine.sheetnames:
        assert [[c.value for c in row] for row in mine[name].iter_rows()] == \
            [[c.value for c in row] for row in theirs[name].iter_rows()]
    # the stored bytes are served again, not recomputed
    assert client.get(f"/v1/batches/{batch_id}/result", params={"format": "xlsx"}).content == xlsx.content


def test_a_long_batch_gives_the_bytes_of_the_cli_on_one_process(client, tmp_path):
    """The service evaluates on the pool `ntmcert batch --jobs N` uses: the same rows, in order."""
    source = write_csv(tmp_path / "many.csv", mixed_communes(120))
    state = wait_done(client, upload(client, source).json()["batch_id"])
    assert state["status"] == "done" and state["total"] == 120 and state["summary"]["counts"]["error"] > 0
    for fmt in ("jsonl", "csv"):
        got = client.get(f"/v1/batches/{state['batch_id']}/result", params={"format": fmt})
        out = tmp_path / f"cli.{fmt}"
        result = CliRunner().invoke(cli_app, ["batch", str(source), "--pack", PACK, "--out", str(out), "--jobs", "1",
                                              "--no-progress"])
        assert result.exit_code == 2, result.output
        assert got.content == out.read_bytes(), fmt


def test_a_workbook_upload(client, tmp_path):
    filled = fill_template(make_template(tmp_path), COMMUNES, tmp_path / "filled.xlsx")
    r = upload(client, filled, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    state = wait_done(client, r.json()["batch_id"])
    assert state["status"] == "done" and state["summary"]["counts"]["certified"] == 1
    rows = list(csv.reader(io.StringIO(client.get(f"/v1/batches/{state['batch_id']}/result",
                                                  params={"format": "csv"}).text)))
    assert len(rows) == 4  # header and three communes


def test_bad_uploads_are_problems(client, tmp_path):
    source = write_csv(tmp_path / "c.csv", COMMUNES)
    assert upload(client, source, pack="no/such").status_code == 422
    wrong = tmp_path / "c.txt"
    wrong.write_text("x")
    r = upload(client, wrong)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "upload_bad_type"
    r = client.post("/v1/batches", params={"pack": PACK}, content=b"x", headers={"Content-Type": "text/csv"})
    assert r.status_code == 415
    big = tmp_path / "big.csv"
    big.write_bytes(b"a," * (1024 * 1024 + 1))
    r = upload(client, big)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(["commune.name"]) + "\n")
    state = wait_done(client, upload(client, empty).json()["batch_id"])
    assert state["status"] == "failed" and state["errors"][0]["code"]
    assert client.get(f"/v1/batches/{state['batch_id']}/result").status_code == 409
    assert client.get("/v1/batches/nope").status_code == 404


def test_batches_need_the_batch_scope(app, keys, tmp_path):
    from fastapi.testclient import TestClient

    source = write_csv(tmp_path / "c.csv", COMMUNES)
    with TestClient(app) as c, open(source, "rb") as fh:
        r = c.post("/v1/batches", params={"pack": PACK}, files={"file": ("c.csv", fh, "text/csv")},
                   headers={"Authorization": f"Bearer {keys['evaluate']}"})
        assert r.status_code == 403
