"""Number text written in integer arithmetic is the text the Fraction and Decimal code wrote
(ntmcert 0.1's functions, kept verbatim in tests/reference_v01.py): the verdict JSON is frozen
(tests/test_verdict_contract.py), and every display string in it is made by these."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ntmcert.core.exact import display_number, display_ratio, fraction_text, round_half_up
from ntmcert.core.text import number, percent

from tests.reference_v01 import old_display_number, old_fraction_text, old_number, old_percent, old_round_half_up


def outcome(f, *args):
    try:
        return "ok", f(*args)
    except Exception as exc:
        return "raised", type(exc)


# sizes around the thousands groups and the 28 digits of the decimal context; denominators with
# and without factors 2 and 5 (terminating within the places or not); halves that round up
BIG = st.integers(-(10**40), 10**40)
NUMERATORS = st.one_of(st.integers(-10**7, 10**7), BIG, st.sampled_from([0, 1, -1, 5, -5, 15, -15, 999, 1000, 10**26,
                                                                         10**28 - 1, 10**28, -(10**30) - 1]))
DENOMINATORS = st.one_of(st.integers(1, 10**6), st.integers(1, 10**30), st.sampled_from(
    [1, 2, 4, 8, 3, 7, 200, 1024, 5**9, 2**13, 3 * 2**4, 10**7, 2**3 * 5**7, 1000, 2000, 6, 11, 1508, 1948]))
FRACTIONS = st.builds(Fraction, NUMERATORS, DENOMINATORS)
PLACES = st.integers(-2, 12)
LANG = st.sampled_from(["vi", "en", "fr"])


@given(FRACTIONS, st.integers(-2, 20))
def test_fraction_text(value, max_places):
    assert fraction_text(value, max_places) == old_fraction_text(value, max_places)


@given(FRACTIONS, st.integers(0, 12))
def test_round_half_up(value, places):
    assert round_half_up(value, places) == old_round_half_up(value, places)


@given(FRACTIONS, PLACES, st.sampled_from([",", ".", " ", ""]))
def test_display_number(value, places, sep):
    assert outcome(display_number, value, places, sep) == outcome(old_display_number, value, places, sep)


@given(st.one_of(FRACTIONS, NUMERATORS), LANG, PLACES)
def test_number_in_each_language(value, lang, places):
    assert outcome(number, value, lang, places) == outcome(old_number, value, lang, places)


@given(st.one_of(FRACTIONS, NUMERATORS), LANG)
def test_percent_in_each_language(value, lang):
    assert percent(value, lang) == old_percent(value, lang)


@given(NUMERATORS, DENOMINATORS, st.integers(1, 1000), st.integers(0, 6))
def test_display_ratio_takes_a_fraction_in_any_terms(num, den, k, places):
    """percent() hands display_ratio num*100 over den without reducing it."""
    assert display_ratio(num * k, den * k, places) == old_display_number(Fraction(num, den), places)


@pytest.mark.parametrize("value,places,vi,en", [
    (Fraction(136250, 100), 2, "1.362,5", "1,362.5"),
    (Fraction(2, 3), 2, "0,67", "0.67"),
    (Fraction(-1, 300), 2, "0", "0"),  # rounds to zero: no minus sign
    (Fraction(-1, 200), 2, "-0,01", "-0.01"),  # half rounds away from zero
    (Fraction(1, 3), 0, "0", "0"),
    (Fraction(5, 10**8), 8, "0,00000005", "0.00000005"),
    (Fraction(1, 3 * 10**8), 8, "0.E-8", "0,E-8"),  # str(Decimal) past 6 places, grouped, as before
    (Fraction(10**30 + 1, 3), 2, "3,333333333333333333333333333E+29", "3.333333333333333333333333333E+29"),
    (Fraction(12345, 1), -1, "12.345", "12,345"),
])
def test_known_texts(value, places, vi, en):
    assert (number(value, "vi", places), number(value, "en", places)) == (vi, en)
    assert (old_number(value, "vi", places), old_number(value, "en", places)) == (vi, en)
