"""Sign-in, sessions, CSRF, roles and lock-out, over HTTP (starlette's TestClient)."""

from __future__ import annotations

import re

import pytest
from ntmcert.web.accounts import MAX_FAILURES, AccountError, Accounts

from .conftest import PASSWORD, SEED, SEED_PACK, csrf_of, sign_in

PAGES = ["/web/", "/web/evaluate", "/web/batch", "/web/decisions", "/web/province"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_session(client, path):
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/web/login"


@pytest.mark.parametrize("path", ["/web/evaluate", "/web/evaluate/field?name=f.kiosks", "/web/whatif",
                                  "/web/decisions", "/web/batch", "/web/logout"])
def test_posts_without_a_session_are_refused(client, path):
    r = client.post(path, data={"csrf": "x"}, follow_redirects=False)
    assert r.status_code == 401


def test_a_fragment_without_a_session_is_401_not_a_redirect(client):
    r = client.get("/web/batch/abc/progress", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.status_code == 401


def test_sign_in_sets_a_strict_http_only_cookie_and_pages_carry_security_headers(client):
    r = sign_in(client, "can.bo")
    cookie = r.headers["set-cookie"]
    assert "ntm_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = client.get("/web/evaluate")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    assert "<script src=\"/web/static/htmx.min.js\"" in page.text  # vendored, never a CDN
    assert "https://" not in re.sub(r"<cite>.*?</cite>", "", page.text)


def test_sign_in_form_needs_its_csrf_token(client):
    client.get("/web/login")
    r = client.post("/web/login", data={"csrf": "forged", "username": "can.bo", "password": PASSWORD},
                    follow_redirects=False)
    assert r.status_code == 403
    assert "ntm_session" not in r.headers.get("set-cookie", "")


@pytest.mark.parametrize("path,data", [
    ("/web/evaluate", {"action": "evaluate", "pack": SEED_PACK}),
    ("/web/decisions", {"envelope": "{}"}),
    ("/web/logout", {}),
])
def test_posts_need_the_session_csrf_token(officer, path, data):
    for token in (None, "forged-token"):
        body = dict(data, **({"csrf": token} if token else {}))
        r = officer.post(path, data=body, follow_redirects=False)
        assert r.status_code == 403, (path, token)
    assert officer.get("/web/", follow_redirects=False).status_code == 200  # still signed in


def test_the_htmx_header_carries_the_token_too(officer):
    csrf = csrf_of(officer.get("/web/evaluate").text)
    r = officer.post("/web/evaluate/field?name=f.kiosks", data={"f.kiosks": "2"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    r = officer.post("/web/evaluate/field?name=f.kiosks", data={"f.kiosks": "2"}, headers={"X-CSRF-Token": "no"})
    assert r.status_code == 403


def test_session_fixation_a_planted_cookie_is_never_the_signed_in_session(client, app):
    client.cookies.set("ntm_session", "planted-by-an-attacker")
    r = sign_in(client, "can.bo")
    issued = re.search(r"ntm_session=([^;]+)", r.headers["set-cookie"]).group(1)
    assert issued != "planted-by-an-attacker"
    assert Accounts(app.state.db).session("planted-by-an-attacker") is None
    # signing in again gives another session; the first one no longer works once signed out
    client.cookies.set("ntm_session", issued)
    r2 = sign_in(client, "can.bo")
    second = re.search(r"ntm_session=([^;]+)", r2.headers["set-cookie"]).group(1)
    assert second != issued
    assert Accounts(app.state.db).session(issued) is None


def test_sign_out_ends_the_session_on_the_server(officer, app):
    token = officer.cookies.get("ntm_session")
    csrf = csrf_of(officer.get("/web/").text)
    r = officer.post("/web/logout", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert Accounts(app.state.db).session(token) is None
    officer.cookies.set("ntm_session", token)
    assert officer.get("/web/evaluate", follow_redirects=False).status_code == 303


def test_lock_out_after_repeated_failures_even_with_the_right_password(client):
    for _ in range(MAX_FAILURES):
        r = sign_in(client, "can.bo", "wrong password!")
        assert r.status_code == 401
    r = sign_in(client, "can.bo")
    assert r.status_code == 401 and "tạm khóa" in r.text
    assert sign_in(client, "kiem.tra").status_code == 303  # other accounts unaffected


def test_unknown_and_disabled_users_get_the_same_answer(client, app):
    assert "Sai tên đăng nhập" in sign_in(client, "nobody").text
    Accounts(app.state.db).disable("kiem.tra")
    assert sign_in(client, "kiem.tra").status_code == 401


def test_roles_reviewer_cannot_evaluate_officer_cannot_sign_off(client, app):
    assert sign_in(client, "kiem.tra").status_code == 303
    assert client.get("/web/evaluate").status_code == 403
    assert client.get("/web/batch").status_code == 403
    assert client.get("/web/decisions").status_code == 200
    client.cookies.clear()
    sign_in(client, "can.bo")
    csrf = csrf_of(client.get("/web/").text)
    r = client.post("/web/decisions/0123/signoff", data={"csrf": csrf, "comment": "x"})
    assert r.status_code == 403


def test_accounts_reject_bad_names_roles_and_short_passwords(app):
    accounts = Accounts(app.state.db)
    for args in (("A B", "x", "officer", PASSWORD), ("ok.name", "x", "boss", PASSWORD),
                 ("ok.name", "x", "officer", "short"), ("can.bo", "x", "officer", PASSWORD)):
        with pytest.raises(AccountError):
            accounts.create(*args)
    stored = {u.username: u.password_hash for u in accounts.all_users()}
    assert stored["can.bo"].startswith("$argon2id$")


def test_language_switch_only_redirects_inside_the_app(client):
    for back in ("https://evil.example/", "//evil.example/web/", "/web/\\evil"):
        r = client.get("/web/lang/en", params={"back": back}, follow_redirects=False)
        assert r.headers["location"] == "/web/"
    r = client.get("/web/lang/en", params={"back": "/web/decisions"}, follow_redirects=False)
    assert r.headers["location"] == "/web/decisions" and "ntm_lang=en" in r.headers["set-cookie"]


def test_upload_of_a_hostile_file_is_reported_not_crashed(officer):
    csrf = csrf_of(officer.get("/web/evaluate").text)
    for name, content in (("x.yaml", b"\xff\xfe\x00bad"), ("x.yaml", b"a: &x [*x]\n"), ("x.json", b"{"),
                          ("x.yaml", SEED.read_bytes() * 0 + b"- just a list\n")):
        r = officer.post("/web/evaluate/upload", data={"csrf": csrf, "pack": SEED_PACK},
                         files={"file": (name, content)})
        assert r.status_code in (200, 422) and "Traceback" not in r.text


def test_an_unknown_address_is_a_page_and_static_files_are_served(client):
    r = client.get("/web/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert client.get("/web/static/htmx.min.js").status_code == 200
    assert client.get("/v1/packs").status_code == 401  # the API beside it still wants its key
