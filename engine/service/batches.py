"""Batches: a workbook or CSV uploaded once, evaluated in the background by `ntmcert batch`'s own
runner, its state and results in the database so any server process can answer for it."""



import json
import logging
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import _core
from .db import Batch, BatchResult, Database
from .models import BatchOut
from .models import problems as problem_docs
from .problems import ApiProblem
from .store import utc_now

log = logging.getLogger("ntmcert.service")
FORMATS = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
PROGRESS_EVERY = 0.5  # seconds between progress writes


def _summary(summary) -> dict:
    return {"rows": summary.rows, "counts": dict(sorted(summary.counts.items())),
            "missing_facts": [[k, n] for k, n in summary.missing.most_common(20)],
            "failing": [[k, n] for k, n in summary.failing.most_common(20)], "exit_code": summary.exit_code()}


def _run_to(db: Database, batch: Batch, fmt: str, on_row=None) -> tuple[bytes, dict]:
    """Evaluate the stored upload into `fmt`; the file bytes and the summary."""
    officer = None
    if batch.params_json:
        officer = _core.parse_params(_core.load_json_document(batch.params_json, "params"), None)
    with tempfile.TemporaryDirectory(prefix="ntmcert-batch-") as tmp:
        source = Path(tmp) / batch.filename  # the rows' locations name the file as uploaded
        source.write_bytes(batch.input)
        out = Path(tmp) / f"results.{fmt}"
        summary = _core.run_batch_file(source, batch.pack, out, batch.lang, officer, on_row)
        return out.read_bytes(), _summary(summary)


def process(db: Database, batch_id: str) -> None:
    """Run a queued batch to the end (in a background thread of the process that took it)."""
    with db.writing() as s:
        batch = s.execute(select(Batch).where(Batch.id == batch_id)).scalar_one()
        batch.status, batch.updated_at = "running", utc_now()
    last = [0.0]

    def on_row(done: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            with db.writing() as s2:
                row = s2.execute(select(Batch).where(Batch.id == batch_id)).scalar_one()
                row.done, row.updated_at = done, utc_now()

    try:
        content, summary = _run_to(db, batch, "jsonl", on_row)
    except _core.InputError as exc:
        _finish(db, batch_id, "failed", problems=[p.to_dict() for p in exc.problems])
        return
    except Exception:
        log.exception("batch %s failed", batch_id)
        _finish(db, batch_id, "failed", problems=[{"code": "internal_error", "message": "the batch failed; quote "
                                                   "the batch id to the operator", "location": {}}])
        return
    with db.writing() as s:
        s.add(BatchResult(batch_id=batch_id, format="jsonl", content=content))
    _finish(db, batch_id, "done", summary=summary)


def _finish(db: Database, batch_id: str, status: str, *, summary: dict | None = None,
            problems: list | None = None) -> None:
    with db.writing() as s:
        row = s.execute(select(Batch).where(Batch.id == batch_id)).scalar_one()
        row.status, row.updated_at = status, utc_now()
        if summary is not None:
            row.summary, row.total, row.done = json.dumps(summary, ensure_ascii=False), summary["rows"], summary["rows"]
        if problems is not None:
            row.problems = json.dumps(problems, ensure_ascii=False)


def _safe_name(filename: str) -> str:
    """The uploaded file's own name (results cite it), without folders or characters a file system
    or a terminal could misread."""
    name = Path(filename.replace("\\", "/")).name
    name = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in name).strip(" .")[:120]
    return name or "upload"


def _out(b: Batch) -> dict:
    return {"batch_id": b.id, "status": b.status, "pack": b.pack, "filename": b.filename, "total": b.total,
            "done": b.done, "created_at": b.created_at, "updated_at": b.updated_at,
            "summary": json.loads(b.summary) if b.summary else None,
            "errors": json.loads(b.problems) if b.problems else None}


def _get(db: Database, batch_id: str) -> Batch:
    with db.reading() as s:
        b = s.execute(select(Batch).where(Batch.id == batch_id[:64])).scalar_one_or_none()
    if b is None:
        raise ApiProblem.one(404, "batch_not_found", f"no batch {batch_id[:64]!r}", "batch_id")
    return b


