"""A pack's blank spreadsheet template (`ntmcert template`).

The column and cell conventions are described in cells.py.
"""

from __future__ import annotations

from pathlib import Path

from ntmcert.core.files import atomic_path
from ntmcert.core.vocab import TIER_NAMES
from ntmcert.inputs.catalogue import Catalogue, FactDef, FactKind, Level
from ntmcert.packs.library import Pack
from ntmcert.packs.registry import comparisons as iter_comparisons
from ntmcert.sheets.cells import (
    COMMUNE_SHEET,
    FIRST_DATA_ROW,
    HAMLET_SHEET,
    INSTRUCTIONS_SHEET,
    LAST_ROW,
    REGIONS,
    TEMPLATE_FORMAT,
)
from ntmcert.sheets.columns import COMMUNE_COLUMNS, Column
from ntmcert.sheets.safecell import cell_value

# ----------------------------------------------------------------------------- the template

def pack_facts(pack: Pack, catalogue: Catalogue) -> dict[FactDef, list[str]]:
    """Every fact the pack's comparisons use, in pack order, with the indicators using it."""
    out: dict[str, tuple[FactDef, list[str]]] = {}
    for crit in pack.criteria:
        for ind in crit.indicators:
            for cmp in iter_comparisons(ind.spec):
                fact = catalogue.get(cmp.fact)
                if fact is None:
                    continue
                users = out.setdefault(fact.id, (fact, []))[1]
                if ind.spec.id not in users:
                    users.append(ind.spec.id)
    return dict(out.values())


def recognition_tiers(pack: Pack, library) -> list[str]:
    """The pack's prerequisite tiers and theirs, highest first (model → advanced → base)."""
    tiers: list[str] = []
    seen_packs: set[str] = set()

    def walk(p: Pack) -> None:
        for prereq in p.prerequisites:
            if prereq.tier.value not in tiers:
                tiers.append(prereq.tier.value)
            if prereq.pack and prereq.pack not in seen_packs and library is not None:
                seen_packs.add(prereq.pack)
                walk(library.get(prereq.pack))

    walk(pack)
    order = ["smart", "ntm_model", "ntm_advanced", "ntm"]
    return sorted(tiers, key=order.index)


def _unit(fact: FactDef) -> tuple[str, str]:
    return (fact.unit.vi, fact.unit.en) if fact.unit else ("", "")


def fact_columns(fact: FactDef) -> list[Column]:
    vi, en = fact.label.vi, fact.label.en
    uvi, uen = _unit(fact)
    fid = fact.id
    if fact.kind is FactKind.share:
        return [
            Column(f"facts.{fid}.count", "count", ("facts", fid, "count"), fact,
                   f"{vi}: số {uvi}".rstrip(), f"{en}: number of {uen}".rstrip()),
            Column(f"facts.{fid}.of", "of", ("facts", fid, "of"), fact,
                   f"{vi}: tổng số {uvi}".rstrip(), f"{en}: total {uen}".rstrip()),
            Column(f"facts.{fid}.percent", "percent", ("facts", fid, "percent"), fact,
                   f"{vi}: tỷ lệ % (hoặc >90, >=90, <90, <=90; bỏ trống nếu đã ghi số và tổng số)",
                   f"{en}: percent (or >90, >=90, <90, <=90; leave empty when count and total are given)"),
        ]
    if fact.kind is FactKind.boolean:
        return [Column(f"facts.{fid}", "boolean", ("facts", fid), fact, f"{vi} (có/không)", f"{en} (yes/no)")]
    unit = (f" ({uvi})" if uvi else "", f" ({uen})" if uen else "")
    return [Column(f"facts.{fid}", "number", ("facts", fid), fact,
                   f"{vi}{unit[0]}; có thể ghi khoảng như >=66", f"{en}{unit[1]}; a bound such as >=66 is allowed")]


def commune_columns(tiers: list[str]) -> list[Column]:
    cols = list(COMMUNE_COLUMNS)
    for tier in tiers:
        vi, en = TIER_NAMES[tier]
        cols.append(Column(f"recognition.{tier}.decision", "text", ("recognition", tier, "decision"), None,
                           f"Số quyết định công nhận {vi}", f"Decision recognising the {en}"))
        cols.append(Column(f"recognition.{tier}.date", "partial_date", ("recognition", tier, "date"), None,
                           f"Ngày quyết định công nhận {vi} (yyyy-mm-dd, hoặc năm)",
                           f"Date of the {en} decision (yyyy-mm-dd, or the year)"))
    return cols


def template_columns(pack: Pack, library, catalogue: Catalogue) -> tuple[list[Column], list[Column]]:
    """(commune sheet columns, hamlet sheet columns — empty when the pack has no hamlet facts)."""
    facts = pack_facts(pack, catalogue)
    commune = commune_columns(recognition_tiers(pack, library))
    hamlet: list[Column] = []
    for fact in facts:
        (commune if fact.level is Level.commune else hamlet).extend(fact_columns(fact))
    if hamlet:
        hamlet = [Column("commune_row", "commune_row", ("commune_row",), None,
                         "Dòng của xã ở trang 'Xã - Communes' (số dòng) hoặc mã xã",
                         "The commune's row number in sheet 'Xã - Communes', or its code", True),
                  Column("hamlet.name", "text", ("hamlet", "name"), None, "Tên ấp (bắt buộc)",
                         "Hamlet name (required)", True), *hamlet]
    return commune, hamlet


