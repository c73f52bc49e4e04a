"""Public blueprint: pages a submitter reads, in /ko/… and /en/…."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import routes  # noqa: E402,F401  (registers the views)
