"""Fuzzing: arbitrary and damaged inputs for the loaders, random comparisons for the rule engine.

- Arbitrary YAML-ish documents fed to `load_factset` and `PackLibrary` raise only ntmcert errors.
- Random batches of exact comparisons, huge and tiny numbers included, get the same outcome from
  durable-rules as from the reference evaluator, in a subprocess (a crash shows as its exit code).

The bad-input corpus run through the command line is in test_bad_inputs.py.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from ntmcert import load_factset
from ntmcert.core.errors import NtmcertError
from ntmcert.inputs.yamlio import load_path
from ntmcert.packs.compiler import check_hash_collisions
from ntmcert.packs.library import PackLibrary

from .conftest import ROOT, THANH_PHU

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
    with contextlib.suppress(NtmcertError):
        call()


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
        with contextlib.suppress(yaml.YAMLError):
            text = to_json(yaml.safe_load(text))  # the same document as JSON, when it is one
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
