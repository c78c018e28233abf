"""Pack loading: every bundled pack resolves; each kind of pack mistake is a coded, located error."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from ntmcert.core.errors import InputError, PackNotFoundError
from ntmcert.packs.library import PackLibrary
from ntmcert.packs.registry import comparisons as iter_comparisons

HEADER = """format: ntmcert/pack/v1
id: {id}
version: 1.0.0
title: {{vi: Thử, en: Test}}
tier: smart
scope: {{valid_from: 2020-01-01}}
legal_basis:
  - {{document: test, provenance: inferred}}
"""

INDICATOR = """      - id: {ind}
        kind: compare
        title: {{vi: Chỉ tiêu, en: Indicator}}
        fact: {fact}
        op: "{op}"
        threshold: {threshold}
        source: {{document: test, provenance: inferred}}
"""


def write_pack(root: Path, pack_id: str, body: str, header: str = HEADER) -> Path:
    path = root / pack_id / "pack.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header.format(id=pack_id) + textwrap.dedent(body), encoding="utf-8")
    return path


def criterion(ind="t.c.i", fact="commune_records_online", op=">=", threshold="{percent: 85}", extra=""):
    return ("criteria:\n  - id: t.c\n    title: {vi: Tiêu chí, en: Criterion}\n" + extra + "    indicators:\n"
            + INDICATOR.format(ind=ind, fact=fact, op=op, threshold=threshold))


def load_errors(root: Path, pack_id: str) -> list:
    with pytest.raises(InputError) as err:
        PackLibrary(root=root).get(pack_id)
    return err.value.problems


class TestBundled:
    def test_every_bundled_pack_resolves(self, library):
        ids = library.ids()
        assert {"vn/model-ntm-2021-2025", "tra-vinh/model-ntm-2021-2025", "tra-vinh/smart-commune",
                "vn/smart-commune-pilot"} <= set(ids)
        for pack in library.all():
            assert pack.criteria and len(pack.sha256) == 64

    def test_every_threshold_has_a_source(self, library):
        for pack in library.all():
            for crit in pack.criteria:
                for ind in crit.indicators:
                    for cmp in iter_comparisons(ind.spec):
                        assert cmp.source.document and cmp.source.provenance

    def test_overlay_layers_are_recorded(self, library):
        pack = library.get("tra-vinh/model-ntm-2021-2025")
        assert pack.chain == ("tra-vinh/model-ntm-2021-2025", "vn/model-ntm-2021-2025")
        layers = {ind.spec.id: ind.layer for c in pack.criteria for ind in c.indicators}
        assert layers["km.income"] == "vn/model-ntm-2021-2025"
        assert layers["km.smart_hamlet"] == "tra-vinh/model-ntm-2021-2025"
        assert pack.parameters["advanced_income_threshold"].layer == "vn/model-ntm-2021-2025"
        assert [p.id for p in pack.prerequisites] == ["km.advanced"]

    def test_ids_from_the_criteria_tables(self, library):
        ids = set(library.get("tra-vinh/smart-commune").indicator_index())
        assert {"tv.smart.gov.records_online", "tv.smart.eco.smart_cooperative", "tv.smart.soc.cameras"} <= ids

    def test_unknown_pack(self, library):
        with pytest.raises(PackNotFoundError):
            library.get("nowhere/nothing")

    def test_partial_pack_cannot_certify(self, library):
        pilot = library.get("vn/smart-commune-pilot")
        assert pilot.doc.completeness == "partial" and pilot.doc.completeness_note


class TestMistakes:
    @pytest.mark.parametrize("body,code,key", [
        (criterion().replace("        source: {document: test, provenance: inferred}\n", ""), "pack_missing_key",
         "criteria[0].indicators[0].source"),
        (criterion(op="=>"), "pack_unknown_operator", "criteria[0].indicators[0].op"),
        (criterion(fact="commune_record_online"), "pack_unknown_fact", "criteria[0].indicators[0].fact"),
        (criterion(threshold="85"), "pack_threshold_kind", "criteria[0].indicators[0].threshold"),
        (criterion(threshold="{parameter: nothing_here}", fact="income_per_capita"), "pack_dangling_parameter",
         "criteria[0].indicators[0].threshold.parameter"),
        (criterion(fact="full_online_public_services", threshold="true", op=">="), "pack_bad_operator",
         "criteria[0].indicators[0].op"),
        (criterion(fact="automation_stages"), "pack_fact_level", "criteria[0].indicators[0].fact"),
        (criterion(threshold="'85%'"), "pack_bad_threshold", "criteria[0].indicators[0].threshold"),
    ])
    def test_located_errors(self, tmp_path, body, code, key):
        write_pack(tmp_path, "t/p", body)
        found = load_errors(tmp_path, "t/p")
        assert any(p.code == code and (p.location.key_path or "").startswith(key) and p.location.line
                   for p in found), found

    def test_id_must_match_folder(self, tmp_path):
        path = write_pack(tmp_path, "t/p", criterion())
        path.write_text(path.read_text().replace("id: t/p", "id: t/q"))
        assert load_errors(tmp_path, "t/p")[0].code == "pack_id_mismatch"

    def test_extends_missing_pack(self, tmp_path):
        write_pack(tmp_path, "t/child", "extends: t/nowhere\n" + criterion())
        (p,) = load_errors(tmp_path, "t/child")
        assert p.code == "pack_extends_missing" and p.location.key_path == "extends" and p.location.line

    def test_extends_cycle(self, tmp_path):
        write_pack(tmp_path, "t/a", "extends: t/b\n" + criterion())
        write_pack(tmp_path, "t/b", "extends: t/a\n" + criterion(ind="t.c.j"))
        (p,) = load_errors(tmp_path, "t/a")
        assert p.code == "pack_extends_cycle" and "t/a → t/b → t/a" in p.message

    def test_silent_override_refused(self, tmp_path):
        write_pack(tmp_path, "t/base", criterion())
        write_pack(tmp_path, "t/child", "extends: t/base\n" + criterion(threshold="{percent: 90}"))
        codes = [p.code for p in load_errors(tmp_path, "t/child")]
        assert codes == ["pack_silent_override"]

    def test_explicit_override_replaces_and_records_layer(self, tmp_path):
        write_pack(tmp_path, "t/base", criterion())
        body = criterion(threshold="{percent: 90}", extra="    override: true\n").replace(
            "        kind: compare\n", "        kind: compare\n        override: true\n")
        write_pack(tmp_path, "t/child", "extends: t/base\n" + body)
        pack = PackLibrary(root=tmp_path).get("t/child")
        (ind,) = pack.criteria[0].indicators
        assert ind.layer == "t/child" and str(ind.spec.threshold.percent) == "90"

    def test_override_of_nothing(self, tmp_path):
        write_pack(tmp_path, "t/base", criterion())
        write_pack(tmp_path, "t/child", "extends: t/base\n" + criterion(ind="t.c.new").replace(
            "  - id: t.c\n", "  - id: t.other\n").replace("    indicators:", "    override: true\n    indicators:"))
        assert [p.code for p in load_errors(tmp_path, "t/child")] == ["pack_override_nothing"]

    def test_parameter_without_value_must_say_why(self, tmp_path):
        body = "parameters:\n  p:\n    title: {vi: P, en: P}\n    values: []\n" + criterion(
            fact="income_per_capita", threshold="{parameter: p}")
        write_pack(tmp_path, "t/p", body)
        found = load_errors(tmp_path, "t/p")
        assert found[0].code == "pack_invalid" and found[0].location.key_path.startswith("parameters.p")
        assert "unknown_source" in found[0].message

    def test_several_mistakes_reported_together(self, tmp_path):
        body = criterion(fact="nope_a") + INDICATOR.format(ind="t.c.k", fact="nope_b", op=">=", threshold="1")
        write_pack(tmp_path, "t/p", body)
        assert [p.code for p in load_errors(tmp_path, "t/p")] == ["pack_unknown_fact", "pack_unknown_fact"]
