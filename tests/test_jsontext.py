"""The output JSON is written by orjson, byte for byte as `json.dumps(sort_keys=True,
ensure_ascii=False, indent=2) + "\\n"` writes it; what orjson cannot write the json module does."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import uuid
from collections import OrderedDict
from decimal import Decimal
from fractions import Fraction
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ntmcert.core import jsontext
from ntmcert.core.jsontext import dumps
from ntmcert.evaluation.verdict import dumps as verdict_dumps


def reference(data) -> str:
    """The spelling as it was defined before orjson (ntmcert 0.1's verdict.dumps)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def outcome(write, data):
    try:
        return "ok", write(data)
    except Exception as exc:  # the same failure counts as the same outcome
        return "raised", type(exc)


# the characters where JSON encoders differ: controls (short escapes and \u00XX), DEL, C1, the
# line/paragraph separators, BOM, noncharacters, lone surrogates, astral characters, quotes, slashes
SPECIAL = st.sampled_from([*map(chr, range(0x20)), '"', "\\", "/", "\x7f", "\x80", "\x9f", "\u2028", "\u2029",
                           "\ufeff", "\ufffe", "\uffff", "\ud800", "\udbff", "\udc00", "\udfff", "\U00010000",
                           "\U0001f600", "\U0010ffff", "Ấ", "ạ", "đ"])
CHARS = st.one_of(SPECIAL, st.characters(codec=None, exclude_categories=()))
TEXT = st.text(CHARS, max_size=12)
INTS = st.one_of(st.integers(-(2**63), 2**64 - 1), st.integers(), st.sampled_from(
    [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**40, -(10**40), 0, -1]))
LEAVES = st.one_of(st.none(), st.booleans(), INTS, TEXT)


def trees(leaves, keys=TEXT):
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.lists(inner, max_size=5).map(tuple),
        st.dictionaries(keys, inner, max_size=5)), max_leaves=40)


@given(trees(LEAVES))
def test_json_trees_are_written_byte_for_byte_as_the_json_module_writes_them(data):
    assert dumps(data) == reference(data)


UTF8 = st.text(st.characters(codec="utf-8"), max_size=12)  # no lone surrogate


@given(trees(UTF8 | st.integers(-(2**63), 2**64 - 1) | st.booleans() | st.none(), keys=UTF8))
def test_trees_orjson_can_write_are_written_by_orjson(data):
    """Without this, a fast path that always fell back would pass the property above."""
    with mock.patch.object(jsontext, "dumps_stdlib", side_effect=AssertionError("the json module was called")):
        out = dumps(data)
    assert out == reference(data)


class Colour(enum.Enum):
    red = "red"


class Word(str, enum.Enum):
    yes = "yes"


class Count(enum.IntEnum):
    two = 2


class Name(str):
    pass


@dataclasses.dataclass
class Point:
    x: int


ODD = st.sampled_from([1.5, 1e-07, 1e16, -0.0, float("nan"), float("inf"), Decimal("1.5"), Fraction(1, 3),
                       Colour.red, Word.yes, Count.two, Name("tên"), Point(1), dt.date(2024, 8, 31),
                       uuid.UUID(int=7), b"bytes", OrderedDict(a=1), {1: "int key"}, {Name("k"): 1},
                       {Word.yes: 1}, {None: 1}, {"a": 1, 2: "mixed keys"}, object()])


@given(trees(st.one_of(LEAVES, ODD)))
def test_anything_else_is_written_or_refused_exactly_as_the_json_module_does(data):
    assert outcome(dumps, data) == outcome(reference, data)


@pytest.mark.parametrize("data", [
    "\ud800", ["a", {"k\udfff": 1}],  # lone surrogates: orjson refuses them
    2**64, -(2**63) - 1, [10**100],  # beyond 64 bits
    {1: "a", 2: "b"}, {True: 1}, {Name("b"): 1, "a": 2},  # keys the json module converts or takes as text
    [1e-07], [float("nan")], {"x": float("-inf")},  # floats orjson spells otherwise
    [Word.yes], [Count.two], OrderedDict(b=1, a=2), [OrderedDict(b=1)],  # subclasses
    {}, [], [[]], [{}], {"a": {}, "b": []}, (), "", 0, True, None,  # empty containers and bare values
])
def test_the_edges_orjson_refuses_or_spells_otherwise(data):
    assert dumps(data) == reference(data)


@pytest.mark.parametrize("data", [[Colour.red], [Point(1)], [dt.date(2024, 8, 31)], [uuid.UUID(int=7)],
                                  [Decimal("1")], {"a": 1, 2: "b"}])
def test_what_the_json_module_refuses_is_refused(data):
    with pytest.raises(TypeError):
        reference(data)
    with pytest.raises(TypeError):
        dumps(data)


def test_nesting_deeper_than_orjson_allows():
    deep: list = []
    for _ in range(400):
        deep = [deep]
    assert dumps(deep) == reference(deep)


def test_a_cycle_is_refused_as_the_json_module_refuses_it():
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        dumps(loop)


def test_every_character_as_text_and_as_a_key():
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    text = "".join(chars)
    assert dumps(text) == reference(text)
    keys = {c: i for i, c in enumerate(chars[::97] + chars[:0x300])}  # code-point order, astral after U+FFFF
    assert dumps(keys) == reference(keys)


def test_the_verdict_module_writes_with_it():
    data = {"b": [1, "Ấp 2\t"], "a": None}
    assert verdict_dumps(data) == dumps(data) == reference(data)
