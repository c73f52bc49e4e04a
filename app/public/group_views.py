"""The partner-group pages (issue 23), /<lang>/group: joining with an invitation code,
logging in, and the group's space — its submissions and their threads, a new testimony,
officers' messages to the group, and its settings (being named as source, an app code).

Nothing sets a cookie before the group logs in or joins: the join and login forms carry a
signed token of their own (app/forms.PublicForm). The space's pages need a group session
(group_session.group_required); the views call services/groups and stay short."""
from __future__ import annotations

import pyotp
import segno
from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from app import facets, form_tokens
from app.extensions import db, limiter
from app.forms import add_error
from app.public import LANG, bp, intake_ready, signed_form
from app.public import group_session as gs
from app.public.group_forms import (
    GroupLoginForm,
    GroupLogoutForm,
    JoinForm,
    NamingForm,
    RecoverForm,
    TotpForm,
    TotpOffForm,
)
from app.public.receipt_forms import FollowUpForm
from app.public.report_views import _report_form
from app.security import keyed_digest, rate_limit_key
from app.services import faults, login_throttle
from app.services.groups import accounts, space
from app.services.groups.intake import create_group_report
from app.services.intake import reports
from app.vocabularies import SUBMITTER_STATUS


def _login_page(form: GroupLoginForm, status: int = 200):
    return render_template("public/group_login.html", form=form), status


