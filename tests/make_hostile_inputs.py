"""Writes the hostile inputs of tests/bad_inputs/ that are awkward to write by hand (control
characters, NFD text, large or binary files, crafted workbooks). Run once, and again only to
change them: `python -m tests.make_hostile_inputs`; the files it writes are committed and indexed
in tests/bad_inputs/expected.yaml like every other bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
import zipfile
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "bad_inputs"
PACK = "tra-vinh/smart-commune"

HEAD = "format: ntmcert/factset/v1\n"
COMMUNE = "commune: {name: Xã Thử, province: Trà Vinh, region: dbscl}\n"
AS_OF = "as_of: 2024-08-31\n"


def text(path: str, content: str) -> None:
    target = CORPUS / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content.encode("utf-8"))


def raw(path: str, content: bytes) -> None:
    target = CORPUS / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)


def factsets() -> None:
    text("factset/control-escape-name.yaml", "# An escape sequence (set the terminal title) in the commune name.\n"
         + HEAD + 'commune: {name: "Xã \\e]0;pwned\\a Thử", province: Trà Vinh, region: dbscl}\n' + AS_OF)
    text("factset/control-escape-name.json", '{\n  "format": "ntmcert/factset/v1",\n  "commune": {"name": '
         '"X\\u001b[2J\\u001b[H", "province": "Trà Vinh", "region": "dbscl"},\n  "as_of": "2024-08-31"\n}\n')
    text("factset/control-bidi-hamlet.yaml", "# A right-to-left override reorders what a reader sees.\n" + HEAD
         + COMMUNE + AS_OF + 'hamlets:\n  - name: "Ấp \\u202e2 pA"\n    facts: {}\n')
    text("factset/control-newline-name.yaml", "# A newline in a name would fake a report line.\n" + HEAD
         + 'commune: {name: "Xã Thử\\nVerdict: CERTIFIED", province: Trà Vinh, region: dbscl}\n' + AS_OF)
    text("factset/control-in-key.yaml", "# A bell character in a fact id (a mapping key).\n" + HEAD + COMMUNE + AS_OF
         + 'facts:\n  "kiosks\\a": 2\n')
    text("factset/control-c1-note.yaml", "# A C1 control (CSI, U+009B) in a note.\n" + HEAD + COMMUNE + AS_OF
         + 'facts:\n  kiosks: {value: 2, note: "đã kiểm tra \\x9b31m"}\n')
    text("factset/surrogate-note.yaml", "# A lone surrogate escape in a note: not text, it has no UTF-8 spelling.\n"
         + HEAD + COMMUNE + AS_OF + 'facts:\n  kiosks: {value: 2, note: "ghi chú \\ud800"}\n')
    text("factset/surrogate-name.json", '{\n  "format": "ntmcert/factset/v1",\n  "commune": {"name": '
         '"X\\ud83d", "province": "Trà Vinh", "region": "dbscl"},\n  "as_of": "2024-08-31"\n}\n')
    text("factset/control-del-district.yaml", "# DEL in the district.\n" + HEAD
         + 'commune: {name: Xã Thử, district: "Cầu Kè\\x7f", province: Trà Vinh, region: dbscl}\n' + AS_OF)
    nfd = unicodedata.normalize("NFD", "Ấp Chợ")
    assert nfd != "Ấp Chợ"
    text("factset/nfd-duplicate-hamlet.yaml", "# The same hamlet twice: once in NFC, once in NFD (another keyboard).\n"
         + HEAD + COMMUNE + AS_OF + "hamlets:\n  - name: Ấp Chợ\n    facts: {}\n"
         + f"  - name: {nfd}\n    facts: {{}}\n")
    text("factset/implausible-as-of.yaml", "# Year 1: a date no figures describe.\n" + HEAD + COMMUNE
         + "as_of: 0001-01-01\n")
    text("factset/too-many-hamlets.yaml", "# 501 hamlets: more than any commune has.\n" + HEAD + COMMUNE + AS_OF
         + "hamlets:\n" + "".join(f"  - {{name: Ấp {i}, facts: {{}}}}\n" for i in range(501)))
    text("factset/too-many-facts.yaml", "# 1,001 facts: more than the catalogue holds.\n" + HEAD + COMMUNE + AS_OF
         + "facts:\n" + "".join(f"  made_up_fact_{i}: 1\n" for i in range(1001)))
    text("factset/too-many-problems.yaml", "# 150 unknown fact ids: the first 100 are reported, then a count.\n"
         + HEAD + COMMUNE + AS_OF + "facts:\n" + "".join(f"  unknown_{i}: 1\n" for i in range(150)))
    raw("factset/not-utf8-column.json", '{\n  "format": "ntmcert/factset/v1",\n  "commune": {"name": "Xã '.encode()
        + b"Th\xfb\", " + '"province": "Trà Vinh", "region": "dbscl"},\n  "as_of": "2024-08-31"\n}\n'.encode())
    raw("factset/bom-unknown-fact.json", b"\xef\xbb\xbf" + '{\n  "format": "ntmcert/factset/v1",\n  "commune": '
        '{"name": "Xã Thử", "province": "Trà Vinh", "region": "dbscl"},\n  "as_of": "2024-08-31",\n  "facts": '
        '{\n    "kiosk": 2\n  }\n}\n'.encode())
    text("factset/long-unknown-fact.yaml", "# A 1,000-character fact id: echoed cut short, no fuzzy search.\n" + HEAD
         + COMMUNE + AS_OF + "facts:\n  " + "x" * 1000 + ": 1\n")
    text("factset/control-escape-source.yaml", "# An escape sequence in the source's publisher.\n" + HEAD + COMMUNE
         + AS_OF + 'source: {document: Báo, publisher: "Báo \\e[5m Trà Vinh"}\n')


def params_and_packs() -> None:
    text("params/control-in-source.yaml", "# An escape sequence in a source's document name.\n"
         "format: ntmcert/params/v1\nparameters:\n  advanced_income_threshold:\n    - value: 60\n"
         '      source: {document: "QĐ 1306\\e[8m hidden", provenance: secondary}\n')
    base = (CORPUS / "pack" / "unknown-tier" / "t" / "p" / "pack.yaml").read_text(encoding="utf-8")
    pack = base.replace("# A tier that does not exist.\n", "").replace("tier: ntm_super", "tier: ntm")
    text("pack/control-in-title/t/p/pack.yaml", "# An escape sequence in a criterion title.\n" + pack.replace(
        "title: {vi: Chính quyền số, en: Digital government}",
        'title: {vi: "Chính quyền số\\e[2J", en: Digital government}'))
    text("pack/bidi-in-note/t/p/pack.yaml", "# A bidi override in a source note.\n" + pack.replace(
        "        source: {document: test corpus, provenance: inferred}",
        '        source: {document: test corpus, provenance: inferred, note: "abc\\u202edef"}'))


# ----------------------------------------------------------------------------- batch inputs

IDS = ["commune.name", "commune.province", "commune.code", "commune.region", "as_of", "facts.kiosks"]
ROW = ["Xã {n}", "Trà Vinh", "9000{n}", "dbscl", "2025-06-30", ""]


def _rows(count: int) -> list[list[str]]:
    return [[c.format(n=n) for c in ROW] for n in range(1, count + 1)]


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(IDS)
    writer.writerows(rows)
    return out.getvalue()


def batch_csv() -> None:
    rows = _csv(_rows(6)).splitlines(keepends=True)
    rows[3] = rows[3].replace("Xã 3", '"Xã 3', 1)  # row 4 opens a quote it never closes
    text("batch/unclosed-quote.csv", "".join(rows))
    rows = _csv(_rows(6)).splitlines(keepends=True)
    rows[2] = rows[2].replace("Xã 2", '"Xã 2', 1)  # row 3 opens one; row 5 has a quoted cell of its own
    rows[4] = rows[4].replace("Xã 4", '"Xã, 4"', 1)
    text("batch/unclosed-quote-then-quoted.csv", "".join(rows))
    text("batch/unclosed-quote-header.csv", '"commune.name,commune.province,commune.region,as_of\n'
         "Xã 1,Trà Vinh,dbscl,2025-06-30\n")
    rows = _rows(3)
    rows[1][0] = "Xã " + "dài " * 9000  # 36,000 characters: more than a spreadsheet cell holds
    text("batch/overlong-cell.csv", _csv(rows))
    rows = _rows(3)
    rows[1][0] = "x" * 140_000  # beyond the csv module's own field limit (131,072)
    text("batch/field-limit-cell.csv", _csv(rows))
    raw("batch/not-utf8.csv", _csv(_rows(1)).encode() + "Xã 2,Tr".encode() + b"\xe0 Vinh,90002,dbscl,2025-06-30,\n")
    rows = _rows(2)
    rows[1][0] = "Xã \x1b]0;pwned\x07"
    text("batch/control-in-name.csv", _csv(rows))
    rows = _rows(2)
    rows[1][0], rows[1][3] = '=HYPERLINK("http://example.invalid","Xã")', "nowhere"
    text("batch/formula-name-bad-region.csv", _csv(rows))
    text("batch/semicolon-unclosed-quote.csv", _csv(_rows(4)).replace(",", ";").replace("Xã 2", '"Xã 2', 1))
    text("batch/bom-unclosed-quote.csv", "\ufeff" + _csv(_rows(3)).replace("Xã 1", '"Xã 1', 1))
    rows = _rows(2)
    rows[1][2] = "9000\u202e2"
    text("batch/bidi-in-code.csv", _csv(rows))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*IDS, "facts.kiosks.note"])
    notes = ["đã kiểm tra", "kiểm tra \x9b31m"]
    writer.writerows([[*r[:5], "2", note] for r, note in zip(_rows(2), notes, strict=True)])
    text("batch/control-in-note.csv", out.getvalue())
    rows = _rows(2)
    rows[1][0] = "@SUM(1+1)*cmd|' /C calc'!A0"
    rows[1][4] = "-2024-13-45"
    text("batch/formula-bad-date.csv", _csv(rows))


def _template_workbook(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Xã - Communes"
    ws.append(IDS)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rows_typed(count: int) -> list[list[object]]:
    return [[f"Xã {n}", "Trà Vinh", f"9000{n}", "dbscl", dt.date(2025, 6, 30), 2] for n in range(1, count + 1)]


def _rewrite(data: bytes, change) -> bytes:
    """The workbook with every part passed through change(name, bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, change(info.filename, zin.read(info)))
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def batch_xlsx() -> None:
    good = _template_workbook(_rows_typed(3))
    laughs = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
              + b"".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8))
              + b"]>")
    raw("batch/entity-expansion.xlsx", _rewrite(good, lambda n, d: laughs + d.replace("Xã 2".encode(), b"&i;")
                                                if n == SHEET else d))
    external = b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    raw("batch/external-entity.xlsx", _rewrite(good, lambda n, d: external + d.replace("Xã 2".encode(), b"&x;")
                                               if n == SHEET else d))
    raw("batch/zip-bomb-cell.xlsx", _rewrite(good, lambda n, d: d.replace("Xã 2".encode(), b"A" * (300 << 20))
                                             if n == SHEET else d))
    wb = openpyxl.load_workbook(io.BytesIO(good))
    wb.active["F3"] = "=1+1"  # saved by openpyxl: a formula with no computed value
    out = io.BytesIO()
    wb.save(out)
    raw("batch/uncomputed-formula.xlsx", out.getvalue())
    wb = openpyxl.load_workbook(io.BytesIO(good))
    wb.active.cell(row=2, column=2000, value="far")
    out = io.BytesIO()
    wb.save(out)
    raw("batch/too-many-columns.xlsx", out.getvalue())
    rows = b"<row/>" * 200_005  # a row element without content, 200,005 times: compresses to nothing
    raw("batch/too-many-rows.xlsx", _rewrite(good, lambda n, d: d.replace(b"</sheetData>", rows + b"</sheetData>")
                                             if n == SHEET else d))
    wb = openpyxl.load_workbook(io.BytesIO(good))
    for i in range(51):
        wb.create_sheet(f"S{i}")
    out = io.BytesIO()
    wb.save(out)
    raw("batch/too-many-sheets.xlsx", out.getvalue())
    raw("batch/not-a-zip.xlsx", _csv(_rows(2)).encode())
    raw("batch/truncated.xlsx", good[: len(good) // 2])
    wb = openpyxl.load_workbook(io.BytesIO(good))
    hs = wb.create_sheet("Ấp - Hamlets")
    hs.append(["commune_row", "hamlet.name"])
    hs.append([2, "Ấp Chợ"])
    hs.append([2, unicodedata.normalize("NFD", "Ấp Chợ")])
    out = io.BytesIO()
    wb.save(out)
    raw("batch/nfd-duplicate-hamlet.xlsx", out.getvalue())
    raw("batch/damaged-xml.xlsx", _rewrite(good, lambda n, d: d.replace(b"</sheetData>", b"<row></sheetData>")
                                           if n == SHEET else d))


def main() -> None:
    factsets()
    params_and_packs()
    batch_csv()
    batch_xlsx()


if __name__ == "__main__":
    main()
