"""The legal sources the packs cite (rules/law.yaml, format ntmcert/law/v1), and their pages.

Every `document:` a pack writes must be covered by an entry of the register, so that a user of a
clone or of the wheel can read what is known of it (number, date, signer, what it decides, where it
was read); `ntmcert packs law` renders docs/law/ from the register and from the packs, which give
the indicators read from each document.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ntmcert.core.errors import Problem
from ntmcert.core.paths import rules_dir
from ntmcert.inputs.catalogue import Label
from ntmcert.inputs.validation import validate_document
from ntmcert.inputs.yamlio import load_path
from ntmcert.packs.library import PackLibrary
from ntmcert.packs.schema import LegalBasis, PackDoc, Provenance, Source
from pydantic import BaseModel, ConfigDict, Field

LAW_FILE = "law.yaml"
_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class LawDocument(BaseModel):
    """What is known of one cited document; None where it is not known."""

    model_config = _STRICT
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    number: str = Field(min_length=1)
    issuer: str = Field(min_length=1)
    date: dt.date | None = None
    signer: str | None = None
    title: Label
    decides: str = Field(min_length=1)
    provenance: Provenance
    read_in: tuple[str, ...] = Field(min_length=1)
    url: str | None = None
    notes: str | None = None
    cited_as: tuple[str, ...] = Field(min_length=1)


class LawRegister(BaseModel):
    model_config = _STRICT
    format: Literal["ntmcert/law/v1"]
    documents: tuple[LawDocument, ...]

    def get(self, key: str) -> LawDocument | None:
        """An entry by id, number or a way the packs cite it."""
        for doc in self.documents:
            if key in (doc.id, doc.number) or key in doc.cited_as:
                return doc
        return None


def load_register(path: Path | None = None) -> LawRegister:
    """The register (the bundled rules/law.yaml by default); InputError with located problems."""
    doc = load_path(path or rules_dir() / LAW_FILE)
    register, collector = validate_document(doc, LawRegister, "law")
    seen: dict[str, str] = {}
    for i, entry in enumerate(register.documents):
        for key in (entry.id, *entry.cited_as):
            if key in seen and seen[key] != entry.id:
                loc = doc.locate(("documents", i))
                collector.add("law_duplicate", f"{key!r} is used by both {seen[key]} and {entry.id}",
                              line=loc.line, column=loc.column, key_path=loc.key_path)
            seen.setdefault(key, entry.id)
    collector.raise_if_any()
    return register


@dataclass(frozen=True)
class Citation:
    """One place where a pack cites a document."""

    pack_id: str
    where: str  # e.g. "c05 › c05.1", "legal basis", "parameter ntm_stunting_max (from 2022-03-08)"
    document: str
    article: str | None
    provenance: str


def _walk(node: Any, where: str) -> Iterator[tuple[str, Source | LegalBasis]]:
    """Every Source and LegalBasis under a model, with the ids leading to it (generic, so new
    indicator kinds are covered without change)."""
    if isinstance(node, (Source, LegalBasis)):
        yield where, node
        return
    if isinstance(node, BaseModel):
        ident = getattr(node, "id", None)
        here = f"{where} › {ident}" if isinstance(ident, str) and where else (ident if isinstance(ident, str)
                                                                            else where)
        for name in type(node).model_fields:
            yield from _walk(getattr(node, name), here)
    elif isinstance(node, (tuple, list)):
        for item in node:
            yield from _walk(item, where)
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from _walk(item, f"{where} {key}".strip())


def pack_citations(pack_id: str, doc: PackDoc) -> list[Citation]:
    """Every citation in a pack's own file (an overlay's citations are its own)."""
    out = []
    for basis in doc.legal_basis:
        out.append(Citation(pack_id, "legal basis", basis.document, None, basis.provenance.value))
    for p in doc.prerequisites:
        out.append(Citation(pack_id, f"prerequisite {p.id}", p.source.document, p.source.article,
                            p.source.provenance.value))
    for name, param in doc.parameters.items():
        if param.unknown_source is not None:
            s = param.unknown_source
            out.append(Citation(pack_id, f"parameter {name} (value unknown)", s.document, s.article,
                                s.provenance.value))
        for value in param.values:
            s = value.source
            out.append(Citation(pack_id, f"parameter {name} (from {value.valid_from.isoformat()})", s.document,
                                s.article, s.provenance.value))
    for crit in doc.criteria:
        for where, src in _walk(crit, ""):
            out.append(Citation(pack_id, where, src.document, getattr(src, "article", None),
                                src.provenance.value))
    return out


_BOUNDARY = re.compile(r"^($|[\s,;(\[])")


def documents_cited(text: str, register: LawRegister) -> tuple[list[str], list[str]]:
    """(entry ids covering `text`, parts of it that no entry covers); `text` is split at ';'."""
    found: list[str] = []
    uncovered: list[str] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        hits = [doc.id for doc in register.documents
                if any(part.startswith(c) and _BOUNDARY.match(part[len(c):]) for c in doc.cited_as)]
        if hits:
            found.extend(h for h in hits if h not in found)
        else:
            uncovered.append(part)
    return found, uncovered


def check_citations(library: PackLibrary, register: LawRegister) -> list[Problem]:
    """A problem for every cited document no register entry covers."""
    problems = []
    for pack in library.all():
        for c in pack_citations(pack.id, pack.doc):
            for part in documents_cited(c.document, register)[1]:
                problems.append(Problem("law_document_without_page",
                                        f"{pack.id} cites {part!r} ({c.where}), which no entry of "
                                        f"{LAW_FILE} covers: add it with what is known of the document"))
    return problems


# ----------------------------------------------------------------------------- pages

def _date(d: dt.date | None) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}" if d else "not known"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def render_page(entry: LawDocument, citations: list[Citation]) -> str:
    generated = ("Generated by `ntmcert packs law` from the register of legal sources (`rules/law.yaml`) and the "
                 "bundled packs; a test fails when it is out of date.")
    lines = [f"# {entry.number}", "", generated, "",
             "| | |", "|---|---|",
             f"| Number | {_cell(entry.number)} |",
             f"| Issued by | {_cell(entry.issuer)} |",
             f"| Date | {_date(entry.date)} |",
             f"| Signed by | {_cell(entry.signer) or 'not known'} |",
             f"| Subject (vi) | {_cell(entry.title.vi)} |",
             f"| Subject (en) | {_cell(entry.title.en)} |",
             f"| Provenance of what is known | `{entry.provenance.value}` |"]
    if entry.url:
        lines.append(f"| Address | <{entry.url}> |")
    lines += ["", "## What it decides", "", entry.decides, "", "## Where it was read", ""]
    lines += [f"- {text}" for text in entry.read_in]
    if entry.notes:
        lines += ["", "## Notes", "", entry.notes]
    lines += ["", "## What the packs read from it", ""]
    if citations:
        lines += ["| pack | where | article | provenance |", "|---|---|---|---|"]
        lines += [f"| `{c.pack_id}` | {_cell(c.where)} | {_cell(c.article) or '—'} | `{c.provenance}` |"
                  for c in citations]
    else:
        lines.append("No bundled pack cites it.")
    return "\n".join(lines) + "\n"


def law_docs(library: PackLibrary, register: LawRegister) -> dict[str, str]:
    """{file name: Markdown}: README.md (the index) and one page per register entry."""
    cited: dict[str, list[Citation]] = {d.id: [] for d in register.documents}
    for pack in library.all():
        for c in pack_citations(pack.id, pack.doc):
            for ident in documents_cited(c.document, register)[0]:
                cited[ident].append(c)
    docs = {f"{d.id}.md": render_page(d, cited[d.id]) for d in register.documents}
    intro = ("What is known of every document the bundled packs cite: number, date, signer, what it decides, "
             "where it was read and what the packs read from it. Generated by `ntmcert packs law` from "
             "`rules/law.yaml` and the packs; a test fails when a pack cites a document without a page here.")
    index = ["# Legal sources", "", intro, "", "| document | date | provenance | cited | subject |",
             "|---|---|---|---|---|"]
    for d in sorted(register.documents, key=lambda d: (d.date or dt.date.min, d.number)):
        index.append(f"| [{_cell(d.number)}]({d.id}.md) | {_date(d.date)} | `{d.provenance.value}` | "
                     f"{len(cited[d.id])} | {_cell(d.title.en)} |")
    docs["README.md"] = "\n".join(index) + "\n"
    return docs
