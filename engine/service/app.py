"""The decision service: `create_app(settings)` builds the FastAPI application.

Every route but /healthz, /readyz and /openapi.json needs an API key with the route's scope.
Evaluations and reviews are logged before they are answered; the result in a response is the
CLI's `--format json` output, byte for byte, inside a small envelope with the decision id.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from . import _core, flows, problems
from .auth import KeyStore, Principal
from .db import Database, Decision
from .metrics import Metrics
from .middleware import ServiceMiddleware
from .migrate import current_revision
from .models import (
    DecisionOut,
    DecisionPage,
    DecisionRecord,
    EvaluationRequest,
    Health,
    PackSummary,
    Problem,
    Ready,
    ReviewRequest,
    WhatIfOut,
    WhatIfRequest,
    request_body,
)
from .models import problems as problem_docs
from .settings import Settings
from .store import DecisionLog, IdempotencyConflict
from .verify import replay_objects

_bearer = HTTPBearer(auto_error=False, description="An API key: Authorization: Bearer ntm_…")
JSON = "application/json"
IdemHeader = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200, pattern=r"^[\x21-\x7e]+$")]
PackQuery = Annotated[list[str] | None, Query(max_length=20, description="YAML bodies only: pack id(s)")]
LangQuery = Annotated[str | None, Query(pattern="^(vi|en)$", description="YAML bodies only")]
SetQuery = Annotated[list[str] | None, Query(max_length=100, description="YAML bodies only: fact=value changes")]


def need(scope: str):
    """A dependency: the caller's API key, which must carry `scope` (401 without a key, 403 without the scope)."""

    def dependency(request: Request,
                   _creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None) -> Principal:
        keys: KeyStore = request.app.state.keys
        principal = keys.authenticate(request.headers.get("authorization"))
        keys.require(principal, scope)
        return principal

    return dependency


async def read_body(request: Request) -> bytes:
    chunks = []
    async for chunk in request.stream():
        chunks.append(chunk)
    return b"".join(chunks)


def _decision_response(appended, request_id: str) -> Response:
    row: Decision = appended.row
    head = json.dumps({"decision_id": row.id, "seq": row.seq, "kind": row.kind, "created_at": row.created_at,
                       "request_id": row.request_id if appended.replayed else request_id,
                       "hypothetical": False, "replayed": appended.replayed}, ensure_ascii=False)
    body = head[:-1] + ', "result": ' + row.result_json + "}"  # the CLI's bytes, untouched
    return Response(body, status_code=200 if appended.replayed else 201, media_type=JSON,
                    headers={"Location": f"/v1/decisions/{row.id}"})


