"""A case as Uwazi's CSV import (huridocs/uwazi, app/api/csv): one CSV per template and
templates.json, which says what to create in Uwazi before importing.

The rules Uwazi's importer applies, and how each file keeps to them:
- the header names a template property by its key: the key Uwazi generates from the property's
  label (lower case, every character outside a-z and 0-9 made "_"), so each label below is
  chosen to give its key; `title` is the entity's title and must not be empty;
- a column `<key>__<lang>` gives that language's value; a property has either one column or
  language columns (one for the default language at least), never both, and only text,
  markdown, select, multiselect, link and title take languages: here the select and multiselect
  columns come as `__ko` and `__en` (the same term, in each language), everything a person wrote
  as one column (a name is not translated);
- `|` separates the values of a multiselect or relationship cell (so no value holds a `|`);
  a relationship cell names the related entities by title, and Uwazi creates an entity it does
  not find, so the files are imported in the order templates.json gives and every title is
  unique (a record's name and its Moksori id);
- dates as YYYY-MM-DD (a format Uwazi always parses), a date range as FROM:TO;
- UTF-8 without a byte-order mark (a BOM would become part of the first column's name), every
  cell quoted, and no cell that a spreadsheet would run as a formula (spreadsheet.csv_cell).
"""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale, lazy_pgettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import vocabularies as v
from app.models import Category, Record, Submission
from app.services.evidence.case_exports import gather
from app.services.evidence.content import HURIDOCS_ACTS, LANGS
from app.services.spreadsheet import csv_cell

FORMAT = "moksori-uwazi-templates/1"
SEPARATOR = "|"
LANGUAGE_SEPARATOR = "__"
RANGE_SEPARATOR = ":"
DATE_FORMAT = "%Y-%m-%d"
# Uwazi's property types that take language columns (app/api/csv/validateColumns.ts).
WITH_LANGUAGE = {"text", "markdown", "select", "multiselect", "link", "nested"}

DATE_PRECISION = [
    ("day", lazy_pgettext("date precision", "Day")),
    ("month", lazy_pgettext("date precision", "Month")),
    ("year", lazy_pgettext("date precision", "Year")),
    ("approximate", lazy_pgettext("date precision", "Approximate")),
    ("unknown", lazy_pgettext("date precision", "Unknown")),
]
YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]


def safe_name(label: str) -> str:
    """The property key Uwazi generates from a label (templateUtils.safeName)."""
    return re.sub(r"[^a-z0-9]", "_", label.strip(), flags=re.IGNORECASE).lower()


@dataclass(frozen=True)
class Prop:
    label: object  # English gives the key: Uwazi names a property after its label
    type: str
    thesaurus: str | None = None
    template: str | None = None  # a relationship's target
    relation: str | None = None

    @property
    def name(self) -> str:
        with force_locale("en"):
            return safe_name(str(self.label))

    @property
    def languages(self) -> bool:
        return self.type in ("select", "multiselect")


ID = Prop(_l("Moksori ID"), "text")
CASE = Prop(_l("Moksori case"), "text")
OTHER_NAMES = Prop(_l("Other names"), "text")
DESCRIPTION = Prop(lazy_pgettext("record", "Description"), "markdown")
PROVINCE = Prop(lazy_pgettext("uwazi", "Province"), "select", "provinces")
FACILITY = Prop(_l("Facility type"), "select", "facility_types")
DATE = Prop(lazy_pgettext("uwazi", "Date"), "daterange")
PRECISION = Prop(_l("Date precision"), "select", "date_precision")
VIOLATIONS = Prop(_l("Violations"), "multiselect", "violations")

TEMPLATES: dict[str, tuple[object, str, list[Prop]]] = {
    "place": (lazy_pgettext("record", "Place"), "1-places.csv", [
        ID, CASE, OTHER_NAMES, PROVINCE, FACILITY, DESCRIPTION]),
    "person": (lazy_pgettext("record", "Person"), "2-persons.csv", [
        ID, CASE, OTHER_NAMES, Prop(lazy_pgettext("uwazi", "Role"), "select", "roles"),
        Prop(_l("Agency"), "select", "agencies"), DESCRIPTION]),
    "event": (lazy_pgettext("record", "Event"), "3-events.csv", [
        ID, CASE, OTHER_NAMES, DESCRIPTION, DATE, PRECISION, Prop(_l("Date as told"), "text"), VIOLATIONS,
        Prop(_l("HURIDOCS types of acts"), "text"),
        Prop(lazy_pgettext("uwazi", "Place"), "relationship", template="place", relation="place"),
        Prop(_l("Victims"), "relationship", template="person", relation="victim"),
        Prop(_l("Perpetrators"), "relationship", template="person", relation="perpetrator"),
        Prop(_l("Witnesses"), "relationship", template="person", relation="witness"),
        Prop(_l("Officials"), "relationship", template="person", relation="official")]),
    "testimony": (_l("Testimony"), "4-testimonies.csv", [
        ID, CASE, Prop(_l("Received"), "date"), Prop(_l("Source connection"), "select", "source_connections"),
        VIOLATIONS, PROVINCE, FACILITY, DATE, PRECISION, Prop(_l("Account"), "markdown"),
        Prop(_l("Consent UN"), "select", "yes_no"), Prop(_l("Consent accountability"), "select", "yes_no"),
        Prop(_l("Consent publication"), "select", "yes_no"),
        Prop(lazy_pgettext("uwazi", "Reliability"), "select", "reliability"),
        Prop(_l("Persons"), "relationship", template="person", relation="source"),
        Prop(_l("Places"), "relationship", template="place", relation="source"),
        Prop(_l("Events"), "relationship", template="event", relation="source"),
        Prop(_l("Passages"), "markdown")]),
}

