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

import base64
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, selectinload

from app.models import Submission
from app.models.base import engine_of, rows_affected
from app.sealed import vault
from app.sealed.keys import Keyring

TABLE = "submission_search"
# Scripts written without spaces between morphemes are indexed as pairs of characters.
_CJK = "\uac00-\ud7a3\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff"
_RUN = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_CJK_CHAR = re.compile(f"[{_CJK}]")
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


# --- keyed tokens ---------------------------------------------------------------------------

class Keyer:
    """Turns a token into the opaque word the index stores: HMAC-SHA256 under the search key
    (derived from the org key, services/keys.py), 50 bits written as 10 base32 letters. The
    index then holds no syllable, word or name, only which submissions share a token and
    where; SECURITY.md says what that still lets someone with the database infer.

    Kinds keep token families apart: "w" a pair or word (with a position, so phrases work),
    "p" the beginning of a Latin word (3–16 letters: tortur finds Tortured), "s" the first
    syllable of a run of Hangul (15호 finds 15호에서), "t" a triple of syllables (PostgreSQL)."""

    def __init__(self, search_key: bytes):
        self._key = search_key
        self._cache: dict[str, str] = {}

    def __call__(self, kind: str, token: str) -> str:
        name = f"{kind}:{token}"
        word = self._cache.get(name)
        if word is None:
            digest = hmac.new(self._key, name.encode(), hashlib.sha256).digest()
            word = self._cache[name] = base64.b32encode(digest[:7]).decode()[:10].lower()
        return word


PREFIX_MIN, PREFIX_MAX = 3, 16


@dataclass
class Slot:
    """One position of a document: its pair or word, and the tokens found from there without
    a phrase (a triple starting there, word beginnings, the start of a run)."""

    token: str
    extra: list[tuple[str, str]] = field(default_factory=list)


def _slots(doc: Document) -> list[Slot]:
    slots: list[Slot] = []
    for is_cjk, run in doc:
        if not is_cjk:
            top = min(len(run), PREFIX_MAX)
            slots.append(Slot(run, [("p", run[:k]) for k in range(PREFIX_MIN, top + 1)]))
            continue
        for i, pair in enumerate(_pairs(run)):
            slot = Slot(pair, [("s", run[0])] if i == 0 else [])
            if i + 3 <= len(run):
                slot.extra.append(("t", run[i:i + 3]))
            slots.append(slot)
    return slots


# --- writing the index -----------------------------------------------------------------------

def _quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsvector(slots: list[Slot], keyer: Keyer) -> str:
    """PostgreSQL: pairs and words at consecutive positions (phrases of pairs work); triples,
    word beginnings and run starts without positions: a word of three or more syllables is
    found by its triples alone (GIN answers that without reading rows), and positions would
    only make the rows the index points to longer."""
    positions: dict[str, list[int]] = {}
    extras: set[str] = set()
    for position, slot in enumerate(slots, 1):
        positions.setdefault(keyer("w", slot.token), []).append(position)
        extras.update(keyer(kind, token) for kind, token in slot.extra)
    words = [f"{_quote(t)}:{','.join(map(str, p[:256]))}" for t, p in positions.items()]
    return " ".join(words + [_quote(t) for t in extras - positions.keys()])


def _fts_document(slots: list[Slot], keyer: Keyer) -> str:
    """SQLite: the positional tokens in order, then the others (after the last position, so
    they never sit between two tokens of a phrase). Triples are not needed there."""
    extras = dict.fromkeys(keyer(kind, token) for slot in slots for kind, token in slot.extra if kind != "t")
    return " ".join([keyer("w", slot.token) for slot in slots] + list(extras))


def _parts(slots: list) -> list[list]:
    step = PG_PART_TOKENS - PG_OVERLAP
    return [slots[start:start + PG_PART_TOKENS] for start in range(0, max(len(slots) - PG_OVERLAP, 1), step)]


def write_documents(session: Session, keyer: Keyer, docs: list[tuple[int, Document]], replace: bool = True) -> None:
    """Store the documents of several submissions (bulk: one statement per kind of row)."""
    if replace and docs:
        remove(session, [sid for sid, _ in docs])
    if engine_of(session).dialect.name == "postgresql":
        rows = [{"sid": sid, "part": n, "doc": _tsvector(part, keyer)}
                for sid, doc in docs if doc for n, part in enumerate(_parts(_slots(doc)))]
        if rows:
            # TABLE is this module's constant; the values are bound parameters.
            session.execute(sa.text(f"INSERT INTO {TABLE} (submission_id, part, document) "  # nosec B608 # constant
                                    "VALUES (:sid, :part, CAST(:doc AS tsvector))"), rows)
    else:
        rows = [{"sid": sid, "doc": _fts_document(_slots(doc), keyer)} for sid, doc in docs if doc]
        if rows:
            session.execute(sa.text(f"INSERT INTO {TABLE} (rowid, document) VALUES (:sid, :doc)"),  # nosec B608
                            rows)


def remove(session: Session, submission_ids: list[int]) -> None:
    key = "submission_id" if engine_of(session).dialect.name == "postgresql" else "rowid"
    for start in range(0, len(submission_ids), 500):
        chunk = [int(i) for i in submission_ids[start:start + 500]]
        # TABLE and key are this module's constants and chunk holds ints: nothing here comes from input.
        session.execute(sa.text(f"DELETE FROM {TABLE} WHERE {key} IN ({','.join(map(str, chunk))})"))  # nosec B608


