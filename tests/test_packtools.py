"""Tools for pack maintainers: `packs diff`, `packs new`, `params check`, `packs law`."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from ntmcert import default_library, evaluate
from ntmcert.core.text import printable
from ntmcert.inputs.yamlio import load_path
from ntmcert.packs.compiler import rule_keys
from ntmcert.packs.library import PackLibrary
from ntmcert.packs.scaffold import slug
from typer.testing import CliRunner

from .conftest import ROOT
from .test_edges import edge_mismatches, parse_entry
from .yaml_cases import build_factset, compare

runner = CliRunner()
BASE = "vn/ntm-2021-2025"


def invoke(*args):
    from ntmcert.cli.main import app

    return runner.invoke(app, [str(a) for a in args])


def pack_copy(tmp_path, pack_id=BASE, edit=None):
    folder = tmp_path / pack_id.replace("/", "__")
    shutil.copytree(ROOT / "rules" / pack_id, folder)
    if edit:
        path = folder / "pack.yaml"
        old, new = edit
        text = path.read_text(encoding="utf-8")
        assert text.count(old) >= 1
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


# ------------------------------------------------------------------ packs diff

def test_diff_names_exactly_the_changed_threshold(tmp_path):
    folder = pack_copy(tmp_path, edit=("threshold: {percent: 80}", "threshold: {percent: 85}"))
    result = invoke("packs", "diff", BASE, folder, "--format", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "ntmcert/pack-diff/v1"
    assert doc["changes"] == [{"change": "changed", "kind": "threshold", "path": ["c03", "c03.1", "threshold"],
                               "before": "80%", "after": "85%"}]
    assert doc["a"]["sha256"] != doc["b"]["sha256"]
    text = invoke("packs", "diff", BASE, folder, "--lang", "en").stdout
    assert "~ threshold    `c03 › c03.1 › threshold`: 80% → 85%" in text
    assert "1 change(s): 1 threshold" in text
    text = invoke("packs", "diff", BASE, folder).stdout  # Vietnamese by default; the path of keys as it is
    assert "~ ngưỡng               `c03 › c03.1 › threshold`: 80% → 85%" in text
    assert "1 thay đổi: 1 ngưỡng" in text


def test_diff_names_an_operator_and_a_source(tmp_path):
    folder = pack_copy(tmp_path, edit=("op: \">=\"\n        threshold: {percent: 80}",
                                       "op: \">\"\n        threshold: {percent: 80}"))
    doc = json.loads(invoke("packs", "diff", BASE, folder, "-f", "json").stdout)
    assert [(c["kind"], c["path"], c["before"], c["after"]) for c in doc["changes"]] == [
        ("operator", ["c03", "c03.1", "op"], ">=", ">")]
    folder2 = pack_copy(tmp_path / "b", edit=("article: Phụ lục I, tiêu chí 1 (Quy hoạch)",
                                              "article: Phụ lục I, tiêu chí 1"))
    doc = json.loads(invoke("packs", "diff", BASE, folder2, "-f", "json").stdout)
    assert [(c["kind"], c["path"]) for c in doc["changes"]] == [("source", ["c01", "c01.met", "source", "article"])]


def test_diff_never_prints_terminal_escapes(tmp_path):
    """A pack holding control characters is refused when it loads; the message shows them escaped."""
    folder = pack_copy(tmp_path, edit=("article: Phụ lục I, tiêu chí 1 (Quy hoạch)",
                                       'article: "Phụ lục I \\x1b[2J\\u202e"'))
    result = invoke("packs", "diff", BASE, folder)
    assert result.exit_code == 2 and "text_control_character" in result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert printable("a\x1b[2J") == "a\\x1b[2J"  # what the text report uses for every value it prints


def test_diff_of_a_pack_with_itself_is_empty_and_exits_0(tmp_path):
    result = invoke("packs", "diff", BASE, pack_copy(tmp_path), "--lang", "en")
    assert result.exit_code == 0
    assert "no differences" in result.stdout


def test_diff_lists_added_and_removed_criteria_once():
    doc = json.loads(invoke("packs", "diff", "vn/model-ntm-2021-2025", "tra-vinh/model-ntm-2021-2025",
                            "-f", "json").stdout)
    added = [c["path"] for c in doc["changes"] if c["change"] == "added" and c["kind"] == "indicator"]
    assert ["km.smart_hamlet", "km.smart_hamlet", "tv.hamlet.info_access"] in added
    # a removed alternative is one change, not one per field
    removed = [c["path"] for c in doc["changes"] if c["change"] == "removed" and c["path"][:2] == [
        "km.outstanding_field", "km.outstanding_field"]]
    assert ["km.outstanding_field", "km.outstanding_field", "#6"] in removed
    assert not [p for p in removed if len(p) > 3 and p[2] == "#6"]


@pytest.mark.parametrize("ref", ["vn/none", "/nonexistent/folder/pack.yaml"])
def test_diff_of_an_unknown_pack_is_a_coded_error(ref):
    result = invoke("packs", "diff", BASE, ref)
    assert result.exit_code == 2
    assert "pack_not_found" in result.output or "pack_file_missing" in result.output


def test_diff_of_a_broken_pack_reports_its_line(tmp_path):
    folder = pack_copy(tmp_path, edit=("op: \">=\"", "op: \"=>\""))
    result = invoke("packs", "diff", BASE, folder)
    assert result.exit_code == 2
    assert "unknown_operator" in result.output and "pack.yaml:" in result.output


# ------------------------------------------------------------------ packs new

@pytest.fixture
def scaffolded(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    result = invoke("packs", "new", "--extends", BASE, "--province", "Đắk Lắk", "--out", rules)
    assert result.exit_code == 0, result.output
    return rules, "dak-lak/ntm-2021-2025"


def test_new_overlay_passes_packs_check(scaffolded):
    rules, _ = scaffolded
    result = invoke("packs", "check", rules, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert f"{len(default_library().ids()) + 1} packs OK" in result.stdout
    assert f"cả {len(default_library().ids()) + 1} bộ tiêu chí đều hợp lệ" in invoke("packs", "check", rules).stdout


def test_new_overlay_generated_cases_run(scaffolded):
    rules, pack_id = scaffolded
    library = PackLibrary(root=rules, catalogue=default_library().catalogue)
    pack = library.get(pack_id)
    assert pack.chain == (pack_id, BASE) and pack.doc.scope.province == "Đắk Lắk"
    cases = load_path(rules / pack_id / "tests" / "cases.yaml").data["cases"]
    assert cases
    for case in cases:
        for engine in ("durable", "reference"):
            verdict = evaluate(build_factset(case), pack, engine=engine)
            assert compare(verdict, case["expect"]) == [], case["name"]


def test_new_overlay_ledger_covers_and_passes_the_edge_tests(scaffolded):
    rules, pack_id = scaffolded
    pack = PackLibrary(root=rules, catalogue=default_library().catalogue).get(pack_id)
    entries = {k: parse_entry(v) for k, v in load_path(rules / pack_id / "tests" / "edges.yaml").data["edges"].items()}
    assert set(entries) == set(rule_keys(pack))
    problems = [m for key, entry in entries.items() for m in edge_mismatches(pack, key, entry, engines=("reference",))]
    assert not problems, problems[:5]


def test_new_overlay_ledger_restates_the_inherited_regional_values(scaffolded):
    rules, pack_id = scaffolded
    child = load_path(rules / pack_id / "tests" / "edges.yaml").data
    parent = load_path(ROOT / "rules" / BASE / "tests" / "edges.yaml").data
    assert child["parameters"] == parent["parameters"] and child["aggregates"] == parent["aggregates"]


def test_new_overlay_refuses_to_overwrite(scaffolded):
    rules, pack_id = scaffolded
    before = (rules / pack_id / "pack.yaml").read_bytes()
    result = invoke("packs", "new", "--extends", BASE, "--province", "Đắk Lắk", "--out", rules)
    assert result.exit_code == 2 and "scaffold_exists" in result.output
    assert (rules / pack_id / "pack.yaml").read_bytes() == before


def test_new_overlay_of_a_provincial_pack_is_refused(tmp_path):
    result = invoke("packs", "new", "--extends", "tra-vinh/smart-commune", "--province", "Bến Tre", "--out",
                    tmp_path)
    assert result.exit_code == 2 and "scaffold_bad_parent" in result.output
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("province", ["", "Trà Vinh\nformat: evil", "x" * 101, "\x1b[31mĐỏ"])
def test_new_overlay_refuses_a_hostile_province(tmp_path, province):
    result = invoke("packs", "new", "--extends", BASE, "--province", province, "--out", tmp_path)
    assert result.exit_code == 2 and "scaffold_bad_province" in result.output
    assert not any(tmp_path.iterdir())


def test_province_slugs():
    assert slug("Trà Vinh") == "tra-vinh"
    assert slug("Đắk Lắk") == "dak-lak"
    assert slug("Bà Rịa – Vũng Tàu") == "ba-ria-vung-tau"


# ------------------------------------------------------------------ params check

def test_params_check_accepts_a_valid_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("format: ntmcert/params/v1\nparameters:\n  ntm_income_threshold:\n    - value: 59\n"
                    "      from: 2024-01-01\n      region: dbscl\n"
                    "      source: {document: 'QĐ 9/QĐ-UBND (2024)', provenance: secondary}\n", encoding="utf-8")
    result = invoke("params", "check", path, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "valid — 1 value(s) for 1 parameter(s)" in result.stdout
    assert "59 from 2024-01-01, region dbscl" in result.stdout and "replaces vn/ntm-2021-2025: unknown" in result.stdout
    result = invoke("params", "check", path)
    assert "hợp lệ — 1 giá trị cho 1 tham số" in result.stdout
    assert "59 từ 01/01/2024, vùng dbscl" in result.stdout and "thay cho vn/ntm-2021-2025: chưa rõ" in result.stdout


BAD_PARAMS = {name: entry for name, entry in load_path(ROOT / "tests" / "bad_inputs" / "expected.yaml").data.items()
              if name.startswith("params/") and "bug" not in entry}


@pytest.mark.parametrize("name", sorted(BAD_PARAMS))
def test_params_check_refuses_every_bad_parameter_file(name):
    entry = BAD_PARAMS[name]
    result = invoke("params", "check", ROOT / "tests" / "bad_inputs" / name)
    assert result.exit_code == 2
    assert f"{entry['code']}:" in result.output
    if entry.get("line"):
        assert f"{name.split('/')[-1]}:{entry['line']}:" in result.output


# ------------------------------------------------------------------ packs law

def test_law_prints_one_page_and_checks_the_folder():
    result = invoke("packs", "law", "QĐ 211/QĐ-TTg")
    assert result.exit_code == 0 and result.stdout.startswith("# QĐ 211/QĐ-TTg")
    assert invoke("packs", "law", "--check", "--out", ROOT / "docs" / "law").exit_code == 0
    assert invoke("packs", "law", "QĐ 999/QĐ-TTg").exit_code == 2


# ------------------------------------------------------------------ hostile paths (in a subprocess: a read would block)

def test_pipes_are_refused_at_once(tmp_path):
    from .test_hostile import FIFO_SECONDS, cli

    fifo = tmp_path / "params.yaml"
    os.mkfifo(fifo)
    folder = tmp_path / "pack"
    folder.mkdir()
    os.mkfifo(folder / "pack.yaml")
    for args, where in ((["params", "check", fifo], "params.yaml"), (["packs", "diff", BASE, folder], "pack.yaml")):
        run = cli(*args, timeout=FIFO_SECONDS)
        assert run.returncode == 2 and "Traceback" not in run.stderr, (args, run.stderr)
        assert any("input_not_regular_file" in line and where in line for line in run.stderr.splitlines()), run.stderr


@pytest.mark.parametrize("command, code", [(["packs", "law"], "law_bad_output"),
                                           (["packs", "new", "--extends", BASE, "--province", "Bến Tre"],
                                            "scaffold_bad_output")])
def test_output_folders_are_checked_before_any_work(tmp_path, command, code):
    from .test_hostile import cli, listing

    (tmp_path / "file").write_text("x", encoding="utf-8")
    for out in (tmp_path / "file", tmp_path / "file" / "below", "/proc/ntmcert"):
        before = listing(tmp_path)
        run = cli(*command, "--out", out)
        assert run.returncode == 2 and "Traceback" not in run.stderr, (out, run.stderr)
        assert any(f": {code}: " in line and "[--out]" in line for line in run.stderr.splitlines()), run.stderr
        assert listing(tmp_path) == before
