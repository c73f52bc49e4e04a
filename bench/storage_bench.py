"""What padding and the sealed index cost on disk, on an instance kept by queue_bench.py.

Run: .venv/bin/python bench/storage_bench.py --reuse PREPARED_JSON [--pad-existing]

Opens every submission with the bench officer's keys (its password unlocks them, as a login
does) and compares what is stored with what would be stored without padding: each sealed value
(account, messages, notes, file names and hashes) against its plaintext plus AES-GCM's 28
bytes, each file on disk against its exact size plus the stream's overhead. Then the search
index: its blocks by size, how many are dummies (heads decrypt to kind 0; real tails are what
the heads count), and the tables' sizes. With --pad-existing, `flask keys pad-existing`'s work
is done first (timed), for an instance seeded before padding existed.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from queue_bench import EMAIL, PASSWORD, load_prepared


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reuse", required=True, metavar="PREPARED_JSON")
    parser.add_argument("--pad-existing", action="store_true")
    args = parser.parse_args()
    env, database, size, _ = load_prepared(args.reuse)
    os.environ.update(env)
    import sqlalchemy as sa

    from app import create_app
    from app.extensions import db
    from app.models import Attachment, SearchSegment, Submission, User
    from app.sealed import crypto, keys, repad, search, vault
    from app.sealed.search import blocks, segments

    app = create_app()
    with app.app_context():
        session = db.session
        user = session.scalar(sa.select(User).where(User.email == EMAIL))
        keyring = keys.unlock(session, user, PASSWORD)
        print(f"{database}, {size:,} submissions", flush=True)
        if args.pad_existing:
            started = time.perf_counter()
            report = repad.run(session, keyring, app.config["UPLOAD_DIR"], restart=True)
            seconds = time.perf_counter() - started
            print(f"  pad-existing: {report.values:,} values and {report.files:,} files in {seconds:.0f} s "
                  f"({size / seconds:.0f} submissions/s)", flush=True)
        seal_overhead = 1 + 32 + 12 + 16  # version, ephemeral public key, nonce, tag
        stored = unpadded = 0
        org = keyring.recipient("org")
        query = sa.select(Submission).execution_options(yield_per=1000)
        for item in session.scalars(query):
            key = vault.staff_key(keyring, item)
            values = [("submission.content", item.content_sealed), ("submission.notice", item.notice_sealed)]
            values += [(f"message.body:{m.id}:{m.author}", m.body_sealed) for m in item.messages]
            for a in item.attachments:
                values += [(f"attachment.name:{a.stored_name}", a.name_sealed),
                           (f"attachment.hashes:{a.stored_name}", a.hashes_sealed)]
            for place, blob in values:
                if blob:
                    stored += len(blob)
                    unpadded += len(key.open(place, blob)) + 28
            for note in item.notes:
                stored += len(note.body_sealed)
                unpadded += len(crypto.unseal_padded(org, note.body_sealed, f"note.body:{note.id}:{item.public_id}"
                                                     .encode())) + seal_overhead
        session.rollback()
        print(f"  sealed values: {stored:,} bytes stored, {unpadded:,} without padding "
              f"(+{stored / unpadded - 1:.1%})", flush=True)
        files_stored = files_exact = 0
        for attachment in session.scalars(sa.select(Attachment).execution_options(yield_per=1000)):
            key = vault.staff_key(keyring, attachment.submission)
            vault.open_attachment(attachment, key)
            path = Path(app.config["UPLOAD_DIR"], attachment.stored_name[:2], attachment.stored_name)
            files_stored += path.stat().st_size
            files_exact += attachment.size + len(crypto.PADDED_FILE_MAGIC) + crypto.NONCE_PREFIX + crypto.TAG
        session.rollback()
        print(f"  files: {files_stored:,} bytes on disk, {files_exact:,} without padding "
              f"(+{files_stored / max(files_exact, 1) - 1:.1%})", flush=True)
        search_keys = search.open_keys(session, keyring).keys
        by_size: Counter = Counter()
        real = Counter()
        head_body = blocks.HEAD_PLAIN + 28
        for segment in session.scalars(sa.select(SearchSegment).where(SearchSegment.state == "live")):
            cipher = blocks.segment_cipher(search_keys[segment.key_id], segment.nonce)
            rows = segments._rows(session, "SELECT label, body FROM search_block WHERE segment_id = %s", (segment.id,))
            for label, body in rows:
                by_size[len(body)] += 1
                if len(body) == head_body and (head := blocks.read_head(cipher.decrypt(body, label))) is not None:
                    real[head_body] += 1
                    for index in range(1, head.tails + 1):
                        real[blocks.LAYOUTS[segment.layout].span(index)[1] * 4 + 28] += 1
        session.rollback()
        stored_bytes = sum(size * count for size, count in by_size.items())
        real_bytes = sum(size * count for size, count in real.items())
        sizes = ", ".join(f"{count:,} of {size} B" for size, count in sorted(by_size.items()))
        print(f"  index: {sum(by_size.values()):,} blocks ({sizes}), {stored_bytes / 1e6:,.1f} MB of bodies; "
              f"real blocks {sum(real.values()):,}, "
              f"{real_bytes / 1e6:,.1f} MB: dummies add {stored_bytes / max(real_bytes, 1) - 1:.1%}", flush=True)
        if database == "postgresql":
            for table in ("submission", "message", "note", "attachment", "search_block", "search_segment",
                          "search_member"):
                size_ = session.scalar(sa.text(f"SELECT pg_total_relation_size('{table}')"))  # nosec B608
                print(f"  {table}: {size_ / 1e6:,.1f} MB", flush=True)
        else:
            path = Path(sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
            print(f"  database file: {path.stat().st_size / 1e6:,.1f} MB", flush=True)
            for table in ("submission", "search_block"):
                found = session.scalar(sa.text(f"SELECT sum(pgsize) FROM dbstat WHERE name = '{table}'"))  # nosec B608
                print(f"  {table}: {(found or 0) / 1e6:,.1f} MB", flush=True)
        session.rollback()


if __name__ == "__main__":
    main()
