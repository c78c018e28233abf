"""Turning pydantic's errors into located, coded problems."""

from __future__ import annotations

from pydantic import ValidationError

from .errors import ProblemCollector
from .yamlio import Document


def add_pydantic_problems(collector: ProblemCollector, doc: Document, exc: ValidationError, *,
                          code: str, prefix: tuple = ()) -> None:
    """Add one problem per pydantic error, located at its key path in `doc`."""
    for err in exc.errors(include_url=False):
        path = prefix + _data_path(doc.data, prefix, err["loc"])
        loc = doc.locate(path)
        kind = err["type"]
        msg = err["msg"]
        if kind == "extra_forbidden":
            msg = "unknown key"
        elif kind == "missing":
            msg = "required key is missing"
        elif "input" in err and kind not in ("missing",):
            shown = repr(err["input"])
            if len(shown) > 60:
                shown = shown[:57] + "..."
            msg = f"{msg} (found {shown})"
        collector.add(code, msg, line=loc.line, column=loc.column, key_path=loc.key_path)


def _data_path(data, prefix: tuple, loc: tuple) -> tuple:
    """pydantic's loc with the union/discriminator tags it inserts ('compare', 'Percent', …)
    dropped: a part is kept only when it really is a key or index of the document there."""
    node = data
    for part in prefix:
        node = _child(node, part)
    path = []
    for i, part in enumerate(loc):
        child = _child(node, part)
        if child is _ABSENT:
            # the last part may name a key that is missing (or not allowed) in the document
            if i == len(loc) - 1 and isinstance(node, dict) and isinstance(part, str):
                path.append(part)
            continue
        path.append(part)
        node = child
    return tuple(path)


_ABSENT = object()


def _child(node, part):
    if isinstance(node, dict) and isinstance(part, str) and part in node:
        return node[part]
    if isinstance(node, (list, tuple)) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _ABSENT
