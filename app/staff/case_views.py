"""Cases (사안): the list, a new case, and each case's page — its submissions and records,
how well each record is corroborated, a timeline, sealed notes — and, on the item page, the
cases the item is in (staff/_item_cases.html).

Every change is its own POST (CSRF-checked, audited); a refused or stale change shows the page
again with the reason next to the form and what was typed kept. Titles, summaries and notes
are opened with the officer's keys for the page being drawn, never stored opened.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from app.extensions import db
from app.models import Record, User
from app.sealed import records as sealed
from app.services.accounts import active_officers
from app.services.records import cases, corroboration, search
from app.services.records.cases import CaseError, CaseInput
from app.services.records.timeline import timeline
from app.staff import bp
from app.staff.case_forms import (
    AddRecordForm,
    AddSubmissionForm,
    CaseFilterForm,
    CaseForm,
    CaseNoteForm,
    ItemCaseForm,
    NewCaseForm,
    RecordSearchForm,
    RemoveRecordForm,
    RemoveSubmissionForm,
)
from app.staff.item_views import item_or_404, keys_or_403

SEARCH_LIMIT = 20
ITEM_CASE_CHOICES = 20  # open cases offered on an item page (each title unsealed); others by number
SOURCES_SHOWN = 10  # sources listed under each record on a case page; the record page lists them all


def refusal_message(reason: str) -> str:
    messages = {
        "title_required": _("Please give the case a title."),
        "too_long": _("The text is too long."),
        "choice": _("Please choose one of the options."),
        "lead": _("This person cannot lead the case."),
        "stale": _("This case was changed by someone else after you opened it. "
                   "Please check the current state and try again."),
        "no_submission": _("No item has this number."),
        "no_record": _("No record has this number."),
        "empty": _("Please write something first."),
    }
    return messages.get(reason, messages["choice"])


def record_url(record: Record) -> str | None:
    """The record's own page, once the records pages exist (they are built alongside)."""
    if "staff.record" not in current_app.view_functions:
        return None
    try:
        return url_for("staff.record", public_id=record.public_id)
    except BuildError:
        return None


def _officers(extra_id: int | None = None) -> list:
    officers = active_officers(db.session())
    if extra_id is not None and all(u.id != extra_id for u in officers):  # a lead since deactivated
        lead = db.session.get(User, extra_id)
        officers += [lead] if lead is not None else []
    return officers


@bp.route("/cases")
def cases_list():
    keyring = keys_or_403()
    form = CaseFilterForm(formdata=request.args)
    officers = _officers()
    form.lead.choices = [("", _("Any lead officer")), *((str(u.id), u.name or u.email) for u in officers)]
    form.validate()
    status = form.status.data if not form.status.errors else None
    lead = form.lead.data or ""
    rows = cases.list_cases(db.session(), keyring, status or None, int(lead) if lead.isdigit() else None)
    return render_template("staff/cases.html", form=form, rows=rows, limit=cases.LIST_LIMIT)


@bp.route("/cases/new", methods=["GET", "POST"])
def case_new():
    keys_or_403()
    form = NewCaseForm()
    form.set_choices(_officers())
    if not form.is_submitted():
        form.lead.data = str(current_user.id)
    elif form.validate():
        try:
            case = cases.create(db.session(), current_user, CaseInput(
                form.title.data or "", form.summary.data or "", form.status.data or "open", form.lead_id()))
            db.session.commit()
        except CaseError as refused:
            db.session.rollback()
            _show_refusal(form, refused)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("staff.case", public_id=case.public_id))
    status = 422 if form.is_submitted() else 200
    return render_template("staff/case_new.html", form=form), status


def _show_refusal(form, refused: CaseError) -> None:
    field = getattr(form, refused.field, None) if refused.field else None
    # A hidden field (the remove buttons) has no place to show its error: the form says it.
    if field is not None and getattr(field, "type", "") not in ("HiddenField", "SubmitField", "CSRFTokenField"):
        field.errors = [*field.errors, refusal_message(refused.reason)]
    else:
        form.form_errors.append(refusal_message(refused.reason))


def case_or_404(public_id: str):
    case = cases.find(db.session(), public_id)
    if case is None:
        abort(404)
    return case


def build_forms(case, posted: str | None = None) -> dict:
    """Every form of the case page; only the posted one reads the request."""
    def make(name, cls, **data):
        return cls(prefix=name) if name == posted else cls(prefix=name, formdata=None, **data)

    forms = {
        "edit": make("edit", CaseForm, version=str(case.version), title=case.title, summary=case.summary,
                     status=case.status, lead=str(case.lead_id or "")),
        "add_submission": make("add_submission", AddSubmissionForm),
        "remove_submission": make("remove_submission", RemoveSubmissionForm),
        "add_record": make("add_record", AddRecordForm),
        "remove_record": make("remove_record", RemoveRecordForm),
        "note": make("note", CaseNoteForm),
    }
    forms["edit"].set_choices(_officers(case.lead_id))
    return forms


