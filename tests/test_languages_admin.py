"""Issue #9 for the commands of maintainers and admins: `template`, `packs docs|check|law|new|diff`,
`params check`, `keys`, `users`, `db upgrade` and `decisions verify` run in both languages, and
what they tell the reader (status lines, errors, findings) holds no word of the other language.

Identifiers stay as they are (pack ids, codes, paths, key ids, roles, scopes); the documents
`packs docs` and `packs law` write keep their own language, so only their status lines are checked
here (the page `packs law DOCUMENT` prints is such a document: English, quoting each decision's
Vietnamese subject).
"""

from __future__ import annotations

import os
import shutil

import pytest
from ntmcert.service.db import Database, Decision
from ntmcert.service.migrate import upgrade
from ntmcert.service.store import DecisionLog
from sqlalchemy import update
from typer.testing import CliRunner

from .conftest import ROOT
from .test_languages import foreign

LANGS = ["vi", "en"]
BASE = "vn/ntm-2021-2025"
PASSWORD = "mật khẩu đủ dài 2026"  # noqa: S105 - a test account in a tmp database
# the decision log in --data-dir, whatever the shell says; restored after each run (`serve` sets them)
NO_URL = {"NTMCERT_DATABASE_URL": None, "NTMCERT_DATA_DIR": None}


def run(*args, lang: str, stdin: str | None = None) -> tuple[int, str]:
    from ntmcert.cli.main import app

    result = CliRunner().invoke(app, [*(str(a) for a in args), "--lang", lang], input=stdin, env=NO_URL)
    return result.exit_code, result.output  # stdout and stderr together


def check(args, lang: str, codes: tuple[int, ...], stdin: str | None = None, contains: str | None = None) -> str:
    code, output = run(*args, lang=lang, stdin=stdin)
    assert code in codes, (args, output)
    assert output.strip(), args
    bad = foreign(output, lang)
    assert not bad, f"{lang} output of {args} holds words of the other language: {bad}\n{output}"
    if contains:
        assert contains in output, output
    return output


# Vietnamese and English words that prove the line was written in the asked language (not only
# free of the other one): each command's status line, as an officer reads it
SAID = {
    "template": ("mẫu nhập liệu", "template for"),
    "docs": ("tệp được cập nhật", "files in"),
    "stale": ("chưa cập nhật:", "out of date:"),
    "checked": ("bộ tiêu chí đều hợp lệ", "packs OK under"),
    "wrote": ("Đã ghi", "wrote"),
    "diff": ("1 thay đổi: 1 ngưỡng", "1 change(s): 1 threshold"),
    "same": ("không khác nhau", "no differences"),
    "params": ("hợp lệ — 1 giá trị cho 1 tham số", "valid — 1 value(s) for 1 parameter(s)"),
    "revision": ("Cơ sở dữ liệu ở phiên bản", "database at revision"),
    "serving": ("đang phục vụ tại", "serving on"),
    "key": ("Khóa API mới", "store the token now"),
    "revoked": ("Đã thu hồi khóa", "revoked"),
    "user": ("Đã tạo tài khoản", "created"),
    "disabled": ("Đã khóa tài khoản", "disabled"),
    "verified": ("chuỗi băm nguyên vẹn", "chain intact"),
    "broken": ("chuỗi băm BỊ PHÁ VỠ", "chain BROKEN"),
}


def said(what: str, lang: str) -> str:
    return SAID[what][LANGS.index(lang)]


@pytest.mark.parametrize("lang", LANGS)
def test_template(tmp_path, lang):
    out = tmp_path / "mau.xlsx"
    check(("template", "--pack", "tra-vinh/smart-commune", "--out", out), lang, (0,), contains=said("template", lang))
    check(("template", "--pack", "tra-vinh/smart-commune", "--out", out), lang, (2,), contains="template_exists")
    check(("template", "--pack", "tra-vinh/smart-commune", "--out", tmp_path / "x.csv"), lang, (2,),
          contains="template_bad_output")
    check(("template", "--pack", "vn/none", "--out", tmp_path / "y.xlsx"), lang, (2,), contains="pack_not_found")


@pytest.mark.parametrize("lang", LANGS)
def test_packs_docs(tmp_path, lang):
    out = tmp_path / "criteria"
    check(("packs", "docs", "--check", "--out", out), lang, (1,), contains=said("stale", lang))
    check(("packs", "docs", "--out", out), lang, (0,), contains=said("docs", lang))
    code, output = run("packs", "docs", "--check", "--out", out, lang=lang)  # silent when up to date
    assert code == 0 and not output.strip()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    check(("packs", "docs", "--out", tmp_path / "file"), lang, (2,), contains="docs_bad_output")


@pytest.mark.parametrize("lang", LANGS)
def test_packs_check(tmp_path, lang):
    check(("packs", "check", ROOT / "rules"), lang, (0,), contains=said("checked", lang))
    check(("packs", "check", tmp_path / "none"), lang, (2,), contains="pack_folder_missing")
    check(("packs", "check", tmp_path), lang, (2,), contains="pack_folder_empty")


@pytest.mark.parametrize("lang", LANGS)
def test_packs_law(tmp_path, lang):
    out = tmp_path / "law"
    check(("packs", "law", "--out", out), lang, (0,), contains=said("docs", lang))
    (out / "README.md").unlink()
    (out / "extra.md").write_text("x", encoding="utf-8")
    check(("packs", "law", "--check", "--out", out), lang, (1,), contains=said("stale", lang))
    check(("packs", "law", "QĐ 999/QĐ-TTg"), lang, (2,), contains="law_unknown_document")


