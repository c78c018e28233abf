"""Evaluating a pack against a fact set: plan the checks, let the engine decide, assemble the verdict.

The engine decides every threshold comparison that has both sides; this module decides what is
missing or unknown, and aggregates statuses (alternatives, hamlets, criteria, prerequisites) with
the rules written in the issue and the README, identically for every engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import cast

from ntmcert.core.text import Text, partial_date_text
from ntmcert.core.text import date as date_text
from ntmcert.core.vocab import TIER_NAMES, Tier, tier_rank
from ntmcert.evaluation.checks import Check, Engine, PointDecider
from ntmcert.evaluation.explain import JSONDict, source_view
from ntmcert.evaluation.outcome import CriteriaOutcome, PackTable, PlainComparison, PlainRow
from ntmcert.evaluation.verdict import (
    CommuneGroup,
    ComparisonInputs,
    CriterionStatus,
    EngineInfo,
    FactLabel,
    IndicatorResult,
    IndicatorStatus,
    PackInfo,
    PrerequisiteResult,
    PrerequisiteStatus,
    RegionInfo,
    Undecided,
    Verdict,
    VerdictValue,
)
from ntmcert.inputs.catalogue import Catalogue, FactDef, bundled_catalogue
from ntmcert.inputs.factset import FactSet, FactValue
from ntmcert.packs.library import Pack, PackCriterion, PackIndicator, PackLibrary
from ntmcert.packs.registry import kind_of
from ntmcert.packs.resolve import (
    OfficerValue,
    RegionChoice,
    ResolvedThreshold,
    commune_group,
    effective_region,
    literal_threshold,
    own_region,
    resolve_threshold,
)
from ntmcert.packs.schema import Comparison, ParameterRef, Prerequisite

# a prerequisite's status from the lower tier's verdict derived on the same facts
_DERIVED_STATUS: dict[str, PrerequisiteStatus] = {"certified": "pass", "not_certified": "fail",
                                                  "incomplete": "incomplete"}


@dataclass
class Context:
    pack: Pack
    factset: FactSet
    region: RegionChoice
    catalogue: Catalogue
    officer: dict[str, list[OfficerValue]]
    derive: Callable[[str], Verdict] | None = None
    planned: list[ComparisonInputs] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def evaluate_pack(factset: FactSet, pack: Pack, engine: Engine, *,
                  officer: dict[str, list[OfficerValue]] | None = None,
                  catalogue: Catalogue | None = None, library: PackLibrary | None = None,
                  derive_prerequisites: bool = False) -> Verdict:
    """The verdict of `pack` on `factset`, decided by `engine`.

    With `derive_prerequisites` (and a `library`), every prerequisite that names the lower
    tier's pack is also evaluated on the same facts, recursively, and reported; it is met by a
    counting recognition or, failing one, by that derived verdict.
    """
    derive: Callable[[str], Verdict] | None = None
    if derive_prerequisites and library is not None:
        lower = library

        def derive_lower(pack_id: str) -> Verdict:
            return evaluate_pack(factset, lower.get(pack_id), engine, officer=officer, catalogue=catalogue,
                                 library=lower, derive_prerequisites=True)

        derive = derive_lower
    region_choice = (own_region(factset.commune) if pack.doc.commune_groups
                     else effective_region(factset.commune, factset.as_of))
    ctx = Context(pack, factset, region_choice, catalogue or bundled_catalogue(), officer or {}, derive)
    table = pack_table(pack, ctx.catalogue)
    criteria = _evaluate_criteria(ctx, table, engine)
    prerequisites = tuple(_prerequisite(ctx, p) for p in pack.prerequisites)
    crit_statuses = criteria.statuses
    failing = any(p.status == "fail" for p in prerequisites) or "fail" in crit_statuses
    complete = (all(s in ("pass", "not_applicable") for s in crit_statuses)
                and all(p.status == "pass" for p in prerequisites))
    verdict: VerdictValue = "not_certified" if failing else ("certified" if complete else "incomplete")
    missing = sorted(criteria.missing_facts | {f"recognition:{p.tier}" for p in prerequisites
                                                if p.status == "missing"})
    group = None
    if pack.doc.commune_groups:
        value, why = commune_group(factset.commune)
        group = CommuneGroup(value, why.to_dict())
    region = RegionInfo(ctx.region.region.value, ctx.region.own_region.value, ctx.region.provenance,
                        ctx.region.reason.to_dict(), group)
    notes: list[Text] = []
    scope = pack.doc.scope
    if factset.as_of < scope.valid_from or (scope.valid_to is not None and factset.as_of > scope.valid_to):
        def period(lang: str) -> str:
            end = date_text(scope.valid_to, lang) if scope.valid_to else "…"
            return f"{date_text(scope.valid_from, lang)} – {end}"

        notes.append(Text(f"Ngày số liệu {date_text(factset.as_of, 'vi')} nằm ngoài thời gian áp dụng của bộ tiêu "
                          f"chí ({period('vi')}): kết quả chỉ để tham khảo.",
                          f"The figures' date {date_text(factset.as_of, 'en')} is outside the pack's period "
                          f"({period('en')}): the result is for reference only."))
    if pack.doc.completeness == "partial":
        note = pack.doc.completeness_note
        notes.append(Text("Bộ tiêu chí chưa đầy đủ: ", "The criteria set is partial: ") + Text.of(note or ""))
    return Verdict(
        verdict=verdict,
        pack=PackInfo(pack.id, pack.version, pack.sha256, pack.doc.tier.value, pack.doc.title.to_dict(),
                      pack.doc.completeness, list(pack.chain)),
        commune=factset.commune_view,
        as_of=factset.as_of.isoformat(),
        factset_sha256=factset.sha256,
        engine=EngineInfo(engine.name, engine.version),
        region=region,
        prerequisites=prerequisites,
        criteria=criteria,
        missing_facts=tuple(missing),
        notes=tuple(notes),
        facts=_fact_labels(ctx.catalogue, missing),
    )


def _fact_labels(catalogue: Catalogue, refs: Iterable[str]) -> dict[str, FactLabel]:
    """Labels (and units) of the facts a verdict names, keyed by fact id."""
    out: dict[str, FactLabel] = {}
    for ref in refs:
        fact = catalogue.get(ref.rsplit(":", 1)[-1])
        if fact is not None:
            out[fact.id] = FactLabel(fact.label, fact.unit)
    return out


# ----------------------------------------------------------------------------- planning

def _evaluate_criteria(ctx: Context, table: PackTable, engine: Engine) -> CriteriaOutcome:
    """Plan every indicator, let the engine decide, aggregate: the statuses, in compact arrays.

    A plain comparison (the table has its planning) is planned here as its kind would plan it, and
    its result object is built only when read; any other indicator is planned by its kind, and its
    result built once the engine has decided."""
    facts, checks = ctx.factset.facts, ctx.checks
    deciders = _point_deciders(ctx, table, engine)
    n = len(table.indicators)
    statuses: list[IndicatorStatus | None] = [None] * n
    values: list[FactValue | None] = [None] * n
    built: list[IndicatorResult | None] = [None] * n
    pending: list[tuple[int, str]] = []  # plain comparisons the engine decides: (index, check key)
    builders: list[tuple[int, Callable[[], IndicatorResult]]] = []
    get = facts.get
    for row in table.rows:
        if type(row) is int:  # an indicator its kind plans
            builders.append((row, plan_indicator(ctx, table.indicators[row])))
            continue
        i, fact_id, ident, op, threshold = cast(PlainRow, row)
        value = values[i] = get(fact_id)
        if value is None:
            statuses[i] = "missing"
        elif threshold is None:
            statuses[i] = "undecidable"
        else:
            interval = value.interval
            lo = interval.lo
            if deciders is not None and lo is interval.hi and type(lo) is Fraction:
                statuses[i] = deciders[i](lo)  # type: ignore[misc]  # a plain comparison with a number has one
            else:
                checks.append(Check(ident, ident, op, interval, threshold))
                pending.append((i, ident))
    decisions = engine.decide(ctx.pack, checks) if checks else {}
    for i, key in pending:
        statuses[i] = decisions[key]
    for planned in ctx.planned:  # the comparisons the kinds planned
        if planned.status is None:
            planned.status = decisions[planned.key]
    for i, build in builders:
        result = built[i] = build()
        statuses[i] = result.status
    decided = cast(list[IndicatorStatus], statuses)  # every entry is set by now
    criteria = zip(table.pack.criteria, table.bounds, strict=True)
    return CriteriaOutcome(table, tuple(_criterion_status(crit, decided[start:end]) for crit, (start, end) in criteria),
                           decided, values, built)


def _point_deciders(ctx: Context, table: PackTable, engine: Engine) -> list[PointDecider | None] | None:
    """The engine's deciders of the pack's plain comparisons with a number (None where there is
    none), made once per pack and engine; None when the engine decides everything in `decide`."""
    key = ("point-deciders", id(ctx.catalogue), id(engine))
    found: tuple[Engine, list[PointDecider | None] | None] | None = ctx.pack.memo.get(key)
    if found is None or found[0] is not engine:  # the engine kept alive beside them: its id stays its own
        fixed = [(i, p[1].op, p[4].value) for i, p in enumerate(table.plain)
                 if p is not None and p[4].value is not None]
        # an engine written to the older protocol (decide only) decides everything in `decide`
        offer = getattr(engine, "point_deciders", None)
        made = offer([(op, value) for _, op, value in fixed]) if offer is not None else None
        deciders: list[PointDecider | None] | None = None
        if made is not None:
            deciders = [None] * len(table.plain)
            for (i, _, _), decider in zip(fixed, made, strict=True):
                deciders[i] = decider
        found = ctx.pack.memo[key] = (engine, deciders)
    return found[1]


def _criterion_status(crit: PackCriterion, statuses: list[IndicatorStatus]) -> CriterionStatus:
    spec = crit.spec
    if spec.not_applicable:
        return "not_applicable"
    passes = statuses.count("pass")
    open_ = statuses.count("missing") + statuses.count("undecidable")
    need = len(statuses) if spec.require == "all" else spec.require.at_least
    if passes >= need:
        return "pass"
    if passes + open_ < need:
        return "fail"
    return "incomplete"


def pack_table(pack: Pack, catalogue: Catalogue) -> PackTable:
    """The pack's indicators laid out flat, with the planning of every `compare` indicator whose
    threshold is a number in the pack. Made once per pack and catalogue, through `_prepared`, so
    with the very thresholds `plan_comparison` uses."""
    key = ("pack-table", id(catalogue))
    table: PackTable | None = pack.memo.get(key)
    if table is None:
        indicators: list[PackIndicator] = []
        plain: list[PlainComparison | None] = []
        bounds: list[tuple[int, int]] = []
        for crit in pack.criteria:
            start = len(indicators)
            for ind in crit.indicators:
                spec = ind.spec
                indicators.append(ind)
                # a `compare` indicator is a Comparison (ntmcert.kinds.compare)
                if (kind_of(spec).name == "compare" and isinstance(spec, Comparison)
                        and not isinstance(spec.threshold, ParameterRef)):
                    fact, threshold, title = _prepared(pack, catalogue, spec, ind.layer, spec.title)
                    if threshold is None:  # _prepared resolves every threshold that is not a parameter
                        raise ValueError(f"indicator {ind.spec.id}: a literal threshold was not resolved")
                    plain.append((ind.spec.id, spec, ind.layer, fact, threshold, title))
                else:
                    plain.append(None)
            bounds.append((start, len(indicators)))
        rows = tuple((i, p[1].fact, p[0], p[1].op, p[4].value) if p is not None else i for i, p in enumerate(plain))
        table = PackTable(pack, catalogue, tuple(indicators), tuple(bounds), tuple(plain),
                          tuple(ind.spec.id for ind in indicators), rows)
        pack.memo[key] = table
    return table


def restore_outcome(pack: Pack, catalogue: Catalogue, statuses: tuple[CriterionStatus, ...],
                    indicator_statuses: list[IndicatorStatus], values: list[FactValue | None],
                    built: list[IndicatorResult | None]) -> CriteriaOutcome:
    """A CriteriaOutcome sent from another process as its arrays (parallel.py), on this process's
    own pack table."""
    return CriteriaOutcome(pack_table(pack, catalogue), statuses, indicator_statuses, values, built)


def _prepared(pack: Pack, catalogue: Catalogue, cmp: Comparison, layer: str,
              title: Text | None) -> tuple[FactDef, ResolvedThreshold | None, Text]:
    """The fact's catalogue entry, the title's Text and, for a literal threshold, its resolved
    value: the same for every commune, so made once per pack and catalogue."""
    memo: dict[int, tuple[FactDef, ResolvedThreshold | None, Text]] = pack.memo.setdefault(
        ("comparisons", id(catalogue)), {})
    found = memo.get(id(cmp))
    if found is None:
        literal = None if isinstance(cmp.threshold, ParameterRef) else literal_threshold(cmp, layer)
        fact = catalogue.get(cmp.fact)
        if fact is None:  # packs are checked against the catalogue when they load
            raise ValueError(f"pack {pack.id}: fact {cmp.fact!r} is not in the catalogue")
        label = title or fact.label
        found = memo[id(cmp)] = (fact, literal, label)
    return found


def plan_comparison(ctx: Context, key: str, rule: str, cmp: Comparison, layer: str,
                     facts: dict[str, FactValue], missing_ref: str, title: Text | None = None) -> ComparisonInputs:
    fact, threshold, title_text = _prepared(ctx.pack, ctx.catalogue, cmp, layer, title)
    value = facts.get(cmp.fact)
    if threshold is None:  # a parameter: depends on the date, the region and the officer's values
        threshold = resolve_threshold(cmp, ctx.pack, layer, ctx.factset.as_of, ctx.region.region, ctx.officer)
    planned = ComparisonInputs(key, cmp, fact, value, threshold, layer, missing_ref, ctx.pack.id, title_text)
    if value is None:
        planned.status = "missing"
    elif threshold.value is None:
        planned.status = "undecidable"
    else:
        ctx.checks.append(Check(key, rule, cmp.op, value.interval, threshold.value))
    ctx.planned.append(planned)
    return planned


def plan_indicator(ctx: Context, ind: PackIndicator,
                   hamlet: tuple[int, str] | None = None) -> Callable[[], IndicatorResult]:
    """Plan an indicator's comparisons now (its kind decides how); return a function that builds
    its result once the engine has decided."""
    return kind_of(ind.spec).plan(ctx, ind, hamlet)


def facts_and_ref(ctx: Context, hamlet: tuple[int, str] | None
                  ) -> tuple[dict[str, FactValue], str, Callable[[str], str]]:
    """The facts an indicator reads (the commune's, or one hamlet's), the key suffix of its checks,
    and how a missing fact is named in `missing_facts`."""
    if hamlet is None:
        return ctx.factset.facts, "", (lambda fact_id: fact_id)
    return (ctx.factset.hamlets[hamlet[0]].facts, f"@{hamlet[0]}",
            (lambda fact_id: f"hamlet:{hamlet[1]}:{fact_id}"))


# ----------------------------------------------------------------------------- results

def compare_result(ctx: Context, ident: str, p: ComparisonInputs) -> IndicatorResult:
    if p.status is None:  # every planned comparison has its status once the engine has decided
        raise ValueError(f"comparison {p.key} was planned but not decided")
    return IndicatorResult.comparison(ident, p.title, p.status, p.cmp.fact, p.cmp.op, p.layer,
                                      (p.missing_ref,) if p.status == "missing" else (), p)


def combine_undecided(statuses: Sequence[str]) -> Undecided:
    """The status of an undecided combination: missing if any part lacks a fact, else undecidable."""
    return "missing" if "missing" in statuses else "undecidable"


def _prerequisite(ctx: Context, prereq: Prerequisite) -> PrerequisiteResult:
    """Met by a counting recognition of the tier or of a higher one (which implies it); not known when
    the fact set does not say which recognitions the commune holds; failed when it says none counts."""
    tier = prereq.tier.value
    found = [r for r in ctx.factset.holding_recognitions(Tier(tier))
             if prereq.recognised_from is None or r.date.earliest >= prereq.recognised_from]
    title = prereq.title
    derived = ctx.derive(prereq.pack) if ctx.derive is not None and prereq.pack else None
    name = TIER_NAMES[tier]
    as_of = date_text(ctx.factset.as_of, "vi")
    if found:
        r = found[0]
        by: JSONDict = {"decision": r.decision, "date": str(r.date), "tier": r.tier.value, "field": r.field,
              "signer": r.signer, "how": "recognition"}
        when = Text.build(lambda lang: partial_date_text(r.date, lang))
        if r.tier.value == tier:
            why = Text(f"Đã được công nhận theo Quyết định {r.decision} {when.vi}.",
                       f"Recognised by decision {r.decision} of {when.en}.")
        else:
            by["implied_by"] = r.tier.value  # a higher tier implies this one (the law grants them in order)
            held = TIER_NAMES[r.tier.value]
            why = Text(f"Đã được công nhận {held.vi} (Quyết định {r.decision} {when.vi}) nên đã đạt {name.vi}.",
                       f"Recognised as {held.en} (decision {r.decision} of {when.en}), which implies {name.en}.")
        return PrerequisiteResult(prereq.id, tier, title, "pass", by, why, source_view(prereq.source), derived)
    if ctx.factset.recognitions is None:
        vi = (f"Bộ số liệu chưa ghi các quyết định công nhận của xã: cần số và ngày quyết định công nhận {name.vi} "
              f"(hoặc hạng cao hơn), hoặc ghi rõ \"không\" nếu chưa được công nhận.")
        en = (f"The fact set does not list the commune's recognitions: give the number and date of the {name.en} "
              f"decision (or of a higher tier), or say \"none\" when it holds none.")
        status: PrerequisiteStatus = "missing"
    else:
        others = [r for r in ctx.factset.recognitions if tier_rank(r.tier) >= tier_rank(tier)]
        vi = f"Chưa có quyết định công nhận {name.vi} có hiệu lực tại ngày {as_of}."
        en = f"No {name.en} recognition counts at {date_text(ctx.factset.as_of, 'en')}."
        if others:
            vi += " (Có quyết định nhưng ghi ngày sau ngày đánh giá hoặc trước ngày áp dụng.)"
            en += " (A decision exists but is dated after the assessment date or before the rule's start.)"
        status = "fail"
    if derived is None:
        return PrerequisiteResult(prereq.id, tier, title, status, None, Text(vi, en), source_view(prereq.source))
    status = _DERIVED_STATUS[derived.verdict]
    word = {"certified": Text("đạt chuẩn", "certified"), "not_certified": Text("không đạt chuẩn", "not certified"),
            "incomplete": Text("chưa đủ căn cứ kết luận", "incomplete")}[derived.verdict]
    derived_by = {"how": "derived", "pack": derived.pack["id"], "version": derived.pack["version"],
                  "verdict": derived.verdict} if status == "pass" else None
    return PrerequisiteResult(
        prereq.id, tier, title, status, derived_by,
        Text(f"{vi} Đánh giá bộ {derived.pack['id']} trên cùng bộ số liệu: {word.vi}.",
             f"{en} Evaluating {derived.pack['id']} on the same facts: {word.en}."),
        source_view(prereq.source), derived)
