"""Vietnamese output is Vietnamese throughout, English output English throughout (issue #9).

Every command runs on the seeds in both languages; the output must hold no word of the other
language. Names and document titles (anything written in a seed or in a pack's sources) are allowed,
and so are identifiers (ids, codes, file paths), which are the same in both languages.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from ntmcert.cli.main import app
from typer.testing import CliRunner

from .conftest import ROOT, SEEDS, THANH_PHU

ENGLISH = set("""
the and of is are not no yes with for from to by at least more than needs need missing pass passes fail failing
fails certified commune communes criterion criteria indicator indicators recognition recognised recognized
secondary official inferred unknown smart layer value rule threshold hamlet hamlets tier quoting page rows row
written results result error errors file summary pack packs engine region legal basis prerequisite prerequisites
scope completeness partial complete layers parameters national source sources decides facts fact collect what
which this that it be must write found only none any one or every each was were has have had given date dates
group verdict status actual margin incomplete undecidable applicable notes note own used uses reason because
should would could about after before under over without within also more less fewer exactly equal alternative
alternatives option there their these those
""".split())  # noqa: SIM905 (a word list reads best as text)
LEGAL = {"qđ", "điều", "ubnd", "khoản", "nđ", "tt", "ttg", "bnn", "vpđp", "cp", "btc"}  # citations of the law
VI_MARKS = re.compile(r"[đĐ]|[^\x00-\x7f]")
# identifiers, option names, hex ids and hashes, paths, links, code spans and quoted values (data, the same in
# both languages)
IDENT = re.compile(r"--[a-z][a-z-]*|\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b|hamlet:[^:\n]*:\S+|\S*[A-Za-z0-9][._/:#@=*\\-][A-Za-z0-9]\S*|\S*_\S*|https?://\S+|`[^`]*`|'[^'\n]*'|\"[^\"\n]*\"")


def words(text: str) -> list[str]:
    text = IDENT.sub(" ", unicodedata.normalize("NFC", text))
    return [w.lower() for w in re.findall(r"[^\W\d_]+", text)]


NAME_KEYS = {"name", "district", "province", "decision", "signer", "document", "publisher", "article", "field"}


def _names(node, out: set[str]) -> None:
    """Words of names and titles: the values of NAME_KEYS anywhere in a document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in NAME_KEYS and isinstance(value, str):
                out.update(words(value))
            else:
                _names(value, out)
    elif isinstance(node, list):
        for value in node:
            _names(value, out)


@lru_cache(maxsize=2)
def allowed(lang: str = "vi") -> frozenset[str]:
    """Names and document titles (commune, hamlet and signer names, decision numbers, source documents
    and articles of the seeds and packs), legal citations, and the terms a text of that language in the
    catalogue or a pack writes itself (an English label may quote the Vietnamese "4 tại chỗ")."""
    out: set[str] = set(LEGAL)
    from ntmcert.core.vocab import REGION_NAMES

    for name in REGION_NAMES.values():  # region names are names ("Trung du và miền núi phía Bắc")
        out.update(words(name.vi))
    for seed in SEEDS.glob("*.yaml"):
        _names(yaml.safe_load(seed.read_text(encoding="utf-8")), out)
    for path in [*(ROOT / "rules").rglob("pack.yaml"), ROOT / "rules" / "facts.yaml"]:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        _names(doc, out)
        _strings_in(doc, lang, out)
    return frozenset(out)


def _strings_in(node, lang: str, out: set[str]) -> None:
    """The words of every {vi, en} text's `lang` side."""
    if isinstance(node, dict):
        if isinstance(node.get(lang), str) and set(node) <= {"vi", "en"}:
            out.update(words(node[lang]))
            return
        for value in node.values():
            _strings_in(value, lang, out)
    elif isinstance(node, list):
        for value in node:
            _strings_in(value, lang, out)


