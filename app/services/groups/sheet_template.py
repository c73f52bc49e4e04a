"""The partner groups' spreadsheet: its columns, and the template a group fills in.

The columns are the report form's questions (app/public/report_forms.py), built from the same
table (app/facets.py FACETS, app/vocabularies.py) and the same translated strings, so a header
reads exactly as the form asks and a new facet is a new column without a second list to keep.
A header or a coded answer may be written in Korean or in English, or as its code: a group
that works in both languages can mix them, and sheet_import.py accepts all three.

The template holds no data: headers, one example row (invented) and, on a second sheet (a
closing section of the CSV), the answers each coded column accepts.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import vocabularies as v
from app.facets import FACETS, Vocabulary
from app.services.taxonomy import category_tree

LANGS = ("ko", "en")
# Several answers in one cell (categories, files) are separated by any of these.
LIST_SEPARATORS = (";", "\n", "\uff1b")  # the last is the full-width ; of a Korean keyboard
MAX_ROWS = 500  # rows of reports in one sheet (issue 23)
YES = ("yes", "y", "true", "1", "예", "네", "o")
NO = ("no", "n", "false", "0", "아니요", "아니오", "x")


@dataclass(frozen=True)
class Column:
    name: str  # the code, also accepted as the header
    header: object  # a lazy string: the report form's question
    kind: str  # text, coded, categories, date, year, month, yesno, files
    vocabulary: Vocabulary | None = None
    required: bool = False
    max_chars: int | None = None


def _facet_column(name: str) -> Column:
    facet = next(facet for facet in FACETS if facet.name == name)
    kind = "coded" if facet.coded else "text"
    return Column(name, facet.question, kind, facet.vocabulary, max_chars=facet.max_chars)


# The order of the report form. The "when" fields are the form's own (it lays them out by hand).
COLUMNS: list[Column] = [
    Column("narrative", _l("What happened?"), "text", required=True, max_chars=20_000),
    Column("categories", _l("What kind of events were they?"), "categories"),
    Column("when_precision", _l("How well do you remember when it was?"), "coded", v.WHEN_PRECISION),
    Column("when_date", _l("Date"), "date"),
    Column("when_year", _l("Year"), "year"),
    Column("when_month", _l("Month"), "month"),
    Column("when_text", _l("Roughly when"), "text", max_chars=200),
    Column("ongoing", _l("It is still going on"), "yesno"),
    *[_facet_column(facet.name) for facet in FACETS if facet.widget],
    Column("consent_un", _l("You may share this report with the UN human rights office."), "yesno"),
    Column("consent_accountability", _l("You may share it with courts or other accountability mechanisms."),
           "yesno"),
    Column("consent_publication", _l("You may publish it without anything that identifies me."), "yesno"),
    Column("keep_metadata", _l("Keep the files' original information (date, place, author) as evidence"), "yesno"),
    Column("files", _l("File names in the ZIP file"), "files"),
]
BY_NAME = {column.name: column for column in COLUMNS}


def normalized(text: str) -> str:
    """How headers and coded answers are compared: NFC, spaces squeezed, case folded, a
    trailing "*" (the template's mark of a required column) dropped."""
    text = " ".join(unicodedata.normalize("NFC", text).split()).casefold()
    return text.removesuffix("*").strip()


def header(column: Column, lang: str) -> str:
    with force_locale(lang):
        text = str(column.header)
    return text + " *" if column.required else text


def headers(lang: str) -> list[str]:
    return [header(column, lang) for column in COLUMNS]


def label(vocabulary: Vocabulary, code: str, lang: str) -> str:
    with force_locale(lang):
        return v.label_for(vocabulary, code)


def category_labels(session: Session, lang: str) -> list[tuple[str, str]]:
    """Every category a submitter can choose, (code, the words the report form shows)."""
    return [(code, text) for group in category_tree(session, lang, for_submitters=True)
            for code, text in [(group.code, group.label), *group.children]]


def yes_no(lang: str) -> tuple[str, str]:
    with force_locale(lang):
        return _("yes"), _("no")


def example_row(session: Session, lang: str) -> list[str]:
    """An invented report, filled in as a group would: labels in the template's language."""
    categories = category_labels(session, lang)
    yes, no = yes_no(lang)
    with force_locale(lang):
        narrative = _("Example (please delete this row): in March 2019 two neighbours were taken to the "
                      "holding centre for a phone call to China and beaten during questioning.")
        values = {
            "narrative": narrative,
            "categories": "; ".join(text for _code, text in categories[:1]),
            "when_precision": v.label_for(v.WHEN_PRECISION, "month"),
            "when_date": "",
            "when_year": "2019",
            "when_month": "3",
            "when_text": "",
            "ongoing": no,
            "province": v.label_for(v.PROVINCES, "KP-09"),
            "place": _("Hoeryong"),
            "facility_type": v.label_for(v.FACILITY_TYPES, "jipgyolso"),
            "victim_count": v.label_for(v.VICTIM_COUNTS, "2-5"),
            "victim_relation": v.label_for(v.VICTIM_RELATIONS, "acquaintance"),
            "perpetrator_type": v.label_for(v.PERPETRATOR_TYPES, "state_security"),
            "perpetrator_text": "",
            "source_connection": v.label_for(v.SOURCE_CONNECTIONS, "witness"),
            "consent_un": yes,
            "consent_accountability": yes,
            "consent_publication": no,
            "keep_metadata": no,
            "files": "photo1.jpg; statement.pdf",
        }
    return [values.get(column.name, "") for column in COLUMNS]


def example_narratives(session: Session) -> set[str]:
    """The example row's account in both languages: a row that still holds it is refused."""
    return {normalized(example_row(session, lang)[0]) for lang in LANGS}


def allowed_answers(session: Session, lang: str) -> list[tuple[str, str, str]]:
    """(column header, answer as written in `lang`, code) for every coded column, then how
    the other columns are written."""
    rows: list[tuple[str, str, str]] = []
    yes, no = yes_no(lang)
    for column in COLUMNS:
        title = header(column, lang)
        if column.kind == "coded" and column.vocabulary is not None:
            rows += [(title, label(column.vocabulary, code, lang), code) for code, _label in column.vocabulary]
        elif column.kind == "categories":
            rows += [(title, text, code) for code, text in category_labels(session, lang)]
        elif column.kind == "yesno":
            rows += [(title, yes, "yes"), (title, no, "no")]
    with force_locale(lang):
        rows += [
            (header(BY_NAME["when_date"], lang), _("year-month-day, e.g. 2019-03-21"), ""),
            (header(BY_NAME["when_year"], lang), _("a year from 1945, e.g. 2019"), ""),
            (header(BY_NAME["when_month"], lang), _("a number from 1 to 12"), ""),
            (header(BY_NAME["categories"], lang), _("several answers: separate them with ;"), ""),
            (header(BY_NAME["files"], lang), _("the names of files in the ZIP file, separated by ;"), ""),
        ]
    return rows


def answers_heading(lang: str) -> list[str]:
    with force_locale(lang):
        return [_("Column"), _("Answer"), _("Code")]


def answers_marker(lang: str) -> str:
    """The first cell of the CSV's closing section: nothing from that row on is imported."""
    with force_locale(lang):
        return _("Allowed answers (this part is not imported)")


def answers_markers() -> set[str]:
    return {normalized(answers_marker(lang)) for lang in LANGS}


def as_csv(session: Session, lang: str) -> bytes:
    """UTF-8 with a byte order mark: without it Excel reads the Hangul as another encoding."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers(lang))
    writer.writerow(example_row(session, lang))
    writer.writerow([])
    writer.writerow([answers_marker(lang)])
    writer.writerow(answers_heading(lang))
    writer.writerows(allowed_answers(session, lang))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(session: Session, lang: str) -> bytes:
    from openpyxl import Workbook  # only the template and the import need it
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    if sheet is None:
        raise RuntimeError("a new workbook has one sheet")
    with force_locale(lang):
        sheet.title = _("Reports")[:31]
    sheet.append(headers(lang))
    # Every cell is text: Excel would otherwise turn 2019-03-21 into a date number and drop "2-5".
    sheet.append(example_row(session, lang))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=2, max_row=MAX_ROWS + 1, max_col=len(COLUMNS)):
        for cell in row:
            cell.number_format = "@"
    sheet.freeze_panes = "A2"
    answers = workbook.create_sheet(answers_marker(lang)[:31].replace("(", "").replace(")", ""))
    answers.append(answers_heading(lang))
    for cell in answers[1]:
        cell.font = Font(bold=True)
    for entry in allowed_answers(session, lang):
        answers.append(list(entry))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
