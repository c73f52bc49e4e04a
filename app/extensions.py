"""Unbound extension singletons; create_app() binds them with init_app()."""
from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.form_tokens import from_elsewhere
from app.models.base import Base
from app.security import rate_limit_key

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()


class CSRFProtectFromOtherSites(CSRFProtect):
    """Flask-WTF's session token, plus: a POST that the browser marks as sent by another site is
    refused (app/form_tokens.py from_elsewhere), and so is a login with `Origin: null` from an
    older browser. That replaces Flask-WTF's HTTPS check of the Referer
    (WTF_CSRF_SSL_STRICT, off in config.py), which refused every form over HTTPS: our
    Referrer-Policy is no-referrer, so browsers send no Referer at all."""

    def protect(self, apply_exemptions=False):
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        if request.method in current_app.config["WTF_CSRF_METHODS"] and (reason := from_elsewhere()):
            self._error_response(reason)
        super().protect()


csrf = CSRFProtectFromOtherSites()
# Limits are declared per view; the key is a keyed hash of the client address, so the
# limiter's storage never holds a submitter's IP in clear.
limiter = Limiter(key_func=rate_limit_key, default_limits=[])


@limiter.request_filter
def _reading() -> bool:
    """Every limit here is on a POST (a form sent, a login tried); reading a page is limited by
    nothing, yet the limiter would weigh each view's limits on every GET, an eighth of a kept
    public page's time (bench/README.md). A limit meant for GETs must remove this filter."""
    return request.method in ("GET", "HEAD", "OPTIONS")
