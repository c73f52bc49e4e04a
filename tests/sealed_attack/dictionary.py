"""What an attacker plants, and the testimonies it wants to read.

The dictionary is the one issue 18 names: personal names from common surnames and given-name
syllables, North Korean places and facilities, and every pair of the commonest syllables. The
commonest syllables are counted in the Korean text this project holds (glossary, catalogue,
taxonomy, demonstration reports): the attacker's stand-in for a corpus of Korean.

The victims are thirty testimonies in the style of the reports the portal receives, each
naming three people and two places and a facility taken from the attacker's own lists — the
worst case for the portal: every name is in the dictionary.
"""
from __future__ import annotations

import collections
import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HANGUL = re.compile("[\uac00-\ud7a3]")


def _words(text: str) -> list[str]:
    return text.split()


SURNAMES = _words(
    "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 전 홍 유 고 문 양 손 배 백 허 남 심 "
    "노 하 곽 성 차 주 우 구 민 진 나 지 엄 변 채 원 천 방 공 현 함 염 여 추 도 소 석 선 설 마 "
    "길 연 위 표 명 기 반 라 왕 금 옥 육 인 맹 제 모 탁 국 어 은 편 용 예 경 봉 사 부 "
)
GIVEN = _words(
    "영 철 수 민 정 호 성 현 준 혁 진 광 명 순 옥 희 숙 자 미 경 선 남 국 일 길 동 학 용 석 상 "
    "식 훈 기 만 춘 복 금 은 혜 화 연 주 애 향 림 실 녀 룡 봉 송 근 택 환 범 세 원 태 규 승 재 "
    "우 종 한 문 덕 애 란 매 분 월 청 해 심 보 인 의 중 창 대 건 찬 필 모 배 삼 표 윤 강 권 천 "
    "충 백 신 하 나 리 지 아 유 은 소 예 서 다 가 채 율 하 겸 결 솔 빈 온 슬 별 봄 찬 록 운 곤 "
    "득 련 섭 욱 웅 을 "
)
PLACES = _words(
    "평양 남포 개성 라선 신의주 정주 구성 강계 만포 희천 자강 혜산 삼지연 갑산 풍산 백암 대홍단 김정숙 청진 "
    "회령 무산 온성 경원 경흥 나진 선봉 은덕 부령 어랑 김책 길주 명천 화대 화성 연사 새별 함흥 흥남 단천 "
    "북청 리원 신포 홍원 함주 정평 금야 요덕 고원 수동 덕성 원산 문천 천내 안변 고성 통천 판교 세포 평강 "
    "철원 김화 창도 회양 해주 옹진 강령 벽성 신천 안악 은률 과일 송화 장연 사리원 송림 황주 봉산 은파 린산 "
    "서흥 평산 신평 곡산 수안 연탄 순천 평성 안주 개천 덕천 북창 맹산 성천 양덕 회창 신양 은산 숙천 문덕 "
    "평원 증산 온천 대동 강서 강동 상원 중화 승호 삼석 력포 락랑 사동 선교 동대원 중구역 보통강 모란봉 서성 "
    "형제산 만경대 룡성 대성 천리마 칠골 전거리 용림 화천 고무산 수성 나남 포항 송평 청암 신암 라남 부윤 "
    "주을 관모 삼봉 남양 유선 세천 경성 어대진 연암 신흥 장진 부전 영광 허천 덕성 수남 혜장 마산 위연 운흥 "
    "보천 김형직 김형권 백두 장백 도문 연길 화룡 훈춘 심양 단동 안도 용정 왕청 "
)
FACILITIES = _words(
    "교화소 관리소 집결소 구류장 노동단련대 단련대 보위부 안전부 보안서 수용소 감옥 감방 예심 취조실 국경경비대 "
    "변방대 공안 변방 병원 탄광 광산 벌목장 농장 협동농장 군부대 "
)
COMMON_SYLLABLES = 400


