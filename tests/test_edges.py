"""Generated edge tests: every comparison of every bundled pack, exactly at its threshold, the
smallest step below and above, as ratios, percentages and reported bounds, and missing.

The expected status comes from the pack's threshold ledger (rules/<pack>/tests/edges.yaml: the
law's comparisons restated by hand) and from an oracle written independently of ntmcert.core.exact:
a bound passes when every *candidate point* of the interval does. So changing any threshold's
operator or value in a pack makes these tests fail — shown by the mutation sweep at the end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ntmcert import default_library, evaluate, load_factset
from ntmcert.inputs.catalogue import FactKind, Level
from ntmcert.inputs.yamlio import load_path
from ntmcert.kinds.any_of import AnyOfIndicator
from ntmcert.kinds.hamlets import HamletsIndicator
from ntmcert.packs.compiler import rule_keys
from ntmcert.packs.library import PackCriterion, PackIndicator
from ntmcert.packs.registry import kind_of
from ntmcert.packs.resolve import OfficerValue
from ntmcert.packs.schema import Percent, Source

from .conftest import ROOT, reorder_keys
from .strategies import Draw, factset

LIBRARY = default_library()
PACK_IDS = LIBRARY.ids()
ENGINES = ("durable", "reference")
OPS = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, "<": lambda a, b: a < b,
       "==": lambda a, b: a == b}
LEDGER_ENTRY = re.compile(r"^(>=|>|<=|<|==)\s+(.+)$")
PARAM = re.compile(r"^(?:([0-9.]+)\s*×\s*)?([a-z][a-z0-9_]*)$")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One ledger line: the operator and either a literal, a scaled parameter, or unknown."""

    op: str
    value: Fraction | bool | None = None
    share: bool = False
    parameter: str | None = None
    factor: Fraction = Fraction(1)
    unknown: bool = False


def parse_entry(text: str) -> Entry:
    op, rest = LEDGER_ENTRY.match(text.strip()).groups()
    rest = rest.strip()
    if rest == "unknown":
        return Entry(op, unknown=True)
    if rest in ("true", "false"):
        return Entry(op, rest == "true")
    if rest.endswith("%"):
        return Entry(op, Fraction(Decimal(rest[:-1])) / 100, share=True)
    try:
        return Entry(op, Fraction(Decimal(rest)))
    except Exception:
        factor, name = PARAM.match(rest).groups()
        return Entry(op, parameter=name, factor=Fraction(Decimal(factor)) if factor else Fraction(1))


def ledger(pack_id: str) -> dict[str, Entry]:
    path = ROOT / "rules" / pack_id / "tests" / "edges.yaml"
    return {key: parse_entry(text) for key, text in load_path(path).data["edges"].items()}


def located_comparisons(pack):
    """key → (indicator id, LocatedComparison) for every comparison of the resolved pack, read
    through the kinds registry (rule keys and comparisons come in the same order)."""
    out = {}
    for crit in pack.criteria:
        for ind in crit.indicators:
            spec = ind.spec
            kind = kind_of(spec)
            keys = [k for k, _ in kind.leaves(spec)] + [k for _, leaves in kind.hamlet_groups(spec) for k, _ in leaves]
            located = list(kind.comparisons(spec))
            assert len(keys) == len(located), spec.id
            for key, loc in zip(keys, located, strict=True):
                out[key] = (spec.id, loc)
    return out


def comparisons(pack):
    """key → (comparison, hamlet level?) for every comparison of the resolved pack."""
    return {key: (loc.comparison, loc.hamlet_level) for key, (_, loc) in located_comparisons(pack).items()}


def is_percent_parameter(pack, name: str) -> bool:
    return name in pack.parameters and pack.parameters[name].spec.percent


# ------------------------------------------------------------------ the independent oracle

