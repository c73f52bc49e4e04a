"""What every public page's <head> says about it: the meta description in the page's language
(search results show it; the tab shows only the site's name, see base.html), and which pages
carry the reminder to read the safety guide before filling in a form."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from app.i18n import org_name
from app.public import bp

SITE = _l("Tell a Korean-speaking officer, safely and without an account, what happened in North Korea "
          "or on the way out of it.")
DESCRIPTIONS = {
    "public.home": SITE,
    "public.report": _l("Send a report about a human rights violation in North Korea, in Korean. No name, "
                        "account or e-mail address is needed."),
    "public.contact": _l("Ask a Korean-speaking officer to contact you, the way and at the time that is safe "
                         "for you."),
    "public.receipt": _l("Come back with your 16-digit receipt code to read replies and add information or "
                         "files."),
    "public.safety": _l("How to use this site safely: a device no one checks, Tor Browser, what a phone check "
                        "can find, keeping your receipt code, and what we keep."),
    "public.updates": _l("News from %(org)s in Korean and English."),
    "public.subscribe": _l("Get news from %(org)s by e-mail, in Korean, English or both."),
}

# Forms a person fills in: the page first reminds them that the guide exists.
SAFETY_REMINDER_PAGES = frozenset({"public.report", "public.contact", "public.receipt"})


def page_description() -> str:
    return str(DESCRIPTIONS.get(request.endpoint or "", SITE)) % {"org": org_name()}


@bp.app_context_processor
def page_metadata() -> dict:
    return {"page_description": page_description, "SAFETY_REMINDER_PAGES": SAFETY_REMINDER_PAGES}
