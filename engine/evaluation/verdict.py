"""The verdict: a frozen data tree with no formatting in it, and its stable JSON form.

Renderers (text, Markdown, JSON) all read this structure; `to_dict` is the JSON schema
`ntmcert/verdict/v1` (keys sorted by the serializer, no clock time inside).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, final

if TYPE_CHECKING:
    from ntmcert.inputs.catalogue import FactDef
    from ntmcert.inputs.factset import FactValue
    from ntmcert.packs.resolve import ResolvedThreshold
    from ntmcert.packs.schema import Comparison, Source

from ntmcert.core.jsontext import dumps as json_text
from ntmcert.core.text import Text
from ntmcert.evaluation.explain import JSONDict, comparison_views

SCHEMA = "ntmcert/verdict/v1"

IndicatorStatus = Literal["pass", "fail", "missing", "undecidable"]
CriterionStatus = Literal["pass", "fail", "incomplete", "not_applicable"]
PrerequisiteStatus = Literal["pass", "fail", "incomplete", "missing"]
VerdictValue = Literal["certified", "not_certified", "incomplete"]
HamletStatus = Literal["pass", "fail", "incomplete"]
Undecided = Literal["missing", "undecidable"]  # what a combination that cannot be decided reports


class _Record(Mapping[str, Any]):
    """A typed, frozen part of the verdict that also reads as the mapping its JSON is made of
    (`verdict.pack.id` and `verdict.pack["id"]` are the same value)."""

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys() or (getattr(self, key) is None and key not in self._always()):
            raise KeyError(key)  # an absent optional part reads as a missing key, as in the JSON
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(k for k in self._keys() if getattr(self, k) is not None or k in self._always())

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @classmethod
    def _keys(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))  # type: ignore[arg-type]

    @classmethod
    def _always(cls) -> tuple[str, ...]:
        return cls._keys()

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.to_dict() if isinstance(v, _Record) else v) for k, v in self.items()}


@dataclass(frozen=True)
class PackInfo(_Record):
    """Which pack decided: id, version, content hash of its whole chain, tier, title, completeness."""

    id: str
    version: str
    sha256: str
    tier: str
    title: dict[str, str]
    completeness: str
    chain: list[str]


@dataclass(frozen=True)
class EngineInfo(_Record):
    name: str
    version: str


@dataclass(frozen=True)
class CommuneGroup(_Record):
    value: int | None
    reason: dict[str, str]


@dataclass(frozen=True)
class RegionInfo(_Record):
    """The region whose thresholds were used, the commune's own, and why they differ (if they do)."""

    used: str
    own: str
    provenance: str
    reason: dict[str, str]
    commune_group: CommuneGroup | None = None

    @classmethod
    def _always(cls) -> tuple[str, ...]:
        return ("used", "own", "provenance", "reason")


@dataclass(frozen=True)
class FactLabel:
    """How reports name a fact the verdict mentions (from the catalogue the evaluation used)."""

    label: Text
    unit: Text | None = None


@final  # the evaluator tells it from a builder function by `type(x) is ComparisonInputs`
@dataclass(slots=True)
class ComparisonInputs:
    """The inputs of one comparison's explanation, kept in its result so that the text is made only
    when read (explain.comparison_views). The evaluator fills `status` once the engine has decided
    (or at planning, for a missing fact or an unknown threshold); nothing changes it afterwards."""

    key: str
    cmp: Comparison
    fact: FactDef
    value: FactValue | None
    threshold: ResolvedThreshold
    layer: str
    missing_ref: str  # how the fact is named in missing_facts
    pack_id: str
    title: Text
    status: IndicatorStatus | None = None  # set now for missing/unknown, by the engine otherwise

    @property
    def op(self) -> str:
        return self.cmp.op

    @property
    def source(self) -> Source:
        return self.cmp.source


