"""Logs that carry nothing a submitter wrote and no client address (DESIGN §7).

- **SQL parameters**: the engine hides them (config.py, `hide_parameters`), also from
  statement logging an operator may turn on.
- **Exceptions** are logged by kind and place, never by message: a database error's message
  can repeat a value of the row (PostgreSQL's "Key (…)=(…) already exists", "invalid input
  syntax …"), a ValueError quotes what it could not parse. The process's log record factory
  (installed by init_app) renders every record's exception here — each exception's type and
  traceback lines, for a database error also its SQLSTATE, constraint, table and column — and
  drops the exception object, so no handler or formatter can print the message afterwards. An
  exception passed as a log message or argument is replaced by the same description. This
  holds for every logger in the process: the app's, SQLAlchemy's, gunicorn's.
- **Client addresses**: GunicornLogger (gunicorn.conf.py's logger_class) leaves them out of
  every line it writes, access and error alike, whatever the access log format asks for, and
  drops the request line's detail from "Invalid request" lines; the development server's filter
  is in app/security.py.
"""
from __future__ import annotations

import ipaddress
import logging
import re
import traceback

from gunicorn.glogging import Logger

CHAINED = "\nThe above exception was the direct cause of the following exception:\n\n"
CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def _name(kind: type) -> str:
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _database_facts(exc: BaseException) -> list[str]:
    """What a database error may say about itself without any value of the row: the SQLSTATE
    and the names of the constraint, table and column (psycopg), the error name (sqlite3)."""
    facts = []
    for error in (exc, getattr(exc, "orig", None)):
        if error is None:
            continue
        if error is not exc:
            facts.append(f"from {_name(type(error))}")
        diag = getattr(error, "diag", None)
        for label, value in (("sqlstate", getattr(error, "sqlstate", None)),
                             ("constraint", getattr(diag, "constraint_name", None)),
                             ("table", getattr(diag, "table_name", None)),
                             ("column", getattr(diag, "column_name", None)),
                             ("sqlite", getattr(error, "sqlite_errorname", None))):
            if isinstance(value, str) and value:
                facts.append(f"{label} {value}")
    return facts


def describe(exc: BaseException) -> str:
    """An exception's kind, without its message: "sqlalchemy.exc.DataError (message withheld;
    from psycopg.errors.DataException, sqlstate 22000)"."""
    return f"{_name(type(exc))} ({'; '.join(['message withheld', *_dedupe(_database_facts(exc))])})"


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def scrubbed_traceback(exc: BaseException) -> str:
    """The traceback Python would print, chained exceptions included, with every exception's
    message replaced by describe(). Source lines are the program's, never data."""
    lines: list[str] = []
    seen: set[int] = set()

    def walk(error: BaseException) -> None:
        seen.add(id(error))
        if error.__cause__ is not None and id(error.__cause__) not in seen:
            walk(error.__cause__)
            lines.append(CHAINED)
        elif (error.__context__ is not None and not error.__suppress_context__
              and id(error.__context__) not in seen):
            walk(error.__context__)
            lines.append(CONTEXT)
        if error.__traceback__ is not None:
            lines.append("Traceback (most recent call last):\n")
            lines.extend(traceback.format_tb(error.__traceback__))
        lines.append(describe(error) + "\n")

    walk(exc)
    return "".join(lines).rstrip("\n")


def init_app(_app) -> None:
    install_scrubbing()


def _scrubbing_factory(base):
    def make_record(*args, **kwargs) -> logging.LogRecord:
        record = base(*args, **kwargs)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrubbed_traceback(record.exc_info[1])
            record.exc_info = None
        if isinstance(record.msg, BaseException):
            record.msg = describe(record.msg)
        if isinstance(record.args, tuple) and any(isinstance(arg, BaseException) for arg in record.args):
            record.args = tuple(describe(arg) if isinstance(arg, BaseException) else arg for arg in record.args)
        return record

    make_record.moksori_scrubbing = True  # type: ignore[attr-defined]
    return make_record


def install_scrubbing() -> None:
    """Make every log record of this process carry exceptions without their messages (once)."""
    base = logging.getLogRecordFactory()
    if not getattr(base, "moksori_scrubbing", False):
        logging.setLogRecordFactory(_scrubbing_factory(base))


# --- client addresses ----------------------------------------------------------------------

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[\w.]+)?(?![\w:])")
_INVALID_REQUEST = re.compile(r"Invalid request from ip=\S*?: ([^:'\"]*).*", re.DOTALL)
_QUERY = re.compile(r"(/[^\s?\"]*)\?[^\s\"]*")


def _address_out(match: re.Match) -> str:
    try:
        ipaddress.ip_address(match.group(0).split("%")[0])
    except ValueError:
        return match.group(0)  # a time of day, a version: not an address
    return "-"


def scrub_line(text: str) -> str:
    """A log line without client addresses; an invalid request keeps only what kind it was
    (its text quotes the request, which may carry anything); a URL loses its query string."""
    text = _INVALID_REQUEST.sub(lambda m: f"Invalid request: {m.group(1).strip()}", text)
    text = _QUERY.sub(r"\1?-", text)
    return _IPV6.sub(_address_out, _IPV4.sub(_address_out, text))


# gunicorn's own start-up lines that name the addresses it listens on (its own, never a
# client's): kept as they are, so the log says where the server is ("Listening at: http://-:8000"
# said nothing). Matched by gunicorn's message template, which no request can choose.
_SERVER_ADDRESS_LINES = frozenset({"Listening at: %s (%s)"})


class _ScrubLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg in _SERVER_ADDRESS_LINES and record.name.startswith("gunicorn.error"):
            return True
        record.msg, record.args = scrub_line(record.getMessage()), ()
        if record.exc_text:
            record.exc_text = scrub_line(record.exc_text)
        return True


# Header and environ atoms ("{…}i", "{…}o", "{…}e") can name the client (X-Forwarded-For,
# Forwarded, REMOTE_ADDR, a user agent, a referrer) or carry a cookie: none of them is logged.
_BLANK_ATOMS = ("h", "u", "f", "a", "q")


class GunicornLogger(Logger):
    """gunicorn's logger, leaving client addresses (and user agents, referrers and query
    strings) out of every line, access and error alike, whatever access_log_format asks for."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in (*self.error_log.handlers, *self.access_log.handlers):
            handler.addFilter(_ScrubLines())

    # gunicorn's stubs type atoms() as a TypedDict of its fixed atoms; ours is that dict less the
    # header atoms ("{name}i"), whose keys are not fixed, so it can only be a plain dict.
    def atoms(self, resp, req, environ, request_time) -> dict:  # type: ignore[override]
        atoms = {key: value for key, value in super().atoms(resp, req, environ, request_time).items()
                 if not key.endswith(("}i", "}o", "}e"))}
        atoms.update(dict.fromkeys(_BLANK_ATOMS, "-"))
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')} {environ.get('SERVER_PROTOCOL')}"
        return atoms
