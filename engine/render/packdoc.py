"""A pack's criteria as a Markdown table: ids, titles, operators, thresholds, layers, provenance."""

from __future__ import annotations

from typing import cast

from ntmcert.core.text import UNKNOWN, Text, provenance
from ntmcert.core.text import date as date_text
from ntmcert.packs.library import Pack
from ntmcert.packs.registry import kind_of
from ntmcert.packs.schema import Comparison, ParameterRef, Percent
from ntmcert.render.common import SYMBOL, tier_name

REQUIRED_ANSWER = {True: Text("đạt / có", "yes"), False: Text("không", "no")}
FROM = Text("từ", "from")
OR = Text("hoặc ", "or ")
UNKNOWN_HAMLETS = Text("chưa rõ", "unknown (defined by the province)")


def _threshold(cmp: Comparison, pack: Pack, lang: str) -> str:
    th = cmp.threshold
    if th == "unknown":
        return UNKNOWN.get(lang)
    if isinstance(th, bool):
        return REQUIRED_ANSWER[th].get(lang)
    if isinstance(th, Percent):
        return f"{th.percent}%"
    if isinstance(th, ParameterRef):
        param = pack.parameters[th.parameter]
        unit = "%" if param.spec.percent else ""
        values = "; ".join(
            f"{FROM.get(lang)} {date_text(v.valid_from, lang)}: "
            + (f"{v.value}{unit}" if v.value is not None
               else ", ".join(f"{r.value} {n}{unit}" for r, n in (v.by_region or {}).items()))
            for v in param.spec.values) or UNKNOWN.get(lang)
        factor = f"{th.factor} × " if th.factor != 1 else ""
        return f"{factor}`{th.parameter}` ({values})"
    return str(th)


def _label(text, lang: str) -> str:
    """A text that may be given in both languages or in one."""
    return text if isinstance(text, str) else text.get(lang)


ENGLISH_NOTES = Text("", "shown")
DOC = {
    "tier": Text("hạng", "tier"), "scope": Text("phạm vi", "scope"), "national": Text("toàn quốc", "national"),
    "completeness": Text("mức đầy đủ", "completeness"), "complete": Text("đầy đủ", "complete"),
    "partial": Text("chưa đầy đủ", "partial"), "layers": Text("các lớp", "layers"),
    "basis": Text("căn cứ pháp lý", "legal basis"), "prerequisites": Text("Điều kiện tiên quyết", "Prerequisites"),
    "criteria": Text("Tiêu chí", "Criteria"), "parameters": Text("Tham số", "Parameters"),
    "heads": Text("tiêu chí | chỉ tiêu | số liệu | quy tắc | lớp | căn cứ",
                  "criterion | indicator | fact | rule | layer | source"),
    "unknown_value": Text("chưa rõ", "unknown"), "from": Text("từ", "from"), "hamlets": Text("các ấp", "hamlets"),
}


def _d(value, lang: str) -> str:
    return date_text(value, lang) if value else "…"


def _src(source, lang: str) -> str:
    text = source.document + (f", {source.article}" if source.article else "")
    if source.url:
        text = f"[{text}]({source.url})"
    return f"{text} — *{provenance(source.provenance.value, lang)}*"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_pack(pack: Pack, lang: str = "vi") -> str:
    d = pack.doc
    w = {k: v.get(lang) for k, v in DOC.items()}
    title = d.title.get(lang)
    out = [f"# {title}", "", f"- id: `{pack.id}` v{pack.version} (sha256 `{pack.sha256[:16]}…`)",
           f"- {w['tier']}: {tier_name(d.tier.value, lang)}; {w['scope']}: {d.scope.province or w['national']}, "
           f"{_d(d.scope.valid_from, lang)} → {_d(d.scope.valid_to, lang)}; {w['completeness']}: {w[d.completeness]}"
           + (f" ({_label(d.completeness_note, lang)})" if d.completeness_note else ""),
           f"- {w['layers']}: {' → '.join(pack.chain)}",
           f"- {w['basis']}: " + "; ".join(f"{b.document} ({provenance(b.provenance.value, lang)})"
                                          for b in d.legal_basis)]
    if ENGLISH_NOTES.get(lang):  # the legal bases' notes are written in English only
        out += [f"  - {b.document}: {b.note}" for b in d.legal_basis if b.note]
    out.append("")
    if pack.prerequisites:
        out += [f"## {w['prerequisites']}", ""]
        out += [f"- `{p.id}`: {w['tier']} {tier_name(p.tier.value, lang)} — {p.title.get(lang)} "
                f"({_src(p.source, lang)})" for p in pack.prerequisites]
        out.append("")
    out += [f"## {w['criteria']}", "", f"| {w['heads']} |", "|---|---|---|---|---|---|"]
    for crit in pack.criteria:
        # a resolved criterion has its title: the library refuses a new criterion without one
        ct = cast(Text, crit.spec.title).get(lang)
        req = "" if crit.spec.require == "all" else f" (≥ {crit.spec.require.at_least})"
        key = " 🔑" if crit.spec.key else ""
        for ind in crit.indicators:
            for name, fact, rule, source in _rows(ind.spec, pack, lang):
                out.append(f"| `{crit.id}` {_cell(ct)}{req}{key} | {name} | {fact} | {_cell(rule)} | {ind.layer} | "
                           f"{_cell(source)} |")
    if pack.parameters:
        out += ["", f"## {w['parameters']}", ""]
        for name, p in sorted(pack.parameters.items()):
            out.append(f"- `{name}` ({p.layer}): {p.spec.title.get(lang)}"
                       + (f"; {w['unknown_value']} — {_src(p.spec.unknown_source, lang)}"
                          if not p.spec.values and p.spec.unknown_source else ""))
            for v in p.spec.values:
                val = (v.value if v.value is not None
                       else ", ".join(f"{r.value}: {n}" for r, n in (v.by_region or {}).items()))
                out.append(f"  - {w['from']} {_d(v.valid_from, lang)}: {val} ({_src(v.source, lang)})")
    out.append("")
    return "\n".join(out)


def _rows(spec, pack: Pack, lang: str):
    for row in kind_of(spec).doc_rows(spec):
        prefix = "▸ " if row.nested else ""
        fact = f"`{row.fact}`" if row.fact else "—"
        if row.title is None:  # a continuation row: the rule is left to the province
            yield (f"{prefix}`{row.ident}` ▸", fact, UNKNOWN_HAMLETS.get(lang),
                   _src(row.source, lang))
            continue
        title = row.title.get(lang)
        if row.comparison is not None:
            word = OR.get(lang) if row.alternative else ""
            rule = f"{word}{title}: {SYMBOL[row.comparison.op]} {_threshold(row.comparison, pack, lang)}"
        elif row.count is not None:
            rule = f"{title}: ≥ {row.count}"
        elif row.share_of_hamlets is not None:
            op, share = row.share_of_hamlets
            rule = f"{title}: {SYMBOL[op]} {share.percent}% " + Text("tổng số ấp", "of all hamlets").get(lang)
        else:
            rule = f"{title}: " + UNKNOWN.get(lang)
        yield (f"{prefix}`{row.ident}`", fact if row.fact != "hamlets" else DOC["hamlets"].get(lang), rule,
               _src(row.source, lang))


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
