"""A cache of parsed rule files (packs, the fact catalogue), keyed by their content.

Reading the bundled packs and catalogue with a line for every key path is ~30 ms of every cold
start (PyYAML composing, then yamlio's strict walk); reading the same result back as JSON is ~6 ms.
Only what yamlio would produce from the very same bytes is ever returned, so the cache is safe to
lose, share between versions or corrupt:

- an entry is found by the SHA-256 of the file's bytes (and whether it is read as JSON or YAML), in
  a folder named by a fingerprint of the parser: the source of yamlio, core.text and this module,
  and the versions of Python, its Unicode tables and PyYAML. Edit either, or the file, and the old
  entry is simply never looked up again: nothing can be stale.
- an entry is read only from a folder the user owns and no one else may write to; it carries the
  SHA-256 of its payload, and anything that does not verify or decode to the expected shape is
  ignored (the file is parsed as if there were no cache). Entries are JSON: reading one never runs
  code.
- only a document that loaded without any problem is stored (errors are always found and worded by
  the parser itself), and only after its encoded form was read back and compared equal, types and
  decimal exponents included.
- an entry is written whole or not at all (a temporary file renamed into place); any failure to
  write (read-only or full disk, no home folder) is ignored: the tool works the same without.

Where: $NTMCERT_CACHE_DIR, else the platform's cache folder (~/.cache/ntmcert on Linux).
NTMCERT_NO_CACHE=1 turns it off. Deleting the folder at any time is harmless.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import stat
import sys
import tempfile
import unicodedata
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from ntmcert.core import text
from ntmcert.core.errors import InputError
from ntmcert.core.files import read_bounded
from ntmcert.inputs import yamlio
from ntmcert.inputs.yamlio import MAX_BYTES, Document, KeyPath, load_path, load_text

FORMAT = "ntmcert/parsed-cache/v1"
MAX_ENTRIES = 256  # per parser fingerprint: the bundled rules are ten files; edits while writing packs add more
_TAG = "\x00"  # starts the one key of a tagged value; a clean document never has a control character in a key


def load_document(path: str | Path) -> tuple[Document, bytes]:
    """The document at `path` (as `load_path` reads it) and the bytes it was read from, in one read.

    A bad file raises exactly what `load_path` raises (it is then read by `load_path` itself)."""
    path = Path(path)
    try:
        raw = read_bounded(path, MAX_BYTES)
        text = raw.decode("utf-8")
    except (InputError, UnicodeDecodeError):
        return load_path(path), read_bounded(path, MAX_BYTES)  # the parser's own report of what is wrong
    json_syntax = path.suffix.lower() == ".json"
    folder = _folder()
    key = hashlib.sha256((b"json\0" if json_syntax else b"yaml\0") + raw).hexdigest()
    if folder is not None:
        cached = _read(folder, key, str(path))
        if cached is not None:
            return cached, raw
    document = load_text(text, str(path), json_syntax=json_syntax)
    if folder is not None and not document.problems:
        _write(folder, key, document)
    return document, raw


# ------------------------------------------------------------------ where

def cache_root() -> Path | None:
    """The cache folder for ntmcert (not created here); None when turned off or unknown."""
    if os.environ.get("NTMCERT_NO_CACHE"):
        return None
    given = os.environ.get("NTMCERT_CACHE_DIR")
    if given:
        return Path(given)
    if sys.platform.startswith("linux") or (os.name == "posix" and sys.platform != "darwin"):
        base = os.environ.get("XDG_CACHE_HOME", "")
        if not os.path.isabs(base):  # the XDG rule: a relative value is ignored
            base = os.path.join(os.path.expanduser("~"), ".cache")
        return None if base.startswith("~") else Path(base) / "ntmcert"
    from platformdirs import user_cache_dir  # macOS, Windows: imported only there

    return Path(user_cache_dir("ntmcert", appauthor=False))


def _folder() -> Path | None:
    root = cache_root()
    fingerprint = _fingerprint()
    if root is None or fingerprint is None:
        return None
    return root / f"parsed-{fingerprint[:24]}"


@lru_cache(maxsize=1)
def _fingerprint() -> str | None:
    """What the parse of given bytes depends on, besides the bytes; None (no cache) when the
    parser's source cannot be read (e.g. a zipped install)."""
    h = hashlib.sha256(f"{FORMAT}\0{sys.version}\0{unicodedata.unidata_version}\0{yaml.__version__}\0"
                       f"{getattr(yaml, '__with_libyaml__', False)}\0".encode())
    with contextlib.suppress(ImportError, AttributeError):
        from yaml import _yaml

        h.update(_yaml.get_version_string().encode())
    for module in (yamlio, text, sys.modules[__name__]):
        try:
            h.update(Path(module.__file__ or "").read_bytes())
        except OSError:
            return None
    return h.hexdigest()