@dataclass(frozen=True, eq=False)
class IndicatorResult:
    """One indicator (or one alternative, or one hamlet's indicator): its status, and the inputs
    of its explanation. The views (actual, threshold, margin, to_pass, source, explanation) are
    built from `detail` only when read: evaluating stays cheap, rendering pays for the text.
    Two results are equal when their JSON forms are."""

    id: str
    title: Text
    status: IndicatorStatus
    fact: str | None = None
    op: str | None = None
    layer: str | None = None
    alternatives: tuple[IndicatorResult, ...] = ()
    hamlets: tuple[HamletResult, ...] = ()
    missing_facts: tuple[str, ...] = ()
    detail: ComparisonInputs | None = None  # a comparison's explanation inputs (explain.comparison_views)
    views: JSONDict | None = None  # prebuilt views of composite indicators

    # equal by value and so not hashable: defining __eq__ here (with eq=False) leaves __hash__ None
    def __eq__(self, other: object) -> bool:
        return isinstance(other, IndicatorResult) and type(other) is type(self) and self.to_dict() == other.to_dict()

    @cached_property
    def _views(self) -> JSONDict:
        if self.detail is None:
            return self.views or {}
        return comparison_views(self.detail)

    @classmethod
    def comparison(cls, id: str, title: Text, status: IndicatorStatus, fact: str, op: str, layer: str,
                   missing_facts: tuple[str, ...], detail: ComparisonInputs) -> IndicatorResult:
        """A comparison's result, built without the frozen dataclass's per-field setattr: the
        evaluator makes one per comparison per commune, so this is on the hot path."""
        obj = object.__new__(cls)
        obj.__dict__.update(id=id, title=title, status=status, fact=fact, op=op, layer=layer, alternatives=(),
                            hamlets=(), missing_facts=missing_facts, detail=detail, views=None)
        return obj

    actual = property(lambda self: self._views.get("actual"))
    threshold = property(lambda self: self._views.get("threshold"))
    margin = property(lambda self: self._views.get("margin"))
    to_pass = property(lambda self: self._views.get("to_pass"))
    source = property(lambda self: self._views.get("source"))
    explanation = property(lambda self: self._views.get("explanation"))

    def to_dict(self) -> JSONDict:
        out: JSONDict = {
            "id": self.id, "title": self.title.to_dict(), "status": self.status, "fact": self.fact,
            "actual": self.actual, "op": self.op, "threshold": self.threshold, "margin": self.margin,
            "to_pass": self.to_pass, "source": self.source, "layer": self.layer,
            "explanation": self.explanation.to_dict() if self.explanation else None,
        }
        if self.alternatives:
            out["alternatives"] = [a.to_dict() for a in self.alternatives]
        if self.hamlets:
            out["hamlets"] = [h.to_dict() for h in self.hamlets]
        return out


@dataclass(frozen=True)
class HamletResult:
    name: str
    status: HamletStatus
    indicators: tuple[IndicatorResult, ...]

    def to_dict(self) -> JSONDict:
        return {"name": self.name, "status": self.status, "indicators": [i.to_dict() for i in self.indicators]}


@dataclass(frozen=True)
class CriterionResult:
    id: str
    title: Text
    status: CriterionStatus
    require: str  # "all" or "at_least:k"
    key: bool
    layer: str
    indicators: tuple[IndicatorResult, ...]
    note: Text | None = None

    def to_dict(self) -> JSONDict:
        return {"id": self.id, "title": self.title.to_dict(), "status": self.status, "require": self.require,
                "key": self.key, "layer": self.layer, "note": self.note.to_dict() if self.note else None,
                "indicators": [i.to_dict() for i in self.indicators]}


@dataclass(frozen=True)
class PrerequisiteResult:
    id: str
    tier: str
    title: Text
    status: PrerequisiteStatus  # missing: recognitions not given; incomplete: derived from the lower pack
    satisfied_by: JSONDict | None
    explanation: Text
    source: JSONDict
    derived: Verdict | None = None  # the lower tier's pack evaluated on the same facts

    def to_dict(self) -> JSONDict:
        out: JSONDict = {"id": self.id, "tier": self.tier, "title": self.title.to_dict(), "status": self.status,
               "satisfied_by": self.satisfied_by, "explanation": self.explanation.to_dict(),
               "source": self.source}
        if self.derived is not None:
            out["derived"] = self.derived.to_dict()
        return out


class StatusArrays:
    """Criteria results that answer status questions without building the result objects (a
    plain base class: an isinstance check on a runtime Protocol costs more than the evaluation)."""

    __slots__ = ()

    def status_by_criterion(self) -> dict[str, CriterionStatus]:
        raise NotImplementedError

    def status_by_indicator(self) -> dict[str, IndicatorStatus]:
        raise NotImplementedError


