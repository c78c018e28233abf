"""The bad-input corpus (tests/bad_inputs/) through the real command line.

- Every input of the corpus is refused by the installed CLI, run as a subprocess: exit code 2,
  no traceback, a problem line naming the input with the expected code (and line and key path
  when the index gives them), and nothing written next to the input. `expected.yaml` indexes the
  corpus; an entry with a `bug` key is a known checker bug (xfail, strict).
- A 20 MB input is generated (never committed) and must be refused unread.

The fuzzers of the loaders and of the rule-engine adapter are in test_fuzz_inputs.py.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from ntmcert.inputs.yamlio import MAX_BYTES, load_path

from .conftest import ROOT, THANH_PHU

CORPUS = ROOT / "tests" / "bad_inputs"
INDEX = CORPUS / "expected.yaml"
KINDS = ("factset", "params", "pack", "batch")
BATCH_PACK = "tra-vinh/smart-commune"  # the pack `batch` inputs are evaluated with
MAX_RSS_MB = 500  # no run of the corpus may use more memory than this
MIN_INPUTS = 45
PARAMS_PACK = "vn/model-ntm-2021-2025"  # the pack `--params` inputs are evaluated with
CPU_LIMIT = 5  # CPU seconds per CLI run: a refusal takes about half of one, so this only stops a hang
TIMEOUT = 60  # wall-clock seconds per CLI run, in case a run hangs without using the CPU
WORKERS = max(2, 2 * (os.cpu_count() or 1))  # the CLI runs wait on subprocesses, not on Python

# ----------------------------------------------------------------------------- the index


def _load_index() -> dict[str, dict]:
    data = load_path(INDEX).data  # ntmcert's own strict loader: a repeated entry is an error
    assert isinstance(data, dict), f"{INDEX} must map input paths to expectations"
    for case, entry in data.items():
        assert isinstance(entry, dict) and {"code", "line", "key_path"} <= set(entry) \
            and set(entry) <= {"code", "line", "key_path", "bug"}, f"{case}: bad index entry {entry!r}"
    return data


INDEX_ENTRIES = _load_index()


def _cases():
    for case, entry in sorted(INDEX_ENTRIES.items()):
        marks = [pytest.mark.xfail(strict=True, reason=entry["bug"])] if entry.get("bug") else []
        yield pytest.param(case, marks=marks, id=case)


def corpus_inputs() -> set[str]:
    """What the corpus folders hold: files of factset/ and params/, case folders of pack/
    (anything else found there is listed too, so that it fails the comparison with the index)."""
    found = set()
    for kind in KINDS:
        for entry in (CORPUS / kind).iterdir():
            found.add(entry.relative_to(CORPUS).as_posix())
    return found


def test_index_lists_every_input():
    """The index and the folders name the same inputs, and there are enough of them."""
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(["expected.yaml", *KINDS])
    listed, found = set(INDEX_ENTRIES), corpus_inputs()
    assert not found - listed, f"inputs missing from expected.yaml: {sorted(found - listed)}"
    assert not listed - found, f"expected.yaml names inputs that do not exist: {sorted(listed - found)}"
    for case in found:
        kind, _, name = case.partition("/")
        if kind == "pack":
            assert (CORPUS / case).is_dir(), f"{case}: a pack case is a folder (a library root)"
        elif kind == "batch":
            assert (CORPUS / case).is_file() and name.endswith((".csv", ".xlsx")), f"{case}: not a sheet file"
        else:
            assert (CORPUS / case).is_file() and name.endswith((".yaml", ".json")), f"{case}: not an input file"
    assert len(found) >= MIN_INPUTS


# ----------------------------------------------------------------------------- running the CLI


@dataclass(frozen=True)
class Run:
    returncode: int | None  # None: killed after TIMEOUT seconds
    stdout: str
    stderr: str
    max_rss_mb: float | None = None  # the peak memory of the run (None: it did not exit by itself)

    @property
    def hung(self) -> bool:
        """Stopped by the CPU limit (SIGXCPU, or SIGKILL past the hard limit) or the timeout."""
        return self.returncode is None or self.returncode in _KILLED


_KILLED = {-sig for sig in (getattr(signal, "SIGKILL", 0), getattr(signal, "SIGXCPU", 0)) if sig}


# On POSIX the run goes through `sh -c 'ulimit -t N && exec python -m ntmcert …'`: the same process,
# with a CPU-time limit that does not depend on how busy the machine is (preexec_fn would not be
# safe from the worker threads below).
_SHELL = shutil.which("sh") if os.name == "posix" else None


def _text(data) -> str:
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


# `python -m ntmcert`, reporting its own peak memory (ru_maxrss, KB on Linux) on stderr when it exits
_MEASURED = ("import atexit, resource, runpy, sys\n"
             "atexit.register(lambda: sys.stderr.write("
             "f'\\n{MARK}{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n'))\n"
             "sys.argv = ['ntmcert', *sys.argv[1:]]\n"
             "runpy.run_module('ntmcert', run_name='__main__', alter_sys=True)\n")
_RSS_MARK = "NTMCERT-TEST-MAXRSS-KB="


def run_cli(*args: str) -> Run:
    """`python -m ntmcert ARGS` from the repository root, as an officer would run it."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONIOENCODING": "utf-8"}
    env.pop("NTMCERT_DEBUG", None)  # the default behaviour: no traceback for anyone
    argv = [sys.executable, "-c", _MEASURED.replace("{MARK}", _RSS_MARK), *args]
    if _SHELL:
        argv = [_SHELL, "-c", f'ulimit -t {CPU_LIMIT} && exec "$@"', "sh", *argv]
    try:
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        return Run(None, _text(exc.stdout), _text(exc.stderr))
    stderr, rss = _text(done.stderr), None
    head, mark, tail = stderr.rpartition(_RSS_MARK)
    if mark:
        stderr, rss = head.rstrip("\n") + ("\n" if head.strip() else ""), int(tail.split()[0]) / 1024
    return Run(done.returncode, _text(done.stdout), stderr, rss)


