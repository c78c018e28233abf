"""The officer's path in a real browser (Debian's Chromium through Playwright), against the service
served by uvicorn on 127.0.0.1 with a SQLite log in a tmp folder. Screenshots (vi) go to
docs/screenshots/web/; axe-core checks every page for serious accessibility violations."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

from .browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    axe_serious,
    dump,
    need_browser,
    pdf_text,
    shot,
)
from .conftest import PASSWORD, SEED, SEED_PACK

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
RECORDS = "#f-commune_records_online"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    need_browser()
    from ntmcert.service.db import Database
    from ntmcert.service.migrate import upgrade
    from ntmcert.service.settings import Settings
    from ntmcert.web import create_app
    from ntmcert.web.accounts import Accounts

    tmp = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{tmp / 'ntmcert.sqlite3'}"
    db = Database(url)
    upgrade(db)
    Accounts(db).create("can.bo", "Nguyễn Văn An", "officer", PASSWORD)
    Accounts(db).create("kiem.tra", "Trần Thị Bình", "reviewer", PASSWORD)
    with Server(create_app(Settings(database_url=url, data_dir=tmp), db=db)) as srv:
        yield srv
    db.dispose()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser, server, user: str = "can.bo", *, width: int = 1366, height: int = 768, csp: bool = False):
    # bypass_csp: only so the test can inject axe-core; test_phone_width… runs under the pages' CSP
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=server.url,
                                  bypass_csp=not csp, accept_downloads=True, locale="vi-VN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/web/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/web/")
    return page


def no_serious(page) -> None:
    found = axe_serious(page)
    assert not found, dump(found)


def test_sign_in_page_is_accessible_and_refuses_a_wrong_password(browser, server):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=server.url, bypass_csp=True)
    page = context.new_page()
    page.goto("/web/evaluate")
    assert page.url.endswith("/web/login")  # not signed in: sent to the sign-in page
    shot(page, "01-sign-in")
    no_serious(page)
    page.fill("#username", "can.bo")
    page.fill("#password", "sai mật khẩu rồi")
    page.click("button[type=submit]")
    assert "Sai tên đăng nhập hoặc mật khẩu" in page.inner_text("#login-error")
    context.close()


def test_evaluate_thanh_phu_live_status_whatif_save_and_print(browser, server, tmp_path):
    page = new_page(browser, server)
    page.goto(f"/web/evaluate?pack={SEED_PACK}")
    page.click("summary")
    page.set_input_files("#upload-file", str(SEED))
    page.click("form[action='/web/evaluate/upload'] button")
    assert page.input_value("#c-name") == "Thạnh Phú"
    # typed as an officer types it: the live status beside the field answers
    page.fill(RECORDS, "")
    page.type(RECORDS, "1.362/1.508")
    status = page.locator("#f-commune_records_online-status")
    status.locator("text=+5,32 điểm %").wait_for()
    assert "Đạt" in status.inner_text()
    page.fill(RECORDS, "1.200/1.508")
    status.locator(".status-fail").wait_for()
    assert "Chưa đạt" in status.inner_text() and "cần thêm" in status.inner_text()
    page.fill(RECORDS, "1.362/1.508")
    status.locator("text=+5,32 điểm %").wait_for()
    page.locator(RECORDS).scroll_into_view_if_needed()
    shot(page, "02-evaluate-form")
    no_serious(page)

    page.click("button[value=evaluate]")
    page.wait_for_url("**/web/evaluate")
    assert "Kết quả đánh giá — Thạnh Phú" in page.inner_text("h1")
    report = page.frame_locator("#report-frame")
    assert "+5,32 điểm %" in report.locator("body").inner_text()
    # what-if: a hypothesis, every status that moves, nothing saved
    page.select_option("#whatif-fact", "commune_records_online")
    page.fill("#whatif-value", "1.200/1.508")
    page.click(".whatif-form button")
    row = page.locator("#whatif-result tr[data-ref='tv.smart.gov.records_online']")
    row.wait_for()
    assert "Đạt" in row.inner_text() and "Chưa đạt" in row.inner_text()
    assert "GIẢ ĐỊNH" in page.inner_text("#whatif-result")
    shot(page, "03-result-whatif")
    no_serious(page)

    page.click("#save-decision")
    page.wait_for_url(re.compile(r".*/web/decisions/[0-9a-f]{32}\?saved=1"))
    assert "Đã lưu vào sổ quyết định" in page.inner_text("main")
    assert page.inner_text("#decision-outcome") == "Chưa đủ số liệu"
    shot(page, "04-decision")
    no_serious(page)
    page.click("#open-report")
    page.wait_for_load_state()
    pdf = page.pdf(format="A4", print_background=True)
    text = " ".join(pdf_text(pdf, tmp_path).split())  # table cells wrap: compare the words
    assert "BÁO CÁO KẾT QUẢ ĐÁNH GIÁ MỨC ĐẠT CHUẨN NÔNG THÔN MỚI" in text and "Thạnh Phú" in text
    assert "+5,32 điểm %" in text
    page.context.close()


def test_batch_upload_three_communes_and_download_results(browser, server):
    page = new_page(browser, server)
    page.goto("/web/batch")
    page.select_option("#tpl-pack", SEED_PACK)
    with page.expect_download() as dl:
        page.click("#download-template")
    wb = openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()))
    ws = wb.worksheets[0]
    ids = [c.value for c in ws[1]]
    rows = [("Thạnh Phú", 1362, "có"), ("Xã Một", 1000, "không"), ("Xã Hai", None, "có")]
    for n, (name, count, irrigation) in enumerate(rows):
        values = {"commune.name": name, "commune.province": "Trà Vinh", "commune.region": "dbscl",
                  "as_of": "31/08/2024", "facts.commune_records_online.count": count,
                  "facts.commune_records_online.of": 1508 if count else None,
                  "facts.smart_irrigation_model": irrigation}
        for key, value in values.items():
            ws.cell(row=4 + n, column=ids.index(key) + 1, value=value)
    filled = io.BytesIO()
    wb.save(filled)
    page.select_option("#batch-pack", SEED_PACK)
    page.set_input_files("#batch-file", files=[{"name": "ba-xa.xlsx", "mimeType": "application/octet-stream",
                                                 "buffer": filled.getvalue()}])
    page.click("form[action='/web/batch'] button[type=submit]")
    page.locator("#download-results").wait_for(timeout=60_000)
    table = page.locator("table.results tbody tr")
    assert table.count() == 3
    assert "Xã Một" in page.inner_text("table.results")
    shot(page, "05-batch-results")
    no_serious(page)
    page.select_option("#b-criterion", "tv.smart.gov")
    page.click(".filters button")
    assert page.locator("table.results tbody tr").count() == 1  # only Xã Một fails the records indicator
    with page.expect_download() as dl:
        page.click("#download-results")
    out = openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()))
    cells = {c.value for ws in out.worksheets for row in ws.iter_rows() for c in row}
    assert {name for name, _, _ in rows} <= cells  # the three communes, each with its results row
    page.context.close()


def _log_communes(app) -> None:
    """Three more communes in the log (one failing the records indicator), as officers' decisions."""
    import json

    from ntmcert.service import flows

    for name, count in (("Xã Một", 1000), ("Xã Hai", 1400), ("Xã Ba", 1300)):
        factset = {"format": "ntmcert/factset/v1", "as_of": "2024-08-31",
                   "commune": {"name": name, "province": "Trà Vinh", "region": "dbscl"},
                   "facts": {"commune_records_online": {"count": count, "of": 1508},
                             "smart_irrigation_model": {"value": True}}}
        body = json.dumps({"factset": factset, "packs": [SEED_PACK], "lang": "vi"}, ensure_ascii=False).encode()
        req = flows.parse("evaluation", body, "application/json", {})
        flows.decide("evaluation", req, app.state.log, key_id="web:can.bo", request_id=name,
                     idempotency_key=None, engine=app.state.settings.engine)


