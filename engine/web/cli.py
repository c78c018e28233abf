"""`ntmcert users create|list|disable`: officer accounts of the web app (an admin's commands)."""

from __future__ import annotations

from pathlib import Path

import typer
from ntmcert.core.text import Lang, Text, printable

from ..service.cli import (  # the service's --data-dir and --lang options and database opener
    DataDir,
    LangOption,
    _database,
)

WORDS = {
    "password": Text("Mật khẩu", "Password"),
    "repeat": Text("Nhập lại mật khẩu", "Repeat for confirmation"),
    "created": Text("Đã tạo tài khoản {username} ({role})", "created {username} ({role})"),
    "active": Text("đang dùng", "active"),
    "not_found": Text("ntmcert: user_not_found: không có tài khoản {username}",
                      "ntmcert: user_not_found: no user {username}"),
    "disabled": Text("Đã khóa tài khoản {username}", "disabled {username}"),
}
ACCOUNT_PROBLEMS = {  # AccountError codes, as a Vietnamese admin is told them
    "user_bad_name": "tên đăng nhập gồm 2 đến 27 ký tự a-z, 0-9, '.', '_', '-'",
    "user_bad_role": "vai trò là officer, reviewer hoặc admin",
    "user_bad_password": "mật khẩu không đủ hoặc quá số ký tự cho phép",
    "user_exists": "tài khoản đã có",
}

users_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Web app accounts (officers).")


@users_app.command("create")
def users_create(username: str = typer.Argument(..., help="Sign-in name: 2-27 of a-z 0-9 . _ -"),
                 role: str = typer.Option("officer", "--role", help="officer, reviewer or admin."),
                 name: str = typer.Option("", "--name", help="The officer's full name, as pages show it."),
                 password_stdin: bool = typer.Option(False, "--password-stdin",
                                                     help="Read the password from standard input."),
                 data_dir: Path | None = DataDir, lang: Lang = LangOption) -> None:
    """Create an account; the password is asked twice (or read from stdin), stored as argon2id."""
    from .accounts import AccountError, Accounts

    words = {key: text.get(lang.value) for key, text in WORDS.items()}
    if password_stdin:
        password = typer.get_text_stream("stdin").readline().rstrip("\n")
    else:
        password = typer.prompt(words["password"], hide_input=True, confirmation_prompt=words["repeat"])
    with _database(data_dir) as (_, db):
        try:
            user = Accounts(db).create(username, name or username, role, password)
        except AccountError as exc:
            # the code picks the Vietnamese sentence (with the value it is about); English is the error's own
            value = {"user_bad_role": role, "user_bad_password": None}.get(exc.code, username)
            vietnamese = ACCOUNT_PROBLEMS.get(exc.code, "dữ liệu không hợp lệ") + (f": {value!r}" if value else "")
            typer.echo(printable(f"ntmcert: {exc.code}: {Text(vietnamese, str(exc)).get(lang.value)}"), err=True)
            raise typer.Exit(2) from None
    typer.echo(printable(words["created"].format(username=user.username, role=user.role)))


@users_app.command("list")
def users_list(data_dir: Path | None = DataDir, lang: Lang = LangOption) -> None:
    """List accounts: name, role, full name, created, disabled."""
    from .accounts import Accounts

    with _database(data_dir) as (_, db):
        rows = Accounts(db).all_users()
    active = WORDS["active"].get(lang.value)
    for u in rows:
        typer.echo(printable(f"{u.username}\t{u.role}\t{u.display_name}\t{u.created_at}\t{u.disabled_at or active}"))


@users_app.command("disable")
def users_disable(username: str = typer.Argument(...), data_dir: Path | None = DataDir,
                  lang: Lang = LangOption) -> None:
    """Disable an account and end its sessions (its decisions stay in the log)."""
    from .accounts import Accounts

    with _database(data_dir) as (_, db):
        found = Accounts(db).disable(username)
    if not found:
        typer.echo(printable(WORDS["not_found"].get(lang.value).format(username=repr(username))), err=True)
        raise typer.Exit(2)
    typer.echo(printable(WORDS["disabled"].get(lang.value).format(username=username)))


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
