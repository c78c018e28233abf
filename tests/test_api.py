"""The Python API as the README shows it."""

from __future__ import annotations

import json
import re

from ntmcert import FactSet, Verdict, evaluate, load_factset

from .conftest import ROOT, THANH_PHU, base_factset


def test_readme_python_example_runs():
    """The README's Python block is executed as written (from the repository root)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    import os

    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        namespace: dict = {}
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    finally:
        os.chdir(cwd)
    assert isinstance(namespace["verdict"], Verdict)


def test_inputs_path_dict_model_factset():
    fs = load_factset(THANH_PHU)
    assert isinstance(fs, FactSet)
    from_path = evaluate(THANH_PHU, "tra-vinh/smart-commune").to_json()
    from_factset = evaluate(fs, "tra-vinh/smart-commune").to_json()
    assert from_path == from_factset
    verdict = evaluate(base_factset(facts={"commune_records_online": {"count": 1, "of": 2}}), "tra-vinh/smart-commune")
    assert verdict.indicator("tv.smart.gov.records_online").status == "fail"
    data = json.loads(verdict.to_json())
    assert data["schema"] == "ntmcert/verdict/v1" and list(data) == sorted(data)


def test_identical_evaluations_are_equal_by_value_and_carry_their_labels():
    first = evaluate(THANH_PHU, "tra-vinh/smart-commune")
    second = evaluate(THANH_PHU, "tra-vinh/smart-commune")
    assert first is not second and first == second
    assert first.pack.id == first.pack["id"] == "tra-vinh/smart-commune"
    assert first.to_dict()["pack"]["id"] == "tra-vinh/smart-commune"
    other = evaluate(THANH_PHU, "tra-vinh/smart-commune", engine="reference")
    assert other != first  # the engine is part of the verdict
    assert first.criteria == other.criteria  # but the decisions are the same
    for ref in first.missing_facts:
        assert ref.rsplit(":", 1)[-1] in first.facts  # every missing fact has its label in the verdict
