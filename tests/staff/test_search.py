"""Korean search in the staff queue, on SQLite and on PostgreSQL (TEST_DATABASE_URL):
two-syllable words inside longer words, longer words, English words, notes and submitter
messages — the notes and messages written through the item page and the receipt page,
searched through the queue's GET form."""
from __future__ import annotations

import re

import pytest

from tests.factories import SubmissionFactory
from tests.helpers import act, post_form

ROW_ID = re.compile(r'name="bulk-items" value="([A-Z0-9]+):\d+"')


@pytest.fixture
def officer(auth, client):
    auth.login()
    return client


def found(officer, words: str) -> set[str]:
    page = officer.get("/staff/", query_string={"q": words})
    assert page.status_code == 200
    return set(ROW_ID.findall(page.get_data(as_text=True)))


@pytest.fixture
def accounts():
    texts = {
        "object": "보위부 구류장에서 고문을 당했습니다.",
        "verb": "그 사람은 조사 중에 고문당했다고 말했습니다.",
        "execution": "2009년 회령 강변에서 공개처형을 보았습니다.",
        "apart": "공개 재판이 열렸고 며칠 뒤 처형되었다고 들었습니다.",
        "across": "사고 문을 닫고 나왔습니다.",
        "english": "I was Tortured by the police in Hyesan.",
        "labour": "로동단련대에서 여섯 달 동안 일했습니다.",
        "hoeryong": "회령 보위부에서 고문을 받았습니다.",
    }
    return {key: SubmissionFactory(narrative=text, locale="en" if key == "english" else "ko").public_id
            for key, text in texts.items()}


def test_two_syllable_word_is_found_inside_longer_words(officer, accounts):
    assert found(officer, "고문") == {accounts["object"], accounts["verb"], accounts["hoeryong"]}


def test_syllables_split_by_a_space_are_not_a_word(officer, accounts):
    assert accounts["across"] not in found(officer, "고문")
    assert found(officer, "사고") == {accounts["across"]}


def test_four_syllable_word_must_be_whole(officer, accounts):
    assert found(officer, "공개처형") == {accounts["execution"]}
    assert found(officer, "처형") == {accounts["execution"], accounts["apart"]}


def test_english_words_ignore_case_and_match_word_beginnings(officer, accounts):
    assert found(officer, "torture") == {accounts["english"]}
    assert found(officer, "HYESAN") == {accounts["english"]}
    assert found(officer, "ortured") == set()  # English matches from the start of a word


def test_every_word_must_be_found(officer, accounts):
    assert found(officer, "회령 고문") == {accounts["hoeryong"]}
    assert found(officer, "회령 torture") == set()


def test_north_korean_spelling_finds_the_south_korean_one(officer, accounts):
    assert found(officer, "노동단련대") == {accounts["labour"]}
    assert found(officer, "로동단련대") == {accounts["labour"]}


def test_quoted_words_are_a_phrase(officer, accounts):
    assert found(officer, '"공개 재판"') == {accounts["apart"]}
    assert found(officer, '"재판 공개"') == set()


def test_one_syllable_word_is_refused_with_a_message(officer, accounts):
    page = officer.get("/staff/", query_string={"q": "북"}).get_data(as_text=True)
    assert "두 음절 이상" in page
    page = officer.get("/staff/", query_string={"q": "북 고문"}).get_data(as_text=True)
    assert "검색에서 제외" in page and set(ROW_ID.findall(page)) == found(officer, "고문")


def test_no_results_says_so(officer, accounts):
    page = officer.get("/staff/", query_string={"q": "납치"}).get_data(as_text=True)
    assert "검색 결과가 없습니다" in page


def test_words_in_an_internal_note_are_found(officer):
    public_id = SubmissionFactory(narrative="청진에서 있었던 일입니다.").public_id
    response = act(officer, public_id, "note", {"body": "제보자와 통화함: 집결소 위치 교차 확인 필요."})
    assert response.status_code == 302
    page = officer.get("/staff/", query_string={"q": "집결소"}).get_data(as_text=True)
    assert set(ROW_ID.findall(page)) == {public_id}
    assert "내부 메모" in page and "<mark>집결소</mark>" in page


def test_words_in_a_submitter_message_are_found(app, officer):
    item = SubmissionFactory(narrative="무산에서 있었던 일입니다.")
    submitter = app.test_client()
    assert post_form(submitter, "/ko/receipt", {"code": item.receipt_code}).status_code == 302
    assert post_form(submitter, "/ko/receipt/status", {"body": "혜산 집결소에서 구타를 당했습니다."},
                     files=[]).status_code == 302
    assert found(officer, "구타") == {item.public_id}


def test_a_public_id_or_its_beginning_finds_the_item(officer, accounts):
    """Public ids are in the clear: they are found by their column, not through the sealed index."""
    public_id = accounts["object"]
    assert found(officer, public_id) == {public_id}
    assert public_id in found(officer, public_id[:5].lower())
    assert found(officer, f"{public_id} 고문") == {public_id}
    assert found(officer, f"{public_id} 공개처형") == set()
