"""`flask demo seed [--submissions N]`: realistic bilingual demonstration data, and
`flask search rebuild`: rebuild the search index of every submission.

The seed writes with Core bulk inserts in batches (100,000 submissions in minutes), builds the
search documents as it goes, and records one audit event for the whole seed: a row per
generated item would bury the real history of the chain.
"""
from __future__ import annotations

import functools
import hashlib
import io
import random
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from PIL import Image

from app.cli.keys import recovery_keyring
from app.extensions import db
from app.models import Attachment, Base, Category, Message, Note, Submission, User, submission_category
from app.sealed import keys, search, vault
from app.sealed.keys import Keyring
from app.sealed.sealing import ItemKey, new_item_key, seal_key_to, stored_size
from app.services import audit
from app.services.accounts import create_user
from app.services.files.attachments import path_for
from app.services.intake.reports import new_public_id

demo_cli = AppGroup("demo", help="Demonstration data.")
search_cli = AppGroup("search", help="The search index of submissions.")

# (place in Korean, in English, province code). China last: where people are caught and sent back.
PLACES = [("회령", "Hoeryong", "KP-09"), ("혜산", "Hyesan", "KP-10"), ("무산", "Musan", "KP-09"),
          ("청진", "Chongjin", "KP-09"), ("신의주", "Sinuiju", "KP-03"), ("온성", "Onsong", "KP-09"),
          ("함흥", "Hamhung", "KP-08"), ("평양", "Pyongyang", "KP-01"), ("강계", "Kanggye", "KP-04"),
          ("원산", "Wonsan", "KP-07"), ("사리원", "Sariwon", "KP-06"), ("남포", "Nampo", "KP-14")]
CHINA = [("연길", "Yanji"), ("도문", "Tumen"), ("심양", "Shenyang"), ("장백", "Changbai")]
OPENINGS_KO = ["{year}년 {season}에 {place}에서 있었던 일입니다.", "저는 {place}에서 살다가 {year}년에 탈북했습니다.",
               "{year}년경 {place}에 살 때 직접 겪은 일을 적습니다.", "제 {relative}에게 전해 들은 이야기입니다.",
               "오래된 일이라 날짜는 정확하지 않을 수 있습니다."]
OPENINGS_EN = ["This happened in {place_en} in {year}.", "I lived in {place_en} until I escaped in {year}.",
               "My {relative_en} told me about this."]
