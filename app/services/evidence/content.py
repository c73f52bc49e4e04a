"""What a case file says about one item: submission.json (named after the facets of
shared/TAXONOMY.md, with HURIDOCS list values), messages, notes and the audit trail.

Labels are given in Korean and English side by side, so the file reads the same for a
Korean officer and an international mechanism. Everything here is plain data; the ZIP
writer (evidence/casefile.py) and the HTML rendering (evidence/render.py) use it.
"""
from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import Session

from app import vocabularies as v
from app.facets import FACETS, SECTIONS
from app.models import AuditEvent, PartnerGroup, Submission
from app.sealed import groups as sealed_groups
from app.sealed.keys import Keyring
from app.services.intake.contact_details import open_contact

FORMAT = "moksori-case-file/1"
LANGS = ("ko", "en")

# Category code → HURIDOCS Types of Acts (list 4) codes, from shared/TAXONOMY.md. Codes the
# table gives for other lists (method list 5, violations list 2) are left out on purpose.
HURIDOCS_ACTS = {
    "V01": "010000000000", "V01.1": "010101010000 010101030000", "V01.2": "010101020000",
    "V01.3": "010106010000 010106020000", "V01.4": "010190010000", "V01.5": "", "V01.6": "010106030000",
    "V01.7": "010102000000", "V01.8": "010109000000", "V02": "020000000000", "V02.1": "020111110000",
    "V02.2": "020101000000", "V02.3": "020103000000 020103020000", "V02.4": "020121000000",
    "V03": "030000000000", "V03.1": "030101000000", "V03.2": "030102000000",
    "V03.3": "350109000000 350114000000 350115000000",
    "V03.4": "360102010000 360102020000 360102030000 360102040000",
    "V04": "030103000000 030104000000", "V04.1": "030103000000", "V04.2": "030104000000",
    "V05": "030106000000", "V05.1": "300102010000", "V05.2": "300102010000", "V06": "020102000000",
    "V06.1": "020111010000 020111020000", "V06.2": "020111030000 020103050000", "V06.3": "080103000000",
    "V06.4": "080101000000 080102000000", "V06.5": "070102000000", "V07": "050000000000",
    "V07.1": "380101000000", "V07.2": "050101000000 050103000000", "V07.3": "050106000000",
    "V08": "100000000000 110000000000 090000000000 040000000000", "V08.1": "110101000000",
    "V08.2": "100101000000 090100000000", "V08.3": "020103030000 040101000000", "V08.4": "120000000000",
    "V09": "060000000000 340000000000 370000000000", "V09.1": "", "V09.2": "060000000000",
    "V09.3": "340000000000", "V09.4": "370000000000", "V10": "520000000000 530000000000 130000000000",
    "V10.1": "520100000000 360102030000", "V10.2": "530107000000 360102040000",
    "V10.3": "130104000000 130107000000", "V11": "310000000000", "V90": "900000000000", "V99": "990000000000",
}

# Our codes → the HURIDOCS list term they correspond to (closest term where lists differ):
# the report facets' mappings (app/facets.py), then the officers' assessment.
HURIDOCS_TERMS = {
    **{facet.name: facet.huridocs for facet in FACETS if facet.huridocs},
    "priority": (46, {"urgent": "Urgent", "high": "High priority", "normal": "Priority", "low": "Low priority"}),
    "violation_status": (41, {"confirmed": "Confirmed", "likely": "Likely", "possible": "Possible",
                              "unlikely": "Unlikely", "unknown": "Unknown"}),
    "reliability": (42, {"high": "Highly reliable", "likely": "Likely reliable", "unsure": "Unsure",
                         "likely_unreliable": "Likely unreliable", "unreliable": "Highly unreliable",
                         "unknown": "Unknown"}),
}

VOCABULARIES = {
    "kind": v.KINDS, "status": v.STATUSES, **{facet.name: facet.vocabulary for facet in FACETS if facet.vocabulary},
    "priority": v.PRIORITIES, "violation_status": v.VIOLATION_STATUSES, "reliability": v.RELIABILITY,
    "contact_topic": v.CONTACT_TOPICS, "channel": v.CONTACT_CHANNELS,
}


def label_tables() -> dict[str, dict[str, dict[str, str]]]:
    """{lang: {vocabulary: {code: label}}}, resolved once per export (force_locale is slow)."""
    tables = {}
    for lang in LANGS:
        with force_locale(lang):
            tables[lang] = {name: {code: str(label) for code, label in vocab} for name, vocab in VOCABULARIES.items()}
    return tables


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(value):
    """A facet's value as JSON has it: dates as ISO text, everything else as stored."""
    return value.isoformat() if isinstance(value, date) else value


