"""The registry of indicator kinds: what every stage asks of a kind, and where kinds are found.

An indicator kind (`compare`, `any_of`, `hamlets`, `unknown`, …) is one module of `ntmcert.kinds`:
its pack schema, the comparisons it holds, the rule keys it compiles to, how it is planned and
explained, and its rows in the criteria docs. The stages below the kinds (pack schema, library,
compiler, evaluation, docs) only ever call a kind through this interface, so adding a kind is one
new module (see `ntmcert/kinds/__init__.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ntmcert.packs.schema import Comparison, Source
    from pydantic import BaseModel


@dataclass(frozen=True)
class LocatedComparison:
    """A comparison inside an indicator, the key path below the indicator where it is written, and
    whether its fact is read per hamlet."""

    comparison: Comparison
    sub_path: tuple[str | int, ...]
    hamlet_level: bool


@dataclass(frozen=True)
class DocRow:
    """One row of an indicator in the criteria docs; the renderer words and formats it.

    `comparison` set: "<title>: <op> <threshold>" (with "or" before alternatives after the first);
    `count` set: "<title>: ≥ <count>"; neither: the rule is unknown.
    """

    ident: str
    fact: str | None
    title: Any | None  # a Text, or None for a continuation row
    source: Source
    comparison: Comparison | None = None
    count: int | None = None
    alternative: int = 0
    nested: bool = False
    unknown_by_province: bool = False
    share_of_hamlets: tuple[str, Any] | None = None  # (op, Percent): "≥ 100% of all hamlets"


class IndicatorKind:
    """What a kind of indicator must provide. Subclass it in one module of `ntmcert.kinds`."""

    name: ClassVar[str]
    model: ClassVar[type[BaseModel]]
    in_hamlets: ClassVar[bool] = False  # may it stand inside a `hamlets` indicator?

    def comparisons(self, spec: Any) -> Iterator[LocatedComparison]:
        """Every comparison the indicator holds (none by default)."""
        return iter(())

    def facts_read(self, spec: Any) -> Iterator[tuple[str, str, tuple[str | int, ...]]]:
        """Commune-level facts the indicator reads outside its comparisons: (fact id, the fact kind it
        must be, key path below the indicator); the library checks them against the catalogue."""
        return iter(())

    def ids(self, spec: Any) -> Iterator[str]:
        """Every indicator id the indicator defines (its own, and any nested one)."""
        yield spec.id

    def leaves(self, spec: Any) -> list[tuple[str, str]]:
        """(rule key, operator) of the comparisons decided at commune level, in order."""
        return []

    def hamlet_groups(self, spec: Any) -> list[tuple[str, list[tuple[str, str]]]]:
        """(group prefix, leaves) of the comparisons decided once per hamlet."""
        return []

    def plan(self, ctx: Any, indicator: Any, hamlet: tuple[int, str] | None) -> Callable[[], Any]:
        """Plan the indicator's checks on `ctx`; return a function that builds its result."""
        raise NotImplementedError

    def doc_rows(self, spec: Any) -> Iterator[DocRow]:
        """The indicator's rows in the criteria docs."""
        raise NotImplementedError


_KINDS: dict[str, IndicatorKind] = {}


def register(kind: IndicatorKind) -> IndicatorKind:
    """Add a kind (done once, at import of its module); the pack schema is rebuilt to accept it."""
    _KINDS[kind.name] = kind
    return kind


def kind_of(spec: Any) -> IndicatorKind:
    """The kind object of a validated indicator."""
    return _KINDS[spec.kind]


def kinds() -> list[IndicatorKind]:
    """The registered kinds, in registration order (the order the schema lists them in)."""
    return list(_KINDS.values())


def comparisons(spec: Any) -> Iterator[Comparison]:
    """Every Comparison inside an indicator (alternatives and hamlet indicators included)."""
    for located in kind_of(spec).comparisons(spec):
        yield located.comparison
