"""JSON output: one verdict as its own document; several in a list envelope."""

from __future__ import annotations

from ntmcert.evaluation.verdict import Verdict, dumps

LIST_SCHEMA = "ntmcert/verdict-list/v1"


def render(verdicts: list[Verdict]) -> str:
    if len(verdicts) == 1:
        return verdicts[0].to_json()
    return dumps({"schema": LIST_SCHEMA, "verdicts": [v.to_dict() for v in verdicts]})
