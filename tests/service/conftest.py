"""Fixtures of the service tests: a migrated database (SQLite, and PostgreSQL when
NTMCERT_TEST_DATABASE_URL is set), the app on it, API keys, an HTTP client.

Tests marked `postgres` are deselected (not skipped) when NTMCERT_TEST_DATABASE_URL is not set;
CI sets it (see .ci/run), so there they run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from ntmcert.service.app import create_app
from ntmcert.service.auth import KeyStore
from ntmcert.service.db import Database
from ntmcert.service.migrate import upgrade
from ntmcert.service.settings import Settings
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "thanh-phu-2024.yaml"
SEED_PACK = "tra-vinh/smart-commune"
PG_URL = os.environ.get("NTMCERT_TEST_DATABASE_URL")
BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


def pytest_collection_modifyitems(config, items):
    if PG_URL:
        return
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("postgres") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def reset_postgres(url: str) -> None:
    db = Database(url)
    with db.write_engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.dispose()


def database_url(backend: str, folder: Path) -> str:
    if backend == "postgres":
        assert PG_URL
        reset_postgres(PG_URL)
        return PG_URL
    return f"sqlite:///{folder / 'ntmcert.sqlite3'}"


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(backend, tmp_path) -> str:
    return database_url(backend, tmp_path)


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def app(db, db_url, tmp_path):
    return create_app(Settings(database_url=db_url, data_dir=tmp_path, max_body_bytes=256 * 1024,
                               max_upload_bytes=2 * 1024 * 1024), db=db)


@pytest.fixture
def keys(db) -> dict[str, str]:
    store = KeyStore(db)
    return {name: store.create(name, scopes).token for name, scopes in
            [("admin", ["admin"]), ("evaluate", ["evaluate"]), ("read", ["read"]), ("batch", ["batch"]),
             ("all", ["evaluate", "read", "batch"])]}


@pytest.fixture
def client(app, keys):
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers["Authorization"] = f"Bearer {keys['all']}"
        yield c


def seed_yaml() -> bytes:
    return SEED.read_bytes()
