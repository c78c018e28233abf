"""Both engines give the same verdict: 1,000 edge-biased fact sets per bundled pack, plus a
hypothesis property that shrinks any disagreement to a small example."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ntmcert import default_library, evaluate, load_factset
from ntmcert.evaluation.engines import get_engine

from .strategies import Draw, factset

PACK_IDS = default_library().ids()
BULK = 1000


def _without_engine(verdict) -> dict:
    data = verdict.to_dict()
    data.pop("engine")
    return data


def _compare(fs_dict, pack) -> None:
    fs = load_factset(fs_dict)
    durable = evaluate(fs, pack, engine="durable")
    reference = evaluate(fs, pack, engine="reference")
    assert _without_engine(durable) == _without_engine(reference)


@pytest.mark.skipif(get_engine("durable").name != "durable-rules", reason="durable-rules not importable here")
class TestEnginesAgree:
    @pytest.mark.parametrize("pack_id", PACK_IDS)
    def test_bulk_generated_factsets(self, pack_id, library, catalogue):
        """1,000 generated fact sets per pack: identical verdict JSON apart from the engine name."""
        pack = library.get(pack_id)
        rng = random.Random(f"differential:{pack_id}")
        statuses = set()
        for _ in range(BULK):
            fs_dict = factset(Draw(rng), pack, catalogue)
            fs = load_factset(fs_dict)
            durable = evaluate(fs, pack, engine="durable")
            assert _without_engine(durable) == _without_engine(evaluate(fs, pack, engine="reference")), fs_dict
            statuses.add(durable.verdict)
            statuses.update(i.status for c in durable.criteria for i in c.indicators)
        # the generator really reaches the edges: passes, fails and open statuses all occur
        assert {"pass", "fail", "missing"} <= statuses

    @pytest.mark.parametrize("pack_id", PACK_IDS)
    @given(data=st.data())
    def test_property(self, pack_id, library, catalogue, data):
        _compare(factset(Draw(data), library.get(pack_id), catalogue), library.get(pack_id))
