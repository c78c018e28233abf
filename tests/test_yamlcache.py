"""The parsed-rules cache: what it returns is always what the parser returns for the same bytes,
whatever is (or is not) in the cache folder, and the tool works the same when it cannot write."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ntmcert.core.errors import InputError
from ntmcert.core.paths import rules_dir
from ntmcert.inputs import yamlcache
from ntmcert.inputs.yamlcache import load_document, same
from ntmcert.inputs.yamlio import load_path

from .conftest import ROOT, THANH_PHU

RULE_FILES = sorted(rules_dir().rglob("*.yaml"))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder of this test; load_text counted, so a hit (no parse) can be told from a miss."""
    root = tmp_path / "cache"
    monkeypatch.setenv("NTMCERT_CACHE_DIR", str(root))
    monkeypatch.delenv("NTMCERT_NO_CACHE", raising=False)
    parses = []
    real = yamlcache.load_text

    def counting(*args, **kwargs):
        parses.append(args[1] if len(args) > 1 else kwargs.get("file"))
        return real(*args, **kwargs)

    monkeypatch.setattr(yamlcache, "load_text", counting)
    return root, parses


def entries(root: Path) -> list[Path]:
    return sorted(root.glob("parsed-*/*.json"))


def assert_same_document(doc, expected):
    assert same(doc.data, expected.data)
    assert list(doc.positions.items()) == list(expected.positions.items())
    assert doc.file == expected.file and doc.problems == expected.problems


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.relative_to(rules_dir()).as_posix())
def test_every_rule_file_reads_back_exactly(path, cache):
    """Each bundled file: parsed and stored, then read back without parsing, the same document
    (values, their types and decimal exponents, every key path's line) and the same bytes."""
    root, parses = cache
    expected = load_path(path)
    first, raw = load_document(path)
    assert raw == path.read_bytes()
    assert_same_document(first, expected)
    assert len(entries(root)) == 1 and len(parses) == 1
    second, raw2 = load_document(path)
    assert len(parses) == 1, "the second read must come from the cache"
    assert raw2 == raw
    assert_same_document(second, expected)


TRICKY = """\
format: x
decimals: [1.0, 1.00, -0.0, 0.000, 85.78, 1_000.5, 12345678901234567890.123456789]
ints: [0, -3, +7, 1_000, 123456789012345678901234567890]
flags: [true, false, yes, no, on, off, ~, null]
dates: [2024-02-29, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10, 2001-12-15T02:59:43.1Z]
texts: ["1.5", '2024-01-01', "yes", "Ấp 2", "A\u0301p", "multi\\nline", "", "[x]"]
"2024": {"on": 1, "0": [], "": {}}
nested: [[[{a: [{}]}]]]
"""


def test_tricky_values_read_back_exactly(tmp_path, cache):
    _, parses = cache
    path = tmp_path / "tricky.yaml"
    path.write_text(TRICKY, encoding="utf-8")
    expected = load_path(path)
    assert not expected.problems
    load_document(path)
    doc, _ = load_document(path)
    assert len(parses) == 1
    assert_same_document(doc, expected)
    assert [str(d) for d in doc.data["decimals"]] == [str(d) for d in expected.data["decimals"]]


def test_json_and_yaml_of_the_same_bytes_are_separate_entries(tmp_path, cache):
    """`1.0` is read alike, but the grammar differs: the key says which parser read the bytes."""
    root, parses = cache
    (tmp_path / "a.json").write_text('{"a": 1.0, "b": "x"}', encoding="utf-8")
    (tmp_path / "a.yaml").write_text('{"a": 1.0, "b": "x"}', encoding="utf-8")
    for name in ("a.json", "a.yaml", "a.json", "a.yaml"):
        doc, _ = load_document(tmp_path / name)
        assert_same_document(doc, load_path(tmp_path / name))
    assert len(entries(root)) == 2 and len(parses) == 2


def test_a_changed_file_is_parsed_again(tmp_path, cache):
    _, parses = cache
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    assert load_document(path)[0].data == {"a": 1}
    path.write_text("a: 2\n", encoding="utf-8")
    assert load_document(path)[0].data == {"a": 2}
    assert len(parses) == 2


def test_a_changed_parser_uses_another_folder(tmp_path, cache, monkeypatch):
    """The folder is named by a fingerprint of the parser's source: an edit to yamlio (or to the
    cache itself, or core.text) never reads an entry the old code wrote."""
    before = yamlcache._fingerprint()
    edited = tmp_path / "yamlio.py"
    edited.write_bytes(Path(yamlcache.yamlio.__file__).read_bytes() + b"\n# edited\n")
    monkeypatch.setattr(yamlcache.yamlio, "__file__", str(edited))
    yamlcache._fingerprint.cache_clear()
    try:
        assert yamlcache._fingerprint() not in (None, before)
    finally:
        monkeypatch.undo()
        yamlcache._fingerprint.cache_clear()
    assert yamlcache._fingerprint() == before


def _entry_for(path: Path, root: Path) -> Path:
    load_document(path)
    (entry,) = entries(root)
    return entry


def _rewrite(entry: Path, payload: bytes, *, header: dict | None = None) -> None:
    head = header or {"format": yamlcache.FORMAT, "key": entry.stem, "sha256": hashlib.sha256(payload).hexdigest()}
    entry.write_bytes(json.dumps(head).encode() + b"\n" + payload)


