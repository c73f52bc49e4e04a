"""Plain words for submitters, legal terms for officers (issue 11): the report form names each
violation category in everyday words with the legal term beside it, while staff pages, bulk
exports and case files keep the legal term alone; the perpetrators escapees name (109상무,
비사회주의 그루빠, 규찰대, 인민반장) can be chosen and reach the exports."""
from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from tests.factories import SubmissionFactory
from tests.helpers import act

PLAIN = {
    "ko": ["강제로 일을 시킴 (노예화 및 강제노동)", "정당한 이유 없이 잡혀감 (자의적 체포)",
           "갇혀 있는 동안 먹을 것, 치료, 잠자리가 모자람 (비인도적 구금 환경)",
           "먹을 것, 치료, 재산을 빼앗기거나 받지 못함 (식량·건강·생계권 침해)",
           "성폭력, 강제 낙태, 강제 결혼 (성폭력·젠더 기반 폭력 및 재생산권 침해)"],
    "en": ["Forced to work (Enslavement and forced labour)", "Taken away without a fair reason (Arbitrary arrest)"],
}
GROUPS = {
    "ko": ["109상무 (외국 영상·휴대전화 단속)", "비사회주의 그루빠 (비사회주의 검열)", "규찰대", "인민반장"],
    "en": ["Group 109 (109 sangmu), which hunts for foreign videos and phones",
           "Anti-socialist inspection group (bisahoe gruppa)", "Patrol squad (gyuchaldae)",
           "Head of the neighbourhood unit (inminbanjang)"],
}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_report_form_names_categories_plainly_with_the_legal_term_beside(client, lang):
    html = client.get(f"/{lang}/report").get_data(as_text=True)
    for label in PLAIN[lang] + GROUPS[lang]:
        assert label in html
    # A label that is plain already has no brackets added.
    assert ">기타</label>" in html if lang == "ko" else ">Other</label>" in html


def test_staff_exports_and_case_files_keep_the_legal_terms(client, auth):
    item = SubmissionFactory(categories=["V05", "V03.1"], perpetrator_type="sangmu_109")
    auth.login()
    page = client.get(f"/staff/submissions/{item.public_id}").get_data(as_text=True)
    assert "노예화 및 강제노동" in page and "강제로 일을 시킴" not in page
    assert "109상무 (외국 영상·휴대전화 단속)" in page

    rows = list(csv.DictReader(io.StringIO(client.get("/staff/export/queue.csv").data.decode("utf-8-sig"))))
    assert "강제로" not in rows[0]["categories_ko"] and "Forced to work" not in rows[0]["categories_en"]
    assert "노예화 및 강제노동" in rows[0]["categories_ko"]
    assert "Enslavement and forced labour" in rows[0]["categories_en"]
    assert rows[0]["perpetrator_type"] == "sangmu_109"
    assert rows[0]["perpetrator_type_ko"] == "109상무 (외국 영상·휴대전화 단속)"

    archive = zipfile.ZipFile(io.BytesIO(act(client, item.public_id, "export", {}).data))
    doc = json.loads(archive.read(f"{item.public_id}/submission.json"))
    assert sorted(c["label_ko"] for c in doc["categories"]) == ["노예화 및 강제노동", "자의적 체포"]
    perpetrator = doc["who_did_it"]["perpetrator_type"]
    assert perpetrator["code"] == "sangmu_109" and perpetrator["label_ko"].startswith("109상무")
    assert perpetrator["huridocs_list_24"] == "Governmental entities: executive"
