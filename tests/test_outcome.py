"""Verdicts built lazily from compact arrays (evaluation/outcome.py) say exactly what the built
results say: statuses read from the arrays, the missing facts, equality, pickling and JSON."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ntmcert import default_library, evaluate, load_factset
from ntmcert.evaluation.outcome import CriteriaOutcome

from .strategies import Draw, factset

PACK_IDS = default_library().ids()
SEED = "seeds/thanh-phu-2024.yaml"


def _check(verdict) -> None:
    outcome = verdict.criteria
    assert isinstance(outcome, CriteriaOutcome)
    assert not outcome.is_built
    from_arrays = (verdict.criterion_statuses, verdict.indicator_statuses, len(outcome))
    assert not outcome.is_built, "reading statuses built the results"
    built = tuple(outcome)
    assert outcome.is_built
    assert from_arrays == ({c.id: c.status for c in built},
                           {i.id: i.status for c in built for i in c.indicators}, len(built))
    missing = {m for c in built for i in c.indicators for m in i.missing_facts}
    assert {m for m in verdict.missing_facts if not m.startswith("recognition:")} == missing
    for prerequisite in verdict.prerequisites:
        if prerequisite.derived is not None:  # the lower tier's verdict, itself lazy
            _check(prerequisite.derived)


@pytest.mark.parametrize("pack_id", PACK_IDS)
@pytest.mark.parametrize("engine", ["durable", "reference"])
@given(data=st.data())
def test_statuses_from_arrays_are_the_built_statuses(pack_id, engine, library, catalogue, data):
    pack = library.get(pack_id)
    verdict = evaluate(load_factset(factset(Draw(data), pack, catalogue)), pack, engine=engine,
                       derive_prerequisites=True)
    _check(verdict)


def test_a_lazy_verdict_equals_its_built_and_pickled_forms(library):
    fs = load_factset(SEED)
    lazy = evaluate(fs, "tra-vinh/smart-commune", derive_prerequisites=True)
    assert not lazy.criteria.is_built
    copy = pickle.loads(pickle.dumps(lazy))  # noqa: S301 - our own bytes, made on the line
    assert lazy.criteria.is_built  # pickling sends the results themselves
    assert type(copy.criteria) is tuple
    assert copy == lazy and lazy == copy and copy.criteria == lazy.criteria
    assert copy.indicator_statuses == lazy.indicator_statuses
    assert copy.criterion_statuses == lazy.criterion_statuses
    fresh = evaluate(fs, "tra-vinh/smart-commune", derive_prerequisites=True)
    assert not fresh.criteria.is_built
    assert fresh.to_json() == copy.to_json() == lazy.to_json()  # the JSON builds them, same bytes
    assert fresh.criteria.is_built


def test_a_changed_status_makes_verdicts_unequal(tmp_path):
    one = evaluate(load_factset(SEED), "tra-vinh/smart-commune")
    changed = tmp_path / "changed.yaml"
    with open(SEED, encoding="utf-8") as f:
        text = f.read()
    changed.write_text(text.replace("    count: 1362\n", "    count: 0\n", 1), encoding="utf-8")
    other = evaluate(load_factset(changed), "tra-vinh/smart-commune")
    assert one.indicator_statuses != other.indicator_statuses
    assert one != other and one.criteria != other.criteria


fractions = st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**4)


@given(op=st.sampled_from([">=", ">", "<=", "<", "==", "!="]), threshold=fractions, value=fractions,
       on_edge=st.booleans())
def test_point_deciders_decide_as_the_reference_engine(op, threshold, value, on_edge):
    """The reference engine's per-pack deciders (used in the evaluator's loop for point values)
    say what its `decide` and plain Fraction comparison say, on and off the threshold."""
    import operator
    from fractions import Fraction

    from ntmcert.core.exact import Interval
    from ntmcert.evaluation.checks import Check, ReferenceEngine

    value = Fraction(threshold) if on_edge else value
    engine = ReferenceEngine()
    (decider,) = engine.point_deciders([(op, threshold)])
    by_decide = engine.decide(None, [Check("k", "k", op, Interval.point(value), threshold)])["k"]
    holds = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
             "!=": operator.ne}[op](value, threshold)
    assert decider(value) == by_decide == ("pass" if holds else "fail")


def test_the_durable_engine_has_no_point_deciders():
    """Every comparison of the durable path crosses into durable-rules."""
    from ntmcert.evaluation.engines import get_engine

    engine = get_engine("durable")
    if engine.name == "durable-rules":
        assert engine.point_deciders([(">=", 1)]) is None


def test_an_engine_with_decide_only_still_evaluates():
    """An engine without point deciders (the protocol before them) decides every comparison in
    `decide`, and the verdict is the reference engine's."""
    from ntmcert.evaluation.checks import ReferenceEngine

    class DecideOnly:
        name, version = "decide-only", "1"

        def __init__(self):
            self.calls = 0
            self._inner = ReferenceEngine()

        def decide(self, pack, checks):
            self.calls += len(checks)
            return self._inner.decide(pack, checks)

    from ntmcert import default_library
    from ntmcert.evaluation.evaluate import evaluate_pack

    library = default_library()
    engine = DecideOnly()
    fs = load_factset(SEED, catalogue=library.catalogue)
    pack = library.get("tra-vinh/smart-commune")
    mine = evaluate_pack(fs, pack, engine, catalogue=library.catalogue)
    reference = evaluate(fs, pack, engine="reference")
    assert engine.calls > 0
    assert mine.to_dict() | {"engine": None} == reference.to_dict() | {"engine": None}
