"""Hostile and unusual inputs through the real command line (#10): pipes and devices in place of
files, output paths that cannot be written, terminal control characters, NFC/NFD names and the
`--set` grammar (a hypothesis fuzzer). The files of the bad-input corpus are in tests/bad_inputs/;
what cannot be committed (a FIFO, a device, a read-only folder) is made here."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ntmcert import default_library, evaluate, load_factset
from ntmcert.core.errors import InputError
from ntmcert.core.text import has_control, printable, shorten
from ntmcert.evaluation.whatif import apply_changes, parse_changes
from ntmcert.inputs.factset import factset_from_document
from ntmcert.inputs.yamlio import load_path
from ntmcert.render import render

from .conftest import ROOT, THANH_PHU

PACK = "tra-vinh/smart-commune"
FIFO_SECONDS = 5  # every command given a pipe answers within this, wall clock (the bound)


def cli(*args, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONIOENCODING": "utf-8"}
    env.pop("NTMCERT_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "ntmcert", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


# ----------------------------------------------------------------------------- pipes, devices, folders


def _pipe_cases(tmp: Path) -> list[tuple[str, list, str]]:
    """(name, arguments, the path the problem must name) for every command that reads a file."""
    fifo = tmp / "facts.yaml"
    os.mkfifo(fifo)
    for name in ("communes.csv", "communes.xlsx"):
        os.mkfifo(tmp / name)
    folder = tmp / "folder"
    folder.mkdir()
    os.mkfifo(folder / "a.yaml")
    library = tmp / "lib" / "t" / "p"
    library.mkdir(parents=True)
    os.mkfifo(library / "pack.yaml")
    (tmp / "zero.yaml").symlink_to("/dev/zero")
    (tmp / "zero.csv").symlink_to("/dev/zero")
    out = tmp / "out"
    out.mkdir()
    return [
        ("validate", ["validate", fifo], str(fifo)),
        ("evaluate", ["evaluate", fifo], str(fifo)),
        ("evaluate --params", ["evaluate", THANH_PHU, "--pack", "vn/model-ntm-2021-2025", "--params", fifo], str(fifo)),
        ("review", ["review", fifo, "--pack", "tra-vinh/model-ntm-2021-2025"], str(fifo)),
        ("batch csv", ["batch", tmp / "communes.csv", "--pack", PACK, "--out", out / "r.csv"], "communes.csv"),
        ("batch xlsx", ["batch", tmp / "communes.xlsx", "--pack", PACK, "--out", out / "r.jsonl"], "communes.xlsx"),
        ("batch --params", ["batch", ROOT / "seeds", "--pack", PACK, "--out", out / "p.csv", "--params", fifo],
         str(fifo)),
        ("packs check", ["packs", "check", tmp / "lib"], "pack.yaml"),
        ("validate /dev/zero", ["validate", tmp / "zero.yaml"], "zero.yaml"),
        ("batch /dev/zero", ["batch", tmp / "zero.csv", "--pack", PACK, "--out", out / "z.csv"], "zero.csv"),
        ("validate a folder", ["validate", folder], str(folder)),
    ]


def test_every_command_given_a_pipe_or_device_answers_at_once(tmp_path):
    """A FIFO, /dev/zero or a folder where a file should be: exit 2 with input_not_regular_file,
    within 5 s, never read (a read would block forever or fill the memory)."""
    for name, args, where in _pipe_cases(tmp_path):
        start = time.monotonic()
        try:
            run = cli(*args, timeout=FIFO_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{name}: no answer within {FIFO_SECONDS} s")
        elapsed = time.monotonic() - start
        assert run.returncode == 2, (name, run.stderr)
        assert "Traceback" not in run.stderr
        lines = [line for line in run.stderr.splitlines() if "input_not_regular_file" in line and where in line]
        assert lines, (name, run.stderr)
        assert elapsed < FIFO_SECONDS, (name, elapsed)


def test_a_pipe_in_a_folder_of_fact_sets_is_an_error_row(tmp_path):
    folder = tmp_path / "communes"
    folder.mkdir()
    (folder / "a.yaml").write_bytes(THANH_PHU.read_bytes())
    os.mkfifo(folder / "b.yaml")
    run = cli("batch", folder, "--pack", PACK, "--out", tmp_path / "r.jsonl", timeout=60)
    assert run.returncode == 2, run.stderr
    rows = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["verdict"] for r in rows] == ["incomplete", "error"]
    assert rows[1]["errors"][0]["code"] == "input_not_regular_file"


# ----------------------------------------------------------------------------- output paths


def _out_cases(tmp: Path) -> list[tuple[str, list, str]]:
    source = tmp / "in.csv"
    source.write_text("commune.name,commune.province,commune.region,as_of\nXã A,Trà Vinh,dbscl,2025-06-30\n",
                      encoding="utf-8")
    (tmp / "folder.xlsx").mkdir()
    (tmp / "folder.csv").mkdir()
    (tmp / "file").write_text("x", encoding="utf-8")
    os.mkfifo(tmp / "pipe.csv")
    template = ["template", "--pack", PACK, "--out"]
    batch = ["batch", source, "--pack", PACK, "--out"]
    return [
        ("template: missing folder", [*template, tmp / "missing" / "t.xlsx"], "template_bad_output"),
        ("template: read-only folder", [*template, "/proc/t.xlsx"], "template_bad_output"),
        ("template: a folder for the file", [*template, tmp / "folder.xlsx"], "template_bad_output"),
        ("template: a file for the folder", [*template, tmp / "file" / "t.xlsx"], "template_bad_output"),
        ("batch: missing folder", [*batch, tmp / "missing" / "r.csv"], "batch_bad_output"),
        ("batch: read-only folder", [*batch, "/proc/r.csv"], "batch_bad_output"),
        ("batch: a folder for the file", [*batch, tmp / "folder.csv"], "batch_bad_output"),
        ("batch: a file for the folder", [*batch, tmp / "file" / "r.csv"], "batch_bad_output"),
        ("batch: the input itself", [*batch, source], "batch_bad_output"),
        ("batch: a pipe", [*batch, tmp / "pipe.csv"], "batch_bad_output"),
        ("packs docs: a file for the folder", ["packs", "docs", "--out", tmp / "file"], "docs_bad_output"),
        ("packs docs: under a file", ["packs", "docs", "--out", tmp / "file" / "docs"], "docs_bad_output"),
        ("packs docs: read-only folder", ["packs", "docs", "--out", "/proc/docs"], "docs_bad_output"),
        ("packs law: a file for the folder", ["packs", "law", "--out", tmp / "file"], "law_bad_output"),
        ("packs new: a file for the folder", ["packs", "new", "--extends", "vn/ntm-2021-2025", "--province",
                                              "Trà Vinh", "--out", tmp / "file"], "scaffold_bad_output"),
    ]


def test_output_paths_are_checked_before_any_work(tmp_path):
    """Exit 2, coded, located at --out, nothing written (the input and the folder untouched)."""
    for name, args, code in _out_cases(tmp_path):
        before = listing(tmp_path)
        run = cli(*args, timeout=60)
        assert run.returncode == 2, (name, run.returncode, run.stderr)
        assert "Traceback" not in run.stderr and "internal error" not in run.stderr, (name, run.stderr)
        assert any(f": {code}: " in line and "[--out]" in line for line in run.stderr.splitlines()), (name, run.stderr)
        assert listing(tmp_path) == before, name


# ----------------------------------------------------------------------------- terminal control characters


def test_renderers_escape_control_characters_that_reach_them():
    """Inputs with control characters are refused at load; a verdict built another way still
    never carries one to the terminal or a Markdown file."""
    verdict = evaluate(load_factset(THANH_PHU), PACK, engine="reference")
    hostile = dataclasses.replace(verdict, commune={**verdict.commune, "name": "Xã \x1b]0;pwned\x07\x9b2J\u202eA"})
    for fmt in ("text", "md"):
        for color in (False, True):
            shown = render([hostile], fmt, "en", color=color) if fmt == "text" else render([hostile], fmt, "en")
            assert "pwned" in shown
            data = shown.replace("\x1b[", "") if color and fmt == "text" else shown  # rich's own styles
            assert not any(ch in data for ch in "\x07\x9b\u202e"), (fmt, color)
            assert "\x1b]" not in data and "\\x1b]0;pwned\\x07" in shown, (fmt, color)


def test_the_text_report_prints_names_as_given():
    """rich reads neither markup nor emoji codes in data: a name is printed as it was written."""
    verdict = evaluate(load_factset(THANH_PHU), PACK, engine="reference")
    name = "Xã :cow: [bold]B[/bold] :smile:"
    shown = render([dataclasses.replace(verdict, commune={**verdict.commune, "name": name})], "text", "en")
    assert name in shown
    assert "\N{COW FACE}" not in shown and "\N{SMILING FACE WITH OPEN MOUTH AND SMILING EYES}" not in shown


def test_printable_and_has_control():
    assert printable("a\x1b[2Jb\nc\td") == "a\\x1b[2Jb\\x0ac\td"
    assert printable("a\nb\r", lines=True) == "a\nb\\x0d"
    assert has_control("X\u202eY") and has_control("\x85") and has_control("a\nb")
    assert not has_control("a\nb", lines=True)
    assert not has_control("Xã Thạnh Phú\t(ấp 2)")
    assert shorten("x" * 300, 200) == "x" * 200 + "… (100 more characters)"


def test_validate_never_echoes_a_control_character(tmp_path):
    target = tmp_path / "f.yaml"
    target.write_text('format: ntmcert/factset/v1\ncommune: {name: "X\\e]0;t\\a", province: Trà Vinh, '
                      'region: dbscl}\nas_of: 2024-08-31\n', encoding="utf-8")
    run = cli("validate", target)
    assert run.returncode == 2 and "text_control_character" in run.stderr
    assert "\x1b" not in run.stdout + run.stderr and "\x07" not in run.stdout + run.stderr


# ----------------------------------------------------------------------------- names, --set


def test_set_on_an_nfd_hamlet_name_changes_the_hamlet_and_a_missing_one_is_an_error(tmp_path):
    doc = load_path(THANH_PHU)
    name = doc.data["hamlets"][0]["name"]
    fact = next(iter(doc.data["hamlets"][0]["facts"]))
    nfd = unicodedata.normalize("NFD", name)
    assert nfd != name
    changed = apply_changes(doc, parse_changes([f"hamlet:{nfd}:{fact}={{percent: 1}}"]))
    assert len(changed.data["hamlets"]) == len(doc.data["hamlets"])  # changed, not added
    assert changed.data["hamlets"][0]["facts"][fact] == {"percent": 1}
    factset_from_document(changed, default_library().catalogue)
    run = cli("evaluate", THANH_PHU, "--pack", PACK, "--set", f"hamlet:Ấp Không Có:{fact}={{percent: 1}}")
    assert run.returncode == 2 and "set_unknown_hamlet" in run.stderr and "--set #1" in run.stderr, run.stderr


def test_a_huge_set_value_is_refused_and_not_echoed():
    run = cli("evaluate", THANH_PHU, "--pack", PACK, "--set", "kiosks=" + "9" * 100_000)
    assert run.returncode == 2 and "set_too_long" in run.stderr
    assert len(run.stderr) < 2_000, len(run.stderr)


def test_json_with_a_byte_order_mark_is_read(tmp_path):
    data = load_path(THANH_PHU).data
    target = tmp_path / "f.json"
    as_json = json.dumps(data, default=lambda v: float(v) if isinstance(v, Decimal) else str(v), ensure_ascii=False)
    target.write_bytes(b"\xef\xbb\xbf" + as_json.encode())
    run = cli("validate", target)
    assert run.returncode == 0, run.stderr


_SET_ALPHABET = st.sampled_from(["=", ":", "hamlet", "Ấp 2", "A\u0300", "{", "}", "[", "]", ",", " ", "kiosks",
                                 "count", "of", "percent", "1", "-1", "0.5", "\x1b", "\n", "'", '"', "&a", "*a",
                                 "!!python/object", "gt", "%", "\u202e", "é", "null", "~"])


@settings(deadline=None)
@given(st.lists(st.lists(_SET_ALPHABET, max_size=12).map("".join), min_size=1, max_size=3))
def test_fuzz_set_grammar(items):
    """Any --set text gives changes or ntmcert's own coded problems (located at its --set), never
    another exception; applied to the seed, the result loads or is refused with coded problems."""
    try:
        changes = parse_changes(items)
    except InputError as exc:
        assert all(p.location.file and p.location.file.startswith("--set #") for p in exc.problems)
        return
    try:
        factset_from_document(apply_changes(load_path(THANH_PHU), changes), default_library().catalogue)
    except InputError as exc:
        assert all(p.code for p in exc.problems)
