"""The bad-input corpus (tests/bad_inputs/) through the real command line, and fuzzing.

- Every input of the corpus is refused by the installed CLI, run as a subprocess: exit code 2,
  no traceback, a problem line naming the input with the expected code (and line and key path
  when the index gives them), and nothing written next to the input. `expected.yaml` indexes the
  corpus; an entry with a `bug` key is a known checker bug (xfail, strict).
- A 20 MB input is generated (never committed) and must be refused unread.
- Arbitrary YAML-ish documents fed to `load_factset` and `PackLibrary` raise only ntmcert errors.
- Random batches of exact comparisons, huge and tiny numbers included, get the same outcome from
  durable-rules as from the reference evaluator, in a subprocess (a crash shows as its exit code).
"""

from __future__ import annotations

import copy
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from ntmcert import load_factset
from ntmcert.core.errors import NtmcertError
from ntmcert.inputs.yamlio import MAX_BYTES, load_path
from ntmcert.packs.compiler import check_hash_collisions
from ntmcert.packs.library import PackLibrary

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
        runs = dict(zip(wanted, pool.map(lambda c: run_cli(*command(c, outs[c])), wanted)))
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


# ----------------------------------------------------------------------------- fuzzing the loaders

_scalars = st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.booleans(), st.none())
documents = st.recursive(
    _scalars,
    lambda children: st.one_of(st.lists(children, max_size=5),
                               st.dictionaries(st.text(max_size=12), children, max_size=5)),
    max_leaves=25)


def _key_paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _key_paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _key_paths(value, prefix + (i,))


@st.composite
def planted(draw, base):
    """A valid document with one to three places replaced by arbitrary values, or removed: most
    of it still passes the outer checks, so the values reach the inner ones."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_key_paths(doc))))
        value = draw(documents)
        if not path:
            doc = value
            continue
        node = doc
        for part in path[:-1]:
            node = node[part]
        if isinstance(node, dict) and draw(st.booleans()):
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return doc


class _Dumper(yaml.SafeDumper):
    """safe_dump, plus the exact decimals ntmcert's loader returns, written as YAML numbers."""


_Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", str(v)))


def to_yaml(doc) -> str:
    return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def to_json(doc) -> str:
    return json.dumps(doc, ensure_ascii=False, default=str)


def _base_pack(pack_id: str) -> dict:
    """A bundled pack as data, made standalone under the id t/p (no extends, no prerequisite
    packs), so that a library holding only it resolves."""
    data = load_path(ROOT / "rules" / pack_id / "pack.yaml").data
    data["id"] = "t/p"
    data.pop("extends", None)
    data.pop("review_against", None)
    for prerequisite in data.get("prerequisites", []):
        prerequisite.pop("pack", None)
    return data


FACTSET_BASE = load_path(THANH_PHU).data
PACK_BASES = [_base_pack("tra-vinh/model-ntm-2021-2025"), _base_pack("vn/ntm-2021-2025")]


@st.composite
def damaged(draw, text_strategy):
    """Document text with a few characters inserted somewhere."""
    text = draw(text_strategy)
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.text(max_size=4)) + text[at:]


def _only_ntmcert_errors(call) -> None:
    """Run `call`; an ntmcert error is a refusal and fine, any other exception fails the test."""
    try:
        call()
    except NtmcertError:
        pass


def test_bases_are_valid(tmp_path):
    """The documents the fuzzers start from load cleanly, so planted values are what is tested."""
    load_factset(copy.deepcopy(FACTSET_BASE))
    for i, base in enumerate(PACK_BASES):
        folder = tmp_path / str(i) / "t" / "p"
        folder.mkdir(parents=True)
        (folder / "pack.yaml").write_text(to_yaml(base), encoding="utf-8")
        check_hash_collisions(PackLibrary(root=tmp_path / str(i)).get("t/p"))


@given(doc=st.one_of(documents, planted(FACTSET_BASE)))
def test_fuzz_load_factset_from_dict(doc):
    if not isinstance(doc, dict):
        doc = {"format": "ntmcert/factset/v1", "facts": doc}
    _only_ntmcert_errors(lambda: load_factset(doc))


_factset_texts = st.one_of(
    documents.map(to_yaml), planted(FACTSET_BASE).map(to_yaml), damaged(planted(FACTSET_BASE).map(to_yaml)),
    st.text(max_size=200))


@given(text=_factset_texts, suffix=st.sampled_from([".yaml", ".json"]), raw=st.none() | st.binary(max_size=200))
def test_fuzz_load_factset_from_file(tmp_path_factory, text, suffix, raw):
    path = tmp_path_factory.mktemp("factset", numbered=True) / f"facts{suffix}"
    if raw is not None:
        path.write_bytes(raw)
    elif suffix == ".json":
        try:
            text = to_json(yaml.safe_load(text))  # the same document as JSON, when it is one
        except yaml.YAMLError:
            pass
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _only_ntmcert_errors(lambda: load_factset(path))