@cache
def commonest_syllables(count: int = COMMON_SYLLABLES) -> list[str]:
    """The `count` commonest Hangul syllables in the project's own Korean text, commonest first."""
    texts = [ROOT / "translations/ko/LC_MESSAGES/messages.po", ROOT / "app/cli/demo.py",
             ROOT.parent / "shared/KOREAN.md", ROOT.parent / "shared/TAXONOMY.md"]
    counted = collections.Counter(ch for path in texts if path.exists() for ch in HANGUL.findall(path.read_text()))
    for name in SURNAMES + GIVEN + PLACES + FACILITIES:  # the attacker's own lists count too
        counted.update(name)
    return [syllable for syllable, _ in counted.most_common(count)]


def pairs_of(word: str) -> list[str]:
    return [word[i:i + 2] for i in range(len(word) - 1)] if len(word) > 1 else [word]


@cache
def planted_pairs() -> list[str]:
    """Every syllable pair the attacker plants: all pairs of the commonest syllables, then the
    pairs of names (surname + given, given + given), places and facilities not among them."""
    common = commonest_syllables()
    pairs = dict.fromkeys(a + b for a in common for b in common)
    for surname in SURNAMES:
        pairs.update(dict.fromkeys(surname + given for given in GIVEN))
    pairs.update(dict.fromkeys(a + b for a in GIVEN for b in GIVEN))
    for word in PLACES + FACILITIES:
        pairs.update(dict.fromkeys(pairs_of(word)))
    return list(pairs)


@dataclass
class Victim:
    text: str
    names: list[str]
    places: list[str]  # places and the facility


TEMPLATES = [
    "{year}년 {season}에 {p1}에 살 때 있었던 일입니다. "
    "그날 밤 {n1}이라는 보위부 지도원이 집에 찾아와 남편을 데려갔습니다. "
    "{n2}은 {p2} {f}에 {m} 달 동안 갇혀 있었고 조사 중에 심하게 맞았다고 들었습니다. "
    "같은 방에 있던 {n3}도 그곳에서 병을 얻어 죽었습니다.",
    "저는 {p1}에서 태어나 {year}년에 강을 건넜습니다. 중국에서 붙잡혀 {p2} {f}로 넘겨졌고 그곳 계호원 {n1}이 "
    "매일 밤 사람들을 불러내 때렸습니다. 함께 북송된 {n2}와 {n3}는 지금도 소식을 모릅니다.",
    "제 동생 {n1}은 {year}년 {p1} 장마당에서 한국 드라마를 팔다가 단속되었습니다. 안전원 {n2}가 뇌물을 요구했고 "
    "돈을 내지 못하자 {p2} {f}로 보냈습니다. 거기서 {n3}라는 사람이 {m} 달 만에 굶어 죽었다고 합니다.",
    "{year}년 {season} {p1} 강변에서 공개처형이 있었습니다. 끌려 나온 사람은 {n1}이었고 "
    "재판을 맡은 사람은 {n2}였습니다. "
    "주민들은 모두 나와서 보아야 했고 {n3}의 가족은 그 뒤 {p2} {f}로 보내졌습니다.",
    "어머니 {n1}과 저는 {year}년에 {p1}에서 브로커 {n2}에게 속아 중국으로 팔려 갔습니다. 다시 잡혀 {p2} {f}에서 "
    "알몸 수색을 당했고 그곳 책임자 {n3}가 여성들을 괴롭혔습니다.",
    "{p1}에 있는 {f}에서 {m} 달 동안 일했습니다. 아침부터 밤까지 벽돌을 날랐고 지도원 {n1}은 쉬는 사람을 때렸습니다. "
    "{n2}는 다리를 다쳤는데도 치료를 받지 못했고 {n3}는 {p2}로 옮겨진 뒤 돌아오지 않았습니다.",
]
SEASONS = ("봄", "여름", "가을", "겨울")


def victims(count: int = 30, seed: int = 7) -> list[Victim]:
    rng = random.Random(seed)
    found = []
    for index in range(count):
        names = [rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN) for _ in range(3)]
        places = rng.sample(PLACES, 2)
        facility = rng.choice(FACILITIES[:8])
        text = TEMPLATES[index % len(TEMPLATES)].format(
            year=rng.randint(1998, 2023), season=rng.choice(SEASONS), p1=places[0], p2=places[1], f=facility,
            n1=names[0], n2=names[1], n3=names[2], m=rng.randint(2, 18))
        found.append(Victim(text, names, [*places, facility]))
    return found


def syllables(text: str) -> str:
    return "".join(HANGUL.findall(text))