INDEXED_FIELDS = ("public_id", "place", "when_text", "perpetrator_text", "narrative")


def submission_document(fields: Mapping, notes: list[str], messages: list[str]) -> Document:
    """The document of one submission from its indexed fields (a missing one is empty), then
    its notes and messages: one definition for indexing and the demo seed."""
    return document([*(fields.get(name) for name in INDEXED_FIELDS), *notes, *messages])


def opened_document(item: Submission) -> Document:
    """The document of a submission opened with its thread (services/vault.py)."""
    return submission_document({name: getattr(item, name) for name in INDEXED_FIELDS},
                               [note.body for note in item.notes], [message.body for message in item.messages])


def _set_pending(session: Session, ids: list[int], pending: bool) -> None:
    """A plain UPDATE: indexing is not a change of the item (its version, which stale forms
    are checked against, and its updated_at, which retention counts from, stay as they are)."""
    session.execute(sa.update(Submission).where(Submission.id.in_(ids))
                    .values(search_pending=pending, updated_at=Submission.updated_at)
                    .execution_options(synchronize_session=False))


def mark_pending(session: Session, submission: Submission) -> None:
    """The item's text changed (a note, a message): index it again from the next staff request."""
    _set_pending(session, [submission.id], True)


def pending_count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Submission)
                          .where(Submission.search_pending.is_(True))) or 0


def index_pending(session: Session, keyring: Keyring, limit: int = 50) -> int:
    """Index up to `limit` submissions that are waiting (written while no officer was logged
    in, or changed since): opened with the keyring, tokenized, keyed. The caller commits."""
    if not keyring:
        return 0
    items = list(session.scalars(sa.select(Submission).where(Submission.search_pending.is_(True))
                                 .order_by(Submission.id).limit(limit)
                                 .options(selectinload(Submission.notes), selectinload(Submission.messages))))
    if not items:
        return 0
    keyer = Keyer(keyring.search_key())
    docs = []
    for item in items:
        vault.open_thread(item, vault.open_for_staff(keyring, item), keyring)
        docs.append((item.id, opened_document(item)))
    write_documents(session, keyer, docs)
    _set_pending(session, [item.id for item in items], False)
    return len(items)


def mark_all_pending(session: Session) -> int:
    """Empty the index and queue every submission for indexing from the next officer session
    (after a tokenizer change, a restore, or a new org key)."""
    session.execute(sa.text(f"DELETE FROM {TABLE}"))  # nosec B608 # TABLE is this module's constant
    return rows_affected(session.execute(sa.update(Submission).values(search_pending=True)
                                         .execution_options(synchronize_session=False)))


# --- reading the index -----------------------------------------------------------------------

def _last_token(term: Term, keyer: Keyer) -> str:
    """The keyed form of a prefix term's last token: a word beginning, or a run's first syllable."""
    last = term.tokens[-1]
    kind = "s" if _CJK_CHAR.match(last) else "p"
    return keyer(kind, last[:PREFIX_MAX])


def _fts_term(term: Term, keyer: Keyer) -> str:
    phrase = term.tokens[:-1] if term.prefix else term.tokens
    parts = ['"' + " ".join(keyer("w", t) for t in phrase) + '"'] if phrase else []
    if term.prefix:
        parts.append(_last_token(term, keyer))
    return " AND ".join(parts)


def _tsquery(term: Term, keyer: Keyer) -> str:
    if term.run:  # no phrase operator: the GIN index decides alone, no row is re-read
        return " & ".join(_quote(keyer("t", term.run[i:i + 3])) for i in range(len(term.run) - 2))
    phrase = term.tokens[:-1] if term.prefix else term.tokens
    parts = [" <-> ".join(_quote(keyer("w", t)) for t in phrase)] if phrase else []
    if term.prefix:
        parts.append(_quote(_last_token(term, keyer)))
    return " & ".join(f"({part})" for part in parts)


def condition(dialect: str, query: Query, keyer: Keyer | None):
    """A WHERE clause on Submission matching every term of the query (AND). Without a keyer
    (no unlocked session) nothing matches: the index cannot be read without the key."""
    if not query.terms:
        return sa.true()
    if keyer is None:
        return sa.false()
    if dialect == "postgresql":
        clauses = []
        for term in query.terms:  # per term: its words may sit in different parts
            tsquery = sa.cast(sa.bindparam(None, _tsquery(term, keyer), type_=sa.String), postgresql.TSQUERY)
            clauses.append(Submission.id.in_(
                sa.select(_pg_search.c.submission_id).where(_pg_search.c.document.op("@@")(tsquery))))
        return sa.and_(*clauses)
    match = " AND ".join(f"({_fts_term(t, keyer)})" for t in query.terms)
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
    if engine_of(session).dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        session.execute(sa.text("SET LOCAL jit = off"))


def search_ids(session: Session, raw_query: str, keyer: Keyer | None, limit: int = 1000) -> list[int]:
    """Submission ids matching the query, newest first (an invalid query matches nothing)."""
    query = parse(raw_query)
    if not query:
        return []
    steer_planner(session)
    dialect = engine_of(session).dialect.name
    return list(session.scalars(sa.select(Submission.id).where(condition(dialect, query, keyer))
                                .order_by(Submission.id.desc()).limit(limit)))
