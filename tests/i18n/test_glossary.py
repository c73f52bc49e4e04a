"""The Korean catalog follows translations/GLOSSARY.md: no translation uses a word from its
table "Words the catalog does not use" (staff jargon, words with the wrong connotation)."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"


def avoided_words() -> list[str]:
    text = (TRANSLATIONS / "GLOSSARY.md").read_text()
    table = text.split("## Words the catalog does not use", 1)[1]
    return re.findall(r"^\| `([^`]+)` \|", table, flags=re.MULTILINE)


def test_the_glossary_lists_words_to_avoid():
    words = avoided_words()
    assert {"세션", "메타데이터", "슬러그", "새 활동", "접수 확정", "신고"} <= set(words)


def test_no_korean_translation_uses_an_avoided_word():
    with open(TRANSLATIONS / "ko" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    words = avoided_words()
    found = []
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            found += [(word, message.id) for word in words if word in (text or "")]
    assert found == []
