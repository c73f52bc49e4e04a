"""Admin blueprint: staff accounts, audit log, updates, subscribers. Admins only, one gate."""
from flask import Blueprint, abort
from flask_login import current_user

from app import errors
from app.auth import require_staff
from app.version import __version__

bp = Blueprint("admin", __name__, url_prefix="/admin")
errors.register_staff_fault_handler(bp)


@bp.context_processor
def release() -> dict:
    """The footer of admin pages names the release, which an upgrade or a support question needs."""
    return {"moksori_version": __version__}


@bp.before_request
def gate():
    if (response := require_staff(set())) is not None:
        return response
    if not current_user.is_admin:
        abort(403)
    return None


from app.admin import (  # noqa: E402, F401  the views import bp, so last; importing registers their routes
    audit_views,
    group_views,
    health_views,
    key_views,
    settings_views,
    subscriber_views,
    update_views,
    user_views,
)
