"""The spreadsheet import's pages in a real browser (JavaScript on only for axe: nothing on them uses it;
the flow is plain forms and links): a group joins through the real pages and goes from its space to the
form, its problems table and the status page, in Korean and English, at 360 px wide, with no axe violation."""
from __future__ import annotations

import csv
import io

import pytest

from app.services.groups import import_jobs
from app.services.groups.sheet_template import COLUMNS
from tests.browser.conftest import axe_problems
from tests.groups.pages import PASSPHRASE, create_group

TEXT = {"ko": {"submit": "확인하고 올리기", "problems": "아무것도 올라가지 않았습니다", "done": "완료되었습니다"},
        "en": {"submit": "Check and import", "problems": "Nothing was imported", "done": "Done"}}


def join_in_browser(app, auth, page) -> None:
    """An admin invites a group; the browser joins with the code (joining logs it in)."""
    admin = app.test_client()
    auth.login("admin", client=admin)
    page.goto("/ko/group/join")
    page.fill("#code", create_group(admin))
    page.fill("#passphrase", PASSPHRASE)
    page.fill("#passphrase_again", PASSPHRASE)
    page.click("main form [type=submit]")
    assert page.locator("#group-recovery-code").is_visible()


def sheet(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.name for column in COLUMNS])
    for row in rows:
        writer.writerow([row.get(column.name, "") for column in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def fits_360(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_import_form_errors_and_status_without_javascript(app, auth, page_js_on, lang):
    page = page_js_on
    page.set_viewport_size({"width": 360, "height": 800})
    join_in_browser(app, auth, page)
    page.goto(f"/{lang}/group/space")
    page.click(f'a[href="/{lang}/group/import"]')  # the space links the import
    assert page.url.endswith(f"/{lang}/group/import")
    assert not axe_problems(page) and fits_360(page)
    bad = sheet([{"narrative": "x" * 30, "province": "Atlantis", "files": "없는파일이름이아주길어서줄을넘는사진.jpg"}])
    page.set_input_files("#sheet", {"name": "sheet.csv", "mimeType": "text/csv", "buffer": bad})
    page.get_by_role("button", name=TEXT[lang]["submit"]).click()
    assert TEXT[lang]["problems"] in page.content()
    problems = axe_problems(page)
    assert not problems, "\n".join(problems)
    assert fits_360(page)
    good = sheet([{"narrative": "회령에서 있었던 일입니다.", "province": "KP-09"}])
    page.set_input_files("#sheet", {"name": "sheet.csv", "mimeType": "text/csv", "buffer": good})
    page.get_by_role("button", name=TEXT[lang]["submit"]).click()
    import_jobs.wait(page.url.rsplit("/", 1)[-1])
    page.reload()
    assert TEXT[lang]["done"] in page.content()
    problems = axe_problems(page)
    assert not problems, "\n".join(problems)
    assert fits_360(page)
