"""Pack → plain durable-rules ruleset dicts (JSON-able; a test compares them with a saved copy).

The engine decides every comparison whose two sides are known. Comparisons travel in groups:
one fact per criterion (and one per hamlet for a hamlet-level indicator), at most `GROUP_SIZE`
comparisons each, slot `i` carrying the exact integers `pl{i} pr{i} fl{i} fr{i}` prepared by
`encode` and a flag `a{i}` = 1 for a slot with nothing to decide (missing fact, unknown number).
Per group `t` the rules are:

- `t|all`: every slot is absent or passes (every possible value meets its threshold);
- `t|i|fail`: slot i is present and no possible value meets the threshold;
- `t|i|undecidable`: slot i is present and a reported bound straddles the threshold.

At least one rule fires for every fact (so durable-rules always handles the batch), and a present
slot for which neither `fail` nor `undecidable` fired passes: pass, fail and undecidable are
exclusive and exhaustive by construction of the integers. Grouping keeps firings few (about one
per criterion when a commune passes), which is what durable-rules' Python bridge pays for.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

from ntmcert.core.errors import InputError, Location, Problem
from ntmcert.core.exact import OPERATORS, Interval
from ntmcert.packs.library import Pack
from ntmcert.packs.registry import kind_of

SENTINEL = "$sentinel"
OUTCOMES = ("pass", "fail", "undecidable")
GROUP_SIZE = 30  # 1 + 2·30 rules per fact stays under durable-rules' 64; 5·30 + 3 properties under 252
_INT_LIMIT = 2**62  # the engine's integers are int64; stay well inside


Ruleset = dict[str, dict[str, Any]]  # durable-rules' JSON form of a ruleset: rule name → rule
Placement = tuple[str, bool, int, str, int]  # what `placements` gives per rule key


class CheckLike(Protocol):
    """What encoding reads of an evaluation check (ntmcert.evaluation.checks.Check, a layer above)."""

    @property
    def key(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def op(self) -> str: ...
    @property
    def value(self) -> Interval: ...
    @property
    def threshold(self) -> Fraction: ...


@dataclass(frozen=True)
class Slot:
    """Where one comparison travels: group `t`, position `i`, and its operator."""

    group: str
    index: int
    op: str
    hamlet_level: bool


def rule_keys(pack: Pack) -> list[str]:
    """One key per comparison of the pack: `<indicator id>` or `<indicator id>#<alternative>`."""
    return list(rule_operators(pack))


def rule_operators(pack: Pack) -> dict[str, str]:
    """The operator of every rule key, in pack order."""
    return {key: slot.op for key, slot in slots(pack).items()}


def slots(pack: Pack) -> dict[str, Slot]:
    """The slot of every comparison key: commune-level ones grouped by criterion, hamlet-level
    ones by hamlet indicator, in chunks of GROUP_SIZE."""
    out: dict[str, Slot] = {}

    def place(prefix: str, leaves: list[tuple[str, str]], hamlet_level: bool) -> None:
        for n, (key, op) in enumerate(leaves):
            out[key] = Slot(f"{prefix}/{n // GROUP_SIZE}", n % GROUP_SIZE, op, hamlet_level)

    for crit in pack.criteria:
        commune_leaves = []
        for ind in crit.indicators:
            kind = kind_of(ind.spec)
            for prefix, leaves in kind.hamlet_groups(ind.spec):
                place(prefix, leaves, True)
            commune_leaves.extend(kind.leaves(ind.spec))
        if commune_leaves:
            place(f"c:{crit.id}", commune_leaves, False)
    return out


def _cmp(op: str, left: str, right: str) -> dict[str, Any]:
    return {OPERATORS[op].engine_key: {left: {"$m": right}}}


def compile_ruleset(pack: Pack) -> Ruleset:
    """A fresh ruleset dict for `pack` (durable-rules mutates what it is given: never reuse one)."""
    check_hash_collisions(pack)
    groups: dict[str, list[Slot]] = {}
    for slot in slots(pack).values():
        groups.setdefault(slot.group, []).append(slot)
    rules: Ruleset = {}
    for group, members in groups.items():
        every = [{"$or": [{f"a{s.index}": 1}, _cmp(s.op, f"pl{s.index}", f"pr{s.index}")]} for s in members]
        rules[f"{group}|all"] = {"all": [{"m": {"$and": [{"t": group}] + every}}]}
        for s in members:
            i, neg = s.index, OPERATORS[s.op].negation
            rules[f"{group}|{i}|fail"] = {"all": [{"m": {"$and": [
                {"t": group}, {f"a{i}": 0}, _cmp(neg, f"fl{i}", f"fr{i}")]}}]}
            rules[f"{group}|{i}|undecidable"] = {"all": [{"m": {"$and": [
                {"t": group}, {f"a{i}": 0}, _cmp(neg, f"pl{i}", f"pr{i}"), _cmp(s.op, f"fl{i}", f"fr{i}")]}}]}
    rules[SENTINEL] = {"all": [{"m": {"t": SENTINEL}}]}
    return rules


def engine_names(pack: Pack) -> list[str]:
    """Every property name the engine will see for this pack (compared by hash in durable-rules)."""
    width = max((s.index + 1 for s in slots(pack).values()), default=0)
    names = ["t", "sid", "id"]
    for i in range(width):
        names += [f"a{i}", f"pl{i}", f"pr{i}", f"fl{i}", f"fr{i}"]
    return names


def fnv1a_32(text: str) -> int:
    """The 32-bit FNV-1a hash durable-rules uses to compare names (and only that)."""
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def check_hash_collisions(pack: Pack) -> None:
    """Refuse a pack two of whose engine names share a hash: durable-rules compares property names
    by a 32-bit hash only, and would mix them. Property names are fixed by the compiler; the
    comparison keys, which name groups and rules, are checked too as a guard."""
    names = engine_names(pack) + rule_keys(pack) + list(dict.fromkeys(s.group for s in slots(pack).values())) + [
        SENTINEL]
    seen: dict[int, str] = {}
    problems = []
    for name in names:
        h = fnv1a_32(name)
        if h in seen and seen[h] != name:
            problems.append(Problem("pack_hash_collision",
                                    f"{name!r} and {seen[h]!r} have the same engine hash {h:#010x}; "
                                    f"rename one of them", _where(pack, name.split("#")[0])))
        seen.setdefault(h, name)
    if problems:
        raise InputError(problems)


def _where(pack: Pack, ident: str) -> Location:
    """The line where `id: <ident>` is written in the pack's own file, when it is there."""
    if pack.path is None:
        return Location()
    try:
        lines = pack.path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return Location(str(pack.path))
    for number, line in enumerate(lines, 1):
        stripped = line.strip().lstrip("- ").strip()
        if stripped in (f"id: {ident}", f"id: '{ident}'", f'id: "{ident}"'):
            return Location(str(pack.path), number, line.index("id:") + 1, None)
    return Location(str(pack.path))