def command(case: str, out_dir: Path) -> tuple[str, ...]:
    path = (CORPUS / case).relative_to(ROOT).as_posix()
    kind = case.split("/", 1)[0]
    if kind == "factset":
        return ("validate", path)
    if kind == "batch":
        return ("batch", path, "--pack", BATCH_PACK, "--out", str(out_dir / "out.csv"), "--no-progress")
    if kind == "params":
        return ("evaluate", THANH_PHU.relative_to(ROOT).as_posix(), "--pack", PARAMS_PACK, "--params", path)
    return ("packs", "check", path)


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder below `folder` with its size and modification time."""
    out = {}
    for p in sorted(folder.rglob("*")):
        info = p.stat()
        out[p.relative_to(folder).as_posix()] = (info.st_size, info.st_mtime_ns)
    return out


def watched_folder(case: str) -> str:
    """The folder a case must leave untouched, relative to the corpus: the input's own folder."""
    return case if case.startswith("pack/") else case.rsplit("/", 1)[0]


def _within(snapshot: dict, folder: str) -> dict:
    return {k: v for k, v in snapshot.items() if k == folder or k.startswith(folder + "/")}


@pytest.fixture(scope="module")
def corpus_runs(request, tmp_path_factory):
    """Every selected corpus case run once, in parallel (each run is a fresh interpreter), with
    the corpus's listing before and after."""
    wanted = sorted({item.callspec.params["case"] for item in request.session.items
                     if getattr(item, "originalname", None) == "test_bad_input" and hasattr(item, "callspec")})
    wanted.sort(key=lambda c: "bug" not in INDEX_ENTRIES[c])  # known bugs (maybe hangs) start first
    before = listing(CORPUS)
    outs = {c: tmp_path_factory.mktemp("batch-out") for c in wanted}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        runs = dict(zip(wanted, pool.map(lambda c: run_cli(*command(c, outs[c])), wanted), strict=True))
    after = listing(CORPUS)
    return runs, before, after, outs


