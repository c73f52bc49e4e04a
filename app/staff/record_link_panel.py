"""What the item page's linked-records panel shows (staff/_item_records.html): the item's links,
the records a search found, the records the item's text names, and the forms for each.

Everything here is computed in the officer's session from opened values and dropped with the
request: which records the text names, the sentence a suggestion starts from and whether a
passage is in the text word for word are never stored.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app, request, url_for
from sqlalchemy.orm import Session

from app import vocabularies as v
from app.models import Record, RecordLink, Submission
from app.sealed import records as sealed
from app.sealed.keys import Keyring
from app.services.records import links, search
from app.staff.record_link_forms import LinkForm, NewRecordForm, UnlinkForm, link_prefix

MAX_FOUND = 20
MAX_SUGGESTED = 10
MAX_QUERY = 200


@dataclass
class Shown:
    """One record in the panel, with what its line needs."""

    record: Record
    kind_label: str
    url: str | None
    form: LinkForm | None = None
    linked_as: list[str] = field(default_factory=list)  # role labels this item links it in already
    link: RecordLink | None = None
    role_label: str = ""
    passage_found: bool = True
    unlink_form: UnlinkForm | None = None


@dataclass
class Panel:
    links: list[Shown] = field(default_factory=list)
    query: str = ""
    found: list[Shown] = field(default_factory=list)
    suggested: list[Shown] = field(default_factory=list)
    new_form: NewRecordForm | None = None
    open_new: bool = False


def item_texts(item: Submission) -> list[str]:
    """The item's text as opened for this page: what the submitter wrote, the messages both ways
    and the internal notes."""
    return [item.narrative or "", *(m.body or "" for m in item.messages), *(n.body or "" for n in item.notes)]


def record_url(record: Record) -> str | None:
    # The records pages are built alongside this panel: link to them once they exist.
    if "staff.record" not in current_app.view_functions:
        return None
    return url_for("staff.record", public_id=record.public_id)


def _shown(record: Record, **more) -> Shown:
    return Shown(record=record, kind_label=v.label_for(v.RECORD_KINDS, record.kind), url=record_url(record), **more)


def _choice(origin: str, record: Record, failed: tuple | None, taken: dict[int, set[str]], passage: str = "") -> Shown:
    roles = taken.get(record.id, set())
    return _shown(record, form=link_form(origin, record, failed, roles, passage),
                  linked_as=[v.label_for(links.roles_for(record.kind), code) for code in sorted(roles)])


def link_form(origin: str, record: Record, failed: tuple | None, taken: set[str], passage: str = "") -> LinkForm | None:
    """The record's link form: the one that was just refused, with what was typed, or a new one
    offering the roles the item does not link the record in yet (None when there are none)."""
    prefix = link_prefix(origin, record.public_id)
    choices = [(code, str(label)) for code, label in links.roles_for(record.kind) if code not in taken]
    if failed is not None and failed[0] == prefix:
        form = failed[1]
        form.role.choices = [(code, str(label)) for code, label in links.roles_for(record.kind)]
        return form
    if not choices:
        return None
    role = links.default_role(record)
    form = LinkForm(prefix=prefix, formdata=None, role=role if role not in taken else choices[0][0], passage=passage)
    form.role.choices = choices
    return form


def _records_by_ids(session: Session, keyring: Keyring, ids: list[int]) -> list[Record]:
    by_id = {r.id: r for r in session.scalars(sa.select(Record).where(Record.id.in_(ids)))} if ids else {}
    return sealed.open_all(keyring, [by_id[i] for i in ids if i in by_id])


def _with_failed(records: list[Record], failed_record: Record | None) -> list[Record]:
    """The refused form's record stays on the page even if the list no longer has it."""
    if failed_record is not None and all(r.id != failed_record.id for r in records):
        return [failed_record, *records]
    return records


def build(session: Session, keyring: Keyring, item: Submission, extra: dict) -> Panel:
    """`extra` is what the view gave item_page: `record_link_failed` = (origin, record, form)
    for a refused link, `new_record_form` for a refused creation."""
    texts = item_texts(item)
    failed_origin, failed_record, failed = None, None, None
    if "record_link_failed" in extra:
        failed_origin, failed_record, failed_form = extra["record_link_failed"]
        failed = (link_prefix(failed_origin, failed_record.public_id), failed_form)
    panel = Panel(query=(request.values.get("records") or "").strip()[:MAX_QUERY])

    for each in links.links_of(session, keyring, item):
        panel.links.append(_shown(
            each.record, link=each, role_label=v.label_for(links.roles_for(each.record.kind), each.role),
            passage_found=links.occurs_in(each.passage, texts),
            unlink_form=UnlinkForm(prefix=f"unlink-{each.id}", formdata=None)))

    taken: dict[int, set[str]] = {}
    for shown in panel.links:
        taken.setdefault(shown.record.id, set()).add(shown.link.role if shown.link else "")

    if panel.query or failed_origin == "found":
        ids = search.find_record_ids(session, keyring, panel.query, limit=MAX_FOUND) if panel.query else []
        kept = failed_record if failed_origin == "found" else None
        found = _with_failed(_records_by_ids(session, keyring, ids), kept)
        panel.found = [_choice("found", r, failed, taken) for r in found]

    # Suggestions are for records not linked yet: a linked one is listed above.
    suggested = [r for r in search.suggest(session, keyring, texts, limit=MAX_SUGGESTED + len(taken))
                 if r.id not in taken][:MAX_SUGGESTED]
    suggested = _with_failed(suggested, failed_record if failed_origin == "suggested" else None)
    panel.suggested = [_choice("suggested", r, failed, taken, links.sentence_with([r.label, *r.aliases], texts))
                       for r in sealed.open_all(keyring, suggested)]

    panel.new_form = extra.get("new_record_form") or NewRecordForm(prefix="newrecord", formdata=None)
    panel.open_new = "new_record_form" in extra
    return panel