# topic: (category codes, Korean sentences, English sentences)
TOPICS = {
    "detention": (["V03.1", "V03.2", "V03.4"], [
        "{place} 보위부 구류장에 약 {n}개월 동안 갇혀 있었습니다.", "안전부에 끌려가 며칠 동안 조사를 받았습니다.",
        "구류장에서는 하루 종일 무릎을 꿇고 앉아 있어야 했습니다.",
        "감방에는 스무 명이 넘는 사람이 있어서 누울 자리도 없었습니다.",
        "재판도 없이 교화소로 보내졌습니다."], [
        "I was held for {n} months in the state security detention centre in {place_en}.",
        "We had to kneel all day in the cell.", "There was no trial before I was sent to prison."]),
    "torture": (["V02.1", "V02.2"], [
        "조사 중에 심한 고문을 당했습니다.", "보위부원들이 자백을 받아내려고 고문했습니다.",
        "손을 뒤로 묶인 채 매달리는 고문을 여러 번 당했습니다.", "함께 있던 사람이 고문을 당하다가 의식을 잃었습니다.",
        "고문당한 뒤로 지금도 허리가 아픕니다.", "밤마다 구타가 이어졌습니다."], [
        "I was tortured during the interrogation.", "They beat us every night to make us confess.",
        "A man in my cell lost consciousness after the torture."]),
    "repatriation": (["V07.1"], [
        "중국 {cn}에서 공안에 붙잡혀 강제북송되었습니다.", "도문 변방대를 거쳐 {place} 집결소로 넘겨졌습니다.",
        "강제송환된 여성들은 알몸 수색을 당했습니다.", "북송된 뒤 중국에서 한국 사람을 만났는지 캐물었습니다."], [
        "I was caught by the Chinese police in {cn_en} and sent back.",
        "After the forced repatriation they asked whether we had met South Koreans."]),
    "execution": (["V01.1"], [
        "{year}년 {place} 장마당 근처 강변에서 공개처형이 있었습니다.",
        "인민반에서 주민들을 모두 공개처형 장소로 동원했습니다.",
        "세 사람이 총살되는 것을 직접 보았습니다.", "공개재판이 끝나자마자 그 자리에서 총살했습니다.",
        "학생들까지 공개처형을 보게 했습니다."], [
        "In {year} there was a public execution by the river in {place_en}.",
        "Everyone in the neighbourhood unit was made to watch the execution."]),
    "labour": (["V05.1"], [
        "{place} 노동단련대에서 {n}개월 동안 강제노동을 했습니다.",
        "로동단련대에서는 새벽부터 밤까지 벽돌을 날랐습니다.",
        "노동단련대에서 배고픔 때문에 쓰러지는 사람이 많았습니다.",
        "교화소 광산에서 다친 사람을 치료해 주지 않았습니다."], [
        "I did forced labour for {n} months in the labour training camp.", "We carried bricks from dawn until night."]),
    "hunger": (["V10.1", "V10.2"], [
        "하루에 옥수수 몇 숟가락만 주었습니다.", "굶주림으로 같은 방 사람이 죽었습니다.",
        "아파도 약을 주지 않았습니다."], [
        "We were given a few spoons of corn a day.", "People in my room died of hunger."]),
    "trafficking": (["V06.5", "V06.2"], [
        "브로커에게 속아 중국 {cn}으로 팔려 갔습니다.", "중국에서 강제로 결혼해야 했습니다.",
        "조사관이 몸수색을 핑계로 성추행을 했습니다."], [
        "A broker sold me to a man in {cn_en}.", "I was forced to marry in China."]),
    "information": (["V08.2", "V08.1"], [
        "한국 드라마를 보았다는 이유로 단속되었습니다.", "성경을 가지고 있다가 들켜서 가족 전체가 끌려갔습니다.",
        "이웃이 한국 노래를 불렀다고 노동단련대에 보내졌습니다."], [
        "I was arrested for watching South Korean dramas.", "A neighbour was caught with a Bible."]),
    "disappearance": (["V04.1"], [
        "아버지가 보위부에 끌려간 뒤 소식이 끊겼습니다.", "가족이 어느 관리소로 보내졌는지 지금도 모릅니다."], [
        "My father was taken away and we never heard from him again."]),
}
CLOSINGS_KO = ["비슷한 일을 겪은 사람이 더 있습니다.", "이 내용이 기록으로 남았으면 합니다.",
               "연락을 주시면 더 자세히 말씀드리겠습니다.", "지금도 그때 생각을 하면 잠을 잘 수 없습니다."]
CLOSINGS_EN = ["Others went through the same.", "I want this to be on record."]
CONTACT_KO = ["탈북민 단체 활동가입니다. 증언 자료를 전달하고 싶습니다.", "직접 만나서 이야기하고 싶습니다.",
              "북한에 있는 가족의 안전이 걱정됩니다. 상담을 원합니다.", "회원들을 위한 기록 교육을 부탁드립니다."]
CONTACT_EN = ["Our group has collected testimonies and would like to hand them over.",
              "I would like to talk in person."]
NOTES = ["제보자와 통화함. {place} 구류장 위치 교차 확인 필요.", "같은 사건에 대한 다른 제보가 있음. 대조 예정.",
         "진술이 구체적임. 의료 기록 요청 예정.", "Cross-checked with an earlier report from {place_en}.",
         "강제북송 시기 재확인 필요.", "위성사진으로 {place} 시설 위치 확인 요청.",
         "가족 안전 문제로 공개 불가. 익명 처리 필요.",
         "연락 가능한 시간대 확인함. 다음 주 통화 예정.", "Translation of the attached document requested.",
         "날짜 기억이 불확실함. 연도만 기록.", "고문 피해 내용 별도 정리 필요.",
         "Possible duplicate of an earlier submission; check before accepting."]
THREADS = [[("staff", "추가로 여쭤볼 내용이 있습니다. 그때 함께 있던 분이 몇 명이었나요?"),
            ("submitter", "다섯 명이 함께 있었습니다.")],
           [("staff", "Thank you. Could you tell us roughly when this happened?"),
            ("submitter", "It was in the winter of {year}.")],
           [("staff", "혹시 사진이나 문서가 있으면 보내 주실 수 있나요?"),
            ("submitter", "사진은 없지만 직접 그린 지도가 있습니다.")],
           [("staff", "연락드려도 안전한 시간을 알려 주세요."), ("submitter", "평일 저녁이 괜찮습니다.")],
           [("submitter", "{year}년 겨울 {place}에서 고문을 당한 일도 더 적고 싶습니다."),
            ("staff", "네, 편하실 때 적어 주세요.")]]
