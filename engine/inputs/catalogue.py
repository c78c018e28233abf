"""The fact catalogue: every fact id a pack or fact set may use, declared once with its kind."""

from __future__ import annotations

import difflib
from enum import Enum
from functools import lru_cache
from pathlib import Path

from ntmcert.core.errors import InputError
from ntmcert.core.paths import rules_dir
from ntmcert.core.text import Text
from ntmcert.inputs.yamlio import load_document
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


class FactKind(str, Enum):
    """What a fact's value is, which decides the forms it may take."""

    share = "share"  # a ratio {count, of} or a percentage; thresholds are percentages
    number = "number"  # a decimal with a unit (income, area)
    # a whole number of things; mypy reads a member of a str enum named like a str method as overriding it
    count = "count"  # type: ignore[assignment]
    boolean = "boolean"  # yes / no (including a department's "Đạt" assessment)


class Level(str, Enum):
    commune = "commune"
    hamlet = "hamlet"


class FactDef(BaseModel):
    """One catalogue entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    kind: FactKind
    unit: Text | None = None
    level: Level = Level.commune
    whole_counts: bool = False  # for shares of households, people, records: counts are integers
    note: str | None = None


class Catalogue(BaseModel):
    """All declared facts, by id."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    catalogue: str = Field(pattern=r"^ntmcert/facts/v1$")
    facts: tuple[FactDef, ...]

    _by_id: dict[str, FactDef] = PrivateAttr(default_factory=dict)

    def model_post_init(self, __context) -> None:
        self._by_id.update({f.id: f for f in self.facts})

    def get(self, fact_id: str) -> FactDef | None:
        return self._by_id.get(fact_id)

    def _index(self) -> dict[str, FactDef]:
        return self._by_id

    def suggest(self, fact_id: str) -> str:
        """A ' (did you mean …?)' suffix for an unknown id, or ''."""
        close = difflib.get_close_matches(fact_id, list(self._index()), n=3, cutoff=0.6)
        return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def load_catalogue(path: str | Path) -> Catalogue:
    """Load and validate a catalogue file; duplicate ids are errors."""
    from ntmcert.inputs.validation import validate_document

    doc, _ = load_document(path)
    cat, collector = validate_document(doc, Catalogue, "catalogue")
    seen: set[str] = set()
    for i, fact in enumerate(cat.facts):
        if fact.id in seen:
            loc = doc.locate(("facts", i, "id"))
            collector.add("catalogue_duplicate_fact", f"fact id {fact.id!r} is declared twice",
                          line=loc.line, column=loc.column, key_path=loc.key_path)
        seen.add(fact.id)
    collector.raise_if_any()
    return cat


@lru_cache(maxsize=1)
def bundled_catalogue() -> Catalogue:
    """The catalogue shipped in rules/facts.yaml (loaded once per process)."""
    return load_catalogue(rules_dir() / "facts.yaml")


__all__ = [
    "Catalogue",
    "FactDef",
    "FactKind",
    "InputError",
    "Level",
    "bundled_catalogue",
    "load_catalogue",
]
