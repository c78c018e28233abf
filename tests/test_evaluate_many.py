"""evaluate_many: on a pool of processes, the same verdicts (JSON bytes) as evaluating one by one,
in input order, with bad fact sets reported in their place."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict

import pytest
from ntmcert import InputError, NtmcertError, Verdict, evaluate, evaluate_many
from ntmcert.evaluation.verdict import dumps
from ntmcert.inputs.yamlio import load_path

from tests.yaml_cases import RULES, build_factset, officer_params, pack_id_for

from .conftest import SEEDS, THANH_PHU, base_factset


def _case_groups() -> dict[tuple, list[dict]]:
    """Every YAML case's fact set, grouped by what evaluate_many takes once for all of them."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for path in sorted(RULES.rglob("tests/*.yaml")):
        if path.name == "edges.yaml":  # boundary tables of another form (tests/test_edges.py)
            continue
        doc = load_path(path).data
        pack_id = doc.get("pack") or pack_id_for(path)
        for case in doc["cases"]:
            key = (case.get("pack", pack_id), json.dumps(case.get("params"), sort_keys=True, default=str),
                   bool(case.get("derive_prerequisites")))
            groups[key].append(case)
    return groups


def _outcome(result) -> str | tuple:
    """A verdict's JSON text, or an error's type and message."""
    if isinstance(result, NtmcertError):
        return type(result).__name__, str(result)
    return result.to_json()


def _evaluated(facts, pack_id: str, **kwargs) -> Verdict | NtmcertError:
    try:
        return evaluate(facts, pack_id, **kwargs)
    except NtmcertError as exc:
        return exc


@pytest.mark.parametrize("engine", ["durable", "reference"])
def test_every_yaml_case_gives_the_same_json_on_two_processes_as_one_by_one(engine):
    checked = 0
    for (pack_id, _, derive), cases in _case_groups().items():
        params = officer_params(cases[0].get("params"))
        factsets = [build_factset(case) for case in cases]
        expected = [_outcome(_evaluated(fs, pack_id, engine=engine, params=params, derive_prerequisites=derive))
                    for fs in factsets]
        kwargs = {"engine": engine, "params": params, "derive_prerequisites": derive, "on_error": "yield"}
        sequential = list(evaluate_many(factsets, pack_id, jobs=1, **kwargs))
        pooled = list(evaluate_many(factsets, pack_id, jobs=2, chunk_size=3, **kwargs))
        assert [_outcome(v) for v in sequential] == expected, pack_id
        assert [_outcome(v) for v in pooled] == expected, pack_id
        checked += sum(isinstance(e, str) for e in expected)
    assert checked > 50  # the YAML cases were found


def test_several_packs_give_a_tuple_per_fact_set_in_input_order():
    packs = ["tra-vinh/smart-commune", "vn/model-ntm-2021-2025"]
    factsets = [THANH_PHU, *sorted(SEEDS.glob("example-*.yaml"))] * 4
    expected = [tuple(evaluate(fs, p, derive_prerequisites=True).to_json() for p in packs) for fs in factsets]
    pooled = evaluate_many(factsets, packs, jobs=2, chunk_size=1, derive_prerequisites=True)
    assert [tuple(v.to_json() for v in vs) for vs in pooled] == expected


def test_verdicts_travel_as_arrays_and_are_laid_out_on_the_parents_pack():
    """From a worker, a verdict's criteria come back as the evaluator's arrays (nothing built), on
    the parent's own pack table, and give the same statuses and JSON as one by one."""
    from ntmcert import default_library
    from ntmcert.evaluation.outcome import CriteriaOutcome

    factsets = [THANH_PHU, *sorted(SEEDS.glob("example-*.yaml"))] * 2
    pooled = list(evaluate_many(factsets, "tra-vinh/smart-commune", jobs=2, chunk_size=2,
                                derive_prerequisites=True))
    pack = default_library().get("tra-vinh/smart-commune")
    for verdict, facts in zip(pooled, factsets, strict=True):
        assert isinstance(verdict.criteria, CriteriaOutcome) and not verdict.criteria.is_built
        assert verdict.criteria.table.pack is pack  # this process's pack, not a copy
        alone = evaluate(facts, "tra-vinh/smart-commune", derive_prerequisites=True)
        assert verdict.indicator_statuses == alone.indicator_statuses
        assert verdict.to_json() == alone.to_json()


def test_a_bad_fact_set_is_reported_in_its_place():
    bad = base_factset(as_of="31/12/2024")
    inputs = [THANH_PHU, bad, THANH_PHU]
    with pytest.raises(InputError) as sequential:
        evaluate(bad, "tra-vinh/smart-commune")
    for jobs in (1, 2):
        out = list(evaluate_many(inputs, "tra-vinh/smart-commune", jobs=jobs, on_error="yield"))
        assert isinstance(out[0], Verdict) and isinstance(out[2], Verdict)
        assert isinstance(out[1], InputError)
        assert [p.code for p in out[1].problems] == [p.code for p in sequential.value.problems]
        got = []
        with pytest.raises(InputError):
            for verdict in evaluate_many(inputs, "tra-vinh/smart-commune", jobs=jobs):
                got.append(verdict)
        assert len(got) == 1  # everything before the bad one, nothing after


def test_transform_runs_in_the_workers_and_gives_the_same_text():
    factsets = [THANH_PHU, *sorted(SEEDS.glob("example-*.yaml"))] * 3
    expected = [evaluate(fs, "tra-vinh/smart-commune").to_json() for fs in factsets]
    for jobs in (1, 2):
        assert list(evaluate_many(factsets, "tra-vinh/smart-commune", jobs=jobs, transform=Verdict.to_json,
                                  chunk_size=2)) == expected


def test_input_is_read_lazily_a_few_chunks_ahead():
    taken = 0

    def endless():
        nonlocal taken
        while True:
            taken += 1
            yield THANH_PHU

    results = evaluate_many(endless(), "tra-vinh/smart-commune", jobs=2, chunk_size=2)
    first = list(itertools.islice(results, 3))
    results.close()
    assert len(first) == 3 and dumps(first[0].to_dict()) == first[2].to_json()
    assert taken <= 2 * 2 * 2 + 2  # at most 2·jobs chunks in flight, plus the chunk being read


def test_bad_arguments_are_refused_before_any_process_starts():
    with pytest.raises(ValueError):
        list(evaluate_many([THANH_PHU], "tra-vinh/smart-commune", jobs=0))
    with pytest.raises(ValueError):
        list(evaluate_many([THANH_PHU], "tra-vinh/smart-commune", engine="nope"))
    with pytest.raises(ValueError):
        list(evaluate_many([THANH_PHU], "tra-vinh/smart-commune", on_error="ignore"))  # type: ignore[arg-type]
