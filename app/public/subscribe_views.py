"""Subscribing to updates: the form, and the pages that e-mailed links open.

Token pages answer a bad link with one clear page (expired, invalid or cancelled) and a way
back to the form; nothing says whether an address is subscribed.
"""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.extensions import csrf, db, limiter
from app.forms import chosen, required_text
from app.public import LANG, bp, signed_form
from app.public.page_cache import kept_page
from app.public.report_views import fault_notice
from app.public.subscribe_forms import ConfirmSubscriptionForm, PreferencesForm, SubscribeForm
from app.services import faults
from app.services.outreach import subscriptions
from app.services.outreach.subscriptions import LinkProblem
from app.services.outreach.updates import TOPICS


def _links() -> subscriptions.Links:
    return subscriptions.Links.from_config(current_app.config)


def _subscriber(token: str, purpose: str, allow_cancelled: bool = False):
    """The subscriber a link is for, or raise LinkProblem (a cancelled one: only to unsubscribe)."""
    subscriber = _links().read(db.session(), token, purpose)
    if subscriber.state == "unsubscribed" and not allow_cancelled:
        raise LinkProblem("cancelled")
    return subscriber


@bp.errorhandler(LinkProblem)  # every token page: one answer for a bad link
def _link_problem(problem: LinkProblem):
    return render_template("public/subscribe_link_problem.html", reason=problem.reason), 400


def _preferences_path(subscriber) -> str:
    return url_for("public.subscribe_preferences", token=_links().token(subscriber, "manage"))


@bp.route(f"{LANG}/subscribe", methods=["GET", "POST"])
@limiter.limit("5 per hour; 20 per day", methods=["POST"])
@signed_form
@kept_page()
def subscribe(lang):
    form = SubscribeForm()
    if request.method == "GET":
        form.language.data, form.topics.data = lang, [code for code, _label in TOPICS]
    elif form.website.data:  # honeypot filled: a bot, or an autofill gone wrong
        form.website.errors = [_("Please leave the last field empty and send again.")]
    elif form.validate_on_submit():
        # Harmless to run twice: a second run finds the address and mails it no second time.
        faults.at_most_twice(db.session(), lambda: subscriptions.request_subscription(
            db.session(), _links(), required_text(form.email), form.organization.data or "", form.language.data,
            chosen(form.topics)))
        return redirect(url_for("public.subscribe_sent"))
    return render_template("public/subscribe.html", form=form), 200 if request.method == "GET" else 422


def subscribe_after_fault():
    return render_template("public/subscribe.html", form=SubscribeForm(), notice=fault_notice(files=False)), 503


def preferences_after_fault():
    return render_template("public/subscribe_preferences.html", form=PreferencesForm(), saved=False,
                           token=(request.view_args or {})["token"], notice=fault_notice(files=False)), 503


def confirm_after_fault():
    return render_template("public/subscribe_confirm.html", form=ConfirmSubscriptionForm(),
                           notice=fault_notice(files=False)), 503


@bp.route(f"{LANG}/subscribe/sent")
def subscribe_sent(lang):
    return render_template("public/subscribe_sent.html")


@bp.route(f"{LANG}/subscribe/confirm/<token>", methods=["GET", "POST"])
@signed_form
def subscribe_confirm(lang, token):
    # A click, not the GET, confirms: mail scanners open links, and a state change is a POST.
    subscriber = _subscriber(token, "confirm")
    form = ConfirmSubscriptionForm()
    if subscriber.state == "confirmed" or form.validate_on_submit():
        subscriptions.confirm(db.session(), subscriber)
        return render_template("public/subscribe_confirmed.html", preferences_url=_preferences_path(subscriber))
    return render_template("public/subscribe_confirm.html", form=form)


@bp.route(f"{LANG}/subscribe/preferences/<token>", methods=["GET", "POST"])
@signed_form
def subscribe_preferences(lang, token):
    subscriber = _subscriber(token, "manage")
    form = PreferencesForm()
    if request.method == "GET":
        form.language.data, form.topics.data = subscriber.locale, subscriber.topic_list
    elif form.validate_on_submit():
        subscriptions.update_preferences(db.session(), subscriber, form.language.data, chosen(form.topics))
        return render_template("public/subscribe_preferences.html", form=form, saved=True, token=token)
    return render_template("public/subscribe_preferences.html", form=form, saved=False, token=token), \
        200 if request.method == "GET" else 422


@bp.route(f"{LANG}/subscribe/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: a mail provider POSTs with no session; the signed token is the authority
def subscribe_unsubscribe(lang, token):
    subscriber = _subscriber(token, "manage", allow_cancelled=True)
    if request.method == "POST":
        subscriptions.unsubscribe(db.session(), subscriber)
        return render_template("public/subscribe_unsubscribed.html")
    # Opened in a browser: one confirming click, so a link preview cannot unsubscribe anyone.
    return render_template("public/subscribe_unsubscribe.html", already=subscriber.state == "unsubscribed")
