"""Pack → plain durable-rules ruleset dicts (JSON-able; a test compares them with a saved copy).

Each comparison of a pack becomes three rules over one message type `t`, exactly one of which
fires for any message: `pass` (every possible value meets the threshold), `fail` (none does),
`undecidable` (a reported bound straddles it). The message carries exact integers prepared by
`encode` so the engine's int64 comparison decides exactly what the Fraction comparison would.
"""

from __future__ import annotations

from fractions import Fraction

from .errors import InputError, Problem, Location
from .exact import OPERATORS, Interval
from .pack import Pack
from .pack_schema import AnyOfIndicator, CompareIndicator, HamletsIndicator

SENTINEL = "$sentinel"
OUTCOMES = ("pass", "fail", "undecidable")
ENGINE_PROPERTIES = ("t", "pl", "pr", "fl", "fr", "sid", "id")
_INT_LIMIT = 2**62  # the engine's integers are int64; stay well inside


def rule_keys(pack: Pack) -> list[str]:
    """One key per comparison of the pack: `<indicator id>` or `<indicator id>#<alternative>`."""
    keys: list[str] = []

    def visit(spec) -> None:
        if isinstance(spec, CompareIndicator):
            keys.append(spec.id)
        elif isinstance(spec, AnyOfIndicator):
            keys.extend(f"{spec.id}#{k}" for k in range(len(spec.alternatives)))
        elif isinstance(spec, HamletsIndicator) and spec.hamlet_indicators != "unknown":
            for sub in spec.hamlet_indicators:
                visit(sub)

    for crit in pack.criteria:
        for ind in crit.indicators:
            visit(ind.spec)
    return keys


def rule_operators(pack: Pack) -> dict[str, str]:
    """The operator of every rule key."""
    ops: dict[str, str] = {}

    def visit(spec) -> None:
        if isinstance(spec, CompareIndicator):
            ops[spec.id] = spec.op
        elif isinstance(spec, AnyOfIndicator):
            for k, alt in enumerate(spec.alternatives):
                ops[f"{spec.id}#{k}"] = alt.op
        elif isinstance(spec, HamletsIndicator) and spec.hamlet_indicators != "unknown":
            for sub in spec.hamlet_indicators:
                visit(sub)

    for crit in pack.criteria:
        for ind in crit.indicators:
            visit(ind.spec)
    return ops


def _cond(key: str, op: str, left: str, right: str) -> dict:
    return {"$and": [{"t": key}, {OPERATORS[op].engine_key: {left: {"$m": right}}}]}


def compile_ruleset(pack: Pack) -> dict:
    """A fresh ruleset dict for `pack` (durable-rules mutates what it is given: never reuse one)."""
    check_hash_collisions(pack)
    rules: dict[str, dict] = {}
    for key, op in rule_operators(pack).items():
        neg = OPERATORS[op].negation
        rules[f"{key}|pass"] = {"all": [{"m": _cond(key, op, "pl", "pr")}]}
        rules[f"{key}|fail"] = {"all": [{"m": _cond(key, neg, "fl", "fr")}]}
        rules[f"{key}|undecidable"] = {"all": [{"m": {"$and": [
            {"t": key},
            {OPERATORS[neg].engine_key: {"pl": {"$m": "pr"}}},
            {OPERATORS[op].engine_key: {"fl": {"$m": "fr"}}},
        ]}}]}
    rules[SENTINEL] = {"all": [{"m": {"t": SENTINEL}}]}
    return rules


def fnv1a_32(text: str) -> int:
    """The 32-bit FNV-1a hash durable-rules uses to compare names (and only that)."""
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def check_hash_collisions(pack: Pack) -> None:
    """Refuse a pack two of whose engine names share a hash: the engine would mix their facts."""
    names = list(ENGINE_PROPERTIES) + rule_keys(pack) + [SENTINEL]
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
        return _lex(value.lo, 0, threshold) if value.is_point else _FALSE[op]
    if op == "!=":  # only reached as the negation of ==, which packs use for yes/no facts (points)
        return _lex(value.lo, 0, threshold) if value.is_point else _FALSE[op]
    raise ValueError(op)


def encode(check, message_id: str, sid: str) -> dict:
    """The engine message for one check."""
    op = check.op
    pl, pr = _side(check.value, op, check.threshold)
    fl, fr = _side(check.value, OPERATORS[op].negation, check.threshold)
    return {"sid": sid, "id": message_id, "t": check.rule, "pl": pl, "pr": pr, "fl": fl, "fr": fr}
