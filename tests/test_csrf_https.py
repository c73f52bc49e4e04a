"""Behind HTTPS (production, nginx in front) browsers send no Referer: our Referrer-Policy is
no-referrer. Flask-WTF's HTTPS referrer check refused every form there; fetch metadata and
Origin now say where a POST comes from, for the staff's session-bound tokens and the public
forms' signed ones alike."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Submission
from tests.helpers import hidden_fields

HTTPS = "https://moksori.example"


def login_post(client, headers=None):
    page = client.get("/staff/login", base_url=HTTPS)
    data = {**hidden_fields(page.get_data(as_text=True)), "email": "officer@example.org", "password": "wrong"}
    return client.post("/staff/login", base_url=HTTPS, data=data, headers=headers or {})


def test_a_staff_form_works_over_https_without_a_referer(client):
    assert login_post(client).status_code == 422  # the form was read: a wrong password, not a CSRF error
    assert login_post(client, {"Sec-Fetch-Site": "same-origin", "Origin": "null"}).status_code == 422


def test_a_staff_post_from_another_site_is_refused(client):
    assert login_post(client, {"Sec-Fetch-Site": "cross-site"}).status_code == 400
    assert login_post(client, {"Origin": "https://attacker.example"}).status_code == 400


def test_a_public_form_works_over_https_without_a_referer(client, app_ctx):
    page = client.get("/ko/report", base_url=HTTPS)
    sent = client.post("/ko/report", base_url=HTTPS, data={**hidden_fields(page.get_data(as_text=True)),
                                                            "narrative": "HTTPS로 보낸 제보"},
                       headers={"Sec-Fetch-Site": "same-origin", "Origin": "null"})
    assert sent.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 1
