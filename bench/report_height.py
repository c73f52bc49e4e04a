"""How tall the report form is on a phone (360 px) and on a laptop (1280 px), with JavaScript
off, in both languages, and where its account box starts: as first shown, and after sending it
empty (the error summary shown).
Optionally saves full-page screenshots to look at.

    .venv/bin/python bench/report_height.py [--shots OUTDIR]

A throw-away instance (DevelopmentConfig, SQLite, real migrations) served on 127.0.0.1 and
Debian's Chromium (/usr/bin/chromium). Heights are CSS pixels of the whole document.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
WIDTHS = (360, 1280)
SEND = {"ko": "제보 보내기", "en": "Send report"}


def fill_with_a_year_error(page) -> None:
    """A year out of range (its folded section must come back open) and a place (its section
    must come back folded, saying one question was answered), as a person would: by opening
    the sections. Works on the form before folding too (the fields are then just visible)."""
    for section, action in (("#section-when", lambda: (page.check('input[name="when_precision"][value="year"]'),
                                                       page.fill("#when_year", "3000"))),
                            ("#section-where", lambda: page.fill("#place", "회령시"))):
        if page.locator(f"{section} > summary").count():
            page.locator(f"{section} > summary").click()
        action()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shots", help="directory for full-page screenshots")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="moksori-height-"))
    os.environ["INSTANCE_DIR"] = str(instance)  # config.py reads these when it is imported
    os.environ["DATABASE_URL"] = f"sqlite:///{instance / 'moksori.sqlite3'}"
    sys.path.insert(0, str(ROOT))

    from flask_migrate import upgrade
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import WSGIRequestHandler, make_server

    from app import create_app
    from config import DevelopmentConfig

    app = create_app(DevelopmentConfig)
    with app.app_context():
        upgrade(revision="heads")

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args):
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    shots = Path(args.shots) if args.shots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    # Each column: the page's height, then where the account box starts (issue 19: within 1,000 px).
    print(f"{'page':<36}" + "".join(f"{f'{width} px: height, account box at':>34}" for width in WIDTHS))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for lang in ("ko", "en"):
                for state in ("empty form", "sent empty (errors)", "year error, place given"):
                    heights = []
                    for width in WIDTHS:
                        context = browser.new_context(viewport={"width": width, "height": 800},
                                                      java_script_enabled=False, locale=f"{lang}-KR")
                        page = context.new_page()
                        page.goto(f"{base}/{lang}/report")
                        if state == "year error, place given":
                            fill_with_a_year_error(page)
                        if state != "empty form":
                            with page.expect_navigation():
                                page.get_by_role("button", name=SEND[lang]).click()
                        box = page.locator("#narrative").bounding_box()
                        heights.append((page.evaluate("document.documentElement.scrollHeight"), round(box["y"])))
                        if shots:
                            name = f"report-{lang}-{state.split()[0]}-{width}.png"
                            page.screenshot(path=str(shots / name), full_page=True)
                        context.close()
                    print(f"{f'/{lang}/report, {state}':<36}"
                          + "".join(f"{height:>21,} px, {top:>5,} px" for height, top in heights))
            browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
