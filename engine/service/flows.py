"""What each decision endpoint does, between the HTTP layer and the checker: read the request
with ntmcert's strict loader, evaluate exactly as the CLI does, log the decision."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from . import _core
from .problems import ApiProblem
from .store import Appended, DecisionLog, NewDecision

JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
ENVELOPE_KEYS = {
    "evaluation": {"factset", "packs", "params", "derive_prerequisites", "lang"},
    "review": {"factset", "pack", "params", "lang"},
    "what-if": {"factset", "packs", "params", "derive_prerequisites", "lang", "set"},
}
WORST = ("not_certified", "incomplete", "certified")


@dataclass
class Options:
    packs: list[str]
    params_present: bool
    derive: bool
    lang: str
    changes: list[str]


@dataclass
class ParsedRequest:
    doc: Any  # a yamlio Document: the envelope (JSON) or the bare fact set (YAML)
    factset_key: str | None
    options: Options
    sha256: str


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse(kind: str, body: bytes, content_type: str | None, query: dict[str, Any]) -> ParsedRequest:
    """The request as a loaded document and options; every problem located in the request."""
    mtype = media_type(content_type)
    if mtype not in JSON_TYPES + YAML_TYPES:
        raise ApiProblem.one(415, "unsupported_media_type", f"send application/json (the request document) or "
                             f"application/yaml (a fact set), not {mtype or 'no content type'!r}", "Content-Type")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiProblem.one(400, "body_not_utf8", f"the body is not UTF-8 text (byte {exc.start})") from None
    digest = hashlib.sha256(b"\0".join([kind.encode(), mtype.encode(),
                                        json.dumps(query, sort_keys=True, default=str).encode(), body])).hexdigest()
    if not text.strip():
        raise ApiProblem.one(422, "body_empty", "the request body is empty")
    if mtype in JSON_TYPES:
        given = sorted(k for k, v in query.items() if v not in (None, [], False))
        if given:
            raise ApiProblem.one(422, "query_with_json_body", f"with a JSON body the options go in the body, not the "
                                 f"query string ({', '.join(given)})", given[0])
        doc = _core.load_json_document(text, "request")
        _raise_load_problems(doc)
        return ParsedRequest(doc, "factset", _envelope_options(kind, doc), digest)
    doc = _core.load_text(text, "request")
    _raise_load_problems(doc)
    packs = list(query.get("pack") or [])
    if kind == "review" and len(packs) != 1:
        raise ApiProblem.one(422, "review_pack", "name exactly one pack: ?pack=<id>", "pack")
    options = Options(packs, False, bool(query.get("derive_prerequisites")), query.get("lang") or "vi",
                      list(query.get("set") or []))
    if kind == "what-if" and not options.changes:
        raise ApiProblem.one(422, "what_if_no_change", "give at least one change: ?set=fact=value", "set")
    return ParsedRequest(doc, None, options, digest)


def _raise_load_problems(doc) -> None:
    if doc.problems:
        raise _core.InputError(list(doc.problems))


def _envelope_options(kind: str, doc) -> Options:
    data = doc.data
    problems: list[_core.Problem] = []

    def bad(code: str, message: str, path: tuple) -> None:
        loc = doc.locate(path)
        problems.append(_core.Problem(code, message, loc))

    if not isinstance(data, dict):
        raise _core.InputError([_core.Problem("request_not_object", "the body is a JSON object with factset and "
                                              "options", _core.Location("request", 1, 1))])
    allowed = ENVELOPE_KEYS[kind]
    for key in data:
        if key not in allowed:
            bad("request_unknown_field", f"unknown field {key!r}; allowed: {', '.join(sorted(allowed))}", (key,))
    if "factset" not in data:
        bad("request_missing_field", "factset is required", ())
    packs: list[str] = []
    if kind == "review":
        pack = data.get("pack")
        if not isinstance(pack, str) or not pack:
            bad("request_bad_field", "pack is required: the id of the pack the commune was recognised under",
                ("pack",))
        else:
            packs = [pack]
    else:
        raw = data.get("packs", [])
        if not isinstance(raw, list) or not all(isinstance(p, str) and p for p in raw) or len(raw) > 20:
            bad("request_bad_field", "packs is a list of up to 20 pack ids", ("packs",))
        else:
            packs = list(raw)
    derive = data.get("derive_prerequisites", False)
    if not isinstance(derive, bool):
        bad("request_bad_field", "derive_prerequisites is true or false", ("derive_prerequisites",))
    lang = data.get("lang", "vi")
    if lang not in ("vi", "en"):
        bad("request_bad_field", "lang is vi or en", ("lang",))
    params = data.get("params")
    if params is not None and not isinstance(params, dict):
        bad("request_bad_field", "params is an ntmcert/params/v1 object or null", ("params",))
    changes: list[str] = []
    if kind == "what-if":
        raw = data.get("set")
        if not isinstance(raw, list) or not raw or len(raw) > 100 or not all(isinstance(c, str) for c in raw):
            bad("request_bad_field", "set is a list of 1 to 100 changes (fact=value)", ("set",))
        else:
            changes = list(raw)
    if problems:
        raise _core.InputError(problems)
    return Options(packs, params is not None, derive is True, lang if lang in ("vi", "en") else "vi", changes)


def _outcome(verdicts) -> str:
    kinds = {v.verdict for v in verdicts}
    return next(k for k in WORST if k in kinds or k == "certified")


def decide(kind: str, req: ParsedRequest, log: DecisionLog, *, key_id: str, request_id: str,
           idempotency_key: str | None, engine: str) -> Appended:
    """Evaluate (or review) and log the decision; InputError for bad input, nothing logged then."""
    factset = _core.parse_factset(req.doc, req.factset_key)
    officer = _core.parse_params(req.doc, "params") if req.options.params_present else None
    if kind == "review":
        pack = _core.get_pack(req.options.packs[0])
        review = _core.review(factset, pack.id, officer, engine)
        against = _core.get_pack(pack.review_against or pack.id)
        outcome, result = review.outcome, review.to_json()
        packs = [_core.pack_record(pack)] + ([_core.pack_record(against)] if against.id != pack.id else [])
    else:
        chosen = _core.packs_for(factset, req.options.packs)
        verdicts = _core.evaluate(factset, chosen, officer, req.options.derive, engine)
        packs, outcome, result = [_core.pack_record(p) for p in chosen], _outcome(verdicts), \
            _core.verdict_json(verdicts)
    params_doc = _core.sub_document(req.doc, "params").data if req.options.params_present else None
    new = NewDecision(
        kind=kind, key_id=key_id, request_id=request_id, idempotency_key=idempotency_key, request_sha256=req.sha256,
        commune=factset.commune.name, province=factset.commune.province, packs=packs, outcome=outcome,
        factset_json=_core.replayable_json(_core.sub_document(req.doc, req.factset_key).data),
        factset_canonical=json.dumps(factset.canonical(), sort_keys=True, ensure_ascii=False, separators=(",", ":")),
        factset_sha256=factset.sha256, params_json=_core.replayable_json(params_doc) if params_doc is not None
        else None,
        options={"derive_prerequisites": req.options.derive, "lang": req.options.lang,
                 "packs_asked": req.options.packs},
        engine=_engine_text(engine), ntmcert_version=_core.NTMCERT_VERSION, result_json=result,
    )
    return log.append(new)


def _engine_text(engine: str) -> str:
    info = _core.engine_info(engine)
    return f"{info['name']} {info['version']}"


def what_if(req: ParsedRequest, engine: str) -> str:
    officer = _core.parse_params(req.doc, "params") if req.options.params_present else None
    if req.factset_key is None:  # a bare YAML fact set: wrap it so what-if finds it under factset
        doc = _core.Document({"factset": req.doc.data}, req.doc.file,
                             {("factset", *k): v for k, v in req.doc.positions.items()}, [])
    else:
        doc = req.doc
    return _core.what_if(doc, req.options.changes, req.options.packs, officer, req.options.derive, engine)
