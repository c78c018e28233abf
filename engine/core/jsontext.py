"""The one JSON spelling of ntmcert output, written fast.

The spelling is defined by the standard library: `json.dumps(data, sort_keys=True,
ensure_ascii=False, indent=2) + "\\n"`. With an indent CPython falls back to its pure-Python
encoder, which costs more than building a verdict, so orjson writes the same bytes instead. It does
for plain trees of dict (str keys), list, tuple, str, int, bool and None (checked character by
character and by a property test against the definition); anything else takes the definition
itself, so the output never depends on which encoder ran:

- orjson refuses lone surrogates, integers beyond 64 bits, non-str keys (a str subclass too) and
  nesting deeper than 255 levels (a cycle included): it raises, and the standard library writes
  (or raises) as it always did;
- orjson writes some values the standard library spells otherwise or refuses: floats (`1e-07`,
  NaN as null), enums, dataclasses, dates, UUIDs. A walk of the tree sends any value that is not
  exactly one of the plain types to the standard library (ntmcert's documents hold none; the walk
  costs about as much as orjson's writing and keeps the equality unconditional).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
_LEAVES = (str, int, bool)
_NODES = (dict, list, tuple)


def dumps(data: Any) -> str:
    """Sorted keys, UTF-8 text (no \\u escapes but the control characters'), 2-space indent, final newline."""
    try:
        out = orjson.dumps(data, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return dumps_stdlib(data)
    if not _plain(data):  # only after orjson: it has refused cycles and deep nesting, so the walk ends
        return dumps_stdlib(data)
    return out.decode()


def dumps_stdlib(data: Any) -> str:
    """The definition of the spelling (and the fallback of `dumps`)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def _plain(data: Any) -> bool:
    """Whether every value in the tree is exactly a dict, list, tuple, str, int, bool or None (no
    subclass). Keys need no look: orjson has refused any that is not exactly a str."""
    kind = type(data)
    if kind not in _NODES:
        return kind in _LEAVES or data is None
    stack = [data]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        for value in node.values() if type(node) is dict else node:
            kind = type(value)
            if kind is str or kind is int or kind is bool or value is None:
                continue
            if kind is dict or kind is list or kind is tuple:
                push(value)
            else:
                return False
    return True
