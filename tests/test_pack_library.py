"""Issue 3: dated regional parameters and the special-commune rule, officer parameters,
derived prerequisites, revocation, and the criteria documentation generated from the packs."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from ntmcert import default_library, evaluate
from ntmcert.cli.main import app
from ntmcert.core.errors import InputError
from ntmcert.evaluation.review import outcome, revokes
from ntmcert.packs.library import PackLibrary
from ntmcert.packs.params import load_params
from ntmcert.render.packdoc import criteria_docs
from typer.testing import CliRunner

from .conftest import ROOT, base_factset

FIXTURE_PACKS = Path(__file__).parent / "fixtures" / "packs"
runner = CliRunner()


@pytest.fixture(scope="module")
def fixtures():
    return PackLibrary(root=FIXTURE_PACKS)


def commune(special: dict, as_of: str, income) -> dict:
    return base_factset(commune={"name": "Xã Thử", "province": "Trà Vinh", "region": "dbscl", "special": special},
                        as_of=dt.date.fromisoformat(as_of), facts={"income_per_capita": income})


class TestSpecialCommuneRule:
    """Acceptance 1: which region's thresholds apply, by flags and date."""

    @pytest.mark.parametrize("special,as_of,region,threshold", [
        ({"extremely_difficult": True}, "2023-06-30", "tdmnpb", "30"),
        ({"extremely_difficult": True}, "2024-06-30", "dbscl", "55"),
        ({"extremely_difficult": True, "coastal_island": True}, "2023-06-30", "tdmnpb", "30"),
        ({"extremely_difficult": True, "coastal_island": True}, "2024-06-30", "tdmnpb", "35"),
        ({"ethnic_minority_region": "III"}, "2023-06-30", "dbscl", "50"),
        ({"ethnic_minority_region": "III"}, "2024-06-30", "tdmnpb", "35"),
        ({"safe_zone": True, "poor_district": True}, "2024-06-30", "tdmnpb", "35"),
        ({}, "2024-06-30", "dbscl", "55"),
    ])
    def test_region_and_value_in_force(self, fixtures, special, as_of, region, threshold):
        verdict = evaluate(commune(special, as_of, 52), fixtures.get("test/regional"))
        assert verdict.region["used"] == region
        ind = verdict.indicator("test.income.1")
        assert ind.threshold["value"] == threshold and ind.threshold["region"] == region
        assert ind.status == ("pass" if int(threshold) <= 52 else "fail")
        if special:
            reason = verdict.region["reason"]["en"]
            assert "01/3/2024" in reason and "inferred" in reason and verdict.region["provenance"] == "inferred"

    def test_value_source_follows_the_date(self, fixtures):
        v23 = evaluate(commune({}, "2023-06-30", 52), fixtures.get("test/regional")).indicator("test.income.1")
        v24 = evaluate(commune({}, "2024-06-30", 52), fixtures.get("test/regional")).indicator("test.income.1")
        assert v23.threshold["parameter_source"]["document"] == "test fixture 2022"
        assert (v24.threshold["valid_from"], v24.threshold["parameter_source"]["provenance"]) == ("2024-01-01",
                                                                                                   "secondary")

    def test_before_any_value_is_undecidable(self, fixtures):
        verdict = evaluate(commune({}, "2021-06-30", 52), fixtures.get("test/regional"))
        assert verdict.indicator("test.income.1").status == "undecidable" and verdict.verdict == "incomplete"


