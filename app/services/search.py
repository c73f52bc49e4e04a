"""Search over a submission's account, internal notes and messages that finds Korean words
inside longer words, on SQLite and on PostgreSQL.

Why not the databases' own tokenizers (KOREAN.md §3.8): Korean glues particles and endings to
words (고문을, 고문당했다), so whole-word tokenizers (FTS5 unicode61, to_tsvector('simple'))
miss 고문 in 고문을, and trigram indexes cannot find two-syllable words at all. So Python
builds one derived search document per submission: every run of Hangul (or Hanja/kana)
becomes its overlapping syllable pairs (고문을 → 고문 문을), other words are case-folded.
A query term becomes the phrase of its own pairs: 고문 finds 고문을, and 공개처형 finds
공개처형을 but not 공개 … 처형 far apart.

Storage (created by migration 0004, outside the ORM metadata):
- SQLite: an FTS5 table, rowid = submission id; its unicode61 tokenizer only splits the
  prepared tokens on spaces; phrases are answered from the index's position lists. A trigger
  removes the row with its submission.
- PostgreSQL: tsvector values cast from a literal ('고문':1 '문을':2), so no text search
  parser or locale decides what a Hangul word is; GIN index; ON DELETE CASCADE. A phrase
  query makes PostgreSQL re-read every candidate row, so syllable triples are indexed too
  (without positions) and a word of 3+ syllables is matched by its triples (공개처 & 개처형)
  from the index alone. Positions stop at 16,383 (and 256 per word), so long documents are stored in
  overlapping parts. The tsvector is kept out of line (toast_tuple_target) so the rows the
  index points to are small.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from app.models import Message, Note, Submission

TABLE = "submission_search"
# Scripts written without spaces between morphemes are indexed as pairs of characters.
_CJK = "\uac00-\ud7a3\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff"
_RUN = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_QUERY_TERM = re.compile(r'"([^"]*)"?|(\S+)')
# North/South Korean spellings and Chinese place names (KOREAN.md §3.8): a word written one
# way is indexed the other way too, so either spelling finds it.
VARIANTS = (("로동", "노동"), ("량강", "양강"), ("녀성", "여성"), ("연길", "옌지"), ("심양", "선양"),
            ("강제북송", "강제송환"))
MAX_QUERY_CHARS = 200
MAX_TERMS = 8
PG_PART_TOKENS = 2000
PG_OVERLAP = 32  # a phrase of up to this many tokens that straddles two parts is still found whole
MAX_TERM_TOKENS = PG_OVERLAP


def include_in_autogenerate(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic include_object hook (migrations/env.py): the index tables are not in the models."""
    return not (type_ == "table" and name.startswith(TABLE))


_pg_search = sa.table(TABLE, sa.column("submission_id"), sa.column("part"), sa.column("document"))


# --- text → tokens ---------------------------------------------------------------------------

def _fold(word: str) -> str:
    """Case and accents do not matter for alphabetic words (É, é and e are one token)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return re.sub(r"[\W_]", "", "".join(c for c in decomposed if not unicodedata.combining(c)))[:64]


def _segments(text: str) -> list[tuple[bool, str]]:
    """(is_cjk, run) for each run of CJK characters or of other letters and digits."""
    found = []
    for match in _RUN.finditer(unicodedata.normalize("NFC", text)):
        if match.group(1):
            found.append((True, match.group(1)))
        elif word := _fold(match.group(2)):
            found.append((False, word))
    return found


def _pairs(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]


def _run_tokens(runs: list[tuple[bool, str]]) -> list[str]:
    out: list[str] = []
    for is_cjk, run in runs:
        out.extend(_pairs(run) if is_cjk else [run])
    return out


def _variant_words(text: str) -> list[str]:
    extra = []
    for word in unicodedata.normalize("NFC", text).split():
        for one, other in VARIANTS:
            for old, new in ((one, other), (other, one)):
                if old in word:
                    extra.append(word.replace(old, new))
    return extra


Document = list[tuple[bool, str]]  # the runs of a submission's texts, in order


def document(texts: list[str | None]) -> Document:
    """One submission's search document: its texts, then other spellings of their words."""
    present = [t for t in texts if t]
    return [run for text in present + _variant_words(" ".join(present)) for run in _segments(text)]


def document_tokens(texts: list[str | None]) -> list[str]:
    return _run_tokens(document(texts))


# --- query → terms ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    text: str  # the term as typed (NFC), for highlighting
    tokens: tuple[str, ...]  # the phrase the index must contain
    prefix: bool = False  # the last token may begin a longer word (tortur → tortured)
    run: str | None = None  # the term is one run of 3+ syllables (PostgreSQL matches its triples)


@dataclass
class Query:
    terms: list[Term] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # one-syllable Korean words: pairs cannot find them
    problem: str | None = None  # "too_short": nothing searchable was left

    def __bool__(self) -> bool:
        return bool(self.terms)