@pytest.mark.parametrize("lang", LANGS)
def test_packs_new(tmp_path, lang):
    rules = tmp_path / "rules"
    check(("packs", "new", "--extends", BASE, "--province", "Đắk Lắk", "--out", rules), lang, (0,),
          contains=said("wrote", lang))
    check(("packs", "new", "--extends", BASE, "--province", "Đắk Lắk", "--out", rules), lang, (2,),
          contains="scaffold_exists")
    check(("packs", "new", "--extends", "tra-vinh/smart-commune", "--province", "Bến Tre", "--out", rules), lang,
          (2,), contains="scaffold_bad_parent")


@pytest.mark.parametrize("lang", LANGS)
def test_packs_diff(tmp_path, lang):
    folder = tmp_path / "pack"
    shutil.copytree(ROOT / "rules" / BASE, folder)
    path = folder / "pack.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("threshold: {percent: 80}", "threshold: {percent: 85}",
                                                             1), encoding="utf-8")
    check(("packs", "diff", BASE, folder), lang, (1,), contains=said("diff", lang))
    check(("packs", "diff", BASE, BASE), lang, (0,), contains=said("same", lang))
    check(("packs", "diff", BASE, "vn/none"), lang, (2,), contains="pack_not_found")


@pytest.mark.parametrize("lang", LANGS)
def test_params_check(tmp_path, lang):
    path = tmp_path / "params.yaml"
    path.write_text("format: ntmcert/params/v1\nparameters:\n  ntm_income_threshold:\n    - value: 59.5\n"
                    "      from: 2024-01-01\n      region: dbscl\n      override: true\n"
                    "      source: {document: 'QĐ 9/QĐ-UBND (2024)', provenance: secondary}\n", encoding="utf-8")
    check(("params", "check", path), lang, (0,), contains=said("params", lang))
    for bad in sorted((ROOT / "tests" / "bad_inputs" / "params").glob("*.yaml")):
        check(("params", "check", bad), lang, (2,))


@pytest.mark.parametrize("lang", LANGS)
def test_keys_and_db(tmp_path, lang):
    data = ("--data-dir", tmp_path)
    check(("db", "upgrade", *data), lang, (0,), contains=said("revision", lang))
    created = check(("keys", "create", "--name", "wf-1", "--scope", "evaluate", "--scope", "read", *data), lang, (0,),
                    contains=said("key", lang))
    key_id = created.split("_")[1]
    check(("keys", "list", *data), lang, (0,), contains=key_id)
    check(("keys", "revoke", key_id, *data), lang, (0,), contains=said("revoked", lang))
    check(("keys", "revoke", "nope", *data), lang, (2,), contains="key_not_found")
    check(("keys", "create", "--name", "wf-2", "--scope", "root", *data), lang, (2,), contains="keys_bad_scope")


@pytest.mark.parametrize("lang", LANGS)
def test_serve_says_where_it_listens(tmp_path, lang, monkeypatch):
    from ntmcert.service import server

    started = []
    monkeypatch.setattr(server, "run_server", lambda *args: started.append(args))  # no server in a unit test
    output = check(("serve", "--port", "8765", "--data-dir", tmp_path), lang, (0,), contains=said("serving", lang))
    assert started == [("127.0.0.1", 8765, 1)] and "ntm_" in output  # the first admin key, shown once
    assert "ntm_" not in check(("serve", "--data-dir", tmp_path), lang, (0,))
    assert str(tmp_path) not in os.environ.get("NTMCERT_DATABASE_URL", "")  # nothing leaks into other tests


@pytest.mark.parametrize("lang", LANGS)
def test_users(tmp_path, lang):
    data = ("--data-dir", tmp_path)
    create = ("users", "create", "to.truong", "--role", "reviewer", "--password-stdin", *data)
    check(create, lang, (0,), stdin=PASSWORD + "\n", contains=said("user", lang))
    check(create, lang, (2,), stdin=PASSWORD + "\n", contains="user_exists")
    check(("users", "create", "an.nguyen", "--role", "boss", "--password-stdin", *data), lang, (2,),
          stdin=PASSWORD + "\n", contains="user_bad_role")
    check(("users", "create", "an.nguyen", "--password-stdin", *data), lang, (2,), stdin="short\n",
          contains="user_bad_password")
    check(("users", "list", *data), lang, (0,), contains="to.truong\treviewer")
    check(("users", "disable", "to.truong", *data), lang, (0,), contains=said("disabled", lang))
    check(("users", "disable", "nobody", *data), lang, (2,), contains="user_not_found")


@pytest.fixture(scope="module")
def decision_log(tmp_path_factory):
    """A log of three decisions on the seed, and a copy with record 2 altered."""
    from .service.test_log import log_seed

    good = tmp_path_factory.mktemp("log")
    db = Database(f"sqlite:///{good / 'ntmcert.sqlite3'}")
    upgrade(db)
    log_seed(DecisionLog(db), 3)
    db.dispose()
    bad = tmp_path_factory.mktemp("altered")
    shutil.copy(good / "ntmcert.sqlite3", bad / "ntmcert.sqlite3")
    db = Database(f"sqlite:///{bad / 'ntmcert.sqlite3'}")
    with db.writing() as s:
        s.execute(update(Decision).where(Decision.seq == 2).values(result_json="{}"))
    db.dispose()
    return good, bad


@pytest.mark.parametrize("lang", LANGS)
def test_decisions_verify(decision_log, lang):
    good, bad = decision_log
    check(("decisions", "verify", "--data-dir", good), lang, (0,), contains=said("verified", lang))
    output = check(("decisions", "verify", "--data-dir", bad), lang, (1,), contains=said("broken", lang))
    assert "record_altered" in output
