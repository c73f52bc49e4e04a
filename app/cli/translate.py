"""`flask translate extract|update|compile|check`: the message catalogs (README, "Adding or
changing a user-visible string")."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask.cli import AppGroup

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext", "-k", "lazy_pgettext:1c,2"]

translate = AppGroup("translate", help="Extract, update, compile and check the message catalogs.")


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def _extract(target: Path) -> None:
    # Babel skips directories starting with "_" by default; templates/_macros holds strings too.
    _pybabel("extract", "-F", str(ROOT / "babel.cfg"), *KEYWORDS, "--ignore-dirs", ".* __pycache__",
             "--no-location", "--omit-header",
             "--sort-output", "-o", str(target), str(ROOT / "app"))


@translate.command("extract")
def extract_command():
    """Write translations/messages.pot from the code and templates."""
    _extract(POT)
    click.echo(f"wrote {POT.relative_to(ROOT)}")


@translate.command("update")
def update_command():
    """Extract, then merge new strings into every locale's .po."""
    _extract(POT)
    _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching", "--ignore-obsolete")
    click.echo("updated catalogs; translate the new empty entries, then run `flask translate compile`")


@translate.command("compile")
def compile_command():
    """Build the .mo files the app reads."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


def catalog_problems() -> list[str]:
    """Why the committed catalogs are not ready: a stale .pot, or a msgid without Korean."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh_path = Path(tmp) / "fresh.pot"
        _extract(fresh_path)
        with open(fresh_path, "rb") as handle:
            fresh = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(handle) if m.id}
    with open(POT, "rb") as handle:
        committed = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(handle) if m.id}
    for _context, msgid in sorted(fresh - committed, key=str):
        problems.append(f"not in messages.pot (run `flask translate update`): {msgid!r}")
    for _context, msgid in sorted(committed - fresh, key=str):
        problems.append(f"in messages.pot but no longer in the code: {msgid!r}")
    po_path = TRANSLATIONS / "ko" / "LC_MESSAGES" / "messages.po"
    with open(po_path, "rb") as handle:
        catalog = read_po(handle, locale="ko")
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        key = (message.context, message.id if isinstance(message.id, str) else message.id[0])
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        translated[key] = all(strings) and not message.fuzzy
    for key in sorted(fresh, key=str):
        if not translated.get(key):
            problems.append(f"no Korean translation: {key[1]!r}")
    return problems


@translate.command("check")
def check_command():
    """Fail when messages.pot is stale or any msgid lacks a Korean translation."""
    problems = catalog_problems()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo("catalogs are complete")