def create_app(settings: Settings, *, db: Database | None = None) -> FastAPI:
    db = db or Database(settings.database_url)
    log = DecisionLog(db)
    metrics = Metrics()
    app = FastAPI(title="ntmcert decision service", version=_core.NTMCERT_VERSION,
                  summary="Nông thôn mới certification decisions with an append-only, verifiable log.",
                  openapi_url="/openapi.json", docs_url=None, redoc_url=None)
    app.state.settings, app.state.db, app.state.log, app.state.metrics = settings, db, log, metrics
    app.state.keys = KeyStore(db, settings.key_cache_seconds)
    problems.install(app)
    app.add_middleware(ServiceMiddleware, metrics=metrics, max_body=settings.max_body_bytes,
                       max_upload=settings.max_upload_bytes, upload_paths=("/v1/batches", "/web/batch"))

    @app.get("/healthz", response_model=Health, tags=["operations"])
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", response_model=Ready, tags=["operations"],
             responses={503: {"description": "Not ready", "model": Ready}})
    def readyz() -> Response:
        try:
            db.ping()
            revision = current_revision(db)
            database = revision is not None
        except Exception:
            database, revision = False, None
        try:
            packs = len(_core.pack_summaries())
        except Exception:
            packs = 0
        ready = database and packs > 0
        body = {"status": "ready" if ready else "not_ready", "database": database, "packs": packs,
                "schema_revision": revision}
        return Response(json.dumps(body), status_code=200 if ready else 503, media_type=JSON)

    @app.get("/metrics", response_class=PlainTextResponse, tags=["operations"], responses=problem_docs(401, 403))
    def metrics_text(_p: Annotated[Principal, Depends(need("read"))]) -> PlainTextResponse:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get("/v1/packs", response_model=list[PackSummary], tags=["packs"], responses=problem_docs(401, 403))
    def list_packs(_p: Annotated[Principal, Depends(need("read"))]) -> list[dict]:
        return _core.pack_summaries()

    @app.get("/v1/packs/{pack_id:path}", tags=["packs"], responses={
        200: {"description": "The resolved pack (ntmcert/pack-resolved/v1), as `ntmcert packs show --format json`",
              "content": {JSON: {"schema": {"type": "object"}}}}, **problem_docs(401, 403, 404)})
    def show_pack(pack_id: str, _p: Annotated[Principal, Depends(need("read"))]) -> Response:
        try:
            text = _core.pack_document(pack_id)
        except _core.PackNotFoundError as exc:
            raise problems.ApiProblem.one(404, exc.code, str(exc), "pack_id") from None
        return Response(text, media_type=JSON)

    decision_responses: dict[int | str, Any] = {
        201: {"model": DecisionOut, "description": "Logged; the result is the CLI's JSON"},
        200: {"model": DecisionOut, "description": "An Idempotency-Key replay: the first decision"},
        **problem_docs(401, 403, 409, 413, 415, 422)}

    async def _decide(kind: str, request: Request, principal: Principal, query: dict, idem: str | None):
        body = await read_body(request)
        req = flows.parse(kind, body, request.headers.get("content-type"), query)
        try:
            appended = await run_in_threadpool(flows.decide, kind, req, log, key_id=principal.key_id,
                                               request_id=request.state.request_id, idempotency_key=idem,
                                               engine=settings.engine)
        except IdempotencyConflict as exc:
            raise problems.ApiProblem.one(409, "idempotency_key_reused", f"this Idempotency-Key was used for a "
                                          f"different request (decision {exc.decision_id})",
                                          "Idempotency-Key") from None
        if not appended.replayed:
            metrics.decision(kind, appended.row.outcome)
        return _decision_response(appended, request.state.request_id)

    @app.post("/v1/evaluations", status_code=201, tags=["decisions"], responses=decision_responses,
              openapi_extra={"requestBody": request_body(EvaluationRequest)})
    async def post_evaluation(request: Request, principal: Annotated[Principal, Depends(need("evaluate"))],
                              idem: IdemHeader = None, pack: PackQuery = None,
                              derive_prerequisites: Annotated[bool, Query()] = False,
                              lang: LangQuery = None) -> Response:
        """Evaluate a fact set against packs (ntmcert/verdict/v1) and log the decision."""
        query = {"pack": pack, "derive_prerequisites": derive_prerequisites, "lang": lang}
        return await _decide("evaluation", request, principal, query, idem)

    @app.post("/v1/reviews", status_code=201, tags=["decisions"], responses=decision_responses,
              openapi_extra={"requestBody": request_body(ReviewRequest)})
    async def post_review(request: Request, principal: Annotated[Principal, Depends(need("evaluate"))],
                          idem: IdemHeader = None, pack: PackQuery = None, lang: LangQuery = None) -> Response:
        """The annual revocation check of QĐ 18/2022 (ntmcert/review/v1), logged."""
        return await _decide("review", request, principal, {"pack": pack, "lang": lang}, idem)

    @app.post("/v1/what-if", tags=["decisions"], responses={
        200: {"model": WhatIfOut, "description": "Hypothetical: nothing is logged"},
        **problem_docs(401, 403, 413, 415, 422)}, openapi_extra={"requestBody": request_body(WhatIfRequest)})
    async def post_what_if(request: Request, principal: Annotated[Principal, Depends(need("evaluate"))],
                           pack: PackQuery = None, derive_prerequisites: Annotated[bool, Query()] = False,
                           lang: LangQuery = None,
                           set: SetQuery = None) -> Response:
        """Evaluate with changes and list what moved; hypothetical, no decision is stored."""
        body = await read_body(request)
        query = {"pack": pack, "derive_prerequisites": derive_prerequisites, "lang": lang, "set": set}
        req = flows.parse("what-if", body, request.headers.get("content-type"), query)
        result = await run_in_threadpool(flows.what_if, req, settings.engine)
        head = json.dumps({"hypothetical": True, "request_id": request.state.request_id})
        return Response(head[:-1] + ', "result": ' + result + "}", media_type=JSON)

    @app.get("/v1/decisions/{decision_id}", response_model=DecisionRecord, tags=["decisions"],
             responses=problem_docs(401, 403, 404))
    def get_decision(decision_id: str, _p: Annotated[Principal, Depends(need("read"))]) -> Response:
        row = _stored(log, decision_id)
        record = {k: getattr(row, k) for k in ("id", "seq", "kind", "created_at", "key_id", "request_id",
                                               "idempotency_key", "request_sha256", "commune", "province",
                                               "outcome", "factset_sha256", "engine", "ntmcert_version",
                                               "prev_hash", "record_hash")}
        record.update(packs=json.loads(row.packs), factset=json.loads(row.factset_json),
                      factset_canonical=json.loads(row.factset_canonical), options=json.loads(row.options),
                      params=json.loads(row.params_json) if row.params_json else None,
                      result=json.loads(row.result_json))
        return Response(json.dumps(record, ensure_ascii=False, sort_keys=True), media_type=JSON)

    @app.get("/v1/decisions", response_model=DecisionPage, tags=["decisions"], responses=problem_docs(401, 403))
    def list_decisions(_p: Annotated[Principal, Depends(need("read"))],
                       commune: Annotated[str | None, Query(max_length=300)] = None,
                       pack: Annotated[str | None, Query(max_length=200)] = None,
                       verdict: Annotated[str | None, Query(max_length=32, description="certified, not_certified, "
                                                            "incomplete, keep, revoke")] = None,
                       from_: Annotated[str | None, Query(alias="from", max_length=32,
                                                          description="UTC time, ISO 8601, inclusive")] = None,
                       to: Annotated[str | None, Query(max_length=32, description="UTC time, exclusive")] = None,
                       after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict:
        rows = log.find(commune=commune, pack=pack, outcome=verdict, since=from_, until=to, after_seq=after,
                        limit=min(limit, settings.page_limit))
        items = [{"id": r.id, "seq": r.seq, "kind": r.kind, "created_at": r.created_at, "commune": r.commune,
                  "province": r.province, "pack_ids": [p for p in r.pack_ids.split(",") if p],
                  "outcome": r.outcome, "record_hash": r.record_hash} for r in rows]
        return {"items": items, "next_after": rows[-1].seq if len(rows) == limit else None}

    @app.get("/v1/decisions/{decision_id}/report", tags=["decisions"], responses={
        200: {"description": "The report, as `ntmcert evaluate --format html|md` prints it",
              "content": {"text/html": {"schema": {"type": "string"}},
                          "text/markdown": {"schema": {"type": "string"}}}},
        **problem_docs(401, 403, 404, 409)})
    def report(decision_id: str, _p: Annotated[Principal, Depends(need("read"))],
               format: Annotated[str, Query(pattern="^(html|md)$")] = "html",
               lang: Annotated[str, Query(pattern="^(vi|en)$")] = "vi") -> Response:
        row = _stored(log, decision_id)
        try:
            replayed = replay_objects(row, settings.engine)
        except (_core.InputError, _core.PackNotFoundError):
            replayed = None
        again = (replayed.to_json() if isinstance(replayed, _core.Review)
                 else _core.verdict_json(replayed) if replayed is not None else None)
        if again != row.result_json:  # packs changed since: a report of another verdict would mislead
            raise problems.ApiProblem.one(409, "decision_not_reproducible", "the bundled packs no longer give the "
                                          "stored result; the stored JSON is at /v1/decisions/{id}", "decision_id")
        text = (_core.render_review_report(replayed, format, lang) if isinstance(replayed, _core.Review)
                else _core.render_report(replayed, format, lang))
        media = "text/html; charset=utf-8" if format == "html" else "text/markdown; charset=utf-8"
        return Response(text, media_type=media)

    from .batches import install as install_batches

    install_batches(app, need)
    _custom_openapi(app)
    return app


def _stored(log: DecisionLog, decision_id: str) -> Decision:
    row = log.get(decision_id) if len(decision_id) <= 64 else None
    if row is None:
        raise problems.ApiProblem.one(404, "decision_not_found", f"no decision {decision_id[:64]!r}", "decision_id")
    return row


def _custom_openapi(app: FastAPI) -> None:
    """OpenAPI 3.1 with the problem document as every error response (FastAPI's default 422 shape
    is not what this service returns)."""
    from fastapi.openapi.utils import get_openapi

    def build() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        comps = schema.setdefault("components", {}).setdefault("schemas", {})
        comps["Problem"] = Problem.model_json_schema(by_alias=True)
        for name in ("HTTPValidationError", "ValidationError"):
            comps.pop(name, None)
        problem = {"description": "Invalid input (coded, located problems)",
                   "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for item in schema.get("paths", {}).values():
            for op in item.values():
                responses = op.setdefault("responses", {})
                responses["422"] = problem
                if op.get("security"):
                    for code, text in (("401", "No or invalid API key"), ("403", "The key lacks the scope")):
                        responses.setdefault(code, {**problem, "description": text})
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]


def app_from_env() -> FastAPI:
    """The factory uvicorn's workers call (`ntmcert serve` sets the environment)."""
    return create_app(Settings.from_env())
