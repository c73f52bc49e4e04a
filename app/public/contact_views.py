"""'Please contact me': the request for a Korean-speaking outreach officer."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from app import form_tokens
from app.extensions import db, limiter
from app.public import LANG, bp, intake_ready, signed_form
from app.public.contact_forms import ContactForm
from app.public.page_cache import kept_page
from app.public.report_views import fault_notice
from app.services import faults
from app.services.intake.contact_requests import create_contact_request
from app.services.intake.reports import AlreadySubmitted


@bp.route(f"{LANG}/contact", methods=["GET", "POST"])
@limiter.limit("10 per hour; 30 per day", methods=["POST"])
@signed_form
@kept_page(when=intake_ready)
def contact(lang):
    if not intake_ready():
        return render_template("public/intake_closed.html"), 503
    form = ContactForm(language=lang)
    if request.method == "GET":
        form.form_token.data = form_tokens.one_time_token()
    elif form.website.data:
        form.website.errors = [_("Please leave the last field empty and send again.")]
    elif form.validate_on_submit():
        try:
            code = faults.at_most_twice(db.session(), lambda: create_contact_request(
                db.session(), form.to_request(lang), form.form_token.data or form_tokens.new_one_time_token()))[1]
        except AlreadySubmitted:
            return render_template("public/report_duplicate.html"), 409
        return render_template("public/contact_done.html", code=code)
    return render_template("public/contact.html", form=form), 200 if request.method == "GET" else 422


def contact_after_fault():
    """The request could not be stored: the same form with everything typed (and its one-time token)."""
    return render_template("public/contact.html", form=ContactForm(), notice=fault_notice(files=False)), 503
