"""What changed between two packs (two packs, or two versions of one): criteria, indicators,
thresholds, operators, parameters and sources, compared on the resolved packs (layers applied).

Each pack is flattened to {path: value}, where a path names things by their ids (criterion ›
indicator › field), never by their position, so reordering is not a change and one edited
threshold is exactly one change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ntmcert.core.errors import InputError, Location, Problem
from ntmcert.core.text import printable
from ntmcert.packs.library import Pack, PackLibrary
from ntmcert.packs.schema import ParameterRef, Percent

PACK_FILE = "pack.yaml"
# markers of the things whose addition or removal is one change (their fields are not listed again)
NODES = {"<criterion>": "criterion", "<indicator>": "indicator", "<alternative>": "indicator",
         "<parameter>": "parameter"}


@dataclass(frozen=True)
class Change:
    """One difference: added, removed or changed, at a path, with the kind of thing it is."""

    change: str  # added | removed | changed
    kind: str  # header | legal_basis | prerequisite | parameter | criterion | indicator | threshold | operator | source
    path: tuple[str, ...]
    before: Any = None
    after: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"change": self.change, "kind": self.kind, "path": list(self.path), "before": self.before,
                "after": self.after}

    def text(self) -> str:
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.change]
        where = printable(" › ".join(self.path))
        if self.change == "changed":
            return f"{mark} {self.kind:<12} {where}: {_show(self.before)} → {_show(self.after)}"
        value = self.after if self.after is not None else self.before
        return f"{mark} {self.kind:<12} {where}" + ("" if _node(value) else f": {_show(value)}")


def _node(value: Any) -> bool:
    return isinstance(value, str) and value in NODES


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return "—" if value is None else printable(str(value))


def threshold_text(threshold: Any) -> str:
    """A threshold as one comparable word: 80%, 1.10 × name, true, 3, unknown."""
    if isinstance(threshold, Percent):
        return f"{threshold.percent}%"
    if isinstance(threshold, ParameterRef):
        return (f"{threshold.factor} × " if threshold.factor != 1 else "") + threshold.parameter
    if isinstance(threshold, bool):
        return "true" if threshold else "false"
    return str(threshold)


def _plain(value: Any) -> Any:
    """A model dump's value as JSON-able text, numbers as their exact text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    return str(value)


def _flatten_model(model: Any, prefix: tuple[str, ...], out: dict[tuple[str, ...], Any],
                   skip: tuple[str, ...] = ("override",)) -> None:
    """Fields of an indicator-like model: sub-models with ids recurse; thresholds become one word."""
    for name in type(model).model_fields:
        if name in skip or name == "id":
            continue
        value = getattr(model, name)
        if name == "threshold":
            out[(*prefix, "threshold")] = threshold_text(value)
        elif name in ("alternatives",):
            for k, alt in enumerate(value):
                out[(*prefix, f"#{k}")] = "<alternative>"
                _flatten_model(alt, (*prefix, f"#{k}"), out)
        elif name == "hamlet_indicators" and value != "unknown":
            for sub in value:
                out[(*prefix, sub.id)] = "<indicator>"
                _flatten_model(sub, (*prefix, sub.id), out)
        elif hasattr(value, "model_dump"):
            for key, v in _plain(value.model_dump(mode="json", by_alias=True)).items():
                out[(*prefix, name, key)] = v
        elif value is not None:
            out[(*prefix, name)] = _plain(value.model_dump(mode="json") if hasattr(value, "model_dump") else value)


def flatten(pack: Pack) -> dict[tuple[str, ...], Any]:
    """{path: value} of everything a verdict depends on or cites."""
    d = pack.doc
    out: dict[tuple[str, ...], Any] = {}
    for name in ("version", "tier", "completeness", "extends", "review_against", "commune_groups"):
        value = pack.review_against if name == "review_against" else getattr(d, name)
        if value is not None:
            out[("header", name)] = _plain(getattr(value, "value", value))
    for key, v in _plain(d.title.to_dict()).items():
        out[("header", "title", key)] = v
    for key, v in _plain(d.scope.model_dump(mode="json")).items():
        out[("header", "scope", key)] = v
    for b in d.legal_basis:
        out[("legal_basis", b.document)] = _plain(b.model_dump(mode="json", exclude={"document"}))
    for p in pack.prerequisites:
        out[("prerequisite", p.id)] = _plain(p.model_dump(mode="json", exclude={"id"}))
    for name, param in pack.parameters.items():
        out[("parameter", name)] = "<parameter>"
        pspec = param.spec
        out[("parameter", name, "title")] = _plain(pspec.title.to_dict())
        if pspec.unknown_source is not None:
            out[("parameter", name, "unknown_source")] = _plain(pspec.unknown_source.model_dump(mode="json"))
        for v in pspec.values:
            when = f"from {v.valid_from.isoformat()}"
            if v.value is not None:
                out[("parameter", name, when, "value")] = _plain(v.value)
            for region, number in (v.by_region or {}).items():
                out[("parameter", name, when, region.value)] = _plain(number)
            out[("parameter", name, when, "source")] = _plain(v.source.model_dump(mode="json"))
    for crit in pack.criteria:
        spec = crit.spec
        out[(crit.id,)] = "<criterion>"
        for name in ("title", "group", "require", "key", "not_applicable"):
            value = getattr(spec, name)
            if value is not None:
                if hasattr(value, "model_dump"):
                    shown = value.model_dump()
                elif hasattr(value, "to_dict"):
                    shown = value.to_dict()
                else:
                    shown = value
                out[(crit.id, name)] = _plain(shown)
        for ind in crit.indicators:
            out[(crit.id, ind.spec.id)] = "<indicator>"
            _flatten_model(ind.spec, (crit.id, ind.spec.id), out)
    return out