@pytest.mark.parametrize("damage", [
    "flip a byte", "truncate", "empty", "not json", "other key", "other format",
    "bad tag", "two keys beside a tag", "bad position", "position not an int", "extra part", "a list"])
def test_a_damaged_entry_is_ignored(tmp_path, cache, damage):
    """Whatever is wrong with an entry (even one whose checksum was made to match), the file is
    parsed again and the result is the parser's own."""
    root, parses = cache
    path = THANH_PHU
    entry = _entry_for(path, root)
    blob = entry.read_bytes()
    payload = blob.partition(b"\n")[2]
    if damage == "flip a byte":
        i = len(blob) - 20
        entry.write_bytes(blob[:i] + bytes([blob[i] ^ 0x01]) + blob[i + 1:])
    elif damage == "truncate":
        entry.write_bytes(blob[:len(blob) // 2])
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "not json":
        _rewrite(entry, b"{not json")
    elif damage == "other key":
        _rewrite(entry, payload, header={"format": yamlcache.FORMAT, "key": "0" * 64,
                                         "sha256": hashlib.sha256(payload).hexdigest()})
    elif damage == "other format":
        _rewrite(entry, payload, header={"format": "something/else", "key": entry.stem,
                                         "sha256": hashlib.sha256(payload).hexdigest()})
    elif damage == "bad tag":
        _rewrite(entry, payload.replace(b'"\\u0000date"', b'"\\u0000code"', 1))
    elif damage == "two keys beside a tag":
        _rewrite(entry, payload.replace(b'{"\\u0000date":', b'{"x":1,"\\u0000date":', 1))
    elif damage == "bad position":
        _rewrite(entry, payload.replace(b'"positions":[[', b'"positions":[["x"],[', 1))
    elif damage == "position not an int":
        _rewrite(entry, payload.replace(b'"positions":[[', b'"positions":[[true,1],[', 1))
    elif damage == "extra part":
        _rewrite(entry, payload[:-1] + b',"more":1}')
    elif damage == "a list":
        _rewrite(entry, b"[]")
    assert entry.read_bytes() != blob
    doc, _ = load_document(path)
    assert len(parses) == 2, "the damaged entry must not be used"
    assert_same_document(doc, load_path(path))


def test_a_folder_others_may_write_to_is_not_trusted(tmp_path, cache):
    root, parses = cache
    entry = _entry_for(THANH_PHU, root)
    entry.parent.chmod(0o777)
    try:
        load_document(THANH_PHU)
        assert len(parses) == 2
    finally:
        entry.parent.chmod(0o700)
    load_document(THANH_PHU)
    assert len(parses) == 2


def test_documents_with_problems_are_never_stored(tmp_path, cache):
    root, parses = cache
    path = tmp_path / "dup.yaml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    for _ in range(2):
        doc, _ = load_document(path)
        assert [p.code for p in doc.problems] == ["duplicate_key"]
    assert entries(root) == [] and len(parses) == 2


@pytest.mark.parametrize("content", [b"a: [1, 2\n", b"\xff\xfe bad utf-8", b"a: *x\n"])
def test_errors_are_the_parsers_own(tmp_path, cache, content):
    root, _ = cache
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError) as expected:
        load_path(path)
    with pytest.raises(InputError) as got:
        load_document(path)
    assert got.value.problems == expected.value.problems
    assert entries(root) == []


def test_missing_file_reports_as_before(tmp_path, cache):
    with pytest.raises(InputError) as expected:
        load_path(tmp_path / "nope.yaml")
    with pytest.raises(InputError) as got:
        load_document(tmp_path / "nope.yaml")
    assert got.value.problems == expected.value.problems


def test_an_unwritable_cache_changes_nothing(tmp_path, monkeypatch):
    """A cache folder that cannot be made (here: below a regular file) is not an error."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("NTMCERT_CACHE_DIR", str(blocker / "cache"))
    doc, _ = load_document(THANH_PHU)
    assert_same_document(doc, load_path(THANH_PHU))


def test_turned_off(tmp_path, cache, monkeypatch):
    root, parses = cache
    monkeypatch.setenv("NTMCERT_NO_CACHE", "1")
    load_document(THANH_PHU)
    load_document(THANH_PHU)
    assert not root.exists() and len(parses) == 2


def test_cli_output_is_the_same_with_a_cold_a_warm_and_no_cache(tmp_path):
    """The whole evaluation, byte for byte: no cache, an empty one (written), a full one (read)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NTMCERT_")}
    outputs = []
    for extra in ({"NTMCERT_NO_CACHE": "1"}, {"NTMCERT_CACHE_DIR": str(tmp_path / "c")},
                  {"NTMCERT_CACHE_DIR": str(tmp_path / "c")}):
        proc = subprocess.run([sys.executable, "-m", "ntmcert", "evaluate", str(THANH_PHU), "--format", "json"],
                              capture_output=True, cwd=ROOT, env={**env, **extra}, timeout=120)
        assert proc.returncode == 3, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(entries(tmp_path / "c")) == len(list(rules_dir().rglob("pack.yaml"))) + 1  # packs and catalogue