# ---------------------------------------------------------------------- message encoding

def _lex(endpoint: Fraction, nudge: int, threshold: Fraction) -> tuple[int, int]:
    """Integers (a, b) with a <op> b  ⇔  (endpoint, nudge) <op> (threshold, 0) lexicographically.

    Cross-multiplying by the (positive) denominators keeps the comparison exact; tripling leaves
    room for the nudge of ±1 that stands for an open endpoint (just above / just below).
    """
    a = 3 * endpoint.numerator * threshold.denominator + nudge
    b = 3 * threshold.numerator * endpoint.denominator
    if abs(a) >= _INT_LIMIT or abs(b) >= _INT_LIMIT:
        diff = (a > b) - (a < b)  # same order, small numbers: exact whatever the magnitudes
        return diff, 0
    return a, b


_FALSE = {">=": (0, 1), ">": (0, 1), "<=": (1, 0), "<": (1, 0), "==": (0, 1), "!=": (0, 0)}


def _side(value: Interval, op: str, threshold: Fraction) -> tuple[int, int]:
    """Integers whose `op` comparison says whether EVERY value of the interval satisfies op."""
    if op in (">=", ">"):
        if value.lo is None:
            return _FALSE[op]
        return _lex(value.lo, 0 if value.lo_closed else 1, threshold)
    if op in ("<=", "<"):
        if value.hi is None:
            return _FALSE[op]
        return _lex(value.hi, 0 if value.hi_closed else -1, threshold)
    if op == "==":
        return _lex(value.lo, 0, threshold) if value.is_point and value.lo is not None else _FALSE[op]
    if op == "!=":  # only reached as the negation of ==, which packs use for yes/no facts (points)
        return _lex(value.lo, 0, threshold) if value.is_point and value.lo is not None else _FALSE[op]
    raise ValueError(op)


