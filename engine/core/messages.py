"""Input problems as a Vietnamese reader is told them.

A problem's message is written once, in English, where it is found; its code is a stable identifier.
For Vietnamese output the code picks a Vietnamese sentence, and the values the English message
quotes (ids, cell contents, file names) follow it unchanged: the reader sees Vietnamese words and
the exact values, never an English sentence. Codes the table does not know fall back to their
stage-suffix ("factset_missing_key" → "missing_key"), then to a general sentence.
"""

from __future__ import annotations

import re

from ntmcert.core.errors import Problem
from ntmcert.core.text import Text

MESSAGES_VI = {
    # fact sets and their values
    "fact_unknown": "mã số liệu không có trong danh mục",
    "fact_wrong_level": "số liệu này ghi sai cấp (xã hay ấp)",
    "fact_null": "số liệu để trống giá trị: chưa biết thì bỏ hẳn số liệu",
    "fact_bad_type": "giá trị không đúng kiểu của số liệu",
    "fact_bad_shape": "số liệu ghi sai dạng",
    "fact_not_whole": "số đếm phải là số nguyên",
    "fact_negative": "số liệu không được âm",
    "fact_zero_of": "mẫu số (tổng) bằng 0",
    "fact_count_above_of": "tử số lớn hơn mẫu số",
    "fact_percent_range": "tỷ lệ phải từ 0% đến 100%",
    "fact_empty_bound": "khoảng giá trị ghi không có giá trị nào",
    "factset_not_mapping": "tệp số liệu phải là một bảng khóa: giá trị",
    "hamlet_duplicate": "tên ấp bị ghi hai lần",
    "hamlet_ambiguous_commune": "không xác định được ấp thuộc xã nào",
    "bad_date": "ngày không hợp lệ (ghi YYYY-MM-DD)",
    "bad_number": "số không hợp lệ",
    "inexact_number": "số phải ghi chính xác (không dùng số thực nhị phân)",
    "non_finite_number": "số không hữu hạn",
    # --set
    "set_syntax": "viết --set dạng số_liệu=giá_trị trên một dòng",
    "set_null": "null không phải là giá trị: muốn bỏ số liệu thì để trống sau dấu =",
    "set_value": "giá trị --set không đọc được",
    "set_bad_yes_no": "ghi có hoặc không (hoặc đạt / không đạt)",
    "set_bad_number": "số không hợp lệ: ghi chữ số, dấu phẩy thập phân hoặc dấu chấm hàng nghìn",
    "set_ambiguous_number": "số có thể là hàng nghìn hoặc thập phân: ghi rõ",
    "set_bad_bound": "khoảng giá trị không hợp lệ (ví dụ: trên 90%, >=80 <90)",
    "option_bad_date": "ngày không hợp lệ (ghi YYYY-MM-DD)",
    # spreadsheets
    "cell_ambiguous_number": "số có thể là hàng nghìn hoặc thập phân: ghi rõ",
    "cell_bad_bound": "khoảng giá trị không hợp lệ (ví dụ: trên 90%, >=80 <90)",
    "cell_bad_choice": "giá trị không thuộc các lựa chọn cho phép",
    "cell_bad_commune_row": "commune_row là số dòng hoặc mã của xã",
    "cell_bad_date": "ngày không hợp lệ (YYYY-MM-DD hoặc DD/MM/YYYY)",
    "cell_bad_group": "nhóm xã là 1, 2 hoặc 3",
    "cell_bad_number": "số không hợp lệ",
    "cell_bad_region": "vùng không hợp lệ",
    "cell_bad_yes_no": "ghi có hoặc không (hoặc đạt / không đạt)",
    "cell_missing_value": "ô bắt buộc đang để trống",
    "cell_recognition_incomplete": "quyết định công nhận cần cả số và ngày",
    "cell_share_incomplete": "tỷ lệ cần cả tử số và mẫu số",
    "cell_share_twice": "chỉ ghi tử số và mẫu số, hoặc tỷ lệ %, không ghi cả hai",
    "sheet_duplicate_column": "cột bị lặp",
    "sheet_empty": "bảng tính không có dữ liệu",
    "sheet_missing_column": "thiếu cột bắt buộc",
    "sheet_unknown_column": "cột không được nhận biết",
    "csv_syntax": "tệp CSV sai cú pháp",
    "batch_bad_input": "tệp vào không dùng được",
    "batch_bad_output": "tệp kết quả không ghi được",
    "batch_empty": "không có xã nào để đánh giá",
    "template_bad_output": "không ghi được tệp mẫu vào đây: cần một tệp .xlsx trong thư mục đã có và ghi được",
    "template_exists": "tệp mẫu đã có (có thể đã nhập số liệu): đặt tên khác hoặc thêm --force",
    # files and YAML / JSON
    "file_too_large": "tệp quá lớn",
    "file_unreadable": "không đọc được tệp",
    "yaml_syntax": "tệp YAML sai cú pháp",
    "yaml_alias": "tệp YAML dùng bí danh (alias), không được phép",
    "yaml_bad_key": "khóa YAML không hợp lệ",
    "yaml_bad_tag": "thẻ YAML không được phép",
    "yaml_merge_key": "khóa gộp YAML (<<) không được phép",
    "yaml_too_deep": "tệp YAML lồng quá sâu",
    "json_syntax": "tệp JSON sai cú pháp",
    "json_too_deep": "tệp JSON lồng quá sâu",
    "duplicate_key": "khóa bị ghi hai lần",
    # packs and catalogue
    "no_applicable_pack": "không có bộ tiêu chí nào phù hợp tỉnh và thời điểm: chọn bằng --pack",
    "pack_not_found": "không có bộ tiêu chí này",
    "pack_folder_empty": "thư mục không có bộ tiêu chí nào",
    "pack_folder_missing": "không phải thư mục chứa các bộ tiêu chí",
    "pack_bad_operator": "phép so sánh không hợp lệ trong bộ tiêu chí",
    "pack_dangling_parameter": "bộ tiêu chí dùng tham số chưa khai báo",
    "pack_duplicate_id": "mã bị trùng trong bộ tiêu chí",
    "pack_extends_cycle": "các bộ tiêu chí mở rộng lẫn nhau thành vòng",
    "pack_extends_missing": "bộ tiêu chí được mở rộng không tồn tại",
    "pack_fact_level": "bộ tiêu chí dùng số liệu sai cấp (xã hay ấp)",
    "pack_hash_collision": "mã băm bộ tiêu chí bị trùng",
    "pack_id_mismatch": "mã bộ tiêu chí không khớp với thư mục",
    "pack_prerequisite_cycle": "điều kiện tiên quyết tạo thành vòng",
    "pack_prerequisite_missing": "bộ tiêu chí của điều kiện tiên quyết không tồn tại",
    "pack_threshold_kind": "ngưỡng không đúng kiểu của số liệu",
    "pack_unknown_fact": "bộ tiêu chí dùng mã số liệu không có trong danh mục",
    "catalogue_duplicate_fact": "mã số liệu khai báo hai lần trong danh mục",
    "unknown_operator": "phép so sánh không hợp lệ",
    "bad_threshold": "ngưỡng không hợp lệ",
    # the maintainers' commands (packs docs / law / new / diff, params check)
    "docs_bad_output": "thư mục ghi tài liệu không dùng được",
    "law_bad_output": "thư mục ghi trang văn bản pháp lý không dùng được",
    "law_unknown_document": "văn bản pháp lý chưa có trong danh mục (văn bản đã hỏi, rồi các văn bản đã biết)",
    "law_document_without_page": "bộ tiêu chí trích dẫn văn bản chưa có trong danh mục văn bản pháp lý",
    "scaffold_bad_output": "thư mục ghi bộ tiêu chí mới không dùng được",
    "scaffold_bad_province": "--province phải là tên tỉnh: 1 đến 100 ký tự in được",
    "scaffold_bad_parent": "bộ tiêu chí này đã thuộc một tỉnh: hãy mở rộng một bộ tiêu chí toàn quốc",
    "scaffold_bad_id": "mã bộ tiêu chí không đúng quy cách (chữ thường nối bằng '-', thư mục nối bằng '/')",
    "scaffold_exists": "bộ tiêu chí này đã có",
    "pack_file_missing": "thư mục không có tệp pack.yaml",
    "params_unknown_parameter": "không bộ tiêu chí nào có tham số này",
    "params_invalid": "hai giá trị của tham số cùng áp dụng từ một ngày cho một vùng: giữ một",
    "params_override_official": "tham số đã có giá trị chính thức: ghi override: true để thay",
    # the decision log (`ntmcert decisions verify`)
    "seq_gap": "số thứ tự bản ghi bị đứt quãng",
    "chain_broken": "prev_hash không khớp với mã băm của bản ghi trước",
    "record_altered": "nội dung bản ghi không còn khớp với mã băm",
    "head_mismatch": "đầu chuỗi không khớp với bản ghi cuối",
    "pack_changed": "bộ tiêu chí đã đổi kể từ khi quyết định được ghi",
    "replay_failed": "không chạy lại được quyết định",
    "result_mismatch": "kết quả đã lưu khác kết quả đánh giá lại",
    # stage suffixes of schema problems (factset_missing_key, pack_unknown_key, …)
    "missing_key": "thiếu khóa bắt buộc",
    "unknown_key": "khóa không được nhận biết",
    "bad_choice": "giá trị không thuộc các lựa chọn cho phép",
    "empty_text": "văn bản để trống",
    "bad_id": "mã không đúng quy cách",
    "too_few_items": "danh sách có quá ít phần tử",
    "out_of_range": "giá trị nằm ngoài khoảng cho phép",
    "bad_type": "giá trị sai kiểu",
    "invalid": "giá trị không hợp lệ",
}
GENERAL_VI = "dữ liệu vào không hợp lệ"
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"|[^\s'\"(),;]*(?:\d|/|_|\w\.\w)[^\s'\"(),;]*")
_SUFFIXES = sorted({k for k in MESSAGES_VI if "_" in k}, key=len, reverse=True)


