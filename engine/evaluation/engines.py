"""Choosing the engine: durable-rules by default, the reference evaluator where it cannot run."""

from __future__ import annotations

from functools import cache

from ntmcert.evaluation import durable_adapter
from ntmcert.evaluation.checks import Engine, ReferenceEngine

ENGINE_NAMES = ("durable", "reference")


def fallback_notice() -> str | None:
    """The one-line notice shown when durable-rules is not importable, else None."""
    if durable_adapter.available():
        return None
    return ("ntmcert: durable-rules cannot be imported on this Python "
            f"({durable_adapter.IMPORT_ERROR}); using the reference evaluator")


@cache
def get_engine(name: str = "durable") -> Engine:
    """The process-wide engine of that name (durable falls back to reference when unavailable)."""
    if name not in ENGINE_NAMES:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")
    if name == "durable" and durable_adapter.available():
        return durable_adapter.DurableEngine()
    return ReferenceEngine()
