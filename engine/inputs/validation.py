"""Turning pydantic's errors into located, coded problems."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from ntmcert.core.errors import ProblemCollector
from ntmcert.inputs.yamlio import Document
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def validate_document(doc: Document, model: type[M], stage: str) -> tuple[M, ProblemCollector]:
    """Validate a loaded document against its model; raise every problem at once if it fails.

    Returns the model and a collector (holding the document's non-fatal load problems) for the
    stage's own cross-checks, which must call `raise_if_any` when done.
    """
    collector = doc.collector()
    try:
        return model.model_validate(doc.data), collector
    except ValidationError as exc:
        add_pydantic_problems(collector, doc, exc, code=f"{stage}_invalid")
        collector.raise_if_any()
        raise  # unreachable: a failed validation always adds problems


# pydantic error types → the stable suffix of our code (stage prefix + suffix, e.g. pack_missing_key)
_CATEGORIES = {
    "missing": "missing_key", "extra_forbidden": "unknown_key", "enum": "bad_choice", "literal_error": "bad_choice",
    "string_too_short": "empty_text", "string_pattern_mismatch": "bad_id", "too_short": "too_few_items",
    "greater_than": "out_of_range", "greater_than_equal": "out_of_range", "less_than": "out_of_range",
    "less_than_equal": "out_of_range", "finite_number": "non_finite_number",
    "union_tag_not_found": "missing_key", "union_tag_invalid": "bad_choice",
}


def _category(kind: str) -> str:
    if kind in _CATEGORIES:
        return _CATEGORIES[kind]
    if kind.startswith(("date", "datetime")):
        return "bad_date"
    if kind.endswith(("_type", "_parsing")) or kind in ("model_type", "dict_type", "list_type"):
        return "bad_type"
    if kind in ("value_error", "assertion_error"):
        return "invalid"
    return kind  # our own PydanticCustomError types (unknown_operator, inexact_number, …)


def add_pydantic_problems(collector: ProblemCollector, doc: Document, exc: ValidationError, *,
                          code: str, prefix: tuple[Any, ...] = ()) -> None:
    """Add one problem per pydantic error, located at its key path in `doc`; `code` is the stage
    (e.g. "pack"), and each problem's code names the stage and the kind of mistake."""
    stage = code.removesuffix("_invalid")
    errors: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for details in exc.errors(include_url=False):
        err: dict[str, Any] = dict(details)  # a plain dict: the message is rewritten, the input dropped
        path = prefix + _data_path(doc.data, prefix, err["loc"], err["type"])
        if err["type"] in ("union_tag_not_found", "union_tag_invalid"):  # about the discriminator itself
            ctx = err.get("ctx", {})
            path = path + (ctx.get("discriminator", "'kind'").strip("'"),)
            allowed = ctx.get("expected_tags", "")
            err["msg"] = (f"unknown kind {ctx.get('tag')!r}; allowed here: {allowed}"
                          if err["type"] == "union_tag_invalid" else
                          f"required key is missing (one of {allowed})" if allowed else "required key is missing")
            err.pop("input", None)
        errors.append((path, err))
    # a value that fits no member of a union gets one error per member: keep the most specific
    # (deepest) ones, once per place
    paths = [p for p, _ in errors]
    kept, seen = [], set()
    for path, err in errors:
        if any(len(other) > len(path) and other[:len(path)] == path for other in paths) or path in seen:
            continue
        seen.add(path)
        kept.append((path, err))
    for path, err in kept:
        loc = doc.locate(path)
        kind = err["type"]
        msg = err["msg"]
        if kind == "extra_forbidden":
            msg = "unknown key"
        elif kind == "missing":
            msg = "required key is missing"
        elif "input" in err and kind not in ("missing",):
            found = err["input"]
            shown = found.isoformat() if isinstance(found, dt.date) else repr(found)  # a date reads as a date
            if len(shown) > 60:
                shown = shown[:57] + "..."
            msg = f"{msg} (found {shown})"
        collector.add(f"{stage}_{_category(kind)}", msg, line=loc.line, column=loc.column, key_path=loc.key_path)


def _data_path(data, prefix: tuple, loc: tuple, kind: str = "") -> tuple:
    """pydantic's loc with the union/discriminator tags it inserts ('compare', 'Percent', …)
    dropped: a part is kept only when it really is a key or index of the document there."""
    node = data
    for part in prefix:
        node = _child(node, part)
    path = []
    for i, part in enumerate(loc):
        child = _child(node, part)
        if child is _ABSENT:
            # the last part names a key that is missing from the document
            if i == len(loc) - 1 and isinstance(node, dict) and isinstance(part, str) and kind == "missing":
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