def write_params(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text("format: ntmcert/params/v1\nparameters:\n" + textwrap.indent(textwrap.dedent(body), "  "),
                    encoding="utf-8")
    return path


OFFICER_60 = """\
advanced_income_threshold:
  - value: 60
    from: 2024-01-01
    region: dbscl
    source: {document: "QĐ 1306/QĐ-UBND (Trà Vinh, 2022), tiêu chí 10", provenance: secondary}
"""


def model_commune(income) -> dict:
    return base_factset(
        as_of=dt.date(2024, 8, 31),
        facts={"income_per_capita": income, "outstanding_field_san_xuat": True},
        hamlets=[{"name": "Ấp 2", "facts": {"automation_stages": {"percent": {"gt": 90}},
                                            "residents_info_access_digital": {"percent": Decimal("85.78")},
                                            "households_cashless_utilities": {"percent": {"gt": 90}}}}])


class TestOfficerParameters:
    """Acceptance 2: an officer's advanced income threshold decides km.income exactly."""

    @pytest.mark.parametrize("engine", ["durable", "reference"])
    @pytest.mark.parametrize("income,status,verdict", [(66, "pass", "certified"),
                                                       (Decimal("65.99"), "fail", "not_certified")])
    def test_with_the_file(self, tmp_path, engine, income, status, verdict):
        params = write_params(tmp_path, OFFICER_60)
        result = evaluate(model_commune(income), "tra-vinh/model-ntm-2021-2025", params=params, engine=engine)
        ind = result.indicator("km.income")
        assert ind.status == status and result.verdict == verdict
        assert ind.threshold["layer"] == "officer" and ind.threshold["value"] == "66"
        assert ind.threshold["parameter_value"] == "60" and ind.threshold["factor"] == "1.1"
        assert "QĐ 1306" in ind.threshold["parameter_source"]["document"]
        assert "officer" in ind.explanation.en

    def test_without_the_file(self):
        result = evaluate(model_commune(66), "tra-vinh/model-ntm-2021-2025")
        assert result.indicator("km.income").status == "undecidable" and result.verdict == "incomplete"

    def test_cli_params(self, tmp_path):
        params = write_params(tmp_path, OFFICER_60)
        facts = tmp_path / "facts.yaml"
        import yaml

        data = model_commune(66)
        data["as_of"] = "2024-08-31"
        for r in data["recognitions"]:
            r["date"] = r["date"].isoformat()
        data["hamlets"][0]["facts"]["residents_info_access_digital"] = {"percent": 85.78}
        facts.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        ok = runner.invoke(app, ["evaluate", str(facts), "--pack", "tra-vinh/model-ntm-2021-2025",
                                 "--params", str(params)])
        assert ok.exit_code == 0, ok.stdout
        plain = runner.invoke(app, ["evaluate", str(facts), "--pack", "tra-vinh/model-ntm-2021-2025"])
        assert plain.exit_code == 3

    def test_unknown_parameter_is_an_error(self, tmp_path):
        path = write_params(tmp_path, OFFICER_60.replace("advanced_income_threshold", "advanced_income_treshold"))
        with pytest.raises(InputError) as err:
            load_params(path, PackLibrary())
        (p,) = err.value.problems
        assert p.code == "params_unknown_parameter" and "did you mean 'advanced_income_threshold'" in p.message
        assert p.location.line == 3

    def test_official_value_needs_override(self, tmp_path, fixtures):
        body = ("income_threshold:\n  - value: 45\n    source: {document: officer note, provenance: secondary}\n")
        with pytest.raises(InputError) as err:
            load_params(write_params(tmp_path, body), fixtures)
        assert err.value.problems[0].code == "params_override_official"
        ok = load_params(write_params(tmp_path, body.replace("value: 45", "value: 45\n    override: true")), fixtures)
        assert ok["income_threshold"][0].value == 45

    def test_malformed_file(self, tmp_path):
        path = write_params(tmp_path, "advanced_income_threshold:\n  - value: sixty\n")
        with pytest.raises(InputError) as err:
            load_params(path, PackLibrary())
        assert {p.code for p in err.value.problems} == {"params_bad_type", "params_missing_key"}


class TestRevocationRule:
    """Acceptance 4, on the rule itself: exact shares of the number of criteria."""

    @pytest.mark.parametrize("total,failing,key_failing,expected", [
        (10, 3, True, "revoke"), (10, 3, False, "keep"), (10, 5, False, "revoke"), (10, 2, True, "keep"),
        (19, 6, True, "revoke"), (19, 5, True, "keep"), (19, 10, False, "revoke"), (19, 9, True, "revoke"),
        (19, 9, False, "keep"),
    ])
    def test_table(self, total, failing, key_failing, expected):
        ids = {f"c{i:02d}" for i in range(1, failing + 1)}
        key = {"c01"} if key_failing else {"c99"}
        assert outcome(ids, set(), total, key) == expected

    def test_open_criteria_decide_both_ways(self):
        assert outcome({"a", "b"}, {"c"}, 10, {"c"}) == "incomplete"  # 3 with key c would revoke
        assert outcome({"a", "b"}, {"c"}, 10, set()) == "keep"  # 3 without a key never revokes
        assert outcome({"a", "b", "c", "d", "e"}, {"f"}, 10, set()) == "revoke"

    def test_monotone(self):
        key = {"c01"}
        for total in (10, 19):
            for n in range(total + 1):
                small = {f"c{i:02d}" for i in range(1, n + 1)}
                big = small | {f"c{total:02d}"}
                assert not revokes(small, total, key) or revokes(big, total, key)


def assessed(prefix: str, n: int, failing: set[int] = frozenset()) -> dict:
    """Department assessments for every criterion that has one (income is a number: c10 has none)."""
    from ntmcert.inputs.catalogue import bundled_catalogue

    ids = {f"{prefix}c{i:02d}_met": i not in failing for i in range(1, n + 1)}
    return {k: v for k, v in ids.items() if bundled_catalogue().get(k) is not None}


BASE_KNOWN = {"farmland_active_irrigation": {"count": 900, "of": 1000}, "disaster_readiness_4_tai_cho": True,
              "postal_service_point": True, "c08_2_met": True, "c08_3_met": True, "c08_4_met": True,
              "income_per_capita": 70, "multidimensional_poverty_rate_pct": Decimal("1.5")}
OFFICER_ALL = {
    "ntm_income_threshold": [{"value": 50}], "ntm_poverty_threshold": [{"value": 3}],
    "advanced_income_threshold": [{"value": 60}],
    "ntm_ehealth_book_min": [{"value": 60}],  # not readable for dbscl in the annex: a test number
}
# criteria 5, 6, 14 and 15 of the base set are encoded from their numbers: facts that meet them, and
# one changed fact that fails each (6.3 also needs every hamlet's cultural house: see with_houses)
ROUND2_PASS = {
    5: {"schools_count": 4, "schools_minimum_standard": {"count": 4, "of": 4},
        "schools_level1_standard": {"count": 4, "of": 4}},
    6: {"commune_culture_sports_facilities": True, "play_areas_children_elderly": 1, "hamlets_total": 1},
    14: {"grade1_entry_age6": {"count": 98, "of": 100}, "universal_preschool_age5": True, "universal_primary_level": 2,
         "universal_lower_secondary_level": 2, "literacy_level": 2, "c14_other_met": True},
    15: {"stunting_under5": {"count": 1, "of": 100}, "ehealth_book_population": {"count": 99, "of": 100},
         "c15_other_met": True},
}
ROUND2_FAIL = {5: {"schools_minimum_standard": {"count": 3, "of": 4}}, 6: {"commune_culture_sports_facilities": False},
               14: {"c14_other_met": False}, 15: {"c15_other_met": False}}


def with_houses(hamlets: list) -> list:
    """The hamlets, each with a cultural house (criterion 6.3); one hamlet when none is given."""
    hamlets = hamlets or [{"name": "Ấp 1", "facts": {}}]
    return [{**h, "facts": {**h.get("facts", {}), "hamlet_cultural_house": True}} for h in hamlets]


def officer_values(spec: dict) -> dict:
    from fractions import Fraction

    from ntmcert.packs.resolve import OfficerValue
    from ntmcert.packs.schema import Source

    src = Source(document="officer test value", provenance="secondary")
    return {name: [OfficerValue(name, Fraction(e["value"]), src) for e in entries] for name, entries in spec.items()}


def base_facts(failing: set[int] = frozenset()) -> dict:
    facts = dict(BASE_KNOWN)
    facts.update({k: v for k, v in assessed("", 19, failing).items()
                  if k not in ("c03_met", "c08_met", "c10_met", "c11_met")})
    for criterion, known in ROUND2_PASS.items():
        facts.update(known)
        if criterion in failing:
            facts.update(ROUND2_FAIL[criterion])
    return facts


class TestDerivedPrerequisites:
    """Acceptance 3: model → advanced → base on one fact set, each tier reported."""

    def test_chain(self):
        facts = {**base_facts(), **assessed("adv_", 19), "outstanding_field_san_xuat": True}
        data = base_factset(recognitions=[], facts=facts, hamlets=with_houses(model_commune(66)["hamlets"]))
        verdict = evaluate(data, "tra-vinh/model-ntm-2021-2025", derive_prerequisites=True,
                           params=officer_values(OFFICER_ALL))
        tiers = verdict.tiers()
        assert [v.pack["id"] for v in tiers] == ["tra-vinh/model-ntm-2021-2025", "vn/ntm-advanced-2021-2025",
                                                 "vn/ntm-2021-2025"]
        assert [v.verdict for v in tiers] == ["certified", "certified", "certified"]
        prereq = verdict.prerequisites[0]
        assert prereq.status == "pass" and prereq.satisfied_by["how"] == "derived"
        assert "vn/ntm-advanced-2021-2025" in prereq.explanation.en

    def test_failing_base_fails_every_tier_above(self):
        facts = {**base_facts(failing={5}), **assessed("adv_", 19), "outstanding_field_san_xuat": True}
        data = base_factset(recognitions=[], facts=facts, hamlets=with_houses(model_commune(66)["hamlets"]))
        verdict = evaluate(data, "tra-vinh/model-ntm-2021-2025", derive_prerequisites=True,
                           params=officer_values(OFFICER_ALL))
        assert [v.verdict for v in verdict.tiers()] == ["not_certified"] * 3

    def test_recognition_still_cited_when_deriving(self):
        data = base_factset(facts={"outstanding_field_san_xuat": True}, hamlets=model_commune(66)["hamlets"])
        verdict = evaluate(data, "tra-vinh/model-ntm-2021-2025", derive_prerequisites=True)
        prereq = verdict.prerequisites[0]
        assert prereq.satisfied_by["how"] == "recognition" and prereq.derived is not None

    def test_cli_reports_each_tier(self, tmp_path):
        result = runner.invoke(app, ["evaluate", str(ROOT / "seeds" / "thanh-phu-2024.yaml"), "--pack",
                                     "tra-vinh/smart-commune", "--derive-prerequisites", "--lang", "en"])
        for pack_id in ("tra-vinh/smart-commune", "tra-vinh/model-ntm-2021-2025", "vn/ntm-advanced-2021-2025",
                        "vn/ntm-2021-2025"):
            assert f"{pack_id} {default_library().get(pack_id).version}" in result.stdout

    def test_prerequisite_cycle_rejected(self, tmp_path):
        from .test_packs import criterion, write_pack

        pre = "prerequisites:\n  - {{id: p.x, tier: ntm, pack: {other}, title: {{vi: X, en: X}}, " \
              "source: {{document: t, provenance: inferred}}}}\n"
        write_pack(tmp_path, "t/a", pre.format(other="t/b") + criterion())
        write_pack(tmp_path, "t/b", pre.format(other="t/a") + criterion())
        with pytest.raises(InputError) as err:
            PackLibrary(root=tmp_path).get("t/a")
        (p,) = err.value.problems
        assert p.code == "pack_prerequisite_cycle" and "t/a → t/b → t/a" in p.message and p.location.line


class TestReview:
    """Acceptance 4 end to end on the bundled 19-criterion base set (keys c10, c17, c19)."""

    def _review(self, tmp_path, failing: set[int]):
        import json

        import yaml

        data = base_factset(recognitions=[{"tier": "ntm", "decision": "9/QĐ-UBND", "date": "2023-01-10"}],
                            facts=base_facts(failing), hamlets=with_houses([]))
        data["as_of"] = "2024-08-31"
        path = tmp_path / "facts.yaml"
        path.write_text(yaml.safe_dump(_plain(data), allow_unicode=True), encoding="utf-8")
        params = tmp_path / "p.yaml"
        params.write_text("format: ntmcert/params/v1\nparameters:\n" + "".join(
            f"  {name}:\n    - value: {entries[0]['value']}\n      source: {{document: test, provenance: secondary}}\n"
            for name, entries in OFFICER_ALL.items()), encoding="utf-8")
        result = runner.invoke(app, ["review", str(path), "--pack", "vn/ntm-2021-2025", "--params", str(params),
                                     "--format", "json"])
        return result.exit_code, json.loads(result.stdout)

    @pytest.mark.parametrize("failing,expected,code", [
        ({1, 2, 4, 5, 6, 17}, "revoke", 1),   # 6 of 19 = 31.6% with key c17
        ({1, 2, 4, 5, 6}, "keep", 0),         # 5 of 19 = 26.3%
        ({1, 2, 4, 5, 6, 7}, "keep", 0),      # 6 of 19, no key
        ({1, 2, 4, 5, 6, 7, 9, 12, 13, 14}, "revoke", 1),  # 10 of 19 ≥ 50%
    ])
    def test_base_set(self, tmp_path, failing, expected, code):
        exit_code, doc = self._review(tmp_path, failing)
        assert (doc["outcome"], exit_code) == (expected, code)
        assert doc["criteria_total"] == 19 and len(doc["failing"]) == len(failing)
        assert doc["recognition"]["decision"] == "9/QĐ-UBND"

    def test_model_commune_measured_against_advanced_set(self, tmp_path):
        from ntmcert import default_library

        assert default_library().get("vn/model-ntm-2021-2025").doc.review_against == "vn/ntm-advanced-2021-2025"


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def test_criteria_docs_are_up_to_date():
    """Acceptance 5: docs/criteria/ is what `ntmcert packs docs` would write now."""
    from ntmcert import default_library

    docs = criteria_docs(default_library())
    folder = ROOT / "docs" / "criteria"
    stale = [name for name, text in docs.items()
             if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text]
    assert not stale, f"run `ntmcert packs docs` to regenerate: {stale}"
    written = {p.relative_to(folder).as_posix() for p in folder.rglob("*.md")}
    assert written == set(docs), "docs/criteria/ holds files no pack produces"


class TestCommuneGroups:
    """The 2026–2030 set: the verdict reports the commune group chosen from the fact set."""

    @pytest.mark.parametrize("commune_extra,group", [({"group": 1}, 1),
                                                     ({"special": {"ethnic_minority_region": "II"}}, 3),
                                                     ({}, None)])
    def test_group_reported(self, commune_extra, group):
        data = base_factset(as_of=dt.date(2026, 6, 30), recognitions=[],
                            commune={"name": "Xã Mới", "province": "Vĩnh Long", "region": "dbscl", **commune_extra})
        verdict = evaluate(data, "vn/ntm-2026-2030")
        assert verdict.region["commune_group"]["value"] == group
        assert len(verdict.criteria) == 10

    def test_not_in_packs_without_groups(self):
        assert "commune_group" not in evaluate(base_factset(), "tra-vinh/smart-commune").region


def test_overlay_marks_a_criterion_not_applicable(tmp_path):
    """An overlay may mark a criterion not applicable (with its reason); the verdict ignores it."""
    from .test_packs import criterion, write_pack

    write_pack(tmp_path, "t/base", criterion() + "  - id: t.d\n    title: {vi: D, en: D}\n    indicators:\n"
               "      - {id: t.d.i, kind: compare, title: {vi: I, en: I}, fact: kiosks, op: '>=', threshold: 5, "
               "source: {document: t, provenance: inferred}}\n")
    write_pack(tmp_path, "t/child", "extends: t/base\ncriteria:\n  - id: t.d\n    override: true\n"
               "    not_applicable: Không áp dụng cho tỉnh này (test)\n")
    verdict = evaluate(base_factset(facts={"commune_records_online": {"count": 9, "of": 10}, "kiosks": 1}),
                       PackLibrary(root=tmp_path).get("t/child"))
    assert verdict.criterion("t.d").status == "not_applicable" and verdict.verdict == "certified"
    assert verdict.criterion("t.d").layer == "t/child"


def test_out_of_period_evaluation_is_flagged():
    """A pack asked for outside its period still answers, and says the result is for reference only."""
    data = base_factset(as_of=dt.date(2025, 6, 30), recognitions=[],
                        commune={"name": "Xã", "province": "Trà Vinh", "region": "dbscl",
                                 "special": {"ethnic_minority_region": "III"}})
    verdict = evaluate(data, "vn/ntm-2026-2030")
    assert any("outside the pack's period" in n.en for n in verdict.notes)
    assert verdict.region["used"] == "dbscl" and "groups communes" in verdict.region["reason"]["en"]
    assert not any("outside" in n.en for n in evaluate(base_factset(), "tra-vinh/smart-commune").notes)


def test_review_against_is_inherited_by_overlays():
    """The Trà Vinh model overlay is reviewed, like its national frame, against the advanced set."""
    result = runner.invoke(app, ["review", str(ROOT / "seeds" / "thanh-phu-2024.yaml"), "--pack",
                                 "tra-vinh/model-ntm-2021-2025", "--format", "json"])
    import json

    doc = json.loads(result.stdout)
    assert doc["measured_against"]["id"] == "vn/ntm-advanced-2021-2025" and doc["criteria_total"] == 19