def write_template(pack: Pack, out: str | Path, *, library=None,
                   catalogue: Catalogue) -> tuple[list[Column], list[Column]]:
    """Write the blank workbook of `pack` to `out` atomically; returns its columns."""
    import openpyxl

    commune_cols, hamlet_cols = template_columns(pack, library, catalogue)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = COMMUNE_SHEET
    _fill_sheet(ws, commune_cols)
    if hamlet_cols:
        _fill_sheet(wb.create_sheet(HAMLET_SHEET), hamlet_cols)
    _instructions(wb.create_sheet(INSTRUCTIONS_SHEET), pack, catalogue, commune_cols, hamlet_cols)
    wb.properties.title = f"ntmcert: {pack.id} {pack.version}"
    wb.properties.subject = pack.doc.title.vi
    wb.properties.keywords = f"{TEMPLATE_FORMAT} pack={pack.id} version={pack.version} sha256={pack.sha256}"
    wb.properties.creator = "ntmcert"
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return commune_cols, hamlet_cols


_GROUP_FILL = {"commune": "DDEBF7", "as_of": "FCE4D6", "recognition": "E2EFDA", "facts": "FFF2CC",
               "hamlet": "DDEBF7", "commune_row": "DDEBF7"}


def _fill_sheet(ws, columns: list[Column]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws.append([cell_value(c.id) for c in columns])
    ws.append([cell_value(c.vi) for c in columns])
    ws.append([cell_value(c.en) for c in columns])
    id_font = Font(name="Consolas", size=9, color="595959")
    vi_font = Font(bold=True)
    en_font = Font(italic=True, color="404040")
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        fill = PatternFill("solid", fgColor=_GROUP_FILL.get(column.path[0], "FFFFFF"))
        for row, font in ((1, id_font), (2, vi_font), (3, en_font)):
            cell = ws.cell(row=row, column=index)
            cell.font = font
            cell.fill = fill
            cell.alignment = wrap
        longest = max(len(column.id), min(len(column.vi), 60) // 2 + 4)
        ws.column_dimensions[letter].width = max(12, min(longest + 2, 40))
        if column.kind == "code":
            ws.column_dimensions[letter].number_format = "@"
        elif column.kind == "date":
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
    ws.row_dimensions[2].height = 75
    ws.row_dimensions[3].height = 75
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=2)
    _validations(ws, columns)


def _validations(ws, columns: list[Column]) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    made: dict[tuple, DataValidation] = {}

    def add(key: tuple, index: int, **kwargs) -> None:
        dv = made.get(key)
        if dv is None:
            dv = made[key] = DataValidation(allow_blank=True, showErrorMessage=True, showInputMessage=True, **kwargs)
            ws.add_data_validation(dv)
        letter = get_column_letter(index)
        dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_ROW}")

    for index, column in enumerate(columns, start=1):
        kind = column.kind
        if kind == "region":
            add(("region",), index, type="list", formula1='"' + ",".join(REGIONS) + '"',
                errorTitle="Vùng / Region", error="Chọn một vùng trong danh sách. / Pick a region from the list.")
        elif kind == "group":
            add(("group",), index, type="list", formula1='"1,2,3"', errorTitle="Nhóm / Group",
                error="Nhóm xã là 1, 2 hoặc 3. / The group is 1, 2 or 3.")
        elif kind in ("flag", "boolean"):
            add(("yesno",), index, type="list", formula1='"có,không"', errorStyle="warning",
                errorTitle="có / không", error="Ghi có hoặc không (cũng nhận đạt/không đạt, yes/no, 1/0). "
                "/ Write có or không (đạt/không đạt, yes/no, 1/0 are read too).")
        elif kind == "ethnic":
            add(("ethnic",), index, type="list", formula1='"II,III"', errorTitle="II / III",
                error="Ghi II hoặc III, hoặc để trống. / Write II or III, or leave empty.")
        elif kind in ("count", "of"):
            whole = column.fact is not None and column.fact.whole_counts
            add(("count", whole), index, type="whole" if whole else "decimal", operator="greaterThanOrEqual",
                formula1="0", errorTitle="Số / Number",
                error=("Số nguyên ≥ 0, không có dấu phân cách hàng nghìn. / A whole number ≥ 0." if whole else
                       "Số ≥ 0. / A number ≥ 0."))
        elif kind == "percent":
            add(("percent",), index, type="decimal", operator="between", formula1="0", formula2="100",
                errorStyle="warning", errorTitle="Tỷ lệ % / Percent",
                error="Số từ 0 đến 100, hoặc khoảng như >90, >=90, <90, <=90. "
                      "/ A number from 0 to 100, or a bound such as >90.",
                promptTitle="Tỷ lệ % / Percent", prompt="0–100, hoặc/or >90, >=90, <90, <=90")
        elif kind == "number":
            whole = column.fact is not None and column.fact.kind is FactKind.count
            add(("number", whole), index, type="whole" if whole else "decimal", operator="greaterThanOrEqual",
                formula1="0", errorStyle="warning", errorTitle="Số / Number",
                error="Số ≥ 0, hoặc khoảng như >=66. / A number ≥ 0, or a bound such as >=66.")
        elif kind == "date":
            add(("date",), index, type="date", operator="between", formula1="DATE(2000,1,1)",
                formula2="DATE(2999,12,31)", errorTitle="Ngày / Date",
                error="Ghi ngày, ví dụ 2024-08-31. / Write a date, e.g. 2024-08-31.")
        elif kind == "partial_date":
            add(("partial_date",), index, type="date", operator="between", formula1="DATE(2000,1,1)",
                formula2="DATE(2999,12,31)", errorStyle="warning", errorTitle="Ngày / Date",
                error="Ghi ngày (2024-02-06); nếu chỉ biết năm, ghi năm dạng văn bản ('2023). "
                      "/ Write the date; when only the year is known, write it as text ('2023).")


