"""submission.html: the case file as a person reads it, every label in Korean and English.

Built from submission.json's data with every value escaped. The page loads nothing and runs
nothing (a CSP meta tag forbids it), so opening a hostile narrative in a browser is safe.
"""
from __future__ import annotations

from urllib.parse import quote

from flask_babel import force_locale, lazy_pgettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.facets import HEADINGS as FACET_HEADINGS
from app.facets import under_heading
from app.services.evidence.content import LANGS

HEADINGS = [
    ("title", _l("Case file")),
    ("item", _l("Item")),
    ("kind", _l("Kind")),
    ("status", lazy_pgettext("case", "Status")),
    ("received", _l("Received")),
    ("language", _l("Language")),
    ("categories", _l("Categories")),
    ("ongoing", _l("It is still going on")),
    *((heading.key, heading.label) for heading in FACET_HEADINGS),
    ("source", _l("Source (partner group)")),
    ("consent", _l("Consent")),
    ("consent_un", _l("UN")),
    ("consent_accountability_mechanisms", _l("Courts and mechanisms")),
    ("consent_anonymized_publication", _l("Anonymized publication")),
    ("consent_may_contact", _l("May be contacted")),
    ("consent_keep_image_metadata", _l("Image metadata kept")),
    ("contact_alias", _l("Name or alias")),
    ("contact_organization", _l("Group or organization")),
    ("contact_channel", _l("Channel")),
    ("contact_handle", _l("ID, number or address")),
    ("contact_safe_times", _l("Safe times (Korea time)")),
    ("priority", _l("Priority")),
    ("violation_status", _l("Violation status")),
    ("reliability", _l("Reliability")),
    ("hold", _l("Evidence hold")),
    ("account", _l("What the submitter wrote")),
    ("files", _l("Files")),
    ("messages", _l("Messages with the submitter")),
    ("notes", _l("Internal notes")),
    ("contact", _l("Contact details")),
    ("name", _l("Name")),
    ("size", _l("Size")),
    ("officer", _l("Officer")),
    ("submitter", _l("Submitter")),
    ("yes", _l("yes")),
    ("no", _l("no")),
    ("custody", _l("Chain of custody")),
    ("custody_lead", _l("Every recorded action on this item, from the audit log (custody.json).")),
    ("time", _l("Time")),
    ("what", _l("What happened")),
    ("account_col", _l("Account")),
    ("role", _l("Role")),
    ("what_received", _l("received")),
    ("what_viewed", _l("viewed")),
    ("what_revealed", _l("contact details revealed")),
    ("what_exported", _l("exported")),
    ("what_held", _l("put on evidence hold")),
    ("what_released", _l("evidence hold released")),
    ("what_status", _l("status changed")),
    ("what_changed", _l("changed")),
    ("role_officer", _l("officer")),
    ("role_admin", _l("admin")),
    ("role_submitter", _l("submitter")),
    ("role_system", _l("the portal")),
    ("role_cli", _l("command line")),
    ("role_other", _l("other")),
    ("generated", _l("Made by the portal for export %(export_id)s. "
                     "The SHA-256 of every file is listed in manifest.json.")),
]


def heading_tables() -> dict[str, dict[str, str]]:
    tables = {}
    for lang in LANGS:
        with force_locale(lang):
            tables[lang] = {key: str(label) for key, label in HEADINGS}
    return tables


