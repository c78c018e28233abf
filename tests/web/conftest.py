"""Fixtures of the web app tests: a migrated SQLite database in a tmp folder, the service app on
it (the web app mounted), officer/reviewer accounts, and a signed-in client."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from ntmcert.service.db import Database
from ntmcert.service.migrate import upgrade
from ntmcert.service.settings import Settings
from ntmcert.web import create_app
from ntmcert.web.accounts import Accounts

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "thanh-phu-2024.yaml"
SEED_PACK = "tra-vinh/smart-commune"
PASSWORD = "mật-khẩu-đủ-dài-1"  # noqa: S105 - test accounts in a tmp database
USERS = {"can.bo": "officer", "kiem.tra": "reviewer", "quan.tri": "admin"}


@pytest.fixture
def app(tmp_path):
    url = f"sqlite:///{tmp_path / 'ntmcert.sqlite3'}"
    db = Database(url)
    upgrade(db)
    accounts = Accounts(db)
    for name, role in USERS.items():
        accounts.create(name, name.replace(".", " ").title(), role, PASSWORD)
    app = create_app(Settings(database_url=url, data_dir=tmp_path), db=db)
    yield app
    db.dispose()


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD):
    page = client.get("/web/login")
    return client.post("/web/login", data={"csrf": csrf_of(page.text), "username": username, "password": password},
                       follow_redirects=False)


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture
def officer(client):
    r = sign_in(client, "can.bo")
    assert r.status_code == 303, r.text
    return client
