"""The facets of a report (shared/TAXONOMY.md), in one table.

Everything that asks for a facet, stores it or shows it is built from FACETS: the report
form's questions and its fieldsets, the data handed to intake, the case file's
submission.json and submission.html, the bulk CSV/JSON columns and the staff item page.
Adding a facet is: its vocabulary (vocabularies.py), one line below, a Submission column, a
migration and the translations of its strings. A free-text facet is `sealed`: it is stored in
the submission's sealed content (sealed/vault.py), so it needs no column at all.

Each facet belongs to a *section* (a fieldset of the form, an object of submission.json)
and is shown under a *heading* (a row of the item page and of submission.html). The
"when" section is the one exception the code knows about: its fields depend on each other
(an exact day, or a month and a year, or words), so the form lays it out by hand and its
row is formatted as one date.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app import vocabularies as v

Vocabulary = list[tuple[str, object]]


@dataclass(frozen=True)
class Section:
    key: str  # the object of submission.json that holds the section's facets
    legend: object  # the report form's fieldset


@dataclass(frozen=True)
class Heading:
    key: str  # also the key of the case file's bilingual heading (evidence/render.py)
    label: object


@dataclass(frozen=True)
class Facet:
    name: str  # Submission column, key in ReportData.facets, bulk export column
    section: str
    key: str  # its key inside the section's object in submission.json
    heading: str
    vocabulary: Vocabulary | None = None  # a coded facet; None for text, numbers, dates, flags
    # The report form (the "when" facets have their own fields): "select", "radio", "text", "textarea".
    widget: str | None = None
    question: object = None
    help: object = None
    max_chars: int | None = None
    # HURIDOCS list number and our code → that list's term, for exports.
    huridocs: tuple[int, dict[str, str]] | None = None
    # The bulk export adds the Korean and English labels as <name>_ko and <name>_en.
    labels_in_export: bool = False
    # Free text the submitter wrote: sealed with the account, never a column in the clear.
    sealed: bool = False

    @property
    def coded(self) -> bool:
        return self.vocabulary is not None


SECTIONS = [
    Section("when", _l("When did it happen?")),
    Section("where", _l("Where did it happen?")),
    Section("who_was_harmed", _l("Who was harmed?")),
    Section("who_did_it", _l("Who was responsible?")),
    Section("how_the_submitter_knows", _l("How do you know?")),
]

HEADINGS = [
    Heading("when", _l("When")),
    Heading("where", _l("Where")),
    Heading("facility", _l("Facility")),
    Heading("victims", _l("Victims")),
    Heading("perpetrators", _l("Perpetrators")),
    Heading("source", _l("Source")),
]

DETENTION = "Labour, concentration or extermination camp"
EXECUTIVE = "Governmental entities: executive"

FACETS = [
    Facet("when_precision", "when", "precision", "when", v.WHEN_PRECISION,
          huridocs=(48, {"month": "Unknown day", "year": "Unknown month and day", "approximate": "Estimate"})),
    Facet("when_date", "when", "date", "when"),
    Facet("when_year", "when", "year", "when"),
    Facet("when_month", "when", "month", "when"),
    Facet("when_text", "when", "text", "when", sealed=True),
    Facet("ongoing", "when", "ongoing", "when"),
    Facet("province", "where", "province", "where", v.PROVINCES, "select", _l("Province or country"),
          labels_in_export=True),
    Facet("place", "where", "place", "where", widget="text", question=_l("Place (town, facility, landmark)"),
          help=_l("A town, a facility's name or number, a landmark. Whatever you remember."), max_chars=500,
          sealed=True),
    Facet("facility_type", "where", "facility_type", "facility", v.FACILITY_TYPES, "select",
          _l("Was it in a detention facility?"),
          huridocs=(5, {"kwanliso": DETENTION, "kyohwaso": "Regular prison", "rodong": DETENTION,
                        "jipgyolso": "Regular detention place", "guryujang": "Regular detention place",
                        "camp_927": "Regular detention place", "china": "Regular detention place"})),
    Facet("victim_count", "who_was_harmed", "count", "victims", v.VICTIM_COUNTS, "select",
          _l("How many people were harmed?"),
          huridocs=(7, {"1": "Individual", "2-5": "Group", "6-20": "Group", "21+": "Group", "unknown": "Unknown"})),
    Facet("victim_relation", "who_was_harmed", "relation_to_submitter", "victims", v.VICTIM_RELATIONS, "select",
          _l("Who were they to you?"),
          help=_l("If you worry about your family's safety, you don't have to write any names.")),
    Facet("perpetrator_type", "who_did_it", "perpetrator_type", "perpetrators", v.PERPETRATOR_TYPES, "select",
          _l("Who did it?"), labels_in_export=True,
          huridocs=(24, {"state_security": EXECUTIVE, "police": EXECUTIVE, "military": EXECUTIVE,
                         "party_official": EXECUTIVE, "detention_staff": EXECUTIVE, "foreign_authority": EXECUTIVE,
                         "border_guard": EXECUTIVE, "prosecutor_court": "Governmental entities: judiciary",
                         # State enterprises, cooperative farms and shock brigades are the state's in
                         # the North: their managers and commanders act for it.
                         "workplace_cadre": EXECUTIVE, "mobilization": EXECUTIVE,
                         # Joint party/security task forces, patrols and the neighbourhood unit's
                         # head all act for the state: list 24 has nothing closer than the executive.
                         "sangmu_109": EXECUTIVE, "gruppa": EXECUTIVE, "gyuchaldae": EXECUTIVE,
                         "inminban_head": EXECUTIVE,
                         "private": "Non-governmental entities", "other": "Others", "unknown": "Unknown"})),
    Facet("perpetrator_text", "who_did_it", "agency", "perpetrators", widget="textarea",
          question=_l("Names, positions or units, if you know them"), help=_l("If you don't know, leave it empty."),
          max_chars=1000, sealed=True),
    Facet("source_connection", "how_the_submitter_knows", "source_connection", "source", v.SOURCE_CONNECTIONS, "radio",
          _l("How do you know about it?"),
          huridocs=(19, {"victim": "Involved in the event: victim him/herself",
                         "witness": "Involved in the event: witness",
                         "told_by_close": "Related to participants", "heard": "Third party (reporter)",
                         "documents": "Third party (reporter)", "other": "Unknown"})),
]

FACET_NAMES = [facet.name for facet in FACETS]
BY_NAME = {facet.name: facet for facet in FACETS}


def in_section(key: str) -> list[Facet]:
    return [facet for facet in FACETS if facet.section == key]


def under_heading(key: str) -> list[Facet]:
    return [facet for facet in FACETS if facet.heading == key]


def display(item, heading: Heading) -> str:
    """A heading's facets as the item page shows them: a label (or "—") for each coded facet,
    and any text that was given, joined by " · ". The "when" row is formatted by its template."""
    parts = []
    for facet in under_heading(heading.key):
        value = getattr(item, facet.name)
        if facet.coded:
            parts.append(v.label_for(facet.vocabulary, value) or "—")
        elif value:
            parts.append(str(value))
    return " · ".join(parts)
