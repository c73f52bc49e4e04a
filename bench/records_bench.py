"""Records and cases at scale (issue 22 item 7), measured from a second process against gunicorn.

Run: .venv/bin/python bench/records_bench.py [--databases sqlite,postgresql] [--submissions 100000]
                                             [--records 20000] [--requests 200] [--quiet-load 0.8]
                                             [--prepare-only | --reuse PREPARED_JSON [--keep]]

For each database: a fresh database seeded by queue_bench.prepare (`flask demo seed`: sealed
submissions, search index written as it goes), then, in a child process with the app, records
(persons with Korean names and aliases, places with facility types and provinces, events with
dates, categories, places and involvements), links from submissions to records, and cases (one
of 200 submissions and 50 records): `seed`. Then gunicorn as its own process, an officer logs
in through the real forms, the record search index catches up (records are seeded
`search_pending`, as records written without an officer session are), and this process times,
one request at a time, round robin: the item page with 20 links, the case page with 200
submissions, and the record search for part of a name, against a bare Flask response on the same
gunicorn settings in the same run. A page that answers 404 (not built on this branch) is
skipped and said so. Traffic goes to 127.0.0.1 only and every loop is bounded.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from public_load import ROOT, VENV, free_port, percentiles, start, timed_get
from queue_bench import (
    ADMIN_EMAIL,
    EMAIL,
    PG_DATABASE,
    Browser,
    drop_postgres,
    load_prepared,
    prepare,
    save_prepared,
    wait_for_quiet,
)

SEEDED = "records-bench.json"  # what the seed made for the measurements, in the instance folder
ITEM_LINKS, CASE_ITEMS, CASE_RECORDS = 20, 200, 50
# (kind share of the records) persons, places, events
SHARES = {"person": 0.5, "place": 0.1, "event": 0.4}

# --- made-up data ---------------------------------------------------------------------------
SURNAMES = ["김", "리", "박", "최", "정", "강", "조", "윤", "장", "림", "한", "오", "서", "신", "권", "황", "안", "송",
            "류", "홍", "전", "고", "문", "량", "손"]
GIVEN = ["영", "철", "명", "성", "혁", "호", "수", "진", "광", "남", "일", "혜", "순", "옥", "금", "선", "경", "정",
         "국", "룡", "길", "춘", "학", "복", "은", "향", "미", "현", "석", "준", "용", "희", "심", "송", "만", "덕"]
# North Korean spelling -> South Korean (두음법칙): the same person written both ways.
SOUTH = {"리": "이", "림": "임", "류": "유", "량": "양", "룡": "용", "로": "노"}
ROMAN = {"김": "Kim", "리": "Ri", "이": "Lee", "박": "Pak", "최": "Choe", "정": "Jong", "강": "Kang", "조": "Jo",
         "윤": "Yun", "장": "Jang", "림": "Rim", "임": "Im", "한": "Han", "오": "O", "서": "So", "신": "Sin",
         "권": "Kwon", "황": "Hwang", "안": "An", "송": "Song", "류": "Ryu", "유": "Yu", "홍": "Hong", "전": "Jon",
         "고": "Ko", "문": "Mun", "량": "Ryang", "양": "Yang", "손": "Son", "영": "yong", "철": "chol",
         "명": "myong", "성": "song", "혁": "hyok", "호": "ho", "수": "su", "진": "jin", "광": "kwang", "남": "nam",
         "일": "il", "혜": "hye", "순": "sun", "옥": "ok", "금": "kum", "선": "son", "경": "kyong", "국": "guk",
         "룡": "ryong", "길": "gil", "춘": "chun", "학": "hak", "복": "bok", "은": "un", "향": "hyang", "미": "mi",
         "현": "hyon", "석": "sok", "준": "jun", "용": "yong", "희": "hui", "심": "sim", "만": "man", "덕": "dok"}
TITLES = ["지도원", "소장", "계호원", "보위원", "안전원", "반장", "과장", "부장"]
TOWNS = [("회령", "KP-09"), ("혜산", "KP-10"), ("무산", "KP-09"), ("청진", "KP-09"), ("신의주", "KP-03"),
         ("온성", "KP-09"), ("함흥", "KP-08"), ("평양", "KP-01"), ("강계", "KP-04"), ("원산", "KP-07"),
         ("사리원", "KP-06"), ("남포", "KP-14"), ("개천", "KP-02"), ("요덕", "KP-08"), ("전거리", "KP-09"),
         ("화성", "KP-09"), ("북창", "KP-02"), ("김책", "KP-09"), ("삼지연", "KP-10"), ("해주", "KP-05")]
FACILITIES = [("kwanliso", "관리소", "political prison camp"), ("kyohwaso", "교화소", "prison"),
              ("rodong", "노동단련대", "labour training camp"), ("jipgyolso", "집결소", "holding centre"),
              ("guryujang", "구류장", "detention centre"), ("camp_927", "9.27 상무 수용소", "927 camp")]
ACTS = [("구타", ["V02.2"]), ("고문", ["V02.1"]), ("공개처형", ["V01.1"]), ("강제북송", ["V07.1"]),
        ("강제노동", ["V05.1"]), ("구금", ["V03.1", "V03.2"]), ("실종", ["V04.1"]), ("굶주림", ["V10.1"]),
        ("성폭력", ["V06.2"]), ("단속", ["V08.2"])]
SEASONS = ["봄", "여름", "가을", "겨울"]
PASSAGES = ["그 사람이 밤마다 조사실로 불러냈습니다.", "집결소에서 석 달 동안 있었습니다.",
            "그해 겨울 강변에서 총살이 있었습니다.", "보위부 지도원이 직접 때렸습니다.",
            "같은 방에 있던 여성이 그 일을 당했습니다.", "도문에서 넘겨진 뒤 그곳으로 갔습니다."]
AGENCIES = ["state_security", "police", "border_guard", "detention_staff", "prosecutor_court", "party_official"]


def _person(rng: random.Random) -> tuple[dict, dict]:
    surname, given = rng.choice(SURNAMES), "".join(rng.choices(GIVEN, k=2))
    name = surname + given
    aliases = []
    south = "".join(SOUTH.get(ch, ch) for ch in name)
    if south != name:
        aliases.append(south)
    aliases.append(f"{ROMAN.get(surname, 'Kim')} {ROMAN.get(given[0], 'yong').title()}-{ROMAN.get(given[1], 'ho')}")
    role = rng.choices(["victim", "witness", "perpetrator", "official", "other"], [35, 20, 25, 15, 5])[0]
    if role in ("perpetrator", "official"):
        aliases.append(f"{surname} {rng.choice(TITLES)}")
    content = {"name": name, "aliases": aliases,
               "description": rng.choice(["", f"{rng.choice(TOWNS)[0]}에서 근무했다고 함.",
                                          "여러 제보에 나오는 인물. 나이는 40대로 보임."])}
    codes = {"person_role": role, "agency": rng.choice(AGENCIES) if role in ("perpetrator", "official") else None}
    return content, codes


def _place(rng: random.Random, index: int) -> tuple[dict, dict]:
    (town, province), (code, facility, english) = rng.choice(TOWNS), rng.choice(FACILITIES)
    number = f"제{index % 30 + 1}호 " if code == "kwanliso" else ""
    name = f"{town} {number}{facility}"
    aliases = [f"{town} {english}", "".join(SOUTH.get(ch, ch) for ch in name)] if rng.random() < .6 else []
    content = {"name": name, "aliases": [a for a in aliases if a != name],
               "description": rng.choice(["", "강 옆 언덕 아래에 있음.", "철조망과 감시탑이 있는 곳."])}
    return content, {"province": province, "facility_type": code}


def _event(rng: random.Random, place_name: str) -> tuple[dict, dict]:
    act, categories = rng.choice(ACTS)
    year = rng.randint(1995, 2024)
    precision = rng.choices(["day", "month", "year"], [20, 30, 50])[0]
    when = date(year, rng.randint(1, 12), rng.randint(1, 28)) if precision != "year" else None
    title = f"{year}년 {rng.choice(SEASONS)} {place_name.split()[0]} {act}"
    content = {"title": title, "aliases": [], "description": "", "when_text": f"{year}년경"}
    codes = {"when_precision": precision, "when_date": when if precision == "day" else None,
             "when_year": year, "when_month": when.month if when else None}
    return content, {**codes, "categories": categories}


def _skewed(rng: random.Random, items: list, power: float = 2):
    """A few records are named by many reports (a known camp, a notorious official): with
    power 2, a tenth of the records get a third of the links; with 3, nearly half."""
    return items[int(len(items) * rng.random() ** power)]


def seed(records: int, random_seed: int) -> None:
    """In a child process with the bench instance's environment; the recovery code on stdin."""
    sys.path.insert(0, str(ROOT))
    from app import create_app
    from app.cli.keys import recovery_keyring
    from app.extensions import db
    from app.models import Case, CaseNote, Category, Involvement, Record, RecordLink, Submission
    from app.models.records import case_record, case_submission, record_category
    from app.sealed import records as sealed
    from app.services.records.records import RecordInput, content_of
    from config import DevelopmentConfig

    rng = random.Random(random_seed)  # nosec B311  made-up data, never a secret
    app = create_app(DevelopmentConfig)
    with app.app_context():
        session = db.session
        keyring = recovery_keyring()
        started = time.perf_counter()
        categories = dict(session.execute(sa.select(Category.code, Category.id)).tuples().all())
        now = datetime.now(UTC)
        counts = {kind: int(records * share) for kind, share in SHARES.items()}
        made: dict[str, list[int]] = {"person": [], "place": [], "event": []}
        place_names: list[str] = []
        roles_of: dict[int, str] = {}
        involvements: list[dict] = []

        def add(kind: str, content: dict, codes: dict) -> Record:
            """Sealed by the records' own code (content_of checks it as the service does;
            seal_new gives it a content key sealed to the org key); search_pending, as a
            record written outside an officer's session is."""
            name = content.get("name") or content["title"]
            content_of(RecordInput(kind=kind, name=name, aliases=content["aliases"]))  # the service's checks
            record = Record(public_id=sealed.new_public_id(kind), kind=kind, search_pending=True,
                            created_at=now - timedelta(days=rng.uniform(0, 700)),
                            **{k: v for k, v in codes.items() if k != "categories"})
            sealed.seal_new(session, record, content)
            session.add(record)
            return record

        for kind in ("place", "person", "event"):
            batch: list[tuple[Record, dict]] = []
            for index in range(counts[kind]):
                if kind == "place":
                    content, codes = _place(rng, index)
                    place_names.append(content["name"])
                elif kind == "person":
                    content, codes = _person(rng)
                else:
                    place_index = rng.randrange(len(made["place"])) if rng.random() < .9 else None
                    content, codes = _event(rng, place_names[place_index] if place_index is not None else "어딘가")
                    codes["place_id"] = made["place"][place_index] if place_index is not None else None
                batch.append((add(kind, content, codes), codes))
                if len(batch) == 1000 or index == counts[kind] - 1:
                    session.flush()
                    for record, codes in batch:
                        made[kind].append(record.id)
                        if kind == "person":
                            roles_of[record.id] = codes["person_role"]
                        if kind == "event":
                            session.execute(sa.insert(record_category), [
                                {"record_id": record.id, "category_id": categories[c]}
                                for c in codes["categories"] if c in categories])
                            people = {_skewed(rng, made["person"]) for _ in range(rng.randint(1, 4))}
                            involvements += [{"event_id": record.id, "person_id": person,
                                              "role": roles_of[person] if roles_of[person] != "other" else "witness",
                                              "created_at": now} for person in people]
                    session.commit()
                    session.expunge_all()
                    batch = []
        for start in range(0, len(involvements), 5000):
            session.execute(sa.insert(Involvement.__table__), involvements[start:start + 5000])
        session.commit()
        print(f"  {records:,} records in {time.perf_counter() - started:.0f}s", flush=True)

        # Links: about a third of the reports are linked to 1-5 records (places and perpetrators
        # are named by many reports); one item to exactly ITEM_LINKS distinct records.
        started = time.perf_counter()
        reports = list(session.scalars(sa.select(Submission.id).where(Submission.kind == "report")
                                       .order_by(Submission.id)))
        item = reports[len(reports) // 2]
        pool = {"person": made["person"], "place": made["place"], "event": made["event"]}

        def role(kind: str, record_id: int) -> str:
            return {"place": "place", "event": "event"}.get(kind) or (
                roles_of[record_id] if roles_of[record_id] != "other" else "witness")

        wanted: dict[tuple[int, int, str], None] = {}
        for kind, n in (("event", 8), ("person", 8), ("place", 4)):
            for record_id in rng.sample(pool[kind], n):
                wanted[(record_id, item, role(kind, record_id))] = None
        assert len(wanted) == ITEM_LINKS
        linked = [s for s in reports if s != item and rng.random() < 0.33]
        for submission in linked:
            for _ in range(rng.randint(1, 5)):
                kind = rng.choices(["event", "person", "place"], [45, 35, 20])[0]
                record_id = _skewed(rng, pool[kind], 3 if kind == "place" else 2)
                wanted[(record_id, submission, role(kind, record_id))] = None
        links = list(wanted)
        table = RecordLink.__table__
        for start in range(0, len(links), 5000):
            chunk = links[start:start + 5000]
            ids = session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), [
                {"record_id": r, "submission_id": s, "role": ro, "created_at": now, "passage_sealed": None}
                for r, s, ro in chunk]).scalars().all()
            sealed_rows = []
            for link_id, (record_id, submission, link_role) in zip(ids, chunk, strict=True):
                if rng.random() < .7:  # most links name the passage they rest on
                    link = RecordLink(id=link_id, record_id=record_id, submission_id=submission, role=link_role)
                    sealed.seal_passage(session, link, rng.choice(PASSAGES), keyring)  # the real sealing
                    sealed_rows.append({"link_id": link_id, "sealed": link.passage_sealed})
            if sealed_rows:
                session.execute(sa.update(table).where(table.c.id == sa.bindparam("link_id"))
                                .values(passage_sealed=sa.bindparam("sealed")), sealed_rows)
            session.commit()
        print(f"  {len(links):,} links ({len(linked) + 1:,} items) in {time.perf_counter() - started:.0f}s",
              flush=True)

        # Cases: one of CASE_ITEMS items and CASE_RECORDS records, and 300 smaller ones.
        def new_case(title: str, items: list[int], records_: list[int], notes: int) -> Case:
            case = Case(public_id=sealed.new_public_id("case"), status=rng.choice(["open", "building", "referred"]))
            sealed.seal_new(session, case, {"title": title, "summary": "여러 제보가 같은 시설을 가리킴."})
            session.add(case)
            session.flush()
            session.execute(sa.insert(case_submission), [{"case_id": case.id, "submission_id": s, "added_at": now}
                                                         for s in items])
            if records_:
                session.execute(sa.insert(case_record), [{"case_id": case.id, "record_id": r, "added_at": now}
                                                         for r in records_])
            for _ in range(notes):
                sealed.seal_case_note(session, CaseNote(case_id=case.id), rng.choice(PASSAGES), keyring)
            return case

        big = new_case("전거리교화소 2019년 겨울", rng.sample(linked, CASE_ITEMS),
                       rng.sample(made["event"], 30) + rng.sample(made["person"], 15) + rng.sample(made["place"], 5),
                       notes=12)
        for n in range(300):
            new_case(f"사안 {n}", rng.sample(linked, rng.randint(3, 30)),
                     rng.sample(made["event"] + made["person"], rng.randint(0, 10)), notes=rng.randint(0, 3))
        session.commit()
        item_public = session.scalar(sa.select(Submission.public_id).where(Submission.id == item))
        seeded = {"item": item_public, "case": big.public_id, "records": records}
        Path(os.environ["INSTANCE_DIR"], SEEDED).write_text(json.dumps(seeded))
        print(f"  cases in {time.perf_counter() - started:.0f}s (item {item_public}, case {big.public_id})",
              flush=True)
        # The statistics page's new count (issue 22 item 5), over every item and over a filter.
        from app.services.triage import stats
        one_province = sa.select(Submission.id).where(Submission.province == "KP-09")
        for label, selection in (("every item", None), ("a filtered dashboard (one province)", one_province)):
            started = time.perf_counter()
            found = stats.corroborated_events(session, selection)
            print(f"  corroborated events over {label}: {sum(found.values()):,} in "
                  f"{(time.perf_counter() - started) * 1000:.0f} ms", flush=True)
    _tidy()