SEASONS, RELATIVES = ["봄", "여름", "가을", "겨울"], ["어머니", "동생", "친구", "이웃"]
STATUS_WEIGHTS = {"new": 25, "in_review": 20, "needs_info": 10, "accepted": 15, "referred": 8, "closed": 12,
                  "duplicate": 4, "rejected": 6}
PRIORITY_WEIGHTS = {None: 50, "normal": 25, "high": 15, "urgent": 3, "low": 7}
FILES = [("증언 기록.pdf", "application/pdf", b"%PDF-1.4\n% demo\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
         ("구류장 사진.png", "image/png", None), ("map of Hoeryong.png", "image/png", None)]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _fill(rng: random.Random, template: str, place, year: int) -> str:
    cn = rng.choice(CHINA)
    return template.format(place=place[0], place_en=place[1], year=year, n=rng.randint(1, 18), cn=cn[0],
                           cn_en=cn[1], season=rng.choice(SEASONS), relative=rng.choice(RELATIVES),
                           relative_en=rng.choice(["mother", "brother", "friend"]))


def _narrative(rng: random.Random, korean: bool, place, year: int) -> tuple[str, list[str]]:
    """An account of 1 to ~25 sentences about one to three topics, and its category codes."""
    topics = rng.sample(list(TOPICS), k=rng.choice([1, 1, 2, 2, 3]))
    sentences = [rng.choice(OPENINGS_KO if korean else OPENINGS_EN)] if rng.random() < .8 else []
    codes: list[str] = []
    for topic in topics:
        topic_codes, ko, en = TOPICS[topic]
        pool = ko if korean else en
        sentences += rng.sample(pool, k=rng.randint(1, len(pool)))
        codes.append(rng.choice(topic_codes))
    if rng.random() < .5:
        sentences.append(rng.choice(CLOSINGS_KO if korean else CLOSINGS_EN))
    if rng.random() < .15:  # some accounts are long: the same events told again in more detail
        sentences += sentences[1:] * rng.randint(1, 4)
    return " ".join(_fill(rng, s, place, year) for s in sentences), codes


def _officers(session) -> list[int]:
    """Active officers to assign to; three demo officers are created when there are none."""
    ids = list(session.scalars(sa.select(User.id).where(User.active.is_(True), User.role == "officer")))
    if ids:
        return ids
    people = [("kim.hana@demo.invalid", "김하나", ["ko"]), ("lee.minjun@demo.invalid", "이민준", ["ko", "en"]),
              ("sarah.park@demo.invalid", "Sarah Park", ["en", "ko"])]
    # Random passwords nobody knows: the accounts exist to be assigned; an admin can reset them.
    return [create_user(session, email, secrets.token_urlsafe(24), "officer", name, langs, actor="demo").id
            for email, name, langs in people]


def _submission(rng: random.Random, created: datetime, now: datetime, officers: list[int]) -> tuple[dict, dict]:
    """One submission's columns (still to be sealed, see _seal_row) and what hangs off it."""
    korean, contact = rng.random() < .8, rng.random() < .12
    place, year = rng.choice(PLACES), rng.randint(1997, 2024)
    codes: list[str]
    if contact:
        narrative, codes = rng.choice(CONTACT_KO if korean else CONTACT_EN), []
    else:
        narrative, codes = _narrative(rng, korean, place, year)
    status = _pick(rng, STATUS_WEIGHTS)
    updated = min(now, created + timedelta(hours=rng.uniform(0, 24 * 90))) if status != "new" else created
    activity = min(now, created + timedelta(days=rng.uniform(0, 60))) if rng.random() < .3 else created
    viewed = None if status == "new" else min(now, created + timedelta(days=rng.uniform(0, 40)))
    row = {
        # No receipt code: demo items cannot be opened from the public site.
        "public_id": new_public_id(), "kind": "contact" if contact else "report", "status": status,
        "priority": _pick(rng, PRIORITY_WEIGHTS), "assignee_id": rng.choice(officers) if rng.random() < .65 else None,
        "locale": "ko" if korean else "en", "created_at": created, "updated_at": updated,
        "last_submitter_activity_at": activity, "staff_viewed_at": viewed,
        "province": None if contact else place[2],
        "when_precision": None if contact else "year", "when_year": None if contact else year,
        "contact_topic": rng.choice(["meeting", "evidence", "safety"]) if contact else None,
        "contact_language": ("ko" if korean else "en") if contact else None, "may_contact": contact,
    }
    texts = {"narrative": narrative, "place": None if contact else (place[0] if korean else place[1]),
             "status_reason": "데모 데이터" if status in ("closed", "duplicate", "rejected") else None}
    extra = {"codes": codes, "place": place, "year": year, "files": rng.choice([0, 0, 0, 1, 1, 2]),
             "notes": rng.choice([0, 0, 1, 1, 2]), "thread": rng.choice(THREADS) if rng.random() < .35 else [],
             "texts": texts}
    return row, extra


def _seal_row(row: dict, texts: dict, org_public: bytes) -> ItemKey:
    """Seal a new row as intake does (sealed/vault.py): content key, account, reason."""
    key = new_item_key(row["public_id"])
    row["key_for_org"] = seal_key_to(org_public, key)
    content = {name: texts.get(name) for name in vault.CONTENT_FIELDS}
    row["content_sealed"] = key.seal_json("submission.content", content)
    row["status_reason_sealed"] = (vault.seal_for_staff(org_public, "submission.status_reason", row["public_id"],
                                                        texts["status_reason"]) if texts["status_reason"] else None)
    return key


def _insert_sealed(session, table, entries: Sequence[tuple[dict, Callable[[int], bytes]]]) -> None:
    """Insert rows whose sealed body names their own id (sealed/vault.py): the rows first,
    then each body sealed by its `seal(row id)`."""
    if not entries:
        return
    ids = session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True),
                          [{**columns, "body_sealed": b""} for columns, _ in entries]).scalars().all()
    session.execute(sa.update(table).where(table.c.id == sa.bindparam("row_id"))
                    .values(body_sealed=sa.bindparam("sealed")),
                    [{"row_id": row_id, "sealed": seal(row_id)}
                     for row_id, (_, seal) in zip(ids, entries, strict=True)])