_NAMES = [(f"a{i}", f"pl{i}", f"pr{i}", f"fl{i}", f"fr{i}") for i in range(GROUP_SIZE)]


def _slot_values(check: CheckLike) -> tuple[int, int, int, int]:
    value, op, t = check.value, check.op, check.threshold
    if value.lo is value.hi or value.is_point:
        # a point: both sides compare the same pair (the common case, so computed once)
        if value.lo is None:
            raise ValueError("an interval unbounded on both sides has no integers to compare")
        pl, pr = _lex(value.lo, 0, t)
        return pl, pr, pl, pr
    pl, pr = _side(value, op, t)
    fl, fr = _side(value, OPERATORS[op].negation, t)
    return pl, pr, fl, fr


def encode_slot(check: CheckLike, index: int) -> dict[str, int]:
    """The properties of one check in its group's fact."""
    return dict(zip(_NAMES[index], (0, *_slot_values(check)), strict=True))


def group_widths(pack_slots: dict[str, Slot]) -> dict[str, int]:
    """How many slots each group has."""
    widths: dict[str, int] = {}
    for slot in pack_slots.values():
        widths[slot.group] = max(widths.get(slot.group, 0), slot.index + 1)
    return widths


def placements(pack_slots: dict[str, Slot]) -> dict[str, Placement]:
    """Per rule key: (group, hamlet level, slot index, the group's name as JSON text, group
    width), what `encode` looks up once per check."""
    widths = group_widths(pack_slots)
    return {key: (s.group, s.hamlet_level, s.index, json.dumps(s.group, ensure_ascii=False), widths[s.group])
            for key, s in pack_slots.items()}


# a fact is sent as JSON text built from these pieces: the same properties `encode_slot` gives
_PRESENT = [f'"a{i}":0,"pl{i}":%d,"pr{i}":%d,"fl{i}":%d,"fr{i}":%d' for i in range(GROUP_SIZE)]
_ABSENT = [f'"a{i}":1' for i in range(GROUP_SIZE)]


def encode(checks: Iterable[CheckLike], placed: dict[str, Placement],
           sid: str) -> tuple[list[str], list[list[CheckLike | None]]]:
    """The facts for a batch of checks, as JSON texts, and for each fact the check in each of its
    slots.

    Hamlet checks carry their hamlet as the part of the key after '@'; they share their group's
    rules but travel in one fact per hamlet. Only integers and the compiler's own names are
    written, so the text needs no escaping beyond the group names' (made once per pack).
    """
    groups: dict[str | tuple[str, str], list[Any]] = {}  # [group name as JSON, the slots' texts]
    members: dict[str | tuple[str, str], list[CheckLike | None]] = {}
    limit = _INT_LIMIT
    for check in checks:
        group, hamlet_level, index, group_json, width = placed[check.rule]
        where: str | tuple[str, str] = (group, check.key.rpartition("@")[2]) if hamlet_level else group
        slots_of = groups.get(where)
        if slots_of is None:
            slots_of = groups[where] = [group_json, list(_ABSENT[:width])]
            members[where] = [None] * width
        value, t = check.value, check.threshold
        lo = value.lo
        if lo is not None and lo is value.hi:  # a point (the common case): inline _lex, same integers
            pl = 3 * lo.numerator * t.denominator
            pr = 3 * t.numerator * lo.denominator
            if pl >= limit or pl <= -limit or pr >= limit or pr <= -limit:
                pl, pr = (pl > pr) - (pl < pr), 0
            fl, fr = pl, pr
        else:
            pl, pr, fl, fr = _slot_values(check)
        slots_of[1][index] = _PRESENT[index] % (pl, pr, fl, fr)
        members[where][index] = check
    sid_json = json.dumps(sid)
    texts = [f'{{"id":"{n}","sid":{sid_json},"t":{group_json},{",".join(parts)}}}'
             for n, (group_json, parts) in enumerate(groups.values())]
    return texts, list(members.values())
