"""Benchmark: the web app's live status fragment for one field, over loopback HTTP.

Run:  python bench/web_fragment.py [--requests 300] [--pack tra-vinh/smart-commune|all]

Starts the service (web app mounted) with uvicorn in a thread on 127.0.0.1 and a free port, a
SQLite log in a temporary folder; signs an officer in, loads the Thạnh Phú seed into the form,
then posts the whole form to /web/evaluate/field for `commune_records_online` one request at a
time on one keep-alive connection, alternating two values (the status moves each time). Prints
p50, p95, p99 and max latency. Bounded: at most 5,000 requests, loopback only. Not a test.
"""

from __future__ import annotations

import argparse
import html
import http.client
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEED = ROOT / "seeds" / "thanh-phu-2024.yaml"
PASSWORD = "benchmark-password-1"  # noqa: S105 - a throwaway account in a temporary database


class Client:
    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, ctype: str | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if ctype:
            headers["Content-Type"] = ctype
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        for key, value in resp.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0].strip('"')
        return resp.status, data.decode("utf-8", "replace")

    def form(self, path: str, fields: dict[str, str]):
        return self.request("POST", path, urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--pack", default="tra-vinh/smart-commune", help="a pack id, or 'all' (every applicable pack)")
    args = ap.parse_args()
    n = max(10, min(args.requests, 5000))

    from ntmcert.service.db import Database
    from ntmcert.service.migrate import upgrade
    from ntmcert.service.settings import Settings
    from ntmcert.web import create_app
    from ntmcert.web.accounts import Accounts

    from tests.web.browser import Server

    with tempfile.TemporaryDirectory(prefix="ntmcert-bench-web-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'ntmcert.sqlite3'}"
        db = Database(url)
        upgrade(db)
        Accounts(db).create("bench", "Bench", "officer", PASSWORD)
        settings = Settings(database_url=url, data_dir=Path(tmp))
        with Server(create_app(settings, db=db)) as srv:
            c = Client(srv.port)
            _, page = c.request("GET", "/web/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            status, _ = c.form("/web/login", {"csrf": csrf, "username": "bench", "password": PASSWORD})
            if status != 303:
                raise SystemExit(f"sign-in failed: HTTP {status}")
            _, page = c.request("GET", "/web/evaluate")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            pack = "" if args.pack == "all" else args.pack
            boundary = "ntmcertbench"
            body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
                    f'--{boundary}\r\nContent-Disposition: form-data; name="pack"\r\n\r\n{pack}\r\n'
                    f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="seed.yaml"\r\n'
                    f"Content-Type: application/yaml\r\n\r\n").encode() + SEED.read_bytes() + \
                f"\r\n--{boundary}--\r\n".encode()
            _, page = c.request("POST", "/web/evaluate/upload", body, f"multipart/form-data; boundary={boundary}")
            form = {k: html.unescape(v) for k, v in re.findall(r'<input[^>]*? name="([^"]+)" value="([^"]*)"', page)}
            form.update(csrf=csrf, pack=pack, **{"c.region": "dbscl"})
            path = "/web/evaluate/field?name=f.commune_records_online"
            for value in ("1.362/1.508", "1.200/1.508"):  # warm-up, and a check that the status answers
                status, text = c.form(path, dict(form, **{"f.commune_records_online": value}))
                if status != 200 or "status-" not in text:
                    raise SystemExit(f"the fragment did not answer: HTTP {status} {text[:200]}")
            times = []
            for i in range(n):
                fields = dict(form, **{"f.commune_records_online": "1.362/1.508" if i % 2 else "1.200/1.508"})
                start = time.perf_counter()
                status, _ = c.form(path, fields)
                times.append((time.perf_counter() - start) * 1000)
                if status != 200:
                    raise SystemExit(f"request {i}: HTTP {status}")
        db.dispose()
    times.sort()
    q = statistics.quantiles(times, n=100)
    print(f"web fragment (pack {args.pack}, {len(form)} form fields, {n} sequential requests on 127.0.0.1): "
          f"p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, p99 {q[98]:.1f} ms, max {times[-1]:.1f} ms")


if __name__ == "__main__":
    main()
