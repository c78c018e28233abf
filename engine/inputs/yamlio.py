"""Strict loading of YAML and JSON documents, with a line for every key path.

Why by hand on top of PyYAML's composer: duplicate keys must be errors (PyYAML keeps the last),
aliases must be refused (a "billion laughs" document expands exponentially), numbers must stay
exact decimals read from their text (never binary floats), and every error must name its line.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypedDict, cast

import yaml
from ntmcert.core.errors import InputError, Location, ProblemCollector
from ntmcert.core.files import read_bounded
from ntmcert.core.text import has_control, nfc, printable
from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

MAX_BYTES = 5 * 1024 * 1024
"""The largest input file read: a fact set or pack is kilobytes; anything this large is a mistake."""
MAX_DIGITS = 30
"""Numbers in inputs are counts, percentages and money in millions: 30 significant digits and
exponents within ±30 leave ample room, and refuse values that would take ages to compare exactly."""

_YAML_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_YAML_FLOAT = re.compile(r"^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?$")
_JSON_NUMBER = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$")

KeyPath = tuple[str | int, ...]


def format_key_path(path: KeyPath) -> str:
    """Render ('facts', 'x', 'count') as facts.x.count and ('hamlets', 0) as hamlets[0]."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class Document:
    """A loaded document: its data and where each key path stands in the file."""

    def __init__(self, data: Any, file: str | None, positions: dict[KeyPath, tuple[int, int]],
                 problems: list | None = None):
        self.data = data
        self.file = file
        self.positions = positions
        # problems that did not stop loading (duplicate keys, bad scalars): the next stage reports
        # them together with its own, so one run shows every mistake of the file
        self.problems = list(problems or [])

    def collector(self) -> ProblemCollector:
        """A collector for the next stage, already holding this document's load problems."""
        collector = ProblemCollector(self.file)
        collector.extend(self.problems)
        return collector

    def locate(self, path: KeyPath) -> Location:
        """The location of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        for cut in range(len(path), -1, -1):
            pos = self.positions.get(path[:cut])
            if pos is not None:
                return Location(self.file, pos[0], pos[1], format_key_path(path) or None)
        return Location(self.file, None, None, format_key_path(path) or None)


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases while composing, before anything expands."""

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise _AliasFound(event.start_mark)
        return Composer.compose_node(self, parent, index)


class _AliasFound(Exception):
    def __init__(self, mark):
        self.mark = mark


_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_NULL_TAG = "tag:yaml.org,2002:null"
_TS_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"


def read_text(path: Path, collector: ProblemCollector) -> str | None:
    """Read a UTF-8 regular file of bounded size; report a problem instead of raising. A pipe or
    device is refused unread (core.files.open_regular); the size is bounded by the bytes read."""
    try:
        raw = read_bounded(path, MAX_BYTES)
    except InputError as exc:
        for p in exc.problems:
            collector.add(p.code, p.message)
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[:exc.start]
        line = before.count(b"\n") + 1
        start = before.rfind(b"\n") + 1
        column = len(before[start:].decode("utf-8", "replace")) + 1  # in characters, as an editor counts
        collector.add("file_not_utf8", f"the file is not UTF-8 text (byte {exc.start}: {raw[exc.start]:#04x}, "
                      f"line {line}, column {column}); save it as UTF-8", line=line, column=column)
        return None


def load_path(path: str | Path) -> Document:
    """Load a .yaml/.yml/.json file strictly; raise InputError with every problem found."""
    path = Path(path)
    collector = ProblemCollector(str(path))
    text = read_text(path, collector)
    collector.raise_if_any()
    # read_text returns None only after adding a problem, which raise_if_any has just raised
    return load_text(cast(str, text), str(path), json_syntax=path.suffix.lower() == ".json")


def load_document(path: str | Path) -> tuple[Document, bytes]:
    """The document at `path`, as `load_path` reads it, and the very bytes it was parsed from (one
    read: a pack's hash and its thresholds come from the same bytes, whatever changes the file)."""
    path = Path(path)
    try:
        raw = read_bounded(path, MAX_BYTES)
        text = raw.decode("utf-8")
    except (InputError, UnicodeDecodeError):
        return load_path(path), b""  # load_path raises the located problem
    return load_text(text, str(path), json_syntax=path.suffix.lower() == ".json"), raw


