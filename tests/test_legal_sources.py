"""The legal sources travel with the packs: every document a pack cites has a page in docs/law/
(rendered from rules/law.yaml and the packs), and nothing in the repository points outside it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from ntmcert import default_library
from ntmcert.packs.legal_sources import check_citations, documents_cited, law_docs, load_register, pack_citations
from ntmcert.packs.library import PackLibrary

from .conftest import ROOT

# the project's reference material lives beside the repository; the pattern is assembled so this
# file does not match itself
OUTSIDE = re.compile(r"(?<![\w.-])" + "shared" + r"/")
SKIP_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist", ".mypy_cache",
             ".ruff_cache", "node_modules"}


def repository_files():
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT)
        if any(part in SKIP_DIRS or part.endswith(".egg-info") for part in rel.parts) or not path.is_file():
            continue
        yield rel, path


def test_every_cited_document_has_a_page():
    problems = check_citations(default_library(), load_register())
    assert not problems, "\n".join(str(p) for p in problems)
    docs = law_docs(default_library(), load_register())
    for entry in load_register().documents:
        assert (ROOT / "docs" / "law" / f"{entry.id}.md").is_file(), entry.id
        assert f"({entry.id}.md)" in docs["README.md"]


def test_a_document_without_a_page_is_reported(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    pack = rules / "vn" / "ntm-2021-2025" / "pack.yaml"
    text = pack.read_text(encoding="utf-8")
    pack.write_text(text.replace("document: QĐ 318/QĐ-TTg (08/3/2022)\n          article: Phụ lục I, tiêu chí 1 ",
                                 "document: QĐ 999/QĐ-TTg (01/1/2022)\n          article: Phụ lục I, tiêu chí 1 ", 1),
                    encoding="utf-8")
    library = PackLibrary(root=rules, catalogue=default_library().catalogue)
    problems = check_citations(library, load_register())
    assert [p.code for p in problems] == ["law_document_without_page"]
    assert "QĐ 999/QĐ-TTg" in problems[0].message and "vn/ntm-2021-2025" in problems[0].message


@pytest.mark.parametrize("text, covered", [
    ("QĐ 318/QĐ-TTg (08/3/2022)", ["qd-318-2022-ttg"]),
    ("QĐ 318/QĐ-TTg (08/3/2022); QĐ 18/2022/QĐ-TTg", ["qd-318-2022-ttg", "qd-18-2022-ttg"]),
    ("Báo Trà Vinh, 08/05/2024 and 11/09/2024", ["bao-tra-vinh-2024-05-08", "bao-tra-vinh-2024-09-11"]),
    ("QĐ 3180/QĐ-TTg", []),  # a longer number is another document
    ("QĐ 318/QĐ-TTgX", []),
])
def test_citations_match_whole_document_numbers(text, covered):
    found, uncovered = documents_cited(text, load_register())
    assert found == covered
    assert bool(uncovered) == (not covered)


def test_law_pages_are_up_to_date():
    docs = law_docs(default_library(), load_register())
    folder = ROOT / "docs" / "law"
    stale = [name for name, text in docs.items()
             if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text]
    assert not stale, f"run `ntmcert packs law` to regenerate: {stale}"
    assert {p.name for p in folder.glob("*.md")} == set(docs), "docs/law/ holds files no entry produces"


def test_pages_list_what_the_packs_read():
    library = default_library()
    citations = pack_citations("vn/ntm-2021-2025", library.get("vn/ntm-2021-2025").doc)
    page = law_docs(library, load_register())["qd-318-2022-ttg.md"]
    for c in citations:
        if c.document.startswith("QĐ 318/QĐ-TTg"):
            assert c.where.replace("|", "\\|") in page


S = "shared"  # the examples are assembled too


@pytest.mark.parametrize("text", [f"../{S}/criteria/x.md", f"see {S}/seeds/a.md", f"/work/{S}/STYLE.md",
                                  f"[x](../{S}/)"])
def test_the_pointer_pattern_catches_every_form(text):
    assert OUTSIDE.search(text)


@pytest.mark.parametrize("text", ["data can be shared with other localities", "engine/shared_state.py",
                                  "unshared/x"])
def test_the_pointer_pattern_leaves_other_words(text):
    assert not OUTSIDE.search(text)


def test_nothing_in_the_repository_points_outside_it():
    found = []
    for rel, path in repository_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary files (spreadsheets, images) hold no pointers
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{rel}:{number}: {line.strip()[:100]}")
    assert not found, "files pointing outside the repository:\n" + "\n".join(found)


def test_the_register_ships_with_the_packs():
    """rules/law.yaml is package data of ntmcert.rules, so `ntmcert packs law DOC` works from a wheel."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "*.yaml" in config["tool"]["setuptools"]["package-data"]["ntmcert.rules"]
    assert Path(ROOT / "rules" / "law.yaml").is_file()