@dataclass(frozen=True)
class Verdict:
    """The outcome of evaluating one pack against one fact set."""

    verdict: VerdictValue
    pack: PackInfo
    commune: Mapping[str, Any]  # the commune as given (name, province, region, …), JSON-ready
    as_of: str
    factset_sha256: str
    engine: EngineInfo
    region: RegionInfo
    prerequisites: tuple[PrerequisiteResult, ...]
    # the evaluator gives an outcome.CriteriaOutcome: statuses in arrays, result objects built on first read
    criteria: Sequence[CriterionResult]
    missing_facts: tuple[str, ...]
    notes: tuple[Text, ...] = field(default=())
    # labels of the facts it names, so renderers need no catalogue (not part of the JSON)
    facts: Mapping[str, FactLabel] = field(default_factory=dict, compare=False)

    def to_dict(self) -> JSONDict:
        return {
            "schema": SCHEMA, "verdict": self.verdict, "pack": self.pack.to_dict(), "commune": dict(self.commune),
            "as_of": self.as_of, "factset_sha256": self.factset_sha256, "engine": self.engine.to_dict(),
            "region": self.region.to_dict(),
            "prerequisites": [p.to_dict() for p in self.prerequisites],
            "criteria": [c.to_dict() for c in self.criteria],
            "missing_facts": list(self.missing_facts),
            "notes": [n.to_dict() for n in self.notes],
        }

    def to_json(self) -> str:
        return dumps(self.to_dict())

    @property
    def criterion_statuses(self) -> dict[str, CriterionStatus]:
        """Each criterion's status by id (read from the evaluator's arrays, building no result)."""
        if isinstance(self.criteria, StatusArrays):
            return self.criteria.status_by_criterion()
        return {c.id: c.status for c in self.criteria}

    @property
    def indicator_statuses(self) -> dict[str, IndicatorStatus]:
        """Each top-level indicator's status by id (read from the evaluator's arrays, building no result)."""
        if isinstance(self.criteria, StatusArrays):
            return self.criteria.status_by_indicator()
        return {i.id: i.status for c in self.criteria for i in c.indicators}

    def indicator(self, indicator_id: str) -> IndicatorResult:
        """Find an indicator result by id (top level of any criterion)."""
        for crit in self.criteria:
            for ind in crit.indicators:
                if ind.id == indicator_id:
                    return ind
        raise KeyError(indicator_id)

    def tiers(self) -> list[Verdict]:
        """This verdict and every derived prerequisite verdict under it, outermost first."""
        out = [self]
        for p in self.prerequisites:
            if p.derived is not None:
                out.extend(p.derived.tiers())
        return out

    def find(self, ref: str) -> IndicatorResult:
        """An indicator, alternative or hamlet result by reference: `id`, `id#k` (alternative k),
        `id@Hamlet name` (that hamlet's result of a hamlet-level indicator), `id#k@Hamlet name`."""
        ident, _, hamlet = ref.partition("@")
        base, _, alt = ident.partition("#")
        for crit in self.criteria:
            for ind in crit.indicators:
                found = _find_in(ind, base, alt, hamlet or None)
                if found is not None:
                    return found
        raise KeyError(ref)

    def criterion(self, criterion_id: str) -> CriterionResult:
        for crit in self.criteria:
            if crit.id == criterion_id:
                return crit
        raise KeyError(criterion_id)


def _find_in(ind: IndicatorResult, base: str, alt: str, hamlet: str | None) -> IndicatorResult | None:
    if hamlet is not None:
        for h in ind.hamlets:
            if h.name == hamlet:
                for sub in h.indicators:
                    found = _find_in(sub, base, alt, None)
                    if found is not None:
                        return found
        return None
    if ind.id != base:
        return None
    if not alt:
        return ind
    for a in ind.alternatives:
        if a.id == f"{base}#{alt}":
            return a
    return None


def dumps(data: Any) -> str:
    """The one JSON spelling of ntmcert output: sorted keys, UTF-8 text, 2-space indent, final newline
    (core.jsontext writes it fast, byte for byte as the json module would)."""
    return json_text(data)
