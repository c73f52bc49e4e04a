"""app/facets.py is the one list of report facets: everything that asks for, stores or shows
a facet must follow it, so that adding a facet is one line there (plus column and migration)."""
from __future__ import annotations

import sqlalchemy as sa

from app.facets import FACETS, HEADINGS, SECTIONS
from app.models import Submission
from app.public.report_forms import ReportForm
from app.services.evidence import bulk
from app.services.evidence.content import ItemDocument, label_tables


def test_every_facet_has_a_column_a_section_and_a_heading():
    columns = set(sa.inspect(Submission).columns.keys())
    for facet in FACETS:
        assert (facet.name in columns) != facet.sealed, f"{facet.name}: a column, or sealed text, not both"
        assert not facet.sealed or facet.widget in ("text", "textarea") or facet.section == "when"
        assert facet.section in {s.key for s in SECTIONS}
        assert facet.heading in {h.key for h in HEADINGS}
        assert facet.widget is None or facet.question, facet.name
        if facet.widget in ("radio", "select"):
            assert facet.coded, f"{facet.name}: a choice needs a vocabulary"


def test_the_form_the_exports_and_the_case_file_follow_the_table(app):
    with app.test_request_context("/ko/report"):
        form = ReportForm()
        item = Submission(kind="report", locale="ko", status="new", ongoing=False,
                          **{facet.name: None for facet in FACETS if not facet.sealed and facet.name != "ongoing"})
        item.set_opened({"narrative": "", **{facet.name: None for facet in FACETS if facet.sealed}})
        doc = ItemDocument(None, item, label_tables(), include_contact=False).facets()
    for facet in FACETS:
        if facet.widget:
            assert facet.name in form._fields and str(form[facet.name].label.text) == str(facet.question)
        assert facet.name in bulk.COLUMNS
        assert facet.key in doc[facet.section]
    # Fields appear in the form in the table's order, after the "when" questions.
    asked = [name for name in form._fields if name in {f.name for f in FACETS if f.widget}]
    assert asked == [facet.name for facet in FACETS if facet.widget]


def test_the_korean_form_names_what_escapees_name(client):
    """Issue 19's vocabulary gaps: the main perpetrators in crossing cases, prosecutors and
    courts, workplace cadres, shock brigades, the camps for homeless children, and Kaesong
    under its province."""
    html = client.get("/ko/report").get_data(as_text=True)
    for words in ("국경경비대", "검찰소·재판소", "기업소·농장 간부", "돌격대·동원 지휘부", "9.27 상무 수용소",
                  "개성 (황해북도)"):
        assert words in html, words


def test_sub_types_speak_plainly_to_submitters_and_legally_to_officers(client, auth, app):
    """Issue 19: the sub-types showed only legal terms (영아 살해, 결사·집회 금지). Submitters read
    everyday words with the legal term beside them; officers keep the legal term alone."""
    html = client.get("/ko/report").get_data(as_text=True)
    assert "갓난아기를 죽임 (영아 살해)" in html
    assert "사람들이 모이거나 단체를 만들지 못하게 함 (결사·집회 금지)" in html
    assert ">고문</label>" in html  # already an everyday word: left alone
    assert "A newborn baby was killed (Infanticide)" in client.get("/en/report").get_data(as_text=True)
    auth.login()
    queue = client.get("/staff/").get_data(as_text=True)
    assert "영아 살해" in queue and "갓난아기를 죽임" not in queue
