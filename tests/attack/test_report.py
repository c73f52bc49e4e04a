"""The report form under attack: every field hostile at once never gets a 5xx and the page
that answers escapes it; a hostile value in every free-text field is stored as sent (after
the normalization of app/forms.py), and is escaped wherever it is shown afterwards: the staff
item page, the queue, the CSV and JSON exports and the case file.
"""
from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Submission
from app.services.intake.contact_details import open_contact
from tests.attack import checks, strings
from tests.attack.surface import fitting, hostile_everywhere, surfaces_for, text_fields
from tests.helpers import opened, post_form, receipt_code

REPORT = surfaces_for("public.report")[0]
CONTACT_FIELDS = {"contact_alias": "alias", "contact_safe_times": "safe_times", "contact_handle": "handle"}


@pytest.mark.parametrize("payload", strings.sample(6, salt="report-everywhere"), ids=str)
def test_every_field_hostile_is_refused_cleanly(app, client, payload):
    data = hostile_everywhere(app, REPORT, payload.text)
    data.pop("form_token")  # kept real, so the form (not the token check) answers
    response = post_form(client, "/ko/report", data)
    assert response.status_code < 500, checks.where(payload, "POST /ko/report")
    checks.assert_escaped(response.get_data(as_text=True), [payload], "the report form's answer",
                          shown=response.status_code == 422)


def _report_data(app, payload) -> dict[str, str]:
    """A valid report whose every free-text field that can hold the payload holds it."""
    data = fitting(app, REPORT, payload.text)
    data.update(when_precision="approximate", contact_channel="signal", consent_un="y")
    data.setdefault("narrative", f"{payload.marker} 보위부")
    data.setdefault("when_text", payload.marker)
    data.setdefault("contact_handle", payload.marker)
    return data


def test_hostile_reports_are_stored_as_sent_and_escaped_everywhere(app, client, auth, org_keys):
    payloads = strings.sample(8, strings.SHORT, salt="report-store")
    sent = {}
    for payload in payloads:
        data = _report_data(app, payload)
        response = post_form(client, "/ko/report", data)
        assert response.status_code == 200, checks.where(payload, "POST /ko/report (valid)")
        receipt_code(response.get_data(as_text=True))
        checks.assert_escaped(response.get_data(as_text=True), [payload], "the thank-you page", shown=False)
        sent[payload.marker] = (payload, data)

    with app.app_context():
        items = db.session.scalars(sa.select(Submission).order_by(Submission.id)).all()
        assert len(items) == len(payloads)
        ids, texts = {}, {info.name for info in text_fields(app, REPORT)}
        for item, payload in zip(items, payloads, strict=True):
            _payload, data = sent[payload.marker]
            opened(item, org_keys.keyring)
            contact = open_contact(org_keys.keyring, item)
            for name, value in data.items():
                if name in CONTACT_FIELDS:
                    stored = getattr(contact, CONTACT_FIELDS[name])
                elif name in texts:
                    stored = getattr(item, name)
                else:
                    continue
                assert stored == checks.stored_form(value), checks.where(payload, f"the stored {name}")
            ids[item.public_id] = payload

    auth.login(contact_access=True)
    for public_id, payload in ids.items():
        page = client.get(f"/staff/submissions/{public_id}")
        assert page.status_code == 200
        checks.assert_escaped(page.get_data(as_text=True), [payload], f"the staff item page {public_id}")
        revealed = post_form(client, f"/staff/submissions/{public_id}/reveal", {},
                             page_url=f"/staff/submissions/{public_id}")
        assert revealed.status_code == 200
        checks.assert_escaped(revealed.get_data(as_text=True), [payload], "the revealed contact details")

    queue = client.get("/staff/")
    checks.assert_escaped(queue.get_data(as_text=True), payloads, "the queue", shown=False)
    for payload in payloads[:3]:  # the search box echoes what was typed
        searched = client.get("/staff/", query_string={"q": payload.text})
        assert searched.status_code == 200, checks.where(payload, "the queue search")
        checks.assert_escaped(searched.get_data(as_text=True), [payload], "the queue search", shown=False)

    _check_bulk_exports(client, ids)
    _check_case_file(client, ids)


def _check_bulk_exports(client, ids: dict) -> None:
    csv_response = client.get("/staff/export/queue.csv")
    assert csv_response.status_code == 200
    rows = checks.assert_csv_defused(csv_response.get_data(), list(ids.values()), "the queue CSV")
    header, body = rows[0], {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert "narrative" in header
    for public_id, payload in ids.items():
        narrative = checks.undefused(body[public_id]["narrative"])
        assert narrative == checks.stored_form(payload.text), checks.where(payload, "the CSV's narrative")

    json_response = client.get("/staff/export/queue.json")
    document = checks.assert_json_values(json_response.get_data(), "the queue JSON")
    records = {record["public_id"]: record for record in document["items"]}
    for public_id, payload in ids.items():
        assert records[public_id]["narrative"] == checks.stored_form(payload.text), checks.where(payload, "JSON")


def _check_case_file(client, ids: dict) -> None:
    response = post_form(client, "/staff/export", {"ids": " ".join(ids), "include_contact": "y"})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    for public_id, payload in ids.items():
        html = archive.read(f"{public_id}/submission.html").decode()
        checks.assert_escaped(html, [payload], f"the case file's {public_id}/submission.html")
        document = json.loads(archive.read(f"{public_id}/submission.json"))
        assert checks.stored_form(payload.text) in checks.strings_in(document), \
            checks.where(payload, "the case file's submission.json")
