"""What the command-line modules share: output formats, languages, engines, exit codes, and the
one way input problems are reported (every problem, located; exit 2; never a traceback)."""

from __future__ import annotations

import sys
from enum import Enum

import typer
from ntmcert.core.errors import Problem
from ntmcert.core.messages import problem_text
from ntmcert.core.text import Lang as Lang  # the commands' --lang type, kept importable from here
from ntmcert.evaluation.verdict import dumps

EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_BAD_INPUT, EXIT_INCOMPLETE = 0, 1, 2, 3


class Format(str, Enum):
    text = "text"
    json = "json"
    md = "md"
    html = "html"


class EngineName(str, Enum):
    durable = "durable"
    reference = "reference"


def _fail(problems: list[Problem], fmt: Format = Format.text, lang: str = "vi") -> None:
    """Report input problems (all of them) and exit 2; never a traceback. The lines on stderr are in
    the report's language (codes stay identifiers); the JSON keeps the messages as found."""
    if fmt is Format.json:
        sys.stdout.write(dumps({"schema": "ntmcert/errors/v1", "errors": [p.to_dict() for p in problems]}))
    for p in problems:
        typer.echo(problem_text(p, lang), err=True)
    raise typer.Exit(EXIT_BAD_INPUT)
