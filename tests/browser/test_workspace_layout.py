"""The officer's workspace as a browser lays it out (issue 11): the item page in two columns
from 1024 px and one on a phone, queue status names on one line at 1280 px, admin tables that
never scroll sideways at 360 px, the dashboard's map and chart labels readable at 360 and
1280 px, and axe-core at zero on the item page and the dashboard in both languages."""
from __future__ import annotations

import re

import pyotp
import pytest

from tests.browser.conftest import _open_page, axe_problems
from tests.factories import PASSWORD, SubmissionFactory, SubscriberFactory, UpdateFactory, UserFactory

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 800}
# The longest status names: each must stay on one line in the queue.
STATUSES = ["new", "in_review", "needs_info", "accepted", "referred", "closed", "duplicate", "rejected"]


def corroborated_events(app) -> None:
    """Events in seven provinces over three years (and one of unknown year and place), each
    linked to two items: the dashboard's year × province table at its widest."""
    from app.extensions import db
    from app.models import RecordLink
    from app.services.records import records
    from app.services.records.records import RecordInput

    sources = [SubmissionFactory(province="KP-09").id for _ in range(2)]
    with app.app_context():
        for index, province in enumerate(["KP-01", "KP-03", "KP-08", "KP-09", "KP-10", "KP-15", "CN", None]):
            place = records.create(db.session, None, RecordInput(kind="place", name=f"장소 {index}", province=province))
            year = None if province is None else 2017 + index % 3
            event = records.create(db.session, None, RecordInput(
                kind="event", name=f"사건 {index}", place_public_id=place.public_id,
                when_precision="year" if year else None, when_year=year))
            db.session.flush()
            db.session.add_all(RecordLink(record_id=event.id, submission_id=item, role="event") for item in sources)
        db.session.commit()


def log_in(page, email: str) -> None:
    """Password, then the first login's TOTP enrollment, through the real forms."""
    page.goto("/staff/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#submit").click()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("#submit").click()
    page.wait_for_url(re.compile(r"/staff/$"))


@pytest.fixture
def staff_page(browser, live_server):
    """open(email, viewport) -> a logged-in page; every context is closed afterwards."""
    contexts = []

    def open_(email, viewport):
        context, page = _open_page(browser, live_server, viewport=viewport)
        contexts.append(context)
        log_in(page, email)
        return page

    yield open_
    for context in contexts:
        context.close()


def box(page, selector):
    found = page.locator(selector).first.bounding_box()
    assert found, f"{selector} is not shown"
    return found


def no_axe_violations(page, where):
    problems = axe_problems(page)
    assert not problems, f"axe on {where}: " + "; ".join(problems)


def test_item_page_has_an_actions_column_from_1024_px(staff_page):
    item = SubmissionFactory(with_thread=True, categories=("V02.1", "V03.2"), in_review=True).public_id
    UserFactory(email="officer@example.org")
    page = staff_page("officer@example.org", DESKTOP)
    page.goto(f"/staff/submissions/{item}")
    main, side = box(page, ".item-main"), box(page, ".item-side")
    assert side["x"] >= main["x"] + main["width"]  # beside the content, on the right
    assert side["y"] < main["y"] + 100  # and starting at the top, not under it
    # The submission and the thread are in the left column; status and recoding on the right.
    assert page.locator(".item-main #thread-title").count() == 1
    assert page.locator(".item-side form#status, .item-side form#categories, .item-side form#hold").count() == 3
    # The ~70 codes are folded; the summary shows the current ones, and opening it needs no script.
    recode = page.locator("details.recode")
    assert recode.get_attribute("open") is None and not page.locator("#category-V01").is_visible()
    assert "V02.1" in recode.locator("summary").inner_text() and "V03.2" in recode.locator("summary").inner_text()
    recode.locator("summary").click()
    assert page.locator("#category-V01").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]

    page.set_viewport_size(PHONE)
    main, side = box(page, ".item-main"), box(page, ".item-side")
    assert side["y"] >= main["y"] + main["height"]  # one column: the actions come after
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_queue_status_names_stay_on_one_line_at_1280_px(staff_page):
    for status in STATUSES:
        SubmissionFactory(status=status, categories=("V02.1", "V03.2", "V05.1"))
    UserFactory(email="officer@example.org")
    page = staff_page("officer@example.org", DESKTOP)
    cells = page.locator("table.queue td.queue-status")
    assert cells.count() == 3 * len(STATUSES)  # kind, status and priority of each row
    lines = page.evaluate("""() => [...document.querySelectorAll('table.queue td.queue-status')].map(cell => {
        const range = document.createRange();
        range.selectNodeContents(cell);
        return [cell.innerText.trim(), new Set([...range.getClientRects()].map(r => Math.round(r.top))).size];
    })""")
    assert {text for text, _ in lines} >= {"추가 확인 필요", "기록 채택", "연계 완료"}
    assert [text for text, count in lines if count != 1] == []
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]