def _term(chunk: str) -> tuple[Term | None, list[str]]:
    """The phrase for one word (or quoted words), and the one-syllable parts left out of it.

    A lone syllable that ends a run in the text (고 in 고, or 제 in 제1) has no token of its
    own: the pairs hold it only as the second half of some pair. Rather than fall back to an
    unbounded LIKE scan, such syllables are left out and the page says so."""
    segments = _segments(chunk)
    phrase: list[str] = []
    left_out: list[str] = []
    prefix, last = False, len(segments) - 1
    for i, (is_cjk, run) in enumerate(segments):
        prefix = False
        if not is_cjk:
            phrase.append(run)
            prefix = i == last and len(run) >= 3
        elif len(run) > 1:
            phrase.extend(_pairs(run))
        elif i > 0:
            # After a non-CJK run a syllable starts a run in the text: as the term's last
            # segment it is the first half of a pair (a prefix), in the middle a whole run.
            phrase.append(run)
            prefix = i == last
        else:
            left_out.append(run)
    if not phrase:
        return None, left_out
    whole = len(segments) == 1 and segments[0][0] and 3 <= len(segments[0][1]) <= PG_OVERLAP
    whole_run = segments[0][1] if whole else None
    return Term(unicodedata.normalize("NFC", chunk), tuple(phrase[:MAX_TERM_TOKENS]), prefix, whole_run), left_out


def parse(raw: str | None) -> Query:
    query = Query()
    for match in _QUERY_TERM.finditer((raw or "")[:MAX_QUERY_CHARS]):
        term, left_out = _term(match.group(1) if match.group(1) is not None else match.group(2))
        query.left_out += [word for word in left_out if word not in query.left_out]
        if term and term not in query.terms and len(query.terms) < MAX_TERMS:
            query.terms.append(term)
    if query.left_out and not query.terms:
        query.problem = "too_short"
    return query


# --- writing the index -----------------------------------------------------------------------

def _quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _positions(doc: Document) -> list[tuple[str, str | None]]:
    """PostgreSQL: (token, triple) per position. Pairs and words take consecutive positions
    (phrases of pairs work); each triple of syllables is stored without a position, since a
    word of three or more syllables is found by its triples alone (GIN answers that without
    reading rows), and positions would only make the rows the index points to longer."""
    slots: list[tuple[str, str | None]] = []
    for is_cjk, run in doc:
        if not is_cjk:
            slots.append((run, None))
            continue
        for i, pair in enumerate(_pairs(run)):
            slots.append((pair, run[i:i + 3] if i + 3 <= len(run) else None))
    return slots


def _tsvector(slots: list[tuple[str, str | None]]) -> str:
    positions: dict[str, list[int]] = {}
    triples: set[str] = set()
    for position, (token, triple) in enumerate(slots, 1):
        positions.setdefault(token, []).append(position)
        if triple:
            triples.add(triple)
    words = [f"{_quote(t)}:{','.join(map(str, p[:256]))}" for t, p in positions.items()]
    return " ".join(words + [_quote(t) for t in triples - positions.keys()])


def _parts(slots: list) -> list[list]:
    step = PG_PART_TOKENS - PG_OVERLAP
    return [slots[start:start + PG_PART_TOKENS] for start in range(0, max(len(slots) - PG_OVERLAP, 1), step)]


def write_documents(session: Session, docs: list[tuple[int, Document]], replace: bool = True) -> None:
    """Store the documents of several submissions (bulk: one statement per kind of row)."""
    if replace and docs:
        remove(session, [sid for sid, _ in docs])
    if session.get_bind().dialect.name == "postgresql":
        rows = [{"sid": sid, "part": n, "doc": _tsvector(part)}
                for sid, doc in docs if doc for n, part in enumerate(_parts(_positions(doc)))]
        if rows:
            session.execute(sa.text(f"INSERT INTO {TABLE} (submission_id, part, document) "
                                    "VALUES (:sid, :part, CAST(:doc AS tsvector))"), rows)
    else:
        rows = [{"sid": sid, "doc": " ".join(_run_tokens(doc))} for sid, doc in docs if doc]
        if rows:
            session.execute(sa.text(f"INSERT INTO {TABLE} (rowid, document) VALUES (:sid, :doc)"), rows)


def remove(session: Session, submission_ids: list[int]) -> None:
    key = "submission_id" if session.get_bind().dialect.name == "postgresql" else "rowid"
    for start in range(0, len(submission_ids), 500):
        chunk = [int(i) for i in submission_ids[start:start + 500]]
        session.execute(sa.text(f"DELETE FROM {TABLE} WHERE {key} IN ({','.join(map(str, chunk))})"))


INDEXED_FIELDS = ("public_id", "place", "when_text", "perpetrator_text", "narrative")