def _table(model: type[Base]) -> sa.Table:
    """A model's Table, for bulk inserts: SQLAlchemy types `__table__` as any FromClause."""
    if not isinstance(model.__table__, sa.Table):
        raise TypeError(f"{model.__name__} is not mapped to a single table")
    return model.__table__


def _sealed_note(org_public: bytes, public_id: str, text: str, note_id: int) -> bytes:
    return vault.seal_for_staff(org_public, f"note.body:{note_id}", public_id, text)


def _sealed_message(key: ItemKey, author: str, text: str, message_id: int) -> bytes:
    return key.seal(f"message.body:{message_id}:{author}", text)


def seed(session, count: int, upload_dir: str, rng: random.Random, keyring: Keyring | None = None,
         batch: int = 2000) -> int:
    """Sealed demonstration submissions, written as intake would write them. With a keyring
    (the recovery code) they are indexed for search at once; without, they wait for the next
    officer session, like submissions that arrive at night."""
    officers = _officers(session)
    org_public = keys.public_key(session, "org")
    search_keys = search.ensure_keys(session, keyring) if keyring else None
    waiting: list[tuple[int, search.Document]] = []  # indexed a full segment at a time
    categories = dict(session.execute(sa.select(Category.code, Category.id)).tuples().all())
    samples = [(name, media_type, content or _png()) for name, media_type, content in FILES]
    now = datetime.now(UTC)
    times = sorted(now - timedelta(seconds=rng.uniform(0, 3 * 365 * 86400)) for _ in range(count))
    for start in range(0, count, batch):
        made = [_submission(rng, created, now, officers) for created in times[start:start + batch]]
        item_keys = [_seal_row(row, extra["texts"], org_public) for row, extra in made]
        for row, _extra in made:
            row["search_pending"] = search_keys is None
        ids = session.execute(sa.insert(_table(Submission)).returning(_table(Submission).c.id,
                                                                      sort_by_parameter_order=True),
                              [row for row, _ in made]).scalars().all()
        links, files, messages, notes = [], [], [], []
        for sid, (row, extra), key in zip(ids, made, item_keys, strict=True):  # RETURNING: one id per row
            links += [{"submission_id": sid, "category_id": categories[c]}
                      for c in set(extra["codes"]) if c in categories]
            fill = functools.partial(_fill, rng, place=extra["place"], year=extra["year"])
            texts = [fill(rng.choice(NOTES)) for _ in range(extra["notes"])]
            notes += [({"submission_id": sid, "author_user_id": rng.choice(officers), "created_at": row["updated_at"]},
                       functools.partial(_sealed_note, org_public, row["public_id"], text)) for text in texts]
            for author, body in extra["thread"]:
                texts.append(fill(body))
                messages.append(({"submission_id": sid, "author": author, "created_at": row["updated_at"],
                                  "author_user_id": rng.choice(officers) if author == "staff" else None},
                                 functools.partial(_sealed_message, key, author, texts[-1])))
            for name, media_type, content in rng.sample(samples, extra["files"]):
                stored = secrets.token_hex(16)
                path = path_for(upload_dir, stored)
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "wb") as handle:
                    key.encrypt_file(io.BytesIO(content), handle, stored)
                digest = hashlib.sha256(content).hexdigest()
                hashes = {"sha256": digest, "received_sha256": digest, "size": len(content)}
                files.append({"submission_id": sid, "message_id": None, "stored_name": stored,
                              "name_sealed": key.seal(f"attachment.name:{stored}", name), "media_type": media_type,
                              "size_class": stored_size(len(content)),
                              "hashes_sealed": key.seal_json(f"attachment.hashes:{stored}", hashes),
                              "metadata_stripped": media_type == "image/png", "added_by": "submitter",
                              "created_at": row["created_at"]})
            if search_keys is not None:
                waiting.append((sid, search.submission_document({**row, **extra["texts"]}, texts, [])))
        for table, rows in ((submission_category, links), (_table(Attachment), files)):
            if rows:
                session.execute(sa.insert(table), rows)
        _insert_sealed(session, _table(Note), notes)
        _insert_sealed(session, _table(Message), messages)
        if search_keys is not None and (len(waiting) >= search.FULL_DOCS or start + batch >= count):
            search.index_documents(session, search_keys, waiting)
            waiting = []
        session.commit()
        click.echo(f"  {min(start + batch, count):,} / {count:,}")
    audit.record(session, "cli", "demo.seeded", None, None, {"submissions": count, "indexed": search_keys is not None})
    session.commit()
    return count


