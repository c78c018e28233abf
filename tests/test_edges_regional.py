"""Ledger sections beyond single comparisons (rules/<pack>/tests/edges.yaml):

- `parameters:` every dated, regional value a pack's parameters hold, restated by hand: the pack
  must hold exactly these, and every comparison against such a parameter is evaluated in each
  region at, just under and just over that region's value (no officer value involved);
- `aggregates:` thresholds computed over the hamlets (`hamlet_share`: "100% of the hamlets"),
  evaluated with 1 to 101 hamlets, some not listed, and mutated to show each mutation is caught.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from ntmcert import evaluate, load_factset
from ntmcert.core.vocab import Region
from ntmcert.inputs.yamlio import load_path
from ntmcert.packs.library import PackCriterion, PackIndicator
from ntmcert.packs.registry import kind_of
from ntmcert.packs.schema import ParameterRef, Percent

from .conftest import ROOT
from .test_edges import LIBRARY, OPS, PACK_IDS, Entry, comparisons, edge_values, ledger, parse_entry

AGGREGATE = re.compile(r"^(>=|>)\s+([0-9.]+)%\s+of hamlets$")


def sections(pack_id: str) -> dict:
    return load_path(ROOT / "rules" / pack_id / "tests" / "edges.yaml").data


def _value(text: str, percent: bool) -> Fraction:
    text = str(text).strip()
    assert text.endswith("%") == percent, f"{text!r}: a percent parameter is written with %, others without"
    return Fraction(Decimal(text.rstrip("%")))


# ------------------------------------------------------------------ regional parameters

@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_parameter_values_match_the_ledger(pack_id):
    """Double entry for numbers that live in parameters: the same values, dates and regions."""
    pack = LIBRARY.get(pack_id)
    written = sections(pack_id).get("parameters") or {}
    held = {name: p for name, p in pack.parameters.items() if p.spec.values}
    assert set(written) == set(held), "the ledger's parameters: section must restate every parameter with values"
    for name, param in held.items():
        entries = dated(written[name])
        values = sorted(param.spec.values, key=lambda v: v.valid_from)
        assert [dt.date.fromisoformat(str(e["from"])) for e in entries] == [v.valid_from for v in values], name
        for entry, v in zip(entries, values, strict=True):
            if v.by_region is not None:
                assert {Region(r): _value(t, param.spec.percent) for r, t in entry["values"].items()} == {
                    r: Fraction(n) for r, n in v.by_region.items()}, name
            else:
                assert _value(entry["value"], param.spec.percent) == Fraction(v.value), name


def dated(entry) -> list[dict]:
    """A parameter's ledger entry: one {from, value | values}, or a list of them (one per date)."""
    entries = entry if isinstance(entry, list) else [entry]
    return sorted(entries, key=lambda e: dt.date.fromisoformat(str(e["from"])))


def regional_cases(pack_id: str):
    pack = LIBRARY.get(pack_id)
    entries = ledger(pack_id)
    for key, (cmp, hamlet) in comparisons(pack).items():
        if not isinstance(cmp.threshold, ParameterRef):
            continue
        param = pack.parameters[cmp.threshold.parameter].spec
        if not param.values:
            continue
        written = dated(sections(pack_id)["parameters"][cmp.threshold.parameter])[-1]  # the latest, as as_of is
        for region in Region:
            text = (written.get("values") or {}).get(region.value, written.get("value"))
            yield pack, key, cmp, hamlet, entries[key], region, text, param.percent


