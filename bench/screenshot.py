"""Full-page screenshots of the public pages at a phone's width (360 px), for a human to look at:
Korean must render (no empty boxes), nothing may overflow, error messages must be visible.

    .venv/bin/python bench/screenshot.py OUTDIR
    .venv/bin/python bench/screenshot.py --readme     # the pictures in README.md, in docs/screenshots/

With --readme the database is first filled with `flask demo seed`'s data (300 items, fixed random
seed) and an officer logs in (password, then TOTP) with the organization's keys, so that the
officer's item page and the dashboard show real-looking work at 1280 px; the Korean home, report
form and receipt page are taken at 360 px.

The app runs with DevelopmentConfig on a throw-away instance directory and SQLite database,
served on 127.0.0.1, and is driven by Debian's Chromium (/usr/bin/chromium) with JavaScript
off. For each page the script also prints whether anything is wider than the viewport, and
exits with 1 if something is.
"""
from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
WIDTH = 360
DESKTOP = 1280
README_DIR = ROOT / "docs" / "screenshots"
OFFICER = ("officer@example.org", "demo-password-for-screenshots")

# Elements whose right edge passes the viewport (the honeypot and skip link are off-screen on purpose).
OVERFLOW = f"""() => {{
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {{
    if (el.closest('.hp, .skip-link')) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > {WIDTH} + 0.5)
      wide.push(`${{el.tagName.toLowerCase()}}.${{el.className}} right=${{Math.round(box.right)}}`);
  }}
  return {{scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 10)}};
}}"""


def main(outdir: str) -> int:
    instance = Path(tempfile.mkdtemp(prefix="moksori-shots-"))
    try:
        if outdir == "--readme":
            return shoot_readme(README_DIR, instance)
        return shoot_all(Path(outdir), instance)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def serve(instance: Path):
    """The app on a throw-away instance directory and SQLite database, migrated, served on
    127.0.0.1: (app, server, base URL)."""
    # config.py reads these when it is imported, so they are set first.
    os.environ["INSTANCE_DIR"] = str(instance)
    os.environ["DATABASE_URL"] = f"sqlite:///{instance / 'moksori.sqlite3'}"
    os.environ.pop("UPLOAD_DIR", None)
    sys.path.insert(0, str(ROOT))

    from flask_migrate import upgrade
    from werkzeug.serving import WSGIRequestHandler, make_server

    from app import create_app
    from config import DevelopmentConfig

    app = create_app(DevelopmentConfig)
    with app.app_context():
        upgrade(revision="heads")  # like tests/conftest.py: every branch of the migrations

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args):
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, server, f"http://127.0.0.1:{server.server_port}"


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    )


