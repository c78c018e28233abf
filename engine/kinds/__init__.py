"""Indicator kinds, one module each (schema, comparisons, compiled rule keys, planning, result, docs).

To add a kind: write a module here with a pydantic model (`kind: Literal["<name>"]`, fields of its
own) and an `IndicatorKind` subclass registered with `register(...)`, add it to `KINDS` below, and
give it tests (a pack fixture using it, YAML cases, ledger rows in `edges.yaml`). Nothing else
changes: the pack schema, library checks, compiler, evaluator and docs reach kinds only through
`ntmcert.packs.registry`. The order below is the order the pack schema lists kinds in its messages.
"""

from __future__ import annotations

from importlib import import_module

from ntmcert.packs.registry import kinds
from ntmcert.packs.schema import install_kinds

KINDS = ("compare", "any_of", "hamlets", "unknown", "hamlet_share", "threshold_by_fact")

for _name in KINDS:
    import_module(f"ntmcert.kinds.{_name}")
install_kinds(kinds())