_pack_texts = st.one_of(
    documents.map(to_yaml), st.sampled_from(PACK_BASES).flatmap(planted).map(to_yaml),
    damaged(st.sampled_from(PACK_BASES).flatmap(planted).map(to_yaml)), st.text(max_size=200))


@given(text=_pack_texts)
def test_fuzz_pack_library(tmp_path_factory, text):
    root = tmp_path_factory.mktemp("lib", numbered=True)
    (root / "t" / "p").mkdir(parents=True)
    (root / "t" / "p" / "pack.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")

    def load():
        check_hash_collisions(PackLibrary(root=root).get("t/p"))

    _only_ntmcert_errors(load)


# ----------------------------------------------------------------------------- fuzzing the adapter

ADAPTER_FUZZ = r'''
import random
import sys
from fractions import Fraction

from ntmcert import default_library
from ntmcert.evaluation.checks import Check, ReferenceEngine
from ntmcert.packs.compiler import rule_operators, slots
from ntmcert.evaluation.engines import get_engine
from ntmcert.core.exact import Interval

rng = random.Random(int(sys.argv[1]))
ROUNDS = int(sys.argv[2])


def near(base):
    return base + Fraction(rng.randrange(-3, 4), rng.choice([1, 1, 2, 3, 7]))


def value_and_threshold():
    """Two exact numbers, often close to each other, from tiny to far beyond int64."""
    kind = rng.randrange(6)
    if kind == 0:  # large and close: int64 edges after cross-multiplying
        base = Fraction(10 ** rng.randrange(0, 25) * rng.randrange(1, 10))
        return max(near(base), Fraction(0)), max(near(base), Fraction(0))
    if kind == 1:  # shares
        return Fraction(rng.randrange(0, 101), 100), Fraction(rng.randrange(0, 101), 100)
    if kind == 2:  # decimals with up to 30 places, one unit apart
        den, num = 10 ** rng.randrange(0, 31), rng.randrange(0, 10 ** rng.randrange(1, 31))
        return Fraction(num, den), Fraction(max(num + rng.randrange(-1, 2), 0), den)
    if kind == 3:  # yes / no
        return Fraction(rng.randrange(0, 2)), Fraction(rng.randrange(0, 2))
    if kind == 4:  # tiny
        return Fraction(rng.randrange(0, 3), 10 ** rng.randrange(20, 60)), Fraction(1, 10 ** rng.randrange(20, 60))

    def big():
        return Fraction(rng.randrange(0, 2 ** rng.randrange(1, 130)), rng.randrange(1, 2 ** rng.randrange(1, 130)))

    return big(), big()


def interval(op, v, t):
    if op == "==" or rng.random() < 0.4:  # packs compare with == only yes/no facts, which are points
        return Interval.point(v)
    other = near(v)
    hi = rng.choice([None, v, v + value_and_threshold()[0], other if other >= v else None, t if t >= v else None])
    lo_closed, hi_closed = rng.random() < 0.5, rng.random() < 0.5
    if hi == v:
        lo_closed = hi_closed = True
    return Interval(v, hi, lo_closed, hi_closed)


durable, reference = get_engine("durable"), ReferenceEngine()
if durable.name != "durable-rules":
    print("durable-rules is not importable here: nothing to compare")
    sys.exit(0)
total = 0
for pack in default_library().all():
    ops, where = rule_operators(pack), slots(pack)
    keys = sorted(ops)
    for _ in range(ROUNDS):
        checks, used = [], set()
        for _ in range(rng.randrange(1, 40)):
            rule = rng.choice(keys)
            key = f"{rule}@h{rng.randrange(3)}" if where[rule].hamlet_level else rule
            if key in used:  # one comparison per rule and hamlet, as the evaluator sends them
                continue
            used.add(key)
            v, t = value_and_threshold()
            checks.append(Check(key, rule, ops[rule], interval(ops[rule], v, t), t))
        got, want = durable.decide(pack, checks), reference.decide(pack, checks)
        total += len(checks)
        if got != want:
            for c in checks:
                if got.get(c.key) != want[c.key]:
                    print(f"{pack.id}: {c!r}: durable-rules {got.get(c.key)}, reference {want[c.key]}")
            sys.exit(1)
print(f"{total} comparisons agree")
'''


@pytest.mark.parametrize("seed", [20240831, 1362])
def test_fuzz_durable_adapter(seed):
    """durable-rules agrees with the reference evaluator on random exact comparisons, in a
    subprocess: a crash in the engine's C code shows as a negative exit code, not a dead pytest."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-c", ADAPTER_FUZZ, str(seed), "400"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode >= 0, f"the engine process died by signal {-done.returncode}\n{done.stderr[-3000:]}"
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