def oracle(lo, hi, lo_closed, hi_closed, op: str, t: Fraction) -> str:
    """pass / fail / undecidable by testing candidate points: the truth of `x op t` is constant
    between consecutive critical values, so the endpoints, t, and midpoints cover every case."""
    critical = sorted({v for v in (lo, hi, t) if v is not None})
    candidates = set(critical)
    candidates.update((a + b) / 2 for a, b in itertools.pairwise(critical))
    candidates.update((critical[0] - 1, critical[-1] + 1))

    def inside(x):
        return ((lo is None or x > lo or (x == lo and lo_closed)) and
                (hi is None or x < hi or (x == hi and hi_closed)))

    truths = {OPS[op](x, t) for x in candidates if inside(x)}
    return "pass" if truths == {True} else "fail" if truths == {False} else "undecidable"


# ------------------------------------------------------------------ edge values

def edge_values(entry: Entry, kind: FactKind, whole: bool, t: Fraction):
    """(fact value as written in a fact set, expected status) at and around threshold t."""
    if kind is FactKind.boolean:
        for v in (True, False):
            yield v, "pass" if OPS[entry.op](Fraction(int(v)), t) else "fail"
        return
    if kind is FactKind.share:
        of = t.denominator * 7  # t·of is a whole count
        for count in (t * of - 1, t * of, t * of + 1):
            if 0 <= count <= of:
                yield {"count": int(count), "of": of}, "pass" if OPS[entry.op](count / of, t) else "fail"
        of = 1_000_003  # a prime: t·of is not whole, the nearest counts sit on each side
        for count in (math.floor(t * of), math.ceil(t * of)):
            if 0 <= count <= of:
                yield {"count": count, "of": of}, "pass" if OPS[entry.op](Fraction(count, of), t) else "fail"
        step = Fraction(1, 10**12)
        for p in (t * 100 - step, t * 100, t * 100 + step):
            if 0 <= p <= 100:
                yield {"percent": Decimal(p.numerator) / Decimal(p.denominator)}, \
                    "pass" if OPS[entry.op](p / 100, t) else "fail"
        for key in ("gt", "ge", "lt", "le"):
            for p in (t * 100 - 1, t * 100, t * 100 + 1):
                if 0 <= p <= 100 and not (key == "gt" and p == 100) and not (key == "lt" and p == 0):
                    lo, hi, lc, hc = ((p / 100, Fraction(1), key == "ge", True) if key in ("gt", "ge")
                                      else (Fraction(0), p / 100, True, key == "le"))
                    yield {"percent": {key: Decimal(p.numerator) / Decimal(p.denominator)}}, oracle(
                        lo, hi, lc, hc, entry.op, t)
        return
    steps = (Fraction(1),) if kind is FactKind.count else (Fraction(1, 100), Fraction(1))
    for step in steps:
        for v in (t - step, t, t + step):
            if v >= 0 and (kind is not FactKind.count or v.denominator == 1):
                written = int(v) if v.denominator == 1 else Decimal(v.numerator) / Decimal(v.denominator)
                yield written, "pass" if OPS[entry.op](v, t) else "fail"
        for v in (t - step, t):
            if v >= 0 and (kind is not FactKind.count or v.denominator == 1):
                written = int(v) if v.denominator == 1 else Decimal(v.numerator) / Decimal(v.denominator)
                yield {"ge": written}, oracle(v, None, True, True, entry.op, t)


def single_fact(pack, fact_id: str, value, hamlet: bool) -> dict:
    as_of = pack.doc.scope.valid_from + dt.timedelta(days=30)
    data = {"format": "ntmcert/factset/v1", "as_of": as_of,
            "commune": {"name": "Xã Biên", "province": pack.doc.scope.province or "Trà Vinh", "region": "dbscl"}}
    if hamlet:
        data["hamlets"] = [{"name": "Ấp Biên", "facts": {fact_id: value}}]
    else:
        data["facts"] = {fact_id: value}
    return data


OFFICER = Source(document="edge test value", provenance="secondary")