def foreign(text: str, lang: str) -> list[str]:
    """Words of the other language in `text`."""
    found = []
    if text.lstrip().startswith("<!DOCTYPE"):
        text = visible_text(text)
    for w in words(text):
        if w in allowed(lang):
            continue
        if lang == "vi" and w in ENGLISH:
            found.append(w)
        if lang == "en" and VI_MARKS.search(w):
            found.append(w)
    return sorted(set(found))


def visible_text(document: str) -> str:
    """An HTML document's text as a reader sees it (no style sheet, no attributes)."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.skip = False

        def handle_starttag(self, tag, attrs):
            self.skip = tag in ("style", "script")

        def handle_endtag(self, tag):
            self.skip = False

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    parser = Text()
    parser.feed(document)
    return " ".join(parser.parts)


def run(*args) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output  # stdout and stderr together


SEED_FILES = sorted(SEEDS.glob("*.yaml"))
COMMANDS = []
for seed in SEED_FILES:
    for fmt in ("text", "md", "html"):
        COMMANDS.append(pytest.param(("evaluate", seed, "--format", fmt), id=f"evaluate-{seed.stem}-{fmt}"))
    COMMANDS.append(pytest.param(("evaluate", seed, "--set", "kiosks=0"), id=f"whatif-{seed.stem}"))
    COMMANDS.append(pytest.param(("evaluate", seed, "--set", "kiosks=0", "--format", "md"),
                                 id=f"whatif-md-{seed.stem}"))
    COMMANDS.append(pytest.param(("review", seed, "--pack", "tra-vinh/smart-commune"), id=f"review-{seed.stem}"))
for pack in ("tra-vinh/smart-commune", "tra-vinh/model-ntm-2021-2025", "vn/ntm-advanced-2021-2025",
             "vn/smart-commune-pilot", "vn/ntm-2021-2025", "vn/recognition-2021-2025"):
    COMMANDS.append(pytest.param(("evaluate", THANH_PHU, "--pack", pack, "--derive-prerequisites"),
                                 id=f"evaluate-pack-{pack}"))
    COMMANDS.append(pytest.param(("packs", "show", pack), id=f"packs-show-{pack}"))
COMMANDS += [
    pytest.param(("validate", THANH_PHU), id="validate"),
    pytest.param(("packs",), id="packs-list"),
    pytest.param(("evaluate", THANH_PHU, "--set", "kiosk=3"), id="error-set"),
    pytest.param(("evaluate", THANH_PHU, "--set", "smart_irrigation_model=maybe", "--set", "kiosks=null"),
                 id="error-set-values"),
]


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("command", COMMANDS)
def test_output_is_in_one_language(command, lang):
    code, output = run(*command, "--lang", lang)
    assert code in (0, 1, 2, 3), output
    assert output.strip()
    bad = foreign(output, lang)
    assert not bad, f"{lang} output holds words of the other language: {bad}"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_batch_summary_and_file_errors(tmp_path, lang):
    from tests.sheets.helpers import BAD, GOOD, write_csv

    source = write_csv(tmp_path / "in.csv", [GOOD, BAD])
    code, output = run("batch", source, "--pack", "tra-vinh/smart-commune", "--out", tmp_path / "o.csv",
                       "--lang", lang)
    assert code == 2
    assert not foreign(output, lang), foreign(output, lang)


def test_the_detector_finds_both_ways():
    assert {"by", "certified", "the"} <= set(foreign("Kết luận: certified by the commune", "vi"))
    assert foreign("<!DOCTYPE html><style>.verdict {}</style><p class='summary'>Tóm tắt</p>", "vi") == []
    assert foreign("Verdict: ĐẠT CHUẨN", "en") == ["chuẩn", "đạt"]
    assert foreign("tv.smart.gov › tv.smart.gov.cameras hamlet:*:automation_stages", "vi") == []
    assert foreign("Báo Trà Vinh, 08/05/2024", "en") == []


def test_allow_list_is_built_from_data():
    assert "thạnh" in allowed("vi") and "báo" in allowed("en")
    assert "certified" not in allowed("vi") and "đạt" not in allowed("en")
    assert isinstance(ROOT, Path)