ADMIN_PAGES = ["/admin/users", "/admin/subscribers", "/admin/updates", "/admin/audit", "/admin/health", "/admin/keys"]


def test_admin_tables_do_not_scroll_sideways_at_360_px(staff_page):
    UserFactory(email="admin@example.org", admin=True, name="관리자")
    UserFactory(email="a-very-long-address.for-outreach@example-organization.org", name="김담당")
    SubscriberFactory(email="someone.with.a.long.address@human-rights-group.example.org", organization="북한인권단체",
                      topics="reports,events")
    UpdateFactory()
    SubmissionFactory(in_review=True)
    page = staff_page("admin@example.org", PHONE)
    for path in ADMIN_PAGES:
        assert page.goto(path).status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide"
    page.goto("/admin/users")
    # Each cell says what it is, as the hidden table heading would.
    assert page.locator("table.stack td[data-label='역할']").first.is_visible()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_item_page_and_dashboard_pass_axe(staff_page, app, lang):
    item = SubmissionFactory(with_thread=True, with_notes=True, in_review=True).public_id
    SubmissionFactory(province="KP-01", status="accepted")
    SubmissionFactory(province="CN")
    corroborated_events(app)
    email = f"officer-{lang}@example.org"
    UserFactory(email=email, **({"english": True} if lang == "en" else {}))
    page = staff_page(email, DESKTOP)
    page.goto(f"/staff/submissions/{item}")
    assert page.locator("html").get_attribute("lang") == lang
    no_axe_violations(page, f"item page ({lang})")
    page.locator("details.recode summary").click()
    no_axe_violations(page, f"item page, recoding open ({lang})")
    page.goto("/staff/dashboard")
    assert page.locator("svg.chart-map .map-province").count() == 13
    for summary in page.locator("details.stat-numbers summary").all():
        summary.click()  # the tables too
    assert page.locator("#table-corroborated tbody tr").count() == 4  # three years and "year unknown"
    no_axe_violations(page, f"dashboard ({lang})")
    assert page.third_party_requests == []
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


def test_dashboard_fits_one_screen_at_1280_px(staff_page):
    for province in ("KP-09", "KP-09", "KP-01", "KP-10", "CN"):
        SubmissionFactory(province=province, categories=("V02.1", "V03.2"))
    UserFactory(email="officer@example.org")
    page = staff_page("officer@example.org", DESKTOP)
    page.goto("/staff/dashboard")
    charts = page.evaluate("""() => Math.max(...[...document.querySelectorAll('.dashboard > *')]
        .map(el => el.getBoundingClientRect().bottom))""")
    assert charts <= DESKTOP["height"], f"the charts end at {charts} px"
    assert page.locator(".dashboard script, script").count() == 0  # no chart JavaScript