def edge_mismatches(pack, key: str, entry: Entry, engines=ENGINES) -> list[str]:
    """Evaluate the pack around the ledger's threshold; list every status that differs."""
    cmp, hamlet = comparisons(pack)[key]
    fact = LIBRARY.catalogue.get(cmp.fact)
    ref = f"{key}@Ấp Biên" if hamlet else key
    officer = None
    if entry.unknown:
        cases = [(v, "undecidable") for v, _ in edge_values(Entry(">="), fact.kind, fact.whole_counts, Fraction(1, 2))]
    else:
        if entry.parameter:
            base = Fraction(6037, 100)  # an officer's value; the threshold is factor × base
            officer = {entry.parameter: [OfficerValue(entry.parameter, base, OFFICER, override=True)]}
            t = entry.factor * base / (100 if is_percent_parameter(pack, entry.parameter) else 1)
        else:
            t = entry.value if not isinstance(entry.value, bool) else Fraction(int(entry.value))
        cases = list(edge_values(entry, fact.kind, fact.whole_counts, t))
    cases.append((None, "missing"))
    out = []
    for value, want in cases:
        data = single_fact(pack, cmp.fact, value, hamlet)
        if value is None:
            data.pop("facts", None)
            data.get("hamlets", [{}])[0]["facts"] = {}
        fs = load_factset(data)
        for engine in engines:
            got = evaluate(fs, pack, engine=engine, params=officer).find(ref).status
            if got != want:
                out.append(f"{pack.id} {key} = {value!r}: expected {want} ({entry.op} ledger), got {got} [{engine}]")
    return out


# ------------------------------------------------------------------ the tests

@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_ledger_covers_every_comparison(pack_id):
    """One ledger entry per comparison key of the resolved pack, no more."""
    pack = LIBRARY.get(pack_id)
    assert set(ledger(pack_id)) == set(rule_keys(pack))


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_every_threshold_at_its_edges(pack_id):
    """At, just under and just over every threshold, in every form, both engines: as the ledger says."""
    pack = LIBRARY.get(pack_id)
    problems = [m for key, entry in ledger(pack_id).items() for m in edge_mismatches(pack, key, entry)]
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("pack_id", [p for p in PACK_IDS if any(
    e.share for e in ledger(p).values())])
@given(data=st.data())
def test_random_ratios_near_share_edges(pack_id, data):
    """Random denominators and counts within a few units of t·of: status as the ledger's operator says."""
    pack = LIBRARY.get(pack_id)
    entries = {k: e for k, e in ledger(pack_id).items() if e.share}
    key = data.draw(st.sampled_from(sorted(entries)))
    entry = entries[key]
    of = data.draw(st.integers(1, 10**9))
    count = min(of, max(0, math.floor(entry.value * of) + data.draw(st.integers(-3, 3))))
    cmp, hamlet = comparisons(pack)[key]
    fs = load_factset(single_fact(pack, cmp.fact, {"count": count, "of": of}, hamlet))
    want = "pass" if OPS[entry.op](Fraction(count, of), entry.value) else "fail"
    for engine in ENGINES:
        assert evaluate(fs, pack, engine=engine).find(f"{key}@Ấp Biên" if hamlet else key).status == want


# ------------------------------------------------------------------ properties over whole fact sets

def _without(d: dict, *keys) -> dict:
    return {k: v for k, v in d.items() if k not in keys}


@pytest.mark.parametrize("pack_id", PACK_IDS)
@given(data=st.data())
def test_metamorphic(pack_id, data):
    """Key order, fact order, an unrelated fact, and (for packs with no hamlet rules) an unrelated
    hamlet never change the verdict (apart from the fact set's own hash)."""
    pack = LIBRARY.get(pack_id)
    fs_dict = factset(Draw(data), pack, LIBRARY.catalogue)
    base = evaluate(fs_dict, pack).to_dict()
    assert evaluate(reorder_keys(fs_dict), pack).to_dict() == base
    used = {c.fact for c, _ in comparisons(pack).values()} | {
        f for crit in pack.criteria for i in crit.indicators for f, _, _ in kind_of(i.spec).facts_read(i.spec)}
    spare = sorted(f.id for f in LIBRARY.catalogue.facts if f.level is Level.commune and f.id not in used
                   and f.kind is FactKind.count)
    extra = dict(fs_dict, facts={**fs_dict["facts"], data.draw(st.sampled_from(spare)): 3})
    assert _without(evaluate(extra, pack).to_dict(), "factset_sha256") == _without(base, "factset_sha256")
    if not any(hamlet for _, hamlet in comparisons(pack).values()):
        more = dict(fs_dict, hamlets=[*fs_dict["hamlets"], {"name": "Ấp Thêm", "facts": {}}])
        assert _without(evaluate(more, pack).to_dict(), "factset_sha256") == _without(base, "factset_sha256")