RELATION_TYPES = {
    "place": _l("Took place at"), "victim": lazy_pgettext("person", "Victim"),
    "perpetrator": lazy_pgettext("person", "Perpetrator"), "witness": lazy_pgettext("person", "Witness"),
    "official": lazy_pgettext("person", "Official"), "source": _l("Source for"),
}

THESAURI = {
    "provinces": (_l("Provinces"), v.PROVINCES),
    "facility_types": (_l("Facility types"), v.FACILITY_TYPES),
    "roles": (_l("Roles of persons"), v.PERSON_ROLES),
    "agencies": (_l("Agencies"), v.PERPETRATOR_TYPES),
    "date_precision": (_l("Date precision"), DATE_PRECISION),
    "source_connections": (_l("How the source knows"), v.SOURCE_CONNECTIONS),
    "yes_no": (_l("Yes or no"), YES_NO),
    "reliability": (lazy_pgettext("uwazi", "Reliability"), v.RELIABILITY),
}

INSTRUCTIONS = _l("In Uwazi, with the languages ko and en, first create the thesauri, the relationship types and the "
                  "templates below, giving each property its English label (Uwazi makes the column names from them), "
                  "then import the CSV files in the order given, each with its template.")


def _both(text) -> dict[str, str]:
    out = {}
    for lang in LANGS:
        with force_locale(lang):
            out[lang] = str(text)
    return out


def _plain(value: str | None) -> str:
    """A value inside a multi-value cell or a title: no separator inside it."""
    return (value or "").replace(SEPARATOR, "/").replace("\r", " ").replace("\n", " ").strip()


def title_of(record: Record) -> str:
    return f"{_plain(record.label)} ({record.public_id})"


def _thesaurus_values(session: Session, data: gather.CaseData) -> dict[str, list[tuple[str, dict[str, str]]]]:
    values = {key: [(code, _both(label)) for code, label in vocab] for key, (_, vocab) in THESAURI.items()}
    used = {c.id for r in data.records for c in r.categories} | {c.id for s in data.submissions for c in s.categories}
    categories = session.scalars(sa.select(Category).where(sa.or_(~Category.retired, Category.id.in_(used)))
                                 .order_by(Category.code))
    seen: set[str] = set()
    violations = []
    for category in categories:  # a label twice in one thesaurus would be one term to Uwazi: the code tells them apart
        labels = {"ko": category.label_ko, "en": category.label_en}
        if any(labels[lang].strip().lower() in seen for lang in LANGS):
            labels = {lang: f"{label} ({category.code})" for lang, label in labels.items()}
        seen |= {labels[lang].strip().lower() for lang in LANGS}
        violations.append((category.code, {lang: _plain(label).replace("::", ":") for lang, label in labels.items()}))
    values["violations"] = violations
    return values


def templates_doc(case_id: str, thesauri: dict) -> dict:
    return {
        "format": FORMAT, "case": case_id, "languages": list(LANGS), "instructions": _both(INSTRUCTIONS),
        "date_format": "YYYY-MM-DD", "date_range": "YYYY-MM-DD:YYYY-MM-DD", "multiple_values_separator": SEPARATOR,
        "import_order": [{"file": file, "template": key} for key, (_, file, _) in TEMPLATES.items()],
        "thesauri": [{"key": key, "name": _both(name),
                      "values": [{"code": code, "label": labels} for code, labels in thesauri[key]]}
                     for key, (name, _) in THESAURI.items()] +
                    [{"key": "violations", "name": _both(VIOLATIONS.label),
                      "values": [{"code": code, "label": labels} for code, labels in thesauri["violations"]]}],
        "relationship_types": [{"key": key, "name": _both(name)} for key, name in RELATION_TYPES.items()],
        "templates": [
            {"key": key, "name": _both(name), "file": file, "properties": [
                {"name": prop.name, "label": _both(prop.label), "type": prop.type,
                 **({"thesaurus": prop.thesaurus} if prop.thesaurus else {}),
                 **({"template": prop.template, "relationship_type": prop.relation} if prop.template else {}),
                 "columns": columns(prop)}
                for prop in props]}
            for key, (name, file, props) in TEMPLATES.items()],
    }


def columns(prop: Prop) -> list[str]:
    return [f"{prop.name}{LANGUAGE_SEPARATOR}{lang}" for lang in LANGS] if prop.languages else [prop.name]


