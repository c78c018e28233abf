"""One row of a sheet turned into a fact-set dict, every key path remembering the cell it came from.

The column and cell conventions are described in cells.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from ntmcert.core.errors import InputError, Location, Problem
from ntmcert.core.vocab import TIER_NAMES
from ntmcert.inputs.catalogue import Catalogue
from ntmcert.inputs.factset import FORMAT, NO_RECOGNITION_WORDS, FactSet, load_factset
from ntmcert.sheets.cells import HAMLET_SHEET, CellError, _blank, _file_label, _letters, read_cell
from ntmcert.sheets.columns import Column


@dataclass
class RowCells:
    """One data row as read: values aligned with the columns, and where it is."""

    row: int
    values: list[Any]
    percent_formats: frozenset[int] = frozenset()  # indexes of cells formatted as percentages
    problems: list[Problem] = field(default_factory=list)  # a row that could not be read into cells at all


@dataclass
class _Builder:
    """Builds one fact-set dict from cells, remembering which cell each key path came from."""

    file: str
    workbook: bool
    problems: list[Problem] = field(default_factory=list)
    origin: dict[str, Location] = field(default_factory=dict)

    def where(self, sheet: str | None, row: int, index: int, col_id: str) -> Location:
        return Location(_file_label(self.file, sheet), row, index, col_id)

    def problem(self, code: str, message: str, loc: Location) -> None:
        if self.workbook and loc.line is not None and loc.column is not None:
            message += f" (cell {_letters(loc.column)}{loc.line})"
        self.problems.append(Problem(code, message, loc))

    def cells(self, columns: list[Column | None], cells: RowCells,
              sheet: str | None) -> list[tuple[Column, Any, Location]]:
        out = []
        for index, (column, value) in enumerate(zip(columns, cells.values, strict=False), start=1):
            if column is None or _blank(value):
                continue
            loc = self.where(sheet, cells.row, index, column.id)
            try:
                out.append((column, read_cell(column, value, index - 1 in cells.percent_formats), loc))
            except CellError as exc:
                self.problem(exc.code, str(exc), loc)
                out.append((column, _BAD, loc))
        return out

    def facts(self, parsed: list[tuple[Column, Any, Location]], prefix: str) -> dict:
        """facts.<id>[.sub] cells → the facts mapping of a fact set."""
        grouped: dict[str, dict[str, tuple[Any, Location]]] = {}
        for column, value, loc in parsed:
            if column.path[0] != "facts":
                continue
            sub = column.path[2] if len(column.path) == 3 else "value"
            grouped.setdefault(column.path[1], {})[sub] = (value, loc)
        out: dict[str, Any] = {}
        for fact_id, parts in grouped.items():
            # every cell's location has its column (where())
            first = min((loc for _, loc in parts.values()), key=lambda loc: cast(int, loc.column))
            self.origin[f"{prefix}.{fact_id}"] = first
            if any(v is _BAD for v, _ in parts.values()):
                continue
            meta = {k: parts[k][0] for k in ("note", "source") if k in parts}
            for k, (_, loc) in parts.items():
                self.origin[f"{prefix}.{fact_id}.{k}"] = loc
            if "percent" in parts and ("count" in parts or "of" in parts):
                loc = parts["percent"][1]
                self.problem("cell_share_twice", f"{fact_id}: fill either count and of, or percent, not both", loc)
                continue
            if ("count" in parts) != ("of" in parts):
                have, need = ("count", "of") if "count" in parts else ("of", "count")
                loc = parts[have][1]
                self.problem("cell_share_incomplete", f"{fact_id}: {have} is given without {need} "
                             f"(column facts.{fact_id}.{need})", loc)
                continue
            if "count" in parts:
                value = {"count": parts["count"][0], "of": parts["of"][0]}
            elif "percent" in parts:
                value = {"percent": parts["percent"][0]}
                self.origin[f"{prefix}.{fact_id}"] = parts["percent"][1]
            elif "value" in parts:
                value = parts["value"][0]
                self.origin[f"{prefix}.{fact_id}"] = parts["value"][1]
            else:
                continue  # only a note or a source: the fact itself is not known
            if meta:
                value = {**value, **meta} if isinstance(value, dict) else {"value": value, **meta}
            out[fact_id] = value
        return out


_BAD = object()  # a cell whose value could not be read (its problem is already reported)


def build_commune(columns: list[Column | None], cells: RowCells, builder: _Builder) -> dict:
    """The fact-set dict of one commune row (hamlets are added by the caller)."""
    parsed = builder.cells(columns, cells, None)
    data: dict[str, Any] = {"format": FORMAT, "commune": {}, "facts": {}}
    recognitions: dict[str, dict[str, tuple[Any, Location]]] = {}
    for column, value, loc in parsed:
        path = column.path
        if path[0] == "commune":
            builder.origin[".".join(path)] = loc
            if value is _BAD:
                continue
            if path[1] == "special":
                data["commune"].setdefault("special", {})[path[2]] = value
            else:
                data["commune"][path[1]] = value
        elif path[0] == "as_of":
            builder.origin["as_of"] = loc
            if value is not _BAD:
                data["as_of"] = value
        elif path[0] == "source":
            builder.origin[".".join(path)] = loc
            if value is not _BAD:
                data.setdefault("source", {})[path[1]] = value
        elif path[0] == "recognition":
            recognitions.setdefault(path[1], {})[path[2]] = (value, loc)
    data["facts"] = builder.facts(parsed, "facts")
    recs: list[dict[str, Any]] = []
    said_none = False
    for tier, parts in list(recognitions.items()):
        decision = parts.get("decision", (None, None))[0]
        if isinstance(decision, str) and decision.strip().casefold() in NO_RECOGNITION_WORDS and "date" not in parts:
            said_none = True  # "không" in a decision cell: this tier is not held
            continue
        for key in ("decision", "date"):
            if key not in parts:
                other = "date" if key == "decision" else "decision"
                loc = parts[other][1] if other in parts else next(iter(parts.values()))[1]
                builder.problem("cell_recognition_incomplete", f"the {TIER_NAMES[tier].en} recognition needs its "
                                f"{key} too (column recognition.{tier}.{key})", loc)
        if "decision" not in parts or "date" not in parts or any(v is _BAD for v, _ in parts.values()):
            continue
        index = len(recs)
        recs.append({"tier": tier, **{k: v for k, (v, _) in parts.items()}})
        for k, (_, loc) in parts.items():
            builder.origin[f"recognitions[{index}].{k}"] = loc
        builder.origin[f"recognitions[{index}]"] = parts["decision"][1]
    if recs or said_none:  # blank recognition cells: not known, so a prerequisite is missing, not failed
        data["recognitions"] = recs
    return data


def build_hamlet(columns: list[Column | None], cells: RowCells, builder: _Builder, index: int) -> dict | None:
    parsed = builder.cells(columns, cells, HAMLET_SHEET)
    name = None
    for column, value, loc in parsed:
        if column.path == ("hamlet", "name"):
            builder.origin[f"hamlets[{index}].name"] = loc
            builder.origin[f"hamlets[{index}]"] = loc
            name = value
    facts = builder.facts(parsed, f"hamlets[{index}].facts")
    if name is None:
        loc = builder.where(HAMLET_SHEET, cells.row, next(i for i, c in enumerate(columns, 1)
                                                          if c is not None and c.id == "hamlet.name"), "hamlet.name")
        builder.problem("cell_missing_value", "the hamlet's name is missing", loc)
        return None
    if name is _BAD:
        return None
    return {"name": name, "facts": facts}


def relocate(problem: Problem, builder: _Builder, fallback: Location) -> Problem:
    """A problem of load_factset (located by key path in the dict) moved to the cell it came from;
    `fallback` (the row, and the column of that key path when there is one) otherwise."""
    path = problem.location.key_path or ""
    candidate, loc = path, None
    while candidate and loc is None:
        loc = builder.origin.get(candidate)
        cut = max(candidate.rfind("."), candidate.rfind("["))
        candidate = candidate[:cut] if cut > 0 else ""
    if loc is None:
        loc = Location(fallback.file, fallback.line, fallback.column, fallback.key_path or path or None)
    message = problem.message
    if builder.workbook and loc.line is not None and loc.column is not None:
        message += f" (cell {_letters(loc.column)}{loc.line})"
    return Problem(problem.code, message, loc)


@dataclass
class SheetRow:
    """One commune of a sheet: its cells turned into a fact-set dict, and the problems found."""

    file: str
    row: int
    data: dict
    builder: _Builder
    required_columns: dict[str, int]  # column id → 1-based index, to locate a missing required value

    @property
    def commune(self) -> dict:
        return self.data.get("commune", {})

    @property
    def as_of(self) -> Any:
        return self.data.get("as_of")

    def load(self, catalogue: Catalogue) -> FactSet:
        """The validated fact set; raises InputError with every problem of the row, each at its cell."""
        problems = list(self.builder.problems)
        if not self.data:  # the row could not even be split into cells: its own problems say why
            raise InputError(problems)
        try:
            factset = load_factset(self.data, catalogue=catalogue, file=self.file)
        except InputError as exc:
            bad_cells = {(p.location.file, p.location.line, p.location.column) for p in problems}
            for p in exc.problems:
                key = p.location.key_path or ""
                fallback = Location(self.file, self.row, self.required_columns.get(key), key or None)
                moved = relocate(p, self.builder, fallback)
                if (moved.location.file, moved.location.line, moved.location.column) in bad_cells:
                    continue  # that cell already has its problem (a bad value read as nothing)
                problems.append(moved)
            raise InputError(problems) from None
        if problems:
            raise InputError(problems)
        return factset


__all__ = ["RowCells", "SheetRow", "build_commune", "build_hamlet", "relocate"]