# Each label's box on the screen, the dots', the map's and the small charts' (label and bar
# boxes per chart): what the map and chart checks measure.
MAP_BOXES = """() => {
  const box = el => { const b = el.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  return {
    map: box(document.querySelector('svg.chart-map')),
    labels: [...document.querySelectorAll('svg.chart-map text.map-label')].map(t => [t.dataset.province, ...box(t)]),
    dots: [...document.querySelectorAll('svg.chart-map circle.map-province')].map(c => [c.dataset.province, ...box(c)]),
    charts: [...document.querySelectorAll('svg.chart-bars')].map(svg => ({
      svg: box(svg),
      labels: [...svg.querySelectorAll('text.chart-label')].map(t => [t.textContent, ...box(t)]),
      bars: [...svg.querySelectorAll('rect.chart-bar')].map(box),
    })),
  };
}"""


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def within(inner, outer) -> bool:
    return outer[0] - 0.5 <= inner[0] and inner[2] <= outer[2] + 0.5 and outer[1] - 0.5 <= inner[1] \
        and inner[3] <= outer[3] + 0.5


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_dashboard_labels_are_readable_at_360_and_1280_px(staff_page, app, lang):
    """Issue 19: every province's label on the map, none covering another or a city's dot, none
    outside the map; the category names beside their bars in full, never under a bar or each
    other; the map's source named under it; axe at zero on a phone too."""
    for province in ("KP-09", "KP-09", "KP-01", "KP-14", "KP-15", "KP-13", "CN", None):
        SubmissionFactory(province=province, categories=("V06.1", "V08.2", "V03.1"))
    corroborated_events(app)  # a wide table: it scrolls in its own box, never the page
    email = f"officer-{lang}@example.org"
    UserFactory(email=email, **({"english": True} if lang == "en" else {}))
    page = staff_page(email, DESKTOP)
    page.goto("/staff/dashboard")
    assert page.locator("html").get_attribute("lang") == lang
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        where = f"{lang} at {viewport['width']} px"
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], where
        found = page.evaluate(MAP_BOXES)
        labels = {code: rest for code, *rest in found["labels"]}
        assert len(labels) == 13 and within(found["map"], [0, 0, viewport["width"], 1e9]), where
        for code, label in labels.items():
            assert within(label, found["map"]), f"{code}'s label leaves the map ({where})"
            assert label[3] - label[1] >= 2 * 10, f"{code}'s label is too small to read ({where})"
            crowded = [other for other, box_ in labels.items() if other != code and overlap(label, box_)]
            crowded += [dot for dot, *box_ in found["dots"] if overlap(label, box_)]
            assert not crowded, f"{code}'s label covers {crowded} ({where})"
        for chart in found["charts"]:
            bars_start = min(bar[0] for bar in chart["bars"])
            for text, *label in chart["labels"]:
                assert within(label, chart["svg"]) and label[2] <= bars_start, f"{text} is cut off ({where})"
            assert not any(overlap(a[1:], b[1:]) for i, a in enumerate(chart["labels"])
                           for b in chart["labels"][i + 1:]), where
    source = page.locator(".map-source").inner_text()
    assert source == ("지도 출처: Natural Earth (저작권 없는 공개 자료)" if lang == "ko"
                      else "Map: Natural Earth (public domain)")
    no_axe_violations(page, f"dashboard at 360 px ({lang})")
    assert page.third_party_requests == []


def test_the_actions_stay_in_view_while_a_long_account_scrolls(staff_page):
    """Issue 19: on an account of 20,000 characters the action column scrolled away."""
    item = SubmissionFactory(narrative="회령 보위부 구류장에서 있었던 일입니다. " * 800, in_review=True).public_id
    UserFactory(email="officer@example.org")
    page = staff_page("officer@example.org", DESKTOP)
    page.goto(f"/staff/submissions/{item}")
    page.locator("#note").scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 3000
    status = box(page, ".item-side form#status")
    assert 0 <= status["y"] < DESKTOP["height"], status  # still on screen


def test_a_contact_request_has_its_own_layout(staff_page):
    """No seven empty report rows above the person's message (issue 19)."""
    item = SubmissionFactory(contact_request=True).public_id
    UserFactory(email="officer@example.org")
    page = staff_page("officer@example.org", DESKTOP)
    page.goto(f"/staff/submissions/{item}")
    message = box(page, ".item-main .narrative")
    assert message["y"] < 600, message
    assert page.locator(".item-main #files-title").count() == 0
    assert "탈북 과정에서 겪은 일을" in page.locator(".item-main .narrative").inner_text()
    no_axe_violations(page, "a contact request")
