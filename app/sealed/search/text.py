"""Text → tokens, and a query → the tokens each term needs: the part of search that never
touches a key or the database.

Why not the databases' own tokenizers (KOREAN.md §3.8): Korean glues particles and endings to
words (고문을, 고문당했다), so whole-word tokenizers miss 고문 in 고문을, and trigram indexes
cannot find two-syllable words at all. So every run of Hangul (or Hanja/kana) becomes its
overlapping syllable pairs (고문을 → 고문 문을), other words are case-folded. A query term
becomes the phrase of its own pairs: 고문 finds 고문을, and 공개처형 finds 공개처형을 but not
공개 … 처형 far apart.

A document is a list of slots, one per position: the slot's pair or word (found in a phrase by
its position), plus tokens found from there without a position — the beginning of a Latin word
(3–16 letters: "tortur" finds "Tortured"), the first syllable of a run of Hangul (15호 finds
15호에서) and each triple of syllables. Tokens are named "w:<pair or word>", "p:<word
beginning>", "s:<syllable>", "t:<triple>". A word of three or more syllables is looked up by its
triples alone (공개처형: 공개처 and 개처형 in the same report), without positions: a common
word's pairs hold millions of positions at 1,000,000 reports, its triples a fraction of that.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

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
MAX_TERM_TOKENS = 32  # a phrase is matched on at most this many tokens
PREFIX_MIN, PREFIX_MAX = 3, 16
TOKEN_BYTES = 64  # a token longer than this (in UTF-8) is cut, at indexing and at search alike
PUBLIC_ID_CHARACTERS = frozenset("ABCDEFGHJKMNPQRSTUVWXYZ23456789")  # services/intake/reports.py


def token(kind: str, text: str) -> str:
    """The name of a token: its kind and its text, cut to TOKEN_BYTES of UTF-8."""
    name = f"{kind}:{text}"
    data = name.encode()
    if len(data) <= TOKEN_BYTES:
        return name
    return data[:TOKEN_BYTES].decode(errors="ignore")


def has_positions(name: str) -> bool:
    """Whether a token's postings carry positions: pairs and words ("w:") do, for phrases; word
    beginnings, first syllables and triples are found per document only (position 0)."""
    return name.startswith("w:")


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
    """The positional tokens of some texts, in order, without their kind (for tests and the demo)."""
    return [slot.token for slot in slots(document(texts))]


# The public id is not indexed: it is in the clear anyway, and found by its column (reader.py).
INDEXED_FIELDS = ("place", "when_text", "perpetrator_text", "narrative")


def submission_document(fields: Mapping, notes: list[str], messages: list[str]) -> Document:
    """The document of one submission from its indexed fields (a missing one is empty), then
    its notes and messages: one definition for indexing and the demo seed."""
    return document([*(fields.get(name) for name in INDEXED_FIELDS), *notes, *messages])


# --- records (app/sealed/search/corpus.py) ----------------------------------------------------

# A record's name or alias is also stored as a key without a position, "n:" + its first three
# syllables (two when its first run has two; or its first Latin word): the text of an item
# names candidates through it (suggestion_keys), without a lookup for every pair of a record's
# description, and a key of three syllables is most often the whole of a Korean name. In a Document it
# is a run marked with NAME_MARK, which no text can produce (_fold drops control characters).
NAME_MARK = "\0"
SUGGESTED_KINDS = ("person", "place")  # an event's title is not a name that a text would contain


def record_names(kind: str, content: Mapping) -> list[str]:
    """A record's name (an event's title) and aliases, and their other spellings (VARIANTS)."""
    names = [content.get("title" if kind == "event" else "name") or "", *(content.get("aliases") or [])]
    names = [name for name in names if name.strip()]
    return list(dict.fromkeys(names + _variant_words(" ".join(names))))


def _run_key(is_cjk: bool, run: str) -> str | None:
    return token("n", run[:3] if is_cjk else run) if len(run) >= 2 else None


def name_key(name: str) -> str | None:
    """The key a name is suggested by: its first three syllables (or two, when its first run
    has two), or its first Latin word of two letters or more (a name that starts with a lone
    syllable has none)."""
    runs = _segments(name)
    return _run_key(*runs[0]) if runs else None


def name_keys(name: str) -> list[str]:
    """The name's key, then those of its other words ("회령 12호 교화소": 회령, 12, 교화소): a
    text that holds the whole name holds them all, which ranks it above names that only begin
    the same way (services/records/search.py)."""
    first = name_key(name)
    if first is None:
        return []
    return list(dict.fromkeys([first, *(key for run in _segments(name)[1:] if (key := _run_key(*run)))]))


def record_document(kind: str, content: Mapping) -> Document:
    """A record's document: its name (or title), aliases, description, and an event's when;
    then, for persons and places, the keys of its names (the names come first: a phrase of the
    name is found at its start)."""
    texts = [content.get("title" if kind == "event" else "name"), *(content.get("aliases") or []),
             content.get("description"), content.get("when_text") if kind == "event" else None]
    doc = document(texts)
    if kind in SUGGESTED_KINDS:
        keys = dict.fromkeys(key for name in record_names(kind, content) for key in name_keys(name))
        doc += [(False, NAME_MARK + key) for key in keys]
    return doc


def normalized(text: str) -> str:
    """Text as the words the index sees, one space apart and around: how a name is matched in
    a text ("Pak Yong-ho" in "pak yong ho", 박영호 in 박영호가)."""
    return " " + " ".join(run for _cjk, run in _segments(text)) + " "


def occurs(name: str, text: str) -> bool:
    """Whether a name occurs in a text that is already `normalized`: a Latin word at either end
    of the name must be a whole word there; Korean runs may go on (particles, endings)."""
    runs = _segments(name)
    if not runs or sum(len(run) for _cjk, run in runs) < 2:
        return False
    body = " ".join(run for _cjk, run in runs)
    start = "" if runs[0][0] else " "
    end = "" if runs[-1][0] else " "
    return (start + body + end) in text


def suggestion_keys(texts: list[str | None], limit: int) -> list[str]:
    """The name keys a text can hold, each once, at most `limit`: those at the beginnings of
    its words first (where names begin), then the pairs and triples of syllables inside them."""
    runs = document(texts)
    first = [token("n", run[:size] if is_cjk else run) for is_cjk, run in runs if len(run) >= 2
             for size in ((2, 3) if is_cjk else (0,)) if not is_cjk or len(run) >= size]
    inner = [token("n", run[i:i + size]) for is_cjk, run in runs if is_cjk
             for i in range(1, len(run) - 1) for size in (2, 3) if i + size <= len(run)]
    return list(dict.fromkeys(first + inner))[:limit]


@dataclass
class Slot:
    """One position of a document: its pair or word, and the tokens found from there without
    a phrase (word beginnings, the start of a run)."""

    token: str
    extra: list[str] = field(default_factory=list)


def slots(doc: Document) -> list[Slot]:
    found: list[Slot] = []
    for is_cjk, run in doc:
        if run.startswith(NAME_MARK):  # a name key: found per document, without a position of its own
            if found:
                found[-1].extra.append(run[len(NAME_MARK):])
            continue
        if not is_cjk:
            top = min(len(run), PREFIX_MAX)
            found.append(Slot(run, [token("p", run[:k]) for k in range(PREFIX_MIN, top + 1)]))
            continue
        for i, pair in enumerate(_pairs(run)):
            extra = [token("s", run[0])] if i == 0 else []
            if i + 3 <= len(run):
                extra.append(token("t", run[i:i + 3]))
            found.append(Slot(pair, extra))
    return found


# --- query → terms ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    text: str  # the term as typed (NFC), for highlighting
    tokens: tuple[str, ...]  # the phrase the index must contain (pairs and words, without kind)
    prefix: bool = False  # the last token may begin a longer word (tortur → tortured)
    run: str | None = None  # the term is one run of 3+ syllables: found by its triples

    @property
    def triples(self) -> tuple[str, ...]:
        """The triple tokens (named) a run of 3+ syllables is found by."""
        if not self.run:
            return ()
        return tuple(dict.fromkeys(token("t", self.run[i:i + 3]) for i in range(len(self.run) - 2)))

    @property
    def phrase(self) -> tuple[str, ...]:
        """The positional tokens (named) that must stand next to each other."""
        if self.run:
            return ()
        words = self.tokens[:-1] if self.prefix else self.tokens
        return tuple(token("w", word) for word in words)

    @property
    def beginning(self) -> str | None:
        """The token (named) that a prefix term's last word must begin: a word beginning, or the
        first syllable of a run."""
        if not self.prefix:
            return None
        last = self.tokens[-1]
        return token("s" if _CJK_CHAR.match(last) else "p", last[:PREFIX_MAX])

    @property
    def public_id_prefix(self) -> str | None:
        """The term as the beginning of a public id (3 to 10 of its letters and digits), if it can be one."""
        text = self.text.upper()
        if 3 <= len(text) <= 10 and all(ch in PUBLIC_ID_CHARACTERS for ch in text):
            return text
        return None

    @property
    def needed(self) -> tuple[str, ...]:
        return self.triples + self.phrase + ((self.beginning,) if self.beginning else ())


@dataclass
class Query:
    terms: list[Term] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # one-syllable Korean words: pairs cannot find them
    problem: str | None = None  # "too_short": nothing searchable was left

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def tokens(self) -> list[str]:
        """Every token the query needs, each once."""
        return list(dict.fromkeys(name for term in self.terms for name in term.needed))


def _term(chunk: str) -> tuple[Term | None, list[str]]:
    """The phrase for one word (or quoted words), and the one-syllable parts left out of it.

    A lone syllable that ends a run in the text (고 in 고, or 제 in 제1) has no token of its
    own: the pairs hold it only as the second half of some pair. Rather than fall back to an
    unbounded scan, such syllables are left out and the page says so."""
    segments = _segments(chunk)
    phrase: list[str] = []
    left_out: list[str] = []
    prefix, last = False, len(segments) - 1
    for i, (is_cjk, run) in enumerate(segments):
        prefix = False
        if not is_cjk:
            phrase.append(run)
            prefix = i == last and len(run) >= PREFIX_MIN
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
    whole = len(segments) == 1 and segments[0][0] and 3 <= len(segments[0][1]) <= MAX_TERM_TOKENS
    return Term(unicodedata.normalize("NFC", chunk), tuple(phrase[:MAX_TERM_TOKENS]), prefix,
                segments[0][1] if whole else None), left_out


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
