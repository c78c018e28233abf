"""Exact comparisons: interval semantics, the integer encoding the engine sees, and number text."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ntmcert.core.exact import OPERATORS, PACK_OPERATORS, Interval, decide, display_number, fraction_text
from ntmcert.evaluation.checks import Check, ReferenceEngine
from ntmcert.evaluation.engines import get_engine
from ntmcert.packs.compiler import _side, encode_slot, fnv1a_32

F = Fraction
OPS = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
       "<": lambda a, b: a < b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


class TestDecide:
    """decide(): pass when every possible value passes, fail when none does."""

    @pytest.mark.parametrize("value,op,threshold,expected", [
        (Interval.point(F(57, 100)), ">=", F(57, 100), "pass"),
        (Interval.point(F(56, 100)), ">=", F(57, 100), "fail"),
        (Interval.point(F(4, 5)), ">", F(4, 5), "fail"),            # exactly 80% is not "trên 80%"
        (Interval.point(F(401, 500)), ">", F(4, 5), "pass"),
        (Interval(F(9, 10), F(1), False, True), ">=", F(4, 5), "pass"),   # "over 90%" vs ≥ 80%
        (Interval(F(9, 10), F(1), False, True), ">=", F(9, 10), "pass"),  # "over 90%" vs ≥ 90%
        (Interval(F(9, 10), F(1), False, True), ">", F(9, 10), "pass"),   # "over 90%" vs > 90%
        (Interval(F(9, 10), F(1), True, True), ">", F(9, 10), "undecidable"),  # "from 90%" vs > 90%
        (Interval(F(7, 10), F(1), False, True), ">=", F(4, 5), "undecidable"),  # straddles
        (Interval(F(0), F(7, 10), True, False), ">=", F(7, 10), "fail"),  # "under 70%" vs ≥ 70%
        (Interval(F(0), F(7, 10), True, True), ">=", F(7, 10), "undecidable"),  # "at most 70%" vs ≥ 70%
        (Interval(F(66), None, True, True), ">=", F(66), "pass"),         # "từ 66 trở lên"
        (Interval(F(66), None, True, True), "<=", F(100), "undecidable"),  # unbounded above
        (Interval.point(F(1)), "==", F(1), "pass"),
        (Interval.point(F(0)), "==", F(1), "fail"),
    ])
    def test_table(self, value, op, threshold, expected):
        assert decide(value, OPERATORS[op], threshold) == expected


fractions = st.fractions(min_value=0, max_value=10**6, max_denominator=10**6)


@st.composite
def intervals(draw):
    lo = draw(fractions)
    if draw(st.booleans()):
        return Interval.point(lo)
    hi = draw(st.one_of(st.none(), fractions.map(lambda x: lo + x)))
    lo_closed, hi_closed = draw(st.booleans()), draw(st.booleans())
    if hi == lo:
        lo_closed = hi_closed = True
    return Interval(lo, hi, lo_closed, hi_closed)


class TestEncoding:
    """The integers sent to durable-rules compare exactly as the fractions do."""

    @given(value=intervals(), op=st.sampled_from(PACK_OPERATORS), threshold=fractions)
    def test_pass_and_fail_sides_match_decide(self, value, op, threshold):
        if op == "==" and not value.is_point:
            return  # packs use == for yes/no facts only, which are points
        status = decide(value, OPERATORS[op], threshold)
        pl, pr = _side(value, op, threshold)
        fl, fr = _side(value, OPERATORS[op].negation, threshold)
        all_pass = OPS[op](pl, pr)
        all_fail = OPS[OPERATORS[op].negation](fl, fr)
        assert (all_pass, all_fail) == (status == "pass", status == "fail")
        for n in (pl, pr, fl, fr):
            assert isinstance(n, int) and abs(n) < 2**62

    def test_huge_counts_still_exact(self):
        """Counts beyond int64 after cross-multiplying fall back to the sign, still exact."""
        big = 10**30
        check = Check("k", "k", ">=", Interval.point(F(big * 57, big * 100)), F(57, 100))
        msg = encode_slot(check, 0)
        assert msg["pl0"] >= msg["pr0"]
        check = Check("k", "k", ">=", Interval.point(F(big * 57 - 1, big * 100)), F(57, 100))
        msg = encode_slot(check, 0)
        assert msg["pl0"] < msg["pr0"]

    @pytest.mark.skipif(get_engine("durable").name != "durable-rules", reason="durable-rules not importable")
    @given(checks=st.lists(st.tuples(intervals(), fractions, st.integers(0, 5)), min_size=1, max_size=40))
    def test_durable_matches_reference_on_raw_checks(self, checks, library):
        """Random checks on a real compiled pack (commune and hamlet groups, strict and inclusive
        rules): the engine's outcome equals the reference's for every one."""
        from ntmcert.packs.compiler import rule_operators

        pack = library.get("tra-vinh/model-ntm-2021-2025")
        ops = rule_operators(pack)
        batch, used = [], set()
        for i, (value, threshold, hamlet) in enumerate(checks):
            rule = list(ops)[i % len(ops)]
            key = f"{rule}@{hamlet}" if rule.startswith("tv.hamlet") else rule
            if key in used or (ops[rule] == "==" and not value.is_point):
                continue
            used.add(key)
            batch.append(Check(key, rule, ops[rule], value, threshold))
        assert get_engine("durable").decide(pack, batch) == ReferenceEngine().decide(pack, batch)


class TestNumberText:
    @pytest.mark.parametrize("value,text", [(F(681, 754), "681/754"), (F(17, 20), "0.85"), (F(-1, 8), "-0.125"),
                                            (F(5), "5"), (F(1, 3), "1/3"), (F(8578, 100), "85.78")])
    def test_fraction_text_is_exact(self, value, text):
        assert fraction_text(value) == text

    @pytest.mark.parametrize("value,text", [(F(1362), "1,362"), (F(681, 754) * 100, "90.32"),
                                            (F(1234567, 10), "123,456.7"), (F(-2, 3), "-0.67")])
    def test_display_number(self, value, text):
        assert display_number(value) == text


def test_fnv1a_known_vectors():
    """The hash the engine uses: FNV-1a 32-bit test vectors."""
    assert fnv1a_32("") == 0x811C9DC5
    assert fnv1a_32("a") == 0xE40C292C
    assert fnv1a_32("foobar") == 0xBF9CF968


def test_message_ids_never_collide():
    """Message ids are '0'…'n' and the sentinel; none share a hash up to 300,000 checks."""
    seen = {fnv1a_32("$sentinel"), *(fnv1a_32(p) for p in ("t", "pl", "pr", "fl", "fr", "sid", "id"))}
    for i in range(300_000):
        h = fnv1a_32(str(i))
        assert h not in seen
        seen.add(h)
