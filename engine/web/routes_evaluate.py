"""Evaluate a commune: the form, its live per-field status, the result (the report), what-if and
saving the result as a decision in the service's log."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ..service import _core as core
from ..service import flows
from ..service.problems import ApiProblem
from ..service.store import IdempotencyConflict
from . import _core as web_core
from . import forms
from .accounts import Session
from .common import (
    check_csrf,
    fragment,
    lang_of,
    page,
    redirect,
    secure_headers,
    signed_in,
)
from .evaluation import Evaluated, display, evaluate_form, outcome, results_for
from .values import read_value

router = APIRouter()
MAX_FORM_FIELDS = forms.MAX_FIELDS + 10
MAX_UPLOAD = 2 * 1024 * 1024


def _packs() -> list[dict[str, Any]]:
    return core.pack_summaries()


def _form_page(request: Request, sess: Session, state: forms.FormState, status: int = 200,
               problems: list[str] | None = None) -> Response:
    chosen = [core.get_pack(state.pack)] if state.pack in {p["id"] for p in _packs()} else web_core.library().all()
    if state.pack and not chosen:
        state.pack = ""
    commune, hamlet = forms.fact_fields(chosen)
    extra = forms.extra_fields(state, {f.id for f in commune})
    hamlet = hamlet + forms.extra_hamlet_fields(state, {f.id for f in hamlet})
    names = [f"f.{f.id}" for f in commune + extra] + [f"h{i}.f.{f.id}" for i in range(state.hamlets) for f in hamlet]
    statuses = _initial_statuses(request, state, names)
    return page(request, "evaluate.html", sess, status=status, state=state, packs=_packs(), facts=commune,
                extra_facts=extra, hamlet_facts=hamlet, hint=forms.field_kind_hint, tiers=forms.TIERS,
                regions=_region_options(), problems=problems or [], extra_json=core.replayable_json(state.extra),
                statuses=statuses, tier_names=_core_tier_names())


def _initial_statuses(request: Request, state: forms.FormState, names: list[str]) -> dict[str, dict[str, Any]]:
    """Each field's status when the form is shown with the commune filled in (a loaded fact set,
    a pack changed): the same fragment the field gets as the officer types."""
    if not all(state.get(k).strip() for k in ("c.name", "c.province", "c.region", "as_of")):
        return {}
    probe = forms.FormState(state.pack, dict(state.values), state.hamlets, dict(state.extra))
    lang = lang_of(request)
    result = evaluate_form(probe, lang, request.app.state.settings.engine, strict=False)
    return {name: field_status_of(result, name, lang) for name in names}


def _core_tier_names() -> dict[str, tuple[str, str]]:
    """(Vietnamese, English) per tier id, as the form template picks them."""
    from ._core import TIER_NAMES

    return {tier: (name.vi, name.en) for tier, name in TIER_NAMES.items()}


def _region_options() -> list[tuple[str, tuple[str, str]]]:
    from ._core import REGION_NAMES

    return [(region, (name.vi, name.en)) for region, name in REGION_NAMES.items()]


async def _form_state(request: Request, sess: Session) -> forms.FormState:
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    check_csrf(request, sess, str(form.get("csrf") or ""))
    return forms.from_form({k: v for k, v in form.items() if isinstance(v, str)})


@router.get("/web/evaluate", include_in_schema=False)
def evaluate_page(request: Request, pack: str = "") -> Response:
    sess = signed_in(request, "evaluate")
    return _form_page(request, sess, forms.FormState(pack=pack[:200]))


@router.post("/web/evaluate", include_in_schema=False)
async def evaluate_post(request: Request) -> Response:
    sess = signed_in(request, "evaluate")
    state = await _form_state(request, sess)
    lang = lang_of(request)
    action = state.get("action")
    if action == "add_hamlet":
        state.hamlets = min(forms.MAX_HAMLETS, state.hamlets + 1)
        return _form_page(request, sess, state)
    if action == "download":
        data = forms.to_data(state, lang)
        body = core.replayable_json(data)
        name = "".join(ch for ch in state.get("c.name") if ch.isalnum())[:40] or "factset"
        return secure_headers(Response(body, media_type="application/json", headers={
            "Content-Disposition": f'attachment; filename="{name.encode("ascii", "ignore").decode() or "xa"}.json"'}))
    if action != "evaluate":  # change of pack: the same values on the other pack's form
        return _form_page(request, sess, state)
    engine = request.app.state.settings.engine
    result = await run_in_threadpool(evaluate_form, state, lang, engine)
    if not result.ok:
        return _form_page(request, sess, state, status=422, problems=result.problems)
    envelope = {"factset": result.data, "packs": result.pack_ids, "lang": lang}
    report = core.render_report(result.verdicts, "html", lang)
    commune_facts, _ = forms.fact_fields([core.get_pack(p) for p in result.pack_ids])
    return page(request, "result.html", sess, verdicts=result.verdicts, report=report, state=state,
                envelope=core.replayable_json(envelope), overall=outcome(result.verdicts),
                whatif_facts=commune_facts, idem=secrets.token_urlsafe(16))


@router.post("/web/evaluate/upload", include_in_schema=False)
async def upload_factset(request: Request) -> Response:
    sess = signed_in(request, "evaluate")
    form = await request.form(max_files=1, max_fields=4, max_part_size=MAX_UPLOAD)
    check_csrf(request, sess, str(form.get("csrf") or ""))
    lang = lang_of(request)
    upload = form.get("file")
    pack = str(form.get("pack") or "")[:200]
    if upload is None or isinstance(upload, str):
        await form.close()
        return _form_page(request, sess, forms.FormState(pack=pack), 422, ["file: no file"])
    raw = await upload.read(MAX_UPLOAD + 1)
    name = (upload.filename or "factset")[-100:]
    await form.close()
    problems: list[str] = []
    data = None
    try:
        text = raw[:MAX_UPLOAD].decode("utf-8")
        doc = (core.load_json_document(text, name) if name.lower().endswith(".json")
               else core.load_text(text, name))
        if doc.problems:
            problems = [f"{p.location}: {p.code}: {p.message}" for p in doc.problems]
        data = doc.data
    except UnicodeDecodeError:
        problems = [f"{name}: file_not_utf8: the file is not UTF-8 text"]
    except core.InputError as exc:
        problems = [f"{p.location}: {p.code}: {p.message}" for p in exc.problems]
    if len(raw) > MAX_UPLOAD:
        problems = [f"{name}: file_too_large: at most {MAX_UPLOAD:,} bytes"]
    state = forms.from_data(data if not problems else None, pack, lang)
    return _form_page(request, sess, state, 422 if problems else 200, problems)


@router.post("/web/evaluate/field", include_in_schema=False)
async def field_status(request: Request, name: str) -> Response:
    """The status of the indicators a field decides, as the officer types (an htmx fragment)."""
    sess = signed_in(request, "evaluate")
    state = await _form_state(request, sess)
    lang = lang_of(request)
    engine = request.app.state.settings.engine
    result = await run_in_threadpool(evaluate_form, state, lang, engine, strict=False)
    return fragment("status.html", lang, **field_status_of(result, name, lang))


def field_status_of(result: Evaluated, name: str, lang: str) -> dict[str, Any]:
    """What status.html shows beside one field: its error, or its indicators' status, margin, to-pass."""
    state = result.state
    hamlet = None
    fact_id = name[2:] if name.startswith("f.") else None
    if name.startswith("h") and ".f." in name:
        index, _, fact_id = name[1:].partition(".f.")
        hamlet = state.get(f"h{index}.name").strip() if index.isdigit() else None
    rows = []
    if fact_id and result.verdicts:
        for verdict, ind in results_for(result.verdicts, fact_id, hamlet):
            rows.append({"pack": verdict.pack["id"], "id": ind.id, "status": ind.status,
                         "margin": display(ind.margin, lang), "to_pass": display(ind.to_pass, lang)})
    return {"rows": rows, "error": state.errors.get(name), "waiting": not result.verdicts, "name": name}