def batch_output(out_dir: Path) -> tuple[list[list[str]], str]:
    """(the cells of a batch's CSV output, its error column as problem lines) — empty when none was written."""
    files = list(out_dir.iterdir())
    if not files:
        return [], ""
    assert [f.name for f in files] == ["out.csv"], f"stray files beside the output: {files}"
    with open(files[0], newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    errors = rows[0].index("error")
    return rows, "\n".join(r[errors] for r in rows[1:] if len(r) > errors and r[errors])


def problem_lines(stderr: str, path: str, code: str, line: int | None = None,
                  key_path: str | None = None) -> list[str]:
    """The stderr lines reporting `code` for `path` (at `line`, `[key_path]`, when given)."""
    found = []
    for text in stderr.splitlines():
        if path not in text or f": {code}: " not in text:
            continue
        if line is not None and not re.search(rf":{line}(?::\d+)?(?: \[|: )", text):
            continue
        if key_path is not None and f" [{key_path}]: " not in text:
            continue
        found.append(text)
    return found


def _summary(run: Run) -> str:
    return f"exit {run.returncode}\n--- stderr\n{run.stderr[-3000:]}\n--- stdout\n{run.stdout[-1500:]}"


@pytest.mark.parametrize("case", list(_cases()))
def test_bad_input(case, corpus_runs):
    """Refused with exit 2, no traceback, a located and coded problem, nothing written."""
    runs, before, after, outs = corpus_runs
    run, expected = runs[case], INDEX_ENTRIES[case]
    path = (CORPUS / case).relative_to(ROOT).as_posix()
    assert not run.hung, f"no answer within {CPU_LIMIT} CPU seconds (or {TIMEOUT} s)\n{_summary(run)}"
    assert "Traceback" not in run.stdout + run.stderr, _summary(run)
    assert run.returncode == 2, _summary(run)
    assert run.max_rss_mb is not None and run.max_rss_mb < MAX_RSS_MB, f"peak memory {run.max_rss_mb} MB"
    reported = run.stderr
    if case.startswith("batch/"):
        cells, errors = batch_output(outs[case])
        reported += "\n" + errors
        path = Path(path).name  # a row's problem names the file as the sheet shows it
        triggers = [c for row in cells for c in row if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
        assert not triggers, f"formula triggers in the output: {triggers}"
    assert problem_lines(reported, path, expected["code"], expected["line"], expected["key_path"]), (
        f"no stderr line with {path}, code {expected['code']}"
        + (f", line {expected['line']}" if expected["line"] is not None else "")
        + (f", [{expected['key_path']}]" if expected["key_path"] is not None else "") + f"\n{_summary(run)}"
        + f"\n--- reported\n{reported[-2000:]}")
    folder = watched_folder(case)
    assert _within(after, folder) == _within(before, folder), f"the run wrote into {folder}"


# ----------------------------------------------------------------------------- a 20 MB input


@pytest.mark.parametrize("kind", ("factset", "params", "pack"))
def test_file_too_large(kind, tmp_path):
    """A 20 MB input is refused by its size before it is read or parsed (file_too_large)."""
    header = {"factset": "format: ntmcert/factset/v1\n", "params": "format: ntmcert/params/v1\n",
              "pack": "format: ntmcert/pack/v1\nid: t/p\n"}[kind]
    filler = ("# " + "x" * 97 + "\n") * (20 * 1024 * 1024 // 100 + 1)
    if kind == "pack":
        target = tmp_path / "lib" / "t" / "p" / "pack.yaml"
        target.parent.mkdir(parents=True)
        argument = tmp_path / "lib"
        args = ("packs", "check", str(argument))
    else:
        target = argument = tmp_path / "big.yaml"
        args = (("validate", str(target)) if kind == "factset" else
                ("evaluate", str(THANH_PHU), "--pack", PARAMS_PACK, "--params", str(target)))
    target.write_text(header + filler, encoding="utf-8")
    assert target.stat().st_size >= 20 * 1024 * 1024 > MAX_BYTES
    before = listing(tmp_path)
    run = run_cli(*args)
    assert run.returncode == 2, _summary(run)
    assert "Traceback" not in run.stdout + run.stderr
    assert problem_lines(run.stderr, str(argument), "file_too_large"), _summary(run)
    assert listing(tmp_path) == before
