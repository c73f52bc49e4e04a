"""Public blueprint: pages a submitter reads, in /ko/… and /en/…."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import routes  # noqa: E402,F401  (registers the views)
from app.public import contact  # noqa: E402,F401
from app.public import subscribe, updates  # noqa: E402,F401  (issue 4: updates and subscriptions)