def _kind(path: tuple[str, ...], value: Any) -> str:
    head, last = path[0], path[-1]
    if head in ("header", "legal_basis", "prerequisite"):
        return head
    if head == "parameter":
        return "parameter"
    if _node(value):
        return NODES[value]
    if last == "threshold":
        return "threshold"
    if last == "op":
        return "operator"
    if "source" in path or "hamlet_definition_source" in path:
        return "source"
    return "indicator" if len(path) > 2 else "criterion"


def diff(a: Pack, b: Pack) -> list[Change]:
    """Every difference from `a` to `b`; a removed or added criterion or indicator is one change
    (its fields are not listed again)."""
    fa, fb = flatten(a), flatten(b)
    changes: list[Change] = []
    gone = [p for p in fa if p not in fb and _node(fa[p])]
    new = [p for p in fb if p not in fa and _node(fb[p])]

    def covered(path: tuple[str, ...], roots: list[tuple[str, ...]]) -> bool:
        return any(path[:len(r)] == r and path != r for r in roots)

    for path in list(dict.fromkeys([*fa, *fb])):
        before, after = fa.get(path), fb.get(path)
        if before == after:
            continue
        if covered(path, gone) or covered(path, new):
            continue
        if before is None:
            changes.append(Change("added", _kind(path, after), path, None, after))
        elif after is None:
            changes.append(Change("removed", _kind(path, before), path, before, None))
        else:
            changes.append(Change("changed", _kind(path, after), path, before, after))
    return changes


def load_for_diff(ref: str, library: PackLibrary) -> tuple[Pack, str]:
    """A pack by id (bundled) or by folder / pack.yaml path (its parents from the bundled packs)."""
    path = Path(ref)
    if not (path.is_dir() or path.suffix in (".yaml", ".yml")):
        return library.get(ref), ref  # PackNotFoundError names the known packs
    file = path / PACK_FILE if path.is_dir() else path
    if not file.exists():  # a pipe or device is refused by the loader, unread
        raise InputError([Problem("pack_file_missing", f"no {PACK_FILE} in {ref}", Location(str(path)))])
    # the file is parsed (and validated) first, so its id is known; the parents it extends come from
    # the bundled packs
    other = PackLibrary(root=library.root, catalogue=library.catalogue, extra_files=(file,))
    pack_id = next(iter(other._extra))  # the one extra file's id
    return other.get(pack_id), str(file)


def report(a: Pack, a_ref: str, b: Pack, b_ref: str, changes: list[Change]) -> dict[str, Any]:
    """The JSON document (ntmcert/pack-diff/v1)."""
    def side(p: Pack, ref: str) -> dict[str, str]:
        return {"ref": ref, "id": p.id, "version": p.version, "sha256": p.sha256}

    counts: dict[str, int] = {}
    for c in changes:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    return {"schema": "ntmcert/pack-diff/v1", "a": side(a, a_ref), "b": side(b, b_ref),
            "counts": dict(sorted(counts.items())), "changes": [c.to_dict() for c in changes]}


def render_text(a: Pack, a_ref: str, b: Pack, b_ref: str, changes: list[Change]) -> str:
    lines = [f"--- {printable(a_ref)} ({a.id} v{a.version}, sha256 {a.sha256[:16]}…)",
             f"+++ {printable(b_ref)} ({b.id} v{b.version}, sha256 {b.sha256[:16]}…)"]
    if not changes:
        lines.append("no differences in criteria, indicators, thresholds, operators, parameters or sources")
    lines += [c.text() for c in changes]
    if changes:
        counts: dict[str, int] = {}
        for c in changes:
            counts[c.kind] = counts.get(c.kind, 0) + 1
        lines.append(f"{len(changes)} change(s): " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    return "\n".join(lines) + "\n"
