"""Evaluating a pack against a fact set: plan the checks, let the engine decide, assemble the verdict.

The engine decides every threshold comparison that has both sides; this module decides what is
missing or unknown, and aggregates statuses (alternatives, hamlets, criteria, prerequisites) with
the rules written in the issue and the README, identically for every engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from .catalogue import Catalogue, FactDef, Label, bundled_catalogue
from .checks import Check, Engine
from .explain import source_view
from .factset import TIER_NAMES, FactSet, FactValue, Tier
from .pack import Pack, PackIndicator
from .pack_schema import (AnyOfIndicator, Comparison, CompareIndicator, HamletsIndicator, ParameterRef,
                          UnknownIndicator)
from .resolve import (OfficerValue, RegionChoice, ResolvedThreshold, commune_group, effective_region, own_region,
                      resolve_threshold)
from .verdict import (CriterionResult, HamletResult, IndicatorResult, PrerequisiteResult, Text,
                      Verdict)


@dataclass(slots=True)
class _Planned:
    """One comparison waiting for its status; afterwards, the inputs of its explanation
    (explain.comparison_views reads status, fact, value, op, threshold, source, layer, pack_id)."""

    key: str
    cmp: Comparison
    fact: FactDef
    value: FactValue | None
    threshold: ResolvedThreshold
    layer: str
    missing_ref: str  # how the fact is named in missing_facts
    pack_id: str
    title: Text
    status: str | None = None  # set now for missing/unknown, by the engine otherwise

    @property
    def op(self) -> str:
        return self.cmp.op

    @property
    def source(self):
        return self.cmp.source


@dataclass
class _Context:
    pack: Pack
    factset: FactSet
    region: RegionChoice
    catalogue: Catalogue
    officer: dict[str, list[OfficerValue]]
    derive: Callable[[str], Verdict] | None = None
    planned: list[_Planned] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def evaluate_pack(factset: FactSet, pack: Pack, engine: Engine, *,
                  officer: dict[str, list[OfficerValue]] | None = None,
                  catalogue: Catalogue | None = None, library=None,
                  derive_prerequisites: bool = False) -> Verdict:
    """The verdict of `pack` on `factset`, decided by `engine`.

    With `derive_prerequisites` (and a `library`), every prerequisite that names the lower
    tier's pack is also evaluated on the same facts, recursively, and reported; it is met by a
    counting recognition or, failing one, by that derived verdict.
    """
    def derive_lower(pack_id: str) -> Verdict:
        return evaluate_pack(factset, library.get(pack_id), engine, officer=officer, catalogue=catalogue,
                             library=library, derive_prerequisites=True)

    derive = derive_lower if derive_prerequisites and library is not None else None
    region_choice = (own_region(factset.commune) if pack.doc.commune_groups
                     else effective_region(factset.commune, factset.as_of))
    ctx = _Context(pack, factset, region_choice, catalogue or bundled_catalogue(), officer or {}, derive)
    builders = _plan_all(ctx)  # walk the pack once, creating every comparison (and a check where both sides exist)
    decisions = engine.decide(pack, ctx.checks) if ctx.checks else {}
    return _finish(ctx, builders, engine, decisions)


def _plan_all(ctx: _Context) -> list:
    """Per criterion, (indicator, builder) pairs: a builder is the _Planned comparison of a plain
    commune-level comparison with a number in the pack (the common case, taken straight from a
    per-pack table), or a function that builds the indicator's result."""
    table = _fast_table(ctx)
    facts, planned_list, checks, pack_id = ctx.factset.facts, ctx.planned, ctx.checks, ctx.pack.id
    builders = []
    for crit, entries in zip(ctx.pack.criteria, table):
        indicators = []
        for ind, entry in zip(crit.indicators, entries):
            if entry is None:
                indicators.append((ind, _plan_indicator(ctx, ind)))
                continue
            spec, layer, fact, threshold, title = entry
            value = facts.get(spec.fact)
            planned = _Planned(spec.id, spec, fact, value, threshold, layer, spec.fact, pack_id, title)
            if value is None:
                planned.status = "missing"
            elif threshold.value is None:
                planned.status = "undecidable"
            else:
                checks.append(Check(spec.id, spec.id, spec.op, value.interval, threshold.value))
            planned_list.append(planned)
            indicators.append((ind, planned))
        builders.append((crit, indicators))
    return builders


