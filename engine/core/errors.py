"""One error hierarchy for every stage: stable code, message, location.

Errors are collected and reported together (a file with five mistakes shows five errors);
nothing in this module formats for a terminal: renderers do that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ntmcert.core.text import printable, shorten

MAX_LINE = 2_000  # characters of one problem line


@dataclass(frozen=True, order=True)
class Location:
    """Where a problem is: file, 1-based line and column, and the key path inside the document."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    key_path: str | None = None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        where = ":".join(parts)
        return f"{where} [{shorten(self.key_path, 120)}]" if self.key_path else where

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "key_path": self.key_path}


@dataclass(frozen=True)
class Problem:
    """One coded problem found in an input; many of them make an `InputError`."""

    code: str
    message: str
    location: Location = field(default_factory=Location)

    def __str__(self) -> str:
        # one problem, one line, whatever a file name or a quoted value holds (no terminal control),
        # and of bounded length
        return printable(shorten(f"{self.location}: {self.code}: {self.message}", MAX_LINE))

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "location": self.location.to_dict()}


class NtmcertError(Exception):
    """Base of every error the package raises on purpose."""

    code = "ntmcert_error"


class InputError(NtmcertError):
    """A fact set, pack, catalogue or parameter file is wrong; carries every problem found."""

    code = "input_error"

    def __init__(self, problems: list[Problem]):
        self.problems = _bounded(sorted(problems, key=_problem_order))
        super().__init__("\n".join(str(p) for p in self.problems))


class PackNotFoundError(NtmcertError):
    """A pack id was asked for that no bundled or given pack has."""

    code = "pack_not_found"


class EngineError(NtmcertError):
    """The rule engine failed or disagreed with what was sent to it."""

    code = "engine_error"


MAX_PROBLEMS_PER_FILE = 100
"""Problems reported for one file: the first ones in full, then how many more there are."""


def _bounded(problems: list[Problem]) -> list[Problem]:
    counts: dict[str | None, int] = {}
    kept = []
    for p in problems:
        n = counts[p.location.file] = counts.get(p.location.file, 0) + 1
        if n <= MAX_PROBLEMS_PER_FILE or p.code == "too_many_problems":
            kept.append(p)
    for file, n in counts.items():
        if n > MAX_PROBLEMS_PER_FILE:
            kept.append(Problem("too_many_problems", f"{n - MAX_PROBLEMS_PER_FILE:,} more problems in this file "
                                f"(the first {MAX_PROBLEMS_PER_FILE} are shown); fix these and run again",
                                Location(file)))
    return kept


def _problem_order(p: Problem) -> tuple[str, int, int, str, str, str]:
    loc = p.location
    return (loc.file or "", loc.line or 0, loc.column or 0, loc.key_path or "", p.code, p.message)


class ProblemCollector:
    """Collects problems while a stage goes on, then raises them all at once."""

    def __init__(self, file: str | None = None):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, *, line: int | None = None, column: int | None = None,
            key_path: str | None = None, file: str | None = None) -> None:
        self.problems.append(Problem(code, message, Location(file or self.file, line, column, key_path)))

    def extend(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    def raise_if_any(self) -> None:
        """Raise every problem at once; a later problem at a key path that already has one is
        dropped (a bad scalar read as nothing must not also be reported as 'missing')."""
        if self.problems:
            kept, seen = [], set()
            for p in self.problems:
                path = (p.location.file, p.location.key_path)
                if p.location.key_path and path in seen:
                    continue
                seen.add(path)
                kept.append(p)
            raise InputError(kept)