@router.post("/web/whatif", include_in_schema=False)
async def what_if(request: Request) -> Response:
    sess = signed_in(request, "evaluate")
    form = await request.form(max_files=0, max_fields=10)
    check_csrf(request, sess, str(form.get("csrf") or ""))
    lang = lang_of(request)
    fact_id, text = str(form.get("fact") or "")[:100], str(form.get("value") or "")
    fact = web_core.catalogue().get(fact_id)
    error, moved = None, None
    if fact is None:
        error = "?"
    else:
        try:
            entry = read_value(fact.kind, text)
        except ValueError as exc:
            error = forms.VI_ERRORS.get(getattr(exc, "code", ""), str(exc)) if lang == "vi" else str(exc)
        else:
            change = f"{fact.id}=" + (core.replayable_json(entry) if entry is not None else "")
            engine = request.app.state.settings.engine
            try:  # read exactly (decimals stay decimals), as the service reads a request
                doc = core.load_json_document(str(form.get("envelope") or ""), "request")
                packs = doc.data.get("packs") if isinstance(doc.data, dict) else None
                if doc.problems or not isinstance(packs, list) or not all(isinstance(p, str) for p in packs):
                    damaged = core.Problem("request_bad_field", "the page's request is damaged: evaluate again",
                                           core.Location("request"))
                    raise core.InputError(list(doc.problems) or [damaged])
                out = await run_in_threadpool(core.what_if, doc, [change], packs[:20], None, False, engine)
                moved = json.loads(out)["moved"]
            except core.InputError as exc:
                error = "; ".join(p.message for p in exc.problems)
    return fragment("whatif.html", lang, moved=moved, error=error, fact=fact, text=text)


@router.post("/web/decisions", include_in_schema=False)
async def save_decision(request: Request) -> Response:
    sess = signed_in(request, "evaluate")
    form = await request.form(max_files=0, max_fields=5)
    check_csrf(request, sess, str(form.get("csrf") or ""))
    body = str(form.get("envelope") or "").encode("utf-8")
    idem = str(form.get("idem") or "")[:100] or None
    app = request.app
    try:
        req = flows.parse("evaluation", body, "application/json", {})
        appended = await run_in_threadpool(flows.decide, "evaluation", req, app.state.log, key_id=sess.user.key_id,
                                           request_id=uuid.uuid4().hex, idempotency_key=idem,
                                           engine=app.state.settings.engine)
    except (core.InputError, ApiProblem, IdempotencyConflict) as exc:  # a damaged or replayed page: nothing logged
        problems = getattr(exc, "problems", None) or []
        text = "; ".join(f"{p.code}: {p.message}" for p in problems) or "idempotency_key_reused"
        return page(request, "message.html", sess, status=422, message=text)
    if not appended.replayed:
        app.state.metrics.decision("evaluation", appended.row.outcome)
    return redirect(f"/web/decisions/{appended.row.id}?saved=1")