def shoot_all(out: Path, instance: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    _app, server, base = serve(instance)
    problems = 0

    def shoot(page, name):
        nonlocal problems
        path = out / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        report = page.evaluate(OVERFLOW)
        overflow = report["scrollWidth"] > WIDTH or report["wide"]
        problems += bool(overflow)
        print(f"{path}  scrollWidth={report['scrollWidth']}" + (f"  OVERFLOW {report['wide']}" if overflow else ""))

    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            context = browser.new_context(base_url=base, locale="ko-KR", java_script_enabled=False,
                                          viewport={"width": WIDTH, "height": 800})
            page = context.new_page()

            page.goto("/ko/")
            shoot(page, "01-ko-home")
            page.goto("/ko/report")
            shoot(page, "02-ko-report")

            # Errors: an impossible year and a channel without a handle, besides the empty account.
            # The sections are folded (<details>): open them, as a reader would one by one.
            page.evaluate("document.querySelectorAll('details.fold').forEach(d => { d.open = true; })")
            page.get_by_label("몇 년도였는지 압니다").check()
            page.get_by_label("연도", exact=True).fill("1900")
            page.get_by_label("장소 (마을, 시설, 주변 건물 등)").fill("회령시")
            page.get_by_label("Signal", exact=True).check()
            shoot(page, "02b-ko-report-contact-open")
            page.get_by_role("button", name="제보 보내기").click()
            shoot(page, "03-ko-report-errors")

            page.goto("/ko/report")
            page.get_by_role("textbox", name="어떤 일이 있었나요?").fill(
                "2015년 회령 보위부 구류장에서 고문을 당했습니다.")
            page.get_by_role("button", name="제보 보내기").click()
            code = page.locator("#receipt-code").inner_text()
            shoot(page, "04-ko-receipt-code")

            page.goto("/ko/receipt")
            shoot(page, "05-ko-receipt")
            page.get_by_label("접수 번호").fill(code)
            page.get_by_role("button", name="확인", exact=True).click()
            shoot(page, "06-ko-receipt-status")

            page.goto("/en/report")
            shoot(page, "07-en-report")
            page.goto("/ko/safety")
            shoot(page, "08-ko-safety")
            page.goto("/ko/contact")
            shoot(page, "09-ko-contact")
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return 1 if problems else 0


def seed_demo(app) -> str:
    """The organization's keys, an officer who holds them, and 300 demonstration items
    (indexed for search): the public id of an item with a conversation, for the item page."""
    import sqlalchemy as sa

    from app.cli.demo import seed
    from app.extensions import db
    from app.models import Message, Submission
    from app.sealed import keys
    from app.services.accounts import create_user

    with app.app_context():
        keyring, _code = keys.create_keys(db.session, "cli")
        create_user(db.session, OFFICER[0], OFFICER[1], role="officer", name="김담당", languages=["ko", "en"],
                    keyring=keyring, contact_access=True)
        db.session.commit()
        # Made-up data with a fixed seed, so the pictures come out the same each time.
        seed(db.session, 300, app.config["UPLOAD_DIR"], random.Random(11), keyring)  # nosec B311
        with_thread = (sa.select(Submission.public_id).join(Message, Message.submission_id == Submission.id)
                       .where(Submission.kind == "report", Submission.status == "in_review", Submission.locale == "ko")
                       .group_by(Submission.public_id).having(sa.func.count(Message.id) >= 2)
                       .order_by(Submission.public_id).limit(1))
        return db.session.scalar(with_thread) or db.session.scalar(sa.select(Submission.public_id).limit(1))


def log_in(page) -> None:
    """The officer's first login through the real forms: password, then TOTP enrollment."""
    import pyotp

    page.goto("/staff/login")
    page.fill("#email", OFFICER[0])
    page.fill("#password", OFFICER[1])
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.fill("#code", pyotp.TOTP(secret).now())
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url("**/staff/")


def optimize(path: Path) -> None:
    """Smaller PNGs for the repository: a page is a few flat colours and anti-aliased text, so
    a 256-colour palette (no dithering) looks the same at a third of the size."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                              dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def shoot_readme(out: Path, instance: Path) -> int:
    """The README's pictures: the Korean home, report form and receipt page at 360 px (full
    page), the officer's item page and the dashboard at 1280 × 900 (the first screen)."""
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    app, server, base = serve(instance)
    public_id = seed_demo(app)
    shots = []

    def shoot(page, name, full_page):
        path = out / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        optimize(path)
        shots.append(path)
        print(f"{path}  {path.stat().st_size // 1024} KB")

    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            phone = browser.new_context(base_url=base, locale="ko-KR", java_script_enabled=False,
                                        viewport={"width": WIDTH, "height": 800})
            page = phone.new_page()
            page.goto("/ko/")
            shoot(page, "ko-home-360", True)
            page.goto("/ko/report")
            shoot(page, "ko-report-360", True)
            page.get_by_role("textbox", name="어떤 일이 있었나요?").fill(
                "2015년 회령 보위부 구류장에서 고문을 당했습니다.")
            page.get_by_role("button", name="제보 보내기").click()
            page.locator("#receipt-code").wait_for()
            shoot(page, "ko-receipt-360", True)

            desk = browser.new_context(base_url=base, locale="ko-KR", viewport={"width": DESKTOP, "height": 900})
            page = desk.new_page()
            log_in(page)
            page.goto(f"/staff/submissions/{public_id}")
            # The action column sticks to the window and scrolls on its own when it is taller: a
            # window as tall as the page shows all of it in one picture.
            page.set_viewport_size({"width": DESKTOP,
                                    "height": page.evaluate("document.documentElement.scrollHeight")})
            shoot(page, "staff-item-1280", True)
            page.set_viewport_size({"width": DESKTOP, "height": 900})
            page.goto("/staff/dashboard")
            shoot(page, "staff-dashboard-1280", False)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
