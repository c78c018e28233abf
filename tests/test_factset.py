"""Fact sets: the value forms, their validation against the catalogue, recognitions, the hash."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from ntmcert.core.errors import InputError
from ntmcert.inputs.factset import FactSetInput, PartialDate, load_factset

from .conftest import THANH_PHU, base_factset


def problems(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(InputError) as err:
        load_factset(data)
    return [(p.code, p.location.key_path) for p in err.value.problems]


class TestValueForms:
    def test_ratio_percent_bound_number_boolean(self):
        fs = load_factset(base_factset(facts={
            "commune_records_online": {"count": 1362, "of": 1508, "note": "n", "source": "s"},
            "households_with_smartphone": {"percent": Decimal("95")},
            "income_per_capita": {"ge": 66},
            "kiosks": 2,
            "full_online_public_services": {"value": True},
        }))
        ratio = fs.facts["commune_records_online"]
        assert ratio.interval.lo == Fraction(1362, 1508) and ratio.note == "n" and ratio.source == "s"
        assert fs.facts["households_with_smartphone"].interval.lo == Fraction(95, 100)
        bound = fs.facts["income_per_capita"].interval
        assert (bound.lo, bound.hi, bound.lo_closed) == (66, None, True)
        assert fs.facts["kiosks"].interval.lo == 2
        assert fs.facts["full_online_public_services"].boolean is True

    def test_percent_bound_is_an_interval_within_100(self):
        fs = load_factset(base_factset(facts={"households_with_smartphone": {"percent": {"gt": 90}}}))
        iv = fs.facts["households_with_smartphone"].interval
        assert (iv.lo, iv.lo_closed, iv.hi, iv.hi_closed) == (Fraction(9, 10), False, 1, True)

    @pytest.mark.parametrize("value,code", [
        ({"count": -1, "of": 10}, "fact_negative"),
        ({"count": 11, "of": 10}, "fact_count_above_of"),
        ({"count": 1, "of": 0}, "fact_zero_of"),
        ({"count": Decimal("1.5"), "of": 10}, "fact_not_whole"),
        ({"count": "7", "of": 10}, "fact_bad_type"),
        ({"percent": Decimal("100.01")}, "fact_percent_range"),
        ({"percent": {"gt": 100}}, "fact_empty_bound"),
        ({"percent": {"gt": 50, "ge": 40}}, "fact_bad_shape"),
        (85, "fact_bad_type"),
        (True, "fact_bad_type"),
        ({"value": 1, "extra": 2}, "fact_bad_shape"),
    ])
    def test_bad_share_values(self, value, code):
        found = problems(base_factset(facts={"commune_records_online": value}))
        assert found[0][0] == code and found[0][1].startswith("facts.commune_records_online")

    def test_hectare_shares_may_be_fractional(self):
        fs = load_factset(base_factset(facts={"farmland_active_irrigation": {"count": Decimal("812.5"), "of": 1000}}))
        assert fs.facts["farmland_active_irrigation"].interval.lo == Fraction(8125, 10000)

    @pytest.mark.parametrize("fact,value,code", [
        ("kiosks", Decimal("2.5"), "fact_not_whole"), ("kiosks", -1, "fact_negative"),
        ("income_per_capita", "80", "fact_bad_type"), ("full_online_public_services", 1, "fact_bad_type"),
        ("kiosks", None, "fact_null"),
    ])
    def test_bad_other_values(self, fact, value, code):
        assert problems(base_factset(facts={fact: value}))[0][0] == code

    def test_unknown_fact_suggests(self):
        with pytest.raises(InputError) as err:
            load_factset(base_factset(facts={"kiosk": 1}))
        assert "did you mean 'kiosks'" in err.value.problems[0].message

    def test_wrong_level(self):
        assert problems(base_factset(facts={"automation_stages": {"count": 1, "of": 2}}))[0][0] == "fact_wrong_level"
        assert problems(base_factset(hamlets=[{"name": "A", "facts": {"kiosks": 1}}]))[0][0] == "fact_wrong_level"

    def test_duplicate_hamlet(self):
        assert ("hamlet_duplicate", "hamlets[1].name") in problems(base_factset(hamlets=[{"name": "A"}, {"name": "A"}]))


class TestEnvelope:
    @pytest.mark.parametrize("change,path", [
        ({"commune": {"name": "X", "province": "Trà Vinh", "region": "mekong"}}, "commune.region"),
        ({"as_of": "2024-02-30"}, "as_of"),
        ({"format": "ntmcert/factset/v2"}, "format"),
        ({"recognitions": [{"tier": "gold", "decision": "1", "date": "2023"}]}, "recognitions[0].tier"),
        ({"recognitions": [{"tier": "ntm", "decision": "1", "date": "2023-13"}]}, "recognitions[0].date"),
        ({"surprise": 1}, "surprise"),
    ])
    def test_located_envelope_errors(self, change, path):
        found = problems(base_factset(**change))
        assert any(p == path for _, p in found), found

    def test_all_problems_at_once(self):
        data = base_factset(facts={"kiosks": -1, "kiosk": 1}, surprise=True)
        assert len(problems(data)) == 3

    def test_pydantic_model_input(self):
        model = FactSetInput.model_validate(base_factset(facts={"kiosks": 2}))
        assert load_factset(model).facts["kiosks"].interval.lo == 2


class TestRecognitions:
    def test_partial_dates_count_only_when_surely_before(self):
        assert PartialDate.parse("2023").latest == dt.date(2023, 12, 31)
        assert PartialDate.parse("2024-02").latest == dt.date(2024, 2, 29)
        fs = load_factset(base_factset(as_of=dt.date(2023, 6, 30), recognitions=[
            {"tier": "ntm_advanced", "decision": "1", "date": "2023"},
            {"tier": "ntm_model", "decision": "2", "date": "2023-06"},
            {"tier": "ntm", "decision": "3", "date": dt.date(2023, 6, 30)},
        ]))
        from ntmcert.inputs.factset import Tier

        assert fs.counting_recognitions(Tier.ntm_advanced) == []  # might be after as_of
        assert [r.decision for r in fs.counting_recognitions(Tier.ntm_model)] == ["2"]
        assert [r.decision for r in fs.counting_recognitions(Tier.ntm)] == ["3"]


class TestHash:
    def test_order_and_spelling_do_not_change_the_hash(self):
        a = base_factset(facts={"kiosks": 2, "income_per_capita": Decimal("78.60")},
                         hamlets=[{"name": "B"}, {"name": "A"}])
        b = base_factset(facts={"income_per_capita": Decimal("78.6"), "kiosks": 2},
                         hamlets=[{"name": "A"}, {"name": "B"}])
        b["recognitions"].reverse()
        assert load_factset(a).sha256 == load_factset(b).sha256

    def test_any_value_change_changes_the_hash(self):
        a = load_factset(base_factset(facts={"kiosks": 2})).sha256
        assert load_factset(base_factset(facts={"kiosks": 3})).sha256 != a
        assert load_factset(base_factset(facts={"kiosks": {"value": 2, "note": "x"}})).sha256 != a

    def test_seed_loads(self):
        fs = load_factset(THANH_PHU)
        assert fs.commune.name == "Thạnh Phú" and fs.as_of == dt.date(2024, 8, 31)
        assert fs.facts["commune_records_online"].count == 1362