def _tidy(engine) -> None:
    """Refresh planner statistics after a bulk load: the queue's plans depend on them."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


@demo_cli.command("seed")
@click.option("--submissions", default=1000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--random-seed", type=int, default=None, help="Repeatable data.")
@click.option("--recovery-code-stdin", is_flag=True,
              help="Read the recovery code from standard input, to index the new items for search at once.")
def seed_command(submissions, random_seed, recovery_code_stdin):
    """Create sealed demonstration submissions with categories, files, messages and notes."""
    if not keys.keys_exist(db.session()):
        raise click.ClickException("the organization's keys do not exist yet: create the first admin with "
                                   "`flask users create EMAIL --role admin`")
    keyring = recovery_keyring() if recovery_code_stdin else None
    Path(current_app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    # Reproducible made-up data, never a secret (keys and codes come from `secrets` and os.urandom).
    seed(db.session, submissions, current_app.config["UPLOAD_DIR"], random.Random(random_seed), keyring)  # nosec B311
    _tidy(db.engine)
    click.echo(f"seeded {submissions:,} submissions" + ("" if keyring else "; they are indexed for search from "
                                                         "the next officer sessions"))


@search_cli.command("rebuild")
@click.option("--recovery-code-stdin", is_flag=True, help="Read the recovery code and index everything now.")
def rebuild_command(recovery_code_stdin):
    """Empty the search index and index every submission again (after an upgrade, a restore or
    new keys): now with the recovery code, otherwise from the next officer sessions."""
    count = search.mark_all_pending(db.session())
    db.session.commit()
    if recovery_code_stdin and not search.run(db.session(), recovery_keyring()):
        raise click.ClickException("another worker holds the search index's lease; try again in a minute")
    _tidy(db.engine)
    click.echo(f"{count:,} submissions " + ("indexed" if recovery_code_stdin else "queued for indexing"))


def init_app(app) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(search_cli)
