"""The printed dossier (issue #9): Chromium prints the seed report; poppler reads the PDF back.

Checked on the PDF itself: the national motto, "Trang x/y" on every page (counted by CSS paged
media), the summary on page 1, no table header row left alone at the bottom of a page, and the
what-if mark on every page of a hypothetical report. The first page of the Vietnamese and English
reports is saved as a PNG into docs/screenshots/ (the README shows them).
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from ntmcert.cli.main import app
from typer.testing import CliRunner

from . import render_browser as browser
from .conftest import ROOT, SEEDS, THANH_PHU

SCREENSHOTS = ROOT / "docs" / "screenshots"
HEADERS = {"vi": ("Kết quả", "Chỉ tiêu", "Thực tế", "Ngưỡng"), "en": ("Status", "Indicator", "Actual", "Threshold")}
SUMMARY_HEADERS = {"vi": ("Bộ tiêu chí", "Hạng", "Kết luận"), "en": ("Criteria pack", "Tier", "Verdict")}
PAGE = {"vi": "Trang", "en": "Page"}
DOSSIER = ("--org", "UBND xã Thạnh Phú", "--parent-org", "UBND huyện Cầu Kè", "--place", "Thạnh Phú",
           "--assessed-on", "2024-09-05", "--prepared-by", "Nguyễn Văn A", "--checked-by", "Trần Thị B")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def html_of(*args: str) -> str:
    result = CliRunner().invoke(app, ["evaluate", *map(str, args), "--format", "html"])
    assert result.exit_code in (0, 1, 3), result.output
    return result.stdout


def print_pages(tmp_path: Path, name: str, document: str) -> tuple[Path, list[str]]:
    chromium = browser.require_tools()
    page = tmp_path / f"{name}.html"
    page.write_text(document, encoding="utf-8")
    pdf = browser.print_to_pdf(chromium, page, tmp_path / f"{name}.pdf")
    result = browser.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"], browser.POPPLER_TIMEOUT)
    assert result.returncode == 0, result.stderr
    pages = nfc(result.stdout).split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    assert len(pages) == browser.pdf_pages(pdf)
    return pdf, pages


def last_line(page: str, lang: str) -> str:
    """The page's last line of content (its page number line left out)."""
    lines = [ln.strip() for ln in page.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not re.fullmatch(rf"{PAGE[lang]} \d+/\d+", ln)]
    return lines[-1] if lines else ""


def is_header_row(line: str, heads: tuple[str, ...]) -> bool:
    return sum(h in line for h in heads) >= 3


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_seed_report_is_dossier_grade(tmp_path, lang):
    document = html_of(THANH_PHU, "--lang", lang, *DOSSIER)
    pdf, pages = print_pages(tmp_path, f"thanh-phu-{lang}", document)
    total = len(pages)
    assert total >= 3
    first = " ".join(pages[0].split())
    motto = {"vi": ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"),
             "en": ("SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness")}[lang]
    for words in motto:
        assert nfc(words) in first
    assert "UBND XÃ THẠNH PHÚ" in first and "UBND HUYỆN CẦU KÈ" in first
    assert ("ngày 05 tháng 9 năm 2024" if lang == "vi" else "5 September 2024") in first
    assert "Nguyễn Văn A" in first and "Trần Thị B" in first
    assert {"vi": "Căn cứ pháp lý", "en": "Legal bases"}[lang] in first
    assert {"vi": "Tổng hợp kết quả", "en": "Summary of results"}[lang] in first
    assert re.search(r"\d+/\d+ " + {"vi": "tiêu chí đạt", "en": "criteria met"}[lang], first)
    assert "sha256" not in first.lower() and "durable" not in first  # hashes and engine are in the annex
    for n, page in enumerate(pages, 1):
        assert re.search(rf"{PAGE[lang]} {n}/{total}\s*$", page.rstrip()), f"page {n} has no '{PAGE[lang]} {n}/{total}'"
        tail = last_line(page, lang)
        for heads in (HEADERS[lang], SUMMARY_HEADERS[lang]):
            assert not is_header_row(tail, heads), f"page {n} ends with a lone table header: {tail!r}"
    assert "SHA-256" in pages[-1]
    if shutil.which("pdftoppm"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        out = SCREENSHOTS / f"report-first-page-{lang}"
        result = browser.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(out)],
                             browser.POPPLER_TIMEOUT)
        assert result.returncode == 0, result.stderr
        width, height, distinct = browser.png_info(out.with_suffix(".png"))
        assert width > 400 and height > 600 and distinct > 16


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_whatif_report_is_marked_on_every_page(tmp_path, lang):
    document = html_of(SEEDS / "example-smart-certified.yaml", "--lang", lang, "--set", "kiosks=0")
    _, pages = print_pages(tmp_path, f"whatif-{lang}", document)
    mark = {"vi": "GIẢ ĐỊNH – không dùng làm hồ sơ", "en": "HYPOTHETICAL – not for the dossier"}[lang]
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        assert nfc(mark) in " ".join(page.split()), f"page {n} lacks the what-if mark"


def test_a_real_report_carries_no_whatif_mark(tmp_path):
    document = html_of(SEEDS / "example-smart-certified.yaml")
    assert "GIẢ ĐỊNH" not in document


def test_nothing_is_invented_without_a_profile():
    document = html_of(THANH_PHU)
    assert "UBND" not in document.split('<section class="verdict')[0].split("<h1")[0]  # no issuing body made up
    assert "ngày" not in document.split('class="place-date"')[0][-1:]  # no place/date line at all
    assert 'class="place-date"' not in document


def test_profile_file_and_options(tmp_path):
    profile = tmp_path / "profile.yaml"
    profile.write_text("format: ntmcert/profile/v1\norg: Phòng Nông nghiệp huyện Cầu Kè\nplace: Cầu Kè\n"
                       "assessed_on: 2024-09-05\nprepared_by: Lê Văn C\n", encoding="utf-8")
    document = html_of(THANH_PHU, "--profile", profile, "--prepared-by", "Nguyễn Văn A")
    assert "PHÒNG NÔNG NGHIỆP HUYỆN CẦU KÈ" in document
    assert "Cầu Kè, ngày 05 tháng 9 năm 2024" in document
    assert "Nguyễn Văn A" in document and "Lê Văn C" not in document  # the option wins
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: ntmcert/profile/v1\nassessed_on: 5/9/2024\nsigner: x\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", str(THANH_PHU), "--profile", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml:2" in result.output and "bad.yaml:3" in result.output
