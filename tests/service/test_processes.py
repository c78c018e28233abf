"""Real `ntmcert serve` processes on one database: a batch started on one server is read on the
other; kill -9 of a server in the middle of writes loses no acknowledged decision and leaves the
log verifiable."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from ntmcert.service.db import Database
from ntmcert.service.store import DecisionLog
from ntmcert.service.verify import verify

from tests.sheets.helpers import COMMUNES, write_csv

from .conftest import SEED_PACK, seed_yaml

NTMCERT = Path(sys.executable).parent / "ntmcert"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db_url: str, data_dir: Path, workers: int = 1):
        self.port = free_port()
        env = {**os.environ, "NTMCERT_DATABASE_URL": db_url}
        self.proc = subprocess.Popen([str(NTMCERT), "serve", "--port", str(self.port), "--workers", str(workers),
                                      "--data-dir", str(data_dir)], env=env, stderr=subprocess.PIPE, text=True)
        self.base = f"http://127.0.0.1:{self.port}"
        self.admin_token: str | None = None
        self._lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None, "".join(self._lines)
            time.sleep(0.2)
        raise AssertionError("server did not start: " + "".join(self._lines))

    def _read(self) -> None:
        for line in self.proc.stderr:  # type: ignore[union-attr]
            self._lines.append(line)
            if " ntm_" in line:  # the first admin key, printed once at the end of its line (in either language)
                self.admin_token = line.rsplit(" ", 1)[-1].strip()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=30)
        self._reader.join(timeout=10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@pytest.fixture
def servers(db_url, tmp_path):
    started: list[Server] = []

    def start(**kwargs) -> Server:
        server = Server(db_url, tmp_path, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop(signal.SIGKILL)


def test_two_servers_share_decisions_and_batches(servers, db_url, tmp_path):
    a = servers()
    b = servers()
    assert a.admin_token and b.admin_token is None  # printed once, by the first start only
    auth = {"Authorization": f"Bearer {a.admin_token}"}
    r = httpx.post(a.base + "/v1/evaluations", params={"pack": SEED_PACK}, content=seed_yaml(),
                   headers={**auth, "Content-Type": "application/yaml"}, timeout=30)
    assert r.status_code == 201, r.text
    seen = httpx.get(b.base + f"/v1/decisions/{r.json()['decision_id']}", headers=auth, timeout=30)
    assert seen.status_code == 200 and seen.json()["result"] == r.json()["result"]
    source = write_csv(tmp_path / "communes.csv", COMMUNES)
    with open(source, "rb") as fh:
        up = httpx.post(a.base + "/v1/batches", params={"pack": "tra-vinh/smart-commune"}, headers=auth,
                        files={"file": ("communes.csv", fh, "text/csv")}, timeout=30)
    assert up.status_code == 202, up.text
    batch = up.json()["batch_id"]
    deadline = time.monotonic() + 60
    while (state := httpx.get(b.base + f"/v1/batches/{batch}", headers=auth, timeout=30).json())["status"] != "done":
        assert time.monotonic() < deadline and state["status"] != "failed", state
        time.sleep(0.2)
    assert state["summary"]["rows"] == 3
    on_b = httpx.get(b.base + f"/v1/batches/{batch}/result", params={"format": "jsonl"}, headers=auth, timeout=30)
    on_a = httpx.get(a.base + f"/v1/batches/{batch}/result", params={"format": "jsonl"}, headers=auth, timeout=30)
    assert on_b.status_code == 200 and on_b.content == on_a.content and len(on_b.text.splitlines()) == 3


def test_kill_9_mid_writes_loses_no_acknowledged_decision(servers, db_url):
    server = servers()
    auth = {"Authorization": f"Bearer {server.admin_token}", "Content-Type": "application/yaml"}
    acknowledged: list[str] = []
    stop = threading.Event()
    body = seed_yaml()

    def client() -> None:
        with httpx.Client(base_url=server.base, headers=auth, timeout=10) as c:
            while not stop.is_set():
                try:
                    r = c.post("/v1/evaluations", params={"pack": SEED_PACK}, content=body)
                except httpx.TransportError:
                    return  # the server died mid-request: not acknowledged
                if r.status_code == 201:
                    acknowledged.append(r.json()["decision_id"])

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.stop(signal.SIGKILL)  # in the middle of writes
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acknowledged) >= 40
    db = Database(db_url)
    try:
        log = DecisionLog(db)
        missing = [d for d in acknowledged if log.get(d) is None]
        assert missing == []
        report = verify(db, sample=10, seed=9)
        assert report.ok, report.findings
        assert report.records >= len(acknowledged)
        # a new server continues the same chain
        again = servers()
        r = httpx.post(again.base + "/v1/evaluations", params={"pack": SEED_PACK}, content=body,
                       headers={**auth}, timeout=30)
        assert r.status_code == 201 and r.json()["seq"] == report.records + 1
        assert verify(db, sample=0).ok
    finally:
        db.dispose()
