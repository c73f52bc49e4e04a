"""The records pages (issue 22): persons, places and events, their list and timeline, and the
pages to create and change them.

Records are opened with the officer's keys for the page being drawn, never stored opened; an
account without keys sees why (403 "no_keys"), as on an item page. Opening a person record is
audited before its content is opened (records.record_view), as revealing contact details is.
A refusal (RecordError) shows the page again with the reason next to its field and what was
typed kept; nothing is stored then.
"""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from app import vocabularies as v
from app.extensions import db
from app.i18n import current_lang
from app.models import Involvement, Record
from app.sealed import records as sealed
from app.sealed.keys import Keyring
from app.services.records import corroboration, listing, records
from app.services.records import search as record_search
from app.services.records.records import RecordError
from app.services.taxonomy import category_choices
from app.staff import bp
from app.staff.item_views import keys_or_403
from app.staff.record_forms import (
    FORMS,
    InvolvementForm,
    RecordFilterForm,
    RecordForm,
    RemoveForm,
    kind_label,
    show_refusal,
)

SEARCH_LIMIT = 200
PERSON_SUGGESTIONS = 10


def record_or_404(public_id: str) -> Record:
    record = records.find(db.session(), public_id.upper())
    if record is None:
        abort(404)
    return record


def _helpers() -> dict[str, Any]:
    return {"record_kind_label": kind_label,
            "role_label": lambda code: v.label_for(v.PERSON_ROLES, code), "v": v}


def list_link(**changes) -> str:
    """This list with some arguments changed; paging starts over unless a cursor is given."""
    args = request.args.copy()
    for name in ("after", *changes):
        args.pop(name, None)
    args.update({name: value for name, value in changes.items() if value not in (None, "")})
    values: dict[str, Any] = args.to_dict(flat=False)
    return url_for("staff.records", **values)


@bp.route("/records", endpoint="records")
def records_list():
    keyring = keys_or_403()
    form = RecordFilterForm(formdata=request.args)
    form.category.choices = [form.category.choices[0], *_category_choices()]
    form.validate()
    filters = listing.RecordFilters(
        kind=form.value("kind") or None, person_role=form.value("person_role") or None,
        agency=form.value("agency") or None, province=form.value("province") or None,
        facility_type=form.value("facility_type") or None,
        category_ids=listing.category_ids(db.session(), form.value("category")) if form.value("category") else None,
        ids=record_search.find_record_ids(db.session(), keyring, form.value("q"), form.value("kind") or None,
                                          limit=SEARCH_LIMIT) if form.value("q") else None,
        after=int(request.args["after"]) if request.args.get("after", "").isdigit() else None)
    page = listing.record_page(db.session(), filters)
    sealed.open_all(keyring, [*page.records, *(r.place for r in page.records if r.place is not None)])
    return render_template("staff/records/list.html", form=form, page=page, searching=bool(form.value("q")),
                           search_limit=SEARCH_LIMIT, list_link=list_link, **_helpers())



@bp.route("/records/timeline")
def records_timeline():
    keyring = keys_or_403()
    number = request.args.get("page", "1")
    page = int(number) if number.isdigit() and 0 < int(number) < 100_000 else 1
    events, more = listing.timeline(db.session(), page)
    sealed.open_all(keyring, [*events, *(e.place for e in events if e.place is not None)])
    return render_template("staff/records/timeline.html", events=events, page=page, more=more, **_helpers())


def _category_choices() -> list[tuple[str, str]]:
    return category_choices(db.session(), current_lang())


def _form_for(keyring: Keyring, kind: str, record: Record | None = None, formdata: Any = None) -> RecordForm:
    form = FORMS[kind](formdata=formdata) if formdata is not None else FORMS[kind](formdata=None)
    places = sealed.open_all(keyring, listing.places(db.session())) if kind == "event" else []
    form.set_choices(db.session, current_lang(), places)
    if kind == "event" and record is not None and record.place is not None:
        current = record.place.public_id
        if current not in {value for value, _label in form.place.choices}:  # an older place keeps its choice
            place = sealed.open_content(keyring, record.place)
            form.place.choices.append((current, f"{place.opened('name') or ''} ({current})"))
    return form


def _edit_page(form: RecordForm, kind: str, record: Record | None = None, status: int = 200,
               current: Record | None = None):
    return render_template("staff/records/form.html", form=form, kind=kind, record=record, current=current,
                           **_helpers()), status


