"""What every page shares: the Jinja2 environment, the signed-in officer, CSRF checks, security
headers.

Pages are server-rendered. Unauthenticated page requests are redirected to the sign-in page
(303); unauthenticated htmx fragments and downloads get 401. Every POST carries the session's
CSRF token (form field `csrf`, or header X-CSRF-Token for htmx), compared in constant time.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .accounts import Accounts, Session
from .i18n import pick, status_text, t, verdict_text

HERE = Path(__file__).resolve().parent
COOKIE = "ntm_session"
LANG_COOKIE = "ntm_lang"
PRE_CSRF_COOKIE = "ntm_pre_csrf"  # the sign-in form's double-submit token (no session yet)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'")

env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)
env.globals.update(t=t, pick=pick, status_text=status_text, verdict_text=verdict_text)


def when(stamp: str | None, lang: str) -> str:
    """A log time (2026-12-01T22:31:00.123456Z) as 01/12/2026 22:31 UTC (vi) or 2026-12-01 22:31 UTC."""
    if not stamp or len(stamp) < 16:
        return stamp or ""
    day, clock = stamp[:10], stamp[11:16]
    y, m, d = day.split("-")
    return f"{d}/{m}/{y} {clock} UTC" if lang == "vi" else f"{day} {clock} UTC"


env.globals["when"] = when


class NeedSignIn(Exception):
    """Raised by `signed_in`: pages redirect to the sign-in page, fragments answer 401."""


class Refused(Exception):
    def __init__(self, status: int, key: str):
        self.status, self.key = status, key


def lang_of(request: Request) -> str:
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "vi"


def accounts(request: Request) -> Accounts:
    found: Accounts = request.app.state.web_accounts
    return found


def signed_in(request: Request, action: str = "read") -> Session:
    sess = accounts(request).session(request.cookies.get(COOKIE))
    if sess is None:
        raise NeedSignIn()
    if not sess.user.can(action):
        raise Refused(403, "forbidden")
    return sess


def check_csrf(request: Request, sess: Session, given: str | None) -> None:
    token = given or request.headers.get("x-csrf-token") or ""
    if not hmac.compare_digest(token.encode(), sess.csrf.encode()):
        raise Refused(403, "bad_request")


R = TypeVar("R", bound=Response)


def secure_headers(response: R) -> R:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def page(request: Request, template: str, sess: Session | None, status: int = 200, **context: Any) -> HTMLResponse:
    lang = lang_of(request)
    html = env.get_template(template).render(lang=lang, sess=sess, path=request.url.path, **context)
    return secure_headers(HTMLResponse(html, status_code=status))


def fragment(template: str, lang: str, **context: Any) -> HTMLResponse:
    return secure_headers(HTMLResponse(env.get_template(template).render(lang=lang, **context)))


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(NeedSignIn)
    async def _need(request: Request, _exc: NeedSignIn) -> Response:
        if request.headers.get("hx-request") or request.method != "GET":
            return secure_headers(HTMLResponse("", status_code=401))
        return redirect("/web/login")

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        lang = lang_of(request)
        return page(request, "message.html", None, status=exc.status, message=t(exc.key, lang))
