"""The API's request and response shapes (pydantic), as published in /openapi.json.

Request bodies are read by ntmcert's own strict loader (exact decimals, line numbers, every
problem located), not by pydantic: these models describe them for the OpenAPI document, with the
Thạnh Phú seed as the example.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EXAMPLES = Path(__file__).resolve().parent / "examples"
SEED_PACK = "tra-vinh/smart-commune"


@lru_cache(maxsize=1)
def seed_example() -> dict[str, Any]:
    """The Thạnh Phú seed fact set (a copy of seeds/thanh-phu-2024.yaml; a test keeps them equal)."""
    return json.loads((EXAMPLES / "thanh-phu-2024.json").read_text(encoding="utf-8"))


Lang = Literal["vi", "en"]
_OPEN = ConfigDict(extra="allow")


class FactSetDoc(BaseModel):
    """A fact set, format ntmcert/factset/v1 (see the README); checked by ntmcert's loader."""

    model_config = _OPEN
    format: Literal["ntmcert/factset/v1"]
    commune: dict[str, Any]
    as_of: str


class EvaluationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"factset": "<the seed>", "packs": [SEED_PACK], "derive_prerequisites": False, "lang": "vi"}]})
    factset: FactSetDoc
    packs: list[str] = Field(default_factory=list, max_length=20,
                             description="Pack ids; none: every bundled pack that fits the commune.")
    params: dict[str, Any] | None = Field(None, description="Officer parameter values (ntmcert/params/v1).")
    derive_prerequisites: bool = False
    lang: Lang = "vi"


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    factset: FactSetDoc
    pack: str = Field(description="The pack the commune was recognised under.")
    params: dict[str, Any] | None = None
    lang: Lang = "vi"


class WhatIfRequest(EvaluationRequest):
    set: list[str] = Field(min_length=1, max_length=100, description="Changes: fact=value or "
                           "hamlet:<name>:fact=value (YAML flow values); an empty value removes the fact.")


class DecisionOut(BaseModel):
    """An evaluation or review that was logged: its id and the result JSON (as the CLI prints it)."""

    decision_id: str
    seq: int
    kind: Literal["evaluation", "review"]
    created_at: str
    request_id: str
    hypothetical: Literal[False] = False
    replayed: bool = Field(description="True when an Idempotency-Key returned the first decision.")
    result: dict[str, Any] = Field(description="ntmcert/verdict/v1, ntmcert/verdict-list/v1 or ntmcert/review/v1.")


class WhatIfOut(BaseModel):
    hypothetical: Literal[True] = True
    request_id: str
    result: dict[str, Any] = Field(description="ntmcert/what-if/v1: the changes, what moved, before and after.")


class DecisionRecord(BaseModel):
    """A stored decision, every field as logged (the JSON texts parsed)."""

    id: str
    seq: int
    kind: str
    created_at: str
    key_id: str
    request_id: str
    idempotency_key: str | None
    request_sha256: str
    commune: str
    province: str
    packs: list[dict[str, Any]]
    outcome: str
    factset: dict[str, Any]
    factset_canonical: dict[str, Any]
    factset_sha256: str
    params: dict[str, Any] | None
    options: dict[str, Any]
    engine: str
    ntmcert_version: str
    result: dict[str, Any]
    prev_hash: str
    record_hash: str


class DecisionSummary(BaseModel):
    id: str
    seq: int
    kind: str
    created_at: str
    commune: str
    province: str
    pack_ids: list[str]
    outcome: str
    record_hash: str


class DecisionPage(BaseModel):
    items: list[DecisionSummary]
    next_after: int | None = Field(description="Pass as `after` for the next page; null on the last page.")


class PackSummary(BaseModel):
    id: str
    version: str
    sha256: str
    tier: str
    province: str | None
    valid_from: str
    valid_to: str | None
    completeness: str
    extends: str | None
    title: dict[str, str]


class BatchOut(BaseModel):
    batch_id: str
    status: Literal["queued", "running", "done", "failed"]
    pack: str
    filename: str
    total: int | None
    done: int
    created_at: str
    updated_at: str
    summary: dict[str, Any] | None
    errors: list[dict[str, Any]] | None


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready", "not_ready"]
    database: bool
    packs: int
    schema_revision: str | None


class Problem(BaseModel):
    """RFC 9457 problem details, with ntmcert's coded, located errors (ntmcert/errors/v1)."""

    model_config = _OPEN
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None
    schema_: Literal["ntmcert/errors/v1"] = Field(alias="schema")
    errors: list[dict[str, Any]]


def request_body(model: type[BaseModel], *, yaml: bool = True) -> dict[str, Any]:
    """The OpenAPI requestBody of an endpoint that reads JSON (this model) or a YAML fact set."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    example = {"factset": seed_example(), "packs": [SEED_PACK], "derive_prerequisites": False, "lang": "en"}
    if model is ReviewRequest:
        example = {"factset": seed_example(), "pack": "tra-vinh/model-ntm-2021-2025", "lang": "en"}
    elif model is WhatIfRequest:
        example = {**example, "set": ["officials_digital_trained={count: 20, of: 20}"]}
    content: dict[str, Any] = {"application/json": {"schema": schema, "example": example}}
    if yaml:
        content["application/yaml"] = {"schema": {"type": "string", "description": "A fact set in YAML "
                                                  "(ntmcert/factset/v1); options go in the query string."}}
    return {"required": True, "content": content}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {"application/problem+json": {"schema": {
        "$ref": "#/components/schemas/Problem"}}}}
    for code, text in [(401, "No or invalid API key"), (403, "The API key lacks the scope"),
                       (404, "Not found"), (409, "Conflict"), (413, "Body too large"),
                       (415, "Unsupported media type"), (422, "Invalid input (coded, located problems)")]
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: PROBLEM_RESPONSES[c] for c in codes}
