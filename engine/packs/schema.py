"""The rule-pack format (ntmcert/pack/v1), validated strictly with pydantic.

A pack is data only: every node says what it is with an explicit `kind`, every threshold has a
structured source, and nothing in it is ever evaluated as code.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from ntmcert.core.dates import StrictDate
from ntmcert.core.exact import PACK_OPERATORS
from ntmcert.core.text import Text
from ntmcert.core.vocab import Region, Tier
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
# the models that hold indicators (and the kinds' own) are built once, by install_kinds, when the
# kinds are known: built at their definition too, the work would be done twice, or started and dropped
_BUILT_WITH_KINDS = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True)
ID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
PACK_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)+$"


class Provenance(str, Enum):
    """How sure a number is: read in the law, reported by others, our reading, or not available."""

    official = "official"
    secondary = "secondary"
    inferred = "inferred"
    unknown = "unknown"


class Source(BaseModel):
    """The legal source of a number or rule; required on every threshold."""

    model_config = _STRICT
    document: str = Field(min_length=1)
    article: str | None = None
    url: str | None = None
    provenance: Provenance
    note: str | None = None


class LegalBasis(BaseModel):
    model_config = _STRICT
    document: str = Field(min_length=1)
    title: str | None = None
    date: StrictDate | None = None
    url: str | None = None
    provenance: Provenance
    note: str | None = None  # what is known of its scope, and what of it the pack encodes


class Scope(BaseModel):
    """Where and when a pack applies: a province (None = national) and a validity period."""

    model_config = _STRICT
    province: str | None = None
    valid_from: StrictDate
    valid_to: StrictDate | None = None

    @model_validator(mode="after")
    def _order(self) -> Scope:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class Percent(BaseModel):
    """A share threshold written as a percentage, e.g. {percent: 85}."""

    model_config = _STRICT
    percent: Decimal = Field(ge=0, le=100)


class ParameterRef(BaseModel):
    """A threshold taken from a pack parameter, optionally scaled ("1.10 × the advanced income")."""

    model_config = _STRICT
    parameter: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    factor: Decimal = Decimal(1)

    @field_validator("factor")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if not v.is_finite() or v <= 0:
            raise ValueError("factor must be a positive number")
        return v


Threshold = bool | int | Decimal | Percent | ParameterRef | Literal["unknown"]


class Comparison(BaseModel):
    """fact <op> threshold: the atom every indicator is built from."""

    model_config = _STRICT
    fact: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    op: str
    threshold: Threshold
    source: Source
    title: Text | None = None

    @field_validator("op")
    @classmethod
    def _op(cls, v: str) -> str:
        if v not in PACK_OPERATORS:
            raise PydanticCustomError("unknown_operator", "unknown operator {op}; allowed: {allowed}",
                                      {"op": repr(v), "allowed": ", ".join(PACK_OPERATORS)})
        return v

    @field_validator("threshold", mode="before")
    @classmethod
    def _no_float(cls, v: Any) -> Any:
        if isinstance(v, float):
            raise PydanticCustomError("inexact_number",
                                      "thresholds must be exact numbers (written in YAML, not binary floats)")
        if isinstance(v, str) and v != "unknown":
            raise PydanticCustomError("bad_threshold", "a threshold is a number, true/false, {percent}, {parameter} "
                                      "or the word unknown",
                                      {"percent": "{percent: P}", "parameter": "{parameter: NAME}"})
        return v


class IndicatorBase(BaseModel):
    """What every indicator kind has; each kind (a module of `ntmcert.kinds`) adds `kind` and its fields."""

    model_config = _BUILT_WITH_KINDS
    id: str = Field(pattern=ID_PATTERN)
    title: Text
    override: bool = False  # an extending pack must say so to replace a parent's indicator


if TYPE_CHECKING:  # the real unions are built from the registered kinds (install_kinds)
    Indicator = IndicatorBase
    HamletIndicator = IndicatorBase


class AtLeast(BaseModel):
    model_config = _STRICT
    at_least: int = Field(ge=1)


class Criterion(BaseModel):
    model_config = _BUILT_WITH_KINDS
    id: str = Field(pattern=ID_PATTERN)
    title: Text | None = None  # may be left out only when overriding a parent's criterion
    group: Text | None = None
    require: Literal["all"] | AtLeast = "all"
    key: bool = False  # a key criterion for revocation (QĐ 18/2022)
    indicators: tuple[Indicator, ...] = ()  # the union of the registered kinds (install_kinds)
    override: bool = False
    not_applicable: str | None = None  # the reason, when an overlay marks it not applicable


class DatedValue(BaseModel):
    """A parameter value in force from a date, for every region or by region."""

    model_config = _STRICT
    valid_from: StrictDate = Field(alias="from")
    value: Decimal | None = None
    by_region: dict[Region, Decimal] | None = None
    source: Source

    @model_validator(mode="after")
    def _one(self) -> DatedValue:
        if (self.value is None) == (self.by_region is None):
            raise ValueError("give exactly one of value or by_region")
        return self


class Parameter(BaseModel):
    """A named number used by thresholds; `values` empty means the law's number is unknown."""

    model_config = _STRICT
    title: Text
    unit: Text | None = None
    values: tuple[DatedValue, ...] = ()
    unknown_source: Source | None = None  # where the number should come from, when unknown
    override: bool = False
    # the values are percentages (24 means 24%), thresholds of share facts ({count, of} or {percent})
    percent: bool = False

    @model_validator(mode="after")
    def _explained(self) -> Parameter:
        if not self.values and self.unknown_source is None:
            raise ValueError("a parameter without values must say where its number would come from "
                             "(unknown_source)")
        dates = [v.valid_from for v in self.values]
        if len(set(dates)) != len(dates):
            raise ValueError("two values of one parameter start on the same date")
        return self


