"""The decision history, one decision (its report, printable) and reviewers' sign-offs.

A sign-off is stored beside the decision (table decision_signoffs): the logged decision and its
hash chain are never touched.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..service import _core as core
from ..service.db import Decision
from ..service.verify import replay_objects
from .common import (
    accounts,
    check_csrf,
    lang_of,
    page,
    redirect,
    secure_headers,
    signed_in,
)
from .i18n import t

router = APIRouter()
PAGE = 100


def _packs_of(row: Decision) -> list[dict[str, Any]]:
    try:
        packs: list[dict[str, Any]] = json.loads(row.packs)
        return packs
    except ValueError:
        return []


@router.get("/web/decisions", include_in_schema=False)
def history(request: Request, verdict: str = "", commune: str = "", after: int | None = None) -> Response:
    sess = signed_in(request, "read")
    rows = request.app.state.log.find(commune=commune[:300] or None, outcome=verdict[:32] or None,
                                      after_seq=after, limit=PAGE)
    signoffs = accounts(request).sign_offs([r.id for r in rows])
    items = [{"row": r, "packs": _packs_of(r), "who": r.key_id.removeprefix("web:"),
              "signoffs": signoffs.get(r.id, [])} for r in rows]
    return page(request, "history.html", sess, items=items, verdict=verdict, commune=commune,
                next_after=rows[-1].seq if len(rows) == PAGE else None)


def _stored(request: Request, decision_id: str) -> Decision | None:
    row = request.app.state.log.get(decision_id) if len(decision_id) <= 64 else None
    return row


@router.get("/web/decisions/{decision_id}", include_in_schema=False)
def decision_page(request: Request, decision_id: str, saved: int = 0) -> Response:
    sess = signed_in(request, "read")
    row = _stored(request, decision_id)
    if row is None:
        return page(request, "message.html", sess, status=404, message="404")
    signoffs = accounts(request).sign_offs([row.id]).get(row.id, [])
    return page(request, "decision.html", sess, row=row, packs=_packs_of(row), who=row.key_id.removeprefix("web:"),
                signoffs=signoffs, saved=bool(saved))


@router.get("/web/decisions/{decision_id}/report", include_in_schema=False)
def decision_report(request: Request, decision_id: str) -> Response:
    """The report exactly as `ntmcert evaluate --format html` prints it (what the print button prints)."""
    signed_in(request, "read")
    row = _stored(request, decision_id)
    if row is None:
        return secure_headers(HTMLResponse("", status_code=404))
    lang = lang_of(request)
    try:
        replayed = replay_objects(row, request.app.state.settings.engine)
    except (core.InputError, core.PackNotFoundError):
        replayed = None
    again = (replayed.to_json() if isinstance(replayed, core.Review)
             else core.verdict_json(replayed) if replayed is not None else None)
    if again != row.result_json:  # the packs changed since: another verdict's report would mislead
        return page(request, "message.html", None, status=409, message=t("not_reproducible", lang))
    text = (core.render_review_report(replayed, "html", lang) if isinstance(replayed, core.Review)
            else core.render_report(replayed, "html", lang))
    return secure_headers(HTMLResponse(text))


@router.post("/web/decisions/{decision_id}/signoff", include_in_schema=False)
async def sign_off(request: Request, decision_id: str) -> Response:
    sess = signed_in(request, "signoff")
    form = await request.form(max_files=0, max_fields=3)
    check_csrf(request, sess, str(form.get("csrf") or ""))
    row = _stored(request, decision_id)
    if row is None:
        return page(request, "message.html", sess, status=404, message="404")
    accounts(request).sign_off(row.id, sess.user, str(form.get("comment") or "").strip())
    return redirect(f"/web/decisions/{row.id}")
