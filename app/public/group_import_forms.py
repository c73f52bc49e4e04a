"""The spreadsheet import's form, and the sentences for a refused sheet or ZIP."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SubmitField

from app.forms import PublicForm


class GroupImportForm(PublicForm):
    sheet = FileField(_l("The filled-in sheet (.xlsx or .csv)"))
    archive = FileField(_l("The files the sheet names, in one ZIP file (optional)"))
    submit = SubmitField(_l("Check and import"))


def sheet_problem(reason: str, max_rows: int) -> str:
    messages = {
        "type": _("This sheet cannot be read. Please save it as .xlsx or .csv (UTF-8) and send it again."),
        "macros": _("This sheet contains macros, which are not accepted. Please save it as an ordinary .xlsx "
                    "file."),
        "too_large": _("This sheet is too large. Please split it into several sheets."),
        "bomb": _("This sheet is too large once opened. Please split it into several sheets."),
        "damaged": _("This sheet cannot be read. It may be damaged: please check that it opens, and save it "
                     "again."),
        "too_many_rows": _("A sheet can have up to %(count)s reports. Please split it into several sheets.",
                           count=max_rows),
        "empty": _("This sheet has no reports. Please fill in at least one row below the headers."),
        "missing": _("Please choose the filled-in sheet."),
    }
    return messages.get(reason, messages["damaged"])


def zip_problem(reason: str, name: str) -> str:
    messages = {
        "type": _("This is not a ZIP file. Please put the files in one ZIP file."),
        "too_large": _("“%(name)s” in the ZIP file is too large.", name=name),
        "bomb": _("The ZIP file is too large once opened. Please send the files in several imports."),
        "too_many": _("The ZIP file holds too many files. Please send them in several imports."),
        "unsafe_name": _("“%(name)s” in the ZIP file has a name that cannot be used (it points outside the ZIP "
                         "file). Please rename it.", name=name),
        "duplicate": _("Two files in the ZIP file are named “%(name)s”. Please rename one.", name=name),
        "damaged": _("“%(name)s” in the ZIP file cannot be read. The ZIP file may be damaged or locked with a "
                     "password.", name=name),
    }
    return messages.get(reason, messages["type"])