class Prerequisite(BaseModel):
    """A lower tier the commune must already hold: met by a counting recognition, or (when
    asked to derive prerequisites) by evaluating the lower tier's pack on the same facts."""

    model_config = _STRICT
    id: str = Field(pattern=ID_PATTERN)
    tier: Tier
    title: Text
    pack: str | None = Field(default=None, pattern=PACK_ID_PATTERN)  # the lower tier's pack
    recognised_from: StrictDate | None = None  # recognitions before this date do not count
    source: Source


class PackDoc(BaseModel):
    """A pack file as written."""

    model_config = _BUILT_WITH_KINDS
    format: Literal["ntmcert/pack/v1"]
    id: str = Field(pattern=PACK_ID_PATTERN)
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    title: Text
    tier: Tier
    completeness: Literal["complete", "partial"] = "complete"
    completeness_note: Text | str | None = None  # what is missing, in both languages
    scope: Scope
    legal_basis: tuple[LegalBasis, ...] = Field(min_length=1)
    extends: str | None = Field(default=None, pattern=PACK_ID_PATTERN)
    # the set a recognised commune is re-assessed against each year (QĐ 18/2022: a model commune
    # is measured against the advanced set); None means this pack itself
    review_against: str | None = Field(default=None, pattern=PACK_ID_PATTERN)
    # the set's thresholds differ by commune group 1–3 (QĐ 51/2025): the verdict reports the group
    commune_groups: bool = False
    prerequisites: tuple[Prerequisite, ...] = ()
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    criteria: tuple[Criterion, ...] = ()


def install_kinds(kinds: list[Any]) -> None:
    """Accept the registered indicator kinds in packs: rebuild the models that hold indicators with
    the discriminated union of the kinds' models (`Indicator`, and `HamletIndicator` for those
    allowed inside a `hamlets` indicator). Called once, when `ntmcert.kinds` is imported."""
    def union(models: list[type[BaseModel]]) -> Any:
        return Annotated[Union[tuple(models)], Field(discriminator="kind")]  # noqa: UP007 (a runtime union)

    namespace = {"Indicator": union([k.model for k in kinds]),
                 "HamletIndicator": union([k.model for k in kinds if k.in_hamlets])}
    for model in [k.model for k in kinds] + [Criterion, PackDoc]:
        model.model_rebuild(force=True, _types_namespace=namespace)
