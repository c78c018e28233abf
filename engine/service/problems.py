"""Errors as RFC 9457 problem documents (`application/problem+json`).

A problem carries the same coded, located list the CLI prints with `--format json`
(`schema: ntmcert/errors/v1`, `errors: [...]`), plus type, title, status, detail and the request
id. No exception text or traceback of an unexpected error ever goes to the client: it is logged
with the request id, and the client gets that id.
"""

from __future__ import annotations

import json
import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import _core
from .auth import AuthError

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("ntmcert.service")

TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          406: "Not acceptable", 409: "Conflict", 413: "Content too large", 415: "Unsupported media type",
          422: "Unprocessable content", 500: "Internal server error", 503: "Service unavailable"}


class ApiProblem(Exception):
    """An error the service raises on purpose: an HTTP status and the coded problems."""

    def __init__(self, status: int, problems: list[_core.Problem], detail: str | None = None):
        super().__init__(detail or "; ".join(p.message for p in problems))
        self.status, self.problems, self.detail = status, problems, detail

    @classmethod
    def one(cls, status: int, code: str, message: str, key_path: str | None = None) -> ApiProblem:
        loc = _core.Location("request", None, None, key_path) if key_path else _core.Location("request")
        return cls(status, [_core.Problem(code, message, loc)])


def problem_response(request: Request | None, status: int, problems: list[_core.Problem],
                     detail: str | None = None, headers: dict[str, str] | None = None) -> Response:
    request_id = getattr(request.state, "request_id", None) if request is not None else None
    first = problems[0].code if problems else "error"
    body = {
        "type": f"urn:ntmcert:problem:{first}", "title": TITLES.get(status, "Error"), "status": status,
        "detail": detail or (problems[0].message if len(problems) == 1 else f"{len(problems)} problems; see errors"),
        "request_id": request_id, "schema": _core.ERRORS_SCHEMA, "errors": [p.to_dict() for p in problems],
    }
    if request is not None:
        body["instance"] = request.url.path
    return Response(json.dumps(body, ensure_ascii=False, sort_keys=True), status_code=status,
                    media_type=MEDIA_TYPE, headers=headers)


def install(app) -> None:
    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem):
        return problem_response(request, exc.status, exc.problems, exc.detail)

    @app.exception_handler(_core.InputError)
    async def _input_error(request: Request, exc: _core.InputError):
        return problem_response(request, 422, exc.problems)

    @app.exception_handler(_core.PackNotFoundError)
    async def _pack_missing(request: Request, exc: _core.PackNotFoundError):
        return problem_response(request, 422, [_core.Problem(exc.code, str(exc), _core.Location("request"))])

    @app.exception_handler(_core.NtmcertError)
    async def _ntmcert_error(request: Request, exc: _core.NtmcertError):
        log.error("request %s: %s: %s", getattr(request.state, "request_id", "-"), exc.code, exc)
        return problem_response(request, 500, [_core.Problem(exc.code, "the evaluation failed",
                                                             _core.Location("request"))])

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError):
        headers = {"WWW-Authenticate": 'Bearer realm="ntmcert"'} if exc.status == 401 else None
        return problem_response(request, exc.status, [_core.Problem(exc.code, exc.message,
                                                                    _core.Location("request", None, None,
                                                                                   "Authorization"))],
                                headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        problems = []
        for err in exc.errors():
            loc = [str(part) for part in err.get("loc", ())]
            problems.append(_core.Problem("request_invalid", str(err.get("msg", "invalid value")),
                                          _core.Location("request", None, None, ".".join(loc) or None)))
        return problem_response(request, 422, problems or [_core.Problem("request_invalid", "invalid request")])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return problem_response(request, exc.status_code, [_core.Problem(code, str(exc.detail),
                                                                         _core.Location("request"))],
                                headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        log.exception("request %s failed", getattr(request.state, "request_id", "-"))
        return problem_response(request, 500, [_core.Problem(
            "internal_error", "an internal error occurred; quote the request id to the operator",
            _core.Location("request"))])
