"""Full-page screenshots of the public pages at a phone's width (360 px), for a human to look at:
Korean must render (no empty boxes), nothing may overflow, error messages must be visible.

    .venv/bin/python bench/screenshot.py OUTDIR

The app runs with DevelopmentConfig on a throw-away instance directory and SQLite database,
served on 127.0.0.1, and is driven by Debian's Chromium (/usr/bin/chromium) with JavaScript
off. For each page the script also prints whether anything is wider than the viewport, and
exits with 1 if something is.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
WIDTH = 360

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
        return shoot_all(Path(outdir), instance)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def shoot_all(out: Path, instance: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    # config.py reads these when it is imported, so they are set first.
    os.environ["INSTANCE_DIR"] = str(instance)
    os.environ["DATABASE_URL"] = f"sqlite:///{instance / 'moksori.sqlite3'}"
    os.environ.pop("UPLOAD_DIR", None)
    sys.path.insert(0, str(ROOT))

    from flask_migrate import upgrade
    from playwright.sync_api import sync_playwright
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
    base = f"http://127.0.0.1:{server.server_port}"
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
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            )
            context = browser.new_context(base_url=base, locale="ko-KR", java_script_enabled=False,
                                          viewport={"width": WIDTH, "height": 800})
            page = context.new_page()

            page.goto("/ko/")
            shoot(page, "01-ko-home")
            page.goto("/ko/report")
            shoot(page, "02-ko-report")

            # Errors: an impossible year and a channel without a handle, besides the empty account.
            page.get_by_label("몇 년도였는지 압니다").check()
            page.get_by_label("연도", exact=True).fill("1900")
            page.get_by_label("장소 (마을, 시설, 주변 건물 등)").fill("회령시")
            page.get_by_label("어떤 방법으로 연락드릴까요?").select_option(value="signal")
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
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
