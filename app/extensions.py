"""Unbound extension singletons; create_app() binds them with init_app()."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.models.base import Base
from app.security import rate_limit_key

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
# Limits are declared per view; the key is a keyed hash of the client address, so the
# limiter's storage never holds a submitter's IP in clear.
limiter = Limiter(key_func=rate_limit_key, default_limits=[])