@bp.route(f"{LANG}/group", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes; 50 per day", methods=["POST"])
@signed_form
def group(lang):
    if gs.current_group() is not None:
        return redirect(url_for("public.group_space"))
    form = GroupLoginForm()
    if form.validate_on_submit():
        client = _throttled(form.group_number.data)
        try:
            found, private = accounts.login(db.session(), form.group_number.data or "", form.passphrase.data or "",
                                            form.totp.data or "", client)
        except accounts.GroupRefused as refused:
            db.session.commit()
            add_error(form.passphrase, _login_message(refused))
        else:
            gs.start(found, private)
            db.session.commit()
            return redirect(url_for("public.group_space"))
    return _login_page(form, 422 if request.method == "POST" else 200)


def _throttled(group_number: str | None) -> login_throttle.Client:
    """Login and recovery count their failures together, per group number and address."""
    return login_throttle.Client(keyed_digest("group login subject", accounts.normalize_group_id(group_number)),
                                 rate_limit_key())


def _login_message(refused: accounts.GroupRefused) -> str:
    if refused.reason == "locked":
        return _("Too many attempts. Please wait %(minutes)s minutes and try again.", minutes=refused.minutes)
    if refused.reason == "suspended":
        return _("This group's space is closed for now. Please contact the organization.")
    if refused.reason == "bad_totp":
        return _("The app code is not correct. Please enter the current code.")
    # One message for an unknown number and a wrong passphrase: neither tells which groups exist.
    return _("The group number or the passphrase is not correct.")


@bp.route(f"{LANG}/group/recover", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes; 30 per day", methods=["POST"])
@signed_form
def group_recover(lang):
    """A lost passphrase: the recovery code and a new passphrase; the group is then logged in."""
    form = RecoverForm()
    if form.validate_on_submit():
        client = _throttled(form.group_number.data)
        try:
            found, private = accounts.recover(db.session(), form.group_number.data or "",
                                              form.recovery_code.data or "", form.passphrase.data or "",
                                              form.totp.data or "", client)
        except accounts.GroupRefused as refused:
            db.session.commit()
            add_error(form.recovery_code, _recover_message(refused))
        else:
            gs.start(found, private)
            db.session.commit()
            return render_template("public/group_recover.html", form=None, done=True)
    return render_template("public/group_recover.html", form=form), 422 if request.method == "POST" else 200


def _recover_message(refused: accounts.GroupRefused) -> str:
    if refused.reason == "wrong_login":  # one answer for an unknown number and a wrong code
        return _("The group number or the recovery code is not correct.")
    return _login_message(refused)


@bp.route(f"{LANG}/group/join", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes; 30 per day", methods=["POST"])
@signed_form
def group_join(lang):
    form = JoinForm()
    if form.validate_on_submit():
        try:
            joined = accounts.join(db.session(), form.code.data or "", form.passphrase.data or "",
                                   bool(form.named.data), form.source_name.data)
        except accounts.GroupRefused:
            db.session.rollback()
            add_error(form.code, _("This invitation code is not valid: it may be mistyped, used already or "
                                   "expired. Please ask the organization for a new one."))
        else:
            gs.start(joined.group, joined.private_key)
            db.session.commit()
            # Shown this once: the recovery code is stored nowhere.
            return render_template("public/group_joined.html", group=joined.group, code=joined.recovery_code)
    return render_template("public/group_join.html", form=form), 422 if request.method == "POST" else 200


@bp.route(f"{LANG}/group/logout", methods=["POST"])
def group_logout(lang):
    if GroupLogoutForm().validate_on_submit():
        gs.end()
    return redirect(url_for("public.group"))


@bp.route(f"{LANG}/group/space")
@gs.group_required
def group_space(lang):
    access = gs.logged_in()
    items = space.submissions(db.session(), access.group)
    for item in items:
        space.open_for_group(item, access.private_key)
    return render_template("public/group_space.html", group=access.group, items=items,
                           messages=space.messages_for_group(access.group, access.private_key),
                           status_text=SUBMITTER_STATUS, logout_form=GroupLogoutForm())


@bp.route(f"{LANG}/group/space/new", methods=["GET", "POST"])
@limiter.limit("60 per hour", methods=["POST"])
@signed_form
@gs.group_required
def group_new(lang):
    access = gs.logged_in()
    if not intake_ready():
        return render_template("public/intake_closed.html"), 503
    form = _report_form()
    if request.method == "GET":
        form.form_token.data = form_tokens.one_time_token()
    elif form.validate_on_submit() and not form.website.data:
        data = form.to_report_data(lang)
        token = form.form_token.data or form_tokens.new_one_time_token()
        try:
            item = faults.at_most_twice(db.session(), lambda: reports.all_or_nothing(
                db.session(), lambda writes: create_group_report(
                    db.session(), access.group, access.public_key,
                    {"narrative": data.narrative, **{k: data.facets.get(k) for k in ("place", "when_text",
                                                                                     "perpetrator_text")}},
                    data.facets, data.category_codes, form.prepared_files, current_app.config["UPLOAD_DIR"],
                    locale=lang, keep_image_metadata=data.keep_image_metadata, form_token=token, writes=writes,
                    consents={"consent_un": data.consent_un, "consent_accountability": data.consent_accountability,
                              "consent_publication": data.consent_publication}),
                reports.form_stored(db.session(), token)))
        except reports.AlreadySubmitted:
            return redirect(url_for("public.group_space"))
        return redirect(url_for("public.group_item", public_id=item.public_id, sent="new"))
    fields = Markup(render_template("public/report.html", form=form, tree=_tree(),  # nosec B704  a rendered template
                                    sections=facets.SECTIONS, facets_in=facets.in_section, group_report=True))
    return render_template("public/group_new.html", form=form, fields=fields), \
        200 if request.method == "GET" else 422


def _tree():
    return g.category_tree  # set by report_views._report_form


@bp.route(f"{LANG}/group/space/items/<public_id>", methods=["GET", "POST"])
@limiter.limit("60 per hour", methods=["POST"])
@gs.group_required
def group_item(lang, public_id):
    access = gs.logged_in()
    item = space.find_submission(db.session(), access.group, public_id)
    if item is None:
        abort(404)  # not one of this group's submissions: the same answer as an unknown id
    key = space.open_for_group(item, access.private_key, thread=True)
    form = FollowUpForm()
    form.keep_metadata_choice = item.keep_image_metadata
    if form.validate_on_submit():
        faults.at_most_twice(db.session(), lambda: reports.add_followup(
            db.session(), item, form.body.data or "", form.prepared_files, current_app.config["UPLOAD_DIR"], key))
        return redirect(url_for("public.group_item", public_id=public_id, sent="1"))
    return render_template("public/group_item.html", item=item, form=form, status_text=SUBMITTER_STATUS,
                           sent=request.args.get("sent")), 422 if request.method == "POST" else 200


@bp.route(f"{LANG}/group/space/settings", methods=["GET", "POST"])
@gs.group_required
def group_settings(lang):
    access = gs.logged_in()
    group = access.group
    naming = NamingForm(prefix="naming")
    if request.method == "GET":
        naming.named.data = group.named
    totp = TotpForm(prefix="totp")
    if naming.submit.data and naming.validate_on_submit():
        accounts.set_naming(db.session(), group, bool(naming.named.data), naming.source_name.data,
                            actor=f"group:{group.public_id}")
        db.session.commit()
        return redirect(url_for("public.group_settings", saved="1"))
    if totp.submit.data and totp.validate_on_submit():
        try:
            accounts.enable_totp(db.session(), group, totp.secret.data or "", totp.code.data or "")
        except accounts.GroupRefused:
            add_error(totp.code, _("The code is not correct. Please enter the code the app shows now."))
        else:
            db.session.commit()
            return redirect(url_for("public.group_settings", saved="1"))
    if not totp.secret.data:
        totp.secret.data = accounts.new_totp_secret()
    uri = pyotp.TOTP(totp.secret.data).provisioning_uri(name=group.public_id, issuer_name="Moksori")
    qr = Markup(segno.make(uri, error="m").svg_inline(scale=4, title="QR"))  # nosec B704  segno's plain SVG
    return render_template("public/group_settings.html", group=group, naming=naming, totp=totp, qr=qr,
                           off_form=TotpOffForm(prefix="off"),
                           source_name=None, saved=request.args.get("saved")), \
        422 if request.method == "POST" else 200


@bp.route(f"{LANG}/group/space/settings/totp-off", methods=["POST"])
@gs.group_required
def group_totp_off(lang):
    access = gs.logged_in()
    if TotpOffForm(prefix="off").validate_on_submit():
        accounts.disable_totp(db.session(), access.group)
        db.session.commit()
    return redirect(url_for("public.group_settings", saved="1"))

