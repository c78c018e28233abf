"""Turning pydantic's errors into located, coded problems."""

from __future__ import annotations

from pydantic import ValidationError

from .errors import ProblemCollector
from .yamlio import Document


def add_pydantic_problems(collector: ProblemCollector, doc: Document, exc: ValidationError, *,
                          code: str, prefix: tuple = ()) -> None:
    """Add one problem per pydantic error, located at its key path in `doc`."""
    for err in exc.errors(include_url=False):
        path = prefix + tuple(p for p in err["loc"] if not _is_union_tag(p))
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


def _is_union_tag(part) -> bool:
    # pydantic adds the union member's name (e.g. 'function-after[...]') into loc tuples
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))
