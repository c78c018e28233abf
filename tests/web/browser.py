"""Helpers of the browser tests: the service (web app mounted) on 127.0.0.1 in a thread, Debian's
Chromium driven by Playwright (never `playwright install`), axe-core run in the page, pdftotext."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Self

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
AXE = Path(__file__).resolve().parent / "axe.min.js"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "web"


def need_browser() -> None:
    """Skip without Chromium or pdftotext, except under CI (variable CI set), where the suite fails."""
    missing = [p for p in (CHROMIUM, shutil.which("pdftotext")) if not p or not os.path.exists(p)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests need chromium and poppler-utils (missing: {missing})")
        pytest.skip("chromium or pdftotext not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn serving `app` on a free loopback port, in a thread of this process."""

    def __init__(self, app):
        import uvicorn

        self.app = app
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    access_log=False, lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, name="web-test-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def axe_serious(page) -> list[dict]:
    """axe-core's serious and critical violations on the page (WCAG 2 A/AA rules)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target)}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def pdf_text(pdf: bytes, tmp: Path) -> str:
    path = tmp / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, timeout=60, check=True)
    return out.stdout.decode("utf-8")


def dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1)
