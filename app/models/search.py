"""The sealed search index (app/sealed/search/): an encrypted multimap in segments.

Nothing here is a function of what anybody wrote that can be computed without the search key:
a block's label is an HMAC under a key derived from the search key, the token and the
segment's random nonce, so the same word has unrelated labels in every segment; a block's body
is AES-GCM under the segment's key. What the tables show in the clear — which submissions were
indexed together, how many blocks each segment holds (padded), when — is listed in SECURITY.md.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, created_at, intpk, str20


class SearchKey(Base):
    """A search key (32 random bytes), sealed to the organization's public key. The newest one
    writes; older ones are kept only until every segment under them has been re-keyed
    (`flask keys rotate-search`)."""

    __tablename__ = "search_key"

    id: Mapped[intpk]
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    created_at: Mapped[created_at]


class SearchSegment(Base):
    """A set of documents indexed together: immutable once live. `doc_ids` lists them (sorted,
    8 bytes each, little-endian); a posting names a document by its place in it. `corpus` says
    what the documents are ("submission" or "record", app/sealed/search/corpus.py): a segment
    holds one corpus only, and a search reads the segments of its own."""

    __tablename__ = "search_segment"

    id: Mapped[intpk]
    corpus: Mapped[str20] = mapped_column(default="submission", server_default="submission")
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("search_key.id"), index=True)
    nonce: Mapped[bytes] = mapped_column(sa.LargeBinary(16))
    state: Mapped[str20] = mapped_column(default="building", index=True)  # building, live, retired
    layout: Mapped[int] = mapped_column(server_default="1")  # how tails are cut (app/sealed/search/blocks.py LAYOUTS)
    docs: Mapped[int]
    doc_ids: Mapped[bytes] = mapped_column(sa.LargeBinary())
    heads: Mapped[int]  # blocks as stored, padded to a class (app/sealed/search/blocks.py)
    tails: Mapped[int]
    created_at: Mapped[created_at]


class SearchBlock(Base):
    """One block of the multimap: a random-looking 16-byte label and an AES-GCM body of one of
    a few fixed sizes (a head's, and each tail size of the segment's layout)."""

    __tablename__ = "search_block"

    label: Mapped[bytes] = mapped_column(sa.LargeBinary(16), primary_key=True)
    segment_id: Mapped[int] = mapped_column(sa.ForeignKey("search_segment.id", ondelete="CASCADE"), index=True)
    body: Mapped[bytes] = mapped_column(sa.LargeBinary())


class SearchMember(Base):
    """The segment that holds a submission's current postings. Deleting a row (the submission
    was deleted, so the row goes with it) records the postings left behind as stale: a database
    trigger (migration 0016) writes SearchStale, so that no way of deleting a submission is
    forgotten."""

    __tablename__ = "search_member"

    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True)
    segment_id: Mapped[int] = mapped_column(sa.ForeignKey("search_segment.id", ondelete="CASCADE"), index=True)


class SearchRecordMember(Base):
    """The segment that holds a record's current postings: SearchMember for the record corpus,
    with the same trigger (migration 0026) writing SearchStale when a record is deleted."""

    __tablename__ = "search_record_member"

    record_id: Mapped[int] = mapped_column(sa.ForeignKey("record.id", ondelete="CASCADE"), primary_key=True)
    segment_id: Mapped[int] = mapped_column(sa.ForeignKey("search_segment.id", ondelete="CASCADE"), index=True)


class SearchStale(Base):
    """Postings of a document in a segment that no longer count: the document was indexed
    again (its new postings are in a newer segment) or deleted (`deleted`: the segment is
    rewritten at the next officer session, so that a purged text leaves the index too).
    `submission_id` is the document's id in the segment's corpus: a submission's, or a
    record's in a segment of records."""

    __tablename__ = "search_stale"

    segment_id: Mapped[int] = mapped_column(sa.ForeignKey("search_segment.id", ondelete="CASCADE"), primary_key=True)
    submission_id: Mapped[int] = mapped_column(primary_key=True)
    deleted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class SearchLease(Base):
    """One row: which worker may write the index now, and until when (several app servers and
    workers share one database; only the holder builds, merges or re-keys segments)."""

    __tablename__ = "search_lease"

    id: Mapped[intpk]
    holder: Mapped[str | None] = mapped_column(sa.String(64))
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())
