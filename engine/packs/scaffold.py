"""`ntmcert packs new`: the files of a provincial overlay, ready to be filled in.

The overlay extends a national pack and changes nothing yet, so it passes `packs check` and its
tests as written; its comments say where each kind of provincial rule goes (a parameter the
national pack leaves unknown, a tightened criterion, an added one) and what must follow it (the
register of legal sources, the ledger, the cases).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ntmcert.core.errors import InputError, Location, Problem
from ntmcert.inputs.yamlio import load_path
from ntmcert.packs.library import Pack, PackLibrary


def slug(text: str) -> str:
    """'Trà Vinh' → 'tra-vinh' (Vietnamese letters without marks; đ → d)."""
    plain = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def _q(text: str) -> str:
    """A YAML scalar that reads back as exactly `text` (JSON strings are YAML strings)."""
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True)
class Scaffold:
    pack_id: str
    files: dict[str, str]  # path relative to the output folder → text


def _ledger_lines(parent: Pack, parent_ledger: Path) -> list[str]:
    """The parent's ledger entries, restated (they were written by hand against the law); the
    overlay inherits every comparison, and its ledger must list each one."""
    entries: dict[str, Any] = {}
    if parent_ledger.is_file():
        data = load_path(parent_ledger).data
        entries = dict(data.get("edges") or {}) if isinstance(data, dict) else {}
    from ntmcert.packs.compiler import rule_keys

    lines = []
    for key in rule_keys(parent):
        if key in entries:
            lines.append(f"  {_q(key)}: {_q(str(entries[key]))}")
        else:  # no hand-written entry to copy: say so, so that someone checks it against the law
            lines.append(f"  {_q(key)}: {_q('?')}  # restate from the law: no ledger entry in {parent.id}")
    return lines


def _plain_yaml(value: Any) -> str:
    """A flow-style YAML value (mappings, dates, numbers and text) that reads back the same."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_q(str(k))}: {_plain_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (dt.date, int)) and not isinstance(value, bool):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return _q(str(value))


def _other_sections(parent_ledger: Path) -> list[str]:
    """The parent ledger's `parameters:` (regional values) and `aggregates:` (hamlet shares),
    which the overlay inherits with the numbers they restate."""
    data = load_path(parent_ledger).data if parent_ledger.is_file() else {}
    lines: list[str] = []
    for section in ("parameters", "aggregates"):
        entries = data.get(section) if isinstance(data, dict) else None
        if entries:
            lines.append(f"{section}:")
            lines += [f"  {_q(str(k))}: {_plain_yaml(v)}" for k, v in entries.items()]
    return lines


def _comparison_count(parent: Pack) -> int:
    from ntmcert.packs.compiler import rule_keys

    return len(rule_keys(parent))


def _expected_empty(parent: Pack) -> tuple[str, dict[str, str]]:
    """Verdict and criterion statuses for a commune with no figures, from the pack's structure:
    every comparison is missing (or undecidable), so a criterion with indicators is incomplete, a
    prerequisite without a recognition fails."""
    criteria = {}
    for crit in parent.criteria:
        if crit.spec.not_applicable:
            criteria[crit.id] = "not_applicable"
        elif crit.indicators:
            criteria[crit.id] = "incomplete"
        else:
            criteria[crit.id] = "pass"
    verdict = "not_certified" if parent.prerequisites else (
        "incomplete" if any(s == "incomplete" for s in criteria.values()) else "certified")
    return verdict, criteria


def _unknown_parameters(parent: Pack) -> list[str]:
    return sorted(name for name, p in parent.parameters.items() if not p.spec.values)