def regional_mismatches(pack, key, cmp, hamlet, entry: Entry, region: Region, text, percent: bool) -> list[str]:
    fact = LIBRARY.catalogue.get(cmp.fact)
    as_of = max(v.valid_from for v in pack.parameters[cmp.threshold.parameter].spec.values) + dt.timedelta(days=1)
    if text is None:  # no value for the region: never guessed
        cases = [(v, "undecidable") for v, _ in edge_values(Entry(entry.op), fact.kind, fact.whole_counts,
                                                            Fraction(1, 2))]
    else:
        t = entry.factor * _value(text, percent) / (100 if percent else 1)
        cases = list(edge_values(Entry(entry.op, t, share=percent), fact.kind, fact.whole_counts, t))
    out = []
    for value, want in cases:
        data = {"format": "ntmcert/factset/v1", "as_of": as_of,
                "commune": {"name": "Xã Vùng", "province": pack.doc.scope.province or "Trà Vinh",
                            "region": region.value}}
        if hamlet:
            data["hamlets"] = [{"name": "Ấp Biên", "facts": {cmp.fact: value}}]
        else:
            data["facts"] = {cmp.fact: value}
        verdict = evaluate(load_factset(data), pack, engine="reference")
        got = verdict.find(f"{key}@Ấp Biên" if hamlet else key).status
        if got != want:
            out.append(f"{pack.id} {key} [{region.value}] = {value!r}: expected {want}, got {got}")
    return out


@pytest.mark.parametrize("pack_id", [p for p in PACK_IDS if sections(p).get("parameters")])
def test_regional_thresholds_at_their_edges(pack_id):
    """Each region at its own value (special-commune flags off, so the region is the commune's)."""
    problems = [m for case in regional_cases(pack_id) for m in regional_mismatches(*case)]
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("pack_id", [p for p in PACK_IDS if sections(p).get("parameters")])
def test_a_changed_regional_value_is_caught(pack_id):
    """Mutating any one region's value is caught by the regional edges (and by the double entry)."""
    escaped = []
    for pack, key, cmp, hamlet, entry, region, text, percent in regional_cases(pack_id):
        if text is None:
            continue
        name = cmp.threshold.parameter
        param = pack.parameters[name]
        v = max(param.spec.values, key=lambda x: x.valid_from)
        if v.by_region is not None:
            by_region = dict(v.by_region)
            by_region[region] = by_region[region] + 1 if by_region[region] < 100 else by_region[region] - 1
            changed = v.model_copy(update={"by_region": by_region})
        else:
            changed = v.model_copy(update={"value": v.value + 1})
        values = tuple(changed if x is v else x for x in param.spec.values)
        spec = param.spec.model_copy(update={"values": values})
        mutant = dataclasses.replace(pack, parameters={**pack.parameters, name: dataclasses.replace(param, spec=spec)},
                                     sha256=pack.sha256[:56] + f"{hash((key, region)) & 0xFFFFFFFF:08x}", memo={})
        if not regional_mismatches(mutant, key, cmp, hamlet, entry, region, text, percent):
            escaped.append(f"{key} {region.value}")
    assert not escaped, f"mutations not caught: {escaped}"


# ------------------------------------------------------------------ shares of all hamlets

def aggregates(pack_id: str) -> dict[str, tuple[str, Fraction]]:
    out = {}
    for key, text in (sections(pack_id).get("aggregates") or {}).items():
        op, pct = AGGREGATE.match(text.strip()).groups()
        out[key] = (op, Fraction(Decimal(pct)) / 100)
    return out


def hamlet_share_specs(pack):
    return {i.spec.id: i.spec for c in pack.criteria for i in c.indicators if i.spec.kind == "hamlet_share"}


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_aggregates_ledger_covers_every_hamlet_share(pack_id):
    assert set(aggregates(pack_id)) == set(hamlet_share_specs(LIBRARY.get(pack_id)))


def _hamlet_values(pack_id: str, spec) -> tuple[dict, dict]:
    """Facts making a hamlet meet every hamlet indicator, and facts making it fail the first one."""
    entries = ledger(pack_id)
    good, bad = {}, {}
    keys = [k for _, leaves in kind_of(spec).hamlet_groups(spec) for k, _ in leaves]
    for n, (key, located) in enumerate(zip(keys, kind_of(spec).comparisons(spec), strict=True)):
        cmp, entry = located.comparison, entries[key]
        fact = LIBRARY.catalogue.get(cmp.fact)
        t = entry.value if not isinstance(entry.value, bool) else Fraction(int(entry.value))
        values = list(edge_values(entry, fact.kind, fact.whole_counts, t))
        good[cmp.fact] = next(v for v, s in values if s == "pass")
        if n == 0:
            bad[cmp.fact] = next(v for v, s in values if s == "fail")
    return good, {**good, **bad}


