"""Checking a group's sheet and ZIP row by row, before anything is stored.

Every problem becomes a RowError naming the sheet's row number (as the spreadsheet numbers
it: the headers are row 1) and the column's header in the page's language, with a message in
that language. Nothing is stored unless there is none: the import is all or nothing.

Headers and coded answers may be written in Korean, in English or as their code
(sheet_template.py). A file is checked (size, type by content, hidden information removed)
by the report form's own preparation, attachments.prepare(); a file a row names that the ZIP
lacks, or one the ZIP holds that no row names, is an error too.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO, Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.services.files.attachments import PreparedFile, UploadRejected, prepare
from app.services.groups import sheet_template as t
from app.services.groups.sheet_files import (
    SheetRefused,
    ZipRefused,
    read_member,
    sheet_rows,
    zip_members,
)

T = TypeVar("T")
# As app/forms.py clean_text: PostgreSQL refuses NUL, and no control character is kept.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it; 0 for the ZIP as a whole
    column: str  # the header, in the page's language ("" when the error is the row's)
    message: str


@dataclass
class ValidatedRow:
    """One report, as app.services.intake.reports.ReportData holds it, plus its file names."""

    row: int
    narrative: str
    category_codes: list[str] = field(default_factory=list)
    facets: dict[str, Any] = field(default_factory=dict)
    consent_un: bool = False
    consent_accountability: bool = False
    consent_publication: bool = False
    keep_metadata: bool = False
    files: list[str] = field(default_factory=list)


@dataclass
class Limits:
    max_file_bytes: int
    max_total_bytes: int
    max_files_per_row: int


class Invalid(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


def _lookup(session: Session, column: t.Column) -> dict[str, str]:
    """Every way of writing each answer (code, Korean and English label) → its code."""
    if column.kind == "categories":
        pairs = [pair for lang in t.LANGS for pair in t.category_labels(session, lang)]
        pairs += [(code, code) for code, _text in pairs]
    else:
        vocabulary = column.vocabulary or []
        pairs = [(code, t.label(vocabulary, code, lang)) for lang in t.LANGS for code, _label in vocabulary]
        pairs += [(code, code) for code, _label in vocabulary]
    lookup = {t.normalized(text): code for code, text in pairs}
    # "보위부" for "보위부 (국가보위성)": the words before a label's bracket, where they name one answer.
    short: dict[str, set[str]] = {}
    for code, text in pairs:
        if " (" in text:
            short.setdefault(t.normalized(text.split(" (", 1)[0]), set()).add(code)
    for text, codes in short.items():
        if len(codes) == 1:
            lookup.setdefault(text, codes.pop())
    return lookup


def _split(text: str) -> list[str]:
    for separator in t.LIST_SEPARATORS[1:]:
        text = text.replace(separator, t.LIST_SEPARATORS[0])
    return [part.strip() for part in text.split(t.LIST_SEPARATORS[0]) if part.strip()]


class _RowReader:
    """Validates the cells of one row into a ValidatedRow, noting each problem."""

    def __init__(self, session: Session, lang: str, limits: Limits):
        self.lang, self.limits = lang, limits
        self.lookups = {c.name: _lookup(session, c) for c in t.COLUMNS if c.kind in ("coded", "categories")}
        self.examples = t.example_narratives(session)
        self.yes = {*t.YES, *(t.normalized(t.yes_no(lang)[0]) for lang in t.LANGS)}
        self.no = {*t.NO, *(t.normalized(t.yes_no(lang)[1]) for lang in t.LANGS)}
        self.errors: list[RowError] = []
        self.number = 0

    def error(self, name: str, message: str) -> None:
        self.errors.append(RowError(self.number, t.header(t.BY_NAME[name], self.lang) if name else "", message))

    def text(self, cells: dict[str, str], name: str) -> str:
        value = CONTROL.sub("", cells.get(name, "")).strip()
        limit = t.BY_NAME[name].max_chars
        if limit and len(value) > limit:
            self.error(name, _("This is too long: at most %(count)s characters.", count=limit))
        return value

    def coded(self, cells: dict[str, str], name: str) -> str | None:
        value = cells.get(name, "")
        if not value:
            return None
        code = self.lookups[name].get(t.normalized(value))
        if code is None:
            self.error(name, _("This answer is not one of the allowed answers (see the template's list)."))
        return code

    def yes_no(self, cells: dict[str, str], name: str) -> bool:
        value = t.normalized(cells.get(name, ""))
        if value in self.yes:
            return True
        if value and value not in self.no:
            self.error(name, _("Please write yes or no."))
        return False

    def categories(self, cells: dict[str, str]) -> list[str]:
        codes = []
        for part in _split(cells.get("categories", "")):
            code = self.lookups["categories"].get(t.normalized(part))
            if code is None:
                self.error("categories", _("This answer is not one of the allowed answers (see the template's list)."))
            elif code not in codes:
                codes.append(code)
        return codes

    def when(self, cells: dict[str, str]) -> dict[str, Any]:
        precision = self.coded(cells, "when_precision")
        day_text, year_text = cells.get("when_date", ""), cells.get("when_year", "").removesuffix("년").strip()
        month_text, words = cells.get("when_month", "").removesuffix("월").strip(), self.text(cells, "when_text")
        if precision is None:  # not chosen: the most exact answer given
            precision = ("day" if day_text else "month" if year_text and month_text else "year" if year_text
                         else "approximate" if words else None)
        when: dict[str, Any] = {"when_precision": precision, "when_date": None, "when_year": None,
                                "when_month": None, "when_text": None,
                                "ongoing": self.yes_no(cells, "ongoing")}
        if precision == "day":
            try:
                when["when_date"] = date.fromisoformat(day_text)
            except ValueError:
                self.error("when_date", _("Please enter the date as year-month-day, e.g. 2019-03-21."))
            else:
                if when["when_date"] > datetime.now(UTC).date():
                    self.error("when_date", _("This date is in the future. Please check it."))
        if precision in ("month", "year"):
            this_year = datetime.now(UTC).year
            if not year_text.isdigit() or not 1945 <= int(year_text) <= this_year:
                self.error("when_year", _("Please enter a year between 1945 and %(year)s.", year=this_year))
            else:
                when["when_year"] = int(year_text)
        if precision == "month":
            if month_text.isdigit() and 1 <= int(month_text) <= 12:
                when["when_month"] = int(month_text)
            else:
                self.error("when_month", _("Please write the month as a number from 1 to 12."))
        if precision == "approximate":
            if not words:
                self.error("when_text", _("Please write roughly when it was, e.g. winter 2010."))
            when["when_text"] = words or None
        return when

    def read(self, number: int, cells: dict[str, str]) -> ValidatedRow:
        self.number = number
        narrative = self.text(cells, "narrative")
        if not narrative:
            self.error("narrative", _("Please write what happened. A few sentences are enough."))
        elif t.normalized(narrative) in self.examples:
            self.error("narrative", _("This is the template's example. Please delete this row."))
        facets = self.when(cells)
        for column in t.COLUMNS:
            if column.name in facets or column.name in ("narrative", "categories", "files") or \
                    column.kind == "yesno":
                continue
            facets[column.name] = self.coded(cells, column.name) if column.kind == "coded" else \
                (self.text(cells, column.name) or None)
        files = _split(cells.get("files", ""))
        if len(files) > self.limits.max_files_per_row:
            self.error("files", _("You can attach up to %(count)s files to one report.",
                                  count=self.limits.max_files_per_row))
        return ValidatedRow(
            row=number, narrative=narrative, category_codes=self.categories(cells), facets=facets,
            consent_un=self.yes_no(cells, "consent_un"),
            consent_accountability=self.yes_no(cells, "consent_accountability"),
            consent_publication=self.yes_no(cells, "consent_publication"),
            keep_metadata=self.yes_no(cells, "keep_metadata"), files=files,
        )


def _columns(header_cells: list[str], lang: str) -> tuple[list[str | None], list[RowError]]:
    """Which column each header names (by code, or its Korean or English header)."""
    known = {t.normalized(name): name for name in t.BY_NAME}
    known |= {t.normalized(t.header(column, lang)): column.name for column in t.COLUMNS for lang in t.LANGS}
    names: list[str | None] = []
    errors = []
    for cell in header_cells:
        name = known.get(t.normalized(cell)) if cell else None
        if cell and name is None:
            errors.append(RowError(1, cell, _("This column is not one of the template's. Please use the template's "
                                              "headers.")))
        elif name is not None and name in names:
            errors.append(RowError(1, cell, _("This column appears twice.")))
        names.append(name if name not in names else None)
    if "narrative" not in names:
        errors.append(RowError(1, t.header(t.BY_NAME["narrative"], lang),
                               _("The sheet has no column for this. Please use the template.")))
    return names, errors


def read_sheet(session: Session, name: str, data: bytes, lang: str,
               limits: Limits) -> tuple[list[ValidatedRow], list[RowError]]:
    """Every report row of the sheet, with every problem found in them (the rows are returned
    even then, so that their file names are checked too); raises SheetRefused when the file
    itself is not acceptable."""
    rows = sheet_rows(name, data, max_cols=len(t.COLUMNS) + 20)
    header_cells = next(rows, None)
    if header_cells is None:
        raise SheetRefused("empty")
    names, errors = _columns(header_cells, lang)
    reader, validated = _RowReader(session, lang, limits), list[ValidatedRow]()
    markers = t.answers_markers()
    for number, cells in enumerate(rows, start=2):
        if cells and t.normalized(cells[0]) in markers:
            break  # the CSV template's list of allowed answers
        if not any(cells):
            continue
        if len(validated) >= t.MAX_ROWS:
            raise SheetRefused("too_many_rows")
        by_name = {n: cell for n, cell in zip(names, cells, strict=False) if n}
        validated.append(reader.read(number, by_name))
    if not validated and not errors:
        raise SheetRefused("empty")
    return validated, errors + reader.errors


def check_files(rows: list[ValidatedRow], errors: list[RowError], archive: IO[bytes] | None, lang: str,
                limits: Limits, describe: Callable[[str, str], str],
                keep: Callable[[PreparedFile], T]) -> dict[tuple[str, bool], T]:
    """Match the rows' file names with the ZIP's members and prepare each file as the report
    form does, one at a time. `keep(prepared)` receives each prepared file (the import stages
    it sealed) and returns what to hold on to instead of its bytes; `describe(reason, name)`
    says in the page's language why a file was refused (UploadRejected's reasons). Raises
    Invalid (with the sheet's `errors` first) or ZipRefused."""
    files_header = t.header(t.BY_NAME["files"], lang)
    named = {name for row in rows for name in row.files}
    members = zip_members(archive, limits.max_file_bytes, limits.max_total_bytes) if archive else {}
    errors = [*errors]
    errors += [RowError(row.row, files_header, _("“%(name)s” is not in the ZIP file.", name=name))
              for row in rows for name in row.files if name not in members]
    errors += [RowError(0, files_header, _("“%(name)s” is in the ZIP file, but no row names it.", name=name))
               for name in sorted(set(members) - named)]
    if errors:
        raise Invalid(sorted(errors, key=lambda error: (error.row == 0, error.row)))
    wanted = sorted({(name, row.keep_metadata) for row in rows for name in row.files})
    result: dict[tuple[str, bool], T] = {}
    first_row = {name: row.row for row in reversed(rows) for name in row.files}
    for name, keep_metadata in wanted:
        if archive is None:  # no file is named (a named file missing from the ZIP was an error above)
            break
        info: zipfile.ZipInfo = members[name]
        try:
            prepared = prepare(name, read_member(archive, info), limits.max_file_bytes, keep_metadata)
        except UploadRejected as rejected:
            errors.append(RowError(first_row[name], files_header, describe(rejected.reason, name)))
            continue
        result[(name, keep_metadata)] = keep(prepared)
    if errors:
        raise Invalid(errors)
    return result


__all__ = ["Invalid", "Limits", "RowError", "SheetRefused", "ValidatedRow", "ZipRefused",
           "check_files", "read_sheet"]