def _tidy() -> None:
    """Planner statistics after the bulk load (as `flask demo seed` ends)."""
    url = os.environ["DATABASE_URL"]
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def seed_records(env: dict, code: str, records: int) -> None:
    started = time.perf_counter()
    subprocess.run([str(VENV / "python"), __file__, "seed", "--records", str(records)], cwd=ROOT,
                   env={**os.environ, **env}, input=code + "\n", text=True, check=True)
    print(f"  records, links and cases seeded in {time.perf_counter() - started:.0f}s", flush=True)


# --- measuring ------------------------------------------------------------------------------

SEARCHES = [("record search: part of a Korean name (영호)", "영호"),
            ("record search: part of a romanized alias (Yong-ho)", "Yong-ho")]


def pending_records(env: dict) -> int | None:
    engine = sa.create_engine(env["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text("SELECT count(*) FROM record WHERE search_pending"))
    finally:
        engine.dispose()


def catch_up(browser: Browser, env: dict, patience: float) -> None:
    """The record index is written in officer sessions: keep the session busy (staff pages,
    as an officer at work) until no record waits, or until nothing has moved for `patience`
    seconds (no index on this branch: the search then answers the way it does here)."""
    last, moved, started = pending_records(env), time.monotonic(), time.monotonic()
    while last and time.monotonic() - moved < patience and time.monotonic() - started < 3600:
        browser.request("GET", "/staff/")
        time.sleep(1)
        now = pending_records(env)
        if now != last:
            last, moved = now, time.monotonic()
    took = time.monotonic() - started
    if last:
        print(f"  the record index did not catch up: {last:,} records still search_pending after "
              f"{took:.0f}s (the search is measured as this branch answers it)", flush=True)
    else:
        print(f"  record index caught up in {took:.0f}s", flush=True)


def measure(database: str, size: int, requests: int, quiet: float, env: dict, pg_name: str, keep: bool,
            email: str, patience: float) -> list[tuple]:
    seeded = json.loads((Path(env["INSTANCE_DIR"]) / SEEDED).read_text())
    port, bare_port = free_port(), free_port()
    server = start("wsgi:app", port, env)
    bare = start("bare_app:app", bare_port, {**env, "PYTHONPATH": f"{ROOT / 'bench'}:{env.get('PYTHONPATH', '')}"})
    results = []
    try:
        browser = Browser(port)
        browser.login(email, Path(env["INSTANCE_DIR"]) / f"bench-totp-{email}.txt")
        catch_up(browser, env, patience)
        paths = [(f"item page with {ITEM_LINKS} links", f"/staff/submissions/{seeded['item']}"),
                 (f"case page with {CASE_ITEMS} submissions", f"/staff/cases/{seeded['case']}")]
        paths += [(name, "/staff/records?q=" + urllib.parse.quote(term)) for name, term in SEARCHES]
        live = []
        for name, path in paths:
            status, _, _ = browser.request("GET", path)
            if status == 404:
                print(f"  skipped: {name} ({path} answers 404 on this branch)", flush=True)
                continue
            assert status == 200, (status, path)
            live.append((name, path))
        load = wait_for_quiet(quiet)
        for _name, path in live:
            for _ in range(10):
                browser.timed(path)  # warm-up: caches, connection pool, plans
        for _ in range(10):
            timed_get(bare_port, "/ko/")
        samples: dict[str, list[float]] = {name: [] for name, _ in live}
        baseline: list[float] = []
        for _ in range(requests):  # round robin: a passing disturbance hits every request alike
            baseline.append(timed_get(bare_port, "/ko/")[0])
            for name, path in live:
                samples[name].append(browser.timed(path)[0])
        print(f"  (load average {load:.2f} before, {os.getloadavg()[0]:.2f} after; {os.cpu_count()} CPUs)", flush=True)
        bare50, bare95 = percentiles(baseline)
        results.append((database, size, seeded["records"], "bare Flask response (baseline)", bare50, bare95, 1, 1))
        for name, _ in live:
            p50, p95 = percentiles(samples[name])
            results.append((database, size, seeded["records"], name, p50, p95, p50 / bare50, p95 / bare95))
        print(f"{database}, {size:,} submissions, {seeded['records']:,} records: {'p50 ms':>14}{'p95 ms':>8}"
              f"{'× bare p50':>11}{'p95':>6}", flush=True)
        for row in results:
            print(f"  {row[3]:<52}{row[4]:>8.1f}{row[5]:>8.1f}{row[6]:>7.1f}x{row[7]:>6.1f}x", flush=True)
    finally:
        for process in (server, bare):
            os.killpg(process.pid, 15)
            process.wait(timeout=20)
        if keep:
            print(f"  kept: --reuse {save_prepared(env, database, size, pg_name)}", flush=True)
        else:
            if database == "postgresql":
                drop_postgres(pg_name)
            shutil.rmtree(env["INSTANCE_DIR"], ignore_errors=True)
    return results


def prepare_all(database: str, size: int, records: int, pg_name: str) -> dict:
    return prepare(database, size, pg_name, then=lambda env, code: seed_records(env, code, records))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "seed":
        child = argparse.ArgumentParser()
        child.add_argument("seed")
        child.add_argument("--records", type=int, required=True)
        child.add_argument("--random-seed", type=int, default=1)
        args = child.parse_args()
        seed(args.records, args.random_seed)
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--pg-database", default=PG_DATABASE + "_records")
    parser.add_argument("--quiet-load", type=float, default=0.8,
                        help="wait (up to 10 minutes) for a 1-minute load average below this before measuring")
    parser.add_argument("--index-patience", type=float, default=60,
                        help="seconds without progress after which the record index is taken not to catch up")
    parser.add_argument("--prepare-only", action="store_true", help="seed, keep, print the --reuse argument")
    parser.add_argument("--reuse", action="append", default=[], metavar="PREPARED_JSON")
    parser.add_argument("--keep", action="store_true", help="keep the seeded instance after measuring")
    parser.add_argument("--as-admin", action="store_true", help="log in as the first admin, not the bench officer")
    args = parser.parse_args()
    email = ADMIN_EMAIL if args.as_admin else EMAIL
    requests = min(args.requests, 1000)
    results = []
    for prepared in args.reuse:
        env, database, size, pg_name = load_prepared(prepared)
        results += measure(database, size, requests, args.quiet_load, env, pg_name, args.keep, email,
                           args.index_patience)
    for database in args.databases.split(",") if not args.reuse else []:
        pg_name = f"{args.pg_database}_{args.submissions}" if args.prepare_only else args.pg_database
        env = prepare_all(database, args.submissions, args.records, pg_name)
        if args.prepare_only:
            print(f"--reuse {save_prepared(env, database, args.submissions, pg_name)}", flush=True)
            continue
        # Measured straight away, before the next database's seed loads the machine.
        results += measure(database, args.submissions, requests, args.quiet_load, env, pg_name, args.keep, email,
                           args.index_patience)
    if results:
        print("\n| database | submissions | records | request | p50 ms | p95 ms | p50 / bare | p95 / bare |\n"
              "|---|---:|---:|---|---:|---:|---:|---:|")
    for database, size, records, name, p50, p95, r50, r95 in results:
        print(f"| {database} | {size:,} | {records:,} | {name} | {p50:.1f} | {p95:.1f} | {r50:.1f} | {r95:.1f} |")


if __name__ == "__main__":
    main()
