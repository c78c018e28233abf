"""What-if: change some facts of a fact set (never its file), evaluate again, list what moved.

A change is written `fact=value` or `hamlet:<name>:fact=value`, the value as a spreadsheet cell
takes it (`kiosks=3`, `smart_irrigation_model=không`, `"households_with_smartphone=trên 90%"`,
`commune_records_online=1300/1508`, `population=1.362`) or in YAML flow syntax
(`commune_records_online={count: 1300, of: 1508}`); an empty value removes the fact.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ntmcert.core.errors import InputError, Location, Problem
from ntmcert.core.text import has_control, nfc, shorten
from ntmcert.evaluation.explain import JSONDict
from ntmcert.evaluation.verdict import IndicatorResult, Verdict
from ntmcert.inputs.catalogue import Catalogue, Level
from ntmcert.inputs.factset import parse_fact_value
from ntmcert.inputs.yamlio import Document, KeyPath, load_text

SCHEMA = "ntmcert/what-if/v1"


MAX_SET_CHARS = 10_000  # one --set argument: a value is a number or a small mapping


@dataclass(frozen=True)
class Change:
    ref: str  # fact id, or hamlet:<name>:<fact> (NFC)
    value: object  # None removes the fact
    text: str  # as written
    where: str = "--set"  # which argument: "--set #2"


_NULL_WORDS = ("null", "~", "none")

TextReader = Callable[[Any, str], Any]
"""Reads a value written as text for a fact (the spreadsheet cells' grammar, sheets.cells.fact_from_text);
raises ValueError, with a `code` attribute, when it cannot."""


def parse_changes(items: list[str], catalogue: Catalogue | None = None,
                  read_text: TextReader | None = None) -> list[Change]:
    """Parse `--set` arguments; every malformed one is reported, located at its argument
    (`--set #N [facts.<id>]`). A value is read with the spreadsheet cells' grammar for the fact's
    kind (có / không, "trên 90%", "90,32", "1.362"), or as YAML when it starts with `{`; an empty
    value removes the fact; `null` and values of several lines are errors."""
    from ntmcert.inputs.catalogue import bundled_catalogue

    catalogue = catalogue or bundled_catalogue()
    changes, problems = [], []
    for n, item in enumerate(items, 1):
        arg = f"--set #{n}"
        where = Location(arg, None, None, shorten(item, 80))  # a huge value is not echoed whole
        if "\n" in item or "\r" in item:
            problems.append(Problem("set_syntax", "a --set value is one line", Location(arg)))
            continue
        if len(item) > MAX_SET_CHARS:
            problems.append(Problem("set_too_long", f"the change is {len(item):,} characters long; at most "
                                    f"{MAX_SET_CHARS:,} are read", where))
            continue
        if has_control(item):
            problems.append(Problem("text_control_character", "the change holds a control character: remove it",
                                    where))
            continue
        ref, sep, text = nfc(item).partition("=")
        ref = ref.strip()
        if not sep or not ref:
            problems.append(Problem("set_syntax", "write fact=value or hamlet:<name>:fact=value", where))
            continue
        if ref.startswith("hamlet:") and ref.count(":") < 2:
            problems.append(Problem("set_syntax", "a hamlet fact is written hamlet:<name>:fact", where))
            continue
        hamlet, fact_id = (ref.split(":", 2)[1:] if ref.startswith("hamlet:") else (None, ref))
        key_path = f"hamlets[{hamlet}].facts.{fact_id}" if hamlet is not None else f"facts.{fact_id}"
        where = Location(arg, None, None, shorten(key_path, 80))
        fact = catalogue.get(fact_id)
        if fact is None:
            problems.append(Problem("fact_unknown", f"unknown fact id {fact_id!r}{catalogue.suggest(fact_id)}", where))
            continue
        if (fact.level is Level.hamlet) != (hamlet is not None):
            how = f"hamlet:<name>:{fact_id}=…" if fact.level is Level.hamlet else f"{fact_id}=…"
            problems.append(Problem("fact_wrong_level", f"{fact_id} is a {fact.level.value}-level fact: write {how}",
                                    where))
            continue
        text = text.strip()
        if not text:
            changes.append(Change(ref, None, item, arg))
            continue
        if text.casefold() in _NULL_WORDS:
            problems.append(Problem("set_null", f"{text} is not a value: write {ref}= (nothing after =) to remove "
                                    "the fact", where))
            continue
        value = _read_value(text, fact, arg, where, problems, read_text)
        if value is _BAD:
            continue
        found: list[Problem] = []

        def report(code: str, msg: str, path: tuple[object, ...], found: list[Problem] = found,
                   where: Location = where) -> None:
            found.append(Problem(code, msg, where))

        parse_fact_value(value, fact, (), report)
        if found:
            problems.extend(found)
            continue
        changes.append(Change(ref, value, item, arg))
    if problems:
        raise InputError(problems)
    return changes


_BAD = object()


def _read_value(text: str, fact: Any, arg: str, where: Location, problems: list[Problem],
                read_text: TextReader | None) -> Any:
    if text.startswith("{"):  # the fact set's own form: {count: 1300, of: 1508}
        try:
            doc = load_text(f"v: {text}", arg)
        except InputError as exc:
            problems.extend(Problem("set_value", p.message, where) for p in exc.problems)
            return _BAD
        if doc.problems:
            problems.extend(Problem("set_value", p.message, where) for p in doc.problems)
            return _BAD
        return doc.data["v"]
    if read_text is None:
        problems.append(Problem("set_value", "write the value as {…} (no text reader given)", where))
        return _BAD
    try:
        return read_text(fact, text)
    except ValueError as exc:
        code = getattr(exc, "code", "set_value")
        problems.append(Problem(code.replace("cell_", "set_"), str(exc), where))
        return _BAD


def apply_changes(doc: Document, changes: list[Change]) -> Document:
    """A new document with the changes applied to a deep copy of the data (the file is untouched).
    Positions are kept for everything not changed; a problem in a changed value names its --set."""
    data = copy.deepcopy(doc.data)
    if not isinstance(data, dict):
        return doc
    positions = dict(doc.positions)
    unknown: list[Problem] = []
    for change in changes:
        if change.ref.startswith("hamlet:"):
            _, name, fact = change.ref.split(":", 2)
            hamlets = data.setdefault("hamlets", [])
            hamlet = next((h for h in hamlets if isinstance(h, dict) and isinstance(h.get("name"), str)
                           and nfc(h["name"]).strip() == nfc(name).strip()), None)
            if hamlet is None:  # a typo must not add a second hamlet silently
                known = ", ".join(repr(h["name"]) for h in hamlets if isinstance(h, dict)
                                  and isinstance(h.get("name"), str)) or "none"
                unknown.append(Problem("set_unknown_hamlet", f"the fact set has no hamlet named {name!r} (its "
                                       f"hamlets: {shorten(known)})", Location(change.where, None, None,
                                                                                shorten(change.text, 80))))
                continue
            facts = hamlet.setdefault("facts", {})
            path: KeyPath = ("hamlets", hamlets.index(hamlet), "facts", fact)
        else:
            fact = change.ref
            facts = data.setdefault("facts", {})
            path = ("facts", fact)
        if change.value is None:
            facts.pop(fact, None)
        else:
            facts[fact] = change.value
        for key in [p for p in positions if p[:len(path)] == path]:
            del positions[key]
    if unknown:
        raise InputError(unknown)
    return Document(data, doc.file, positions, list(doc.problems))


@dataclass(frozen=True)
class Moved:
    pack: str
    ref: str  # "verdict", a criterion id, or an indicator reference (id, id#k, id@Hamlet)
    before: str
    after: str


def _statuses(verdict: Verdict) -> dict[str, str]:
    out: dict[str, str] = {"verdict": verdict.verdict}
    for p in verdict.prerequisites:
        out[f"prerequisite:{p.id}"] = p.status

    def leaf(ind: IndicatorResult, hamlet: str | None = None) -> None:
        suffix = f"@{hamlet}" if hamlet else ""
        out[ind.id + suffix] = ind.status
        for alt in ind.alternatives:
            out[alt.id + suffix] = alt.status
        for h in ind.hamlets:
            for sub in h.indicators:
                leaf(sub, h.name)

    for crit in verdict.criteria:
        out[f"criterion:{crit.id}"] = crit.status
        for ind in crit.indicators:
            leaf(ind)
    return out


def moved(before: Verdict, after: Verdict) -> list[Moved]:
    """Every status that differs between two verdicts of the same pack, in report order."""
    a, b = _statuses(before), _statuses(after)
    refs = list(a) + [r for r in b if r not in a]
    return [Moved(before.pack["id"], r, a.get(r, "—"), b.get(r, "—")) for r in refs if a.get(r) != b.get(r)]


def document(changes: list[Change], before: list[Verdict], after: list[Verdict]) -> JSONDict:
    """The what-if JSON: the changes, what moved, and both sets of verdicts."""
    return {
        "schema": SCHEMA,
        "hypothetical": True,  # computed on changed figures: never a dossier's verdict
        "mark": {"vi": "GIẢ ĐỊNH – không dùng làm hồ sơ", "en": "HYPOTHETICAL – not for the dossier"},
        "set": [c.text for c in changes],
        "moved": [m.__dict__ for b, a in zip(before, after, strict=True) for m in moved(b, a)],
        "before": [v.to_dict() for v in before],
        "after": [v.to_dict() for v in after],
    }
