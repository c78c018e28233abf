"""Loading rule packs: strict parsing, `extends` layering, and cross-checks against the catalogue.

Data flows one way: YAML → `PackDoc` (as written) → `Pack` (resolved, every part tagged with the
layer it came from). Nothing here evaluates a fact set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ntmcert.core.errors import InputError, Location, PackNotFoundError, Problem, ProblemCollector
from ntmcert.core.paths import rules_dir
from ntmcert.core.text import Text
from ntmcert.inputs.catalogue import Catalogue, FactKind, Level, bundled_catalogue
from ntmcert.inputs.validation import validate_document
from ntmcert.inputs.yamlio import Document, load_document
from ntmcert.packs.registry import kind_of
from ntmcert.packs.schema import (
    Comparison,
    Criterion,
    IndicatorBase,
    PackDoc,
    Parameter,
    ParameterRef,
    Percent,
    Prerequisite,
)

Indicator = IndicatorBase  # any registered kind's model (see ntmcert.packs.registry)
_Report = Callable[..., None]  # problem(code, message, key path below the indicator)

PACK_FILE = "pack.yaml"


@dataclass(frozen=True)
class PackIndicator:
    spec: Indicator
    layer: str  # the pack id whose file defined this indicator


@dataclass(frozen=True)
class PackCriterion:
    spec: Criterion  # title/require/key after layering; indicators are in `indicators`
    indicators: tuple[PackIndicator, ...]
    layer: str

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def title(self) -> Text:
        """The title after layering: a new criterion must have one, an override keeps its parent's."""
        if self.spec.title is None:
            raise ValueError(f"criterion {self.spec.id} has no title after layering")
        return self.spec.title


@dataclass(frozen=True)
class PackParameter:
    name: str
    spec: Parameter
    layer: str


@dataclass(frozen=True)
class Pack:
    """A resolved pack: its own header, and criteria/parameters merged over its `extends` chain."""

    doc: PackDoc
    chain: tuple[str, ...]  # this pack first, then what it extends, outward
    prerequisites: tuple[Prerequisite, ...]
    parameters: dict[str, PackParameter]
    criteria: tuple[PackCriterion, ...]
    sha256: str
    path: Path | None = field(default=None, compare=False)
    review_against: str | None = None  # the set a recognised commune is re-assessed against (inherited)
    # derived data later stages compute once per pack (e.g. prepared thresholds); never part of
    # the pack's meaning, so left out of comparisons
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> str:
        return self.doc.id

    @property
    def version(self) -> str:
        return self.doc.version

    def indicator_index(self) -> dict[str, PackIndicator]:
        return {ind.spec.id: ind for c in self.criteria for ind in c.indicators}


@dataclass
class _Loaded:
    doc: PackDoc
    document: Document
    raw: bytes
    path: Path


def _parse(path: Path, expected_id: str | None) -> _Loaded:
    document, raw = load_document(path)  # one read: the parse and the pack's hash are of the same bytes
    doc, collector = validate_document(document, PackDoc, "pack")
    if doc.completeness == "partial" and not doc.completeness_note:
        loc = document.locate(("completeness",))
        collector.add("pack_missing_key", "a partial pack must say what is missing (completeness_note)",
                      line=loc.line, column=loc.column, key_path="completeness")
    seen_criteria: dict[str, int] = {}
    for i, crit in enumerate(doc.criteria):
        if crit.id in seen_criteria:
            loc = document.locate(("criteria", i, "id"))
            collector.add("pack_duplicate_id", f"criterion id {crit.id!r} is used twice in this file "
                          f"(also criteria[{seen_criteria[crit.id]}])", line=loc.line, column=loc.column,
                          key_path=loc.key_path)
        seen_criteria.setdefault(crit.id, i)
    if expected_id is not None and doc.id != expected_id:
        loc = document.locate(("id",))
        collector.add("pack_id_mismatch", f"pack id {doc.id!r} does not match its folder {expected_id!r}",
                      line=loc.line, column=loc.column, key_path="id")
    collector.raise_if_any()
    return _Loaded(doc, document, raw, path)


