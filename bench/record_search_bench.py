"""Record search and suggestions from the sealed index at scale (issue 22 item 7), in process.

Run: .venv/bin/python bench/record_search_bench.py [--databases sqlite,postgresql]
         [--submissions 100000] [--records 20000] [--requests 100] [--keep | --reuse JSON]

Seeds an instance as queue_bench.py does (`flask demo seed`, the submissions sealed and
indexed), then adds `--records` records sealed by the real code (app/sealed/records.py: a
content key each, sealed to the org key) and indexed into full record segments by the worker's
own index_documents. Then it times, in the process and with the keys opened by the recovery
code, `find_record_ids` (part of a name, a full name, the start of a romanized alias, a word
of many descriptions, one kind) and `suggest` for an item's narrative that names two records:
p50 / p95 ms of `--requests` calls each. No HTTP: what is left is the search's own work and the
database's (a staff page adds its rendering).
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import queue_bench
from queue_bench import drop_postgres

SURNAMES = ("김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진지엄채원천방공현함"
            "변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용")
GIVEN = "영철호민수진성광명혁남길순희숙자옥정현준석훈일용복실은미경화춘금동국상학도태"
ROMAN = ["Pak", "Kim", "Ri", "Choe", "Jong", "Kang", "Jo", "Yun", "Han", "O", "So", "Sin"]
GIVEN_ROMAN = ["Yong", "Chol", "Ho", "Min", "Su", "Jin", "Song", "Kwang", "Myong", "Hyok", "Nam", "Il"]
FACILITIES = ["교화소", "관리소", "집결소", "구류장", "노동단련대"]
PLACES = ["회령", "청진", "혜산", "온성", "무산", "전거리", "개천", "요덕", "함흥", "신의주", "남포", "강계"]
DUTIES = ["보위부 반탐과 지도원", "안전부 감찰과 계호원", "국경경비대 군관", "집결소 소장", "교화소 계호원",
          "보위원", "예심원", "분주소 소장"]
NARRATIVE = ("2017년 겨울 회령에서 잡혀 보위부 구류장으로 끌려갔습니다. 조사는 매일 밤 계속되었고 "
             "{person} 지도원이 직접 때렸습니다. 한 달 뒤 {place}로 옮겨졌는데 그곳에서 굶주림과 구타가 "
             "끊이지 않았습니다. 같은 방에 있던 여성들은 강제로 일을 하다가 쓰러지기도 했습니다. ") * 4


def prepare(database: str, submissions: int, pg_name: str) -> dict:
    """queue_bench's fresh database, seeded items and bench officer; the recovery code kept for
    seeding the records in process."""
    codes: list[str] = []
    env = queue_bench.prepare(database, submissions, pg_name, then=lambda env, code: codes.append(code))
    return {"env": env, "code": codes[0]}


def names(rng: random.Random) -> tuple[str, list[str]]:
    surname = rng.randrange(len(SURNAMES))
    given = rng.sample(range(len(GIVEN)), 2)
    name = SURNAMES[surname] + GIVEN[given[0]] + GIVEN[given[1]]
    roman = f"{ROMAN[surname % len(ROMAN)]} {GIVEN_ROMAN[given[0] % 12]}-{GIVEN_ROMAN[given[1] % 12].lower()}"
    return name, [roman] if rng.random() < 0.6 else []


def seed_records(count: int, code: str) -> None:
    import numpy as np

    from app.extensions import db
    from app.models import Record
    from app.sealed import keys, search
    from app.sealed import records as sealed
    from app.sealed.search import RECORDS, worker
    from app.sealed.search.corpus import opened_record

    rng = random.Random(22)
    keyring = keys.unlock_with_recovery(db.session(), code)
    search_keys = search.ensure_keys(db.session(), keyring)
    started = time.perf_counter()
    batch: list[Record] = []
    for n in range(count):
        kind = "place" if n % 5 == 0 else ("event" if n % 5 == 1 else "person")
        if kind == "person":
            name, aliases = names(rng)
            content = {"name": name, "aliases": aliases, "description": f"{rng.choice(PLACES)} {rng.choice(DUTIES)}"}
        elif kind == "place":
            name = (rng.choice(PLACES) + rng.choice(["", "시 ", "군 "]) + f"{rng.randrange(1, 99)}호 "
                    + rng.choice(FACILITIES))
            content = {"name": name, "aliases": [], "description": f"{rng.choice(PLACES)} 근처"}
        else:
            what = rng.choice(["구타", "공개처형", "강제송환"])
            content = {"title": f"{2000 + n % 24}년 {rng.choice(PLACES)} {what}",
                       "aliases": [], "description": f"{names(rng)[0]} 등이 목격", "when_text": f"{2000 + n % 24}년"}
        record = Record(public_id=sealed.new_public_id(kind), kind=kind, search_pending=False)
        sealed.seal_new(db.session(), record, content)
        batch.append(record)
        if len(batch) == search.FULL_DOCS or n == count - 1:
            db.session.add_all(batch)
            db.session.flush()
            worker.index_documents(db.session(), search_keys, [(r.id, opened_record(r)) for r in batch], RECORDS)
            db.session.commit()
            batch = []
    print(f"  seeded and indexed {count:,} records in {time.perf_counter() - started:.0f}s", flush=True)
    del np


def timed(call, requests: int) -> tuple[float, float]:
    for _ in range(3):
        call()
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def measure(code: str, requests: int) -> None:
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Record
    from app.sealed import keys
    from app.sealed import records as sealed
    from app.services.records import search as record_search

    keyring = keys.unlock_with_recovery(db.session(), code)
    people = list(db.session.scalars(sa.select(Record).where(Record.kind == "person").limit(400)))
    places = list(db.session.scalars(sa.select(Record).where(Record.kind == "place").limit(50)))
    sealed.open_all(keyring, people + places)
    person, place = people[137], places[7]
    alias = next((p.aliases[0] for p in people if p.aliases), "Pak")
    queries = [("part of a name (2 of 3 syllables)", person.name[1:], None),
               ("a full name", person.name, None), ("start of a romanized alias", alias.split()[1][:4], None),
               ("a word of many descriptions (보위부)", "보위부", None), ("a facility, places only", "교화소", "place")]
    narrative = NARRATIVE.format(person=person.name, place=place.name)
    db.session.close()
    for label, query, kind in queries:
        found = len(record_search.find_record_ids(db.session(), keyring, query, kind=kind, limit=200))
        p50, p95 = timed(lambda q=query, k=kind: (record_search.find_record_ids(db.session(), keyring, q, kind=k),
                                                 db.session.close()), requests)
        print(f"  | search: {label} `{query}` | {found} | {p50:.1f} / {p95:.1f} |", flush=True)
    found = record_search.suggest(db.session(), keyring, [narrative])
    p50, p95 = timed(lambda: (record_search.suggest(db.session(), keyring, [narrative]), db.session.close()), requests)
    print(f"  | suggest for a narrative of {len(narrative):,} characters | {len(found)} | {p50:.1f} / {p95:.1f} |",
          flush=True)


def main() -> None:
    import os

    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--pg-database", default="moksori_record_bench")
    parser.add_argument("--reuse", help="a prepared JSON (from --keep) to measure again")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    for database in args.databases.split(","):
        if args.reuse:
            prepared = json.loads(Path(args.reuse).read_text())
        else:
            prepared = prepare(database, args.submissions, args.pg_database)
        os.environ.update(prepared["env"])
        from app import create_app
        from app.extensions import db
        from config import DevelopmentConfig

        app = create_app(DevelopmentConfig)
        with app.app_context():
            if not args.reuse:
                seed_records(args.records, prepared["code"])
            print(f"{database}: {args.submissions:,} submissions, {args.records:,} records, load "
                  f"{os.getloadavg()[0]:.2f}", flush=True)
            measure(prepared["code"], args.requests)
        if args.keep or args.reuse:
            path = Path(prepared["env"]["INSTANCE_DIR"]) / "record-bench.json"
            path.write_text(json.dumps(prepared))
            print(f"  kept: --reuse {path}", flush=True)
        else:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            shutil.rmtree(prepared["env"]["INSTANCE_DIR"], ignore_errors=True)  # database, keys, demo files
            if database == "postgresql":
                drop_postgres(args.pg_database)
        if args.reuse:
            break


if __name__ == "__main__":
    main()