def _fast_table(ctx: _Context) -> list[list[tuple | None]]:
    """For each criterion's indicators: (spec, layer, fact, threshold, title) of a plain
    commune-level comparison whose threshold is a number in the pack, else None. Made once per
    pack and catalogue (through `_prepared`, so with the same thresholds)."""
    key = ("fast-table", id(ctx.catalogue))
    table = ctx.pack.memo.get(key)
    if table is None:
        table = []
        for crit in ctx.pack.criteria:
            row: list[tuple | None] = []
            for ind in crit.indicators:
                spec = ind.spec
                if type(spec) is CompareIndicator and not isinstance(spec.threshold, ParameterRef):
                    fact, threshold, title = _prepared(ctx, spec, ind.layer, spec.title)
                    row.append((spec, ind.layer, fact, threshold, title))
                else:
                    row.append(None)
            table.append(row)
        ctx.pack.memo[key] = table
    return table


def _finish(ctx: _Context, builders: list, engine: Engine, decisions: dict[str, str]) -> Verdict:
    """Statuses from the engine's decisions, then the results and the verdict."""
    pack, factset = ctx.pack, ctx.factset
    for planned in ctx.planned:
        if planned.status is None:
            planned.status = decisions[planned.key]
    comparison = IndicatorResult.comparison
    built = []
    for crit, inds in builders:
        results = []
        for ind, b in inds:
            if type(b) is _Planned:  # _compare_result, inlined for the common case
                status = b.status
                results.append((ind, comparison(b.key, b.title, status, b.cmp.fact, b.cmp.op, b.layer,
                                                (b.missing_ref,) if status == "missing" else (), b)))
            else:
                results.append((ind, b()))
        built.append(_criterion(ctx, crit, results))
    criteria = tuple(built)
    prerequisites = tuple(_prerequisite(ctx, p) for p in pack.prerequisites)
    failing = any(p.status == "fail" for p in prerequisites) or any(c.status == "fail" for c in criteria)
    complete = (all(c.status in ("pass", "not_applicable") for c in criteria)
                and all(p.status == "pass" for p in prerequisites))
    verdict = "not_certified" if failing else ("certified" if complete else "incomplete")
    missing = sorted({m for c in criteria for i in c.indicators for m in i.missing_facts})
    region = {"used": ctx.region.region.value, "own": ctx.region.own_region.value,
              "provenance": ctx.region.provenance,
              "reason": {"vi": ctx.region.reason_vi, "en": ctx.region.reason_en}}
    if pack.doc.commune_groups:
        group, vi, en = commune_group(factset.commune)
        region["commune_group"] = {"value": group, "reason": {"vi": vi, "en": en}}
    notes = []
    scope = pack.doc.scope
    if factset.as_of < scope.valid_from or (scope.valid_to is not None and factset.as_of > scope.valid_to):
        period = f"{scope.valid_from.isoformat()} – {scope.valid_to.isoformat() if scope.valid_to else '…'}"
        notes.append(Text(f"Ngày số liệu {factset.as_of.isoformat()} nằm ngoài thời gian áp dụng của bộ tiêu chí "
                          f"({period}): kết quả chỉ để tham khảo.",
                          f"The figures' date {factset.as_of.isoformat()} is outside the pack's period ({period}): "
                          f"the result is for reference only."))
    if pack.doc.completeness == "partial":
        note = pack.doc.completeness_note
        vi, en = (note.vi, note.en) if isinstance(note, Label) else (note, note)
        notes.append(Text(f"Bộ tiêu chí chưa đầy đủ: {vi}", f"The criteria set is partial: {en}"))
    return Verdict(
        verdict=verdict,
        pack={"id": pack.id, "version": pack.version, "sha256": pack.sha256, "tier": pack.doc.tier.value,
              "title": pack.doc.title.model_dump(), "completeness": pack.doc.completeness,
              "chain": list(pack.chain)},
        commune=factset.commune_view,
        as_of=factset.as_of.isoformat(),
        factset_sha256=factset.sha256,
        engine={"name": engine.name, "version": engine.version},
        region=region,
        prerequisites=prerequisites,
        criteria=criteria,
        missing_facts=tuple(missing),
        notes=tuple(notes),
    )


# ----------------------------------------------------------------------------- planning