def submission_document(fields: Mapping, notes: list[str], messages: list[str]) -> Document:
    """The document of one submission from its indexed fields (a missing one is empty), then
    its notes and messages: one definition for reindex, rebuild_all and the demo seed."""
    return document([*(fields.get(name) for name in INDEXED_FIELDS), *notes, *messages])


def index_new(session: Session, submission: Submission) -> None:
    """Index a submission just created (and flushed): it has no notes, messages or earlier
    document yet, so nothing is read or removed first (the public forms' path)."""
    fields = {name: getattr(submission, name) for name in INDEXED_FIELDS}
    write_documents(session, [(submission.id, submission_document(fields, [], []))], replace=False)


def reindex(session: Session, submission: Submission) -> None:
    """Rebuild one submission's search document in the caller's transaction (caller commits).
    Call it after any change to its narrative, notes or messages."""
    session.flush()
    notes = list(session.scalars(sa.select(Note.body).where(Note.submission_id == submission.id).order_by(Note.id)))
    messages = list(session.scalars(
        sa.select(Message.body).where(Message.submission_id == submission.id).order_by(Message.id)))
    fields = {name: getattr(submission, name) for name in INDEXED_FIELDS}
    write_documents(session, [(submission.id, submission_document(fields, notes, messages))])


def rebuild_all(session: Session, batch: int = 2000) -> int:
    """Rebuild every document (after a tokenizer change or a restore); returns the count."""
    session.execute(sa.text(f"DELETE FROM {TABLE}"))
    done, last_id = 0, 0
    columns = (Submission.id, *(getattr(Submission, name) for name in INDEXED_FIELDS))
    while rows := session.execute(sa.select(*columns).where(Submission.id > last_id)
                                  .order_by(Submission.id).limit(batch)).all():
        ids = [row.id for row in rows]
        extra: dict[int, list[str]] = {i: [] for i in ids}
        for model in (Note, Message):
            for sid, body in session.execute(sa.select(model.submission_id, model.body)
                                             .where(model.submission_id.in_(ids)).order_by(model.id)):
                extra[sid].append(body)
        write_documents(session, [(row.id, submission_document(row._mapping, extra[row.id], [])) for row in rows],
                        replace=False)
        done, last_id = done + len(rows), ids[-1]
    return done


# --- reading the index -----------------------------------------------------------------------

def _fts_phrase(term: Term) -> str:
    return '"' + " ".join(term.tokens) + '"' + ("*" if term.prefix else "")


def _tsquery(term: Term) -> str:
    if term.run:  # no phrase operator: the GIN index decides alone, no row is re-read
        return " & ".join(_quote(term.run[i:i + 3]) for i in range(len(term.run) - 2))
    return " <-> ".join(_quote(t) for t in term.tokens) + (":*" if term.prefix else "")


def condition(dialect: str, query: Query):
    """A WHERE clause on Submission matching every term of the query (AND)."""
    if dialect == "postgresql":
        clauses = []
        for term in query.terms:  # per term: its words may sit in different parts
            tsquery = sa.cast(sa.bindparam(None, _tsquery(term), type_=sa.String), postgresql.TSQUERY)
            clauses.append(Submission.id.in_(
                sa.select(_pg_search.c.submission_id).where(_pg_search.c.document.op("@@")(tsquery))))
        return sa.and_(*clauses) if clauses else sa.true()
    if not query.terms:
        return sa.true()
    match = " AND ".join(_fts_phrase(t) for t in query.terms)
    # "id + 0": SQLite must not drive the query from the matched rowids (a lookup and a sort of
    # every match, 40,000 rows for 고문); it walks the sort order's index and checks membership.
    return (Submission.id + 0).in_(
        sa.select(sa.literal_column("rowid")).select_from(sa.table(TABLE))
        .where(sa.literal_column(TABLE).op("MATCH")(sa.bindparam(None, match, type_=sa.String))))


def steer_planner(session: Session) -> None:
    """PostgreSQL prices @@ as one cheap comparison and does not see that each row it tests
    means taking a document out of TOAST and decompressing it: for a word in 10% of 100,000
    documents it picks a sequential scan of every document (350 ms) over the GIN index
    (20 ms). For the rest of this transaction, sequential scans are the last resort; every
    table the queue reads has an index for what it asks. JIT goes off with them: a scan that
    must happen anyway (a four-row table) now looks costly enough to be compiled (+20 ms)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        session.execute(sa.text("SET LOCAL jit = off"))


def search_ids(session: Session, raw_query: str, limit: int = 1000) -> list[int]:
    """Submission ids matching the query, newest first (an invalid query matches nothing)."""
    query = parse(raw_query)
    if not query:
        return []
    steer_planner(session)
    dialect = session.get_bind().dialect.name
    return list(session.scalars(sa.select(Submission.id).where(condition(dialect, query))
                                .order_by(Submission.id.desc()).limit(limit)))