def vietnamese(code: str) -> str:
    """The Vietnamese sentence for a problem code."""
    if code in MESSAGES_VI:
        return MESSAGES_VI[code]
    for suffix in _SUFFIXES:
        if code.endswith("_" + suffix):
            return MESSAGES_VI[suffix]
    tail = code.rpartition("_")[2]
    return MESSAGES_VI.get(tail, GENERAL_VI)


def problem_text(problem: Problem, lang: str) -> str:
    """`location: code: message` in the reader's language (English as found; Vietnamese from the code,
    with the values the message quotes, and a "did you mean" suggestion kept)."""
    return Text(_vietnamese_line(problem), str(problem)).get(lang)


def _vietnamese_line(problem: Problem) -> str:
    message, _, suggestion = problem.message.partition("did you mean")
    values = _values(message)
    text = vietnamese(problem.code) + (": " + ", ".join(values) if values else "")
    suggested = _QUOTED.findall(suggestion)
    if suggested:
        text += f" (có phải là {', '.join(suggested)}?)"
    return f"{problem.location}: {problem.code}: {text}"


def _values(message: str) -> list[str]:
    """What an English message names, in order and once each: quoted values, then paths, numbers
    and identifiers (anything with a digit, a slash, a dot inside or an underscore)."""
    found: list[str] = []
    for m in _VALUE.finditer(message):
        value = m.group(0).rstrip(".:;,")
        if value and value not in found and not any(value in f for f in found):
            found.append(value)
    return found
