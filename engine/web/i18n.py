"""The web app's own texts, Vietnamese and English (the report's texts come from the renderer)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, tuple[str, str]] = {
    "app": ("Đánh giá xã nông thôn mới", "New-rural commune assessment"),
    "skip": ("Bỏ qua, đến nội dung chính", "Skip to main content"),
    "nav_evaluate": ("Đánh giá một xã", "Evaluate a commune"),
    "nav_batch": ("Nhiều xã (Excel)", "Many communes (Excel)"),
    "nav_history": ("Lịch sử quyết định", "Decision history"),
    "nav_province": ("Toàn tỉnh", "Province view"),
    "signed_in_as": ("Đăng nhập:", "Signed in:"),
    "sign_in": ("Đăng nhập", "Sign in"),
    "sign_out": ("Đăng xuất", "Sign out"),
    "username": ("Tên đăng nhập", "User name"),
    "password": ("Mật khẩu", "Password"),
    "signin_failed": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong user name or password."),
    "signin_locked": ("Đăng nhập sai quá nhiều lần: tài khoản tạm khóa 15 phút.",
                      "Too many failed attempts: the account is locked for 15 minutes."),
    "lang_other": ("English", "Tiếng Việt"),
    "role_officer": ("cán bộ đánh giá", "officer"),
    "role_reviewer": ("cán bộ kiểm tra", "reviewer"),
    "role_admin": ("quản trị", "admin"),
    "home_intro": ("Chọn việc cần làm.", "Choose what to do."),
    "pack": ("Bộ tiêu chí", "Criteria pack"),
    "all_packs": ("Tất cả bộ tiêu chí áp dụng cho xã", "Every pack that applies to the commune"),
    "change_pack": ("Đổi bộ tiêu chí", "Change pack"),
    "commune": ("Thông tin xã", "The commune"),
    "commune_name": ("Tên xã", "Commune name"),
    "district": ("Huyện", "District"),
    "province": ("Tỉnh", "Province"),
    "region": ("Vùng", "Region"),
    "as_of": ("Ngày số liệu", "Data as of"),
    "date_help": ("dd/mm/yyyy", "dd/mm/yyyy"),
    "recognitions": ("Quyết định công nhận", "Recognition decisions"),
    "tier": ("Hạng", "Tier"),
    "decision_no": ("Số quyết định", "Decision number"),
    "decision_date": ("Ngày quyết định", "Decision date"),
    "partial_date_help": ("dd/mm/yyyy, hoặc chỉ năm", "dd/mm/yyyy, or only the year"),
    "none": ("— không —", "— none —"),
    "facts": ("Số liệu của xã", "Commune facts"),
    "hamlets": ("Các ấp", "Hamlets"),
    "hamlet_name": ("Tên ấp", "Hamlet name"),
    "hamlet_n": ("Ấp thứ {n}", "Hamlet {n}"),
    "add_hamlet": ("Thêm một ấp", "Add a hamlet"),
    "value_help": ("Ví dụ: có / không; 1.362/1.508; 90,32%; trên 90%",
                   "E.g. yes / no; 1362/1508; 90.32%; over 90%"),
    "used_by": ("Dùng cho", "Used by"),
    "evaluate": ("Đánh giá", "Evaluate"),
    "download_facts": ("Tải bộ số liệu (JSON)", "Download the fact set (JSON)"),
    "upload_facts": ("Nạp bộ số liệu (YAML/JSON)", "Load a fact set (YAML/JSON)"),
    "upload": ("Nạp", "Load"),
    "file": ("Tệp", "File"),
    "errors_title": ("Cần sửa trước khi đánh giá", "Fix these first"),
    "status_pending": ("Điền số liệu để xem kết quả", "Type a value to see the result"),
    "status_unused": ("Bộ tiêu chí đã chọn không dùng số liệu này (vẫn được lưu)",
                      "The chosen pack does not use this fact (it is still saved)"),
    "status_commune_first": ("Điền thông tin xã trước", "Fill in the commune first"),
    "margin": ("chênh lệch", "margin"),
    "result": ("Kết quả đánh giá", "Assessment result"),
    "draft": ("Chưa lưu: đây là kết quả xem trước.", "Not saved: this is a preview."),
    "print": ("In (A4)", "Print (A4)"),
    "open_print": ("Mở bản in", "Open the printable report"),
    "save_decision": ("Lưu thành quyết định", "Save as decision"),
    "back_to_form": ("Sửa số liệu", "Edit the facts"),
    "whatif": ("Giả định (what-if)", "What if"),
    "whatif_intro": ("Thay một số liệu để xem chỉ tiêu nào đổi trạng thái. Đây chỉ là giả định: không lưu gì.",
                     "Change a value to see which statuses move. A hypothesis only: nothing is saved."),
    "whatif_fact": ("Số liệu", "Fact"),
    "whatif_value": ("Giá trị giả định", "Hypothetical value"),
    "whatif_run": ("Xem thay đổi", "Show what moves"),
    "hypothesis": ("GIẢ ĐỊNH — không phải kết quả chính thức", "HYPOTHESIS — not an official result"),
    "nothing_moved": ("Không có trạng thái nào thay đổi.", "No status moves."),
    "moved_ref": ("Mục", "Item"),
    "before": ("Trước", "Before"),
    "after": ("Sau", "After"),
    "report_frame": ("Báo cáo đánh giá", "Assessment report"),
    "decision": ("Quyết định", "Decision"),
    "saved": ("Đã lưu vào sổ quyết định.", "Saved in the decision log."),
    "who": ("Người lập", "By"),
    "when": ("Thời điểm (UTC)", "When (UTC)"),
    "pack_version": ("Bộ tiêu chí (phiên bản)", "Pack (version)"),
    "verdict": ("Kết luận", "Verdict"),
    "checked": ("Đã kiểm tra", "Checked"),
    "mark_checked": ("Đánh dấu đã kiểm tra", "Mark as checked"),
    "comment": ("Ý kiến", "Comment"),
    "signoffs": ("Kiểm tra", "Reviews"),
    "no_signoff": ("Chưa kiểm tra", "Not yet checked"),
    "no_decisions": ("Chưa có quyết định nào.", "No decision yet."),
    "filter": ("Lọc", "Filter"),
    "any": ("Tất cả", "Any"),
    "batch_intro": ("1. Tải mẫu Excel của bộ tiêu chí. 2. Điền mỗi xã một dòng. 3. Nạp lại tệp.",
                    "1. Download the pack's Excel template. 2. Fill one commune per row. 3. Upload it."),
    "download_template": ("Tải mẫu Excel", "Download the template"),
    "upload_workbook": ("Nạp tệp đã điền (.xlsx hoặc .csv)", "Upload the filled file (.xlsx or .csv)"),
    "start_batch": ("Đánh giá các xã", "Evaluate the communes"),
    "progress": ("Tiến độ", "Progress"),
    "rows_done": ("{done} dòng đã xử lý", "{done} rows done"),
    "batch_failed": ("Không xử lý được tệp", "The file could not be processed"),
    "download_results": ("Tải kết quả (Excel)", "Download the results (Excel)"),
    "row": ("Dòng", "Row"),
    "failing": ("Chưa đạt", "Failing"),
    "missing": ("Thiếu số liệu", "Missing facts"),
    "failing_criterion": ("Tiêu chí chưa đạt", "Failing criterion"),
    "error": ("lỗi", "error"),
    "province_intro": ("Tổng hợp từ sổ quyết định: quyết định mới nhất của mỗi xã theo từng bộ tiêu chí.",
                       "From the decision log: each commune's latest decision per pack."),
    "by_verdict": ("Số xã theo kết luận", "Communes by verdict"),
    "by_criterion": ("Tỷ lệ xã chưa đạt theo tiêu chí", "Share of communes failing, per criterion"),
    "top_missing": ("Số liệu thiếu nhiều nhất", "Facts most often missing"),
    "communes": ("Số xã", "Communes"),
    "share": ("Tỷ lệ", "Share"),
    "criterion": ("Tiêu chí", "Criterion"),
    "targets": ("Mục tiêu của chương trình", "Programme targets"),
    "no_targets": ("Không bộ tiêu chí nào nêu mục tiêu số xã; không có gì để so.",
                   "No pack states a target number of communes; nothing to compare."),
    "chart": ("Biểu đồ", "Chart"),
    "table": ("Bảng số liệu", "Table"),
    "not_reproducible": ("Bộ tiêu chí đã thay đổi: không dựng lại được báo cáo của quyết định này.",
                         "The packs changed since: this decision's report cannot be rebuilt."),
    "forbidden": ("Tài khoản không có quyền này.", "Your account may not do this."),
    "bad_request": ("Yêu cầu không hợp lệ (mã chống giả mạo sai hoặc hết hạn). Tải lại trang và thử lại.",
                    "Invalid request (the anti-forgery token is wrong or expired). Reload and try again."),
}
VERDICT = {"certified": ("Đạt", "Certified"), "not_certified": ("Chưa đạt", "Not certified"),
           "incomplete": ("Chưa đủ số liệu", "Incomplete"), "error": ("Lỗi dòng", "Row error"),
           "keep": ("Giữ công nhận", "Keep"), "revoke": ("Thu hồi", "Revoke")}
STATUS = {"pass": ("Đạt", "Pass"), "fail": ("Chưa đạt", "Fail"), "missing": ("Thiếu số liệu", "Missing"),
          "undecidable": ("Chưa xác định được", "Undecidable"), "incomplete": ("Chưa đủ", "Incomplete"),
          "not_applicable": ("Không áp dụng", "Not applicable"), "—": ("—", "—")}


def t(key: str, lang: str, **kw: Any) -> str:
    vi, en = TEXTS[key]
    text = vi if lang == "vi" else en
    return text.format(**kw) if kw else text


def verdict_text(code: str, lang: str) -> str:
    pair = VERDICT.get(code, (code, code))
    return pair[0] if lang == "vi" else pair[1]


def status_text(code: str, lang: str) -> str:
    pair = STATUS.get(code, (code, code))
    return pair[0] if lang == "vi" else pair[1]


def pick(label: Any, lang: str) -> str:
    """A {vi, en} label (dict or object) in the page's language."""
    if label is None:
        return ""
    if isinstance(label, dict):
        return str(label.get(lang) or label.get("vi") or "")
    return str(getattr(label, lang, None) or getattr(label, "vi", ""))