def load_text(text: str, file: str | None = None, *, json_syntax: bool = False) -> Document:
    """Load a document from text; JSON when asked, YAML otherwise."""
    collector = ProblemCollector(file)
    text = text.removeprefix("\ufeff")  # a byte-order mark, as Windows editors write: JSON too, like YAML and CSV
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        collector.add("file_too_large", f"the document is larger than {MAX_BYTES:,} bytes")
        collector.raise_if_any()
    if json_syntax:
        data = _load_json(text, collector)  # the JSON grammar, with its own messages and lines
        node = _compose_quietly(text)
        if node is None:  # valid JSON that PyYAML cannot read: keep the data, without lines
            check_text(data, (), collector)
            collector.raise_if_any()
            return Document(data, file, {}, collector.problems)
        # JSON is read again as a node tree for lines, duplicate keys and non-finite numbers
        collector = ProblemCollector(file)
        positions: dict[KeyPath, tuple[int, int]] = {}
        data = _build(node, (), positions, collector, json_scalars=True)
        return Document(data, file, positions, collector.problems)
    positions = {}
    node = _compose_fast(text)
    if node is not None:
        try:
            data = _build(node, (), positions, collector, seen=set())
            return Document(data, file, positions, collector.problems)
        except (_SharedNode, RecursionError):  # an alias: the careful path below names its line
            collector, positions = ProblemCollector(file), {}
    try:
        loader = _NoAliasLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except _AliasFound as exc:
        collector.add("yaml_alias", "YAML aliases (*name) are not allowed in ntmcert inputs",
                      line=exc.mark.line + 1, column=exc.mark.column + 1)
        collector.raise_if_any()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        collector.add("yaml_syntax", f"{exc.problem or exc.context}",
                      line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None)
        collector.raise_if_any()
    except yaml.reader.ReaderError as exc:  # a control character: its offset is known
        before = text[:exc.position]
        collector.add("yaml_syntax", f"character {exc.character!r} is not allowed in YAML text",
                      line=before.count("\n") + 1, column=exc.position - (before.rfind("\n") + 1) + 1)
        collector.raise_if_any()
    except yaml.YAMLError as exc:
        collector.add("yaml_syntax", str(exc).splitlines()[0])
        collector.raise_if_any()
    except RecursionError:
        collector.add("yaml_too_deep", "the document is nested too deeply")
        collector.raise_if_any()
    if node is None:
        return Document(None, file, {})
    try:
        data = _build(node, (), positions, collector)
    except RecursionError:
        collector.add("yaml_too_deep", "the document is nested too deeply")
        collector.raise_if_any()
    return Document(data, file, positions, collector.problems)


class _SharedNode(Exception):
    """The composed tree reuses a node: the document has an alias."""