class PackLibrary:
    """Every pack under a rules folder (the bundled one by default), resolved on demand."""

    def __init__(self, root: Path | None = None, catalogue: Catalogue | None = None,
                 extra_files: tuple[Path, ...] = ()):
        self.root = root or rules_dir()
        self.catalogue = catalogue or bundled_catalogue()
        self._files: dict[str, Path] = {}
        for path in sorted(self.root.rglob(PACK_FILE)):
            pack_id = path.parent.relative_to(self.root).as_posix()
            self._files[pack_id] = path
        self._extra = {}
        for path in extra_files:
            loaded = _parse(Path(path), None)
            self._extra[loaded.doc.id] = loaded
        self._parsed: dict[str, _Loaded] = dict(self._extra)
        self._resolved: dict[str, Pack] = {}

    def ids(self) -> list[str]:
        return sorted(set(self._files) | set(self._extra))

    def _load(self, pack_id: str) -> _Loaded:
        if pack_id not in self._parsed:
            path = self._files.get(pack_id)
            if path is None:
                raise PackNotFoundError(f"no pack {pack_id!r}; known packs: {', '.join(self.ids())}")
            self._parsed[pack_id] = _parse(path, pack_id)
        return self._parsed[pack_id]

    def get(self, pack_id: str) -> Pack:
        """The resolved pack; raises InputError for a broken pack, PackNotFoundError for none."""
        if pack_id not in self._resolved:
            pack = self._resolve(pack_id)
            self._check_prerequisite_graph(pack_id)
            self._resolved[pack_id] = pack
        return self._resolved[pack_id]

    def _prerequisite_edges(self, pack_id: str) -> list[tuple[str, Location]]:
        """(lower pack id, where it is named) for each prerequisite of the pack (inherited too)."""
        for loaded in self._chain(pack_id):
            if loaded.doc.prerequisites:
                return [(p.pack, loaded.document.locate(("prerequisites", i, "pack")))
                        for i, p in enumerate(loaded.doc.prerequisites) if p.pack]
        return []

    def _check_prerequisite_graph(self, start: str) -> None:
        """Prerequisite packs must exist and must not lead back to a pack on the way (a cycle)."""
        done: set[str] = set()

        def visit(pack_id: str, path: list[str]) -> None:
            for lower, where in self._prerequisite_edges(pack_id):
                if lower in path:
                    cycle = " → ".join(path[path.index(lower):] + [pack_id, lower]) if lower != pack_id else \
                        f"{pack_id} → {lower}"
                    raise InputError([Problem("pack_prerequisite_cycle",
                                              f"prerequisites lead back to a pack on the way: {cycle}", where)])
                if lower not in self._files and lower not in self._extra:
                    raise InputError([Problem("pack_prerequisite_missing",
                                              f"prerequisite pack {lower!r} is not a known pack", where)])
                if lower not in done:
                    visit(lower, path + [pack_id])
                    done.add(lower)

        visit(start, [])

    def all(self) -> list[Pack]:
        return [self.get(i) for i in self.ids()]

    # ------------------------------------------------------------------ layering

    def _chain(self, pack_id: str) -> list[_Loaded]:
        chain: list[_Loaded] = []
        seen: list[str] = []
        current: str | None = pack_id
        while current is not None:
            if current in seen:
                loaded = chain[-1]
                loc = loaded.document.locate(("extends",))
                raise InputError([Problem("pack_extends_cycle",
                                          f"packs extend each other in a cycle: {' → '.join(seen + [current])}",
                                          loc)])
            seen.append(current)
            try:
                loaded = self._load(current)
            except PackNotFoundError:
                if not chain:
                    raise
                child = chain[-1]
                loc = child.document.locate(("extends",))
                raise InputError([Problem("pack_extends_missing",
                                          f"extends {current!r}, which is not a known pack", loc)]) from None
            chain.append(loaded)
            current = loaded.doc.extends
        return chain

    def _resolve(self, pack_id: str) -> Pack:
        chain = self._chain(pack_id)
        collector = ProblemCollector()
        params: dict[str, PackParameter] = {}
        criteria: dict[str, PackCriterion] = {}
        order: list[str] = []
        # apply layers from the outermost (national) inward, so the pack asked for wins
        for depth, loaded in enumerate(reversed(chain)):
            doc, document = loaded.doc, loaded.document
            is_base = depth == 0
            for name, param in doc.parameters.items():
                where = document.locate(("parameters", name))
                if name in params and not param.override:
                    collector.problems.append(Problem(
                        "pack_silent_override",
                        f"parameter {name!r} is already defined by {params[name].layer}; "
                        f"write override: true to replace it", where))
                elif name not in params and param.override and not is_base:
                    collector.problems.append(Problem(
                        "pack_override_nothing", f"parameter {name!r} overrides nothing in {doc.extends}", where))
                params[name] = PackParameter(name, param, doc.id)
            for i, crit in enumerate(doc.criteria):
                where = document.locate(("criteria", i, "id"))
                if crit.id in criteria:
                    if not crit.override:
                        collector.problems.append(Problem(
                            "pack_silent_override",
                            f"criterion {crit.id!r} is already defined by {criteria[crit.id].layer}; "
                            f"write override: true to change it", where))
                        continue
                    criteria[crit.id] = self._merge_criterion(criteria[crit.id], crit, doc.id, document, i,
                                                              collector)
                else:
                    if crit.override and not is_base:
                        collector.problems.append(Problem(
                            "pack_override_nothing", f"criterion {crit.id!r} overrides nothing in {doc.extends}",
                            where))
                    if crit.title is None:
                        collector.problems.append(Problem("pack_missing_key", "a new criterion needs a title", where))
                        continue
                    criteria[crit.id] = PackCriterion(crit, tuple(PackIndicator(ind, doc.id)
                                                                  for ind in crit.indicators), doc.id)
                    order.append(crit.id)
        top = chain[0]
        pack = Pack(
            doc=top.doc,
            chain=tuple(c.doc.id for c in chain),
            prerequisites=top.doc.prerequisites or _inherited_prerequisites(chain),
            parameters=params,
            criteria=tuple(criteria[c] for c in order),
            sha256=_chain_hash(chain),
            path=top.path,
            review_against=next((c.doc.review_against for c in chain if c.doc.review_against), None),
        )
        self._check(pack, chain, collector)
        collector.raise_if_any()
        return pack

    def _merge_criterion(self, base: PackCriterion, crit: Criterion, layer: str, document: Document,
                         index: int, collector: ProblemCollector) -> PackCriterion:
        updates: dict[str, Any] = {k: getattr(crit, k) for k in ("title", "group", "require", "key", "not_applicable")
                   if k in crit.model_fields_set}
        spec = base.spec.model_copy(update=updates)
        indicators = {ind.spec.id: ind for ind in base.indicators}
        order = [ind.spec.id for ind in base.indicators]
        for j, ind in enumerate(crit.indicators):
            where = document.locate(("criteria", index, "indicators", j, "id"))
            if ind.id in indicators and not ind.override:
                collector.problems.append(Problem(
                    "pack_silent_override",
                    f"indicator {ind.id!r} is already defined by {indicators[ind.id].layer}; "
                    f"write override: true to replace it", where))
                continue
            if ind.id not in indicators:
                if ind.override:
                    collector.problems.append(Problem(
                        "pack_override_nothing", f"indicator {ind.id!r} overrides nothing", where))
                order.append(ind.id)
            indicators[ind.id] = PackIndicator(ind, layer)
        return PackCriterion(spec, tuple(indicators[i] for i in order), layer)

    # ------------------------------------------------------------------ cross-checks

    def _check(self, pack: Pack, chain: list[_Loaded], collector: ProblemCollector) -> None:
        docs = {c.doc.id: c for c in chain}
        seen_ind: dict[str, str] = {}
        for crit in pack.criteria:
            for ind in crit.indicators:
                loaded = docs[ind.layer]
                base_path = _indicator_path(loaded.doc, crit.id, ind.spec)

                def problem(code: str, msg: str, sub: tuple[str | int, ...] = (),
                            _base: tuple[str | int, ...] = base_path, _doc: Document = loaded.document) -> None:
                    collector.problems.append(Problem(code, msg, _doc.locate(_base + sub)))

                for ident in _indicator_ids(ind.spec):
                    if ident in seen_ind:
                        problem("pack_duplicate_id", f"indicator id {ident!r} is used twice "
                                f"(also in criterion {seen_ind[ident]!r})", ("id",))
                    seen_ind[ident] = crit.id
                self._check_indicator(ind.spec, pack, Level.commune, problem, ())


    def _check_indicator(self, spec: Indicator, pack: Pack, level: Level, problem: _Report,
                         sub: tuple[str | int, ...]) -> None:
        for fact_id, kind, path in kind_of(spec).facts_read(spec):
            fact = self.catalogue.get(fact_id)
            if fact is None:
                problem("pack_unknown_fact", f"fact {fact_id!r} is not in the fact catalogue"
                        f"{self.catalogue.suggest(fact_id)}", sub + path)
            elif fact.kind.value != kind or fact.level is not Level.commune:
                problem("pack_threshold_kind", f"{fact_id} must be a commune-level {kind} fact; it is a "
                        f"{fact.level.value}-level {fact.kind.value}", sub + path)
        for located in kind_of(spec).comparisons(spec):
            self._check_comparison(located.comparison, pack, Level.hamlet if located.hamlet_level else level,
                                   problem, sub + located.sub_path)

    def _check_comparison(self, cmp: Comparison, pack: Pack, level: Level, problem: _Report,
                          sub: tuple[str | int, ...]) -> None:
        fact = self.catalogue.get(cmp.fact)
        if fact is None:
            problem("pack_unknown_fact", f"fact {cmp.fact!r} is not in the fact catalogue"
                    f"{self.catalogue.suggest(cmp.fact)}", sub + ("fact",))
            return
        if fact.level is not level:
            problem("pack_fact_level", f"fact {cmp.fact!r} is {fact.level.value}-level but is used at "
                    f"{level.value} level", sub + ("fact",))
        t = cmp.threshold
        if isinstance(t, ParameterRef):
            if t.parameter not in pack.parameters:
                problem("pack_dangling_parameter", f"threshold uses parameter {t.parameter!r}, which no "
                        f"layer of {pack.id} defines", sub + ("threshold", "parameter"))
            elif pack.parameters[t.parameter].spec.percent:
                if fact.kind is not FactKind.share:
                    problem("pack_threshold_kind", f"parameter {t.parameter} holds percentages: it needs a share "
                            f"fact; {cmp.fact} is a {fact.kind.value}", (*sub, "threshold"))
            elif fact.kind not in (FactKind.number, FactKind.count):
                problem("pack_threshold_kind", f"a parameter threshold needs a number fact (or a percent "
                        f"parameter and a share fact); {cmp.fact} is a {fact.kind.value}", sub + ("threshold",))
            return
        if t == "unknown":
            return
        ok = {
            FactKind.share: isinstance(t, Percent),
            FactKind.boolean: isinstance(t, bool),
            FactKind.number: not isinstance(t, (bool, Percent)),
            FactKind.count: isinstance(t, int) and not isinstance(t, bool),
        }[fact.kind]
        if not ok:
            want = {FactKind.share: "{percent: P}", FactKind.boolean: "true or false",
                    FactKind.number: "a number", FactKind.count: "a whole number"}[fact.kind]
            problem("pack_threshold_kind", f"{cmp.fact} is a {fact.kind.value}: its threshold must be {want}",
                    sub + ("threshold",))
        if fact.kind is FactKind.boolean and cmp.op != "==":
            problem("pack_bad_operator", "a yes/no fact is compared with == only", sub + ("op",))


def _indicator_ids(spec: Indicator) -> Iterator[str]:
    yield from kind_of(spec).ids(spec)


def _indicator_path(doc: PackDoc, crit_id: str, spec: Indicator) -> tuple[str | int, ...]:
    """Where this very indicator object is written in its layer's file."""
    for i, crit in enumerate(doc.criteria):
        for j, ind in enumerate(crit.indicators):
            if ind is spec:
                return ("criteria", i, "indicators", j)
    for i, crit in enumerate(doc.criteria):
        if crit.id == crit_id:
            return ("criteria", i)
    return ()


def _inherited_prerequisites(chain: list[_Loaded]) -> tuple[Prerequisite, ...]:
    for loaded in chain:
        if loaded.doc.prerequisites:
            return loaded.doc.prerequisites
    return ()


def _chain_hash(chain: list[_Loaded]) -> str:
    """sha256 over every layer's id and file bytes: any change in any layer changes it."""
    h = hashlib.sha256()
    for loaded in chain:
        h.update(loaded.doc.id.encode() + b"\0" + loaded.raw + b"\0")
    return h.hexdigest()