def _prepared(ctx: _Context, cmp: Comparison, layer: str, title) -> tuple[FactDef, ResolvedThreshold | None, Text]:
    """The fact's catalogue entry, the title's Text and, for a literal threshold, its resolved
    value: the same for every commune, so made once per pack and catalogue."""
    memo = ctx.pack.memo.setdefault(("comparisons", id(ctx.catalogue)), {})
    found = memo.get(id(cmp))
    if found is None:
        literal = None if isinstance(cmp.threshold, ParameterRef) else resolve_threshold(
            cmp, ctx.pack, layer, ctx.factset.as_of, ctx.region.region)
        fact = ctx.catalogue.get(cmp.fact)
        label = title or fact.label
        found = memo[id(cmp)] = (fact, literal, Text(label.vi, label.en))
    return found


def _plan_comparison(ctx: _Context, key: str, rule: str, cmp: Comparison, layer: str,
                     facts: dict[str, FactValue], missing_ref: str, title=None) -> _Planned:
    fact, threshold, title_text = _prepared(ctx, cmp, layer, title)
    value = facts.get(cmp.fact)
    if threshold is None:  # a parameter: depends on the date, the region and the officer's values
        threshold = resolve_threshold(cmp, ctx.pack, layer, ctx.factset.as_of, ctx.region.region, ctx.officer)
    planned = _Planned(key, cmp, fact, value, threshold, layer, missing_ref, ctx.pack.id, title_text)
    if value is None:
        planned.status = "missing"
    elif threshold.value is None:
        planned.status = "undecidable"
    else:
        ctx.checks.append(Check(key, rule, cmp.op, value.interval, threshold.value))
    ctx.planned.append(planned)
    return planned


def _plan_indicator(ctx: _Context, ind: PackIndicator, hamlet: tuple[int, str] | None = None):
    """Plan an indicator's comparisons now; return a function that builds its result later."""
    spec, layer = ind.spec, ind.layer
    if hamlet is None and type(spec) is CompareIndicator:  # the common case, kept short
        planned = _plan_comparison(ctx, spec.id, spec.id, spec, layer, ctx.factset.facts, spec.fact, spec.title)
        return lambda: _compare_result(ctx, spec.id, planned)
    facts = ctx.factset.hamlets[hamlet[0]].facts if hamlet else ctx.factset.facts
    suffix = f"@{hamlet[0]}" if hamlet else ""

    def ref(fact_id: str) -> str:
        return f"hamlet:{hamlet[1]}:{fact_id}" if hamlet else fact_id

    if isinstance(spec, CompareIndicator):
        planned = _plan_comparison(ctx, spec.id + suffix, spec.id, spec, layer, facts, ref(spec.fact), spec.title)
        return lambda: _compare_result(ctx, spec.id, planned)
    if isinstance(spec, AnyOfIndicator):
        alts = [_plan_comparison(ctx, f"{spec.id}#{k}{suffix}", f"{spec.id}#{k}", alt, layer, facts, ref(alt.fact))
                for k, alt in enumerate(spec.alternatives)]
        return lambda: _any_of_result(ctx, spec, layer, alts)
    if isinstance(spec, HamletsIndicator):
        if spec.hamlet_indicators == "unknown":
            return lambda: _unknown_result(spec, layer, spec.hamlet_definition_source or spec.source)
        per_hamlet = []
        for i, h in enumerate(ctx.factset.hamlets):
            subs = [_plan_indicator(ctx, PackIndicator(sub, layer), (i, h.name)) for sub in spec.hamlet_indicators]
            per_hamlet.append((h.name, subs))
        return lambda: _hamlets_result(ctx, spec, layer, per_hamlet)
    if isinstance(spec, UnknownIndicator):
        return lambda: _unknown_result(spec, layer, spec.source)
    raise TypeError(type(spec))


# ----------------------------------------------------------------------------- results

def _compare_result(ctx: _Context, ident: str, p: _Planned) -> IndicatorResult:
    return IndicatorResult.comparison(ident, p.title, p.status, p.cmp.fact, p.cmp.op, p.layer,
                                      (p.missing_ref,) if p.status == "missing" else (), p)


def _combine_undecided(statuses: Sequence[str]) -> str:
    return "missing" if "missing" in statuses else "undecidable"