def _compose_fast(text: str):
    """Compose with libyaml when it is there: about 13 times faster, which is most of a cold
    start. Aliases (a node reached twice) and every error go the careful pure-Python way."""
    if not getattr(yaml, "__with_libyaml__", False):
        return None
    try:
        loader = yaml.CSafeLoader(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except Exception:
        return None


def _compose_quietly(text: str):
    try:
        loader = _NoAliasLoader(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except (yaml.YAMLError, _AliasFound, RecursionError):
        return None


_COLLECTION_TAGS = {MappingNode: "tag:yaml.org,2002:map", SequenceNode: "tag:yaml.org,2002:seq"}


def _build(node, path: KeyPath, positions, collector: ProblemCollector, json_scalars: bool = False,
           seen: set | None = None) -> Any:
    if seen is not None:
        if id(node) in seen:
            raise _SharedNode()
        seen.add(id(node))
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    expected_tag = _COLLECTION_TAGS.get(type(node))
    if expected_tag is not None and node.tag != expected_tag:  # e.g. !!python/object on a mapping
        collector.add("yaml_bad_tag", f"tag {node.tag!r} is not accepted", line=node.start_mark.line + 1,
                      column=node.start_mark.column + 1, key_path=format_key_path(path) or None)
        return None
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                collector.add("yaml_bad_key", "a mapping key must be a plain scalar",
                              line=key_node.start_mark.line + 1, column=key_node.start_mark.column + 1,
                              key_path=format_key_path(path) or None)
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                collector.add("yaml_merge_key", "YAML merge keys (<<) are not allowed",
                              line=key_node.start_mark.line + 1, column=key_node.start_mark.column + 1,
                              key_path=format_key_path(path) or None)
                continue
            key = key_node.value  # keys are always their text: `on`, `2024` and `yes` stay strings
            if has_control(key):
                _control_problem(key, key_node, path + (printable(key),), collector, lines=False)
                continue
            key = nfc(key)
            child = path + (key,)
            if key in out:
                first = positions.get(child, (None, None))[0]
                collector.add("duplicate_key", f"key {key!r} appears twice (first at line {first})",
                              line=key_node.start_mark.line + 1, column=key_node.start_mark.column + 1,
                              key_path=format_key_path(child))
                continue
            out[key] = _build(value_node, child, positions, collector, json_scalars, seen)
            positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return out
    if isinstance(node, SequenceNode):
        return [_build(item, path + (i,), positions, collector, json_scalars, seen)
                for i, item in enumerate(node.value)]
    value = (_json_scalar if json_scalars else _scalar)(node, path, collector)
    if isinstance(value, str):
        if has_control(value, lines=_multiline(path)):
            _control_problem(value, node, path, collector, lines=_multiline(path))
            return None
        return nfc(value)  # one spelling of every name: NFD 'Ấp 2' and NFC 'Ấp 2' are one hamlet
    return value


# values that are one line wherever they are shown (a newline in a name could fake a report line)
_ONE_LINE_KEYS = frozenset({"name", "district", "province", "code", "id", "decision", "signer", "field", "format",
                            "version", "region", "tier", "kind", "op", "fact", "parameter", "extends", "pack"})


def _multiline(path: KeyPath) -> bool:
    keys = [p for p in path if isinstance(p, str)]
    return not keys or (keys[-1] not in _ONE_LINE_KEYS and "title" not in keys)


def check_text(node, path: KeyPath, collector: ProblemCollector) -> None:
    """Control characters anywhere in data given without a file (a dict, JSON read without positions)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and has_control(key):
                collector.add("text_control_character", f"the key {printable(key)!r} holds a control character",
                              key_path=format_key_path(path) or None)
            check_text(value, path + (key,), collector)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            check_text(value, path + (i,), collector)
    elif isinstance(node, str) and has_control(node, lines=_multiline(path)):
        collector.add("text_control_character", "the text holds a control character: remove it",
                      key_path=format_key_path(path) or None)


def _control_problem(text: str, node, path: KeyPath, collector: ProblemCollector, *, lines: bool) -> None:
    found = next(ch for ch in text if has_control(ch, lines=lines))
    collector.add("text_control_character", f"the text holds the control character {printable(found)} (at character "
                  f"{text.index(found) + 1}): remove it; names, notes and titles are shown on terminals and in reports",
                  line=node.start_mark.line + 1, column=node.start_mark.column + 1,
                  key_path=format_key_path(path) or None)


class _Where(TypedDict):
    """Where a scalar stands, as ProblemCollector.add takes it."""
    line: int
    column: int
    key_path: str | None


def _where(node: ScalarNode, path: KeyPath) -> _Where:
    return {"line": node.start_mark.line + 1, "column": node.start_mark.column + 1,
            "key_path": format_key_path(path) or None}


def _check_size(value: int | Decimal, text: str, where: _Where, collector: ProblemCollector) -> int | Decimal | None:
    """Refuse numbers too long or too far from 1 to be counts, shares or money."""
    digits = len(str(abs(value))) if isinstance(value, int) else len(value.as_tuple().digits)
    exponent = 0 if isinstance(value, int) else value.adjusted()
    if digits > MAX_DIGITS or abs(exponent) > MAX_DIGITS:
        collector.add("bad_number", f"{text[:40]!r} is out of range (at most {MAX_DIGITS} digits)", **where)
        return None
    return value


def _json_scalar(node: ScalarNode, path: KeyPath, collector: ProblemCollector) -> Any:
    text = node.value
    where = _where(node, path)
    if node.style in ("'", '"'):
        return text
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    if text in ("NaN", "Infinity", "-Infinity"):
        collector.add("non_finite_number", f"{text} is not a finite number", **where)
        return None
    if _JSON_NUMBER.match(text):
        if "." in text or "e" in text or "E" in text:
            return _check_size(Decimal(text), text, where, collector)
        if len(text.lstrip("-")) > MAX_DIGITS:
            return _check_size(10**MAX_DIGITS, text, where, collector)
        return int(text)
    collector.add("json_syntax", f"{text[:40]!r} is not a JSON value", **where)
    return None


def _scalar(node: ScalarNode, path: KeyPath, collector: ProblemCollector) -> Any:
    text = node.value
    tag = node.tag
    where = _where(node, path)
    if tag == _STR_TAG or node.style in ("'", '"', "|", ">"):
        return text
    if tag == _NULL_TAG:
        return None
    if tag == _BOOL_TAG:
        return text.lower() in ("true", "yes", "on", "y")
    if tag == _INT_TAG:
        # YAML 1.1 also reads 010 as octal 8, 0x1F as hex and 1:30 as 90: refuse all but decimal
        if not _YAML_INT.match(text) or len(text.replace("_", "").lstrip("+-")) > MAX_DIGITS:
            collector.add("bad_number", f"{text[:40]!r}: write whole numbers in plain decimal, without leading "
                          f"zeros (at most {MAX_DIGITS} digits)", **where)
            return None
        return int(text.replace("_", ""))
    if tag == _FLOAT_TAG:
        cleaned = text.replace("_", "")
        if cleaned.lower().lstrip("+-") in (".inf", ".nan"):
            collector.add("non_finite_number", f"{text!r} is not a finite number", **where)
            return None
        if not _YAML_FLOAT.match(text):  # e.g. sexagesimal 1:30.5
            collector.add("bad_number", f"{text[:40]!r}: write numbers in plain decimal", **where)
            return None
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            collector.add("bad_number", f"{text!r} is not a number", **where)
            return None
        return _check_size(value, text, where, collector)
    if tag == _TS_TAG:
        try:
            return yaml.SafeLoader.construct_yaml_timestamp(_NoAliasLoader(""), node)
        except (ValueError, yaml.YAMLError) as exc:
            collector.add("bad_date", f"{text!r} is not a real date ({exc})", **where)
            return None
    if tag.startswith("tag:yaml.org,2002:"):
        collector.add("yaml_bad_tag", f"values of type {tag.rsplit(':', 1)[-1]!r} are not accepted", **where)
        return None
    collector.add("yaml_bad_tag", f"custom tag {tag!r} is not accepted", **where)
    return None


def _load_json(text: str, collector: ProblemCollector) -> Any:
    """Check the JSON grammar (with the json module's messages and lines) and return the data.

    Duplicate keys, NaN/Infinity and oversized numbers are not reported here: the node walk that
    follows reports them with their lines and key paths.
    """
    def pairs(items):
        out = {}
        for key, value in items:
            out.setdefault(key, value)
        return out

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_float=Decimal, parse_constant=lambda name: None,
                          parse_int=lambda digits: int(digits) if len(digits) <= MAX_DIGITS + 1 else None)
    except json.JSONDecodeError as exc:
        collector.add("json_syntax", exc.msg, line=exc.lineno, column=exc.colno)
    except RecursionError:
        collector.add("json_too_deep", "the document is nested too deeply")
    collector.raise_if_any()
    return None


def to_date(value: Any) -> dt.date | None:
    """A date from a YAML date, a datetime or an ISO string; None when it is none of those."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None