RANK = {"fail": 0, "undecidable": 1, "missing": 1, "pass": 2}


@pytest.mark.parametrize("pack_id", [p for p in PACK_IDS if any(
    e.share for e in ledger(p).values())])
@given(data=st.data())
def test_monotone(pack_id, data):
    """Moving a count in the passing direction never turns pass into fail (nor fail-side worse)."""
    pack = LIBRARY.get(pack_id)
    entries = {k: e for k, e in ledger(pack_id).items() if e.share and e.op != "=="}
    key = data.draw(st.sampled_from(sorted(entries)))
    entry = entries[key]
    cmp, hamlet = comparisons(pack)[key]
    of = data.draw(st.integers(1, 5000))
    count = data.draw(st.integers(0, of))
    step = 1 if entry.op in (">=", ">") else -1
    moved = count + step * data.draw(st.integers(1, 3))
    if not 0 <= moved <= of:
        return
    ref = f"{key}@Ấp Biên" if hamlet else key
    before = evaluate(single_fact(pack, cmp.fact, {"count": count, "of": of}, hamlet), pack).find(ref).status
    after = evaluate(single_fact(pack, cmp.fact, {"count": moved, "of": of}, hamlet), pack).find(ref).status
    assert RANK[after] >= RANK[before]


@pytest.mark.parametrize("pack_id", PACK_IDS)
@given(data=st.data())
def test_sources_and_missing_facts(pack_id, data):
    """Every comparison in a verdict has a source; missing_facts is exactly the absent facts that
    an undecided indicator still needs (recomputed here from the fact set and top-level statuses)."""
    pack = LIBRARY.get(pack_id)
    fs_dict = factset(Draw(data), pack, LIBRARY.catalogue)
    verdict = evaluate(fs_dict, pack)
    expected = set()
    for crit in verdict.criteria:
        for ind in crit.indicators:
            leaves = [ind] if not (ind.alternatives or ind.hamlets) else list(ind.alternatives)
            for leaf in leaves:
                if leaf.detail is not None:
                    assert leaf.source["document"] and leaf.source["provenance"]
            spec = pack.indicator_index()[ind.id].spec
            if spec.kind == "hamlet_share":
                expected |= hamlet_share_missing(spec, ind, fs_dict)
            elif spec.kind == "threshold_by_fact":
                expected |= threshold_by_fact_missing(spec, ind, fs_dict)
            elif ind.hamlets or isinstance(spec, HamletsIndicator):
                spec = pack.indicator_index()[ind.id].spec
                if ind.status == "pass" or spec.hamlet_indicators == "unknown":
                    continue
                hamlet_facts = [c.fact for s in spec.hamlet_indicators for c in (
                    s.alternatives if isinstance(s, AnyOfIndicator) else [s])]
                if not fs_dict["hamlets"]:
                    expected |= {f"hamlet:*:{f}" for f in hamlet_facts}
                for h in ind.hamlets:
                    if h.status == "incomplete":
                        given_ = next(x["facts"] for x in fs_dict["hamlets"] if x["name"] == h.name)
                        # only the facts of sub-indicators still open in that hamlet
                        for sub in h.indicators:
                            if sub.status != "pass":
                                facts = [a.fact for a in sub.alternatives] or [sub.fact]
                                expected |= {f"hamlet:{h.name}:{f}" for f in facts if f not in given_}
            elif ind.status != "pass":
                facts = [a.fact for a in ind.alternatives] or ([ind.fact] if ind.fact else [])
                expected |= {f for f in facts if f not in fs_dict["facts"]}
    assert set(verdict.missing_facts) == expected


def _open_hamlet_facts(ind, fs_dict) -> set[str]:
    """hamlet:<name>:<fact> for the absent facts of sub-indicators still open in an open hamlet."""
    out = set()
    for h in ind.hamlets:
        if h.status == "incomplete":
            given_ = next(x["facts"] for x in fs_dict["hamlets"] if x["name"] == h.name)
            for sub in h.indicators:
                if sub.status != "pass":
                    facts = [a.fact for a in sub.alternatives] or [sub.fact]
                    out |= {f"hamlet:{h.name}:{f}" for f in facts if f not in given_}
    return out