def _any_of_result(ctx: _Context, spec: AnyOfIndicator, layer: str, alts: list[_Planned]) -> IndicatorResult:
    results = tuple(_compare_result(ctx, f"{spec.id}#{k}", alt) for k, alt in enumerate(alts))
    statuses = [r.status for r in results]
    if "pass" in statuses:
        status = "pass"
    elif all(s == "fail" for s in statuses):
        status = "fail"
    else:
        status = _combine_undecided(statuses)
    missing = () if status == "pass" else tuple(m for r in results for m in r.missing_facts)
    head = {"pass": ("Đạt (ít nhất một phương án đạt)", "Pass (at least one alternative passes)"),
            "fail": ("Chưa đạt: không phương án nào đạt", "Fail: no alternative passes"),
            "missing": ("Chưa đủ số liệu để kết luận các phương án", "Missing data to decide the alternatives"),
            "undecidable": ("Chưa kết luận được phương án nào", "No alternative can be decided")}[status]
    views = {"explanation": Text(head[0] + ".", head[1] + ".")}
    if status != "pass":
        ways = [(alt, r) for alt, r in zip(alts, results) if r.status != "fail" or r.to_pass]
        parts = {lang: [] for lang in ("vi", "en")}
        for alt, r in ways:
            for lang in ("vi", "en"):
                label = alt.fact.label.vi if lang == "vi" else alt.fact.label.en
                need = r.to_pass["display"][lang] if r.to_pass else ""
                parts[lang].append(f"{label}: {need}" if need else label)
        views["to_pass"] = {"display": {"vi": "một trong: " + " | hoặc ".join(parts["vi"]),
                                        "en": "any one of: " + " | or ".join(parts["en"])},
                            "ways": [r.to_pass for _, r in ways]}
    return IndicatorResult(id=spec.id, title=Text(spec.title.vi, spec.title.en), status=status, layer=layer,
                           alternatives=results, missing_facts=missing, views=views)


def _hamlets_result(ctx: _Context, spec: HamletsIndicator, layer: str, per_hamlet) -> IndicatorResult:
    hamlets = []
    for name, builders in per_hamlet:
        subs = tuple(build() for build in builders)
        statuses = [s.status for s in subs]
        h_status = "fail" if "fail" in statuses else ("pass" if all(s == "pass" for s in statuses) else "incomplete")
        hamlets.append(HamletResult(name, h_status, subs))
    hamlets.sort(key=lambda h: h.name)
    passing = sum(h.status == "pass" for h in hamlets)
    open_ = [h for h in hamlets if h.status == "incomplete"]
    need = spec.threshold
    missing: tuple[str, ...] = ()
    if not hamlets:
        status = "missing"
        missing = tuple(sorted({f"hamlet:*:{c.fact}" for sub in spec.hamlet_indicators for c in _comparisons(sub)}))
    elif passing >= need:
        status = "pass"
    elif passing + len(open_) < need:
        status = "fail"
    else:
        sub_statuses = [s.status for h in open_ for s in h.indicators]
        status = _combine_undecided(sub_statuses)
    if status in ("missing", "undecidable") and hamlets:
        missing = tuple(sorted({m for h in open_ for s in h.indicators for m in s.missing_facts}))
    vi = f"{passing}/{len(hamlets)} ấp đạt đủ các chỉ tiêu; cần ít nhất {need}."
    en = f"{passing} of {len(hamlets)} hamlets meet every indicator; at least {need} needed."
    if not hamlets:
        vi, en = "Bộ số liệu chưa có ấp nào.", "The fact set lists no hamlets."
    views = {
        "actual": {"form": "hamlet_count", "value": str(passing),
                   "display": {"vi": f"{passing} ấp", "en": f"{passing} hamlet" + ("s" if passing != 1 else "")}},
        "threshold": {"value": str(need), "unknown": False, "layer": layer,
                      "display": {"vi": f"{need} ấp", "en": f"{need} hamlet" + ("s" if need != 1 else "")}},
        "margin": {"value": str(passing - need), "unit": "hamlets",
                   "display": {"vi": f"{passing - need:+d} ấp", "en": f"{passing - need:+d} hamlets"}},
        "source": source_view(spec.source), "explanation": Text(vi, en),
    }
    if status != "pass":
        views["to_pass"] = {"value": str(need), "display": {
            "vi": f"cần thêm {need - passing} ấp đạt đủ các chỉ tiêu",
            "en": f"needs {need - passing} more hamlet(s) meeting every indicator"}}
    return IndicatorResult(id=spec.id, title=Text(spec.title.vi, spec.title.en), status=status, op=spec.op,
                           layer=layer, hamlets=tuple(hamlets), missing_facts=missing, views=views)