def _search(keyring) -> tuple[RecordSearchForm, list[Record] | None]:
    form = RecordSearchForm(formdata=request.args)
    if not request.args.get("q") or not form.validate():
        return form, None
    ids = search.find_record_ids(db.session(), keyring, form.q.data or "", limit=SEARCH_LIMIT)
    found = {r.id: r for r in db.session.scalars(db.select(Record).where(Record.id.in_(ids)))} if ids else {}
    return form, sealed.open_all(keyring, [found[i] for i in ids if i in found])


def case_page(case, forms: dict, status: int = 200):
    keyring = keys_or_403()
    session = db.session()
    sealed.open_content(keyring, case)
    submissions = cases.case_submissions(session, case)
    records = cases.case_records(session, keyring, case)
    corroborated = corroboration.corroborate(session, records)
    search_form, found = _search(keyring)
    return render_template(
        "staff/case.html", case=case, forms=forms, submissions=submissions, records=records,
        corroborated=corroborated, single=[r for r in records if corroborated[r.id].single],
        unsourced=[r for r in records if corroborated[r.id].count == 0],
        timeline=timeline(records, submissions), notes=cases.notes(keyring, case),
        search_form=search_form, found=found, in_case={r.id for r in records}, record_url=record_url,
        groups=corroboration.GROUPS, sources_shown=SOURCES_SHOWN), status


@bp.route("/cases/<public_id>")
def case(public_id):
    found = case_or_404(public_id)
    sealed.open_content(keys_or_403(), found)
    return case_page(found, build_forms(found))


def _edit(session, case, form, keyring):
    data = CaseInput(form.title.data or "", form.summary.data or "", form.status.data or "", form.lead_id())
    cases.update(session, current_user, keyring, case, data, form.expected_version())


ACTIONS = {
    "edit": _edit,
    "add_submission": lambda session, case, form, keyring: cases.add_submission(
        session, current_user, case, form.submission.data or ""),
    "remove_submission": lambda session, case, form, keyring: cases.remove_submission(
        session, current_user, case, form.submission.data or ""),
    "add_record": lambda session, case, form, keyring: cases.add_record(
        session, current_user, case, form.record.data or ""),
    "remove_record": lambda session, case, form, keyring: cases.remove_record(
        session, current_user, case, form.record.data or ""),
    "note": lambda session, case, form, keyring: cases.add_note(
        session, current_user, keyring, case, form.body.data or ""),
}
# Where the page goes back to after each action.
ANCHORS = {"edit": "case-edit", "add_submission": "case-submissions", "remove_submission": "case-submissions",
           "add_record": "case-records", "remove_record": "case-records", "note": "case-notes"}


@bp.route("/cases/<public_id>/<action>", methods=["POST"])
def case_action(public_id, action):
    found = case_or_404(public_id)
    if action not in ACTIONS:
        abort(404)
    keyring = keys_or_403()
    sealed.open_content(keyring, found)
    forms = build_forms(found, posted=action)
    form = forms[action]
    if form.validate_on_submit():
        try:
            ACTIONS[action](db.session(), found, form, keyring)
            db.session.commit()
        except CaseError as refused:
            db.session.rollback()
            found = case_or_404(public_id)
            _show_refusal(form, refused)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("staff.case", public_id=found.public_id) + f"#{ANCHORS[action]}")
    return case_page(found, forms, 422)


def item_cases_panel(item) -> dict:
    """What staff/_item_cases.html shows on the item page: the cases the item is in, and a
    choice of the open cases it is not in yet."""
    keyring = keys_or_403()
    member_of = cases.cases_of(db.session(), keyring, item)
    form = ItemCaseForm(prefix="item_case", formdata=None)
    offered = cases.open_cases(db.session(), keyring, member_of, limit=ITEM_CASE_CHOICES + 1)
    form.case.choices = [("", _("Choose a case")),
                         *((c.public_id, f"{c.title} ({c.public_id})") for c in offered[:ITEM_CASE_CHOICES])]
    return {"cases": member_of, "form": form, "by_number": len(offered) > ITEM_CASE_CHOICES}


@bp.context_processor
def _case_helpers():
    return {"item_cases_panel": item_cases_panel}


@bp.route("/submissions/<public_id>/cases", methods=["POST"])
def item_add_to_case(public_id):
    item = item_or_404(public_id)
    keys_or_403()
    form = ItemCaseForm(prefix="item_case")
    form.case.choices = []
    chosen = form.chosen() if form.validate_on_submit() else ""
    found = cases.find(db.session(), chosen) if chosen else None
    if not chosen:
        flash(form.number.errors[0] if form.number.errors else _("Please choose a case."), "error")
    elif found is None:
        flash(_("No case has the number %(number)s.", number=chosen), "error")
    elif found.status == cases.CLOSED:
        flash(_("Case %(number)s is closed: open it again on its page to add items.", number=found.public_id),
              "error")
    else:
        cases.add_submission(db.session(), current_user, found, item.public_id)
        db.session.commit()
        flash(_("Added to the case."), "success")
    return redirect(url_for("staff.submission", public_id=item.public_id) + "#item-cases")