class ItemDocument:
    """Builds the JSON-ready parts of one item's case file."""

    def __init__(self, session: Session, item: Submission, labels: dict, include_contact: bool,
                 keyring: Keyring | None = None):
        """`item` must be opened with its thread (sealed/vault.py); contact details need a
        keyring holding the identity key."""
        self.session, self.item, self.labels, self.include_contact = session, item, labels, include_contact
        self.keyring = keyring or Keyring()

    def coded(self, name: str, code: str | None) -> dict | None:
        if code in (None, ""):
            return None
        value = {"code": code, **{f"label_{lang}": self.labels[lang][name].get(code, code) for lang in LANGS}}
        if name in HURIDOCS_TERMS:
            number, terms = HURIDOCS_TERMS[name]
            value[f"huridocs_list_{number}"] = terms.get(code)
        return value

    def submission(self, files: list[dict]) -> dict:
        item = self.item
        doc = {
            "format": FORMAT,
            "public_id": item.public_id,
            "kind": self.coded("kind", item.kind),
            "language": item.locale,
            "received_at": _iso(item.created_at),
            "last_changed_at": _iso(item.updated_at),
            "categories": [
                {"code": c.code, "parent": c.parent.code if c.parent else None, "label_ko": c.label_ko,
                 "label_en": c.label_en, "huridocs_types_of_acts": HURIDOCS_ACTS.get(c.code, "").split()}
                for c in item.categories
            ],
            **self.facets(),
            "account": item.narrative,
            "consent": {"un": item.consent_un, "accountability_mechanisms": item.consent_accountability,
                        "anonymized_publication": item.consent_publication, "may_contact": item.may_contact,
                        "keep_image_metadata": item.keep_image_metadata},
            "officer_only": self.officer_only(),
            "files": files,
            "contact_details_included": self.include_contact,
        }
        if (source := self.source()) is not None:
            doc["source"] = source
        if item.kind == "contact":
            doc["contact_request"] = {"topic": self.coded("contact_topic", item.contact_topic),
                                      "language": item.contact_language}
        if self.include_contact:
            doc["contact_details"] = self.contact()
        return doc

    def source(self) -> dict | None:
        """The partner group that sent the item, named only when the group agreed to be named
        (issue 23); otherwise the case file says nothing of a group, not even its number."""
        if self.item.group_id is None:
            return None
        group = self.session.get(PartnerGroup, self.item.group_id)
        if group is None or not group.named:
            return None
        name = sealed_groups.open_source_name(self.keyring, group)
        return {"partner_group": name} if name else None

    def facets(self) -> dict[str, dict]:
        """The report's facets, one object per section of app/facets.py, in table order."""
        sections: dict[str, dict] = {section.key: {} for section in SECTIONS}
        for facet in FACETS:
            value = getattr(self.item, facet.name)
            sections[facet.section][facet.key] = self.coded(facet.name, value) if facet.coded else _plain(value)
        return sections

    def officer_only(self) -> dict:
        item = self.item
        return {
            "status": self.coded("status", item.status), "status_reason": item.status_reason,
            "duplicate_of": item.duplicate_of.public_id if item.duplicate_of else None,
            "priority": self.coded("priority", item.priority),
            "violation_status": self.coded("violation_status", item.violation_status),
            "reliability": self.coded("reliability", item.reliability),
            "assignee": (item.assignee.name or item.assignee.email) if item.assignee else None,
            "evidence_hold": {"held": item.evidence_hold, "reason": item.evidence_hold_reason,
                              "since": _iso(item.evidence_hold_at)},
        }

    def contact(self) -> dict | None:
        details = open_contact(self.keyring, self.item)
        if details is None:
            return None
        data = dict(details.__dict__)
        data["channel"] = self.coded("channel", details.channel)
        return data

    def messages(self, files: list[dict]) -> list[dict]:
        """The thread; each message lists the paths of its files (from `file_entries`, which
        already read every attachment of the item, in id order: no query per message)."""
        paths_by_message: dict[int, list[str]] = {}
        for entry in files:
            if entry["message_id"] is not None:
                paths_by_message.setdefault(entry["message_id"], []).append(entry["path"])
        return [
            {"id": m.id, "author": m.author, "author_user_id": m.author_user_id, "created_at": _iso(m.created_at),
             "body": m.body, "files": paths_by_message.get(m.id, [])}
            for m in self.item.messages
        ]

    def notes(self) -> list[dict]:
        return [
            {"id": n.id, "author": (n.author.name or n.author.email) if n.author else None,
             "created_at": _iso(n.created_at), "body": n.body}
            for n in self.item.notes
        ]

    def audit_trail(self) -> list[dict]:
        events = self.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.target_type == "submission", AuditEvent.target_id == self.item.public_id)
            .order_by(AuditEvent.id)
        )
        return [
            {"id": e.id, "created_at": e.created_at.isoformat(timespec="microseconds"), "actor": e.actor,
             "action": e.action, "details": json.loads(e.details or "{}"), "prev_hash": e.prev_hash, "hash": e.hash}
            for e in events
        ]


def file_entries(item: Submission, folder: str) -> list[dict]:
    """Each attachment with its decrypted original name and a unique, portable path."""
    taken: set[str] = set()
    entries = []
    for attachment in item.attachments:
        name = attachment.name
        path = f"{folder}/files/{unique_name(portable_name(name), taken)}"
        entries.append({
            "path": path, "attachment_id": attachment.id, "original_name": name,
            "media_type": attachment.media_type, "size": attachment.size, "sha256": attachment.sha256,
            "received_sha256": attachment.received_sha256, "metadata_stripped": attachment.metadata_stripped,
            "added_by": attachment.added_by, "added_at": _iso(attachment.created_at),
            "message_id": attachment.message_id,
        })
    return entries


def portable_name(name: str) -> str:
    """Hangul kept; only what breaks an unzip on some system is replaced."""
    cleaned = "".join("_" if ch in '<>:"/\\|?*' else ch for ch in name).strip().rstrip(".")
    return cleaned if cleaned and cleaned not in {".", ".."} else "file"


def unique_name(name: str, taken: set[str]) -> str:
    """증언.pdf, 증언 (2).pdf, … compared without case, as Windows and macOS do."""
    stem, dot, extension = name.rpartition(".")
    if not stem:
        stem, dot, extension = name, "", ""
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{stem} ({number}){dot}{extension}"
    taken.add(candidate.casefold())
    return candidate


def timestamp(value: datetime) -> str:
    return value.strftime("%Y%m%d-%H%M%S")