def hamlet_share_missing(spec, ind, fs_dict) -> set[str]:
    """A share of all hamlets still undecided needs: the number of hamlets when absent, the open
    hamlets' absent facts, and (hamlet:*) the facts of hamlets the fact set does not list."""
    if ind.status in ("pass", "fail"):
        return set()
    given_total = fs_dict["facts"].get(spec.total_fact)
    listed = len(fs_dict["hamlets"])
    total = max(int(given_total), listed) if given_total is not None and not isinstance(given_total, dict) else None
    wild = {f"hamlet:*:{loc.comparison.fact}" for loc in kind_of(spec).comparisons(spec)}
    out = _open_hamlet_facts(ind, fs_dict)
    if not total:
        out |= ({spec.total_fact} if given_total is None else set()) | (wild if not listed else set())
    elif total > listed:
        out |= wild
    return out


def threshold_by_fact_missing(spec, ind, fs_dict) -> set[str]:
    """Undecided: the compared fact when the choosing comparison is decided, else every absent fact."""
    if ind.status in ("pass", "fail"):
        return set()
    when, then, other = ind.alternatives
    if when.status in ("pass", "fail"):
        chosen = then if when.status == "pass" else other
        return {spec.then.fact} if chosen.status == "missing" else set()
    return {f for f in (spec.when.fact, spec.then.fact) if f not in fs_dict["facts"]}


# ------------------------------------------------------------------ the mutation sweep

def mutate(pack, key: str, *, op: str | None = None, threshold=None):
    """A copy of the pack with one comparison's operator or threshold changed."""
    def change(cmp):
        update = {}
        if op is not None:
            update["op"] = op
        if threshold is not None:
            update["threshold"] = threshold
        return cmp.model_copy(update=update)

    owner, located = located_comparisons(pack)[key]

    def replace_at(node, path, new):
        """`node` with the object at key path `path` (field names and tuple positions) replaced."""
        if not path:
            return new
        head, rest = path[0], path[1:]
        if isinstance(head, int):
            return tuple(replace_at(x, rest, new) if i == head else x for i, x in enumerate(node))
        return node.model_copy(update={head: replace_at(getattr(node, head), rest, new)})

    def visit(spec):
        if spec.id != owner:
            return spec
        return replace_at(spec, located.sub_path, change(located.comparison))

    criteria = tuple(PackCriterion(c.spec, tuple(PackIndicator(visit(i.spec), i.layer) for i in c.indicators), c.layer)
                     for c in pack.criteria)
    sha256 = f"{pack.sha256[:40]}{abs(hash((key, op, str(threshold)))):024d}"[:64]
    return dataclasses.replace(pack, criteria=criteria, sha256=sha256, memo={})


NEIGHBOUR = {">=": ">", ">": ">=", "<=": "<", "<": "<=", "==": "=="}


def mutations(pack):
    """Every single-comparison mutation: the operator's strictness flipped, the value nudged."""
    for key, (cmp, _) in comparisons(pack).items():
        t = cmp.threshold
        if t == "unknown":
            continue
        if isinstance(t, bool):
            yield key, {"threshold": not t}
            continue
        yield key, {"op": NEIGHBOUR[cmp.op]}
        if isinstance(t, Percent):
            yield key, {"threshold": Percent(percent=t.percent + 1 if t.percent < 100 else t.percent - 1)}
        elif isinstance(t, (int, Decimal)):
            yield key, {"threshold": t + 1}
        else:  # a parameter: scale it
            yield key, {"threshold": t.model_copy(update={"factor": t.factor + Decimal("0.01")})}


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_every_mutation_is_caught(pack_id):
    """Changing any single threshold's operator or value makes the edge test of that comparison fail."""
    pack = LIBRARY.get(pack_id)
    entries = ledger(pack_id)
    escaped = []
    for key, change in mutations(pack):
        mutant = mutate(pack, key, **change)
        if not edge_mismatches(mutant, key, entries[key], engines=("reference",)):
            escaped.append(f"{key} {change}")
    assert not escaped, f"mutations not caught: {escaped}"
