"""The audit log for admins: newest first, filtered, paginated by id (stays fast deep down),
with the last checkpoint (`flask audit checkpoint`) to compare with the copy kept elsewhere."""
from __future__ import annotations

from flask import current_app, render_template, request

from app.admin import bp
from app.extensions import db
from app.services.audit import last_checkpoint, search_events
from app.services.audit import verify as verify_chain


@bp.route("/audit")
def audit_log():
    filters = {key: request.args.get(key, "").strip() for key in ("action", "actor", "target", "since", "until")}
    before = request.args.get("before", type=int)
    events, next_before = search_events(db.session, before=before, timezone=current_app.config["TIMEZONE"], **filters)
    chain = verify_chain(db.session) if request.args.get("verify") else None
    return render_template("admin/audit.html", events=events, filters=filters, next_before=next_before, chain=chain,
                           checkpoint=last_checkpoint(db.session))
