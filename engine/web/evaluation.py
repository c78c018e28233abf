"""Evaluating a form: its fact set through ntmcert's loader and evaluator (the service's `_core`,
so the web gives the CLI's verdicts), problems located at form fields, each field's status."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..service import _core as core
from .forms import FormState, to_data

_HAMLET_PATH = re.compile(r"^hamlets\[(\d+)\]\.facts\.([a-z0-9_]+)")
_FACT_PATH = re.compile(r"^facts\.([a-z0-9_]+)")


@dataclass
class Evaluated:
    state: FormState
    data: dict[str, Any]
    pack_ids: list[str] = field(default_factory=list)
    verdicts: list[Any] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # problems no field shows

    @property
    def ok(self) -> bool:
        return bool(self.verdicts) and not self.state.errors and not self.problems


def _field_of(key_path: str | None, data: dict[str, Any]) -> str | None:
    if not key_path:
        return None
    m = _HAMLET_PATH.match(key_path)
    if m:
        return f"h{m.group(1)}.f.{m.group(2)}"
    m = _FACT_PATH.match(key_path)
    if m:
        return f"f.{m.group(1)}"
    if key_path.startswith("commune."):
        return "c." + key_path.split(".")[1]
    if key_path.startswith("as_of"):
        return "as_of"
    if key_path.startswith("recognitions["):
        index = int(key_path[len("recognitions["):].split("]")[0])
        recs = data.get("recognitions") or []
        if index < len(recs):
            return f"r.{recs[index]['tier']}.date" if "date" in key_path else f"r.{recs[index]['tier']}.decision"
    return None


def evaluate_form(state: FormState, lang: str, engine: str, *, strict: bool = True) -> Evaluated:
    """Evaluate the form's fact set; with strict=False (the live fragments) fields in error are
    left out and the rest is still evaluated."""
    data = to_data(state, lang)
    out = Evaluated(state, data)
    if strict and state.errors:
        return out
    if any(k in state.errors for k in ("c.name", "c.province", "c.region", "as_of")):
        return out
    doc = core.Document(data, "form", {}, [])
    try:
        factset = core.parse_factset(doc, None)
        packs = core.packs_for(factset, [state.pack] if state.pack else [])
    except core.InputError as exc:
        for p in exc.problems:
            name = _field_of(p.location.key_path, data)
            if name:
                state.errors.setdefault(name, p.message)
            else:
                out.problems.append(f"{p.code}: {p.message}")
        return out
    except core.PackNotFoundError as exc:
        out.problems.append(str(exc))
        return out
    out.pack_ids = [p.id for p in packs]
    out.verdicts = core.evaluate(factset, packs, None, False, engine)
    return out


def results_for(verdicts: list[Any], fact_id: str, hamlet: str | None = None) -> list[tuple[Any, Any]]:
    """(verdict, indicator result) of every comparison on this fact, alternatives included; for a
    hamlet fact, that hamlet's results."""
    found = []

    def walk(v: Any, ind: Any, in_hamlet: str | None) -> None:
        if ind.fact == fact_id and (hamlet is None or in_hamlet == hamlet):
            found.append((v, ind))
        for alt in ind.alternatives:
            walk(v, alt, in_hamlet)
        for h in ind.hamlets:
            for sub in h.indicators:
                walk(v, sub, h.name)

    for v in verdicts:
        for crit in v.criteria:
            for ind in crit.indicators:
                walk(v, ind, None)
    return found


def display(view: Any, lang: str) -> str:
    """A margin's or to-pass's display text in the page's language."""
    if isinstance(view, dict):
        shown = view.get("display")
        if isinstance(shown, dict):
            return shown.get(lang) or ""
    return ""


def outcome(verdicts: list[Any]) -> str:
    kinds = {v.verdict for v in verdicts}
    return next((k for k in ("not_certified", "incomplete") if k in kinds), "certified")
