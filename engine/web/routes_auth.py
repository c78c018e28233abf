"""Sign-in, sign-out, the language switch and the home page."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .accounts import AccountError
from .common import (
    COOKIE,
    LANG_COOKIE,
    PRE_CSRF_COOKIE,
    accounts,
    check_csrf,
    lang_of,
    page,
    redirect,
    set_cookie,
    signed_in,
)
from .i18n import t

router = APIRouter()


@router.get("/", include_in_schema=False)
def root() -> Response:
    return redirect("/web/")


@router.get("/web/login", include_in_schema=False)
def login_form(request: Request) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", None, pre_csrf=token, error=None)
    set_cookie(response, request, PRE_CSRF_COOKIE, token, max_age=3600)
    return response


@router.post("/web/login", include_in_schema=False)
async def login(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=5)
    lang = lang_of(request)
    given, expected = str(form.get("csrf") or ""), request.cookies.get(PRE_CSRF_COOKIE) or ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return page(request, "message.html", None, status=403, message=t("bad_request", lang))
    # a session cookie sent with the sign-in is never reused (session fixation): it is ended here
    accounts(request).sign_out(request.cookies.get(COOKIE))
    try:
        token, _ = accounts(request).sign_in(str(form.get("username") or "").strip(), str(form.get("password") or ""))
    except AccountError as exc:
        fresh = secrets.token_urlsafe(32)
        response = page(request, "login.html", None, status=401, pre_csrf=fresh, error=t(exc.code, lang),
                        username=str(form.get("username") or "")[:64])
        set_cookie(response, request, PRE_CSRF_COOKIE, fresh, max_age=3600)
        response.delete_cookie(COOKIE, path="/")
        return response
    signed = redirect("/web/")
    set_cookie(signed, request, COOKIE, token)
    signed.delete_cookie(PRE_CSRF_COOKIE, path="/")
    return signed


@router.post("/web/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    sess = signed_in(request)
    form = await request.form(max_files=0, max_fields=2)
    check_csrf(request, sess, str(form.get("csrf") or ""))
    accounts(request).sign_out(request.cookies.get(COOKIE))
    response = redirect("/web/login")
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/web/lang/{to}", include_in_schema=False)
def switch_lang(request: Request, to: str, back: str = "/web/") -> Response:
    # only a local path: never an open redirect
    target = back if back.startswith("/web/") and "//" not in back and "\\" not in back else "/web/"
    response = redirect(target)
    set_cookie(response, request, LANG_COOKIE, "en" if to == "en" else "vi", max_age=365 * 86400)
    return response


@router.get("/web/", include_in_schema=False)
def home(request: Request) -> Response:
    sess = signed_in(request)
    return page(request, "home.html", sess)


not_found = APIRouter()


@not_found.get("/web/{rest:path}", include_in_schema=False)
def unknown_page(request: Request, rest: str) -> Response:
    lang = lang_of(request)
    return page(request, "message.html", None, status=404,
                message="Không có trang này." if lang == "vi" else "There is no such page.")