def _comparisons(spec):
    if isinstance(spec, CompareIndicator):
        yield spec
    elif isinstance(spec, AnyOfIndicator):
        yield from spec.alternatives


def _unknown_result(spec, layer: str, source) -> IndicatorResult:
    vi = "Nội dung chỉ tiêu chưa được mã hóa (văn bản chưa có hoặc do tỉnh quy định): không thể kết luận."
    en = "The indicator's content is not encoded (text unavailable or delegated to the province): undecidable."
    if source.note:
        vi += f" Ghi chú: {source.note}"
        en += f" Note: {source.note}"
    return IndicatorResult(id=spec.id, title=Text(spec.title.vi, spec.title.en), status="undecidable", layer=layer,
                           views={"source": source_view(source), "explanation": Text(vi, en),
                                  "threshold": {"value": None, "unknown": True, "layer": layer,
                                                "display": {"vi": "chưa rõ", "en": "unknown"}}})


def _criterion(ctx: _Context, crit, indicators: list) -> CriterionResult:
    results = tuple(r for _, r in indicators)
    spec = crit.spec
    require = "all" if spec.require == "all" else f"at_least:{spec.require.at_least}"
    if spec.not_applicable:
        return CriterionResult(spec.id, Text(spec.title.vi, spec.title.en), "not_applicable", require, spec.key,
                               crit.layer, results, Text(spec.not_applicable, spec.not_applicable))
    statuses = [r.status for r in results]
    passes = statuses.count("pass")
    open_ = sum(s in ("missing", "undecidable") for s in statuses)
    need = len(statuses) if spec.require == "all" else spec.require.at_least
    if passes >= need:
        status = "pass"
    elif passes + open_ < need:
        status = "fail"
    else:
        status = "incomplete"
    return CriterionResult(spec.id, Text(spec.title.vi, spec.title.en), status, require, spec.key, crit.layer,
                           results)


def _prerequisite(ctx: _Context, prereq) -> PrerequisiteResult:
    found = [r for r in ctx.factset.counting_recognitions(Tier(prereq.tier))
             if prereq.recognised_from is None or r.date.earliest >= prereq.recognised_from]
    title = Text(prereq.title.vi, prereq.title.en)
    derived = ctx.derive(prereq.pack) if ctx.derive is not None and prereq.pack else None
    tier = prereq.tier.value
    if found:
        r = found[0]
        by = {"decision": r.decision, "date": str(r.date), "tier": r.tier.value, "field": r.field,
              "signer": r.signer, "how": "recognition"}
        return PrerequisiteResult(prereq.id, tier, title, "pass", by,
                                  Text(f"Đã được công nhận theo Quyết định {r.decision} ngày {r.date}.",
                                       f"Recognised by decision {r.decision} of {r.date}."),
                                  source_view(prereq.source), derived)
    others = [r for r in ctx.factset.recognitions if r.tier.value == tier]
    name_vi, name_en = TIER_NAMES[tier]
    vi = (f"Chưa có quyết định công nhận {name_vi} ({tier}) có hiệu lực tại ngày "
          f"{ctx.factset.as_of.isoformat()}.")
    en = f"No {name_en} ({tier}) recognition counts at {ctx.factset.as_of.isoformat()}."
    if others:
        vi += " (Có quyết định nhưng ghi ngày sau ngày đánh giá hoặc trước ngày áp dụng.)"
        en += " (A decision exists but is dated after the assessment date or before the rule's start.)"
    if derived is None:
        return PrerequisiteResult(prereq.id, tier, title, "fail", None, Text(vi, en), source_view(prereq.source))
    status = {"certified": "pass", "not_certified": "fail", "incomplete": "incomplete"}[derived.verdict]
    word = {"certified": ("đạt chuẩn", "certified"), "not_certified": ("không đạt chuẩn", "not certified"),
            "incomplete": ("chưa đủ căn cứ kết luận", "incomplete")}[derived.verdict]
    by = {"how": "derived", "pack": derived.pack["id"], "version": derived.pack["version"],
          "verdict": derived.verdict} if status == "pass" else None
    return PrerequisiteResult(
        prereq.id, tier, title, status, by,
        Text(f"{vi} Đánh giá bộ {derived.pack['id']} trên cùng bộ số liệu: {word[0]}.",
             f"{en} Evaluating {derived.pack['id']} on the same facts: {word[1]}."),
        source_view(prereq.source), derived)