def scaffold(library: PackLibrary, extends: str, province: str, pack_id: str | None = None,
             parent_rules: Path | None = None) -> Scaffold:
    """The overlay's pack.yaml, tests/cases.yaml and tests/edges.yaml."""
    parent = library.get(extends)
    if not province.strip() or len(province) > 100 or any(unicodedata.category(c).startswith("C") for c in province):
        raise InputError([Problem("scaffold_bad_province", "--province must be a province name: 1 to 100 "
                                  "printable characters")])
    if parent.doc.scope.province and parent.doc.scope.province != province:
        raise InputError([Problem("scaffold_bad_parent", f"{extends} is already {parent.doc.scope.province}'s "
                                                         f"pack; extend a national pack")])
    new_id = pack_id or f"{slug(province)}/{extends.rsplit('/', 1)[-1]}"
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)+", new_id):
        raise InputError([Problem("scaffold_bad_id", f"{new_id!r} is not a pack id (lowercase words joined by "
                                                     f"'-', folders by '/')")])
    if new_id in library.ids():
        raise InputError([Problem("scaffold_exists", f"a pack {new_id!r} already exists")])
    d = parent.doc
    scope = d.scope
    unknown = _unknown_parameters(parent)
    pack = [
        f"# {province}: provincial overlay of {extends} ({d.title.en}).",
        "# Scaffolded by `ntmcert packs new`. It changes nothing yet: every criterion is the national one.",
        "# Add what the province's own decision says, each number with its source:",
        "#   - a number the national pack leaves unknown: a parameter below (override: true, dated values);",
        "#   - a tightened criterion: the criterion's id with override: true and the indicators it replaces;",
        "#   - an added criterion: a new id.",
        "# Then: the decision in rules/law.yaml (`ntmcert packs law` renders its page), every new comparison",
        "# in tests/edges.yaml (restated from the decision's wording), a case on each side of every new",
        "# threshold in tests/cases.yaml, `ntmcert packs check rules`, and the tests.",
        "format: ntmcert/pack/v1",
        f"id: {new_id}",
        "version: 0.1.0",
        "title:",
        f"  vi: {_q(d.title.vi + ' – tỉnh ' + province)}",
        f"  en: {_q(d.title.en + ' – ' + province + ' province')}",
        f"tier: {d.tier.value}",
        f"completeness: {d.completeness}",
    ]
    if d.completeness == "partial":
        note_vi = f"Lớp của tỉnh {province} chưa có nội dung riêng; bộ quốc gia chưa đầy đủ."
        note_en = f"The {province} layer has no content of its own yet; the national set is partial."
        pack += ["completeness_note:", f"  vi: {_q(note_vi)}", f"  en: {_q(note_en)}"]
    pack += ["scope:", f"  province: {_q(province)}", f"  valid_from: {scope.valid_from.isoformat()}"]
    if scope.valid_to:
        pack.append(f"  valid_to: {scope.valid_to.isoformat()}")
    pack += ["# Put the province's decision first once it is known (number, date, provenance); the national",
             "# basis stays until then.", "legal_basis:"]
    for b in d.legal_basis:
        pack.append(f"  - document: {_q(b.document)}")
        if b.title:
            pack.append(f"    title: {_q(b.title)}")
        if b.date:
            pack.append(f"    date: {b.date.isoformat()}")
        pack.append(f"    provenance: {b.provenance.value}")
    pack.append(f"extends: {extends}")
    if unknown:
        pack += ["# Numbers the national pack leaves unknown; supply the province's, for example:",
                 "# parameters:"]
        first = parent.parameters[unknown[0]].spec
        pack += [f"#   {unknown[0]}:", "#     override: true", "#     title:",
                 f"#       vi: {_q(first.title.vi + ' – ' + province)}",
                 f"#       en: {_q(first.title.en + ' – ' + province)}",
                 "#     values:", "#       - from: 2025-01-01", "#         value: 0  # the decision's number",
                 "#         source:", f"#           document: {_q('QĐ …/QĐ-UBND (dd/mm/yyyy)')}",
                 "#           article: …", "#           provenance: official"]
        pack += [f"# Also unknown nationally: {', '.join(unknown[1:])}"] if len(unknown) > 1 else []
    pack.append("criteria: []")
    verdict, criteria = _expected_empty(parent)
    as_of = scope.valid_from.isoformat()
    cases = [
        f"# Cases for {new_id}. The first is generated from the pack's structure; add a case on each side of",
        "# every threshold the province changes (see the national pack's cases for the form).",
        "cases:",
        f"  - name: {_q(f'A commune of {province} with no figures is decided on nothing: every criterion is open')}",
        "    factset:",
        f"      commune: {{name: {_q('Xã Mẫu')}, province: {_q(province)}, region: dbscl}}",
        f"      as_of: {as_of}",
        "      facts: {}",
        "    expect:",
        f"      verdict: {verdict}",
        "      criteria:",
        *[f"        {_q(cid)}: {status}" for cid, status in criteria.items()],
    ]
    ledger_path = (parent_rules or library.root) / extends / "tests" / "edges.yaml"
    edges = [
        f"# Ledger of {new_id}: every comparison of the resolved pack, restated as the law words it (double",
        f"# entry). Inherited from {extends}: {_comparison_count(parent)} comparison(s), copied from its ledger.",
        "# A comparison the province changes must be restated here from the province's decision.",
        "edges:" + ("" if _comparison_count(parent) else " {}"),
        *_ledger_lines(parent, ledger_path),
        *_other_sections(ledger_path),
    ]
    base = new_id
    return Scaffold(new_id, {f"{base}/pack.yaml": "\n".join(pack) + "\n",
                             f"{base}/tests/cases.yaml": "\n".join(cases) + "\n",
                             f"{base}/tests/edges.yaml": "\n".join(edges) + "\n"})


def write(scaffold_: Scaffold, out: Path) -> list[Path]:
    """Write the files under `out`; refuse to touch an existing folder; all or nothing."""
    target = out / scaffold_.pack_id
    if target.exists():
        raise InputError([Problem("scaffold_exists", f"{target} already exists; nothing was written",
                                  Location(str(target)))])
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".ntmcert-new-", dir=out))
    try:
        for rel, text in scaffold_.files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        (staging / scaffold_.pack_id).rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / rel for rel in scaffold_.files]


__all__ = ["Scaffold", "scaffold", "slug", "write"]
