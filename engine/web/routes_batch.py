"""Many communes at once: the pack's template, an uploaded workbook run by the service's batch
machinery (same table, same background runner, same result files), progress, results table."""

from __future__ import annotations

import json
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..service import _core as core
from ..service.batches import FORMATS, _out, _run_to, process
from ..service.db import Batch, BatchResult
from ..service.store import utc_now
from . import _core as web_core
from .common import (
    check_csrf,
    fragment,
    lang_of,
    page,
    redirect,
    secure_headers,
    signed_in,
)

router = APIRouter()
MAX_ROWS_SHOWN = 2000


def _pack_ids() -> list[str]:
    return [p["id"] for p in core.pack_summaries()]


@router.get("/web/batch", include_in_schema=False)
def batch_page(request: Request) -> Response:
    sess = signed_in(request, "batch")
    return page(request, "batch.html", sess, packs=core.pack_summaries(), error=None)


@router.get("/web/batch/template", include_in_schema=False)
def template(request: Request, pack: str) -> Response:
    signed_in(request, "batch")
    if pack not in _pack_ids():
        return secure_headers(Response("unknown pack", status_code=404, media_type="text/plain"))
    with tempfile.TemporaryDirectory(prefix="ntmcert-web-") as tmp:
        content = web_core.template_bytes(pack, Path(tmp))
    name = pack.replace("/", "-")
    return secure_headers(Response(content, media_type=FORMATS["xlsx"], headers={
        "Content-Disposition": f'attachment; filename="ntmcert-template-{name}.xlsx"'}))


@router.post("/web/batch", include_in_schema=False)
async def start_batch(request: Request) -> Response:
    sess = signed_in(request, "batch")
    settings = request.app.state.settings
    form = await request.form(max_files=1, max_fields=4, max_part_size=settings.max_upload_bytes)
    check_csrf(request, sess, str(form.get("csrf") or ""))
    pack = str(form.get("pack") or "")
    upload = form.get("file")
    lang = lang_of(request)
    name = Path(getattr(upload, "filename", "") or "").name[:200]
    if pack not in _pack_ids() or upload is None or isinstance(upload, str) or \
            Path(name).suffix.lower() not in (".xlsx", ".csv"):
        await form.close()
        return page(request, "batch.html", sess, status=422, packs=core.pack_summaries(),
                    error="Chọn bộ tiêu chí và tệp .xlsx hoặc .csv" if lang == "vi" else
                    "Choose a pack and an .xlsx or .csv file")
    data = await upload.read()
    await form.close()
    now = utc_now()
    batch = Batch(id=uuid.uuid4().hex, status="queued", key_id=sess.user.key_id, request_id=uuid.uuid4().hex,
                  pack=pack, lang=lang, filename=name, input=data, params_json=None, total=None, done=0,
                  summary=None, problems=None, created_at=now, updated_at=now)
    db = request.app.state.db
    with db.writing() as s:
        s.add(batch)
    threading.Thread(target=process, args=(db, batch.id), name=f"batch-{batch.id}", daemon=True).start()
    return redirect(f"/web/batch/{batch.id}")


def _get(request: Request, batch_id: str) -> Batch | None:
    with request.app.state.db.reading() as s:
        found: Batch | None = s.execute(select(Batch).where(Batch.id == batch_id[:64])).scalar_one_or_none()
        return found


def _rows(request: Request, batch: Batch) -> list[dict[str, Any]]:
    with request.app.state.db.reading() as s:
        stored = s.execute(select(BatchResult).where(BatchResult.batch_id == batch.id,
                                                     BatchResult.format == "jsonl")).scalar_one_or_none()
    if stored is None:
        return []
    out = []
    for line in stored.content.decode("utf-8").splitlines()[:MAX_ROWS_SHOWN]:
        doc = json.loads(line)
        failing = [c["id"] for c in doc.get("criteria", []) if c.get("status") == "fail"]
        out.append({"row": doc.get("input", {}).get("row"), "commune": doc.get("commune", {}),
                    "verdict": doc.get("verdict"), "failing": failing, "missing": doc.get("missing_facts", []),
                    "criteria": {c["id"]: c.get("title", {}) for c in doc.get("criteria", [])}})
    return out


@router.get("/web/batch/{batch_id}", include_in_schema=False)
def batch_status(request: Request, batch_id: str, verdict: str = "", criterion: str = "") -> Response:
    sess = signed_in(request, "batch")
    batch = _get(request, batch_id)
    if batch is None:
        return page(request, "message.html", sess, status=404, message="404")
    rows = _rows(request, batch) if batch.status == "done" else []
    criteria: dict[str, dict[str, str]] = {}
    for r in rows:
        criteria.update(r["criteria"])
    shown = [r for r in rows if (not verdict or r["verdict"] == verdict)
             and (not criterion or criterion in r["failing"])]
    return page(request, "batch_status.html", sess, batch=_out(batch), rows=shown, all_rows=len(rows),
                verdict=verdict, criterion=criterion, criteria=criteria)


@router.get("/web/batch/{batch_id}/progress", include_in_schema=False)
def batch_progress(request: Request, batch_id: str) -> Response:
    signed_in(request, "batch")
    batch = _get(request, batch_id)
    if batch is None:
        return secure_headers(Response("", status_code=404))
    response = fragment("batch_progress.html", lang_of(request), batch=_out(batch))
    if batch.status in ("done", "failed"):
        response.headers["HX-Refresh"] = "true"  # the page then shows the results table
    return response


@router.get("/web/batch/{batch_id}/result.xlsx", include_in_schema=False)
async def batch_result(request: Request, batch_id: str) -> Response:
    signed_in(request, "batch")
    batch = _get(request, batch_id)
    if batch is None or batch.status != "done":
        return secure_headers(Response("", status_code=404 if batch is None else 409))
    db = request.app.state.db
    with db.reading() as s:
        stored = s.execute(select(BatchResult).where(BatchResult.batch_id == batch.id,
                                                     BatchResult.format == "xlsx")).scalar_one_or_none()
    if stored is None:
        content, _ = await run_in_threadpool(_run_to, db, batch, "xlsx")
        try:
            with db.writing() as s:
                s.add(BatchResult(batch_id=batch.id, format="xlsx", content=content))
        except IntegrityError:
            pass
    else:
        content = stored.content
    return secure_headers(Response(content, media_type=FORMATS["xlsx"], headers={
        "Content-Disposition": f'attachment; filename="ntmcert-{batch.id}.xlsx"'}))