@bp.route("/records/new", methods=["GET", "POST"])
def record_new():
    keyring = keys_or_403()
    kind = request.args.get("kind", "")
    if kind not in FORMS:
        return render_template("staff/records/new.html", **_helpers())
    form = _form_for(keyring, kind, formdata=request.form if request.method == "POST" else None)
    if not form.validate_on_submit():
        return _edit_page(form, kind, status=422 if request.method == "POST" else 200)
    try:
        record = records.create(db.session(), current_user, form.to_input())
        db.session.commit()
    except RecordError as refused:
        db.session.rollback()
        show_refusal(form, refused, kind)
        return _edit_page(form, kind, status=422)
    flash(_("Saved."), "success")
    return redirect(url_for("staff.record", public_id=record.public_id))


def _opened_for_page(record: Record, keyring: Keyring) -> Record:
    """Audit a look at a person record (before its content is opened), then open it."""
    records.record_view(db.session(), current_user, record)
    db.session.commit()
    sealed.open_content(keyring, record)
    if record.place is not None:
        sealed.open_content(keyring, record.place)
    return record


@bp.route("/records/<public_id>/edit", methods=["GET", "POST"])
def record_edit(public_id):
    record = record_or_404(public_id)
    keyring = keys_or_403()
    form = _form_for(keyring, record.kind, record, formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.fill(_opened_for_page(record, keyring))
        return _edit_page(form, record.kind, record)
    if not form.validate_on_submit():
        return _edit_page(form, record.kind, record, 422)
    try:
        records.update(db.session(), current_user, keyring, record, form.to_input(), form.expected_version())
        db.session.commit()
    except (RecordError, StaleDataError) as refused:
        db.session.rollback()
        refusal = refused if isinstance(refused, RecordError) else RecordError("stale")
        show_refusal(form, refusal, record.kind)
        if refusal.reason != "stale":
            return _edit_page(form, record.kind, record, 422)
        record = record_or_404(public_id)  # as it is now, beside what was typed
        form.version.data = str(record.version)
        return _edit_page(form, record.kind, record, 409, current=_opened_for_page(record, keyring))
    flash(_("Saved."), "success")
    return redirect(url_for("staff.record", public_id=record.public_id))


def _record_page(record: Record, keyring: Keyring, involve: InvolvementForm | None = None, status: int = 200):
    links = listing.links_of(db.session(), record)
    for link in links:
        sealed.open_passage(keyring, link)
    involvements = listing.involvements_of(db.session(), record)
    sealed.open_all(keyring, [i.person if record.kind == "event" else i.event for i in involvements])
    events_here = sealed.open_all(keyring, listing.events_at(db.session(), record)) if record.kind == "place" else []
    found: list[Record] = []
    person_q = request.args.get("person_q", "").strip()[:200]
    if record.kind == "event" and person_q:
        ids = record_search.find_record_ids(db.session(), keyring, person_q, "person", limit=PERSON_SUGGESTIONS)
        found = sealed.open_all(keyring, listing.by_ids(db.session(), ids))
    return render_template("staff/records/record.html", record=record, links=links, involvements=involvements,
                           corroboration=corroboration.of_record(db.session(), record), events_here=events_here,
                           involve=involve or InvolvementForm(formdata=None),
                           remove=RemoveForm(formdata=None), person_q=person_q, found=found, **_helpers()), status


@bp.route("/records/<public_id>")
def record(public_id):
    record = record_or_404(public_id)
    keyring = keys_or_403()
    return _record_page(_opened_for_page(record, keyring), keyring)


@bp.route("/records/<public_id>/involvements", methods=["POST"])
def record_involve(public_id):
    event = record_or_404(public_id)
    keyring = keys_or_403()
    form = InvolvementForm()
    if form.validate_on_submit():
        person = records.find(db.session(), (form.person.data or "").upper())
        try:
            if person is None:
                raise RecordError("not_person", "person")
            records.add_involvement(db.session(), current_user, event, person, form.role.data or "")
            db.session.commit()
        except RecordError as refused:
            db.session.rollback()
            show_refusal(form, refused)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("staff.record", public_id=event.public_id) + "#persons")
    event = record_or_404(public_id)
    return _record_page(_opened_for_page(event, keyring), keyring, form, 422)


@bp.route("/records/<public_id>/involvements/<int:involvement_id>/remove", methods=["POST"])
def record_uninvolve(public_id, involvement_id):
    event = record_or_404(public_id)
    keys_or_403()
    involvement = db.session.get(Involvement, involvement_id)
    if involvement is None or involvement.event_id != event.id:
        abort(404)
    records.remove_involvement(db.session(), current_user, involvement)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("staff.record", public_id=event.public_id) + "#persons")