def install(app: FastAPI, need) -> None:
    db: Database = app.state.db
    settings = app.state.settings

    @app.post("/v1/batches", status_code=202, response_model=BatchOut, tags=["batches"],
              responses=problem_docs(401, 403, 413, 415, 422), openapi_extra={"requestBody": {
                  "required": True, "content": {"multipart/form-data": {"schema": {
                      "type": "object", "required": ["file"],
                      "properties": {"file": {"type": "string", "format": "binary",
                                              "description": "A workbook from `ntmcert template` (.xlsx) or a CSV"},
                                     "params": {"type": "string", "description": "ntmcert/params/v1 as JSON"}}}}}}})
    async def post_batch(request: Request, principal: Annotated[object, Depends(need("batch"))],
                         pack: Annotated[str, Query(min_length=1, max_length=200)],
                         lang: Annotated[str, Query(pattern="^(vi|en)$")] = "vi") -> Response:
        """Upload communes to evaluate against one pack; poll GET /v1/batches/{id}."""
        if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
            raise ApiProblem.one(415, "unsupported_media_type", "upload the file as multipart/form-data (field "
                                 "file)", "Content-Type")
        try:
            _core.get_pack(pack)
        except _core.PackNotFoundError as exc:
            raise ApiProblem.one(422, exc.code, str(exc), "pack") from None
        try:
            form = await request.form(max_files=1, max_fields=4, max_part_size=settings.max_upload_bytes)
        except Exception as exc:
            raise ApiProblem.one(422, "upload_invalid", f"the multipart body cannot be read: {type(exc).__name__}",
                                 "file") from None
        try:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise ApiProblem.one(422, "upload_missing", "send the workbook or CSV in the form field file", "file")
            name = _safe_name(upload.filename or "")
            if Path(name).suffix.lower() not in (".xlsx", ".csv"):
                raise ApiProblem.one(422, "upload_bad_type", f"the file must be .xlsx or .csv (found {name!r})",
                                     "file")
            data = await upload.read()
            params_text = form.get("params")
        finally:
            await form.close()
        params_json = None
        if isinstance(params_text, str) and params_text.strip():
            doc = _core.load_json_document(params_text, "params")
            if doc.problems:
                raise _core.InputError(list(doc.problems))
            _core.parse_params(doc, None)  # checked now: a bad parameter file is the caller's 422
            params_json = _core.replayable_json(doc.data)
        now = utc_now()
        batch = Batch(id=uuid.uuid4().hex, status="queued", key_id=getattr(principal, "key_id", "?"),
                      request_id=request.state.request_id, pack=pack, lang=lang, filename=name, input=data,
                      params_json=params_json, total=None, done=0, summary=None, problems=None,
                      created_at=now, updated_at=now)
        with db.writing() as s:
            s.add(batch)
        threading.Thread(target=process, args=(db, batch.id), name=f"batch-{batch.id}", daemon=True).start()
        return Response(json.dumps(_out(batch), ensure_ascii=False), status_code=202, media_type="application/json",
                        headers={"Location": f"/v1/batches/{batch.id}"})

    @app.get("/v1/batches/{batch_id}", response_model=BatchOut, tags=["batches"],
             responses=problem_docs(401, 403, 404))
    def get_batch(batch_id: str, _p: Annotated[object, Depends(need("batch"))]) -> dict:
        return _out(_get(db, batch_id))

    @app.get("/v1/batches/{batch_id}/result", tags=["batches"], responses={
        200: {"description": "The results, as `ntmcert batch --out results.<format>` writes them",
              "content": {m.split(";")[0]: {"schema": {"type": "string"}} for m in FORMATS.values()}},
        **problem_docs(401, 403, 404, 409)})
    def batch_result(batch_id: str, _p: Annotated[object, Depends(need("batch"))],
                     format: Annotated[str, Query(pattern="^(xlsx|csv|jsonl)$")] = "jsonl") -> Response:
        batch = _get(db, batch_id)
        if batch.status != "done":
            raise ApiProblem.one(409, "batch_not_done", f"the batch is {batch.status}; poll /v1/batches/{batch.id}",
                                 "batch_id")
        with db.reading() as s:
            stored = s.execute(select(BatchResult).where(BatchResult.batch_id == batch.id,
                                                         BatchResult.format == format)).scalar_one_or_none()
        if stored is None:  # made on first request, by whichever process is asked, then kept
            content, _ = _run_to(db, batch, format)
            try:
                with db.writing() as s:
                    s.add(BatchResult(batch_id=batch.id, format=format, content=content))
            except IntegrityError:  # another process stored the same bytes first
                pass
        else:
            content = stored.content
        return Response(content, media_type=FORMATS[format], headers={
            "Content-Disposition": f'attachment; filename="ntmcert-{batch.id}.{format}"'})
