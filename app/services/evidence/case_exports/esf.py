"""A case in HURIDOCS Events Standard Formats (ESF, 2001), as JSON with the field names of
HURIDOCS' own implementation (OpenEvSys: event, act, involvement, person, information).
docs/case-exports.md gives the mapping; in short:

- an event record → an ESF event (title, description, initial/final date with their list-48
  date types, place as local geographical area, country as list-15 geographical term);
- each victim of an event × each list-4 type of act its categories map to (content.HURIDOCS_ACTS)
  → an act; a perpetrator → an involvement in each act of the event, degree of involvement
  (list 18) "Unknown" because the portal does not record it, type of perpetrator (list 24) from
  the person's agency;
- person records → persons (name, other names, agency as a biographic detail);
- each submission's link to a record → an information record (list 19 source connection from
  how the submitter knows); a witness of an event → an information record with the witness as
  source. Submissions themselves are listed as source material, with the consent they gave.

Fields ESF has no place for (an official's part, a place record, consent, passages) are kept
under keys starting with "moksori_".
"""
from __future__ import annotations

from datetime import datetime

from app.facets import BY_NAME
from app.models import Record, Submission
from app.services.evidence.case_exports import gather
from app.services.evidence.content import HURIDOCS_ACTS

FORMAT = "moksori-esf/1"

# List 48 (types of dates): an exact day has no type.
DATE_TYPES = {"month": ("020000000000", "Unknown day"), "year": ("030000000000", "Unknown month and day"),
              "approximate": ("010000000000", "Estimate")}
# List 19 (source connection to information), from how the submitter knows.
SOURCE_CONNECTION = {
    "victim": "010100000000", "witness": "010200000000", "told_by_close": "020000000000",
    "heard": "030000000000", "documents": "030000000000", "other": "990000000000",
}
WITNESS = ("010200000000", "Involved in the event: witness")
DEGREE_UNKNOWN = {"huri_code": "990000000000", "label": "Unknown"}
INDIVIDUAL = {"huri_code": "010000000000", "label": "Individual"}  # list 7, counting unit
NORTH_KOREA = {"huri_code": "030131000000", "label": "Korea, Democratic People's Republic of"}  # list 15
# List 24 (types of perpetrators), from an agency code.
PERPETRATOR_TYPE = {
    "state_security": ("010106000000", "Intelligence agency; secret service"),
    "police": ("010104000000", "Police"), "military": ("010103000000", "Armed forces"),
    "border_guard": ("010103000000", "Armed forces"), "prosecutor_court": ("010300000000", "Judiciary"),
    "party_official": ("010101000000", "National-level officials"),
    "detention_staff": ("010105000000", "Prison officials"),
    "private": ("110000000000", "Private individuals/groups in a position of relative power"),
    "other": ("900000000000", "Others"), "unknown": ("990000000000", "Unknown"),
}
EXECUTIVE = ("010100000000", "Executive")  # every other agency acts for the state (facets.py, list 24)


def _date(record: Record | Submission) -> dict:
    found = gather.period(record.when_precision, record.when_date, record.when_year, record.when_month)
    if found is None:
        return {"initial_date": None, "initial_date_type": None, "final_date": None, "final_date_type": None}
    kind = DATE_TYPES.get(record.when_precision or "day")
    date_type = {"huri_code": kind[0], "label": kind[1]} if kind else None
    return {"initial_date": found[0].isoformat(), "initial_date_type": date_type,
            "final_date": found[1].isoformat(), "final_date_type": date_type}


def _perpetrator_type(agency: str | None) -> dict | None:
    if not agency:
        return None
    code, label = PERPETRATOR_TYPE.get(agency, EXECUTIVE)
    return {"huri_code": code, "label": label}


def _event(data: gather.CaseData, record: Record) -> dict:
    place = record.place
    return {
        "event_record_number": record.public_id, "event_title": record.title, **_date(record),
        "event_description": record.description, "moksori_other_titles": record.aliases,
        "moksori_date_as_told": record.when_text,
        "geographical_term": NORTH_KOREA if place and (place.province or "").startswith("KP-") else None,
        "local_geographical_area": data.coded("province", place.province) if place else None,
        "event_location": place.public_id if place else None,
        "moksori_categories": [{"code": c.code, "label_ko": c.label_ko, "label_en": c.label_en}
                               for c in record.categories],
    }


def _types_of_acts(record: Record) -> list[tuple[str | None, str | None]]:
    """(list-4 code, the category code it comes from) for each type of act the event's categories map to."""
    found: list[tuple[str | None, str | None]] = [
        (code, c.code) for c in record.categories for code in HURIDOCS_ACTS.get(c.code, "").split()]
    return found or [(None, c.code) for c in record.categories] or [(None, None)]


