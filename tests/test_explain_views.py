"""The comparison views are the 0.1 views, byte for byte, now that what every commune shares is
memoised per threshold; and a reader who changes one verdict's `to_dict()` changes no other verdict."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ntmcert import default_library, evaluate, load_factset
from ntmcert.core.text import Text
from ntmcert.evaluation import explain
from ntmcert.evaluation.verdict import IndicatorResult, Verdict

from . import reference_v01
from .strategies import Draw, factset

PACK_IDS = default_library().ids()
BULK = 40  # generated fact sets per pack (each verdict holds tens to hundreds of comparisons)


def results(verdict: Verdict) -> list[IndicatorResult]:
    """Every indicator result of a verdict: alternatives, hamlets' and derived tiers' included."""
    out: list[IndicatorResult] = []

    def walk(ind: IndicatorResult) -> None:
        out.append(ind)
        for alt in ind.alternatives:
            walk(alt)
        for hamlet in ind.hamlets:
            for sub in hamlet.indicators:
                walk(sub)

    for tier in verdict.tiers():
        for crit in tier.criteria:
            for ind in crit.indicators:
                walk(ind)
    return out


def plain(tree):
    """A view as JSON data (a Text as its {vi, en} object), for an exact comparison."""
    if isinstance(tree, Text):
        return tree.to_dict()
    if isinstance(tree, dict):
        return {k: plain(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [plain(v) for v in tree]
    return tree


def check_views(verdict: Verdict) -> int:
    compared = 0
    for ind in results(verdict):
        if ind.detail is not None:
            # twice: the second reading of a shared threshold comes from the memo
            for _ in range(2):
                assert plain(explain.comparison_views(ind.detail)) == plain(reference_v01.comparison_views(ind.detail))
            compared += 1
    return compared


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_views_equal_the_01_views_on_generated_fact_sets(pack_id, library, catalogue):
    pack = library.get(pack_id)
    rng = random.Random(f"views:{pack_id}")
    compared = 0
    statuses: set[str] = set()
    for _ in range(BULK):
        verdict = evaluate(load_factset(factset(Draw(rng), pack, catalogue)), pack, engine="reference",
                           derive_prerequisites=True)
        compared += check_views(verdict)
        statuses.update(i.status for i in results(verdict))
    assert compared > 0
    assert {"pass", "fail", "missing"} <= statuses or len(statuses) > 1  # the generator reaches several sides


@given(pack_id=st.sampled_from(PACK_IDS), data=st.data())
def test_views_property(library, catalogue, pack_id, data):
    pack = library.get(pack_id)
    check_views(evaluate(load_factset(factset(Draw(data), pack, catalogue)), pack, engine="reference"))


def test_shared_views_are_memoised_per_threshold_and_bounded(library, catalogue):
    pack = library.get("vn/ntm-2021-2025")
    rng = random.Random("memo")
    explain._SHARED.clear()
    sizes = []
    for _ in range(5):
        verdict = evaluate(load_factset(factset(Draw(rng), pack, catalogue)), pack, engine="reference")
        verdict.to_json()
        sizes.append(len(explain._SHARED))
    assert sizes[0] > 0
    assert sizes[-1] == sizes[0]  # the next communes reuse the first one's entries (none is a parameter's)
    kept = [t for t, *_ in explain._SHARED.values()]
    assert all(t.parameter is None for t in kept)
    assert len(explain._SHARED) <= explain._SHARED_MAX


def _scribble(tree) -> None:
    """Change every object and list of a JSON tree in place."""
    if isinstance(tree, dict):
        for key in list(tree):
            _scribble(tree[key])
            tree[key] = "changed"
        tree["added"] = 1
    elif isinstance(tree, list):
        for item in tree:
            _scribble(item)
        tree.append("added")


@pytest.mark.parametrize("pack_id", ["vn/ntm-2021-2025", "tra-vinh/smart-commune"])
def test_changing_one_verdicts_json_data_changes_no_other_verdict(pack_id, library, catalogue):
    """The threshold and source views come from a per-pack memo: each verdict gets its own copies.
    (Within one verdict, `to_dict()` hands out the objects it keeps: changing them changes that
    verdict's later JSON, as it always did.)"""
    pack = library.get(pack_id)
    rng = random.Random(f"scribble:{pack_id}")
    first, second = (load_factset(factset(Draw(rng), pack, catalogue)) for _ in range(2))
    before = evaluate(second, pack, engine="reference").to_json()
    mine = evaluate(first, pack, engine="reference")
    other = evaluate(second, pack, engine="reference")
    assert other.to_json() == before
    data = mine.to_dict()
    assert any(isinstance(ind.get("threshold"), dict) for crit in data["criteria"] for ind in crit["indicators"])
    _scribble(data)
    assert other.to_json() == before  # a verdict made before the change
    assert evaluate(second, pack, engine="reference").to_json() == before  # and one made after it


@pytest.mark.parametrize("tree", [
    {"value": "1", "display": {"vi": "a", "en": "b"}, "parameter_source": None},  # flat objects inside
    {"value": "1", "nested": {"deeper": {"vi": "a"}, "list": [{"x": 1}, 2]}, "list": [{"y": [3]}]},  # deeper
])
def test_a_memoised_view_is_handed_out_as_an_independent_copy(tree):
    template = explain._Template.of(tree)
    expected = repr(tree)
    copy = template.copy()
    assert copy == tree
    _scribble(copy)
    assert repr(template.tree) == expected
    assert template.copy() == tree
