"""Drive Debian's headless Chromium and poppler-utils from tests: HTML file → PDF / PNG, PDF → text.

Chromium runs as root here, so it needs --no-sandbox; the background-networking flags keep it
from trying to reach Google's hosts on a closed network; every run gets a fresh, empty profile.
Every subprocess is bounded by a timeout, and on a timeout its whole process group (Chromium
starts helpers) is killed: only processes these helpers started, by their group id.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser")
POPPLER_TOOLS = ("pdfinfo", "pdftotext")
CHROMIUM_TIMEOUT = 120  # seconds; a cold start on the 2-core machine takes a few
POPPLER_TIMEOUT = 60
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars",
    # the PDF carries no date/URL header or footer; the first flag is current Chromium's, the
    # second the older spelling (an unknown flag is ignored)
    "--no-pdf-header-footer", "--print-to-pdf-no-header",
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_tools() -> str:
    """Chromium's path, when it and poppler-utils are installed. Otherwise skip, except under CI
    (the variable CI set), where the browser test must run and so fails."""
    missing = [name for name in POPPLER_TOOLS if shutil.which(name) is None]
    chromium = find_chromium()
    if chromium is None:
        missing.insert(0, " or ".join(CHROMIUM_NAMES))
    if missing:
        message = (f"not installed: {', '.join(missing)} "
                   "(apt-get install -y chromium poppler-utils fonts-dejavu-core)")
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test: {message}", pytrace=False)
        pytest.skip(message)
    return chromium


def run(cmd: list[str], timeout: float, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a command in its own process group; on timeout kill that group and fail the test."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env=env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):  # a helper outside the group may hold the pipes
            proc.communicate(timeout=10)
        pytest.fail(f"timed out after {timeout}s: {' '.join(cmd)}", pytrace=False)
    return subprocess.CompletedProcess(cmd, proc.returncode, out.decode("utf-8", "replace"),
                                       err.decode("utf-8", "replace"))


def chromium_command(chromium: str, html_file: Path, profile: Path, *extra: str) -> list[str]:
    return [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, html_file.resolve().as_uri()]


def _chromium(chromium: str, html_file: Path, out: Path, *extra: str) -> None:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-", dir=out.parent, ignore_cleanup_errors=True) as profile:
        cmd = chromium_command(chromium, html_file, Path(profile), *extra)
        env = dict(os.environ)
        env.setdefault("HOME", profile)  # a CI shell without HOME: Chromium still wants one
        result = run(cmd, CHROMIUM_TIMEOUT, env)
    if result.returncode != 0 or not out.is_file():
        pytest.fail(f"chromium exited {result.returncode}, {out.name} "
                    f"{'written' if out.is_file() else 'not written'}\n$ {' '.join(cmd)}\n{result.stderr[-3000:]}",
                    pytrace=False)


def print_to_pdf(chromium: str, html_file: Path, pdf: Path) -> Path:
    _chromium(chromium, html_file, pdf, f"--print-to-pdf={pdf}")
    return pdf


def screenshot(chromium: str, html_file: Path, png: Path, size: tuple[int, int] = (1000, 1400)) -> Path:
    _chromium(chromium, html_file, png, f"--window-size={size[0]},{size[1]}", f"--screenshot={png}")
    return png


def pdf_info(pdf: Path) -> dict[str, str]:
    """pdfinfo's fields (Pages, Page size, …)."""
    result = run(["pdfinfo", str(pdf)], POPPLER_TIMEOUT)
    assert result.returncode == 0, result.stderr
    fields = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def pdf_pages(pdf: Path) -> int:
    return int(pdf_info(pdf)["Pages"])


def pdf_text(pdf: Path) -> str:
    result = run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], POPPLER_TIMEOUT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def png_info(png: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the decompressed image data) of a valid PNG;
    raises AssertionError when the file is not one."""
    data = png.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{png.name}: not a PNG signature: {data[:8]!r}"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13, f"{png.name}: first chunk is {kind!r}, not IHDR"
    width, height = struct.unpack(">II", data[16:24])
    pos, idat = 8, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat.append(data[pos + 8:pos + 8 + length])
        pos += 12 + length
        if kind == b"IEND":
            break
    else:
        raise AssertionError(f"{png.name}: no IEND chunk (truncated)")
    pixels = zlib.decompress(b"".join(idat))
    return width, height, len(set(pixels))
