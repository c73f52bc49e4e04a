"""A partner group's spreadsheet import at its limit: 500 rows and a ZIP of 100 files.

Run: .venv/bin/python -m bench.group_import_bench [--database sqlite|postgresql] [--profile]

A fresh database built by the migrations, the organization's keys created, then through the
real page (Flask's test client, CSRF on): POST /ko/group/import with the sheet (CSV) and the
ZIP (50 PNG photos, which have their metadata stripped, and 50 text files), follow the status
page until the import is done. The group is created and joins through the group services,
then logs in through the real login page (/ko/group). Printed: the POST (every row
checked, every file prepared and staged sealed), the storing (every row a sealed submission,
one transaction) and the whole. Budget (issue 23): under 30 s.
"""
from __future__ import annotations

import argparse
import cProfile
import csv
import io
import pstats
import random
import tempfile
import time
import zipfile
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade
from PIL import Image

from app import create_app
from app.extensions import db
from app.models import Submission
from app.sealed import keys
from app.services.groups import accounts, import_jobs
from app.services.groups.sheet_template import COLUMNS
from config import TestingConfig
from tests.helpers import post_form

PASSPHRASE = "벤치 모임의 긴 비밀 문구 2026"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def photo(seed: int) -> bytes:
    image = Image.frombytes("RGB", (320, 240), random.Random(seed).randbytes(320 * 240 * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def payload() -> tuple[bytes, bytes]:
    files = {f"사진{i:03}.png": photo(i) for i in range(50)}
    files |= {f"진술서{i:03}.txt": (f"진술 {i}. " * 200).encode() for i in range(50)}
    names = list(files)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.name for column in COLUMNS])
    index = {column.name: n for n, column in enumerate(COLUMNS)}
    for i in range(500):
        row = [""] * len(COLUMNS)
        row[index["narrative"]] = f"{i}번째 증언: 보위부 구류장에서 조사를 받으며 맞았습니다. " * 8
        row[index["province"]], row[index["when_year"]], row[index["when_month"]] = "함경북도", "2019", "3"
        row[index["perpetrator_type"]], row[index["consent_un"]] = "보위부", "예"
        row[index["files"]] = names[i] if i < 100 else ""
        writer.writerow(row)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
    return buffer.getvalue().encode("utf-8-sig"), archive.getvalue()


def database_url(kind: str, folder: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'bench.sqlite3'}", None
    name = f"moksori_import_bench_{random.randrange(10**6)}"
    with sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
    return sa.engine.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False), name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        url, pg_name = database_url(args.database, folder)

        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = url
            UPLOAD_DIR = str(folder / "uploads")
            RATELIMIT_ENABLED = False

        app = create_app(Config)
        try:
            with app.app_context():
                upgrade()
                keys.create_keys(db.session, "bench")
                _group, code = accounts.create(db.session, "벤치 모임", "", "bench")
                number = accounts.join(db.session, code, PASSPHRASE, False, None).group.public_id
                db.session.commit()
            sheet, archive = payload()
            client = app.test_client()
            login = post_form(client, "/ko/group", {"group_number": number, "passphrase": PASSPHRASE, "totp": ""})
            assert login.status_code == 302, login.status_code
            profile = cProfile.Profile() if args.profile else None
            if profile:  # the storing runs in the import's thread: profile it there
                store_rows, worker = import_jobs._store_rows, cProfile.Profile()

                def profiled(*a, **k):
                    worker.enable()
                    try:
                        return store_rows(*a, **k)
                    finally:
                        worker.disable()
                        pstats.Stats(worker).sort_stats("cumulative").print_stats(40)

                import_jobs._store_rows = profiled
            started = time.perf_counter()
            if profile:
                profile.enable()
            response = post_form(client, "/ko/group/import", {"sheet": (io.BytesIO(sheet), "sheet.csv"),
                                                              "archive": (io.BytesIO(archive), "files.zip")})
            posted = time.perf_counter()
            assert response.status_code == 303, response.status_code
            location = response.headers["Location"]
            pages = 0
            while "저장하는 중입니다" in client.get(location).get_data(as_text=True):
                pages += 1
                time.sleep(0.5)
            import_jobs.wait(location.rsplit("/", 1)[-1])
            done = time.perf_counter()
            if profile:
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
            with app.app_context():
                count = db.session.scalar(sa.select(sa.func.count()).select_from(Submission))
            print(f"{args.database}: 500 rows + 100 files ({len(archive) / 1e6:.1f} MB ZIP): "
                  f"POST (check + stage) {posted - started:.1f} s, storing {done - posted:.1f} s, "
                  f"total {done - started:.1f} s; {count} submissions; status page read {pages} times while running")
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            if pg_name:
                with sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as connection:
                    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{pg_name}"'))


if __name__ == "__main__":
    main()