def share_mismatches(pack, pack_id: str, key: str, op: str, t: Fraction) -> list[str]:
    spec = hamlet_share_specs(pack)[key]
    good, bad = _hamlet_values(pack_id, spec)
    out = []
    as_of = pack.doc.scope.valid_from + dt.timedelta(days=30)
    for total in (1, 2, 3, 7, 101):
        for passing in sorted({0, 1, total // 2, total - 1, total} & set(range(total + 1))):
            for listed in sorted({total, max(passing, total - 1)}):
                hamlets = [{"name": f"Ấp {i:03d}", "facts": good if i < passing else bad} for i in range(listed)]
                data = {"format": "ntmcert/factset/v1", "as_of": as_of, "hamlets": hamlets,
                        "commune": {"name": "Xã Ấp", "province": pack.doc.scope.province or "Trà Vinh",
                                    "region": "dbscl"}, "facts": {spec.total_fact: total}}
                test = OPS[op]
                low, high = Fraction(passing, total), Fraction(passing + total - listed, total)
                want = "pass" if test(low, t) else ("fail" if not test(high, t) else "missing")
                got = evaluate(load_factset(data), pack, engine="reference").find(key).status
                if got != want:
                    out.append(f"{key}: {passing} of {total} pass, {listed} listed: expected {want}, got {got}")
    data = {"format": "ntmcert/factset/v1", "as_of": as_of, "facts": {},
            "commune": {"name": "Xã Ấp", "province": pack.doc.scope.province or "Trà Vinh", "region": "dbscl"},
            "hamlets": [{"name": "Ấp 1", "facts": good}]}
    verdict = evaluate(load_factset(data), pack, engine="reference")
    if verdict.find(key).status != "missing" or spec.total_fact not in verdict.missing_facts:
        out.append(f"{key}: without {spec.total_fact} the share must be missing and ask for it")
    return out


@pytest.mark.parametrize("pack_id", [p for p in PACK_IDS if aggregates(p)])
def test_hamlet_shares_at_their_edges(pack_id):
    pack = LIBRARY.get(pack_id)
    problems = [m for key, (op, t) in aggregates(pack_id).items() for m in share_mismatches(pack, pack_id, key, op, t)]
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("pack_id", [p for p in PACK_IDS if aggregates(p)])
def test_every_hamlet_share_mutation_is_caught(pack_id):
    pack = LIBRARY.get(pack_id)
    escaped = []
    for key, (op, t) in aggregates(pack_id).items():
        spec = hamlet_share_specs(pack)[key]
        pct = spec.threshold.percent
        for change in ({"op": ">" if spec.op == ">=" else ">="},
                       {"threshold": Percent(percent=pct + 1 if pct < 100 else pct - 1)}):
            mutated = spec.model_copy(update=change)
            criteria = tuple(PackCriterion(c.spec, tuple(PackIndicator(mutated if i.spec.id == key else i.spec, i.layer)
                                                         for i in c.indicators), c.layer) for c in pack.criteria)
            mutant = dataclasses.replace(pack, criteria=criteria, memo={},
                                         sha256=pack.sha256[:56] + f"{hash((key, str(change))) & 0xFFFFFFFF:08x}")
            if not share_mismatches(mutant, pack_id, key, op, t):
                escaped.append(f"{key} {change}")
    assert not escaped, f"mutations not caught: {escaped}"


def test_aggregate_entries_parse():
    assert parse_entry(">= 100%").share
    assert AGGREGATE.match(">= 100% of hamlets").groups() == (">=", "100")