def _period(record_or_item) -> str:
    found = gather.period(record_or_item.when_precision, record_or_item.when_date, record_or_item.when_year,
                          record_or_item.when_month)
    return f"{found[0]:{DATE_FORMAT}}{RANGE_SEPARATOR}{found[1]:{DATE_FORMAT}}" if found else ""


class _Rows:
    """Cells of one entity: a value per property; selects given as codes and written in each language."""

    def __init__(self, thesauri: dict):
        self.thesauri = thesauri

    def row(self, title: str, props: list[Prop], values: dict[str, object]) -> list[str]:
        cells = [title]
        for prop in props:
            value = values.get(prop.name)
            if prop.languages:
                labels = dict(self.thesauri[prop.thesaurus or ""])
                codes = [c for c in (value if isinstance(value, list) else [value]) if c not in (None, "")]
                cells += [SEPARATOR.join(_plain(labels.get(c, {}).get(lang, c)) for c in codes) for lang in LANGS]
            elif prop.type == "relationship":
                cells.append(SEPARATOR.join(_plain(str(t)) for t in (value if isinstance(value, list) else [])))
            else:
                cells.append("" if value is None else str(value))
        return [csv_cell(cell) for cell in cells]


def _csv(props: list[Prop], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(["title", *(column for prop in props for column in columns(prop))])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def tables(session: Session, data: gather.CaseData) -> dict[str, bytes]:
    """{file name: bytes}: templates.json and one CSV per template."""
    thesauri = _thesaurus_values(session, data)
    rows = _Rows(thesauri)
    case_id, by_id = data.case.public_id, data.by_id
    out: dict[str, list[list[str]]] = {key: [] for key in TEMPLATES}
    common = lambda r: {ID.name: r.public_id, CASE.name: case_id,  # noqa: E731
                        OTHER_NAMES.name: " / ".join(r.aliases), DESCRIPTION.name: r.description}
    for record in data.of_kind("place"):
        out["place"].append(rows.row(title_of(record), TEMPLATES["place"][2], {
            **common(record), PROVINCE.name: record.province, FACILITY.name: record.facility_type}))
    for record in data.of_kind("person"):
        out["person"].append(rows.row(title_of(record), TEMPLATES["person"][2], {
            **common(record), "role": record.person_role, "agency": record.agency}))
    for record in data.of_kind("event"):
        involved: dict[str, list[str]] = {}
        for i in data.involvements:
            if i.event_id == record.id and i.person_id in by_id:
                involved.setdefault(i.role, []).append(title_of(by_id[i.person_id]))
        out["event"].append(rows.row(title_of(record), TEMPLATES["event"][2], {
            **common(record), DATE.name: _period(record), PRECISION.name: record.when_precision,
            "date_as_told": record.when_text, VIOLATIONS.name: [c.code for c in record.categories],
            "huridocs_types_of_acts": " ".join(HURIDOCS_ACTS.get(c.code, "") for c in record.categories).strip(),
            "place": [title_of(record.place)] if record.place else [],
            "victims": involved.get("victim"), "perpetrators": involved.get("perpetrator"),
            "witnesses": involved.get("witness"), "officials": involved.get("official")}))
    for item in data.submissions:
        out["testimony"].append(rows.row(item.public_id, TEMPLATES["testimony"][2], _testimony(data, item)))
    files = {"templates.json": json.dumps(templates_doc(case_id, thesauri), ensure_ascii=False, indent=2).encode()}
    for key, (_, file, props) in TEMPLATES.items():
        files[file] = _csv(props, out[key])
    return files


def _testimony(data: gather.CaseData, item: Submission) -> dict[str, object]:
    links = [link for link in data.links if link.submission_id == item.id]
    by_id = data.by_id
    linked = {kind: [title_of(by_id[link.record_id]) for link in links if by_id[link.record_id].kind == kind]
              for kind in ("person", "place", "event")}
    passages = "\n".join(f"* {title_of(by_id[link.record_id])} ({link.role}): {_plain(link.passage)}"
                         for link in links if link.passage)
    return {
        ID.name: item.public_id, CASE.name: data.case.public_id, "received": f"{item.created_at:{DATE_FORMAT}}",
        "source_connection": item.source_connection, VIOLATIONS.name: [c.code for c in item.categories],
        PROVINCE.name: item.province, FACILITY.name: item.facility_type, DATE.name: _period(item),
        PRECISION.name: item.when_precision, "account": item.narrative,
        "consent_un": _yes_no(item.consent_un), "consent_accountability": _yes_no(item.consent_accountability),
        "consent_publication": _yes_no(item.consent_publication), "reliability": item.reliability,
        "persons": list(dict.fromkeys(linked["person"])), "places": list(dict.fromkeys(linked["place"])),
        "events": list(dict.fromkeys(linked["event"])), "passages": passages,
    }


def zip_bytes(files: dict[str, bytes], when: datetime) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            info = zipfile.ZipInfo(name, when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, body)
    return buffer.getvalue()
