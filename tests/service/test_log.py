"""The decision log: the hash chain, `ntmcert decisions verify` (10,000 decisions; a changed
verdict or link is named), appends from many threads, migrations, the key commands."""

from __future__ import annotations

import itertools
import threading

import pytest
from ntmcert.cli.main import app as cli_app
from ntmcert.service import flows
from ntmcert.service.db import Database, Decision
from ntmcert.service.migrate import current_revision, head_revision, upgrade
from ntmcert.service.store import DecisionLog, record_hash, row_fields
from ntmcert.service.verify import verify
from sqlalchemy import text, update
from typer.testing import CliRunner

from .conftest import SEED_PACK, seed_yaml

YAML = "application/yaml"


def log_seed(log: DecisionLog, n: int, *, vary: bool = True) -> None:
    """n decisions on the seed (the commune name varied, so no two inputs are the same)."""
    base = seed_yaml().decode()
    for i in range(n):
        body = base.replace("name: Thạnh Phú", f"name: Thạnh Phú {i}") if vary else base
        req = flows.parse("evaluation", body.encode(), YAML, {"pack": [SEED_PACK]})
        flows.decide("evaluation", req, log, key_id="test", request_id=f"r{i}", idempotency_key=None,
                     engine="durable")


class _Capture:
    """Stands in for the log in flows.decide: keeps the decision instead of appending it."""

    def __init__(self):
        self.decisions = []

    def append(self, new):
        self.decisions.append(new)


def big_log(log: DecisionLog, n: int, distinct: int = 50) -> None:
    """n real decisions: `distinct` seed variants evaluated once each, logged in turn (as many
    workflows asking about the same communes would)."""
    capture = _Capture()
    log_seed(capture, distinct)  # type: ignore[arg-type]
    for i in range(n):
        log.append(capture.decisions[i % distinct])


def run_cli(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli_app, [str(a) for a in args], env=env)


def cli_env(db_url: str) -> dict:
    return {"NTMCERT_DATABASE_URL": db_url}


def test_a_chain_of_records_each_linked_to_the_one_before(db):
    log = DecisionLog(db)
    log_seed(log, 5)
    rows = log.find(limit=10)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == "0" * 64
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.record_hash
    for row in rows:
        assert record_hash(row_fields(row)) == row.record_hash
    assert log.head() == (5, rows[-1].record_hash)
    assert verify(db).ok


def test_verify_passes_on_ten_thousand_decisions_and_names_an_altered_verdict(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'big.sqlite3'}"
    db = Database(db_url)
    upgrade(db)
    big_log(DecisionLog(db), 10_000)
    ok = run_cli("decisions", "verify", "--sample", "300", "--lang", "en", env=cli_env(db_url))
    assert ok.exit_code == 0, ok.output
    assert "10000 records, chain intact, 300 replayed: OK" in ok.stdout
    victim = DecisionLog(db).find(after_seq=4_320, limit=1)[0]
    with db.writing() as s:
        s.execute(update(Decision).where(Decision.seq == victim.seq).values(
            result_json=victim.result_json.replace('"verdict": "incomplete"', '"verdict": "certified"')))
    bad = run_cli("decisions", "verify", "--sample", "10", "--seed", "1", "--lang", "en", env=cli_env(db_url))
    assert bad.exit_code == 1
    assert f"decision {victim.id} (#{victim.seq}): record_altered" in bad.stderr
    assert "chain BROKEN" in bad.stdout
    bad = run_cli("decisions", "verify", "--sample", "10", "--seed", "1", env=cli_env(db_url))  # Vietnamese
    assert f"quyết định {victim.id} (#{victim.seq}): record_altered: nội dung bản ghi" in bad.stderr
    assert "chuỗi băm BỊ PHÁ VỠ" in bad.stdout
    db.dispose()


def test_a_changed_link_or_a_rehashed_record_is_named(db, db_url):
    log = DecisionLog(db)
    log_seed(log, 8)
    rows = {r.seq: r for r in log.find(limit=10)}
    # a forger changes record 3's verdict and fixes its own hash: record 4's link no longer matches
    forged = dict(row_fields(rows[3]))
    forged["result_json"] = rows[3].result_json.replace('"incomplete"', '"certified"', 1)
    with db.writing() as s:
        s.execute(update(Decision).where(Decision.seq == 3).values(result_json=forged["result_json"],
                                                                   record_hash=record_hash(forged)))
    report = verify(db)
    codes = {(f.seq, f.code) for f in report.findings}
    assert (4, "chain_broken") in codes and (3, "result_mismatch") in codes
    assert not any(seq not in (3, 4) for seq, _ in codes)
    result = run_cli("decisions", "verify", "--lang", "en", env=cli_env(db_url))
    assert result.exit_code == 1 and f"decision {rows[4].id} (#4): chain_broken" in result.stderr
    # one link altered
    with db.writing() as s:
        s.execute(update(Decision).where(Decision.seq == 6).values(prev_hash="f" * 64))
    codes = {(f.seq, f.code) for f in verify(db, sample=0).findings}
    assert {(6, "chain_broken"), (6, "record_altered")} <= codes