def _acts(data: gather.CaseData, event: Record, acts: list, involvements: list, information: list) -> None:
    by_id = data.by_id
    mine = [i for i in data.involvements if i.event_id == event.id and i.person_id in by_id]
    place = event.place
    event_acts: list[dict] = []
    for victim in (i for i in mine if i.role == "victim"):
        for code, category in _types_of_acts(event):
            event_acts.append({
                "act_record_number": f"{event.public_id}-A{len(event_acts) + 1}", "event": event.public_id,
                "victim": by_id[victim.person_id].public_id,
                "type_of_act": {"huri_code": code, "moksori_category": category},
                **_date(event), "exact_location": place.name if place else None,
                "type_of_location": data.coded("facility_type", place.facility_type) if place else None})
    acts += event_acts
    for perpetrator in (i for i in mine if i.role == "perpetrator"):
        person = by_id[perpetrator.person_id]
        for act in [a["act_record_number"] for a in event_acts] or [None]:
            involvements.append({
                "involvement_record_number": f"{event.public_id}-I{len(involvements) + 1}",
                "event": event.public_id, "act": act,
                "perpetrator": person.public_id, "degree_of_involvement": DEGREE_UNKNOWN,
                "type_of_perpetrator": _perpetrator_type(person.agency)})
    for witness in (by_id[i.person_id] for i in mine if i.role == "witness"):
        information.append({
            "information_record_number": f"{event.public_id}-W-{witness.public_id}", "event": event.public_id,
            "source": witness.public_id, "related_person": None,
            "source_connection_to_information": {"huri_code": WITNESS[0], "label": WITNESS[1]},
            "moksori_submission": None})


def _person(data: gather.CaseData, record: Record) -> dict:
    return {
        "person_record_number": record.public_id, "counting_unit": INDIVIDUAL, "person_name": record.name,
        "other_names": " / ".join(record.aliases), "remarks": record.description,
        "biographic_details": [{"affiliation": data.coded("agency", record.agency),
                                "type_of_perpetrator": _perpetrator_type(record.agency)}] if record.agency else [],
        "moksori_role": data.coded("person_role", record.person_role),
    }


def _source(data: gather.CaseData, item: Submission) -> dict:
    list19 = BY_NAME["source_connection"].huridocs
    return {
        "moksori_submission": item.public_id, "date_received": item.created_at.date().isoformat(),
        "language_of_source_material": item.locale,
        "source_connection_to_information": {
            "huri_code": SOURCE_CONNECTION.get(item.source_connection or ""),
            "label": list19[1].get(item.source_connection or "") if list19 else None,
            "moksori": data.coded("source_connection", item.source_connection)},
        "reliability_of_information": data.coded("reliability", item.reliability),
        "account": item.narrative,
        "moksori_consent": {"un": item.consent_un, "accountability_mechanisms": item.consent_accountability,
                            "anonymized_publication": item.consent_publication},
    }


def document(data: gather.CaseData, now: datetime) -> dict:
    acts: list[dict] = []
    involvements: list[dict] = []
    information: list[dict] = []
    for event in data.of_kind("event"):
        _acts(data, event, acts, involvements, information)
    by_id = data.by_id
    sources = {item.id: _source(data, item) for item in data.submissions}
    for link in data.links:
        record = by_id[link.record_id]
        information.append({
            "information_record_number": f"{sources[link.submission_id]['moksori_submission']}-{record.public_id}",
            "event": record.public_id if record.kind == "event" else None, "source": None,
            "related_person": record.public_id if record.kind == "person" else None,
            "moksori_place": record.public_id if record.kind == "place" else None,
            "source_connection_to_information": sources[link.submission_id]["source_connection_to_information"],
            "date_of_source_material": sources[link.submission_id]["date_received"],
            "moksori_submission": sources[link.submission_id]["moksori_submission"],
            "moksori_role": link.role, "remarks": link.passage})
    case = data.case
    return {
        "format": FORMAT, "standard": "HURIDOCS Events Standard Formats (2001); field names as in OpenEvSys",
        "generated_at": now.isoformat(),
        "case": {"public_id": case.public_id, "title": case.title, "summary": case.summary,
                 "status": data.coded("case_status", case.status)},
        "events": [_event(data, record) for record in data.of_kind("event")],
        "acts": acts, "involvements": involvements,
        "persons": [_person(data, record) for record in data.of_kind("person")],
        "information": information, "sources": list(sources.values()),
        "moksori_places": [gather.record_doc(data, record) for record in data.of_kind("place")],
        "moksori_other_roles": [
            {"event": by_id[i.event_id].public_id, "person": by_id[i.person_id].public_id,
             "role": data.coded("involvement_role", i.role)}
            for i in data.involvements if i.role == "official" and i.person_id in by_id],
    }