def _private(folder: Path) -> bool:
    """Whether `folder` is a real folder of this user that nobody else may write to."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    getuid = getattr(os, "getuid", None)
    return getuid is None or (st.st_uid == getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


# ------------------------------------------------------------------ read

def _read(folder: Path, key: str, file: str) -> Document | None:
    """The cached document for `key`, or None for anything short of a complete, verified entry."""
    entry = folder / f"{key}.json"
    if not entry.is_file() or not _private(folder):
        return None
    try:
        blob = read_bounded(entry, 8 * MAX_BYTES)
        header, _, payload = blob.partition(b"\n")
        head = json.loads(header)
        if (not isinstance(head, dict) or head.get("format") != FORMAT or head.get("key") != key
                or head.get("sha256") != hashlib.sha256(payload).hexdigest()):
            return None
        return _decode(json.loads(payload, object_hook=_untag), file)
    except (InputError, OSError, ValueError, TypeError, KeyError, RecursionError):
        return None


def _untag(obj: dict[str, Any]) -> Any:
    tagged = [k for k in obj if k.startswith(_TAG)]
    if not tagged:
        return obj
    if len(obj) != 1:
        raise ValueError("a tagged value has one key")
    tag, text = tagged[0], obj[tagged[0]]
    if not isinstance(text, str):
        raise ValueError("a tagged value is text")
    if tag == _TAG + "decimal":
        value = Decimal(text)
        if not value.is_finite():
            raise ValueError("decimals are finite")
        return value
    if tag == _TAG + "date":
        return dt.date.fromisoformat(text)
    if tag == _TAG + "datetime":
        return dt.datetime.fromisoformat(text)
    raise ValueError(f"unknown tag {tag!r}")


def _decode(payload: Any, file: str) -> Document:
    if not isinstance(payload, dict) or set(payload) != {"data", "positions"} or not isinstance(
            payload["positions"], list):
        raise ValueError("not a cached document")
    positions: dict[KeyPath, tuple[int, int]] = {}
    for row in payload["positions"]:
        if not isinstance(row, list) or len(row) < 2:
            raise ValueError("a position is [key path…, line, column]")
        *where, line, column = row
        if not all(type(x) is int and x > 0 for x in (line, column)) or not all(
                type(p) in (str, int) for p in where):
            raise ValueError("a position is [key path…, line, column]")
        positions[tuple(where)] = (line, column)
    return Document(payload["data"], file, positions)


# ------------------------------------------------------------------ write

def _tag(value: Any) -> Any:
    """`value` in JSON terms: a decimal, date or date-time as a one-key mapping; anything a clean
    document cannot hold raises ValueError (and the document is not stored)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, dict):
        if not all(isinstance(k, str) and not k.startswith(_TAG) for k in value):
            raise ValueError("keys are text")
        return {k: _tag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tag(v) for v in value]
    if isinstance(value, Decimal):
        return {_TAG + "decimal": str(value)}
    if isinstance(value, dt.datetime):
        return {_TAG + "datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {_TAG + "date": value.isoformat()}
    raise ValueError(f"{type(value).__name__} is not stored")


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types throughout (1 is not True, 1.0 is not 1.00, a naive date-time is
    not an aware one)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Decimal):
        return a.as_tuple() == b.as_tuple()
    if isinstance(a, dt.date):
        return repr(a) == repr(b)  # a date-time's offset and its kind of time zone too
    return bool(a == b)


def _encode(document: Document) -> bytes | None:
    try:
        body = {"data": _tag(document.data), "positions": [[*k, *v] for k, v in document.positions.items()]}
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        back = _decode(json.loads(payload, object_hook=_untag), document.file or "")
    except (ValueError, TypeError, RecursionError):
        return None
    if not (same(back.data, document.data) and list(back.positions.items()) == list(document.positions.items())):
        return None
    return payload


def _write(folder: Path, key: str, document: Document) -> None:
    """Store the document for `key`, whole or not at all; never fails the caller."""
    payload = _encode(document)
    if payload is None:
        return
    header = json.dumps({"format": FORMAT, "key": key, "sha256": hashlib.sha256(payload).hexdigest()})
    tmp = None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder):
            return
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=folder)  # mode 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(header.encode("ascii") + b"\n" + payload)
        os.replace(tmp, folder / f"{key}.json")
        tmp = None
        _prune(folder)
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _prune(folder: Path) -> None:
    """Keep the folder small: past MAX_ENTRIES, the least recently written half goes."""
    entries = [p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith(".")]
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for p in entries[:len(entries) - MAX_ENTRIES // 2]:
        with contextlib.suppress(OSError):
            p.unlink()


__all__ = ["cache_root", "load_document", "same"]
