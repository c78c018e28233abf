"""The printable HTML report: well-formed, self-contained, escaped, deterministic, and printed by
headless Chromium to a PDF whose text still reads the verdict and the commune in Vietnamese."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
from ntmcert import Verdict, evaluate
from ntmcert.render import html

from . import render_browser as browser
from .conftest import SEEDS, THANH_PHU, base_factset

MODEL_FAILS = SEEDS / "example-model-fails-hamlet.yaml"
LANGS = ("vi", "en")
MAX_PAGES_PER_VERDICT = 6


@dataclasses.dataclass(frozen=True)
class Case:
    seed: Path
    pack: str
    verdict: str
    verdict_text: dict[str, str]
    texts: tuple[str, ...]  # Vietnamese names that must come through intact, in both languages


CASES = {
    "thanh-phu": Case(THANH_PHU, "tra-vinh/smart-commune", "incomplete",
                      {"vi": "CHƯA ĐỦ CĂN CỨ KẾT LUẬN", "en": "INCOMPLETE"},
                      ("Thạnh Phú", "Cầu Kè", "Trà Vinh")),
    "model-fails-hamlet": Case(MODEL_FAILS, "tra-vinh/model-ntm-2021-2025", "not_certified",
                               {"vi": "KHÔNG ĐẠT CHUẨN", "en": "NOT CERTIFIED"},
                               ("Xã Ví Dụ Kiểu Mẫu (ví dụ – không có thật)", "Ấp Một (ví dụ)", "Ấp Hai (ví dụ)")),
}
PARAMS = [pytest.param(name, lang, id=f"{name}-{lang}") for name in CASES for lang in LANGS]


@pytest.fixture(scope="module")
def verdicts() -> dict[str, Verdict]:
    return {name: evaluate(case.seed, case.pack) for name, case in CASES.items()}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class Structure(HTMLParser):
    """Checks that every element is closed in order and records what the document refers to."""

    VOID: ClassVar[set[str]] = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                                "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.counts: dict[str, int] = {}
        self.attrs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.style = ""
        self.in_style = False
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        self.attrs += [(tag, name, value or "") for name, value in attrs]
        if tag not in self.VOID:
            self.stack.append(tag)
        self.in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False
        if tag in self.VOID:
            self.errors.append(f"end tag of void element </{tag}>")
        elif not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.in_style:
            self.style += data


def parse(document: str) -> Structure:
    parser = Structure()
    parser.feed(document)
    parser.close()
    return parser


def render(verdicts: dict[str, Verdict], name: str, lang: str) -> str:
    return html.render([verdicts[name]], lang)


class TestDocument:
    @pytest.mark.parametrize(("name", "lang"), PARAMS)
    def test_is_well_formed(self, verdicts, name, lang):
        """Every element opens and closes in order; one section, one table per criterion."""
        document = render(verdicts, name, lang)
        doc = parse(document)
        assert doc.doctype.lower() == "doctype html"
        assert doc.errors == [] and doc.stack == []
        assert document.startswith("<!DOCTYPE html>\n") and f'<html lang="{lang}">' in document
        assert '<meta charset="utf-8">' in document
        v = verdicts[name]
        classes = [value for tag, attr, value in doc.attrs if attr == "class"]
        # the one-page summary (cover), one section per verdict, the technical annex
        assert doc.counts["section"] == 3 and "cover" in classes and "annex" in classes
        assert sum(c.startswith("verdict ") for c in classes) == 1
        assert sum(c.startswith("criterion ") for c in classes) == len(v.criteria)
        assert classes.count("facts") == (1 if v.missing_facts else 0)
        assert doc.counts["caption"] == len(v.criteria)
        assert doc.counts["tr"] >= len(v.criteria) * 2 and doc.counts["td"] > doc.counts["tr"]

    @pytest.mark.parametrize(("name", "lang"), PARAMS)
    def test_is_self_contained(self, verdicts, name, lang):
        """No script, no external stylesheet, font, image or frame: a web address only as a link."""
        document = render(verdicts, name, lang)
        doc = parse(document)
        assert "<script" not in document.lower() and "<link" not in document.lower()
        for tag in ("img", "iframe", "object", "embed", "video", "audio", "source", "base", "form"):
            assert tag not in doc.counts, tag
        for tag, attr, value in doc.attrs:
            assert not attr.startswith("on"), (tag, attr)
            if re.search(r"(?i)(https?:|//|url\()", value):
                assert (tag, attr) == ("a", "href"), (tag, attr, value)
        assert not re.search(r"(?i)url\(|@import|@font-face|https?:", doc.style)

    @pytest.mark.parametrize(("name", "lang"), PARAMS)
    def test_says_the_verdict(self, verdicts, name, lang):
        """The verdict in the chosen language, on one line, with a class naming it."""
        case = CASES[name]
        document = render(verdicts, name, lang)
        css_class = "verdict-" + case.verdict.replace("_", "-")
        line = re.search(r'<p class="verdict-line ([^"]+)">(.*?)</p>', document)
        assert line and line.group(1) == css_class
        assert case.verdict_text[lang] in line.group(2)
        other = "en" if lang == "vi" else "vi"
        assert case.verdict_text[other] not in document

    @pytest.mark.parametrize(("name", "lang"), PARAMS)
    def test_lists_every_missing_fact_and_indicator(self, verdicts, name, lang):
        """Every missing fact id, every criterion and every indicator id is in the report."""
        v = verdicts[name]
        document = render(verdicts, name, lang)
        for ref in v.missing_facts:
            assert f"<code>{ref}</code>" in document, ref
        for crit in v.criteria:
            assert crit.id in document and escape(crit.title.get(lang)) in document
            for ind in crit.indicators:
                assert ind.id in document

    def test_thanh_phu_lists_the_facts_to_collect(self, verdicts):
        """The seed lacks the figures the article does not report: they are listed to collect."""
        v = verdicts["thanh-phu"]
        assert len(v.missing_facts) >= 5
        document = render(verdicts, "thanh-phu", "vi")
        assert "Số liệu cần thu thập" in document and "officials_digital_trained" in document

    @pytest.mark.parametrize(("name", "lang"), PARAMS)
    def test_keeps_vietnamese_text(self, verdicts, name, lang):
        """Diacritics come through intact (NFC), in both languages."""
        document = render(verdicts, name, lang)
        assert nfc(document) == document
        for text in CASES[name].texts:
            assert text in document
        if lang == "vi":
            assert "Kết luận" in document and "Điều kiện tiên quyết" in document

    def test_shows_hamlets_and_alternatives(self, verdicts):
        """The hamlet indicator has a row per hamlet with its status, and each alternative a row."""
        document = render(verdicts, "model-fails-hamlet", "vi")
        assert document.count('<tr class="row-hamlet') == 2
        assert "Ấp: <strong>Ấp Một (ví dụ)</strong>" in document
        assert "tv.hamlet.info_access" in document and "Phương án 2" in document
        assert "&gt; 80%" in document  # "trên 80%": strictly over, escaped

    @pytest.mark.parametrize(("name", "lang"), PARAMS)
    def test_is_deterministic(self, verdicts, name, lang):
        """Same verdicts, same bytes: twice from one verdict and once from a fresh evaluation."""
        case = CASES[name]
        first = render(verdicts, name, lang).encode("utf-8")
        assert render(verdicts, name, lang).encode("utf-8") == first
        assert html.render([evaluate(case.seed, case.pack)], lang).encode("utf-8") == first

    def test_print_styles(self, verdicts):
        """A4 with page numbers in the bottom margin, rows never split, a page break between verdicts,
        a Vietnamese font stack."""
        document = html.render([verdicts["thanh-phu"], verdicts["model-fails-hamlet"]], "vi")
        doc = parse(document)
        assert doc.errors == [] and doc.counts["section"] == 4  # cover, two verdicts, annex
        assert "@page { size: A4; margin: 16mm 15mm 17mm 15mm;" in doc.style
        assert 'content: "Trang " counter(page) "/" counter(pages)' in doc.style
        assert re.search(r"tr \{[^}]*break-inside: avoid", doc.style)
        assert re.search(r"section\.verdict \+ section\.verdict \{[^}]*break-before: page", doc.style)
        assert '"Noto Sans", "DejaVu Sans", "Liberation Sans", Arial, sans-serif' in doc.style
        assert 'id="verdict-1"' in document and 'id="verdict-2"' in document

    def test_status_never_rests_on_colour_alone(self, verdicts):
        """Every status badge carries its label as text."""
        document = render(verdicts, "model-fails-hamlet", "en")
        for status, label in (("pass", "Pass"), ("fail", "Fail"), ("missing", "Missing"),
                              ("undecidable", "Undecidable")):
            assert re.search(rf'<span class="status status-{status}">\S* {label}</span>', document), status


class TestEscaping:
    NAME = "<script>alert(1)</script>"

    def test_escapes_a_malicious_commune(self):
        """Names from the fact set are text, never markup."""
        facts = base_factset(commune={"name": self.NAME, "district": 'Huyện "A" & <b>B</b>',
                                      "province": "Trà Vinh", "region": "dbscl"})
        v = evaluate(facts, "tra-vinh/smart-commune")
        for lang in LANGS:
            document = html.render([v], lang)
            assert "<script" not in document.lower() and "<b>" not in document
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
            assert "Huyện &quot;A&quot; &amp; &lt;b&gt;B&lt;/b&gt;" in document
            doc = parse(document)
            assert doc.errors == [] and doc.stack == []

    def test_links_only_web_sources(self, verdicts):
        """A source with an http(s) address is a link; a javascript: address stays text."""
        v = verdicts["thanh-phu"]
        good = dict(v.prerequisites[0].source, url='https://example.org/qd?a=1&b="2"')
        bad = dict(v.prerequisites[0].source, url="javascript:alert(1)")
        for source, linked in ((good, True), (bad, False)):
            changed = dataclasses.replace(v, prerequisites=(dataclasses.replace(v.prerequisites[0], source=source),))
            document = html.render([changed], "en")
            hrefs = [value for tag, attr, value in parse(document).attrs if attr == "href"]
            if linked:
                assert hrefs == ['https://example.org/qd?a=1&b="2"']
                assert 'href="https://example.org/qd?a=1&amp;b=&quot;2&quot;"' in document
            else:
                assert hrefs == [] and "javascript:alert(1)" in document


class TestInChromium:
    """Each test first finds the tools: without them it skips, or fails under CI (called in the
    test's body, not in a fixture, so that CI reports failed tests rather than errors)."""

    @pytest.mark.parametrize(("name", "lang"), PARAMS)
    def test_prints_and_screenshots(self, verdicts, tmp_path, name, lang):
        """Headless Chromium prints the report to an A4 PDF of a few pages whose text has the
        verdict and the commune's name, and takes a screenshot that is a real, non-blank PNG."""
        chromium = browser.require_tools()
        case = CASES[name]
        page = tmp_path / f"{name}-{lang}.html"
        page.write_text(render(verdicts, name, lang), encoding="utf-8")
        pdf = browser.print_to_pdf(chromium, page, tmp_path / f"{name}-{lang}.pdf")
        info = browser.pdf_info(pdf)
        assert "(A4)" in info["Page size"], info["Page size"]
        assert 1 <= int(info["Pages"]) <= MAX_PAGES_PER_VERDICT, info["Pages"]
        text = " ".join(nfc(browser.pdf_text(pdf)).split())
        assert nfc(case.verdict_text[lang]) in text
        assert nfc(verdicts[name].commune["name"]) in text
        for expected in case.texts:
            assert nfc(expected) in text, expected

        png = browser.screenshot(chromium, page, tmp_path / f"{name}-{lang}.png")
        width, height, distinct = browser.png_info(png)
        assert (width, height) == (1000, 1400)
        assert png.stat().st_size > 20_000 and distinct > 16  # text on a page, not a blank

    def test_each_verdict_starts_a_page(self, verdicts, tmp_path):
        """Two verdicts print to exactly the pages of each alone, less the shared summary page and annex:
        the second starts a new page."""
        chromium = browser.require_tools()
        pages = {}
        for name in CASES:
            page = tmp_path / f"{name}.html"
            page.write_text(render(verdicts, name, "vi"), encoding="utf-8")
            pages[name] = browser.pdf_pages(browser.print_to_pdf(chromium, page, tmp_path / f"{name}.pdf"))
        both = tmp_path / "both.html"
        both.write_text(html.render([verdicts[name] for name in CASES], "vi"), encoding="utf-8")
        # each report alone has its own summary page and annex; together they share one of each
        shared = 2
        assert browser.pdf_pages(browser.print_to_pdf(chromium, both, tmp_path / "both.pdf")) == (
            sum(pages.values()) - shared)
