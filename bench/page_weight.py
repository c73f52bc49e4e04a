"""Bytes a person's browser downloads for the public pages (HTML + CSS), raw and gzip-compressed.

Run: .venv/bin/python bench/page_weight.py
Budget (DESIGN §10): under 30 KB transferred, compressed.
"""
from __future__ import annotations

import gzip
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("INSTANCE_DIR", tempfile.mkdtemp(prefix="moksori-weight-"))

from flask_migrate import upgrade

from app import create_app
from config import DevelopmentConfig


def main() -> None:
    app = create_app(DevelopmentConfig)
    with app.app_context():
        upgrade()
    client = app.test_client()
    print(f"{'page':<16}{'HTML':>9}{'HTML gz':>9}{'CSS':>8}{'CSS gz':>8}{'total gz':>10}")
    for path in ("/ko/", "/ko/report", "/ko/receipt", "/ko/contact", "/en/", "/en/report"):
        html = client.get(path).data
        css_paths = re.findall(rb'href="(/static/[^"]+\.css)"', html)
        css = b"".join(client.get(p.decode()).data for p in css_paths)
        html_gz, css_gz = len(gzip.compress(html, 6)), len(gzip.compress(css, 6))
        print(f"{path:<16}{len(html):>9,}{html_gz:>9,}{len(css):>8,}{css_gz:>8,}{html_gz + css_gz:>10,}")


if __name__ == "__main__":
    main()
