"""The audit log for admins: newest first, filtered, paginated by id (stays fast deep down),
with the last checkpoint (`moksori audit checkpoint`) to compare with the copy kept elsewhere,
and what still waits for a trusted timestamp (`moksori evidence timestamp`).
Events are shown in words (what happened, who, to what); the codes and recorded details stay
one click away, behind a fold."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, render_template, request

from app import vocabularies as v
from app.admin import bp
from app.extensions import db
from app.models import User
from app.services import timestamp_queue
from app.services.audit import last_checkpoint, search_events
from app.services.audit import verify as verify_chain


def _actor_names() -> dict[str, str]:
    """Every actor an event can name, in words: staff accounts by name and address."""
    names = {code: str(label) for code, label in v.AUDIT_ACTORS}
    for user_id, name, email in db.session.execute(sa.select(User.id, User.name, User.email).order_by(User.name)):
        names[f"user:{user_id}"] = f"{name} ({email})" if name else email
    return names


@bp.route("/audit")
def audit_log():
    filters = {key: request.args.get(key, "").strip() for key in ("action", "actor", "target", "since", "until")}
    before = request.args.get("before", type=int)
    events, next_before = search_events(db.session(), action=filters["action"], actor=filters["actor"],
                                        target=filters["target"], since=filters["since"], until=filters["until"],
                                        before=before, timezone=current_app.config["TIMEZONE"])
    chain = verify_chain(db.session()) if request.args.get("verify") else None
    return render_template("admin/audit.html", events=events, filters=filters, next_before=next_before, chain=chain,
                           checkpoint=last_checkpoint(db.session()), actors=_actor_names(),
                           stamps=timestamp_queue.status(db.session()), tsa_urls=current_app.config["TSA_URLS"])
