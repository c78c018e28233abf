"""`ntmcert users create|list|disable`: officer accounts of the web app (an admin's commands)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..service.cli import (  # the service's --data-dir option and database opener
    DataDir,
    _database,
)

users_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Web app accounts (officers).")


@users_app.command("create")
def users_create(username: str = typer.Argument(..., help="Sign-in name: 2-27 of a-z 0-9 . _ -"),
                 role: str = typer.Option("officer", "--role", help="officer, reviewer or admin."),
                 name: str = typer.Option("", "--name", help="The officer's full name, as pages show it."),
                 password_stdin: bool = typer.Option(False, "--password-stdin",
                                                     help="Read the password from standard input."),
                 data_dir: Path | None = DataDir) -> None:
    """Create an account; the password is asked twice (or read from stdin), stored as argon2id."""
    from .accounts import AccountError, Accounts

    if password_stdin:
        password = typer.get_text_stream("stdin").readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _database(data_dir) as (_, db):
        try:
            user = Accounts(db).create(username, name or username, role, password)
        except AccountError as exc:
            typer.echo(f"ntmcert: {exc.code}: {exc}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"created {user.username} ({user.role})")


@users_app.command("list")
def users_list(data_dir: Path | None = DataDir) -> None:
    """List accounts: name, role, full name, created, disabled."""
    from .accounts import Accounts

    with _database(data_dir) as (_, db):
        rows = Accounts(db).all_users()
    for u in rows:
        typer.echo(f"{u.username}\t{u.role}\t{u.display_name}\t{u.created_at}\t{u.disabled_at or 'active'}")


@users_app.command("disable")
def users_disable(username: str = typer.Argument(...), data_dir: Path | None = DataDir) -> None:
    """Disable an account and end its sessions (its decisions stay in the log)."""
    from .accounts import Accounts

    with _database(data_dir) as (_, db):
        found = Accounts(db).disable(username)
    if not found:
        typer.echo(f"ntmcert: user_not_found: no user {username!r}", err=True)
        raise typer.Exit(2)
    typer.echo(f"disabled {username}")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
