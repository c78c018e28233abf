"""Load test of the decision service: POST /v1/evaluations of the Thạnh Phú seed, every decision
logged, against a real `ntmcert serve` on 127.0.0.1 (loopback only), for 1 and 2 workers, on
SQLite and (with --postgres URL) PostgreSQL.

Run:  python bench/load.py [--duration 60] [--connections 8] [--postgres postgresql+psycopg://…]
Prints throughput (logged evaluations/s), latency p50/p95/p99, errors, and checks that the log
holds exactly one record per acknowledged request and that its chain verifies. The load generator
runs on the same machine as the server and shares its CPU cores (a minimal asyncio HTTP/1.1
keep-alive client, to take as little of them as possible). With --postgres, the ntmcert tables of
that database are dropped and recreated: give it a database of its own.
A script that measures and prints; not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "thanh-phu-2024.yaml"
PACK = "tra-vinh/smart-commune"
NTMCERT = Path(sys.executable).parent / "ntmcert"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reset_postgres(url: str) -> None:
    from alembic import command
    from ntmcert.service.db import Database
    from ntmcert.service.migrate import _config

    db = Database(url)
    cfg = _config()
    with db.write_engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
        conn.commit()
    db.dispose()


class Server:
    def __init__(self, url: str | None, data_dir: Path, workers: int):
        self.port = free_port()
        env = dict(os.environ)
        env.pop("NTMCERT_DATABASE_URL", None)
        if url:
            env["NTMCERT_DATABASE_URL"] = url
        self.proc = subprocess.Popen([str(NTMCERT), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                      "--workers", str(workers), "--data-dir", str(data_dir), "--lang", "en"],
                                     env=env, stderr=subprocess.PIPE, text=True)
        self.token: str | None = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        deadline = time.monotonic() + 60
        while not self._ready():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise SystemExit("the server did not start")
            time.sleep(0.2)

    def _read(self) -> None:
        for line in self.proc.stderr:  # type: ignore[union-attr]
            if "first admin key" in line:
                self.token = line.rsplit(" ", 1)[-1].strip()

    def _ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return s.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=5)
        if self.proc.stderr:
            self.proc.stderr.close()


async def one_connection(port: int, request: bytes, until: float, warm_until: float, latencies: list[float],
                         outcome: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            start = time.perf_counter()
            if start >= until:
                return
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            elapsed = time.perf_counter() - start
            if start < warm_until:
                outcome["warm"] = outcome.get("warm", 0) + (status == 201)
                continue
            if status == 201:
                latencies.append(elapsed)
            else:
                outcome["errors"] = outcome.get("errors", 0) + 1
                outcome.setdefault("statuses", {}).setdefault(status, 0)
                outcome["statuses"][status] += 1
    except (OSError, asyncio.IncompleteReadError) as exc:
        outcome["errors"] = outcome.get("errors", 0) + 1
        outcome.setdefault("transport", []).append(type(exc).__name__)
    finally:
        writer.close()


def run_load(port: int, token: str, duration: float, connections: int, warmup: float) -> dict:
    body = SEED.read_bytes()
    request = (f"POST /v1/evaluations?pack={PACK} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Authorization: Bearer {token}\r\nContent-Type: application/yaml\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    latencies: list[float] = []
    outcome: dict = {}

    async def main() -> None:
        now = time.perf_counter()
        await asyncio.gather(*(one_connection(port, request, now + warmup + duration, now + warmup, latencies,
                                              outcome) for _ in range(connections)))

    asyncio.run(main())
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {"ok": len(latencies), "per_s": len(latencies) / duration, "p50": pct(0.50), "p95": pct(0.95),
            "p99": pct(0.99), "max": latencies[-1] * 1000 if latencies else float("nan"),
            "errors": outcome.get("errors", 0), "statuses": outcome.get("statuses", {}),
            "warm": outcome.get("warm", 0)}


def check_log(url: str, expected: int) -> tuple[int, bool]:
    from ntmcert.service.db import Database
    from ntmcert.service.verify import verify

    db = Database(url)
    try:
        report = verify(db, sample=50, seed=1)
        return report.records, report.ok and report.records == expected
    finally:
        db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=60.0, help="Seconds measured per configuration.")
    ap.add_argument("--warmup", type=float, default=3.0, help="Seconds of unmeasured load first.")
    ap.add_argument("--connections", type=int, default=8, help="Concurrent keep-alive connections (max 64).")
    ap.add_argument("--workers", default="1,2", help="Worker counts to measure, comma-separated.")
    ap.add_argument("--postgres", default=os.environ.get("NTMCERT_BENCH_DATABASE_URL"),
                    help="A PostgreSQL database of its own (its ntmcert tables are recreated).")
    args = ap.parse_args()
    duration = max(1.0, min(args.duration, 600.0))  # bounded
    connections = max(1, min(args.connections, 64))
    print(f"ntmcert decision service load: POST /v1/evaluations (Thạnh Phú seed, {PACK}), every decision logged")
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{connections} connections, {duration:.0f} s per configuration after {args.warmup:.0f} s warm-up; "
          "the load generator shares the cores with the server")
    backends = [("SQLite", None)] + ([("PostgreSQL", args.postgres)] if args.postgres else [])
    print(f"{'database':<11} {'workers':>7} {'logged/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7} {'errors':>6}  log")
    for name, url in backends:
        for workers in [int(w) for w in args.workers.split(",")]:
            with tempfile.TemporaryDirectory(prefix="ntmcert-load-") as tmp:
                if url:
                    reset_postgres(url)
                db_url = url or f"sqlite:///{Path(tmp) / 'ntmcert.sqlite3'}"
                server = Server(url, Path(tmp), workers)
                try:
                    if not server.token:
                        raise SystemExit("the server printed no admin key")
                    r = run_load(server.port, server.token, duration, connections, args.warmup)
                finally:
                    server.stop()
                records, ok = check_log(db_url, r["ok"] + r["warm"] + 0)
                log = f"{records} records, chain verified" if ok else f"{records} records: CHECK FAILED"
                extra = f" {json.dumps(r['statuses'])}" if r["statuses"] else ""
                print(f"{name:<11} {workers:>7} {r['per_s']:>9.0f} {r['p50']:>7.1f} {r['p95']:>7.1f} "
                      f"{r['p99']:>7.1f} {r['max']:>7.1f} {r['errors']:>6}  {log}{extra}", flush=True)


if __name__ == "__main__":
    main()
