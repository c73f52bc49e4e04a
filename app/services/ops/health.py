"""/healthz: is each thing a submission needs working right now? (issue 10, item 5)

Each check answers only yes or no. The answer is public (a load balancer or a monitor asks
it without logging in), so it names the dependency and nothing else: no path, no host, no
exception text. `flask doctor` (doctor.py) is where an administrator reads why.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.sealed import keys


def database(session: Session) -> bool:
    try:
        session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        session.rollback()
        return False
    finally:
        session.rollback()  # hold no lock (SQLite) or connection longer than the question


def keys_present(session: Session) -> bool:
    """The organization's keys exist: without them no submission can be sealed and accepted."""
    try:
        return keys.keys_exist(session)
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        session.rollback()


def upload_folder(upload_dir: str) -> bool:
    """A file can be written, synced and removed where uploads go (full, read-only and
    permission problems all fail here)."""
    probe = Path(upload_dir) / f".healthz-{secrets.token_hex(8)}"
    try:
        with open(probe, "xb") as handle:
            handle.write(b"\0" * 4096)
            handle.flush()
            os.fsync(handle.fileno())
        return True
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)


def answered(check: Callable[[], bool]) -> bool:
    """A check of another service (the rate-limit store) that fails by raising or by saying no."""
    try:
        return bool(check())
    except Exception:  # any client error of that service means it is not usable now
        return False


def report(results: dict[str, bool]) -> tuple[dict, int]:
    """The JSON body and the HTTP status: 200 when everything works, else 503."""
    healthy = all(results.values())
    body = {"status": "ok" if healthy else "failing",
            "checks": {name: "ok" if ok else "failing" for name, ok in results.items()}}
    return body, 200 if healthy else 503
