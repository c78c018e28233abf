"""A pack's criteria as a Markdown table: ids, titles, operators, thresholds, layers, provenance."""

from __future__ import annotations

from ntmcert.packs.library import Pack
from ntmcert.packs.registry import kind_of
from ntmcert.packs.schema import Comparison, ParameterRef, Percent
from ntmcert.render.common import SYMBOL


def _threshold(cmp: Comparison, pack: Pack, lang: str) -> str:
    th = cmp.threshold
    if th == "unknown":
        return "chưa rõ" if lang == "vi" else "unknown"
    if isinstance(th, bool):
        return ("đạt / có" if lang == "vi" else "yes") if th else ("không" if lang == "vi" else "no")
    if isinstance(th, Percent):
        return f"{th.percent}%"
    if isinstance(th, ParameterRef):
        param = pack.parameters[th.parameter]
        unit = "%" if param.spec.percent else ""
        values = "; ".join(
            f"{'từ' if lang == 'vi' else 'from'} {v.valid_from}: "
            + (f"{v.value}{unit}" if v.value is not None
               else ", ".join(f"{r.value} {n}{unit}" for r, n in (v.by_region or {}).items()))
            for v in param.spec.values) or ("chưa rõ" if lang == "vi" else "unknown")
        factor = f"{th.factor} × " if th.factor != 1 else ""
        return f"{factor}`{th.parameter}` ({values})"
    return str(th)


def _label(text, lang: str) -> str:
    """A text that may be given in both languages or in one."""
    return text if isinstance(text, str) else (text.vi if lang == "vi" else text.en)


def _src(source) -> str:
    text = source.document + (f", {source.article}" if source.article else "")
    if source.url:
        text = f"[{text}]({source.url})"
    return f"{text} — *{source.provenance.value}*"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_pack(pack: Pack, lang: str = "vi") -> str:
    d = pack.doc
    title = d.title.vi if lang == "vi" else d.title.en
    out = [f"# {title}", "", f"- id: `{pack.id}` v{pack.version} (sha256 `{pack.sha256[:16]}…`)",
           f"- tier: {d.tier.value}; scope: {d.scope.province or 'national'}, {d.scope.valid_from} → "
           f"{d.scope.valid_to or '…'}; completeness: {d.completeness}"
           + (f" ({_label(d.completeness_note, lang)})" if d.completeness_note else ""),
           f"- layers: {' → '.join(pack.chain)}",
           "- legal basis: " + "; ".join(f"{b.document} ({b.provenance.value})" for b in d.legal_basis)]
    out += [f"  - {b.document}: {b.note}" for b in d.legal_basis if b.note]
    out.append("")
    if pack.prerequisites:
        out += ["## Prerequisites", ""]
        out += [f"- `{p.id}`: tier `{p.tier.value}` — {p.title.vi if lang == 'vi' else p.title.en} ({_src(p.source)})"
                for p in pack.prerequisites]
        out.append("")
    out += ["## Criteria", "", "| criterion | indicator | fact | rule | layer | source |", "|---|---|---|---|---|---|"]
    for crit in pack.criteria:
        ct = crit.spec.title.vi if lang == "vi" else crit.spec.title.en
        req = "" if crit.spec.require == "all" else f" (≥ {crit.spec.require.at_least})"
        key = " 🔑" if crit.spec.key else ""
        for ind in crit.indicators:
            for name, fact, rule, source in _rows(ind.spec, pack, lang):
                out.append(f"| `{crit.id}` {_cell(ct)}{req}{key} | {name} | {fact} | {_cell(rule)} | {ind.layer} | "
                           f"{_cell(source)} |")
    if pack.parameters:
        out += ["", "## Parameters", ""]
        for name, p in sorted(pack.parameters.items()):
            out.append(f"- `{name}` ({p.layer}): {p.spec.title.vi if lang == 'vi' else p.spec.title.en}"
                       + (f"; unknown — {_src(p.spec.unknown_source)}" if not p.spec.values and p.spec.unknown_source
                          else ""))
            for v in p.spec.values:
                val = v.value if v.value is not None else ", ".join(f"{r.value}: {n}" for r, n in v.by_region.items())
                out.append(f"  - from {v.valid_from}: {val} ({_src(v.source)})")
    out.append("")
    return "\n".join(out)


def _rows(spec, pack: Pack, lang: str):
    for row in kind_of(spec).doc_rows(spec):
        prefix = "▸ " if row.nested else ""
        fact = f"`{row.fact}`" if row.fact else "—"
        if row.title is None:  # a continuation row: the rule is left to the province
            yield (f"{prefix}`{row.ident}` ▸", fact, "chưa rõ" if lang == "vi" else "unknown (defined by the province)",
                   _src(row.source))
            continue
        title = row.title.vi if lang == "vi" else row.title.en
        if row.comparison is not None:
            word = ("hoặc " if lang == "vi" else "or ") if row.alternative else ""
            rule = f"{word}{title}: {SYMBOL[row.comparison.op]} {_threshold(row.comparison, pack, lang)}"
        elif row.count is not None:
            rule = f"{title}: ≥ {row.count}"
        elif row.share_of_hamlets is not None:
            op, share = row.share_of_hamlets
            rule = f"{title}: {SYMBOL[op]} {share.percent}% " + ("tổng số ấp" if lang == "vi" else "of all hamlets")
        else:
            rule = f"{title}: " + ("chưa rõ" if lang == "vi" else "unknown")
        yield (f"{prefix}`{row.ident}`", fact if row.fact != "hamlets" else "hamlets", rule, _src(row.source))


def pack_json(pack: Pack) -> str:
    """The resolved pack as JSON: header, layers, parameters and criteria with their layers."""
    from ntmcert.evaluation.verdict import dumps

    return dumps({
        "schema": "ntmcert/pack-resolved/v1", "id": pack.id, "version": pack.version, "sha256": pack.sha256,
        "chain": list(pack.chain), "header": pack.doc.model_dump(mode="json", exclude={"criteria", "parameters"}),
        "parameters": {name: {"layer": p.layer, **p.spec.model_dump(mode="json", by_alias=True)}
                       for name, p in sorted(pack.parameters.items())},
        "criteria": [{"layer": c.layer, **c.spec.model_dump(mode="json", exclude={"indicators"}),
                      "indicators": [{"layer": i.layer, **i.spec.model_dump(mode="json")} for i in c.indicators]}
                     for c in pack.criteria],
    })


def criteria_docs(library) -> dict[str, str]:
    """{relative file name: Markdown} for every bundled pack, in Vietnamese and English."""
    docs = {}
    index = ["# Criteria tables", "", "Generated by `ntmcert packs docs` from the bundled packs; "
             "a test fails when they are out of date.", "", "| pack | version | tier | English | Tiếng Việt |",
             "|---|---|---|---|---|"]
    for pack in library.all():
        base = pack.id
        docs[f"{base}.en.md"] = render_pack(pack, "en")
        docs[f"{base}.vi.md"] = render_pack(pack, "vi")
        index.append(f"| `{pack.id}` | {pack.version} | {pack.doc.tier.value} | [{pack.doc.title.en}]({base}.en.md) "
                     f"| [{pack.doc.title.vi}]({base}.vi.md) |")
    docs["README.md"] = "\n".join(index) + "\n"
    return docs