def _instructions(ws, pack: Pack, catalogue: Catalogue, commune_cols: list[Column], hamlet_cols: list[Column]) -> None:
    from openpyxl.styles import Alignment, Font

    facts = pack_facts(pack, catalogue)
    lines = [
        (f"Mẫu nhập số liệu cho bộ tiêu chí {pack.id} {pack.version}", True),
        (f"Data-entry template for the criteria pack {pack.id} {pack.version}", True),
        (pack.doc.title.vi, False),
        (pack.doc.title.en, False),
        ("", False),
        ("1. Mỗi xã một dòng ở trang 'Xã - Communes', từ dòng 4. Dòng 1 là mã cột (không sửa), dòng 2–3 là tiêu đề.",
         False),
        ("   One commune per row of sheet 'Xã - Communes', from row 4. Row 1 holds the column ids (do not edit); "
         "rows 2–3 are headers.", False),
        ("2. Ô để trống = chưa có số liệu (không phải số 0). / An empty cell = not known (never zero).", False),
        ("3. Tỷ lệ: ghi số và tổng số (count, of), hoặc tỷ lệ % (percent), không ghi cả hai; tỷ lệ có thể là khoảng "
         ">90, >=90, <90, <=90.", False),
        ("   Shares: fill count and of (total), or percent, not both; a percent may be a bound >90, >=90, <90, <=90.",
         False),
        ("4. Có/không: ghi có hoặc không (nhận cả đạt/không đạt, yes/no, true/false, 1/0).", False),
        ("   Yes/no: write có or không (đạt/không đạt, yes/no, true/false, 1/0 are read too).", False),
        ("5. Ngày: yyyy-mm-dd hoặc dd/mm/yyyy; ngày quyết định công nhận có thể chỉ ghi năm.", False),
        ("   Dates: yyyy-mm-dd or dd/mm/yyyy; a recognition decision's date may be just the year.", False),
        ("6. Số: dùng dấu chấm thập phân, không dùng dấu phân cách hàng nghìn (1508, 85.78).", False),
        ("   Numbers: a decimal point, no thousands separators (1508, 85.78).", False),
        ("7. Cột có mã bắt đầu bằng # hoặc không có mã được bỏ qua (ghi chú riêng).", False),
        ("   Columns whose id starts with # or is empty are ignored (your own notes).", False),
    ]
    if hamlet_cols:
        lines += [
            ("8. Trang 'Ấp - Hamlets': mỗi ấp một dòng; cột commune_row ghi số dòng của xã ở trang đầu hoặc mã xã.",
             False),
            ("   Sheet 'Ấp - Hamlets': one hamlet per row; commune_row holds the commune's row number in the first "
             "sheet, or its code.", False),
        ]
    lines += [
        ("", False),
        ("Kiểm tra / Check:  ntmcert batch <tệp.xlsx> --pack " + pack.id + " --out ket-qua.xlsx", True),
        ("", False),
        ("Vùng / Regions: " + "; ".join(f"{k} = {vi}" for k, (vi, _) in REGIONS.items()), False),
        ("", False),
    ]
    for line, bold in lines:
        ws.append([cell_value(line)])
        if bold:
            ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    ws.append(["Cột / Column", "Trang / Sheet", "Loại / Kind", "Đơn vị / Unit", "Tiêu đề / Header",
               "Dùng cho chỉ tiêu / Used by indicators"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for sheet, cols in ((COMMUNE_SHEET, commune_cols), (HAMLET_SHEET, hamlet_cols)):
        for col in cols:
            unit = f"{col.fact.unit.vi} / {col.fact.unit.en}" if col.fact is not None and col.fact.unit else ""
            users = ", ".join(facts.get(col.fact, [])) if col.fact is not None else ""
            ws.append([cell_value(v) for v in (col.id, sheet, col.kind, unit, f"{col.vi} / {col.en}", users)])
    for letter, width in zip("ABCDEF", (48, 16, 12, 22, 80, 40), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=1):
        row[0].alignment = Alignment(wrap_text=False)

__all__ = ["pack_facts", "template_columns", "write_template"]