class Renderer:
    def __init__(self, headings: dict[str, dict[str, str]]):
        self.h = headings

    def both(self, key: str, **values) -> Markup:
        ko, en = (self.h[lang][key] % values if values else self.h[lang][key] for lang in LANGS)
        return Markup('<span lang="ko">{}</span> / <span lang="en">{}</span>').format(ko, en)

    @staticmethod
    def coded(value: dict | None) -> Markup:
        if not value:
            return Markup("—")
        return Markup('<span lang="ko">{}</span> / <span lang="en">{}</span> <code>{}</code>').format(
            value["label_ko"], value["label_en"], value["code"])

    @staticmethod
    def text(value) -> Markup:
        """Escaped, line breaks kept (no CSS in this file to preserve them)."""
        if value in (None, ""):
            return Markup("—")
        return Markup("<br>\n").join(escape(line) for line in str(value).split("\n"))

    def row(self, key: str, value: Markup) -> Markup:
        return Markup("<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n").format(self.both(key), value)

    def when(self, doc: dict) -> Markup:
        when = doc["when"]
        parts = [str(p) for p in (when["date"], when["year"], when["month"], when["text"]) if p not in (None, "")]
        value = Markup(" · ").join([self.coded(when["precision"]), *map(escape, parts)])
        return value + (Markup(" · ") + self.both("ongoing") if when["ongoing"] else Markup(""))

    def facet_row(self, doc: dict, heading: str) -> Markup:
        """A heading's facets (app/facets.py): coded ones as labels, text as text, " · " between."""
        if heading == "when":
            return self.when(doc)
        return Markup(" · ").join(
            self.coded(doc[f.section][f.key]) if f.coded else self.text(doc[f.section][f.key])
            for f in under_heading(heading))

    def yes_no(self, flag: bool) -> Markup:
        return self.both("yes" if flag else "no")

    def custody(self, events: list[dict]) -> Markup:
        return Markup("").join(
            Markup("<tr><td>{}</td><td>{} <code>{}</code></td><td>{}</td><td>{}</td></tr>\n").format(
                e["time"], self.both("what_" + e["what"]), e["action"], e["account"] or e["actor"],
                self.both("role_" + e["role"]) if "role_" + e["role"] in self.h["en"] else e["role"])
            for e in events)

    def page(self, doc: dict, messages: list[dict], notes: list[dict], export_id: str,
             custody: list[dict] | None = None) -> str:
        rows = [
            self.row("item", Markup("<code>{}</code>").format(doc["public_id"])),
            self.row("kind", self.coded(doc["kind"])),
            self.row("status", self.coded(doc["officer_only"]["status"]) + (
                Markup(" — ") + self.text(doc["officer_only"]["status_reason"])
                if doc["officer_only"]["status_reason"] else "")),
            self.row("received", escape(doc["received_at"])),
            self.row("language", escape(doc["language"])),
            self.row("categories", Markup("<br>").join(
                Markup('<code>{}</code> <span lang="ko">{}</span> / <span lang="en">{}</span>').format(
                    c["code"], c["label_ko"], c["label_en"]) for c in doc["categories"]) or Markup("—")),
            *(self.row(heading.key, self.facet_row(doc, heading.key)) for heading in FACET_HEADINGS),
            *((self.row("source", self.text(doc["source"]["partner_group"])),) if doc.get("source") else ()),
            self.row("consent", Markup(" · ").join(
                Markup("{}: {}").format(self.both("consent_" + name), self.yes_no(flag))
                for name, flag in doc["consent"].items())),
            self.row("priority", self.coded(doc["officer_only"]["priority"])),
            self.row("violation_status", self.coded(doc["officer_only"]["violation_status"])),
            self.row("reliability", self.coded(doc["officer_only"]["reliability"])),
            self.row("hold", self.yes_no(doc["officer_only"]["evidence_hold"]["held"]) + Markup(" ")
                     + self.text(doc["officer_only"]["evidence_hold"]["reason"])),
        ]
        if doc.get("contact_details"):
            contact = doc["contact_details"]
            rows.append(self.row("contact", Markup("<br>").join(
                Markup("{}: {}").format(self.both("contact_" + key) if "contact_" + key in self.h["en"] else key,
                                        self.coded(value) if isinstance(value, dict) else self.text(value))
                for key, value in contact.items())))
        files = Markup("").join(
            Markup('<tr><td><a href="{}">{}</a></td><td>{}</td><td><code>{}</code></td></tr>\n').format(
                quote(f["path"].split("/", 1)[1]), f["original_name"], f["size"], f["sha256"]) for f in doc["files"])
        thread = Markup("").join(
            Markup("<li><p>{} · {}</p><p>{}</p></li>\n").format(
                self.both("officer" if m["author"] == "staff" else "submitter"), m["created_at"], self.text(m["body"]))
            for m in messages)
        note_items = Markup("").join(
            Markup("<li><p>{} · {}</p><p>{}</p></li>\n").format(
                n["author"] or "", n["created_at"], self.text(n["body"]))
            for n in notes)
        body = Markup(
            '<!doctype html>\n<html lang="ko">\n<head>\n<meta charset="utf-8">\n'
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">\n'
            "<title>{title} {pid}</title>\n</head>\n<body>\n<h1>{heading} <code>{pid}</code></h1>\n"
            "<table>\n{rows}</table>\n<h2>{account}</h2>\n<div lang=\"{locale}\"><p>{narrative}</p></div>\n"
            "<h2>{files_h}</h2>\n<table>\n<tr><th>{name}</th><th>{size}</th><th>SHA-256</th></tr>\n{files}</table>\n"
            "<h2>{messages_h}</h2>\n<ol>\n{thread}</ol>\n<h2>{notes_h}</h2>\n<ul>\n{notes}</ul>\n"
            "<h2>{custody_h}</h2>\n<p>{custody_lead}</p>\n<table>\n<tr><th>{time_h}</th><th>{what_h}</th><th>{account_h}"
            "</th><th>{role_h}</th></tr>\n{custody}</table>\n"
            "<p>{generated}</p>\n</body>\n</html>\n"
        ).format(
            title=self.h["en"]["title"], pid=doc["public_id"], heading=self.both("title"), rows=Markup("").join(rows),
            account=self.both("account"), locale=doc["language"], narrative=self.text(doc["account"]),
            files_h=self.both("files"), name=self.both("name"), size=self.both("size"), files=files,
            messages_h=self.both("messages"), thread=thread, notes_h=self.both("notes"), notes=note_items,
            custody_h=self.both("custody"), custody_lead=self.both("custody_lead"), time_h=self.both("time"),
            what_h=self.both("what"), account_h=self.both("account_col"), role_h=self.both("role"),
            custody=self.custody(custody or []),
            generated=self.both("generated", export_id=export_id),
        )
        return str(body)