def test_a_deleted_record_is_a_gap_and_a_head_mismatch(db):
    log = DecisionLog(db)
    log_seed(log, 4, vary=False)
    with db.writing() as s:
        s.execute(text("DELETE FROM decisions WHERE seq = 4"))
    codes = {f.code for f in verify(db, sample=0).findings}
    assert codes == {"head_mismatch"}
    with db.writing() as s:
        s.execute(text("DELETE FROM decisions WHERE seq = 2"))
    codes = {(f.seq, f.code) for f in verify(db, sample=0).findings}
    assert (3, "seq_gap") in codes and (3, "chain_broken") in codes


def test_appends_from_many_threads_make_one_unbroken_chain(db):
    log = DecisionLog(db)
    req = flows.parse("evaluation", seed_yaml(), YAML, {"pack": [SEED_PACK]})
    errors = []

    def worker(n: int) -> None:
        try:
            for i in range(15):
                flows.decide("evaluation", req, log, key_id="t", request_id=f"{n}-{i}", idempotency_key=None,
                             engine="durable")
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [r.seq for r in log.find(limit=200)] == list(range(1, 91))
    report = verify(db, sample=5, seed=3)
    assert report.ok and report.records == 90


def test_idempotent_appends_from_many_threads_log_one_decision(db):
    log = DecisionLog(db)
    req = flows.parse("evaluation", seed_yaml(), YAML, {"pack": [SEED_PACK]})
    ids = []

    def worker() -> None:
        ids.append(flows.decide("evaluation", req, log, key_id="t", request_id="x", idempotency_key="same",
                                engine="durable").row.id)

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1 and log.count() == 1


def test_migrations_apply_once_and_round_trip(db_url):
    db = Database(db_url)
    upgrade(db)
    upgrade(db)  # a second start: nothing to do
    assert current_revision(db) == head_revision() == "0002"  # 0002: the web app's accounts (ntmcert.web)
    from alembic import command
    from ntmcert.service.migrate import _config

    cfg = _config()
    with db.write_engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
        conn.commit()
    assert current_revision(db) is None
    result = run_cli("db", "upgrade", env=cli_env(db_url))
    assert result.exit_code == 0 and "phiên bản 0002" in result.stdout
    assert DecisionLog(db).head() == (0, "0" * 64)
    db.dispose()


def test_keys_cli_create_list_revoke(db_url):
    env = cli_env(db_url)
    created = run_cli("keys", "create", "--name", "workflow A", "--scope", "evaluate", "--scope", "read", env=env)
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    key_id = token.split("_")[1]
    listed = run_cli("keys", "list", "--lang", "en", env=env)
    assert f"{key_id}\tworkflow A\tevaluate read" in listed.stdout and "active" in listed.stdout
    assert token not in listed.stdout
    assert "còn hiệu lực" in run_cli("keys", "list", env=env).stdout
    assert run_cli("keys", "revoke", key_id, env=env).exit_code == 0
    assert "active" not in run_cli("keys", "list", "--lang", "en", env=env).stdout
    assert run_cli("keys", "revoke", "nope", env=env).exit_code == 2
    bad = run_cli("keys", "create", "--name", "x", "--scope", "root", env=env)
    assert bad.exit_code == 2 and "keys_bad_scope" in bad.stderr


@pytest.mark.parametrize("scopes", [["read"], ["admin"]])
def test_key_scopes(db, scopes):
    from ntmcert.service.auth import AuthError, KeyStore

    store = KeyStore(db)
    principal = store.authenticate("Bearer " + store.create("k", scopes).token)
    store.require(principal, "read")
    if scopes == ["read"]:
        with pytest.raises(AuthError) as exc:
            store.require(principal, "evaluate")
        assert exc.value.status == 403


def test_a_key_revoked_elsewhere_stops_working_after_the_cache_time(db):
    from ntmcert.service.auth import AuthError, KeyStore

    server = KeyStore(db, cache_seconds=0.2)  # a server that verified the token once (argon2)
    token = server.create("k", ["read"]).token
    assert server.authenticate(f"Bearer {token}").key_id == token.split("_")[1]
    KeyStore(db).revoke(token.split("_")[1])  # `ntmcert keys revoke`, another process
    import time

    time.sleep(0.3)
    with pytest.raises(AuthError) as exc:
        server.authenticate(f"Bearer {token}")
    assert exc.value.status == 401
