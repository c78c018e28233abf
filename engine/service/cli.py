"""The service's commands: `ntmcert serve`, `ntmcert keys …`, `ntmcert decisions verify`,
`ntmcert db upgrade`. `register(app)` adds them to the main typer app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from ntmcert.core.errors import Location, Problem
from ntmcert.core.messages import problem_text
from ntmcert.core.text import Lang, Text, printable

DataDir = typer.Option(None, "--data-dir", help="Folder of the SQLite decision log (created); default: the "
                       "platform's data folder. NTMCERT_DATABASE_URL (e.g. postgresql+psycopg://…) overrides it.")
LangOption = typer.Option(Lang.vi, "--lang", "-l", help="Language of the messages.")
WORDS = {
    "bad_scope": Text("ntmcert: keys_bad_scope: phạm vi của khóa chỉ gồm {scopes} (đã ghi: {got})",
                      "ntmcert: keys_bad_scope: scopes must be some of {scopes} (got {got})"),
    "created": Text("Khóa API mới {key_id}, phạm vi {scopes}: mã khóa chỉ hiện một lần, hãy lưu ngay",
                    "key id {key_id}, scopes {scopes}: store the token now, it is not shown again"),
    "active": Text("còn hiệu lực", "active"),
    "key_not_found": Text("ntmcert: key_not_found: không có khóa {key_id}", "ntmcert: key_not_found: no key {key_id}"),
    "revoked": Text("Đã thu hồi khóa {key_id}", "revoked {key_id}"),
    "decision": Text("quyết định {id} (#{seq})", "decision {id} (#{seq})"),
    "log": Text("nhật ký", "log"),
    "intact": Text("nguyên vẹn", "intact"),
    "broken": Text("BỊ PHÁ VỠ", "BROKEN"),
    "ok": Text("không có vấn đề", "OK"),
    "problems": Text("{n} vấn đề", "{n} problem(s)"),
    "verified": Text("{records} bản ghi, chuỗi băm {chain}, đã chạy lại {replayed}: {verdict}",
                     "{records} records, chain {chain}, {replayed} replayed: {verdict}"),
    "first_key": Text("ntmcert: khóa quản trị đầu tiên (chỉ hiện một lần, hãy lưu ngay): {token}",
                      "ntmcert: first admin key (shown once, store it now): {token}"),
    "serving": Text("ntmcert: đang phục vụ tại http://{host}:{port} ({workers} tiến trình); "
                    "nhật ký quyết định: {where}",
                    "ntmcert: serving on http://{host}:{port} ({workers} worker(s)); decision log: {where}"),
    "revision": Text("Cơ sở dữ liệu ở phiên bản {revision}", "database at revision {revision}"),
}


@contextmanager
def _database(data_dir: Path | None, migrate: bool = True) -> Iterator[tuple]:
    """(settings, database), migrated unless told not to; the connections closed afterwards."""
    from .db import Database
    from .migrate import upgrade
    from .settings import Settings

    settings = Settings.from_env(data_dir)
    db = Database(settings.database_url)
    try:
        if migrate:
            upgrade(db)
        yield settings, db
    finally:
        db.dispose()


def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
          port: int = typer.Option(8000, "--port", min=1, max=65535),
          workers: int = typer.Option(1, "--workers", min=1, max=64, help="Server processes."),
          data_dir: Path | None = DataDir, lang: Lang = LangOption) -> None:
    """Run the decision service (FastAPI on uvicorn): migrates the database, prints a first admin key."""
    from .auth import KeyStore
    from .server import run_server
    from .settings import ENV_DATA_DIR, ENV_URL

    with _database(data_dir) as (settings, db):
        keys = KeyStore(db)
        if not keys.has_keys():
            created = keys.create("first admin key", ["admin"])
            typer.echo(WORDS["first_key"].get(lang.value).format(token=created.token), err=True)
    os.environ[ENV_URL] = settings.database_url  # the workers build their app from the environment
    if settings.data_dir is not None:
        os.environ[ENV_DATA_DIR] = str(settings.data_dir)
    where = settings.database_url if not settings.database_url.startswith("postgresql") else "PostgreSQL"
    typer.echo(printable(WORDS["serving"].get(lang.value).format(host=host, port=port, workers=workers,
                                                                  where=where)), err=True)
    run_server(host, port, workers)


keys_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Create, list and revoke API keys.")


@keys_app.command("create")
def keys_create(name: str = typer.Option(..., "--name", help="Who or what uses the key."),
                scope: list[str] = typer.Option(..., "--scope",
                                                help="evaluate, read, batch or admin (repeatable)."),
                data_dir: Path | None = DataDir, lang: Lang = LangOption) -> None:
    """Create a key; the token is printed once (only its argon2 hash is stored)."""
    from .auth import SCOPES, KeyStore

    try:
        with _database(data_dir) as (_, db):
            created = KeyStore(db).create(name, scope)
    except ValueError:
        typer.echo(printable(WORDS["bad_scope"].get(lang.value).format(scopes=", ".join(SCOPES),
                                                                        got=", ".join(scope) or "—")), err=True)
        raise typer.Exit(2) from None
    typer.echo(created.token)
    typer.echo(WORDS["created"].get(lang.value).format(key_id=created.key_id, scopes=" ".join(created.scopes)),
               err=True)


@keys_app.command("list")
def keys_list(data_dir: Path | None = DataDir, lang: Lang = LangOption) -> None:
    """List keys: id, name, scopes, created, revoked."""
    from .auth import KeyStore

    with _database(data_dir) as (_, db):
        listed = KeyStore(db).list()
    active = WORDS["active"].get(lang.value)
    for k in listed:
        typer.echo(printable(f"{k.key_id}\t{k.name}\t{k.scopes}\t{k.created_at}\t{k.revoked_at or active}"))


@keys_app.command("revoke")
def keys_revoke(key_id: str = typer.Argument(..., help="The key id (the part after ntm_)."),
                data_dir: Path | None = DataDir, lang: Lang = LangOption) -> None:
    """Revoke a key (servers stop accepting it within a few seconds)."""
    from .auth import KeyStore

    with _database(data_dir) as (_, db):
        revoked = KeyStore(db).revoke(key_id)
    if not revoked:
        typer.echo(printable(WORDS["key_not_found"].get(lang.value).format(key_id=repr(key_id))), err=True)
        raise typer.Exit(2)
    typer.echo(printable(WORDS["revoked"].get(lang.value).format(key_id=key_id)))


decisions_app = typer.Typer(add_completion=False, no_args_is_help=True, help="The decision log.")


@decisions_app.command("verify")
def decisions_verify(sample: int | None = typer.Option(None, "--sample", min=0, help="Replay this many records "
                                                          "drawn at random (default: replay every record)."),
                     seed: int | None = typer.Option(None, "--seed", help="Random seed of the sample."),
                     data_dir: Path | None = DataDir, lang: Lang = LangOption) -> None:
    """Check the hash chain of every record and replay records; exit 1 naming every record that fails."""
    from .verify import verify

    words = {key: text.get(lang.value) for key, text in WORDS.items()}
    with _database(data_dir, migrate=False) as (_, db):
        report = verify(db, sample=sample, seed=seed)
    for finding in report.findings:  # a coded problem, told in the reader's language like an input problem
        where = (words["decision"].format(id=finding.decision_id, seq=finding.seq) if finding.decision_id
                 else words["log"])
        typer.echo(f"ntmcert: {problem_text(Problem(finding.code, finding.message, Location(where)), lang.value)}",
                   err=True)
    findings = report.findings
    chain = words["broken"] if any(f.code in CHAIN for f in findings) else words["intact"]
    verdict = words["ok"] if report.ok else words["problems"].format(n=len(findings))
    typer.echo(words["verified"].format(records=report.records, chain=chain, replayed=report.replayed,
                                        verdict=verdict))
    raise typer.Exit(0 if report.ok else 1)


CHAIN = {"seq_gap", "chain_broken", "record_altered", "head_mismatch"}

db_app = typer.Typer(add_completion=False, no_args_is_help=True, help="The service database.")


@db_app.command("upgrade")
def db_upgrade(data_dir: Path | None = DataDir, lang: Lang = LangOption) -> None:
    """Apply the database migrations (the server also does this when it starts)."""
    from .migrate import current_revision

    with _database(data_dir) as (_, db):
        revision = current_revision(db)
    typer.echo(WORDS["revision"].get(lang.value).format(revision=revision))


def register(app: typer.Typer) -> None:
    """Add the service commands to the main `ntmcert` app."""
    app.command("serve")(serve)
    app.add_typer(keys_app, name="keys")
    app.add_typer(decisions_app, name="decisions")
    app.add_typer(db_app, name="db")