def test_history_sign_off_and_province_view(browser, server):
    _log_communes(server.app)
    page = new_page(browser, server, "kiem.tra")
    page.goto("/web/decisions")
    assert "Thạnh Phú" in page.inner_text("table.history")
    shot(page, "06-history")
    no_serious(page)
    page.click("table.history tbody tr:has-text('Thạnh Phú') a >> nth=1")
    page.fill("#comment", "Đã đối chiếu với hồ sơ.")
    page.click("text=Đánh dấu đã kiểm tra")
    assert "Đã đối chiếu với hồ sơ." in page.inner_text("ul.signoffs")
    page.goto("/web/province")
    pair = page.locator(".chart-pair[data-chart='criteria']").first
    bars = pair.locator("g.bar")
    table_rows = pair.locator("tbody tr")
    assert bars.count() == table_rows.count() > 0
    assert pair.locator("tr[data-label='tv.smart.gov'] td.share").inner_text() == "25,0%"  # 1 of 4 communes
    for i in range(bars.count()):
        bar, row = bars.nth(i), table_rows.nth(i)
        assert bar.get_attribute("data-label") == row.get_attribute("data-label")
        cells = row.locator("td")
        assert bar.get_attribute("data-value") == cells.nth(1).inner_text()
        assert bar.locator("text.value").text_content() == cells.nth(2).inner_text()
    verdicts = page.locator(".chart-pair[data-chart='verdicts']").first
    for i in range(verdicts.locator("g.bar").count()):
        assert (verdicts.locator("g.bar").nth(i).locator("text.value").text_content()
                == verdicts.locator("tbody tr").nth(i).locator("td").nth(1).inner_text())
    shot(page, "07-province")
    no_serious(page)
    page.context.close()


def test_phone_width_keyboard_english_under_the_content_security_policy(browser, server):
    page = new_page(browser, server, width=390, height=844, csp=True)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"/web/evaluate?pack={SEED_PACK}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scrolling
    shot(page, "08-evaluate-phone")
    page.click("summary")
    page.set_input_files("#upload-file", str(SEED))
    page.click("form[action='/web/evaluate/upload'] button")
    page.fill(RECORDS, "1.200/1.508")  # htmx and the page's script run under script-src 'self'
    page.locator("#f-commune_records_online-status .status-fail").wait_for()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.goto(f"/web/evaluate?pack={SEED_PACK}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.click("text=English")
    assert page.inner_text("h1") == "Evaluate a commune"
    page.context.close()
