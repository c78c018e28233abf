"""The rules compiler: plain ruleset dicts, compared with saved copies; hash-collision guard."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from ntmcert.core.errors import InputError
from ntmcert.packs.compiler import GROUP_SIZE, compile_ruleset, fnv1a_32, rule_keys, slots
from ntmcert.packs.library import PackLibrary

SNAPSHOTS = Path(__file__).parent / "snapshots"
FIXTURE_PACKS = Path(__file__).parent / "fixtures" / "packs"


def _snapshot_name(pack_id: str) -> Path:
    return SNAPSHOTS / (pack_id.replace("/", "__") + ".ruleset.json")


@pytest.mark.parametrize("pack_id", ["tra-vinh/smart-commune", "tra-vinh/model-ntm-2021-2025",
                                     "vn/model-ntm-2021-2025", "vn/smart-commune-pilot"])
def test_ruleset_matches_saved_copy(library, pack_id):
    """A change in what the engine is given shows up as a reviewable diff of the saved copy.
    Regenerate deliberately with NTMCERT_UPDATE_SNAPSHOTS=1."""
    ruleset = compile_ruleset(library.get(pack_id))
    text = json.dumps(ruleset, sort_keys=True, ensure_ascii=False, indent=1) + "\n"
    path = _snapshot_name(pack_id)
    if os.environ.get("NTMCERT_UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


def test_fresh_dict_every_call(library):
    """durable-rules mutates what it is given, so each call must build a new dict."""
    pack = library.get("tra-vinh/smart-commune")
    first, second = compile_ruleset(pack), compile_ruleset(pack)
    assert first == second and first is not second
    key = next(iter(first))
    assert first[key] is not second[key]


def test_groups_slots_and_rules(library):
    """One group per criterion (and per hamlet indicator); per group an all-pass rule and, per
    slot, a fail and an undecidable rule; plus the sentinel."""
    pack = library.get("tra-vinh/model-ntm-2021-2025")
    ruleset = compile_ruleset(pack)
    pack_slots = slots(pack)
    keys = rule_keys(pack)
    assert "tv.hamlet.info_access" in keys and "tv.hamlet.automation#1" in keys
    groups = {s.group for s in pack_slots.values()}
    assert "h:km.smart_hamlet/0" in groups and "c:km.income/0" in groups
    assert len(ruleset) == len(groups) + 2 * len(keys) + 1
    info = pack_slots["tv.hamlet.info_access"]
    assert info.hamlet_level and info.op == ">"
    every = ruleset["h:km.smart_hamlet/0|all"]["all"][0]["m"]["$and"]
    assert {"$or": [{f"a{info.index}": 1}, {"$gt": {f"pl{info.index}": {"$m": f"pr{info.index}"}}}]} in every
    fail = ruleset[f"h:km.smart_hamlet/0|{info.index}|fail"]["all"][0]["m"]["$and"]
    assert {"$lte": {f"fl{info.index}": {"$m": f"fr{info.index}"}}} in fail  # strict "trên 80%": fail is ≤


def test_large_criteria_are_chunked(library):
    """No group exceeds GROUP_SIZE comparisons (durable-rules: ≤ 64 rules per fact)."""
    from collections import Counter

    for pack in library.all():
        counts = Counter(s.group for s in slots(pack).values())
        assert all(n <= GROUP_SIZE for n in counts.values())


def test_colliding_names_are_refused():
    assert fnv1a_32("tv.test.k03b9cc") == fnv1a_32("tv.test.k0e2b18")
    pack = PackLibrary(root=FIXTURE_PACKS).get("test/hash-collision")
    with pytest.raises(InputError) as err:
        compile_ruleset(pack)
    (problem,) = err.value.problems
    assert problem.code == "pack_hash_collision"
    assert "tv.test.k0e2b18" in problem.message and "tv.test.k03b9cc" in problem.message
