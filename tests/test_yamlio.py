"""Strict loading: exact decimals, duplicate keys, aliases, non-finite numbers, impossible dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from ntmcert.core.errors import InputError
from ntmcert.inputs.yamlio import MAX_BYTES, load_path, load_text


def codes(text: str, **kw) -> list[str]:
    doc = load_text(text, "f.yaml", **kw)
    return [p.code for p in doc.problems]


class TestLoadText:
    def test_numbers_are_exact_decimals(self):
        doc = load_text("a: 85.78\nb: 1_000\nc: 0.1\nd: -3\n")
        assert doc.data == {"a": Decimal("85.78"), "b": 1000, "c": Decimal("0.1"), "d": -3}
        assert isinstance(doc.data["c"], Decimal)

    def test_keys_stay_text(self):
        """`on`, `yes` and `2024` as keys are their text, not booleans or numbers."""
        assert load_text("on: 1\n2024: 2\nyes: 3\n").data == {"on": 1, "2024": 2, "yes": 3}

    def test_positions_for_key_paths(self):
        doc = load_text("a:\n  b:\n    - x\n    - y: 1\n")
        loc = doc.locate(("a", "b", 1, "y"))
        assert (loc.line, loc.key_path) == (4, "a.b[1].y")
        assert doc.locate(("a", "zzz")).line == 1  # falls back to the nearest ancestor

    def test_duplicate_key_is_reported_with_both_lines(self):
        doc = load_text("a: 1\nb: 2\na: 3\n", "f.yaml")
        (p,) = doc.problems
        assert p.code == "duplicate_key" and p.location.line == 3 and "first at line 1" in p.message
        assert doc.data["a"] == 1

    @pytest.mark.parametrize("text,code", [("a: .nan\n", "non_finite_number"), ("a: -.inf\n", "non_finite_number"),
                                           ("a: 2024-02-30\n", "bad_date"), ("a: !!python/object:os.system x\n",
                                                                              "yaml_bad_tag"),
                                           ("<<: {a: 1}\n", "yaml_merge_key"), ("? [a]\n: 1\n", "yaml_bad_key")])
    def test_bad_scalars(self, text, code):
        assert codes(text) == [code]

    def test_alias_refused_before_expansion(self):
        laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True))
        with pytest.raises(InputError) as err:
            load_text(laughs, "laughs.yaml")
        assert [p.code for p in err.value.problems] == ["yaml_alias"]
        assert err.value.problems[0].location.line == 2

    def test_syntax_error_has_a_line(self):
        with pytest.raises(InputError) as err:
            load_text("a: [1, 2\nb: 3\n", "f.yaml")
        (p,) = err.value.problems
        assert p.code == "yaml_syntax" and p.location.line is not None

    def test_dates(self):
        assert load_text("d: 2024-08-31\n").data["d"] == dt.date(2024, 8, 31)


class TestJson:
    def test_json_decimals_and_duplicates(self):
        doc = load_text('{"a": 85.78, "a": 1, "b": 1e5}', "f.json", json_syntax=True)
        assert doc.data["a"] == Decimal("85.78") and doc.data["b"] == Decimal("1E+5")
        assert [(p.code, p.location.line, p.location.key_path) for p in doc.problems] == [("duplicate_key", 1, "a")]

    def test_json_nan_refused_with_its_line(self):
        doc = load_text('{"a": 1,\n "b": NaN}', "f.json", json_syntax=True)
        (p,) = doc.problems
        assert (p.code, p.location.line, p.location.key_path) == ("non_finite_number", 2, "b")

    def test_json_positions(self):
        doc = load_text('{"facts": {\n  "kiosks": 2}}', "f.json", json_syntax=True)
        assert doc.locate(("facts", "kiosks")).line == 2

    @pytest.mark.parametrize("text", ["a: 010\n", "a: 0x1F\n", "a: 1:30\n", "a: 1.0e+99999\n",
                                      "a: 1234567890123456789012345678901\n"])
    def test_yaml_numbers_only_plain_decimal(self, text):
        assert codes(text) == ["bad_number"]

    @pytest.mark.parametrize("text", ["a: !!python/object:os.system {b: 1}\n", "a: !!set {x}\n",
                                      "a: !!python/object/apply:os.system [ls]\n"])
    def test_tags_on_collections_refused(self, text):
        assert codes(text) == ["yaml_bad_tag"]

    def test_json_syntax(self):
        with pytest.raises(InputError) as err:
            load_text('{"a": 1,,}', "f.json", json_syntax=True)
        assert err.value.problems[0].code == "json_syntax" and err.value.problems[0].location.line == 1


def test_file_too_large(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: 1\n" + b"#" * (MAX_BYTES + 1))
    with pytest.raises(InputError) as err:
        load_path(path)
    assert err.value.problems[0].code == "file_too_large"


def test_not_utf8(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes("a: Thạnh".encode("utf-16"))
    with pytest.raises(InputError) as err:
        load_path(path)
    assert err.value.problems[0].code == "file_not_utf8"


def test_load_document_parses_the_bytes_it_returns():
    """A pack's hash and its thresholds come from one read of the file: every rule file loads as
    `load_path` loads it, with exactly the file's bytes beside it."""
    from ntmcert.core.paths import rules_dir
    from ntmcert.inputs.yamlio import load_document, load_path

    files = sorted(p for p in rules_dir().rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    assert len(files) >= 10
    for path in files:
        document, raw = load_document(path)
        again = load_path(path)
        assert raw == path.read_bytes()
        assert (document.data, document.positions, document.file) == (again.data, again.positions, again.file)
